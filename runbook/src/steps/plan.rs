//! MakePlan (read-only): where the trails' bucket lives, how it is encrypted, what the bucket
//! policy would do after the revert, and so the exact list of writes a revert would make.

use crate::model::Warned;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::journal::StepName;
use crate::model::{BucketVerdict, EncryptionRule, PlannedWrite, TrailTarget};
use crate::steps::bucket;
use crate::steps::step::{Cx, Step};

pub use crate::model::{BucketPlan, Plan, TrailChange};

#[derive(Debug, Serialize)]
pub struct MakePlan {
    /// The trails that may be changed (CheckStatus's targets without a skip reason).
    pub trails: Vec<TrailTarget>,
}

impl Plan {
    /// The writes of one kind (`UpdateTrail` or `PutBucketEncryption`).
    pub fn writes_of(&self, op: crate::aws::Op) -> Vec<PlannedWrite> {
        self.writes
            .iter()
            .filter(|w| w.op() == op)
            .cloned()
            .collect()
    }
}

impl Step for MakePlan {
    const NAME: StepName = StepName::Plan;
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
        let mut missing_buckets = Vec::new();
        let mut foreign_buckets = Vec::new();
        for (name, hint) in wanted {
            let gone = |e: &Error| matches!(e, Error::BucketNotFound { .. });
            // Where the bucket lives, and its encryption and policy read in the trail's home
            // region, all at once: a trail's bucket is most often in its home region, and then
            // the reads stand (one round trip, not two). Where it is not, they answered for
            // another region (real S3: 301) or not at all, and are made again where it lives.
            let (located, first_state, first_policy) = tokio::join!(
                bucket::locate(cx, &name, &hint),
                bucket::get_encryption(cx, &name, &hint),
                bucket::get_policy(cx, &name, &hint)
            );
            let region = match located {
                Err(e) if gone(&e) => {
                    missing_buckets.push(name);
                    continue;
                }
                Err(Error::ForeignBucket { bucket, account }) => {
                    warnings.push(Warned::ForeignBucket { bucket, account }.into());
                    foreign_buckets.push(name);
                    continue;
                }
                other => other?,
            };
            let (state, policy) = if region == hint {
                (
                    bucket::read_state_from(cx, &name, &region, first_state).await,
                    bucket::policy_warnings_from(&name, first_policy),
                )
            } else {
                tokio::join!(
                    bucket::read_state(cx, &name, &region),
                    bucket::policy_warnings(cx, &name, &region)
                )
            };
            let current = match state {
                Err(e) if gone(&e) => {
                    missing_buckets.push(name);
                    continue;
                }
                Err(Error::ForeignBucket { bucket, account }) => {
                    warnings.push(Warned::ForeignBucket { bucket, account }.into());
                    foreign_buckets.push(name);
                    continue;
                }
                other => other?,
            };
            let new_rules = (current.verdict() == BucketVerdict::SseKms)
                .then(|| current.rules.iter().map(EncryptionRule::reverted).collect());
            if current.verdict() == BucketVerdict::SseKms {
                warnings.extend(policy);
            }
            buckets.push(BucketPlan { current, new_rules });
        }
        for w in &warnings {
            cx.warn(Self::NAME, &w.to_string())?;
        }
        let trail_writes = trails.iter().filter_map(|t| {
            t.kms_key_id.as_ref().map(|key| PlannedWrite::TrailKms {
                region: t.home_region.clone(),
                trail_arn: t.arn.clone(),
                before: Some(key.clone()),
                after: None,
            })
        });
        let bucket_writes = buckets.iter().filter_map(|b| {
            b.new_rules
                .as_ref()
                .map(|after| PlannedWrite::SetBucketEncryption {
                    region: b.current.region.clone(),
                    bucket: b.current.bucket.clone(),
                    before: b.current.rules.clone(),
                    after: after.clone(),
                })
        });
        let writes = trail_writes.chain(bucket_writes).collect();
        Ok(Plan {
            trails,
            buckets,
            missing_buckets,
            foreign_buckets,
            writes,
            warnings,
            keys: Vec::new(),
            not_restored: Vec::new(),
            already_restored: Vec::new(),
        })
    }
}
