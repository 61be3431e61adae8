//! `runbook`: typed, audited, resumable AWS runbooks. The one runbook today reverts the
//! CloudTrail "secure setting" of an AWS account (trail SSE-KMS off, bucket back to SSE-S3).
//!
//! The crate never reads argv, the environment or the terminal: the CLI (`xtask`) builds the
//! AWS configuration and supplies an [`steps::Operator`] for progress and confirmation.

pub mod aws;
pub mod batch;
pub mod credentials;
pub mod error;
pub mod files;
pub mod finding;
pub mod http;
pub mod journal;
pub mod locate;
pub mod lock;
pub mod model;
pub mod problem;
pub mod recheck;
pub mod run;
pub mod runbooks;
pub mod runs;
pub mod secrets;
pub mod steps;

pub use error::{Error, Result};
#[cfg(feature = "testkit")]
pub mod testkit;

// Imports run one way, file by file, in this crate as in every other: `xtask/src/tidy.rs`.
