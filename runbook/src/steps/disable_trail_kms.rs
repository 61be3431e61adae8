//! DisableTrailKms: `UpdateTrail` with `KmsKeyId: ""`, once per trail, by ARN, in the trail's home
//! region, only if the live trail (re-read right before) is still encrypted.

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::aws::{DESCRIBE_TRAILS, UPDATE_TRAIL};
use crate::error::{Error, Result};
use crate::model::Trail;
use crate::steps::{write_outcome, Cx, Step, TrailChange, WriteOutcome};

#[derive(Debug, Serialize)]
pub struct DisableTrailKms {
    pub trails: Vec<TrailChange>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct TrailRevert {
    pub arn: String,
    pub home_region: String,
    /// The key the trail used before (kept so the change can be undone).
    pub previous_kms_key_id: Option<String>,
    pub outcome: WriteOutcome,
}

/// The trail as its home region shows it now.
async fn read_live(cx: &Cx<'_>, arn: &str, home: &str) -> Result<Trail> {
    let out = cx
        .call(
            DESCRIBE_TRAILS,
            home,
            json!({ "trailNameList": [arn] }),
            cx.aws
                .cloudtrail(home)
                .describe_trails()
                .trail_name_list(arn)
                .send(),
        )
        .await?;
    out.trail_list()
        .iter()
        .map(|t| Trail::from_sdk(t, home))
        .find(|t| t.arn == arn)
        .ok_or_else(|| Error::TrailNotFound {
            trail: arn.into(),
            count: 1,
            regions: home.into(),
        })
}

impl Step for DisableTrailKms {
    const NAME: &'static str = "disable_trail_kms";
    type Output = Vec<TrailRevert>;

    async fn execute(&self, cx: &Cx<'_>) -> Result<Vec<TrailRevert>> {
        let mut pending = cx.run.take_pending_writes(Self::NAME);
        let mut results = Vec::new();
        for change in &self.trails {
            let live = read_live(cx, &change.arn, &change.home_region).await?;
            let earlier = pending
                .iter()
                .position(|p| p.intent["params"]["Name"] == change.arn.as_str())
                .map(|i| pending.remove(i));
            if let Some(p) = &earlier {
                cx.run.write_settled(
                    p,
                    json!({ "encrypted": live.encrypted(), "applied": !live.encrypted() }),
                )?;
            }
            let previous = live
                .kms_key_id
                .clone()
                .or_else(|| {
                    earlier.as_ref().and_then(|p| {
                        p.intent["before"]["kms_key_id"]
                            .as_str()
                            .map(str::to_string)
                    })
                })
                .or_else(|| change.kms_key_id.clone());
            if !live.encrypted() {
                let outcome = if earlier.is_some() {
                    WriteOutcome::SettledApplied
                } else {
                    WriteOutcome::AlreadyDone
                };
                results.push(TrailRevert {
                    arn: change.arn.clone(),
                    home_region: change.home_region.clone(),
                    previous_kms_key_id: previous,
                    outcome,
                });
                continue;
            }
            let params = json!({ "Name": change.arn, "KmsKeyId": "" });
            let intent = cx.run.write_intent(
                Self::NAME,
                json!({
                    "operation": "cloudtrail:UpdateTrail",
                    "region": change.home_region,
                    "params": params,
                    "before": { "kms_key_id": live.kms_key_id },
                    "after": { "kms_key_id": null },
                }),
            )?;
            let result = cx
                .call(
                    UPDATE_TRAIL,
                    &change.home_region,
                    params,
                    cx.aws
                        .cloudtrail(&change.home_region)
                        .update_trail()
                        .name(&change.arn)
                        .kms_key_id("")
                        .send(),
                )
                .await;
            match result {
                Ok(out) => {
                    let now = out.kms_key_id().filter(|k| !k.is_empty());
                    cx.run
                        .write_result(intent, json!({ "outcome": "ok", "kms_key_id": now }))?;
                }
                Err(f) => {
                    cx.run.write_result(
                        intent,
                        json!({ "outcome": write_outcome(&f), "error_code": f.code }),
                    )?;
                    return Err(f.into());
                }
            }
            results.push(TrailRevert {
                arn: change.arn.clone(),
                home_region: change.home_region.clone(),
                previous_kms_key_id: previous,
                outcome: WriteOutcome::Changed,
            });
        }
        Ok(results)
    }
}
