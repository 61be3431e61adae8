//! Builds the AWS configuration from the flags (profile, region, endpoint, replay), once per run.

use std::time::Duration;

use anyhow::Result;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::Credentials;
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use runbook::aws::{Aws, FALLBACK_REGION};
use runbook::http::replay::{load_fixture, Replayer};

use crate::flags::Connection;
use crate::paths;

fn timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(5))
        .operation_attempt_timeout(Duration::from_secs(30))
        .build()
}

/// The SDK's own configuration chain (env, profile, SSO, IMDS) plus our flags; `http` replaces
/// the HTTP client (the recorder wraps the real one).
pub async fn sdk_config(c: &Connection, http: Option<SharedHttpClient>) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(RetryConfig::standard().with_max_attempts(3))
        .timeout_config(timeouts());
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

/// A configuration that reads nothing from the environment: fixed dummy credentials, the
/// fixture's region, and the replayer as the only transport.
fn replay_config(region: &str, http: SharedHttpClient) -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region.to_string()))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            "replay", "replay", None, None, "replay",
        )))
        .http_client(http)
        // One credentials cache for every client, as aws-config's loader sets up.
        .identity_cache(aws_config::identity::IdentityCache::lazy().build())
        // Recorded throttling is retried as on the wire, without the real back-off's wait.
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(3)
                .with_initial_backoff(Duration::from_millis(1)),
        )
        .timeout_config(timeouts())
        .sleep_impl(
            aws_smithy_async::rt::sleep::default_async_sleep().expect("tokio sleep is available"),
        )
        .time_source(aws_smithy_async::time::SystemTimeSource::new())
        .build()
}

/// The clients for a run: real AWS, the endpoint given, or a replayed scenario (then also the
/// replayer, to ask afterwards what went unused).
pub async fn aws(
    c: &Connection,
    http: Option<SharedHttpClient>,
) -> Result<(Aws, Option<Replayer>)> {
    if let Some(scenario) = &c.replay {
        let fixture = load_fixture(&paths::scenario_dir(scenario))?;
        let replayer = Replayer::new(&fixture);
        let region = match (&c.region, fixture.region.is_empty()) {
            (Some(region), _) => region.clone(),
            (None, false) => fixture.region.clone(),
            (None, true) => FALLBACK_REGION.into(),
        };
        let aws = Aws::new(replay_config(&region, replayer.http_client()), false);
        return Ok((aws, Some(replayer)));
    }
    let config = sdk_config(c, http).await;
    Ok((Aws::new(config, c.endpoint_url.is_some()), None))
}
