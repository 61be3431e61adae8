//! SetBucketAes256: put SSE-S3 (AES256) as the bucket's default encryption, carrying over what
//! should stay, only if the live configuration (re-read right before) is still SSE-KMS.

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::aws::PUT_BUCKET_ENCRYPTION;
use crate::error::Result;
use crate::model::{BucketVerdict, EncryptionRule};
use crate::steps::{bucket, write_outcome, BucketPlan, Cx, Step, WriteOutcome};

#[derive(Debug, Serialize)]
pub struct SetBucketAes256 {
    pub buckets: Vec<BucketPlan>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct BucketRevert {
    pub bucket: String,
    pub region: String,
    /// The whole configuration before, so it can be put back.
    pub previous_rules: Vec<EncryptionRule>,
    pub new_rules: Vec<EncryptionRule>,
    pub outcome: WriteOutcome,
}

impl Step for SetBucketAes256 {
    const NAME: &'static str = "set_bucket_aes256";
    type Output = Vec<BucketRevert>;

    async fn execute(&self, cx: &Cx<'_>) -> Result<Vec<BucketRevert>> {
        let mut pending = cx.run.take_pending_writes(Self::NAME);
        let mut results = Vec::new();
        for plan in &self.buckets {
            let live = bucket::read_state(cx, &plan.current.bucket, &plan.current.region).await?;
            let earlier = pending
                .iter()
                .position(|p| p.intent["params"]["Bucket"] == live.bucket.as_str())
                .map(|i| pending.remove(i));
            if let Some(p) = &earlier {
                cx.run.write_settled(p, json!({ "verdict": live.verdict(), "applied": live.verdict() != BucketVerdict::SseKms }))?;
            }
            if live.verdict() != BucketVerdict::SseKms {
                let previous = earlier
                    .as_ref()
                    .and_then(|p| serde_json::from_value(p.intent["before"]["rules"].clone()).ok())
                    .unwrap_or_else(|| plan.current.rules.clone());
                results.push(BucketRevert {
                    bucket: live.bucket.clone(),
                    region: live.region.clone(),
                    previous_rules: previous,
                    new_rules: live.rules.clone(),
                    outcome: if earlier.is_some() {
                        WriteOutcome::SettledApplied
                    } else {
                        WriteOutcome::AlreadyDone
                    },
                });
                continue;
            }
            // Built from the live rules, not the planned ones: whatever changed since the plan
            // that should stay, stays.
            let new_rules: Vec<EncryptionRule> =
                live.rules.iter().map(EncryptionRule::reverted).collect();
            let params = json!({
                "Bucket": live.bucket,
                "ServerSideEncryptionConfiguration": { "Rules": new_rules.iter().map(EncryptionRule::aws_json).collect::<Vec<_>>() },
            });
            let intent = cx.run.write_intent(
                Self::NAME,
                json!({
                    "operation": "s3:PutBucketEncryption",
                    "region": live.region,
                    "params": params,
                    "before": { "rules": live.rules },
                    "after": { "rules": new_rules },
                }),
            )?;
            let config = aws_sdk_s3::types::ServerSideEncryptionConfiguration::builder()
                .set_rules(Some(new_rules.iter().map(EncryptionRule::to_sdk).collect()))
                .build()
                .expect("rules are set");
            let result = cx
                .call(
                    PUT_BUCKET_ENCRYPTION,
                    &live.region,
                    params,
                    cx.aws
                        .s3(&live.region)
                        .put_bucket_encryption()
                        .bucket(&live.bucket)
                        .server_side_encryption_configuration(config)
                        .send(),
                )
                .await;
            match result {
                Ok(_) => cx.run.write_result(intent, json!({ "outcome": "ok" }))?,
                Err(f) => {
                    cx.run.write_result(
                        intent,
                        json!({ "outcome": write_outcome(&f), "error_code": f.code }),
                    )?;
                    return Err(f.into());
                }
            }
            results.push(BucketRevert {
                bucket: live.bucket.clone(),
                region: live.region.clone(),
                previous_rules: live.rules.clone(),
                new_rules,
                outcome: WriteOutcome::Changed,
            });
        }
        Ok(results)
    }
}
