//! The workspace's one integration-test binary.
//!
//! - `e2e`: the CLI against a real moto_server (started per test on a free port).
//! - `resume`: interruptions at every step boundary and mid-write, then resume.
//! - `interrupt`: Ctrl-C (SIGINT) during a revert.
//! - `audit_log`: tamper detection, corrupt state.
//! - `lock`: one run at a time (many starters at once, SIGKILL, an operator's `flock`).
//! - `replay`: every recorded scenario, offline, with insta snapshots.

mod audit_log;
mod e2e;
mod interrupt;
mod lock;
mod replay;
mod resume;
mod support;
