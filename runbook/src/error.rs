//! Library errors. Every variant says what went wrong and what the operator can do about it.

use std::path::PathBuf;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why `undo` does not take a key for the trail's (put back only with `--force`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum KeyProblem {
    /// KMS names it with something that is not a key ARN.
    NotAKeyArn {
        arn: String,
    },
    OtherPartition {
        partition: String,
        ours: String,
    },
    OtherAccount {
        account: String,
        ours: String,
    },
    /// The key policy has no statement that lets CloudTrail use it for the trail.
    NoCloudTrailStatement {
        trail: String,
    },
    PolicyNotJson {
        /// The JSON parser's words: a key problem is journal data (the plan's `keys`), so it
        /// is text, not the parser's error value.
        detail: String,
    },
    /// `GetKeyPolicy` failed (permission, …).
    PolicyUnreadable {
        action: String,
        code: String,
        message: String,
    },
}

impl std::fmt::Display for KeyProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeyProblem::NotAKeyArn { arn } => {
                write!(f, "KMS names it {arn}, which is not a key ARN")
            }
            KeyProblem::OtherPartition { partition, ours } => {
                write!(
                    f,
                    "it is in partition {partition}, not this account's ({ours})"
                )
            }
            KeyProblem::OtherAccount { account, ours } => {
                write!(f, "it belongs to account {account}, not this one ({ours})")
            }
            KeyProblem::NoCloudTrailStatement { trail } => write!(
                f,
                "its key policy has no statement that lets CloudTrail (cloudtrail.amazonaws.com) \
                 use it for trail {trail} (kms:GenerateDataKey* on the condition aws:SourceArn or \
                 kms:EncryptionContext:aws:cloudtrail:arn)"
            ),
            KeyProblem::PolicyNotJson { detail } => {
                write!(f, "its key policy is not JSON ({detail})")
            }
            KeyProblem::PolicyUnreadable {
                action,
                code,
                message,
            } => {
                write!(f, "its key policy could not be read ({action}: {code}")?;
                if !message.is_empty() {
                    write!(f, ": {message}")?;
                }
                f.write_str(")")
            }
        }
    }
}

/// What is wrong with a path the tool was to read or write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathProblem {
    Symlink,
    NotAFolder,
    NotRegular,
    /// A folder where a file is to be written.
    Folder,
    /// A FIFO, a socket or a device.
    Special,
    OtherOwner {
        uid: u32,
        me: u32,
    },
    /// A hard link to it exists elsewhere.
    HardLinked {
        names: u64,
    },
    NamesNoFile,
    /// `--out` inside the state directory, whose files are the runs' own.
    InStateDir {
        state_dir: PathBuf,
    },
}

impl std::fmt::Display for PathProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PathProblem::Symlink => write!(f, "is a symbolic link"),
            PathProblem::NotAFolder => write!(f, "is not a folder"),
            PathProblem::NotRegular => write!(f, "is not a regular file"),
            PathProblem::Folder => write!(f, "is a folder"),
            PathProblem::Special => {
                write!(f, "is not a regular file (a FIFO, a socket or a device)")
            }
            PathProblem::OtherOwner { uid, me } => {
                write!(f, "belongs to user id {uid}, not to you ({me})")
            }
            PathProblem::HardLinked { names } => {
                write!(f, "has {names} names (a hard link to it exists elsewhere)")
            }
            PathProblem::NamesNoFile => write!(f, "names no file"),
            PathProblem::InStateDir { state_dir } => write!(
                f,
                "is in the state directory {} (its files are the runs' own, written only by the \
                 tool; without --out the report goes to the run's folder)",
                state_dir.display()
            ),
        }
    }
}

/// Why a batch has no account to run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NoAccountsWhy {
    /// An accounts file with no account id, or an organization without an ACTIVE account.
    Empty,
    /// Every account listed is excluded (`--exclude-account`).
    AllExcluded { excluded: Vec<String> },
    /// `resume BATCH_ID --accounts ID`: the account is not one of the batch's.
    NotInBatch { account: String, batch_id: String },
}

impl std::fmt::Display for NoAccountsWhy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NoAccountsWhy::Empty => write!(
                f,
                "the list is empty (an accounts file with no account id, or an organization \
                 without an ACTIVE account)"
            ),
            NoAccountsWhy::AllExcluded { excluded } => {
                write!(
                    f,
                    "every account listed is excluded ({})",
                    excluded.join(", ")
                )
            }
            NoAccountsWhy::NotInBatch { account, batch_id } => {
                write!(f, "{account} is not one of batch {batch_id}'s accounts")
            }
        }
    }
}

/// Why a run cannot be undone (`undo`) or compared with (`status --since`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RunUnfit {
    /// No run was named (a `restore` run started without `undoes`: never from the CLI).
    NotNamed,
    /// The undo was asked to undo itself.
    ThisRun,
    /// A `status` or `restore` run, or a dry run: it changed nothing.
    NotARevert { runbook: String, dry_run: bool },
    /// An unfinished revert that resume can still finish (it may hold a write whose outcome is
    /// unknown).
    StillResumable { run_id: String },
    /// Not finished.
    Unfinished,
    /// A finished revert that made no write.
    NoWrite,
}

impl std::fmt::Display for RunUnfit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunUnfit::NotNamed => write!(f, "no run was named"),
            RunUnfit::ThisRun => write!(f, "it is this run"),
            RunUnfit::NotARevert { runbook, dry_run } => write!(
                f,
                "it is a `{runbook}` run{}, not a revert that changed the account",
                if *dry_run { " (dry run)" } else { "" }
            ),
            RunUnfit::StillResumable { run_id } => write!(
                f,
                "it has not finished and can still be resumed; finish it first (`cloudtrail-revert \
                 resume {run_id}`), then undo it"
            ),
            RunUnfit::Unfinished => write!(f, "it has not finished; resume it first"),
            RunUnfit::NoWrite => write!(f, "it made no write"),
        }
    }
}

/// What a run of another account was wanted for (the refusal's advice differs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunPurpose {
    Resume,
    Undo,
    /// `status --since`: compared with the live state.
    Compare,
}

impl RunPurpose {
    fn advice(self, recorded: &str) -> String {
        match self {
            RunPurpose::Resume => format!("use the credentials of {recorded} to resume it"),
            RunPurpose::Undo => format!(
                "an undo acts on the account its run changed: use the credentials of {recorded} \
                 to undo it"
            ),
            RunPurpose::Compare => {
                format!("use the credentials of {recorded} to compare with it")
            }
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "no AWS credentials could be resolved: {detail}\n\
         provide them with `aws configure`, `aws sso login --profile NAME` plus `--profile NAME`, \
         or the AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY environment variables \
         (a --profile must exist in ~/.aws/config or ~/.aws/credentials)"
    )]
    NoCredentials {
        /// The SDK's error chain with any secret it quotes redacted: only the redacted text may
        /// be kept, not the error value.
        detail: String,
    },

    #[error(
        "the AWS credentials could not be refreshed because AWS throttled the request ({detail}); \
         nothing is wrong with them or with the sign-in: resume in a minute"
    )]
    CredentialsThrottled {
        /// As `NoCredentials`' (redacted text).
        detail: String,
    },

    #[error(
        "AWS profile `{profile}` does not exist: it is in neither {config_file} nor {credentials_file}. \
         Check the name (`aws configure list-profiles`), or create it with `aws configure --profile {profile}`"
    )]
    UnknownProfile {
        profile: String,
        config_file: String,
        credentials_file: String,
    },

    #[error("the AWS profile files cannot be read: {}; fix or move them (AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE)", error_chain(.source.as_ref()))]
    ProfileFilesUnreadable {
        /// The SDK's profile loading error.
        source: Box<dyn std::error::Error + Send + Sync>,
    },

    #[error(
        "access denied: {operation} in {region} was refused ({code}); {}{}",
        if *explicit_deny {
            format!(
                "an explicit deny refuses the IAM action `{action}` (a service control policy, a \
                 permissions boundary, or an identity or resource policy): an Allow cannot \
                 override it. Ask who owns that policy to lift the Deny for this caller, then run again"
            )
        } else {
            format!("the caller needs the IAM action `{action}`. Grant it and run again")
        },
        message.as_deref().map(|m| format!("\n  AWS said: {m}")).unwrap_or_default()
    )]
    AccessDenied {
        operation: &'static str,
        action: &'static str,
        region: String,
        code: String,
        message: Option<String>,
        /// AWS said an explicit deny refused it: granting the action would not help.
        explicit_deny: bool,
    },

    #[error(
        "cannot reach AWS ({service} {operation} in {region}): {detail}\n\
         check the network connection, or the --endpoint-url you gave"
    )]
    Unreachable {
        service: &'static str,
        operation: &'static str,
        region: String,
        /// The failure's message as `aws::Failure` classified it (the SDK error is gone by then).
        detail: String,
    },

    #[error("{service} {operation} in {region} failed: {code}: {message}")]
    Aws {
        service: &'static str,
        operation: &'static str,
        region: String,
        code: String,
        message: String,
    },

    #[error(
        "region `{region}` given in {flag} is not enabled for this account; the {count} enabled regions are: {enabled}"
    )]
    UnknownRegion {
        region: String,
        flag: &'static str,
        count: usize,
        enabled: String,
    },

    #[error("no region is left to scan: every enabled region was excluded; check --regions and --exclude-region")]
    NoRegionSelected,

    #[error(
        "trail `{trail}` not found in {count} regions ({regions}); check --trail (a name or a trail ARN)"
    )]
    TrailNotFound {
        trail: String,
        count: usize,
        regions: String,
    },

    #[error(
        "{} trails are named `{name}`: {}. Name the one(s) to change by ARN: --trail ARN (repeatable)",
        arns.len(), arns.join(", ")
    )]
    AmbiguousTrail { name: String, arns: Vec<String> },

    #[error(
        "{} is an organization trail of this account, the organization's management account: \
         reverting it changes the log files of every member account of the organization, not only \
         this one's. Nothing was changed. If that is what you want, run again with \
         --include-organization-trail; to leave it alone, name the other trails with --trail",
        arns.join(", ")
    )]
    OrganizationTrailNotIncluded { arns: Vec<String> },

    #[error("trail `{trail}` names no S3 bucket; CloudTrail cannot deliver without one, so check the trail in the console")]
    TrailWithoutBucket { trail: String },

    #[error(
        "bucket {bucket} belongs to another account; its default encryption is that account's to change \
         (S3 refused a request naming this account, {account}, as its owner, and it is not among this \
         account's buckets)"
    )]
    ForeignBucket { bucket: String, account: String },

    #[error("bucket `{bucket}` (the trail's log bucket) does not exist or is not visible to this account")]
    BucketNotFound { bucket: String },

    #[error(
        "CloudTrail cannot deliver to `{bucket}`: the trail's bucket does not exist. Fix the trail's \
         bucket first (create it again, or point the trail at an existing bucket), then start a new \
         run; nothing was changed"
    )]
    TrailBucketMissing { bucket: String },

    #[error(
        "the operator did not confirm; nothing was changed. Re-run and answer `y`, or pass --yes"
    )]
    NotConfirmed,

    #[error(
        "refusing to change anything without confirmation: standard input is not a terminal. \
         Pass --yes to confirm that the secure-setting opt-in is off, or --dry-run to only look"
    )]
    ConfirmationUnavailable,

    #[error("verification failed after the revert: {}", crate::finding::joined(.0))]
    VerifyFailed(Vec<crate::finding::Found>),

    #[error("still SSE-KMS: {}. Turn the secure-setting opt-in off in the members portal, then revert again", crate::finding::joined(.0))]
    StillSseKms(Vec<crate::finding::Found>),

    #[error(
        "drift since run {since}: {}. If the secure setting came back, turn the opt-in off in the \
         members portal, then revert again",
        crate::finding::joined(found)
    )]
    Drifted {
        since: String,
        found: Vec<crate::finding::Found>,
    },

    #[error("--check and --since go with `run status` (they re-check; they never write)")]
    RecheckNeedsStatus,

    #[error("run {run_id} cannot be undone: {why}")]
    NothingToUndo { run_id: String, why: RunUnfit },

    #[error(
        "KMS key {key} is {state}, so it cannot be put back; nothing was changed. Check the key \
         in the KMS console; an undo can only restore a key that exists and is enabled"
    )]
    KeyUnusable { key: String, state: String },

    #[error(
        "KMS key {key} is not known to be this trail's key: {}; nothing was changed. Check the \
         key and its key policy (`aws kms get-key-policy --key-id {key} --policy-name default`); \
         to put it back anyway, undo again with --force",
        problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
    )]
    KeyUnverified {
        key: String,
        problems: Vec<KeyProblem>,
    },

    #[error(
        "the undo of run {undoes} put back only part of what that run changed: put back: {}; \
         NOT put back: {}", if restored.is_empty() { "nothing".to_string() } else { restored.join(", ") },
        not_restored.join(", ")
    )]
    PartialUndo {
        undoes: String,
        /// What is as before the revert now (put back, or already so).
        restored: Vec<String>,
        /// What is not, each with why (`trail …: deleted since the revert`).
        not_restored: Vec<String>,
    },

    #[error("run {run_id} has no end state to compare with: {why}")]
    NoEndState { run_id: String, why: RunUnfit },

    #[error(
        "KMS key {key} is scheduled for deletion, so it cannot be used again; nothing was \
         changed. Cancel the deletion first (`aws kms cancel-key-deletion --key-id {key}`, then \
         `aws kms enable-key --key-id {key}`), then undo again"
    )]
    KeyPendingDeletion { key: String },

    #[error(
        "KMS key {key} is disabled, so it cannot be used again; nothing was changed. \
         Enable it first (`aws kms enable-key --key-id {key}`), then undo again"
    )]
    KeyDisabled { key: String },

    #[error("run {run_id} was interrupted")]
    Interrupted { run_id: String },

    #[error(
        "another process holds the run lock {}: {}. Only one run at a time may use this state \
         directory; wait for it to finish (the lock is released as soon as that process ends)",
        path.display(),
        holder.as_deref()
            .unwrap_or("the lock file does not say who (a run that is just starting, or an operator's `flock`)")
    )]
    Locked {
        path: PathBuf,
        /// Who holds it, as far as the lock file says (`run …, pid … on …, since …`).
        holder: Option<String>,
    },

    #[error(
        "the credentials for account {expected} act in account {actual} ({caller_arn}); nothing was \
         run there. Check the account id and the role"
    )]
    WrongAccount {
        expected: String,
        actual: String,
        caller_arn: String,
    },

    #[error(
        "cannot reach account {account}: AssumeRole on {role_arn} failed: {detail}\n\
         the role must exist in that account and trust {caller_arn} (see `cloudtrail-revert iam-policy \
         --member-role`); a suspended or closed account cannot be reached"
    )]
    AssumeRoleFailed {
        account: String,
        role_arn: String,
        caller_arn: String,
        /// AWS's code and message as STS answered them (not the SDK's rendering of its error).
        detail: String,
    },

    #[error(
        "AssumeRole on {role_arn} for account {account} was throttled by STS ({detail}); nothing \
         was run there. Resume the batch later, or lower --max-concurrent-accounts"
    )]
    AssumeRoleThrottled {
        account: String,
        role_arn: String,
        /// As `AssumeRoleFailed`'s.
        detail: String,
    },

    #[error(
        "the caller's account is not in an organization (Organizations: \
         AWSOrganizationsNotInUseException), so --organization has no accounts to list; name the \
         accounts with --accounts or --accounts-file instead"
    )]
    OrganizationsNotInUse,

    #[error(
        "{flag} is for {}; nothing was run",
        if *resume {
            "resuming a batch (`resume batch-…`), not a run"
        } else {
            "a batch (--accounts, --accounts-file or --organization), not a single run"
        }
    )]
    FlagNotHonoured {
        flag: String,
        /// On `resume RUN_ID` (else on `run`).
        resume: bool,
    },

    #[error("`{value}` ({origin}) is not an AWS account id: an account id is 12 digits")]
    BadAccountId { value: String, origin: String },

    #[error("the accounts file {path} cannot be read: {source}")]
    AccountsFileUnreadable {
        path: PathBuf,
        source: AccountsFileProblem,
    },

    #[error(
        "{count} accounts are more than one batch runs (at most {max}); nothing was run. Split \
         them into several accounts files and run a batch for each"
    )]
    TooManyAccounts { count: usize, max: usize },

    #[error("no account to run: {why}")]
    NoAccounts { why: NoAccountsWhy },

    #[error("no batch `{batch_id}` in {dir}; see `cloudtrail-revert audit list`")]
    NoSuchBatch { batch_id: String, dir: PathBuf },

    #[error(
        "nothing to resume in batch {batch_id}: every account is done, or ended in a way a resume \
         would not change (see `cloudtrail-revert audit show {batch_id}`)"
    )]
    BatchFinished { batch_id: String },

    #[error(
        "nothing to resume for {} in batch {batch_id}: {} done; still pending: {} (resume them \
         with `cloudtrail-revert resume {batch_id}`, or name them with --accounts)",
        named.join(", "), if named.len() == 1 { "it is" } else { "they are" }, pending.join(", ")
    )]
    BatchAccountsDone {
        batch_id: String,
        /// The accounts `--accounts` named, all done.
        named: Vec<String>,
        /// The batch's accounts a resume would still run.
        pending: Vec<String>,
    },

    #[error("batch {batch_id} was interrupted")]
    BatchInterrupted { batch_id: String },

    #[error(
        "batch {batch_id} was started with --external-id; give it again to resume (it is not \
         recorded)"
    )]
    ExternalIdNeeded { batch_id: String },

    #[error(
        "batch {batch_id}: {failed} of {total} accounts did not finish ({}); \
         resume the batch to finish them",
        accounts_and_outcomes(which)
    )]
    BatchIncomplete {
        batch_id: String,
        failed: usize,
        total: usize,
        /// Each account that did not finish, with its outcome's name (`failed`, `unreachable`…).
        which: Vec<(String, String)>,
    },

    #[error(
        "batch {batch_id}: {failed} of {total} accounts failed in a way a resume would not change \
         ({}); see each account's error, fix it, and start a new batch for those accounts",
        accounts_and_outcomes(which)
    )]
    BatchFailedFinally {
        batch_id: String,
        failed: usize,
        total: usize,
        which: Vec<(String, String)>,
    },

    #[error("no run `{run_id}` in {dir}; see `cloudtrail-revert audit list`")]
    NoSuchRun { run_id: String, dir: PathBuf },

    #[error("no unfinished run in {dir} to resume; see `cloudtrail-revert audit list`")]
    NothingToResume { dir: PathBuf },

    #[error("run {run_id} already finished; nothing to resume. Start a new run instead")]
    AlreadyFinished { run_id: String },

    #[error(
        "run {run_id} cannot be resumed: it failed on something resuming would not change ({error}). \
         Start a new run instead"
    )]
    NotResumable { run_id: String, error: String },

    #[error(
        "{target} changed since the plan was made (planned from {planned}, now {live}); nothing \
         was sent for it. Start a new run to look again and make a new plan"
    )]
    PlanStale {
        target: String,
        planned: String,
        live: String,
    },

    #[error(
        "step {step} sent nothing more: step {beside}, running beside it, stopped first (its \
         error says why); resume the run once that is fixed"
    )]
    NotSentBeside {
        step: crate::journal::step_name::StepName,
        beside: crate::journal::step_name::StepName,
    },

    #[error(
        "run {run_id} was made for account {recorded}, but the current credentials are for account {current}; \
         {}", purpose.advice(recorded)
    )]
    AccountMismatch {
        run_id: String,
        recorded: String,
        current: String,
        /// What the run was wanted for: the advice differs.
        purpose: RunPurpose,
    },

    #[error("audit log {}, line {line}: {problem}", path.display())]
    AuditCorrupt {
        path: PathBuf,
        line: usize,
        problem: crate::problem::Problem,
    },

    #[error("run state {} is corrupt: {problem}; the audit log beside it is the record of what happened (`cloudtrail-revert audit verify`)", path.display())]
    StateCorrupt { path: PathBuf, problem: String },

    #[error(
        "run state {} disagrees with the audit log beside it in `{field}`; the log is the record \
         and the state file only its cache, so nothing was done. Check who edited it \
         (`cloudtrail-revert audit verify` shows the log)", path.display()
    )]
    StateMismatch { path: PathBuf, field: String },

    #[error(
        "audit log {} was written by tool version {tool_version} in journal format {format}; this \
         tool ({}) reads format {reads}. Use tool version {tool_version} to review or resume that run",
        path.display(), env!("CARGO_PKG_VERSION")
    )]
    JournalFormat {
        path: PathBuf,
        format: u64,
        tool_version: String,
        reads: u32,
    },

    #[error(
        "internal error: the run tried to record an event that may not come now ({problem}); \
         nothing was written for it. Please report this; the run can be resumed"
    )]
    IllegalEvent { problem: String },

    #[error("refusing to use {}: it {problem}. Run files are only ever this user's own regular files and folders; move it away and try again", path.display())]
    UnsafePath { path: PathBuf, problem: PathProblem },

    #[error("refusing to write {}: it {problem}. Choose another file for --out", path.display())]
    UnsafeOutput { path: PathBuf, problem: PathProblem },

    #[error("refusing to use {}: other users can write to this folder (mode {mode:o}), so they could plant, rename or replace runs in it. Make it private: chmod 700 {}", path.display(), path.display())]
    UnsafeStateDir { path: PathBuf, mode: u32 },

    #[error("{} exists already; give --force to replace it (it keeps its mode), or choose another file", path.display())]
    OutputExists { path: PathBuf },

    #[error("fixture {}: {problem}", path.display())]
    Fixture { path: PathBuf, problem: String },

    #[error("--replay {name}: a name is a recorded scenario under fixtures/ in a checkout of the tool; here give the scenario's folder as a path, e.g. --replay ./{name}")]
    ReplayNeedsPath { name: String },

    #[error("no state directory: neither XDG_STATE_HOME nor HOME is set to an absolute path; give --state-dir DIR (or RUNBOOK_STATE_DIR)")]
    NoStateDir,

    #[error("the state directory {} cannot be created: {source}; give a folder you can write to with --state-dir DIR (or RUNBOOK_STATE_DIR)", path.display())]
    StateDirUnusable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Why an accounts file cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum AccountsFileProblem {
    #[error("{0}")]
    Io(#[source] std::io::Error),
    #[error("it is not a regular file (a FIFO, a device or a folder)")]
    NotAFile,
    #[error("it is {size} bytes; an accounts file is a list of ids, at most {max} bytes")]
    TooLarge { size: u64, max: u64 },
    /// (The decoder's error says where; the message never did, so it is not kept.)
    #[error("it is not UTF-8 text")]
    NotUtf8,
}

/// An error and its sources, each by its own `Display`, as one line of text for an operator
/// (the SDK's `DisplayErrorContext` adds `Debug` output, which is for developers). A source
/// that an error's own text already quotes is not repeated.
pub fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![err.to_string()];
    let mut source = err.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    parts.join(": ")
}

/// How many accounts an error names before `… and N more` (the summary lists them all).
pub const ACCOUNTS_SHOWN: usize = 20;

/// `111111111111: failed, 222222222222: unreachable`, at most [`ACCOUNTS_SHOWN`] of them.
fn accounts_and_outcomes(which: &[(String, String)]) -> String {
    let mut text = which
        .iter()
        .take(ACCOUNTS_SHOWN)
        .map(|(account, outcome)| format!("{account}: {outcome}"))
        .collect::<Vec<_>>()
        .join(", ");
    if which.len() > ACCOUNTS_SHOWN {
        text.push_str(&format!(", and {} more", which.len() - ACCOUNTS_SHOWN));
    }
    text
}

impl Error {
    pub fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io { path, source }
    }

    /// Whether `resume` could finish a run that failed with this error. Not for bad input, the
    /// operator's "no", or a plan the account no longer matches: those need a new run.
    pub fn is_resumable(&self) -> bool {
        match self {
            // Resumed with --yes or on a terminal, the run goes on.
            Error::ConfirmationUnavailable => true,
            Error::NotConfirmed
            | Error::PlanStale { .. }
            | Error::TrailBucketMissing { .. }
            | Error::AuditCorrupt { .. }
            | Error::StateCorrupt { .. }
            | Error::StateMismatch { .. }
            | Error::BatchFailedFinally { .. }
            | Error::PartialUndo { .. } => false,
            other => !other.is_usage(),
        }
    }

    /// Whether the error is the operator's input or environment (exit code 2) rather than a
    /// failure met while running (exit code 1).
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            Error::NoCredentials { .. }
                | Error::UnknownProfile { .. }
                | Error::ProfileFilesUnreadable { .. }
                | Error::UnknownRegion { .. }
                | Error::NoRegionSelected
                | Error::TrailNotFound { .. }
                | Error::AmbiguousTrail { .. }
                | Error::OrganizationTrailNotIncluded { .. }
                | Error::NoSuchRun { .. }
                | Error::NothingToResume { .. }
                | Error::AlreadyFinished { .. }
                | Error::NotResumable { .. }
                | Error::NothingToUndo { .. }
                | Error::RecheckNeedsStatus
                | Error::KeyPendingDeletion { .. }
                | Error::KeyDisabled { .. }
                | Error::KeyUnusable { .. }
                | Error::KeyUnverified { .. }
                | Error::NoEndState { .. }
                | Error::JournalFormat { .. }
                | Error::UnsafePath { .. }
                | Error::UnsafeOutput { .. }
                | Error::UnsafeStateDir { .. }
                | Error::OutputExists { .. }
                | Error::AccountMismatch { .. }
                | Error::Locked { .. }
                | Error::ConfirmationUnavailable
                | Error::Fixture { .. }
                | Error::ReplayNeedsPath { .. }
                | Error::NoStateDir
                | Error::StateDirUnusable { .. }
                | Error::WrongAccount { .. }
                | Error::BadAccountId { .. }
                | Error::AccountsFileUnreadable { .. }
                | Error::NoAccounts { .. }
                | Error::TooManyAccounts { .. }
                | Error::NoSuchBatch { .. }
                | Error::BatchFinished { .. }
                | Error::BatchAccountsDone { .. }
                | Error::ExternalIdNeeded { .. }
                | Error::OrganizationsNotInUse
                | Error::FlagNotHonoured { .. }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An error built from another keeps it as its source, and says its text once.
    #[test]
    fn profile_files_unreadable_keeps_its_cause() {
        let cause = std::io::Error::new(std::io::ErrorKind::InvalidData, "line 1: no `]`");
        let err = Error::ProfileFilesUnreadable {
            source: Box::new(cause),
        };
        let source = std::error::Error::source(&err).expect("the cause is kept");
        assert!(source.downcast_ref::<std::io::Error>().is_some());
        let text = "the AWS profile files cannot be read: line 1: no `]`; fix or move them \
                    (AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE)";
        assert_eq!(err.to_string(), text);
        assert_eq!(error_chain(&err), text);
    }
}
