//! The typed steps of the runbooks. Each step is a struct (its input, logged when it starts) with
//! an `Output` (logged when it succeeds, and reused instead of re-running it on resume). Every
//! step that writes re-reads the live state right before writing, so running it twice is safe.

pub mod bucket;
pub mod check_status;
pub mod confirm;
pub mod disable_trail_kms;
pub mod gate;
pub mod key_advice;
pub mod plan;
pub mod preflight;
mod runner;
pub mod scan;
pub mod set_bucket_aes256;
mod step;
pub mod turnstile;
pub mod undo;
pub mod verify;
pub mod write;

pub use check_status::{CheckStatus, StatusReport};
pub use confirm::{Confirm, Confirmation};
pub use disable_trail_kms::DisableTrailKms;
pub use key_advice::{KeyAdvice, KeyInfo, KeyReport};
pub use plan::{BucketPlan, MakePlan, Plan, TrailChange};
pub use preflight::{ListedRegions, Preflight, PreflightOutput};
pub use set_bucket_aes256::SetBucketAes256;
pub use step::{Beside, Cx, Operator, Settings, Step};
pub use undo::{
    CheckKeys, KeyState, KeyToCheck, NotRestored, NotRestoredWhy, RestoreBucketEncryption,
    RestoreTrailKms, UndoPlan, UndoSource, UndoneRun,
};
pub use verify::{ExpectedBucket, Verify, VerifyReport};
pub use write::{WriteOutcome, WriteReport};
