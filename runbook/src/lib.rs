//! `runbook`: typed, audited, resumable AWS runbooks. The one runbook today reverts the
//! CloudTrail "secure setting" of an AWS account (trail SSE-KMS off, bucket back to SSE-S3).
//!
//! The crate never reads argv, the environment or the terminal: the CLI (`xtask`) builds the
//! AWS configuration and supplies an [`steps::Operator`] for progress and confirmation.

pub mod aws;
pub mod error;
pub mod files;
pub mod http;
pub mod journal;
pub mod lock;
pub mod model;
pub mod run;
pub mod runbooks;
pub mod runs;
pub mod steps;

pub use error::{Error, Result};
#[cfg(feature = "testkit")]
pub mod testkit;
