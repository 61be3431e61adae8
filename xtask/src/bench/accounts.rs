//! `cargo xtask bench --accounts N`: one batch `run revert` over N accounts on moto, timed
//! against the same batch over the caller's account alone. The goal (issue 11): at the latency
//! given, N accounts take at most [`MAX_RATIO`] times the wall time of one, because accounts run
//! side by side; and no account assumes its role more than once (credentials are reused for
//! the hour they last). The goal is checked here, not in tests: timing belongs to a benchmark.
//!
//! Every call, AssumeRole included, is delayed by `--latency-ms` through one
//! [`LatencyMeter`] per account, so the stages and calls of each account can be reported.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Result};
use runbook::batch::{self, AccountsWanted, BatchBegin, BatchSession, Limits};
use runbook::http::wrap::{delayed, LatencyMeter};
use runbook::model::Runbook;
use runbook::steps::Settings;
use runbook::testkit::{self, Moto, Seed};

use crate::flags::BenchFlags;
use cloudtrail_revert::connect;
use cloudtrail_revert::embed as run;
use cloudtrail_revert::output::out;

/// The bound: N accounts at most this many times the wall time of one.
const MAX_RATIO: f64 = 3.0;
/// Member accounts may assume their role at most this often in a batch (well within the hour
/// the credentials last).
const MAX_RESOLUTIONS: usize = 1;
/// The caller: moto's default account, reached with the base credentials (no AssumeRole).
const CALLER: &str = "123456789012";
const CREDENTIALS: &str = "bench (moto's test keys)";

/// One account's share of a batch.
struct AccountFigures {
    account: String,
    stages: usize,
    calls: usize,
    resolutions: usize,
}

struct BatchSample {
    wall: Duration,
    /// The process's peak resident memory during the batch (bytes), where Linux says it.
    peak_rss: Option<u64>,
    /// Its resident memory when the one question was asked (every account checked, waiting).
    rss_at_question: Option<u64>,
    accounts: Vec<AccountFigures>,
    /// STS requests on the wire, counted apart from the connector's own count.
    sts_requests: usize,
    /// The batch's own calls with the caller's clients (its identity), outside every account.
    caller_calls: usize,
}

/// The caller first, then member accounts `100000000001`, `100000000002`, …
fn account_ids(n: usize) -> Vec<String> {
    let members = (1..n as u64).map(|i| format!("{:012}", 100_000_000_000 + i));
    std::iter::once(CALLER.to_string()).chain(members).collect()
}

/// Each account as the secure account of the article (without the extras the single-account
/// bench adds), seeded with that account's own credentials.
async fn seed_accounts(moto: &Moto, accounts: &[String]) -> Result<()> {
    moto.reset().map_err(|e| anyhow!(e))?;
    for account in accounts {
        let config = if account == CALLER {
            testkit::local_config(&moto.endpoint(), testkit::seed::HOME)
        } else {
            let role = batch::role_arn("aws", account, batch::DEFAULT_ROLE_NAME);
            testkit::assumed_role_config(&moto.endpoint(), testkit::seed::HOME, &role)
                .await
                .map_err(|e| anyhow!(e))?
        };
        let seed = Seed {
            account: account.clone(),
            unrelated_trail: false,
            config_channel: false,
            ..Seed::default()
        };
        testkit::seed(&config, &seed)
            .await
            .map_err(|e| anyhow!(e))?;
    }
    Ok(())
}

/// A meter per account (`None`: the caller's own clients), made on first use.
#[derive(Default)]
struct Meters(Mutex<BTreeMap<Option<String>, Arc<LatencyMeter>>>);

impl Meters {
    fn of(&self, account: Option<&str>) -> Arc<LatencyMeter> {
        let mut meters = self.0.lock().unwrap_or_else(|e| e.into_inner());
        meters
            .entry(account.map(str::to_string))
            .or_default()
            .clone()
    }
}

/// Every account's service calls through one real client (as the tool's connector shares
/// one: each real client holds its own TLS configuration and connection pool), delayed and
/// metered per account.
fn transport(meters: Arc<Meters>, latency: Duration) -> connect::Transport {
    let real = runbook::http::real_client();
    Arc::new(move |account| delayed(real.clone(), latency, meters.of(account)))
}

/// AssumeRole calls per account, as the connector counted them.
fn resolutions(connector: &connect::RoleConnector) -> BTreeMap<String, usize> {
    let mut by_account = BTreeMap::new();
    let counted = connector
        .resolutions
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    for (account, counter) in counted.iter() {
        *by_account.entry(account.clone()).or_insert(0) += counter.load(Ordering::SeqCst);
    }
    by_account
}

/// Seeds `n` accounts and times one batch revert over them.
async fn measure(moto: &Moto, n: usize, flags: &BenchFlags) -> Result<BatchSample> {
    let accounts = account_ids(n);
    seed_accounts(moto, &accounts).await?;
    let latency = Duration::from_millis(flags.latency_ms);
    let meters = Arc::new(Meters::default());
    // The base configuration's client carries the AssumeRole calls: delayed like any other call
    // (a real STS is as far away as the rest of AWS), on a meter of their own.
    let sts_meter = Arc::new(LatencyMeter::default());
    let sts = delayed(runbook::http::real_client(), latency, sts_meter.clone());
    let base_config = testkit::local_config(&moto.endpoint(), testkit::seed::HOME)
        .into_builder()
        .http_client(sts)
        // The assumed-role provider needs both (aws-config's loader sets them; testkit does not).
        .time_source(aws_smithy_async::time::SystemTimeSource::new())
        .sleep_impl(
            aws_smithy_async::rt::sleep::default_async_sleep()
                .ok_or_else(|| anyhow!("no async sleep available outside tokio"))?,
        )
        .build();
    let connector = connect::RoleConnector::new(
        &connect::with_reused_credentials(base_config),
        true,
        None,
        CREDENTIALS.into(),
        flags.max_calls_in_flight.into(),
        Some(transport(meters.clone(), latency)),
    );
    let base = connector.base();
    let state = tempfile::tempdir()?;
    let at_question = AtQuestion::default();
    let session = BatchSession {
        base: &base,
        connector: &connector,
        state_dir: state.path(),
        operator: &at_question,
        settings: Settings {
            concurrency: flags.concurrency,
            ..Settings::default()
        },
        tool_version: run::TOOL_VERSION,
        credentials: CREDENTIALS,
    };
    let begin = BatchBegin::New {
        runbook: Runbook::Revert,
        args: testkit::default_args(),
        wanted: AccountsWanted {
            accounts: batch::accounts::parse_all(&accounts, "bench")?,
            ..AccountsWanted::default()
        },
        role_name: batch::DEFAULT_ROLE_NAME.into(),
        external_id: false,
        limits: Limits {
            max_concurrent_accounts: flags.max_concurrent_accounts.into(),
            max_errors: None,
        },
    };
    // The batch's own peak memory: the high-water mark is reset after seeding.
    peak_rss::reset();
    let started = Instant::now();
    let end = batch::launch_batch(&session, begin, std::future::pending()).await?;
    let wall = started.elapsed();
    let peak_rss = peak_rss::read();
    let rss_at_question = *at_question.0.lock().unwrap_or_else(|e| e.into_inner());
    // A batch that did not revert every account measured something else.
    if let Some(error) = end.error() {
        bail!("the benchmark's batch over {n} accounts did not finish: {error}");
    }
    let resolved = resolutions(&connector);
    let figures = accounts
        .into_iter()
        .map(|account| {
            let meter = meters.of(Some(&account));
            AccountFigures {
                stages: meter.stages(),
                calls: meter.requests(),
                resolutions: resolved.get(&account).copied().unwrap_or(0),
                account,
            }
        })
        .collect();
    Ok(BatchSample {
        wall,
        peak_rss,
        rss_at_question,
        accounts: figures,
        sts_requests: sts_meter.requests(),
        caller_calls: meters.of(None).requests(),
    })
}

/// The median of `runs` batches over `n` accounts (every run's wall time is printed, so that the
/// spread is on record), and the last one's per-account figures.
async fn median_of(moto: &Moto, n: usize, flags: &BenchFlags) -> Result<(Duration, BatchSample)> {
    let mut walls = Vec::new();
    let mut last = None;
    for _ in 0..flags.runs.max(1) {
        let sample = measure(moto, n, flags).await?;
        walls.push(sample.wall);
        last = Some(sample);
    }
    let last = last.ok_or_else(|| anyhow!("no run was measured"))?;
    let each: Vec<String> = walls
        .iter()
        .map(|w| format!("{:.3} s", w.as_secs_f64()))
        .collect();
    out::line(format!("{n} account(s), each run: {}", each.join(", ")));
    Ok((super::median::median(walls), last))
}

fn print_accounts(sample: &BatchSample) {
    out::line("| account | stages | calls | AssumeRole |");
    out::line("|---|---|---|---|");
    for a in &sample.accounts {
        out::line(format!(
            "| {} | {} | {} | {} |",
            a.account, a.stages, a.calls, a.resolutions
        ));
    }
}

/// `min–max` of one figure over the accounts.
fn spread(sample: &BatchSample, figure: impl Fn(&AccountFigures) -> usize) -> String {
    let values: Vec<usize> = sample.accounts.iter().map(figure).collect();
    let min = values.iter().min().copied().unwrap_or(0);
    let max = values.iter().max().copied().unwrap_or(0);
    if min == max {
        min.to_string()
    } else {
        format!("{min}–{max}")
    }
}

/// The goal check: every way the batch missed it, in words.
fn misses(one: Duration, many: Duration, sample: &BatchSample, latency_ms: u64) -> Vec<String> {
    let mut missed = Vec::new();
    let ratio = many.as_secs_f64() / one.as_secs_f64().max(f64::EPSILON);
    // Without latency the wall time is moto's CPU (every call is work for the one server
    // process), not waiting: the ratio says nothing about running side by side then.
    if latency_ms > 0 && ratio > MAX_RATIO {
        missed.push(format!(
            "{} accounts took {ratio:.2}× the wall time of one (the goal: at most {MAX_RATIO}×)",
            sample.accounts.len()
        ));
    }
    for a in &sample.accounts {
        if a.resolutions > MAX_RESOLUTIONS {
            missed.push(format!(
                "account {} assumed its role {} times (the goal: at most {MAX_RESOLUTIONS})",
                a.account, a.resolutions
            ));
        }
        if a.account != CALLER && a.resolutions == 0 {
            missed.push(format!(
                "account {} never assumed its role: the count is not measuring AssumeRole",
                a.account
            ));
        }
    }
    missed
}

pub async fn run(moto: &Moto, n: u16, flags: &BenchFlags) -> Result<()> {
    let n = usize::from(n);
    out::line(format!(
        "moto_server on {}, batch run revert, {} runs each, latency {} ms per call, concurrency {}, \
         at most {} accounts and {} calls in flight",
        moto.endpoint(),
        flags.runs.max(1),
        flags.latency_ms,
        flags.concurrency,
        flags.max_concurrent_accounts,
        flags.max_calls_in_flight
    ));
    let (one, _) = median_of(moto, 1, flags).await?;
    let (many, sample) = median_of(moto, n, flags).await?;
    let ratio = many.as_secs_f64() / one.as_secs_f64().max(f64::EPSILON);
    out::line(format!(
        "\n1 account: {:.3} s; {n} accounts: {:.3} s; ratio {ratio:.2}× (goal ≤ {MAX_RATIO}×)",
        one.as_secs_f64(),
        many.as_secs_f64()
    ));
    let calls: usize = sample.accounts.iter().map(|a| a.calls).sum::<usize>()
        + sample.sts_requests
        + sample.caller_calls;
    let mib = |b: Option<u64>| {
        b.map(|b| format!("{:.1} MiB", b as f64 / (1024.0 * 1024.0)))
            .unwrap_or_else(|| "unknown".into())
    };
    out::line(format!(
        "{n} accounts (last run): peak RSS {} ({} when the question was asked), {calls} calls, \
         {:.0} calls/s",
        mib(sample.peak_rss),
        mib(sample.rss_at_question),
        calls as f64 / sample.wall.as_secs_f64().max(f64::EPSILON)
    ));
    out::line(format!(
        "per account ({n} accounts, last run): stages {}, calls {}, AssumeRole {}\n",
        spread(&sample, |a| a.stages),
        spread(&sample, |a| a.calls),
        spread(&sample, |a| a.resolutions)
    ));
    print_accounts(&sample);
    out::line(format!(
        "\nIn the {n}-account batch, besides the accounts' calls: {} STS AssumeRole requests on \
         the wire, {} calls of the batch itself (its caller's identity)",
        sample.sts_requests, sample.caller_calls
    ));
    let missed = misses(one, many, &sample, flags.latency_ms);
    if !missed.is_empty() {
        bail!(
            "the many-accounts goal was missed:\n  {}",
            missed.join("\n  ")
        );
    }
    out::line("\nGoal met.");
    Ok(())
}

/// The batch's one question answered yes (as `--yes`), noting the resident memory then.
#[derive(Default)]
struct AtQuestion(Mutex<Option<u64>>);

impl batch::BatchOperator for AtQuestion {
    fn confirm_batch<'a>(
        &'a self,
        _batch: &'a batch::BatchStarted,
        _plans: &'a [batch::AccountPlan],
        _not_asked: &'a [batch::NotAsked],
    ) -> std::pin::Pin<
        Box<
            dyn std::future::Future<Output = runbook::Result<runbook::journal::ConfirmVia>>
                + Send
                + 'a,
        >,
    > {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = peak_rss::current();
        Box::pin(async { Ok(runbook::journal::ConfirmVia::YesFlag) })
    }
}

/// The process's peak resident set (Linux: `VmHWM`), and its reset (`clear_refs` 5), so that a
/// measurement covers the batch alone, not the seeding before it.
mod peak_rss {
    pub fn reset() {
        // Without it (another kernel), the peak covers the seeding too: said as "since start".
        let _ = std::fs::write("/proc/self/clear_refs", "5");
    }

    pub fn read() -> Option<u64> {
        field("VmHWM:")
    }

    /// The resident set now (`VmRSS`).
    pub fn current() -> Option<u64> {
        field("VmRSS:")
    }

    fn field(name: &str) -> Option<u64> {
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let line = status.lines().find(|l| l.starts_with(name))?;
        let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kib * 1024)
    }
}
