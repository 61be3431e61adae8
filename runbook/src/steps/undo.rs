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

use crate::error::RunUnfit;
use crate::model::{PlanWarning, Warned};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::aws::{DESCRIBE_KEY, GET_KEY_POLICY};
use crate::error::{Error, KeyProblem, Result};
use crate::journal::{self, StepName};
use crate::model::{BucketPlan, Plan, TrailChange};
use crate::model::{BucketState, PlannedWrite, Runbook, StatusReport};
use crate::runs;
use crate::steps::preflight::PreflightOutput;
use crate::steps::step::{Cx, Step};
use crate::steps::write::write_step;
use crate::steps::{bucket, write};

pub use crate::model::{KeyState, NotRestored, NotRestoredWhy};

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
    /// Each trail its status check found changeable, with the bucket it delivers to: a key put
    /// back on a bucket must let CloudTrail write with it for these trails. (Absent in a journal
    /// written before it was recorded.)
    #[serde(default)]
    pub deliveries: Vec<Delivery>,
}

/// A trail and the bucket it delivers its log files to.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Delivery {
    pub trail_arn: String,
    pub bucket: String,
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
        let refuse = |why: RunUnfit| Error::NothingToUndo {
            run_id: self.run_id.clone(),
            why,
        };
        let id = runs::resolve(state_dir, Some(&self.run_id))?;
        if id == cx.run.id() {
            return Err(refuse(RunUnfit::ThisRun));
        }
        let dir = state_dir.join(&id);
        let source = journal::load(&dir)?;
        source.check_cache(&dir)?;
        let started = &source.started;
        if started.runbook != Runbook::Revert {
            return Err(refuse(RunUnfit::NotARevert {
                runbook: started.runbook.name().to_string(),
                dry_run: false,
            }));
        }
        // Unfinished, it may hold a write whose outcome is unknown, and a later `resume`
        // would revert again over the undo.
        if source.fold.resumable() {
            return Err(refuse(RunUnfit::StillResumable { run_id: id }));
        }
        let me = cx.run.started();
        if started.account != me.account {
            return Err(Error::AccountMismatch {
                run_id: id,
                recorded: started.account.clone(),
                current: me.account,
                purpose: crate::error::RunPurpose::Undo,
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
            return Err(refuse(RunUnfit::NoWrite));
        }
        // Read as the types the steps recorded (a verified journal's status report is one).
        let preflight: Option<PreflightOutput> = source
            .fold
            .output(StepName::Preflight)
            .and_then(|p| serde_json::from_value(p.clone()).ok());
        let regions = |field: fn(&PreflightOutput) -> &Vec<String>| -> Vec<String> {
            preflight.as_ref().map(field).cloned().unwrap_or_default()
        };
        let targets: Vec<crate::model::TrailTarget> = source
            .fold
            .output(StepName::CheckStatus)
            .and_then(|s| serde_json::from_value::<StatusReport>(s.clone()).ok())
            .map(|s| s.targets)
            .unwrap_or_default();
        let deliveries = targets
            .into_iter()
            .filter(|t| t.skip.is_none())
            .filter_map(|t| {
                Some(Delivery {
                    bucket: t.trail.bucket?,
                    trail_arn: t.trail.arn,
                })
            })
            .collect();
        Ok(UndoneRun {
            run_id: id,
            writes,
            scan: regions(|p| &p.scan),
            excluded: regions(|p| &p.excluded),
            deliveries,
        })
    }
}

#[derive(Debug, Serialize)]
pub struct CheckKeys {
    /// Each key to put back.
    pub keys: Vec<KeyToCheck>,
    /// Put back a key that fails the checks of this account and of its key policy anyway.
    pub force: bool,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct KeyToCheck {
    pub key: String,
    /// Where to ask when the key is not an ARN.
    pub region: String,
    /// The trails it goes back on: its key policy must let CloudTrail use it for each.
    pub trails: Vec<String>,
}

fn key_region(key: &str) -> Option<&str> {
    key.strip_prefix("arn:")
        .and_then(|rest| rest.split(':').nth(2))
        .filter(|r| !r.is_empty())
}

/// `*` and `?` as in IAM's `*Like` condition operators; case-sensitive, as ARNs are.
fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    // Classic two-pointer matching with backtracking to the last `*`.
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// A policy field that is one string or a list of them.
fn strings(value: &serde_json::Value) -> Vec<&str> {
    match value {
        serde_json::Value::String(s) => vec![s.as_str()],
        serde_json::Value::Array(items) => items.iter().filter_map(|v| v.as_str()).collect(),
        _ => Vec::new(),
    }
}

/// The statement of a key policy that lets CloudTrail encrypt with the key for `trail_arn`: it
/// allows the `cloudtrail.amazonaws.com` service `kms:GenerateDataKey*`, on the condition that
/// the trail is `trail_arn` (`aws:SourceArn`, or the encryption context
/// `kms:EncryptionContext:aws:cloudtrail:arn`: every such condition must cover it, and there
/// must be one). This is the statement CloudTrail's own key policy has (AWS: "Configure AWS KMS
/// key policies for CloudTrail").
pub fn cloudtrail_statement(
    policy: &serde_json::Value,
    trail_arn: &str,
) -> Option<serde_json::Value> {
    let statements = match &policy["Statement"] {
        serde_json::Value::Array(list) => list.clone(),
        one @ serde_json::Value::Object(_) => vec![one.clone()],
        _ => Vec::new(),
    };
    statements.into_iter().find(|st| {
        let allows = st["Effect"] == "Allow";
        let cloudtrail = strings(&st["Principal"]["Service"])
            .iter()
            .any(|s| s.eq_ignore_ascii_case("cloudtrail.amazonaws.com"));
        let encrypts = strings(&st["Action"])
            .iter()
            .any(|a| glob(&a.to_ascii_lowercase(), "kms:generatedatakey"));
        let mut covering = 0;
        let mut excluding = 0;
        if let Some(conditions) = st["Condition"].as_object() {
            for (operator, keys) in conditions {
                let operator = operator.rsplit(':').next().unwrap_or(operator);
                let like = operator.ends_with("Like");
                let known = [
                    "StringEquals",
                    "StringLike",
                    "ArnEquals",
                    "ArnLike",
                    "StringEqualsIgnoreCase",
                ]
                .contains(&operator);
                for (key, values) in keys.as_object().into_iter().flatten() {
                    let key = key.to_ascii_lowercase();
                    if key != "aws:sourcearn" && key != "kms:encryptioncontext:aws:cloudtrail:arn" {
                        continue;
                    }
                    let covers = known
                        && strings(values).iter().any(|v| {
                            if like {
                                glob(v, trail_arn)
                            } else if operator == "StringEqualsIgnoreCase" {
                                v.eq_ignore_ascii_case(trail_arn)
                            } else {
                                *v == trail_arn
                            }
                        });
                    if covers {
                        covering += 1;
                    } else {
                        excluding += 1;
                    }
                }
            }
        }
        allows && cloudtrail && encrypts && covering > 0 && excluding == 0
    })
}

impl Step for CheckKeys {
    const NAME: StepName = StepName::CheckKeys;
    type Output = Vec<KeyState>;

    async fn execute(&self, cx: &Cx<'_>) -> Result<Vec<KeyState>> {
        let me = cx.run.started();
        let partition = me.caller_arn.split(':').nth(1).unwrap_or("aws").to_string();
        let mut states = Vec::new();
        for KeyToCheck {
            key,
            region: fallback,
            trails,
        } in &self.keys
        {
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
            let meta = out.key_metadata();
            let state = meta
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
            let arn = meta.and_then(|m| m.arn()).unwrap_or(key).to_string();
            let mut problems = Vec::new();
            let parts: Vec<&str> = arn.split(':').collect();
            if parts.len() < 6 || parts[0] != "arn" || parts[2] != "kms" {
                problems.push(KeyProblem::NotAKeyArn { arn: arn.clone() });
            } else {
                if parts[1] != partition {
                    problems.push(KeyProblem::OtherPartition {
                        partition: parts[1].to_string(),
                        ours: partition.clone(),
                    });
                }
                if parts[4] != me.account {
                    problems.push(KeyProblem::OtherAccount {
                        account: parts[4].to_string(),
                        ours: me.account.clone(),
                    });
                }
            }
            let mut cloudtrail = None;
            if !trails.is_empty() {
                let policy = cx
                    .call(
                        GET_KEY_POLICY,
                        region,
                        json!({ "KeyId": arn, "PolicyName": "default" }),
                        cx.aws
                            .kms(region)
                            .get_key_policy()
                            .key_id(&arn)
                            .policy_name("default")
                            .send(),
                    )
                    .await;
                match policy {
                    Ok(out) => {
                        let text = out.policy().unwrap_or_default();
                        match serde_json::from_str::<serde_json::Value>(text) {
                            Err(e) => problems.push(KeyProblem::PolicyNotJson {
                                detail: e.to_string(),
                            }),
                            Ok(policy) => {
                                for trail in trails {
                                    match cloudtrail_statement(&policy, trail) {
                                        Some(st) => cloudtrail = Some(st),
                                        None => problems.push(KeyProblem::NoCloudTrailStatement {
                                            trail: trail.clone(),
                                        }),
                                    }
                                }
                            }
                        }
                    }
                    Err(f) => problems.push(KeyProblem::PolicyUnreadable {
                        action: f.op.action.to_string(),
                        code: f.code,
                        message: f.message,
                    }),
                }
            }
            if !problems.is_empty() {
                if !self.force {
                    return Err(Error::KeyUnverified { key: arn, problems });
                }
                cx.warn(
                    Self::NAME,
                    &format!(
                        "KMS key {arn}: {}; putting it back anyway (--force)",
                        problems
                            .iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join("; ")
                    ),
                )?;
            }
            states.push(KeyState {
                key: key.clone(),
                state,
                arn: Some(arn),
                trails: trails.clone(),
                cloudtrail_statement: cloudtrail,
                problems,
            });
        }
        Ok(states)
    }
}

/// A target deleted since the revert: reported, and left alone (even with `--force`).
fn gone(cx: &Cx<'_>, plan: &mut Plan, target: &str) -> Result<()> {
    let note: PlanWarning = Warned::Gone {
        target: target.to_string(),
    }
    .into();
    cx.warn(StepName::UndoPlan, &note.to_string())?;
    plan.warnings.push(note);
    plan.not_restored.push(NotRestored {
        target: target.to_string(),
        why: NotRestoredWhy::Deleted,
    });
    Ok(())
}

#[derive(Debug, Serialize)]
pub struct UndoPlan {
    /// The revert's writes, each reversed: `before` what the revert left, `after` what was
    /// there before it.
    pub reversed: Vec<PlannedWrite>,
    pub force: bool,
    /// The keys it puts back, as `check_keys` found them (shown with the plan).
    pub keys: Vec<KeyState>,
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
            keys: self.keys.clone(),
            not_restored: Vec::new(),
            already_restored: Vec::new(),
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
                plan.already_restored.push(undo.target().to_string());
                continue;
            }
            if !as_left {
                let note: PlanWarning = Warned::ChangedSince {
                    target: undo.target().to_string(),
                    now: live_json.to_string(),
                    force: self.force,
                }
                .into();
                cx.warn(Self::NAME, &note.to_string())?;
                plan.warnings.push(note);
                if !self.force {
                    plan.not_restored.push(NotRestored {
                        target: undo.target().to_string(),
                        why: NotRestoredWhy::ChangedSince,
                    });
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

#[cfg(test)]
mod tests {
    use super::*;

    const TRAIL: &str = "arn:aws:cloudtrail:ap-northeast-1:123456789012:trail/Members";

    #[test]
    fn globs_match_as_iam_like_operators_do() {
        assert!(glob("arn:aws:cloudtrail:*:123456789012:trail/*", TRAIL));
        assert!(glob("*", TRAIL));
        assert!(glob("kms:generatedatakey*", "kms:generatedatakey"));
        assert!(glob("kms:*", "kms:generatedatakey"));
        assert!(!glob("arn:aws:cloudtrail:*:210987654321:trail/*", TRAIL));
        assert!(!glob(
            "arn:aws:cloudtrail:*:123456789012:trail/Other",
            TRAIL
        ));
        assert!(glob("arn:aws:cloudtrail:??-*-1:*", TRAIL));
    }

    #[test]
    fn the_cloudtrail_statement_must_cover_this_trail() {
        // AWS's documented CloudTrail statements (as the testkit seeds them).
        let policy = json!({ "Statement": [
            { "Effect": "Allow", "Principal": { "AWS": "arn:aws:iam::123456789012:root" },
              "Action": "kms:*", "Resource": "*" },
            { "Sid": "Allow CloudTrail to encrypt logs", "Effect": "Allow",
              "Principal": { "Service": "cloudtrail.amazonaws.com" },
              "Action": "kms:GenerateDataKey*", "Resource": "*",
              "Condition": {
                  "StringEquals": { "aws:SourceArn": TRAIL },
                  "StringLike": {
                      "kms:EncryptionContext:aws:cloudtrail:arn":
                          "arn:aws:cloudtrail:*:123456789012:trail/*" } } },
            { "Effect": "Allow", "Principal": { "Service": "cloudtrail.amazonaws.com" },
              "Action": "kms:DescribeKey", "Resource": "*" },
        ] });
        let st = cloudtrail_statement(&policy, TRAIL).expect("the secure setting's policy");
        assert_eq!(st["Sid"], "Allow CloudTrail to encrypt logs");
        // Another trail of the account: aws:SourceArn names Members only.
        let other = "arn:aws:cloudtrail:ap-northeast-1:123456789012:trail/Other";
        assert_eq!(cloudtrail_statement(&policy, other), None);
        // The console's older policy: the encryption context alone, any trail of the account.
        let console = json!({ "Statement": {
            "Effect": "Allow",
            "Principal": { "Service": ["cloudtrail.amazonaws.com"] },
            "Action": ["kms:GenerateDataKey*"],
            "Condition": { "StringLike": {
                "kms:EncryptionContext:aws:cloudtrail:arn": "arn:aws:cloudtrail:*:123456789012:trail/*"
            } },
        } });
        assert!(cloudtrail_statement(&console, other).is_some());
        // moto's (and KMS's) default policy: the account's root only.
        let default = json!({ "Statement": [{
            "Effect": "Allow", "Principal": { "AWS": "arn:aws:iam::123456789012:root" },
            "Action": "kms:*", "Resource": "*",
        }] });
        assert_eq!(cloudtrail_statement(&default, TRAIL), None);
        // CloudTrail without a condition naming a trail, or only allowed to describe the key.
        let unconditioned = json!({ "Statement": [{
            "Effect": "Allow", "Principal": { "Service": "cloudtrail.amazonaws.com" },
            "Action": "kms:GenerateDataKey*", "Resource": "*",
        }, {
            "Effect": "Allow", "Principal": { "Service": "cloudtrail.amazonaws.com" },
            "Action": "kms:DescribeKey", "Resource": "*",
            "Condition": { "StringEquals": { "aws:SourceArn": TRAIL } },
        }] });
        assert_eq!(cloudtrail_statement(&unconditioned, TRAIL), None);
        // A Deny is no permission.
        let mut denied = policy.clone();
        denied["Statement"][1]["Effect"] = "Deny".into();
        assert_eq!(cloudtrail_statement(&denied, TRAIL), None);
    }
}
