//! What a check found not as it should be: the verification after a revert or undo, the weekly
//! re-check (`status --check`), and the drift since a revert (`status --since`). Typed, so that
//! the CLI says each in the operator's language; `Display` is the English the library's errors
//! carry.

use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Finding {
    /// `--check`: a trail that may be changed from here is SSE-KMS.
    TrailUsesKey { trail_arn: String, key: String },
    /// `--check`: a trail bucket's default encryption is SSE-KMS.
    BucketSseKms { bucket: String, algorithms: String },
    /// `--since`: the trail the revert changed is gone.
    TrailGone { trail_arn: String },
    /// `--since`: the trail is SSE-KMS again.
    TrailKeyAgain { trail: String, key: String },
    /// `--since`: the trail the undo gave a key has none any more.
    TrailKeyGone { trail: String },
    /// `--since`: no trail of the run delivers to the bucket any more, so it was not read.
    BucketNotChecked { bucket: String },
    /// `--since`: the bucket is SSE-KMS again.
    BucketSseKmsAgain { bucket: String, algorithms: String },
    /// `--since`: the bucket's rules changed since the run put them.
    BucketRulesChanged { bucket: String, algorithms: String },
    /// Verification: some regions still show the trail's old key.
    TrailStillKms {
        trail_arn: String,
        key: String,
        regions: Vec<String>,
    },
    /// Verification: some regions show another key (or none) than the one expected.
    TrailNotExpected {
        trail_arn: String,
        shown: Option<String>,
        expected: String,
        regions: Vec<String>,
    },
    /// Verification: some regions disagree about the trail.
    TrailDisagrees {
        trail_arn: String,
        regions: Vec<String>,
    },
    /// Verification: the bucket is still SSE-KMS.
    BucketStillSseKms { bucket: String },
    /// Verification: the bucket does not have the rules expected.
    BucketNotExpected { bucket: String },
    /// A batch's `--since`: the account could not be compared; `message` is the error, already
    /// in the operator's language.
    CompareFailed { message: String },
}

/// A finding, and the account it was found in when a batch checked many.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    pub account: Option<String>,
    /// The run it was compared with, when a batch compared each account with its own.
    pub since: Option<String>,
    pub finding: Finding,
}

impl From<Finding> for Found {
    fn from(finding: Finding) -> Found {
        Found {
            account: None,
            since: None,
            finding,
        }
    }
}

fn wheres(regions: &[String]) -> String {
    format!("in {} regions ({})", regions.len(), regions.join(", "))
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Finding::TrailUsesKey { trail_arn, key } => {
                write!(f, "trail {trail_arn} uses KMS key {key}")
            }
            Finding::BucketSseKms { bucket, algorithms } => {
                write!(f, "bucket {bucket} is {algorithms}")
            }
            Finding::TrailGone { trail_arn } => write!(f, "trail {trail_arn}: not found any more"),
            Finding::TrailKeyAgain { trail, key } => {
                write!(f, "trail {trail}: SSE-KMS again with key {key}")
            }
            Finding::TrailKeyGone { trail } => write!(f, "trail {trail}: no KMS key any more"),
            Finding::BucketNotChecked { bucket } => write!(
                f,
                "bucket {bucket}: not checked (no trail of this run delivers to it)"
            ),
            Finding::BucketSseKmsAgain { bucket, algorithms } => {
                write!(f, "bucket {bucket}: {algorithms} again")
            }
            Finding::BucketRulesChanged { bucket, algorithms } => write!(
                f,
                "bucket {bucket}: default encryption changed (now {algorithms})"
            ),
            Finding::TrailStillKms {
                trail_arn,
                key,
                regions,
            } => write!(
                f,
                "trail {trail_arn} still uses KMS key {key} {}",
                wheres(regions)
            ),
            Finding::TrailNotExpected {
                trail_arn,
                shown,
                expected,
                regions,
            } => write!(
                f,
                "trail {trail_arn} shows {} {}, not KMS key {expected}",
                shown
                    .as_deref()
                    .map_or("no KMS key".to_string(), |k| format!("KMS key {k}")),
                wheres(regions)
            ),
            Finding::TrailDisagrees { trail_arn, regions } => {
                write!(f, "trail {trail_arn} disagrees {}", wheres(regions))
            }
            Finding::BucketStillSseKms { bucket } => write!(f, "bucket {bucket} is still SSE-KMS"),
            Finding::BucketNotExpected { bucket } => {
                write!(f, "bucket {bucket} does not have its expected rules")
            }
            Finding::CompareFailed { message } => write!(f, "{message}"),
        }
    }
}

impl fmt::Display for Found {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(account) = &self.account {
            write!(f, "{account}: ")?;
        }
        write!(f, "{}", self.finding)?;
        match &self.since {
            Some(run) => write!(f, " (since run {run})"),
            None => Ok(()),
        }
    }
}

/// Findings as one English line, `; ` between them (the library's error text).
pub fn joined(found: &[Found]) -> String {
    found
        .iter()
        .map(Found::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}
