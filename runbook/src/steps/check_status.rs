//! CheckStatus: the article's check, in every region at once, plus which trails may be changed.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::journal::StepName;
use crate::model::{RegionScan, RegionStatus, SkipReason, TrailTarget};
use crate::steps::{scan, Cx, Step};

#[derive(Debug, Serialize)]
pub struct CheckStatus {
    /// `--trail`: names or ARNs.
    pub wanted: Vec<String>,
    pub account: String,
    pub scan: Vec<String>,
    pub excluded: Vec<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct StatusReport {
    pub trail: String,
    pub regions: Vec<RegionStatus>,
    /// Every distinct trail (by ARN) that matched, with why it is skipped if it is.
    pub targets: Vec<TrailTarget>,
}

impl StatusReport {
    pub fn changeable(&self) -> impl Iterator<Item = &TrailTarget> {
        self.targets.iter().filter(|t| t.skip.is_none())
    }
}

/// Groups what the regions showed into distinct trails and decides which may be changed.
pub fn targets_of(
    regions: &[RegionStatus],
    account: &str,
    selected: &[String],
) -> Vec<TrailTarget> {
    let mut targets: Vec<TrailTarget> = Vec::new();
    for status in regions {
        let RegionScan::Scanned { trails } = &status.scan else {
            continue;
        };
        for trail in trails {
            match targets.iter_mut().find(|t| t.trail.arn == trail.arn) {
                Some(t) => {
                    t.seen_in.push(status.region.clone());
                    // The home region's view is the authoritative one.
                    if status.region == trail.home_region {
                        t.trail = trail.clone();
                    }
                }
                None => targets.push(TrailTarget {
                    trail: trail.clone(),
                    seen_in: vec![status.region.clone()],
                    skip: None,
                }),
            }
        }
    }
    for t in &mut targets {
        t.skip = if t.trail.organization {
            Some(SkipReason::OrganizationTrail)
        } else if let Some(owner) = t.trail.account().filter(|a| *a != account) {
            Some(SkipReason::OtherAccount {
                account: owner.to_string(),
            })
        } else if !selected.contains(&t.trail.home_region) {
            Some(SkipReason::HomeRegionNotSelected {
                home_region: t.trail.home_region.clone(),
            })
        } else {
            None
        };
    }
    targets.sort_by(|a, b| a.trail.arn.cmp(&b.trail.arn));
    targets
}

impl Step for CheckStatus {
    const NAME: StepName = StepName::CheckStatus;
    type Output = StatusReport;

    async fn execute(&self, cx: &Cx<'_>) -> Result<StatusReport> {
        let regions = scan::scan_regions(cx, &self.wanted, &self.scan, &self.excluded).await?;
        let targets = targets_of(&regions, &self.account, &self.scan);
        // One name, several trails (single-region trails of the same name in several regions):
        // changing them all without a word is not what the operator asked for.
        for name in self.wanted.iter().filter(|w| !w.starts_with("arn:")) {
            let arns: Vec<String> = targets
                .iter()
                .filter(|t| t.trail.name == *name)
                .map(|t| t.trail.arn.clone())
                .collect();
            if arns.len() > 1 {
                return Err(Error::AmbiguousTrail {
                    name: name.clone(),
                    arns,
                });
            }
        }
        if targets.is_empty() {
            let searched: Vec<&str> = regions
                .iter()
                .filter(|r| matches!(r.scan, RegionScan::Scanned { .. }))
                .map(|r| r.region.as_str())
                .collect();
            return Err(Error::TrailNotFound {
                trail: self.wanted.join(", "),
                count: searched.len(),
                regions: searched.join(", "),
            });
        }
        Ok(StatusReport {
            trail: self.wanted.join(", "),
            regions,
            targets,
        })
    }
}
