//! HTTP clients plugged into the SDK below signing: a recorder wrapping the real connector, a
//! replayer answering from recorded exchanges, and (for tests and benchmarks) a fault injector
//! and a delayer. All speak the SDK's own `HttpClient` / `HttpConnector` traits.

pub mod exchange;
pub mod limit;
pub mod record;
pub mod redact;
pub mod replay;
pub mod wrap;

pub use exchange::{Exchange, Fixture, RecordedRequest, RecordedResponse, RequestKey};
pub use record::Recorder;
pub use replay::Replayer;

/// The SDK's own HTTPS client (hyper 1 + rustls), to wrap with a recorder or a test transport.
pub fn real_client() -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};
    aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::AwsLc))
        .build_https()
}
