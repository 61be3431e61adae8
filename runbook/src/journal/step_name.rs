//! The names of the runbooks' steps, and which of them may run side by side. A leaf module:
//! the call records (`aws.rs`) and errors name steps, and the journal's events hold both.

use serde::{Deserialize, Serialize};

/// The steps of the runbooks, in the order `revert` runs them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepName {
    Preflight,
    CheckStatus,
    Plan,
    Confirm,
    DisableTrailKms,
    SetBucketAes256,
    Verify,
    KeyAdvice,
    /// `restore`: the revert run to undo, checked.
    UndoSource,
    /// `restore`: every key to put back exists and is enabled.
    CheckKeys,
    /// `restore`: what to put back, three ways (before the revert, after it, now).
    UndoPlan,
    RestoreTrailKms,
    RestoreBucketEncryption,
}

impl StepName {
    /// Whether `next` may start while `self` still runs: the revert's two write steps (each
    /// reads its own target fresh, and neither sends before both reads passed), and the
    /// verification with the key advice (which read different things). Nothing else overlaps.
    pub fn may_overlap(self, next: StepName) -> bool {
        matches!(
            (self, next),
            (StepName::DisableTrailKms, StepName::SetBucketAes256)
                | (StepName::Verify, StepName::KeyAdvice)
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            StepName::Preflight => "preflight",
            StepName::CheckStatus => "check_status",
            StepName::Plan => "plan",
            StepName::Confirm => "confirm",
            StepName::DisableTrailKms => "disable_trail_kms",
            StepName::SetBucketAes256 => "set_bucket_aes256",
            StepName::Verify => "verify",
            StepName::KeyAdvice => "key_advice",
            StepName::UndoSource => "undo_source",
            StepName::CheckKeys => "check_keys",
            StepName::UndoPlan => "undo_plan",
            StepName::RestoreTrailKms => "restore_trail_kms",
            StepName::RestoreBucketEncryption => "restore_bucket_encryption",
        }
    }
}

impl std::fmt::Display for StepName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
