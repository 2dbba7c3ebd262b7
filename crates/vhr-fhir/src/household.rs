//! A household (户) as a `Group` of its members.

use serde_json::{json, Value};

use crate::{prune, reference, FhirConfig};

/// The `Group` of a household: its address, village and members.
pub fn group(id: &str, village_code: &str, address: &str, member_ids: &[&str], cfg: &FhirConfig) -> Value {
    let members: Vec<Value> = member_ids.iter().map(|m| json!({ "entity": reference("Patient", m) })).collect();
    let mut g = json!({
        "resourceType": "Group",
        "id": id,
        "extension": [{ "url": cfg.extension("village-code"), "valueString": village_code }],
        "type": "person",
        "actual": true,
        "code": { "text": "户" },
        "name": address,
        "quantity": member_ids.len(),
        "member": members
    });
    prune(&mut g);
    g
}
