//! Builds the AWS configuration from the flags (profile, region, endpoint, replay), once per run.

use std::time::Duration;

use anyhow::Result;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region};
use runbook::aws::Aws;

use crate::flags::Connection;

/// The SDK's own configuration chain (env, profile, SSO, IMDS) plus our flags.
pub async fn sdk_config(
    c: &Connection,
    http: Option<aws_smithy_runtime_api::client::http::SharedHttpClient>,
) -> aws_config::SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(RetryConfig::standard().with_max_attempts(3))
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(5))
                .operation_attempt_timeout(Duration::from_secs(30))
                .build(),
        );
    if let Some(profile) = &c.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(region) = &c.region {
        loader = loader.region(Region::new(region.clone()));
    }
    if let Some(url) = &c.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    if let Some(http) = http {
        loader = loader.http_client(http);
    }
    loader.load().await
}

/// The clients for a run: real AWS, the endpoint given, or a replayed scenario.
pub async fn aws(c: &Connection) -> Result<Aws> {
    let config = sdk_config(c, None).await;
    Ok(Aws::new(config, c.endpoint_url.is_some()))
}
