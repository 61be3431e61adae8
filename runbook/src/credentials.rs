//! Credentials resolved once and reused until five minutes before their expiry.
//!
//! A run resolves its credentials up front (to fail clearly before any call), and its clients
//! then resolve them again for every request. For an assumed role each resolution is an STS
//! `AssumeRole`: without this wrapper a batch would assume every member role twice, and a role
//! profile's run too. [`Reused`] is the only cache of a configuration made by [`reuse`]: the
//! SDK's own identity cache is turned off there, since it would keep credentials until 10
//! seconds before their expiry (its buffer), long past our refresh point. So every request asks
//! [`Reused`], which answers from its cache (no call) until five minutes before expiry, then
//! refreshes: a long batch keeps working past the hour mark with one `AssumeRole` per account
//! per lifetime of its credentials, and no write is signed with credentials about to expire.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_config::identity::IdentityCache;
use aws_config::SdkConfig;
use aws_credential_types::provider::{future, ProvideCredentials, SharedCredentialsProvider};
use aws_credential_types::Credentials;
use aws_smithy_runtime_api::client::identity::SharedIdentityCache;

/// How long before their expiry credentials are refreshed instead of reused.
pub const REFRESH_MARGIN: Duration = Duration::from_secs(5 * 60);

/// The identity cache of a configuration whose credentials provider is a [`Reused`]: none, so
/// that [`Reused`] alone decides when to refresh.
pub fn identity_cache() -> SharedIdentityCache {
    IdentityCache::no_cache()
}

/// `config` with its credentials provider wrapped in [`Reused`], and [`Reused`] as its only
/// cache.
pub fn reuse(config: SdkConfig) -> SdkConfig {
    match config.credentials_provider() {
        Some(provider) => config
            .to_builder()
            .credentials_provider(SharedCredentialsProvider::new(Reused::new(provider)))
            .identity_cache(identity_cache())
            .build(),
        None => config,
    }
}

#[derive(Debug)]
pub struct Reused {
    inner: SharedCredentialsProvider,
    cached: tokio::sync::Mutex<Option<Credentials>>,
    margin: Duration,
    resolutions: Arc<AtomicUsize>,
}

impl Reused {
    pub fn new(inner: SharedCredentialsProvider) -> Reused {
        Reused::with_margin(inner, REFRESH_MARGIN)
    }

    pub fn with_margin(inner: SharedCredentialsProvider, margin: Duration) -> Reused {
        Reused {
            inner,
            cached: tokio::sync::Mutex::new(None),
            margin,
            resolutions: Arc::default(),
        }
    }

    /// Counts how many times the inner provider was asked (for the benchmark and tests).
    pub fn counter(&self) -> Arc<AtomicUsize> {
        self.resolutions.clone()
    }

    fn usable(&self, credentials: &Credentials) -> bool {
        credentials
            .expiry()
            .is_none_or(|expiry| expiry > SystemTime::now() + self.margin)
    }
}

impl ProvideCredentials for Reused {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(async move {
            // Held across the resolution: callers at the same moment share one AssumeRole.
            let mut cached = self.cached.lock().await;
            if let Some(credentials) = cached.as_ref().filter(|c| self.usable(c)) {
                return Ok(credentials.clone());
            }
            let fresh = self.inner.provide_credentials().await?;
            self.resolutions.fetch_add(1, Ordering::SeqCst);
            *cached = Some(fresh.clone());
            Ok(fresh)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Default)]
    struct Counting {
        calls: AtomicUsize,
        lifetime: Duration,
    }

    impl ProvideCredentials for Counting {
        fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
        where
            Self: 'a,
        {
            let n = self.calls.fetch_add(1, Ordering::SeqCst);
            future::ProvideCredentials::ready(Ok(Credentials::new(
                format!("AKIA{n}"),
                "secret",
                Some("token".into()),
                Some(SystemTime::now() + self.lifetime),
                "counting",
            )))
        }
    }

    fn reused(lifetime: Duration, margin: Duration) -> Reused {
        Reused::with_margin(
            SharedCredentialsProvider::new(Counting {
                calls: AtomicUsize::new(0),
                lifetime,
            }),
            margin,
        )
    }

    #[tokio::test]
    async fn credentials_are_resolved_once_while_they_last() {
        let provider = reused(Duration::from_secs(3600), REFRESH_MARGIN);
        for _ in 0..5 {
            let c = provider.provide_credentials().await.unwrap();
            assert_eq!(c.access_key_id(), "AKIA0");
        }
        assert_eq!(provider.counter().load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn credentials_close_to_their_expiry_are_refreshed() {
        // They expire within the margin from the start: every ask refreshes.
        let provider = reused(Duration::from_secs(60), REFRESH_MARGIN);
        let first = provider.provide_credentials().await.unwrap();
        let second = provider.provide_credentials().await.unwrap();
        assert_eq!(first.access_key_id(), "AKIA0");
        assert_eq!(second.access_key_id(), "AKIA1");
        assert_eq!(provider.counter().load(Ordering::SeqCst), 2);
    }

    /// Answers every request with STS's GetCallerIdentity, and keeps the access key id each
    /// request was signed with.
    #[derive(Debug, Clone, Default)]
    struct Signed(Arc<std::sync::Mutex<Vec<String>>>);

    impl aws_smithy_runtime_api::client::http::HttpConnector for Signed {
        fn call(
            &self,
            request: aws_smithy_runtime_api::client::orchestrator::HttpRequest,
        ) -> aws_smithy_runtime_api::client::http::HttpConnectorFuture {
            let auth = request
                .headers()
                .get("authorization")
                .unwrap_or_default()
                .to_string();
            let key = auth
                .split("Credential=")
                .nth(1)
                .and_then(|c| c.split('/').next())
                .unwrap_or_default()
                .to_string();
            self.0.lock().unwrap().push(key);
            let body = "<GetCallerIdentityResponse><GetCallerIdentityResult>\
                <Arn>arn:aws:iam::123456789012:user/op</Arn><UserId>X</UserId>\
                <Account>123456789012</Account></GetCallerIdentityResult>\
                <ResponseMetadata><RequestId>r</RequestId></ResponseMetadata>\
                </GetCallerIdentityResponse>";
            aws_smithy_runtime_api::client::http::HttpConnectorFuture::ready(Ok(
                aws_smithy_runtime_api::client::orchestrator::HttpResponse::new(
                    200.try_into().unwrap(),
                    aws_smithy_types::body::SdkBody::from(body),
                ),
            ))
        }
    }

    /// The configuration a run gets ([`reuse`] of what aws-config's loader makes: a lazy
    /// identity cache), on credentials that `Counting` makes.
    fn run_config(provider: Counting, signed: &Signed) -> SdkConfig {
        let signed = signed.clone();
        let http = aws_smithy_runtime_api::client::http::http_client_fn(move |_, _| {
            aws_smithy_runtime_api::client::http::SharedHttpConnector::new(signed.clone())
        });
        let base = SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_types::region::Region::new("ap-northeast-1"))
            .endpoint_url("http://127.0.0.1:1")
            .credentials_provider(SharedCredentialsProvider::new(provider))
            .identity_cache(IdentityCache::lazy().build())
            .http_client(http)
            .sleep_impl(aws_smithy_async::rt::sleep::default_async_sleep().unwrap())
            .time_source(aws_smithy_async::time::SystemTimeSource::new())
            .build();
        reuse(base)
    }

    /// README: credentials are "reused until five minutes before they expire, then refreshed".
    /// The SDK's own identity cache (10 s buffer) must not keep them past that point: a request
    /// made once they have less than five minutes left is signed with fresh ones.
    #[tokio::test]
    async fn no_request_is_signed_with_credentials_inside_the_refresh_margin() {
        let signed = Signed::default();
        let config = run_config(
            Counting {
                calls: AtomicUsize::new(0),
                // Usable for one more second, then inside the margin.
                lifetime: REFRESH_MARGIN + Duration::from_secs(1),
            },
            &signed,
        );
        let sts = aws_sdk_sts::Client::new(&config);
        sts.get_caller_identity().send().await.unwrap();
        sts.get_caller_identity().send().await.unwrap();
        tokio::time::sleep(Duration::from_millis(1200)).await;
        sts.get_caller_identity().send().await.unwrap();
        assert_eq!(
            *signed.0.lock().unwrap(),
            vec!["AKIA0", "AKIA0", "AKIA1"],
            "reused while usable, refreshed once inside the margin"
        );
    }

    #[derive(Debug)]
    struct Throttled;

    impl ProvideCredentials for Throttled {
        fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
        where
            Self: 'a,
        {
            use aws_sdk_sts::operation::assume_role::AssumeRoleError;
            let meta = aws_smithy_types::error::ErrorMetadata::builder()
                .code("Throttling")
                .message("Rate exceeded")
                .build();
            let err = aws_smithy_runtime_api::client::result::SdkError::service_error(
                AssumeRoleError::generic(meta),
                aws_smithy_runtime_api::client::orchestrator::HttpResponse::new(
                    400.try_into().unwrap(),
                    aws_smithy_types::body::SdkBody::empty(),
                ),
            );
            future::ProvideCredentials::ready(Err(
                aws_credential_types::provider::error::CredentialsError::provider_error(err),
            ))
        }
    }

    /// A refresh that AWS throttles is no sign-in problem: resumable, and says throttling.
    #[tokio::test]
    async fn a_throttled_refresh_is_resumable_and_says_so() {
        let config = reuse(
            SdkConfig::builder()
                .credentials_provider(SharedCredentialsProvider::new(Throttled))
                .build(),
        );
        let aws = crate::aws::Aws::new(config, false);
        let err = aws.check_credentials().await.unwrap_err();
        assert!(
            matches!(err, crate::Error::CredentialsThrottled { .. }),
            "{err:?}"
        );
        assert!(err.is_resumable() && !err.is_usage());
        let text = err.to_string();
        assert!(
            text.contains("throttled")
                && text.contains("Throttling")
                && !text.contains("sso login"),
            "{text}"
        );
    }

    #[tokio::test]
    async fn callers_at_the_same_moment_share_one_resolution() {
        let provider = Arc::new(reused(Duration::from_secs(3600), REFRESH_MARGIN));
        let asks = (0..8).map(|_| {
            let p = provider.clone();
            async move { p.provide_credentials().await.unwrap() }
        });
        futures_util::future::join_all(asks).await;
        assert_eq!(provider.counter().load(Ordering::SeqCst), 1);
    }
}
