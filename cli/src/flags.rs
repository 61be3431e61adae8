//! Every flag of every operator command, in one place: clap types only. They are lowered once
//! into [`crate::settings::Settings`] (what every command reads); nothing else parses argv.

use std::path::PathBuf;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "cloudtrail-revert",
    bin_name = "cloudtrail-revert",
    about = "Revert the CloudTrail secure setting of an AWS account, audited and resumable",
    version,
    after_help = examples::TOP
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    #[command(flatten)]
    pub globals: Globals,
}

/// The flags every command takes, the workshop's too (`cargo xtask`).
#[derive(Debug, Args)]
pub struct Globals {
    /// Show each AWS call, each SDK attempt and retry on stderr (no credentials, signatures or
    /// bodies).
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// Colour in human output: `auto` on a terminal unless NO_COLOR is set (SSE-KMS and enabled
    /// in red, SSE-S3, disabled and done in green), `always`, or `never`.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorWhen::Auto, global = true)]
    pub color: ColorWhen,
}

impl Globals {
    /// Said once, before anything is shown: colour, and `-v`'s subscriber.
    pub fn apply(&self) {
        self.color.apply();
        if self.verbose {
            crate::verbose::install();
        }
    }
}

/// The clap command, its usage, help and examples naming `program`, the command the operator
/// actually ran (`cloudtrail-revert`, or `cargo xtask` in a checkout).
pub fn command(program: &'static str) -> clap::Command {
    fn rename(cmd: clap::Command, program: &'static str) -> clap::Command {
        let cmd = match cmd.get_after_help() {
            Some(help) => {
                let help = help
                    .to_string()
                    .replace("cloudtrail-revert ", &format!("{program} "));
                cmd.after_help(help)
            }
            None => cmd,
        };
        let names: Vec<String> = cmd
            .get_subcommands()
            .map(|s| s.get_name().to_string())
            .collect();
        names.iter().fold(cmd, |cmd, name| {
            cmd.mut_subcommand(name, |sub| rename(sub, program))
        })
    }
    rename(Cli::command().name(program).bin_name(program), program)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorWhen {
    Auto,
    Always,
    Never,
}

impl ColorWhen {
    /// Told to `anstream`, whose stdout and stderr then keep or strip the styles `render` writes.
    /// `auto` on a `TERM=dumb` terminal is plain even where `anstream` would colour it because
    /// `CI` is set: a dumb terminal shows escape sequences as text, and the progress display
    /// makes the same decision (`Settings::live_progress`).
    pub fn apply(self) {
        let dumb = std::env::var_os("TERM").is_some_and(|t| t == "dumb")
            && std::env::var_os("CLICOLOR_FORCE").is_none_or(|v| v.is_empty() || v == "0");
        anstream::ColorChoice::write_global(match self {
            ColorWhen::Auto if dumb => anstream::ColorChoice::Never,
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
}

/// The examples each command's `--help` ends with: the article's three moves (status, dry run,
/// revert), then resume, undo and the audit.
mod examples {
    pub const TOP: &str = "\
Examples:
  cloudtrail-revert run status --profile my-account             # the article's check; writes nothing
  cloudtrail-revert run revert --profile my-account --dry-run   # every write it would make, made none
  cloudtrail-revert run revert --profile my-account             # shows the plan, asks, reverts, verifies
  cloudtrail-revert resume                                      # continue the latest unfinished run
  cloudtrail-revert undo RUN_ID --profile my-account            # put back what that revert changed
  cloudtrail-revert audit show RUN_ID --writes                  # what a run wrote, before -> after
  cloudtrail-revert audit verify RUN_ID --expect-hash HASH      # the log is intact and ends in HASH

Each command has its own --help, with examples.";

    pub const RUN: &str = "\
Examples:
  cloudtrail-revert run status --profile my-account             # the article's check; writes nothing
  cloudtrail-revert run revert --profile my-account --dry-run   # every write it would make, made none
  cloudtrail-revert run revert --profile my-account             # shows the plan, asks, reverts, verifies
  cloudtrail-revert run status --profile my-account --check     # weekly re-check: exit 3 if SSE-KMS is back
  cloudtrail-revert run revert --replay fixtures/secure-account --yes   # offline, on a recorded account
  cloudtrail-revert run revert --profile mgmt --organization    # every account of the organization, one question
  cloudtrail-revert run revert --profile mgmt --accounts-file accounts.txt --role-name Ops --external-id X";

    pub const RESUME: &str = "\
Examples:
  cloudtrail-revert resume                   # the latest unfinished run
  cloudtrail-revert resume RUN_ID --yes      # that run, confirming if it had not been confirmed yet
  cloudtrail-revert resume BATCH_ID          # the accounts of that batch that did not finish
  cloudtrail-revert resume RUN_ID --expect-hash HASH   # only if its log ends in HASH (the final hash it printed)
(A failed run prints its exact resume command, with every flag it needs.)";

    pub const UNDO: &str = "\
Examples:
  cloudtrail-revert audit list                                  # find the revert's RUN_ID
  cloudtrail-revert undo RUN_ID --profile my-account --dry-run  # what would be put back
  cloudtrail-revert undo RUN_ID --profile my-account            # put it back, after asking
  cloudtrail-revert undo RUN_ID --expect-hash HASH --profile my-account   # only if that run's log ends in HASH";

    pub const AUDIT: &str = "\
Examples:
  cloudtrail-revert audit list                                  # runs, with their final hashes
  cloudtrail-revert audit show RUN_ID --writes                  # just the writes: before -> after, outcome
  cloudtrail-revert audit verify RUN_ID --expect-hash HASH      # exit 1 unless the log is intact and ends in HASH
  cloudtrail-revert audit report RUN_ID --lang ja               # the evidence page (runs/RUN_ID/report.html)";

    pub const AUDIT_LIST: &str = "\
Examples:
  cloudtrail-revert audit list
  cloudtrail-revert audit list --output json";

    pub const AUDIT_SHOW: &str = "\
Examples:
  cloudtrail-revert audit show                    # the latest run's timeline
  cloudtrail-revert audit show RUN_ID --writes    # just that run's writes";

    pub const AUDIT_VERIFY: &str = "\
Examples:
  cloudtrail-revert audit verify                             # the latest run
  cloudtrail-revert audit verify RUN_ID --expect-hash HASH   # and that it ends in the hash from the ticket";

    pub const AUDIT_REPORT: &str = "\
Examples:
  cloudtrail-revert audit report                           # the latest run, runs/RUN_ID/report.html
  cloudtrail-revert audit report RUN_ID --lang ja --out evidence.html";
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
    /// Replay a recorded scenario instead of calling AWS (no credentials, no network): the
    /// scenario's folder (a path; in a checkout of the tool, also a name under fixtures/).
    /// Profile and endpoint are then ignored.
    #[arg(long, value_name = "SCENARIO", global = true)]
    pub replay: Option<String>,
    /// Where runs (audit logs, state) are kept; default: $XDG_STATE_HOME/cloudtrail-revert, else
    /// ~/.local/state/cloudtrail-revert (in a checkout of the tool: runs/ at its root).
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
    /// The revert run to undo (see `audit list`).
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
    /// Where runs are kept; default: $XDG_STATE_HOME/cloudtrail-revert, else
    /// ~/.local/state/cloudtrail-revert (in a checkout of the tool: runs/ at its root).
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

/// An endpoint must be an http(s) URL with a host: checked while parsing, so that a typo is a
/// usage error before any call (the SDK would fail deep inside the request instead).
pub fn endpoint_url(text: &str) -> Result<String, String> {
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

#[cfg(test)]
mod tests {
    /// Every command's `--help`, subcommands included, ends with its examples, and they name
    /// the program that was run.
    #[test]
    fn every_help_ends_with_examples_of_the_program_run() {
        fn walk(cmd: &mut clap::Command, program: &str, path: &str, seen: &mut Vec<String>) {
            let help = cmd.render_long_help().to_string();
            let tail = help.rsplit_once("Example").map(|(_, t)| t);
            assert!(tail.is_some(), "{path} --help has no examples:\n{help}");
            let example = format!("{program} {path}").trim().to_string();
            assert!(
                help.contains(&example),
                "{path} --help shows no example of itself:\n{help}"
            );
            seen.push(path.to_string());
            for sub in cmd.get_subcommands_mut() {
                if sub.get_name() == "help" {
                    continue;
                }
                let path = format!("{path} {}", sub.get_name()).trim().to_string();
                walk(sub, program, &path, seen);
            }
        }
        for (program, other) in [
            ("cloudtrail-revert", "cargo xtask"),
            ("cargo xtask", "cloudtrail-revert "),
        ] {
            let mut cmd = super::command(program);
            cmd.build();
            let mut seen = Vec::new();
            walk(&mut cmd, program, "", &mut seen);
            assert!(seen.len() >= 9, "{seen:?}");
            let all = cmd.render_long_help().to_string();
            assert!(
                !all.contains(other),
                "{program}'s help names {other}:\n{all}"
            );
        }
    }

    /// The top help shows the article's three moves, then resume, undo and audit.
    #[test]
    fn the_top_help_teaches_the_three_moves() {
        let help = super::command("cloudtrail-revert")
            .render_long_help()
            .to_string();
        for example in [
            "cloudtrail-revert run status --profile my-account",
            "cloudtrail-revert run revert --profile my-account --dry-run",
            "cloudtrail-revert run revert --profile my-account ",
            "cloudtrail-revert resume",
            "cloudtrail-revert undo RUN_ID",
            "cloudtrail-revert audit verify RUN_ID --expect-hash HASH",
        ] {
            assert!(help.contains(example), "{example}:\n{help}");
        }
    }
}
