//! Builds the AWS configuration from the flags (profile, region, endpoint, replay), once per run.

use std::time::Duration;

use anyhow::Result;
use aws_config::profile::{Profile, ProfileFileCredentialsProvider};
use aws_config::provider_config::ProviderConfig;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::Credentials;
use aws_runtime::env_config::file::EnvConfigFiles;
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use aws_types::os_shim_internal::{Env, Fs};
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
///
/// A named profile (`--profile`, or `AWS_PROFILE`) is the only source of credentials, as with
/// the AWS CLI: keys of another account left in the environment must not win over the account
/// the operator named. It must exist, or this refuses before any call.
pub async fn sdk_config(c: &Connection, http: Option<SharedHttpClient>) -> Result<SdkConfig> {
    let profile = match &c.profile {
        Some(name) => Some(named_profile(name).await?),
        None => None,
    };
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(RetryConfig::standard().with_max_attempts(3))
        .timeout_config(timeouts());
    if let Some(profile) = &profile {
        // Credentials are set below from the profile alone, once the region is known (an
        // assumed role's STS call needs it); the default chain would look at the environment first.
        loader = loader.profile_name(profile.name()).no_credentials();
    }
    if let Some(region) = &c.region {
        loader = loader.region(Region::new(region.clone()));
    }
    if let Some(url) = &c.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    if let Some(http) = &http {
        loader = loader.http_client(http.clone());
    }
    let config = loader.load().await;
    let Some(profile) = profile else {
        return Ok(config);
    };
    let mut provider_config =
        ProviderConfig::without_region().with_region(config.region().cloned());
    if let Some(http) = http {
        provider_config = provider_config.with_http_client(http);
    }
    let credentials = ProfileFileCredentialsProvider::builder()
        .configure(&provider_config)
        .profile_name(profile.name())
        .build();
    Ok(config
        .into_builder()
        .credentials_provider(SharedCredentialsProvider::new(credentials))
        .build())
}

/// The profile `name` from the AWS config and credentials files, or a usage error naming it and
/// the files searched.
async fn named_profile(name: &str) -> Result<Profile> {
    let profiles =
        aws_config::profile::load(&Fs::real(), &Env::real(), &EnvConfigFiles::default(), None)
            .await
            .map_err(|e| runbook::Error::ProfileFilesUnreadable {
                detail: runbook::aws::error_chain(&e),
            })?;
    let (config_file, credentials_file) = profile_file_paths();
    profiles.get_profile(name).cloned().ok_or_else(|| {
        runbook::Error::UnknownProfile {
            profile: name.to_string(),
            config_file,
            credentials_file,
        }
        .into()
    })
}

/// Where aws-config looks for the profile files, as the operator would write them.
fn profile_file_paths() -> (String, String) {
    let file = |var: &str, default: &str| match std::env::var(var) {
        Ok(path) if !path.is_empty() => format!("{path} (from {var})"),
        _ => default.to_string(),
    };
    (
        file("AWS_CONFIG_FILE", "~/.aws/config"),
        file("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials"),
    )
}

/// Where the credentials of a run come from, in words for the operator and the audit log
/// (`profile acctA`, `environment`, `SSO (profile x)`, `instance role`, `replay`); never a key.
/// It follows the same choice as [`sdk_config`]: a named profile alone, else the SDK's default
/// chain in its order (environment, the default profile, web identity, container, instance).
// Not called yet: the journal work records it in `run_started` and shows it before the
// confirmation (issue 9, item 3).
#[allow(dead_code)]
pub async fn credentials_source(c: &Connection) -> Result<String> {
    if c.replay.is_some() {
        return Ok("replay".into());
    }
    if let Some(name) = &c.profile {
        return Ok(describe_profile(&named_profile(name).await?));
    }
    let set = |var: &str| std::env::var_os(var).is_some_and(|v| !v.is_empty());
    if set("AWS_ACCESS_KEY_ID") {
        return Ok("environment".into());
    }
    if let Ok(default) = named_profile("default").await {
        return Ok(describe_profile(&default));
    }
    Ok(if set("AWS_WEB_IDENTITY_TOKEN_FILE") {
        "web identity (environment)".into()
    } else if set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
        || set("AWS_CONTAINER_CREDENTIALS_FULL_URI")
    {
        "container role".into()
    } else {
        "instance role".into()
    })
}

/// How a profile gets its credentials, by the keys aws-config acts on.
fn describe_profile(profile: &Profile) -> String {
    let name = profile.name();
    if profile.get("sso_session").is_some() || profile.get("sso_start_url").is_some() {
        format!("SSO (profile {name})")
    } else if let Some(role) = profile.get("role_arn") {
        format!("role {role} (profile {name})")
    } else if profile.get("credential_process").is_some() {
        format!("credential_process (profile {name})")
    } else if profile.get("login_session").is_some() {
        format!("console login (profile {name})")
    } else {
        format!("profile {name}")
    }
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
    let config = sdk_config(c, http).await?;
    Ok((Aws::new(config, c.endpoint_url.is_some()), None))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use aws_config::profile::{Profile, Property};

    use super::describe_profile;

    fn profile(name: &str, keys: &[(&str, &str)]) -> Profile {
        let properties: HashMap<String, Property> = keys
            .iter()
            .map(|(k, v)| (k.to_string(), Property::new(k.to_string(), v.to_string())))
            .collect();
        Profile::new(name, properties)
    }

    #[test]
    fn a_profile_is_described_by_how_it_gets_credentials_never_by_its_keys() {
        let keys = profile(
            "acctA",
            &[
                ("aws_access_key_id", "AKIAEXAMPLE"),
                ("aws_secret_access_key", "secret"),
            ],
        );
        assert_eq!(describe_profile(&keys), "profile acctA");
        let sso = profile("ops", &[("sso_session", "corp"), ("sso_account_id", "1")]);
        assert_eq!(describe_profile(&sso), "SSO (profile ops)");
        let role = profile(
            "admin",
            &[
                ("role_arn", "arn:aws:iam::123456789012:role/Admin"),
                ("source_profile", "acctA"),
            ],
        );
        assert_eq!(
            describe_profile(&role),
            "role arn:aws:iam::123456789012:role/Admin (profile admin)"
        );
    }
}
