//! A fault-injecting HTTP proxy on loopback, between the app and the FHIR
//! peer. Each request is, by a seeded draw: passed through; dropped before it
//! reaches the server; passed through with its answer dropped (the server
//! applied it, the app never hears); held past the app's time-out; answered
//! 500 without reaching the server; or passed through with its answer cut in
//! half. Requests go upstream one connection each (`Connection: close`).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    Pass,
    DropRequest,
    DropAnswer,
    Delay,
    ServerError,
    Truncate,
}

pub struct Proxy {
    pub base: String,
    stop: Arc<AtomicBool>,
    /// How many requests met each fault.
    pub tally: Arc<Mutex<Vec<(Fault, usize)>>>,
    pub requests: Arc<AtomicUsize>,
}

impl Proxy {
    /// Starts a proxy to `upstream` (host:port); `fault_rate` of requests meet a fault.
    pub fn start(upstream: &str, fault_rate: f64, delay: Duration, seed: u64) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let stop = Arc::new(AtomicBool::new(false));
        let tally = Arc::new(Mutex::new(Vec::new()));
        let requests = Arc::new(AtomicUsize::new(0));
        let rng = Arc::new(Mutex::new(seed | 1));
        let upstream = upstream.to_string();
        let (s, t, r) = (stop.clone(), tally.clone(), requests.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if s.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(conn) = conn else { continue };
                let (up, rng, t, r) = (upstream.clone(), rng.clone(), t.clone(), r.clone());
                std::thread::spawn(move || serve(conn, &up, fault_rate, delay, &rng, &t, &r));
            }
        });
        Proxy { base, stop, tally, requests }
    }

    pub fn faults(&self) -> usize {
        self.tally.lock().unwrap().iter().filter(|(f, _)| *f != Fault::Pass).map(|(_, n)| n).sum()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the stop.
        let _ = TcpStream::connect(self.base.trim_start_matches("http://"));
    }
}

fn draw(rng: &Mutex<u64>) -> f64 {
    let mut x = rng.lock().unwrap();
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    (*x >> 11) as f64 / (1u64 << 53) as f64
}

/// Reads one HTTP request (head and Content-Length body); None at end of stream.
fn read_request(r: &mut BufReader<TcpStream>) -> Option<(String, Vec<u8>)> {
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).ok()? == 0 {
            return None;
        }
        if line == "\r\n" {
            break;
        }
        // Upstream gets one request per connection.
        let lower = line.to_ascii_lowercase();
        if !lower.starts_with("connection:") && !lower.starts_with("keep-alive:") {
            head.push_str(&line);
        }
    }
    let len = head
        .lines()
        .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse::<usize>().unwrap_or(0)))
        .unwrap_or(0);
    let mut body = vec![0; len];
    r.read_exact(&mut body).ok()?;
    head.push_str("connection: close\r\n\r\n");
    Some((head, body))
}

fn forward(upstream: &str, head: &str, body: &[u8]) -> Option<Vec<u8>> {
    let mut up = TcpStream::connect(upstream).ok()?;
    up.write_all(head.as_bytes()).ok()?;
    up.write_all(body).ok()?;
    let mut answer = Vec::new();
    up.read_to_end(&mut answer).ok()?;
    Some(answer)
}

/// Serves one request on a client connection, then closes it (as the
/// upstream answer says `connection: close`, the client opens a new one).
fn serve(
    conn: TcpStream,
    upstream: &str,
    rate: f64,
    delay: Duration,
    rng: &Mutex<u64>,
    tally: &Mutex<Vec<(Fault, usize)>>,
    n: &AtomicUsize,
) {
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    let mut client = conn;
    let Some((head, body)) = read_request(&mut reader) else { return };
    n.fetch_add(1, Ordering::SeqCst);
    let fault = if draw(rng) >= rate {
        Fault::Pass
    } else {
        [Fault::DropRequest, Fault::DropAnswer, Fault::Delay, Fault::ServerError, Fault::Truncate][(draw(rng) * 5.0) as usize % 5]
    };
    {
        let mut t = tally.lock().unwrap();
        match t.iter_mut().find(|(f, _)| *f == fault) {
            Some((_, c)) => *c += 1,
            None => t.push((fault, 1)),
        }
    }
    match fault {
        Fault::Pass => {
            if let Some(answer) = forward(upstream, &head, &body) {
                let _ = client.write_all(&answer);
            }
        }
        Fault::DropRequest => {}
        Fault::DropAnswer => {
            let _ = forward(upstream, &head, &body);
        }
        Fault::Delay => {
            std::thread::sleep(delay);
            let _ = forward(upstream, &head, &body);
        }
        Fault::ServerError => {
            let msg = b"{\"resourceType\":\"OperationOutcome\",\"issue\":[{\"severity\":\"error\",\"code\":\"exception\"}]}";
            let _ = write!(
                client,
                "HTTP/1.1 500 Internal Server Error\r\ncontent-type: application/fhir+json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                msg.len()
            );
            let _ = client.write_all(msg);
        }
        Fault::Truncate => {
            if let Some(answer) = forward(upstream, &head, &body) {
                let _ = client.write_all(&answer[..answer.len() / 2]);
            }
        }
    }
    let _ = client.shutdown(Shutdown::Both);
}
