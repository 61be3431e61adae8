//! A bound on the calls in flight across a whole batch: every account's clients share one
//! semaphore, and a request holds a permit from before it is sent until its answer is in.
//! (Each account's region fan-out is bounded on its own by `Settings::concurrency`.)

use std::sync::Arc;

use aws_smithy_runtime_api::client::http::{
    HttpConnector, HttpConnectorFuture, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use tokio::sync::Semaphore;

use super::wrap::wrap_client;

#[derive(Debug)]
struct LimitedConnector {
    inner: SharedHttpConnector,
    permits: Arc<Semaphore>,
}

/// `inner`, with at most as many requests in flight as `permits` has, counted together with
/// every other client wrapped with the same semaphore.
pub fn limited(inner: SharedHttpClient, permits: Arc<Semaphore>) -> SharedHttpClient {
    wrap_client(inner, move |conn| {
        SharedHttpConnector::new(LimitedConnector {
            inner: conn,
            permits: permits.clone(),
        })
    })
}

impl HttpConnector for LimitedConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let permits = self.permits.clone();
        let inner = self.inner.clone();
        HttpConnectorFuture::new(async move {
            // The semaphore is never closed.
            let _permit = permits
                .acquire_owned()
                .await
                .expect("the semaphore stays open");
            inner.call(request).await
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use aws_smithy_runtime_api::client::http::{http_client_fn, HttpClient};
    use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
    use aws_smithy_runtime_api::client::runtime_components::RuntimeComponentsBuilder;
    use aws_smithy_types::body::SdkBody;

    use super::*;

    /// Answers after a while, counting how many requests are in flight at once.
    #[derive(Debug, Default)]
    struct Slow {
        now: AtomicUsize,
        most: AtomicUsize,
    }

    #[derive(Debug)]
    struct SlowConnector(Arc<Slow>);

    impl HttpConnector for SlowConnector {
        fn call(&self, _request: HttpRequest) -> HttpConnectorFuture {
            let slow = self.0.clone();
            HttpConnectorFuture::new(async move {
                let n = slow.now.fetch_add(1, Ordering::SeqCst) + 1;
                slow.most.fetch_max(n, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(20)).await;
                slow.now.fetch_sub(1, Ordering::SeqCst);
                Ok(HttpResponse::new(200.try_into().unwrap(), SdkBody::empty()))
            })
        }
    }

    #[tokio::test]
    async fn clients_sharing_the_bound_never_have_more_in_flight() {
        let slow = Arc::new(Slow::default());
        let inner = {
            let slow = slow.clone();
            http_client_fn(move |_, _| SharedHttpConnector::new(SlowConnector(slow.clone())))
        };
        let permits = Arc::new(Semaphore::new(3));
        // Two accounts' clients, one bound.
        let clients = [
            limited(inner.clone(), permits.clone()),
            limited(inner, permits),
        ];
        let components = RuntimeComponentsBuilder::for_tests().build().unwrap();
        let settings = Default::default();
        let calls = (0..12).map(|i| {
            let connector = clients[i % 2].http_connector(&settings, &components);
            async move {
                let request = HttpRequest::get("http://localhost/").unwrap();
                connector.call(request).await.unwrap();
            }
        });
        futures_util::future::join_all(calls).await;
        assert_eq!(slow.most.load(Ordering::SeqCst), 3);
    }
}
