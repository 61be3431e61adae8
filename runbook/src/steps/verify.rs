//! Verify: every region again, and every bucket, after the writes. The run fails if a trail it
//! changed does not show the key it should (none, after a revert; the old key, after an undo)
//! in some region, or a bucket is not as it should be (not SSE-KMS; its old rules).
//!
//! A multi-region trail's change reaches its shadow copies in the other regions from the home
//! region, so a region may briefly still show the old key. Only the regions (and buckets) that
//! still disagree are read again, after bounded waits (`Settings::verify_waits`), before the
//! verification fails.

use crate::finding::{Finding, Found};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::journal::StepName;
use crate::model::{
    BucketState, BucketVerdict, EncryptionRule, PlannedWrite, RegionScan, RegionStatus,
};
use crate::steps::step::{Cx, Step};
use crate::steps::{bucket, scan};

#[derive(Debug, Serialize)]
pub struct Verify {
    /// `--trail`: names or ARNs, as the status check scanned for them.
    pub wanted: Vec<String>,
    pub scan: Vec<String>,
    pub excluded: Vec<String>,
    /// The trails the run changed (ARN), with the key each must show (`None`: not encrypted).
    pub trails: Vec<(String, Option<String>)>,
    /// The buckets the run changed.
    pub buckets: Vec<ExpectedBucket>,
}

/// A bucket and what its default encryption must be.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ExpectedBucket {
    pub bucket: String,
    pub region: String,
    /// Exactly these rules; `None`: anything but SSE-KMS.
    pub rules: Option<Vec<EncryptionRule>>,
}

impl Verify {
    /// What the account must show once `writes` are made.
    pub fn expecting(
        wanted: Vec<String>,
        scan: Vec<String>,
        excluded: Vec<String>,
        writes: &[PlannedWrite],
    ) -> Verify {
        let mut trails = Vec::new();
        let mut buckets = Vec::new();
        for w in writes {
            match w {
                PlannedWrite::TrailKms {
                    trail_arn, after, ..
                } => trails.push((trail_arn.clone(), after.clone())),
                PlannedWrite::SetBucketEncryption {
                    bucket,
                    region,
                    after,
                    ..
                } => buckets.push(ExpectedBucket {
                    bucket: bucket.clone(),
                    region: region.clone(),
                    rules: (BucketVerdict::of(after) == BucketVerdict::SseKms)
                        .then(|| after.clone()),
                }),
            }
        }
        Verify {
            wanted,
            scan,
            excluded,
            trails,
            buckets,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct VerifyReport {
    pub regions: Vec<RegionStatus>,
    pub buckets: Vec<BucketState>,
    /// How many times some regions or buckets were read again before they agreed.
    #[serde(default)]
    pub rechecks: usize,
}

/// What still disagrees: (trail ARN, key shown, key expected, regions) and bucket names.
struct Disagreement {
    trails: Vec<(String, Option<String>, Option<String>, Vec<String>)>,
    buckets: Vec<(String, Option<Vec<EncryptionRule>>)>,
}

impl Disagreement {
    fn is_empty(&self) -> bool {
        self.trails.is_empty() && self.buckets.is_empty()
    }

    fn regions(&self) -> Vec<String> {
        let mut regions: Vec<String> = self
            .trails
            .iter()
            .flat_map(|(_, _, _, r)| r.clone())
            .collect();
        regions.sort();
        regions.dedup();
        regions
    }

    fn describe(&self) -> Vec<Found> {
        let trails = self.trails.iter().map(|(arn, shown, expected, regions)| {
            let (trail_arn, regions) = (arn.clone(), regions.clone());
            match (shown, expected) {
                (Some(key), None) => Finding::TrailStillKms {
                    trail_arn,
                    key: key.clone(),
                    regions,
                },
                (shown, Some(expected)) => Finding::TrailNotExpected {
                    trail_arn,
                    shown: shown.clone(),
                    expected: expected.clone(),
                    regions,
                },
                (None, None) => Finding::TrailDisagrees { trail_arn, regions },
            }
        });
        let buckets = self.buckets.iter().map(|b| match b {
            (name, None) => Finding::BucketStillSseKms {
                bucket: name.clone(),
            },
            (name, Some(_)) => Finding::BucketNotExpected {
                bucket: name.clone(),
            },
        });
        trails.chain(buckets).map(Found::from).collect()
    }
}

impl Verify {
    async fn read_buckets(&self, cx: &Cx<'_>, only: Option<&[String]>) -> Result<Vec<BucketState>> {
        let mut states = Vec::new();
        for b in self
            .buckets
            .iter()
            .filter(|b| only.is_none_or(|o| o.contains(&b.bucket)))
        {
            states.push(bucket::read_state(cx, &b.bucket, &b.region).await?);
        }
        Ok(states)
    }

    fn disagreement(&self, regions: &[RegionStatus], buckets: &[BucketState]) -> Disagreement {
        let mut trails: Vec<(String, Option<String>, Option<String>, Vec<String>)> = Vec::new();
        for status in regions {
            let RegionScan::Scanned { trails: seen } = &status.scan else {
                continue;
            };
            for t in seen {
                let Some((_, expected)) = self.trails.iter().find(|(arn, _)| *arn == t.arn) else {
                    continue;
                };
                if t.kms_key_id == *expected {
                    continue;
                }
                match trails
                    .iter_mut()
                    .find(|(arn, k, _, _)| *arn == t.arn && *k == t.kms_key_id)
                {
                    Some((_, _, _, in_regions)) => in_regions.push(status.region.clone()),
                    None => trails.push((
                        t.arn.clone(),
                        t.kms_key_id.clone(),
                        expected.clone(),
                        vec![status.region.clone()],
                    )),
                }
            }
        }
        let buckets = buckets
            .iter()
            .filter_map(|live| {
                let expected = self.buckets.iter().find(|b| b.bucket == live.bucket)?;
                let agrees = match &expected.rules {
                    Some(rules) => live.rules == *rules,
                    None => live.verdict() != BucketVerdict::SseKms,
                };
                (!agrees).then(|| (live.bucket.clone(), expected.rules.clone()))
            })
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
                    crate::finding::joined(&disagreement.describe()),
                    wait.as_millis()
                ),
            )?;
            tokio::time::sleep(*wait).await;
            rechecks += 1;
            let again = disagreement.regions();
            let again_buckets: Vec<String> = disagreement
                .buckets
                .iter()
                .map(|(b, _)| b.clone())
                .collect();
            let (fresh_regions, fresh_buckets) = tokio::join!(
                scan::scan_regions(cx, &self.wanted, &again, &[]),
                self.read_buckets(cx, Some(&again_buckets))
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
