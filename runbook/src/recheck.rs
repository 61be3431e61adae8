//! The weekly re-check: is the account still reverted? From a `status` run's report alone
//! (`--check`), or against the end state a revert run reached (`--since RUN_ID`), read from
//! that run's journal.

use std::path::Path;

use crate::error::{Error, Result};
use crate::finding::Finding;
use crate::journal::{self, RunStatus};
use crate::model::{BucketVerdict, PlannedWrite, Runbook};
use crate::runbooks::Report;
use crate::runs;

/// What a status report shows still (or again) SSE-KMS: trails that may be changed from here,
/// by ARN with the regions that show the key, and trail buckets.
pub fn still_sse_kms(report: &Report) -> Vec<Finding> {
    let trails = report
        .status
        .changeable()
        .filter(|t| t.trail.encrypted())
        .map(|t| Finding::TrailUsesKey {
            trail_arn: t.trail.arn.clone(),
            key: t.trail.kms_key_id.clone().unwrap_or_default(),
        });
    let buckets = report
        .plan
        .buckets
        .iter()
        .filter(|b| b.current.verdict() == BucketVerdict::SseKms)
        .map(|b| Finding::BucketSseKms {
            bucket: b.current.bucket.clone(),
            algorithms: algorithms(&b.current.rules),
        });
    trails.chain(buckets).collect()
}

fn algorithms(rules: &[crate::model::EncryptionRule]) -> String {
    rules
        .iter()
        .map(|r| r.sse_algorithm.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

/// The arguments of the revert run `run_id`, so that the status run a `--since` compares
/// looks at the same trails and regions.
pub fn args_of(state_dir: &Path, run_id: &str) -> Result<crate::model::Args> {
    let id = runs::resolve(state_dir, Some(run_id))?;
    let source = journal::load(&state_dir.join(id))?;
    Ok(source.started.args)
}

/// Each way the live state in `report` (a status run's) differs from the end state the revert
/// run `run_id` reached, by name.
pub fn drift_since(state_dir: &Path, run_id: &str, report: &Report) -> Result<Vec<Finding>> {
    let id = runs::resolve(state_dir, Some(run_id))?;
    let dir = state_dir.join(&id);
    let source = journal::load(&dir)?;
    source.check_cache(&dir)?;
    let started = &source.started;
    if started.account != report.preflight.account {
        return Err(Error::AccountMismatch {
            run_id: id,
            recorded: started.account.clone(),
            current: report.preflight.account.clone(),
            purpose: crate::error::RunPurpose::Compare,
        });
    }
    if started.runbook != Runbook::Revert || started.args.dry_run {
        return Err(Error::NoEndState {
            run_id: id,
            why: crate::error::RunUnfit::NotARevert {
                runbook: started.runbook.name().to_string(),
                dry_run: started.args.dry_run,
            },
        });
    }
    if source.fold.status() != Some(RunStatus::Finished) {
        return Err(Error::NoEndState {
            run_id: id,
            why: crate::error::RunUnfit::Unfinished,
        });
    }
    // The end state: what every write left (a revert that wrote nothing left the account as
    // its status check found it, which `still_sse_kms` judges).
    let mut drift = Vec::new();
    let writes: Vec<&PlannedWrite> = source
        .fold
        .writes()
        .iter()
        .filter(|w| w.made())
        .map(|w| &w.write)
        .collect();
    if writes.is_empty() {
        return Ok(still_sse_kms(report));
    }
    for w in writes {
        match w {
            PlannedWrite::TrailKms {
                trail_arn, after, ..
            } => {
                let live = report
                    .status
                    .targets
                    .iter()
                    .find(|t| t.trail.arn == *trail_arn);
                match live {
                    None => drift.push(Finding::TrailGone {
                        trail_arn: trail_arn.clone(),
                    }),
                    Some(t) if t.trail.kms_key_id != *after => {
                        drift.push(match &t.trail.kms_key_id {
                            Some(key) => Finding::TrailKeyAgain {
                                trail: t.trail.name.clone(),
                                key: key.clone(),
                            },
                            None => Finding::TrailKeyGone {
                                trail: t.trail.name.clone(),
                            },
                        })
                    }
                    Some(_) => {}
                }
            }
            PlannedWrite::SetBucketEncryption { bucket, after, .. } => {
                let live = report
                    .plan
                    .buckets
                    .iter()
                    .find(|b| b.current.bucket == *bucket);
                match live {
                    None => drift.push(Finding::BucketNotChecked {
                        bucket: bucket.clone(),
                    }),
                    Some(b)
                        if b.current.verdict() == BucketVerdict::SseKms
                            && BucketVerdict::of(after) != BucketVerdict::SseKms =>
                    {
                        drift.push(Finding::BucketSseKmsAgain {
                            bucket: bucket.clone(),
                            algorithms: algorithms(&b.current.rules),
                        })
                    }
                    Some(b)
                        if BucketVerdict::of(after) == BucketVerdict::SseKms
                            && b.current.rules != *after =>
                    {
                        drift.push(Finding::BucketRulesChanged {
                            bucket: bucket.clone(),
                            algorithms: algorithms(&b.current.rules),
                        })
                    }
                    Some(_) => {}
                }
            }
        }
    }
    Ok(drift)
}
