//! What the batch page shows, gathered from the journals alone: the batch journal (its chain,
//! and every account it records `done` having the finished run of this batch it names:
//! `batch::journal::load_checked`), and each account's run, verified as `audit verify` does
//! (chain, transitions, `state.json`). A journal that does not verify is refused, never shown.

use std::path::Path;

use runbook::batch::{self, AccountOutcome, BatchConfirmation, BatchEvent, BatchStarted};
use runbook::journal::{Event, Journal, StepName};

use super::model::Evidence;
use crate::output::clock as time;

/// Where an account's run spent its time, for the batch timeline (ms since the epoch):
/// checking until it asked, waiting for the one question's answer, then writing and verifying.
pub struct Phases {
    pub start: f64,
    /// When its confirmation step started (it reached the question).
    pub asked: Option<f64>,
    /// When it recorded the answer.
    pub answered: Option<f64>,
    pub end: f64,
}

/// One account of the batch, with its run's evidence when it has a run.
pub struct AccountSection {
    pub account: String,
    pub outcome: AccountOutcome,
    pub writes_made: usize,
    /// The error the batch journal recorded for it.
    pub error: Option<String>,
    pub run: Option<Evidence>,
    pub phases: Option<Phases>,
}

pub struct BatchEvidence {
    pub batch_id: String,
    pub started: BatchStarted,
    pub started_at: String,
    pub ended_at: String,
    /// 1 + the resumes.
    pub attempts: usize,
    /// The last answer to the one question, if it was asked.
    pub confirmation: Option<BatchConfirmation>,
    pub accounts: Vec<AccountSection>,
    pub events: usize,
    pub final_hash: String,
    pub verify_command: String,
}

impl BatchEvidence {
    /// The batch `batch_id` of `state_dir`, every account's run verified; `verify_command`
    /// gives the command that verifies a log by its id.
    pub fn load(
        state_dir: &Path,
        batch_id: &str,
        verify_command: impl Fn(&str) -> String,
    ) -> runbook::Result<BatchEvidence> {
        let journal = batch::journal::load_checked(state_dir, batch_id)?;
        let mut accounts = Vec::new();
        for (account, ended) in journal.accounts() {
            let run_id = ended.as_ref().and_then(|e| e.run_id.clone());
            let (run, phases) = match &run_id {
                Some(run_id) => {
                    let dir = batch::account_state_dir(state_dir, &account)?.join(run_id);
                    runbook::journal::verify(&dir)?;
                    let run = runbook::journal::load(&dir)?;
                    let phases = phases_of(&run);
                    (
                        Some(Evidence::of(run_id, &run, verify_command(run_id))),
                        phases,
                    )
                }
                None => (None, None),
            };
            accounts.push(AccountSection {
                account: account.to_string(),
                outcome: ended.as_ref().map(|e| e.outcome).into(),
                writes_made: ended.as_ref().map_or(0, |e| e.writes_made),
                error: ended.and_then(|e| e.error),
                run,
                phases,
            });
        }
        let mut confirmation = None;
        let mut attempts = 1;
        for event in &journal.events {
            match event {
                BatchEvent::BatchConfirmation(c) => confirmation = Some(c.clone()),
                BatchEvent::BatchResumed(_) => attempts += 1,
                _ => {}
            }
        }
        let ts = |i: Option<&runbook::journal::Record>| i.map(|r| r.ts.clone()).unwrap_or_default();
        Ok(BatchEvidence {
            batch_id: batch_id.to_string(),
            started_at: ts(journal.records.first()),
            ended_at: ts(journal.records.last()),
            attempts,
            confirmation,
            accounts,
            events: journal.records.len(),
            final_hash: journal.final_hash().to_string(),
            verify_command: verify_command(batch_id),
            started: journal.started,
        })
    }

    /// How many accounts are done.
    pub fn done(&self) -> usize {
        self.accounts
            .iter()
            .filter(|a| a.outcome == AccountOutcome::Done)
            .count()
    }

    pub fn writes_made(&self) -> usize {
        self.accounts.iter().map(|a| a.writes_made).sum()
    }
}

fn phases_of(run: &Journal) -> Option<Phases> {
    let mut phases = Phases {
        start: f64::MAX,
        asked: None,
        answered: None,
        end: f64::MIN,
    };
    for (record, event) in run.records.iter().zip(&run.events) {
        let Some(t) = time::millis(&record.ts) else {
            continue;
        };
        phases.start = phases.start.min(t);
        phases.end = phases.end.max(t);
        match event {
            Event::StepStarted {
                step: StepName::Confirm,
                ..
            } => phases.asked = Some(t),
            Event::OperatorConfirmation(_) => phases.answered = Some(t),
            _ => {}
        }
    }
    (phases.start <= phases.end).then_some(phases)
}
