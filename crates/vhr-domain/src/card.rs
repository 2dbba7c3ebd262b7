//! The resident health record information card (居民健康档案信息卡, §8):
//! what its front and back say, taken from the record so the two always agree.
//!
//! The chronic-condition tick boxes are derived (C2) from the past history
//! (§5.2.8) and the latest examination's current health problems (§6.7).

use serde::Serialize;
use serde_json::Value;
use ts_rs::TS;

use crate::clinic::ClinicProfile;
use crate::forms::FormValues;
use crate::resident::{ResidentInput, Sex};

/// The tick boxes of 慢性病患病情况, in the card's order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, TS)]
pub struct ChronicTicks {
    pub none: bool,
    pub hypertension: bool,
    pub diabetes: bool,
    pub stroke: bool,
    pub coronary: bool,
    pub asthma: bool,
    pub occupational: bool,
    pub other: bool,
    /// What 其他疾病 stands for, in words.
    pub other_text: String,
}

/// Everything printed on one card.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct CardData {
    pub resident_id: String,
    pub name: String,
    /// 男 / 女 / 未知的性别 / 未说明的性别.
    pub sex: String,
    pub birth_date: String,
    /// The full 17 digits (also what the QR code holds).
    pub record_no: String,
    /// A provisional local number: the card says so, and is printed again
    /// once the final number is given.
    pub provisional: bool,
    /// 1 A, 2 B, 3 O, 4 AB (5 unknown ticks nothing).
    pub abo: Option<String>,
    /// 1 Rh negative, 2 Rh positive, 3 unknown.
    pub rh: Option<String>,
    pub chronic: ChronicTicks,
    pub allergies: String,
    pub home_address: String,
    pub home_phone: String,
    pub emergency_contact: String,
    pub emergency_phone: String,
    pub institution: String,
    pub institution_phone: String,
    pub doctor: String,
    pub doctor_phone: String,
    pub notes: String,
}

fn s(values: &FormValues, id: &str) -> Option<String> {
    values.get(id).and_then(Value::as_str).map(str::to_string).filter(|v| !v.is_empty())
}

fn codes(values: &FormValues, id: &str) -> Vec<String> {
    match values.get(id) {
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).map(str::to_string).collect(),
        Some(Value::String(one)) => vec![one.clone()],
        _ => Vec::new(),
    }
}

/// C2: ticks from the past-disease rows and, when there is one, the latest
/// health examination's current problems.
pub fn chronic_ticks(basic_info: &FormValues, exam: Option<&FormValues>) -> ChronicTicks {
    let mut t = ChronicTicks::default();
    let mut others: Vec<String> = Vec::new();
    let rows = basic_info.get("past_diseases").and_then(Value::as_array).cloned().unwrap_or_default();
    for row in &rows {
        let code = row.get("code").and_then(Value::as_str).unwrap_or("");
        // What the form's "text_for" codes (6 tumour, 12 occupational, 13 other) carry on their row.
        let written = row.get("text").and_then(Value::as_str).map(str::trim).filter(|t| !t.is_empty());
        match code {
            "2" => t.hypertension = true,
            "3" => t.diabetes = true,
            "4" => t.coronary = true,
            "7" => t.stroke = true,
            "12" => t.occupational = true,
            "1" | "" => {}
            _ => {
                let name = match code {
                    "5" => "慢性阻塞性肺疾病".to_string(),
                    "6" => written.map_or_else(|| "恶性肿瘤".to_string(), |w| format!("恶性肿瘤（{w}）")),
                    "8" => "严重精神障碍".to_string(),
                    "9" => "结核病".to_string(),
                    "10" => "肝炎".to_string(),
                    "11" => "其他法定传染病".to_string(),
                    _ => written.map_or_else(|| "其他".to_string(), str::to_string),
                };
                // Asthma has no code of its own: written under 其他, it is ticked as asthma.
                if name.contains("哮喘") {
                    t.asthma = true;
                } else if !others.contains(&name) {
                    others.push(name);
                }
            }
        }
    }
    if let Some(exam) = exam {
        for c in codes(exam, "cerebrovascular") {
            match c.as_str() {
                "2" | "3" | "4" => t.stroke = true,
                "5" => others.push("短暂性脑缺血发作".into()),
                _ => {}
            }
        }
        for c in codes(exam, "cardiac") {
            if matches!(c.as_str(), "2" | "3" | "4") {
                t.coronary = true;
            }
        }
        for (field, name) in [("renal", "肾脏疾病"), ("vascular", "血管疾病"), ("eye", "眼部疾病")] {
            if codes(exam, field).iter().any(|c| c != "1") && !others.contains(&name.to_string()) {
                others.push(name.into());
            }
        }
    }
    t.other = !others.is_empty();
    t.other_text = others.join("、");
    t.none = !(t.hypertension || t.diabetes || t.stroke || t.coronary || t.asthma || t.occupational || t.other);
    t
}

/// The allergies line: the drugs ticked on 药物过敏史 and what was written for 其他.
fn allergies(basic_info: &FormValues) -> String {
    let chosen = codes(basic_info, "drug_allergy");
    if chosen.iter().any(|c| c == "1") {
        return "无".into();
    }
    let mut parts: Vec<String> = chosen
        .iter()
        .filter_map(|c| match c.as_str() {
            "2" => Some("青霉素".to_string()),
            "3" => Some("磺胺".to_string()),
            "4" => Some("链霉素".to_string()),
            "5" => s(basic_info, "drug_allergy_text"),
            _ => None,
        })
        .collect();
    parts.dedup();
    parts.join("、")
}

fn sex_label(sex: Option<Sex>) -> &'static str {
    match sex {
        Some(Sex::Male) => "男",
        Some(Sex::Female) => "女",
        Some(Sex::Unknown) => "未知的性别",
        _ => "未说明的性别",
    }
}

/// The card of one resident, from their record, the clinic and (when there is
/// one) their latest health examination.
pub fn card_of(
    resident_id: &str,
    record_no: &str,
    input: &ResidentInput,
    clinic: &ClinicProfile,
    latest_exam: Option<&FormValues>,
) -> CardData {
    let b = &input.basic_info;
    let code_of = |id: &str, unknown: &str| s(b, id).filter(|c| c != unknown);
    CardData {
        resident_id: resident_id.to_string(),
        name: input.name.clone(),
        sex: sex_label(input.sex).into(),
        birth_date: input.birth_date.map(|d| d.to_string()).unwrap_or_default(),
        record_no: record_no.to_string(),
        provisional: crate::serial_blocks::is_provisional(record_no),
        abo: code_of("blood_abo", "5"),
        rh: s(b, "blood_rh"),
        chronic: chronic_ticks(b, latest_exam),
        allergies: allergies(b),
        home_address: input.current_address.clone(),
        home_phone: input.phone.clone(),
        emergency_contact: s(b, "contact_name").unwrap_or_default(),
        emergency_phone: s(b, "contact_phone").unwrap_or_default(),
        institution: clinic.institution_name.clone(),
        institution_phone: clinic.institution_phone.clone(),
        doctor: input.responsible_doctor.clone(),
        doctor_phone: String::new(),
        notes: String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> FormValues {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn c2_ticks_come_from_past_history_and_current_problems() {
        let basic = obj(json!({"past_diseases": [
            {"code": "2", "date": "2015-01"}, {"code": "12", "date": "2010-03"}, {"code": "6", "date": "2020-05"}
        ]}));
        let t = chronic_ticks(&basic, None);
        assert!(t.hypertension && t.occupational && t.other && !t.diabetes && !t.none);
        assert_eq!(t.other_text, "恶性肿瘤");
        let exam = obj(json!({"cerebrovascular": ["2"], "cardiac": ["3"], "renal": ["1"], "eye": ["4"]}));
        let t = chronic_ticks(&basic, Some(&exam));
        assert!(t.stroke && t.coronary, "ischaemic stroke and angina from the examination's current problems");
        assert_eq!(t.other_text, "恶性肿瘤、眼部疾病");
    }

    #[test]
    fn nothing_on_record_ticks_none_and_asthma_is_read_from_the_text() {
        let t = chronic_ticks(&obj(json!({"past_diseases": [{"code": "1"}]})), None);
        assert!(t.none && !t.other);
        let asthma = obj(json!({"past_diseases": [{"code": "13", "date": "2001-01", "text": "支气管哮喘"}]}));
        let t = chronic_ticks(&asthma, None);
        assert!(t.asthma && !t.other && !t.none, "asthma has no code: written under 其他, it is ticked");
    }

    #[test]
    fn allergies_in_words() {
        assert_eq!(allergies(&obj(json!({"drug_allergy": ["1"]}))), "无");
        assert_eq!(allergies(&obj(json!({"drug_allergy": ["2", "5"], "drug_allergy_text": "头孢类"}))), "青霉素、头孢类");
    }
}
