//! The one protocol every write follows, so that each is sent at most as often as needed and
//! the journal says exactly what happened:
//!
//! 1. Read the live state. If an earlier attempt left this write unsettled (intent logged, no
//!    conclusive answer), record what the live state shows (`write_settled`) before anything else.
//! 2. If the live state no longer needs the write, stop (already done, or applied earlier).
//! 3. If the live state is not what the plan was made from, stop: the operator confirmed a plan
//!    for another state of the account ([`Error::PlanStale`]).
//! 4. Record the intent (fsynced), send it with the SDK's automatic retry off, record the answer.
//!    A lost answer (no response, a 5xx other than throttling) is `unknown` and settled by
//!    reading at once; the write is sent again only if the answer proves it was not applied
//!    (throttling) or the read shows it was not, at most [`Settings::write_waits`]` + 1` times,
//!    each attempt its own intent and `aws_call`.

use aws_config::retry::RetryConfig;
use serde_json::{json, Value};

use crate::aws::{Failure, FailureKind, DESCRIBE_TRAILS};
use crate::error::{Error, Result};
use crate::journal::{Event, StepName, WriteAnswer, WriteState};
use crate::model::{EncryptionRule, PlannedWrite, Trail};
use crate::steps::bucket;
use crate::steps::step::Cx;

pub use crate::model::{WriteOutcome, WriteReport};

/// A step that makes the plan's writes of one kind through [`apply_all`]: the four write steps
/// of the runbooks differ only in their name (and so in the writes the journal lets them make).
macro_rules! write_step {
    ($(#[$doc:meta])* $name:ident, $step:expr) => {
        $(#[$doc])*
        #[derive(Debug, serde::Serialize)]
        pub struct $name {
            pub writes: Vec<$crate::model::PlannedWrite>,
        }

        impl $crate::steps::step::Step for $name {
            const NAME: $crate::journal::StepName = $step;
            type Output = Vec<$crate::model::WriteReport>;

            async fn execute(
                &self,
                cx: &$crate::steps::step::Cx<'_>,
            ) -> $crate::error::Result<Vec<$crate::model::WriteReport>> {
                $crate::steps::write::apply_all(cx, Self::NAME, &self.writes).await
            }
        }
    };
}
pub(crate) use write_step;

/// What the live state shows of a write's target.
enum Live {
    TrailKey(Option<String>),
    BucketRules(Vec<EncryptionRule>),
}

impl Live {
    /// Whether the target no longer needs the write (the rule is the write's own, which the
    /// journal's fold also applies to every `write_settled`).
    fn done(&self, write: &PlannedWrite) -> bool {
        write.applied_in(&self.to_json()) == Some(true)
    }

    /// Whether the target is as the plan saw it.
    fn as_planned(&self, write: &PlannedWrite) -> bool {
        match (self, write) {
            (Live::TrailKey(key), PlannedWrite::TrailKms { before, .. }) => key == before,
            (Live::BucketRules(rules), PlannedWrite::SetBucketEncryption { before, .. }) => {
                rules == before
            }
            _ => false,
        }
    }

    fn to_json(&self) -> Value {
        match self {
            Live::TrailKey(key) => json!({ "kms_key_id": key }),
            Live::BucketRules(rules) => json!({ "rules": rules }),
        }
    }
}

fn planned_json(write: &PlannedWrite) -> Value {
    match write {
        PlannedWrite::TrailKms { before, .. } => json!({ "kms_key_id": before }),
        PlannedWrite::SetBucketEncryption { before, .. } => json!({ "rules": before }),
    }
}

/// The trail as its home region shows it now.
pub async fn read_trail(cx: &Cx<'_>, arn: &str, home: &str) -> Result<Trail> {
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

async fn read_live(cx: &Cx<'_>, write: &PlannedWrite) -> Result<Live> {
    Ok(match write {
        PlannedWrite::TrailKms {
            region, trail_arn, ..
        } => Live::TrailKey(read_trail(cx, trail_arn, region).await?.kms_key_id),
        PlannedWrite::SetBucketEncryption { region, bucket, .. } => {
            Live::BucketRules(bucket::read_state(cx, bucket, region).await?.rules)
        }
    })
}

/// Sends the write once: the SDK's automatic retry is off for writes, so that every attempt is
/// one this module decided on and recorded.
async fn send(cx: &Cx<'_>, write: &PlannedWrite) -> std::result::Result<(), Failure> {
    let op = write.op();
    let mut params = write.params();
    if let PlannedWrite::SetBucketEncryption { .. } = write {
        params["ExpectedBucketOwner"] = bucket::expected_owner(cx).into();
    }
    match write {
        PlannedWrite::TrailKms {
            region,
            trail_arn,
            after,
            ..
        } => cx
            .call(
                op,
                region,
                params,
                cx.aws
                    .cloudtrail(region)
                    .update_trail()
                    .name(trail_arn)
                    .kms_key_id(after.as_deref().unwrap_or(""))
                    .customize()
                    .config_override(
                        aws_sdk_cloudtrail::config::Builder::default()
                            .retry_config(RetryConfig::disabled()),
                    )
                    .send(),
            )
            .await
            .map(drop),
        PlannedWrite::SetBucketEncryption {
            region,
            bucket,
            after,
            ..
        } => {
            let config = aws_sdk_s3::types::ServerSideEncryptionConfiguration::builder()
                .set_rules(Some(after.iter().map(EncryptionRule::to_sdk).collect()))
                .build()
                .expect("rules are set");
            cx.call(
                op,
                region,
                params,
                cx.aws
                    .s3(region)
                    .put_bucket_encryption()
                    .bucket(bucket)
                    .expected_bucket_owner(bucket::expected_owner(cx))
                    .server_side_encryption_configuration(config)
                    .customize()
                    .config_override(
                        aws_sdk_s3::config::Builder::default()
                            .retry_config(RetryConfig::disabled()),
                    )
                    .send(),
            )
            .await
            .map(drop)
        }
    }
}

/// What a failed write's answer says about whether it was applied.
fn answer_of(failure: &Failure) -> WriteAnswer {
    match failure.kind {
        FailureKind::Unreachable => WriteAnswer::Unknown,
        FailureKind::Throttled => WriteAnswer::Error,
        // A server error may come after the change was made.
        _ if failure.http_status.is_some_and(|s| s >= 500) => WriteAnswer::Unknown,
        _ => WriteAnswer::Error,
    }
}

/// Applies every write of `step`, in order, by the protocol above.
pub async fn apply_all(
    cx: &Cx<'_>,
    step: StepName,
    writes: &[PlannedWrite],
) -> Result<Vec<WriteReport>> {
    let mut reports = Vec::new();
    for write in writes {
        let outcome = apply(cx, step, write).await?;
        reports.push(WriteReport {
            write: write.clone(),
            outcome,
        });
    }
    Ok(reports)
}

async fn settle(cx: &Cx<'_>, intent_seq: u64, write: &PlannedWrite, live: &Live) -> Result<()> {
    cx.record(Event::WriteSettled {
        intent_seq,
        applied: live.done(write),
        live: live.to_json(),
    })
}

async fn apply(cx: &Cx<'_>, step: StepName, write: &PlannedWrite) -> Result<WriteOutcome> {
    let earlier = cx
        .run
        .fold(|f| f.last_write_to(step, write.target()).cloned());
    // Beside the other write step, a later write's fresh read waits for its turn in the
    // journal first, so that its intent follows the read at once.
    cx.wait_turn().await;
    let mut live = read_live(cx, write).await?;
    if let Some(w) = earlier.as_ref().filter(|w| w.unsettled()) {
        settle(cx, w.intent_seq, write, &live).await?;
    }
    if live.done(write) {
        return Ok(match earlier.map(|w| w.state) {
            Some(WriteState::Answered(WriteAnswer::Ok)) => WriteOutcome::Changed,
            Some(WriteState::Sent | WriteState::Answered(WriteAnswer::Unknown)) => {
                WriteOutcome::SettledApplied
            }
            _ => WriteOutcome::AlreadyDone,
        });
    }
    let waits = cx.settings.write_waits.clone();
    let mut attempt = 0;
    loop {
        if attempt > 0 {
            // Every send follows a fresh read: the account may have changed while we waited.
            cx.wait_turn().await;
            live = read_live(cx, write).await?;
            if live.done(write) {
                return Ok(WriteOutcome::AlreadyDone);
            }
        }
        if !live.as_planned(write) {
            return Err(Error::PlanStale {
                target: write.target().to_string(),
                planned: planned_json(write).to_string(),
                live: live.to_json().to_string(),
            });
        }
        // Beside the other write step, nothing is sent before its fresh read passed too.
        if let Some(gate) = cx.beside.as_ref().and_then(|b| b.gate.as_ref()) {
            gate.ready().await?;
        }
        // A line beside the other step that could not be written (held, so nobody saw its
        // error) breaks the run: nothing more is sent.
        cx.run.check_healthy()?;
        let intent_seq = cx
            .record_now(Event::WriteIntent {
                step,
                write: write.clone(),
            })
            .await?;
        let failure = match send(cx, write).await {
            Ok(()) => {
                cx.record(Event::WriteResult {
                    intent_seq,
                    outcome: WriteAnswer::Ok,
                    error_code: None,
                })?;
                return Ok(WriteOutcome::Changed);
            }
            Err(failure) => failure,
        };
        let answer = answer_of(&failure);
        cx.record(Event::WriteResult {
            intent_seq,
            outcome: answer,
            error_code: Some(failure.code.clone()),
        })?;
        let retry = match answer {
            WriteAnswer::Unknown => {
                // Settle before anything else is sent; if the read fails, the write stays
                // unsettled and resume settles it. (A send after this makes its own fresh read.)
                let settled = read_live(cx, write).await?;
                settle(cx, intent_seq, write, &settled).await?;
                if settled.done(write) {
                    return Ok(WriteOutcome::SettledApplied);
                }
                true
            }
            _ => failure.kind == FailureKind::Throttled,
        };
        match waits.get(attempt) {
            Some(wait) if retry => {
                cx.warn(
                    step,
                    &format!(
                        "{} {} was not applied ({}); sending it again in {} ms",
                        write.op().operation,
                        write.target(),
                        failure.code,
                        wait.as_millis()
                    ),
                )?;
                tokio::time::sleep(*wait).await;
                attempt += 1;
            }
            _ => return Err(failure.into()),
        }
    }
}
