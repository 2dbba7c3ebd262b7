//! Half-typed forms kept in the encrypted store, per user, across a closed
//! window — never in a plain file.

mod common;

use common::*;
use serde_json::json;

#[test]
fn a_draft_outlives_the_window_stays_its_users_and_is_not_in_the_file_in_the_clear() {
    let dir = tempfile::tempdir().unwrap();
    let mut admin = clinic(dir.path());
    add_village_doctor_wang(&mut admin);
    let typed = json!({"name": "赵桂兰", "idNumber": "45010219560310011", "phone": "1380013"});
    admin.keep_draft("resident:new", &typed).unwrap();
    drop(admin);

    let db = std::fs::read(dir.path().join(vhr_app::DB_FILE)).unwrap();
    assert!(!db.windows("赵桂兰".len()).any(|w| w == "赵桂兰".as_bytes()), "the half-typed name is not in the file in the clear");

    let li = reopen(dir.path());
    assert_eq!(li.draft("resident:new").unwrap(), Some(typed), "the typing is there after the window was closed");
    let wang = wang(dir.path());
    assert_eq!(wang.draft("resident:new").unwrap(), None, "another user never sees it");

    li.forget_draft("resident:new").unwrap();
    assert_eq!(li.draft("resident:new").unwrap(), None, "saved or discarded, it is gone");
}

#[test]
fn a_draft_with_a_name_that_is_no_forms_or_too_large_is_refused_in_the_users_language() {
    let dir = tempfile::tempdir().unwrap();
    let c = clinic(dir.path());
    let problem = |e: vhr_app::Error| match e {
        vhr_app::Error::Invalid(p) => p[0].clone(),
        other => panic!("refused as input, not {other:?}"),
    };
    let wrong = problem(c.keep_draft("../../etc/passwd", &json!({})).unwrap_err());
    assert_eq!(wrong.code, "draft.key");
    let huge = json!({"notes": "字".repeat(200_000)});
    let large = problem(c.keep_draft("service:r1:hypertension_followup", &huge).unwrap_err());
    assert_eq!(large.code, "draft.too_large");
    assert!(large.text(vhr_domain::i18n::Lang::Zh).contains("512 KB"), "said in Chinese, with the limit: {large:?}");
}
