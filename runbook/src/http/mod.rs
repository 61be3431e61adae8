//! HTTP clients plugged into the SDK below signing: a recorder wrapping the real connector, a
//! replayer answering from recorded exchanges, and (for tests and benchmarks) a fault injector
//! and a delayer. All speak the SDK's own `HttpClient` / `HttpConnector` traits.

pub mod exchange;
pub mod record;
pub mod redact;
pub mod replay;
pub mod wrap;

pub use exchange::{Exchange, Fixture, RecordedRequest, RecordedResponse, RequestKey};
pub use record::Recorder;
pub use replay::Replayer;
