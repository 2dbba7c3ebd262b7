//! What a hypertension or diabetes follow-up's readings propose: the
//! classification (H1, D1), urgent referral (H2, D2), the next step and the
//! next date (H3, H4, D3). The doctor sees the proposal and may change it.

use chrono::{Duration, Months, NaiveDate};
use serde::Serialize;
use serde_json::Value;
use ts_rs::TS;

use super::{Program, ProgramConfig};
use crate::forms::FormValues;
use crate::i18n::Localized;

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct Proposal {
    /// 此次随访分类: 1 controlled, 2 uncontrolled, 3 adverse reaction (4 complication is the doctor's call).
    pub classification: String,
    /// 下一步管理措施: 1 routine, 2 two-week, 3 referral follow-up, 4 urgent referral.
    pub next_step: String,
    pub next_date: NaiveDate,
    pub urgent: bool,
    /// Why, in words a doctor reads.
    pub reasons: Vec<Localized>,
}

fn num(values: &FormValues, id: &str) -> Option<f64> {
    values.get(id).and_then(Value::as_f64)
}

fn code<'a>(values: &'a FormValues, id: &str) -> Option<&'a str> {
    values.get(id).and_then(Value::as_str)
}

fn fmt(n: f64) -> String {
    if n.fract() == 0.0 {
        format!("{n:.0}")
    } else {
        format!("{n}")
    }
}

/// The proposal for a follow-up, from its validated values, the resident's
/// age, and the classification of the previous follow-up of the same
/// programme. `None` until the readings it needs are entered.
pub fn propose(program: Program, values: &FormValues, age: u32, previous: Option<&str>, cfg: &ProgramConfig) -> Option<Proposal> {
    let visit = NaiveDate::parse_from_str(code(values, "visit_date")?, "%Y-%m-%d").ok()?;
    let (sbp, dbp) = (num(values, "sbp"), num(values, "dbp"));
    let mut reasons = Vec::new();
    let emergency =
        values.get("emergency").and_then(Value::as_array).is_some_and(|codes| codes.iter().any(|c| c.as_str().is_some_and(|c| c != "1")));
    if emergency {
        reasons.push(Localized::new("存在危急情况", "An emergency sign is present"));
    }
    let bp_urgent = matches!((sbp, dbp), (Some(s), Some(d)) if s >= cfg.bp_urgent.0 || d >= cfg.bp_urgent.1);
    if bp_urgent {
        reasons.push(Localized::new(
            format!("血压 {}/{} mmHg，达到紧急转诊标准（≥{}/{}）", fmt(sbp?), fmt(dbp?), fmt(cfg.bp_urgent.0), fmt(cfg.bp_urgent.1)),
            format!(
                "BP {}/{} mmHg is at the urgent-referral level (≥{}/{})",
                fmt(sbp?),
                fmt(dbp?),
                fmt(cfg.bp_urgent.0),
                fmt(cfg.bp_urgent.1)
            ),
        ));
    }
    let controlled = match program {
        Program::Hypertension => {
            let (s, d) = (sbp?, dbp?);
            let target = if age >= 65 { cfg.bp_target_elderly } else { cfg.bp_target };
            let ok = s < target.0 && d < target.1;
            reasons.push(if ok {
                Localized::new(
                    format!("血压 {}/{} mmHg，达标（<{}/{}）", fmt(s), fmt(d), fmt(target.0), fmt(target.1)),
                    format!("BP {}/{} mmHg meets the target (<{}/{})", fmt(s), fmt(d), fmt(target.0), fmt(target.1)),
                )
            } else {
                Localized::new(
                    format!("血压 {}/{} mmHg，未达标（<{}/{}）", fmt(s), fmt(d), fmt(target.0), fmt(target.1)),
                    format!("BP {}/{} mmHg misses the target (<{}/{})", fmt(s), fmt(d), fmt(target.0), fmt(target.1)),
                )
            });
            ok
        }
        Program::Diabetes => {
            let g = num(values, "fbg")?;
            if g >= cfg.fbg_urgent_high || g <= cfg.fbg_urgent_low {
                reasons.push(Localized::new(
                    format!(
                        "空腹血糖 {} mmol/L，达到紧急转诊标准（≥{} 或 ≤{}）",
                        fmt(g),
                        fmt(cfg.fbg_urgent_high),
                        fmt(cfg.fbg_urgent_low)
                    ),
                    format!(
                        "Fasting glucose {} mmol/L is at the urgent-referral level (≥{} or ≤{})",
                        fmt(g),
                        fmt(cfg.fbg_urgent_high),
                        fmt(cfg.fbg_urgent_low)
                    ),
                ));
            }
            let ok = g < cfg.fbg_target;
            reasons.push(if ok {
                Localized::new(
                    format!("空腹血糖 {} mmol/L，达标（<{}）", fmt(g), fmt(cfg.fbg_target)),
                    format!("Fasting glucose {} mmol/L meets the target (<{})", fmt(g), fmt(cfg.fbg_target)),
                )
            } else {
                Localized::new(
                    format!("空腹血糖 {} mmol/L，未达标（<{}）", fmt(g), fmt(cfg.fbg_target)),
                    format!("Fasting glucose {} mmol/L misses the target (<{})", fmt(g), fmt(cfg.fbg_target)),
                )
            });
            ok
        }
        Program::Elderly => return None,
    };
    let glucose_urgent =
        program == Program::Diabetes && num(values, "fbg").is_some_and(|g| g >= cfg.fbg_urgent_high || g <= cfg.fbg_urgent_low);
    let urgent = emergency || bp_urgent || glucose_urgent;
    let adverse = code(values, "adverse_reaction") == Some("2");
    if adverse {
        reasons.push(Localized::new("有药物不良反应", "An adverse drug reaction"));
    }
    let proposed = if adverse {
        "3"
    } else if controlled {
        "1"
    } else {
        "2"
    };
    // The next step follows the classification the doctor settles on.
    let chosen = code(values, "classification").unwrap_or(proposed);
    let uncontrolled_before = matches!(previous, Some("2"));
    let next_step = if urgent {
        "4"
    } else {
        match chosen {
            "1" => "1",
            "4" => "3",
            "2" if uncontrolled_before => {
                reasons.push(Localized::new("连续两次控制不满意，建议转诊", "Uncontrolled at two visits in a row: refer"));
                "3"
            }
            _ => "2",
        }
    };
    let next_date =
        if next_step == "1" { visit.checked_add_months(Months::new(cfg.routine_months))? } else { visit + Duration::days(cfg.short_days) };
    Some(Proposal { classification: proposed.into(), next_step: next_step.into(), next_date, urgent, reasons })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn values(v: Value) -> FormValues {
        v.as_object().unwrap().clone()
    }

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn htn(sbp: f64, dbp: f64, age: u32, previous: Option<&str>) -> Proposal {
        let v = values(json!({"visit_date": "2026-11-20", "sbp": sbp, "dbp": dbp, "emergency": ["1"], "adverse_reaction": "1"}));
        propose(Program::Hypertension, &v, age, previous, &ProgramConfig::default()).unwrap()
    }

    #[test]
    fn h1_targets_depend_on_age() {
        let p = htn(145.0, 85.0, 60, None);
        assert_eq!(
            (p.classification.as_str(), p.next_step.as_str(), p.next_date),
            ("2", "2", d("2026-12-04")),
            "145/85 misses <140/90 at 60"
        );
        let p = htn(145.0, 85.0, 70, None);
        assert_eq!(
            (p.classification.as_str(), p.next_step.as_str(), p.next_date),
            ("1", "1", d("2027-02-20")),
            "145/85 meets <150/90 at 70; next in 3 months (H4)"
        );
        assert_eq!(htn(139.0, 89.0, 60, None).classification, "1");
        assert_eq!(htn(140.0, 89.0, 60, None).classification, "2", "the target is strictly below 140");
    }

    #[test]
    fn h2_urgent_referral() {
        let p = htn(182.0, 100.0, 60, None);
        assert!(p.urgent);
        assert_eq!((p.next_step.as_str(), p.next_date), ("4", d("2026-12-04")), "urgent referral, follow it up within 2 weeks");
        let v = values(json!({"visit_date": "2026-11-20", "sbp": 130, "dbp": 80, "emergency": ["3"], "adverse_reaction": "1"}));
        let p = propose(Program::Hypertension, &v, 60, None, &ProgramConfig::default()).unwrap();
        assert_eq!((p.urgent, p.next_step.as_str()), (true, "4"), "a severe headache is urgent whatever the BP");
    }

    #[test]
    fn h3_second_uncontrolled_visit_refers() {
        let p = htn(152.0, 96.0, 60, Some("2"));
        assert_eq!((p.next_step.as_str(), p.next_date), ("3", d("2026-12-04")));
        assert!(p.reasons.iter().any(|r| r.zh.contains("连续两次")));
        assert_eq!(htn(152.0, 96.0, 60, Some("1")).next_step, "2", "after a controlled visit it is the first uncontrolled one");
    }

    #[test]
    fn adverse_reactions_and_the_doctors_choice() {
        let v = values(json!({"visit_date": "2026-11-20", "sbp": 130, "dbp": 80, "emergency": ["1"], "adverse_reaction": "2"}));
        let p = propose(Program::Hypertension, &v, 60, None, &ProgramConfig::default()).unwrap();
        assert_eq!((p.classification.as_str(), p.next_step.as_str()), ("3", "2"));
        let v = values(
            json!({"visit_date": "2026-11-20", "sbp": 130, "dbp": 80, "emergency": ["1"], "adverse_reaction": "1", "classification": "4"}),
        );
        let p = propose(Program::Hypertension, &v, 60, None, &ProgramConfig::default()).unwrap();
        assert_eq!(p.next_step, "3", "a complication chosen by the doctor means referral");
    }

    #[test]
    fn d1_d2_glucose() {
        let dm = |fbg: f64, previous| {
            let v =
                values(json!({"visit_date": "2026-11-20", "sbp": 130, "dbp": 80, "fbg": fbg, "emergency": ["1"], "adverse_reaction": "1"}));
            propose(Program::Diabetes, &v, 60, previous, &ProgramConfig::default()).unwrap()
        };
        assert_eq!(dm(6.9, None).classification, "1");
        assert_eq!((dm(7.0, None).classification.as_str(), dm(7.0, None).next_step.as_str()), ("2", "2"));
        assert_eq!(dm(7.8, Some("2")).next_step, "3", "D3: two uncontrolled visits in a row");
        assert!(dm(16.7, None).urgent && dm(3.9, None).urgent && !dm(4.0, None).urgent);
    }

    #[test]
    fn no_proposal_without_the_readings() {
        let v = values(json!({"visit_date": "2026-11-20"}));
        assert_eq!(propose(Program::Hypertension, &v, 60, None, &ProgramConfig::default()), None);
    }
}
