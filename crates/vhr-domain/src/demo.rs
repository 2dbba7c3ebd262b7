//! A demo clinic's residents: synthetic, realistic and reproducible.
//!
//! Households of one to six people with Chinese names drawn by surname
//! frequency, valid ID numbers, a rural age structure (many elderly, few young
//! adults), and key populations in plausible proportions (hypertension about a
//! quarter of those 35 and over, diabetes under a tenth). The same seed always
//! gives the same people; nothing here is a real person.

use chrono::{Datelike, Duration, NaiveDate};
use serde_json::{json, Value};

use crate::clinic::ClinicProfile;
use crate::forms::FormValues;
use crate::id_card;
use crate::resident::{IdDocument, ResidenceType, ResidentInput, Sex};

/// A small deterministic generator (SplitMix64); good enough for demo data.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// Picks from `(item, weight)` pairs.
    pub fn weighted<'a, T>(&mut self, items: &'a [(T, u32)]) -> &'a T {
        let total: u32 = items.iter().map(|(_, w)| w).sum();
        let mut x = self.below(u64::from(total)) as u32;
        for (item, w) in items {
            if x < *w {
                return item;
            }
            x -= w;
        }
        &items[items.len() - 1].0
    }
}

/// Common surnames with rough relative frequencies.
const SURNAMES: &[(&str, u32)] = &[
    ("王", 72),
    ("李", 71),
    ("张", 69),
    ("刘", 55),
    ("陈", 46),
    ("杨", 32),
    ("黄", 24),
    ("赵", 20),
    ("吴", 20),
    ("周", 19),
    ("徐", 15),
    ("孙", 14),
    ("马", 13),
    ("朱", 13),
    ("胡", 12),
    ("郭", 11),
    ("何", 10),
    ("林", 9),
    ("罗", 9),
    ("高", 9),
    ("梁", 7),
    ("郑", 7),
    ("谢", 6),
    ("宋", 6),
    ("唐", 6),
    ("韦", 5),
    ("覃", 3),
    ("蒙", 2),
    ("曾", 4),
    ("单", 1),
    ("解", 1),
    ("区", 1),
    ("欧阳", 1),
];
const MALE_GIVEN: &[&str] = &[
    "伟", "强", "磊", "军", "勇", "杰", "涛", "明", "超", "刚", "平", "辉", "建国", "建华", "国强", "志强", "文华", "海军", "德明", "永福",
    "金生", "春生", "家乐", "子轩", "浩然", "宇航", "俊杰", "明轩", "德胜", "有才",
];
const FEMALE_GIVEN: &[&str] = &[
    "芳", "娟", "敏", "静", "丽", "艳", "霞", "燕", "秀英", "桂英", "秀兰", "玉兰", "凤英", "淑珍", "美华", "春梅", "海燕", "晓红", "丽娟",
    "梓涵", "欣怡", "诗涵", "雨桐", "可馨", "佳怡", "金凤", "月娥", "翠花", "素珍", "彩霞",
];
const CHILD_GIVEN: &[&str] = &["子涵", "梓轩", "一诺", "浩宇", "欣妍", "思彤", "沐阳", "若曦", "锦程", "依依", "宇泽", "语桐"];
const WORK: &[&str] = &["务农", "务农", "务农", "个体经营", "外出务工", "村委会", "镇中学", "退休", "无业", "建筑队"];

/// One generated household: its members with their relation to the head.
#[derive(Debug, Clone)]
pub struct DemoHousehold {
    pub address: String,
    pub members: Vec<DemoMember>,
}

#[derive(Debug, Clone)]
pub struct DemoMember {
    pub input: ResidentInput,
    pub relation: String,
    pub is_head: bool,
}

/// Generates households until about `residents` people exist.
pub fn households(clinic: &ClinicProfile, residents: usize, seed: u64, today: NaiveDate) -> Vec<DemoHousehold> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::new();
    let mut count = 0usize;
    // The 3-digit sequence is unique per birth date and sex, as a real
    // registration office would issue it; odd for men, even for women.
    let mut sequences: std::collections::HashMap<(NaiveDate, bool), u16> = std::collections::HashMap::new();
    let mut house_no = 0u32;
    while count < residents {
        let village = rng.pick(&clinic.villages).clone();
        house_no += 1;
        let address = format!("{}{}{}组{}号", clinic.township_name, village.name, 1 + house_no % 9, house_no);
        let surname = *rng.weighted(SURNAMES);
        let head_age = 28 + rng.below(55) as i64;
        let mut plan: Vec<(&str, bool, i64, bool)> = vec![("户主", true, head_age, true)];
        if rng.chance(0.85) {
            plan.push(("配偶", false, (head_age + rng.below(7) as i64 - 3).max(20), false));
        }
        let kids = if head_age < 60 { rng.below(3) } else { rng.below(2) };
        for _ in 0..kids {
            let age = (head_age - 22 - rng.below(12) as i64).max(0);
            let son = rng.chance(0.52);
            plan.push((if son { "子" } else { "女" }, son, age, true));
        }
        if head_age < 50 && rng.chance(0.35) {
            plan.push(("父母", rng.chance(0.45), head_age + 24 + rng.below(8) as i64, true));
        }
        if head_age > 50 && rng.chance(0.3) {
            let son = rng.chance(0.5);
            plan.push((if son { "孙子" } else { "孙女" }, son, rng.below(7) as i64, true));
        }
        let mut members = Vec::new();
        for (relation, male, age, same_surname) in plan {
            if count >= residents {
                break;
            }
            let sex = if relation == "配偶" {
                if rng.chance(0.9) {
                    Sex::Female
                } else {
                    Sex::Male
                }
            } else if male {
                Sex::Male
            } else {
                Sex::Female
            };
            let family = if same_surname { surname.to_string() } else { rng.weighted(SURNAMES).to_string() };
            let given = if age < 12 {
                *rng.pick(CHILD_GIVEN)
            } else if sex == Sex::Male {
                *rng.pick(MALE_GIVEN)
            } else {
                *rng.pick(FEMALE_GIVEN)
            };
            let birth = today - Duration::days(age * 365 + rng.below(365) as i64 + 1);
            let is_male = sex == Sex::Male;
            let next = sequences.entry((birth, is_male)).or_insert_with(|| rng.below(100) as u16);
            *next += 1;
            let seq = (*next % 500) * 2 + u16::from(is_male);
            let id_document = if age == 0 && rng.chance(0.5) {
                IdDocument::None
            } else {
                IdDocument::CitizenId { number: id_card::compose(&clinic.county_code, birth, seq), original_15: None }
            };
            let registered = rng.chance(0.95);
            let input = ResidentInput {
                name: format!("{family}{given}"),
                sex: Some(sex),
                birth_date: Some(birth),
                id_document,
                phone: if age >= 16 { format!("1{}{:09}", rng.pick(&[3, 5, 8, 9]), rng.below(1_000_000_000)) } else { String::new() },
                residence_type: if registered { ResidenceType::Registered } else { ResidenceType::NotRegistered },
                residence_since: if registered { None } else { Some(today - Duration::days(200 + rng.below(3000) as i64)) },
                village_code: village.code.clone(),
                current_address: address.clone(),
                hukou_address: if registered { address.clone() } else { "外省".to_string() },
                responsible_doctor: "李春华".to_string(),
                created_on: Some(today - Duration::days(rng.below(2000) as i64)).map(|d| if d < birth { birth } else { d }),
                basic_info: if age < 7 { FormValues::new() } else { basic_info(&mut rng, age, sex, birth, today) },
            };
            members.push(DemoMember { input, relation: relation.to_string(), is_head: relation == "户主" });
            count += 1;
        }
        out.push(DemoHousehold { address, members });
    }
    out
}

fn year_month(rng: &mut Rng, birth: NaiveDate, today: NaiveDate) -> String {
    let from = (birth.year() + 30).min(today.year());
    let year = from + rng.below((today.year() - from + 1) as u64) as i32;
    let month = if year == today.year() { 1 + rng.below(u64::from(today.month())) as u32 } else { 1 + rng.below(12) as u32 };
    format!("{year}-{month:02}")
}

fn basic_info(rng: &mut Rng, age: i64, sex: Sex, birth: NaiveDate, today: NaiveDate) -> FormValues {
    let mut past = Vec::new();
    if age >= 35 {
        let p_htn = if age >= 65 {
            0.45
        } else if age >= 50 {
            0.28
        } else {
            0.1
        };
        if rng.chance(p_htn) {
            past.push(json!({"code": "2", "date": year_month(rng, birth, today)}));
        }
        if rng.chance(if age >= 60 { 0.14 } else { 0.06 }) {
            past.push(json!({"code": "3", "date": year_month(rng, birth, today)}));
        }
        if age >= 55 && rng.chance(0.05) {
            past.push(json!({"code": "4", "date": year_month(rng, birth, today)}));
        }
        if age >= 60 && rng.chance(0.03) {
            past.push(json!({"code": "7", "date": year_month(rng, birth, today)}));
        }
    }
    if age >= 15 && rng.chance(0.006) {
        past.push(json!({"code": "8", "date": year_month(rng, birth, today)}));
    }
    if past.is_empty() {
        past.push(json!({"code": "1"}));
    }
    let none = || json!(["1"]);
    let mut v = json!({
        "work_unit": if age >= 65 { "务农（已不劳动）" } else { *rng.pick(WORK) },
        "ethnicity": *rng.weighted(&[("01", 90), ("08", 6), ("07", 2), ("12", 2)]),
        "blood_abo": *rng.weighted(&[("1", 28), ("2", 24), ("3", 30), ("4", 8), ("5", 10)]),
        "blood_rh": *rng.weighted(&[("2", 80), ("1", 1), ("3", 19)]),
        "education": if age >= 65 { *rng.weighted(&[("9", 40), ("8", 45), ("7", 15)]) } else { *rng.weighted(&[("8", 20), ("7", 45), ("6", 18), ("4", 7), ("3", 6), ("2", 4)]) },
        "occupation": if age >= 70 { "8" } else { *rng.weighted(&[("4", 70), ("3", 12), ("5", 8), ("7", 6), ("8", 4)]) },
        "marital": if age < 22 { "1" } else if age > 70 && rng.chance(0.3) { "3" } else { *rng.weighted(&[("2", 90), ("1", 5), ("4", 5)]) },
        "payment": ["3"],
        "drug_allergy": if rng.chance(0.06) { json!(["2"]) } else { none() },
        "exposure": none(),
        "past_diseases": past,
        "surgery": "1",
        "trauma": "1",
        "transfusion": "1",
        "family_father": if rng.chance(0.2) { json!(["2"]) } else { none() },
        "family_mother": if rng.chance(0.15) { json!(["2", "3"]) } else { none() },
        "family_siblings": none(),
        "family_children": none(),
        "genetic": "1",
        "disability": if age >= 70 && rng.chance(0.08) { json!(["5"]) } else { json!(["1"]) },
        "kitchen_exhaust": *rng.weighted(&[("2", 40), ("3", 20), ("4", 30), ("1", 10)]),
        "fuel": *rng.weighted(&[("1", 45), ("3", 10), ("5", 35), ("4", 5), ("2", 5)]),
        "water": *rng.weighted(&[("1", 75), ("3", 20), ("2", 5)]),
        "toilet": *rng.weighted(&[("1", 60), ("2", 30), ("5", 10)]),
        "livestock": *rng.weighted(&[("1", 50), ("2", 40), ("4", 10)]),
    });
    if age >= 40 && rng.chance(0.08) {
        v["surgery"] = json!("2");
        v["surgery_rows"] =
            json!([{"name": if sex == Sex::Female { "剖宫产术" } else { "阑尾切除术" }, "date": year_month(rng, birth, today)}]);
    }
    match v {
        Value::Object(map) => map,
        _ => unreachable!("a JSON object literal"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clinic::{SerialBlock, Village};
    use crate::id_card;

    fn clinic() -> ClinicProfile {
        ClinicProfile {
            institution_name: "演示村卫生室".into(),
            institution_phone: String::new(),
            county_code: "450102".into(),
            division_code_year: 2024,
            township_code: "101".into(),
            township_name: "青山镇".into(),
            villages: vec![Village { code: "101".into(), name: "石桥村".into() }, Village { code: "102".into(), name: "河口村".into() }],
            serial_block: SerialBlock { start: 1, end: 99_999 },
        }
    }

    #[test]
    fn follow_up_histories_are_plausible() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 21).unwrap();
        let people: Vec<_> = households(&clinic(), 3000, 5, today).into_iter().flat_map(|h| h.members).collect();
        let mut patients = 0;
        let mut visits = 0;
        let mut uncontrolled = 0;
        for (i, m) in people.iter().enumerate() {
            let f: Vec<DemoService> = followups(&m.input, today, i as u64).into_iter().filter(|s| s.form_id != "health_exam").collect();
            if !f.is_empty() {
                patients += 1;
            }
            visits += f.len();
            uncontrolled += f.iter().filter(|s| s.values["classification"] == "2").count();
            for s in &f {
                assert!(s.values["visit_date"].as_str().unwrap() <= "2026-11-21", "no visit in the future");
            }
        }
        assert!(patients > 300, "hundreds of chronic patients among 3000 residents: {patients}");
        let per_patient = visits as f64 / patients as f64;
        assert!((2.0..=6.0).contains(&per_patient), "about four visits a year each: {per_patient:.1}");
        assert!(
            uncontrolled * 10 > visits && uncontrolled * 2 < visits,
            "some but not most visits uncontrolled: {uncontrolled} of {visits}"
        );
    }

    #[test]
    fn same_seed_same_people() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 21).unwrap();
        let a = households(&clinic(), 50, 7, today);
        let b = households(&clinic(), 50, 7, today);
        let names = |h: &[DemoHousehold]| h.iter().flat_map(|h| h.members.iter().map(|m| m.input.name.clone())).collect::<Vec<_>>();
        assert_eq!(names(&a), names(&b));
        assert_eq!(names(&a).len(), 50);
    }

    #[test]
    fn every_id_number_is_valid_unique_and_matches_the_person() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 21).unwrap();
        let mut seen = std::collections::HashSet::new();
        for h in households(&clinic(), 20_000, 11, today) {
            assert_eq!(h.members.iter().filter(|m| m.is_head).count(), 1, "one head per household");
            for m in h.members {
                if let IdDocument::CitizenId { number, .. } = &m.input.id_document {
                    let id = id_card::parse(number, today).expect("demo ID numbers are valid");
                    assert!(seen.insert(number.clone()), "{number} issued twice");
                    assert_eq!(Some(id.sex), m.input.sex);
                    assert_eq!(Some(id.birth_date), m.input.birth_date);
                }
            }
        }
    }
}

/// A filled-in form of the demo clinic.
#[derive(Debug, Clone)]
pub struct DemoService {
    pub form_id: String,
    pub values: FormValues,
}

/// The follow-up history of a demo resident over the last year: most patients
/// come on time, some stopped coming (overdue now), some stay uncontrolled.
/// Classification, next step and next date follow the same proposals a doctor sees.
pub fn followups(input: &ResidentInput, today: NaiveDate, seed: u64) -> Vec<DemoService> {
    use crate::population::Diagnoses;
    use crate::programs::{propose, Program, ProgramConfig};
    use crate::resident::age_on;

    let Some(birth) = input.birth_date else { return vec![] };
    let age = age_on(birth, today);
    if age < crate::population::CHRONIC_FROM {
        return vec![];
    }
    let dx = Diagnoses::from_basic_info(&input.basic_info);
    let mut rng = Rng::new(seed);
    let cfg = ProgramConfig::default();
    let mut out = Vec::new();
    // Most elderly residents had this year's check; the others had last year's.
    if age >= crate::population::ELDERLY_FROM {
        let this_year = rng.chance(0.7);
        let day_of_year = 30 + rng.below(u64::from(today.ordinal().saturating_sub(30).max(1))) as i64;
        let date = if this_year {
            NaiveDate::from_ymd_opt(today.year(), 1, 1).expect("1 January")
                + Duration::days(day_of_year.min(i64::from(today.ordinal()) - 1))
        } else {
            NaiveDate::from_ymd_opt(today.year() - 1, 3, 1).expect("1 March") + Duration::days(rng.below(250) as i64)
        };
        let values = serde_json::json!({
            "exam_date": date.to_string(), "doctor": "李春华", "symptoms": ["1"], "evaluation": "1",
            "health_self": *rng.weighted(&[("1", 30), ("2", 50), ("3", 15), ("4", 5)]),
            "self_care": *rng.weighted(&[("1", 80), ("2", 15), ("3", 5)]), "cognition": "1", "mood": "1",
            "bp_left_sbp": 120 + rng.below(35), "bp_left_dbp": 70 + rng.below(20),
            "height": if input.sex == Some(crate::resident::Sex::Male) { 165 } else { 155 }, "weight": 50 + rng.below(25),
        });
        if let Value::Object(values) = values {
            out.push(DemoService { form_id: "health_exam".into(), values });
        }
    }
    for (program, has) in [(Program::Hypertension, dx.hypertension), (Program::Diabetes, dx.diabetes)] {
        if !has {
            continue;
        }
        // 0: comes on time; 1: stopped coming; 2: stays uncontrolled.
        let profile = *rng.weighted(&[(0u8, 60), (1, 25), (2, 15)]);
        let stop_after = if profile == 1 { 1 + rng.below(3) } else { u64::MAX };
        let (mut sbp_base, mut fbg_base) = if profile == 2 { (156.0, 9.2) } else { (128.0, 6.1) };
        let height = if input.sex == Some(crate::resident::Sex::Male) { 160 + rng.below(15) } else { 150 + rng.below(12) } as f64;
        let weight = (height - 105.0 + rng.below(20) as f64 - 6.0).max(40.0);
        let mut date = today - Duration::days(330 + rng.below(60) as i64);
        let mut previous: Option<String> = None;
        let mut n = 0u64;
        while date <= today && n < stop_after {
            let sbp = (sbp_base + rng.below(24) as f64 - 12.0).round();
            let dbp = (sbp * 0.6 + rng.below(10) as f64).round();
            let mut v = serde_json::json!({
                "visit_date": date.to_string(), "method": *rng.weighted(&[("1", 70), ("2", 25), ("3", 5)]),
                "symptoms": if sbp >= 150.0 { serde_json::json!(["2"]) } else { serde_json::json!(["1"]) }, "emergency": ["1"],
                "sbp": sbp, "dbp": dbp, "weight": weight, "height": height, "heart_rate": 62 + rng.below(24),
                "smoking_now": 0, "drinking_now": 0, "exercise_times_now": rng.below(7), "exercise_minutes_now": 30,
                "adherence": *rng.weighted(&[("1", 75), ("2", 20), ("3", 5)]), "adverse_reaction": "1", "doctor": "李春华",
                "drugs": [{"name": if program == Program::Hypertension { "硝苯地平缓释片" } else { "二甲双胍" }, "times": 2, "dose": if program == Program::Hypertension { "10mg" } else { "0.5g" }}],
            });
            if program == Program::Diabetes {
                v["fbg"] = serde_json::json!(((fbg_base + rng.below(30) as f64 / 10.0 - 1.5) * 10.0_f64).round() / 10.0);
                v["pedis_pulse"] = serde_json::json!("1");
                v["hypoglycemia"] = serde_json::json!("1");
                v["staple_now"] = serde_json::json!(300);
            }
            let mut values = match v {
                Value::Object(m) => m,
                _ => unreachable!("a JSON object literal"),
            };
            let Some(p) = propose(program, &values, age, previous.as_deref(), &cfg) else { break };
            let class = p.classification.clone().unwrap_or_default();
            let step = p.next_step.clone().unwrap_or_default();
            values.insert("classification".into(), Value::String(class.clone()));
            values.insert("next_step".into(), Value::String(step.clone()));
            values.insert("next_date".into(), Value::String(p.next_date.to_string()));
            previous = Some(class);
            // A referral or a changed prescription brings the readings down.
            if step != "1" {
                sbp_base = (sbp_base - 8.0_f64).max(126.0);
                fbg_base = (fbg_base - 0.8_f64).max(6.0);
            }
            out.push(DemoService { form_id: program.followup_form().to_string(), values });
            n += 1;
            // People come a little early or late.
            date = p.next_date + Duration::days(rng.below(8) as i64 - 3);
        }
    }
    out
}
