//! Verify: every region again, and every bucket, after the writes. The run fails if a trail it
//! was to change still shows a KMS key anywhere, or a bucket is still SSE-KMS.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::{BucketState, BucketVerdict, RegionScan, RegionStatus};
use crate::steps::{bucket, scan, Cx, Step};

#[derive(Debug, Serialize)]
pub struct Verify {
    pub trail: String,
    pub scan: Vec<String>,
    pub excluded: Vec<String>,
    /// ARNs of the trails the run was to leave unencrypted.
    pub trails: Vec<String>,
    /// (bucket, region) of the buckets the run was to leave SSE-S3.
    pub buckets: Vec<(String, String)>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct VerifyReport {
    pub regions: Vec<RegionStatus>,
    pub buckets: Vec<BucketState>,
}

impl Step for Verify {
    const NAME: &'static str = "verify";
    type Output = VerifyReport;

    async fn execute(&self, cx: &Cx<'_>) -> Result<VerifyReport> {
        let buckets = async {
            let mut states = Vec::new();
            for (name, region) in &self.buckets {
                states.push(bucket::read_state(cx, name, region).await?);
            }
            Ok::<_, Error>(states)
        };
        // The region fan-out and the bucket reads do not depend on each other.
        let (regions, buckets) = tokio::join!(
            scan::scan_regions(cx, &self.trail, &self.scan, &self.excluded),
            buckets
        );
        let (regions, buckets) = (regions?, buckets?);
        // One line per trail, naming the regions where it still shows a key.
        let mut still_encrypted: Vec<(String, String, Vec<String>)> = Vec::new();
        for status in &regions {
            if let RegionScan::Scanned { trails } = &status.scan {
                for t in trails
                    .iter()
                    .filter(|t| t.encrypted() && self.trails.contains(&t.arn))
                {
                    let key = t.kms_key_id.clone().unwrap_or_default();
                    match still_encrypted
                        .iter_mut()
                        .find(|(arn, k, _)| *arn == t.arn && *k == key)
                    {
                        Some((_, _, in_regions)) => in_regions.push(status.region.clone()),
                        None => {
                            still_encrypted.push((t.arn.clone(), key, vec![status.region.clone()]))
                        }
                    }
                }
            }
        }
        let mut problems: Vec<String> = still_encrypted
            .into_iter()
            .map(|(arn, key, in_regions)| {
                format!(
                    "trail {arn} still uses KMS key {key} in {} regions ({})",
                    in_regions.len(),
                    in_regions.join(", ")
                )
            })
            .collect();
        for b in &buckets {
            if b.verdict() == BucketVerdict::SseKms {
                problems.push(format!("bucket {} is still SSE-KMS", b.bucket));
            }
        }
        if !problems.is_empty() {
            return Err(Error::VerifyFailed(problems.join("; ")));
        }
        Ok(VerifyReport { regions, buckets })
    }
}
