//! Transports for tests and benchmarks: inject a fault (lost connection, or a hang that stands
//! for a killed process) at a chosen request, or delay every request by a fixed latency while
//! measuring how many sequential round-trip stages a run has.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_smithy_runtime_api::client::http::{
    http_client_fn, HttpClient, HttpConnector, HttpConnectorFuture, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_types::body::SdkBody;

use super::exchange::key_of;

/// Wraps every connector `inner` hands out with `f`.
pub fn wrap_client<F>(inner: SharedHttpClient, f: F) -> SharedHttpClient
where
    F: Fn(SharedHttpConnector) -> SharedHttpConnector + Send + Sync + 'static,
{
    http_client_fn(move |settings, components| f(inner.http_connector(settings, components)))
}

/// When the fault strikes.
#[derive(Clone, Debug)]
pub enum Trigger {
    /// The n-th request of the run (1-based).
    Nth(usize),
    /// The first request of this operation (e.g. `UpdateTrail`).
    Operation(String),
    /// The first request of each of these operations, and nothing else: every other request
    /// goes through, before and after (two writes in flight at once, each lost on its own).
    /// `struck` is told once every one of them has struck.
    Each(Vec<String>),
}

#[derive(Clone, Debug)]
pub struct Fault {
    pub trigger: Trigger,
    /// Send the triggering request first, then lose its answer (the write happened, the caller
    /// cannot know).
    pub after_send: bool,
    /// Never answer (stands for a process killed mid-request) instead of failing.
    pub hang: bool,
    /// Only the triggering request fails; the ones after it go through (a blip, not a network
    /// that is gone).
    pub once: bool,
    /// Answer with this HTTP status (and an empty body) instead of losing the connection.
    pub status: Option<u16>,
}

/// Shared between the connector and the test: has the fault struck yet?
#[derive(Debug, Default)]
pub struct FaultSwitch {
    seen: AtomicUsize,
    tripped: AtomicBool,
    /// The operations [`Trigger::Each`] has struck, each once.
    struck_ops: Mutex<std::collections::HashSet<String>>,
    /// How many struck requests have got as far as losing their answer (sent first, if so).
    struck_done: AtomicUsize,
    forwarded: Mutex<std::collections::HashMap<String, usize>>,
    pub struck: tokio::sync::Notify,
}

impl FaultSwitch {
    pub fn tripped(&self) -> bool {
        self.tripped.load(Ordering::SeqCst)
    }

    /// How many requests of `operation` reached the server behind the transport.
    pub fn forwarded(&self, operation: &str) -> usize {
        self.forwarded
            .lock()
            .unwrap()
            .get(operation)
            .copied()
            .unwrap_or_default()
    }

    fn count_forwarded(&self, request: &HttpRequest) {
        *self
            .forwarded
            .lock()
            .unwrap()
            .entry(key_of(request).operation)
            .or_default() += 1;
    }
}

#[derive(Debug)]
struct FaultyConnector {
    inner: SharedHttpConnector,
    fault: Fault,
    switch: Arc<FaultSwitch>,
}

pub fn faulty(inner: SharedHttpClient, fault: Fault, switch: Arc<FaultSwitch>) -> SharedHttpClient {
    wrap_client(inner, move |conn| {
        SharedHttpConnector::new(FaultyConnector {
            inner: conn,
            fault: fault.clone(),
            switch: switch.clone(),
        })
    })
}

impl FaultyConnector {
    /// [`Trigger::Each`]: strikes the first request of each listed operation, on its own.
    fn each(&self, ops: &[String], request: HttpRequest) -> HttpConnectorFuture {
        let operation = key_of(&request).operation;
        let first = ops.contains(&operation)
            && self
                .switch
                .struck_ops
                .lock()
                .unwrap()
                .insert(operation.clone());
        if !first {
            self.switch.count_forwarded(&request);
            return self.inner.call(request);
        }
        self.switch.tripped.store(true, Ordering::SeqCst);
        let sent = self.fault.after_send.then(|| {
            self.switch.count_forwarded(&request);
            self.inner.call(request)
        });
        let all = ops.len();
        self.strike(sent, move |done| done == all)
    }

    /// The answer of a request the fault struck: sent first when `sent`, then lost (or hung);
    /// `struck` is told when `tell` says so of how many struck requests have got that far.
    fn strike(
        &self,
        sent: Option<HttpConnectorFuture>,
        tell: impl FnOnce(usize) -> bool + Send + 'static,
    ) -> HttpConnectorFuture {
        let hang = self.fault.hang;
        let status = self.fault.status;
        let switch = self.switch.clone();
        HttpConnectorFuture::new(async move {
            if let Some(sent) = sent {
                let _ = sent.await;
            }
            let done = switch.struck_done.fetch_add(1, Ordering::SeqCst) + 1;
            if tell(done) {
                switch.struck.notify_waiters();
            }
            if hang {
                std::future::pending::<()>().await;
            }
            match status {
                Some(status) => Ok(HttpResponse::new(
                    status.try_into().expect("a valid HTTP status"),
                    SdkBody::empty(),
                )),
                None => Err(ConnectorError::io(
                    "injected fault: the connection was lost".into(),
                )),
            }
        })
    }
}

impl HttpConnector for FaultyConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        if let Trigger::Each(ops) = &self.fault.trigger {
            return self.each(ops, request);
        }
        let n = self.switch.seen.fetch_add(1, Ordering::SeqCst) + 1;
        let already = self.switch.tripped() && !self.fault.once;
        let strikes_now = !already
            && match &self.fault.trigger {
                Trigger::Nth(k) => n == *k,
                Trigger::Operation(op) => key_of(&request).operation == *op,
                Trigger::Each(_) => unreachable!("struck in `each`"),
            };
        let first_strike = strikes_now && !self.switch.tripped();
        if !already && !first_strike {
            self.switch.count_forwarded(&request);
            return self.inner.call(request);
        }
        self.switch.tripped.store(true, Ordering::SeqCst);
        let forward = first_strike && self.fault.after_send;
        if forward {
            self.switch.count_forwarded(&request);
        }
        let sent = forward.then(|| self.inner.call(request));
        // Only the first strike tells: a request after it (beside it, in a wave) must not
        // report the fault before the first one's send has got through.
        self.strike(sent, move |_| first_strike)
    }
}

/// Delays every request by a fixed latency and records when requests were in flight.
#[derive(Debug, Default)]
pub struct LatencyMeter {
    intervals: Mutex<Vec<(Instant, Instant)>>,
    requests: AtomicUsize,
}

impl LatencyMeter {
    /// Sequential round-trip stages on the critical path: each request's depth is one more than
    /// the deepest request that had finished before it started; the run's stages are the
    /// deepest depth. A fan-out that fits in one wave is one stage; one that needs three waves
    /// (too little concurrency) is three.
    pub fn stages(&self) -> usize {
        let mut spans = self.intervals.lock().unwrap().clone();
        spans.sort();
        let mut depths: Vec<usize> = Vec::with_capacity(spans.len());
        for (i, (start, _)) in spans.iter().enumerate() {
            let before = spans[..i]
                .iter()
                .zip(&depths)
                .filter(|((_, end), _)| end <= start)
                .map(|(_, d)| *d)
                .max()
                .unwrap_or(0);
            depths.push(before + 1);
        }
        depths.into_iter().max().unwrap_or(0)
    }

    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

#[derive(Debug)]
struct DelayConnector {
    inner: SharedHttpConnector,
    latency: Duration,
    meter: Arc<LatencyMeter>,
}

pub fn delayed(
    inner: SharedHttpClient,
    latency: Duration,
    meter: Arc<LatencyMeter>,
) -> SharedHttpClient {
    wrap_client(inner, move |conn| {
        SharedHttpConnector::new(DelayConnector {
            inner: conn,
            latency,
            meter: meter.clone(),
        })
    })
}

impl HttpConnector for DelayConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let latency = self.latency;
        let meter = self.meter.clone();
        let sent = self.inner.call(request);
        HttpConnectorFuture::new(async move {
            let start = Instant::now();
            meter.requests.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(latency).await;
            let result = sent.await;
            meter
                .intervals
                .lock()
                .unwrap()
                .push((start, Instant::now()));
            result
        })
    }
}

/// When each request started and when its answer came, by operation (for tests of ordering).
#[derive(Debug, Default)]
pub struct CallTimes(Mutex<Vec<(String, Instant, Instant)>>);

impl CallTimes {
    /// Every request of `operation` that was answered: when it started, when its answer came,
    /// in the order they started.
    pub fn of(&self, operation: &str) -> Vec<(Instant, Instant)> {
        let mut spans: Vec<(Instant, Instant)> = self
            .0
            .lock()
            .unwrap()
            .iter()
            .filter(|(op, _, _)| op == operation)
            .map(|(_, start, end)| (*start, *end))
            .collect();
        spans.sort();
        spans
    }
}

#[derive(Debug)]
struct SlowConnector {
    inner: SharedHttpConnector,
    operation: String,
    delay: Duration,
    times: Arc<CallTimes>,
}

/// Delays each request of `operation` by `delay` before it is sent (one slow call, say a far
/// region's write), and notes in `times` when every request started and was answered.
pub fn slowed(
    inner: SharedHttpClient,
    operation: &str,
    delay: Duration,
    times: Arc<CallTimes>,
) -> SharedHttpClient {
    let operation = operation.to_string();
    wrap_client(inner, move |conn| {
        SharedHttpConnector::new(SlowConnector {
            inner: conn,
            operation: operation.clone(),
            delay,
            times: times.clone(),
        })
    })
}

impl HttpConnector for SlowConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let operation = key_of(&request).operation;
        let delay = (operation == self.operation).then_some(self.delay);
        let inner = self.inner.clone();
        let times = self.times.clone();
        HttpConnectorFuture::new(async move {
            let start = Instant::now();
            if let Some(delay) = delay {
                tokio::time::sleep(delay).await;
            }
            let answer = inner.call(request).await;
            times
                .0
                .lock()
                .unwrap()
                .push((operation, start, Instant::now()));
            answer
        })
    }
}
