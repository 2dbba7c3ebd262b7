//! The command line, run as a user runs it: the real binary on a real data folder.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Output};

use serde_json::{json, Value};

mod common;
use common::resident_json;

const BIN: &str = env!("CARGO_BIN_EXE_village-health");

fn cli(dir: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    common::run(BIN, dir, args, stdin)
}

fn init(dir: &Path) {
    common::init(BIN, dir);
}

/// A hypertension follow-up whose classification and next step are both `class`.
fn htn_visit(date: &str, sbp: u32, dbp: u32, class: &str, next: &str) -> Value {
    json!({
        "visit_date": date, "method": "1", "symptoms": ["1"], "emergency": ["1"], "sbp": sbp, "dbp": dbp,
        "adherence": "1", "adverse_reaction": "1", "classification": class, "next_step": class, "next_date": next, "doctor": "李春华"
    })
}

/// `form add` of a hypertension follow-up for the first resident of village 101.
fn add_form(dir: &Path, visit: &Value) -> Output {
    cli(
        dir,
        &["form", "add", "--resident", "45010210110100001", "--form", "hypertension_followup", "--json", "-"],
        Some(&visit.to_string()),
    )
}

fn stdout_json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("stdout is JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

#[test]
fn add_show_search_and_history() {
    let dir = tempfile::tempdir().unwrap();
    init(dir.path());
    let add = cli(dir.path(), &["resident", "add", "--json", "-"], Some(&resident_json("张三", "11010519491231002x").to_string()));
    assert!(add.status.success(), "{}", String::from_utf8_lossy(&add.stderr));
    let stored = stdout_json(&add);
    assert_eq!(stored["resident"]["record_no"], "45010210110100001");
    assert_eq!(stored["resident"]["birth_date"], "1949-12-31", "prefilled from the ID number");
    assert_eq!(stored["resident"]["id_document"]["number"], "11010519491231002X");

    let show = cli(dir.path(), &["resident", "show", "45010210110100001", "--json"], None);
    assert_eq!(stdout_json(&show)["resident"]["name"], "张三");

    let search = cli(dir.path(), &["resident", "search", "zs", "--json"], None);
    let found = stdout_json(&search);
    assert_eq!(found.as_array().unwrap().len(), 1);
    assert_eq!(found[0]["name"], "张三");

    let history = cli(dir.path(), &["resident", "history", "45010210110100001", "--json"], None);
    let h = stdout_json(&history);
    assert_eq!(h[0]["op"], "create");
    assert_eq!(h[0]["user_name"], "李春华");
}

#[test]
fn invalid_input_exits_non_zero_and_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    init(dir.path());
    let bad = resident_json("张三", "110105194912310021");
    let out = cli(dir.path(), &["resident", "add", "--json", "-"], Some(&bad.to_string()));
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("身份证号校验位应为 X"), "a clear message in the user's language: {stderr}");
    assert_eq!(stdout_json(&out)["code"], "invalid");
    let search = cli(dir.path(), &["resident", "search", "", "--json"], None);
    assert_eq!(stdout_json(&search), json!([]), "nothing was stored");

    let not_json = cli(dir.path(), &["resident", "add", "--json", "-"], Some("{name: 张三"));
    assert_eq!(not_json.status.code(), Some(1));
}

#[test]
fn commands_before_init_say_so() {
    let dir = tempfile::tempdir().unwrap();
    let out = cli(dir.path(), &["resident", "search", "zs"], None);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("尚未设置本机构"));
}

#[test]
fn import_acknowledges_each_saved_line() {
    let dir = tempfile::tempdir().unwrap();
    init(dir.path());
    let mut child = common::spawn_import(BIN, dir.path());
    let mut stdin = child.stdin.take().unwrap();
    let mut acks = BufReader::new(child.stdout.take().unwrap()).lines();
    writeln!(stdin, "{}", resident_json("甲", "11010519491231002X")).unwrap();
    stdin.flush().unwrap();
    let ack: Value = serde_json::from_str(&acks.next().unwrap().unwrap()).unwrap();
    assert_eq!(ack["record_no"], "45010210110100001", "acknowledged before the next line arrives");
    drop(stdin);
    assert!(child.wait().unwrap().success());
}

#[test]
fn form_add_and_the_worklist() {
    let dir = tempfile::tempdir().unwrap();
    init(dir.path());
    let mut r = resident_json("高血压甲", "11010519491231002X");
    r["basic_info"]["past_diseases"] = json!([{"code": "2", "date": "2018-05"}]);
    assert!(cli(dir.path(), &["resident", "add", "--json", "-"], Some(&r.to_string())).status.success());

    let list = cli(dir.path(), &["worklist", "--date", "2026-11-21", "--json"], None);
    let items = stdout_json(&list);
    let programs: Vec<&str> = items.as_array().unwrap().iter().map(|i| i["due"]["program"].as_str().unwrap()).collect();
    assert_eq!(programs, vec!["elderly", "hypertension"], "a 76-year-old hypertensive owes the annual check and a follow-up");
    assert_eq!(items[1]["resident"]["name"], "高血压甲");

    let visit = htn_visit("2026-11-21", 152, 96, "2", "2026-12-05");
    let add = add_form(dir.path(), &visit);
    assert!(add.status.success(), "{}", String::from_utf8_lossy(&add.stderr));
    assert_eq!(stdout_json(&add)["proposal"]["next_step"], "2");
    let after = stdout_json(&cli(dir.path(), &["worklist", "--date", "2026-12-06", "--json"], None));
    let htn = after.as_array().unwrap().iter().find(|i| i["due"]["program"] == "hypertension").unwrap();
    assert_eq!(htn["due"]["state"], "overdue", "the 2-week follow-up is late on day 15");

    let mut bad = visit.clone();
    bad.as_object_mut().unwrap().remove("sbp");
    let refused = add_form(dir.path(), &bad);
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("请填写「血压—收缩压」"));
}

#[test]
fn cards_and_forms_print_to_pdf() {
    let dir = tempfile::tempdir().unwrap();
    init(dir.path());
    let r = resident_json("打印丁", "11010519491231002X");
    assert!(cli(dir.path(), &["resident", "add", "--json", "-"], Some(&r.to_string())).status.success());
    let add = add_form(dir.path(), &htn_visit("2026-11-20", 132, 84, "1", "2027-02-20"));
    let record = stdout_json(&add)["record"]["id"].as_str().unwrap().to_string();

    let cards = dir.path().join("cards.pdf");
    let out = cli(dir.path(), &["cards", "--village", "101", "--out", cards.to_str().unwrap()], None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = Command::new("pdftotext").args([cards.to_str().unwrap(), "-"]).output().unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("打印丁") && text.contains("45010210110100001"), "the card names the resident: {text}");

    let form = dir.path().join("form.pdf");
    let out = cli(dir.path(), &["print-form", &record, "--out", form.to_str().unwrap()], None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = Command::new("pdftotext").args([form.to_str().unwrap(), "-"]).output().unwrap();
    assert!(String::from_utf8_lossy(&text.stdout).contains("高血压患者随访服务记录表"));

    let basic = dir.path().join("basic.pdf");
    let out = cli(dir.path(), &["print-form", "--basic-info", "45010210110100001", "--out", basic.to_str().unwrap()], None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = Command::new("pdftotext").args(["-layout", basic.to_str().unwrap(), "-"]).output().unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("个人基本信息表") && text.contains("11010519491231002X"), "the cover items print too: {text}");

    let nothing = cli(dir.path(), &["cards", "--out", cards.to_str().unwrap()], None);
    assert_eq!(nothing.status.code(), Some(2), "cards without a selection is a usage error");
    let too_big = cli(dir.path(), &["cards", "--village", "101", "--card-size", "300x80", "--out", cards.to_str().unwrap()], None);
    assert_eq!(too_big.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&too_big.stderr).contains("放不进 A4 纸"), "{}", String::from_utf8_lossy(&too_big.stderr));
}

/// `village-health form list | head -1`: when the reader goes away, every
/// command that writes to standard output ends quietly and successfully,
/// never with a panic on the closed pipe.
#[test]
fn a_reader_that_goes_away_ends_the_command_quietly() {
    use std::process::Stdio;
    let dir = tempfile::tempdir().unwrap();
    init(dir.path());
    for args in [&["form", "list"][..], &["resident", "search", "", "--json"][..], &["worklist", "--json"][..]] {
        let mut child = common::command(BIN, dir.path(), args).stdin(Stdio::null()).spawn().expect("the CLI starts");
        // The reader is gone before the command writes its first line.
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?} does not panic on a closed pipe: {stderr}");
        assert!(out.status.success(), "{args:?} ends successfully when its reader has gone: {:?} {stderr}", out.status);
    }
}

/// A wrong `programs.json` does not stop the command line: it says what to
/// fix on standard error and runs on the thresholds last in force.
#[test]
fn a_wrong_programs_file_is_reported_and_the_command_runs_on() {
    let dir = tempfile::tempdir().unwrap();
    init(dir.path());
    std::fs::write(dir.path().join("programs.json"), r#"{"horizon_days": -1}"#).unwrap();
    let out = cli(dir.path(), &["worklist", "--json"], None);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the work list is still printed: {stderr}");
    assert!(
        stderr.contains("programs.json") && stderr.contains("horizon_days 为 -1，应在 1 到 366 之间"),
        "what to fix and where: {stderr}"
    );
    assert_eq!(stdout_json(&out), json!([]), "an empty clinic's list, from the thresholds in force");
}

#[test]
fn a_village_out_of_serials_registers_provisionally_and_a_block_added_from_the_command_line_gives_the_final_number() {
    let dir = tempfile::tempdir().unwrap();
    let init = std::process::Command::new(BIN)
        .args(["--data-dir", dir.path().to_str().unwrap()])
        .args(["init", "--institution", "石桥村卫生室", "--county", "450102", "--township", "101", "--township-name", "青山镇"])
        .args(["--village", "101=石桥村", "--username", "li", "--display-name", "李春华", "--serial-start", "1", "--serial-end", "1"])
        .env("VHR_PASSWORD", "correct horse")
        .env_remove("VHR_DATA_DIR")
        .output()
        .unwrap();
    assert!(init.status.success(), "{}", String::from_utf8_lossy(&init.stderr));
    let said = String::from_utf8_lossy(&init.stderr);
    assert!(!said.contains("log directory"), "a first start has no complaint about the log folder (it is made first): {said}");
    assert!(cli(dir.path(), &["resident", "add", "--json", "-"], Some(&resident_json("张三", "11010519491231002x").to_string()))
        .status
        .success());
    let second = cli(dir.path(), &["resident", "add", "--json", "-"], Some(&resident_json("李四", "450102195603100110").to_string()));
    assert!(second.status.success(), "a record is saved without a serial left: {}", String::from_utf8_lossy(&second.stderr));
    let saved: serde_json::Value = serde_json::from_slice(&second.stdout).unwrap();
    assert_eq!(saved["resident"]["record_no"], "450102101101L0001");
    assert_eq!(saved["record_no_provisional"], true);
    assert!(String::from_utf8_lossy(&second.stderr).contains("暂用临时编号 450102101101L0001"), "and says so");

    let list = cli(dir.path(), &["blocks", "list"], None);
    let text = String::from_utf8_lossy(&list.stdout);
    assert!(text.starts_with("101\t石桥村\t00001-00001\t剩余 0/1\t临时编号 1\t外来号码 0\t请尽快申请新号段"), "{text}");

    let words = cli(dir.path(), &["blocks", "add", "--village", "101", "--from", "一百", "--to", "200"], None);
    assert_eq!(words.status.code(), Some(1), "words where a number belongs are refused: {}", String::from_utf8_lossy(&words.stderr));
    let add = cli(dir.path(), &["blocks", "add", "--village", "101", "--from", "100", "--to", "199", "--note", "青卫字〔2026〕12号"], None);
    assert!(add.status.success(), "{}", String::from_utf8_lossy(&add.stderr));
    assert_eq!(String::from_utf8_lossy(&add.stdout).trim(), "李四\t450102101101L0001 -> 45010210110100100");
    let shown = cli(dir.path(), &["resident", "show", "450102101101L0001"], None);
    assert!(String::from_utf8_lossy(&shown.stdout).contains("450102 101 101 00100"), "the old number still finds the record");
}

/// `cli` as another user, with a new password for commands that set one.
fn cli_as(dir: &Path, user: &str, password: &str, new_password: Option<&str>, args: &[&str]) -> Output {
    let mut cmd = common::command(BIN, dir, args);
    cmd.env("VHR_USER", user).env("VHR_PASSWORD", password);
    if let Some(p) = new_password {
        cmd.env("VHR_NEW_PASSWORD", p);
    }
    cmd.output().unwrap()
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

#[test]
fn accounts_from_the_command_line_obey_the_same_roles_and_the_recovery_code_works_once() {
    let dir = tempfile::tempdir().unwrap();
    let out = common::command(BIN, dir.path(), &["init", "--institution", "石桥村卫生室", "--county", "450102", "--township", "101"])
        .args([
            "--township-name",
            "青山镇",
            "--village",
            "101=石桥村",
            "--village",
            "102=河口村",
            "--username",
            "li",
            "--display-name",
            "李春华",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let code = stderr
        .lines()
        .map(str::trim)
        .find(|l| l.len() == 39 && l.matches('-').count() == 7)
        .unwrap_or_else(|| panic!("init shows the recovery code: {stderr}"))
        .to_string();
    assert!(!String::from_utf8_lossy(&out.stdout).contains(&code), "the code goes to the terminal, not into a pipe's output");

    let zhang = resident_json("张三", "11010519491231002x").to_string();
    let added = cli(dir.path(), &["resident", "add", "--json", "-"], Some(&zhang));
    assert!(added.status.success(), "张三 is registered in 石桥村 (101): {}", text(&added));
    let zhang_no = stdout_json(&added)["resident"]["record_no"].as_str().unwrap().to_string();

    let no_village = cli_as(
        dir.path(),
        "li",
        "correct horse",
        Some("wang-password"),
        &["user", "add", "--username", "wang", "--display-name", "王医生"],
    );
    assert_eq!(no_village.status.code(), Some(1), "a village doctor needs a village: {}", text(&no_village));
    assert!(text(&no_village).contains("至少选择一个负责的村"), "{}", text(&no_village));
    let add = cli_as(
        dir.path(),
        "li",
        "correct horse",
        Some("wang-password"),
        &["user", "add", "--username", "wang", "--display-name", "王医生", "--villages", "102"],
    );
    assert!(add.status.success(), "{}", text(&add));
    let list = cli_as(dir.path(), "li", "correct horse", None, &["user", "list", "--json"]);
    let users = stdout_json(&list);
    assert_eq!(users.as_array().unwrap().len(), 2);
    assert_eq!(users[1]["role"], "doctor", "a new account is a village doctor unless told");
    assert_eq!(users[1]["villages"], serde_json::json!(["102"]));

    // The command line reaches what the window reaches: 河口村 only.
    let search = cli_as(dir.path(), "wang", "wang-password", None, &["resident", "search", "张三"]);
    assert!(search.status.success(), "{}", text(&search));
    assert!(!text(&search).contains("张三"), "a search by name finds no one in another village: {}", text(&search));
    let show = cli_as(dir.path(), "wang", "wang-password", None, &["resident", "show", &zhang_no]);
    assert_eq!(show.status.code(), Some(1), "nor does the record number: {}", text(&show));
    assert!(!text(&show).contains("张三"), "{}", text(&show));
    let by_admin = cli_as(dir.path(), "li", "correct horse", None, &["resident", "show", &zhang_no]);
    assert!(text(&by_admin).contains("张三"), "the administrator sees every village: {}", text(&by_admin));

    // The audit trail: the administrator's opening of 张三 is in it, 王医生's refused look is not.
    let trail = stdout_json(&cli_as(dir.path(), "li", "correct horse", None, &["audit", "list", "--resident", &zhang_no, "--json"]));
    let trail: Vec<(String, String)> = trail
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["user_name"].as_str().unwrap().to_string(), e["action"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(trail, vec![("李春华".to_string(), "open".to_string()), ("李春华".to_string(), "create".to_string())], "newest first");
    let verify = cli_as(dir.path(), "li", "correct horse", None, &["audit", "verify", "--json"]);
    assert!(verify.status.success(), "{}", text(&verify));
    assert_eq!(stdout_json(&verify)["broken_at"], Value::Null, "an untouched trail verifies");
    let by_doctor = cli_as(dir.path(), "wang", "wang-password", None, &["audit", "verify"]);
    assert_eq!(by_doctor.status.code(), Some(1), "a village doctor does not read the whole trail: {}", text(&by_doctor));

    // A checkpoint kept outside, checked with the key printed for it; one
    // whose tree size was changed is refused and the run exits 4.
    let note = cli_as(dir.path(), "li", "correct horse", None, &["audit", "checkpoint"]);
    assert!(note.status.success(), "{}", text(&note));
    let note = String::from_utf8(note.stdout).unwrap();
    let key = cli_as(dir.path(), "li", "correct horse", None, &["audit", "key"]);
    let key = String::from_utf8(key.stdout).unwrap().trim().to_string();
    assert!(key.starts_with("villagehealth.cn/audit/450102101/"), "the key names the log: {key}");
    let held = dir.path().join("checkpoint.txt");
    std::fs::write(&held, &note).unwrap();
    let held = held.to_str().unwrap();
    let checked =
        stdout_json(&cli_as(dir.path(), "li", "correct horse", None, &["audit", "verify", "--checkpoint", held, "--key", &key, "--json"]));
    assert_eq!(checked["broken_at"], Value::Null, "{checked}");
    assert!(checked["checkpoints"].as_i64().unwrap() >= 2, "the install's checkpoints and the held one: {checked}");
    let mut lines: Vec<&str> = note.split('\n').collect();
    let bigger = (lines[1].parse::<u64>().unwrap() + 1).to_string();
    lines[1] = &bigger;
    let forged = dir.path().join("forged.txt");
    std::fs::write(&forged, lines.join("\n")).unwrap();
    let refused = cli_as(dir.path(), "li", "correct horse", None, &["audit", "verify", "--checkpoint", forged.to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(4), "{}", text(&refused));
    assert!(text(&refused).contains("审计记录"), "told in Chinese: {}", text(&refused));

    let by_doctor = cli_as(dir.path(), "wang", "wang-password", None, &["user", "list"]);
    assert_eq!(by_doctor.status.code(), Some(1), "a doctor is refused: {}", text(&by_doctor));
    assert!(text(&by_doctor).contains("角色"), "and told why: {}", text(&by_doctor));

    let wrong = cli_as(dir.path(), "wang", "not-the-password", None, &["resident", "search", "x"]);
    assert_eq!(wrong.status.code(), Some(1));
    assert!(text(&wrong).contains("用户名或密码不正确"), "{}", text(&wrong));

    let disable = cli_as(dir.path(), "li", "correct horse", None, &["user", "disable", "wang"]);
    assert!(disable.status.success(), "{}", text(&disable));
    let disabled = cli_as(dir.path(), "wang", "wang-password", None, &["resident", "search", "x"]);
    assert!(text(&disabled).contains("已停用"), "a disabled account is told so: {}", text(&disabled));

    let recover =
        cli_as(dir.path(), "li", "", Some("recovered-password"), &["recover", "--username", "li", "--code", &code.to_lowercase()]);
    assert!(recover.status.success(), "{}", text(&recover));
    let signed = cli_as(dir.path(), "li", "recovered-password", None, &["user", "list"]);
    assert!(signed.status.success(), "the new password signs in: {}", text(&signed));
    let again = cli_as(dir.path(), "li", "", Some("third-password"), &["recover", "--username", "li", "--code", &code]);
    assert_eq!(again.status.code(), Some(1), "the used code is refused: {}", text(&again));
    assert!(text(&again).contains("恢复码不正确"));
}

/// `close`, `reopen` and `merge` from the command line: the same rules and
/// messages as the window, a refusal exiting 1 with nothing stored.
#[test]
fn close_reopen_and_merge_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    init(dir.path());
    for (name, id) in [("张三", "11010519491231002x"), ("李四", "110105194912310038")] {
        let add = cli(dir.path(), &["resident", "add", "--json", "-"], Some(&resident_json(name, id).to_string()));
        assert!(add.status.success(), "{}", String::from_utf8_lossy(&add.stderr));
    }
    let zhang = "45010210110100001";
    let refused = cli(dir.path(), &["close", zhang, "--reason", "died", "--on", "2026-11-12", "--lang", "zh-CN"], None);
    assert_eq!(refused.status.code(), Some(1), "a death needs its cause");
    assert!(String::from_utf8_lossy(&refused.stderr).contains("请填写死亡原因"), "{}", String::from_utf8_lossy(&refused.stderr));

    let closed = cli(dir.path(), &["close", zhang, "--reason", "died", "--on", "2026-11-12", "--cause", "脑出血", "--lang", "zh-CN"], None);
    assert!(closed.status.success(), "{}", String::from_utf8_lossy(&closed.stderr));
    assert!(String::from_utf8_lossy(&closed.stdout).contains("死亡"), "{}", String::from_utf8_lossy(&closed.stdout));
    let names = |status: &str| -> Vec<String> {
        let out = cli(dir.path(), &["resident", "search", "", "--status", status, "--json"], None);
        stdout_json(&out).as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap().to_string()).collect()
    };
    assert_eq!(names("active"), ["李四"]);
    assert_eq!(names("closed"), ["张三"]);
    let bad = cli(dir.path(), &["resident", "search", "", "--status", "gone"], None);
    assert_eq!(bad.status.code(), Some(2), "an unknown status is a usage error");

    let reopened = cli(dir.path(), &["reopen", zhang, "--on", "2026-11-20", "--why", "误报死亡"], None);
    assert!(reopened.status.success(), "{}", String::from_utf8_lossy(&reopened.stderr));
    assert_eq!(names("active"), ["张三", "李四"]);

    let two = cli(dir.path(), &["merge", "--keep", zhang, "--duplicate", "45010210110100002", "--confirm", "--lang", "zh-CN"], None);
    assert_eq!(two.status.code(), Some(1), "different ID numbers: two people");
    assert!(String::from_utf8_lossy(&two.stderr).contains("身份证号不同"), "{}", String::from_utf8_lossy(&two.stderr));
    assert_eq!(names("all").len(), 2, "nothing merged");
}

/// `backup make`, `backup list` and `backup inspect` on the real binary.
#[test]
fn a_backup_from_the_command_line_is_checked_listed_and_read_back() {
    let dir = tempfile::tempdir().unwrap();
    init(dir.path());
    let add = cli(dir.path(), &["resident", "add", "--json", "-"], Some(&resident_json("张三", "11010519491231002x").to_string()));
    assert!(add.status.success(), "{}", String::from_utf8_lossy(&add.stderr));
    let usb = tempfile::tempdir().unwrap();
    let made = cli(dir.path(), &["backup", "make", "--to", usb.path().to_str().unwrap(), "--json"], None);
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let made = stdout_json(&made);
    assert_eq!(made["summary"]["residents"], 1);
    assert!(made["keys_file"].as_str().is_some_and(|k| std::path::Path::new(k).exists()), "{made}");
    let inspected = cli(dir.path(), &["backup", "inspect", made["path"].as_str().unwrap(), "--json"], None);
    assert_eq!(stdout_json(&inspected), made["summary"], "what the backup holds, read from it");
    let mine = cli(dir.path(), &["backup", "make"], None);
    assert!(mine.status.success(), "{}", String::from_utf8_lossy(&mine.stderr));
    let list = stdout_json(&cli(dir.path(), &["backup", "list", "--json"], None));
    assert_eq!(list.as_array().map(Vec::len), Some(1), "the data folder's own backups: {list}");
}

/// `backup restore`: refused unless confirmed, then the backup is in place,
/// the replaced file kept and its unsent registration written again;
/// `backup check` says the file checks out.
#[test]
fn a_restore_from_the_command_line_asks_first_keeps_the_replaced_file_and_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    init(dir.path());
    let add = cli(dir.path(), &["resident", "add", "--json", "-"], Some(&resident_json("张三", "11010519491231002x").to_string()));
    assert!(add.status.success(), "{}", String::from_utf8_lossy(&add.stderr));
    let made = stdout_json(&cli(dir.path(), &["backup", "make", "--json"], None));
    let file = made["path"].as_str().unwrap();
    let add = cli(dir.path(), &["resident", "add", "--json", "-"], Some(&resident_json("李四", "110105195206010016").to_string()));
    assert!(add.status.success(), "{}", String::from_utf8_lossy(&add.stderr));

    let no = cli(dir.path(), &["backup", "restore", file, "--lang", "zh-CN"], Some("no\n"));
    assert_eq!(no.status.code(), Some(1));
    let told = String::from_utf8_lossy(&no.stderr);
    assert!(told.contains("备份：1 份档案") && told.contains("现在：2 份档案") && told.contains("未恢复"), "{told}");

    let yes = cli(dir.path(), &["backup", "restore", file, "--json"], Some("yes\n"));
    assert!(yes.status.success(), "{}", String::from_utf8_lossy(&yes.stderr));
    let restored = stdout_json(&yes);
    assert_eq!(restored["replay"]["written"], 1, "李四, never sent, is written again: {restored}");
    assert!(std::path::Path::new(restored["kept_at"].as_str().unwrap()).exists());
    let found = stdout_json(&cli(dir.path(), &["resident", "search", "李四", "--json"], None));
    assert_eq!(found.as_array().map(Vec::len), Some(1), "{found}");
    let check = cli(dir.path(), &["backup", "check", "--full"], None);
    assert!(check.status.success(), "{}", String::from_utf8_lossy(&check.stderr));
}

/// `transfer out` at one clinic, `transfer in` at another of another
/// township: the file and the code the first prints are what the second takes.
#[test]
fn a_transfer_from_the_command_line_carries_the_record_to_another_township() {
    let (a, b, usb) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    init(a.path());
    let add = cli(a.path(), &["resident", "add", "--json", "-"], Some(&resident_json("张三", "11010519491231002x").to_string()));
    assert!(add.status.success(), "{}", String::from_utf8_lossy(&add.stderr));
    let no = "45010210110100001";
    let usb_dir = usb.path().to_str().unwrap();
    let out = cli(a.path(), &["transfer", "out", no, "--to", "河湾镇柳树村卫生室", "--dir", usb_dir, "--json"], None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let made = stdout_json(&out);
    let (file, code) = (made["path"].as_str().unwrap(), made["code"].as_str().unwrap());
    assert_eq!(made["resident"]["resident"]["status"], "moved_out");

    let init_b = Command::new(BIN)
        .args(["--data-dir", b.path().to_str().unwrap()])
        .args(["init", "--institution", "河湾镇柳树村卫生室", "--county", "450102", "--township", "102", "--township-name", "河湾镇"])
        .args(["--village", "201=柳树村", "--username", "zhao", "--display-name", "赵建国"])
        .env("VHR_PASSWORD", "correct horse")
        .env_remove("VHR_DATA_DIR")
        .output()
        .unwrap();
    assert!(init_b.status.success(), "{}", String::from_utf8_lossy(&init_b.stderr));
    let as_zhao = |args: &[&str]| common::command(BIN, b.path(), args).env("VHR_USER", "zhao").output().unwrap();
    let shown = as_zhao(&["transfer", "in", file, "--code", code, "--lang", "zh-CN"]);
    assert!(shown.status.success(), "{}", String::from_utf8_lossy(&shown.stderr));
    let words = String::from_utf8_lossy(&shown.stdout);
    assert!(words.contains("张三") && words.contains("自 石桥村卫生室 转往 河湾镇柳树村卫生室"), "{words}");
    let none = as_zhao(&["resident", "search", "", "--status", "all", "--json"]);
    assert_eq!(stdout_json(&none).as_array().unwrap().len(), 0, "shown only: nothing taken in without --village");

    let wrong = as_zhao(&["transfer", "in", file, "--code", "0000-0000-0000-0000", "--village", "201", "--lang", "zh-CN"]);
    assert_eq!(wrong.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("转移码不对"), "{}", String::from_utf8_lossy(&wrong.stderr));
    let taken = as_zhao(&["transfer", "in", file, "--code", code, "--village", "201", "--json"]);
    assert!(taken.status.success(), "{}", String::from_utf8_lossy(&taken.stderr));
    let r = &stdout_json(&taken)["resident"]["resident"];
    assert_eq!((r["record_no"].as_str(), r["status"].as_str(), r["village_code"].as_str()), (Some(no), Some("active"), Some("201")));
}

/// The complete set handed over from the command line: the archive and the
/// code `export` prints are what `verify` and `import` in an empty folder
/// take, and one byte changed in it is refused naming the member.
#[test]
fn a_handover_from_the_command_line_sets_a_fresh_folder_up_with_every_record() {
    let (a, b, usb) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    init(a.path());
    let add = cli(a.path(), &["resident", "add", "--json", "-"], Some(&resident_json("张三", "11010519491231002x").to_string()));
    assert!(add.status.success(), "{}", String::from_utf8_lossy(&add.stderr));
    let out = cli(a.path(), &["handover", "export", "--dir", usb.path().to_str().unwrap(), "--json"], None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let made = stdout_json(&out);
    let (file, code) = (made["path"].as_str().unwrap(), made["code"].as_str().unwrap());
    assert_eq!(made["residents"], 1);

    let checked = cli(a.path(), &["handover", "verify", file, "--code", code, "--lang", "zh-CN"], None);
    assert!(checked.status.success(), "{}", String::from_utf8_lossy(&checked.stderr));
    let words = String::from_utf8_lossy(&checked.stdout);
    assert!(words.contains("石桥村卫生室") && words.contains("逐条核对无误"), "{words}");

    let import =
        common::command(BIN, b.path(), &["handover", "import", file, "--code", code, "--username", "chen", "--display-name", "陈晓燕"])
            .env("VHR_NEW_PASSWORD", "another horse")
            .output()
            .unwrap();
    assert!(import.status.success(), "{}", String::from_utf8_lossy(&import.stderr));
    assert!(
        String::from_utf8_lossy(&import.stderr).contains("恢复码") || String::from_utf8_lossy(&import.stderr).contains("Recovery code")
    );
    let found = common::command(BIN, b.path(), &["resident", "search", "张三", "--json"])
        .env("VHR_USER", "chen")
        .env("VHR_PASSWORD", "another horse")
        .output()
        .unwrap();
    assert!(found.status.success(), "{}", String::from_utf8_lossy(&found.stderr));
    assert_eq!(stdout_json(&found)[0]["record_no"], "45010210110100001", "the record, with its number, is in the new folder");

    let mut raw = std::fs::read(file).unwrap();
    let at = raw.windows(8).position(|w| w == b"tables/r").unwrap();
    raw[at + 600] ^= 0x20;
    std::fs::write(file, &raw).unwrap();
    let refused = cli(a.path(), &["handover", "verify", file, "--lang", "zh-CN"], None);
    assert_eq!(refused.status.code(), Some(1));
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("与清单不符") && said.contains("tables/r"), "the damaged member is named: {said}");
}
