//! The push state machine.
//!
//! Changes wait in a queue in outbox order. Each step sends the next batch as
//! one transaction; the answer decides what happens to it:
//!
//! | answer | batch of several | a single change |
//! |---|---|---|
//! | accepted | written; the batch size grows back | written |
//! | 413, timed out | back to the front, size halved | too large: quarantined; timed out: wait and retry |
//! | rejected (4xx) | back to the front, size halved (bisect) | diagnosed resource by resource |
//! | unavailable (5xx, refused, cut) | back to the front, wait | wait |
//!
//! A diagnosis sends the change's resources one by one, so the server's own
//! reason reaches the doctor: a precondition failure (412) is a conflict to
//! merge, another 4xx quarantines the change with the server's words, and
//! nothing a quarantined change does holds up the others.
//!
//! Waits grow exponentially with full jitter; after `max_failures` waits in a
//! row the pass ends as offline and the changes stay queued for the next one.

use std::collections::VecDeque;
use std::time::Duration;

/// How pushing behaves; every value can be set per install.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PushConfig {
    /// The most changes sent in one transaction.
    pub max_batch: usize,
    /// The first wait after a failure, in milliseconds; it doubles with each.
    pub backoff_base_ms: u64,
    /// The longest wait, in milliseconds.
    pub backoff_max_ms: u64,
    /// Failures in a row after which the pass gives up until the next one.
    pub max_failures: u32,
}

impl Default for PushConfig {
    fn default() -> Self {
        PushConfig { max_batch: 50, backoff_base_ms: 500, backoff_max_ms: 60_000, max_failures: 6 }
    }
}

/// How the server answered a transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Every entry was written.
    Accepted,
    /// 413: the bundle is too large for the server.
    TooLarge,
    /// No answer in time, or the answer was cut short: the server may or may
    /// not have applied it. Resending is safe (every write is a PUT by id).
    TimedOut,
    /// The server could not be reached or failed (5xx, 429, refused).
    Unavailable,
    /// The server refused the bundle (4xx): something in it is wrong.
    Rejected,
}

/// What sending one change's resources one by one found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Diagnosis {
    Written,
    /// The server copy changed since this change's base (412).
    Conflict,
    /// The server refused a resource; its OperationOutcome in words.
    Rejected(String),
    Unavailable,
}

/// What to do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step<K> {
    /// Send these changes as one transaction.
    Send(Vec<K>),
    /// Send this change's resources one by one.
    Diagnose(K),
    /// Wait before the next step.
    Wait(Duration),
    /// Nothing left: every change was written, quarantined or conflicted.
    Done,
    /// The server stayed unreachable; these changes wait for the next pass.
    Offline { left: usize },
}

/// What happened to changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event<K> {
    Written(Vec<K>),
    Quarantined(K, String),
    Conflicted(K),
}

/// One push pass over the queued changes.
pub struct Push<K> {
    cfg: PushConfig,
    queue: VecDeque<K>,
    size: usize,
    /// The largest batch the server has not refused as too large.
    cap: usize,
    in_flight: Vec<K>,
    diagnosing: Option<K>,
    wait: Option<Duration>,
    failures: u32,
    offline: bool,
    rng: u64,
}

impl<K: Clone> Push<K> {
    /// A pass over `changes` in the order given; `seed` drives the jitter.
    pub fn new(changes: Vec<K>, cfg: PushConfig, seed: u64) -> Push<K> {
        let size = cfg.max_batch.max(1);
        Push {
            cfg,
            queue: changes.into(),
            size,
            cap: size,
            in_flight: Vec::new(),
            diagnosing: None,
            wait: None,
            failures: 0,
            offline: false,
            rng: seed | 1,
        }
    }

    /// How many changes are still to be sent (in flight included).
    pub fn remaining(&self) -> usize {
        self.queue.len() + self.in_flight.len() + usize::from(self.diagnosing.is_some())
    }

    /// The next step. Call [`Push::sent`] or [`Push::diagnosed`] with the
    /// answer to a `Send` or `Diagnose` before asking again.
    pub fn step(&mut self) -> Step<K> {
        assert!(self.in_flight.is_empty(), "the answer to the last batch is still owed");
        if self.offline {
            return Step::Offline { left: self.remaining() };
        }
        if let Some(w) = self.wait.take() {
            return Step::Wait(w);
        }
        if let Some(k) = &self.diagnosing {
            return Step::Diagnose(k.clone());
        }
        if self.queue.is_empty() {
            return Step::Done;
        }
        let n = self.size.min(self.queue.len());
        self.in_flight = self.queue.drain(..n).collect();
        Step::Send(self.in_flight.clone())
    }

    /// The answer to the last `Send`.
    pub fn sent(&mut self, outcome: Outcome) -> Vec<Event<K>> {
        let batch = std::mem::take(&mut self.in_flight);
        assert!(!batch.is_empty(), "no batch was sent");
        let single = batch.len() == 1;
        match outcome {
            Outcome::Accepted => {
                self.failures = 0;
                self.size = (self.size * 2).min(self.cap);
                return vec![Event::Written(batch)];
            }
            Outcome::TooLarge if single => {
                let k = batch.into_iter().next().expect("one change");
                return vec![Event::Quarantined(
                    k,
                    "服务器拒收：单条记录过大 (413) / the server refused a single change as too large (413)".into(),
                )];
            }
            Outcome::Rejected if single => {
                self.diagnosing = batch.into_iter().next();
                return Vec::new();
            }
            Outcome::TooLarge => {
                self.size = (batch.len() / 2).max(1);
                self.cap = self.size;
                self.requeue(batch);
            }
            Outcome::Rejected => {
                self.size = (batch.len() / 2).max(1);
                self.requeue(batch);
            }
            Outcome::TimedOut if !single => {
                self.size = (batch.len() / 2).max(1);
                self.requeue(batch);
            }
            Outcome::TimedOut | Outcome::Unavailable => {
                self.requeue(batch);
                self.fail();
            }
        }
        Vec::new()
    }

    /// The answer to the last `Diagnose`.
    pub fn diagnosed(&mut self, d: Diagnosis) -> Vec<Event<K>> {
        let k = self.diagnosing.take().expect("no change was being diagnosed");
        match d {
            Diagnosis::Written => {
                self.failures = 0;
                vec![Event::Written(vec![k])]
            }
            Diagnosis::Conflict => vec![Event::Conflicted(k)],
            Diagnosis::Rejected(reason) => vec![Event::Quarantined(k, reason)],
            Diagnosis::Unavailable => {
                self.diagnosing = Some(k);
                self.fail();
                Vec::new()
            }
        }
    }

    fn requeue(&mut self, batch: Vec<K>) {
        for k in batch.into_iter().rev() {
            self.queue.push_front(k);
        }
    }

    fn fail(&mut self) {
        self.failures += 1;
        if self.failures > self.cfg.max_failures {
            self.offline = true;
            return;
        }
        let ceiling = self.cfg.backoff_base_ms.saturating_mul(1 << (self.failures - 1).min(30)).min(self.cfg.backoff_max_ms);
        // Full jitter: anywhere between half the ceiling and the ceiling, so
        // installs that lost the server together do not return together.
        let jitter = self.random() % (ceiling / 2 + 1);
        self.wait = Some(Duration::from_millis(ceiling - jitter));
    }

    fn random(&mut self) -> u64 {
        // xorshift64: enough to spread retries; not for secrets.
        let mut x = self.rng;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.rng = x;
        x
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(max_batch: usize) -> PushConfig {
        PushConfig { max_batch, backoff_base_ms: 100, backoff_max_ms: 1_000, max_failures: 3 }
    }

    /// Runs a pass against a server described by `answer` (which sees each
    /// batch) and `diagnose`; returns every event and every step taken.
    fn run(
        keys: Vec<u32>,
        c: PushConfig,
        mut answer: impl FnMut(&[u32]) -> Outcome,
        mut diagnose: impl FnMut(u32) -> Diagnosis,
    ) -> (Vec<Event<u32>>, Vec<Step<u32>>) {
        let mut push = Push::new(keys, c, 42);
        let (mut events, mut steps) = (Vec::new(), Vec::new());
        loop {
            let step = push.step();
            steps.push(step.clone());
            match step {
                Step::Send(batch) => events.extend(push.sent(answer(&batch))),
                Step::Diagnose(k) => events.extend(push.diagnosed(diagnose(k))),
                Step::Wait(_) => {}
                Step::Done | Step::Offline { .. } => return (events, steps),
            }
            assert!(steps.len() < 10_000, "the pass must end");
        }
    }

    fn written(events: &[Event<u32>]) -> Vec<u32> {
        let mut w: Vec<u32> = events
            .iter()
            .flat_map(|e| match e {
                Event::Written(ks) => ks.clone(),
                _ => Vec::new(),
            })
            .collect();
        w.sort();
        w
    }

    #[test]
    fn an_accepting_server_gets_everything_in_full_batches() {
        let (events, steps) = run((0..120).collect(), cfg(50), |_| Outcome::Accepted, |_| unreachable!());
        assert_eq!(written(&events), (0..120).collect::<Vec<_>>());
        let sizes: Vec<usize> = steps.iter().filter_map(|s| if let Step::Send(b) = s { Some(b.len()) } else { None }).collect();
        assert_eq!(sizes, vec![50, 50, 20], "batches are as large as allowed");
    }

    #[test]
    fn one_bad_change_is_isolated_quarantined_with_the_servers_words_and_the_rest_go_through() {
        let bad = 37;
        let (events, _) = run(
            (0..100).collect(),
            cfg(50),
            |b| if b.contains(&bad) { Outcome::Rejected } else { Outcome::Accepted },
            |k| if k == bad { Diagnosis::Rejected("Patient.gender: code invalid".into()) } else { Diagnosis::Written },
        );
        let expected: Vec<u32> = (0..100).filter(|k| *k != bad).collect();
        assert_eq!(written(&events), expected, "every other change is written");
        assert!(
            events.contains(&Event::Quarantined(bad, "Patient.gender: code invalid".into())),
            "the bad one is quarantined with the reason"
        );
    }

    #[test]
    fn too_large_batches_shrink_until_they_pass() {
        // The server takes at most 8 changes per bundle.
        let mut refused = 0;
        let (events, steps) = run(
            (0..40).collect(),
            cfg(50),
            |b| {
                if b.len() > 8 {
                    refused += 1;
                    Outcome::TooLarge
                } else {
                    Outcome::Accepted
                }
            },
            |_| unreachable!(),
        );
        assert_eq!(written(&events), (0..40).collect::<Vec<_>>());
        let sizes: Vec<usize> = steps.iter().filter_map(|s| if let Step::Send(b) = s { Some(b.len()) } else { None }).collect();
        assert_eq!(sizes, vec![40, 20, 10, 5, 5, 5, 5, 5, 5, 5, 5], "halves until accepted, then stays under the size refused");
        assert_eq!(refused, 3, "a size once refused is not tried again in the pass");
    }

    #[test]
    fn a_single_change_too_large_for_the_server_is_quarantined() {
        let (events, _) = run(vec![1], cfg(5), |_| Outcome::TooLarge, |_| unreachable!());
        assert!(matches!(&events[0], Event::Quarantined(1, reason) if reason.contains("413")));
    }

    #[test]
    fn a_conflict_found_by_diagnosis_is_raised_not_written() {
        let (events, _) =
            run(vec![1, 2], cfg(1), |b| if b == [2] { Outcome::Rejected } else { Outcome::Accepted }, |_| Diagnosis::Conflict);
        assert_eq!(events, vec![Event::Written(vec![1]), Event::Conflicted(2)]);
    }

    #[test]
    fn an_unreachable_server_ends_the_pass_offline_after_growing_waits() {
        let (events, steps) = run((0..10).collect(), cfg(5), |_| Outcome::Unavailable, |_| unreachable!());
        assert!(events.is_empty(), "nothing is written and nothing is dropped");
        assert_eq!(steps.last(), Some(&Step::Offline { left: 10 }), "every change stays queued");
        let waits: Vec<Duration> = steps.iter().filter_map(|s| if let Step::Wait(w) = s { Some(*w) } else { None }).collect();
        assert_eq!(waits.len(), 3, "one wait per failure up to max_failures");
        for (i, w) in waits.iter().enumerate() {
            let ceiling = Duration::from_millis((100u64 << i).min(1_000));
            assert!(*w <= ceiling && *w >= ceiling / 2, "wait {i} is {w:?}, within the jitter band under {ceiling:?}");
        }
    }

    #[test]
    fn the_server_coming_back_resets_the_waits() {
        let mut calls = 0;
        let (events, steps) = run(
            (0..4).collect(),
            cfg(2),
            |_| {
                calls += 1;
                // Fails every other call: never three in a row.
                if calls % 2 == 1 {
                    Outcome::Unavailable
                } else {
                    Outcome::Accepted
                }
            },
            |_| unreachable!(),
        );
        assert_eq!(written(&events), vec![0, 1, 2, 3]);
        assert_eq!(steps.last(), Some(&Step::Done));
    }

    #[test]
    fn a_timed_out_batch_is_resent_smaller_and_nothing_is_written_twice_as_an_event() {
        let mut first = true;
        let (events, _) = run(
            (0..10).collect(),
            cfg(10),
            |_| {
                if std::mem::take(&mut first) {
                    Outcome::TimedOut
                } else {
                    Outcome::Accepted
                }
            },
            |_| unreachable!(),
        );
        assert_eq!(written(&events), (0..10).collect::<Vec<_>>(), "each change is reported written once");
    }

    #[test]
    fn the_jitter_differs_between_seeds() {
        let waits = |seed| {
            let mut p = Push::new(vec![1], cfg(1), seed);
            let _ = p.step();
            p.sent(Outcome::Unavailable);
            p.step()
        };
        assert_ne!(waits(1), waits(2), "two installs failing together wait differently");
    }
}
