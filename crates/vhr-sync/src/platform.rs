//! What an install knows about its platform: where it is, how to sign in,
//! how often to sync. Credentials never appear in logs or debug output.

use serde::{Deserialize, Serialize};

use crate::push::PushConfig;

/// Where and how to sync. Set in Settings or `<data dir>/platform.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PlatformConfig {
    /// The FHIR R4 base URL, e.g. `https://platform.example/fhir`. Empty: sync is off.
    pub base_url: String,
    /// Seconds between background passes while the platform answers.
    pub interval_seconds: u64,
    /// Seconds to wait for one answer.
    pub timeout_seconds: u64,
    /// Seconds between checks, while changes wait or the platform was away,
    /// whether it answers again.
    pub probe_seconds: u64,
    pub push: PushConfig,
}

impl Default for PlatformConfig {
    fn default() -> Self {
        PlatformConfig {
            base_url: String::new(),
            interval_seconds: 300,
            timeout_seconds: 30,
            probe_seconds: 15,
            push: PushConfig::default(),
        }
    }
}

/// How the install proves itself to the platform.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Credentials {
    #[default]
    None,
    Bearer {
        token: String,
    },
    /// OAuth2 client credentials (RFC 6749 §4.4).
    ClientCredentials {
        token_url: String,
        client_id: String,
        client_secret: String,
        #[serde(default)]
        scope: String,
    },
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credentials::None => f.write_str("None"),
            Credentials::Bearer { .. } => f.write_str("Bearer { token: <hidden> }"),
            Credentials::ClientCredentials { token_url, client_id, .. } => {
                write!(f, "ClientCredentials {{ token_url: {token_url:?}, client_id: {client_id:?}, client_secret: <hidden> }}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_show_in_debug_output() {
        let c = Credentials::ClientCredentials {
            token_url: "https://auth.example/token".into(),
            client_id: "clinic-101".into(),
            client_secret: "s3cret-value".into(),
            scope: String::new(),
        };
        let shown = format!("{c:?} {:?}", Credentials::Bearer { token: "tok-123".into() });
        assert!(!shown.contains("s3cret-value") && !shown.contains("tok-123"), "secrets leaked into {shown}");
        assert!(shown.contains("clinic-101"), "the client id helps diagnose and is not secret");
    }
}
