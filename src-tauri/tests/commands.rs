//! The desktop command layer driven with generated bad input (issue #11):
//! the real commands, through Tauri's IPC (its mock runtime), on a real
//! clinic folder. Each request starts from one the window sends and has some
//! of its values replaced by generated ones — any text, any JSON shape — or
//! is replaced whole. Every answer is a value, or an error the window can
//! show: `{code, message}` from a command, or Tauri's own refusal of
//! arguments of the wrong shape (which the window's IPC layer turns into
//! `{code: "ipc"}`). No answer is a panic (`internal`), and a refusal leaves
//! the clinic as it was.
//!
//! A fixed seed and 200 cases in the test command; a longer run:
//! `VHR_PROPTEST_CASES=100000 cargo nextest run -p village-health-desktop --test commands --release`.

#[path = "../../crates/vhr-app/tests/common/any.rs"]
mod any;

use proptest::prelude::*;
use proptest::test_runner::TestRunner;
use serde_json::{json, Value};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{mock_builder, mock_context, noop_assets, MockRuntime, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::WebviewWindow;

const PASSWORD: &str = "correct horse";

/// The window: the app's real command list over a shell on `dir`.
fn window(dir: &std::path::Path) -> (tauri::App<MockRuntime>, WebviewWindow<MockRuntime>) {
    let shell = village_health_desktop::open_shell(dir);
    let app = mock_builder()
        .manage(shell)
        .invoke_handler(village_health_desktop::commands())
        .build(mock_context(noop_assets()))
        .expect("the app builds");
    let webview = tauri::WebviewWindowBuilder::new(&app, "main", Default::default()).build().expect("the window opens");
    (app, webview)
}

/// Calls a command as the window does.
fn invoke(w: &WebviewWindow<MockRuntime>, cmd: &str, args: Value) -> Result<Value, Value> {
    let request = InvokeRequest {
        cmd: cmd.into(),
        callback: CallbackFn(0),
        error: CallbackFn(1),
        url: "tauri://localhost".parse().unwrap(),
        body: InvokeBody::Json(args),
        headers: Default::default(),
        invoke_key: INVOKE_KEY.to_string(),
    };
    tauri::test::get_ipc_response(w, request).map(|b| b.deserialize::<Value>().expect("an answer is JSON"))
}

/// A complete adult resident as the registration form sends it.
fn resident(name: &str, id_number: &str, diseases: Value) -> Value {
    json!({
        "name": name, "id_document": {"kind": "citizen_id", "number": id_number}, "phone": "13800138000",
        "residence_type": "1", "village_code": "101", "current_address": "石桥村3组12号", "responsible_doctor": "李春华",
        "basic_info": {
            "work_unit": "务农", "ethnicity": "01", "blood_abo": "3", "blood_rh": "2", "education": "7", "occupation": "4",
            "marital": "2", "payment": ["3"], "drug_allergy": ["1"], "exposure": ["1"], "past_diseases": diseases,
            "surgery": "1", "trauma": "1", "transfusion": "1", "family_father": ["1"], "family_mother": ["1"],
            "family_siblings": ["1"], "family_children": ["1"], "genetic": "1", "disability": ["1"],
            "kitchen_exhaust": "4", "fuel": "5", "water": "1", "toilet": "1", "livestock": "2"
        }
    })
}

/// Every command that takes what a user typed, with a request the window sends.
fn requests(resident_id: &str, version: i64) -> Vec<(&'static str, Value)> {
    let visit = json!({
        "visit_date": "2026-11-21", "method": "1", "symptoms": ["1"], "emergency": ["1"], "sbp": 150, "dbp": 95,
        "weight": 68, "height": 165, "adherence": "1", "adverse_reaction": "1",
        "classification": "2", "next_step": "2", "next_date": "2026-12-05", "doctor": "李春华"
    });
    vec![
        (
            "register_resident",
            json!({ "req": { "resident": resident("王五", "450102196105100235", json!([{"code": "1"}])), "household": null, "confirm": false } }),
        ),
        (
            "update_resident",
            json!({ "req": { "id": resident_id, "expected_version": version, "resident": resident("张三", "450102195603100110", json!([{"code": "2", "date": "2019-05"}])), "confirm": true } }),
        ),
        ("get_resident", json!({ "key": resident_id })),
        ("search_residents", json!({ "req": { "query": "张", "village": "101", "tag": "hypertension", "limit": 20 } })),
        ("resident_history", json!({ "key": resident_id })),
        ("parse_id_number", json!({ "number": "450102195603100110" })),
        ("create_household", json!({ "villageCode": "101", "address": "石桥村3组12号" })),
        ("list_households", json!({ "village": "101", "query": "石桥" })),
        (
            "add_service",
            json!({ "req": { "resident_id": resident_id, "form_id": "hypertension_followup", "values": visit.clone(), "confirm": true } }),
        ),
        ("propose_followup", json!({ "residentId": resident_id, "formId": "hypertension_followup", "values": visit })),
        ("prefill_form", json!({ "residentId": resident_id, "formId": "hypertension_followup" })),
        ("enrol", json!({ "req": { "resident_id": resident_id, "program": "diabetes", "started_on": "2026-11-01", "details": {} } })),
        ("worklist_page", json!({ "query": { "date": "2026-11-21", "village": "101", "view": "today", "offset": 0, "limit": 100 } })),
        ("set_my_phone", json!({ "phone": "138-7871-2345" })),
        ("add_serial_block", json!({ "req": { "village_code": "101", "start": "50000", "end": "50999", "note": "青卫字〔2026〕12号" } })),
        ("set_card_size", json!({ "size": { "width_mm": 85.6, "height_mm": 53.98 } })),
        ("set_language", json!({ "lang": "zh-CN" })),
        ("keep_draft", json!({ "key": "resident:new", "value": { "name": "张", "phone": "1380013" } })),
        ("get_draft", json!({ "key": "resident:new" })),
        ("forget_draft", json!({ "key": "service:r1:hypertension_followup" })),
        (
            "close_record",
            json!({ "req": { "resident_id": resident_id, "expected_version": version, "on": "2026-11-20", "reason": "lost", "why": "外出务工，联系不上" } }),
        ),
        (
            "reopen_record",
            json!({ "req": { "resident_id": resident_id, "expected_version": version, "on": "2026-11-21", "why": "已返乡" } }),
        ),
        ("merge_preview", json!({ "keep": resident_id, "duplicate": "45010210110100002" })),
        (
            "merge_records",
            json!({ "req": { "keep_id": resident_id, "keep_version": version, "duplicate_id": resident_id, "duplicate_version": version, "confirm": false } }),
        ),
        (
            "transfer_out",
            json!({ "req": { "resident_id": resident_id, "expected_version": version, "on": "2026-11-20",
                "destination_institution": "河湾镇柳树村卫生室", "destination_address": "", "received_by": "", "items": "纸质档案",
                "folder": "/nowhere" } }),
        ),
        (
            "transfer_preview",
            json!({ "path": "/nowhere/健康档案转出-45010210110100001-20261121.vhrtransfer", "code": "7K2M-AAAA-BBBB-CCCC" }),
        ),
        (
            "transfer_in",
            json!({ "req": { "path": "/nowhere/健康档案转出-45010210110100001-20261121.vhrtransfer", "code": "7K2M-AAAA-BBBB-CCCC", "village_code": "101" } }),
        ),
        ("platform_transfers", json!({})),
        ("take_in_from_platform", json!({ "req": { "resident_id": resident_id, "expected_version": version, "village_code": "101" } })),
        ("handover_export", json!({ "folder": "/nowhere" })),
        ("handover_check", json!({ "path": "/nowhere/健康档案交接-450102101-20261121.vhrhandover", "code": null })),
        (
            "handover_import",
            json!({ "req": { "path": "/nowhere/健康档案交接-450102101-20261121.vhrhandover", "code": "7K2M-AAAA-BBBB-CCCC",
                "username": "chen", "display_name": "陈晓燕", "password": "another horse", "phone": "" } }),
        ),
        ("cancel_long_work", json!({})),
        ("restore_preview", json!({ "path": "/nowhere/village-health-20261121-100000.vhrbak" })),
        ("inspect_backup", json!({ "path": "/nowhere/village-health-20261121-100000.vhrbak" })),
        ("restore_backup", json!({ "path": "/nowhere/village-health-20261121-100000.vhrbak" })),
        ("restore_damaged", json!({ "username": "li", "password": "wrong horse", "path": null })),
        (
            "set_platform_setup",
            json!({ "req": {
            "base_url": "http://127.0.0.1:9/fhir", "interval_seconds": 300, "credentials_kind": "none", "token_url": "",
            "client_id": "", "scope": "", "has_secret": false, "secret": null
        } }),
        ),
    ]
}

/// Sets the clinic up through the command the setup screen calls, serving
/// `villages`, with 李春华 (li) as its administrator; the session it answers.
fn set_up(w: &WebviewWindow<MockRuntime>, villages: Value) -> Value {
    let setup = json!({ "req": {
        "profile": {
            "institution_name": "青山镇卫生院石桥村卫生室", "institution_phone": "0771-5550123", "county_code": "450102",
            "division_code_year": 2024, "township_code": "101", "township_name": "青山镇",
            "villages": villages, "serial_block": { "start": 1, "end": 99999 }
        },
        "username": "li", "display_name": "李春华", "password": PASSWORD, "phone": ""
    } });
    invoke(w, "setup", setup).expect("the clinic is set up")
}

/// Where every leaf of a JSON value sits, as a path of keys and indices.
fn leaves(v: &Value, at: Vec<Value>, out: &mut Vec<Vec<Value>>) {
    match v {
        Value::Object(m) if !m.is_empty() => m.iter().for_each(|(k, x)| leaves(x, [at.clone(), vec![json!(k)]].concat(), out)),
        Value::Array(a) if !a.is_empty() => a.iter().enumerate().for_each(|(i, x)| leaves(x, [at.clone(), vec![json!(i)]].concat(), out)),
        _ => out.push(at),
    }
}

fn replace(v: &mut Value, path: &[Value], with: Value) {
    let slot = path.iter().try_fold(v, |v, p| match p {
        Value::String(k) => v.get_mut(k.as_str()),
        Value::Number(i) => v.get_mut(i.as_u64().unwrap_or(0) as usize),
        _ => None,
    });
    if let Some(slot) = slot {
        *slot = with;
    }
}

/// What a refusal must leave as it was: the record's counts and every setting
/// a command here can change.
fn state(w: &WebviewWindow<MockRuntime>) -> Value {
    let read = |cmd: &str, args: Value| invoke(w, cmd, args).expect("reads always answer");
    let session = read("app_state", json!({}));
    json!({
        "overview": read("overview", json!({})),
        "outbox": session["outbox_pending"],
        "user": session["session"]["user"],
        "lang": session["lang"],
        "serials": read("village_serials", json!({})),
        "card_size": read("card_size", json!({})),
        "platform": read("platform_setup", json!({})),
        "households": read("list_households", json!({ "village": null, "query": "" })),
    })
}

#[test]
fn every_command_answers_generated_input_with_a_value_or_an_error_the_window_can_show_and_a_refusal_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (_app, w) = window(dir.path());
    set_up(&w, json!([{ "code": "101", "name": "石桥村" }, { "code": "102", "name": "河口村" }]));
    let zhang = invoke(
        &w,
        "register_resident",
        json!({ "req": {
        "resident": resident("张三", "450102195603100110", json!([{"code": "2", "date": "2019-05"}])), "household": null, "confirm": true
    } }),
    )
    .expect("a hypertensive resident registers");
    let id = zhang["resident"]["resident"]["id"].as_str().unwrap().to_string();
    let templates = requests(&id, 1);
    for (cmd, args) in &templates {
        // Every template is a request the window sends; most are accepted as they are.
        let answer = invoke(&w, cmd, args.clone());
        if let Err(e) = &answer {
            assert!(e["code"].is_string(), "{cmd}: a template is refused in words, if at all: {e}");
        }
    }

    // How the answers fell: accepted, refused in words, refused by shape.
    let tally = std::cell::RefCell::new((0usize, 0usize, 0usize));
    let mut runner = TestRunner::new(any::config(200));
    // Mostly what a box can hold — text where text goes, a number where a
    // number goes — sometimes a value of another shape, now and then the
    // arguments replaced whole.
    let swap = (any::<prop::sample::Index>(), any::text(), any::<f64>(), any::<i64>(), any::value(), 0..10u8);
    let strategy = (0..templates.len(), prop::collection::vec(swap, 1..4), any::value(), 0..20u8);
    runner
        .run(&strategy, |(pick, swaps, whole, how)| {
            let (cmd, template) = &templates[pick];
            let mut args = template.clone();
            if how == 0 {
                args = whole; // the arguments replaced whole: any shape at all
            } else {
                let mut paths = Vec::new();
                leaves(&args, Vec::new(), &mut paths);
                for (at, text, float, int, other, kind) in swaps {
                    let path = at.get(&paths).clone();
                    let leaf = path.iter().try_fold(&args, |v, p| {
                        v.get(p.as_str().map(str::to_string).unwrap_or_default()).or_else(|| v.get(p.as_u64().unwrap_or(0) as usize))
                    });
                    let with = match (leaf, kind) {
                        (_, 0) => other,
                        (Some(Value::String(_)), _) => Value::String(text),
                        (Some(Value::Number(_)), 1..=4) => json!(int),
                        (Some(Value::Number(_)), _) => serde_json::Number::from_f64(float).map_or(Value::Null, Value::Number),
                        _ => other,
                    };
                    replace(&mut args, &path, with);
                }
            }
            let before = state(&w);
            let answer = invoke(&w, cmd, args.clone());
            match &answer {
                Ok(_) => tally.borrow_mut().0 += 1,
                Err(Value::Object(e)) => {
                    tally.borrow_mut().1 += 1;
                    let code = e.get("code").and_then(Value::as_str);
                    prop_assert!(
                        code.is_some() && e.get("message").and_then(Value::as_str).is_some_and(|m| !m.is_empty()),
                        "{}: {{code, message}}: {:?}",
                        cmd,
                        e
                    );
                    prop_assert_ne!(code, Some("internal"), "{}: no panic behind the answer to {}", cmd, args);
                    prop_assert_eq!(state(&w), before, "{}: a refusal changes nothing ({})", cmd, args);
                }
                Err(Value::String(why)) => {
                    tally.borrow_mut().2 += 1;
                    // Tauri refused the arguments' shape before the command ran.
                    prop_assert!(why.contains("invalid args") || why.contains("missing required key"), "{}: {}", cmd, why);
                    prop_assert_eq!(state(&w), before, "{}: nothing ran, nothing changed", cmd);
                }
                Err(other) => prop_assert!(false, "{}: an answer the window cannot show: {}", cmd, other),
            }
            Ok(())
        })
        .unwrap();
    let (accepted, in_words, by_shape) = tally.into_inner();
    eprintln!("accepted {accepted}, refused in words {in_words}, refused by shape {by_shape}");
    assert!(accepted > 0 && in_words > 0 && by_shape > 0, "the cases reach every kind of answer: {accepted}/{in_words}/{by_shape}");

    // After all that, the clinic still works: the resident opens, search
    // answers, and a good registration goes through.
    invoke(&w, "get_resident", json!({ "key": id })).expect("the resident's page still opens");
    invoke(&w, "search_residents", json!({ "req": { "query": "张" } })).expect("search still answers");
    let fresh = json!({ "req": { "resident": resident("赵六", "450102197208100355", json!([{"code": "1"}])), "household": null, "confirm": true } });
    let saved = invoke(&w, "register_resident", fresh).expect("a good registration is stored");
    assert_eq!(saved["resident"]["resident"]["name"], "赵六");
}

/// A locked window gets nothing but `locked` until the password is given
/// again; a wrong one is told as at sign-in, and the lock and unlock are in
/// the audit trail.
#[test]
fn a_locked_window_answers_only_locked_until_the_password_unlocks_it() {
    let dir = tempfile::tempdir().unwrap();
    let (_app, w) = window(dir.path());
    let session = set_up(&w, json!([{ "code": "101", "name": "石桥村" }]));
    assert_eq!(session["idle_lock_minutes"], 10, "ten minutes unless the administrator sets another");
    invoke(&w, "lock", json!({})).unwrap();
    let refused =
        invoke(&w, "search_residents", json!({ "req": { "query": "", "village": null, "tag": null, "limit": null } })).unwrap_err();
    assert_eq!(
        refused,
        json!({ "code": "locked", "message": "已锁定，请输入密码解锁；未保存的内容仍在" }),
        "the exact answer the window shows"
    );
    assert_eq!(invoke(&w, "app_state", json!({})).unwrap()["locked"], true, "a reloaded window knows it is locked");
    assert_eq!(
        invoke(&w, "get_draft", json!({ "key": "resident:new" })).unwrap_err()["code"],
        "locked",
        "not even the user's own draft shows under the lock"
    );
    assert_eq!(invoke(&w, "unlock", json!({ "password": "wrong" })).unwrap_err()["code"], "bad_credentials");
    invoke(&w, "unlock", json!({ "password": PASSWORD })).unwrap();
    invoke(&w, "search_residents", json!({ "req": { "query": "", "village": null, "tag": null, "limit": null } })).unwrap();
    let trail = invoke(&w, "audit_list", json!({ "query": {} })).unwrap();
    // The background worker's own entries (the day's backup) may fall in between.
    let kinds: Vec<&str> = trail.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).filter(|a| *a != "backup").collect();
    assert_eq!(kinds[..2], ["unlock", "lock"], "newest first: {kinds:?}");
}
