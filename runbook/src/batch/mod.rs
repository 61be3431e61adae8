//! A batch: one runbook over many accounts, each account a normal run (its own state directory
//! `accounts/<id>/`, lock, journal and resume), grouped by a small hash-chained batch journal.
//!
//! The shape of a batch (ARCHITECTURE.md has the why):
//! 1. the caller's identity, then the accounts (listed, from a file, or the organization's);
//! 2. every account's run is started side by side (at most `max_concurrent_accounts` at once):
//!    credentials through the [`Connector`] (an assumed role), then preflight, status and plan;
//! 3. a run that reaches its confirmation is put aside there (`runbooks::Parked`: its plan, lock
//!    and journal writer, nothing more) and frees its slot; once every account
//!    has reached it or ended, the operator is asked **once**, with every account's plan;
//! 4. the answer goes to every waiting run, which records it in its own journal and goes on to
//!    its writes and verify (again at most `max_concurrent_accounts` at once);
//! 5. each account's end is recorded in the batch journal as it happens.
//!
//! Resume of a batch resumes the runs of the accounts that did not finish (or starts them).

pub mod accounts;
pub mod journal;
mod operator;
mod rendezvous;

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::{watch, Semaphore};

use crate::aws::{Aws, CallBuffer};
use crate::error::{Error, Result};
use crate::journal::{ConfirmVia, RunStatus, StepName};
use crate::model::{Args, Runbook};
use crate::runbooks::{self, Begin, Launched, Parked, Report, Session};
use crate::runs;
use crate::steps::Settings;

pub use accounts::{AccountId, AccountsWanted, Skipped};
pub use journal::{
    account_dir, account_state_dir, AccountEnded, AccountOutcome, BatchConfirmation, BatchEnded,
    BatchEvent, BatchJournal, BatchLog, BatchResumed, BatchStarted, Outcome, Selection,
};
pub use operator::{AccountPlan, AccountResult, BatchOperator, Before, NotAsked};
use rendezvous::{AccountOperator, Rendezvous};

/// The default role reached in each member account: the one AWS Organizations creates.
pub const DEFAULT_ROLE_NAME: &str = "OrganizationAccountAccessRole";

/// How one account is reached.
#[derive(Clone, Debug)]
pub struct Reach {
    pub account: AccountId,
    /// The role to assume; `None` for the caller's own account (its credentials are used as
    /// they are).
    pub role_arn: Option<String>,
    /// The STS role session name: the tool and the batch (CloudTrail shows it in the member
    /// account's events).
    pub session_name: String,
    /// Who assumes it (for the error when the role does not trust them).
    pub caller_arn: String,
}

/// An account's clients, and where their credentials come from (recorded in its run).
pub struct Connected {
    pub aws: Aws,
    pub credentials: String,
}

/// What [`Connector::connect`] returns.
pub type ConnectFuture<'a> = Pin<Box<dyn Future<Output = Result<Connected>> + Send + 'a>>;

/// Builds the clients that act in an account (the CLI: STS AssumeRole from the base
/// credentials, cached and refreshed; tests: whatever transport they need).
pub trait Connector: Send + Sync {
    fn connect<'a>(&'a self, reach: &'a Reach) -> ConnectFuture<'a>;
}

pub struct BatchSession<'a> {
    /// The caller's own clients (identity, Organizations).
    pub base: &'a Aws,
    pub connector: &'a dyn Connector,
    pub state_dir: &'a Path,
    pub operator: &'a dyn BatchOperator,
    /// Each account run's settings (its region fan-out is bounded by `concurrency`).
    pub settings: Settings,
    pub tool_version: &'a str,
    /// Where the base credentials come from.
    pub credentials: &'a str,
}

/// Limits of a new batch (a resume keeps the batch's).
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_concurrent_accounts: usize,
    /// Stop starting new accounts once this many have failed.
    pub max_errors: Option<usize>,
}

pub enum BatchBegin {
    New {
        runbook: Runbook,
        args: Args,
        wanted: AccountsWanted,
        role_name: String,
        external_id: bool,
        limits: Limits,
    },
    Resume {
        batch_id: String,
        /// Whether `--external-id` was given to this resume.
        external_id: bool,
        /// Resume only these accounts (empty: every unfinished one).
        only: Vec<AccountId>,
    },
}

/// A batch attempt driven to its end.
pub struct BatchEnd {
    pub batch_id: String,
    /// The journal read back after the attempt: every account's latest outcome.
    pub journal: BatchJournal,
    /// This attempt's accounts, in the batch's order.
    pub results: Vec<AccountResult>,
    /// The operator's one answer (`None`: nothing needed asking, or interrupted first).
    pub confirmation: Option<std::result::Result<ConfirmVia, String>>,
    pub interrupted: Option<String>,
    /// The batch's state directory (each account's runs are under `accounts/<id>/`).
    pub state_dir: PathBuf,
}

impl BatchEnd {
    /// The report of an account's run that finished in this attempt, read back from its
    /// journal (`None`: the account did not finish a run). The batch keeps only each
    /// account's summary row, so that its memory does not grow with the accounts it ran.
    pub fn report_of(&self, result: &AccountResult) -> Result<Option<Report>> {
        let (Outcome::Done, Some(run_id), Some(final_hash)) =
            (result.outcome, &result.run_id, &result.final_hash)
        else {
            return Ok(None);
        };
        let dir = account_state_dir(&self.state_dir, &result.account)?;
        let journal = crate::journal::load(&dir.join(run_id))?;
        // The journal must be the one the run ended with, untouched since: its last line's
        // hash is the one the run wrote (a chain recomputed after an edit, a cut tail or
        // another run's journal under this id has another).
        let last = journal.fold.last_hash();
        if last != final_hash
            || journal.started.account != result.account.as_str()
            || journal.started.batch.as_deref() != Some(self.batch_id.as_str())
            || journal.fold.status() != Some(RunStatus::Finished)
        {
            return Err(Error::AuditCorrupt {
                path: journal.path.clone(),
                line: journal.records.len(),
                problem: format!(
                    "the journal is not the one its run ended with in this batch (it ends with \
                     hash {last}, the run ended with {final_hash})"
                )
                .into(),
            });
        }
        Report::from_journal(&journal).map(Some)
    }

    /// The batch's result as an error, for the exit code: interrupted, refused, or some account
    /// unfinished (resumable). `None`: every account is done.
    pub fn error(&self) -> Option<Error> {
        if self.interrupted.is_some() {
            return Some(Error::BatchInterrupted {
                batch_id: self.batch_id.clone(),
            });
        }
        if let Some(Err(_)) = &self.confirmation {
            return Some(Error::NotConfirmed);
        }
        let accounts = self.journal.accounts();
        let outcome = |e: &Option<AccountEnded>| e.as_ref().map(|e| e.outcome);
        let listed = |keep: &dyn Fn(Option<Outcome>) -> bool| -> Vec<(String, String)> {
            accounts
                .iter()
                .filter(|(_, e)| keep(outcome(e)))
                .map(|(a, e)| (a.to_string(), AccountOutcome::from(outcome(e)).to_string()))
                .collect()
        };
        // A resume runs these again: the batch is unfinished, and says how to go on.
        let resumable = listed(&|o| o.is_none_or(Outcome::unfinished));
        // These ended for good (bad input, a plan the account no longer matches): a resume
        // would not change them, so none is offered.
        let finally = listed(&|o| matches!(o, Some(Outcome::Final | Outcome::Declined)));
        if !resumable.is_empty() {
            return Some(Error::BatchIncomplete {
                batch_id: self.batch_id.clone(),
                failed: resumable.len() + finally.len(),
                total: accounts.len(),
                which: [resumable, finally].concat(),
            });
        }
        (!finally.is_empty()).then(|| Error::BatchFailedFinally {
            batch_id: self.batch_id.clone(),
            failed: finally.len(),
            total: accounts.len(),
            which: finally,
        })
    }
}

/// The role ARN in `account`, in the caller's partition.
pub fn role_arn(partition: &str, account: &str, role_name: &str) -> String {
    format!("arn:{partition}:iam::{account}:role/{role_name}")
}

/// Opens a batch (new, or resumed) and drives every account to its end, or until `interrupt`
/// completes. Errors before the batch exists (credentials, bad account list, lock) are
/// returned as such; everything after is in [`BatchEnd`].
pub async fn launch_batch(
    session: &BatchSession<'_>,
    begin: BatchBegin,
    interrupt: impl Future<Output = String>,
) -> Result<BatchEnd> {
    // One batch or run at a time per state directory, as a single run: the batch holds
    // `<state-dir>/lock` from here to its end (each account's run holds its own as well).
    let batch_id = match &begin {
        BatchBegin::New { .. } => journal::new_batch_id(),
        BatchBegin::Resume { batch_id, .. } => journal::resolve(session.state_dir, batch_id)?,
    };
    crate::files::private_dir(session.state_dir)?;
    let _state_lock = crate::lock::Lock::acquire(session.state_dir, &batch_id)?;
    let early = CallBuffer::default();
    let identity = runbooks::identity(session.base, &early).await?;
    let partition = identity.arn.split(':').nth(1).unwrap_or("aws").to_string();
    let (log, started, accounts, plan_runs) = match begin {
        BatchBegin::New {
            runbook,
            args,
            wanted,
            role_name,
            external_id,
            limits,
        } => {
            let (accounts, excluded, skipped) =
                accounts::resolve(&wanted, session.base, &early).await?;
            let started = BatchStarted {
                format: journal::BATCH_FORMAT,
                tool_version: session.tool_version.to_string(),
                runbook,
                args,
                selection: if wanted.organization {
                    Selection::Organization
                } else {
                    Selection::Listed {
                        files: wanted.files.clone(),
                    }
                },
                accounts: accounts.clone(),
                excluded,
                skipped,
                role_name,
                external_id,
                caller_account: identity.account.clone(),
                caller_arn: identity.arn.clone(),
                credentials: session.credentials.to_string(),
                max_concurrent_accounts: limits.max_concurrent_accounts.max(1),
                max_errors: limits.max_errors,
            };
            let log =
                BatchLog::create(session.state_dir, &batch_id, started.clone(), early.take())?;
            let begins = accounts.iter().map(|_| None).collect();
            (log, started, accounts, begins)
        }
        BatchBegin::Resume {
            batch_id: _,
            external_id,
            only,
        } => {
            let (log, journal) = BatchLog::reopen(session.state_dir, &batch_id)?;
            let started = journal.started.clone();
            if started.external_id && !external_id {
                return Err(Error::ExternalIdNeeded {
                    batch_id: log.id().to_string(),
                });
            }
            if started.caller_account != identity.account {
                return Err(Error::AccountMismatch {
                    run_id: log.id().to_string(),
                    recorded: started.caller_account.clone(),
                    current: identity.account.clone(),
                    purpose: crate::error::RunPurpose::Resume,
                });
            }
            for account in &only {
                if !started.accounts.contains(account) {
                    return Err(Error::NoAccounts {
                        why: crate::error::NoAccountsWhy::NotInBatch {
                            account: account.to_string(),
                            batch_id: log.id().to_string(),
                        },
                    });
                }
            }
            let unfinished = journal.unfinished();
            let accounts = resume_order(
                &journal,
                unfinished
                    .iter()
                    .filter(|a| only.is_empty() || only.contains(a))
                    .cloned()
                    .collect(),
            );
            if accounts.is_empty() && !unfinished.is_empty() {
                // The accounts named are done; others are not.
                return Err(Error::BatchAccountsDone {
                    batch_id: log.id().to_string(),
                    named: only.iter().map(AccountId::to_string).collect(),
                    pending: unfinished.iter().map(AccountId::to_string).collect(),
                });
            }
            if accounts.is_empty() {
                return Err(Error::BatchFinished {
                    batch_id: log.id().to_string(),
                });
            }
            log.record(&BatchEvent::BatchResumed(BatchResumed {
                attempt: journal.attempts() + 1,
                caller_arn: identity.arn.clone(),
                credentials: session.credentials.to_string(),
                accounts: accounts.clone(),
            }))?;
            let mut begins = Vec::new();
            for account in &accounts {
                begins.push(Some(account_run_of(session.state_dir, account, log.id())));
            }
            (log, started, accounts, begins)
        }
    };

    let (stop_tx, stop_rx) = watch::channel::<Option<String>>(None);
    let ctx = Ctx {
        session,
        log: &log,
        started: &started,
        partition,
        slots: Arc::new(Semaphore::new(started.max_concurrent_accounts.max(1))),
        errors: AtomicUsize::new(0),
        rendezvous: Rendezvous::new(accounts.len()),
        stop: stop_rx,
        record_error: Mutex::new(None),
    };
    session.operator.attempt_started(&accounts);
    let all = async {
        let runs = futures_util::future::join_all(
            accounts
                .iter()
                .zip(plan_runs)
                .map(|(account, found)| run_account(&ctx, account.clone(), found)),
        );
        let ask = ctx
            .rendezvous
            .coordinate(&started, session.operator, &log, ctx.stop.clone());
        tokio::join!(runs, ask)
    };
    tokio::pin!(all);
    let mut interrupted = None;
    let (results, confirmation) = tokio::select! {
        done = &mut all => done,
        reason = interrupt => {
            interrupted = Some(reason.clone());
            let _ = stop_tx.send(Some(reason));
            all.await
        }
    };
    if let Some(err) = ctx.record_error.lock().unwrap().take() {
        return Err(err);
    }
    let journal_now = journal::load(log.dir())?;
    let unfinished = journal_now.unfinished().len();
    log.record(&BatchEvent::BatchEnded(BatchEnded {
        done: journal_now.started.accounts.len() - unfinished,
        unfinished,
    }))?;
    Ok(BatchEnd {
        batch_id: log.id().to_string(),
        journal: journal::load(log.dir())?,
        results,
        confirmation,
        interrupted,
        state_dir: session.state_dir.to_path_buf(),
    })
}

/// The order a resume runs its accounts in: those never started first (in the batch's order),
/// then those that failed or were interrupted in an earlier attempt. `--max-errors` counts this
/// attempt's failures only, so an account that keeps failing cannot keep the others from ever
/// being started: each attempt starts the accounts that never ran before it retries.
fn resume_order(journal: &BatchJournal, accounts: Vec<AccountId>) -> Vec<AccountId> {
    let latest: std::collections::HashMap<AccountId, Option<AccountEnded>> =
        journal.accounts().into_iter().collect();
    let never_ran = |account: &AccountId| {
        latest.get(account).is_some_and(|ended| {
            ended
                .as_ref()
                .is_none_or(|e| e.outcome == Outcome::NotStarted)
        })
    };
    let (fresh, retried): (Vec<_>, Vec<_>) = accounts.into_iter().partition(never_ran);
    [fresh, retried].concat()
}

/// Whether resuming `batch_id` (its unfinished accounts, or those of `only` among them) would
/// ask the operator: a runbook that writes, not a dry run, and an account with no run of this
/// batch yet or whose run has not recorded its confirmation. Read from the journals alone,
/// before anything is done, so that a resume nobody can confirm is refused before it starts
/// (an account's runs that cannot be read are for the resume itself to report).
pub fn resume_would_ask(state_dir: &Path, batch_id: &str, only: &[AccountId]) -> Result<bool> {
    let id = journal::resolve(state_dir, batch_id)?;
    let batch = journal::load(&journal::batch_dir(state_dir, &id))?;
    if !batch.started.runbook.writes() || batch.started.args.dry_run {
        return Ok(false);
    }
    for account in batch.unfinished() {
        if !only.is_empty() && !only.contains(&account) {
            continue;
        }
        // A run that cannot be read is counted as one that would ask: refusing early is the
        // safe side (the resume with `--yes` says what is wrong with it).
        match account_run_of(state_dir, &account, &id) {
            Found::Fresh | Found::Unreadable(_) => return Ok(true),
            Found::Resumable {
                confirmed: false, ..
            } => return Ok(true),
            Found::Resumable {
                confirmed: true, ..
            }
            | Found::Finished(..) => {}
        }
    }
    Ok(false)
}

/// Where an account of a resumed batch stands: its latest run of this batch, if any.
enum Found {
    /// Resume this run; `confirmed`: it recorded its go-ahead (a resume does not ask again).
    Resumable { run_id: String, confirmed: bool },
    /// Its run finished after all (the batch was stopped before it recorded so).
    Finished(String, usize),
    /// No run of this batch, or one a resume cannot continue: start a new one.
    Fresh,
    /// The account's runs cannot be read.
    Unreadable(Error),
}

fn account_run_of(state_dir: &Path, account: &AccountId, batch_id: &str) -> Found {
    let dir = match account_state_dir(state_dir, account) {
        Ok(dir) => dir,
        Err(e) => return Found::Unreadable(e),
    };
    let ids = match runs::run_ids(&dir) {
        Ok(ids) => ids,
        Err(e) => return Found::Unreadable(e),
    };
    for id in ids.iter().rev() {
        // A torn last line (a kill in the middle of an append) does not hide a run: its resume
        // cuts the line, as a single run's does.
        let journal = match crate::journal::load_complete(&dir.join(id)) {
            Ok((journal, _)) => journal,
            Err(e) => return Found::Unreadable(e),
        };
        if journal.started.batch.as_deref() != Some(batch_id) {
            continue;
        }
        if journal.fold.status() == Some(RunStatus::Finished) {
            let writes = journal.fold.writes_made();
            return Found::Finished(id.clone(), writes);
        }
        return if journal.fold.resumable() {
            Found::Resumable {
                run_id: id.clone(),
                confirmed: journal.fold.output(StepName::Confirm).is_some(),
            }
        } else {
            Found::Fresh
        };
    }
    Found::Fresh
}

struct Ctx<'a> {
    session: &'a BatchSession<'a>,
    log: &'a BatchLog,
    started: &'a BatchStarted,
    partition: String,
    slots: Arc<Semaphore>,
    errors: AtomicUsize,
    rendezvous: Rendezvous,
    stop: watch::Receiver<Option<String>>,
    record_error: Mutex<Option<Error>>,
}

impl Ctx<'_> {
    fn stopped(&self) -> Option<String> {
        self.stop.borrow().clone()
    }

    fn end(&self, result: AccountResult) -> AccountResult {
        if result.outcome.is_error() {
            self.errors.fetch_add(1, Ordering::SeqCst);
        }
        let recorded = self.log.record(&BatchEvent::AccountEnded(AccountEnded {
            account: result.account.clone(),
            run_id: result.run_id.clone(),
            outcome: result.outcome,
            writes_made: result.writes_made,
            error: result.error.as_ref().map(|e| crate::aws::error_chain(e)),
        }));
        if let Err(e) = recorded {
            self.record_error.lock().unwrap().get_or_insert(e);
        }
        self.session.operator.account_ended(&result);
        result
    }
}

fn outcome_of(error: &Error) -> Outcome {
    match error {
        Error::Interrupted { .. } => Outcome::Interrupted,
        Error::NotConfirmed => Outcome::Declined,
        Error::WrongAccount { .. } | Error::AssumeRoleFailed { .. } => Outcome::Unreachable,
        // A rate limit: the next attempt may well get through.
        Error::AssumeRoleThrottled { .. } => Outcome::Failed,
        e if e.is_resumable() => Outcome::Failed,
        // A lock held by another process: the account is for a later attempt.
        Error::Locked { .. } => Outcome::Failed,
        _ => Outcome::Final,
    }
}

async fn run_account(ctx: &Ctx<'_>, account: AccountId, found: Option<Found>) -> AccountResult {
    let result = |outcome, run_id, error: Option<Error>| AccountResult {
        account: account.clone(),
        run_id,
        outcome,
        before: None,
        final_hash: None,
        error,
        writes_made: 0,
    };
    let slot = ctx
        .slots
        .clone()
        .acquire_owned()
        .await
        .expect("the semaphore stays open");
    // This attempt's failures only (a journal of an older version may hold 0: read as 1).
    let limit_reached = ctx
        .started
        .max_errors
        .is_some_and(|max| ctx.errors.load(Ordering::SeqCst) >= max.max(1));
    if ctx.stopped().is_some() || limit_reached {
        ctx.rendezvous
            .pass(&account, Outcome::NotStarted, "not started");
        return ctx.end(result(Outcome::NotStarted, None, None));
    }
    let begin = match found {
        None | Some(Found::Fresh) => Begin::New {
            runbook: ctx.started.runbook,
            args: ctx.started.args.clone(),
        },
        Some(Found::Resumable { run_id, .. }) => Begin::Resume {
            run_id: Some(run_id),
        },
        Some(Found::Finished(run_id, writes)) => {
            ctx.rendezvous
                .pass(&account, Outcome::Done, "finished already");
            let mut done = result(Outcome::Done, Some(run_id), None);
            done.writes_made = writes;
            return ctx.end(done);
        }
        Some(Found::Unreadable(error)) => {
            ctx.rendezvous
                .pass(&account, Outcome::Final, &error.to_string());
            return ctx.end(result(Outcome::Final, None, Some(error)));
        }
    };
    let state_dir = match account_state_dir(ctx.session.state_dir, &account) {
        Ok(dir) => dir,
        Err(error) => {
            ctx.rendezvous
                .pass(&account, Outcome::Final, &error.to_string());
            return ctx.end(result(Outcome::Final, None, Some(error)));
        }
    };
    ctx.session.operator.account_started(&account);
    let reach = Reach {
        account: account.clone(),
        role_arn: (account != ctx.started.caller_account)
            .then(|| role_arn(&ctx.partition, &account, &ctx.started.role_name)),
        // At most 64 characters of [\w+=,.@-]: `cloudtrail-revert-batch-20261130T030000.123Z-ab12`.
        session_name: format!("cloudtrail-revert-{}", ctx.log.id()),
        caller_arn: ctx.started.caller_arn.clone(),
    };
    let connected = match ctx.session.connector.connect(&reach).await {
        Ok(connected) => connected,
        Err(error) => {
            let outcome = outcome_of(&error);
            ctx.rendezvous.pass(&account, outcome, &error.to_string());
            return ctx.end(result(outcome, None, Some(error)));
        }
    };
    let operator = AccountOperator::new(ctx.session.operator, &account);
    let session = Session {
        aws: &connected.aws,
        state_dir: &state_dir,
        operator: &operator,
        settings: ctx.session.settings.clone(),
        tool_version: ctx.session.tool_version,
        credentials: &connected.credentials,
        batch: Some(ctx.log.id()),
        account: Some(account.as_str()),
    };
    let interrupt = || {
        let mut stop = ctx.stop.clone();
        async move {
            match stop.wait_for(Option::is_some).await {
                Ok(reason) => reason.clone().unwrap_or_default(),
                Err(_) => std::future::pending().await,
            }
        }
    };
    // Boxed: an account waiting for its slot holds a small future, not the whole run's (a batch
    // may have tens of thousands of accounts); and a run waiting for the question is put aside
    // (its future ended), so that a waiting account holds its plan and little else.
    let mut arrived = false;
    // A parked run's id: a take-up that is refused (its journal changed meanwhile) still names
    // the run it refused.
    let mut parked_id = None;
    let ended = match Box::pin(runbooks::launch_or_park(&session, begin, interrupt())).await {
        Err(error) => Err(error),
        Ok(Launched::Ended(ended)) => Ok(ended),
        Ok(Launched::Parked(parked)) => {
            arrived = true;
            let Parked {
                run: parked,
                plan,
                left_alone,
            } = *parked;
            parked_id = Some(parked.id().to_string());
            // Free the slot while waiting: the accounts not checked yet need it; and the
            // clients, which the writes make again.
            drop(slot);
            connected.aws.release_clients();
            let (reply, answer) = tokio::sync::oneshot::channel();
            ctx.rendezvous.arrive(
                AccountPlan {
                    account: account.clone(),
                    plan,
                    left_alone,
                    started: parked.started().clone(),
                    encrypted_regions: operator.encrypted_regions(),
                },
                reply,
            );
            ctx.session.operator.account_waiting(&account);
            match answer.await {
                Ok(answer) => {
                    let _slot = ctx
                        .slots
                        .clone()
                        .acquire_owned()
                        .await
                        .expect("the semaphore stays open");
                    if answer.is_ok() {
                        ctx.session.operator.account_writing(&account);
                    }
                    operator.answered(answer);
                    Box::pin(runbooks::take_up(&session, parked, interrupt())).await
                }
                // The batch was interrupted before it asked: the run ends as interrupted.
                Err(_) => runbooks::interrupt_parked(parked, &ctx.stopped().unwrap_or_default()),
            }
        }
    };
    let result = match ended {
        Err(error) => result(outcome_of(&error), parked_id, Some(error)),
        Ok(ended) => match ended.result {
            Ok(report) => AccountResult {
                account: account.clone(),
                run_id: Some(ended.run_id),
                outcome: Outcome::Done,
                writes_made: report.writes_made(),
                before: Some(Before::of_report(&report)),
                final_hash: Some(ended.final_hash),
                error: None,
            },
            Err(error) => result(outcome_of(&error), Some(ended.run_id), Some(error)),
        },
    };
    if !arrived {
        let why = match &result.error {
            Some(e) => e.to_string(),
            None if result.writes_made > 0 => "confirmed before; finished".to_string(),
            None => "nothing to change".to_string(),
        };
        ctx.rendezvous.pass(&account, result.outcome, &why);
    }
    ctx.end(result)
}
