//! What every step shares: the [`Step`] trait, the [`Operator`] the CLI supplies, the
//! [`Settings`] that tune how fast, and the context [`Cx`] a step works with.

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
use crate::journal::Event;
use crate::journal::{ConfirmVia, StepName};
use crate::model::Plan;
use crate::run::Run;
use crate::steps::gate::GateSide;
use crate::steps::turnstile::OrderSide;

/// One step of a runbook.
pub trait Step: Serialize + Sync {
    const NAME: StepName;
    type Output: Serialize + DeserializeOwned + Send;
    fn execute(&self, cx: &Cx<'_>) -> impl Future<Output = Result<Self::Output>> + Send;
}

/// The operator's side, supplied by the CLI: progress display and the one confirmation.
/// The library never reads the terminal itself.
pub trait Operator: Send + Sync {
    fn step_started(&self, _step: StepName) {}
    fn step_finished(&self, _step: StepName, _output: &Value) {}
    fn step_reused(&self, _step: StepName) {}
    fn regions_scanned(&self, _done: usize, _total: usize) {}
    /// Shown the plan (and who is running, with which credentials, and the trails that matched
    /// but will be left alone, each with its reason) before any write; answers
    /// how the go-ahead was given, or why not ([`crate::Error::NotConfirmed`], [`crate::Error::ConfirmationUnavailable`]).
    /// Asynchronous so that Ctrl-C still works while it waits.
    fn confirm<'a>(
        &'a self,
        plan: &'a Plan,
        who: &'a crate::journal::RunStarted,
        left_alone: &'a [crate::model::TrailTarget],
    ) -> Pin<Box<dyn Future<Output = Result<ConfirmVia>> + Send + 'a>>;
}

/// Tuning that does not change what is done, only how fast.
#[derive(Clone, Debug)]
pub struct Settings {
    /// At most this many AWS calls in flight during a region fan-out.
    pub concurrency: usize,
    /// How long verify waits before each re-read of what still disagrees (a multi-region
    /// trail's change reaches the other regions from its home region).
    pub verify_waits: Vec<std::time::Duration>,
    /// How long a write waits before it is sent again, when its answer proved it was not
    /// applied (throttling) or a read showed it was not; one more send than waits at most.
    pub write_waits: Vec<std::time::Duration>,
}

impl Settings {
    /// Replayed answers come at once: no point in waiting between re-reads.
    pub fn without_waits(self) -> Settings {
        Settings {
            verify_waits: vec![std::time::Duration::ZERO; self.verify_waits.len()],
            write_waits: vec![std::time::Duration::ZERO; self.write_waits.len()],
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
            write_waits: vec![s(1), s(2)],
        }
    }
}

/// What a step works with.
pub struct Cx<'a> {
    pub aws: &'a Aws,
    pub run: &'a Run,
    pub operator: &'a dyn Operator,
    pub settings: Settings,
    /// When this context's step runs beside another: which step it is, where its lines wait
    /// for their turn in the journal, and (for a write step) where its writes wait.
    pub beside: Option<Beside>,
}

/// A step running beside another (see [`Cx::beside`]).
#[derive(Clone)]
pub struct Beside {
    pub step: StepName,
    pub order: OrderSide,
    pub gate: Option<GateSide>,
}

/// Names the step a call was made for, and journals it in its turn.
struct Labeled<'a> {
    run: &'a Run,
    beside: &'a Beside,
}

impl aws::CallSink for Labeled<'_> {
    fn record_call(&self, mut call: aws::CallRecord) {
        call.step = Some(self.beside.step);
        self.beside.order.record(self.run, Event::AwsCall(call));
    }
}

impl<'a> Cx<'a> {
    /// The context for a step running beside another: its calls name it, its lines are
    /// journaled in their turn, and its writes (if it writes) wait at the gate.
    pub fn beside(&self, beside: Beside) -> Cx<'a> {
        Cx {
            aws: self.aws,
            run: self.run,
            operator: self.operator,
            settings: self.settings.clone(),
            beside: Some(beside),
        }
    }

    /// Journals `event` (beside another step: in its turn, perhaps after this returns).
    pub fn record(&self, event: Event) -> Result<()> {
        match &self.beside {
            Some(beside) => {
                beside.order.record(self.run, event);
                Ok(())
            }
            None => self.run.record(event).map(drop),
        }
    }

    /// Beside another step, once this one has journaled a write intent: waits until its lines
    /// go straight into the journal (see [`OrderSide::wait_turn`]).
    pub async fn wait_turn(&self) {
        if let Some(beside) = &self.beside {
            beside.order.wait_turn().await;
        }
    }

    /// Journals `event` and returns its line number once it is written: a write intent, which
    /// must be in the journal before its write is sent.
    pub async fn record_now(&self, event: Event) -> Result<u64> {
        match &self.beside {
            Some(beside) => beside.order.record_and_wait(self.run, event).await,
            None => self.run.record(event),
        }
    }

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
        T: RequestId + aws::ExtendedRequestId,
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        match &self.beside {
            Some(beside) => {
                let labeled = Labeled {
                    run: self.run,
                    beside,
                };
                aws::call(self.aws, &labeled, op, region, params, fut).await
            }
            None => aws::call(self.aws, self.run, op, region, params, fut).await,
        }
    }
}
