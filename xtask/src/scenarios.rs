//! The recorded scenarios: which are made by recording a seeded moto server, and which are
//! hand-edited from a recording because moto cannot show them (real AWS behaviour from
//! ../shared/PROCEDURE.md). `cargo xtask fixtures refresh` rebuilds them all, offline.

use std::collections::BTreeMap;

use runbook::http::{Exchange, Fixture, RecordedResponse};
use runbook::testkit::{BucketSeed, Seed};
use serde_json::Value;

/// The `run` arguments every scenario is recorded and replayed with.
pub const RUN_ARGS: &[&str] = &["revert", "--yes"];

pub struct Recorded {
    pub name: &'static str,
    pub description: &'static str,
    pub seed: fn() -> Seed,
}

pub struct HandEdited {
    pub name: &'static str,
    pub from: &'static str,
    pub description: &'static str,
    /// Why it is hand-edited, and what was changed.
    pub edit_note: &'static str,
    pub edit: fn(&mut Fixture),
}

pub const RECORDED: &[Recorded] = &[
    Recorded {
        name: "secure-account",
        description: "The article's starting point: trail `Members` (multi-region, home ap-northeast-1) encrypted \
                      with a customer managed key, its bucket SSE-KMS with the same key, AWS Config delivering with \
                      it, and another team's encrypted trail in us-east-1. The revert makes one UpdateTrail and one \
                      PutBucketEncryption, and leaves the other trail alone.",
        seed: Seed::default,
    },
    Recorded {
        name: "already-reverted",
        description: "Trail not encrypted, bucket SSE-S3: the revert finds nothing to change and writes nothing.",
        seed: || Seed { trail_encrypted: false, bucket: BucketSeed::Aes256, ..Seed::default() },
    },
    Recorded {
        name: "half-done",
        description: "A manual revert stopped half-way: the trail is no longer encrypted but the bucket is still \
                      SSE-KMS. The revert writes only PutBucketEncryption.",
        seed: || Seed { trail_encrypted: false, ..Seed::default() },
    },
    Recorded {
        name: "trail-missing",
        description: "No trail named `Members` in any region: the run stops with a clear error naming the regions \
                      searched, before any write.",
        seed: || Seed { trail: false, ..Seed::default() },
    },
    Recorded {
        name: "no-bucket-encryption",
        description: "Trail encrypted, bucket without any default-encryption configuration (GetBucketEncryption \
                      answers ServerSideEncryptionConfigurationNotFoundError): only the trail is changed.",
        seed: || Seed { bucket: BucketSeed::None, ..Seed::default() },
    },
    Recorded {
        name: "dsse-kms-bucket",
        description: "Bucket default encryption is DSSE-KMS (aws:kms:dsse), which is KMS too: it is set to AES256.",
        seed: || Seed { bucket: BucketSeed::DsseKms, ..Seed::default() },
    },
    Recorded {
        name: "bucket-policy-requires-kms",
        description: "The bucket policy denies s3:PutObject without SSE-KMS: the plan warns, before any write, that \
                      CloudTrail's SSE-S3 deliveries would be refused after the revert.",
        seed: || Seed { policy_requires_kms: true, ..Seed::default() },
    },
    Recorded {
        name: "bucket-in-other-region",
        description: "The trail's bucket lives in us-east-1, not in the trail's home region: S3 is read and written \
                      in us-east-1.",
        seed: || Seed { bucket_region: "us-east-1".into(), ..Seed::default() },
    },
    Recorded {
        name: "organization-trail-management",
        description: "The organization's management account: moto has an organization (CreateOrganization) and \
                      `Members` is its organization trail (IsOrganizationTrail), in this account. Reverting it would \
                      change the logs of every member account, so without --include-organization-trail the revert \
                      is refused with exit code 2 before any write.",
        seed: || Seed { organization_trail: true, ..Seed::default() },
    },
];

/// A batch made on moto: the caller's own account (moto's default one) and member accounts that
/// moto's STS AssumeRole reaches (each seeded as its own role), recorded with `run_args`. The
/// caller's calls are the scenario's traffic.json, each account's `accounts/<id>/traffic.json`.
pub struct RecordedBatch {
    pub name: &'static str,
    pub description: &'static str,
    /// Every account the batch reaches, with its seed; the first is the caller's own.
    pub accounts: &'static [(&'static str, fn() -> Seed)],
    /// For `--organization`: the organization made on moto before the accounts are seeded.
    pub organization: Option<Organization>,
    pub run_args: &'static [&'static str],
}

/// An organization made on moto (`testkit::seed::organization`): the caller's account is its
/// management account, and each member is made by CreateAccount, in order. Moto gives a member
/// a random id; the recording names it by the id given here (every occurrence in every file of
/// the scenario, and its folder), as redaction names the caller's account 123456789012, so
/// that a refresh makes the same scenario. The fixture's description says so.
pub struct Organization {
    pub members: &'static [Member],
}

pub struct Member {
    /// The id the fixtures name this member by.
    pub id: &'static str,
    /// Closed (CloseAccount) before the recording: Organizations lists it `SUSPENDED`, and the
    /// batch skips it. A closed member has no seed (it is not among the batch's `accounts`).
    pub closed: bool,
}

impl Organization {
    /// The sentence that says which ids were renamed, for the fixture's description.
    pub fn renaming_note(&self) -> String {
        let ids: Vec<&str> = self.members.iter().map(|m| m.id).collect();
        format!(
            "Moto's CreateAccount gave the members random ids: the recording names them {} (in \
             the order they were made), in every exchange and in the accounts/ folders, as \
             redaction names the caller's account 123456789012; nothing else was edited.",
            ids.join(", ")
        )
    }
}

pub const BATCHES: &[RecordedBatch] = &[
    RecordedBatch {
        name: "two-accounts",
        description: "A batch over two accounts (`--accounts 123456789012,111111111111`): the caller's own account \
                      123456789012 is the article's secure account (reached with the caller's credentials), member \
                      111111111111 (reached by AssumeRole on OrganizationAccountAccessRole, which is not recorded) is \
                      a secure account whose bucket lives in eu-west-1. Each account's revert makes one UpdateTrail \
                      and one PutBucketEncryption.",
        accounts: &[
            ("123456789012", Seed::default),
            ("111111111111", member_with_bucket_in_eu_west_1),
        ],
        organization: None,
        run_args: &["revert", "--yes", "--accounts", "123456789012,111111111111"],
    },
    RecordedBatch {
        name: "organization-batch",
        description: "A batch over the organization (`--organization`): the caller's account 123456789012 is the \
                      organization's management account (CreateOrganization on moto) and the article's secure \
                      account. Organizations ListAccounts (the caller's own call) lists it ACTIVE, member \
                      111111111111 ACTIVE and member 222222222222 SUSPENDED (closed with CloseAccount). The batch \
                      runs the management account with the caller's own credentials, member 111111111111 by \
                      AssumeRole on OrganizationAccountAccessRole (not recorded; a secure account whose bucket \
                      lives in eu-west-1), and skips the suspended member with its state, making no call there. \
                      Each account's revert makes one UpdateTrail and one PutBucketEncryption.",
        accounts: &[
            ("123456789012", Seed::default),
            ("111111111111", member_with_bucket_in_eu_west_1),
        ],
        organization: Some(Organization {
            members: &[
                Member { id: "111111111111", closed: false },
                Member { id: "222222222222", closed: true },
            ],
        }),
        run_args: &["revert", "--yes", "--organization"],
    },
];

/// A revert and the undo of that run, recorded one after the other on one moto server: the
/// revert's calls are the scenario's traffic.json (recorded with [`RUN_ARGS`]), the undo's
/// (`undo RUN_ID --yes`) `undo/traffic.json`. Replaying the revert, then the undo of the
/// replayed run with `--replay <scenario>/undo`, shows the undo putting back what the revert
/// changed.
pub struct RecordedUndo {
    pub name: &'static str,
    pub description: &'static str,
    pub undo_description: &'static str,
    pub seed: fn() -> Seed,
}

/// Where an undo scenario keeps the undo's traffic, in the scenario's folder.
pub const UNDO_DIR: &str = "undo";

pub const UNDONE: &[RecordedUndo] = &[RecordedUndo {
    name: "revert-then-undo",
    description: "The revert half of a revert + undo pair, recorded on one moto server: the article's secure \
                  account (as secure-account) reverted with one UpdateTrail and one PutBucketEncryption. The \
                  undo of this run, recorded right after it, is undo/traffic.json.",
    undo_description: "The undo half of a revert + undo pair, recorded on the moto server the revert (the \
                       scenario's traffic.json) left reverted: `undo RUN_ID --yes` of that revert reads the \
                       live state, checks the key (enabled, this account's, its policy letting CloudTrail \
                       use it for the trail), and puts back exactly what the revert changed: UpdateTrail \
                       with the key, PutBucketEncryption with the bucket's SSE-KMS rule. Replay it with \
                       `undo RUN_ID --replay fixtures/revert-then-undo/undo` after replaying the revert.",
    seed: Seed::default,
}];

/// The batches' member 111111111111: a secure account whose bucket lives in eu-west-1.
fn member_with_bucket_in_eu_west_1() -> Seed {
    Seed {
        bucket_region: "eu-west-1".into(),
        unrelated_trail: false,
        config_channel: false,
        ..Seed::default()
    }
}

pub const HAND_EDITED: &[HandEdited] = &[
    HandEdited {
        name: "access-denied-update-trail",
        from: "secure-account",
        description: "The operator may read everything but lacks cloudtrail:UpdateTrail: the run stops at the first \
                      write with an error naming the missing IAM action; nothing was changed.",
        edit_note: "hand-edited from secure-account: moto does not enforce IAM. UpdateTrail answers 400 \
                    AccessDeniedException as real AWS does.",
        edit: access_denied_update_trail,
    },
    HandEdited {
        name: "throttled-then-ok",
        from: "secure-account",
        description: "DescribeTrails in eu-west-1 is throttled once, then answers: the SDK retries and the revert \
                      completes as in secure-account.",
        edit_note: "hand-edited from secure-account: moto never throttles. One ThrottlingException answer inserted \
                    before eu-west-1's first DescribeTrails.",
        edit: throttled_then_ok,
    },
    HandEdited {
        name: "bucket-redirect",
        from: "bucket-in-other-region",
        description: "The bucket lives in us-east-1; HeadBucket sent to ap-northeast-1 answers 301 with \
                      x-amz-bucket-region (the Rust SDK does not follow S3 redirects): the tool reads the header and \
                      talks to us-east-1.",
        edit_note: "hand-edited from bucket-in-other-region: moto never redirects by region. HeadBucket answers \
                    301 PermanentRedirect with x-amz-bucket-region: us-east-1, as real S3 does, and so do \
                    GetBucketEncryption and GetBucketPolicy asked there at once with it.",
        edit: bucket_redirect,
    },
    HandEdited {
        name: "organization-trail",
        from: "secure-account",
        description: "A member account's view: `Members` is an organization trail of the management account \
                      111122223333 (its ARN names that account, its bucket is that account's): only the management \
                      account can change it. It is reported and skipped, nothing is written, and the run does not \
                      fail. (The management account's view is tested against moto, which has organizations.)",
        edit_note: "hand-edited from secure-account: a member's view needs a second account that owns the trail. \
                    DescribeTrails shows Members with IsOrganizationTrail: true, its ARN and bucket in account \
                    111122223333; the exchanges the run no longer makes were pruned.",
        edit: organization_trail,
    },
    HandEdited {
        name: "region-not-enabled",
        from: "secure-account",
        description: "af-south-1 was opted in moments ago (DescribeRegions says `opted-in`) but its endpoint does \
                      not accept the account's credentials yet: it is reported as unreachable and the revert goes on.",
        edit_note: "hand-edited from secure-account: moto answers every region. DescribeRegions lists af-south-1 as \
                    `opted-in` (the shaped list has it `not-opted-in`), its calls are eu-west-2's recorded answers, \
                    and DescribeTrails there answers 400 UnrecognizedClientException, as a region does while its \
                    opt-in is still propagating.",
        edit: region_not_enabled,
    },
    HandEdited {
        name: "bucket-of-another-account",
        from: "secure-account",
        description: "`Members` delivers to a central log-archive bucket of account 111122223333, as organizations \
                      often set up: S3 refuses the calls naming this account as the owner (ExpectedBucketOwner), and \
                      this account's own bucket list does not have it. The bucket is reported as another account's \
                      to change, the trail is still reverted, and the run ends 0 with that warning.",
        edit_note: "hand-edited from secure-account: moto does not enforce ExpectedBucketOwner and has no second \
                    account's bucket here. The trail names log-archive-cloudtrail-111122223333; HeadBucket with \
                    ExpectedBucketOwner 123456789012 answers 403 (with x-amz-bucket-region, as S3 does); one \
                    ListBuckets answer (prefix = the bucket) lists none of this account's buckets; \
                    GetBucketEncryption and GetBucketPolicy of that bucket, asked at once with HeadBucket, answer \
                    403 AccessDenied (added); the exchanges the run no longer makes were pruned.",
        edit: bucket_of_another_account,
    },
    HandEdited {
        name: "opted-in-region",
        from: "secure-account",
        description: "The account opted in to ap-east-1 (Hong Kong): DescribeRegions says `opted-in`, so it is \
                      scanned like the 17 regions every account has (18 in all), the multi-region trail's shadow \
                      shows there, and the revert completes as in secure-account.",
        edit_note: "hand-edited from secure-account: moto's opt-in statuses are not an account's, and the shaped \
                    list has every opt-in region not-opted-in. DescribeRegions lists ap-east-1 as `opted-in`; its \
                    calls are answered with eu-west-2's recorded answers (a shadow of the same trail), the ones \
                    the run does not make pruned.",
        edit: opted_in_region,
    },
    HandEdited {
        name: "trail-homed-in-opt-in-region",
        from: "secure-account",
        description: "`Members` is homed in ap-east-1, an opt-in region the account opted in to, outside the \
                      17 regions every account has: UpdateTrail is sent to ap-east-1, by ARN, and the revert \
                      completes.",
        edit_note: "hand-edited from secure-account: moto's recording homes the trail in ap-northeast-1. As in \
                    opted-in-region, ap-east-1 is `opted-in` and answers as eu-west-2 did; the trail's ARN and \
                    HomeRegion name ap-east-1, and the UpdateTrail and its re-read are ap-east-1's; the bucket stays in \
                    ap-northeast-1, so HeadBucket in ap-east-1 answers 301 with x-amz-bucket-region, as S3 does, \
                    and so do GetBucketEncryption and GetBucketPolicy asked there at once with it (added).",
        edit: trail_homed_in_opt_in_region,
    },
    HandEdited {
        name: "china-partition",
        from: "secure-account",
        description: "An account in the aws-cn partition (AWS China): the caller's ARN is arn:aws-cn:, \
                      DescribeRegions lists cn-north-1 and cn-northwest-1 only, `Members` is homed in cn-north-1 \
                      with its bucket and key there. Both regions are scanned and the trail and bucket are \
                      reverted as in secure-account.",
        edit_note: "hand-edited from secure-account: moto's accounts are all in the aws partition. Every ARN \
                    names aws-cn, ap-northeast-1 became cn-north-1 and us-east-1 (the other team's trail) \
                    cn-northwest-1, the exchanges of the other regions were dropped, and DescribeRegions answers \
                    aws-cn's two regions.",
        edit: china_partition,
    },
    HandEdited {
        name: "propagation-lag",
        from: "secure-account",
        description: "Right after UpdateTrail, eu-west-1 still shows the old key once (the change is on its way \
                      from the home region): verify reads eu-west-1 again after a short wait and the revert \
                      completes.",
        edit_note: "hand-edited from secure-account: moto applies a change to every region at once. One more \
                    DescribeTrails answer for eu-west-1, still showing the key, inserted before its verification \
                    answer.",
        edit: propagation_lag,
    },
];

fn json_error(code: &str, message: &str) -> RecordedResponse {
    RecordedResponse {
        status: 400,
        headers: BTreeMap::from([
            (
                "content-type".to_string(),
                "application/x-amz-json-1.1".to_string(),
            ),
            ("x-amzn-errortype".to_string(), code.to_string()),
            (
                "x-amzn-requestid".to_string(),
                format!("hand-edited-{}", code.to_ascii_lowercase()),
            ),
        ]),
        body: serde_json::json!({ "__type": code, "message": message }).to_string(),
    }
}

fn access_denied_update_trail(f: &mut Fixture) {
    for e in f
        .exchanges
        .iter_mut()
        .filter(|e| e.key.operation == "UpdateTrail")
    {
        e.response = json_error(
            "AccessDeniedException",
            "User: arn:aws:sts::123456789012:assumed-role/Operator/session is not authorized to perform: \
             cloudtrail:UpdateTrail on resource: arn:aws:cloudtrail:ap-northeast-1:123456789012:trail/Members \
             because no identity-based policy allows the cloudtrail:UpdateTrail action",
        );
    }
}

fn throttled_then_ok(f: &mut Fixture) {
    let at = f
        .exchanges
        .iter()
        .position(|e| e.key.operation == "DescribeTrails" && e.key.region == "eu-west-1")
        .expect("secure-account describes eu-west-1");
    let mut throttled: Exchange = f.exchanges[at].clone();
    throttled.response = json_error("ThrottlingException", "Rate exceeded");
    f.exchanges.insert(at, throttled);
}

fn propagation_lag(f: &mut Fixture) {
    let scans: Vec<usize> = f
        .exchanges
        .iter()
        .enumerate()
        .filter(|(_, e)| e.key.operation == "DescribeTrails" && e.key.region == "eu-west-1")
        .map(|(i, _)| i)
        .collect();
    let [before, verify] = scans[..] else {
        panic!("secure-account describes eu-west-1 twice")
    };
    let stale = f.exchanges[before].clone();
    f.exchanges.insert(verify, stale);
}

fn bucket_redirect(f: &mut Fixture) {
    let head = f
        .exchanges
        .iter_mut()
        .find(|e| e.key.operation == "HeadBucket" && e.key.region != "us-east-1")
        .expect("the recording asked the trail's home region first");
    let asked = head.key.region.clone();
    head.response = RecordedResponse {
        status: 301,
        headers: BTreeMap::from([
            ("x-amz-bucket-region".to_string(), "us-east-1".to_string()),
            (
                "x-amz-request-id".to_string(),
                "hand-edited-redirect".to_string(),
            ),
        ]),
        body: String::new(),
    };
    redirect_speculative_reads(f, &asked, "us-east-1");
}

/// What real S3 answers a bucket's read sent to another region's endpoint: 301 with the
/// bucket's region (moto answers it anywhere).
fn s3_redirect(bucket: &str, lives: &str, request_id: &str) -> RecordedResponse {
    RecordedResponse {
        status: 301,
        headers: BTreeMap::from([
            ("content-type".to_string(), "application/xml".to_string()),
            ("x-amz-bucket-region".to_string(), lives.to_string()),
            ("x-amz-request-id".to_string(), request_id.to_string()),
            (
                "x-amz-id-2".to_string(),
                "hand-edited/bucket-in-another-region=".to_string(),
            ),
        ]),
        body: format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>PermanentRedirect</Code>\
             <Message>The bucket you are attempting to access must be addressed using the specified \
             endpoint. Please send all future requests to this endpoint.</Message>\
             <Endpoint>s3.{lives}.amazonaws.com</Endpoint><Bucket>{bucket}</Bucket>\
             <RequestId>{request_id}</RequestId></Error>"
        ),
    }
}

/// The plan reads a bucket's encryption and policy in its trail's home region at once with
/// HeadBucket: where the bucket lives in `lives`, real S3 answers those two reads made in
/// `asked` with a redirect. Each is added (cloned from the recording's first read in `lives`)
/// or, where the recording has it, its answer replaced.
fn redirect_speculative_reads(f: &mut Fixture, asked: &str, lives: &str) {
    for operation in ["GetBucketEncryption", "GetBucketPolicy"] {
        let request_id = format!("HANDEDITED301{}", operation.to_ascii_uppercase());
        if let Some(e) = f
            .exchanges
            .iter_mut()
            .find(|e| e.key.operation == operation && e.key.region == asked)
        {
            let bucket = bucket_in(&e.key.params);
            e.response = s3_redirect(&bucket, lives, &request_id);
            continue;
        }
        let mut read = f
            .exchanges
            .iter()
            .find(|e| e.key.operation == operation && e.key.region == lives)
            .expect("the recording reads the bucket where it lives")
            .clone();
        read.key.region = asked.into();
        read.response = s3_redirect(&bucket_in(&read.key.params), lives, &request_id);
        f.exchanges.push(read);
    }
}

/// The bucket an S3 request key names (`bucket=NAME…`).
fn bucket_in(params: &str) -> String {
    params
        .split(['&', ','])
        .find_map(|p| p.strip_prefix("bucket="))
        .unwrap_or_default()
        .to_string()
}

/// The account every fixture shows, and the organization's management account of the member's view.
const ACCOUNT: &str = runbook::http::redact::FIXTURE_ACCOUNT;
const MANAGEMENT_ACCOUNT: &str = "111122223333";

fn bucket_of_another_account(f: &mut Fixture) {
    let ours = format!("cm-members-cloudtrail-{ACCOUNT}");
    let theirs = format!("log-archive-cloudtrail-{MANAGEMENT_ACCOUNT}");
    for e in f
        .exchanges
        .iter_mut()
        .filter(|e| e.key.service == "cloudtrail")
    {
        e.response.body = e.response.body.replace(&ours, &theirs);
    }
    let head = f
        .exchanges
        .iter_mut()
        .find(|e| e.key.operation == "HeadBucket")
        .expect("secure-account locates its bucket");
    head.key.params = head.key.params.replace(&ours, &theirs);
    head.request.path = head.request.path.replace(&ours, &theirs);
    head.response = RecordedResponse {
        status: 403,
        headers: BTreeMap::from([
            (
                "x-amz-bucket-region".to_string(),
                testkit_home().to_string(),
            ),
            (
                "x-amz-request-id".to_string(),
                "HANDEDITED403OWNER".to_string(),
            ),
            (
                "x-amz-id-2".to_string(),
                "hand-edited/expected-bucket-owner-mismatch=".to_string(),
            ),
        ]),
        body: String::new(),
    };
    let mut list = head.clone();
    list.key.operation = "ListBuckets".into();
    list.key.params = "bucket=".into();
    list.request.method = "GET".into();
    list.request.path = format!("/?prefix={theirs}&x-id=ListBuckets");
    list.request.headers.clear();
    list.response = RecordedResponse {
        status: 200,
        headers: BTreeMap::from([
            ("content-type".to_string(), "application/xml".to_string()),
            ("x-amz-request-id".to_string(), "HANDEDITEDLIST".to_string()),
            (
                "x-amz-id-2".to_string(),
                "hand-edited/list-buckets=".to_string(),
            ),
        ]),
        body: format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListAllMyBucketsResult \
             xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Owner><ID>{ACCOUNT}</ID></Owner>\
             <Buckets></Buckets><Prefix>{theirs}</Prefix></ListAllMyBucketsResult>"
        ),
    };
    f.exchanges.push(list);
    // The encryption and the policy, read at once with HeadBucket, are refused the same way.
    for operation in ["GetBucketEncryption", "GetBucketPolicy"] {
        let mut read = f
            .exchanges
            .iter()
            .find(|e| e.key.operation == operation && e.key.params.contains(&ours))
            .expect("secure-account reads its bucket")
            .clone();
        read.key.params = read.key.params.replace(&ours, &theirs);
        read.request.path = read.request.path.replace(&ours, &theirs);
        read.response = RecordedResponse {
            status: 403,
            headers: BTreeMap::from([
                ("content-type".to_string(), "application/xml".to_string()),
                (
                    "x-amz-request-id".to_string(),
                    format!("HANDEDITED403{}", operation.to_ascii_uppercase()),
                ),
                (
                    "x-amz-id-2".to_string(),
                    "hand-edited/expected-bucket-owner-mismatch=".to_string(),
                ),
            ]),
            body: "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>AccessDenied</Code>\
                   <Message>Access Denied</Message><RequestId>HANDEDITED403</RequestId></Error>"
                .to_string(),
        };
        f.exchanges.push(read);
    }
}

fn testkit_home() -> &'static str {
    runbook::testkit::seed::HOME
}

fn organization_trail(f: &mut Fixture) {
    for e in f
        .exchanges
        .iter_mut()
        .filter(|e| e.key.operation == "DescribeTrails")
    {
        let Ok(mut body) = serde_json::from_str::<Value>(&e.response.body) else {
            continue;
        };
        if let Some(trails) = body.get_mut("trailList").and_then(Value::as_array_mut) {
            for t in trails.iter_mut().filter(|t| t["Name"] == "Members") {
                t["IsOrganizationTrail"] = Value::Bool(true);
                for field in ["TrailARN", "S3BucketName"] {
                    if let Some(text) = t[field].as_str() {
                        t[field] = Value::String(text.replace(ACCOUNT, MANAGEMENT_ACCOUNT));
                    }
                }
            }
        }
        e.response.body = body.to_string();
    }
}

fn region_not_enabled(f: &mut Fixture) {
    const REGION: &str = "af-south-1";
    opt_in(f, REGION);
    for e in f
        .exchanges
        .iter_mut()
        .filter(|e| e.key.operation == "DescribeTrails" && e.key.region == REGION)
    {
        e.response = json_error(
            "UnrecognizedClientException",
            "The security token included in the request is invalid.",
        );
    }
}

fn china_partition(f: &mut Fixture) {
    let text = serde_json::to_string(f)
        .expect("a fixture serializes")
        .replace("arn:aws:", "arn:aws-cn:")
        .replace("ap-northeast-1", "cn-north-1")
        .replace("us-east-1", "cn-northwest-1");
    *f = serde_json::from_str(&text).expect("still a fixture");
    f.exchanges
        .retain(|e| ["cn-north-1", "cn-northwest-1"].contains(&e.key.region.as_str()));
    for e in f
        .exchanges
        .iter_mut()
        .filter(|e| e.key.operation == "DescribeRegions")
    {
        let items: String = ["cn-north-1", "cn-northwest-1"]
            .iter()
            .map(|r| {
                format!(
                    "<item><optInStatus>opt-in-not-required</optInStatus><regionName>{r}</regionName>\
                     <regionEndpoint>ec2.{r}.amazonaws.com.cn</regionEndpoint></item>"
                )
            })
            .collect();
        let start =
            e.response.body.find("<regionInfo>").expect("a region list") + "<regionInfo>".len();
        let end = e
            .response
            .body
            .find("</regionInfo>")
            .expect("a region list");
        e.response.body.replace_range(start..end, &items);
    }
}

/// Opts the account in to `region`: DescribeRegions says `opted-in`, and its calls are answered
/// as eu-west-2's were (a region with the same shadow trails and no Config channel).
fn opt_in(f: &mut Fixture, region: &str) {
    let calls: Vec<Exchange> = f
        .exchanges
        .iter()
        .filter(|e| e.key.region == "eu-west-2")
        .cloned()
        .map(|mut e| {
            e.key.region = region.into();
            e
        })
        .collect();
    f.exchanges.extend(calls);
    for e in f
        .exchanges
        .iter_mut()
        .filter(|e| e.key.operation == "DescribeRegions")
    {
        e.response.body = set_opt_in_status(&e.response.body, region, "opted-in");
    }
}

fn opted_in_region(f: &mut Fixture) {
    opt_in(f, "ap-east-1");
}

fn trail_homed_in_opt_in_region(f: &mut Fixture) {
    const HOME: &str = "ap-east-1";
    opt_in(f, HOME);
    let old_arn = format!(
        "arn:aws:cloudtrail:{}:{ACCOUNT}:trail/Members",
        testkit_home()
    );
    let new_arn = format!("arn:aws:cloudtrail:{HOME}:{ACCOUNT}:trail/Members");
    for e in f
        .exchanges
        .iter_mut()
        .filter(|e| e.key.service == "cloudtrail")
    {
        // Only the trail's own calls (by ARN) go to its home region.
        let by_arn = e.key.params.contains(&old_arn);
        e.key.params = e.key.params.replace(&old_arn, &new_arn);
        e.request.body = e.request.body.replace(&old_arn, &new_arn);
        if by_arn {
            e.key.region = HOME.into();
        }
        let Ok(mut body) = serde_json::from_str::<Value>(&e.response.body) else {
            continue;
        };
        for t in body
            .get_mut("trailList")
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
            .filter(|t| t["Name"] == "Members")
        {
            t["HomeRegion"] = Value::String(HOME.into());
            t["TrailARN"] = Value::String(new_arn.clone());
        }
        if body.get("TrailARN").is_some() {
            body["TrailARN"] = Value::String(new_arn.clone());
        }
        e.response.body = body.to_string();
    }
    // The bucket stays in ap-northeast-1: asked in the trail's home region first, S3 redirects.
    let mut head = f
        .exchanges
        .iter()
        .find(|e| e.key.operation == "HeadBucket")
        .expect("secure-account locates its bucket")
        .clone();
    head.key.region = HOME.into();
    head.response = RecordedResponse {
        status: 301,
        headers: BTreeMap::from([
            (
                "x-amz-bucket-region".to_string(),
                testkit_home().to_string(),
            ),
            (
                "x-amz-request-id".to_string(),
                "HANDEDITED301HOME".to_string(),
            ),
            (
                "x-amz-id-2".to_string(),
                "hand-edited/bucket-in-another-region=".to_string(),
            ),
        ]),
        body: String::new(),
    };
    f.exchanges.push(head);
    redirect_speculative_reads(f, HOME, testkit_home());
}

/// `DescribeRegions`' XML answer with `region`'s `optInStatus` set to `status`.
fn set_opt_in_status(xml: &str, region: &str, status: &str) -> String {
    xml.split("<item>")
        .map(|item| {
            if !item.contains(&format!("<regionName>{region}</regionName>")) {
                return item.to_string();
            }
            match (item.find("<optInStatus>"), item.find("</optInStatus>")) {
                (Some(start), Some(end)) => {
                    format!("{}<optInStatus>{status}{}", &item[..start], &item[end..])
                }
                _ => item.replacen(
                    "<regionName>",
                    &format!("<optInStatus>{status}</optInStatus><regionName>"),
                    1,
                ),
            }
        })
        .collect::<Vec<_>>()
        .join("<item>")
}
