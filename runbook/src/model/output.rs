//! The outputs of the steps that the journal's fold reads (the status check's report, a plan,
//! a write step's reports). They live here, below both `steps` and `journal`, so that the fold
//! deserializes a recorded output into the very type the step serialized: a renamed field then
//! fails to compile or makes the fold refuse the line, never silently empties a check.

use serde::{Deserialize, Serialize};

use crate::error::KeyProblem;
use crate::model::domain::{
    BucketState, EncryptionRule, PlanWarning, PlannedWrite, RegionStatus, TrailTarget,
};

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct StatusReport {
    pub trail: String,
    pub regions: Vec<RegionStatus>,
    /// Every distinct trail (by ARN) that matched, with why it is skipped if it is.
    pub targets: Vec<TrailTarget>,
}

impl StatusReport {
    pub fn changeable(&self) -> impl Iterator<Item = &TrailTarget> {
        self.targets.iter().filter(|t| t.skip.is_none())
    }

    /// The regions where a trail this run may change was seen encrypted.
    pub fn encrypted_changeable_regions(&self) -> Vec<String> {
        let changeable: Vec<&str> = self.changeable().map(|t| t.trail.arn.as_str()).collect();
        self.regions
            .iter()
            .filter(|r| match &r.scan {
                crate::model::domain::RegionScan::Scanned { trails } => trails
                    .iter()
                    .any(|t| t.encrypted() && changeable.contains(&t.arn.as_str())),
                _ => false,
            })
            .map(|r| r.region.clone())
            .collect()
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct TrailChange {
    pub name: String,
    pub arn: String,
    pub home_region: String,
    /// The key in use now; `None`: already not encrypted, nothing to do.
    pub kms_key_id: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct BucketPlan {
    pub current: BucketState,
    /// The configuration to put; `None`: the bucket is not SSE-KMS, nothing to do.
    pub new_rules: Option<Vec<EncryptionRule>>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Plan {
    pub trails: Vec<TrailChange>,
    pub buckets: Vec<BucketPlan>,
    /// Buckets the trails name that do not exist (deleted): CloudTrail cannot deliver to them.
    #[serde(default)]
    pub missing_buckets: Vec<String>,
    /// Buckets the trails deliver to that belong to another account (S3 refused a request naming
    /// this account as the owner): their default encryption is that account's to change. The
    /// trails are still reverted.
    #[serde(default)]
    pub foreign_buckets: Vec<String>,
    /// Every write a revert makes, in order: what the operator confirms, what each write's
    /// intent records, and what is sent.
    pub writes: Vec<PlannedWrite>,
    pub warnings: Vec<PlanWarning>,
    /// `restore`: each key it puts back, as checked (its ARN, state, and the key policy's
    /// statement that lets CloudTrail use it, or what was wrong).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keys: Vec<KeyState>,
    /// `restore`: what the revert changed that this undo does not put back, and why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_restored: Vec<NotRestored>,
    /// `restore`: what is already as it was before the revert (nothing to write).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub already_restored: Vec<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct KeyState {
    pub key: String,
    pub state: String,
    /// The key's ARN, as KMS names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    /// The trails it goes back on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trails: Vec<String>,
    /// The key policy's statement that lets CloudTrail use the key for those trails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloudtrail_statement: Option<serde_json::Value>,
    /// What the checks found wrong (put back only with `--force`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<KeyProblem>,
}

/// Something the revert changed that the undo does not put back.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct NotRestored {
    /// The trail's ARN or the bucket's name.
    pub target: String,
    pub why: NotRestoredWhy,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum NotRestoredWhy {
    /// It does not exist any more (deleted, or deleted and re-created under another ARN).
    Deleted,
    /// It changed since the revert, and `--force` was not given.
    ChangedSince,
}

/// Whether a write was made, found already done, or applied without its answer reaching us.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WriteOutcome {
    /// This run made it, and AWS confirmed it.
    Changed,
    /// The live state did not need it (changed by someone else, or an earlier run).
    AlreadyDone,
    /// This run sent it and the answer was lost; the live state shows it applied.
    SettledApplied,
}

impl WriteOutcome {
    /// Its name in the journal.
    pub fn as_str(self) -> &'static str {
        match self {
            WriteOutcome::Changed => "changed",
            WriteOutcome::AlreadyDone => "already_done",
            WriteOutcome::SettledApplied => "settled_applied",
        }
    }
}

/// One planned write and what became of it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct WriteReport {
    pub write: PlannedWrite,
    pub outcome: WriteOutcome,
}

impl WriteReport {
    /// Whether this run changed the account with it.
    pub fn made(&self) -> bool {
        matches!(
            self.outcome,
            WriteOutcome::Changed | WriteOutcome::SettledApplied
        )
    }
}
