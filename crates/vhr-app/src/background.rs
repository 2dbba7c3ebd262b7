//! The background sync: a thread with its own connection to the clinic's
//! database that runs a pass whenever there is something to send and the
//! platform answers, on the configured interval, and at once when asked
//! ("sync now"); it also makes the day's backup. It reports progress and status through a callback, so the
//! desktop shell only forwards them to the window.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::{Clinic, IntegrityDepth, SyncProgress, SyncReport, SyncStatus};

/// What the worker tells the window.
#[derive(Debug, Clone)]
pub enum SyncEvent {
    /// A pass is under way.
    Progress(SyncProgress),
    /// A pass ended.
    Finished(SyncReport),
    /// The indicator's state changed (or may have).
    Status(SyncStatus),
    /// SQLite's check found the database file damaged (see [`crate::restore`]).
    Damaged(crate::IntegrityResult),
}

/// A running background sync; stops when dropped.
pub struct SyncWorker {
    wake: Arc<(Mutex<bool>, Condvar)>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl SyncWorker {
    /// Starts the worker on its own connection to the clinic ([`Clinic::start_sync`]).
    pub(crate) fn start(clinic: Clinic, on_event: impl Fn(SyncEvent) + Send + 'static) -> SyncWorker {
        let wake = Arc::new((Mutex::new(false), Condvar::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (w, s) = (wake.clone(), stop.clone());
        let thread =
            std::thread::Builder::new().name("sync".into()).spawn(move || run(clinic, &w, &s, &on_event)).expect("the sync thread starts");
        SyncWorker { wake, stop, thread: Some(thread) }
    }

    /// Runs a pass now (after the current one, if one is running).
    pub fn sync_now(&self) {
        let (lock, cv) = &*self.wake;
        *lock.lock().expect("the wake flag") = true;
        cv.notify_all();
    }
}

impl Drop for SyncWorker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        self.sync_now();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Runs SQLite's check and tells the window when the file is damaged.
fn check(c: &Clinic, depth: IntegrityDepth, on_event: &dyn Fn(SyncEvent)) {
    match c.check_integrity(depth) {
        Ok(r) => tracing::info!(full = r.full, "integrity check passed"),
        Err(e) => {
            tracing::error!(code = e.code(), problem = %e, "integrity check failed");
            if let Ok(Some(r)) = c.last_integrity_check() {
                on_event(SyncEvent::Damaged(r));
            }
        }
    }
}

/// Waits up to `d` or until woken; whether someone asked for a pass.
fn sleep(wake: &(Mutex<bool>, Condvar), d: Duration) -> bool {
    let (lock, cv) = wake;
    let guard = lock.lock().expect("the wake flag");
    let (mut asked, _) = cv.wait_timeout_while(guard, d, |asked| !*asked).expect("the wake flag");
    std::mem::take(&mut *asked)
}

fn run(mut clinic: Clinic, wake: &(Mutex<bool>, Condvar), stop: &AtomicBool, on_event: &dyn Fn(SyncEvent)) {
    let c = &mut clinic;
    let mut last_pass: Option<Instant> = None;
    let mut asked = true; // a first look at start
    check(c, IntegrityDepth::Quick, on_event);
    while !stop.load(Ordering::SeqCst) {
        // The day's backup, on this connection so the window is not held up;
        // then the day's full check of the file, unless the backup's own
        // check of every page it copied stood in for it.
        match c.daily_backup_if_due() {
            Ok(Some(made)) => tracing::info!(rows = made.summary.rows, "daily backup"),
            Ok(None) => {}
            Err(e) => tracing::warn!(code = e.code(), "daily backup failed"),
        }
        if c.full_check_due().unwrap_or(false) {
            check(c, IntegrityDepth::Full, on_event);
        }
        let Ok(settings) = c.sync_settings() else {
            asked = sleep(wake, Duration::from_secs(10));
            continue;
        };
        let probe = Duration::from_secs(settings.platform.probe_seconds.max(1));
        if settings.platform.base_url.is_empty() {
            if let Ok(s) = c.sync_status() {
                on_event(SyncEvent::Status(s));
            }
            asked = sleep(wake, probe);
            continue;
        }
        let status = c.sync_status().ok();
        let interval_due = last_pass.is_none_or(|t| t.elapsed() >= Duration::from_secs(settings.platform.interval_seconds.max(1)));
        let something_to_send = status.as_ref().is_some_and(|s| s.waiting > 0);
        let was_offline = status.as_ref().is_some_and(|s| s.state == "offline");
        // A pass when asked or due; otherwise only when there is something to
        // send (or the last pass failed) and the platform answers a cheap probe.
        let run_pass = asked || interval_due || ((something_to_send || was_offline) && c.platform_answers());
        if run_pass {
            let report = c.sync_once(&mut |p| on_event(SyncEvent::Progress(p)));
            last_pass = Some(Instant::now());
            match report {
                Ok(r) => {
                    tracing::info!(
                        pushed = r.pushed,
                        pulled = r.pulled,
                        quarantined = r.quarantined,
                        conflicted = r.conflicted,
                        offline = r.offline,
                        waiting = r.counts.waiting,
                        "sync pass"
                    );
                    on_event(SyncEvent::Finished(r));
                }
                Err(e) => tracing::warn!(code = e.code(), "sync pass failed"),
            }
        }
        if let Ok(s) = c.sync_status() {
            on_event(SyncEvent::Status(s));
        }
        asked = sleep(wake, probe);
    }
}
