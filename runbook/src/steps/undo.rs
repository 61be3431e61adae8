//! The `restore` runbook's own steps: undo a revert run from what its journal recorded.
//!
//! - [`UndoSource`]: the run to undo is a revert of this account whose journal verifies, and
//!   the writes it made.
//! - [`CheckKeys`]: each key to put back exists and is enabled (a key pending deletion or
//!   disabled is refused, saying how to bring it back; nothing is written).
//! - [`UndoPlan`]: three ways per write — before the revert, what the revert left, live now.
//!   Only what is still as the revert left it is put back; what changed since is reported and
//!   left alone, unless `--force`.
//! - [`RestoreTrailKms`], [`RestoreBucketEncryption`]: the reversed writes, through the same
//!   guarded-write protocol as the revert's.

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::aws::DESCRIBE_KEY;
use crate::error::{Error, Result};
use crate::journal::{self, StepName};
use crate::model::{BucketState, PlannedWrite, Runbook};
use crate::runs;
use crate::steps::write::write_step;
use crate::steps::{bucket, write, BucketPlan, Cx, Plan, Step, TrailChange};

#[derive(Debug, Serialize)]
pub struct UndoSource {
    pub run_id: String,
}

/// The revert to undo: what it wrote, and where it looked.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct UndoneRun {
    pub run_id: String,
    /// The writes it made (answered `ok`, or settled as applied), in order.
    pub writes: Vec<PlannedWrite>,
    /// The regions its status check scanned and excluded (verify looks at the same ones).
    pub scan: Vec<String>,
    pub excluded: Vec<String>,
}

impl Step for UndoSource {
    const NAME: StepName = StepName::UndoSource;
    type Output = UndoneRun;

    async fn execute(&self, cx: &Cx<'_>) -> Result<UndoneRun> {
        let state_dir = cx
            .run
            .dir()
            .parent()
            .expect("a run's folder is in the state directory");
        let refuse = |why: String| Error::NothingToUndo {
            run_id: self.run_id.clone(),
            why,
        };
        let id = runs::resolve(state_dir, Some(&self.run_id))?;
        if id == cx.run.id() {
            return Err(refuse("it is this run".into()));
        }
        let dir = state_dir.join(&id);
        let source = journal::load(&dir)?;
        source.check_cache(&dir)?;
        let started = source
            .fold
            .started()
            .expect("a loaded journal began with run_started");
        if started.runbook != Runbook::Revert {
            return Err(refuse(format!(
                "it is a `{}` run, not a revert",
                started.runbook.name()
            )));
        }
        // Unfinished, it may hold a write whose outcome is unknown, and a later `resume`
        // would revert again over the undo.
        if source.fold.resumable() {
            return Err(refuse(format!(
                "it has not finished and can still be resumed; finish it first \
                 (`cargo xtask resume {id}`), then undo it"
            )));
        }
        let me = cx.run.started();
        if started.account != me.account {
            return Err(Error::AccountMismatch {
                run_id: id,
                recorded: started.account.clone(),
                current: me.account,
            });
        }
        let writes: Vec<PlannedWrite> = source
            .fold
            .writes()
            .iter()
            .filter(|w| w.made())
            .map(|w| w.write.clone())
            .collect();
        if writes.is_empty() {
            return Err(refuse("it made no write".into()));
        }
        let preflight = source.fold.output(StepName::Preflight);
        let regions = |field: &str| -> Vec<String> {
            preflight
                .and_then(|p| serde_json::from_value(p[field].clone()).ok())
                .unwrap_or_default()
        };
        Ok(UndoneRun {
            run_id: id,
            writes,
            scan: regions("scan"),
            excluded: regions("excluded"),
        })
    }
}

#[derive(Debug, Serialize)]
pub struct CheckKeys {
    /// Each key to put back, with the region to ask in when it is not an ARN.
    pub keys: Vec<(String, String)>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct KeyState {
    pub key: String,
    pub state: String,
}

fn key_region(key: &str) -> Option<&str> {
    key.strip_prefix("arn:")
        .and_then(|rest| rest.split(':').nth(2))
        .filter(|r| !r.is_empty())
}

impl Step for CheckKeys {
    const NAME: StepName = StepName::CheckKeys;
    type Output = Vec<KeyState>;

    async fn execute(&self, cx: &Cx<'_>) -> Result<Vec<KeyState>> {
        let mut states = Vec::new();
        for (key, fallback) in &self.keys {
            let region = key_region(key).unwrap_or(fallback);
            let out = cx
                .call(
                    DESCRIBE_KEY,
                    region,
                    json!({ "KeyId": key }),
                    cx.aws.kms(region).describe_key().key_id(key).send(),
                )
                .await
                .map_err(|f| {
                    if f.is("NotFoundException") {
                        Error::KeyUnusable {
                            key: key.clone(),
                            state: "deleted (it does not exist any more)".into(),
                        }
                    } else {
                        f.into()
                    }
                })?;
            let state = out
                .key_metadata()
                .and_then(|m| m.key_state())
                .map(|s| s.as_str().to_string())
                .unwrap_or_default();
            match state.as_str() {
                "Enabled" => {}
                "PendingDeletion" | "PendingReplicaDeletion" => {
                    return Err(Error::KeyPendingDeletion { key: key.clone() })
                }
                "Disabled" => return Err(Error::KeyDisabled { key: key.clone() }),
                other => {
                    return Err(Error::KeyUnusable {
                        key: key.clone(),
                        state: other.to_string(),
                    })
                }
            }
            states.push(KeyState {
                key: key.clone(),
                state,
            });
        }
        Ok(states)
    }
}

/// A target deleted since the revert: reported, and left alone (even with `--force`).
fn gone(cx: &Cx<'_>, plan: &mut Plan, target: &str) -> Result<()> {
    let note = format!("{target} does not exist any more; nothing to put back there");
    cx.warn(StepName::UndoPlan, &note)?;
    plan.warnings.push(note);
    Ok(())
}

#[derive(Debug, Serialize)]
pub struct UndoPlan {
    /// The revert's writes, each reversed: `before` what the revert left, `after` what was
    /// there before it.
    pub reversed: Vec<PlannedWrite>,
    pub force: bool,
}

impl Step for UndoPlan {
    const NAME: StepName = StepName::UndoPlan;
    type Output = Plan;

    async fn execute(&self, cx: &Cx<'_>) -> Result<Plan> {
        let mut plan = Plan {
            trails: Vec::new(),
            buckets: Vec::new(),
            missing_buckets: Vec::new(),
            foreign_buckets: Vec::new(),
            writes: Vec::new(),
            warnings: Vec::new(),
        };
        for undo in &self.reversed {
            // Live now, as the write's own reading (`{"kms_key_id": …}` / `{"rules": […]}`).
            let (live_json, (as_left, write)) = match undo {
                PlannedWrite::TrailKms {
                    region,
                    trail_arn,
                    before,
                    after,
                } => {
                    let trail = match write::read_trail(cx, trail_arn, region).await {
                        Ok(trail) => trail,
                        Err(Error::TrailNotFound { .. }) => {
                            gone(cx, &mut plan, trail_arn)?;
                            continue;
                        }
                        Err(e) => return Err(e),
                    };
                    plan.trails.push(TrailChange {
                        name: trail.name.clone(),
                        arn: trail.arn.clone(),
                        home_region: trail.home_region.clone(),
                        kms_key_id: trail.kms_key_id.clone(),
                    });
                    let live = trail.kms_key_id.clone();
                    let as_left = live == *before;
                    let write = PlannedWrite::TrailKms {
                        region: region.clone(),
                        trail_arn: trail_arn.clone(),
                        before: live.clone(),
                        after: after.clone(),
                    };
                    (json!({ "kms_key_id": live }), (as_left, write))
                }
                PlannedWrite::SetBucketEncryption {
                    region,
                    bucket: name,
                    before,
                    after,
                } => {
                    let live = match bucket::read_state(cx, name, region).await {
                        Ok(live) => live,
                        Err(Error::BucketNotFound { .. }) => {
                            gone(cx, &mut plan, name)?;
                            continue;
                        }
                        Err(e) => return Err(e),
                    };
                    let as_left = live.rules == *before;
                    let write = PlannedWrite::SetBucketEncryption {
                        region: live.region.clone(),
                        bucket: name.clone(),
                        before: live.rules.clone(),
                        after: after.clone(),
                    };
                    plan.buckets.push(BucketPlan {
                        current: BucketState {
                            bucket: name.clone(),
                            region: live.region.clone(),
                            rules: live.rules.clone(),
                        },
                        // Set below, once a write to put them back is planned.
                        new_rules: None,
                    });
                    (json!({ "rules": live.rules }), (as_left, write))
                }
            };
            if undo.applied_in(&live_json) == Some(true) {
                // Already as it was before the revert: nothing to put back.
                continue;
            }
            if !as_left {
                let note = format!(
                    "{} changed since the revert (now {live_json}); {}",
                    undo.target(),
                    if self.force {
                        "putting it back anyway (--force)"
                    } else {
                        "left alone (put it back anyway with --force)"
                    }
                );
                cx.warn(Self::NAME, &note)?;
                plan.warnings.push(note);
                if !self.force {
                    continue;
                }
            }
            // The bucket's line of the plan shows the rules it gets back.
            if let PlannedWrite::SetBucketEncryption { after, .. } = &write {
                if let Some(b) = plan.buckets.last_mut() {
                    b.new_rules = Some(after.clone());
                }
            }
            plan.writes.push(write);
        }
        Ok(plan)
    }
}

write_step!(
    /// The undo's `UpdateTrail` writes: each trail's key put back.
    RestoreTrailKms,
    StepName::RestoreTrailKms
);

write_step!(
    /// The undo's `PutBucketEncryption` writes: each bucket's rules put back.
    RestoreBucketEncryption,
    StepName::RestoreBucketEncryption
);
