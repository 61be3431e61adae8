//! The batch journal, `<state-dir>/batches/<batch-id>/batch.jsonl`: which accounts a batch ran,
//! the one confirmation, and how each account's run ended. Same line format and hash chain as a
//! run's `audit.jsonl` ([`crate::journal::log`]); the accounts' own journals hold everything
//! else, and each names its batch in `run_started`.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::aws::CallRecord;
use crate::error::{Error, Result};
use crate::files;
use crate::journal::log::{self, LogWriter, Record};
use crate::journal::ConfirmVia;
use crate::lock::Lock;
use crate::model::{Args, Runbook};

use super::accounts::{AccountId, Skipped};

pub const BATCH_FILE: &str = "batch.jsonl";
/// Where batches live in the state directory.
pub const BATCHES_DIR: &str = "batches";
/// Where each account's runs live: `<state-dir>/accounts/<account-id>/<run-id>/`, each account
/// its own state directory (own lock, own runs).
pub const ACCOUNTS_DIR: &str = "accounts";
/// The batch journal's format; a reader refuses another.
pub const BATCH_FORMAT: u32 = 1;

/// Batch ids are run ids with a `batch-` prefix: they sort by time and never collide with a run.
pub fn new_batch_id() -> String {
    format!("batch-{}", crate::runs::new_run_id())
}

pub fn is_batch_id(id: &str) -> bool {
    id.starts_with("batch-")
}

pub fn batch_dir(state_dir: &Path, batch_id: &str) -> PathBuf {
    state_dir.join(BATCHES_DIR).join(batch_id)
}

/// The state directory of one account's runs.
pub fn account_dir(state_dir: &Path, account: &AccountId) -> PathBuf {
    state_dir.join(ACCOUNTS_DIR).join(account.as_str())
}

/// [`account_dir`], checked before it is read or written: `account` is an account id (12
/// digits, so never a path), and `accounts/` and `accounts/<id>/`, if they exist, are real
/// folders of this user that no one else can write to (never links: a link there would take an
/// account's runs elsewhere).
pub fn account_state_dir(state_dir: &Path, account: &AccountId) -> Result<PathBuf> {
    files::check_inner_dir(&state_dir.join(ACCOUNTS_DIR))?;
    let dir = account_dir(state_dir, account);
    files::check_inner_dir(&dir)?;
    Ok(dir)
}

/// How the account list was chosen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "from")]
pub enum Selection {
    /// `--accounts` and/or `--accounts-file`.
    Listed { files: Vec<PathBuf> },
    /// `--organization`: the ACTIVE accounts of Organizations `ListAccounts`.
    Organization,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchStarted {
    pub format: u32,
    pub tool_version: String,
    pub runbook: Runbook,
    /// Every account's run is started with these.
    pub args: Args,
    pub selection: Selection,
    /// The accounts, in the order they are run (exclusions applied).
    pub accounts: Vec<AccountId>,
    pub excluded: Vec<AccountId>,
    /// Accounts the organization listed but the batch does not run (not ACTIVE), with why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<Skipped>,
    /// The role assumed in each member account (`arn:<partition>:iam::<id>:role/<name>`).
    pub role_name: String,
    /// Whether an external id was given (its value is not recorded).
    pub external_id: bool,
    pub caller_account: String,
    pub caller_arn: String,
    pub credentials: String,
    pub max_concurrent_accounts: usize,
    pub max_errors: Option<usize>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchResumed {
    pub attempt: u32,
    pub caller_arn: String,
    pub credentials: String,
    /// The accounts this attempt runs: those that had not finished.
    pub accounts: Vec<AccountId>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchConfirmation {
    pub confirmed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via: Option<ConfirmVia>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refusal: Option<String>,
    /// The accounts whose plans were shown, and how many writes they held in all.
    pub accounts: Vec<AccountId>,
    pub writes: usize,
}

/// How one account's part of a batch ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Its run finished (verified, for a revert).
    Done,
    /// Its run failed; `resume BATCH_ID` continues it.
    Failed,
    /// Its run failed on something a resume would not change (bad input, a plan the account
    /// no longer matches).
    Final,
    /// The operator said no to the batch's plan.
    Declined,
    /// Its credentials could not be had (AssumeRole refused, account suspended), or they act
    /// in another account; no run was opened.
    Unreachable,
    Interrupted,
    /// Never started: `--max-errors` was reached first, or the batch was interrupted.
    NotStarted,
}

impl Outcome {
    /// Whether a resume of the batch runs this account again.
    pub fn unfinished(self) -> bool {
        !matches!(self, Outcome::Done | Outcome::Final | Outcome::Declined)
    }

    /// Counts toward `--max-errors`.
    pub fn is_error(self) -> bool {
        matches!(
            self,
            Outcome::Failed | Outcome::Final | Outcome::Unreachable
        )
    }

    /// Its name as the summary, the JSON document and the errors spell it.
    pub fn name(self) -> &'static str {
        AccountOutcome::from(Some(self)).name()
    }
}

/// An account's latest outcome as the batch's summary, its JSON document (`accounts[].outcome`)
/// and its errors spell it: an [`Outcome`], or `not run` (none recorded yet). Every reader
/// matches on this, never on its text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AccountOutcome {
    #[serde(rename = "done")]
    Done,
    #[serde(rename = "failed")]
    Failed,
    #[serde(rename = "failed (final)")]
    Final,
    #[serde(rename = "not confirmed")]
    Declined,
    #[serde(rename = "unreachable")]
    Unreachable,
    #[serde(rename = "interrupted")]
    Interrupted,
    #[serde(rename = "not started")]
    NotStarted,
    #[serde(rename = "not run")]
    NotRun,
}

impl From<Option<Outcome>> for AccountOutcome {
    fn from(outcome: Option<Outcome>) -> AccountOutcome {
        match outcome {
            Some(Outcome::Done) => AccountOutcome::Done,
            Some(Outcome::Failed) => AccountOutcome::Failed,
            Some(Outcome::Final) => AccountOutcome::Final,
            Some(Outcome::Declined) => AccountOutcome::Declined,
            Some(Outcome::Unreachable) => AccountOutcome::Unreachable,
            Some(Outcome::Interrupted) => AccountOutcome::Interrupted,
            Some(Outcome::NotStarted) => AccountOutcome::NotStarted,
            None => AccountOutcome::NotRun,
        }
    }
}

impl AccountOutcome {
    pub const ALL: [AccountOutcome; 8] = [
        AccountOutcome::Done,
        AccountOutcome::Failed,
        AccountOutcome::Final,
        AccountOutcome::Declined,
        AccountOutcome::Unreachable,
        AccountOutcome::Interrupted,
        AccountOutcome::NotStarted,
        AccountOutcome::NotRun,
    ];

    /// Its spelling (the same as its JSON string).
    pub fn name(self) -> &'static str {
        match self {
            AccountOutcome::Done => "done",
            AccountOutcome::Failed => "failed",
            AccountOutcome::Final => "failed (final)",
            AccountOutcome::Declined => "not confirmed",
            AccountOutcome::Unreachable => "unreachable",
            AccountOutcome::Interrupted => "interrupted",
            AccountOutcome::NotStarted => "not started",
            AccountOutcome::NotRun => "not run",
        }
    }

    /// The outcome named `name` (as an error's text carries it).
    pub fn named(name: &str) -> Option<AccountOutcome> {
        AccountOutcome::ALL.into_iter().find(|o| o.name() == name)
    }
}

impl std::fmt::Display for AccountOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountEnded {
    pub account: AccountId,
    /// The account's run (in `accounts/<account>/`), if one was opened.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run_id: Option<String>,
    pub outcome: Outcome,
    pub writes_made: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchEnded {
    pub done: usize,
    pub unfinished: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", content = "data", rename_all = "snake_case")]
pub enum BatchEvent {
    BatchStarted(BatchStarted),
    BatchResumed(BatchResumed),
    /// A call the batch itself made with the caller's credentials (Organizations ListAccounts).
    AwsCall(CallRecord),
    BatchConfirmation(BatchConfirmation),
    AccountEnded(AccountEnded),
    BatchEnded(BatchEnded),
}

impl BatchEvent {
    fn parts(&self) -> (String, serde_json::Value) {
        let value = serde_json::to_value(self).expect("batch events serialize");
        (
            value["event"].as_str().unwrap_or_default().to_string(),
            value.get("data").cloned().unwrap_or_default(),
        )
    }

    fn from_record(record: &Record) -> std::result::Result<BatchEvent, serde_json::Error> {
        serde_json::from_value(serde_json::json!({"event": record.event, "data": record.data}))
    }
}

/// A batch journal read back: chain-checked and typed, with where each account stands.
#[derive(Clone, Debug)]
pub struct BatchJournal {
    pub path: PathBuf,
    pub records: Vec<Record>,
    pub started: BatchStarted,
    pub events: Vec<BatchEvent>,
}

impl BatchJournal {
    /// Each account of the batch with its latest outcome (`None`: none recorded yet).
    pub fn accounts(&self) -> Vec<(AccountId, Option<AccountEnded>)> {
        // One pass over the events (a batch may have tens of thousands of accounts).
        let mut last: HashMap<&AccountId, &AccountEnded> = HashMap::new();
        for event in &self.events {
            if let BatchEvent::AccountEnded(ended) = event {
                last.insert(&ended.account, ended);
            }
        }
        self.started
            .accounts
            .iter()
            .map(|account| (account.clone(), last.get(account).map(|e| (*e).clone())))
            .collect()
    }

    /// The accounts a resume runs again.
    pub fn unfinished(&self) -> Vec<AccountId> {
        self.accounts()
            .into_iter()
            .filter(|(_, ended)| ended.as_ref().is_none_or(|e| e.outcome.unfinished()))
            .map(|(account, _)| account)
            .collect()
    }

    pub fn attempts(&self) -> u32 {
        1 + self
            .events
            .iter()
            .filter(|e| matches!(e, BatchEvent::BatchResumed(_)))
            .count() as u32
    }

    pub fn batch_id(&self) -> &str {
        &self.records[0].run_id
    }

    pub fn final_hash(&self) -> &str {
        &self
            .records
            .last()
            .expect("a loaded batch has records")
            .hash
    }
}

/// Reads the batch journal in `dir`: every line chain-checked, every event typed, the first a
/// `batch_started` of this format, and every account named in the events one of the batch's.
pub fn load(dir: &Path) -> Result<BatchJournal> {
    files::check_inner_dir(dir)?;
    let path = dir.join(BATCH_FILE);
    let records = log::read(&path)?;
    of_records(dir, path, records)
}

fn of_records(dir: &Path, path: PathBuf, records: Vec<Record>) -> Result<BatchJournal> {
    let corrupt = |line: usize, problem: String| Error::AuditCorrupt {
        path: path.clone(),
        line,
        problem: problem.into(),
    };
    let mut events = Vec::with_capacity(records.len());
    for record in &records {
        let line = record.seq as usize + 1;
        if record.event == "batch_started" {
            let format = record.data["format"].as_u64().unwrap_or(0);
            if format != u64::from(BATCH_FORMAT) {
                return Err(Error::JournalFormat {
                    path: path.clone(),
                    format,
                    tool_version: record.data["tool_version"]
                        .as_str()
                        .unwrap_or("unknown")
                        .to_string(),
                    reads: BATCH_FORMAT,
                });
            }
        }
        let event = BatchEvent::from_record(record).map_err(|e| {
            corrupt(
                line,
                format!("a `{}` event that does not parse: {e}", record.event),
            )
        })?;
        events.push(event);
    }
    let Some(BatchEvent::BatchStarted(started)) = events.first().cloned() else {
        return Err(corrupt(
            1,
            "a batch journal begins with `batch_started`".into(),
        ));
    };
    let folder = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if records[0].run_id != folder {
        return Err(corrupt(
            1,
            format!(
                "the journal is of batch {}, but its folder is named {folder}: a batch folder \
                 was renamed or copied",
                records[0].run_id
            ),
        ));
    }
    let accounts: HashSet<&AccountId> = started.accounts.iter().collect();
    for (index, event) in events.iter().enumerate().skip(1) {
        let line = index + 1;
        let problem = match event {
            BatchEvent::BatchStarted(_) => Some("a second `batch_started`".to_string()),
            BatchEvent::AccountEnded(e) if !accounts.contains(&e.account) => Some(format!(
                "account {} is not one of the batch's accounts",
                e.account
            )),
            BatchEvent::AccountEnded(AccountEnded {
                run_id: Some(run_id),
                ..
            }) if !crate::runs::is_run_id(run_id) => Some(format!(
                "the run id {:?} is not a run id (a run id names a folder of the state \
                 directory, never a path)",
                run_id
            )),
            _ if index > 0
                && matches!(events[index - 1], BatchEvent::BatchEnded(_))
                && !matches!(event, BatchEvent::BatchResumed(_)) =>
            {
                Some("an event after `batch_ended` that is not `batch_resumed`".to_string())
            }
            _ => None,
        };
        if let Some(problem) = problem {
            return Err(corrupt(line, format!("illegal transition: {problem}")));
        }
    }
    Ok(BatchJournal {
        path,
        records,
        started,
        events,
    })
}

/// Reads batch `batch_id` of `state_dir` as every reader does: [`load`], and then each account
/// recorded `done` must have the finished run of this batch, of this account, that it names,
/// with the writes it counts. (The chain alone can be recomputed by anyone: a forged `done`
/// would hide an account that never ran from resume and from the audit.)
pub fn load_checked(state_dir: &Path, batch_id: &str) -> Result<BatchJournal> {
    check_done(state_dir, batch_id, load(&batch_dir(state_dir, batch_id))?)
}

fn check_done(state_dir: &Path, batch_id: &str, journal: BatchJournal) -> Result<BatchJournal> {
    for (record, event) in journal.records.iter().zip(&journal.events) {
        let BatchEvent::AccountEnded(ended) = event else {
            continue;
        };
        let corrupt = |problem: String| Error::AuditCorrupt {
            path: journal.path.clone(),
            line: record.seq as usize + 1,
            problem: problem.into(),
        };
        let account = &ended.account;
        if ended.outcome != Outcome::Done {
            // Any other outcome that names a run names this batch's run of that account too
            // (a page or a resume would otherwise take another batch's run for it). A run that
            // cannot be read (a torn last line after a kill) is for resume to repair.
            let named = ended.run_id.as_ref().and_then(|run_id| {
                let dir = account_state_dir(state_dir, account).ok()?;
                Some((run_id, crate::journal::load(&dir.join(run_id)).ok()?))
            });
            if let Some((run_id, run)) = named {
                let ours = run.started.batch.as_deref() == Some(batch_id)
                    && *account == run.started.account;
                if !ours {
                    return Err(corrupt(format!(
                        "account {account} is recorded with run {run_id}, which is not this \
                         batch's run of that account"
                    )));
                }
            }
            continue;
        }
        let Some(run_id) = &ended.run_id else {
            return Err(corrupt(format!(
                "account {account} is recorded done without a run"
            )));
        };
        // A planted link or a foreign folder is refused as such (bad input), not as a log.
        let dir = account_state_dir(state_dir, account)?;
        let run = crate::journal::load(&dir.join(run_id)).map_err(|e| match e {
            Error::UnsafePath { .. } | Error::UnsafeStateDir { .. } => e,
            e => corrupt(format!(
                "account {account} is recorded done by run {run_id}, which cannot be read: {e}"
            )),
        })?;
        let ours =
            run.started.batch.as_deref() == Some(batch_id) && *account == run.started.account;
        if !ours {
            return Err(corrupt(format!(
                "account {account} is recorded done by run {run_id}, which is not this batch's \
                 run of that account"
            )));
        }
        if run.fold.status() != Some(crate::journal::RunStatus::Finished) {
            return Err(corrupt(format!(
                "account {account} is recorded done, but its run {run_id} did not finish"
            )));
        }
        if run.fold.writes_made() != ended.writes_made {
            return Err(corrupt(format!(
                "account {account} is recorded done with {} writes, but its run {run_id} made {}",
                ended.writes_made,
                run.fold.writes_made()
            )));
        }
    }
    Ok(journal)
}

/// Batch folders in the state directory, oldest first.
pub fn batch_ids(state_dir: &Path) -> Result<Vec<String>> {
    files::check_state_dir(state_dir)?;
    let dir = state_dir.join(BATCHES_DIR);
    files::check_inner_dir(&dir)?;
    let mut ids = Vec::new();
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(ids),
        Err(e) => return Err(Error::io(&dir)(e)),
    };
    for entry in entries {
        let entry = entry.map_err(Error::io(&dir))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if is_batch_id(&name) && entry.path().join(BATCH_FILE).exists() {
            ids.push(name);
        }
    }
    ids.sort();
    Ok(ids)
}

/// Resolves `latest` (the newest batch) or checks that the batch exists.
pub fn resolve(state_dir: &Path, wanted: &str) -> Result<String> {
    let ids = batch_ids(state_dir)?;
    let found = if wanted == "latest" {
        ids.last().cloned()
    } else {
        ids.into_iter().find(|i| i == wanted)
    };
    found.ok_or_else(|| Error::NoSuchBatch {
        batch_id: wanted.to_string(),
        dir: state_dir.join(BATCHES_DIR),
    })
}

/// An open batch journal: its lock (one process per batch), and its writer.
pub struct BatchLog {
    id: String,
    dir: PathBuf,
    log: Mutex<LogWriter>,
    _lock: Lock,
}

impl BatchLog {
    /// A new batch: its folder, lock and `batch_started`, then the calls made to choose its
    /// accounts.
    pub fn create(
        state_dir: &Path,
        id: &str,
        started: BatchStarted,
        calls: Vec<CallRecord>,
    ) -> Result<BatchLog> {
        let id = id.to_string();
        files::private_dir(state_dir)?;
        files::private_dir(&state_dir.join(BATCHES_DIR))?;
        let dir = batch_dir(state_dir, &id);
        files::private_dir(&dir)?;
        files::check_own(&dir)?;
        let lock = Lock::acquire(&dir, &id)?;
        let log = LogWriter::create(&dir.join(BATCH_FILE), &id)?;
        let batch = BatchLog {
            id,
            dir,
            log: Mutex::new(log),
            _lock: lock,
        };
        batch.record(&BatchEvent::BatchStarted(started))?;
        for call in calls {
            batch.record(&BatchEvent::AwsCall(call))?;
        }
        Ok(batch)
    }

    /// Reopens a batch to resume it: takes its lock, then reads its journal (a torn last line
    /// left by a kill is cut).
    pub fn reopen(state_dir: &Path, batch_id: &str) -> Result<(BatchLog, BatchJournal)> {
        let id = resolve(state_dir, batch_id)?;
        let dir = batch_dir(state_dir, &id);
        files::check_own(&dir)?;
        let lock = Lock::acquire(&dir, &id)?;
        files::check_inner_dir(&dir)?;
        let path = dir.join(BATCH_FILE);
        // The same judgement of the last line as `audit verify`'s: a complete record only
        // missing its newline is kept; a torn line is cut, and only if the batch has accounts
        // left to run (nothing is cut from a batch that is over).
        let (records, _) = log::read_complete(&path)?;
        let journal = check_done(state_dir, &id, of_records(&dir, path, records)?)?;
        if !journal.unfinished().is_empty() {
            log::repair_tail(&journal.path)?;
        }
        let last = journal.records.last().expect("a loaded batch has records");
        let log = LogWriter::reopen(&journal.path, last)?;
        Ok((
            BatchLog {
                id,
                dir,
                log: Mutex::new(log),
                _lock: lock,
            },
            journal,
        ))
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn record(&self, event: &BatchEvent) -> Result<()> {
        let (name, data) = event.parts();
        let mut log = self.log.lock().unwrap();
        let record = log.next(name, data);
        log.append(&record)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The JSON document spells each account outcome as the summary and the errors do, each
    /// spelling names one outcome, and every journal outcome has its own.
    #[test]
    fn account_outcomes_are_spelled_one_way() {
        for outcome in AccountOutcome::ALL {
            assert_eq!(
                serde_json::to_value(outcome).unwrap(),
                serde_json::Value::from(outcome.name())
            );
            assert_eq!(AccountOutcome::named(outcome.name()), Some(outcome));
            let read: AccountOutcome =
                serde_json::from_value(serde_json::Value::from(outcome.name())).unwrap();
            assert_eq!(read, outcome);
        }
        let journal = [
            Outcome::Done,
            Outcome::Failed,
            Outcome::Final,
            Outcome::Declined,
            Outcome::Unreachable,
            Outcome::Interrupted,
            Outcome::NotStarted,
        ];
        let mut names: Vec<&str> = journal.iter().map(|o| o.name()).collect();
        names.push(AccountOutcome::from(None).name());
        names.sort();
        names.dedup();
        assert_eq!(names.len(), AccountOutcome::ALL.len());
        assert_eq!(AccountOutcome::from(Some(Outcome::Done)).name(), "done");
        assert_eq!(AccountOutcome::from(None).name(), "not run");
    }
}
