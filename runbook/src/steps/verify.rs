//! Verify: every region again, and every bucket, after the writes. The run fails if a trail it
//! was to change still shows a KMS key anywhere, or a bucket is still SSE-KMS.
//!
//! A multi-region trail's change reaches its shadow copies in the other regions from the home
//! region, so a region may briefly still show the old key. Only the regions (and buckets) that
//! still disagree are read again, after bounded waits (`Settings::verify_waits`), before the
//! verification fails.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::journal::StepName;
use crate::model::{BucketState, BucketVerdict, RegionScan, RegionStatus};
use crate::steps::{bucket, scan, Cx, Step};

#[derive(Debug, Serialize)]
pub struct Verify {
    /// `--trail`: names or ARNs, as the status check scanned for them.
    pub wanted: Vec<String>,
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
    /// How many times some regions or buckets were read again before they agreed.
    #[serde(default)]
    pub rechecks: usize,
}

/// What still disagrees: (trail ARN, key, regions) and bucket names.
struct Disagreement {
    trails: Vec<(String, String, Vec<String>)>,
    buckets: Vec<String>,
}

impl Disagreement {
    fn is_empty(&self) -> bool {
        self.trails.is_empty() && self.buckets.is_empty()
    }

    fn regions(&self) -> Vec<String> {
        let mut regions: Vec<String> = self.trails.iter().flat_map(|(_, _, r)| r.clone()).collect();
        regions.sort();
        regions.dedup();
        regions
    }

    fn describe(&self) -> String {
        let trails = self.trails.iter().map(|(arn, key, regions)| {
            format!(
                "trail {arn} still uses KMS key {key} in {} regions ({})",
                regions.len(),
                regions.join(", ")
            )
        });
        let buckets = self
            .buckets
            .iter()
            .map(|b| format!("bucket {b} is still SSE-KMS"));
        trails.chain(buckets).collect::<Vec<_>>().join("; ")
    }
}

impl Verify {
    async fn read_buckets(&self, cx: &Cx<'_>, only: Option<&[String]>) -> Result<Vec<BucketState>> {
        let mut states = Vec::new();
        for (name, region) in self
            .buckets
            .iter()
            .filter(|(b, _)| only.is_none_or(|o| o.contains(b)))
        {
            states.push(bucket::read_state(cx, name, region).await?);
        }
        Ok(states)
    }

    fn disagreement(&self, regions: &[RegionStatus], buckets: &[BucketState]) -> Disagreement {
        let mut trails: Vec<(String, String, Vec<String>)> = Vec::new();
        for status in regions {
            let RegionScan::Scanned { trails: seen } = &status.scan else {
                continue;
            };
            for t in seen
                .iter()
                .filter(|t| t.encrypted() && self.trails.contains(&t.arn))
            {
                let key = t.kms_key_id.clone().unwrap_or_default();
                match trails
                    .iter_mut()
                    .find(|(arn, k, _)| *arn == t.arn && *k == key)
                {
                    Some((_, _, in_regions)) => in_regions.push(status.region.clone()),
                    None => trails.push((t.arn.clone(), key, vec![status.region.clone()])),
                }
            }
        }
        let buckets = buckets
            .iter()
            .filter(|b| b.verdict() == BucketVerdict::SseKms)
            .map(|b| b.bucket.clone())
            .collect();
        Disagreement { trails, buckets }
    }
}

impl Step for Verify {
    const NAME: StepName = StepName::Verify;
    type Output = VerifyReport;

    async fn execute(&self, cx: &Cx<'_>) -> Result<VerifyReport> {
        // The region fan-out and the bucket reads do not depend on each other.
        let (regions, buckets) = tokio::join!(
            scan::scan_regions(cx, &self.wanted, &self.scan, &self.excluded),
            self.read_buckets(cx, None)
        );
        let (mut regions, mut buckets) = (regions?, buckets?);
        let mut rechecks = 0;
        for wait in &cx.settings.verify_waits {
            let disagreement = self.disagreement(&regions, &buckets);
            if disagreement.is_empty() {
                break;
            }
            cx.warn(
                Self::NAME,
                &format!(
                    "{}; reading again in {} ms (the change may still be propagating)",
                    disagreement.describe(),
                    wait.as_millis()
                ),
            )?;
            tokio::time::sleep(*wait).await;
            rechecks += 1;
            let again = disagreement.regions();
            let (fresh_regions, fresh_buckets) = tokio::join!(
                scan::scan_regions(cx, &self.wanted, &again, &[]),
                self.read_buckets(cx, Some(&disagreement.buckets))
            );
            for fresh in fresh_regions? {
                if let Some(old) = regions.iter_mut().find(|r| r.region == fresh.region) {
                    *old = fresh;
                }
            }
            for fresh in fresh_buckets? {
                if let Some(old) = buckets.iter_mut().find(|b| b.bucket == fresh.bucket) {
                    *old = fresh;
                }
            }
        }
        let disagreement = self.disagreement(&regions, &buckets);
        if !disagreement.is_empty() {
            return Err(Error::VerifyFailed(disagreement.describe()));
        }
        if rechecks > 0 {
            cx.warn(
                Self::NAME,
                &format!("every region and bucket agrees after {rechecks} re-read(s)"),
            )?;
        }
        Ok(VerifyReport {
            regions,
            buckets,
            rechecks,
        })
    }
}
