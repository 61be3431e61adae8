//! The one fold over a run's events: where the run stands after each of them. Every event is
//! checked against the state it arrives in (as oxidecomputer/steno's saga log is), so an
//! illegal transition — a step that succeeds without having started, a write result without an
//! intent, anything after the run ended, a second `run_started` — is an error naming its line.
//!
//! Writing and reading use the same fold: [`crate::run::Run`] checks each event before it is
//! appended; resume, `audit verify|show|list` and the `state.json` check fold what they read.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::event::*;
use crate::model::{Plan, PlannedWrite, StatusReport, WriteReport};

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Running,
    Finished,
    Failed,
    Interrupted,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Finished => "finished",
            RunStatus::Failed => "failed",
            RunStatus::Interrupted => "interrupted",
        }
    }
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    Running,
    Succeeded,
    Failed,
    Skipped,
    /// Cut short by an interruption or a killed process; resume runs it again.
    Interrupted,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct StepRecord {
    pub name: StepName,
    pub status: StepStatus,
}

/// Where a write stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteState {
    /// Intended (and so perhaps sent); no answer recorded.
    Sent,
    Answered(WriteAnswer),
    Settled {
        applied: bool,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct WriteRecord {
    pub intent_seq: u64,
    pub step: StepName,
    pub write: PlannedWrite,
    pub state: WriteState,
}

impl WriteRecord {
    /// Whether it is not known if the write was applied: it must be settled by reading.
    pub fn unsettled(&self) -> bool {
        matches!(
            self.state,
            WriteState::Sent | WriteState::Answered(WriteAnswer::Unknown)
        )
    }

    /// Whether this run changed the account with it.
    pub fn made(&self) -> bool {
        matches!(
            self.state,
            WriteState::Answered(WriteAnswer::Ok) | WriteState::Settled { applied: true }
        )
    }
}

/// The state of a run after some prefix of its events.
#[derive(Clone, Debug, Default)]
pub struct Fold {
    started: Option<RunStarted>,
    run_id: String,
    started_at: String,
    updated_at: String,
    attempts: u32,
    status: Option<RunStatus>,
    resumable: bool,
    error: Option<String>,
    steps: Vec<StepRecord>,
    outputs: BTreeMap<StepName, (u64, Value)>,
    /// The steps started and not ended, with their `step_started` line: one, or two that
    /// [`StepName::may_overlap`] lets run side by side.
    open_steps: Vec<(StepName, u64)>,
    writes: Vec<WriteRecord>,
    /// The writes of the plan (from the plan step's output), and of the operator's go-ahead
    /// (line). Every write intent must be one the operator confirmed.
    planned: Option<Vec<PlannedWrite>>,
    /// The key each trail showed in the status check (ARN → key), which a revert plan's
    /// trail writes must start from.
    status_keys: Option<BTreeMap<String, Option<String>>>,
    confirmed: Option<(u64, Vec<PlannedWrite>)>,
    last_seq: u64,
    last_hash: String,
    events: usize,
}

/// An event that may not come in the state the run is in.
pub type Illegal = String;

/// A step's recorded output read as the type the step serialized (`T`, which is `what`), or
/// why it is not one: a field missing or renamed is an illegal line, not an empty check.
fn typed<T: serde::de::DeserializeOwned>(
    step: StepName,
    output: &Value,
    what: &str,
) -> Result<T, Illegal> {
    serde_json::from_value(output.clone())
        .map_err(|e| format!("the recorded output of step `{step}` is not {what}: {e}"))
}

/// The key each trail showed in a status check's report (ARN → key).
fn status_keys(report: &StatusReport) -> BTreeMap<String, Option<String>> {
    report
        .targets
        .iter()
        .map(|t| (t.trail.arn.clone(), t.trail.kms_key_id.clone()))
        .collect()
}

impl Fold {
    /// Whether `event` may come next.
    pub fn check(&self, event: &Event) -> Result<(), Illegal> {
        let Some(_) = &self.started else {
            return match event {
                Event::RunStarted(_) => Ok(()),
                other => Err(format!(
                    "the log begins with `{}`, not `run_started`",
                    other.kind()
                )),
            };
        };
        let status = self.status.unwrap_or(RunStatus::Running);
        if status != RunStatus::Running && !matches!(event, Event::RunResumed(_)) {
            return Err(format!(
                "`{}` after the run ended ({})",
                event.kind(),
                status.as_str()
            ));
        }
        match event {
            Event::RunStarted(_) => Err("a second `run_started`".into()),
            Event::RunResumed(r) => {
                if status == RunStatus::Finished {
                    return Err("`run_resumed` after the run finished".into());
                }
                if status == RunStatus::Failed && !self.resumable {
                    return Err("`run_resumed` after a failure that cannot be resumed".into());
                }
                if r.attempt != self.attempts + 1 {
                    return Err(format!(
                        "`run_resumed` as attempt {} after attempt {}",
                        r.attempt, self.attempts
                    ));
                }
                Ok(())
            }
            Event::LogRepaired { .. } | Event::Warning { .. } => Ok(()),
            Event::AwsCall(call) => self.call_in_its_step(call.step),
            Event::StepStarted { step, .. } => {
                let beside = self.may_start_beside(event, *step)?;
                self.in_sequence_beside(*step, beside)?;
                if let Some((seq, _)) = self.outputs.get(step) {
                    return Err(format!(
                        "step `{step}` started again although it succeeded at line {}",
                        seq + 1
                    ));
                }
                Ok(())
            }
            Event::StepSucceeded { step, output, .. } if step.plans() => {
                self.is_open(event, *step)?;
                let plan: Plan = typed(*step, output, "a plan")?;
                self.plan_starts_from_what_was_read(&plan)
            }
            Event::StepSucceeded { step, output, .. } if *step == StepName::CheckStatus => {
                self.is_open(event, *step)?;
                typed::<StatusReport>(*step, output, "a status report").map(drop)
            }
            Event::StepSucceeded { step, output, .. } if step.writes().is_some() => {
                self.is_open(event, *step)?;
                self.reported_writes_were_made(*step, output)
            }
            Event::StepSucceeded { step, .. } | Event::StepFailed { step, .. } => {
                self.is_open(event, *step)
            }
            Event::StepSkipped { step, skip } => {
                self.no_open_step(event)?;
                self.in_sequence(*step)?;
                let succeeded = self.outputs.contains_key(step);
                match skip {
                    StepSkip::SucceededEarlier if !succeeded => Err(format!(
                        "step `{step}` skipped as succeeded earlier, but it never succeeded"
                    )),
                    StepSkip::SucceededEarlier => Ok(()),
                    _ if succeeded => Err(format!(
                        "step `{step}` skipped as not needed, but it succeeded earlier"
                    )),
                    _ => self.skip_borne_out(*step),
                }
            }
            Event::OperatorConfirmation(c) => {
                if !matches!(self.open_steps[..], [(StepName::Confirm, _)]) {
                    return Err("an operator confirmation outside the `confirm` step".into());
                }
                if c.confirmed && self.planned.as_ref() != Some(&c.writes) {
                    return Err(
                        "the operator confirmation names other writes than the plan made".into(),
                    );
                }
                Ok(())
            }
            Event::WriteIntent { step, write } => {
                if !self.open_steps.iter().any(|(open, _)| open == step) {
                    return Err(format!(
                        "a write intent of step `{step}`, which is not a running step"
                    ));
                }
                if step.writes() != Some(write.op()) {
                    return Err(format!(
                        "a {} write in step `{step}`, which makes no such write",
                        write.op().qualified()
                    ));
                }
                match &self.confirmed {
                    None => {
                        return Err("a write intent before the operator confirmed any write".into())
                    }
                    Some((seq, writes)) if !writes.contains(write) => {
                        return Err(format!(
                            "a write to {} that the operator did not confirm (line {})",
                            write.target(),
                            seq + 1
                        ))
                    }
                    Some(_) => {}
                }
                if let Some(w) = self
                    .writes
                    .iter()
                    .find(|w| w.unsettled() && w.write.target() == write.target())
                {
                    return Err(format!(
                        "a second write to {} while the write intended at line {} is unsettled",
                        write.target(),
                        w.intent_seq + 1
                    ));
                }
                Ok(())
            }
            Event::WriteResult { intent_seq, .. } => match self.write(*intent_seq) {
                Some(w) if w.state == WriteState::Sent => Ok(()),
                Some(_) => Err(format!(
                    "a second result for the write intended at line {}",
                    intent_seq + 1
                )),
                None => Err(format!(
                    "a write result for line {}, which is not a write intent",
                    intent_seq + 1
                )),
            },
            Event::WriteSettled {
                intent_seq,
                applied,
                live,
            } => match self.write(*intent_seq) {
                Some(w) if w.unsettled() => match w.write.applied_in(live) {
                    Some(shown) if shown == *applied => Ok(()),
                    Some(_) => Err(format!(
                        "a settlement of line {} that contradicts the state it read",
                        intent_seq + 1
                    )),
                    None => Err(format!(
                        "a settlement of line {} whose reading is not of its target",
                        intent_seq + 1
                    )),
                },
                Some(_) => Err(format!(
                    "the write intended at line {} is settled already",
                    intent_seq + 1
                )),
                None => Err(format!(
                    "a settlement for line {}, which is not a write intent",
                    intent_seq + 1
                )),
            },
            Event::RunFinished { writes_made, .. } => {
                self.no_open_step(event)?;
                if let Some(w) = self.writes.iter().find(|w| w.unsettled()) {
                    return Err(format!(
                        "`run_finished` while the write intended at line {} is unsettled",
                        w.intent_seq + 1
                    ));
                }
                if let Some(s) = self
                    .steps
                    .iter()
                    .find(|s| !matches!(s.status, StepStatus::Succeeded | StepStatus::Skipped))
                {
                    return Err(format!(
                        "`run_finished` while step `{}` is {:?}",
                        s.name, s.status
                    ));
                }
                if let Some(missing) = self.sequence().iter().find(|s| !self.done(**s)) {
                    return Err(format!(
                        "`run_finished` although step `{missing}` of the {} runbook neither \
                         succeeded nor was skipped",
                        self.started.as_ref().map_or("", |s| s.runbook.name())
                    ));
                }
                if *writes_made != self.writes_made() {
                    return Err(format!(
                        "`run_finished` counts {writes_made} writes made; the log shows {}",
                        self.writes_made()
                    ));
                }
                Ok(())
            }
            Event::RunFailed { .. } | Event::RunInterrupted { .. } => Ok(()),
        }
    }

    /// A write step may report a write made ([`WriteReport::made`]: `changed`,
    /// `settled_applied`) only if the log shows that write of
    /// this step conclusively applied: its latest intent to that target answered `ok` or settled
    /// as applied. (Otherwise a forged log could drop a write's intent and answer and still
    /// claim the change.)
    fn reported_writes_were_made(&self, step: StepName, output: &Value) -> Result<(), Illegal> {
        let reports: Vec<WriteReport> = typed(step, output, "a list of write reports")?;
        for r in reports.iter().filter(|r| r.made()) {
            match self.last_write_to(step, r.write.target()) {
                Some(w) if w.made() && w.write == r.write => {}
                _ => {
                    return Err(format!(
                        "step `{step}` reports its write to {} made ({}), but the log holds no \
                         write intent of it answered `ok` or settled as applied",
                        r.write.target(),
                        r.outcome.as_str()
                    ))
                }
            }
        }
        Ok(())
    }

    /// A plan's writes start from what the run itself read: a trail's key from the status
    /// check, a bucket's rules from the plan's own reading. (Undo puts back exactly a write's
    /// `before`, so a `before` nobody read must not pass.)
    fn plan_starts_from_what_was_read(&self, plan: &Plan) -> Result<(), Illegal> {
        for w in &plan.writes {
            let read = match w {
                PlannedWrite::TrailKms {
                    trail_arn, before, ..
                } => match &self.status_keys {
                    Some(keys) => keys.get(trail_arn) == Some(before),
                    None => true,
                },
                PlannedWrite::SetBucketEncryption { bucket, before, .. } => plan
                    .buckets
                    .iter()
                    .filter(|b| b.current.bucket == *bucket)
                    .any(|b| b.current.rules == *before),
            };
            if !read {
                return Err(format!(
                    "the plan's write to {} starts from a state the run did not read",
                    w.target()
                ));
            }
        }
        Ok(())
    }

    /// The steps of this run's runbook (from `run_started`), in order.
    fn sequence(&self) -> &'static [StepName] {
        match &self.started {
            Some(s) => StepName::sequence(s.runbook, s.args.dry_run),
            None => &[],
        }
    }

    /// Whether `step` succeeded or was skipped.
    fn done(&self, step: StepName) -> bool {
        self.steps.iter().any(|s| {
            s.name == step && matches!(s.status, StepStatus::Succeeded | StepStatus::Skipped)
        })
    }

    /// A step may start (or be skipped) only if it is one of the runbook's and every step
    /// before it in the runbook succeeded or was skipped.
    fn in_sequence(&self, step: StepName) -> Result<(), Illegal> {
        self.in_sequence_beside(step, None)
    }

    /// [`Fold::in_sequence`], except that `beside`, the step `step` starts beside (see
    /// [`Fold::may_start_beside`]), is still running.
    fn in_sequence_beside(&self, step: StepName, beside: Option<StepName>) -> Result<(), Illegal> {
        let sequence = self.sequence();
        let Some(at) = sequence.iter().position(|s| *s == step) else {
            return Err(format!(
                "step `{step}` is not a step of the {} runbook{}",
                self.started.as_ref().map_or("", |s| s.runbook.name()),
                if self.started.as_ref().is_some_and(|s| s.args.dry_run) {
                    " (dry run)"
                } else {
                    ""
                }
            ));
        };
        match sequence[..at]
            .iter()
            .find(|s| !self.done(**s) && Some(**s) != beside)
        {
            Some(before) => Err(format!(
                "step `{step}` before step `{before}` succeeded or was skipped"
            )),
            None => Ok(()),
        }
    }

    /// A step skipped as not needed must be so by the plan: a write step only when the plan
    /// has no write of its kind; the confirmation and the verification only when it has no
    /// write at all; the key advice only when no planned write starts from a KMS key.
    fn skip_borne_out(&self, step: StepName) -> Result<(), Illegal> {
        let needed = match (step, &self.planned) {
            (StepName::Preflight | StepName::CheckStatus | StepName::Plan, _)
            | (StepName::UndoSource | StepName::UndoPlan, _) => true,
            // What keys a restore checks comes from the undone run; the step checks that.
            (StepName::CheckKeys, _) => false,
            (_, None) => true,
            (StepName::Confirm | StepName::Verify, Some(writes)) => !writes.is_empty(),
            (StepName::KeyAdvice, Some(writes)) => {
                writes.iter().any(|w| !w.keys_before().is_empty())
            }
            (write_step, Some(writes)) => {
                writes.iter().any(|w| Some(w.op()) == write_step.writes())
            }
        };
        if needed {
            return Err(format!(
                "step `{step}` skipped as not needed, but the plan needs it"
            ));
        }
        Ok(())
    }

    /// Whether `step` may start now: when no step is running, or beside the one running step
    /// it may overlap ([`StepName::may_overlap`]), which it then returns. Never beside two.
    fn may_start_beside(&self, event: &Event, step: StepName) -> Result<Option<StepName>, Illegal> {
        match self.open_steps[..] {
            [] => Ok(None),
            [(open, _)] if open.may_overlap(step) => Ok(Some(open)),
            _ => self.no_open_step(event).map(|()| None),
        }
    }

    /// An AWS call names the step it was made for when two steps run side by side (so that a
    /// reader knows which read came before which write); a step it names must be running.
    fn call_in_its_step(&self, step: Option<StepName>) -> Result<(), Illegal> {
        match (step, &self.open_steps[..]) {
            (Some(step), open) if !open.iter().any(|(s, _)| *s == step) => Err(format!(
                "an aws_call of step `{step}`, which is not running"
            )),
            (None, [(a, _), (b, _), ..]) => Err(format!(
                "an aws_call that names no step while steps `{a}` and `{b}` both run"
            )),
            _ => Ok(()),
        }
    }

    fn is_open(&self, event: &Event, step: StepName) -> Result<(), Illegal> {
        if self.open_steps.iter().any(|(open, _)| *open == step) {
            return Ok(());
        }
        match self.open_steps.first().copied() {
            Some((open, seq)) => Err(format!(
                "`{}` of step `{step}` while step `{open}` (line {}) is open",
                event.kind(),
                seq + 1
            )),
            None => Err(format!(
                "`{}` of step `{step}`, which has not started",
                event.kind()
            )),
        }
    }

    fn no_open_step(&self, event: &Event) -> Result<(), Illegal> {
        match self.open_steps.first().copied() {
            Some((open, seq)) => Err(format!(
                "`{}` while step `{open}` (line {}) has no outcome",
                event.kind(),
                seq + 1
            )),
            None => Ok(()),
        }
    }

    /// Moves the state on by `event` (checked with [`Fold::check`]) at line `seq + 1`.
    pub fn apply(&mut self, seq: u64, ts: &str, hash: &str, event: &Event) {
        debug_assert!(self.check(event).is_ok(), "{:?}", self.check(event));
        match event {
            Event::RunStarted(started) => {
                self.started = Some(started.clone());
                self.started_at = ts.to_string();
                self.attempts = 1;
                self.status = Some(RunStatus::Running);
            }
            Event::RunResumed(r) => {
                self.attempts = r.attempt;
                self.status = Some(RunStatus::Running);
                self.error = None;
                // A killed process leaves its step open; it is run again.
                self.abandon_open_steps();
            }
            Event::StepStarted { step, .. } => {
                self.open_steps.push((*step, seq));
                self.set_step(*step, StepStatus::Running);
            }
            Event::StepSucceeded { step, output, .. } => {
                // `check` read these outputs as their types already.
                if step.plans() {
                    self.planned = serde_json::from_value::<Plan>(output.clone())
                        .ok()
                        .map(|p| p.writes);
                }
                if *step == StepName::CheckStatus {
                    self.status_keys = serde_json::from_value::<StatusReport>(output.clone())
                        .ok()
                        .map(|r| status_keys(&r));
                }
                self.open_steps.retain(|(open, _)| open != step);
                self.outputs.insert(*step, (seq, output.clone()));
                self.set_step(*step, StepStatus::Succeeded);
            }
            Event::StepFailed { step, .. } => {
                self.open_steps.retain(|(open, _)| open != step);
                self.set_step(*step, StepStatus::Failed);
            }
            Event::StepSkipped { step, skip } => {
                let status = match skip {
                    StepSkip::SucceededEarlier => StepStatus::Succeeded,
                    _ => StepStatus::Skipped,
                };
                self.set_step(*step, status);
            }
            Event::WriteIntent { step, write } => self.writes.push(WriteRecord {
                intent_seq: seq,
                step: *step,
                write: write.clone(),
                state: WriteState::Sent,
            }),
            Event::WriteResult {
                intent_seq,
                outcome,
                ..
            } => {
                if let Some(w) = self.writes.iter_mut().find(|w| w.intent_seq == *intent_seq) {
                    w.state = WriteState::Answered(*outcome);
                }
            }
            Event::WriteSettled {
                intent_seq,
                applied,
                ..
            } => {
                if let Some(w) = self.writes.iter_mut().find(|w| w.intent_seq == *intent_seq) {
                    w.state = WriteState::Settled { applied: *applied };
                }
            }
            Event::RunFinished { .. } => self.status = Some(RunStatus::Finished),
            Event::RunFailed { error, resumable } => {
                self.abandon_open_steps();
                self.status = Some(RunStatus::Failed);
                self.resumable = *resumable;
                self.error = Some(error.clone());
            }
            Event::RunInterrupted { reason, .. } => {
                self.abandon_open_steps();
                self.status = Some(RunStatus::Interrupted);
                self.error = Some(format!("interrupted: {reason}"));
            }
            Event::OperatorConfirmation(c) => {
                if c.confirmed {
                    self.confirmed = Some((seq, c.writes.clone()));
                }
            }
            Event::LogRepaired { .. } | Event::AwsCall(_) | Event::Warning { .. } => {}
        }
        self.last_seq = seq;
        self.last_hash = hash.to_string();
        self.updated_at = ts.to_string();
        self.events += 1;
    }

    fn abandon_open_steps(&mut self) {
        for (step, _) in std::mem::take(&mut self.open_steps) {
            self.set_step(step, StepStatus::Interrupted);
        }
    }

    fn set_step(&mut self, name: StepName, status: StepStatus) {
        match self.steps.iter_mut().find(|s| s.name == name) {
            Some(s) => s.status = status,
            None => self.steps.push(StepRecord { name, status }),
        }
    }

    fn write(&self, intent_seq: u64) -> Option<&WriteRecord> {
        self.writes.iter().find(|w| w.intent_seq == intent_seq)
    }

    pub fn started(&self) -> Option<&RunStarted> {
        self.started.as_ref()
    }

    pub fn status(&self) -> Option<RunStatus> {
        self.status
    }

    /// Whether `resume` may continue the run: it did not finish, and did not fail on bad input
    /// or on the operator's "no".
    pub fn resumable(&self) -> bool {
        match self.status {
            Some(RunStatus::Finished) | None => false,
            Some(RunStatus::Failed) => self.resumable,
            Some(RunStatus::Running | RunStatus::Interrupted) => true,
        }
    }

    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    pub fn steps(&self) -> &[StepRecord] {
        &self.steps
    }

    /// The recorded output of a step that succeeded.
    pub fn output(&self, step: StepName) -> Option<&Value> {
        self.outputs.get(&step).map(|(_, v)| v)
    }

    /// The recorded output of a step that succeeded, with its line's sequence number.
    pub fn output_at(&self, step: StepName) -> Option<(u64, &Value)> {
        self.outputs.get(&step).map(|(seq, v)| (*seq, v))
    }

    pub fn steps_done(&self) -> Vec<StepName> {
        self.outputs.keys().copied().collect()
    }

    /// Every step running, in the order they started.
    pub fn open_steps(&self) -> Vec<StepName> {
        self.open_steps.iter().map(|(s, _)| *s).collect()
    }

    pub fn writes(&self) -> &[WriteRecord] {
        &self.writes
    }

    /// The latest write to `target` recorded by `step`.
    pub fn last_write_to(&self, step: StepName, target: &str) -> Option<&WriteRecord> {
        self.writes
            .iter()
            .rev()
            .find(|w| w.step == step && w.write.target() == target)
    }

    /// Writes this run made (answered `ok`, or settled as applied).
    pub fn writes_made(&self) -> usize {
        self.writes.iter().filter(|w| w.made()).count()
    }

    pub fn events(&self) -> usize {
        self.events
    }

    pub fn last_seq(&self) -> u64 {
        self.last_seq
    }

    pub fn last_hash(&self) -> &str {
        &self.last_hash
    }

    pub fn started_at(&self) -> &str {
        &self.started_at
    }

    pub fn updated_at(&self) -> &str {
        &self.updated_at
    }

    pub fn set_run_id(&mut self, run_id: &str) {
        self.run_id = run_id.to_string();
    }

    pub fn run_id(&self) -> &str {
        &self.run_id
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Args, Runbook};

    fn started() -> Event {
        Event::RunStarted(RunStarted {
            format: FORMAT,
            tool_version: "test".into(),
            runbook: Runbook::Revert,
            args: Args {
                trails: vec!["Members".into()],
                regions: None,
                exclude_regions: vec![],
                dry_run: false,
                undoes: None,
                force: false,
                include_organization_trail: false,
            },
            account: "123456789012".into(),
            caller_arn: "arn:aws:iam::123456789012:user/op".into(),
            credentials: "test".into(),
            batch: None,
        })
    }

    fn trail_write() -> PlannedWrite {
        PlannedWrite::TrailKms {
            region: "ap-northeast-1".into(),
            trail_arn: "arn:aws:cloudtrail:ap-northeast-1:123456789012:trail/Members".into(),
            before: Some("k".into()),
            after: None,
        }
    }

    fn start(step: StepName) -> Event {
        Event::StepStarted {
            step,
            input: Value::Null,
        }
    }

    fn succeed(step: StepName) -> Event {
        Event::StepSucceeded {
            step,
            output: Value::Null,
            duration_ms: 0,
        }
    }

    /// A write step's success reporting `trail_write()` with `outcome`.
    fn wrote(step: StepName, outcome: &str) -> Event {
        Event::StepSucceeded {
            step,
            output: serde_json::json!([{ "write": trail_write(), "outcome": outcome }]),
            duration_ms: 0,
        }
    }

    /// The status check's report: the trail `Members`, encrypted with key `k`.
    fn status_output() -> Value {
        serde_json::to_value(StatusReport {
            trail: "Members".into(),
            regions: vec![],
            targets: vec![crate::model::TrailTarget {
                trail: crate::model::Trail {
                    name: "Members".into(),
                    arn: "arn:aws:cloudtrail:ap-northeast-1:123456789012:trail/Members".into(),
                    home_region: "ap-northeast-1".into(),
                    multi_region: true,
                    organization: false,
                    kms_key_id: Some("k".into()),
                    bucket: Some("b".into()),
                },
                seen_in: vec!["ap-northeast-1".into()],
                skip: None,
            }],
        })
        .unwrap()
    }

    /// A plan making `writes` (and reading no bucket).
    fn plan_output(writes: Vec<PlannedWrite>) -> Value {
        serde_json::to_value(Plan {
            trails: vec![],
            buckets: vec![],
            missing_buckets: vec![],
            foreign_buckets: vec![],
            writes,
            warnings: vec![],
            keys: vec![],
            not_restored: vec![],
            already_restored: vec![],
        })
        .unwrap()
    }

    /// Folds `events`; the 1-based line and problem of the first illegal one.
    fn fold(events: &[Event]) -> Result<Fold, (usize, String)> {
        let mut fold = Fold::default();
        for (i, e) in events.iter().enumerate() {
            fold.check(e).map_err(|p| (i + 1, p))?;
            fold.apply(i as u64, "t", "h", e);
        }
        Ok(fold)
    }

    /// Preflight, and the status check that read the trail's key `k`.
    fn read_first() -> Vec<Event> {
        vec![
            start(StepName::Preflight),
            succeed(StepName::Preflight),
            start(StepName::CheckStatus),
            Event::StepSucceeded {
                step: StepName::CheckStatus,
                output: status_output(),
                duration_ms: 0,
            },
        ]
    }

    /// The steps before the plan, the plan with `trail_write()`, and the operator's go-ahead
    /// for it (lines 2 to 10 after `run_started`).
    fn planned_and_confirmed() -> Vec<Event> {
        let mut events = read_first();
        events.extend(vec![
            start(StepName::Plan),
            Event::StepSucceeded {
                step: StepName::Plan,
                output: plan_output(vec![trail_write()]),
                duration_ms: 0,
            },
            start(StepName::Confirm),
            Event::OperatorConfirmation(OperatorConfirmation {
                confirmed: true,
                via: Some(ConfirmVia::YesFlag),
                refusal: None,
                writes: vec![trail_write()],
            }),
            succeed(StepName::Confirm),
        ]);
        events
    }

    #[test]
    fn a_write_lost_in_flight_is_settled_and_counted_once() {
        let mut events = vec![started()];
        events.extend(planned_and_confirmed());
        let first = events.len() as u64;
        events.extend([
            start(StepName::DisableTrailKms),
            Event::WriteIntent {
                step: StepName::DisableTrailKms,
                write: trail_write(),
            },
            Event::WriteResult {
                intent_seq: first + 1,
                outcome: WriteAnswer::Unknown,
                error_code: Some("NoResponse".into()),
            },
            Event::RunFailed {
                error: "lost".into(),
                resumable: true,
            },
            Event::RunResumed(RunResumed {
                attempt: 2,
                caller_arn: "a".into(),
                credentials: "c".into(),
                steps_done: vec![],
            }),
            start(StepName::DisableTrailKms),
            Event::WriteSettled {
                intent_seq: first + 1,
                applied: true,
                live: serde_json::json!({ "kms_key_id": null }),
            },
            wrote(StepName::DisableTrailKms, "settled_applied"),
            Event::StepSkipped {
                step: StepName::SetBucketAes256,
                skip: StepSkip::NoBucketSseKms,
            },
            start(StepName::Verify),
            succeed(StepName::Verify),
            start(StepName::KeyAdvice),
            succeed(StepName::KeyAdvice),
            Event::RunFinished {
                writes_made: 1,
                writes_planned: 1,
                dry_run: false,
            },
        ]);
        let fold = fold(&events).unwrap();
        assert_eq!(fold.status(), Some(RunStatus::Finished));
        assert_eq!(fold.writes_made(), 1);
        assert_eq!(fold.attempts(), 2);
        assert!(!fold.resumable());
    }

    /// Renames the field `from` to `to` wherever it occurs in `value`, as a step whose output
    /// struct renamed a field would record it.
    fn renamed(mut value: Value, from: &str, to: &str) -> Value {
        match &mut value {
            Value::Object(map) => {
                if let Some(v) = map.remove(from) {
                    map.insert(to.into(), v);
                }
                for v in map.values_mut() {
                    *v = renamed(v.take(), from, to);
                }
            }
            Value::Array(items) => {
                for v in items {
                    *v = renamed(v.take(), from, to);
                }
            }
            _ => {}
        }
        value
    }

    /// The fold reads the status report, the plan and the write reports as the types the steps
    /// serialize: what they hold reaches the checks, and an output whose shape is not the
    /// step's (a field renamed) is an illegal line, not a check silently passed or emptied.
    #[test]
    fn step_outputs_are_read_as_the_steps_own_types() {
        // The status check's report reaches the plan check: a trail write from a key the run
        // did not read is refused, one from the key it read passes.
        let other_key = PlannedWrite::TrailKms {
            region: "ap-northeast-1".into(),
            trail_arn: "arn:aws:cloudtrail:ap-northeast-1:123456789012:trail/Members".into(),
            before: Some("other".into()),
            after: None,
        };
        let plan = |writes| {
            [
                vec![started()],
                read_first(),
                vec![
                    start(StepName::Plan),
                    Event::StepSucceeded {
                        step: StepName::Plan,
                        output: plan_output(writes),
                        duration_ms: 0,
                    },
                ],
            ]
            .concat()
        };
        let (line, problem) = fold(&plan(vec![other_key])).unwrap_err();
        assert_eq!(line, 7, "{problem}");
        assert!(
            problem.contains("starts from a state the run did not read"),
            "{problem}"
        );
        let folded = fold(&plan(vec![trail_write()])).unwrap();
        assert_eq!(folded.planned, Some(vec![trail_write()]));
        assert_eq!(
            folded.status_keys.unwrap().into_iter().collect::<Vec<_>>(),
            vec![(
                "arn:aws:cloudtrail:ap-northeast-1:123456789012:trail/Members".to_string(),
                Some("k".to_string())
            )]
        );

        // A plan's bucket write must start from the rules the plan itself read.
        let rules = |algorithm: &str| {
            vec![crate::model::EncryptionRule {
                sse_algorithm: algorithm.into(),
                kms_master_key_id: None,
                bucket_key_enabled: None,
                blocked_encryption_types: None,
            }]
        };
        let bucket_write = PlannedWrite::SetBucketEncryption {
            region: "ap-northeast-1".into(),
            bucket: "b".into(),
            before: rules("aws:kms"),
            after: rules("AES256"),
        };
        let mut read_bucket: Plan = serde_json::from_value(plan_output(vec![])).unwrap();
        read_bucket.writes = vec![bucket_write.clone()];
        read_bucket.buckets = vec![crate::model::BucketPlan {
            current: crate::model::BucketState {
                bucket: "b".into(),
                region: "ap-northeast-1".into(),
                rules: rules("aws:kms"),
            },
            new_rules: Some(rules("AES256")),
        }];
        let with_output = |output: Value| {
            [
                vec![started()],
                read_first(),
                vec![
                    start(StepName::Plan),
                    Event::StepSucceeded {
                        step: StepName::Plan,
                        output,
                        duration_ms: 0,
                    },
                ],
            ]
            .concat()
        };
        let read = serde_json::to_value(&read_bucket).unwrap();
        assert!(fold(&with_output(read.clone())).is_ok());
        let mut unread = read_bucket.clone();
        unread.buckets[0].current.rules = rules("AES256");
        let (_, problem) = fold(&with_output(serde_json::to_value(&unread).unwrap())).unwrap_err();
        assert!(
            problem.contains("starts from a state the run did not read"),
            "{problem}"
        );

        // A field of a step's output renamed: the fold refuses the line naming the field.
        let cases = [
            (
                StepName::CheckStatus,
                status_output(),
                "targets",
                "a status report",
            ),
            (
                StepName::CheckStatus,
                status_output(),
                "arn",
                "a status report",
            ),
            (StepName::Plan, read.clone(), "writes", "a plan"),
            (StepName::Plan, read.clone(), "current", "a plan"),
            (StepName::Plan, read, "rules", "a plan"),
        ];
        for (step, output, field, what) in cases {
            let mut events = vec![started()];
            events.extend(read_first());
            if step == StepName::CheckStatus {
                events.pop();
            } else {
                events.push(start(step));
            }
            events.push(Event::StepSucceeded {
                step,
                output: renamed(output, field, "renamed"),
                duration_ms: 0,
            });
            let (line, problem) = fold(&events).expect_err(field);
            assert_eq!(line, events.len(), "{field}: {problem}");
            assert!(
                problem.contains(&format!("is not {what}")) && problem.contains(field),
                "{field}: {problem}"
            );
        }
        for field in ["write", "outcome"] {
            let mut events = vec![started()];
            events.extend(planned_and_confirmed());
            events.push(start(StepName::DisableTrailKms));
            let Event::StepSucceeded { output, .. } = wrote(StepName::DisableTrailKms, "changed")
            else {
                unreachable!()
            };
            events.push(Event::StepSucceeded {
                step: StepName::DisableTrailKms,
                output: renamed(output, field, "renamed"),
                duration_ms: 0,
            });
            let (line, problem) = fold(&events).expect_err(field);
            assert_eq!(line, events.len(), "{field}: {problem}");
            assert!(
                problem.contains("is not a list of write reports") && problem.contains(field),
                "{field}: {problem}"
            );
        }
    }

    /// An AWS call made for `step` (named only when two steps run side by side).
    fn call_of(step: Option<StepName>) -> Event {
        Event::AwsCall(crate::aws::CallRecord {
            service: "cloudtrail".into(),
            operation: "DescribeTrails".into(),
            region: "ap-northeast-1".into(),
            params: Value::Null,
            outcome: "ok".into(),
            error_code: None,
            http_status: Some(200),
            request_id: None,
            extended_request_id: None,
            duration_ms: 0,
            step,
        })
    }

    /// The two write steps side by side, each call naming its step, ending in either order.
    fn both_writes_side_by_side() -> Vec<Event> {
        let (trail, bucket) = (StepName::DisableTrailKms, StepName::SetBucketAes256);
        [
            vec![started()],
            planned_and_confirmed(),
            vec![
                start(trail),
                start(bucket),
                call_of(Some(bucket)),
                call_of(Some(trail)),
                Event::WriteIntent {
                    step: trail,
                    write: trail_write(),
                },
                call_of(Some(trail)),
            ],
        ]
        .concat()
    }

    #[test]
    fn only_the_two_pairs_overlap_and_their_calls_name_their_step() {
        let (trail, bucket) = (StepName::DisableTrailKms, StepName::SetBucketAes256);
        let mut events = both_writes_side_by_side();
        let intent_seq = events.len() as u64 - 2;
        let fold_ok = fold(&events).expect("the two write steps side by side");
        assert_eq!(fold_ok.open_steps(), vec![trail, bucket]);
        events.extend([
            Event::WriteResult {
                intent_seq,
                outcome: WriteAnswer::Ok,
                error_code: None,
            },
            Event::StepSucceeded {
                step: bucket,
                output: serde_json::json!([]),
                duration_ms: 0,
            },
            wrote(trail, "changed"),
        ]);
        let ended = fold(&events).expect("they end in either order");
        assert!(ended.open_steps().is_empty());

        let base = both_writes_side_by_side();
        let at = base.len() + 1;
        let with = |extra: Vec<Event>| [base.clone(), extra].concat();
        let cases: Vec<(Vec<Event>, usize, &str)> = vec![
            // A call that names no step, while two run: whose read was it?
            (with(vec![call_of(None)]), at, "names no step"),
            (
                with(vec![call_of(Some(StepName::Verify))]),
                at,
                "which is not running",
            ),
            // Never three at once, and no pair but the two.
            (with(vec![start(StepName::Verify)]), at, "has no outcome"),
            (
                [
                    vec![started()],
                    planned_and_confirmed(),
                    vec![start(trail), start(StepName::Verify)],
                ]
                .concat(),
                12,
                "has no outcome",
            ),
            // The bucket's step never starts first with the trail's beside it.
            (
                [
                    vec![started()],
                    planned_and_confirmed(),
                    vec![start(bucket), start(trail)],
                ]
                .concat(),
                11,
                "before step `disable_trail_kms` succeeded",
            ),
        ];
        for (events, line, words) in cases {
            let (got, problem) = fold(&events).expect_err(words);
            assert_eq!(got, line, "{words}: {problem}");
            assert!(problem.contains(words), "{words}: {problem}");
        }
    }

    #[test]
    fn illegal_transitions_are_refused_at_their_line() {
        let intent = Event::WriteIntent {
            step: StepName::DisableTrailKms,
            write: trail_write(),
        };
        let cases: Vec<(Vec<Event>, usize, &str)> =
            vec![
            (vec![start(StepName::Plan)], 1, "not `run_started`"),
            (vec![started(), started()], 2, "a second `run_started`"),
            (
                vec![started(), succeed(StepName::Plan)],
                2,
                "which has not started",
            ),
            (
                vec![started(), start(StepName::Preflight), start(StepName::Verify)],
                3,
                "has no outcome",
            ),
            (vec![started(), intent.clone()], 2, "not a running step"),
            (
                [
                    vec![started()],
                    read_first(),
                    vec![
                        start(StepName::Plan),
                        Event::StepSucceeded {
                            step: StepName::Plan,
                            output: plan_output(vec![]),
                            duration_ms: 0,
                        },
                        Event::StepSkipped {
                            step: StepName::Confirm,
                            skip: StepSkip::AlreadyReverted,
                        },
                        start(StepName::DisableTrailKms),
                        intent.clone(),
                    ],
                ]
                .concat(),
                10,
                "before the operator confirmed",
            ),
            (
                [
                    vec![started()],
                    planned_and_confirmed(),
                    vec![
                        start(StepName::DisableTrailKms),
                        Event::WriteIntent {
                            step: StepName::DisableTrailKms,
                            write: PlannedWrite::SetBucketEncryption {
                                region: "ap-northeast-1".into(),
                                bucket: "b".into(),
                                before: vec![],
                                after: vec![],
                            },
                        },
                    ],
                ]
                .concat(),
                12,
                "which makes no such write",
            ),
            (
                [
                    vec![started()],
                    planned_and_confirmed(),
                    vec![
                        start(StepName::DisableTrailKms),
                        Event::WriteIntent {
                            step: StepName::DisableTrailKms,
                            write: trail_write().reversed(),
                        },
                    ],
                ]
                .concat(),
                12,
                "did not confirm",
            ),
            (
                [
                    vec![started()],
                    read_first(),
                    vec![
                        start(StepName::Plan),
                        Event::StepSucceeded {
                            step: StepName::Plan,
                            output: plan_output(vec![]),
                            duration_ms: 0,
                        },
                        start(StepName::Confirm),
                        Event::OperatorConfirmation(OperatorConfirmation {
                            confirmed: true,
                            via: Some(ConfirmVia::YesFlag),
                            refusal: None,
                            writes: vec![trail_write()],
                        }),
                    ],
                ]
                .concat(),
                9,
                "other writes than the plan",
            ),
            (
                vec![
                    started(),
                    start(StepName::Preflight),
                    Event::StepFailed {
                        step: StepName::Preflight,
                        error: "x".into(),
                        duration_ms: 0,
                    },
                    Event::RunFinished {
                        writes_made: 0,
                        writes_planned: 0,
                        dry_run: false,
                    },
                ],
                4,
                "while step `preflight` is Failed",
            ),
            // A run that skipped the rest of its steps may not finish.
            (
                [
                    vec![started()],
                    planned_and_confirmed(),
                    vec![Event::RunFinished {
                        writes_made: 0,
                        writes_planned: 1,
                        dry_run: false,
                    }],
                ]
                .concat(),
                11,
                "step `disable_trail_kms` of the revert runbook neither succeeded nor was skipped",
            ),
            // Nor skip a write step the plan needs, nor run a step of another runbook, nor one
            // out of order.
            (
                [
                    vec![started()],
                    planned_and_confirmed(),
                    vec![Event::StepSkipped {
                        step: StepName::DisableTrailKms,
                        skip: StepSkip::NoTrailEncrypted,
                    }],
                ]
                .concat(),
                11,
                "skipped as not needed, but the plan needs it",
            ),
            (
                vec![started(), start(StepName::UndoSource)],
                2,
                "not a step of the revert runbook",
            ),
            (
                vec![started(), start(StepName::Plan)],
                2,
                "step `plan` before step `preflight` succeeded or was skipped",
            ),
            (
                vec![
                    started(),
                    Event::WriteResult {
                        intent_seq: 0,
                        outcome: WriteAnswer::Ok,
                        error_code: None,
                    },
                ],
                2,
                "not a write intent",
            ),
            (
                [
                    vec![started()],
                    planned_and_confirmed(),
                    vec![
                        start(StepName::DisableTrailKms),
                        intent.clone(),
                        intent.clone(),
                    ],
                ]
                .concat(),
                13,
                "is unsettled",
            ),
            (
                [
                    vec![started()],
                    planned_and_confirmed(),
                    vec![
                        start(StepName::DisableTrailKms),
                        intent.clone(),
                        Event::WriteSettled {
                            intent_seq: 11,
                            applied: true,
                            live: serde_json::json!({ "kms_key_id": "k" }),
                        },
                    ],
                ]
                .concat(),
                13,
                "contradicts the state it read",
            ),
            (
                [
                    vec![started()],
                    planned_and_confirmed(),
                    vec![
                        start(StepName::DisableTrailKms),
                        intent.clone(),
                        wrote(StepName::DisableTrailKms, "already_done"),
                        Event::RunFinished {
                            writes_made: 0,
                            writes_planned: 1,
                            dry_run: false,
                        },
                    ],
                ]
                .concat(),
                14,
                "is unsettled",
            ),
            (
                [
                    vec![started()],
                    planned_and_confirmed(),
                    vec![
                        start(StepName::DisableTrailKms),
                        wrote(StepName::DisableTrailKms, "changed"),
                    ],
                ]
                .concat(),
                12,
                "holds no write intent of it answered `ok`",
            ),
            (
                [
                    vec![started()],
                    planned_and_confirmed(),
                    vec![
                        start(StepName::DisableTrailKms),
                        intent.clone(),
                        Event::WriteResult {
                            intent_seq: 11,
                            outcome: WriteAnswer::Error,
                            error_code: Some("AccessDenied".into()),
                        },
                        wrote(StepName::DisableTrailKms, "settled_applied"),
                    ],
                ]
                .concat(),
                14,
                "holds no write intent of it answered `ok`",
            ),
            (
                [
                    vec![started()],
                    planned_and_confirmed(),
                    vec![
                        start(StepName::DisableTrailKms),
                        succeed(StepName::DisableTrailKms),
                    ],
                ]
                .concat(),
                12,
                "is not a list of write reports",
            ),
            (
                vec![
                    started(),
                    Event::RunFailed {
                        error: "bad input".into(),
                        resumable: false,
                    },
                    Event::RunResumed(RunResumed {
                        attempt: 2,
                        caller_arn: "a".into(),
                        credentials: "c".into(),
                        steps_done: vec![],
                    }),
                ],
                3,
                "cannot be resumed",
            ),
            (
                vec![
                    started(),
                    Event::RunFailed {
                        error: "x".into(),
                        resumable: true,
                    },
                    Event::Warning {
                        step: StepName::Verify,
                        message: "late".into(),
                    },
                ],
                3,
                "after the run ended",
            ),
            (
                vec![
                    started(),
                    Event::StepSkipped {
                        step: StepName::Preflight,
                        skip: StepSkip::SucceededEarlier,
                    },
                ],
                2,
                "it never succeeded",
            ),
            (
                vec![
                    started(),
                    start(StepName::Preflight),
                    Event::OperatorConfirmation(OperatorConfirmation {
                        confirmed: true,
                        via: Some(ConfirmVia::YesFlag),
                        refusal: None,
                        writes: vec![],
                    }),
                ],
                3,
                "outside the `confirm` step",
            ),
        ];
        for (events, line, words) in cases {
            let (at, problem) = fold(&events).expect_err(words);
            assert_eq!(at, line, "{words}: {problem}");
            assert!(problem.contains(words), "{words}: {problem}");
        }
    }
}
