//! The support log on a real folder: a panic at the edge becomes an
//! `internal` error for the window and a line in the log that says where,
//! never what was typed; failures are logged by code; the settings page can
//! read the last lines and export them.

use std::panic::Location;

use vhr_app::log;
use vhr_app::Error;
use vhr_domain::i18n::Lang;

#[test]
fn a_panic_is_logged_by_place_never_by_what_was_typed() {
    let dir = tempfile::tempdir().unwrap();
    let guard = log::start(dir.path(), "test").expect("the log starts in a writable folder");
    let answer: Result<(), Error> = log::guarded(Location::caller(), || panic!("张三 13800138000 石桥村3组12号"));
    let wire = answer.unwrap_err().to_wire(Lang::Zh);
    assert_eq!(wire.code, "internal", "the window gets an error it can show, not a hang");
    assert!(
        wire.message.contains("已填写的内容仍保留") && wire.message.contains("日志"),
        "it says the typing is kept and where to look: {}",
        wire.message
    );
    let failed: Result<(), Error> = log::guarded(Location::caller(), || Err(Error::Storage("disk full".into())));
    assert!(failed.is_err());
    drop(guard); // writes out what is buffered

    let lines = log::recent(dir.path(), 100).unwrap();
    let text = lines.join("\n");
    assert!(text.contains("start") && text.contains("program=\"test\""), "start-up is logged: {text}");
    assert!(text.contains("panic") && text.contains("tests/log.rs:"), "the panic is logged with its place: {text}");
    assert!(text.contains("code=\"storage\""), "a failure is logged by its code: {text}");
    for personal in ["张三", "13800138000", "石桥村", "disk full"] {
        assert!(!text.contains(personal), "{personal:?} is never in the log: {text}");
    }

    let exported = log::export(dir.path(), &dir.path().join("exports"), chrono::NaiveDate::from_ymd_opt(2026, 12, 2).unwrap()).unwrap();
    assert_eq!(exported.file_name().unwrap(), "village-health-log-20261202.txt");
    let sent = std::fs::read_to_string(&exported).unwrap();
    assert!(sent.contains("panic") && sent.contains("== village-health-test"), "the export holds each kept day under its file name");
}
