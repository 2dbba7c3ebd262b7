//! OAuth2 client credentials in the transport. No authorisation server runs
//! on this machine, so a small loopback HTTP server stands in for both the
//! token endpoint and a FHIR server that requires the token: it records what
//! the transport sent, which is what this test is about.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use vhr_sync::{Credentials, FhirServer, PlatformConfig};

/// What one request carried: its path, its Authorization header, its body.
type Seen = Arc<Mutex<Vec<(String, String, String)>>>;

/// Serves requests one per connection; returns what each request carried.
fn serve(tokens: Vec<&'static str>, reject_first_api_call: bool) -> (String, Seen) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        let mut tokens = tokens.into_iter();
        let mut rejected = !reject_first_api_call;
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { return };
            let mut reader = BufReader::new(conn.try_clone().unwrap());
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            let (mut auth, mut len) = (String::new(), 0usize);
            loop {
                let mut h = String::new();
                reader.read_line(&mut h).unwrap();
                if h == "\r\n" || h.is_empty() {
                    break;
                }
                let lower = h.to_ascii_lowercase();
                if let Some(v) = lower.strip_prefix("authorization:") {
                    auth = h[h.len() - v.len()..].trim().to_string();
                }
                if let Some(v) = lower.strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap();
                }
            }
            let mut body = vec![0; len];
            reader.read_exact(&mut body).unwrap();
            let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
            log.lock().unwrap().push((path.clone(), auth.clone(), String::from_utf8_lossy(&body).to_string()));
            let (status, reply) = if path == "/token" {
                let t = tokens.next().unwrap_or("exhausted");
                ("200 OK", format!(r#"{{"access_token":"{t}","token_type":"Bearer","expires_in":3600}}"#))
            } else if !rejected {
                rejected = true;
                ("401 Unauthorized", r#"{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"login"}]}"#.to_string())
            } else {
                ("200 OK", r#"{"resourceType":"CapabilityStatement"}"#.to_string())
            };
            let _ = write!(
                conn,
                "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{reply}",
                reply.len()
            );
        }
    });
    (base, seen)
}

fn client(base: &str) -> FhirServer {
    let creds = Credentials::ClientCredentials {
        token_url: format!("{base}/token"),
        client_id: "clinic-101".into(),
        client_secret: "s3cret".into(),
        scope: "system/*.write".into(),
    };
    FhirServer::new(&PlatformConfig { base_url: format!("{base}/fhir"), ..Default::default() }, creds).unwrap()
}

#[test]
fn a_token_is_fetched_once_with_the_client_credentials_and_sent_as_bearer() {
    let (base, seen) = serve(vec!["t1"], false);
    let mut c = client(&base);
    assert!(c.get("metadata").unwrap().ok());
    assert!(c.get("metadata").unwrap().ok());
    let seen = seen.lock().unwrap();
    let token_calls: Vec<_> = seen.iter().filter(|(p, _, _)| p == "/token").collect();
    assert_eq!(token_calls.len(), 1, "the token is kept until it nears expiry: {seen:?}");
    let form = &token_calls[0].2;
    for part in ["grant_type=client_credentials", "client_id=clinic-101", "client_secret=s3cret", "scope=system%2F*.write"] {
        assert!(form.contains(part), "the token request carries {part}: {form}");
    }
    let api: Vec<_> = seen.iter().filter(|(p, _, _)| p.starts_with("/fhir/")).map(|(_, a, _)| a.as_str()).collect();
    assert_eq!(api, vec!["Bearer t1", "Bearer t1"]);
}

#[test]
fn a_token_the_server_refuses_is_replaced_on_the_next_request() {
    let (base, seen) = serve(vec!["t1", "t2"], true);
    let mut c = client(&base);
    assert_eq!(c.get("metadata").unwrap().status, 401, "the refusal reaches the caller");
    assert!(c.get("metadata").unwrap().ok());
    let seen = seen.lock().unwrap();
    let api: Vec<_> = seen.iter().filter(|(p, _, _)| p.starts_with("/fhir/")).map(|(_, a, _)| a.as_str()).collect();
    assert_eq!(api, vec!["Bearer t1", "Bearer t2"], "a new token is fetched after a 401: {seen:?}");
}
