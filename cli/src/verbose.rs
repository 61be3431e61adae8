//! `-v`: the AWS SDK's own account of each call on stderr: the operation (its span,
//! `CloudTrail.DescribeTrails`), each attempt (`beginning attempt #2`), each retry decision and
//! back-off. Only the SDK's orchestrator, retry strategy and operation spans, at `debug`: never
//! `trace`, where the SDK logs requests and signing, so no credential, signature or body reaches
//! the terminal. The endpoint and auth steps are left out: at `debug` they print the endpoint
//! parameters, which hold the resolved identity.

use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// Whether `-v`'s lines are being written: no live progress is drawn then (its redraws and
/// these lines would tear each other on the same stderr).
static ON: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

pub fn is_on() -> bool {
    ON.load(std::sync::atomic::Ordering::SeqCst)
}

pub fn install() {
    ON.store(true, std::sync::atomic::Ordering::SeqCst);
    let targets = Targets::new()
        .with_target(
            "aws_smithy_runtime::client::orchestrator",
            LevelFilter::DEBUG,
        )
        .with_target("aws_smithy_runtime::client::retries", LevelFilter::DEBUG)
        // Their debug lines print the endpoint parameters, which hold the resolved identity
        // (an access key id; the secret shown redacted): off.
        .with_target(
            "aws_smithy_runtime::client::orchestrator::endpoints",
            LevelFilter::OFF,
        )
        .with_target(
            "aws_smithy_runtime::client::orchestrator::auth",
            LevelFilter::OFF,
        )
        .with_target("aws_sdk_", LevelFilter::DEBUG)
        .with_target("aws_config::meta::credentials::chain", LevelFilter::DEBUG);
    let fmt = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_target(false)
        .without_time();
    // A second install (none today) would keep the first: nothing to do about it.
    let _ = tracing_subscriber::registry()
        .with(fmt)
        .with(targets)
        .try_init();
}
