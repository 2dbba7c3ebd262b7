//! What changed between two versions of a record, field by field.
//!
//! History shows these to the user (FR4: old and new value, who, when), and
//! the sync merge will compare them against a common base.

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
