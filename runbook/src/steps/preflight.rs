//! Preflight: who we are (from the run), which regions are enabled, which of them to scan.

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::aws::DESCRIBE_REGIONS;
use crate::error::{Error, Result};
use crate::journal::StepName;
use crate::model::Identity;
use crate::steps::{Cx, Step};

#[derive(Debug, Serialize)]
pub struct Preflight {
    pub identity: Identity,
    /// `--regions`: scan only these. `None`: every enabled region.
    pub regions: Option<Vec<String>>,
    /// `--exclude-region`: never scanned, and a trail homed there is not changed.
    pub exclude_regions: Vec<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct PreflightOutput {
    pub account: String,
    pub caller_arn: String,
    pub enabled_regions: Vec<String>,
    pub scan: Vec<String>,
    pub excluded: Vec<String>,
}

impl Step for Preflight {
    const NAME: StepName = StepName::Preflight;
    type Output = PreflightOutput;

    async fn execute(&self, cx: &Cx<'_>) -> Result<PreflightOutput> {
        let region = cx.aws.default_region();
        let out = cx
            .call(
                DESCRIBE_REGIONS,
                &region,
                json!({}),
                cx.aws.ec2(&region).describe_regions().send(),
            )
            .await?;
        let mut enabled: Vec<String> = out
            .regions()
            .iter()
            .filter_map(|r| r.region_name().map(str::to_string))
            .collect();
        enabled.sort();
        enabled.dedup();
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
        })
    }
}
