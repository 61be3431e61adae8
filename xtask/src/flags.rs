//! Every flag of every command, in one place.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "cargo xtask",
    bin_name = "cargo xtask",
    about = "Revert the CloudTrail secure setting of an AWS account, audited and resumable",
    version,
    after_help = examples::TOP
)]
pub struct Xtask {
    #[command(subcommand)]
    pub command: Command,
    /// Show each AWS call, each SDK attempt and retry on stderr (no credentials, signatures or
    /// bodies).
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// Colour in human output: `auto` on a terminal unless NO_COLOR is set (SSE-KMS and enabled
    /// in red, SSE-S3, disabled and done in green), `always`, or `never`.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorWhen::Auto, global = true)]
    pub color: ColorWhen,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorWhen {
    Auto,
    Always,
    Never,
}

impl ColorWhen {
    /// Told to `anstream`, whose stdout and stderr then keep or strip the styles `render` writes.
    pub fn apply(self) {
        anstream::ColorChoice::write_global(match self {
            ColorWhen::Auto => anstream::ColorChoice::Auto,
            ColorWhen::Always => anstream::ColorChoice::Always,
            ColorWhen::Never => anstream::ColorChoice::Never,
        });
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a runbook: `revert` changes the account, `status` only looks.
    #[command(after_help = examples::RUN)]
    Run(RunFlags),
    /// Continue an interrupted or failed run from its first unfinished step.
    #[command(after_help = examples::RESUME)]
    Resume(ResumeFlags),
    /// Undo a revert run: put back the trail's key and the bucket's rules its journal recorded.
    #[command(after_help = examples::UNDO)]
    Undo(UndoFlags),
    /// Review audit trails: list runs, show one, verify its hash chain, make its evidence page.
    #[command(after_help = examples::AUDIT)]
    Audit(AuditFlags),
    /// [developer] Record, seed and inspect the HTTP fixtures used for offline tests.
    #[command(after_help = examples::FIXTURES)]
    Fixtures(FixturesFlags),
    /// [developer] Measure `run status` and `run revert` against a local moto server.
    #[command(after_help = examples::BENCH)]
    Bench(BenchFlags),
    /// [developer] Print the least-privilege IAM policy a runbook needs (JSON), narrowed to the
    /// trail and bucket.
    #[command(after_help = examples::IAM_POLICY)]
    IamPolicy(IamPolicyFlags),
    /// [developer] Build the release binary for x86_64 Linux and pack it with its checksum.
    Dist(crate::dist::DistFlags),
    /// [developer] Run every test (installs moto[server] with pip if it is missing).
    #[command(after_help = examples::TEST)]
    Test {
        /// Passed on to `cargo test`: a test name filter, `--`, test binary flags.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

/// The examples each command's `--help` ends with: the article's three moves (status, dry run,
/// revert), then resume, undo and the audit.
mod examples {
    pub const TOP: &str = "\
Examples (an operator needs run, resume, undo and audit; [developer] commands maintain the tool):
  cargo xtask run status --profile my-account             # the article's check; writes nothing
  cargo xtask run revert --profile my-account --dry-run   # every write it would make, made none
  cargo xtask run revert --profile my-account             # shows the plan, asks, reverts, verifies
  cargo xtask resume                                      # continue the latest unfinished run
  cargo xtask undo RUN_ID --profile my-account            # put back what that revert changed
  cargo xtask audit show RUN_ID --writes                  # what a run wrote, before -> after
  cargo xtask audit verify RUN_ID --expect-hash HASH      # the log is intact and ends in HASH

Each command has its own --help, with examples.";

    pub const RUN: &str = "\
Examples:
  cargo xtask run status --profile my-account             # the article's check; writes nothing
  cargo xtask run revert --profile my-account --dry-run   # every write it would make, made none
  cargo xtask run revert --profile my-account             # shows the plan, asks, reverts, verifies
  cargo xtask run status --profile my-account --check     # weekly re-check: exit 3 if SSE-KMS is back
  cargo xtask run revert --replay secure-account --yes    # offline, on a recorded account
  cargo xtask run revert --profile mgmt --organization    # every account of the organization, one question
  cargo xtask run revert --profile mgmt --accounts-file accounts.txt --role-name Ops --external-id X";

    pub const RESUME: &str = "\
Examples:
  cargo xtask resume                   # the latest unfinished run
  cargo xtask resume RUN_ID --yes      # that run, confirming if it had not been confirmed yet
  cargo xtask resume BATCH_ID          # the accounts of that batch that did not finish
  cargo xtask resume RUN_ID --expect-hash HASH   # only if its log ends in HASH (the final hash it printed)
(A failed run prints its exact resume command, with every flag it needs.)";

    pub const UNDO: &str = "\
Examples:
  cargo xtask audit list                                  # find the revert's RUN_ID
  cargo xtask undo RUN_ID --profile my-account --dry-run  # what would be put back
  cargo xtask undo RUN_ID --profile my-account            # put it back, after asking
  cargo xtask undo RUN_ID --expect-hash HASH --profile my-account   # only if that run's log ends in HASH";

    pub const AUDIT: &str = "\
Examples:
  cargo xtask audit list                                  # runs, with their final hashes
  cargo xtask audit show RUN_ID --writes                  # just the writes: before -> after, outcome
  cargo xtask audit verify RUN_ID --expect-hash HASH      # exit 1 unless the log is intact and ends in HASH
  cargo xtask audit report RUN_ID --lang ja               # the evidence page (runs/RUN_ID/report.html)";

    pub const AUDIT_LIST: &str = "\
Examples:
  cargo xtask audit list
  cargo xtask audit list --output json";

    pub const AUDIT_SHOW: &str = "\
Examples:
  cargo xtask audit show                    # the latest run's timeline
  cargo xtask audit show RUN_ID --writes    # just that run's writes";

    pub const AUDIT_VERIFY: &str = "\
Examples:
  cargo xtask audit verify                             # the latest run
  cargo xtask audit verify RUN_ID --expect-hash HASH   # and that it ends in the hash from the ticket";

    pub const AUDIT_REPORT: &str = "\
Examples:
  cargo xtask audit report                           # the latest run, runs/RUN_ID/report.html
  cargo xtask audit report RUN_ID --lang ja --out evidence.html";

    pub const FIXTURES: &str = "\
Examples:
  cargo xtask fixtures list
  cargo xtask fixtures refresh --only secure-account
  cargo xtask fixtures seed --endpoint-url http://127.0.0.1:5000
  cargo xtask fixtures record my-scenario -- revert --yes --endpoint-url http://127.0.0.1:5000";

    pub const FIXTURES_RECORD: &str = "\
Example:
  cargo xtask fixtures record my-scenario --description \"…\" -- revert --yes --endpoint-url http://127.0.0.1:5000";

    pub const FIXTURES_SEED: &str = "\
Example:
  cargo xtask fixtures seed --endpoint-url http://127.0.0.1:5000 --scenario secure-account";

    pub const FIXTURES_LIST: &str = "\
Example:
  cargo xtask fixtures list";

    pub const FIXTURES_REFRESH: &str = "\
Examples:
  cargo xtask fixtures refresh
  cargo xtask fixtures refresh --only secure-account";

    pub const BENCH: &str = "\
Examples:
  cargo xtask bench
  cargo xtask bench --latency-ms 100 --baseline
  cargo xtask bench --accounts 10 --latency-ms 200 --runs 1   # ten accounts side by side vs one";

    pub const IAM_POLICY: &str = "\
Examples:
  cargo xtask iam-policy                                   # for revert, any trail named Members
  cargo xtask iam-policy --runbook status                  # the read-only check
  cargo xtask iam-policy --trail-arn arn:aws:cloudtrail:ap-northeast-1:123456789012:trail/Members \\
    --bucket cm-members-cloudtrail-123456789012";

    pub const TEST: &str = "\
Examples:
  cargo xtask test                    # every test
  cargo xtask test replay             # the tests whose name contains `replay`";
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum RunbookName {
    /// Turn off the trail's SSE-KMS and set its bucket to SSE-S3, checked before and after.
    Revert,
    /// The article's check, read-only: each region's trail encryption and the bucket's.
    Status,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Output {
    Human,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Lang {
    En,
    Ja,
}

/// How to reach AWS, and where runs are kept: shared by `run` and `resume`.
#[derive(Debug, Args, Clone)]
pub struct Connection {
    /// Named profile from ~/.aws/config or ~/.aws/credentials: its credentials alone are used, even
    /// when AWS_ACCESS_KEY_ID is set (as the AWS CLI does).
    #[arg(long, env = "AWS_PROFILE", global = true)]
    pub profile: Option<String>,
    /// Region for account-wide calls (STS, EC2 DescribeRegions); default: the profile's, else ap-northeast-1.
    #[arg(long, global = true)]
    pub region: Option<String>,
    /// Send every call to this endpoint (e.g. a local moto server); S3 then uses path-style addressing.
    #[arg(long, env = "AWS_ENDPOINT_URL", value_parser = endpoint_url, global = true)]
    pub endpoint_url: Option<String>,
    /// Replay a recorded scenario instead of calling AWS (no credentials, no network): a name under
    /// fixtures/, or a path. Profile and endpoint are then ignored.
    #[arg(long, value_name = "SCENARIO", global = true)]
    pub replay: Option<String>,
    /// Where runs (audit logs, state) are kept; default: runs/ at the workspace root.
    #[arg(long, env = "RUNBOOK_STATE_DIR", global = true)]
    pub state_dir: Option<PathBuf>,
    /// At most this many AWS calls in flight during the per-region scans (40 covers every region
    /// AWS has today in one round trip; each region is its own endpoint).
    #[arg(long, default_value_t = Connection::DEFAULT_CONCURRENCY, value_parser = clap::value_parser!(u16).range(1..=64), global = true)]
    pub concurrency: u16,
}

impl Connection {
    pub const DEFAULT_CONCURRENCY: u16 = 40;
}

/// How results are shown: shared by `run`, `resume` and `audit`.
#[derive(Debug, Args, Clone)]
pub struct Display {
    /// `human` (tables, plan, summary) or `json` (one JSON document on stdout).
    #[arg(long, value_enum, default_value_t = Output::Human, global = true)]
    pub output: Output,
    /// Language of human output; `ja` prints the article's own wording (`ap-northeast-1: 有効`). Default from LANG.
    #[arg(long, value_enum, global = true)]
    pub lang: Option<Lang>,
}

#[derive(Debug, Args)]
pub struct RunFlags {
    #[arg(value_enum)]
    pub runbook: RunbookName,
    /// The trail: a name or a trail ARN. Repeatable; when one name answers for several trails
    /// (single-region trails of that name in several regions), name each by ARN.
    #[arg(long = "trail", value_name = "NAME|ARN", default_value = "Members")]
    pub trails: Vec<String>,
    /// Scan only these regions (comma separated). A trail homed elsewhere is not changed.
    #[arg(long, value_delimiter = ',', value_name = "REGION,...")]
    pub regions: Option<Vec<String>>,
    /// Do not scan this region, and do not change a trail homed there (repeatable).
    #[arg(long = "exclude-region", value_name = "REGION")]
    pub exclude_regions: Vec<String>,
    /// Confirm without asking: the secure-setting opt-in is already off, and the plan may be applied.
    #[arg(long)]
    pub yes: bool,
    /// Show every write the revert would make (operation, region, parameters) and make none.
    #[arg(long)]
    pub dry_run: bool,
    /// In the organization's management account: revert its organization trails too (this
    /// changes the logs of every member account). Without it, such a revert is refused.
    #[arg(long)]
    pub include_organization_trail: bool,
    /// With `status`: exit 3 when a trail that may be changed from here, or its bucket, is
    /// SSE-KMS (for a weekly re-check from cron or CI).
    #[arg(long)]
    pub check: bool,
    /// With `status`: compare with the end state the revert run RUN_ID reached (`latest`: the
    /// latest revert), naming each drift; exit 3 on any. With a batch, each account is compared
    /// with its own: `latest`, its run of a batch BATCH_ID, or the run RUN_ID in its folder.
    #[arg(long, value_name = "RUN_ID|BATCH_ID|latest")]
    pub since: Option<String>,
    #[command(flatten)]
    pub batch: BatchFlags,
    #[command(flatten)]
    pub connection: Connection,
    #[command(flatten)]
    pub display: Display,
}

/// Many accounts in one command: each account its own run (in `<state-dir>/accounts/<id>/`),
/// grouped by a batch; one question for all of them.
#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "Many accounts")]
pub struct BatchFlags {
    /// Run in these accounts (12-digit ids, comma separated, repeatable), each reached with
    /// STS AssumeRole on `--role-name`; the caller's own account uses its credentials as they are.
    #[arg(long, value_delimiter = ',', value_name = "ID,...")]
    pub accounts: Vec<String>,
    /// Run in the accounts listed in FILE: one account id per line, `#` starts a comment,
    /// blank lines are ignored (repeatable).
    #[arg(long = "accounts-file", value_name = "FILE")]
    pub accounts_files: Vec<PathBuf>,
    /// Run in every ACTIVE account of the organization (Organizations ListAccounts, from the
    /// management account or a delegated administrator).
    #[arg(long, conflicts_with_all = ["accounts", "accounts_files"])]
    pub organization: bool,
    /// Leave this account out (repeatable).
    #[arg(long = "exclude-account", value_name = "ID")]
    pub exclude_accounts: Vec<String>,
    // The three defaulted batch flags are options (their defaults resolved by the methods
    // below), so that a single run can tell one was given, even at its default, and refuse it.
    /// The role assumed in each member account [default: OrganizationAccountAccessRole].
    #[arg(long, value_name = "NAME")]
    pub role_name: Option<String>,
    /// The external id the member roles' trust policy requires (never recorded).
    #[arg(long, value_name = "ID")]
    pub external_id: Option<String>,
    /// At most this many accounts checked or written at once [default: 8].
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub max_concurrent_accounts: Option<u16>,
    /// Stop starting new accounts once this many have failed in this attempt (at least 1;
    /// default: never stop). A resume counts its own failures only, and starts the accounts
    /// that never ran before it retries those that failed.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_errors: Option<u32>,
    /// At most this many AWS calls in flight across the whole batch (each account's region
    /// fan-out is also bounded by --concurrency) [default: 128].
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub max_calls_in_flight: Option<u16>,
}

impl BatchFlags {
    pub const DEFAULT_MAX_CONCURRENT_ACCOUNTS: u16 = 8;
    pub const DEFAULT_MAX_CALLS_IN_FLIGHT: u16 = 128;

    pub fn is_batch(&self) -> bool {
        !self.accounts.is_empty() || !self.accounts_files.is_empty() || self.organization
    }

    pub fn role_name(&self) -> &str {
        self.role_name
            .as_deref()
            .unwrap_or(runbook::batch::DEFAULT_ROLE_NAME)
    }

    pub fn max_concurrent_accounts(&self) -> u16 {
        self.max_concurrent_accounts
            .unwrap_or(Self::DEFAULT_MAX_CONCURRENT_ACCOUNTS)
    }

    pub fn max_calls_in_flight(&self) -> u16 {
        self.max_calls_in_flight
            .unwrap_or(Self::DEFAULT_MAX_CALLS_IN_FLIGHT)
    }
}

#[derive(Debug, Args)]
pub struct UndoFlags {
    /// The revert run to undo (see `cargo xtask audit list`).
    pub run_id: String,
    /// Put back also what changed since that run (default: report it and leave it alone).
    #[arg(long)]
    pub force: bool,
    /// Confirm without asking.
    #[arg(long)]
    pub yes: bool,
    /// Show every write the undo would make, and make none.
    #[arg(long)]
    pub dry_run: bool,
    /// Refuse (exit 1, before any AWS call) unless the run to undo ends in this hash (its
    /// `Final hash`, kept in the change ticket): the chain alone cannot show a log rewritten whole.
    #[arg(long, value_name = "HASH")]
    pub expect_hash: Option<String>,
    #[command(flatten)]
    pub connection: Connection,
    #[command(flatten)]
    pub display: Display,
}

#[derive(Debug, Args)]
pub struct ResumeFlags {
    /// The run to continue, or a batch (`batch-…`: its accounts that did not finish);
    /// default: the latest unfinished run.
    pub run_id: Option<String>,
    /// Confirm without asking, if the run had not been confirmed yet.
    #[arg(long)]
    pub yes: bool,
    /// With a batch: resume only these of its accounts (comma separated, repeatable).
    #[arg(long, value_delimiter = ',', value_name = "ID,...")]
    pub accounts: Vec<String>,
    /// With a batch started with --external-id: the same external id.
    #[arg(long, value_name = "ID")]
    pub external_id: Option<String>,
    /// With a batch: at most this many AWS calls in flight across the batch [default: 128].
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub max_calls_in_flight: Option<u16>,
    /// Refuse (exit 1, before any AWS call) unless the run (or the batch journal) to resume ends
    /// in this hash (the `Final hash` printed when it stopped).
    #[arg(long, value_name = "HASH")]
    pub expect_hash: Option<String>,
    #[command(flatten)]
    pub connection: Connection,
    #[command(flatten)]
    pub display: Display,
}

#[derive(Debug, Args)]
pub struct AuditFlags {
    #[command(subcommand)]
    pub command: AuditCommand,
    /// Where runs are kept; default: runs/ at the workspace root.
    #[arg(long, env = "RUNBOOK_STATE_DIR", global = true)]
    pub state_dir: Option<PathBuf>,
    #[command(flatten)]
    pub display: Display,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Runs with id, runbook, account, status, start, duration and final hash.
    #[command(after_help = examples::AUDIT_LIST)]
    List,
    /// A readable timeline of one run (default: the latest).
    #[command(after_help = examples::AUDIT_SHOW)]
    Show {
        /// The run (see `audit list`); default: the latest.
        run_id: Option<String>,
        /// Only the writes: each attempt's operation, target, before → after, and outcome.
        #[arg(long)]
        writes: bool,
    },
    /// Check the hash chain, sequence and completeness of a run's audit log (default: the latest).
    #[command(after_help = examples::AUDIT_VERIFY)]
    Verify {
        /// The run (see `audit list`); default: the latest.
        run_id: Option<String>,
        /// Exit 1 unless the log ends in this hash (the `Final hash` printed at the end of the
        /// run, kept in a change ticket): the chain alone cannot show a log rewritten whole.
        #[arg(long, value_name = "HASH")]
        expect_hash: Option<String>,
    },
    /// The run's evidence as one HTML page to look at, print (A4) and file (default: the
    /// latest run); in the language of `--lang`.
    #[command(after_help = examples::AUDIT_REPORT)]
    Report {
        /// The run (see `audit list`); default: the latest.
        run_id: Option<String>,
        /// Where to write it (a file outside the state directory); default: report.html in
        /// the run's folder.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Replace the --out file if it exists (it keeps its mode).
        #[arg(long, requires = "out")]
        force: bool,
    },
}

#[derive(Debug, Args)]
pub struct FixturesFlags {
    #[command(subcommand)]
    pub command: FixturesCommand,
}

#[derive(Debug, Subcommand)]
pub enum FixturesCommand {
    /// Run a runbook against real AWS (or --endpoint-url) and record its traffic as fixtures/<scenario>/.
    #[command(after_help = examples::FIXTURES_RECORD)]
    Record {
        /// The scenario's name: the traffic goes to fixtures/<SCENARIO>/traffic.json (an existing one
        /// is replaced; its description is kept unless --description is given).
        scenario: String,
        /// A one-paragraph description of the account the scenario shows.
        #[arg(long)]
        description: Option<String>,
        /// The `run` arguments, after `--`: e.g. `-- revert --yes --endpoint-url http://127.0.0.1:5000`.
        #[arg(last = true, required = true)]
        run_args: Vec<String>,
    },
    /// Build the secure-account scenario (the article's starting point) on a moto server.
    #[command(after_help = examples::FIXTURES_SEED)]
    Seed {
        #[arg(long, env = "AWS_ENDPOINT_URL", value_parser = endpoint_url)]
        endpoint_url: String,
        /// Another moto-made scenario instead (see `fixtures list`).
        #[arg(long, default_value = "secure-account")]
        scenario: String,
    },
    /// List the recorded scenarios with their descriptions.
    #[command(after_help = examples::FIXTURES_LIST)]
    List,
    /// Rebuild every scenario offline: record the moto-made ones against fresh moto servers,
    /// then derive the hand-edited ones from them.
    #[command(after_help = examples::FIXTURES_REFRESH)]
    Refresh {
        /// Only this scenario.
        #[arg(long)]
        only: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct BenchFlags {
    /// Runs per measurement (the median is reported).
    #[arg(long, default_value_t = 5)]
    pub runs: usize,
    /// Extra delay per AWS call, in milliseconds (0: none), to model a far region's round trip.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// At most this many AWS calls in flight during the per-region scans.
    #[arg(long, default_value_t = 40)]
    pub concurrency: usize,
    /// Also time the article's shell procedure (AWS CLI v1) on the same server.
    #[arg(long)]
    pub baseline: bool,
    /// Instead: time one batch `run revert` over N accounts (the caller's own and N-1 member
    /// accounts reached by AssumeRole) against a batch of the caller's account alone; fails if
    /// N accounts take more than 3× the wall time of one, or an account assumed its role twice.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=999))]
    pub accounts: Option<u16>,
    /// With --accounts: at most this many accounts checked or written at once.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub max_concurrent_accounts: u16,
    /// With --accounts: at most this many AWS calls in flight across the batch.
    #[arg(long, default_value_t = 128, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub max_calls_in_flight: u16,
}

/// An endpoint must be an http(s) URL with a host: checked while parsing, so that a typo is a
/// usage error before any call (the SDK would fail deep inside the request instead).
fn endpoint_url(text: &str) -> Result<String, String> {
    let not_a_url =
        || "not a URL: give the scheme and host, e.g. http://127.0.0.1:5000".to_string();
    let uri: http::Uri = text.parse().map_err(|_| not_a_url())?;
    let scheme_ok = matches!(uri.scheme_str(), Some("http" | "https"));
    let host_ok = uri.host().is_some_and(|h| !h.is_empty());
    if scheme_ok && host_ok {
        Ok(text.to_string())
    } else {
        Err(not_a_url())
    }
}

#[derive(Debug, Args)]
pub struct IamPolicyFlags {
    /// The runbook to grant: `status` gets the read actions only.
    #[arg(long, value_enum, default_value_t = RunbookName::Revert)]
    pub runbook: RunbookName,
    /// The trail's ARN: cloudtrail:UpdateTrail is granted on it alone (default: any trail named
    /// Members); its partition is the policy's.
    #[arg(long, value_name = "ARN", value_parser = trail_arn)]
    pub trail_arn: Option<String>,
    /// The trail's bucket: the S3 bucket actions are granted on it alone (default:
    /// cm-members-cloudtrail-*).
    #[arg(long, value_name = "NAME", value_parser = bucket_name)]
    pub bucket: Option<String>,
    /// For a batch: the member role each account needs (its name, its trust policy and its
    /// permissions, which are the runbook's).
    #[arg(long, conflicts_with = "batch_caller")]
    pub member_role: bool,
    /// For a batch: what the caller needs besides (sts:AssumeRole on the member role in every
    /// account, organizations:ListAccounts for --organization).
    #[arg(long)]
    pub batch_caller: bool,
    /// The member role's name.
    #[arg(long, value_name = "NAME", default_value = runbook::batch::DEFAULT_ROLE_NAME)]
    pub role_name: String,
    /// Who may assume the member role (an IAM role or user ARN; default: the management
    /// account's root, i.e. any principal of it that its own policies allow).
    #[arg(long, value_name = "ARN")]
    pub trusted: Option<String>,
    /// Require this external id in the trust policy (as `--external-id` sends it).
    #[arg(long, value_name = "ID")]
    pub external_id: Option<String>,
}

/// `arn:PARTITION:cloudtrail:REGION:ACCOUNT:trail/NAME`, checked while parsing.
fn trail_arn(text: &str) -> Result<String, String> {
    let parts: Vec<&str> = text.splitn(6, ':').collect();
    let ok = parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == "cloudtrail"
        && !parts[3].is_empty()
        && parts[4].len() == 12
        && parts[4].bytes().all(|b| b.is_ascii_digit())
        && parts[5]
            .strip_prefix("trail/")
            .is_some_and(|n| !n.is_empty());
    if ok {
        Ok(text.to_string())
    } else {
        Err("not a trail ARN: give arn:aws:cloudtrail:REGION:ACCOUNT:trail/NAME".into())
    }
}

/// An S3 bucket name (3-63 lowercase letters, digits, dots, hyphens), or a pattern with `*`.
fn bucket_name(text: &str) -> Result<String, String> {
    let ok = (3..=63).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-.*".contains(&b));
    if ok {
        Ok(text.to_string())
    } else {
        Err("not an S3 bucket name (3-63 lowercase letters, digits, dots, hyphens)".into())
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// Every command's `--help`, subcommands included, ends with its examples.
    #[test]
    fn every_help_ends_with_examples() {
        fn walk(cmd: &mut clap::Command, path: &str, seen: &mut Vec<String>) {
            let help = cmd.render_long_help().to_string();
            let tail = help.rsplit_once("Example").map(|(_, t)| t);
            assert!(tail.is_some(), "{path} --help has no examples:\n{help}");
            assert!(
                help.contains(
                    &format!("cargo xtask {path}")
                        .replace("  ", " ")
                        .trim()
                        .to_string()
                ),
                "{path} --help shows no example of itself:\n{help}"
            );
            seen.push(path.to_string());
            for sub in cmd.get_subcommands_mut() {
                if sub.get_name() == "help" {
                    continue;
                }
                let path = format!("{path} {}", sub.get_name()).trim().to_string();
                walk(sub, &path, seen);
            }
        }
        let mut cmd = super::Xtask::command();
        cmd.build();
        let mut seen = Vec::new();
        walk(&mut cmd, "", &mut seen);
        assert!(seen.len() >= 16, "{seen:?}");
    }

    /// The top help shows the article's three moves, resume, undo and audit, and keeps the
    /// developer commands apart.
    #[test]
    fn the_top_help_teaches_the_three_moves() {
        let help = super::Xtask::command().render_long_help().to_string();
        for example in [
            "cargo xtask run status --profile my-account",
            "cargo xtask run revert --profile my-account --dry-run",
            "cargo xtask run revert --profile my-account ",
            "cargo xtask resume",
            "cargo xtask undo RUN_ID",
            "cargo xtask audit verify RUN_ID --expect-hash HASH",
        ] {
            assert!(help.contains(example), "{example}:\n{help}");
        }
        let position = |name: &str| help.find(&format!("\n  {name} ")).unwrap();
        for developer in ["fixtures", "bench", "iam-policy", "test"] {
            assert!(help.contains(&format!("\n  {developer} ")), "{help}");
            for operator in ["run", "resume", "undo", "audit"] {
                assert!(position(operator) < position(developer), "{help}");
            }
        }
    }
}
