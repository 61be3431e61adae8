//! What the evidence page shows, gathered from the journal alone: [`Evidence`].

use runbook::aws::CallRecord;
use runbook::journal::{
    ConfirmVia, Event, Journal, RunResumed, RunStarted, RunStatus, StepName, StepSkip, WriteAnswer,
    WriteState,
};
use runbook::model::PlannedWrite;
use runbook::steps::{KeyReport, Plan, StatusReport, VerifyReport, WriteReport};
use serde::de::DeserializeOwned;

use super::timeline;

/// The state of one region before and after (`None`: not read at that point).
pub struct RegionRow {
    pub region: String,
    pub before: Option<runbook::model::RegionStatus>,
    pub after: Option<runbook::model::RegionStatus>,
}

/// One attempt at a write: its intent, the answer, and the AWS call that carried it.
pub struct Attempt {
    /// Line of the `write_intent` (1-based, as `audit show` and `verify` count).
    pub line: u64,
    pub state: WriteState,
    /// The answer recorded (`write_result`), if one was, before any settling read.
    pub answer: Option<WriteAnswer>,
    pub error_code: Option<String>,
    /// What the settling read showed (`write_settled`).
    pub live: Option<serde_json::Value>,
    pub call: Option<CallRecord>,
}

/// A planned write and what became of it.
pub struct WriteRow {
    pub write: PlannedWrite,
    pub step: Option<StepName>,
    pub attempts: Vec<Attempt>,
    /// The step's recorded result for it, once the step succeeded.
    pub report: Option<WriteReport>,
}

/// How the operator's go-ahead was given, or why there was none.
pub enum GoAhead {
    Given(ConfirmVia),
    Refused(String),
    /// No write to confirm: a status run, a dry run, or nothing to change.
    NotNeeded,
    /// The run ended before it asked.
    NotReached,
}

/// Everything the page shows, from the journal.
pub struct Evidence {
    pub run_id: String,
    pub started: RunStarted,
    pub started_at: String,
    pub ended_at: String,
    pub status: RunStatus,
    pub error: Option<String>,
    pub resumable: bool,
    pub resumes: Vec<(String, RunResumed)>,
    pub go_ahead: GoAhead,
    pub status_report: Option<StatusReport>,
    /// The regions the account cannot call (not enabled, another partition's), grouped by why.
    pub not_scanned: Vec<(runbook::model::NotScanned, Vec<String>)>,
    pub plan: Option<Plan>,
    pub verify: Option<VerifyReport>,
    pub keys: Option<KeyReport>,
    pub regions: Vec<RegionRow>,
    pub skips: Vec<(StepName, StepSkip)>,
    pub warnings: Vec<(StepName, String)>,
    pub writes: Vec<WriteRow>,
    pub calls: usize,
    pub timeline: timeline::Timeline,
    pub events: usize,
    pub last_hash: String,
    pub verify_command: String,
}

fn output<T: DeserializeOwned>(journal: &Journal, step: StepName) -> Option<T> {
    serde_json::from_value(journal.fold.output(step)?.clone()).ok()
}

impl Evidence {
    pub fn of(run_id: &str, journal: &Journal, verify_command: String) -> Evidence {
        let fold = &journal.fold;
        let started = journal.started.clone();
        let status_report: Option<StatusReport> = output(journal, StepName::CheckStatus);
        let not_scanned = output::<runbook::steps::PreflightOutput>(journal, StepName::Preflight)
            .map(|p| p.not_scanned_groups())
            .unwrap_or_default();
        let plan: Option<Plan> =
            output(journal, StepName::Plan).or_else(|| output(journal, StepName::UndoPlan));
        let verify: Option<VerifyReport> = output(journal, StepName::Verify);

        // Regions: as the status check found them, then as verification found them.
        let mut regions: Vec<RegionRow> = Vec::new();
        for r in status_report.iter().flat_map(|s| &s.regions) {
            regions.push(RegionRow {
                region: r.region.clone(),
                before: Some(r.clone()),
                after: None,
            });
        }
        for r in verify.iter().flat_map(|v| &v.regions) {
            match regions.iter_mut().find(|row| row.region == r.region) {
                Some(row) => row.after = Some(r.clone()),
                None => regions.push(RegionRow {
                    region: r.region.clone(),
                    before: None,
                    after: Some(r.clone()),
                }),
            }
        }

        let mut skips = Vec::new();
        let mut warnings = Vec::new();
        let mut resumes = Vec::new();
        let mut confirmation = None;
        let mut calls = 0;
        for (record, event) in journal.records.iter().zip(&journal.events) {
            match event {
                Event::StepSkipped { step, skip } if *skip != StepSkip::SucceededEarlier => {
                    skips.push((*step, skip.clone()))
                }
                Event::Warning { step, message } => warnings.push((*step, message.clone())),
                Event::RunResumed(r) => resumes.push((record.ts.clone(), r.clone())),
                Event::OperatorConfirmation(c) => confirmation = Some(c.clone()),
                Event::AwsCall(_) => calls += 1,
                _ => {}
            }
        }
        let go_ahead = match confirmation {
            Some(c) => match (c.via, c.refusal) {
                (Some(via), _) => GoAhead::Given(via),
                (None, refusal) => GoAhead::Refused(refusal.unwrap_or_default()),
            },
            None => {
                let nothing_to_confirm = !started.runbook.writes()
                    || started.args.dry_run
                    || skips.iter().any(|(step, _)| *step == StepName::Confirm);
                if nothing_to_confirm {
                    GoAhead::NotNeeded
                } else {
                    GoAhead::NotReached
                }
            }
        };

        let writes = write_rows(journal, plan.as_ref());
        Evidence {
            run_id: run_id.to_string(),
            started_at: fold.started_at().to_string(),
            ended_at: fold.updated_at().to_string(),
            status: fold.status().unwrap_or(RunStatus::Running),
            error: fold.error().map(str::to_string),
            resumable: fold.resumable(),
            resumes,
            go_ahead,
            status_report,
            not_scanned,
            plan,
            verify,
            keys: output(journal, StepName::KeyAdvice),
            regions,
            skips,
            warnings,
            writes,
            calls,
            timeline: timeline::Timeline::of(journal),
            events: journal.records.len(),
            last_hash: fold.last_hash().to_string(),
            verify_command,
            started,
        }
    }
}

/// Every write of the plan, with each attempt at it (intent, answer, the call that carried it)
/// and the step's recorded result; then any intent not in the plan (none in a journal the
/// fold accepted, but shown rather than hidden if there were).
fn write_rows(journal: &Journal, plan: Option<&Plan>) -> Vec<WriteRow> {
    let fold = &journal.fold;
    let reports: Vec<WriteReport> = [
        StepName::DisableTrailKms,
        StepName::SetBucketAes256,
        StepName::RestoreTrailKms,
        StepName::RestoreBucketEncryption,
    ]
    .into_iter()
    .filter_map(|step| output::<Vec<WriteReport>>(journal, step))
    .flatten()
    .collect();
    let attempt = |w: &runbook::journal::WriteRecord| {
        let mut error_code = None;
        let mut answer = None;
        let mut live = None;
        let mut call = None;
        // The call that carried this intent comes before the step's next intent, if it was
        // sent (the other write step, running beside it, has intents of its own; its calls
        // name their step).
        let mut carried = true;
        for (record, event) in journal.records.iter().zip(&journal.events) {
            if record.seq <= w.intent_seq {
                continue;
            }
            match event {
                Event::AwsCall(c)
                    if carried
                        && call.is_none()
                        && c.step.is_none_or(|s| s == w.step)
                        && c.operation == w.write.op().operation
                        && c.region == w.write.region() =>
                {
                    call = Some(c.clone())
                }
                Event::WriteResult {
                    intent_seq,
                    outcome,
                    error_code: code,
                } if *intent_seq == w.intent_seq => {
                    answer = Some(*outcome);
                    error_code = code.clone();
                }
                Event::WriteSettled {
                    intent_seq,
                    live: l,
                    ..
                } if *intent_seq == w.intent_seq => live = Some(l.clone()),
                Event::WriteIntent { step, .. } if *step == w.step => carried = false,
                _ => {}
            }
        }
        Attempt {
            line: w.intent_seq + 1,
            state: w.state,
            answer,
            error_code,
            live,
            call,
        }
    };
    let mut rows: Vec<WriteRow> = plan
        .map(|p| p.writes.clone())
        .unwrap_or_default()
        .into_iter()
        .map(|write| WriteRow {
            step: None,
            attempts: Vec::new(),
            report: reports.iter().find(|r| r.write == write).cloned(),
            write,
        })
        .collect();
    for w in fold.writes() {
        let a = attempt(w);
        match rows.iter_mut().find(|r| r.write == w.write) {
            Some(row) => {
                row.step = Some(w.step);
                row.attempts.push(a);
            }
            None => rows.push(WriteRow {
                write: w.write.clone(),
                step: Some(w.step),
                attempts: vec![a],
                report: None,
            }),
        }
    }
    rows
}
