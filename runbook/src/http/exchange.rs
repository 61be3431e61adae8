//! One recorded HTTP exchange, and how a request is identified for replay: by service, region,
//! operation and the parameters that matter, never by signature, date or invocation id.

use std::collections::BTreeMap;

use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use serde::{Deserialize, Serialize};

/// `fixtures/<scenario>/traffic.json`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Fixture {
    /// The account the scenario shows and what the runbook should do with it.
    pub description: String,
    /// `recorded` (real wire traffic, redacted) or `hand-edited`, with why.
    pub origin: String,
    /// The region the run was recorded with (`--region`).
    pub region: String,
    /// The `cargo xtask run` arguments it was recorded with.
    pub run_args: Vec<String>,
    pub exchanges: Vec<Exchange>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Exchange {
    pub key: RequestKey,
    pub request: RecordedRequest,
    pub response: RecordedResponse,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[serde(deny_unknown_fields)]
pub struct RequestKey {
    pub service: String,
    pub region: String,
    pub operation: String,
    /// Canonical parameters: sorted JSON for JSON protocols, sorted form pairs for query
    /// protocols, bucket (and the expected owner it names, if any) plus body for S3.
    pub params: String,
}

impl std::fmt::Display for RequestKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {} in {} {}",
            self.service, self.operation, self.region, self.params
        )
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RecordedRequest {
    pub method: String,
    /// Path and query, as sent (the host is not kept: it differs between endpoints).
    pub path: String,
    pub headers: BTreeMap<String, String>,
    pub body: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RecordedResponse {
    pub status: u16,
    pub headers: BTreeMap<String, String>,
    pub body: String,
}

/// Request headers worth keeping in a fixture; everything else (signature, dates, tokens,
/// invocation ids, user agents, checksums) is dropped.
pub const KEPT_REQUEST_HEADERS: &[&str] = &[
    "content-type",
    "x-amz-target",
    "x-amz-expected-bucket-owner",
];
/// Response headers the SDK reads.
pub const KEPT_RESPONSE_HEADERS: &[&str] = &[
    "content-type",
    "x-amzn-requestid",
    "x-amz-request-id",
    "x-amz-id-2",
    "x-amz-bucket-region",
    "x-amzn-errortype",
    "location",
];

/// Service and region from the SigV4 credential scope (`Credential=AKID/date/region/service/aws4_request`).
fn scope(req: &HttpRequest) -> Option<(String, String)> {
    let auth = req.headers().get("authorization")?;
    let credential = auth.split("Credential=").nth(1)?;
    let mut parts = credential.split(['/', ',']);
    let _akid = parts.next()?;
    let _date = parts.next()?;
    let region = parts.next()?.to_string();
    let service = parts.next()?.to_string();
    Some((service, region))
}

fn host_of(uri: &str) -> &str {
    uri.split("://")
        .nth(1)
        .unwrap_or(uri)
        .split('/')
        .next()
        .unwrap_or_default()
}

fn path_and_query(uri: &str) -> String {
    match uri.split("://").nth(1) {
        Some(rest) => rest
            .find('/')
            .map(|i| rest[i..].to_string())
            .unwrap_or_else(|| "/".into()),
        None => uri.to_string(),
    }
}

fn s3_operation(method: &str, query: &str) -> String {
    let has = |sub: &str| {
        query
            .split('&')
            .any(|p| p == sub || p.starts_with(&format!("{sub}=")))
    };
    let op = match method {
        "HEAD" => "HeadBucket",
        "GET" if has("encryption") => "GetBucketEncryption",
        "PUT" if has("encryption") => "PutBucketEncryption",
        "GET" if has("policy") => "GetBucketPolicy",
        "PUT" if has("policy") => "PutBucketPolicy",
        "GET" if has("location") => "GetBucketLocation",
        "PUT" => "CreateBucket",
        _ => "",
    };
    if op.is_empty() {
        format!("{method} ?{query}")
    } else {
        op.to_string()
    }
}

fn canonical_json(body: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(body) {
        Ok(v) => v.to_string(),
        Err(_) => body.to_string(),
    }
}

fn canonical_form(body: &str) -> String {
    let mut pairs: Vec<&str> = body.split('&').filter(|p| !p.is_empty()).collect();
    pairs.sort();
    pairs.join("&")
}

/// Identifies a request the same way whether it was sent to moto (path-style) or to real AWS
/// (virtual-hosted style), and whatever its signature or time.
pub fn key_of(req: &HttpRequest) -> RequestKey {
    let body = req
        .body()
        .bytes()
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .unwrap_or_default();
    let uri = req.uri().to_string();
    let host = host_of(&uri).to_string();
    let pq = path_and_query(&uri);
    let (path, query) = pq.split_once('?').unwrap_or((&pq, ""));
    let (service, region) = scope(req).unwrap_or_else(|| {
        (
            host.split('.').next().unwrap_or_default().to_string(),
            String::new(),
        )
    });
    if let Some(target) = req.headers().get("x-amz-target") {
        let operation = target.rsplit('.').next().unwrap_or(target).to_string();
        return RequestKey {
            service,
            region,
            operation,
            params: canonical_json(&body),
        };
    }
    if service == "s3" {
        let bucket = match host.split_once(".s3.") {
            Some((bucket, _)) => bucket.to_string(),
            None => path
                .trim_start_matches('/')
                .split('/')
                .next()
                .unwrap_or_default()
                .to_string(),
        };
        let mut query: Vec<&str> = query
            .split('&')
            .filter(|p| !p.is_empty() && !p.starts_with("x-id="))
            .collect();
        query.sort();
        let query = query.join("&");
        let operation = if bucket.is_empty() && req.method() == "GET" {
            "ListBuckets".to_string()
        } else {
            s3_operation(req.method(), &query)
        };
        // The owner a request names is part of what it asks: a call on another account's bucket
        // must not be answered by one on ours.
        let mut params = format!("bucket={bucket}");
        if let Some(owner) = req.headers().get("x-amz-expected-bucket-owner") {
            params += &format!(" owner={owner}");
        }
        if !body.is_empty() {
            params += &format!(" {}", body.trim());
        }
        return RequestKey {
            service,
            region,
            operation,
            params,
        };
    }
    let params = canonical_form(&body);
    let operation = params
        .split('&')
        .find_map(|p| p.strip_prefix("Action="))
        .unwrap_or(req.method())
        .to_string();
    RequestKey {
        service,
        region,
        operation,
        params,
    }
}

/// The request as a fixture keeps it: method, path and query, kept headers, body.
pub fn recorded_request(req: &HttpRequest) -> RecordedRequest {
    let headers = req
        .headers()
        .iter()
        .filter(|(name, _)| KEPT_REQUEST_HEADERS.contains(&name.to_ascii_lowercase().as_str()))
        .map(|(n, v)| (n.to_ascii_lowercase(), v.to_string()))
        .collect();
    RecordedRequest {
        method: req.method().to_string(),
        path: path_and_query(req.uri()),
        headers,
        body: req
            .body()
            .bytes()
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default(),
    }
}
