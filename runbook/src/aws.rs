//! The AWS side: one client per (service, region), built once from one `SdkConfig` (so credentials
//! are resolved and cached once), and one funnel, [`call`], through which every AWS call goes so
//! that it is timed, classified and recorded in the audit trail.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;
use std::time::Instant;

use aws_config::SdkConfig;
use aws_credential_types::provider::ProvideCredentials;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use aws_types::region::Region;
use aws_types::request_id::RequestId;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::secrets::Secrets;

/// Region used for account-wide calls (STS, EC2 DescribeRegions) when none is configured: the
/// secure account's home region.
pub const FALLBACK_REGION: &str = "ap-northeast-1";

/// An AWS operation this tool may call, with the IAM action it needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Op {
    pub service: &'static str,
    pub operation: &'static str,
    pub action: &'static str,
    pub writes: bool,
    /// What the action may be narrowed to in an IAM policy (AWS's service authorization
    /// reference): `Any` where the action has no resource type and needs `*`.
    pub resource: IamResource,
    /// Whether the read-only `status` runbook calls it (`revert` calls them all).
    pub status: bool,
}

/// The resource an IAM action can be granted on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum IamResource {
    /// No resource-level permission: `"Resource": "*"`.
    Any,
    /// The trail (`arn:…:cloudtrail:region:account:trail/name`).
    Trail,
    /// The trail's bucket (`arn:…:s3:::name`).
    Bucket,
    /// A KMS key (`arn:…:kms:region:account:key/id`).
    Key,
}

macro_rules! ops {
    ($($name:ident = $service:literal $operation:literal $action:literal $writes:literal $resource:ident $status:literal;)*) => {
        $(pub const $name: Op = Op {
            service: $service,
            operation: $operation,
            action: $action,
            writes: $writes,
            resource: IamResource::$resource,
            status: $status,
        };)*
        /// Every operation the tool uses: the IAM policy an operator needs is made of these.
        pub const ALL_OPS: &[Op] = &[$($name),*];
    };
}

ops! {
    // name = service operation IAM-action writes resource used-by-status;
    GET_CALLER_IDENTITY = "sts" "GetCallerIdentity" "sts:GetCallerIdentity" false Any true;
    DESCRIBE_REGIONS = "ec2" "DescribeRegions" "ec2:DescribeRegions" false Any true;
    DESCRIBE_TRAILS = "cloudtrail" "DescribeTrails" "cloudtrail:DescribeTrails" false Any true;
    UPDATE_TRAIL = "cloudtrail" "UpdateTrail" "cloudtrail:UpdateTrail" true Trail false;
    HEAD_BUCKET = "s3" "HeadBucket" "s3:ListBucket" false Bucket true;
    GET_BUCKET_LOCATION = "s3" "GetBucketLocation" "s3:GetBucketLocation" false Bucket true;
    GET_BUCKET_ENCRYPTION = "s3" "GetBucketEncryption" "s3:GetEncryptionConfiguration" false Bucket true;
    PUT_BUCKET_ENCRYPTION = "s3" "PutBucketEncryption" "s3:PutEncryptionConfiguration" true Bucket false;
    GET_BUCKET_POLICY = "s3" "GetBucketPolicy" "s3:GetBucketPolicy" false Bucket true;
    LIST_BUCKETS = "s3" "ListBuckets" "s3:ListAllMyBuckets" false Any true;
    DESCRIBE_KEY = "kms" "DescribeKey" "kms:DescribeKey" false Key false;
    GET_KEY_POLICY = "kms" "GetKeyPolicy" "kms:GetKeyPolicy" false Key false;
    DESCRIBE_DELIVERY_CHANNELS = "config" "DescribeDeliveryChannels" "config:DescribeDeliveryChannels" false Any false;
}

/// A batch's own calls, made with the caller's credentials (not part of a member account's
/// policy): the organization's accounts, and the role assumed in each member account (made by
/// the credential provider, so never recorded; listed here for the caller's IAM policy).
pub const LIST_ACCOUNTS: Op = Op {
    service: "organizations",
    operation: "ListAccounts",
    action: "organizations:ListAccounts",
    writes: false,
    resource: IamResource::Any,
    status: true,
};
pub const ASSUME_ROLE: Op = Op {
    service: "sts",
    operation: "AssumeRole",
    action: "sts:AssumeRole",
    writes: false,
    resource: IamResource::Any,
    status: true,
};

impl Op {
    /// `service:Operation`, as the plan and the journal name a write.
    pub fn qualified(&self) -> String {
        format!("{}:{}", self.service, self.operation)
    }
}

/// One AWS call as the audit trail records it. Parameters are the ones this tool chose; nothing
/// secret ever goes in (the SDK's signature and credentials never pass through here).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct CallRecord {
    pub service: String,
    pub operation: String,
    pub region: String,
    pub params: Value,
    pub outcome: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// S3's second request id (`x-amz-id-2`): AWS Support asks for both.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extended_request_id: Option<String>,
    pub duration_ms: u64,
    /// The step the call was made for, named when two steps run side by side (the journal
    /// then tells their calls apart).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<crate::journal::step_name::StepName>,
}

/// The S3 extended request id (`x-amz-id-2`) an answer carries; other services have none.
pub trait ExtendedRequestId {
    fn extended_request_id(&self) -> Option<&str> {
        None
    }
}

macro_rules! s3_extended_request_id {
    ($($output:ty),* $(,)?) => {$(
        impl ExtendedRequestId for $output {
            fn extended_request_id(&self) -> Option<&str> {
                aws_sdk_s3::operation::RequestIdExt::extended_request_id(self)
            }
        }
    )*};
}

s3_extended_request_id!(
    aws_sdk_s3::operation::list_buckets::ListBucketsOutput,
    aws_sdk_s3::operation::head_bucket::HeadBucketOutput,
    aws_sdk_s3::operation::get_bucket_location::GetBucketLocationOutput,
    aws_sdk_s3::operation::get_bucket_encryption::GetBucketEncryptionOutput,
    aws_sdk_s3::operation::put_bucket_encryption::PutBucketEncryptionOutput,
    aws_sdk_s3::operation::get_bucket_policy::GetBucketPolicyOutput,
);

impl ExtendedRequestId for aws_sdk_sts::operation::get_caller_identity::GetCallerIdentityOutput {}
impl ExtendedRequestId for aws_sdk_ec2::operation::describe_regions::DescribeRegionsOutput {}
impl ExtendedRequestId for aws_sdk_cloudtrail::operation::describe_trails::DescribeTrailsOutput {}
impl ExtendedRequestId for aws_sdk_cloudtrail::operation::update_trail::UpdateTrailOutput {}
impl ExtendedRequestId for aws_sdk_kms::operation::describe_key::DescribeKeyOutput {}
impl ExtendedRequestId for aws_sdk_kms::operation::get_key_policy::GetKeyPolicyOutput {}
impl ExtendedRequestId for aws_sdk_organizations::operation::list_accounts::ListAccountsOutput {}
impl ExtendedRequestId
    for aws_sdk_config::operation::describe_delivery_channels::DescribeDeliveryChannelsOutput
{
}

/// Where call records go: the run's audit log, or a buffer before the run exists.
pub trait CallSink: Send + Sync {
    fn record_call(&self, call: CallRecord);
}

/// Collects calls made before a run's audit log is open (the identity check).
#[derive(Default)]
pub struct CallBuffer(Mutex<Vec<CallRecord>>);

impl CallBuffer {
    /// The calls collected so far, for the run to log once it exists.
    pub fn take(&self) -> Vec<CallRecord> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

impl CallSink for CallBuffer {
    fn record_call(&self, call: CallRecord) {
        self.0.lock().unwrap().push(call);
    }
}

/// What kind of failure an AWS call met, as far as this tool acts on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    AccessDenied,
    /// The region is not enabled for the account (opt-in region), so its endpoint rejects us.
    RegionNotEnabled,
    Throttled,
    /// S3 answered that the bucket lives in another region.
    WrongRegion,
    /// No answer: connection refused, DNS, timeout.
    Unreachable,
    Service,
}

/// A failed AWS call, classified.
#[derive(Clone, Debug)]
pub struct Failure {
    pub op: Op,
    pub region: String,
    pub kind: FailureKind,
    pub code: String,
    pub message: String,
    pub http_status: Option<u16>,
    /// `x-amz-bucket-region`, which S3 sends even on 301 and 403 answers.
    pub bucket_region: Option<String>,
}

impl Failure {
    pub fn is(&self, code: &str) -> bool {
        self.code == code
    }

    /// AWS's message says an explicit deny refused the call (`… with an explicit deny in a
    /// service control policy`): an Allow cannot help, the Deny must be lifted.
    pub fn explicit_deny(&self) -> bool {
        self.kind == FailureKind::AccessDenied && self.message.contains("explicit deny")
    }
}

/// An AWS message is cut past this many characters when it becomes an `Error`: an error body
/// can be any size, and a message of 20,000 characters hides everything around it.
pub const AWS_MESSAGE_MAX_CHARS: usize = 1_000;

/// `message`, cut past `AWS_MESSAGE_MAX_CHARS` characters, saying how many were cut.
pub fn capped_message(message: String) -> String {
    let total = message.chars().count();
    if total <= AWS_MESSAGE_MAX_CHARS {
        return message;
    }
    let kept: String = message.chars().take(AWS_MESSAGE_MAX_CHARS).collect();
    format!(
        "{kept}… [{} more characters cut]",
        total - AWS_MESSAGE_MAX_CHARS
    )
}

impl From<Failure> for Error {
    fn from(mut f: Failure) -> Error {
        f.message = capped_message(f.message);
        match f.kind {
            FailureKind::AccessDenied => Error::AccessDenied {
                explicit_deny: f.explicit_deny(),
                operation: f.op.operation,
                action: f.op.action,
                region: f.region,
                code: f.code,
                message: (!f.message.is_empty()).then_some(f.message),
            },
            FailureKind::Unreachable => Error::Unreachable {
                service: f.op.service,
                operation: f.op.operation,
                region: f.region,
                detail: f.message,
            },
            _ => Error::Aws {
                service: f.op.service,
                operation: f.op.operation,
                region: f.region,
                code: f.code,
                message: f.message,
            },
        }
    }
}

fn classify_code(code: &str, status: Option<u16>) -> FailureKind {
    match code {
        "AccessDenied"
        | "AccessDeniedException"
        | "UnauthorizedOperation"
        | "AuthorizationError" => FailureKind::AccessDenied,
        "UnrecognizedClientException"
        | "InvalidClientTokenId"
        | "AuthFailure"
        | "OptInRequired" => FailureKind::RegionNotEnabled,
        "ThrottlingException"
        | "Throttling"
        | "ThrottledException"
        | "RequestLimitExceeded"
        | "SlowDown"
        | "TooManyRequestsException" => FailureKind::Throttled,
        "PermanentRedirect"
        | "AuthorizationHeaderMalformed"
        | "IllegalLocationConstraintException" => FailureKind::WrongRegion,
        _ if status == Some(301) || status == Some(307) => FailureKind::WrongRegion,
        _ if status == Some(403) && code.is_empty() => FailureKind::AccessDenied,
        _ => FailureKind::Service,
    }
}

/// An error and its sources, each by its own `Display`, as one line of text for an operator
/// (the SDK's `DisplayErrorContext` adds `Debug` output, which is for developers).
/// (It lives in `error`, which is below this module, for its messages that quote a source.)
pub use crate::error::error_chain;

/// Whether a credentials provider failed because AWS throttled it (STS `Throttling` to an
/// AssumeRole, SSO's `TooManyRequestsException`, …): the credentials are fine, and asking again
/// later works, unlike credentials that are missing or expired.
pub fn is_throttling(err: &(dyn std::error::Error + 'static)) -> bool {
    use aws_sdk_sts::operation::assume_role::AssumeRoleError;
    let throttled =
        |code: Option<&str>| code.is_some_and(|c| classify_code(c, None) == FailureKind::Throttled);
    let mut next = Some(err);
    while let Some(e) = next {
        if let Some(sdk) = e.downcast_ref::<SdkError<AssumeRoleError, HttpResponse>>() {
            if throttled(sdk.code()) {
                return true;
            }
        }
        if let Some(assume) = e.downcast_ref::<AssumeRoleError>() {
            if throttled(assume.code()) {
                return true;
            }
        }
        next = e.source();
    }
    // Any other provider (SSO, web identity, a credential process): by AWS's words.
    let text = error_chain(err);
    [
        "Throttling",
        "ThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "Rate exceeded",
    ]
    .iter()
    .any(|code| text.contains(code))
}

/// The AWS error code and message somewhere in `err`'s chain of sources (a credential
/// provider's error wraps STS's), for a message that shows them rather than the SDK's `Debug`
/// rendering (`Error { code: "Throttling", … }`). `None` when no AWS answer is in the chain (no
/// connection, say).
pub fn aws_code_and_message(err: &(dyn std::error::Error + 'static)) -> Option<(String, String)> {
    let mut next = Some(err);
    while let Some(e) = next {
        if let Some(sdk) = e.downcast_ref::<SdkError<aws_sdk_sts::operation::assume_role::AssumeRoleError, HttpResponse>>() {
            if let Some(code) = sdk.code() {
                return Some((code.to_string(), sdk.message().unwrap_or_default().to_string()));
            }
        }
        if let Some(meta) = e.downcast_ref::<aws_smithy_types::error::ErrorMetadata>() {
            if let Some(code) = meta.code() {
                return Some((
                    code.to_string(),
                    meta.message().unwrap_or_default().to_string(),
                ));
            }
        }
        next = e.source();
    }
    None
}

/// Whether an AWS error code is a rate limit (retrying later gets through).
pub fn is_throttling_code(code: &str) -> bool {
    matches!(
        code,
        "Throttling"
            | "ThrottlingException"
            | "RequestLimitExceeded"
            | "TooManyRequestsException"
            | "RequestThrottled"
            | "SlowDown"
    )
}

/// Pulls `expecting 'eu-west-1'` out of S3's AuthorizationHeaderMalformed message.
fn region_from_message(message: &str) -> Option<String> {
    let rest = message.split("expecting '").nth(1)?;
    Some(rest.split('\'').next()?.to_string())
}

fn failure_of<E>(op: Op, region: &str, err: &SdkError<E, HttpResponse>) -> Failure
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let raw = err.raw_response();
    let http_status = raw.map(|r| r.status().as_u16());
    let header_region = raw
        .and_then(|r| r.headers().get("x-amz-bucket-region"))
        .map(str::to_string);
    match err {
        // The request was never sent: its credentials could not be refreshed, AWS throttling
        // the refresh. Like a throttled answer, it proves the call was not applied.
        SdkError::DispatchFailure(_) if is_throttling(err) => Failure {
            op,
            region: region.to_string(),
            kind: FailureKind::Throttled,
            code: "CredentialsThrottled".into(),
            message: error_chain(err),
            http_status,
            bucket_region: None,
        },
        SdkError::DispatchFailure(_)
        | SdkError::TimeoutError(_)
        | SdkError::ConstructionFailure(_) => Failure {
            op,
            region: region.to_string(),
            kind: FailureKind::Unreachable,
            code: "NoResponse".into(),
            message: error_chain(err),
            http_status,
            bucket_region: None,
        },
        _ => {
            let code = err.code().unwrap_or_default().to_string();
            let message = err.message().unwrap_or_default().to_string();
            let kind = classify_code(&code, http_status);
            let bucket_region = header_region.or_else(|| region_from_message(&message));
            let code = if code.is_empty() {
                http_status
                    .map(|s| format!("HTTP{s}"))
                    .unwrap_or_else(|| "Unknown".into())
            } else {
                code
            };
            Failure {
                op,
                region: region.to_string(),
                kind,
                code,
                message,
                http_status,
                bucket_region,
            }
        }
    }
}

/// The one funnel for AWS calls: runs `fut`, times it, records it in `sink`, classifies failures.
/// What comes from the other end (error codes and messages, request ids) has the run's own
/// credentials and any quoted `Authorization`/`X-Amz-Security-Token` header replaced first
/// ([`Secrets::redact`]): nothing secret reaches the journal, the error or the terminal.
pub async fn call<T, E, F>(
    aws: &Aws,
    sink: &dyn CallSink,
    op: Op,
    region: &str,
    params: Value,
    fut: F,
) -> std::result::Result<T, Failure>
where
    F: Future<Output = std::result::Result<T, SdkError<E, HttpResponse>>>,
    T: RequestId + ExtendedRequestId,
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let started = Instant::now();
    let result = fut.await;
    let duration_ms = started.elapsed().as_millis() as u64;
    let mut record = CallRecord {
        service: op.service.into(),
        operation: op.operation.into(),
        region: region.into(),
        params,
        outcome: "ok".into(),
        error_code: None,
        http_status: None,
        request_id: result.request_id().map(|id| aws.secrets.redact(id)),
        extended_request_id: match &result {
            Ok(out) => out.extended_request_id().map(str::to_string),
            // An S3 error's raw answer carries it too (a 403 on another account's bucket, say).
            Err(err) if op.service == "s3" => err
                .raw_response()
                .and_then(|r| r.headers().get("x-amz-id-2"))
                .map(str::to_string),
            Err(_) => None,
        },
        duration_ms,
        step: None,
    };
    record.extended_request_id = record.extended_request_id.map(|id| aws.secrets.redact(&id));
    match result {
        Ok(out) => {
            sink.record_call(record);
            Ok(out)
        }
        Err(err) => {
            let mut failure = failure_of(op, region, &err);
            failure.code = aws.secrets.redact(&failure.code);
            failure.message = aws.secrets.redact(&failure.message);
            record.outcome = "error".into();
            record.error_code = Some(failure.code.clone());
            record.http_status = failure.http_status;
            sink.record_call(record);
            Err(failure)
        }
    }
}

/// The AWS clients of one run.
pub struct Aws {
    config: SdkConfig,
    /// The values of every credential the clients were given, to keep out of what is recorded.
    secrets: Secrets,
    path_style: bool,
    clients: Mutex<Clients>,
}

#[derive(Default)]
struct Clients {
    sts: HashMap<String, aws_sdk_sts::Client>,
    ec2: HashMap<String, aws_sdk_ec2::Client>,
    cloudtrail: HashMap<String, aws_sdk_cloudtrail::Client>,
    s3: HashMap<String, aws_sdk_s3::Client>,
    kms: HashMap<String, aws_sdk_kms::Client>,
    config: HashMap<String, aws_sdk_config::Client>,
    organizations: HashMap<String, aws_sdk_organizations::Client>,
}

macro_rules! client_getter {
    ($fn_name:ident, $field:ident, $krate:ident) => {
        pub fn $fn_name(&self, region: &str) -> $krate::Client {
            let mut clients = self.clients.lock().unwrap();
            clients
                .$field
                .entry(region.to_string())
                .or_insert_with(|| {
                    let conf = $krate::config::Builder::from(&self.config)
                        .region(Region::new(region.to_string()))
                        .build();
                    $krate::Client::from_conf(conf)
                })
                .clone()
        }
    };
}

impl Aws {
    /// Drops every service client made so far (the next call makes its own again): a run that
    /// waits for its operator holds none, which matters where many wait at once (a batch's
    /// accounts, waiting for its one question, are put aside with their clients released).
    pub fn release_clients(&self) {
        *self.clients.lock().unwrap() = Clients::default();
    }

    /// `path_style`: address S3 buckets in the path (needed for custom endpoints such as moto).
    pub fn new(config: SdkConfig, path_style: bool) -> Aws {
        let secrets = Secrets::default();
        // Every credential the clients sign with passes here first, refreshed ones included.
        let config = match config.credentials_provider() {
            Some(provider) => config
                .to_builder()
                .credentials_provider(secrets.noting(provider))
                .build(),
            None => config,
        };
        Aws {
            config,
            secrets,
            path_style,
            clients: Mutex::new(Clients::default()),
        }
    }

    /// The configured region, or the secure account's home region.
    pub fn default_region(&self) -> String {
        self.config
            .region()
            .map(|r| r.to_string())
            .unwrap_or_else(|| FALLBACK_REGION.to_string())
    }

    /// Resolves credentials once, up front, so a missing profile or key is a clear error before
    /// any AWS call (the SDK caches them for every client built from this config).
    pub async fn check_credentials(&self) -> Result<()> {
        let provider = self
            .config
            .credentials_provider()
            .ok_or_else(|| Error::NoCredentials {
                detail: "no credentials provider is configured".into(),
            })?;
        provider
            .provide_credentials()
            .await
            .map(|_| ())
            .map_err(|e| {
                let detail = self.secrets.redact(&error_chain(&e));
                if is_throttling(&e) {
                    Error::CredentialsThrottled { detail }
                } else {
                    Error::NoCredentials { detail }
                }
            })
    }

    client_getter!(sts, sts, aws_sdk_sts);
    client_getter!(ec2, ec2, aws_sdk_ec2);
    client_getter!(cloudtrail, cloudtrail, aws_sdk_cloudtrail);
    client_getter!(kms, kms, aws_sdk_kms);
    client_getter!(config_service, config, aws_sdk_config);
    client_getter!(organizations, organizations, aws_sdk_organizations);

    /// The configuration the clients are built from (a batch builds each account's from it).
    pub fn config(&self) -> &SdkConfig {
        &self.config
    }

    pub fn path_style(&self) -> bool {
        self.path_style
    }

    pub fn s3(&self, region: &str) -> aws_sdk_s3::Client {
        let mut clients = self.clients.lock().unwrap();
        clients
            .s3
            .entry(region.to_string())
            .or_insert_with(|| {
                let conf = aws_sdk_s3::config::Builder::from(&self.config)
                    .region(Region::new(region.to_string()))
                    .force_path_style(self.path_style)
                    .build();
                aws_sdk_s3::Client::from_conf(conf)
            })
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_classified_as_the_runbook_acts_on_them() {
        let cases = [
            ("AccessDeniedException", 400, FailureKind::AccessDenied),
            ("AccessDenied", 403, FailureKind::AccessDenied),
            ("UnauthorizedOperation", 403, FailureKind::AccessDenied),
            (
                "UnrecognizedClientException",
                400,
                FailureKind::RegionNotEnabled,
            ),
            ("AuthFailure", 401, FailureKind::RegionNotEnabled),
            ("ThrottlingException", 400, FailureKind::Throttled),
            ("PermanentRedirect", 301, FailureKind::WrongRegion),
            // HEAD answers have no body, so no code: the status decides.
            ("", 301, FailureKind::WrongRegion),
            ("", 403, FailureKind::AccessDenied),
            ("TrailNotFoundException", 400, FailureKind::Service),
        ];
        for (code, status, kind) in cases {
            assert_eq!(classify_code(code, Some(status)), kind, "{code} {status}");
        }
    }

    #[test]
    fn a_long_aws_message_is_cut_and_says_so() {
        let long = "é".repeat(20_000);
        let cut = capped_message(long);
        assert!(cut.starts_with(&"é".repeat(AWS_MESSAGE_MAX_CHARS)));
        assert!(cut.ends_with("… [19000 more characters cut]"), "{cut}");
        assert_eq!(capped_message("Access Denied".into()), "Access Denied");
    }

    #[test]
    fn the_right_region_is_read_from_s3s_message() {
        let message = "The authorization header is malformed; the region 'ap-northeast-1' is wrong; expecting 'eu-west-1'";
        assert_eq!(region_from_message(message).as_deref(), Some("eu-west-1"));
        assert_eq!(region_from_message("Access Denied"), None);
    }

    #[test]
    fn every_operation_names_its_iam_action() {
        for op in ALL_OPS {
            assert!(op.action.starts_with(&format!("{}:", op.service)), "{op:?}");
        }
        let writes: Vec<&str> = ALL_OPS
            .iter()
            .filter(|o| o.writes)
            .map(|o| o.action)
            .collect();
        assert_eq!(
            writes,
            vec!["cloudtrail:UpdateTrail", "s3:PutEncryptionConfiguration"]
        );
    }
}
