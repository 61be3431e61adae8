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
