//! Credentials resolved once and reused until close to their expiry.
//!
//! A run resolves its credentials up front (to fail clearly before any call), and its clients
//! then resolve them again through the SDK's identity cache. For an assumed role each
//! resolution is an STS `AssumeRole`: without this wrapper a batch would assume every member
//! role twice, and a role profile's run too. The SDK's cache asks again only shortly before the
//! credentials expire, and then this wrapper refreshes them too, so a long batch keeps working
//! past the hour mark with one `AssumeRole` per account per lifetime of its credentials.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_credential_types::provider::{future, ProvideCredentials, SharedCredentialsProvider};
use aws_credential_types::Credentials;

/// How long before their expiry credentials are refreshed instead of reused. The SDK's identity
/// cache asks again 10 seconds before expiry (its default buffer), well inside this margin.
pub const REFRESH_MARGIN: Duration = Duration::from_secs(5 * 60);

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
