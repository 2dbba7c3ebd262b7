//! HTTP to a FHIR R4 server: the only code in the project that touches the
//! network. It knows URLs and their encoding, headers, tokens, time-outs,
//! retrying reads, paging through history bundles and what a status code
//! says; what an answer means for a change is the push machine's business.

use std::time::{Duration, Instant};

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use reqwest::blocking::{Client, RequestBuilder};
use reqwest::header::{HeaderValue, ACCEPT, CONTENT_TYPE, ETAG, IF_MATCH};
use serde_json::Value;

use crate::platform::{Credentials, PlatformConfig};
use crate::push::{Outcome, PushConfig};

/// What a query parameter's value may hold unescaped: the unreserved
/// characters of RFC 3986.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// A value made safe for a URL's query (a `_since` instant has `+` and `:`).
pub fn query_value(v: &str) -> String {
    utf8_percent_encode(v, QUERY_VALUE).to_string()
}

/// The version an ETag names: `W/"3"` is version `3`.
pub fn version_of_etag(etag: &str) -> Option<String> {
    let v = etag.trim_start_matches("W/").trim_matches('"');
    (!v.is_empty()).then(|| v.to_string())
}

/// What an answer to a transaction (or its absence) means for the push.
pub fn outcome(reply: &Result<Reply, TransportError>) -> Outcome {
    match reply {
        Ok(r) if r.ok() => Outcome::Accepted,
        Ok(r) if r.status == 413 => Outcome::TooLarge,
        Ok(r) if r.status == 408 || r.status == 504 => Outcome::TimedOut,
        Ok(r) if r.unavailable() => Outcome::Unavailable,
        Ok(_) => Outcome::Rejected,
        Err(TransportError::TimedOut | TransportError::Cut(_)) => Outcome::TimedOut,
        Err(_) => Outcome::Unavailable,
    }
}

/// How patiently a read is tried again: reads change nothing, so repeating
/// one is always safe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    /// Tries after the first.
    pub again: u32,
    pub first_wait: Duration,
    pub longest_wait: Duration,
}

impl Retry {
    /// The push's backoff, with at most four tries more.
    pub fn of(cfg: &PushConfig) -> Retry {
        Retry {
            again: cfg.max_failures.min(4),
            first_wait: Duration::from_millis(cfg.backoff_base_ms),
            longest_wait: Duration::from_millis(cfg.backoff_max_ms),
        }
    }
}

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
    /// Records travel only encrypted: `http://` is for a server on this computer.
    #[error("平台地址必须以 https:// 开头（本机上的测试服务器除外）：{0} / the platform address must start with https:// (except a test server on this computer): {0}")]
    NotEncrypted(String),
    /// The server answered a read with a refusal (a 4xx other than not found).
    #[error("平台拒绝了读取请求：{0} / the platform refused the read: {0}")]
    Refused(String),
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

    /// The server is busy or failing (5xx, 429): the request may succeed later.
    pub fn unavailable(&self) -> bool {
        self.status == 429 || self.status >= 500
    }

    /// `meta.versionId` of the resource in the body.
    pub fn version_id(&self) -> Option<&str> {
        self.body["meta"]["versionId"].as_str()
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

/// Whether records may travel to `address`: `https://` anywhere, `http://`
/// only to this computer (a test server on loopback).
pub fn address_allowed(address: &str) -> Result<(), TransportError> {
    let url = reqwest::Url::parse(address).map_err(|_| TransportError::BadUrl(address.to_string()))?;
    match (url.scheme(), url.host_str().filter(|h| !h.is_empty())) {
        (_, None) => Err(TransportError::BadUrl(address.to_string())),
        ("https", Some(_)) => Ok(()),
        ("http", Some(host)) if is_loopback(host) => Ok(()),
        ("http", Some(_)) => Err(TransportError::NotEncrypted(address.to_string())),
        _ => Err(TransportError::BadUrl(address.to_string())),
    }
}

/// `localhost`, 127.0.0.0/8 or ::1 (an IPv6 host comes in brackets).
fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host.trim_start_matches('[').trim_end_matches(']').parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

impl FhirServer {
    pub fn new(cfg: &PlatformConfig, credentials: Credentials) -> Result<FhirServer, TransportError> {
        let base = cfg.base_url.trim_end_matches('/').to_string();
        address_allowed(&base)?;
        if let Credentials::ClientCredentials { token_url, .. } = &credentials {
            address_allowed(token_url)?;
        }
        // A redirect is followed only to an address records may travel to.
        let redirects = reqwest::redirect::Policy::custom(|attempt| {
            if attempt.previous().len() >= 5 {
                attempt.error("too many redirects")
            } else if address_allowed(attempt.url().as_str()).is_err() {
                attempt.error("redirected to an address without https")
            } else {
                attempt.follow()
            }
        });
        let client = Client::builder()
            .redirect(redirects)
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

    /// GETs `path` as [`get`](Self::get) does, trying again with growing
    /// waits while the server fails or does not answer. A missing or deleted
    /// resource (404, 410) is an answer; another refusal (4xx) is not tried
    /// again.
    pub fn read(&mut self, path: &str, retry: Retry) -> Result<Reply, TransportError> {
        let mut wait = retry.first_wait;
        let mut last = TransportError::Unreachable(String::new());
        for _ in 0..=retry.again {
            match self.get(path) {
                Ok(r) if r.ok() || r.status == 404 || r.status == 410 => return Ok(r),
                Ok(r) if !r.unavailable() && r.status != 408 => return Err(TransportError::Refused(r.reasons())),
                Ok(r) => last = TransportError::Unreachable(r.reasons()),
                Err(e) => last = e,
            }
            std::thread::sleep(wait);
            wait = (wait * 2).min(retry.longest_wait);
        }
        Err(last)
    }

    /// Every entry of the server's history since `since` (all of it when
    /// `None`), following the `next` links page by page; newest first, as
    /// the server pages them.
    pub fn history_since(&mut self, since: Option<&str>, page_size: usize, retry: Retry) -> Result<Vec<Value>, TransportError> {
        let url = match since {
            Some(c) => format!("_history?_since={}&_count={page_size}", query_value(c)),
            None => format!("_history?_count={page_size}"),
        };
        self.every_page(url, retry)
    }

    /// Every resource a search finds (`query` such as
    /// `EpisodeOfCare?patient=Patient/x`), page by page.
    pub fn search_all(&mut self, query: &str, page_size: usize, retry: Retry) -> Result<Vec<Value>, TransportError> {
        let sep = if query.contains('?') { '&' } else { '?' };
        let entries = self.every_page(format!("{query}{sep}_count={page_size}"), retry)?;
        Ok(entries.into_iter().filter_map(|mut e| e.get_mut("resource").map(Value::take)).collect())
    }

    /// The entries of a bundle and of every page its `next` links lead to.
    fn every_page(&mut self, mut url: String, retry: Retry) -> Result<Vec<Value>, TransportError> {
        let mut entries = Vec::new();
        loop {
            let reply = self.read(&url, retry)?;
            if let Some(page) = reply.body.get("entry").and_then(Value::as_array) {
                entries.extend(page.iter().cloned());
            }
            let next = reply.body.get("link").and_then(Value::as_array).and_then(|links| {
                links.iter().find(|l| l["relation"].as_str() == Some("next")).and_then(|l| l["url"].as_str()).map(str::to_string)
            });
            match next {
                Some(n) => url = n,
                None => return Ok(entries),
            }
        }
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
    fn a_since_instant_is_escaped_for_the_query() {
        assert_eq!(query_value("2026-11-21T02:00:00.123+08:00"), "2026-11-21T02%3A00%3A00.123%2B08%3A00", "+ and : are escaped");
        assert_eq!(query_value("a-b_c.d~e"), "a-b_c.d~e", "unreserved characters stay as they are");
        assert_eq!(query_value("张"), "%E5%BC%A0", "text beyond ASCII is escaped byte by byte");
    }

    #[test]
    fn an_etag_names_its_version_weak_or_strong() {
        assert_eq!(version_of_etag("W/\"3\"").as_deref(), Some("3"));
        assert_eq!(version_of_etag("\"12\"").as_deref(), Some("12"));
        assert_eq!(version_of_etag("W/\"\"").as_deref(), None, "an empty tag names no version");
    }

    #[test]
    fn statuses_mean_what_the_push_machine_expects() {
        let reply = |status| Ok(Reply { status, body: Value::Null, etag: None });
        assert_eq!(outcome(&reply(200)), Outcome::Accepted);
        assert_eq!(outcome(&reply(413)), Outcome::TooLarge, "too large: the batch is halved");
        assert_eq!(outcome(&reply(504)), Outcome::TimedOut, "a gateway time-out may have applied the bundle");
        assert_eq!(outcome(&reply(429)), Outcome::Unavailable, "busy: wait and send again");
        assert_eq!(outcome(&reply(503)), Outcome::Unavailable);
        assert_eq!(outcome(&reply(422)), Outcome::Rejected, "a refusal is looked into change by change");
        assert_eq!(outcome(&Err(TransportError::Cut("reset".into()))), Outcome::TimedOut, "a cut answer may have been applied");
        assert_eq!(outcome(&Err(TransportError::Unreachable("refused".into()))), Outcome::Unavailable);
    }

    #[test]
    fn an_address_without_http_is_refused_in_words() {
        let e = FhirServer::new(&PlatformConfig { base_url: "platform.example".into(), ..Default::default() }, Credentials::None).err();
        assert_eq!(e, Some(TransportError::BadUrl("platform.example".into())));
    }

    #[test]
    fn records_travel_over_https_and_plain_http_only_stays_on_this_computer() {
        for ok in [
            "https://platform.example/fhir",
            "https://10.1.2.3:8443/fhir",
            "http://127.0.0.1:8080/fhir",
            "http://localhost:8080",
            "http://[::1]:8080/",
        ] {
            assert_eq!(address_allowed(ok), Ok(()), "{ok}");
        }
        for plain in ["http://platform.example/fhir", "http://10.1.2.3/fhir", "http://127.0.0.1.example.com/", "http://localhost.evil/"] {
            assert_eq!(address_allowed(plain), Err(TransportError::NotEncrypted(plain.into())), "{plain}");
        }
        assert!(matches!(address_allowed("ftp://platform.example/"), Err(TransportError::BadUrl(_))));
        let token = Credentials::ClientCredentials {
            token_url: "http://auth.example/token".into(),
            client_id: "c".into(),
            client_secret: "s".into(),
            scope: String::new(),
        };
        let e = FhirServer::new(&PlatformConfig { base_url: "https://platform.example".into(), ..Default::default() }, token).err();
        assert_eq!(e, Some(TransportError::NotEncrypted("http://auth.example/token".into())), "the secret goes over https too");
    }
}
