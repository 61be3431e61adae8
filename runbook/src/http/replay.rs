//! The replayer: an `HttpConnector` that answers each request from a fixture, by its key
//! (service, region, operation, parameters), in recorded order per key. Requests may arrive in
//! any order (the region fan-out is parallel); the answers are the same.

use std::path::Path;
use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::client::http::{
    http_client_fn, HttpConnector, HttpConnectorFuture, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;

use super::exchange::{key_of, Exchange, Fixture, RequestKey};
use crate::error::{Error, Result};

#[derive(Clone, Debug)]
pub struct Replayer {
    state: Arc<State>,
}

#[derive(Debug)]
struct State {
    exchanges: Vec<Exchange>,
    used: Mutex<Vec<bool>>,
    misses: Mutex<Vec<RequestKey>>,
}

/// A request the fixture has no (more) answer for.
#[derive(Debug)]
pub struct ReplayMiss {
    pub key: RequestKey,
    pub nearest: Option<RequestKey>,
}

impl std::fmt::Display for ReplayMiss {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "replay: no recorded exchange left for `{}`", self.key)?;
        match &self.nearest {
            Some(n) => write!(f, "; the nearest recorded one is `{n}`"),
            None => write!(
                f,
                "; the fixture has nothing for {} {}",
                self.key.service, self.key.operation
            ),
        }
    }
}

impl std::error::Error for ReplayMiss {}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The largest fixture read: a recording of one run is a few hundred KiB; this is generous.
pub const FIXTURE_MAX_BYTES: u64 = 64 * 1024 * 1024;

/// Reads and checks a scenario (a folder holding `traffic.json`, or the file itself). Only a
/// regular file of at most [`FIXTURE_MAX_BYTES`] is read (a FIFO or a device is refused, not
/// waited on or read without end), and every exchange must be one the replayer can answer
/// with: a bad header or status is refused here, naming the exchange, before any run opens.
pub fn load_fixture(path: &Path) -> Result<Fixture> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;

    let file = if path.is_dir() {
        path.join("traffic.json")
    } else {
        path.to_path_buf()
    };
    let bad = |problem: String| Error::Fixture {
        path: file.clone(),
        problem,
    };
    // O_NONBLOCK: a FIFO is opened without waiting for a writer, then refused below.
    let opened = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(&file)
        .map_err(|e| {
            bad(format!(
                "cannot be read ({e}); give the folder of a recorded scenario (it holds \
                 traffic.json)"
            ))
        })?;
    let meta = opened
        .metadata()
        .map_err(|e| bad(format!("cannot be read ({e})")))?;
    if !meta.is_file() {
        return Err(bad(
            "is not a regular file (a FIFO, a device or a folder): a scenario is a folder holding traffic.json, or that file"
                .into(),
        ));
    }
    let mut bytes = Vec::new();
    opened
        .take(FIXTURE_MAX_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| bad(format!("cannot be read ({e})")))?;
    if bytes.len() as u64 > FIXTURE_MAX_BYTES {
        return Err(bad(format!(
            "is larger than {} MiB, the most a fixture may hold; a recording of one run is far              smaller",
            FIXTURE_MAX_BYTES / (1024 * 1024)
        )));
    }
    let fixture: Fixture =
        serde_json::from_slice(&bytes).map_err(|e| bad(format!("is not a valid fixture: {e}")))?;
    for (index, exchange) in fixture.exchanges.iter().enumerate() {
        check_exchange(exchange).map_err(|problem| {
            bad(format!(
                "exchange {} (`{}`): {problem}",
                index + 1,
                exchange.key
            ))
        })?;
    }
    Ok(fixture)
}

/// Whether the replayer can answer with `exchange`: a valid status and headers the HTTP
/// layer accepts (no control characters, no bad names).
fn check_exchange(exchange: &Exchange) -> std::result::Result<(), String> {
    let status = exchange.response.status;
    if StatusCode::try_from(status).is_err() {
        return Err(format!("response status {status} is not an HTTP status"));
    }
    let mut headers = aws_smithy_runtime_api::http::Headers::new();
    for (name, value) in &exchange.response.headers {
        headers.try_insert(name.clone(), value.clone()).map_err(|_| {
            format!(
                "response header `{}` is not a valid HTTP header (a control character or an invalid name); fix or re-record the fixture",
                name.escape_default()
            )
        })?;
    }
    Ok(())
}

impl Replayer {
    pub fn new(fixture: &Fixture) -> Replayer {
        Replayer {
            state: Arc::new(State {
                used: Mutex::new(vec![false; fixture.exchanges.len()]),
                exchanges: fixture.exchanges.clone(),
                misses: Mutex::new(Vec::new()),
            }),
        }
    }

    pub fn http_client(&self) -> SharedHttpClient {
        let me = self.clone();
        http_client_fn(move |_, _| SharedHttpConnector::new(me.clone()))
    }

    /// Recorded exchanges no request asked for.
    pub fn unused(&self) -> Vec<RequestKey> {
        let used = self.state.used.lock().unwrap();
        self.state
            .exchanges
            .iter()
            .zip(used.iter())
            .filter(|(_, u)| !**u)
            .map(|(e, _)| e.key.clone())
            .collect()
    }

    /// Positions (in the fixture) of the exchanges no request asked for.
    pub fn unused_indices(&self) -> Vec<usize> {
        let used = self.state.used.lock().unwrap();
        used.iter()
            .enumerate()
            .filter(|(_, u)| !**u)
            .map(|(i, _)| i)
            .collect()
    }

    /// Requests that found no answer.
    pub fn misses(&self) -> Vec<RequestKey> {
        self.state.misses.lock().unwrap().clone()
    }

    fn nearest(&self, key: &RequestKey) -> Option<RequestKey> {
        let score = |k: &RequestKey| {
            (k.service == key.service) as u8 * 4
                + (k.operation == key.operation) as u8 * 2
                + (k.region == key.region) as u8
        };
        self.state
            .exchanges
            .iter()
            .map(|e| &e.key)
            .filter(|k| k.service == key.service)
            .max_by_key(|k| score(k))
            .cloned()
    }

    /// The answer to `req`, marking it used.
    pub fn answer(&self, req: &HttpRequest) -> std::result::Result<HttpResponse, BoxError> {
        let key = key_of(req);
        let found = {
            let mut used = self.state.used.lock().unwrap();
            let index = self
                .state
                .exchanges
                .iter()
                .enumerate()
                .position(|(i, e)| !used[i] && e.key == key);
            if let Some(i) = index {
                used[i] = true;
            }
            index
        };
        match found {
            Some(i) => Ok(response(&self.state.exchanges[i])?),
            None => {
                self.state.misses.lock().unwrap().push(key.clone());
                let nearest = self.nearest(&key);
                Err(Box::new(ReplayMiss { key, nearest }))
            }
        }
    }
}

/// The recorded answer; a header the HTTP layer refuses (a fixture that did not come through
/// [`load_fixture`]) is a connector error naming the exchange, never a panic.
fn response(e: &Exchange) -> std::result::Result<HttpResponse, String> {
    check_exchange(e).map_err(|problem| format!("replay: the exchange `{}`: {problem}", e.key))?;
    let status = StatusCode::try_from(e.response.status).map_err(|_| "status".to_string())?;
    let mut resp = HttpResponse::new(status, SdkBody::from(e.response.body.clone()));
    for (name, value) in &e.response.headers {
        resp.headers_mut()
            .try_insert(name.clone(), value.clone())
            .map_err(|err| format!("replay: the exchange `{}`: {err}", e.key))?;
    }
    Ok(resp)
}

impl HttpConnector for Replayer {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        HttpConnectorFuture::ready(
            self.answer(&request)
                .map_err(|e| ConnectorError::other(e, None)),
        )
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::http::exchange::{RecordedRequest, RecordedResponse};

    fn describe_trails(region: &str) -> HttpRequest {
        let mut req = HttpRequest::new(SdkBody::from(r#"{"includeShadowTrails":true}"#));
        req.set_uri(format!("https://cloudtrail.{region}.amazonaws.com/"))
            .unwrap();
        req.set_method("POST").unwrap();
        req.headers_mut()
            .insert("x-amz-target", "CloudTrail_20131101.DescribeTrails");
        // Signature and date differ on every run; they must not matter.
        req.headers_mut().insert(
            "authorization",
            format!("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261129/{region}/cloudtrail/aws4_request, SignedHeaders=host, Signature={}", region.len()),
        );
        req
    }

    fn exchange(region: &str, answer: &str) -> Exchange {
        Exchange {
            key: key_of(&describe_trails(region)),
            request: RecordedRequest {
                method: "POST".into(),
                path: "/".into(),
                headers: BTreeMap::new(),
                body: String::new(),
            },
            response: RecordedResponse {
                status: 200,
                headers: BTreeMap::new(),
                body: answer.into(),
            },
        }
    }

    fn fixture(exchanges: Vec<Exchange>) -> Fixture {
        Fixture {
            description: String::new(),
            origin: "test".into(),
            region: "ap-northeast-1".into(),
            run_args: vec![],
            exchanges,
        }
    }

    fn body(resp: HttpResponse) -> String {
        String::from_utf8(resp.body().bytes().unwrap().to_vec()).unwrap()
    }

    #[test]
    fn answers_by_content_whatever_the_arrival_order() {
        let f = fixture(vec![
            exchange("eu-west-1", "eu-1"),
            exchange("us-east-1", "us-1"),
            exchange("eu-west-1", "eu-2"),
        ]);
        let forward = Replayer::new(&f);
        let backward = Replayer::new(&f);
        let a: Vec<String> = ["eu-west-1", "us-east-1", "eu-west-1"]
            .iter()
            .map(|r| body(forward.answer(&describe_trails(r)).unwrap()))
            .collect();
        let b: Vec<String> = ["us-east-1", "eu-west-1", "eu-west-1"]
            .iter()
            .map(|r| body(backward.answer(&describe_trails(r)).unwrap()))
            .collect();
        assert_eq!(a, vec!["eu-1", "us-1", "eu-2"]);
        assert_eq!(
            b,
            vec!["us-1", "eu-1", "eu-2"],
            "same answers per key, in recorded order per key"
        );
        assert!(forward.unused().is_empty() && backward.unused().is_empty());
    }

    #[test]
    fn an_unmatched_request_names_itself_and_the_nearest_recorded_one() {
        let replayer = Replayer::new(&fixture(vec![exchange("eu-west-1", "eu-1")]));
        let miss = replayer.answer(&describe_trails("ap-south-1")).unwrap_err();
        let text = miss.to_string();
        assert!(
            text.contains("no recorded exchange left for `cloudtrail DescribeTrails in ap-south-1"),
            "{text}"
        );
        assert!(
            text.contains("nearest recorded one is `cloudtrail DescribeTrails in eu-west-1"),
            "{text}"
        );
        assert_eq!(
            replayer.unused().len(),
            1,
            "the unasked exchange is reported"
        );
        assert_eq!(replayer.misses().len(), 1);
        // A key answered once has no second answer.
        replayer.answer(&describe_trails("eu-west-1")).unwrap();
        assert!(replayer.answer(&describe_trails("eu-west-1")).is_err());
    }

    #[test]
    fn a_bad_header_is_refused_at_load_naming_the_exchange_and_never_panics() {
        let mut bad = exchange("eu-west-1", "eu-1");
        bad.response
            .headers
            .insert("x-amz-request-id".into(), "a\u{1b}b".into());
        let fixture = fixture(vec![exchange("us-east-1", "us-1"), bad]);
        // A fixture that did not come through `load_fixture`: an error, not a panic.
        let err = Replayer::new(&fixture)
            .answer(&describe_trails("eu-west-1"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("x-amz-request-id"), "{err}");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("traffic.json");
        std::fs::write(&path, serde_json::to_string(&fixture).unwrap()).unwrap();
        let err = load_fixture(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("exchange 2 (`cloudtrail DescribeTrails in eu-west-1")
                && err.contains("not a valid HTTP header"),
            "{err}"
        );
    }

    #[test]
    fn s3_requests_match_path_style_and_virtual_hosted_alike() {
        let s3 = |uri: &str| {
            let mut req = HttpRequest::new(SdkBody::empty());
            req.set_uri(uri).unwrap();
            req.set_method("GET").unwrap();
            req.headers_mut().insert(
                "authorization",
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261129/ap-northeast-1/s3/aws4_request, SignedHeaders=host, Signature=0",
            );
            key_of(&req)
        };
        let moto = s3("http://127.0.0.1:5000/cm-members-cloudtrail-123456789012?encryption");
        let aws = s3("https://cm-members-cloudtrail-123456789012.s3.ap-northeast-1.amazonaws.com/?encryption");
        assert_eq!(moto, aws);
        assert_eq!(moto.operation, "GetBucketEncryption");
    }

    fn s3_request(uri: &str, owner: Option<&str>) -> HttpRequest {
        let mut req = HttpRequest::new(SdkBody::empty());
        req.set_uri(uri).unwrap();
        req.set_method("GET").unwrap();
        req.headers_mut().insert(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261129/ap-northeast-1/s3/aws4_request, SignedHeaders=host, Signature=0",
        );
        if let Some(owner) = owner {
            req.headers_mut()
                .insert("x-amz-expected-bucket-owner", owner.to_string());
        }
        req
    }

    #[test]
    fn the_owner_an_s3_request_names_is_part_of_its_key() {
        let uri = "https://b.s3.ap-northeast-1.amazonaws.com/?encryption";
        let ours = key_of(&s3_request(uri, Some("123456789012")));
        assert_eq!(ours.params, "bucket=b owner=123456789012");
        assert_ne!(ours, key_of(&s3_request(uri, Some("111122223333"))));
        assert_ne!(ours, key_of(&s3_request(uri, None)));
        let list = key_of(&s3_request(
            "https://s3.ap-northeast-1.amazonaws.com/?prefix=b&x-id=ListBuckets",
            None,
        ));
        assert_eq!(list.operation, "ListBuckets");
    }

    /// The matcher knows nothing of moto: the real SDK, sending to AWS's own endpoints
    /// (virtual-hosted S3), is answered from exchanges shaped as AWS answers them
    /// (`application/x-amz-json-1.1`, no `KmsKeyId` on a trail that is not encrypted, S3's
    /// `x-amz-request-id` and `x-amz-id-2`), and reads them as AWS's.
    #[tokio::test]
    async fn aws_shaped_answers_replay_through_the_sdk() {
        use aws_credential_types::Credentials;
        use aws_sdk_s3::operation::RequestIdExt as _;
        use aws_types::region::Region;
        use aws_types::request_id::RequestId as _;

        let key = |service: &str, operation: &str, params: &str| RequestKey {
            service: service.into(),
            region: "ap-northeast-1".into(),
            operation: operation.into(),
            params: params.into(),
        };
        let answer = |key: RequestKey, headers: &[(&str, &str)], body: &str| Exchange {
            key,
            request: RecordedRequest {
                method: "POST".into(),
                path: "/".into(),
                headers: BTreeMap::new(),
                body: String::new(),
            },
            response: RecordedResponse {
                status: 200,
                headers: headers
                    .iter()
                    .map(|(n, v)| (n.to_string(), v.to_string()))
                    .collect(),
                body: body.into(),
            },
        };
        let bucket = "cm-members-cloudtrail-123456789012";
        let replayer = Replayer::new(&fixture(vec![
            answer(
                key("cloudtrail", "DescribeTrails", r#"{"includeShadowTrails":true}"#),
                &[
                    ("content-type", "application/x-amz-json-1.1"),
                    ("x-amzn-requestid", "0e6f3f5c-1b7e-4a59-9d1e-6a9c3e1f2a11"),
                ],
                r#"{"trailList":[{"Name":"Members","S3BucketName":"cm-members-cloudtrail-123456789012","IsMultiRegionTrail":true,"HomeRegion":"ap-northeast-1","TrailARN":"arn:aws:cloudtrail:ap-northeast-1:123456789012:trail/Members","IsOrganizationTrail":false}]}"#,
            ),
            answer(
                key("s3", "HeadBucket", &format!("bucket={bucket} owner=123456789012")),
                &[
                    ("x-amz-bucket-region", "ap-northeast-1"),
                    ("x-amz-request-id", "4442587FB7D0A2F9"),
                    ("x-amz-id-2", "vlR7PnpV2Ce81l0PRw6jlUpck7Jo5ZsQjryTjKlc5aLWGVHPZLj5NeC6qMa0emYBDXOo6QBU0Wo="),
                ],
                "",
            ),
        ]));
        let credentials = Credentials::new("AKIDEXAMPLE", "SECRET", None, None, "test");
        let trails = aws_sdk_cloudtrail::Client::from_conf(
            aws_sdk_cloudtrail::Config::builder()
                .behavior_version_latest()
                .region(Region::new("ap-northeast-1"))
                .credentials_provider(credentials.clone())
                .http_client(replayer.http_client())
                .build(),
        )
        .describe_trails()
        .include_shadow_trails(true)
        .send()
        .await
        .expect("the AWS-shaped answer replays");
        let trail = &trails.trail_list()[0];
        assert_eq!(trail.name(), Some("Members"));
        assert_eq!(trail.kms_key_id(), None, "no KmsKeyId: not encrypted");
        assert_eq!(
            trails.request_id(),
            Some("0e6f3f5c-1b7e-4a59-9d1e-6a9c3e1f2a11")
        );

        let head = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::Config::builder()
                .behavior_version_latest()
                .region(Region::new("ap-northeast-1"))
                .credentials_provider(credentials)
                .http_client(replayer.http_client())
                .build(),
        )
        .head_bucket()
        .bucket(bucket)
        .expected_bucket_owner("123456789012")
        .send()
        .await
        .expect("the virtual-hosted request finds the recorded answer");
        assert_eq!(head.bucket_region(), Some("ap-northeast-1"));
        assert_eq!(head.request_id(), Some("4442587FB7D0A2F9"));
        assert!(head
            .extended_request_id()
            .unwrap()
            .starts_with("vlR7PnpV2Ce81"));
        assert!(replayer.misses().is_empty() && replayer.unused().is_empty());
    }
}
