//! What changed between two versions of a record, field by field.
//!
//! History shows these to the user (FR4: old and new value, who, when), and
//! the sync merge ([`merge`]) compares both sides against their common base.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use ts_rs::TS;

/// One field's old and new value; `null` where the field was absent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Change {
    /// A dotted path such as `basic_info.blood_abo` or `phone`.
    pub field: String,
    #[ts(type = "unknown")]
    pub old: Value,
    #[ts(type = "unknown")]
    pub new: Value,
}

/// Every leaf that differs between `old` and `new`. Objects are walked into;
/// arrays and scalars are compared whole.
pub fn diff(old: &Value, new: &Value) -> Vec<Change> {
    let mut out = Vec::new();
    walk("", old, new, &mut out);
    out
}

fn walk(path: &str, old: &Value, new: &Value, out: &mut Vec<Change>) {
    match (old, new) {
        (Value::Object(a), Value::Object(b)) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                let p = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                walk(&p, a.get(k).unwrap_or(&Value::Null), b.get(k).unwrap_or(&Value::Null), out);
            }
        }
        (Value::Object(a), Value::Null) => walk(path, &Value::Object(a.clone()), &Value::Object(Default::default()), out),
        (Value::Null, Value::Object(b)) => walk(path, &Value::Object(Default::default()), &Value::Object(b.clone()), out),
        _ if old != new && !(blank(old) && blank(new)) => out.push(Change { field: path.to_string(), old: old.clone(), new: new.clone() }),
        _ => {}
    }
}

/// Absent, empty text and empty lists all mean "nothing entered".
fn blank(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

/// A field changed on both sides, differently since their common base.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Conflict {
    pub field: String,
    #[ts(type = "unknown")]
    pub base: Value,
    #[ts(type = "unknown")]
    pub local: Value,
    #[ts(type = "unknown")]
    pub remote: Value,
}

/// The three-way merge of a local and a remote copy against their base,
/// field by field (objects are walked into; arrays and scalars are one field):
/// a field changed on one side only takes that side's value; changed on both
/// to the same value, that value; changed on both differently, it is a
/// conflict, and the merged copy keeps the local value until someone chooses.
/// Nothing is ever dropped silently: every difference either merges or is
/// reported.
pub fn merge(base: &Value, local: &Value, remote: &Value) -> (Value, Vec<Conflict>) {
    let mut conflicts = Vec::new();
    let merged = merge_at("", base, local, remote, &mut conflicts);
    (merged, conflicts)
}

fn merge_at(path: &str, base: &Value, local: &Value, remote: &Value, out: &mut Vec<Conflict>) -> Value {
    if local == remote {
        return local.clone();
    }
    if local == base {
        return remote.clone();
    }
    if remote == base {
        return local.clone();
    }
    if let (Value::Object(l), Value::Object(r)) = (local, remote) {
        let empty = serde_json::Map::new();
        let b = base.as_object().unwrap_or(&empty);
        let mut keys: Vec<&String> = l.keys().chain(r.keys()).chain(b.keys()).collect();
        keys.sort();
        keys.dedup();
        let mut merged = serde_json::Map::new();
        for k in keys {
            let at = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
            let get = |m: &serde_json::Map<String, Value>| m.get(k).cloned().unwrap_or(Value::Null);
            let v = merge_at(&at, &get(b), &get(l), &get(r), out);
            if !v.is_null() {
                merged.insert(k.clone(), v);
            }
        }
        return Value::Object(merged);
    }
    out.push(Conflict { field: path.to_string(), base: base.clone(), local: local.clone(), remote: remote.clone() });
    local.clone()
}

/// Sets the value at a dotted path (as [`Conflict::field`] names it), making
/// objects on the way; `null` removes the field.
pub fn set_path(target: &mut Value, path: &str, value: Value) {
    let mut at = target;
    let parts: Vec<&str> = path.split('.').collect();
    for (i, part) in parts.iter().enumerate() {
        if !at.is_object() {
            *at = Value::Object(serde_json::Map::new());
        }
        let map = at.as_object_mut().expect("made an object above");
        if i + 1 == parts.len() {
            if value.is_null() {
                map.remove(*part);
            } else {
                map.insert(part.to_string(), value);
            }
            return;
        }
        at = map.entry(part.to_string()).or_insert(Value::Null);
    }
}

#[cfg(test)]
mod merge_tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fields_changed_on_one_side_merge_and_both_sides_keep_their_edits() {
        let base = json!({ "phone": "1", "address": "a", "basic_info": { "blood_abo": "1", "water": "1" } });
        let local = json!({ "phone": "2", "address": "a", "basic_info": { "blood_abo": "1", "water": "1" } });
        let remote = json!({ "phone": "1", "address": "b", "basic_info": { "blood_abo": "3", "water": "1" } });
        let (merged, conflicts) = merge(&base, &local, &remote);
        assert!(conflicts.is_empty(), "no field changed on both sides: {conflicts:?}");
        assert_eq!(merged, json!({ "phone": "2", "address": "b", "basic_info": { "blood_abo": "3", "water": "1" } }));
    }

    #[test]
    fn a_field_changed_on_both_sides_differently_is_a_conflict_and_keeps_the_local_value_meanwhile() {
        let base = json!({ "phone": "1", "name": "张三" });
        let local = json!({ "phone": "2", "name": "张三" });
        let remote = json!({ "phone": "3", "name": "张三" });
        let (merged, conflicts) = merge(&base, &local, &remote);
        assert_eq!(conflicts, vec![Conflict { field: "phone".into(), base: json!("1"), local: json!("2"), remote: json!("3") }]);
        assert_eq!(merged["phone"], json!("2"));
    }

    #[test]
    fn the_same_change_on_both_sides_is_no_conflict() {
        let (merged, conflicts) = merge(&json!({ "a": 1 }), &json!({ "a": 2 }), &json!({ "a": 2 }));
        assert!(conflicts.is_empty());
        assert_eq!(merged, json!({ "a": 2 }));
    }

    #[test]
    fn a_field_added_on_one_side_and_removed_on_the_other_is_reported() {
        let base = json!({ "a": 1, "b": 1 });
        let local = json!({ "a": 1 });
        let remote = json!({ "a": 1, "b": 2, "c": 5 });
        let (merged, conflicts) = merge(&base, &local, &remote);
        assert_eq!(conflicts.len(), 1, "b removed here and changed there: {conflicts:?}");
        assert_eq!(conflicts[0].field, "b");
        assert_eq!(merged, json!({ "a": 1, "c": 5 }), "c, new on the platform only, arrives");
    }

    #[test]
    fn set_path_writes_and_removes_nested_fields() {
        let mut v = json!({ "basic_info": { "water": "1" } });
        set_path(&mut v, "basic_info.blood_abo", json!("2"));
        set_path(&mut v, "basic_info.water", Value::Null);
        assert_eq!(v, json!({ "basic_info": { "blood_abo": "2" } }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nested_fields_are_reported_with_paths() {
        let old = json!({"name": "张三", "basic_info": {"blood_abo": "1", "payment": ["3"]}});
        let new = json!({"name": "张三", "basic_info": {"blood_abo": "2", "payment": ["3"], "fuel": "5"}, "phone": "139"});
        assert_eq!(
            diff(&old, &new),
            vec![
                Change { field: "basic_info.blood_abo".into(), old: json!("1"), new: json!("2") },
                Change { field: "basic_info.fuel".into(), old: Value::Null, new: json!("5") },
                Change { field: "phone".into(), old: Value::Null, new: json!("139") },
            ]
        );
    }

    #[test]
    fn nothing_entered_is_not_a_change() {
        let old = json!({"phone": null, "notes": ""});
        let new = json!({"phone": "", "notes": null, "tags": []});
        assert_eq!(diff(&old, &new), vec![]);
    }

    #[test]
    fn creation_lists_every_field() {
        let new = json!({"a": 1, "b": {"c": 2}});
        assert_eq!(diff(&Value::Null, &new).len(), 2);
    }
}
