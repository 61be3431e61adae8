//! The runbooks: `revert` and `status`, as sequences of typed steps run by a [`Run`].

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::aws::{self, Aws, CallSink, GET_CALLER_IDENTITY};
use crate::error::Result;
use crate::model::RegionScan;
use crate::run::Identity;
use crate::steps::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Runbook {
    /// Turn off the trail's SSE-KMS and set the bucket to SSE-S3, verified.
    Revert,
    /// The article's check (read-only): every region's trail encryption, and the bucket's.
    Status,
}

impl Runbook {
    pub fn name(self) -> &'static str {
        match self {
            Runbook::Revert => "revert",
            Runbook::Status => "status",
        }
    }
}

/// What the operator asked for; recorded in `run_started` and reused by resume.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Args {
    pub trail: String,
    pub regions: Option<Vec<String>>,
    pub exclude_regions: Vec<String>,
    pub dry_run: bool,
}

/// Everything a run found and did, step by step (`None`: the step was not needed or not reached).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Report {
    pub runbook: Runbook,
    pub dry_run: bool,
    pub preflight: PreflightOutput,
    pub status: StatusReport,
    pub plan: Plan,
    pub confirmation: Option<Confirmation>,
    pub trails: Option<Vec<TrailRevert>>,
    pub buckets: Option<Vec<BucketRevert>>,
    pub verify: Option<VerifyReport>,
    pub keys: Option<KeyReport>,
}

impl Report {
    pub fn writes_made(&self) -> usize {
        let trails = self
            .trails
            .iter()
            .flatten()
            .filter(|t| t.outcome == WriteOutcome::Changed)
            .count();
        let buckets = self
            .buckets
            .iter()
            .flatten()
            .filter(|b| b.outcome == WriteOutcome::Changed)
            .count();
        trails + buckets
    }
}

/// Who the credentials belong to (STS GetCallerIdentity), recorded in `sink`.
pub async fn identity(aws: &Aws, sink: &dyn CallSink) -> Result<Identity> {
    aws.check_credentials().await?;
    let region = aws.default_region();
    let out = aws::call(
        sink,
        GET_CALLER_IDENTITY,
        &region,
        json!({}),
        aws.sts(&region).get_caller_identity().send(),
    )
    .await?;
    Ok(Identity {
        account: out.account().unwrap_or_default().to_string(),
        arn: out.arn().unwrap_or_default().to_string(),
    })
}

/// Runs `runbook` to its end and records how it ended in the run.
pub async fn execute(cx: &Cx<'_>, runbook: Runbook, args: &Args) -> Result<Report> {
    let result = steps(cx, runbook, args).await;
    match &result {
        Ok(report) => cx.run.finish(json!({
            "writes_made": report.writes_made(),
            "writes_planned": report.plan.writes().len(),
            "dry_run": report.dry_run,
        }))?,
        Err(err) => cx.run.fail(err)?,
    }
    result
}

async fn steps(cx: &Cx<'_>, runbook: Runbook, args: &Args) -> Result<Report> {
    let run = cx.run;
    let state = run.state();
    let identity = Identity {
        account: state.account.clone(),
        arn: state.caller_arn.clone(),
    };
    let preflight = run
        .step(
            cx,
            &Preflight {
                identity,
                regions: args.regions.clone(),
                exclude_regions: args.exclude_regions.clone(),
            },
        )
        .await?;
    let status = run
        .step(
            cx,
            &CheckStatus {
                trail: args.trail.clone(),
                account: preflight.account.clone(),
                scan: preflight.scan.clone(),
                excluded: preflight.excluded.clone(),
            },
        )
        .await?;
    let plan = run
        .step(
            cx,
            &MakePlan {
                trails: status.changeable().cloned().collect(),
            },
        )
        .await?;
    let mut report = Report {
        runbook,
        dry_run: args.dry_run,
        preflight,
        status,
        plan,
        confirmation: None,
        trails: None,
        buckets: None,
        verify: None,
        keys: None,
    };
    let writes = report.plan.writes();
    if runbook == Runbook::Status || args.dry_run {
        return Ok(report);
    }
    const LATER: [&str; 5] = [
        Confirm::NAME,
        DisableTrailKms::NAME,
        SetBucketAes256::NAME,
        Verify::NAME,
        KeyAdvice::NAME,
    ];
    if writes.is_empty() {
        for step in LATER {
            run.skip_step(
                step,
                "nothing to change: the trail is not encrypted and the bucket is not SSE-KMS",
            )?;
        }
        return Ok(report);
    }
    report.confirmation = Some(
        run.step(
            cx,
            &Confirm {
                plan: report.plan.clone(),
                writes: writes.clone(),
            },
        )
        .await?,
    );

    let trails: Vec<TrailChange> = report
        .plan
        .trails
        .iter()
        .filter(|t| t.kms_key_id.is_some())
        .cloned()
        .collect();
    report.trails = Some(if trails.is_empty() {
        run.skip_step(DisableTrailKms::NAME, "no trail is encrypted")?;
        Vec::new()
    } else {
        run.step(cx, &DisableTrailKms { trails }).await?
    });
    let buckets: Vec<BucketPlan> = report
        .plan
        .buckets
        .iter()
        .filter(|b| b.new_rules.is_some())
        .cloned()
        .collect();
    report.buckets = Some(if buckets.is_empty() {
        run.skip_step(SetBucketAes256::NAME, "no bucket is SSE-KMS")?;
        Vec::new()
    } else {
        run.step(cx, &SetBucketAes256 { buckets }).await?
    });

    let verify = Verify {
        trail: args.trail.clone(),
        scan: report.preflight.scan.clone(),
        excluded: report.preflight.excluded.clone(),
        trails: report.plan.trails.iter().map(|t| t.arn.clone()).collect(),
        buckets: report
            .plan
            .buckets
            .iter()
            .map(|b| (b.current.bucket.clone(), b.current.region.clone()))
            .collect(),
    };
    report.verify = Some(run.step(cx, &verify).await?);

    let mut keys: Vec<String> = report
        .trails
        .iter()
        .flatten()
        .filter_map(|t| t.previous_kms_key_id.clone())
        .collect();
    keys.extend(report.buckets.iter().flatten().flat_map(|b| {
        b.previous_rules
            .iter()
            .filter_map(|r| r.kms_master_key_id.clone())
    }));
    // The same key is often named by ARN on the trail and by ARN or id on the bucket.
    keys.sort();
    keys.dedup();
    if keys.is_empty() {
        run.skip_step(KeyAdvice::NAME, "no KMS key was in use")?;
    } else {
        let home_region = report
            .plan
            .trails
            .first()
            .map(|t| t.home_region.clone())
            .unwrap_or_else(|| cx.aws.default_region());
        let regions = report
            .status
            .regions
            .iter()
            .filter(|r| matches!(r.scan, RegionScan::Scanned { .. }))
            .map(|r| r.region.clone())
            .collect();
        report.keys = Some(
            run.step(
                cx,
                &KeyAdvice {
                    keys,
                    home_region,
                    regions,
                },
            )
            .await?,
        );
    }
    Ok(report)
}
