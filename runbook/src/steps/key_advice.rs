//! KeyAdvice (read-only): the KMS key the trail and bucket used, its state, and whether AWS
//! Config still delivers with it, so the operator can decide about the key with the facts.
//! It never fails the run: what it cannot read, it says.

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::aws::{FailureKind, DESCRIBE_DELIVERY_CHANNELS, DESCRIBE_KEY};
use crate::error::Result;
use crate::journal::StepName;
use crate::steps::scan;
use crate::steps::step::{Cx, Step};

#[derive(Debug, Serialize)]
pub struct KeyAdvice {
    /// Key ids or ARNs that were in use before the revert.
    pub keys: Vec<String>,
    /// Where to look up a key given by bare id.
    pub home_region: String,
    /// Regions to look for AWS Config delivery channels in.
    pub regions: Vec<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct KeyInfo {
    pub key: String,
    pub region: String,
    pub arn: Option<String>,
    pub state: Option<String>,
    pub manager: Option<String>,
    /// `region/channel-name` of AWS Config delivery channels that still encrypt with this key.
    pub config_channels: Vec<String>,
    /// What could not be read.
    pub notes: Vec<KeyNote>,
}

/// What the key advice could not read, and why: typed, so that the CLI says it in the
/// operator's language. A journal written before these were typed holds plain English text,
/// read back as `Recorded`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum KeyNote {
    Typed(AdviceProblem),
    Recorded(String),
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum AdviceProblem {
    /// `kms:DescribeKey` was refused: missing from the caller's policy, or an explicit deny
    /// (then granting it would not help).
    DescribeKeyDenied { explicit_deny: bool },
    /// `DescribeKey` failed otherwise, with AWS's error code.
    DescribeKeyFailed { code: String },
    /// AWS Config's delivery channels could not be read in these regions (`region (Code)`).
    ConfigUnreadable { regions: Vec<String> },
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct KeyReport {
    pub keys: Vec<KeyInfo>,
}

fn key_region(key: &str) -> Option<&str> {
    key.strip_prefix("arn:")
        .and_then(|rest| rest.split(':').nth(2))
        .filter(|r| !r.is_empty())
}

impl Step for KeyAdvice {
    const NAME: StepName = StepName::KeyAdvice;
    type Output = KeyReport;

    async fn execute(&self, cx: &Cx<'_>) -> Result<KeyReport> {
        let channels = scan::fan_out(cx, &self.regions, |region| async move {
            let out = cx
                .call(
                    DESCRIBE_DELIVERY_CHANNELS,
                    &region,
                    json!({}),
                    cx.aws
                        .config_service(&region)
                        .describe_delivery_channels()
                        .send(),
                )
                .await?;
            Ok::<_, crate::aws::Failure>(
                out.delivery_channels()
                    .iter()
                    .map(|c| {
                        (
                            c.name().unwrap_or_default().to_string(),
                            c.s3_kms_key_arn().map(str::to_string),
                        )
                    })
                    .collect::<Vec<_>>(),
            )
        });
        let keys = futures_util::future::join_all(self.keys.iter().map(|key| async move {
            let region = key_region(key).unwrap_or(&self.home_region).to_string();
            let described = cx
                .call(
                    DESCRIBE_KEY,
                    &region,
                    json!({ "KeyId": key }),
                    cx.aws.kms(&region).describe_key().key_id(key).send(),
                )
                .await;
            (key.clone(), region, described)
        }));
        let (channels, keys) = tokio::join!(channels, keys);

        let mut report = Vec::new();
        for (key, region, described) in keys {
            let mut info = KeyInfo {
                key: key.clone(),
                region,
                arn: None,
                state: None,
                manager: None,
                config_channels: Vec::new(),
                notes: Vec::new(),
            };
            match described {
                Ok(out) => {
                    if let Some(meta) = out.key_metadata() {
                        info.arn = meta.arn().map(str::to_string);
                        info.state = meta.key_state().map(|s| s.as_str().to_string());
                        info.manager = meta.key_manager().map(|m| m.as_str().to_string());
                    }
                }
                Err(f) if f.kind == FailureKind::AccessDenied => {
                    info.notes
                        .push(KeyNote::Typed(AdviceProblem::DescribeKeyDenied {
                            explicit_deny: f.explicit_deny(),
                        }))
                }
                Err(f) => info
                    .notes
                    .push(KeyNote::Typed(AdviceProblem::DescribeKeyFailed {
                        code: f.code,
                    })),
            }
            let key_id = key.rsplit('/').next().unwrap_or(&key).to_string();
            let mut unreadable = Vec::new();
            for (region, result) in &channels {
                match result {
                    Ok(list) => {
                        info.config_channels
                            .extend(list.iter().filter_map(|(name, kms)| {
                                let kms = kms.as_deref()?;
                                let same = Some(kms) == info.arn.as_deref()
                                    || kms == key
                                    || kms.ends_with(&format!("/{key_id}"));
                                same.then(|| format!("{region}/{name}"))
                            }))
                    }
                    Err(f) => unreadable.push(format!("{region} ({})", f.code)),
                }
            }
            if !unreadable.is_empty() {
                info.notes
                    .push(KeyNote::Typed(AdviceProblem::ConfigUnreadable {
                        regions: unreadable,
                    }));
            }
            report.push(info);
        }
        Ok(KeyReport { keys: report })
    }
}
