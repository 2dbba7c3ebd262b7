//! A clinic on a real SQLite file in a temporary folder, with a fixed clock.

#![allow(dead_code)]

pub mod any;
pub mod peer;
pub mod proxy;

use std::path::Path;

use serde_json::{json, Value};
use vhr_app::{Clinic, Env, FixedClock, Install, RandomIds, RegisterRequest, SetupRequest};
use vhr_domain::clinic::{ClinicProfile, SerialBlock, Village};
use vhr_domain::resident::ResidentInput;

pub const PASSWORD: &str = "correct horse";

pub fn env() -> Env {
    // 10:00 in the clinic (02:00 UTC).
    Env { clock: std::sync::Arc::new(FixedClock::china(2026, 11, 21, 10, 0)), ids: std::sync::Arc::new(RandomIds) }
}

pub fn profile(block: SerialBlock) -> ClinicProfile {
    ClinicProfile {
        institution_name: "青山镇石桥村卫生室".into(),
        institution_phone: "0771-5550123".into(),
        county_code: "450102".into(),
        division_code_year: 2024,
        township_code: "101".into(),
        township_name: "青山镇".into(),
        villages: vec![Village { code: "101".into(), name: "石桥村".into() }, Village { code: "102".into(), name: "河口村".into() }],
        serial_block: block,
    }
}

/// Opens a clinic in `dir`, setting it up on first use and signing in.
pub fn clinic_with_block(dir: &Path, block: SerialBlock) -> Clinic {
    let mut install = Install::at(dir, env()).expect("opens");
    if !install.is_set_up().unwrap() {
        install
            .setup(SetupRequest {
                profile: profile(block),
                username: "li".into(),
                display_name: "李春华".into(),
                password: PASSWORD.into(),
                phone: String::new(),
            })
            .expect("sets up")
    } else {
        install.sign_in("li", PASSWORD).expect("signs in")
    }
}

pub fn clinic(dir: &Path) -> Clinic {
    clinic_with_block(dir, SerialBlock { start: 1, end: 99_999 })
}

/// A complete personal basic information form for an adult.
pub fn basic_info() -> Value {
    json!({
        "work_unit": "务农", "ethnicity": "01", "blood_abo": "3", "blood_rh": "2", "education": "7", "occupation": "4",
        "marital": "2", "payment": ["3"], "drug_allergy": ["1"], "exposure": ["1"], "past_diseases": [{"code": "1"}],
        "surgery": "1", "trauma": "1", "transfusion": "1", "family_father": ["1"], "family_mother": ["1"],
        "family_siblings": ["1"], "family_children": ["1"], "genetic": "1", "disability": ["1"],
        "kitchen_exhaust": "4", "fuel": "5", "water": "1", "toilet": "1", "livestock": "2"
    })
}

pub fn input(name: &str, id_number: &str) -> ResidentInput {
    serde_json::from_value(json!({
        "name": name,
        "id_document": {"kind": "citizen_id", "number": id_number},
        "phone": "13800138000",
        "residence_type": "1",
        "village_code": "101",
        "current_address": "石桥村3组12号",
        "responsible_doctor": "李春华",
        "basic_info": basic_info(),
    }))
    .expect("a valid input shape")
}

pub fn register(c: &mut Clinic, name: &str, id_number: &str) -> vhr_app::Saved {
    c.register(RegisterRequest { resident: input(name, id_number), household: None, confirm: false }).expect("registers")
}

/// Opens an existing clinic in `dir` on another day, signed in.
pub fn clinic_on(dir: &Path, day: chrono::NaiveDate) -> Clinic {
    let env = Env { clock: std::sync::Arc::new(FixedClock::china_on(day)), ids: std::sync::Arc::new(RandomIds) };
    Install::at(dir, env).expect("opens").sign_in("li", PASSWORD).expect("signs in")
}

/// Signs `li` in again on the folder's clinic (after the one before was dropped).
pub fn reopen(dir: &Path) -> Clinic {
    Install::at(dir, env()).expect("opens").sign_in("li", PASSWORD).expect("signs in")
}

/// Adds 王医生 (`wang`, password `wang-password`), a village doctor keeping
/// 石桥村 (101).
pub fn add_village_doctor_wang(admin: &mut Clinic) {
    admin
        .add_user(vhr_app::NewUserRequest {
            username: "wang".into(),
            display_name: "王医生".into(),
            password: "wang-password".into(),
            role: "doctor".into(),
            phone: String::new(),
            villages: vec!["101".into()],
        })
        .expect("an administrator adds a village doctor");
}

/// Signs 王医生 in on the folder's clinic.
pub fn wang(dir: &Path) -> Clinic {
    Install::at(dir, env()).expect("opens").sign_in("wang", "wang-password").expect("wang signs in")
}
