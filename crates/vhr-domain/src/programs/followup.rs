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
    /// 此次随访分类. Hypertension and diabetes: 1 controlled, 2 uncontrolled,
    /// 3 adverse reaction (4 complication is the doctor's call). Severe mental
    /// disorder: 1 unstable, 2 basically stable, 3 stable. Tuberculosis: none.
    pub classification: Option<String>,
    /// 下一步管理措施 (hypertension and diabetes): 1 routine, 2 two-week,
    /// 3 referral follow-up, 4 urgent referral.
    pub next_step: Option<String>,
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
    let visit = crate::forms::date_value(values, "visit_date")?;
    match program {
        Program::Hypertension | Program::Diabetes => {}
        Program::SevereMental => return propose_mental(values, visit, cfg),
        Program::Tuberculosis => return propose_tb(values, visit, cfg),
        Program::Elderly | Program::Child | Program::Maternal => return None,
    }
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
        _ => return None,
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
    Some(Proposal { classification: Some(proposed.into()), next_step: Some(next_step.into()), next_date, urgent, reasons })
}

/// §7.6: the class from the risk level (0–5), symptoms, insight, social
/// function and adverse reactions, and the next follow-up by class.
fn propose_mental(values: &FormValues, visit: NaiveDate, cfg: &ProgramConfig) -> Option<Proposal> {
    let risk: u32 = code(values, "risk")?.parse().ok()?;
    let mut reasons = Vec::new();
    let symptoms = values.get("symptoms").and_then(Value::as_array).is_some_and(|a| !a.is_empty());
    let insight_poor = code(values, "insight").is_some_and(|c| c != "1");
    let social_poor = ["social_self_care", "social_housework", "social_work", "social_interaction", "social_learning"]
        .iter()
        .any(|f| code(values, f) == Some("3"));
    let adverse = code(values, "adverse_reaction") == Some("2");
    let urgent = risk >= 3;
    let proposed = if urgent {
        reasons.push(Localized::new(
            format!("危险性 {risk} 级（3–5 级为不稳定），应立即转诊，2周内了解治疗情况"),
            format!("Risk level {risk} (3–5 is unstable): refer at once and learn the outcome within 2 weeks"),
        ));
        "1"
    } else if risk >= 1 || symptoms || insight_poor || social_poor || adverse {
        if risk >= 1 {
            reasons.push(Localized::new(format!("危险性 {risk} 级"), format!("Risk level {risk}")));
        }
        if symptoms {
            reasons.push(Localized::new("有精神症状", "Psychotic symptoms present"));
        }
        if insight_poor {
            reasons.push(Localized::new("自知力不全或缺失", "Insight partial or absent"));
        }
        if social_poor {
            reasons.push(Localized::new("社会功能较差", "Poor social function"));
        }
        if adverse {
            reasons.push(Localized::new("有药物不良反应", "An adverse drug reaction"));
        }
        reasons.push(Localized::new("基本稳定：调整治疗后观察2周", "Basically stable: adjust treatment and review in 2 weeks"));
        "2"
    } else {
        reasons.push(Localized::new(
            "危险性 0 级，症状基本消失，自知力、社会功能良好：稳定，3个月后随访",
            "Risk 0, symptoms resolved, insight and social function good: stable, next in 3 months",
        ));
        "3"
    };
    let chosen = code(values, "classification").unwrap_or(proposed);
    let next_date = match chosen {
        "1" => visit + Duration::days(cfg.mental_unstable_days),
        "2" => visit + Duration::days(cfg.mental_basic_days),
        _ => visit.checked_add_months(Months::new(cfg.mental_stable_months))?,
    };
    Some(Proposal { classification: Some(proposed.into()), next_step: None, next_date, urgent, reasons })
}

/// §7.7: the next TB follow-up from the supervision mode and the treatment
/// phase; an adverse reaction or complication means referral and a visit
/// within 2 weeks.
fn propose_tb(values: &FormValues, visit: NaiveDate, cfg: &ProgramConfig) -> Option<Proposal> {
    let mut reasons = Vec::new();
    let refer = code(values, "adverse_reaction") == Some("2") || code(values, "complication") == Some("2");
    let family = code(values, "supervisor") == Some("2");
    let month = num(values, "treatment_month").unwrap_or(1.0);
    let intensive = month <= f64::from(cfg.tb_intensive_months);
    let next_date = if refer {
        reasons.push(Localized::new(
            "有不良反应或并发症：立即转诊，2周内随访",
            "Adverse reaction or complication: refer at once, follow up within 2 weeks",
        ));
        visit + Duration::days(cfg.short_days)
    } else if family && intensive {
        reasons.push(Localized::new(
            format!("家属督导，强化期（第 {} 月）：每10天随访", fmt(month)),
            format!("Family supervision in the intensive phase (month {}): every 10 days", fmt(month)),
        ));
        visit + Duration::days(cfg.tb_intensive_days)
    } else {
        reasons.push(if family {
            Localized::new("家属督导，继续期：每月随访", "Family supervision in the continuation phase: monthly")
        } else {
            Localized::new("医务人员督导：每月至少随访评估1次", "Health-worker supervision: at least one assessment a month")
        });
        visit.checked_add_months(Months::new(1))?
    };
    Some(Proposal { classification: None, next_step: None, next_date, urgent: refer, reasons })
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
            (p.classification.as_deref().unwrap(), p.next_step.as_deref().unwrap(), p.next_date),
            ("2", "2", d("2026-12-04")),
            "145/85 misses <140/90 at 60"
        );
        let p = htn(145.0, 85.0, 70, None);
        assert_eq!(
            (p.classification.as_deref().unwrap(), p.next_step.as_deref().unwrap(), p.next_date),
            ("1", "1", d("2027-02-20")),
            "145/85 meets <150/90 at 70; next in 3 months (H4)"
        );
        assert_eq!(htn(139.0, 89.0, 60, None).classification.as_deref(), Some("1"));
        assert_eq!(htn(140.0, 89.0, 60, None).classification.as_deref(), Some("2"), "the target is strictly below 140");
    }

    #[test]
    fn h2_urgent_referral() {
        let p = htn(182.0, 100.0, 60, None);
        assert!(p.urgent);
        assert_eq!((p.next_step.as_deref().unwrap(), p.next_date), ("4", d("2026-12-04")), "urgent referral, follow it up within 2 weeks");
        let v = values(json!({"visit_date": "2026-11-20", "sbp": 130, "dbp": 80, "emergency": ["3"], "adverse_reaction": "1"}));
        let p = propose(Program::Hypertension, &v, 60, None, &ProgramConfig::default()).unwrap();
        assert_eq!((p.urgent, p.next_step.as_deref().unwrap()), (true, "4"), "a severe headache is urgent whatever the BP");
    }

    #[test]
    fn h3_second_uncontrolled_visit_refers() {
        let p = htn(152.0, 96.0, 60, Some("2"));
        assert_eq!((p.next_step.as_deref().unwrap(), p.next_date), ("3", d("2026-12-04")));
        assert!(p.reasons.iter().any(|r| r.zh.contains("连续两次")));
        assert_eq!(
            htn(152.0, 96.0, 60, Some("1")).next_step.as_deref(),
            Some("2"),
            "after a controlled visit it is the first uncontrolled one"
        );
    }

    #[test]
    fn adverse_reactions_and_the_doctors_choice() {
        let v = values(json!({"visit_date": "2026-11-20", "sbp": 130, "dbp": 80, "emergency": ["1"], "adverse_reaction": "2"}));
        let p = propose(Program::Hypertension, &v, 60, None, &ProgramConfig::default()).unwrap();
        assert_eq!((p.classification.as_deref().unwrap(), p.next_step.as_deref().unwrap()), ("3", "2"));
        let v = values(
            json!({"visit_date": "2026-11-20", "sbp": 130, "dbp": 80, "emergency": ["1"], "adverse_reaction": "1", "classification": "4"}),
        );
        let p = propose(Program::Hypertension, &v, 60, None, &ProgramConfig::default()).unwrap();
        assert_eq!(p.next_step.as_deref(), Some("3"), "a complication chosen by the doctor means referral");
    }

    #[test]
    fn d1_d2_glucose() {
        let dm = |fbg: f64, previous| {
            let v =
                values(json!({"visit_date": "2026-11-20", "sbp": 130, "dbp": 80, "fbg": fbg, "emergency": ["1"], "adverse_reaction": "1"}));
            propose(Program::Diabetes, &v, 60, previous, &ProgramConfig::default()).unwrap()
        };
        assert_eq!(dm(6.9, None).classification.as_deref(), Some("1"));
        assert_eq!((dm(7.0, None).classification, dm(7.0, None).next_step), (Some("2".into()), Some("2".into())));
        assert_eq!(dm(7.8, Some("2")).next_step.as_deref(), Some("3"), "D3: two uncontrolled visits in a row");
        assert!(dm(16.7, None).urgent && dm(3.9, None).urgent && !dm(4.0, None).urgent);
    }

    #[test]
    fn mental_class_and_next_date() {
        let cfg = ProgramConfig::default();
        let mental = |v: Value| propose(Program::SevereMental, &values(v), 40, None, &cfg).unwrap();
        let good = json!({"visit_date": "2026-11-20", "risk": "0", "insight": "1", "social_self_care": "1", "adverse_reaction": "1"});
        let p = mental(good.clone());
        assert_eq!((p.classification.as_deref(), p.next_date, p.urgent), (Some("3"), d("2027-02-20"), false), "stable: 3 months");
        let mut risk2 = good.clone();
        risk2["risk"] = json!("2");
        let p = mental(risk2);
        assert_eq!((p.classification.as_deref(), p.next_date), (Some("2"), d("2026-12-04")), "risk 1–2 is basically stable: 2 weeks");
        let mut no_insight = good.clone();
        no_insight["insight"] = json!("3");
        assert_eq!(mental(no_insight).classification.as_deref(), Some("2"), "risk 0 but insight absent is not stable");
        let mut risk4 = good;
        risk4["risk"] = json!("4");
        let p = mental(risk4);
        assert_eq!((p.classification.as_deref(), p.urgent, p.next_date), (Some("1"), true, d("2026-12-04")), "risk 3–5: unstable, refer");
        let strict = ProgramConfig { mental_unstable_days: 7, ..ProgramConfig::default() };
        let v = values(json!({"visit_date": "2026-11-20", "risk": "5"}));
        assert_eq!(propose(Program::SevereMental, &v, 40, None, &strict).unwrap().next_date, d("2026-11-27"), "the 2018 norm: weekly");
    }

    #[test]
    fn tb_next_visit_follows_supervision_and_phase() {
        let cfg = ProgramConfig::default();
        let tb = |v: Value| propose(Program::Tuberculosis, &values(v), 40, None, &cfg).unwrap();
        let p = tb(json!({"visit_date": "2026-11-20", "treatment_month": 1, "supervisor": "2", "adverse_reaction": "1"}));
        assert_eq!(p.next_date, d("2026-11-30"), "family supervision, intensive phase: every 10 days");
        let p = tb(json!({"visit_date": "2026-11-20", "treatment_month": 3, "supervisor": "2"}));
        assert_eq!(p.next_date, d("2026-12-20"), "continuation phase: monthly");
        let p = tb(json!({"visit_date": "2026-11-20", "treatment_month": 1, "supervisor": "1"}));
        assert_eq!(p.next_date, d("2026-12-20"), "health-worker supervision: monthly");
        let p = tb(json!({"visit_date": "2026-11-20", "treatment_month": 1, "supervisor": "2", "complication": "2"}));
        assert_eq!((p.next_date, p.urgent), (d("2026-12-04"), true), "refer and follow up within 2 weeks");
    }

    #[test]
    fn no_proposal_without_the_readings() {
        let v = values(json!({"visit_date": "2026-11-20"}));
        assert_eq!(propose(Program::Hypertension, &v, 60, None, &ProgramConfig::default()), None);
    }
}
