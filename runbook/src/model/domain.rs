//! The domain: what the runbook reads about trails and buckets, independent of the SDK's types.

use serde::{Deserialize, Serialize};

/// Who is running: from STS GetCallerIdentity.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Identity {
    pub account: String,
    pub arn: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Runbook {
    /// Turn off the trail's SSE-KMS and set the bucket to SSE-S3, verified.
    Revert,
    /// The article's check (read-only): every region's trail encryption, and the bucket's.
    Status,
    /// Undo a revert: put back the trail's key and the bucket's rules that run recorded.
    Restore,
}

impl Runbook {
    /// Whether its first step lists the regions (`preflight`): revert and status do; a restore
    /// knows its regions from the run it undoes.
    pub fn scans_regions(self) -> bool {
        matches!(self, Runbook::Revert | Runbook::Status)
    }

    pub fn name(self) -> &'static str {
        match self {
            Runbook::Revert => "revert",
            Runbook::Status => "status",
            Runbook::Restore => "restore",
        }
    }

    /// Whether the runbook writes (and so asks for the operator's go-ahead).
    pub fn writes(self) -> bool {
        matches!(self, Runbook::Revert | Runbook::Restore)
    }
}

/// What the operator asked for; recorded in `run_started`, and taken from there by resume.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    /// `--trail` (repeatable): names or ARNs.
    pub trails: Vec<String>,
    pub regions: Option<Vec<String>>,
    pub exclude_regions: Vec<String>,
    pub dry_run: bool,
    /// `restore`: the revert run it undoes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undoes: Option<String>,
    /// `restore --force`: put back also what changed since that run.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub force: bool,
    /// `--include-organization-trail`: the management account may revert its organization
    /// trails (which changes the logs of every member account). Absent in older journals: off.
    #[serde(default)]
    pub include_organization_trail: bool,
}

impl Args {
    /// The trails asked for, as one line for messages and headings.
    pub fn trails_label(&self) -> String {
        self.trails.join(", ")
    }
}

/// One write a runbook makes: built once by the plan, shown to the operator, logged as the
/// intent, and sent as it stands. `before` is what the live state must still show for it to be
/// sent (anything else means the account changed since the plan); `after` is what it leaves.
/// Undo is the same write with the two swapped.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "operation")]
pub enum PlannedWrite {
    /// `UpdateTrail` by ARN in the trail's home region, with `KmsKeyId` = `after` (`""` for
    /// none: SSE-KMS off).
    #[serde(rename = "cloudtrail:UpdateTrail")]
    TrailKms {
        region: String,
        trail_arn: String,
        before: Option<String>,
        after: Option<String>,
    },
    /// `PutBucketEncryption` with `after` (the whole configuration), in the bucket's own region.
    #[serde(rename = "s3:PutBucketEncryption")]
    SetBucketEncryption {
        region: String,
        bucket: String,
        before: Vec<EncryptionRule>,
        after: Vec<EncryptionRule>,
    },
}

impl PlannedWrite {
    pub fn op(&self) -> crate::aws::Op {
        match self {
            PlannedWrite::TrailKms { .. } => crate::aws::UPDATE_TRAIL,
            PlannedWrite::SetBucketEncryption { .. } => crate::aws::PUT_BUCKET_ENCRYPTION,
        }
    }

    pub fn region(&self) -> &str {
        match self {
            PlannedWrite::TrailKms { region, .. }
            | PlannedWrite::SetBucketEncryption { region, .. } => region,
        }
    }

    /// What the write changes: the trail's ARN or the bucket's name.
    pub fn target(&self) -> &str {
        match self {
            PlannedWrite::TrailKms { trail_arn, .. } => trail_arn,
            PlannedWrite::SetBucketEncryption { bucket, .. } => bucket,
        }
    }

    /// The request's parameters as the AWS API (and the article's CLI) spells them.
    pub fn params(&self) -> serde_json::Value {
        match self {
            PlannedWrite::TrailKms {
                trail_arn, after, ..
            } => {
                serde_json::json!({ "Name": trail_arn, "KmsKeyId": after.as_deref().unwrap_or("") })
            }
            PlannedWrite::SetBucketEncryption { bucket, after, .. } => serde_json::json!({
                "Bucket": bucket,
                "ServerSideEncryptionConfiguration": {
                    "Rules": after.iter().map(EncryptionRule::aws_json).collect::<Vec<_>>()
                },
            }),
        }
    }

    /// KMS keys the target used before the write.
    pub fn keys_before(&self) -> Vec<String> {
        match self {
            PlannedWrite::TrailKms { before, .. } => before.iter().cloned().collect(),
            PlannedWrite::SetBucketEncryption { before, .. } => kms_keys(before),
        }
    }

    /// KMS keys the target uses after the write.
    pub fn keys_after(&self) -> Vec<String> {
        match self {
            PlannedWrite::TrailKms { after, .. } => after.iter().cloned().collect(),
            PlannedWrite::SetBucketEncryption { after, .. } => kms_keys(after),
        }
    }

    /// Whether `live` (the target as a read shows it: `{"kms_key_id": …}` or `{"rules": […]}`)
    /// no longer needs the write: it shows what the write leaves. A bucket being reverted
    /// needs no write once it is not SSE-KMS at all, however it got there. `None`: `live` is not
    /// a reading of this kind of target.
    pub fn applied_in(&self, live: &serde_json::Value) -> Option<bool> {
        match self {
            PlannedWrite::TrailKms { after, .. } => {
                let key: Option<String> =
                    serde_json::from_value(live.get("kms_key_id")?.clone()).ok()?;
                Some(key == *after)
            }
            PlannedWrite::SetBucketEncryption { after, .. } => {
                let rules: Vec<EncryptionRule> =
                    serde_json::from_value(live.get("rules")?.clone()).ok()?;
                Some(if BucketVerdict::of(after) == BucketVerdict::SseKms {
                    rules == *after
                } else {
                    BucketVerdict::of(&rules) != BucketVerdict::SseKms
                })
            }
        }
    }

    /// The same write the other way round: what undoes it.
    pub fn reversed(&self) -> PlannedWrite {
        match self.clone() {
            PlannedWrite::TrailKms {
                region,
                trail_arn,
                before,
                after,
            } => PlannedWrite::TrailKms {
                region,
                trail_arn,
                before: after,
                after: before,
            },
            PlannedWrite::SetBucketEncryption {
                region,
                bucket,
                before,
                after,
            } => PlannedWrite::SetBucketEncryption {
                region,
                bucket,
                before: after,
                after: before,
            },
        }
    }
}

fn kms_keys(rules: &[EncryptionRule]) -> Vec<String> {
    rules
        .iter()
        .filter_map(|r| r.kms_master_key_id.clone())
        .collect()
}

/// A CloudTrail trail as `DescribeTrails` shows it in one region (shadow trails included).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trail {
    pub name: String,
    pub arn: String,
    pub home_region: String,
    pub multi_region: bool,
    pub organization: bool,
    /// `None` when not encrypted: real AWS omits the field, emulators may send `""`.
    pub kms_key_id: Option<String>,
    pub bucket: Option<String>,
}

impl Trail {
    pub fn from_sdk(t: &aws_sdk_cloudtrail::types::Trail, region: &str) -> Trail {
        let arn = t.trail_arn().unwrap_or_default().to_string();
        Trail {
            name: t.name().unwrap_or_default().to_string(),
            home_region: t
                .home_region()
                .map(str::to_string)
                .or_else(|| arn_region(&arn))
                .unwrap_or_else(|| region.to_string()),
            arn,
            multi_region: t.is_multi_region_trail().unwrap_or(false),
            organization: t.is_organization_trail().unwrap_or(false),
            kms_key_id: t.kms_key_id().filter(|k| !k.is_empty()).map(str::to_string),
            bucket: t
                .s3_bucket_name()
                .filter(|b| !b.is_empty())
                .map(str::to_string),
        }
    }

    pub fn encrypted(&self) -> bool {
        self.kms_key_id.is_some()
    }

    /// Whether `wanted` (a name or an ARN, as `--trail` takes) names this trail.
    pub fn matches(&self, wanted: &str) -> bool {
        self.name == wanted || self.arn == wanted
    }

    /// The account that owns the trail, from its ARN.
    pub fn account(&self) -> Option<&str> {
        self.arn.split(':').nth(4).filter(|a| !a.is_empty())
    }
}

fn arn_region(arn: &str) -> Option<String> {
    arn.split(':')
        .nth(3)
        .filter(|r| !r.is_empty())
        .map(str::to_string)
}

/// The partition (`aws`, `aws-cn`, `aws-us-gov`, …) an ARN names; `aws` when it names none.
pub fn partition_of_arn(arn: &str) -> &str {
    arn.strip_prefix("arn:")
        .and_then(|rest| rest.split(':').next())
        .filter(|p| !p.is_empty())
        .unwrap_or("aws")
}

/// The partition a region belongs to, from its name (AWS's partition table: China regions start
/// `cn-`, GovCloud `us-gov-`, the isolated ones `us-iso-`, `us-isob-`, `eu-isoe-`, `us-isof-`).
pub fn partition_of_region(region: &str) -> &'static str {
    const PREFIXES: &[(&str, &str)] = &[
        ("cn-", "aws-cn"),
        ("us-gov-", "aws-us-gov"),
        ("us-isob-", "aws-iso-b"),
        ("us-isof-", "aws-iso-f"),
        ("us-iso-", "aws-iso"),
        ("eu-isoe-", "aws-iso-e"),
    ];
    PREFIXES
        .iter()
        .find(|(prefix, _)| region.starts_with(prefix))
        .map_or("aws", |(_, partition)| partition)
}

/// `DescribeRegions`' `OptInStatus` values of a region the account may call.
pub const ENABLED_OPT_IN_STATUSES: &[&str] = &["opt-in-not-required", "opted-in"];

/// Why a region `DescribeRegions` listed is not scanned.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum NotScanned {
    /// An opt-in region the account has not enabled (`OptInStatus` says so, e.g. `not-opted-in`):
    /// its endpoints reject the account's credentials.
    NotEnabled { opt_in_status: String },
    /// A region of another partition (China, GovCloud): the caller's credentials do not exist there.
    OtherPartition { partition: String },
}

/// A region listed by `DescribeRegions` and left out of the scan, with why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnscannedRegion {
    pub region: String,
    #[serde(flatten)]
    pub why: NotScanned,
}

/// What one region's scan found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum RegionScan {
    /// The region answered; these trails match `--trail` (empty: no such trail here).
    Scanned { trails: Vec<Trail> },
    /// The region did not answer usefully (not enabled for the account, or throttled to the end).
    Unreachable { code: String, message: String },
    /// Left out by `--regions` / `--exclude-region`.
    Excluded,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegionStatus {
    pub region: String,
    #[serde(flatten)]
    pub scan: RegionScan,
}

/// The article's per-region verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Encryption {
    Enabled,
    Disabled,
    NoTrail,
    Unreachable,
    Excluded,
}

impl RegionStatus {
    pub fn encryption(&self) -> Encryption {
        match &self.scan {
            RegionScan::Scanned { trails } if trails.is_empty() => Encryption::NoTrail,
            RegionScan::Scanned { trails } if trails.iter().any(Trail::encrypted) => {
                Encryption::Enabled
            }
            RegionScan::Scanned { .. } => Encryption::Disabled,
            RegionScan::Unreachable { .. } => Encryption::Unreachable,
            RegionScan::Excluded => Encryption::Excluded,
        }
    }
}

/// Why a matching trail is left alone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum SkipReason {
    /// An organization trail seen from a member account: only the organization's management
    /// account (the one its ARN names) can change it.
    OrganizationTrail,
    /// The trail belongs to another account (its ARN says so).
    OtherAccount { account: String },
    /// Its home region is excluded or not selected, and an update must be sent there.
    HomeRegionNotSelected { home_region: String },
    /// An organization trail of this account, the management account: changing it changes the
    /// logs of every member account, so only `--include-organization-trail` lets a revert do it.
    OrganizationTrailNotIncluded,
}

/// A distinct trail (by ARN) that matched `--trail`, and what the runbook will do with it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrailTarget {
    pub trail: Trail,
    /// Regions whose `DescribeTrails` showed it.
    pub seen_in: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skip: Option<SkipReason>,
}

/// One S3 default-encryption rule, as this tool reads and writes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EncryptionRule {
    pub sse_algorithm: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kms_master_key_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bucket_key_enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blocked_encryption_types: Option<Vec<String>>,
}

pub const SSE_S3: &str = "AES256";

impl EncryptionRule {
    pub fn is_kms(&self) -> bool {
        self.sse_algorithm.starts_with("aws:kms")
    }

    pub fn from_sdk(rule: &aws_sdk_s3::types::ServerSideEncryptionRule) -> EncryptionRule {
        let default = rule.apply_server_side_encryption_by_default();
        EncryptionRule {
            sse_algorithm: default
                .map(|d| d.sse_algorithm().as_str().to_string())
                .unwrap_or_default(),
            kms_master_key_id: default
                .and_then(|d| d.kms_master_key_id())
                .map(str::to_string),
            // `false` is the default, and what AWS answers for a rule written without it:
            // read as unset, so that a rule reads back as it was written.
            bucket_key_enabled: rule.bucket_key_enabled().filter(|enabled| *enabled),
            blocked_encryption_types: rule.blocked_encryption_types().map(|b| {
                b.encryption_type()
                    .iter()
                    .map(|t| t.as_str().to_string())
                    .collect()
            }),
        }
    }

    /// The SSE-S3 rule that replaces this one: AES256, no key, and what should stay carried over
    /// (blocked encryption types). The bucket key only applies to SSE-KMS, so it is dropped.
    pub fn reverted(&self) -> EncryptionRule {
        EncryptionRule {
            sse_algorithm: SSE_S3.into(),
            kms_master_key_id: None,
            bucket_key_enabled: None,
            blocked_encryption_types: self.blocked_encryption_types.clone(),
        }
    }

    /// The rule in the shape of the S3 API's JSON (as the article's `put-bucket-encryption` takes it).
    pub fn aws_json(&self) -> serde_json::Value {
        let mut default = serde_json::json!({ "SSEAlgorithm": self.sse_algorithm });
        if let Some(key) = &self.kms_master_key_id {
            default["KMSMasterKeyID"] = key.as_str().into();
        }
        let mut rule = serde_json::json!({ "ApplyServerSideEncryptionByDefault": default });
        if let Some(enabled) = self.bucket_key_enabled {
            rule["BucketKeyEnabled"] = enabled.into();
        }
        if let Some(types) = &self.blocked_encryption_types {
            rule["BlockedEncryptionTypes"] = serde_json::json!({ "EncryptionType": types });
        }
        rule
    }

    pub fn to_sdk(&self) -> aws_sdk_s3::types::ServerSideEncryptionRule {
        use aws_sdk_s3::types::{
            BlockedEncryptionTypes, EncryptionType, ServerSideEncryption,
            ServerSideEncryptionByDefault, ServerSideEncryptionRule,
        };
        let default = ServerSideEncryptionByDefault::builder()
            .sse_algorithm(ServerSideEncryption::from(self.sse_algorithm.as_str()))
            .set_kms_master_key_id(self.kms_master_key_id.clone())
            .build()
            .expect("sse_algorithm is always set");
        let blocked = self.blocked_encryption_types.as_ref().map(|types| {
            BlockedEncryptionTypes::builder()
                .set_encryption_type(Some(
                    types
                        .iter()
                        .map(|t| EncryptionType::from(t.as_str()))
                        .collect(),
                ))
                .build()
        });
        ServerSideEncryptionRule::builder()
            .apply_server_side_encryption_by_default(default)
            .set_bucket_key_enabled(self.bucket_key_enabled)
            .set_blocked_encryption_types(blocked)
            .build()
    }
}

/// The article's three bucket verdicts (plus DSSE-KMS, which is KMS too).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BucketVerdict {
    SseKms,
    SseS3,
    NotSet,
}

/// A bucket's default encryption and what else matters for the revert.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BucketState {
    pub bucket: String,
    pub region: String,
    /// Empty: no default-encryption configuration at all.
    pub rules: Vec<EncryptionRule>,
}

impl BucketVerdict {
    /// The verdict on a default-encryption configuration (empty: none).
    pub fn of(rules: &[EncryptionRule]) -> BucketVerdict {
        if rules.iter().any(EncryptionRule::is_kms) {
            BucketVerdict::SseKms
        } else if rules.iter().any(|r| r.sse_algorithm == SSE_S3) {
            BucketVerdict::SseS3
        } else {
            BucketVerdict::NotSet
        }
    }
}

impl BucketState {
    pub fn verdict(&self) -> BucketVerdict {
        BucketVerdict::of(&self.rules)
    }

    pub fn kms_keys(&self) -> Vec<String> {
        self.rules
            .iter()
            .filter_map(|r| r.kms_master_key_id.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kms_rule() -> EncryptionRule {
        EncryptionRule {
            sse_algorithm: "aws:kms".into(),
            kms_master_key_id: Some("arn:aws:kms:ap-northeast-1:123456789012:key/k".into()),
            bucket_key_enabled: Some(true),
            blocked_encryption_types: Some(vec!["SSE-C".into()]),
        }
    }

    #[test]
    fn a_journal_from_before_the_organization_flag_reads_as_without_it() {
        let old = r#"{"trails":["Members"],"regions":null,"exclude_regions":[],"dry_run":false}"#;
        let args: Args = serde_json::from_str(old).unwrap();
        assert!(!args.include_organization_trail);
    }

    #[test]
    fn reverting_a_rule_keeps_what_should_stay() {
        let reverted = kms_rule().reverted();
        assert_eq!(reverted.sse_algorithm, "AES256");
        assert_eq!(
            reverted.kms_master_key_id, None,
            "a key is only allowed with aws:kms"
        );
        assert_eq!(
            reverted.bucket_key_enabled, None,
            "the bucket key only applies to SSE-KMS"
        );
        assert_eq!(
            reverted.blocked_encryption_types,
            Some(vec!["SSE-C".to_string()]),
            "carried over"
        );
        let sdk = reverted.to_sdk();
        assert_eq!(
            EncryptionRule::from_sdk(&sdk),
            reverted,
            "round trip through the SDK type"
        );
    }

    #[test]
    fn verdicts_follow_the_article() {
        let state = |rules| BucketState {
            bucket: "b".into(),
            region: "r".into(),
            rules,
        };
        assert_eq!(state(vec![kms_rule()]).verdict(), BucketVerdict::SseKms);
        let dsse = EncryptionRule {
            sse_algorithm: "aws:kms:dsse".into(),
            ..kms_rule()
        };
        assert_eq!(state(vec![dsse]).verdict(), BucketVerdict::SseKms);
        assert_eq!(
            state(vec![kms_rule().reverted()]).verdict(),
            BucketVerdict::SseS3
        );
        assert_eq!(state(vec![]).verdict(), BucketVerdict::NotSet);
    }

    #[test]
    fn a_planned_write_names_its_operation_from_the_op_table() {
        let writes = [
            PlannedWrite::TrailKms {
                region: "ap-northeast-1".into(),
                trail_arn: "arn:aws:cloudtrail:ap-northeast-1:123456789012:trail/Members".into(),
                before: Some("k".into()),
                after: None,
            },
            PlannedWrite::SetBucketEncryption {
                region: "ap-northeast-1".into(),
                bucket: "b".into(),
                before: vec![kms_rule()],
                after: vec![kms_rule().reverted()],
            },
        ];
        for w in writes {
            let json = serde_json::to_value(&w).unwrap();
            assert_eq!(json["operation"], w.op().qualified(), "{json}");
            assert!(w.op().writes);
            let back: PlannedWrite = serde_json::from_value(json).unwrap();
            assert_eq!(back, w);
            assert_eq!(w.reversed().reversed(), w);
            assert_eq!(w.reversed().keys_after(), w.keys_before());
        }
    }

    #[test]
    fn an_empty_key_id_means_not_encrypted() {
        let sdk = aws_sdk_cloudtrail::types::Trail::builder()
            .name("Members")
            .trail_arn("arn:aws:cloudtrail:ap-northeast-1:123456789012:trail/Members")
            .kms_key_id("")
            .build();
        let trail = Trail::from_sdk(&sdk, "us-east-1");
        assert!(!trail.encrypted());
        assert_eq!(
            trail.home_region, "ap-northeast-1",
            "from the ARN when HomeRegion is absent"
        );
        assert_eq!(trail.account(), Some("123456789012"));
        assert!(
            trail.matches("Members")
                && trail.matches(&trail.arn.clone())
                && !trail.matches("Other")
        );
    }
}

/// What a plan warns about: typed, so that the CLI says it in the operator's language. A journal
/// written before these were typed holds plain English text, read back as `Recorded`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum PlanWarning {
    Typed(Warned),
    Recorded(String),
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(tag = "warning", rename_all = "snake_case")]
pub enum Warned {
    /// The trail's bucket belongs to another account: its encryption is that account's to change.
    ForeignBucket { bucket: String, account: String },
    /// A bucket policy statement denies uploads without SSE-KMS: CloudTrail's SSE-S3 deliveries
    /// would be refused after the revert.
    PolicyDeniesSseS3 { bucket: String, sid: String },
    /// The bucket policy could not be read: `code` is AWS's error, `None` for access denied.
    PolicyUnreadable {
        bucket: String,
        code: Option<String>,
    },
    /// `restore`: what the revert changed does not exist any more.
    Gone { target: String },
    /// `restore`: what the revert changed was changed since (`now`, as read), put back only with
    /// `--force`.
    ChangedSince {
        target: String,
        now: String,
        force: bool,
    },
}

impl From<Warned> for PlanWarning {
    fn from(w: Warned) -> PlanWarning {
        PlanWarning::Typed(w)
    }
}

impl std::fmt::Display for PlanWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PlanWarning::Typed(Warned::ForeignBucket { bucket, account }) => write!(
                f,
                "{}",
                crate::error::Error::ForeignBucket {
                    bucket: bucket.clone(),
                    account: account.clone()
                }
            ),
            PlanWarning::Typed(Warned::PolicyDeniesSseS3 { bucket, sid }) => write!(
                f,
                "bucket policy of {bucket} statement {sid} denies s3:PutObject without SSE-KMS: \
                 after the revert CloudTrail's SSE-S3 log deliveries would be refused. Change \
                 that statement before (or right after) the revert"
            ),
            PlanWarning::Typed(Warned::PolicyUnreadable { bucket, code: None }) => write!(
                f,
                "could not read the bucket policy of {bucket} (needs s3:GetBucketPolicy): check \
                 yourself that it does not require SSE-KMS uploads"
            ),
            PlanWarning::Typed(Warned::PolicyUnreadable {
                bucket,
                code: Some(code),
            }) => write!(
                f,
                "could not read the bucket policy of {bucket} ({code}): check it yourself"
            ),
            PlanWarning::Typed(Warned::Gone { target }) => write!(
                f,
                "{target} does not exist any more; nothing to put back there"
            ),
            PlanWarning::Typed(Warned::ChangedSince { target, now, force }) => write!(
                f,
                "{target} changed since the revert (now {now}); {}",
                if *force {
                    "putting it back anyway (--force)"
                } else {
                    "left alone (put it back anyway with --force)"
                }
            ),
            PlanWarning::Recorded(text) => write!(f, "{text}"),
        }
    }
}
