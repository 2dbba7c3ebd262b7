//! A real FHIR R4 server on loopback for sync tests: Helios FHIR Server
//! (`hfs`), built once by `scripts/setup-fhir-peer.sh` into a cache folder
//! outside the clone, started per test on a free port with its own database
//! and `HFS_VALIDATION_MODE=enforce`, stopped when dropped.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use vhr_sync::{Credentials, FhirServer, PlatformConfig};

pub struct Peer {
    child: Child,
    pub base: String,
    _dir: tempfile::TempDir,
}

fn peer_home() -> PathBuf {
    match std::env::var_os("VHR_PEER_HOME") {
        Some(h) => PathBuf::from(h),
        None => PathBuf::from(std::env::var_os("HOME").expect("HOME is set")).join(".cache/village-health/fhir-peer"),
    }
}

/// A port nothing listens on (yet).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Peer {
    pub fn start() -> Peer {
        Peer::start_on(free_port())
    }

    /// Starts the peer on a given port (one the app was already told about).
    pub fn start_on(port: u16) -> Peer {
        let home = peer_home();
        let bin = home.join("bin/hfs");
        assert!(bin.exists(), "the FHIR peer is not installed at {}: run scripts/setup-fhir-peer.sh", bin.display());
        let dir = tempfile::tempdir().unwrap();
        for f in ["search-parameters-r4.json", "compartment-definitions-r4.json"] {
            std::fs::copy(home.join("definitions").join(f), dir.path().join(f)).expect("the peer's definitions are installed");
        }
        let child = Command::new(&bin)
            .args(["--port", &port.to_string(), "--host", "127.0.0.1", "--log-level", "warn"])
            .arg("--data-dir")
            .arg(dir.path())
            .arg("--database-url")
            .arg(dir.path().join("fhir.db"))
            .arg("--enable-versioning")
            .env("HFS_VALIDATION_MODE", "enforce")
            .current_dir(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the peer starts");
        let base = format!("http://127.0.0.1:{port}");
        let peer = Peer { child, base, _dir: dir };
        let until = Instant::now() + Duration::from_secs(30);
        while Instant::now() < until {
            if peer.client().get("metadata").is_ok_and(|r| r.ok()) {
                return peer;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("the FHIR peer did not answer within 30 s");
    }

    pub fn client(&self) -> FhirServer {
        FhirServer::new(&PlatformConfig { base_url: self.base.clone(), ..Default::default() }, Credentials::None).unwrap()
    }

    /// GETs a path and returns the body, failing the test on an error status.
    pub fn get(&self, path: &str) -> Value {
        let r = self.client().get(path).unwrap();
        assert!(r.ok(), "GET {path}: {}", r.reasons());
        r.body
    }

    /// How many resources of a type the server holds (current versions).
    pub fn count(&self, query: &str) -> u64 {
        let sep = if query.contains('?') { '&' } else { '?' };
        self.get(&format!("{query}{sep}_summary=count"))["total"].as_u64().expect("a total")
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
