//! The recorder: wraps the real HTTP client and keeps every exchange, unredacted, in memory.
//! Redaction and the secret check happen when a fixture is written (`xtask fixtures record`).

use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::client::http::{
    http_client_fn, HttpClient, HttpConnector, HttpConnectorFuture, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_types::body::SdkBody;
use http_body_util::BodyExt;

use super::exchange::{
    key_of, recorded_request, Exchange, RecordedResponse, KEPT_RESPONSE_HEADERS,
};

#[derive(Clone, Debug, Default)]
pub struct Recorder {
    exchanges: Arc<Mutex<Vec<Exchange>>>,
}

#[derive(Debug)]
struct RecordingConnector {
    inner: SharedHttpConnector,
    exchanges: Arc<Mutex<Vec<Exchange>>>,
}

impl Recorder {
    /// An HTTP client that sends through `inner` and records what passes.
    pub fn wrap(&self, inner: SharedHttpClient) -> SharedHttpClient {
        let exchanges = self.exchanges.clone();
        http_client_fn(move |settings, components| {
            SharedHttpConnector::new(RecordingConnector {
                inner: inner.http_connector(settings, components),
                exchanges: exchanges.clone(),
            })
        })
    }

    /// The exchanges so far, in the order their answers arrived.
    pub fn exchanges(&self) -> Vec<Exchange> {
        self.exchanges.lock().unwrap().clone()
    }
}

impl HttpConnector for RecordingConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let key = key_of(&request);
        let recorded = recorded_request(&request);
        let sent = self.inner.call(request);
        let exchanges = self.exchanges.clone();
        HttpConnectorFuture::new(async move {
            let response = sent.await?;
            let status = response.status();
            let headers = response.headers().clone();
            let body = response
                .into_body()
                .collect()
                .await
                .map_err(ConnectorError::io)?
                .to_bytes();
            let kept = headers
                .iter()
                .filter(|(n, _)| KEPT_RESPONSE_HEADERS.contains(&n.to_ascii_lowercase().as_str()))
                .map(|(n, v)| (n.to_ascii_lowercase(), v.to_string()))
                .collect();
            exchanges.lock().unwrap().push(Exchange {
                key,
                request: recorded,
                response: RecordedResponse {
                    status: status.as_u16(),
                    headers: kept,
                    body: String::from_utf8_lossy(&body).into_owned(),
                },
            });
            let mut rebuilt = HttpResponse::new(status, SdkBody::from(body));
            *rebuilt.headers_mut() = headers;
            Ok(rebuilt)
        })
    }
}
