//! HTTP to a FHIR R4 server: the only code in the project that touches the
//! network. It knows URLs, headers, tokens and time-outs; what an answer
//! means for a change is the push machine's business.

use std::time::{Duration, Instant};

use reqwest::blocking::{Client, RequestBuilder};
use reqwest::header::{HeaderValue, ACCEPT, CONTENT_TYPE, ETAG, IF_MATCH};
use serde_json::Value;

use crate::platform::{Credentials, PlatformConfig};

const FHIR_JSON: &str = "application/fhir+json";

/// Why no answer came.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    #[error("平台无法连接：{0} / the platform cannot be reached: {0}")]
    Unreachable(String),
    #[error("平台未及时应答 / the platform did not answer in time")]
    TimedOut,
    /// The answer started but did not arrive whole: whether the server applied
    /// the request is unknown.
    #[error("平台应答不完整：{0} / the platform's answer was cut short: {0}")]
    Cut(String),
    #[error("平台登录失败：{0} / signing in to the platform failed: {0}")]
    Auth(String),
    #[error("平台地址无效：{0} / the platform address is not valid: {0}")]
    BadUrl(String),
}

/// A whole answer: its status, its JSON body (null when empty) and its ETag.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
    pub etag: Option<String>,
}

impl Reply {
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The server's reasons, from its OperationOutcome, in one line, after the status.
    pub fn reasons(&self) -> String {
        match self.issues() {
            Some(issues) => format!("HTTP {}: {issues}", self.status),
            None => format!("HTTP {}", self.status),
        }
    }

    /// The issues of an OperationOutcome answer, in one line, if it has any.
    pub fn issues(&self) -> Option<String> {
        let issues = self.body.get("issue").and_then(Value::as_array).cloned().unwrap_or_default();
        let parts: Vec<String> = issues
            .iter()
            .map(|i| {
                let text = i["details"]["text"].as_str().or(i["diagnostics"].as_str()).unwrap_or("").to_string();
                match i["expression"][0].as_str() {
                    Some(at) => format!("{at}: {text}"),
                    None => text,
                }
            })
            .filter(|s| !s.is_empty())
            .collect();
        (!parts.is_empty()).then(|| parts.join("; "))
    }
}

/// A FHIR server at a base URL.
pub struct FhirServer {
    base: String,
    client: Client,
    credentials: Credentials,
    token: Option<(String, Instant)>,
}

impl FhirServer {
    pub fn new(cfg: &PlatformConfig, credentials: Credentials) -> Result<FhirServer, TransportError> {
        let base = cfg.base_url.trim_end_matches('/').to_string();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(TransportError::BadUrl(base));
        }
        let client = Client::builder()
            .timeout(Duration::from_secs(cfg.timeout_seconds.max(1)))
            .connect_timeout(Duration::from_secs(cfg.timeout_seconds.clamp(1, 10)))
            .build()
            .map_err(|e| TransportError::Unreachable(e.to_string()))?;
        Ok(FhirServer { base, client, credentials, token: None })
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// POSTs a transaction or batch Bundle to the base.
    pub fn bundle(&mut self, bundle: &Value) -> Result<Reply, TransportError> {
        let req = self.client.post(&self.base).header(CONTENT_TYPE, FHIR_JSON).body(bundle.to_string());
        self.send(req)
    }

    /// PUTs a resource at its id, only if the server copy is still `if_match`.
    pub fn put(&mut self, resource: &Value, if_match: Option<&str>) -> Result<Reply, TransportError> {
        let url = format!(
            "{}/{}/{}",
            self.base,
            resource["resourceType"].as_str().unwrap_or_default(),
            resource["id"].as_str().unwrap_or_default()
        );
        let mut req = self.client.put(url).header(CONTENT_TYPE, FHIR_JSON).body(resource.to_string());
        if let Some(m) = if_match {
            req = req.header(IF_MATCH, m);
        }
        self.send(req)
    }

    /// GETs `path` (relative to the base, e.g. `Patient/x` or `_history?_since=…`),
    /// or a link the server returned (its own host replaced by ours, since a
    /// server behind a proxy may name itself differently).
    pub fn get(&mut self, path: &str) -> Result<Reply, TransportError> {
        let url = self.resolve(path);
        let req = self.client.get(url);
        self.send(req)
    }

    /// POSTs a resource to `[type]/$validate`.
    pub fn validate(&mut self, resource: &Value) -> Result<Reply, TransportError> {
        let url = format!("{}/{}/$validate", self.base, resource["resourceType"].as_str().unwrap_or_default());
        let req = self.client.post(url).header(CONTENT_TYPE, FHIR_JSON).body(resource.to_string());
        self.send(req)
    }

    fn resolve(&self, path: &str) -> String {
        if let Some(rest) = path.strip_prefix("http://").or_else(|| path.strip_prefix("https://")) {
            // Keep the path and query the server gave, on our own origin.
            let after_host = rest.find('/').map(|i| &rest[i..]).unwrap_or("/");
            let origin_end = self.base.find("://").map(|i| i + 3).unwrap_or(0);
            let origin = match self.base[origin_end..].find('/') {
                Some(i) => &self.base[..origin_end + i],
                None => &self.base,
            };
            format!("{origin}{after_host}")
        } else {
            format!("{}/{}", self.base, path.trim_start_matches('/'))
        }
    }

    fn send(&mut self, req: RequestBuilder) -> Result<Reply, TransportError> {
        let mut req = req.header(ACCEPT, FHIR_JSON);
        if let Some(token) = self.token()? {
            req = req.bearer_auth(token);
        }
        let resp = req.send().map_err(classify)?;
        let status = resp.status().as_u16();
        let etag = resp.headers().get(ETAG).and_then(|v: &HeaderValue| v.to_str().ok()).map(str::to_string);
        let text = resp.text().map_err(|e| if e.is_timeout() { TransportError::TimedOut } else { TransportError::Cut(e.to_string()) })?;
        let body = if text.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).map_err(|e| TransportError::Cut(format!("{e} after {} bytes", text.len())))?
        };
        if status == 401 {
            // A token may have expired early: fetch a new one next time.
            self.token = None;
        }
        Ok(Reply { status, body, etag })
    }

    /// The bearer token to send, fetching one with the client credentials when
    /// there is none or it is about to expire.
    fn token(&mut self) -> Result<Option<String>, TransportError> {
        match &self.credentials {
            Credentials::None => Ok(None),
            Credentials::Bearer { token } => Ok(Some(token.clone())),
            Credentials::ClientCredentials { token_url, client_id, client_secret, scope } => {
                if let Some((t, until)) = &self.token {
                    if Instant::now() < *until {
                        return Ok(Some(t.clone()));
                    }
                }
                let mut form = vec![("grant_type", "client_credentials"), ("client_id", client_id), ("client_secret", client_secret)];
                if !scope.is_empty() {
                    form.push(("scope", scope));
                }
                let resp = self.client.post(token_url).form(&form).send().map_err(classify)?;
                let status = resp.status();
                let body: Value = resp.json().map_err(|e| TransportError::Auth(e.to_string()))?;
                let token = body["access_token"].as_str().filter(|_| status.is_success()).ok_or_else(|| {
                    TransportError::Auth(
                        body["error_description"].as_str().or(body["error"].as_str()).unwrap_or(status.as_str()).to_string(),
                    )
                })?;
                // Renew a minute before the server says it expires.
                let life = body["expires_in"].as_u64().unwrap_or(300).saturating_sub(60).max(10);
                self.token = Some((token.to_string(), Instant::now() + Duration::from_secs(life)));
                Ok(Some(token.to_string()))
            }
        }
    }
}

fn classify(e: reqwest::Error) -> TransportError {
    if e.is_timeout() {
        TransportError::TimedOut
    } else if e.is_connect() {
        TransportError::Unreachable(e.to_string())
    } else if e.is_body() || e.is_decode() {
        TransportError::Cut(e.to_string())
    } else {
        // Connection reset mid-request and the like: the request may have arrived.
        TransportError::Cut(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(base: &str) -> FhirServer {
        FhirServer::new(&PlatformConfig { base_url: base.into(), ..Default::default() }, Credentials::None).unwrap()
    }

    #[test]
    fn links_the_server_names_with_its_own_host_are_followed_on_ours() {
        let s = server("http://127.0.0.1:18080/fhir/");
        assert_eq!(s.resolve("http://localhost:8080/fhir/_history?_cursor=abc"), "http://127.0.0.1:18080/fhir/_history?_cursor=abc");
        assert_eq!(s.resolve("Patient/p1"), "http://127.0.0.1:18080/fhir/Patient/p1");
    }

    #[test]
    fn an_address_without_http_is_refused_in_words() {
        let e = FhirServer::new(&PlatformConfig { base_url: "platform.example".into(), ..Default::default() }, Credentials::None).err();
        assert_eq!(e, Some(TransportError::BadUrl("platform.example".into())));
    }
}
