//! Transaction bundles: every resource written with `PUT` at its own id, so
//! sending a bundle again writes the same resources again and creates none.

use serde_json::{json, Value};

/// One resource to write, and the server version it must still be at.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub resource: Value,
    /// `W/"n"`: the update applies only if the server copy is still version `n`.
    pub if_match: Option<String>,
}

impl Entry {
    pub fn put(resource: Value) -> Entry {
        Entry { resource, if_match: None }
    }

    /// `Type/id` of the resource.
    pub fn url(&self) -> String {
        format!("{}/{}", self.resource["resourceType"].as_str().unwrap_or_default(), self.resource["id"].as_str().unwrap_or_default())
    }
}

/// A `transaction` Bundle of the entries; each resource says where it came
/// from in `meta.source` (the install, and the local change), so a pull can
/// recognise this install's own writes.
pub fn transaction(entries: &[Entry], source: &str) -> Value {
    let entries: Vec<Value> = entries
        .iter()
        .map(|e| {
            let mut resource = e.resource.clone();
            resource["meta"] = json!({ "source": source });
            let mut request = json!({ "method": "PUT", "url": e.url() });
            if let Some(m) = &e.if_match {
                request["ifMatch"] = json!(m);
            }
            json!({ "fullUrl": e.url(), "resource": resource, "request": request })
        })
        .collect();
    json!({ "resourceType": "Bundle", "type": "transaction", "entry": entries })
}
