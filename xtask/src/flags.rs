//! Every flag of every command, in one place.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "cargo xtask",
    bin_name = "cargo xtask",
    about = "Revert the CloudTrail secure setting of an AWS account, audited and resumable",
    version
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
    Run(RunFlags),
    /// Continue an interrupted or failed run from its first unfinished step.
    Resume(ResumeFlags),
    /// Undo a revert run: put back the trail's key and the bucket's rules its journal recorded.
    Undo(UndoFlags),
    /// Review audit trails: list runs, show one, verify its hash chain.
    Audit(AuditFlags),
    /// Record, seed and inspect the HTTP fixtures used for offline tests.
    Fixtures(FixturesFlags),
    /// Measure `run status` and `run revert` against a local moto server.
    Bench(BenchFlags),
    /// Print the least-privilege IAM policy a runbook needs (JSON), narrowed to the trail and bucket.
    IamPolicy(IamPolicyFlags),
    /// Run every test (installs moto[server] with pip if it is missing); extra arguments go to `cargo test`.
    Test {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
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
    /// With `status`: compare with the end state the revert run RUN_ID reached, naming each
    /// drift; exit 3 on any.
    #[arg(long, value_name = "RUN_ID")]
    pub since: Option<String>,
    #[command(flatten)]
    pub connection: Connection,
    #[command(flatten)]
    pub display: Display,
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
    #[command(flatten)]
    pub connection: Connection,
    #[command(flatten)]
    pub display: Display,
}

#[derive(Debug, Args)]
pub struct ResumeFlags {
    /// The run to continue; default: the latest unfinished one.
    pub run_id: Option<String>,
    /// Confirm without asking, if the run had not been confirmed yet.
    #[arg(long)]
    pub yes: bool,
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
    /// Runs with id, runbook, account, status, start and duration.
    List,
    /// A readable timeline of one run (default: the latest).
    Show {
        /// The run (see `audit list`); default: the latest.
        run_id: Option<String>,
        /// Only the writes: each attempt's operation, target, before → after, and outcome.
        #[arg(long)]
        writes: bool,
    },
    /// Check the hash chain, sequence and completeness of a run's audit log (default: the latest).
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
    Report {
        /// The run (see `audit list`); default: the latest.
        run_id: Option<String>,
        /// Where to write it; default: report.html in the run's folder.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
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
    Record {
        scenario: String,
        /// A one-paragraph description of the account the scenario shows.
        #[arg(long)]
        description: Option<String>,
        /// The `run` arguments, after `--`: e.g. `-- revert --yes --endpoint-url http://127.0.0.1:5000`.
        #[arg(last = true, required = true)]
        run_args: Vec<String>,
    },
    /// Build the secure-account scenario (the article's starting point) on a moto server.
    Seed {
        #[arg(long, env = "AWS_ENDPOINT_URL", value_parser = endpoint_url)]
        endpoint_url: String,
        /// Another moto-made scenario instead (see `fixtures list`).
        #[arg(long, default_value = "secure-account")]
        scenario: String,
    },
    /// List the recorded scenarios with their descriptions.
    List,
    /// Rebuild every scenario offline: record the moto-made ones against fresh moto servers,
    /// then derive the hand-edited ones from them.
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
