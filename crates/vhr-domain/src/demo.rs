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
            let f: Vec<DemoService> = followups(&m.input, today, i as u64)
                .into_iter()
                .filter(|s| matches!(s.form_id.as_str(), "hypertension_followup" | "diabetes_followup"))
                .collect();
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
    followups_over(input, today, seed, 1)
}

/// The same histories reaching `years` back: the elderly's annual checks and
/// the chronic follow-ups of every year since (never before the record was
/// created), for benchmarks at a million service records.
pub fn followups_over(input: &ResidentInput, today: NaiveDate, seed: u64, years: u32) -> Vec<DemoService> {
    use crate::population::Diagnoses;
    use crate::programs::{propose, Program, ProgramConfig};
    use crate::resident::age_on;

    let Some(birth) = input.birth_date else { return vec![] };
    let age = age_on(birth, today);
    let dx = Diagnoses::from_basic_info(&input.basic_info);
    let mut rng = Rng::new(seed);
    let cfg = ProgramConfig::default();
    let mut out = Vec::new();
    let created_on = input.created_on.unwrap_or(birth);
    if age < crate::population::CHILD_UNTIL {
        out.extend(child_checks(birth, created_on, today, &mut rng, &cfg));
    }
    let female = input.sex == Some(crate::resident::Sex::Female);
    if female && (20..=38).contains(&age) && rng.chance(0.05) {
        out.extend(pregnancy(today, &mut rng, &cfg));
    }
    if dx.severe_mental {
        let registered = created_on.max(today - Duration::days(360 + rng.below(120) as i64));
        out.extend(mental_followups(registered, today, &mut rng, &cfg));
    }
    if age >= 15 && rng.chance(0.002) {
        out.extend(tb_course(today, &mut rng, &cfg));
    }
    if age < crate::population::CHRONIC_FROM {
        return out;
    }
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
        // Deeper histories: one check in each earlier year in which the resident was 65 or over, oldest first.
        let earlier: Vec<NaiveDate> = (1..i64::from(years))
            .map(|k| date - Duration::days(365 * k + rng.below(40) as i64))
            .take_while(|d| age_on(birth, *d) >= crate::population::ELDERLY_FROM)
            .collect();
        for day in earlier.into_iter().rev().chain([date]) {
            out.push(service("health_exam", values.clone()));
            if let Some(last) = out.last_mut() {
                last.values.insert("exam_date".into(), json!(day.to_string()));
            }
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
        let span = 365 * i64::from(years.max(1)) - 35;
        let earliest = birth + Duration::days(365 * 35);
        let mut date = (today - Duration::days(span + rng.below(60) as i64)).max(earliest);
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
            if step == "3" || step == "4" {
                values.insert("referral_reason".into(), json!("血压、血糖控制不满意"));
                values.insert("referral_to".into(), json!("青山镇卫生院 内科"));
            }
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

fn service(form_id: &str, v: Value) -> DemoService {
    match v {
        Value::Object(values) => DemoService { form_id: form_id.into(), values },
        _ => unreachable!("a JSON object literal"),
    }
}

/// The child checks due so far, most on time, some missed (§7.1).
fn child_checks(
    birth: NaiveDate,
    created_on: NaiveDate,
    today: NaiveDate,
    rng: &mut Rng,
    cfg: &crate::programs::ProgramConfig,
) -> Vec<DemoService> {
    use crate::programs::{plan, Enrolment, Program};
    let enrolment = Enrolment { eligible_from: birth, enrolled_on: created_on, until: birth.checked_add_months(chrono::Months::new(84)) };
    let mut out = Vec::new();
    for v in plan(Program::Child, &enrolment, birth, None, &[], cfg) {
        if v.due_on > today || rng.chance(0.12) {
            continue;
        }
        let span = (v.window_end - v.due_on).num_days().max(1) as u64;
        let date = (v.due_on + Duration::days(rng.below(span.min(20)) as i64)).min(today);
        let months = (date - birth).num_days() as f64 / 30.4;
        let weight = ((3.3 + months * 0.45).min(8.0 + months * 0.18) * 10.0).round() / 10.0;
        let length = (50.0 + months * 2.2).min(75.0 + months * 0.75).round();
        let mut values = json!({
            "visit_date": date.to_string(), "weight": weight, "weight_eval": "2", "length": length, "length_eval": "2",
            "complexion": "1", "skin": "1", "fontanelle": if months < 15.0 { "1" } else { "2" }, "neck_mass": "1", "eyes": "1", "ears": "1",
            "heart_lung": "1", "abdomen": "1", "limbs": "1", "genitals": "1", "gait": "1", "development": "1", "growth_eval": "1",
            "illness": ["1"], "referral": "1", "guidance": ["1", "2"], "doctor": "李春华", "hearing": "1", "vision": "1",
            "hb": 105 + rng.below(30),
            "next_date": (date + Duration::days(90)).to_string(),
        });
        if let Some(code) = &v.visit {
            values["visit_age"] = json!(code);
        }
        if v.form_id == "newborn_visit" {
            values = json!({
                "mother_name": "王秀英", "gestational_weeks": 38 + rng.below(3), "maternal_illness": ["1"], "birth_mode": ["1"], "asphyxia": "1",
                "malformation": "1", "hearing_screen": "1", "disease_screen": ["2"], "birth_weight": 3.1, "weight": 3.2, "birth_length": 50,
                "feeding": *rng.weighted(&[("1", 70), ("2", 25), ("3", 5)]), "vomiting": "1", "stool": "1", "temperature": 36.8,
                "complexion": "1", "jaundice": ["1"], "fontanelle": "1", "eyes": "1", "limbs": "1", "ears": "1", "neck_mass": "1", "nose": "1",
                "skin": "1", "mouth": "1", "anus": "1", "heart_lung": "1", "genitals": "1", "abdomen": "1", "spine": "1", "umbilicus": "1",
                "referral": "1", "guidance": ["1"], "visit_date": date.to_string(), "next_date": (birth + Duration::days(28)).to_string(), "doctor": "李春华",
            });
        }
        out.push(service(&v.form_id, values));
    }
    out
}

/// A pregnancy: registered before week 13, prenatal visits so far, and if
/// delivered, the postpartum visit and the 42-day check (§7.2).
fn pregnancy(today: NaiveDate, rng: &mut Rng, cfg: &crate::programs::ProgramConfig) -> Vec<DemoService> {
    use crate::programs::{plan, Enrolment, Episode, Program};
    let lmp = today - Duration::days(60 + rng.below(300) as i64);
    let first = (lmp + Duration::weeks(8 + rng.below(4) as i64)).min(today);
    let delivery = lmp + Duration::days(266 + rng.below(20) as i64);
    let delivered = delivery + Duration::days(2) <= today;
    let mut details = serde_json::Map::new();
    details.insert("lmp".into(), json!(lmp.to_string()));
    let mut episode = Episode {
        id: String::new(),
        program: Program::Maternal,
        started_on: first,
        details,
        ended_on: None,
        end_reason: None,
        end_note: None,
    };
    let enrolment = Enrolment { eligible_from: first, enrolled_on: first, until: None };
    let bp = |rng: &mut Rng| (105 + rng.below(20), 65 + rng.below(15));
    let mut out = Vec::new();
    let (sbp, dbp) = bp(rng);
    out.push(service(
        "prenatal_first",
        json!({
            "visit_date": first.to_string(), "gestational_week": (first - lmp).num_weeks(), "gravidity": 1 + rng.below(2), "vaginal_births": rng.below(2),
            "caesareans": 0, "lmp": lmp.to_string(), "past_history": ["1"], "family_history": ["1"], "personal_history": ["1"], "gyn_surgery": "1",
            "height": 155 + rng.below(10), "weight": 50 + rng.below(12), "sbp": sbp, "dbp": dbp, "heart": "1", "lungs": "1", "vulva": "1",
            "vagina": "1", "cervix": "1", "uterus": "1", "adnexa": "1", "hb": 115 + rng.below(20), "syphilis": "1", "hiv": "1",
            "assessment": "1", "guidance": ["1", "3"], "referral": "1", "next_date": (lmp + Duration::weeks(16)).to_string(), "doctor": "李春华",
        }),
    ));
    for v in plan(Program::Maternal, &enrolment, first, Some(&episode), &[], cfg) {
        if v.form_id != "prenatal_followup" || v.due_on > today.min(delivery) || rng.chance(0.1) {
            continue;
        }
        let date = (v.due_on + Duration::days(rng.below(10) as i64)).min(today);
        let (sbp, dbp) = bp(rng);
        out.push(service(
            "prenatal_followup",
            json!({
                "visit_date": date.to_string(), "visit_no": v.visit, "gestational_week": (date - lmp).num_weeks(), "weight": 55 + rng.below(12),
                "fundal_height": (date - lmp).num_weeks().min(36), "sbp": sbp, "dbp": dbp, "classification": "1", "guidance": ["2", "4"],
                "referral": "1", "next_date": (date + Duration::weeks(4)).to_string(), "doctor": "李春华",
            }),
        ));
    }
    if !delivered {
        return out;
    }
    let discharge = delivery + Duration::days(2 + rng.below(3) as i64);
    episode.details.insert("delivery_date".into(), json!(delivery.to_string()));
    let visit = (discharge + Duration::days(1 + rng.below(5) as i64)).min(today);
    if visit > discharge {
        let (sbp, dbp) = bp(rng);
        out.push(service(
            "postpartum_visit",
            json!({
                "visit_date": visit.to_string(), "delivery_date": delivery.to_string(), "discharge_date": discharge.to_string(), "temperature": 36.7,
                "general": "良好", "mental": "良好", "sbp": sbp, "dbp": dbp, "breasts": "1", "lochia": "1", "uterus": "1", "wound": "1",
                "classification": "1", "guidance": ["4", "5"], "referral": "1", "next_date": (delivery + Duration::days(42)).to_string(), "doctor": "李春华",
            }),
        ));
    }
    let check = delivery + Duration::days(42 + rng.below(10) as i64);
    if check <= today && rng.chance(0.85) {
        let (sbp, dbp) = bp(rng);
        out.push(service(
            "postpartum_42day",
            json!({
                "visit_date": check.to_string(), "general": "良好", "mental": "良好", "sbp": sbp, "dbp": dbp, "breasts": "1", "lochia": "1",
                "uterus": "1", "wound": "1", "classification": "1", "guidance": ["2", "3"], "handling": "1", "doctor": "李春华",
            }),
        ));
    }
    out
}

/// A registered severe mental disorder: the supplementary form, then
/// follow-ups with the class and next date a doctor would be proposed (§7.6).
fn mental_followups(from: NaiveDate, today: NaiveDate, rng: &mut Rng, cfg: &crate::programs::ProgramConfig) -> Vec<DemoService> {
    use crate::programs::{propose, Program};
    let mut out = vec![service(
        "mental_supplement",
        json!({
            "guardian_name": "李建国", "guardian_relation": "父亲", "guardian_phone": "13907715678", "household_type": "2", "employment": "3",
            "consent": "1", "consent_date": from.to_string(), "onset": format!("{}", (from - Duration::days(2000)).format("%Y-%m")),
            "past_symptoms": ["1", "3"], "past_confinement": "1", "outpatient": "3", "admissions": 1, "diagnosis": "精神分裂症",
            "last_effect": "2", "economy": "2", "fill_date": from.to_string(), "doctor": "李春华",
        }),
    )];
    let mut date = from + Duration::days(7);
    while date <= today {
        let risk = *rng.weighted(&[("0", 75), ("1", 15), ("2", 7), ("3", 3)]);
        let mut values = match json!({
            "visit_date": date.to_string(), "method": *rng.weighted(&[("1", 40), ("2", 55), ("3", 5)]), "risk": risk,
            "symptoms": if risk == "0" { json!([]) } else { json!(["3", "11"]) }, "insight": if risk == "0" { "1" } else { "2" },
            "sleep": "1", "diet": "1", "social_self_care": "1", "social_housework": "2", "social_work": "2", "social_learning": "2",
            "social_interaction": "2", "confinement": "1", "hospital": "1", "adherence": "1", "adverse_reaction": "1", "effect": "2",
            "referral": if risk == "3" { "2" } else { "1" }, "referral_reason": "危险性3级", "referral_to": "市第四人民医院精神科",
            "drugs": [{"name": "利培酮片", "usage": "每日2次，每次1mg"}], "rehab": ["1"], "doctor": "李春华",
        }) {
            Value::Object(m) => m,
            _ => unreachable!("a JSON object literal"),
        };
        let Some(p) = propose(Program::SevereMental, &values, 40, None, cfg) else { break };
        values.insert("classification".into(), json!(p.classification));
        values.insert("next_date".into(), json!(p.next_date.to_string()));
        out.push(DemoService { form_id: "mental_followup".into(), values });
        date = p.next_date + Duration::days(rng.below(6) as i64 - 2);
    }
    out
}

/// A TB patient: the first home visit within 72 hours of the notice,
/// follow-ups by supervision and phase, and the closing assessment after six
/// months of treatment (§7.7).
fn tb_course(today: NaiveDate, rng: &mut Rng, cfg: &crate::programs::ProgramConfig) -> Vec<DemoService> {
    use crate::programs::{propose, Program};
    let notice = today - Duration::days(20 + rng.below(240) as i64);
    let supervisor = *rng.weighted(&[("1", 40), ("2", 60)]);
    let common = |date: NaiveDate, month: i64| {
        json!({
            "visit_date": date.to_string(), "supervisor": supervisor, "symptoms": if month <= 1 { json!(["1"]) } else { json!(["0"]) },
            "regimen": "2HRZE/4HR", "usage": "1", "dosage_form": ["1"], "treatment_month": month, "doctor": "李春华",
        })
    };
    let first = notice + Duration::days(1 + rng.below(2) as i64);
    let mut v = common(first, 1);
    for (k, x) in [
        ("notice_date", json!(notice.to_string())),
        ("method", json!("2")),
        ("patient_type", json!("1")),
        ("sputum", json!("1")),
        ("resistance", json!("2")),
        ("own_room", json!("1")),
        ("ventilation", json!("1")),
        ("pickup_place", json!("县结核病定点医院")),
        ("dosing_card", json!("1")),
        ("dosing_method", json!("1")),
        ("education", json!(["1", "2", "3"])),
    ] {
        v[k] = x;
    }
    let end = notice + Duration::days(183);
    let mut out = Vec::new();
    let mut values = match v {
        Value::Object(m) => m,
        _ => unreachable!("a JSON object literal"),
    };
    let mut date = first;
    let mut form = "tb_first_visit";
    while date <= today.min(end) {
        let Some(p) = propose(Program::Tuberculosis, &values, 40, None, cfg) else { break };
        values.insert("next_date".into(), json!(p.next_date.to_string()));
        out.push(DemoService { form_id: form.into(), values });
        date = p.next_date + Duration::days(rng.below(3) as i64);
        let month = (date - notice).num_days() / 30 + 1;
        values = match common(date, month) {
            Value::Object(mut m) => {
                for (k, x) in [
                    ("method", json!("2")),
                    ("missed_doses", json!(rng.below(3))),
                    ("adverse_reaction", json!("1")),
                    ("complication", json!("1")),
                    ("referral", json!("1")),
                ] {
                    m.insert(k.into(), x);
                }
                m
            }
            _ => unreachable!("a JSON object literal"),
        };
        form = "tb_followup";
    }
    if end <= today {
        out.push(service(
            "tb_closing",
            json!({
                "stop_date": end.to_string(), "stop_reason": "1", "visits_planned": out.len(), "visits_done": out.len(),
                "doses_planned": 180, "doses_taken": 175 + rng.below(6), "doctor": "李春华",
            }),
        ));
    }
    out
}
