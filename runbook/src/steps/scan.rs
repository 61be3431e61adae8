//! The region fan-out shared by the status check and the verification: `DescribeTrails` in every
//! selected region at once (bounded), each region described exactly once.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};

use futures_util::stream::{self, StreamExt};
use serde_json::json;

use crate::aws::{FailureKind, DESCRIBE_TRAILS};
use crate::error::{Error, Result};
use crate::model::{RegionScan, RegionStatus, Trail};
use crate::steps::step::Cx;

/// Runs `f` for every region, at most `settings.concurrency` at once; results in region order.
pub async fn fan_out<T, F, Fut>(cx: &Cx<'_>, regions: &[String], f: F) -> Vec<(String, T)>
where
    F: Fn(String) -> Fut,
    Fut: Future<Output = T>,
{
    let done = AtomicUsize::new(0);
    let total = regions.len();
    let mut results: Vec<(String, T)> = stream::iter(regions.iter().cloned())
        .map(|region| {
            let fut = f(region.clone());
            let done = &done;
            async move {
                let out = fut.await;
                cx.operator
                    .regions_scanned(done.fetch_add(1, Ordering::Relaxed) + 1, total);
                (region, out)
            }
        })
        .buffer_unordered(cx.settings.concurrency.max(1))
        .collect()
        .await;
    results.sort_by(|a, b| a.0.cmp(&b.0));
    results
}

/// Describes every trail of every region in `scan` (shadow trails included) and keeps the ones
/// `wanted` names. Regions that are not enabled, or where an SCP denies the call, are reported
/// as unreachable; any other failure stops the scan. `excluded` regions are listed as such.
pub async fn scan_regions(
    cx: &Cx<'_>,
    wanted: &[String],
    scan: &[String],
    excluded: &[String],
) -> Result<Vec<RegionStatus>> {
    let results = fan_out(cx, scan, |region| async move {
        let out = cx
            .call(
                DESCRIBE_TRAILS,
                &region,
                json!({ "includeShadowTrails": true }),
                cx.aws
                    .cloudtrail(&region)
                    .describe_trails()
                    .include_shadow_trails(true)
                    .send(),
            )
            .await?;
        let trails: Vec<Trail> = out
            .trail_list()
            .iter()
            .map(|t| Trail::from_sdk(t, &region))
            .filter(|t| wanted.iter().any(|w| t.matches(w)))
            .collect();
        Ok::<_, crate::aws::Failure>(trails)
    })
    .await;

    let mut statuses = Vec::with_capacity(scan.len() + excluded.len());
    let mut denied = None;
    let mut answered = 0;
    for (region, result) in results {
        let scan = match result {
            Ok(trails) => {
                answered += 1;
                RegionScan::Scanned { trails }
            }
            Err(f)
                if matches!(
                    f.kind,
                    FailureKind::RegionNotEnabled | FailureKind::AccessDenied
                ) =>
            {
                if f.kind == FailureKind::AccessDenied && denied.is_none() {
                    denied = Some(f.clone());
                }
                RegionScan::Unreachable {
                    code: f.code,
                    message: f.message,
                }
            }
            Err(f) => return Err(f.into()),
        };
        statuses.push(RegionStatus { region, scan });
    }
    if answered == 0 {
        if let Some(f) = denied {
            return Err(Error::from(f));
        }
    }
    statuses.extend(excluded.iter().map(|r| RegionStatus {
        region: r.clone(),
        scan: RegionScan::Excluded,
    }));
    statuses.sort_by(|a, b| a.region.cmp(&b.region));
    Ok(statuses)
}
