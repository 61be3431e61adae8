//! Builds the article's secure account (and variants of it) through the real SDK.

use aws_config::SdkConfig;
use aws_types::region::Region;

use super::config::TestkitResult;

pub const ACCOUNT: &str = "123456789012";
pub const HOME: &str = "ap-northeast-1";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BucketSeed {
    Kms,
    DsseKms,
    Aes256,
    /// No default-encryption configuration at all.
    None,
}

/// What to build. `Seed::default()` is the article's starting point.
#[derive(Clone, Debug)]
pub struct Seed {
    /// Whether the `Members` trail exists at all.
    pub trail: bool,
    pub trail_encrypted: bool,
    pub bucket: BucketSeed,
    pub bucket_region: String,
    /// A bucket policy statement denying PutObject without SSE-KMS.
    pub policy_requires_kms: bool,
    /// An unrelated encrypted trail in us-east-1, which must keep its key.
    pub unrelated_trail: bool,
    /// An AWS Config delivery channel that encrypts with the same key.
    pub config_channel: bool,
    /// Make the account an organization's management account (Organizations
    /// `CreateOrganization`) and `Members` an organization trail (`IsOrganizationTrail`).
    pub organization_trail: bool,
    /// The account the config's credentials act in (moto's default one, or an account reached
    /// through `assumed_role_config`): bucket names and ARNs are made with it.
    pub account: String,
}

impl Default for Seed {
    fn default() -> Self {
        Seed {
            trail: true,
            trail_encrypted: true,
            bucket: BucketSeed::Kms,
            bucket_region: HOME.into(),
            policy_requires_kms: false,
            unrelated_trail: true,
            config_channel: true,
            organization_trail: false,
            account: ACCOUNT.into(),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Seeded {
    pub key_arn: String,
    pub bucket: String,
    /// Empty when the seed made no trail.
    pub trail_arn: String,
    pub unrelated_trail_arn: Option<String>,
    pub unrelated_key_arn: Option<String>,
}

/// A seeding failure with the whole error chain (an SDK error's `Display` alone says only
/// "service error").
fn err(
    what: &str,
    e: impl std::error::Error + 'static,
) -> Box<dyn std::error::Error + Send + Sync> {
    format!("seeding: {what}: {}", crate::aws::error_chain(&e)).into()
}

async fn bucket_in(
    config: &SdkConfig,
    name: &str,
    region: &str,
) -> TestkitResult<aws_sdk_s3::Client> {
    use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};
    let conf = aws_sdk_s3::config::Builder::from(config)
        .region(Region::new(region.to_string()))
        .force_path_style(true)
        .build();
    let s3 = aws_sdk_s3::Client::from_conf(conf);
    let mut create = s3.create_bucket().bucket(name);
    if region != "us-east-1" {
        create = create.create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from(region))
                .build(),
        );
    }
    create.send().await.map_err(|e| err("CreateBucket", e))?;
    Ok(s3)
}

async fn kms_key(config: &SdkConfig, region: &str, description: &str) -> TestkitResult<String> {
    let kms = aws_sdk_kms::Client::from_conf(
        aws_sdk_kms::config::Builder::from(config)
            .region(Region::new(region.to_string()))
            .build(),
    );
    let key = kms
        .create_key()
        .description(description)
        .send()
        .await
        .map_err(|e| err("CreateKey", e))?;
    let meta = key
        .key_metadata()
        .ok_or_else(|| "seeding: CreateKey: the answer has no key metadata".to_string())?;
    kms.enable_key_rotation()
        .key_id(meta.key_id())
        .send()
        .await
        .map_err(|e| err("EnableKeyRotation", e))?;
    Ok(meta.arn().unwrap_or_default().to_string())
}

async fn put_encryption(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    algorithm: &str,
    key: Option<&str>,
) -> TestkitResult<()> {
    use aws_sdk_s3::types::{
        ServerSideEncryption, ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration,
        ServerSideEncryptionRule,
    };
    let default = ServerSideEncryptionByDefault::builder()
        .sse_algorithm(ServerSideEncryption::from(algorithm))
        .set_kms_master_key_id(key.map(str::to_string))
        .build()?;
    let rule = ServerSideEncryptionRule::builder()
        .apply_server_side_encryption_by_default(default)
        .set_bucket_key_enabled(key.map(|_| true))
        .build();
    s3.put_bucket_encryption()
        .bucket(bucket)
        .server_side_encryption_configuration(
            ServerSideEncryptionConfiguration::builder()
                .rules(rule)
                .build()?,
        )
        .send()
        .await
        .map_err(|e| err("PutBucketEncryption", e))?;
    Ok(())
}

/// The Organizations client of `config`, in us-east-1, where the tool asks Organizations.
fn organizations(config: &SdkConfig) -> aws_sdk_organizations::Client {
    let conf = aws_sdk_organizations::config::Builder::from(config)
        .region(Region::new("us-east-1"))
        .build();
    aws_sdk_organizations::Client::from_conf(conf)
}

/// Organizations `CreateOrganization` on the endpoint of `config`: the caller's account becomes
/// the management account.
async fn create_organization(client: &aws_sdk_organizations::Client) -> TestkitResult<()> {
    use aws_sdk_organizations::types::OrganizationFeatureSet;
    client
        .create_organization()
        .feature_set(OrganizationFeatureSet::All)
        .send()
        .await
        .map_err(|e| err("CreateOrganization", e))?;
    Ok(())
}

/// An organization on the endpoint of `config`, through the Rust SDK: the caller's account
/// becomes its management account (`CreateOrganization`), then one member account is made per
/// entry of `closed` (`CreateAccount`, in order), and those marked `true` are closed at once
/// (`CloseAccount`: moto lists them `SUSPENDED`). Returns the members' ids, which moto chooses
/// at random, in the order they were made.
pub async fn organization(config: &SdkConfig, closed: &[bool]) -> TestkitResult<Vec<String>> {
    let client = organizations(config);
    create_organization(&client).await?;
    let mut ids = Vec::new();
    for (n, close) in closed.iter().enumerate() {
        let name = format!("member-{}", n + 1);
        let made = client
            .create_account()
            .email(format!("{name}@example.com"))
            .account_name(&name)
            .send()
            .await
            .map_err(|e| err("CreateAccount", e))?;
        let id = made
            .create_account_status()
            .and_then(|s| s.account_id())
            .ok_or("seeding: CreateAccount answered without an account id")?
            .to_string();
        if *close {
            client
                .close_account()
                .account_id(&id)
                .send()
                .await
                .map_err(|e| err("CloseAccount", e))?;
        }
        ids.push(id);
    }
    Ok(ids)
}

/// The key policy of the secure setting's key: the account's own statement, and CloudTrail's
/// (AWS's documented statements: encrypt for this trail, describe the key).
pub fn cloudtrail_key_policy_document(account: &str, trail_arn: &str) -> serde_json::Value {
    serde_json::json!({
        "Version": "2012-10-17",
        "Id": "Key policy created by CloudTrail",
        "Statement": [
            {
                "Sid": "Enable IAM User Permissions", "Effect": "Allow",
                "Principal": { "AWS": format!("arn:aws:iam::{account}:root") },
                "Action": "kms:*", "Resource": "*",
            },
            {
                "Sid": "Allow CloudTrail to encrypt logs", "Effect": "Allow",
                "Principal": { "Service": "cloudtrail.amazonaws.com" },
                "Action": "kms:GenerateDataKey*", "Resource": "*",
                "Condition": {
                    "StringEquals": { "aws:SourceArn": trail_arn },
                    "StringLike": {
                        "kms:EncryptionContext:aws:cloudtrail:arn":
                            format!("arn:aws:cloudtrail:*:{account}:trail/*")
                    },
                },
            },
            {
                "Sid": "Allow CloudTrail to describe key", "Effect": "Allow",
                "Principal": { "Service": "cloudtrail.amazonaws.com" },
                "Action": "kms:DescribeKey", "Resource": "*",
            },
        ],
    })
}

/// Gives `key_arn` the key policy of [`cloudtrail_key_policy_document`].
pub async fn cloudtrail_key_policy(
    config: &SdkConfig,
    key_arn: &str,
    trail_arn: &str,
    account: &str,
) -> TestkitResult<()> {
    let region = key_arn.split(':').nth(3).unwrap_or(HOME).to_string();
    let kms = aws_sdk_kms::Client::from_conf(
        aws_sdk_kms::config::Builder::from(config)
            .region(Region::new(region))
            .build(),
    );
    kms.put_key_policy()
        .key_id(key_arn)
        .policy_name("default")
        .policy(cloudtrail_key_policy_document(account, trail_arn).to_string())
        .send()
        .await
        .map_err(|e| err("PutKeyPolicy", e))?;
    Ok(())
}

/// Builds the scenario on the endpoint of `config` (normally a fresh moto server).
pub async fn seed(config: &SdkConfig, seed: &Seed) -> TestkitResult<Seeded> {
    let key_arn = kms_key(config, HOME, "secure account CloudTrail key").await?;
    let account = &seed.account;
    let bucket = format!("cm-members-cloudtrail-{account}");
    let s3 = bucket_in(config, &bucket, &seed.bucket_region).await?;
    match seed.bucket {
        BucketSeed::Kms => put_encryption(&s3, &bucket, "aws:kms", Some(&key_arn)).await?,
        BucketSeed::DsseKms => put_encryption(&s3, &bucket, "aws:kms:dsse", Some(&key_arn)).await?,
        BucketSeed::Aes256 => put_encryption(&s3, &bucket, "AES256", None).await?,
        BucketSeed::None => {}
    }
    let mut statements = vec![serde_json::json!({
        "Sid": "AWSCloudTrailWrite", "Effect": "Allow",
        "Principal": { "Service": "cloudtrail.amazonaws.com" },
        "Action": "s3:PutObject", "Resource": format!("arn:aws:s3:::{bucket}/*"),
    })];
    if seed.policy_requires_kms {
        statements.push(serde_json::json!({
            "Sid": "DenyUnencryptedUploads", "Effect": "Deny", "Principal": "*",
            "Action": "s3:PutObject", "Resource": format!("arn:aws:s3:::{bucket}/*"),
            "Condition": { "StringNotEquals": { "s3:x-amz-server-side-encryption": "aws:kms" } },
        }));
    }
    let policy = serde_json::json!({ "Version": "2012-10-17", "Statement": statements });
    s3.put_bucket_policy()
        .bucket(&bucket)
        .policy(policy.to_string())
        .send()
        .await
        .map_err(|e| err("PutBucketPolicy", e))?;

    let cloudtrail = |region: &str| {
        aws_sdk_cloudtrail::Client::from_conf(
            aws_sdk_cloudtrail::config::Builder::from(config)
                .region(Region::new(region.to_string()))
                .build(),
        )
    };
    let mut trail_arn = String::new();
    if seed.organization_trail {
        create_organization(&organizations(config)).await?;
    }
    if seed.trail {
        let mut create = cloudtrail(HOME)
            .create_trail()
            .name("Members")
            .s3_bucket_name(&bucket)
            .is_multi_region_trail(true)
            .is_organization_trail(seed.organization_trail);
        if seed.trail_encrypted {
            create = create.kms_key_id(&key_arn);
        }
        let trail = create
            .send()
            .await
            .map_err(|e| err("CreateTrail Members", e))?;
        trail_arn = trail.trail_arn().unwrap_or_default().to_string();
        if seed.trail_encrypted {
            cloudtrail_key_policy(config, &key_arn, &trail_arn, account).await?;
        }
    }

    let (mut unrelated_trail_arn, mut unrelated_key_arn) = (None, None);
    if seed.unrelated_trail {
        let other_key = kms_key(config, "us-east-1", "another team's trail key").await?;
        let other_bucket = format!("other-team-trail-{account}");
        bucket_in(config, &other_bucket, "us-east-1").await?;
        let other = cloudtrail("us-east-1")
            .create_trail()
            .name("OtherTeam")
            .s3_bucket_name(&other_bucket)
            .kms_key_id(&other_key)
            .send()
            .await
            .map_err(|e| err("CreateTrail OtherTeam", e))?;
        unrelated_trail_arn = other.trail_arn().map(str::to_string);
        unrelated_key_arn = Some(other_key);
    }

    if seed.config_channel {
        use aws_sdk_config::types::{ConfigurationRecorder, DeliveryChannel};
        let cfg = aws_sdk_config::Client::from_conf(
            aws_sdk_config::config::Builder::from(config)
                .region(Region::new(HOME.to_string()))
                .build(),
        );
        cfg.put_configuration_recorder()
            .configuration_recorder(
                ConfigurationRecorder::builder()
                    .name("default")
                    .role_arn(format!("arn:aws:iam::{account}:role/config-role"))
                    .build(),
            )
            .send()
            .await
            .map_err(|e| err("PutConfigurationRecorder", e))?;
        cfg.put_delivery_channel()
            .delivery_channel(
                DeliveryChannel::builder()
                    .name("default")
                    .s3_bucket_name(&bucket)
                    .s3_kms_key_arn(&key_arn)
                    .build(),
            )
            .send()
            .await
            .map_err(|e| err("PutDeliveryChannel", e))?;
    }
    Ok(Seeded {
        key_arn,
        bucket,
        trail_arn,
        unrelated_trail_arn,
        unrelated_key_arn,
    })
}
