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

use crate::flags::{Command, Connection};
use crate::paths;

fn timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(5))
        .operation_attempt_timeout(Duration::from_secs(30))
        .build()
}

/// The SDK's own configuration chain (env, profile, SSO, IMDS) plus our flags.
///
/// A named profile (`--profile`, or `AWS_PROFILE`) is the only source of credentials, as with
/// the AWS CLI: keys of another account left in the environment must not win over the account
/// the operator named. It must exist, or this refuses before any call.
///
/// `http`, when given, carries the service clients' calls only (the fixture recorder wraps the
/// real client): the credential providers are built with the real client and keep it, so their
/// traffic (STS AssumeRole, SSO GetRoleCredentials, IMDS, ECS) never passes through `http`.
/// (aws-config builds every provider from its `ProviderConfig`, whose HTTP client is fixed
/// when it is built; replacing the `SdkConfig`'s client afterwards reaches service clients
/// only. The identity cache and the credentials provider carry over unchanged.)
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
    let config = loader.load().await;
    // The named profile's own provider, built with the real HTTP client (see above).
    let config = match profile {
        None => config,
        Some(profile) => {
            let provider_config =
                ProviderConfig::without_region().with_region(config.region().cloned());
            let credentials = ProfileFileCredentialsProvider::builder()
                .configure(&provider_config)
                .profile_name(profile.name())
                .build();
            config
                .into_builder()
                .credentials_provider(SharedCredentialsProvider::new(credentials))
                .build()
        }
    };
    // Resolved once per run (and per batch): the up-front check and the clients' identity cache
    // then share one resolution, so a role profile is assumed once, not twice.
    let config = with_reused_credentials(config);
    Ok(match http {
        Some(http) => config.to_builder().http_client(http).build(),
        None => config,
    })
}

/// The profile `name` from the AWS config and credentials files, or a usage error naming it and
/// the files searched.
async fn named_profile(name: &str) -> Result<Profile> {
    let profiles =
        aws_config::profile::load(&Fs::real(), &Env::real(), &EnvConfigFiles::default(), None)
            .await
            .map_err(|e| runbook::Error::ProfileFilesUnreadable {
                source: Box::new(e),
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

/// The endpoint a command sends its calls to (`--endpoint-url`, or `AWS_ENDPOINT_URL` through
/// clap), if it talks to AWS at all.
fn endpoint_of(command: &Command) -> Option<String> {
    let connection = match command {
        Command::Run(f) => &f.connection,
        Command::Resume(f) => &f.connection,
        Command::Undo(f) => &f.connection,
        Command::Audit(_) => return None,
    };
    endpoint_of_connection(connection)
}

fn endpoint_of_connection(connection: &Connection) -> Option<String> {
    if connection.replay.is_some() {
        return None;
    }
    connection.endpoint_url.clone()
}

/// Makes `--endpoint-url` reach the credential providers' own STS and SSO calls, exactly as
/// `AWS_ENDPOINT_URL` does: by setting that variable. aws-config gives the loader's
/// `endpoint_url` to the service clients only; the providers' inner clients
/// (`ProviderConfig::client_config`) take their endpoint from the environment and the profile
/// alone, so without this a role profile's AssumeRole would go to the real STS even when every
/// other call goes to the endpoint given.
///
/// Must be called before any other thread exists (from `main`, before the runtime starts):
/// changing the environment while another thread may read it is not sound.
pub fn route_credential_providers(command: &Command) {
    if let Some(url) = endpoint_of(command) {
        std::env::set_var("AWS_ENDPOINT_URL", url);
    }
}

/// [`route_credential_providers`] for a run driven from outside a command line (the fixture
/// recorder); the same rule: before any other thread exists.
pub fn route_credential_providers_of(connection: &Connection) {
    if let Some(url) = endpoint_of_connection(connection) {
        std::env::set_var("AWS_ENDPOINT_URL", url);
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
        let fixture = load_fixture(&paths::scenario_dir(scenario)?)?;
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

/// How a batch reaches each account: STS AssumeRole on the member role from the base
/// credentials, or the base credentials themselves for the caller's own account.
///
/// The assumed-role provider is built on the base configuration as [`sdk_config`] made it,
/// with the real HTTP client: its STS traffic is never recorded and never counted against the
/// batch's bound. Every account's service clients share one HTTP client bounded by
/// `--max-calls-in-flight`. Credentials are resolved once per account and reused until close to
/// their expiry ([`runbook::credentials::Reused`]), so a long batch keeps working past the hour.
pub struct RoleConnector {
    /// The base configuration, its credentials resolved once for every AssumeRole.
    provider_config: SdkConfig,
    /// What every account's service clients are built from.
    service_config: SdkConfig,
    /// Shared by every account's service clients: the bound on calls in flight.
    permits: std::sync::Arc<tokio::sync::Semaphore>,
    transport: Transport,
    path_style: bool,
    external_id: Option<String>,
    base_credentials: String,
    /// The one STS client every account's AssumeRole goes through (`assume_role.rs`), in the
    /// caller's region: made on first use.
    sts: std::sync::OnceLock<aws_sdk_sts::Client>,
    /// Credential resolutions per account (AssumeRole calls), for the benchmark.
    pub resolutions:
        std::sync::Mutex<Vec<(String, std::sync::Arc<std::sync::atomic::AtomicUsize>)>>,
}

/// The HTTP client of the caller's own service clients (`None`) and of each account's (`Some`):
/// the fixture recorder gives each account its own recording, the benchmark its own meter.
pub type Transport =
    std::sync::Arc<dyn Fn(Option<&str>) -> SharedHttpClient + Send + Sync + 'static>;

impl RoleConnector {
    pub fn new(
        base: &SdkConfig,
        path_style: bool,
        external_id: Option<String>,
        base_credentials: String,
        max_calls_in_flight: usize,
        transport: Option<Transport>,
    ) -> RoleConnector {
        let permits = std::sync::Arc::new(tokio::sync::Semaphore::new(max_calls_in_flight.max(1)));
        let real = base
            .http_client()
            .unwrap_or_else(runbook::http::real_client);
        let transport = transport.unwrap_or_else(|| std::sync::Arc::new(move |_| real.clone()));
        RoleConnector {
            provider_config: base.clone(),
            service_config: base.clone(),
            permits,
            transport,
            path_style,
            external_id,
            base_credentials,
            sts: std::sync::OnceLock::new(),
            resolutions: Default::default(),
        }
    }

    /// The batch's one STS client: the base configuration (its credentials, the real HTTP
    /// client), in the caller's region (a regional endpoint, as every other account-wide call).
    fn sts(&self) -> aws_sdk_sts::Client {
        self.sts
            .get_or_init(|| {
                let region = self
                    .provider_config
                    .region()
                    .cloned()
                    .unwrap_or_else(|| Region::new(FALLBACK_REGION));
                let conf = aws_sdk_sts::config::Builder::from(&self.provider_config)
                    .region(region)
                    .build();
                aws_sdk_sts::Client::from_conf(conf)
            })
            .clone()
    }

    /// The service configuration for `account` (`None`: the caller's own), its HTTP client
    /// bounded with every other account's.
    fn service_config_for(&self, account: Option<&str>) -> SdkConfig {
        let http = runbook::http::limit::limited((self.transport)(account), self.permits.clone());
        self.service_config.to_builder().http_client(http).build()
    }

    /// The caller's own clients (identity, Organizations), bounded like the accounts'.
    pub fn base(&self) -> Aws {
        Aws::new(self.service_config_for(None), self.path_style)
    }
}

/// A base configuration whose credentials are resolved once and reused (each AssumeRole and
/// each of the caller's own calls would resolve them again otherwise: for an SSO or role
/// profile, a call to AWS each time), and refreshed five minutes before they expire
/// ([`runbook::credentials::reuse`]: the SDK's own identity cache is off).
pub fn with_reused_credentials(config: SdkConfig) -> SdkConfig {
    runbook::credentials::reuse(config)
}

impl runbook::batch::Connector for RoleConnector {
    fn connect<'a>(
        &'a self,
        reach: &'a runbook::batch::Reach,
    ) -> runbook::batch::ConnectFuture<'a> {
        Box::pin(async move {
            use aws_credential_types::provider::ProvideCredentials;
            let Some(role_arn) = &reach.role_arn else {
                return Ok(runbook::batch::Connected {
                    aws: Aws::new(
                        self.service_config_for(Some(&reach.account)),
                        self.path_style,
                    ),
                    credentials: self.base_credentials.clone(),
                });
            };
            let provider = runbook::credentials::Reused::new(SharedCredentialsProvider::new(
                crate::assume_role::AssumeRole {
                    sts: self.sts(),
                    role_arn: role_arn.clone(),
                    session_name: reach.session_name.clone(),
                    external_id: self.external_id.clone(),
                },
            ));
            self.resolutions
                .lock()
                .unwrap()
                .push((reach.account.to_string(), provider.counter()));
            // Resolved now: an account that cannot be reached is reported before a run opens.
            provider.provide_credentials().await.map_err(|e| {
                // AWS's code and message, not the SDK's Debug rendering of them.
                let answer = runbook::aws::aws_code_and_message(&e);
                let detail = match &answer {
                    Some((code, message)) if message.is_empty() => code.clone(),
                    Some((code, message)) => format!("{code}: {message}"),
                    None => runbook::aws::error_chain(&e),
                };
                match answer {
                    Some((code, _)) if runbook::aws::is_throttling_code(&code) => {
                        runbook::Error::AssumeRoleThrottled {
                            account: reach.account.to_string(),
                            role_arn: role_arn.clone(),
                            detail,
                        }
                    }
                    _ => runbook::Error::AssumeRoleFailed {
                        account: reach.account.to_string(),
                        role_arn: role_arn.clone(),
                        caller_arn: reach.caller_arn.clone(),
                        detail,
                    },
                }
            })?;
            let config = self
                .service_config_for(Some(&reach.account))
                .to_builder()
                .credentials_provider(SharedCredentialsProvider::new(provider))
                // `Reused` is the only cache: refreshed five minutes before expiry.
                .identity_cache(runbook::credentials::identity_cache())
                .build();
            Ok(runbook::batch::Connected {
                aws: Aws::new(config, self.path_style),
                credentials: format!("role {role_arn} (assumed with {})", self.base_credentials),
            })
        })
    }
}

/// A batch replayed offline: `fixtures/<scenario>/traffic.json` answers the caller's calls, and
/// `fixtures/<scenario>/accounts/<id>/traffic.json` each account's.
pub struct ReplayConnector {
    pub dir: std::path::PathBuf,
    pub region: Option<String>,
    /// Every account's replayer, to ask afterwards what went unused or was missing.
    pub replays: Replays,
}

/// The replayers of a replayed batch: the caller's own (`None`) and each account's.
pub type Replays = std::sync::Arc<std::sync::Mutex<Vec<(Option<String>, Replayer)>>>;

impl runbook::batch::Connector for ReplayConnector {
    fn connect<'a>(
        &'a self,
        reach: &'a runbook::batch::Reach,
    ) -> runbook::batch::ConnectFuture<'a> {
        Box::pin(async move {
            let dir = self.dir.join("accounts").join(&reach.account);
            let fixture = load_fixture(&dir)?;
            let replayer = Replayer::new(&fixture);
            self.replays
                .lock()
                .unwrap()
                .push((Some(reach.account.to_string()), replayer.clone()));
            let region = self
                .region
                .clone()
                .or_else(|| (!fixture.region.is_empty()).then(|| fixture.region.clone()))
                .unwrap_or_else(|| FALLBACK_REGION.into());
            Ok(runbook::batch::Connected {
                aws: Aws::new(replay_config(&region, replayer.http_client()), false),
                credentials: match &reach.role_arn {
                    Some(role) => format!("replay (role {role})"),
                    None => "replay".into(),
                },
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::flags::Cli;

    fn endpoint(args: &[&str]) -> Option<String> {
        let flags =
            Cli::try_parse_from(std::iter::once("cloudtrail-revert").chain(args.iter().copied()))
                .expect("valid flags");
        endpoint_of(&flags.command)
    }

    #[test]
    fn every_command_that_talks_to_aws_routes_its_credential_providers() {
        let url = Some("http://127.0.0.1:5000".to_string());
        let at = ["--endpoint-url", "http://127.0.0.1:5000"];
        assert_eq!(endpoint(&[&["run", "status"][..], &at].concat()), url);
        assert_eq!(endpoint(&[&["resume"][..], &at].concat()), url);
        // A replay talks to nobody.
        assert_eq!(
            endpoint(&[&["run", "status", "--replay", "secure-account"][..], &at].concat()),
            None
        );
    }
}
