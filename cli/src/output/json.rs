//! The JSON contract for scripts: with `--output json`, every command prints exactly one
//! `Document` on stdout, whether it succeeded or failed, even when it failed before a run
//! existed. The JSON Schema `cli/output.schema.json` is derived from these types (the unit
//! test `schema_file_is_current` keeps the file equal to them; `UPDATE_SCHEMA=1` rewrites it),
//! and the integration test `json_contract` checks real outputs of every command against it.

use std::path::PathBuf;

use runbook::batch::AccountOutcome;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Map, Value};

/// Raised when a reader of version 1 could be misled by a change (a field removed or renamed,
/// a meaning changed). Adding a field or an error code does not raise it.
pub const SCHEMA_VERSION: u32 = 1;

/// One document per command, on stdout.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(
    title = "cloudtrail-revert output (`--output json`)",
    extend("unevaluatedProperties" = false)
)]
pub struct Document {
    /// The layout's version: 1.
    #[schemars(range(min = 1, max = 1))]
    pub schema_version: u32,
    /// The command that printed it: `run revert`, `run status`, `resume`, `undo`, `audit list`,
    /// `audit show`, `audit verify`.
    pub command: String,
    /// Whether the command succeeded (exit code 0). When false, `error` says why.
    pub ok: bool,
    #[serde(flatten)]
    pub body: Body,
}

/// What a command printed: its result, or its error.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum Body {
    Batch(BatchDoc),
    Run(RunDoc),
    List(ListDoc),
    Show(ShowDoc),
    Verify(VerifyDoc),
    Report(ReportDoc),
    Error(ErrorDoc),
}

/// `audit report`: where the evidence page was written.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ReportDoc {
    pub run_id: String,
    pub report: PathBuf,
}

/// `run`, `resume`, `undo` that reached their end.
#[derive(Debug, Serialize, JsonSchema)]
pub struct RunDoc {
    pub run_id: String,
    pub audit_log: PathBuf,
    /// The hash of the journal's last line: paste it into a change ticket, check it later with
    /// `audit verify RUN_ID --expect-hash HASH`.
    pub final_hash: String,
    /// The run's report (preflight, per-region status, plan, confirmation, writes, verification,
    /// key advice), as the runbook library serializes it.
    #[schemars(with = "Map<String, Value>")]
    pub report: Value,
}

/// `run … --accounts|--accounts-file|--organization` and `resume BATCH_ID`: the batch and every
/// account's part in it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct BatchDoc {
    pub batch_id: String,
    /// `batches/<batch-id>/batch.jsonl` in the state directory.
    pub batch_log: PathBuf,
    /// The hash of the batch journal's last line.
    pub final_hash: String,
    /// The command that continues the batch (quoted for a POSIX shell), when some account did
    /// not finish and resume can.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resume_command: Option<String>,
    /// Every account of the batch, in its order, with its latest outcome.
    pub accounts: Vec<AccountRow>,
    /// Accounts the organization listed that the batch does not run (`--organization`: only
    /// ACTIVE accounts are run), each with its state.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<SkippedRow>,
}

/// An account of the organization left out of the batch, and its state (`SUSPENDED`…).
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct SkippedRow {
    pub account: String,
    pub state: String,
}

/// One account of a batch.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct AccountRow {
    pub account: String,
    /// `done`, `failed`, `failed (final)`, `not confirmed`, `unreachable`, `interrupted`,
    /// `not started`, or `not run` (no outcome recorded yet).
    #[schemars(with = "String")]
    pub outcome: AccountOutcome,
    /// Its run, in `accounts/<account>/<run-id>/` of the state directory.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run_id: Option<String>,
    pub writes_made: usize,
    /// What the account was like before (from this attempt's run), e.g.
    /// `trail SSE-KMS in 17 regions; bucket SSE-KMS`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// This attempt's run report, as in `run`'s document.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<Map<String, Value>>")]
    pub report: Option<Value>,
    /// Why this attempt's run report is missing: its journal did not read back (the command
    /// then fails).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report_error: Option<String>,
}

/// A batch that ended with some account unfinished, refused or interrupted: its document goes
/// with the error.
#[derive(Debug)]
pub struct BatchFailure {
    pub batch: BatchDoc,
    pub error: runbook::Error,
}

impl std::fmt::Display for BatchFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.error.fmt(f)
    }
}

impl std::error::Error for BatchFailure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(&self.error)
    }
}

/// `audit list`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ListDoc {
    pub state_dir: PathBuf,
    /// Single runs, oldest first: those in the state directory, and those in an account's
    /// folder `accounts/<account>/` that no batch started (an undo of a batch's revert, a run
    /// started there with `--state-dir`).
    pub runs: Vec<RunRow>,
    /// Batches (`run … --accounts`), oldest first, each with its accounts' runs.
    pub batches: Vec<BatchRow>,
}

/// One batch of `audit list`, read from its journal.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct BatchRow {
    pub batch_id: String,
    /// `revert` or `status`; absent when the journal cannot be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runbook: Option<String>,
    pub accounts: usize,
    pub done: usize,
    /// UTC, RFC 3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub final_hash: Option<String>,
    /// Why the journal cannot be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The runs this batch started, one per account that got one (in
    /// `accounts/<account>/`), in the batch's order of accounts; each id works with every
    /// command that takes one.
    pub runs: Vec<RunRow>,
    /// The batch's accounts in its order (the order of `runs`).
    #[serde(skip)]
    #[schemars(skip)]
    pub order: Vec<String>,
}

/// One run of `audit list`, read from its journal.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RunRow {
    pub run_id: String,
    /// The batch that started this run; absent for a single run (or an unreadable journal).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch_id: Option<String>,
    /// `revert`, `status` or `restore`; absent when the journal cannot be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runbook: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// `finished`, `failed`, `interrupted`, `running` (no end yet), or `unreadable`.
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resumable: Option<bool>,
    /// UTC, RFC 3339, as in the journal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_s: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempts: Option<u32>,
    /// The hash of the journal's last line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub final_hash: Option<String>,
    /// Why the journal cannot be read (status `unreadable`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorDetail>,
}

/// `audit show`: the journal's lines, or with `--writes` only the writes.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ShowDoc {
    pub run_id: String,
    pub final_hash: String,
    /// Every line of the journal (`seq`, `ts`, `run_id`, `event`, `data`, `prev_hash`, `hash`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<Vec<Map<String, Value>>>")]
    pub records: Option<Value>,
    /// With `--writes`: each write attempt, its before/after and outcome.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub writes: Option<Vec<WriteRow>>,
}

/// One write attempt, from its `write_intent` and what answered it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct WriteRow {
    /// The line of its `write_intent` (1-based).
    pub line: u64,
    /// UTC, RFC 3339.
    pub ts: String,
    /// `cloudtrail:UpdateTrail` or `s3:PutBucketEncryption`.
    pub operation: String,
    pub region: String,
    /// The trail ARN or the bucket name.
    pub target: String,
    pub before: String,
    pub after: String,
    /// `ok`, `refused`, `unknown` (no answer), `applied`/`not_applied` (settled by a read),
    /// or `pending` (no answer recorded).
    pub outcome: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
}

/// `audit verify` on a log that verifies.
#[derive(Debug, Serialize, JsonSchema)]
pub struct VerifyDoc {
    pub run_id: String,
    pub events: usize,
    /// The hash of the log's last line.
    pub final_hash: String,
    /// `run_finished`, `run_failed` or `run_interrupted`; null while the run has no end.
    pub ended: Option<String>,
    pub resumable: bool,
    /// Left open by a failed or interrupted run, for `resume` to settle.
    pub open: Vec<String>,
    /// With `--expect-hash`: it matched (a mismatch is an error, `hash_mismatch`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_hash_matches: Option<bool>,
}

/// A failure, with the run it happened in when there was one.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ErrorDoc {
    pub error: ErrorDetail,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audit_log: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub final_hash: Option<String>,
    /// The command that continues the run, quoted for a POSIX shell; only when resume can
    /// finish it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resume_command: Option<String>,
    /// The run's report, when it ended and only the re-check failed (`status --check`,
    /// `status --since`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<Map<String, Value>>")]
    pub report: Option<Value>,
    /// A batch that did not finish every account: the batch and its accounts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch: Option<BatchDoc>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ErrorDetail {
    /// Stable: scripts may match on it.
    pub code: ErrorCode,
    /// For a person, in the language chosen (`--lang`).
    pub message: String,
    /// The process's exit code (see README: 1 failure, 2 bad input, 3 verification, 4 "no",
    /// 5 partial undo, 130 interrupted).
    pub exit_code: u8,
}

/// Every error code. Stable: a code is never renamed or reused; new ones may be added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The command line is wrong (an unknown flag, a missing argument, a flag on the wrong
    /// runbook).
    Usage,
    NoCredentials,
    /// Refreshing the credentials was throttled by AWS: resumable (exit code 1).
    CredentialsThrottled,
    UnknownProfile,
    ProfileFilesUnreadable,
    AccessDenied,
    Unreachable,
    /// AWS answered with another error (its code is in the message).
    AwsError,
    UnknownRegion,
    NoRegionSelected,
    TrailNotFound,
    AmbiguousTrail,
    TrailWithoutBucket,
    BucketNotFound,
    TrailBucketMissing,
    /// The operator answered no.
    NotConfirmed,
    /// No terminal to ask on, and no `--yes`.
    NoTerminal,
    VerifyFailed,
    /// `status --check` found something SSE-KMS.
    StillSseKms,
    /// `status --since` found a drift.
    Drifted,
    NothingToUndo,
    KeyPendingDeletion,
    KeyDisabled,
    KeyUnusable,
    /// `undo`: the key to put back is not in this account, or its key policy does not let
    /// CloudTrail use it for the trail (`--force` puts it back anyway).
    KeyUnverified,
    /// `undo`: it finished, but something the revert changed was not put back (deleted or
    /// changed since); the message names what was put back and what was not (exit code 5).
    PartialUndo,
    NoEndState,
    OrganizationTrailNotIncluded,
    ForeignBucket,
    Interrupted,
    LockHeld,
    NoSuchRun,
    NothingToResume,
    AlreadyFinished,
    NotResumable,
    PlanStale,
    /// A write step beside another sent nothing because the other stopped first.
    NotSentBeside,
    AccountMismatch,
    /// The audit log is broken: a changed, missing or moved line, or an event out of place.
    LogBroken,
    /// The audit log verifies but lacks what a complete run records.
    LogIncomplete,
    /// `audit verify --expect-hash`: the log does not end in that hash.
    HashMismatch,
    StateCorrupt,
    StateMismatch,
    JournalFormat,
    UnsafePath,
    Fixture,
    ReplayNeedsPath,
    NoStateDir,
    StateDirUnusable,
    /// A batch account's credentials act in another account.
    WrongAccount,
    /// A batch account could not be reached (STS AssumeRole failed).
    AssumeRoleFailed,
    /// `--accounts`, `--exclude-account` or the accounts file names something that is not an
    /// account id.
    BadAccountId,
    AccountsFileUnreadable,
    /// Every account was excluded, or the organization has no active account.
    NoAccounts,
    /// More accounts than one batch runs (10,000).
    TooManyAccounts,
    /// STS throttled an account's AssumeRole; resume the batch later.
    Throttled,
    /// `--organization`, but the caller's account is in no organization.
    OrganizationsNotInUse,
    /// Some accounts of a batch did not finish; resume the batch.
    BatchIncomplete,
    /// Some accounts of a batch failed in a way a resume would not change; start a new batch.
    BatchFailed,
    Io,
    Internal,
}

/// The run a failure happened in: kept with the error so that the one document printed for it
/// names the run.
/// Exit codes (also in README.md).
pub mod exit {
    pub const FAILED: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const VERIFY_FAILED: u8 = 3;
    pub const NOT_CONFIRMED: u8 = 4;
    pub const PARTIAL_UNDO: u8 = 5;
    pub const INTERRUPTED: u8 = 130;
}

impl ErrorCode {
    /// The one place exit codes are decided: each error's stable code has its exit code (no
    /// wildcard, so a new code does not compile without one).
    pub fn exit_code(self) -> u8 {
        use ErrorCode as C;
        match self {
            C::VerifyFailed | C::StillSseKms | C::Drifted => exit::VERIFY_FAILED,
            C::NotConfirmed => exit::NOT_CONFIRMED,
            C::PartialUndo => exit::PARTIAL_UNDO,
            C::Interrupted => exit::INTERRUPTED,
            // Bad input: fix the command line, the profile, the state directory or the files.
            C::Usage
            | C::NoCredentials
            | C::UnknownProfile
            | C::ProfileFilesUnreadable
            | C::UnknownRegion
            | C::NoRegionSelected
            | C::TrailNotFound
            | C::AmbiguousTrail
            | C::OrganizationTrailNotIncluded
            | C::NoSuchRun
            | C::NothingToResume
            | C::AlreadyFinished
            | C::NotResumable
            | C::NothingToUndo
            | C::KeyPendingDeletion
            | C::KeyDisabled
            | C::KeyUnusable
            | C::KeyUnverified
            | C::NoEndState
            | C::JournalFormat
            | C::UnsafePath
            | C::AccountMismatch
            | C::LockHeld
            | C::NoTerminal
            | C::Fixture
            | C::ReplayNeedsPath
            | C::NoStateDir
            | C::StateDirUnusable
            | C::WrongAccount
            | C::BadAccountId
            | C::AccountsFileUnreadable
            | C::NoAccounts
            | C::TooManyAccounts
            | C::OrganizationsNotInUse => exit::USAGE,
            C::CredentialsThrottled
            | C::AccessDenied
            | C::Unreachable
            | C::AwsError
            | C::TrailWithoutBucket
            | C::BucketNotFound
            | C::TrailBucketMissing
            | C::ForeignBucket
            | C::PlanStale
            | C::NotSentBeside
            | C::LogBroken
            | C::LogIncomplete
            | C::HashMismatch
            | C::StateCorrupt
            | C::StateMismatch
            | C::AssumeRoleFailed
            | C::Throttled
            | C::BatchIncomplete
            | C::BatchFailed
            | C::Io
            | C::Internal => exit::FAILED,
        }
    }
}

#[derive(Debug)]
pub struct RunFailure {
    pub run_id: String,
    pub audit_log: PathBuf,
    pub final_hash: Option<String>,
    pub resume_command: Option<String>,
    pub report: Option<Value>,
    pub error: runbook::Error,
}

impl std::fmt::Display for RunFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.error.fmt(f)
    }
}

impl std::error::Error for RunFailure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(&self.error)
    }
}

/// An `audit verify` failure that is no `runbook::Error`: incomplete, or not the expected hash.
#[derive(Debug)]
pub struct AuditFailure {
    pub code: ErrorCode,
    pub message: String,
}

impl std::fmt::Display for AuditFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for AuditFailure {}

/// The library error inside a CLI error, if there is one.
pub fn runbook_error(err: &anyhow::Error) -> Option<&runbook::Error> {
    err.downcast_ref::<runbook::Error>()
        .or_else(|| err.downcast_ref::<RunFailure>().map(|f| &f.error))
        .or_else(|| err.downcast_ref::<BatchFailure>().map(|f| &f.error))
}

/// The one place where library errors get their stable codes.
pub fn code_of(err: &anyhow::Error) -> ErrorCode {
    use runbook::Error as E;
    if let Some(f) = err.downcast_ref::<AuditFailure>() {
        return f.code;
    }
    if err.downcast_ref::<clap::Error>().is_some() {
        return ErrorCode::Usage;
    }
    let Some(e) = runbook_error(err) else {
        return ErrorCode::Internal;
    };
    match e {
        E::NoCredentials { .. } => ErrorCode::NoCredentials,
        E::CredentialsThrottled { .. } => ErrorCode::CredentialsThrottled,
        E::UnknownProfile { .. } => ErrorCode::UnknownProfile,
        E::ProfileFilesUnreadable { .. } => ErrorCode::ProfileFilesUnreadable,
        E::AccessDenied { .. } => ErrorCode::AccessDenied,
        E::Unreachable { .. } => ErrorCode::Unreachable,
        E::Aws { .. } => ErrorCode::AwsError,
        E::UnknownRegion { .. } => ErrorCode::UnknownRegion,
        E::NoRegionSelected => ErrorCode::NoRegionSelected,
        E::TrailNotFound { .. } => ErrorCode::TrailNotFound,
        E::AmbiguousTrail { .. } => ErrorCode::AmbiguousTrail,
        E::TrailWithoutBucket { .. } => ErrorCode::TrailWithoutBucket,
        E::BucketNotFound { .. } => ErrorCode::BucketNotFound,
        E::TrailBucketMissing { .. } => ErrorCode::TrailBucketMissing,
        E::NotConfirmed => ErrorCode::NotConfirmed,
        E::ConfirmationUnavailable => ErrorCode::NoTerminal,
        E::VerifyFailed(_) => ErrorCode::VerifyFailed,
        E::StillSseKms(_) => ErrorCode::StillSseKms,
        E::Drifted { .. } => ErrorCode::Drifted,
        E::RecheckNeedsStatus => ErrorCode::Usage,
        E::NothingToUndo { .. } => ErrorCode::NothingToUndo,
        E::KeyPendingDeletion { .. } => ErrorCode::KeyPendingDeletion,
        E::KeyDisabled { .. } => ErrorCode::KeyDisabled,
        E::KeyUnusable { .. } => ErrorCode::KeyUnusable,
        E::KeyUnverified { .. } => ErrorCode::KeyUnverified,
        E::PartialUndo { .. } => ErrorCode::PartialUndo,
        E::NoEndState { .. } => ErrorCode::NoEndState,
        E::OrganizationTrailNotIncluded { .. } => ErrorCode::OrganizationTrailNotIncluded,
        E::ForeignBucket { .. } => ErrorCode::ForeignBucket,
        E::Interrupted { .. } => ErrorCode::Interrupted,
        E::Locked { .. } => ErrorCode::LockHeld,
        E::NoSuchRun { .. } => ErrorCode::NoSuchRun,
        E::NothingToResume { .. } => ErrorCode::NothingToResume,
        E::AlreadyFinished { .. } => ErrorCode::AlreadyFinished,
        E::NotResumable { .. } => ErrorCode::NotResumable,
        E::PlanStale { .. } => ErrorCode::PlanStale,
        E::NotSentBeside { .. } => ErrorCode::NotSentBeside,
        E::AccountMismatch { .. } => ErrorCode::AccountMismatch,
        E::AuditCorrupt { .. } => ErrorCode::LogBroken,
        E::StateCorrupt { .. } => ErrorCode::StateCorrupt,
        E::StateMismatch { .. } => ErrorCode::StateMismatch,
        E::JournalFormat { .. } => ErrorCode::JournalFormat,
        E::IllegalEvent { .. } => ErrorCode::Internal,
        E::UnsafePath { .. }
        | E::UnsafeOutput { .. }
        | E::UnsafeStateDir { .. }
        | E::OutputExists { .. } => ErrorCode::UnsafePath,
        E::Fixture { .. } => ErrorCode::Fixture,
        E::ReplayNeedsPath { .. } => ErrorCode::ReplayNeedsPath,
        E::NoStateDir => ErrorCode::NoStateDir,
        E::StateDirUnusable { .. } => ErrorCode::StateDirUnusable,
        E::WrongAccount { .. } => ErrorCode::WrongAccount,
        E::AssumeRoleFailed { .. } => ErrorCode::AssumeRoleFailed,
        E::BadAccountId { .. } => ErrorCode::BadAccountId,
        E::AccountsFileUnreadable { .. } => ErrorCode::AccountsFileUnreadable,
        E::NoAccounts { .. } => ErrorCode::NoAccounts,
        E::TooManyAccounts { .. } => ErrorCode::TooManyAccounts,
        E::NoSuchBatch { .. } => ErrorCode::NoSuchRun,
        E::BatchFinished { .. } => ErrorCode::AlreadyFinished,
        E::BatchAccountsDone { .. } => ErrorCode::AlreadyFinished,
        E::BatchInterrupted { .. } => ErrorCode::Interrupted,
        E::AssumeRoleThrottled { .. } => ErrorCode::Throttled,
        E::OrganizationsNotInUse => ErrorCode::OrganizationsNotInUse,
        E::FlagNotHonoured { .. } => ErrorCode::Usage,
        E::ExternalIdNeeded { .. } => ErrorCode::Usage,
        E::BatchIncomplete { .. } => ErrorCode::BatchIncomplete,
        E::BatchFailedFinally { .. } => ErrorCode::BatchFailed,
        E::Io { .. } => ErrorCode::Io,
    }
}

/// Prints `doc` as the command's one document.
pub fn print(command: &str, ok: bool, body: Body) {
    let doc = Document {
        schema_version: SCHEMA_VERSION,
        command: command.to_string(),
        ok,
        body,
    };
    let text = serde_json::to_string_pretty(&doc).expect("a document serializes");
    crate::output::out::line(crate::output::display::escape_json(&text));
}

/// The error document for `err`.
pub fn error_body(err: &anyhow::Error, message: String, exit_code: u8) -> Body {
    let error = ErrorDetail {
        code: code_of(err),
        message,
        exit_code,
    };
    let mut doc = ErrorDoc {
        error,
        run_id: None,
        audit_log: None,
        final_hash: None,
        resume_command: None,
        report: None,
        batch: None,
    };
    if let Some(f) = err.downcast_ref::<BatchFailure>() {
        doc.resume_command = f.batch.resume_command.clone();
        doc.batch = Some(f.batch.clone());
    }
    if let Some(f) = err.downcast_ref::<RunFailure>() {
        doc.run_id = Some(f.run_id.clone());
        doc.audit_log = Some(f.audit_log.clone());
        doc.final_hash = f.final_hash.clone();
        doc.resume_command = f.resume_command.clone();
        doc.report = f.report.clone();
    }
    Body::Error(doc)
}

/// The schema, pretty-printed, as kept in `cli/output.schema.json`.
#[cfg(test)]
pub fn schema() -> String {
    let schema = schemars::schema_for!(Document);
    serde_json::to_string_pretty(&schema).expect("the schema serializes") + "\n"
}

#[cfg(test)]
mod tests {
    /// The schema file in the repository is the one these types derive.
    #[test]
    fn schema_file_is_current() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/output.schema.json");
        let derived = super::schema();
        if std::env::var_os("UPDATE_SCHEMA").is_some() {
            std::fs::write(path, &derived).unwrap();
        }
        let kept = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            kept == derived,
            "{path} is not the schema the output types derive; rewrite it with \
             UPDATE_SCHEMA=1 cargo test -p cloudtrail-revert schema_file_is_current"
        );
    }
}
