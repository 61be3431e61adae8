//! `cargo xtask bench`: `run status` and `run revert` against a moto server this command starts,
//! seeded with the secure account before every measured run. Reports the median wall time, the
//! AWS calls by operation, and the sequential round-trip stages on the critical path (with
//! `--latency-ms`, every call is delayed like a far region's round trip). `--baseline` also times
//! the article's own shell procedure (AWS CLI v1, one process per call) on the same server.
//! `--accounts N` times a batch over many accounts instead ([`accounts`]).

mod accounts;
mod median;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, Result};
use runbook::aws::Aws;
use runbook::http::wrap::{delayed, LatencyMeter};
use runbook::runbooks::Runbook;
use runbook::steps::Settings;
use runbook::testkit::{self, Moto, Seed};

use crate::flags::BenchFlags;
use cloudtrail_revert::output::out;
use median::median;

struct Sample {
    wall: Duration,
    stages: usize,
    calls: BTreeMap<String, usize>,
}

async fn measure(
    moto: &Moto,
    runbook: Runbook,
    latency: Duration,
    concurrency: usize,
) -> Result<Sample> {
    moto.reset().map_err(|e| anyhow!(e))?;
    let config = testkit::local_config(&moto.endpoint(), testkit::seed::HOME);
    testkit::seed(&config, &Seed::default())
        .await
        .map_err(|e| anyhow!(e))?;
    let state = tempfile::tempdir()?;
    let meter = Arc::new(LatencyMeter::default());
    let http = delayed(runbook::http::real_client(), latency, meter.clone());
    let started = Instant::now();
    let aws = Aws::new(config.into_builder().http_client(http).build(), true);
    let settings = Settings {
        concurrency,
        ..Settings::default()
    };
    let (_, run_dir) = testkit::run_to_end(
        &aws,
        state.path(),
        runbook,
        &testkit::default_args(),
        settings,
    )
    .await?;
    let wall = started.elapsed();
    let mut by_operation = BTreeMap::new();
    for event in runbook::journal::load(&run_dir)?.events {
        if let runbook::journal::Event::AwsCall(call) = event {
            *by_operation.entry(call.operation).or_insert(0) += 1;
        }
    }
    Ok(Sample {
        wall,
        stages: meter.stages(),
        calls: by_operation,
    })
}

/// The article's commands, verbatim but for `--endpoint-url`, timed once.
fn baseline(moto: &Moto, script: &str) -> Result<Duration> {
    let started = Instant::now();
    let status = std::process::Command::new("bash")
        .args(["-c", script])
        .env("EP", moto.endpoint())
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_DEFAULT_REGION", testkit::seed::HOME)
        .stdout(std::process::Stdio::null())
        .status()?;
    if !status.success() {
        return Err(anyhow!(
            "the article's procedure failed (is the AWS CLI installed?)"
        ));
    }
    Ok(started.elapsed())
}

const ARTICLE_STATUS: &str = r#"
for REGION in $(aws ec2 describe-regions --endpoint-url "$EP" --query "sort(Regions[].RegionName)" --output text); do
    ENCRYPTION=$(aws cloudtrail describe-trails --endpoint-url "$EP" --region "${REGION}" --trail-name-list Members --query 'trailList[].KmsKeyId' --output text 2>/dev/null)
    if [ -n "$ENCRYPTION" ]; then echo "${REGION}: 有効"; else echo "${REGION}: 無効"; fi
done
"#;

const ARTICLE_REVERT: &str = r#"
status() {
for REGION in $(aws ec2 describe-regions --endpoint-url "$EP" --query "sort(Regions[].RegionName)" --output text); do
    ENCRYPTION=$(aws cloudtrail describe-trails --endpoint-url "$EP" --region "${REGION}" --trail-name-list Members --query 'trailList[].KmsKeyId' --output text 2>/dev/null)
    if [ -n "$ENCRYPTION" ]; then echo "${REGION}: 有効"; else echo "${REGION}: 無効"; fi
done
}
bucket_check() {
ENCRYPTION_TYPE=$(aws s3api get-bucket-encryption --endpoint-url "$EP" --bucket "$BUCKET" --region ap-northeast-1 --query 'ServerSideEncryptionConfiguration.Rules[].ApplyServerSideEncryptionByDefault.SSEAlgorithm' --output text)
echo "$ENCRYPTION_TYPE"
}
status
aws cloudtrail update-trail --endpoint-url "$EP" --name Members --kms-key-id "" --region ap-northeast-1 >/dev/null
status
BUCKET=$(aws cloudtrail describe-trails --endpoint-url "$EP" --region ap-northeast-1 --trail-name-list Members --query 'trailList[].S3BucketName' --output text)
bucket_check
aws s3api put-bucket-encryption --endpoint-url "$EP" --bucket "$BUCKET" --server-side-encryption-configuration '{"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}' --region ap-northeast-1
bucket_check
"#;

pub async fn run(flags: BenchFlags) -> Result<()> {
    let moto = Moto::start().map_err(|e| anyhow!(e))?;
    if let Some(n) = flags.accounts {
        return accounts::run(&moto, n, &flags).await;
    }
    let latency = Duration::from_millis(flags.latency_ms);
    out::line(format!(
        "moto_server on {}, {} runs each, latency {} ms per call, concurrency {}",
        moto.endpoint(),
        flags.runs,
        flags.latency_ms,
        flags.concurrency
    ));
    out::line("| runbook | median wall | min | max | stages | calls | calls by operation |");
    out::line("|---|---|---|---|---|---|---|");
    for runbook in [Runbook::Status, Runbook::Revert] {
        let mut samples = Vec::new();
        for _ in 0..flags.runs.max(1) {
            samples.push(measure(&moto, runbook, latency, flags.concurrency).await?);
        }
        let walls: Vec<Duration> = samples.iter().map(|s| s.wall).collect();
        let last = samples.last().expect("at least one run");
        let total: usize = last.calls.values().sum();
        let by_op: Vec<String> = last
            .calls
            .iter()
            .map(|(op, n)| format!("{op} {n}"))
            .collect();
        out::line(format!(
            "| {} | {:.3} s | {:.3} s | {:.3} s | {} | {total} | {} |",
            runbook.name(),
            median(walls.clone()).as_secs_f64(),
            walls.iter().min().expect("runs").as_secs_f64(),
            walls.iter().max().expect("runs").as_secs_f64(),
            last.stages,
            by_op.join(", ")
        ));
    }
    if flags.baseline {
        moto.reset().map_err(|e| anyhow!(e))?;
        let config = testkit::local_config(&moto.endpoint(), testkit::seed::HOME);
        testkit::seed(&config, &Seed::default())
            .await
            .map_err(|e| anyhow!(e))?;
        let status = baseline(&moto, ARTICLE_STATUS)?;
        let revert = baseline(&moto, ARTICLE_REVERT)?;
        out::line(format!(
            "\nThe article's procedure (AWS CLI v1, one process per call, no added latency): status {:.1} s, revert {:.1} s",
            status.as_secs_f64(),
            revert.as_secs_f64()
        ));
    }
    Ok(())
}
