//! `-v`: the AWS SDK's own account of each call on stderr: the operation (its span,
//! `CloudTrail.DescribeTrails`), each attempt (`beginning attempt #2`), each retry decision and
//! back-off. Only the SDK's orchestrator, retry strategy and operation spans, at `debug`: never
//! `trace`, where the SDK logs requests and signing, so no credential, signature or body reaches
//! the terminal. The endpoint and auth steps are left out: at `debug` they print the endpoint
//! parameters, which hold the resolved identity.

use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

pub fn install() {
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
