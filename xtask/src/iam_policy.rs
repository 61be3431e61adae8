//! `iam-policy`: the least-privilege IAM policy a runbook needs, generated from the operation
//! table (`runbook::aws::ALL_OPS`, the one place that maps calls to IAM actions), with each
//! action narrowed to the resource it allows: the trail for `cloudtrail:UpdateTrail`, the bucket
//! for the S3 bucket actions, KMS keys for `kms:DescribeKey`, and `*` where AWS has no resource
//! type for the action.

use anyhow::Result;
use runbook::aws::{IamResource, ALL_OPS};
use serde_json::{json, Value};

use cloudtrail_revert::flags::RunbookName;
use cloudtrail_revert::output::out;

use crate::flags::IamPolicyFlags;

/// The article's trail and bucket, when none is named.
const DEFAULT_TRAIL: &str = "Members";
const DEFAULT_BUCKET: &str = "cm-members-cloudtrail-*";

pub fn run(flags: IamPolicyFlags) -> Result<()> {
    let permissions = policy(
        flags.runbook,
        flags.trail_arn.as_deref(),
        flags.bucket.as_deref(),
    );
    let doc = if flags.member_role {
        member_role(
            &flags.role_name,
            flags.trusted.as_deref(),
            flags.external_id.as_deref(),
            permissions,
        )
    } else if flags.batch_caller {
        batch_caller(&flags.role_name)
    } else {
        permissions
    };
    out::line(serde_json::to_string_pretty(&doc)?);
    Ok(())
}

/// The role a batch assumes in each member account: its trust policy (who may assume it, with
/// the external id when one is required) and its permissions (the runbook's own policy).
pub fn member_role(
    role_name: &str,
    trusted: Option<&str>,
    external_id: Option<&str>,
    permissions: Value,
) -> Value {
    let principal = trusted.unwrap_or("arn:aws:iam::MANAGEMENT_ACCOUNT_ID:root");
    let mut statement = json!({
        "Effect": "Allow",
        "Principal": { "AWS": principal },
        "Action": "sts:AssumeRole",
    });
    if let Some(id) = external_id {
        statement["Condition"] = json!({ "StringEquals": { "sts:ExternalId": id } });
    }
    json!({
        "RoleName": role_name,
        "TrustPolicy": { "Version": "2012-10-17", "Statement": [statement] },
        "PermissionsPolicy": permissions,
    })
}

/// What a batch's caller needs besides the runbook's policy (for its own account, when listed):
/// to assume the member role in every account, and to list the organization's accounts.
pub fn batch_caller(role_name: &str) -> Value {
    use runbook::aws::{ASSUME_ROLE, LIST_ACCOUNTS};
    json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "TheMemberRoles",
                "Effect": "Allow",
                "Action": ASSUME_ROLE.action,
                "Resource": format!("arn:aws:iam::*:role/{role_name}"),
            },
            {
                "Sid": "TheOrganizationsAccounts",
                "Effect": "Allow",
                "Action": LIST_ACCOUNTS.action,
                "Resource": "*",
            }
        ]
    })
}

/// The policy document for `runbook`, narrowed to `trail_arn` and `bucket` when given.
pub fn policy(runbook: RunbookName, trail_arn: Option<&str>, bucket: Option<&str>) -> Value {
    let partition = trail_arn
        .map(runbook::model::partition_of_arn)
        .unwrap_or("aws");
    let resource = |r: IamResource| -> String {
        match r {
            IamResource::Any => "*".into(),
            IamResource::Trail => trail_arn
                .map(str::to_string)
                .unwrap_or_else(|| format!("arn:{partition}:cloudtrail:*:*:trail/{DEFAULT_TRAIL}")),
            IamResource::Bucket => {
                format!("arn:{partition}:s3:::{}", bucket.unwrap_or(DEFAULT_BUCKET))
            }
            IamResource::Key => format!("arn:{partition}:kms:*:*:key/*"),
        }
    };
    let sid = |r: IamResource| match r {
        IamResource::Any => "NoResourceLevelPermissions",
        IamResource::Trail => "TheTrail",
        IamResource::Bucket => "TheTrailBucket",
        IamResource::Key => "TheTrailKey",
    };
    let used = ALL_OPS
        .iter()
        .filter(|op| runbook == RunbookName::Revert || op.status);
    let mut groups: Vec<(IamResource, Vec<&str>)> = Vec::new();
    for op in used {
        match groups.iter_mut().find(|(r, _)| *r == op.resource) {
            Some((_, actions)) if !actions.contains(&op.action) => actions.push(op.action),
            Some(_) => {}
            None => groups.push((op.resource, vec![op.action])),
        }
    }
    groups.sort_by_key(|(r, _)| *r);
    let statements: Vec<Value> = groups
        .into_iter()
        .map(|(r, actions)| {
            json!({
                "Sid": sid(r),
                "Effect": "Allow",
                "Action": actions,
                "Resource": resource(r),
            })
        })
        .collect();
    json!({ "Version": "2012-10-17", "Statement": statements })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn statement<'a>(doc: &'a Value, sid: &str) -> Option<&'a Value> {
        doc["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["Sid"] == sid)
    }

    #[test]
    fn every_action_once_narrowed_where_aws_allows() {
        let trail = "arn:aws-cn:cloudtrail:cn-north-1:123456789012:trail/Audit";
        let doc = policy(RunbookName::Revert, Some(trail), Some("logs"));
        let actions: Vec<&str> = doc["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|s| s["Action"].as_array().unwrap())
            .map(|a| a.as_str().unwrap())
            .collect();
        for op in ALL_OPS {
            assert_eq!(
                actions.iter().filter(|a| **a == op.action).count(),
                1,
                "{}",
                op.action
            );
        }
        assert_eq!(
            statement(&doc, "TheTrail").unwrap()["Resource"],
            trail,
            "UpdateTrail on the trail only"
        );
        assert_eq!(
            statement(&doc, "TheTrailBucket").unwrap()["Resource"],
            "arn:aws-cn:s3:::logs",
            "the partition follows the trail's"
        );
        assert_eq!(
            statement(&doc, "NoResourceLevelPermissions").unwrap()["Resource"],
            "*"
        );
    }

    #[test]
    fn the_member_role_trusts_the_caller_with_the_external_id_and_runs_the_runbook() {
        let permissions = policy(RunbookName::Revert, None, None);
        let role = member_role(
            "Ops",
            Some("arn:aws:iam::123456789012:role/Admin"),
            Some("x-1"),
            permissions.clone(),
        );
        assert_eq!(role["RoleName"], "Ops");
        let trust = &role["TrustPolicy"]["Statement"][0];
        assert_eq!(
            trust["Principal"]["AWS"],
            "arn:aws:iam::123456789012:role/Admin"
        );
        assert_eq!(trust["Action"], "sts:AssumeRole");
        assert_eq!(trust["Condition"]["StringEquals"]["sts:ExternalId"], "x-1");
        assert_eq!(role["PermissionsPolicy"], permissions);
        let without = member_role("Ops", None, None, permissions);
        assert!(without["TrustPolicy"]["Statement"][0]
            .get("Condition")
            .is_none());
        let caller = batch_caller("Ops").to_string();
        assert!(
            caller.contains("arn:aws:iam::*:role/Ops")
                && caller.contains("organizations:ListAccounts")
        );
    }

    #[test]
    fn status_is_granted_reads_only() {
        let doc = policy(RunbookName::Status, None, None);
        let text = doc.to_string();
        for op in ALL_OPS {
            assert_eq!(
                text.contains(&format!("\"{}\"", op.action)),
                op.status,
                "{}",
                op.action
            );
        }
        assert!(!text.contains("UpdateTrail") && !text.contains("PutEncryptionConfiguration"));
        assert!(statement(&doc, "TheTrail").is_none());
    }
}
