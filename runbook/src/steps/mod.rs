//! The typed steps of the runbooks. Each step is a struct (its input, logged when it starts) with
//! an `Output` (logged when it succeeds, and reused instead of re-running it on resume). Every
//! step that writes re-reads the live state right before writing, so running it twice is safe.

use std::future::Future;
use std::pin::Pin;

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use aws_types::request_id::RequestId;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::aws::{self, Aws, Failure, Op};
use crate::error::Result;
use crate::run::Run;

pub mod bucket;
pub mod check_status;
pub mod confirm;
pub mod disable_trail_kms;
pub mod key_advice;
pub mod plan;
pub mod preflight;
pub mod scan;
pub mod set_bucket_aes256;
pub mod verify;

pub use check_status::{CheckStatus, StatusReport};
pub use confirm::{Confirm, Confirmation};
pub use disable_trail_kms::{DisableTrailKms, TrailRevert};
pub use key_advice::{KeyAdvice, KeyInfo, KeyReport};
pub use plan::{BucketPlan, MakePlan, Plan, PlannedWrite, TrailChange};
pub use preflight::{Preflight, PreflightOutput};
pub use set_bucket_aes256::{BucketRevert, SetBucketAes256};
pub use verify::{Verify, VerifyReport};

/// One step of a runbook.
pub trait Step: Serialize + Sync {
    const NAME: &'static str;
    type Output: Serialize + DeserializeOwned + Send;
    fn execute(&self, cx: &Cx<'_>) -> impl Future<Output = Result<Self::Output>> + Send;
}

/// Whether a write was made, found already done, or settled after an interrupted attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WriteOutcome {
    Changed,
    AlreadyDone,
    /// An earlier attempt logged the intent but not the result; the live state shows it applied.
    SettledApplied,
}

/// How a failed write is recorded: `unknown` when no answer came (it may have been applied, so
/// resume settles it from the live state), else `error`.
pub fn write_outcome(failure: &Failure) -> &'static str {
    if failure.kind == crate::aws::FailureKind::Unreachable {
        "unknown"
    } else {
        "error"
    }
}

/// The operator's side, supplied by the CLI: progress display and the one confirmation.
/// The library never reads the terminal itself.
pub trait Operator: Send + Sync {
    fn step_started(&self, _step: &str) {}
    fn step_finished(&self, _step: &str, _output: &Value) {}
    fn step_reused(&self, _step: &str) {}
    fn regions_scanned(&self, _done: usize, _total: usize) {}
    /// Shown the plan before any write; answers how the go-ahead was given (`--yes`,
    /// `prompt`), or why not ([`crate::Error::NotConfirmed`], [`crate::Error::ConfirmationUnavailable`]).
    /// Asynchronous so that Ctrl-C still works while it waits.
    fn confirm<'a>(
        &'a self,
        plan: &'a Plan,
    ) -> Pin<Box<dyn Future<Output = Result<String>> + Send + 'a>>;
}

/// Tuning that does not change what is done, only how fast.
#[derive(Clone, Debug)]
pub struct Settings {
    /// At most this many AWS calls in flight during a region fan-out.
    pub concurrency: usize,
    /// How long verify waits before each re-read of what still disagrees (a multi-region
    /// trail's change reaches the other regions from its home region).
    pub verify_waits: Vec<std::time::Duration>,
}

impl Settings {
    /// Replayed answers come at once: no point in waiting between re-reads.
    pub fn without_waits(self) -> Settings {
        Settings {
            verify_waits: vec![std::time::Duration::ZERO; self.verify_waits.len()],
            ..self
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        let s = std::time::Duration::from_secs;
        Settings {
            concurrency: 40,
            verify_waits: vec![s(1), s(2), s(4), s(8)],
        }
    }
}

/// What a step works with.
pub struct Cx<'a> {
    pub aws: &'a Aws,
    pub run: &'a Run,
    pub operator: &'a dyn Operator,
    pub settings: Settings,
}

impl Cx<'_> {
    /// An AWS call, recorded in this run's audit log.
    pub async fn call<T, E, F>(
        &self,
        op: Op,
        region: &str,
        params: Value,
        fut: F,
    ) -> std::result::Result<T, Failure>
    where
        F: Future<Output = std::result::Result<T, SdkError<E, HttpResponse>>>,
        T: RequestId,
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        aws::call(self.run, op, region, params, fut).await
    }
}
