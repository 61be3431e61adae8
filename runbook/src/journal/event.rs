//! What a run records, typed: one enum variant per kind of event. The serialized form is
//! `{"event": "<kind>", "data": {…}}`, which is the shape of every line of `audit.jsonl`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use super::step_name::StepName;
use crate::aws::CallRecord;
use crate::model::{Args, PlannedWrite, Runbook, SkipReason};

impl StepName {
    /// Which kind of write a step may make (`None`: it makes none).
    pub fn writes(self) -> Option<crate::aws::Op> {
        match self {
            StepName::DisableTrailKms | StepName::RestoreTrailKms => Some(crate::aws::UPDATE_TRAIL),
            StepName::SetBucketAes256 | StepName::RestoreBucketEncryption => {
                Some(crate::aws::PUT_BUCKET_ENCRYPTION)
            }
            _ => None,
        }
    }

    /// Whether the step's output is a plan (it holds `writes`, which the operator confirms).
    pub fn plans(self) -> bool {
        matches!(self, StepName::Plan | StepName::UndoPlan)
    }

    /// The steps of `runbook`, in the order it runs them (`runbooks.rs` drives them; the fold
    /// holds a journal to them). A dry run and `status` end after the plan. A run may finish
    /// only when each of these steps succeeded or was skipped for a reason the plan bears out.
    pub fn sequence(runbook: Runbook, dry_run: bool) -> &'static [StepName] {
        const REVERT: &[StepName] = &[
            StepName::Preflight,
            StepName::CheckStatus,
            StepName::Plan,
            StepName::Confirm,
            StepName::DisableTrailKms,
            StepName::SetBucketAes256,
            StepName::Verify,
            StepName::KeyAdvice,
        ];
        const RESTORE: &[StepName] = &[
            StepName::UndoSource,
            StepName::CheckKeys,
            StepName::UndoPlan,
            StepName::Confirm,
            StepName::RestoreTrailKms,
            StepName::RestoreBucketEncryption,
            StepName::Verify,
        ];
        let all = match runbook {
            Runbook::Revert | Runbook::Status => REVERT,
            Runbook::Restore => RESTORE,
        };
        if runbook == Runbook::Status || dry_run {
            &all[..3]
        } else {
            all
        }
    }
}

/// The journal format this tool writes and reads, recorded in `run_started`. Format 1 (tool
/// 0.1.0 before the typed journal) had untyped events and no `format` field.
pub const FORMAT: u32 = 2;

/// The first event of every run: what was asked, by whom, with which tool.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunStarted {
    pub format: u32,
    pub tool_version: String,
    pub runbook: Runbook,
    pub args: Args,
    pub account: String,
    pub caller_arn: String,
    /// Where the credentials came from (a profile's name, the environment, …), never the keys.
    pub credentials: String,
    /// The batch this run is one account of (`cargo xtask run … --accounts`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunResumed {
    pub attempt: u32,
    pub caller_arn: String,
    pub credentials: String,
    pub steps_done: Vec<StepName>,
}

/// How the operator's go-ahead was given.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConfirmVia {
    /// `--yes` on the command line.
    YesFlag,
    /// `y` typed at the prompt.
    Prompt,
}

/// A trail the run may not change, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeftAlone {
    pub trail_arn: String,
    pub why: SkipReason,
}

/// Why a step was not run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "because", rename_all = "snake_case")]
pub enum StepSkip {
    /// It succeeded in an earlier attempt; its recorded output is reused.
    SucceededEarlier,
    /// The trails and buckets this run may change are already as the revert leaves them.
    AlreadyReverted,
    /// The trails that are still encrypted may not be changed by this run.
    OnlyTrailsLeftAlone { trails: Vec<LeftAlone> },
    /// No trail the run may change is encrypted (the bucket still needs its write).
    NoTrailEncrypted,
    /// No bucket the run may change is SSE-KMS (the trail still needs its write).
    NoBucketSseKms,
    /// Neither the trail nor the bucket used a KMS key, so there is no key to advise on.
    NoKeyInUse,
    /// `restore`: everything the revert changed is as it was before it (or was left alone
    /// because it changed since).
    NothingToRestore,
}

/// What the answer to a write said about it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WriteAnswer {
    /// AWS confirmed the write.
    Ok,
    /// AWS refused it: it was not applied.
    Error,
    /// No answer came (connection lost, timeout): it may or may not have been applied; it is
    /// settled by reading the live state before anything else is sent.
    Unknown,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperatorConfirmation {
    pub confirmed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via: Option<ConfirmVia>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refusal: Option<String>,
    /// The writes shown to the operator: exactly the plan's. A write intent must be one of them.
    pub writes: Vec<PlannedWrite>,
}

/// Everything a run records. Checked one by one against the run's state by [`super::Fold`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", content = "data", rename_all = "snake_case")]
pub enum Event {
    RunStarted(RunStarted),
    RunResumed(RunResumed),
    /// Resume cut a torn last line (a crash in the middle of an append, never acknowledged).
    LogRepaired {
        dropped_torn_last_line_bytes: u64,
    },
    AwsCall(CallRecord),
    StepStarted {
        step: StepName,
        input: Value,
    },
    StepSucceeded {
        step: StepName,
        output: Value,
        duration_ms: u64,
    },
    StepFailed {
        step: StepName,
        error: String,
        duration_ms: u64,
    },
    StepSkipped {
        step: StepName,
        #[serde(flatten)]
        skip: StepSkip,
    },
    Warning {
        step: StepName,
        message: String,
    },
    OperatorConfirmation(OperatorConfirmation),
    /// A write about to be sent, logged (and fsynced) before it is.
    WriteIntent {
        step: StepName,
        write: PlannedWrite,
    },
    /// The answer to the write intended at line `intent_seq + 1`.
    WriteResult {
        intent_seq: u64,
        outcome: WriteAnswer,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error_code: Option<String>,
    },
    /// A write without a conclusive answer, settled by reading the live state.
    WriteSettled {
        intent_seq: u64,
        applied: bool,
        live: Value,
    },
    RunFinished {
        writes_made: usize,
        writes_planned: usize,
        dry_run: bool,
    },
    RunFailed {
        error: String,
        /// Whether `resume` can finish the run (false: bad input, or the operator said no).
        resumable: bool,
    },
    RunInterrupted {
        reason: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        during_step: Option<StepName>,
        /// The step that ran beside `during_step`, if one did.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        also_during: Option<StepName>,
    },
}

impl Event {
    /// The kind, as the `event` field of the line spells it.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::RunStarted(_) => "run_started",
            Event::RunResumed(_) => "run_resumed",
            Event::LogRepaired { .. } => "log_repaired",
            Event::AwsCall(_) => "aws_call",
            Event::StepStarted { .. } => "step_started",
            Event::StepSucceeded { .. } => "step_succeeded",
            Event::StepFailed { .. } => "step_failed",
            Event::StepSkipped { .. } => "step_skipped",
            Event::Warning { .. } => "warning",
            Event::OperatorConfirmation(_) => "operator_confirmation",
            Event::WriteIntent { .. } => "write_intent",
            Event::WriteResult { .. } => "write_result",
            Event::WriteSettled { .. } => "write_settled",
            Event::RunFinished { .. } => "run_finished",
            Event::RunFailed { .. } => "run_failed",
            Event::RunInterrupted { .. } => "run_interrupted",
        }
    }

    /// The `(event, data)` pair a line carries.
    pub fn to_parts(&self) -> (String, Value) {
        let mut value = serde_json::to_value(self).expect("events always serialize");
        let data = value
            .get_mut("data")
            .map(Value::take)
            .unwrap_or_else(|| Value::Object(Default::default()));
        (self.kind().to_string(), data)
    }

    pub fn from_parts(event: &str, data: &Value) -> serde_json::Result<Event> {
        serde_json::from_value(serde_json::json!({ "event": event, "data": data }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips_through_its_line_parts() {
        let events = [
            Event::StepSkipped {
                step: StepName::Confirm,
                skip: StepSkip::OnlyTrailsLeftAlone {
                    trails: vec![LeftAlone {
                        trail_arn: "arn".into(),
                        why: SkipReason::OrganizationTrail,
                    }],
                },
            },
            Event::WriteResult {
                intent_seq: 3,
                outcome: WriteAnswer::Unknown,
                error_code: Some("NoResponse".into()),
            },
            Event::RunInterrupted {
                reason: "Ctrl-C".into(),
                during_step: None,
                also_during: None,
            },
        ];
        for ev in events {
            let (kind, data) = ev.to_parts();
            assert_eq!(kind, ev.kind());
            assert_eq!(Event::from_parts(&kind, &data).unwrap(), ev);
        }
    }

    #[test]
    fn step_names_serialize_as_their_names() {
        for step in [
            StepName::Preflight,
            StepName::SetBucketAes256,
            StepName::KeyAdvice,
        ] {
            assert_eq!(serde_json::to_value(step).unwrap(), step.as_str());
        }
    }
}
