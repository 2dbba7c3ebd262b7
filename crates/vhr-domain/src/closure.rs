//! Closing a record (健康档案的终止, §9.2) and taking it up again.
//!
//! A record closes for a death (its date and cause), a move away (where to,
//! and the handover record 档案交接记录), a loss to follow-up (why), the
//! cancellation of a duplicate (which record it duplicated: only a merge
//! closes that way) or another reason. The date is always recorded. Every
//! programme the resident is in ends with the closure, on its date and for
//! its reason; reopening the record (moved back, found again) takes those
//! programmes up again from the day it reopens. Nothing of it is deleted: the
//! closure stays in the record's history after a reopening.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::i18n::Localized;
use crate::problem::Problem;
use crate::programs::Program;
use crate::resident::{RecordStatus, Resident};

/// The longest text a closure's free-text fields keep.
pub const MAX_TEXT: usize = 200;

/// Why a record closed, with what each reason must record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum ClosureReason {
    /// 死亡: the date is the date of death.
    Died { cause: String },
    /// 迁出: the destination and the handover of the record.
    MovedAway {
        /// The institution that takes the record over (接收单位).
        destination_institution: String,
        #[serde(default)]
        destination_address: String,
        handover: Handover,
    },
    /// 失访.
    Lost { why: String },
    /// 注销: a second record of a person, merged into `survivor_id`.
    Duplicate { survivor_id: String, survivor_record_no: String },
    /// 其他.
    Other { why: String },
}

/// The handover record (档案交接记录) of a record that moves away.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Handover {
    /// 移交人: the user who handed the record over.
    #[serde(default)]
    pub handed_over_by: String,
    /// 接收人, when known.
    #[serde(default)]
    pub received_by: String,
    /// 移交内容: what went with the resident (the paper file, …).
    #[serde(default)]
    pub items: String,
}

/// A closed record's closure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Closure {
    /// The day the record ended (the day of death, of the move, …).
    pub on: NaiveDate,
    #[serde(flatten)]
    pub reason: ClosureReason,
    /// The programmes the closure ended (taken up again on reopening).
    #[serde(default)]
    pub ended_programs: Vec<Program>,
    pub closed_by: String,
    pub closed_at: DateTime<Utc>,
}

/// The latest reopening of a record that had been closed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Reopening {
    pub on: NaiveDate,
    pub why: String,
    pub by: String,
    pub at: DateTime<Utc>,
}

impl ClosureReason {
    /// The record's status once closed for this reason (§9.1).
    pub fn status(&self) -> RecordStatus {
        match self {
            ClosureReason::Died { .. } => RecordStatus::Dead,
            ClosureReason::MovedAway { .. } => RecordStatus::MovedOut,
            ClosureReason::Lost { .. } => RecordStatus::Lost,
            ClosureReason::Duplicate { .. } => RecordStatus::Cancelled,
            ClosureReason::Other { .. } => RecordStatus::Other,
        }
    }

    /// The `program_exit_reason` code the programmes end with.
    pub fn exit_reason(&self) -> &'static str {
        match self {
            ClosureReason::Died { .. } => "4",
            ClosureReason::MovedAway { .. } => "5",
            ClosureReason::Lost { .. } => "8",
            ClosureReason::Duplicate { .. } | ClosureReason::Other { .. } => "99",
        }
    }

    /// The reason's code, as the store and the platform name it.
    pub fn code(&self) -> &'static str {
        match self {
            ClosureReason::Died { .. } => "died",
            ClosureReason::MovedAway { .. } => "moved_away",
            ClosureReason::Lost { .. } => "lost",
            ClosureReason::Duplicate { .. } => "duplicate",
            ClosureReason::Other { .. } => "other",
        }
    }

    pub fn label(&self) -> Localized {
        let (zh, en) = match self {
            ClosureReason::Died { .. } => ("死亡", "Died"),
            ClosureReason::MovedAway { .. } => ("迁出", "Moved away"),
            ClosureReason::Lost { .. } => ("失访", "Lost to follow-up"),
            ClosureReason::Duplicate { .. } => ("重复建档，已注销", "Duplicate, cancelled"),
            ClosureReason::Other { .. } => ("其他", "Other"),
        };
        Localized::new(zh, en)
    }

    /// One line for a programme's end note, a card or an export: the reason
    /// and its detail.
    pub fn summary(&self) -> Localized {
        let label = self.label();
        let (zh, en) = match self {
            ClosureReason::Died { cause } => (format!("{}：{cause}", label.zh), format!("{}: {cause}", label.en)),
            ClosureReason::MovedAway { destination_institution, .. } => {
                (format!("{}至{destination_institution}", label.zh), format!("{} to {destination_institution}", label.en))
            }
            ClosureReason::Lost { why } | ClosureReason::Other { why } => (format!("{}：{why}", label.zh), format!("{}: {why}", label.en)),
            ClosureReason::Duplicate { survivor_record_no, .. } => {
                (format!("{}，并入 {survivor_record_no}", label.zh), format!("{}, merged into {survivor_record_no}", label.en))
            }
        };
        Localized::new(zh, en)
    }
}

/// A record merged into another: what the record kept remembers of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct MergedRecord {
    pub id: String,
    pub record_no: String,
}

/// What stands in the way of merging `duplicate` into `keep`, and what the
/// user must confirm: two records are one person's only if nothing says
/// otherwise. Different citizen ID numbers are two people.
pub fn merge_problems(keep: &Resident, duplicate: &Resident) -> Vec<Problem> {
    let mut problems = Vec::new();
    if keep.id == duplicate.id {
        problems.push(Problem::error("duplicate", "merge.same", "不能把档案合并到它自己", "A record cannot be merged into itself"));
        return problems;
    }
    if keep.status != RecordStatus::Active {
        problems.push(Problem::error(
            "keep",
            "merge.kept_closed",
            "保留的档案已结案：请先恢复它，再合并",
            "The record to keep is closed: reopen it before merging into it",
        ));
    }
    if duplicate.status == RecordStatus::Cancelled {
        problems.push(Problem::error("duplicate", "merge.already_merged", "该档案已合并注销", "That record has been merged already"));
    }
    let (a, b) = (&keep.data, &duplicate.data);
    if let (Some(x), Some(y)) = (a.id_document.citizen_number(), b.id_document.citizen_number()) {
        if x != y {
            problems.push(Problem::error(
                "duplicate",
                "merge.different_id_numbers",
                "两份档案的身份证号不同，是两个人，不能合并",
                "The two records have different ID numbers: two people, not one",
            ));
        }
    }
    if a.name != b.name {
        problems.push(Problem::warning(
            "duplicate",
            "merge.name_differs",
            format!("姓名不同：{} / {}", a.name, b.name),
            format!("The names differ: {} / {}", a.name, b.name),
        ));
    }
    if a.birth_date != b.birth_date {
        let show = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_else(|| "—".into());
        problems.push(Problem::warning(
            "duplicate",
            "merge.birth_differs",
            format!("出生日期不同：{} / {}", show(a.birth_date), show(b.birth_date)),
            format!("The birth dates differ: {} / {}", show(a.birth_date), show(b.birth_date)),
        ));
    }
    if a.sex != b.sex {
        problems.push(Problem::warning("duplicate", "merge.sex_differs", "性别不同", "The sexes differ"));
    }
    problems
}

/// What a print or an export of a closed record says about its status
/// ("档案已结案：死亡，2026-11-12"); nothing for a record in the register.
pub fn status_note(status: RecordStatus, closure: Option<&Closure>) -> Option<String> {
    if status == RecordStatus::Active {
        return None;
    }
    Some(match closure {
        Some(c) => format!("档案已结案：{}，{}", c.reason.label().zh, c.on),
        None => format!("档案已结案：{}", status.label().zh),
    })
}

fn clean(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).collect::<String>().trim().to_string()
}

/// What the facts of a record allow its closure or reopening to say.
#[derive(Debug, Clone, Copy)]
pub struct RecordFacts {
    pub birth_date: Option<NaiveDate>,
    pub today: NaiveDate,
}

fn check_date(on: Option<NaiveDate>, facts: RecordFacts, field: &str, problems: &mut Vec<Problem>) -> Option<NaiveDate> {
    match on {
        None => {
            problems.push(Problem::error(field, "required", "请填写日期", "Enter the date"));
            None
        }
        Some(d) if d > facts.today => {
            problems.push(Problem::error(field, "date.future", "日期不能晚于今天", "The date cannot be in the future"));
            None
        }
        Some(d) if facts.birth_date.is_some_and(|b| d < b) => {
            problems.push(Problem::error(field, "closure.before_birth", "日期早于出生日期", "The date comes before the birth date"));
            None
        }
        Some(d) => Some(d),
    }
}

fn required_text(text: &str, field: &str, zh: &str, en: &str, problems: &mut Vec<Problem>) -> String {
    let t = clean(text);
    if t.is_empty() {
        problems.push(Problem::error(field, "required", zh, en));
    } else if t.chars().count() > MAX_TEXT {
        problems.push(Problem::error(field, "text.too_long", format!("最多{MAX_TEXT}个字"), format!("At most {MAX_TEXT} characters")));
    }
    t
}

/// Cleans a closure as a user asked for it and finds what is wrong with it.
/// A duplicate is cancelled only by merging it into the record it
/// duplicates, never by closing it alone.
pub fn prepare(on: Option<NaiveDate>, reason: ClosureReason, facts: RecordFacts) -> Result<(NaiveDate, ClosureReason), Vec<Problem>> {
    let mut problems = Vec::new();
    let on = check_date(on, facts, "on", &mut problems);
    let reason = match reason {
        ClosureReason::Died { cause } => ClosureReason::Died {
            cause: required_text(&cause, "cause", "请填写死亡原因", "Enter the cause of death", &mut problems),
        },
        ClosureReason::MovedAway { destination_institution, destination_address, handover } => {
            let destination_institution = required_text(
                &destination_institution,
                "destination_institution",
                "请填写迁往的机构（接收单位）",
                "Enter the institution the record moves to",
                &mut problems,
            );
            let mut optional = |text: &str, field: &str| {
                let t = clean(text);
                if t.chars().count() > MAX_TEXT {
                    problems.push(Problem::error(
                        field,
                        "text.too_long",
                        format!("最多{MAX_TEXT}个字"),
                        format!("At most {MAX_TEXT} characters"),
                    ));
                }
                t
            };
            ClosureReason::MovedAway {
                destination_institution,
                destination_address: optional(&destination_address, "destination_address"),
                handover: Handover {
                    handed_over_by: optional(&handover.handed_over_by, "handover.handed_over_by"),
                    received_by: optional(&handover.received_by, "handover.received_by"),
                    items: optional(&handover.items, "handover.items"),
                },
            }
        }
        ClosureReason::Lost { why } => ClosureReason::Lost {
            why: required_text(&why, "why", "请填写失访原因", "Enter why the resident was lost to follow-up", &mut problems),
        },
        ClosureReason::Other { why } => {
            ClosureReason::Other { why: required_text(&why, "why", "请填写结案原因", "Enter why the record closes", &mut problems) }
        }
        ClosureReason::Duplicate { .. } => {
            problems.push(Problem::error(
                "reason",
                "closure.duplicate_by_merge",
                "重复档案请用“合并档案”注销：服务记录随之并入保留的档案",
                "A duplicate record is cancelled by merging it, so its service records move to the record kept",
            ));
            reason
        }
    };
    match (on, problems.is_empty()) {
        (Some(on), true) => Ok((on, reason)),
        _ => Err(problems),
    }
}

/// Checks a reopening: its date (not before the closure) and its reason.
pub fn prepare_reopening(
    on: Option<NaiveDate>,
    why: &str,
    closure: Option<&Closure>,
    facts: RecordFacts,
) -> Result<(NaiveDate, String), Vec<Problem>> {
    let mut problems = Vec::new();
    let Some(closure) = closure else {
        return Err(vec![Problem::error("status", "closure.not_closed", "该档案未结案", "The record is not closed")]);
    };
    if matches!(closure.reason, ClosureReason::Duplicate { .. }) {
        problems.push(Problem::error(
            "status",
            "closure.merged",
            "已合并注销的重复档案不能恢复；请使用保留的档案",
            "A duplicate merged into another record cannot be reopened: use the record it was merged into",
        ));
    }
    let on = check_date(on, facts, "on", &mut problems);
    if on.is_some_and(|d| d < closure.on) {
        problems.push(Problem::error("on", "closure.reopen_before", "恢复日期早于结案日期", "The record reopens before the day it closed"));
    }
    let why = required_text(why, "why", "请填写恢复档案的原因", "Enter why the record reopens", &mut problems);
    match (on, problems.is_empty()) {
        (Some(on), true) => Ok((on, why)),
        _ => Err(problems),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn facts() -> RecordFacts {
        RecordFacts { birth_date: Some(d("1950-03-01")), today: d("2026-12-03") }
    }

    fn codes(r: Result<(NaiveDate, ClosureReason), Vec<Problem>>) -> Vec<(String, String)> {
        r.expect_err("refused").into_iter().map(|p| (p.field, p.code)).collect()
    }

    #[test]
    fn a_death_needs_its_date_and_cause_and_maps_to_status_and_exit_reason() {
        let (on, reason) = prepare(Some(d("2026-11-20")), ClosureReason::Died { cause: "  脑出血\u{7} ".into() }, facts()).unwrap();
        assert_eq!(on, d("2026-11-20"));
        assert_eq!(reason, ClosureReason::Died { cause: "脑出血".into() }, "trimmed, control characters dropped");
        assert_eq!((reason.status(), reason.exit_reason()), (RecordStatus::Dead, "4"));
        let refused = codes(prepare(None, ClosureReason::Died { cause: " ".into() }, facts()));
        assert_eq!(refused, [("on".to_string(), "required".to_string()), ("cause".into(), "required".into())]);
    }

    #[test]
    fn dates_are_neither_in_the_future_nor_before_birth() {
        let died = || ClosureReason::Died { cause: "心梗".into() };
        assert_eq!(codes(prepare(Some(d("2026-12-04")), died(), facts())), [("on".to_string(), "date.future".to_string())]);
        assert_eq!(codes(prepare(Some(d("1949-12-31")), died(), facts())), [("on".to_string(), "closure.before_birth".to_string())]);
    }

    #[test]
    fn a_move_needs_the_destination_and_keeps_the_handover() {
        let moved = ClosureReason::MovedAway {
            destination_institution: "青秀区中山街道社区卫生服务中心".into(),
            destination_address: "南宁市青秀区中山路1号".into(),
            handover: Handover { handed_over_by: "李医生".into(), received_by: "".into(), items: "纸质档案1份".into() },
        };
        let (_, kept) = prepare(Some(d("2026-10-01")), moved.clone(), facts()).unwrap();
        assert_eq!((kept.clone(), kept.status(), kept.exit_reason()), (moved, RecordStatus::MovedOut, "5"));
        let no_destination = ClosureReason::MovedAway {
            destination_institution: "".into(),
            destination_address: "".into(),
            handover: Handover { handed_over_by: "".into(), received_by: "".into(), items: "x".repeat(MAX_TEXT + 1) },
        };
        assert_eq!(
            codes(prepare(Some(d("2026-10-01")), no_destination, facts())),
            [("destination_institution".to_string(), "required".to_string()), ("handover.items".into(), "text.too_long".into())]
        );
    }

    #[test]
    fn a_duplicate_is_cancelled_only_by_a_merge() {
        let dup = ClosureReason::Duplicate { survivor_id: "r2".into(), survivor_record_no: "45010210100100002".into() };
        assert_eq!(codes(prepare(Some(d("2026-10-01")), dup, facts())), [("reason".to_string(), "closure.duplicate_by_merge".to_string())]);
    }

    #[test]
    fn a_reopening_comes_after_the_closure_and_says_why() {
        let closure = Closure {
            on: d("2026-06-01"),
            reason: ClosureReason::Lost { why: "外出务工".into() },
            ended_programs: vec![Program::Hypertension],
            closed_by: "李医生".into(),
            closed_at: Utc::now(),
        };
        assert_eq!(
            prepare_reopening(Some(d("2026-07-01")), " 已返乡 ", Some(&closure), facts()).unwrap(),
            (d("2026-07-01"), "已返乡".into())
        );
        let refused = prepare_reopening(Some(d("2026-05-01")), "", Some(&closure), facts()).unwrap_err();
        let refused: Vec<&str> = refused.iter().map(|p| p.code.as_str()).collect();
        assert_eq!(refused, ["closure.reopen_before", "required"]);
        let open = prepare_reopening(Some(d("2026-07-01")), "x", None, facts()).unwrap_err();
        assert_eq!(open[0].code, "closure.not_closed");
        let merged = Closure { reason: ClosureReason::Duplicate { survivor_id: "r2".into(), survivor_record_no: "1".into() }, ..closure };
        assert_eq!(prepare_reopening(Some(d("2026-07-01")), "x", Some(&merged), facts()).unwrap_err()[0].code, "closure.merged");
    }

    fn resident(id: &str, name: &str, id_number: Option<&str>) -> Resident {
        let doc = match id_number {
            Some(n) => serde_json::json!({"kind": "citizen_id", "number": n}),
            None => serde_json::json!({"kind": "none"}),
        };
        serde_json::from_value(serde_json::json!({
            "id": id, "version": 1, "record_no": "45010210110100001", "name": name, "sex": "1", "birth_date": "1950-03-01",
            "id_document": doc, "residence_type": "1", "village_code": "101", "household": null, "status": "active",
            "institution": "卫生室", "created_by": "李", "created_at": "2026-01-01T00:00:00Z", "updated_by": "李", "updated_at": "2026-01-01T00:00:00Z"
        }))
        .unwrap()
    }

    #[test]
    fn records_merge_only_when_nothing_says_they_are_two_people() {
        let codes = |p: Vec<Problem>| p.into_iter().map(|p| (p.code, p.severity)).collect::<Vec<_>>();
        let keep = resident("a", "王芳", Some("450102195003010022"));
        assert!(merge_problems(&keep, &resident("b", "王芳", None)).is_empty(), "one has no ID number: the same person");
        assert!(merge_problems(&keep, &resident("b", "王芳", Some("450102195003010022"))).is_empty());
        use crate::problem::Severity::{Error, Warning};
        assert_eq!(
            codes(merge_problems(&keep, &resident("b", "王方", Some("450102195003010049")))),
            [("merge.different_id_numbers".to_string(), Error), ("merge.name_differs".into(), Warning)]
        );
        assert_eq!(codes(merge_problems(&keep, &keep)), [("merge.same".to_string(), Error)]);
        let cancelled = Resident { status: RecordStatus::Cancelled, ..resident("b", "王芳", None) };
        assert_eq!(codes(merge_problems(&keep, &cancelled)), [("merge.already_merged".to_string(), Error)]);
        let closed = Resident { status: RecordStatus::Dead, ..keep.clone() };
        assert_eq!(codes(merge_problems(&closed, &resident("b", "王芳", None))), [("merge.kept_closed".to_string(), Error)]);
    }

    #[test]
    fn a_closure_round_trips_through_json_with_its_reason_tag() {
        let c = Closure {
            on: d("2026-06-01"),
            reason: ClosureReason::Died { cause: "肺癌".into() },
            ended_programs: vec![Program::Elderly, Program::Diabetes],
            closed_by: "李医生".into(),
            closed_at: "2026-06-02T01:00:00Z".parse().unwrap(),
        };
        let json = serde_json::to_value(&c).unwrap();
        assert_eq!(json["reason"], "died", "the reason is a tag beside the date: {json}");
        assert_eq!(json["cause"], "肺癌");
        assert_eq!(serde_json::from_value::<Closure>(json).unwrap(), c);
        assert_eq!(c.reason.summary().zh, "死亡：肺癌");
    }
}
