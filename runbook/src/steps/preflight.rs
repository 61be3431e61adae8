//! Preflight: who we are (from the run), which regions are enabled, which of them to scan.
//!
//! Real `DescribeRegions` lists only the caller's partition; asked with `AllRegions`, it also
//! lists the opt-in regions the account has not enabled, with their `OptInStatus`. Emulators list
//! other partitions' regions and not-enabled ones alike. Only the regions of the caller's
//! partition (from the caller's ARN) whose status is `opt-in-not-required` or `opted-in` are
//! enabled; the others are recorded once, with why, as not scanned.

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::aws::{self, Aws, CallSink, Failure, DESCRIBE_REGIONS};
use crate::error::{Error, Result};
use crate::journal::StepName;
use crate::model::{
    partition_of_arn, partition_of_region, Identity, NotScanned, UnscannedRegion,
    ENABLED_OPT_IN_STATUSES,
};
use crate::steps::step::{Cx, Step};

#[derive(Debug, Serialize)]
pub struct Preflight {
    pub identity: Identity,
    /// `--regions`: scan only these. `None`: every enabled region.
    pub regions: Option<Vec<String>>,
    /// `--exclude-region`: never scanned, and a trail homed there is not changed.
    pub exclude_regions: Vec<String>,
    /// `DescribeRegions`' answer when it was asked side by side with the caller's identity,
    /// before the run opened (its call is recorded with the identity's, ahead of this step).
    /// `None`: the step asks itself (a resumed run, or a listing that failed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listed: Option<ListedRegions>,
}

/// `DescribeRegions`' answer: each region listed, with its `OptInStatus` when given.
pub type ListedRegions = Vec<(String, Option<String>)>;

/// Every region `DescribeRegions` (`AllRegions`) lists, asked in the configured region and
/// recorded in `sink`: the run's journal, or the calls made before the run opened.
pub async fn list_regions(
    aws: &Aws,
    sink: &dyn CallSink,
) -> std::result::Result<ListedRegions, Failure> {
    let region = aws.default_region();
    let out = aws::call(
        aws,
        sink,
        DESCRIBE_REGIONS,
        &region,
        json!({ "AllRegions": true }),
        aws.ec2(&region).describe_regions().all_regions(true).send(),
    )
    .await?;
    Ok(out
        .regions()
        .iter()
        .filter_map(|r| {
            let name = r.region_name()?.to_string();
            Some((name, r.opt_in_status().map(str::to_string)))
        })
        .collect())
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct PreflightOutput {
    pub account: String,
    pub caller_arn: String,
    pub enabled_regions: Vec<String>,
    pub scan: Vec<String>,
    pub excluded: Vec<String>,
    /// The caller's partition (`aws`, `aws-cn`, `aws-us-gov`), from its ARN.
    #[serde(default)]
    pub partition: String,
    /// Regions `DescribeRegions` listed that the account cannot call: not enabled, or another
    /// partition's. Never scanned, never counted.
    #[serde(default)]
    pub not_scanned: Vec<UnscannedRegion>,
}

impl PreflightOutput {
    /// The regions not scanned, grouped by why (in a stable order), for a one-line report.
    pub fn not_scanned_groups(&self) -> Vec<(NotScanned, Vec<String>)> {
        let mut groups: Vec<(NotScanned, Vec<String>)> = Vec::new();
        for r in &self.not_scanned {
            match groups.iter_mut().find(|(why, _)| *why == r.why) {
                Some((_, regions)) => regions.push(r.region.clone()),
                None => groups.push((r.why.clone(), vec![r.region.clone()])),
            }
        }
        groups.sort();
        groups
    }
}

/// Splits `DescribeRegions`' answer (name, `OptInStatus` if given) into the regions the caller
/// may call and the ones it may not, with why. A missing status means enabled: without
/// `AllRegions`, AWS lists enabled regions only.
pub fn enabled_regions(
    partition: &str,
    listed: &[(String, Option<String>)],
) -> (Vec<String>, Vec<UnscannedRegion>) {
    let mut enabled = Vec::new();
    let mut not_scanned = Vec::new();
    for (region, status) in listed {
        let region_partition = partition_of_region(region);
        let why = if region_partition != partition {
            Some(NotScanned::OtherPartition {
                partition: region_partition.to_string(),
            })
        } else {
            status
                .as_deref()
                .filter(|s| !ENABLED_OPT_IN_STATUSES.contains(s))
                .map(|s| NotScanned::NotEnabled {
                    opt_in_status: s.to_string(),
                })
        };
        match why {
            Some(why) => not_scanned.push(UnscannedRegion {
                region: region.clone(),
                why,
            }),
            None => enabled.push(region.clone()),
        }
    }
    enabled.sort();
    enabled.dedup();
    not_scanned.sort_by(|a, b| a.region.cmp(&b.region));
    not_scanned.dedup();
    (enabled, not_scanned)
}

impl Step for Preflight {
    const NAME: StepName = StepName::Preflight;
    type Output = PreflightOutput;

    async fn execute(&self, cx: &Cx<'_>) -> Result<PreflightOutput> {
        let listed = match &self.listed {
            Some(listed) => listed.clone(),
            None => list_regions(cx.aws, cx.run).await?,
        };
        let partition = partition_of_arn(&self.identity.arn).to_string();
        let (enabled, not_scanned) = enabled_regions(&partition, &listed);
        let unknown = |region: &String, flag: &'static str| Error::UnknownRegion {
            region: region.clone(),
            flag,
            count: enabled.len(),
            enabled: enabled.join(", "),
        };
        if let Some(wanted) = &self.regions {
            if let Some(bad) = wanted.iter().find(|r| !enabled.contains(r)) {
                return Err(unknown(bad, "--regions"));
            }
        }
        if let Some(bad) = self.exclude_regions.iter().find(|r| !enabled.contains(r)) {
            return Err(unknown(bad, "--exclude-region"));
        }
        let mut excluded: Vec<String> = enabled
            .iter()
            .filter(|r| {
                self.exclude_regions.contains(r)
                    || self.regions.as_ref().is_some_and(|w| !w.contains(r))
            })
            .cloned()
            .collect();
        excluded.sort();
        let scan: Vec<String> = enabled
            .iter()
            .filter(|r| !excluded.contains(r))
            .cloned()
            .collect();
        if scan.is_empty() {
            return Err(Error::NoRegionSelected);
        }
        Ok(PreflightOutput {
            account: self.identity.account.clone(),
            caller_arn: self.identity.arn.clone(),
            enabled_regions: enabled,
            scan,
            excluded,
            partition,
            not_scanned,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listed(items: &[(&str, Option<&str>)]) -> Vec<(String, Option<String>)> {
        items
            .iter()
            .map(|(r, s)| (r.to_string(), s.map(str::to_string)))
            .collect()
    }

    #[test]
    fn only_enabled_regions_of_the_callers_partition_are_scanned() {
        let answer = listed(&[
            ("us-east-1", Some("opt-in-not-required")),
            ("ap-east-1", Some("opted-in")),
            ("af-south-1", Some("not-opted-in")),
            ("eu-west-1", None),
            ("cn-north-1", Some("opt-in-not-required")),
            ("us-gov-west-1", Some("opt-in-not-required")),
        ]);
        let (enabled, not_scanned) = enabled_regions("aws", &answer);
        assert_eq!(enabled, vec!["ap-east-1", "eu-west-1", "us-east-1"]);
        let why: Vec<(&str, &NotScanned)> = not_scanned
            .iter()
            .map(|u| (u.region.as_str(), &u.why))
            .collect();
        assert_eq!(
            why,
            vec![
                (
                    "af-south-1",
                    &NotScanned::NotEnabled {
                        opt_in_status: "not-opted-in".into()
                    }
                ),
                (
                    "cn-north-1",
                    &NotScanned::OtherPartition {
                        partition: "aws-cn".into()
                    }
                ),
                (
                    "us-gov-west-1",
                    &NotScanned::OtherPartition {
                        partition: "aws-us-gov".into()
                    }
                ),
            ]
        );
        // An account in China sees the China regions only.
        let (enabled, not_scanned) = enabled_regions("aws-cn", &answer);
        assert_eq!(enabled, vec!["cn-north-1"]);
        assert_eq!(not_scanned.len(), 5);
    }

    #[test]
    fn the_partition_comes_from_the_callers_arn() {
        assert_eq!(partition_of_arn("arn:aws:iam::123456789012:user/a"), "aws");
        assert_eq!(
            partition_of_arn("arn:aws-cn:sts::123456789012:assumed-role/r/s"),
            "aws-cn"
        );
        assert_eq!(
            partition_of_arn("arn:aws-us-gov:iam::123456789012:root"),
            "aws-us-gov"
        );
        assert_eq!(partition_of_region("cn-northwest-1"), "aws-cn");
        assert_eq!(partition_of_region("us-gov-east-1"), "aws-us-gov");
        assert_eq!(partition_of_region("us-east-1"), "aws");
    }
}
