//! S3 reads shared by the plan, the bucket step and the verification: where the bucket lives,
//! its default encryption, and whether its policy would refuse SSE-S3 deliveries.
//!
//! Every call on the trail's bucket names the caller's account as its owner
//! (`ExpectedBucketOwner`): S3 refuses it (403 AccessDenied) when the bucket is another
//! account's, so this tool never reads or changes another account's bucket by mistake. A 403 is
//! also what a missing permission gets; `ListBuckets` (the caller's own buckets) tells the two
//! apart.

use crate::model::{PlanWarning, Warned};
use serde_json::{json, Value};

use crate::aws::{
    Failure, FailureKind, GET_BUCKET_ENCRYPTION, GET_BUCKET_LOCATION, GET_BUCKET_POLICY,
    HEAD_BUCKET, LIST_BUCKETS,
};
use crate::error::{Error, Result};
use crate::model::{BucketState, EncryptionRule};
use crate::steps::step::Cx;

pub const NO_ENCRYPTION_CONFIG: &str = "ServerSideEncryptionConfigurationNotFoundError";

/// The account every call on the trail's bucket names as the bucket's owner: the caller's.
pub fn expected_owner(cx: &Cx<'_>) -> String {
    cx.run.started().account
}

/// The parameters an S3 call on `bucket` is recorded with.
fn bucket_params(cx: &Cx<'_>, bucket: &str) -> serde_json::Value {
    json!({ "Bucket": bucket, "ExpectedBucketOwner": expected_owner(cx) })
}

/// After a 403 to a request naming this account as the owner: whether the bucket is among the
/// caller's own buckets (`ListBuckets`). `None`: that cannot be read either.
async fn owned_by_caller(cx: &Cx<'_>, bucket: &str) -> Option<bool> {
    let region = cx.aws.default_region();
    let out = cx
        .call(
            LIST_BUCKETS,
            &region,
            json!({ "Prefix": bucket }),
            cx.aws.s3(&region).list_buckets().prefix(bucket).send(),
        )
        .await
        .ok()?;
    Some(out.buckets().iter().any(|b| b.name() == Some(bucket)))
}

/// A 403 to a call naming this account as the bucket's owner: the bucket is another account's
/// (`ForeignBucket`), or, when the caller's own bucket list shows it (or cannot be read), the
/// caller lacks the permission, and the failure stands.
async fn denied(cx: &Cx<'_>, bucket: &str, failure: Failure) -> Error {
    match owned_by_caller(cx, bucket).await {
        Some(false) => Error::ForeignBucket {
            bucket: bucket.into(),
            account: expected_owner(cx),
        },
        _ => failure.into(),
    }
}

/// The bucket's region: `HeadBucket` sends `x-amz-bucket-region` (also on 301 and 403 answers);
/// `GetBucketLocation` is the fallback (null means us-east-1, `EU` means eu-west-1). A bucket of
/// another account is `Error::ForeignBucket`.
pub async fn locate(cx: &Cx<'_>, bucket: &str, hint: &str) -> Result<String> {
    let params = bucket_params(cx, bucket);
    let owner = expected_owner(cx);
    let head = cx
        .call(
            HEAD_BUCKET,
            hint,
            params.clone(),
            cx.aws
                .s3(hint)
                .head_bucket()
                .bucket(bucket)
                .expected_bucket_owner(&owner)
                .send(),
        )
        .await;
    let failure = match head {
        Ok(out) => return Ok(out.bucket_region().unwrap_or(hint).to_string()),
        Err(f) => f,
    };
    if failure.http_status == Some(403) {
        // Not ours, or not allowed: which one decides whether the run may go on.
        let err = denied(cx, bucket, failure.clone()).await;
        if matches!(err, Error::ForeignBucket { .. }) {
            return Err(err);
        }
    }
    if let Some(region) = failure.bucket_region {
        return Ok(region);
    }
    if failure.http_status == Some(404) {
        return Err(Error::BucketNotFound {
            bucket: bucket.into(),
        });
    }
    if failure.kind == FailureKind::Unreachable {
        return Err(failure.into());
    }
    let out = cx
        .call(
            GET_BUCKET_LOCATION,
            hint,
            params,
            cx.aws
                .s3(hint)
                .get_bucket_location()
                .bucket(bucket)
                .expected_bucket_owner(&owner)
                .send(),
        )
        .await
        .map_err(|f| {
            if f.is("NoSuchBucket") {
                Error::BucketNotFound {
                    bucket: bucket.into(),
                }
            } else {
                f.into()
            }
        })?;
    Ok(match out.location_constraint().map(|c| c.as_str()) {
        None | Some("") => "us-east-1".to_string(),
        Some("EU") => "eu-west-1".to_string(),
        Some(other) => other.to_string(),
    })
}

/// One `GetBucketEncryption` of `bucket` in `region`, as S3 answered: its rules, or the failure
/// (a bucket without any configuration is a failure here; [`read_state_from`] reads it).
pub async fn get_encryption(
    cx: &Cx<'_>,
    bucket: &str,
    region: &str,
) -> std::result::Result<Vec<EncryptionRule>, Failure> {
    let out = cx
        .call(
            GET_BUCKET_ENCRYPTION,
            region,
            bucket_params(cx, bucket),
            cx.aws
                .s3(region)
                .get_bucket_encryption()
                .bucket(bucket)
                .expected_bucket_owner(expected_owner(cx))
                .send(),
        )
        .await?;
    Ok(out
        .server_side_encryption_configuration()
        .map(|c| c.rules().iter().map(EncryptionRule::from_sdk).collect())
        .unwrap_or_default())
}

/// The bucket's default encryption, read in `region`; if S3 answers that the bucket is elsewhere
/// (the Rust SDK does not follow S3's region redirects), read again once where S3 says.
pub async fn read_state(cx: &Cx<'_>, bucket: &str, region: &str) -> Result<BucketState> {
    let first = get_encryption(cx, bucket, region).await;
    read_state_from(cx, bucket, region, first).await
}

/// [`read_state`], given the answer to its first read in `region` (made already, side by side
/// with other reads).
pub async fn read_state_from(
    cx: &Cx<'_>,
    bucket: &str,
    region: &str,
    first: std::result::Result<Vec<EncryptionRule>, Failure>,
) -> Result<BucketState> {
    let mut region = region.to_string();
    let mut answer = first;
    for attempt in 0..2 {
        if attempt > 0 {
            answer = get_encryption(cx, bucket, &region).await;
        }
        let rules = match answer {
            Ok(rules) => rules,
            // Not an error: the bucket simply has no default-encryption configuration.
            Err(ref f) if f.is(NO_ENCRYPTION_CONFIG) => Vec::new(),
            Err(f) if f.is("NoSuchBucket") => {
                return Err(Error::BucketNotFound {
                    bucket: bucket.into(),
                })
            }
            Err(f) if f.kind == FailureKind::WrongRegion && attempt == 0 => {
                match f.bucket_region.clone() {
                    Some(actual) if actual != region => {
                        region = actual;
                        answer = Ok(Vec::new());
                        continue;
                    }
                    _ => return Err(f.into()),
                }
            }
            Err(f) if f.http_status == Some(403) => return Err(denied(cx, bucket, f).await),
            Err(f) => return Err(f.into()),
        };
        return Ok(BucketState {
            bucket: bucket.into(),
            region,
            rules,
        });
    }
    unreachable!("the loop returns on its second attempt")
}

/// One `GetBucketPolicy` of `bucket` in `region`, as S3 answered: the policy document, or the
/// failure (a bucket without a policy is a failure here; [`policy_warnings_from`] reads it).
pub async fn get_policy(
    cx: &Cx<'_>,
    bucket: &str,
    region: &str,
) -> std::result::Result<String, Failure> {
    let out = cx
        .call(
            GET_BUCKET_POLICY,
            region,
            bucket_params(cx, bucket),
            cx.aws
                .s3(region)
                .get_bucket_policy()
                .bucket(bucket)
                .expected_bucket_owner(expected_owner(cx))
                .send(),
        )
        .await?;
    Ok(out.policy().unwrap_or_default().to_string())
}

/// Warnings from the bucket policy: statements that deny `s3:PutObject` unless SSE-KMS is used
/// would refuse CloudTrail's SSE-S3 deliveries after the revert. A policy that cannot be read is
/// a warning too, never a failure.
pub async fn policy_warnings(cx: &Cx<'_>, bucket: &str, region: &str) -> Vec<PlanWarning> {
    policy_warnings_from(bucket, get_policy(cx, bucket, region).await)
}

/// [`policy_warnings`], given `GetBucketPolicy`'s answer.
pub fn policy_warnings_from(
    bucket: &str,
    answer: std::result::Result<String, Failure>,
) -> Vec<PlanWarning> {
    match answer {
        Ok(policy) => kms_only_denials(&policy)
            .into_iter()
            .map(|sid| {
                Warned::PolicyDeniesSseS3 {
                    bucket: bucket.to_string(),
                    sid,
                }
                .into()
            })
            .collect(),
        Err(f) if f.is("NoSuchBucketPolicy") => Vec::new(),
        Err(f) if f.kind == FailureKind::AccessDenied => vec![Warned::PolicyUnreadable {
            bucket: bucket.to_string(),
            code: None,
        }
        .into()],
        Err(f) => vec![Warned::PolicyUnreadable {
            bucket: bucket.to_string(),
            code: Some(f.code),
        }
        .into()],
    }
}

fn as_strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

/// The `Sid`s (or positions) of Deny statements on `s3:PutObject` conditioned on SSE-KMS.
pub fn kms_only_denials(policy: &str) -> Vec<String> {
    let Ok(doc) = serde_json::from_str::<Value>(policy) else {
        return Vec::new();
    };
    let statements = match doc.get("Statement") {
        Some(Value::Array(list)) => list.clone(),
        Some(single @ Value::Object(_)) => vec![single.clone()],
        _ => Vec::new(),
    };
    let mut found = Vec::new();
    for (i, st) in statements.iter().enumerate() {
        if st.get("Effect").and_then(Value::as_str) != Some("Deny") {
            continue;
        }
        let puts = as_strings(st.get("Action")).iter().any(|a| {
            matches!(
                a.to_ascii_lowercase().as_str(),
                "s3:putobject" | "s3:*" | "*" | "s3:put*"
            )
        });
        if !puts {
            continue;
        }
        let Some(Value::Object(conditions)) = st.get("Condition") else {
            continue;
        };
        let kms_condition = conditions.iter().any(|(operator, keys)| {
            let Value::Object(keys) = keys else {
                return false;
            };
            keys.iter().any(|(key, value)| {
                let key = key.to_ascii_lowercase();
                let values: Vec<String> = as_strings(Some(value))
                    .iter()
                    .map(|v| v.to_ascii_lowercase())
                    .collect();
                if key == "s3:x-amz-server-side-encryption-aws-kms-key-id" {
                    return true;
                }
                if key != "s3:x-amz-server-side-encryption" {
                    return false;
                }
                let op = operator.to_ascii_lowercase();
                (op.starts_with("stringnotequals")
                    && values.iter().any(|v| v.starts_with("aws:kms")))
                    || (op == "null" && values.iter().any(|v| v == "true"))
            })
        });
        if kms_condition {
            let sid = st
                .get("Sid")
                .and_then(Value::as_str)
                .map(|s| format!("`{s}`"))
                .unwrap_or(format!("#{}", i + 1));
            found.push(sid);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::kms_only_denials;

    #[test]
    fn finds_deny_without_kms() {
        let policy = r#"{"Version":"2012-10-17","Statement":[
            {"Sid":"AWSCloudTrailWrite","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:PutObject","Resource":"*"},
            {"Sid":"RequireKMS","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"*",
             "Condition":{"StringNotEquals":{"s3:x-amz-server-side-encryption":"aws:kms"}}},
            {"Effect":"Deny","Principal":"*","Action":["s3:GetObject","s3:PutObject"],"Resource":"*",
             "Condition":{"Null":{"s3:x-amz-server-side-encryption":"true"}}}]}"#;
        assert_eq!(kms_only_denials(policy), vec!["`RequireKMS`", "#3"]);
    }

    #[test]
    fn ignores_tls_only_and_allow() {
        let policy = r#"{"Statement":{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*",
            "Condition":{"Bool":{"aws:SecureTransport":"false"}}}}"#;
        assert!(kms_only_denials(policy).is_empty());
        assert!(kms_only_denials("not json").is_empty());
    }
}
