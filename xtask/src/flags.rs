//! The workshop's flags: the developer commands' own, beside the operator commands of
//! `cloudtrail-revert`, which `cargo xtask` lists and forwards unchanged (see `main`).

use clap::{Args, Parser, Subcommand};

use cloudtrail_revert::flags::{endpoint_url, RunbookName};

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
    #[command(flatten)]
    pub globals: cloudtrail_revert::flags::Globals,
}

// The operator's flags are the large variant; a command line is parsed once, so its size does
// not matter, and clap does not flatten a boxed subcommand.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// run, resume, undo, audit: `cloudtrail-revert`'s own commands, forwarded to it.
    #[command(flatten)]
    Operator(cloudtrail_revert::flags::Command),
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

#[derive(Debug, Args)]
pub struct FixturesFlags {
    #[command(subcommand)]
    pub command: FixturesCommand,
}

#[derive(Debug, Subcommand)]
pub enum FixturesCommand {
    /// Run a runbook (or undo a run) against real AWS (or --endpoint-url) and record its traffic
    /// as fixtures/<scenario>/.
    #[command(after_help = examples::FIXTURES_RECORD)]
    Record {
        /// The scenario's name: the traffic goes to fixtures/<SCENARIO>/traffic.json (an existing one
        /// is replaced; its description is kept unless --description is given).
        scenario: String,
        /// A one-paragraph description of the account the scenario shows.
        #[arg(long)]
        description: Option<String>,
        /// The `run` arguments, after `--`: e.g. `-- revert --yes --endpoint-url http://127.0.0.1:5000`;
        /// or an undo of a run: `-- undo RUN_ID --yes --endpoint-url … --state-dir DIR`.
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
    /// accounts reached by AssumeRole) against a batch of the caller's account alone; with latency,
    /// fails if N accounts take more than 3× the wall time of one; fails if an account assumed
    /// its role twice; reports peak memory and calls per second.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=10_000))]
    pub accounts: Option<u16>,
    /// With --accounts: at most this many accounts checked or written at once.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub max_concurrent_accounts: u16,
    /// With --accounts: at most this many AWS calls in flight across the batch.
    #[arg(long, default_value_t = 128, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub max_calls_in_flight: u16,
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
                // The operator's commands are `cloudtrail-revert`'s, whose own test walks them.
                if ["help", "run", "resume", "undo", "audit"].contains(&sub.get_name()) {
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
        assert!(seen.len() >= 8, "{seen:?}");
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
