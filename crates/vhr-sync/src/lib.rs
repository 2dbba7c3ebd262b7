//! Sync with the township hospital and the regional platform (issue #4).
//!
//! - [`push`] is the state machine that drains the outbox: it decides what to
//!   send next, how batches shrink and grow, when to wait and for how long,
//!   and what a failure means for each change. It does no IO and reads no
//!   clock; its randomness (the backoff jitter) comes from a seed it is given.
//!   Its tests run without sockets.
//! - [`transport`] is the only code in the project that touches the network:
//!   HTTP to a FHIR R4 server, with bearer or OAuth2 client-credentials auth,
//!   reads tried again, history paged through, statuses classified.
//! - [`platform`] holds where the platform is and how to sign in to it.

pub mod platform;
pub mod push;
pub mod transport;

pub use platform::{Credentials, PlatformConfig};
pub use push::{Diagnosis, Event, Outcome, Push, PushConfig, Step};
pub use transport::{address_allowed, FhirServer, Reply, Retry, TransportError};
