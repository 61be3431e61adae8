//! The workspace's one integration-test binary.
//!
//! - `e2e`: the CLI against a real moto_server (started per test on a free port).
//! - `resume`: interruptions at every step boundary and mid-write, then resume.
//! - `interrupt`: Ctrl-C (SIGINT) during a revert.
//! - `audit_log`: tamper detection, locking, corrupt state.
//! - `journal`: forged stories with intact hash chains, an edited state.json, final runs.
//! - `replay`: every recorded scenario, offline, with insta snapshots.
//! - `recording`: `fixtures record` through a role profile: no credential in the fixture or the
//!   audit log, the provider's AssumeRole sent to the endpoint given.

mod audit_log;
mod e2e;
mod interrupt;
mod journal;
mod recording;
mod replay;
mod resume;
mod support;
