//! MakePlan (read-only): where the trails' bucket lives, how it is encrypted, what the bucket
//! policy would do after the revert, and so the exact list of writes a revert would make.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::error::{Error, Result};
use crate::model::{BucketState, BucketVerdict, EncryptionRule, TrailTarget};
use crate::steps::{bucket, Cx, Step};

#[derive(Debug, Serialize)]
pub struct MakePlan {
    /// The trails that may be changed (CheckStatus's targets without a skip reason).
    pub trails: Vec<TrailTarget>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct TrailChange {
    pub name: String,
    pub arn: String,
    pub home_region: String,
    /// The key in use now; `None`: already not encrypted, nothing to do.
    pub kms_key_id: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct BucketPlan {
    pub current: BucketState,
    /// The configuration to put; `None`: the bucket is not SSE-KMS, nothing to do.
    pub new_rules: Option<Vec<EncryptionRule>>,
}

/// One write a revert would make (what `--dry-run` prints).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct PlannedWrite {
    pub operation: String,
    pub region: String,
    pub params: Value,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Plan {
    pub trails: Vec<TrailChange>,
    pub buckets: Vec<BucketPlan>,
    pub warnings: Vec<String>,
}

impl Plan {
    pub fn writes(&self) -> Vec<PlannedWrite> {
        let trails = self
            .trails
            .iter()
            .filter(|t| t.kms_key_id.is_some())
            .map(|t| PlannedWrite {
                operation: "cloudtrail:UpdateTrail".into(),
                region: t.home_region.clone(),
                params: json!({ "Name": t.arn, "KmsKeyId": "" }),
            });
        let buckets = self.buckets.iter().filter_map(|b| {
            b.new_rules.as_ref().map(|rules| PlannedWrite {
                operation: "s3:PutBucketEncryption".into(),
                region: b.current.region.clone(),
                params: json!({
                    "Bucket": b.current.bucket,
                    "ServerSideEncryptionConfiguration": { "Rules": rules.iter().map(EncryptionRule::aws_json).collect::<Vec<_>>() },
                }),
            })
        });
        trails.chain(buckets).collect()
    }
}

impl Step for MakePlan {
    const NAME: &'static str = "plan";
    type Output = Plan;

    async fn execute(&self, cx: &Cx<'_>) -> Result<Plan> {
        let trails: Vec<TrailChange> = self
            .trails
            .iter()
            .map(|t| TrailChange {
                name: t.trail.name.clone(),
                arn: t.trail.arn.clone(),
                home_region: t.trail.home_region.clone(),
                kms_key_id: t.trail.kms_key_id.clone(),
            })
            .collect();
        // Distinct buckets, each with the home region of a trail that delivers to it as the
        // first guess of its region.
        let mut wanted: Vec<(String, String)> = Vec::new();
        for t in &self.trails {
            let name = t
                .trail
                .bucket
                .clone()
                .ok_or_else(|| Error::TrailWithoutBucket {
                    trail: t.trail.arn.clone(),
                })?;
            if !wanted.iter().any(|(b, _)| *b == name) {
                wanted.push((name, t.trail.home_region.clone()));
            }
        }
        let mut buckets = Vec::new();
        let mut warnings = Vec::new();
        for (name, hint) in wanted {
            let region = bucket::locate(cx, &name, &hint).await?;
            // The encryption and the policy are independent reads: make them together.
            let (state, policy) = tokio::join!(
                bucket::read_state(cx, &name, &region),
                bucket::policy_warnings(cx, &name, &region)
            );
            let current = state?;
            let new_rules = (current.verdict() == BucketVerdict::SseKms)
                .then(|| current.rules.iter().map(EncryptionRule::reverted).collect());
            if current.verdict() == BucketVerdict::SseKms {
                warnings.extend(policy);
            }
            buckets.push(BucketPlan { current, new_rules });
        }
        for w in &warnings {
            cx.run.warn(Self::NAME, w)?;
        }
        Ok(Plan {
            trails,
            buckets,
            warnings,
        })
    }
}
