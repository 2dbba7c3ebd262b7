//! Sync against a real FHIR R4 server on loopback (Helios `hfs`, validation
//! enforced): the first push of a demo clinic, exactly once; quarantine of
//! what the server refuses; pulling what another install recorded without
//! echoing it back; merging edits made on both sides.

mod common;

use common::peer::Peer;
use serde_json::Value;
use vhr_app::{Clinic, SyncSettings};
use vhr_domain::clinic::SerialBlock;

/// Valid citizen ID numbers (GB 11643 check digits).
const ID_NUMBERS: [&str; 4] = ["450102195603100110", "450102196105100235", "450102197208100355", "450102198001100475"];

fn settings(peer: &Peer) -> SyncSettings {
    let mut s = SyncSettings::default();
    s.platform.base_url = peer.base.clone();
    s.platform.push.backoff_base_ms = 20;
    s.platform.push.backoff_max_ms = 200;
    s
}

fn synced(c: &mut Clinic) -> vhr_app::SyncReport {
    c.sync_once(&mut |_| {}).expect("a sync pass runs")
}

fn every_entry(peer: &Peer, query: &str) -> Vec<Value> {
    let sep = if query.contains('?') { '&' } else { '?' };
    let mut out = Vec::new();
    let mut url = format!("{query}{sep}_count=500");
    loop {
        let page = peer.get(&url);
        out.extend(page["entry"].as_array().cloned().unwrap_or_default().into_iter().map(|e| e["resource"].clone()));
        match page["link"].as_array().and_then(|l| l.iter().find(|l| l["relation"] == "next")).and_then(|l| l["url"].as_str()) {
            Some(next) => url = next.to_string(),
            None => return out,
        }
    }
}

#[test]
fn the_first_push_puts_every_resident_and_form_on_the_server_exactly_once_and_each_validates() {
    let peer = Peer::start();
    let dir = tempfile::tempdir().unwrap();
    let mut c = common::clinic(dir.path());
    c.load_demo(40, 7, 1, &mut |_, _| {}).unwrap();
    c.set_sync_settings(&settings(&peer)).unwrap();
    let residents = c.counts().unwrap().residents as u64;
    let services = c.counts().unwrap().services as u64;
    let waiting = c.sync_status().unwrap().waiting;
    assert_eq!(c.sync_status().unwrap().state, "waiting");

    let report = synced(&mut c);
    assert_eq!((report.quarantined, report.conflicted, report.offline), (0, 0, false), "nothing refused: {report:?}");
    assert_eq!(report.pushed as i64, waiting, "every waiting entity was sent");
    assert_eq!(report.counts.waiting, 0, "the outbox is empty");
    assert_eq!(c.sync_status().unwrap().state, "up_to_date");

    assert_eq!(peer.count("Patient"), residents, "one Patient per resident");
    assert_eq!(peer.count("Encounter"), services, "one Encounter per filled-in form");
    // The personal basic information travels as a response too.
    assert_eq!(peer.count("QuestionnaireResponse"), services + residents);
    let observations = peer.count("Observation");
    assert!(observations > services, "the follow-ups carry blood pressure, weight, glucose: {observations}");

    // Exactly once: each record number finds one Patient.
    for p in every_entry(&peer, "Patient") {
        let no = p["identifier"][0]["value"].as_str().unwrap();
        assert_eq!(peer.count(&format!("Patient?identifier=urn:oid:2.16.156.10011.1.2|{no}")), 1, "record {no} is on the server once");
    }
    // What is stored passes the server's own validator again.
    let mut client = peer.client();
    for t in ["Patient", "Encounter", "Observation", "QuestionnaireResponse", "Condition", "EpisodeOfCare", "Group"] {
        for r in every_entry(&peer, t).into_iter().take(25) {
            let v = client.validate(&r).unwrap();
            let errors: Vec<&Value> =
                v.body["issue"].as_array().into_iter().flatten().filter(|i| i["severity"] == "error" || i["severity"] == "fatal").collect();
            assert!(errors.is_empty(), "{t}/{} does not validate: {errors:?}", r["id"]);
        }
    }

    // So does every form's generated Questionnaire.
    for form in c.forms().forms.values() {
        let q = vhr_fhir::questionnaire(form, c.forms(), &vhr_fhir::FhirConfig::default());
        let v = client.validate(&q).unwrap();
        let errors: Vec<&Value> = v.body["issue"].as_array().into_iter().flatten().filter(|i| i["severity"] == "error").collect();
        assert!(errors.is_empty(), "Questionnaire {} does not validate: {errors:?}", form.id);
    }

    // A second pass sends nothing and takes nothing back: it reads its own
    // writes back once (the platform's history cannot tell them apart for
    // free) and recognises them; a third reads only the cursor's edge.
    let again = synced(&mut c);
    assert_eq!((again.pushed, again.pulled), (0, 0), "{again:?}");
    assert!(again.scanned > residents as usize, "its own writes come back once: {again:?}");
    let third = synced(&mut c);
    assert_eq!((third.pushed, third.pulled), (0, 0), "{third:?}");
    assert!(third.scanned < 10, "the cursor moved past them: {third:?}");
    assert_eq!(peer.count("Patient"), residents);
}

/// The peer (Helios hfs 0.2.7) refuses every write of an `AuditEvent`
/// (HTTP 405, PUT and POST alike): what a platform that keeps its own audit
/// does. The pass says so in its error, the records still go up, the trail
/// is signed here all the same, and nothing of it is marked sent.
#[test]
fn every_pass_signs_the_trail_and_a_platform_refusing_audit_events_leaves_it_waiting() {
    let peer = Peer::start();
    let dir = tempfile::tempdir().unwrap();
    let mut c = common::clinic(dir.path());
    common::register(&mut c, "张三", ID_NUMBERS[0]);
    c.set_sync_settings(&settings(&peer)).unwrap();
    for pass in 1..=2 {
        let report = synced(&mut c);
        assert!(!report.offline, "pass {pass}: the platform answered: {report:?}");
        assert_eq!(report.counts.waiting, 0, "pass {pass}: the records went up all the same");
        let why = report.error.as_deref().unwrap_or_default();
        assert!(why.contains("平台未接受审计记录") && why.contains("405"), "pass {pass}: told why, in the platform's words: {why}");
        assert_eq!(c.checkpoints().unwrap().len(), 1 + pass, "pass {pass}: the day closed at setup, then each pass signs the trail");
    }
    assert_eq!(peer.count("Patient"), 1);
    let trail = c.audit_list(&vhr_app::AuditQuery { action: Some("sync".into()), ..Default::default() }).unwrap();
    assert_eq!(trail.len(), 2, "both passes are in the trail");
    let check = c.audit_verify(&[], None).unwrap();
    assert_eq!((check.broken_at, check.checkpoints), (None, 3), "{check:?}");
}

#[test]
fn a_form_the_server_refuses_is_quarantined_with_its_reason_and_the_others_go_through() {
    let peer = Peer::start();
    let dir = tempfile::tempdir().unwrap();
    // A province's edited copy of the hypertension form with a typo: a space
    // after the heart-rate LOINC code, which FHIR's `code` type forbids.
    let forms = dir.path().join("forms");
    std::fs::create_dir_all(&forms).unwrap();
    let builtin = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../assets/forms/hypertension_followup.json")).unwrap();
    assert!(builtin.contains("\"8867-4\""), "the form sends heart rate as LOINC 8867-4");
    std::fs::write(forms.join("hypertension_followup.json"), builtin.replace("\"8867-4\"", "\"8867-4 \"")).unwrap();
    let mut c = common::clinic(dir.path());
    c.load_demo(30, 11, 1, &mut |_, _| {}).unwrap();
    c.set_sync_settings(&settings(&peer)).unwrap();

    let report = synced(&mut c);
    assert!(report.quarantined > 0, "{report:?}");
    let items = c.sync_attention().unwrap();
    assert_eq!(items.len(), report.quarantined);
    for item in &items {
        assert_eq!((item.entity, item.state.as_str()), (vhr_domain::entity::Entity::ServiceRecord, "quarantined"));
        assert!(
            item.reason.contains("Observation/") && item.reason.contains("8867-4 "),
            "the reason names the resource and the value: {}",
            item.reason
        );
        assert!(item.reason.contains("is not a valid code"), "and carries the server's words: {}", item.reason);
    }
    assert_eq!(peer.count("Patient"), c.counts().unwrap().residents as u64, "every resident reached the server");
    let services = c.counts().unwrap().services as u64;
    assert_eq!(peer.count("Encounter"), services - items.len() as u64, "every other form reached the server");
    let status = c.sync_status().unwrap();
    assert_eq!((status.state.as_str(), status.quarantined as usize, status.waiting), ("attention", items.len(), 0));

    // A later pass does not send the refused forms again, and nothing else waits.
    let again = synced(&mut c);
    assert_eq!((again.pushed, again.quarantined), (0, 0), "{again:?}");
}

fn township(dir: &std::path::Path) -> Clinic {
    // Another install with its own serial block, keeping the same villages.
    common::clinic_with_block(dir, SerialBlock { start: 50_000, end: 99_999 })
}

/// A village clinic and its township hospital, both syncing with `peer`
/// (keep the folders alive as long as the clinics).
fn two_installs(peer: &Peer) -> ((tempfile::TempDir, tempfile::TempDir), Clinic, Clinic) {
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut village = common::clinic(da.path());
    let mut town = township(db.path());
    village.set_sync_settings(&settings(peer)).unwrap();
    town.set_sync_settings(&settings(peer)).unwrap();
    ((da, db), village, town)
}

#[test]
fn what_one_install_records_reaches_the_other_and_is_not_echoed_back() {
    let peer = Peer::start();
    let (_dirs, mut village, mut town) = two_installs(&peer);
    village.load_demo(12, 3, 1, &mut |_, _| {}).unwrap();
    synced(&mut village);

    let pulled = synced(&mut town);
    assert!(pulled.pulled > 12, "residents and their forms arrive: {pulled:?}");
    assert!(pulled.scanned >= pulled.pulled);
    assert_eq!(pulled.pushed, 0, "nothing pulled is sent back");
    assert_eq!(town.counts().unwrap().residents, village.counts().unwrap().residents);
    assert_eq!(town.counts().unwrap().services, village.counts().unwrap().services);
    assert_eq!(town.sync_status().unwrap().waiting, 0, "pulled changes do not wait in the outbox");

    // The township edits one resident's phone; the village receives it.
    let first = village
        .search(&vhr_app::SearchRequest { query: String::new(), village: None, tag: None, status: Default::default(), limit: Some(1) })
        .unwrap()[0]
        .id
        .clone();
    let r = town.resident(&first).unwrap().resident;
    let mut data = r.data.clone();
    data.phone = "13911112222".into();
    town.update(vhr_app::UpdateRequest { id: r.id.clone(), expected_version: r.version, resident: data, confirm: true }).expect("edits");
    let pushed = synced(&mut town);
    assert_eq!(pushed.pushed, 1, "{pushed:?}");
    let back = synced(&mut village);
    assert_eq!(back.pulled, 1, "{back:?}");
    assert_eq!(village.resident(&first).unwrap().resident.data.phone, "13911112222");
    assert_eq!(synced(&mut village).pushed, 0, "the pulled edit is not echoed");
}

#[test]
fn edits_of_different_fields_on_both_sides_merge_and_the_same_field_is_raised_as_a_conflict() {
    let peer = Peer::start();
    let (_dirs, mut village, mut town) = two_installs(&peer);
    let id = common::register(&mut village, "张三", ID_NUMBERS[0]).resident.resident.id;
    synced(&mut village);
    synced(&mut town);

    // Offline, each side edits a different field.
    let edit = |c: &mut Clinic, f: &dyn Fn(&mut vhr_domain::resident::ResidentInput)| {
        let r = c.resident(&id).unwrap().resident;
        let mut data = r.data.clone();
        f(&mut data);
        c.update(vhr_app::UpdateRequest { id: id.clone(), expected_version: r.version, resident: data, confirm: true }).expect("edits");
    };
    edit(&mut village, &|d| d.phone = "13800000001".into());
    edit(&mut town, &|d| d.current_address = "石桥村5组1号".into());
    synced(&mut village);
    let t = synced(&mut town);
    assert_eq!(t.conflicted, 0, "different fields merge: {t:?}");
    synced(&mut village);
    for c in [&village, &town] {
        let d = c.resident(&id).unwrap().resident.data;
        assert_eq!((d.phone.as_str(), d.current_address.as_str()), ("13800000001", "石桥村5组1号"), "both edits are kept on both sides");
    }

    // Both change the phone, differently.
    edit(&mut village, &|d| d.phone = "13800000002".into());
    edit(&mut town, &|d| d.phone = "13800000003".into());
    synced(&mut village);
    let t = synced(&mut town);
    assert_eq!(t.counts.conflicted, 1, "{t:?}");
    let conflicts = town.sync_conflicts().unwrap();
    assert_eq!(conflicts.len(), 1);
    assert_eq!(conflicts[0].field, "phone");
    assert_eq!(conflicts[0].local, Some(Value::from("13800000003")));
    assert_eq!(conflicts[0].remote, Some(Value::from("13800000002")));
    assert_eq!(town.resident(&id).unwrap().resident.data.phone, "13800000003", "nothing is overwritten while the doctor has not chosen");
    assert_eq!(town.sync_status().unwrap().state, "attention");
    // The village hears of it too: the township published a notice.
    synced(&mut village);
    let theirs = village.sync_conflicts().unwrap();
    assert_eq!(theirs.len(), 1, "the conflict is raised on both sides");
    assert_eq!(
        (theirs[0].field.as_str(), theirs[0].local.clone(), theirs[0].remote.clone()),
        ("phone", Some(Value::from("13800000002")), Some(Value::from("13800000003")))
    );
    assert_eq!(village.sync_status().unwrap().state, "attention");

    let unchosen = town.resolve_conflicts(vhr_app::ResolveRequest {
        entity: vhr_domain::entity::Entity::Resident,
        entity_id: id.clone(),
        choices: vec![],
    });
    assert!(unchosen.is_err(), "every conflicting field needs a choice");

    // The doctor keeps the village's number; both installs end with it.
    let choice = vhr_app::ConflictChoice { conflict_id: conflicts[0].id, choice: "remote".into() };
    town.resolve_conflicts(vhr_app::ResolveRequest {
        entity: vhr_domain::entity::Entity::Resident,
        entity_id: id.clone(),
        choices: vec![choice],
    })
    .unwrap();
    assert_eq!(town.resident(&id).unwrap().resident.data.phone, "13800000002");
    assert!(town.sync_conflicts().unwrap().is_empty());
    let t = synced(&mut town);
    assert_eq!((t.pushed, t.counts.waiting, t.counts.conflicted), (1, 0, 0), "{t:?}");
    synced(&mut village);
    assert_eq!(village.resident(&id).unwrap().resident.data.phone, "13800000002");
    assert!(village.sync_conflicts().unwrap().is_empty(), "the township's choice settles the village's copy of the conflict");
    assert_eq!(town.sync_status().unwrap().state, "up_to_date");
    assert_eq!(village.sync_status().unwrap().state, "up_to_date");
    assert_eq!(synced(&mut town).pushed, 0, "and nothing goes back and forth after");
}

#[test]
fn through_a_proxy_that_drops_delays_fails_and_cuts_thousands_of_changes_arrive_once_and_nothing_is_lost() {
    let peer = Peer::start();
    let proxy =
        common::proxy::Proxy::start(peer.base.trim_start_matches("http://"), 0.2, std::time::Duration::from_millis(2_500), 20261121);
    let dir = tempfile::tempdir().unwrap();
    let mut c = common::clinic(dir.path());
    c.load_demo(400, 21, 4, &mut |_, _| {}).unwrap();
    let mut s = settings(&peer);
    s.platform.base_url = proxy.base.clone();
    s.platform.timeout_seconds = 2;
    c.set_sync_settings(&s).unwrap();
    let waiting = c.sync_status().unwrap().waiting;
    assert!(waiting > 2_000, "thousands of changes: {waiting}");

    let mut passes = 0;
    loop {
        passes += 1;
        let r = synced(&mut c);
        assert_eq!((r.counts.quarantined, r.counts.conflicted), (0, 0), "faults are not the record's fault: {r:?}");
        if r.counts.waiting == 0 && !r.offline {
            break;
        }
        assert!(passes < 40, "the outbox drains in the end: {r:?}");
    }
    assert!(proxy.faults() > 20, "the proxy did its job: {:?}", proxy.tally.lock().unwrap());

    // Then every resident is edited (an update with If-Match this time): an
    // update whose answer was lost comes back 412 on the retry, and must be
    // recognised as this install's own write, not raised as a conflict.
    let all = c
        .search(&vhr_app::SearchRequest { query: String::new(), village: None, tag: None, status: Default::default(), limit: Some(10_000) })
        .unwrap();
    for (i, r) in all.iter().enumerate() {
        let r = c.resident(&r.id).unwrap().resident;
        let mut data = r.data.clone();
        data.phone = format!("139{:08}", i);
        c.update(vhr_app::UpdateRequest { id: r.id.clone(), expected_version: r.version, resident: data, confirm: true }).unwrap();
    }
    let faults_before = proxy.faults();
    loop {
        passes += 1;
        let r = synced(&mut c);
        assert_eq!((r.counts.quarantined, r.counts.conflicted), (0, 0), "a lost answer is not a conflict: {r:?}");
        if r.counts.waiting == 0 && !r.offline {
            break;
        }
        assert!(passes < 80, "the outbox drains in the end: {r:?}");
    }
    assert!(proxy.faults() > faults_before, "the edits met faults too");
    eprintln!(
        "{waiting} changes, then {} edits, in {passes} passes through {} requests; faults: {:?}",
        all.len(),
        proxy.requests.load(std::sync::atomic::Ordering::SeqCst),
        proxy.tally.lock().unwrap()
    );

    // Server and local agree: every entity once, nothing missing.
    let residents = c.counts().unwrap().residents as u64;
    assert_eq!(peer.count("Patient"), residents);
    assert_eq!(peer.count("Encounter"), c.counts().unwrap().services as u64);
    assert_eq!(peer.count("QuestionnaireResponse"), c.counts().unwrap().services as u64 + residents);
    let mut seen = std::collections::HashSet::new();
    for p in every_entry(&peer, "Patient") {
        let no = p["identifier"][0]["value"].as_str().unwrap().to_string();
        assert!(seen.insert(no.clone()), "record {no} is on the server twice");
        let local = c.resident(&no).unwrap().resident;
        assert_eq!(p["id"].as_str(), Some(local.id.as_str()));
        assert_eq!(p["name"][0]["text"].as_str(), Some(local.data.name.as_str()), "the server holds what the clinic holds");
        assert_eq!(p["telecom"][0]["value"].as_str(), Some(local.data.phone.as_str()), "and the latest edit");
    }
    assert_eq!(seen.len() as u64, residents);
    // Straight to the server, a last pass finds nothing to send or fetch.
    s.platform.base_url = peer.base.clone();
    c.set_sync_settings(&s).unwrap();
    let last = synced(&mut c);
    assert_eq!((last.pushed, last.pulled, last.offline), (0, 0, false), "{last:?}");
}

#[test]
fn the_background_worker_waits_offline_then_sends_when_the_platform_comes_up() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = common::clinic(dir.path());
    common::register(&mut c, "张三", ID_NUMBERS[0]);
    common::register(&mut c, "李四", ID_NUMBERS[1]);
    let port = common::peer::free_port();
    let mut s = SyncSettings::default();
    s.platform.base_url = format!("http://127.0.0.1:{port}");
    s.platform.probe_seconds = 1;
    s.platform.push.backoff_base_ms = 20;
    s.platform.push.max_failures = 1;
    c.set_sync_settings(&s).unwrap();

    let (tx, rx) = std::sync::mpsc::channel();
    let worker = c
        .start_sync(move |e| {
            if let vhr_app::background::SyncEvent::Status(s) = e {
                let _ = tx.send(s);
            }
        })
        .unwrap();
    let wait_for = |state: &str| {
        let until = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            let s = rx.recv_timeout(until.saturating_duration_since(std::time::Instant::now())).expect("a status arrives in time");
            if s.state == state {
                return s;
            }
        }
    };
    let offline = wait_for("offline");
    assert_eq!(offline.waiting, 2, "both residents wait while the platform is away");

    let peer = Peer::start_on(port);
    let up = wait_for("up_to_date");
    assert_eq!((up.waiting, up.quarantined, up.conflicted), (0, 0, 0));
    assert!(up.last_success.is_some());
    assert_eq!(peer.count("Patient"), 2, "the worker sent them when the platform answered");
    drop(worker);
    let passes = c.audit_list(&vhr_app::AuditQuery { action: Some("sync".into()), ..Default::default() }).unwrap();
    assert!(!passes.is_empty(), "the worker's passes are in the trail");
    assert!(passes.iter().all(|e| e.user_id == "sync"), "under the install's own name, with no one signed in to it: {passes:?}");
}

#[test]
fn platform_settings_keep_the_secret_out_of_sight_and_refuse_an_address_without_http() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = common::clinic(dir.path());
    let setup = vhr_app::PlatformSetup {
        base_url: "https://platform.example/fhir/".into(),
        interval_seconds: 600,
        credentials_kind: "bearer".into(),
        token_url: String::new(),
        client_id: String::new(),
        scope: String::new(),
        has_secret: false,
        secret: Some("tok-123".into()),
    };
    let saved = c.set_platform_setup(setup).unwrap();
    assert_eq!((saved.base_url.as_str(), saved.has_secret, saved.secret.as_deref()), ("https://platform.example/fhir", true, None));
    let again = c.set_platform_setup(vhr_app::PlatformSetup { secret: None, ..saved.clone() }).unwrap();
    assert!(again.has_secret, "saving without a new secret keeps the stored one");
    assert!(!serde_json::to_string(&c.platform_setup().unwrap()).unwrap().contains("tok-123"), "the secret never goes to the window");

    let err = c.set_platform_setup(vhr_app::PlatformSetup { base_url: "platform.example".into(), ..again.clone() }).unwrap_err();
    assert_eq!(
        serde_json::to_value(err.to_wire(vhr_domain::i18n::Lang::Zh)).unwrap(),
        serde_json::json!({
            "code": "invalid",
            "message": "有 1 处需要修改，请查看标红的项目",
            "problems": [{ "field": "base_url", "code": "platform.url", "severity": "error",
                "message": { "zh": "平台地址应以 https:// 开头，例如 https://平台地址/fhir", "en": "The platform address starts with https://, such as https://platform.example/fhir" } }]
        }),
        "the error reaches the window as {{code, message}} with the field to mark"
    );
    for plain in ["http://platform.example/fhir", "http://192.168.1.20:8080/fhir"] {
        let err = c.set_platform_setup(vhr_app::PlatformSetup { base_url: plain.into(), ..again.clone() }).unwrap_err();
        let vhr_app::Error::Invalid(problems) = &err else { panic!("{plain}: refused as input, not {err:?}") };
        assert_eq!(
            (problems[0].field.as_str(), problems[0].code.as_str()),
            ("base_url", "platform.not_https"),
            "{plain}: records never travel unencrypted"
        );
    }
    let token_over_http = vhr_app::PlatformSetup {
        credentials_kind: "client_credentials".into(),
        token_url: "http://auth.example/token".into(),
        client_id: "clinic".into(),
        ..again.clone()
    };
    let vhr_app::Error::Invalid(problems) = c.set_platform_setup(token_over_http).unwrap_err() else { panic!("refused as input") };
    assert_eq!(problems[0].field, "token_url", "nor the platform's secret");
    assert_eq!(c.sync_settings().unwrap().platform.base_url, "https://platform.example/fhir", "nothing was changed");
    c.set_platform_setup(vhr_app::PlatformSetup { base_url: "http://127.0.0.1:8080/fhir".into(), ..again })
        .expect("a test server on this computer");
}

#[test]
fn a_conflict_decided_on_the_install_that_did_not_find_it_settles_the_other() {
    let peer = Peer::start();
    let (_dirs, mut village, mut town) = two_installs(&peer);
    let id = common::register(&mut village, "张三", ID_NUMBERS[1]).resident.resident.id;
    synced(&mut village);
    synced(&mut town);
    for (c, phone) in [(&mut village, "13800000012"), (&mut town, "13800000013")] {
        let r = c.resident(&id).unwrap().resident;
        let mut data = r.data.clone();
        data.phone = phone.into();
        c.update(vhr_app::UpdateRequest { id: id.clone(), expected_version: r.version, resident: data, confirm: true }).unwrap();
    }
    synced(&mut village);
    synced(&mut town); // finds the conflict, publishes the notice
    synced(&mut village); // raises it from the notice
    let raised = village.sync_conflicts().unwrap();
    assert_eq!(raised.len(), 1);

    // The village doctor keeps the village's number.
    let choice = vhr_app::ConflictChoice { conflict_id: raised[0].id, choice: "local".into() };
    village
        .resolve_conflicts(vhr_app::ResolveRequest {
            entity: vhr_domain::entity::Entity::Resident,
            entity_id: id.clone(),
            choices: vec![choice],
        })
        .unwrap();
    synced(&mut village);
    let t = synced(&mut town);
    assert!(town.sync_conflicts().unwrap().is_empty(), "the township's conflict is settled by the village's choice: {t:?}");
    assert_eq!(town.resident(&id).unwrap().resident.data.phone, "13800000012", "the township adopts the chosen number");
    synced(&mut town);
    synced(&mut village);
    for c in [&village, &town] {
        assert_eq!(c.resident(&id).unwrap().resident.data.phone, "13800000012");
        assert_eq!(c.sync_status().unwrap().state, "up_to_date");
    }
    assert_eq!(peer.count("Patient"), 1);
}

#[test]
fn a_resident_moved_outside_the_catchment_is_flagged_not_dropped_and_strangers_stay_out() {
    let peer = Peer::start();
    let (_dirs, mut village, mut town) = two_installs(&peer);
    // The village clinic keeps village 101 only; the township keeps both.
    let mut s = settings(&peer);
    s.catchment = vec!["101".into()];
    village.set_sync_settings(&s).unwrap();
    let id = common::register(&mut village, "张三", ID_NUMBERS[2]).resident.resident.id;
    synced(&mut village);
    synced(&mut town);

    // The township records that 张三 moved to village 102, and registers a
    // new resident there.
    let r = town.resident(&id).unwrap().resident;
    let mut data = r.data.clone();
    data.village_code = "102".into();
    town.update(vhr_app::UpdateRequest { id: id.clone(), expected_version: r.version, resident: data, confirm: true }).unwrap();
    let mut stranger = common::input("李四", ID_NUMBERS[3]);
    stranger.village_code = "102".into();
    town.register(vhr_app::RegisterRequest { resident: stranger, household: None, confirm: true }).unwrap();
    synced(&mut town);

    synced(&mut village);
    assert_eq!(village.counts().unwrap().residents, 1, "a resident of another village is not brought in");
    assert_eq!(village.resident(&id).unwrap().resident.data.village_code, "102", "the move itself is kept");
    let flagged = village.outside_catchment().unwrap();
    assert_eq!(flagged.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), vec![id.as_str()], "and flagged for the doctor");
}

/// Sets the first answer of the item `link_id` anywhere in a response.
fn set_answer(item: &mut Value, link_id: &str, answer: Value) -> bool {
    if item["linkId"] == link_id {
        item["answer"] = serde_json::json!([answer]);
        return true;
    }
    item.get_mut("item").and_then(Value::as_array_mut).is_some_and(|items| items.iter_mut().any(|i| set_answer(i, link_id, answer.clone())))
}

/// Writes a resource to the platform as another system would: a new version
/// under the same id, from a source that is neither install.
fn written_elsewhere(peer: &Peer, mut resource: Value) {
    resource["meta"] = serde_json::json!({ "source": "urn:uuid:another-system" });
    let reply = peer.client().put(&resource, None).expect("the peer answers");
    assert!(reply.ok(), "the platform takes what another system wrote: {}", reply.reasons());
}

#[test]
fn a_pulled_page_with_broken_resources_lands_the_good_ones_lists_the_broken_with_why_and_takes_them_once_corrected() {
    let peer = Peer::start();
    let (_dirs, mut village, mut town) = two_installs(&peer);
    village.load_demo(10, 5, 1, &mut |_, _| {}).unwrap();
    synced(&mut village);

    // Another system writes two broken copies among the good ones: resident
    // A's Patient with a birth date the ID number contradicts, and resident
    // B's hypertension follow-up with a systolic pressure no one has.
    let responses = every_entry(&peer, "QuestionnaireResponse");
    let subject = |r: &Value| r["subject"]["reference"].as_str().unwrap().trim_start_matches("Patient/").to_string();
    let is_form = |r: &Value, form: &str| r["questionnaire"].as_str().is_some_and(|q| q.contains(&format!("/Questionnaire/{form}|")));
    let response = responses.iter().find(|r| is_form(r, "hypertension_followup")).expect("the demo has hypertension follow-ups").clone();
    let followup = response["id"].as_str().unwrap().to_string();
    let resident_b = subject(&response);
    let sbp_before = village.service(&followup).unwrap().data["sbp"].as_f64();
    let resident_a = responses
        .iter()
        .filter(|r| !is_form(r, "personal_basic_info") && subject(r) != resident_b)
        .map(subject)
        .find(|id| village.resident(id).unwrap().resident.data.id_document.citizen_number().is_some())
        .expect("another demo resident with forms and an ID number");
    let forms_of_a = village.timeline(&resident_a).unwrap().len();
    assert!(forms_of_a > 0);
    let birth_a = village.resident(&resident_a).unwrap().resident.data.birth_date.unwrap();
    let patient_a = peer.get(&format!("Patient/{resident_a}"));
    let mut broken_patient = patient_a.clone();
    broken_patient["birthDate"] = (birth_a + chrono::Days::new(400)).to_string().into();
    written_elsewhere(&peer, broken_patient);
    let mut broken_response = response.clone();
    assert!(
        set_answer(&mut broken_response, "sbp", serde_json::json!({ "valueDecimal": 900 })),
        "the follow-up carries a systolic pressure"
    );
    written_elsewhere(&peer, broken_response);

    let report = synced(&mut town);
    assert_eq!(report.set_aside, 2 + forms_of_a, "the two broken ones, and A's forms, which wait for A: {report:?}");
    assert_eq!(town.counts().unwrap().residents, village.counts().unwrap().residents - 1, "every good resident landed");
    assert_eq!(town.counts().unwrap().services, village.counts().unwrap().services - 1 - forms_of_a as i64, "every good form landed");
    assert!(matches!(town.resident(&resident_a), Err(vhr_app::Error::NotFound { .. })), "nothing of the broken resident is stored");
    let page_b = town.resident(&resident_b).expect("the resident's page opens although one of the forms was refused");
    assert_eq!(page_b.resident.data.name, village.resident(&resident_b).unwrap().resident.data.name);
    let timeline_b = town.timeline(&resident_b).expect("and so does his list of forms");
    assert!(timeline_b.iter().all(|e| e.record.id != followup), "without the broken follow-up");

    let listed = town.sync_set_aside().unwrap();
    let patient = listed.iter().find(|s| s.resource_type == "Patient").expect("the Patient is listed");
    assert_eq!(patient.resource_id, resident_a);
    assert!(patient.reason_zh.contains("出生日期") && patient.reason_en.contains("birth date"), "with why, in both languages: {patient:?}");
    let form = listed.iter().find(|s| s.resource_id == followup).expect("the follow-up is listed");
    assert!(form.reason_zh.contains("收缩压") || form.reason_zh.contains("350"), "naming the value's limits: {form:?}");
    assert_eq!(form.resident_id.as_deref(), Some(resident_b.as_str()), "and whose it is, to open the resident from the list");
    let waiting = listed.iter().filter(|s| s.reason_en.contains("waits")).count();
    assert_eq!(waiting, forms_of_a, "resident A's forms say they wait for the resident");
    let status = town.sync_status().unwrap();
    assert_eq!((status.state.as_str(), status.set_aside), ("attention", listed.len() as i64), "the indicator asks for attention");

    // A pass with nothing new tries them again and still refuses them: the
    // cursor moved on, the list did not forget.
    let again = synced(&mut town);
    assert_eq!((again.pulled, again.set_aside), (0, listed.len()), "{again:?}");
    assert_eq!(town.sync_set_aside().unwrap()[0].tries, 2);

    // Corrected on the platform, both land, and A's forms with A.
    written_elsewhere(&peer, patient_a);
    written_elsewhere(&peer, response);
    let fixed = synced(&mut town);
    assert_eq!(fixed.set_aside, 0, "{fixed:?}");
    assert_eq!(town.sync_set_aside().unwrap(), vec![], "the list is empty once every one landed");
    assert_eq!(town.counts().unwrap().residents, village.counts().unwrap().residents);
    assert_eq!(town.counts().unwrap().services, village.counts().unwrap().services);
    assert_eq!(town.resident(&resident_a).unwrap().resident.data.birth_date, Some(birth_a));
    let sbp = town.service(&followup).unwrap().data["sbp"].as_f64();
    assert_eq!(sbp, sbp_before, "the corrected follow-up is the one stored");
    assert_eq!(town.sync_status().unwrap().state, "up_to_date");
}

#[test]
fn numbers_another_install_issued_from_the_same_block_are_reserved_and_reported_and_registration_goes_on() {
    let peer = Peer::start();
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    // The township gave both installs the same block by mistake.
    let (mut here, mut there) = (common::clinic(da.path()), common::clinic(db.path()));
    here.set_sync_settings(&settings(&peer)).unwrap();
    there.set_sync_settings(&settings(&peer)).unwrap();
    let mine = common::register(&mut here, "张三", ID_NUMBERS[0]).resident.resident;
    let clash = common::register(&mut there, "李四", ID_NUMBERS[1]).resident.resident;
    let inside = common::register(&mut there, "王五", ID_NUMBERS[2]).resident.resident;
    assert_eq!((mine.record_no.as_str(), clash.record_no.as_str()), ("45010210110100001", "45010210110100001"));
    synced(&mut there);

    let report = synced(&mut here);
    assert_eq!(report.set_aside, 1, "{report:?}");
    let listed = here.sync_set_aside().unwrap();
    assert_eq!(listed[0].resource_id, clash.id, "李四 cannot take a number 张三 holds here");
    assert!(listed[0].reason_zh.contains("45010210110100001") && listed[0].reason_zh.contains("张三"), "{:?}", listed[0]);
    assert_eq!(here.resident(&inside.id).unwrap().resident.record_no, "45010210110100002", "王五 arrives with the number given there");
    let v101 = &here.village_serials().unwrap()[0];
    assert_eq!(v101.arrived_inside, 1, "and the overlap is reported");

    // Registration goes on, stepping over the number that arrived.
    let next = common::register(&mut here, "赵六", ID_NUMBERS[3]).resident.resident;
    assert_eq!(next.record_no, "45010210110100003");
}

#[test]
fn a_provisional_number_stays_on_its_install_until_the_final_one_and_then_the_record_reaches_the_other() {
    let peer = Peer::start();
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    // A village clinic whose block for village 101 holds one serial.
    let mut village = common::clinic_with_block(da.path(), SerialBlock { start: 7, end: 7 });
    let mut town = township(db.path());
    village.set_sync_settings(&settings(&peer)).unwrap();
    town.set_sync_settings(&settings(&peer)).unwrap();
    common::register(&mut village, "张三", ID_NUMBERS[0]);
    let waiting = common::register(&mut village, "李四", ID_NUMBERS[1]).resident.resident;
    assert_eq!(waiting.record_no, "450102101101L0001");
    synced(&mut village);
    let sent = every_entry(&peer, &format!("Patient?_id={}", waiting.id));
    assert_eq!(sent[0]["identifier"][0]["use"], "temp", "the platform is told the number is not final");

    let first = synced(&mut town);
    assert_eq!(first.set_aside, 1, "{first:?}");
    assert!(town.sync_set_aside().unwrap()[0].reason_zh.contains("临时编号"));

    let letter =
        vhr_app::AddBlockRequest {
            village_code: "101".into(), start: "100".into(), end: "199".into(), note: "乡镇卫生院补发".into()
        };
    assert_eq!(village.add_serial_block(letter).unwrap()[0].record_no, "45010210110100100");
    synced(&mut village);
    let second = synced(&mut town);
    assert_eq!(second.set_aside, 0, "{second:?}");
    assert_eq!(town.resident(&waiting.id).unwrap().resident.record_no, "45010210110100100", "it lands with its final number");
}

/// A closure, a merge and a reopening made at the village clinic reach the
/// township hospital through the platform as they were: the status and its
/// facts, the service record that moved, the duplicate's number finding the
/// record kept — and nothing is echoed back.
#[test]
fn closures_and_merges_reach_the_other_install_through_the_platform() {
    use vhr_domain::closure::ClosureReason;
    let peer = Peer::start();
    let (_dirs, mut village, mut town) = two_installs(&peer);
    let born = chrono::NaiveDate::from_ymd_opt(1950, 5, 5).unwrap();
    let dead = common::register(&mut village, "王老汉", &vhr_domain::id_card::compose("450102", born, 11)).resident.resident;
    let keep = common::register(&mut village, "李桂英", &vhr_domain::id_card::compose("450102", born, 22)).resident.resident;
    let mut second = common::input("李桂英", "");
    second.id_document = vhr_domain::resident::IdDocument::None;
    second.sex = Some(vhr_domain::resident::Sex::Female);
    second.birth_date = Some(born);
    let dup = village.register(vhr_app::RegisterRequest { resident: second, household: None, confirm: true }).unwrap().resident.resident;
    let visit =
        serde_json::json!({"visit_date": "2026-11-10", "subjective": "头晕", "assessment": "血压偏高", "plan": "复查", "doctor": "李春华"});
    let moved = village
        .add_service(vhr_app::AddServiceRequest {
            resident_id: dup.id.clone(),
            form_id: "visit_record".into(),
            values: visit.as_object().unwrap().clone(),
            confirm: true,
        })
        .unwrap()
        .record;
    synced(&mut village);
    synced(&mut town);

    let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 12).unwrap();
    village
        .close_record(vhr_app::CloseRequest {
            resident_id: dead.id.clone(),
            expected_version: dead.version,
            on: Some(day),
            reason: ClosureReason::Died { cause: "脑出血".into() },
        })
        .unwrap();
    village
        .merge_records(vhr_app::MergeRequest {
            keep_id: keep.id.clone(),
            keep_version: keep.version,
            duplicate_id: dup.id.clone(),
            duplicate_version: dup.version,
            confirm: false,
        })
        .unwrap();
    let sent = synced(&mut village);
    assert!(sent.error.as_deref().is_none_or(|e| e.contains("审计")), "only the audit events wait: {sent:?}");
    assert_eq!(sent.counts.waiting, 0, "everything went up: {sent:?}");

    let pulled = synced(&mut town);
    assert!(pulled.pulled >= 3, "{pulled:?}");
    let there = town.resident(&dead.id).unwrap().resident;
    assert_eq!(there.status, vhr_domain::resident::RecordStatus::Dead);
    assert_eq!(there.closure.as_ref().map(|c| (c.on, c.reason.clone())), Some((day, ClosureReason::Died { cause: "脑出血".into() })));
    assert_eq!(town.service(&moved.id).unwrap().resident_id, keep.id, "the service record moved there too");
    assert_eq!(town.resident(&dup.id).unwrap().resident.status, vhr_domain::resident::RecordStatus::Cancelled);
    let by_number: Vec<String> = town
        .search(&vhr_app::SearchRequest { query: dup.record_no.clone(), village: None, tag: None, status: Default::default(), limit: None })
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(by_number, [keep.id.clone(), dup.id.clone()], "the duplicate's number finds the record kept there too");
    assert_eq!(synced(&mut town).pushed, 0, "nothing echoed back");

    // Found alive after all: the township reopens, the village learns of it.
    let there = town.resident(&dead.id).unwrap().resident;
    town.reopen_record(vhr_app::ReopenRequest {
        resident_id: dead.id.clone(),
        expected_version: there.version,
        on: Some(chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap()),
        why: "误报死亡".into(),
    })
    .unwrap();
    synced(&mut town);
    synced(&mut village);
    let back = village.resident(&dead.id).unwrap().resident;
    assert_eq!((back.status, back.reopened.map(|r| r.why)), (vhr_domain::resident::RecordStatus::Active, Some("误报死亡".to_string())));
}

#[test]
fn after_a_restore_what_was_sent_comes_back_from_the_platform_and_what_was_not_is_sent_from_the_replaced_file() {
    let peer = Peer::start();
    let dir = tempfile::tempdir().unwrap();
    let mut c = common::clinic(dir.path());
    c.set_sync_settings(&settings(&peer)).unwrap();
    c.load_demo(6, 2, 1, &mut |_, _| {}).unwrap();
    synced(&mut c);
    let backup = std::path::PathBuf::from(c.backup(None, &mut |_, _| true).unwrap().path);
    // After the backup: a registration that reaches the platform ...
    let sent = common::register(&mut c, "周新来", ID_NUMBERS[0]);
    assert_eq!(synced(&mut c).pushed, 1);
    // ... and an edit that never does.
    let unsent = c
        .search(&vhr_app::SearchRequest { query: String::new(), village: None, tag: None, status: Default::default(), limit: Some(1) })
        .unwrap()[0]
        .id
        .clone();
    let r = c.resident(&unsent).unwrap().resident;
    let mut data = r.data.clone();
    data.phone = "13977776666".into();
    c.update(vhr_app::UpdateRequest { id: r.id.clone(), expected_version: r.version, resident: data, confirm: true }).unwrap();
    let residents = c.counts().unwrap().residents;
    drop(c);

    let mut desk = vhr_app::Desk::open(dir.path(), common::env()).unwrap();
    desk.sign_in("li", common::PASSWORD).unwrap();
    let restored = desk.restore(&backup).unwrap();
    assert_eq!(restored.replay.written, 1, "the unsent edit is written again from the replaced file: {restored:?}");

    let mut c = common::reopen(dir.path());
    assert!(c.resident(&sent.resident.resident.id).is_err(), "the backup does not have the registration that was sent");
    let pass = synced(&mut c);
    assert_eq!(pass.pushed, 1, "the replayed edit goes up: {pass:?}");
    let back = c.resident(&sent.resident.resident.id).expect("what this install sent comes back from the platform").resident;
    assert_eq!((back.data.name.as_str(), back.record_no.as_str()), ("周新来", sent.resident.resident.record_no.as_str()));
    assert_eq!(c.counts().unwrap().residents, residents, "every record, once");
    assert_eq!(peer.get(&format!("Patient/{unsent}"))["telecom"][0]["value"], "13977776666", "the platform has the edit");
    let quiet = synced(&mut c);
    assert_eq!((quiet.pushed, quiet.pulled), (0, 0), "and then nothing moves: {quiet:?}");
}

/// A clinic of another township, 河湾镇柳树村卫生室 (102), serving 柳树村 (201).
fn other_township(dir: &std::path::Path) -> Clinic {
    let mut install = vhr_app::Install::at(dir, common::env()).unwrap();
    let profile = vhr_domain::clinic::ClinicProfile {
        institution_name: "河湾镇柳树村卫生室".into(),
        institution_phone: String::new(),
        county_code: "450102".into(),
        division_code_year: 2024,
        township_code: "102".into(),
        township_name: "河湾镇".into(),
        villages: vec![vhr_domain::clinic::Village { code: "201".into(), name: "柳树村".into() }],
        serial_block: SerialBlock { start: 1, end: 99_999 },
    };
    install
        .setup(vhr_app::SetupRequest {
            profile,
            username: "zhao".into(),
            display_name: "赵建国".into(),
            password: common::PASSWORD.into(),
            phone: String::new(),
        })
        .unwrap()
}

#[test]
fn a_record_moved_away_through_the_platform_is_taken_in_where_it_went_and_stays_closed_where_it_left() {
    use vhr_domain::closure::{ClosureReason, Handover};
    use vhr_domain::resident::RecordStatus;
    let peer = Peer::start();
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut here = common::clinic(da.path());
    let mut there = other_township(db.path());
    here.set_sync_settings(&settings(&peer)).unwrap();
    there.set_sync_settings(&settings(&peer)).unwrap();

    let born = chrono::NaiveDate::from_ymd_opt(1950, 5, 5).unwrap();
    let mut i = common::input("孙桂兰", &vhr_domain::id_card::compose("450102", born, 21));
    i.basic_info.insert("past_diseases".into(), serde_json::json!([{"code": "2", "date": "2015-03"}]));
    let sun = here.register(vhr_app::RegisterRequest { resident: i, household: None, confirm: true }).unwrap().resident.resident;
    let visit = serde_json::json!({
        "visit_date": "2026-11-02", "method": "1", "symptoms": ["1"], "emergency": ["1"], "sbp": 150, "dbp": 88,
        "weight": 60, "height": 158, "adherence": "1", "adverse_reaction": "1",
        "classification": "1", "next_step": "1", "next_date": "2027-02-20", "doctor": "李春华"
    });
    here.add_service(vhr_app::AddServiceRequest {
        resident_id: sun.id.clone(),
        form_id: "hypertension_followup".into(),
        values: visit.as_object().unwrap().clone(),
        confirm: true,
    })
    .unwrap();
    synced(&mut here);
    synced(&mut there);
    assert_eq!(there.counts().unwrap().residents, 0, "another township's resident is not pulled there");

    let sun = here.resident(&sun.id).unwrap().resident;
    here.close_record(vhr_app::CloseRequest {
        resident_id: sun.id.clone(),
        expected_version: sun.version,
        on: Some(chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap()),
        reason: ClosureReason::MovedAway {
            destination_institution: "河湾镇柳树村卫生室".into(),
            destination_address: "河湾镇柳树村5组".into(),
            handover: Handover { handed_over_by: "李春华".into(), received_by: String::new(), items: "纸质档案一袋".into() },
        },
    })
    .unwrap();
    let left = here.resident(&sun.id).unwrap().resident;
    assert_eq!(left.managing_institution(), "河湾镇柳树村卫生室", "moving away hands the record's management on");
    synced(&mut here);
    let patient = peer.get(&format!("Patient/{}", sun.id));
    assert_eq!(patient["managingOrganization"]["display"], "河湾镇柳树村卫生室", "the platform names who manages it now");

    synced(&mut there);
    let waiting = there.platform_transfers().unwrap();
    assert_eq!(waiting.len(), 1, "the institution it moved to is told of it");
    assert_eq!((waiting[0].resident.record_no.as_str(), waiting[0].resident.status), (sun.record_no.as_str(), RecordStatus::MovedOut));
    let register = vhr_app::SearchRequest { query: String::new(), village: None, tag: None, status: Default::default(), limit: None };
    assert!(there.search(&register).unwrap().is_empty(), "waiting to be taken in, not yet in the register");
    let taken = there
        .take_in_from_platform(vhr_app::PlatformTakeIn {
            resident_id: sun.id.clone(),
            expected_version: waiting[0].resident.version,
            village_code: "201".into(),
        })
        .unwrap();
    let r = &taken.resident.resident;
    assert_eq!((r.status, r.data.village_code.as_str(), r.managing_institution()), (RecordStatus::Active, "201", "河湾镇柳树村卫生室"));
    assert_eq!(
        (r.record_no.as_str(), r.institution.as_str()),
        (sun.record_no.as_str(), "青山镇石桥村卫生室"),
        "its number and 建档单位 stay"
    );
    assert_eq!(taken.services, 1, "its follow-up came with it");
    assert!(taken.programs.contains(&vhr_domain::programs::Program::Hypertension), "{:?}", taken.programs);
    assert!(there.platform_transfers().unwrap().is_empty());
    let sent = synced(&mut there);
    assert!(sent.pushed >= 1, "{sent:?}");

    synced(&mut here);
    let kept = here.resident(&sun.id).unwrap().resident;
    assert_eq!((kept.status, kept.version), (RecordStatus::MovedOut, left.version), "the clinic it left keeps it closed as it left");
}

/// A closure on one side and an edit on the other are different fields of
/// the record: both are kept on both sides, and neither undoes the other.
#[test]
fn a_closure_on_one_install_and_an_edit_on_the_other_merge_and_both_stay() {
    use vhr_domain::closure::ClosureReason;
    use vhr_domain::resident::RecordStatus;
    let peer = Peer::start();
    let (_dirs, mut village, mut town) = two_installs(&peer);
    let id = common::register(&mut village, "张三", ID_NUMBERS[1]).resident.resident.id;
    synced(&mut village);
    synced(&mut town);

    let r = village.resident(&id).unwrap().resident;
    let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 15).unwrap();
    village
        .close_record(vhr_app::CloseRequest {
            resident_id: id.clone(),
            expected_version: r.version,
            on: Some(day),
            reason: ClosureReason::Died { cause: "脑出血".into() },
        })
        .unwrap();
    let r = town.resident(&id).unwrap().resident;
    let mut data = r.data.clone();
    data.phone = "13800000009".into();
    town.update(vhr_app::UpdateRequest { id: id.clone(), expected_version: r.version, resident: data, confirm: true }).unwrap();

    synced(&mut village);
    let t = synced(&mut town);
    assert_eq!(t.counts.conflicted, 0, "a closure and a phone number do not conflict: {t:?}");
    synced(&mut village);
    for c in [&village, &town] {
        let r = c.resident(&id).unwrap().resident;
        assert_eq!(r.status, RecordStatus::Dead, "the closure made on one side is not undone by the edit merged on the other");
        assert_eq!(r.closure.map(|c| c.on), Some(day));
        assert_eq!(r.data.phone, "13800000009", "and the edit is kept");
    }
    assert_eq!(synced(&mut town).pushed, 0, "and nothing goes back and forth after");
}
