//! CheckStatus: the article's check, in every region at once, plus which trails may be changed.

use serde::Serialize;

use crate::error::{Error, Result};
use crate::journal::StepName;
use crate::model::{RegionScan, RegionStatus, SkipReason, TrailTarget};
use crate::steps::scan;
use crate::steps::step::{Cx, Step};

pub use crate::model::StatusReport;

#[derive(Debug, Serialize)]
pub struct CheckStatus {
    /// `--trail`: names or ARNs.
    pub wanted: Vec<String>,
    pub account: String,
    pub scan: Vec<String>,
    pub excluded: Vec<String>,
    /// `--include-organization-trail`: this (management) account's organization trails may be
    /// changed.
    pub include_organization_trail: bool,
}

/// Groups what the regions showed into distinct trails and decides which may be changed.
pub fn targets_of(
    regions: &[RegionStatus],
    account: &str,
    selected: &[String],
    include_organization_trail: bool,
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
        let ours = t.trail.account().is_none_or(|a| a == account);
        t.skip = if t.trail.organization && !ours {
            // Seen from a member account: the management account's to change.
            Some(SkipReason::OrganizationTrail)
        } else if t.trail.organization && !include_organization_trail {
            Some(SkipReason::OrganizationTrailNotIncluded)
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

/// A revert may not change an organization trail of the management account unless asked to:
/// refused (bad input, before any write) naming the trails and the flag.
pub fn refuse_unincluded_organization_trails(status: &StatusReport) -> Result<()> {
    let arns: Vec<String> = status
        .targets
        .iter()
        .filter(|t| t.skip == Some(SkipReason::OrganizationTrailNotIncluded))
        .map(|t| t.trail.arn.clone())
        .collect();
    if arns.is_empty() {
        Ok(())
    } else {
        Err(Error::OrganizationTrailNotIncluded { arns })
    }
}

impl Step for CheckStatus {
    const NAME: StepName = StepName::CheckStatus;
    type Output = StatusReport;

    async fn execute(&self, cx: &Cx<'_>) -> Result<StatusReport> {
        let regions = scan::scan_regions(cx, &self.wanted, &self.scan, &self.excluded).await?;
        let targets = targets_of(
            &regions,
            &self.account,
            &self.scan,
            self.include_organization_trail,
        );
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Trail;

    fn seen(arn: &str, organization: bool) -> RegionStatus {
        RegionStatus {
            region: "ap-northeast-1".into(),
            scan: RegionScan::Scanned {
                trails: vec![Trail {
                    name: "Members".into(),
                    arn: arn.into(),
                    home_region: "ap-northeast-1".into(),
                    multi_region: true,
                    organization,
                    kms_key_id: Some("k".into()),
                    bucket: Some("b".into()),
                }],
            },
        }
    }

    #[test]
    fn organization_trails_are_the_management_accounts_to_change_and_only_when_asked() {
        let regions = ["ap-northeast-1".to_string()];
        let skip = |arn: &str, organization: bool, include: bool| {
            targets_of(
                &[seen(arn, organization)],
                "123456789012",
                &regions,
                include,
            )[0]
            .skip
            .clone()
        };
        let ours = "arn:aws:cloudtrail:ap-northeast-1:123456789012:trail/Members";
        let managements = "arn:aws:cloudtrail:ap-northeast-1:111122223333:trail/Members";
        // A member account sees the management account's trail: never changeable from here.
        for include in [false, true] {
            assert_eq!(
                skip(managements, true, include),
                Some(SkipReason::OrganizationTrail)
            );
        }
        // The management account: only with --include-organization-trail.
        assert_eq!(
            skip(ours, true, false),
            Some(SkipReason::OrganizationTrailNotIncluded)
        );
        assert_eq!(skip(ours, true, true), None);
        assert_eq!(skip(ours, false, false), None);

        let status = |skip| StatusReport {
            trail: "Members".into(),
            regions: vec![],
            targets: vec![TrailTarget {
                trail: Trail {
                    name: "Members".into(),
                    arn: ours.into(),
                    home_region: "ap-northeast-1".into(),
                    multi_region: true,
                    organization: true,
                    kms_key_id: None,
                    bucket: None,
                },
                seen_in: vec![],
                skip,
            }],
        };
        let refused = refuse_unincluded_organization_trails(&status(Some(
            SkipReason::OrganizationTrailNotIncluded,
        )))
        .unwrap_err();
        assert!(refused.is_usage() && !refused.is_resumable());
        assert!(refused.to_string().contains("--include-organization-trail"));
        assert!(refuse_unincluded_organization_trails(&status(None)).is_ok());
    }
}
