//! Many accounts in one command, against a real moto_server: moto answers STS AssumeRole for
//! any account id with credentials that act in that account, so each member account is seeded
//! (and read back) as its own role. The management account is moto's default one.

use std::path::{Path, PathBuf};

use aws_config::SdkConfig;
use runbook::batch::journal::{self as batch_journal, BatchEvent, Outcome};
use runbook::testkit::{self, BucketSeed, Seed, Seeded};

use crate::proxy::{Proxy, Seen};
use crate::support::*;

pub const MGMT: &str = "123456789012";
/// Its bucket lives in eu-west-1.
pub const MEMBER_A: &str = "111111111111";
/// Already reverted: the trail has no key, the bucket is SSE-S3.
pub const MEMBER_B: &str = "222222222222";
const ROLE: &str = "OrganizationAccountAccessRole";

pub struct Fleet {
    pub env: Env,
    members: Vec<(String, Seeded)>,
}

fn member_config(endpoint: &str, account: &str) -> SdkConfig {
    runtime()
        .block_on(testkit::assumed_role_config(
            endpoint,
            HOME,
            &format!("arn:aws:iam::{account}:role/{ROLE}"),
        ))
        .expect("moto answers AssumeRole")
}

impl Fleet {
    /// The management account as the article's secure account, member A with its bucket in
    /// eu-west-1, member B already reverted.
    pub fn new() -> Fleet {
        let env = Env::secure_account();
        let mut fleet = Fleet {
            env,
            members: Vec::new(),
        };
        fleet.add(
            MEMBER_A,
            Seed {
                bucket_region: "eu-west-1".into(),
                unrelated_trail: false,
                config_channel: false,
                ..Seed::default()
            },
        );
        fleet.add(
            MEMBER_B,
            Seed {
                trail_encrypted: false,
                bucket: BucketSeed::Aes256,
                unrelated_trail: false,
                config_channel: false,
                ..Seed::default()
            },
        );
        fleet
    }

    pub fn add(&mut self, account: &str, seed: Seed) {
        let config = member_config(&self.env.moto.endpoint(), account);
        let seeded = runtime()
            .block_on(testkit::seed(
                &config,
                &Seed {
                    account: account.into(),
                    ..seed
                },
            ))
            .expect("seeding a member account works");
        self.members.push((account.to_string(), seeded));
    }

    pub fn config(&self, account: &str) -> SdkConfig {
        if account == MGMT {
            self.env.config()
        } else {
            member_config(&self.env.moto.endpoint(), account)
        }
    }

    pub fn seeded(&self, account: &str) -> &Seeded {
        if account == MGMT {
            return &self.env.seeded;
        }
        &self.members.iter().find(|(a, _)| a == account).unwrap().1
    }

    fn bucket_region(account: &str) -> &'static str {
        if account == MEMBER_A {
            "eu-west-1"
        } else {
            HOME
        }
    }

    /// The account's trail has no key and its bucket is SSE-S3, read with its own credentials.
    #[track_caller]
    pub fn assert_reverted(&self, account: &str) {
        let config = self.config(account);
        let seeded = self.seeded(account);
        assert_eq!(
            trail_key_with(&config, &seeded.trail_arn),
            None,
            "{account} trail"
        );
        assert_eq!(
            bucket_algorithms_with(&config, &seeded.bucket, Fleet::bucket_region(account)),
            vec!["AES256"],
            "{account} bucket"
        );
    }

    #[track_caller]
    pub fn assert_untouched(&self, account: &str) {
        let config = self.config(account);
        let seeded = self.seeded(account);
        assert_eq!(
            trail_key_with(&config, &seeded.trail_arn).as_deref(),
            Some(seeded.key_arn.as_str()),
            "{account} trail"
        );
        assert_eq!(
            bucket_algorithms_with(&config, &seeded.bucket, Fleet::bucket_region(account)),
            vec!["aws:kms"],
            "{account} bucket"
        );
    }

    pub fn state(&self) -> &Path {
        self.env.state.path()
    }

    pub fn account_runs(&self, account: &str) -> Vec<PathBuf> {
        let dir = self.state().join("accounts").join(account);
        if !dir.exists() {
            return Vec::new();
        }
        run_dirs(&dir)
    }

    /// `cargo xtask ARGS` through `proxy` (in front of this moto), with the base credentials.
    pub fn xtask_via(&self, proxy: &Proxy, args: &[&str]) -> Run {
        let mut cmd = xtask_command(self.state());
        cmd.args(args)
            .args(["--endpoint-url", &proxy.endpoint()])
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing");
        Run::of(cmd)
    }

    pub fn batch(&self) -> batch_journal::BatchJournal {
        let ids = batch_journal::batch_ids(self.state()).unwrap();
        assert_eq!(ids.len(), 1, "one batch: {ids:?}");
        batch_journal::load(&batch_journal::batch_dir(self.state(), &ids[0])).unwrap()
    }
}

fn outcomes(batch: &batch_journal::BatchJournal) -> Vec<(String, Outcome)> {
    batch
        .accounts()
        .into_iter()
        .map(|(a, e)| (a.to_string(), e.map_or(Outcome::NotStarted, |e| e.outcome)))
        .collect()
}

pub fn all_three() -> String {
    format!("{MGMT},{MEMBER_A},{MEMBER_B}")
}

#[test]
fn a_batch_reverts_every_account_each_in_its_own_run() {
    let fleet = Fleet::new();
    let run = fleet
        .env
        .xtask(&["run", "revert", "--yes", "--accounts", &all_three()])
        .success();
    for account in [MGMT, MEMBER_A] {
        fleet.assert_reverted(account);
    }
    // The management account's unrelated trail keeps its key.
    let unrelated = fleet.env.seeded.unrelated_trail_arn.clone().unwrap();
    assert!(fleet.env.trail_key(&unrelated).is_some());

    // One run per account, in its own folder, whose journal verifies; the run names its batch,
    // and a member's run the role it was reached through.
    let batch = fleet.batch();
    for account in [MGMT, MEMBER_A, MEMBER_B] {
        let runs = fleet.account_runs(account);
        assert_eq!(runs.len(), 1, "{account}: {runs:?}");
        let verification = runbook::journal::verify(&runs[0]).unwrap();
        assert!(
            verification.incomplete.is_empty(),
            "{account}: {:?}",
            verification.incomplete
        );
        let events = events(&runs[0]);
        let started = &events[0].data;
        assert_eq!(started["account"], account);
        assert_eq!(started["batch"], batch.batch_id());
        if account == MGMT {
            assert_eq!(started["credentials"], "environment");
        } else {
            assert_eq!(
                started["credentials"],
                format!("role arn:aws:iam::{account}:role/{ROLE} (assumed with environment)")
            );
        }
    }
    // No write in the account that was already reverted.
    let b_events = events(&fleet.account_runs(MEMBER_B)[0]);
    assert_eq!(calls(&b_events, WRITES), vec![]);
    // Member A's bucket was written in its own region.
    let a_events = events(&fleet.account_runs(MEMBER_A)[0]);
    assert_eq!(
        calls(&a_events, WRITES),
        vec![
            ("UpdateTrail".to_string(), HOME.to_string()),
            ("PutBucketEncryption".to_string(), "eu-west-1".to_string())
        ]
    );
    assert_eq!(
        outcomes(&batch),
        vec![
            (MGMT.to_string(), Outcome::Done),
            (MEMBER_A.to_string(), Outcome::Done),
            (MEMBER_B.to_string(), Outcome::Done),
        ]
    );
    assert_eq!(batch.started.caller_account, MGMT);
    // The summary names every account, its writes and its run.
    for account in [MGMT, MEMBER_A, MEMBER_B] {
        let line = run
            .stdout
            .lines()
            .find(|l| l.trim_start().starts_with(account))
            .unwrap_or_else(|| panic!("{account} in the summary:\n{}", run.stdout));
        assert!(line.contains(" done "), "{line}");
        let writes = if account == MEMBER_B { " 0 " } else { " 2 " };
        assert!(line.contains(writes), "{line}");
    }
    assert!(
        run.stdout.contains("3 of 3 accounts done, 4 writes made."),
        "{}",
        run.stdout
    );

    // `audit verify` reads a member's run in its account folder; `audit show BATCH_ID` the batch.
    let member_state = fleet.state().join("accounts").join(MEMBER_A);
    let run_id = fleet.account_runs(MEMBER_A)[0]
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    xtask_in(&member_state, &["audit", "verify", &run_id]).success();
    let shown = xtask_in(fleet.state(), &["audit", "show", batch.batch_id()]).success();
    for account in [MGMT, MEMBER_A, MEMBER_B] {
        assert!(shown.stdout.contains(account), "{}", shown.stdout);
    }
    let listed = xtask_in(fleet.state(), &["audit", "list"]).success();
    assert!(
        listed.stdout.contains(batch.batch_id()),
        "{}",
        listed.stdout
    );
}

#[test]
fn dry_run_and_status_batches_write_nothing() {
    let fleet = Fleet::new();
    for args in [&["run", "revert", "--dry-run"][..], &["run", "status"][..]] {
        let accounts = all_three();
        let mut args = args.to_vec();
        args.extend(["--accounts", &accounts]);
        fleet.env.xtask(&args).success();
    }
    fleet.assert_untouched(MGMT);
    fleet.assert_untouched(MEMBER_A);
    for account in [MGMT, MEMBER_A, MEMBER_B] {
        for run in fleet.account_runs(account) {
            assert_eq!(calls(&events(&run), WRITES), vec![], "{account}");
        }
    }
    // `status --check` over the batch exits 3 naming what is still SSE-KMS.
    let check = fleet
        .env
        .xtask(&["run", "status", "--check", "--accounts", &all_three()])
        .failure(3);
    assert!(check.stderr.contains(MEMBER_A), "{}", check.stderr);
}

/// Refuses the bucket write of member A (as an IAM policy would), once.
pub fn deny_member_a_bucket(seen: &Seen) -> bool {
    seen.line.starts_with("PUT ")
        && seen.line.contains(MEMBER_A)
        && seen.line.contains("encryption")
}

#[test]
fn a_failure_in_one_account_is_finished_by_resuming_the_batch() {
    let fleet = Fleet::new();
    let proxy = Proxy::start(fleet.env.moto.port());
    proxy.deny(Some(deny_member_a_bucket));
    let accounts = all_three();
    let failed = fleet
        .xtask_via(&proxy, &["run", "revert", "--yes", "--accounts", &accounts])
        .failure(1);
    assert!(
        failed.stderr.contains("s3:PutEncryptionConfiguration"),
        "{}",
        failed.stderr
    );
    let resume = failed.resume_command();
    assert!(resume.contains("resume batch-"), "{resume}");
    let batch = fleet.batch();
    assert_eq!(
        outcomes(&batch),
        vec![
            (MGMT.to_string(), Outcome::Done),
            (MEMBER_A.to_string(), Outcome::Failed),
            (MEMBER_B.to_string(), Outcome::Done),
        ]
    );
    fleet.assert_reverted(MGMT);
    let lines_before: Vec<usize> = [MGMT, MEMBER_B]
        .iter()
        .map(|a| events(&fleet.account_runs(a)[0]).len())
        .collect();

    // Allowed now: the batch resumes member A's run alone, and finishes.
    proxy.deny(None);
    fleet
        .xtask_via(&proxy, &["resume", batch.batch_id(), "--yes"])
        .success();
    fleet.assert_reverted(MEMBER_A);
    let batch = fleet.batch();
    assert!(outcomes(&batch).iter().all(|(_, o)| *o == Outcome::Done));
    let resumed: Vec<_> = batch
        .events
        .iter()
        .filter_map(|e| match e {
            BatchEvent::BatchResumed(r) => Some(r.accounts.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(resumed, vec![vec![MEMBER_A.to_string()]]);
    // Member A's one run was resumed (not a second run); the others were not touched.
    let a_runs = fleet.account_runs(MEMBER_A);
    assert_eq!(a_runs.len(), 1);
    let a_events = events(&a_runs[0]);
    assert!(a_events.iter().any(|e| e.event == "run_resumed"));
    assert_eq!(
        calls(&a_events, &["UpdateTrail"]).len(),
        1,
        "the trail write is not made again"
    );
    let lines_after: Vec<usize> = [MGMT, MEMBER_B]
        .iter()
        .map(|a| events(&fleet.account_runs(a)[0]).len())
        .collect();
    assert_eq!(lines_before, lines_after);
    // A finished batch has nothing to resume.
    let again = fleet
        .env
        .xtask(&["resume", batch.batch_id(), "--yes"])
        .failure(2);
    assert!(
        again.stderr.contains("nothing to resume"),
        "{}",
        again.stderr
    );
}

/// STS refuses AssumeRole into the two accounts 333… and 444… (no such role there).
fn deny_two_roles(seen: &Seen) -> bool {
    seen.body.contains("Action=AssumeRole")
        && (seen.body.contains("333333333333") || seen.body.contains("444444444444"))
}

#[test]
fn max_errors_stops_starting_new_accounts() {
    let fleet = Fleet::new();
    let proxy = Proxy::start(fleet.env.moto.port());
    proxy.deny(Some(deny_two_roles));
    let accounts = format!("333333333333,444444444444,{MEMBER_A}");
    let failed = fleet
        .xtask_via(
            &proxy,
            &[
                "run",
                "revert",
                "--yes",
                "--max-concurrent-accounts",
                "1",
                "--max-errors",
                "1",
                "--accounts",
                &accounts,
            ],
        )
        .failure(1);
    assert!(
        failed.stderr.contains("cannot reach account 333333333333: AssumeRole on arn:aws:iam::333333333333:role/OrganizationAccountAccessRole failed"),
        "{}",
        failed.stderr
    );
    assert!(
        failed.stderr.contains("iam-policy --member-role"),
        "{}",
        failed.stderr
    );
    assert_eq!(
        outcomes(&fleet.batch()),
        vec![
            ("333333333333".to_string(), Outcome::Unreachable),
            ("444444444444".to_string(), Outcome::NotStarted),
            (MEMBER_A.to_string(), Outcome::NotStarted),
        ]
    );
    fleet.assert_untouched(MEMBER_A);
    assert!(fleet.account_runs(MEMBER_A).is_empty());
    // Without --max-errors the others go on: the unreachable ones are reported, A is reverted.
    let partly = fleet
        .xtask_via(&proxy, &["run", "revert", "--yes", "--accounts", &accounts])
        .failure(1);
    assert!(partly.stdout.contains("unreachable"), "{}", partly.stdout);
    fleet.assert_reverted(MEMBER_A);
}

/// A batch resume that would ask the operator, without a terminal and without `--yes`, is
/// refused before any account is touched (exit 2, `no_terminal`), as a single run's is; one
/// whose accounts all recorded their confirmation needs no answer and goes on.
#[test]
fn a_batch_resume_nobody_can_confirm_is_refused_before_anything() {
    let fleet = Fleet::new();
    let proxy = Proxy::start(fleet.env.moto.port());
    proxy.deny(Some(deny_two_roles));
    let accounts = format!("333333333333,{MEMBER_A}");
    let args = [
        "run",
        "revert",
        "--yes",
        "--max-concurrent-accounts",
        "1",
        "--max-errors",
        "1",
        "--accounts",
        &accounts,
    ];
    fleet.xtask_via(&proxy, &args).failure(1);
    proxy.deny(None);
    let batch = fleet.batch();
    let id = batch.batch_id().to_string();
    let lines = batch.records.len();
    for only in [None, Some(MEMBER_A)] {
        let mut resume = vec!["resume", id.as_str(), "--output", "json"];
        resume.extend(only.map(|a| ["--accounts", a]).into_iter().flatten());
        let refused = fleet.xtask_via(&proxy, &resume).failure(2);
        let doc: serde_json::Value = serde_json::from_str(&refused.stdout).unwrap();
        assert_eq!(doc["error"]["code"], "no_terminal", "{doc:#}");
        assert_eq!(
            fleet.batch().records.len(),
            lines,
            "the batch journal is as it was"
        );
        assert!(fleet.account_runs(MEMBER_A).is_empty(), "no run started");
        fleet.assert_untouched(MEMBER_A);
    }
    // With `--yes`, member A is reverted; 333… stays unreachable.
    fleet
        .xtask_via(&proxy, &["resume", &id, "--yes"])
        .failure(1);
    fleet.assert_reverted(MEMBER_A);
}

#[test]
fn one_question_on_a_terminal_for_the_whole_batch() {
    let fleet = Fleet::new();
    // "n": nothing is written anywhere, exit 4.
    let no = fleet
        .env
        .xtask_on_terminal(&["run", "revert", "--accounts", &all_three()], "n\n");
    assert_eq!(no.code, 4, "{}\n{}", no.stdout, no.stderr);
    fleet.assert_untouched(MGMT);
    fleet.assert_untouched(MEMBER_A);
    // "y": one question, naming every account with a plan and the one with none.
    let yes = fleet
        .env
        .xtask_on_terminal(&["run", "revert", "--accounts", &all_three()], "y\n");
    assert_eq!(yes.code, 0, "{}\n{}", yes.stdout, yes.stderr);
    let text = format!("{}{}", yes.stdout, yes.stderr);
    assert_eq!(text.matches("[y/N]").count(), 1, "{text}");
    assert!(text.contains("Plan for 2 accounts (4 writes)"), "{text}");
    assert!(
        text.contains(&format!("{MEMBER_B}: nothing to change")),
        "{text}"
    );
    assert!(text.contains("aws:kms → AES256"), "{text}");
    fleet.assert_reverted(MGMT);
    fleet.assert_reverted(MEMBER_A);
    // Each run recorded the one answer as its own confirmation.
    for account in [MGMT, MEMBER_A] {
        let runs = fleet.account_runs(account);
        let confirmed = events(runs.last().unwrap())
            .into_iter()
            .find(|e| e.event == "operator_confirmation")
            .unwrap();
        assert_eq!(confirmed.data["via"], "prompt", "{account}");
    }
}

#[test]
fn bad_account_lists_are_refused_before_any_call() {
    let fleet = Fleet::new();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("accounts.txt");
    std::fs::write(&file, format!("# customers\n{MEMBER_A}\n12345 # short\n")).unwrap();
    let file_arg = file.display().to_string();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["--accounts", "12345"],
            "`12345` (--accounts) is not an AWS account id",
        ),
        (
            vec!["--accounts-file", &file_arg],
            "line 3) is not an AWS account id",
        ),
        (
            vec!["--accounts", MEMBER_A, "--exclude-account", MEMBER_A],
            "every account listed is excluded",
        ),
        (
            vec!["--accounts-file", "/nonexistent/accounts.txt"],
            "cannot be read",
        ),
        (
            vec!["--organization", "--accounts", MEMBER_A],
            "cannot be used with",
        ),
    ];
    for (args, expected) in cases {
        let mut all = vec!["run", "revert", "--yes"];
        all.extend(args);
        let refused = fleet.env.xtask(&all).failure(2);
        assert!(
            refused.stderr.contains(expected),
            "{all:?}: {}",
            refused.stderr
        );
    }
    // No terminal, no --yes: refused before anything.
    let refused = fleet
        .env
        .xtask(&["run", "revert", "--accounts", &all_three()])
        .failure(2);
    assert!(
        refused.stderr.contains("not a terminal"),
        "{}",
        refused.stderr
    );
    let unknown = fleet
        .env
        .xtask(&["resume", "batch-20260101T000000.000Z-abcd", "--yes"])
        .failure(2);
    assert!(unknown.stderr.contains("no batch"), "{}", unknown.stderr);
    assert!(batch_journal::batch_ids(fleet.state()).unwrap().is_empty());
    fleet.assert_untouched(MGMT);
    fleet.assert_untouched(MEMBER_A);
}

#[test]
fn the_organization_covers_the_management_account_and_every_member() {
    let env = Env::secure_account();
    // Organizations on moto: the caller's account becomes the management account, and two
    // member accounts are made (moto gives them their ids).
    let members = runtime()
        .block_on(testkit::seed::organization(&env.config(), &[false, false]))
        .expect("an organization on moto");
    assert_eq!(members.len(), 2, "{members:?}");
    let mut fleet = Fleet {
        env,
        members: Vec::new(),
    };
    for member in &members {
        fleet.add(
            member,
            Seed {
                unrelated_trail: false,
                config_channel: false,
                ..Seed::default()
            },
        );
    }
    // One member is left out by --exclude-account.
    let run = fleet
        .env
        .xtask(&[
            "run",
            "revert",
            "--yes",
            "--organization",
            "--exclude-account",
            &members[1],
        ])
        .success();
    fleet.assert_reverted(MGMT);
    fleet.assert_reverted(&members[0]);
    assert_eq!(
        bucket_algorithms_with(
            &fleet.config(&members[1]),
            &fleet.seeded(&members[1]).bucket,
            HOME
        ),
        vec!["aws:kms"],
        "the excluded member is untouched"
    );
    let batch = fleet.batch();
    let mut accounts = batch.started.accounts.clone();
    accounts.sort();
    let mut expected = vec![MGMT.to_string(), members[0].clone()];
    expected.sort();
    assert_eq!(accounts, expected, "{}", run.stdout);
    assert_eq!(batch.started.excluded, vec![members[1].clone()]);
    assert!(matches!(
        batch.started.selection,
        batch_journal::Selection::Organization
    ));
    // The ListAccounts call is in the batch journal.
    assert!(batch.events.iter().any(
        |e| matches!(e, BatchEvent::AwsCall(c) if c.operation == "ListAccounts" && c.outcome == "ok")
    ));
}

#[test]
fn the_batch_question_and_summary_in_japanese() {
    let fleet = Fleet::new();
    let no = fleet.env.xtask_on_terminal(
        &["run", "revert", "--lang", "ja", "--accounts", &all_three()],
        "n\n",
    );
    assert_eq!(no.code, 4, "{}\n{}", no.stdout, no.stderr);
    let text = format!("{}{}", no.stdout, no.stderr);
    for expected in [
        "2 アカウントの計画 (書き込み 4 件)",
        "ホームリージョン",
        "この計画に含まれないアカウント",
        "すべてのアカウントでオプトインは無効ですか",
        "確認されず",
    ] {
        assert!(text.contains(expected), "{expected}:\n{text}");
    }
    assert!(!text.contains("Plan for"), "{text}");
    fleet.assert_untouched(MGMT);
    fleet.assert_untouched(MEMBER_A);
}

/// Organizations' ListAccounts answered by the proxy with one account whose `Id` is a path.
fn list_accounts_with_a_path(seen: &Seen) -> Option<Vec<u8>> {
    seen.target
        .as_deref()
        .is_some_and(|t| t.ends_with(".ListAccounts"))
        .then(|| {
            crate::proxy::response(
                "200 OK",
                "application/x-amz-json-1.1",
                r#"{"Accounts":[{"Id":"../../escape/x","Arn":"arn:aws:organizations::123456789012:account/o-1/x","Email":"x@example.com","Name":"x","Status":"ACTIVE","State":"ACTIVE"}]}"#,
            )
        })
}

/// An account id is 12 digits wherever it comes from: a ListAccounts answer whose `Id` is a
/// path is refused (exit 2, `bad_account_id`) before anything is made, here or there.
#[test]
fn an_account_id_from_list_accounts_that_is_a_path_is_refused() {
    let fleet = Fleet::new();
    let proxy = Proxy::start(fleet.env.moto.port());
    proxy.answer(list_accounts_with_a_path);
    let refused = fleet
        .xtask_via(
            &proxy,
            &["run", "status", "--organization", "--output", "json"],
        )
        .failure(2);
    let doc: serde_json::Value = serde_json::from_str(&refused.stdout).unwrap();
    assert_eq!(doc["error"]["code"], "bad_account_id", "{doc:#}");
    assert!(
        doc["error"]["message"]
            .as_str()
            .unwrap()
            .contains("(Organizations ListAccounts) is not an AWS account id"),
        "{doc:#}"
    );
    // `<state>/accounts/../../escape/x`.
    let escape = fleet.state().parent().unwrap().join("escape");
    assert!(!escape.exists(), "{} was made", escape.display());
    assert!(!fleet.state().join("accounts").exists());
    assert!(batch_journal::batch_ids(fleet.state()).unwrap().is_empty());
}

/// Sets `bucket`'s default encryption back to aws:kms (the Saturday maintenance, say).
fn bucket_back_to_kms(config: &SdkConfig, bucket: &str, region: &str) {
    use aws_sdk_s3::types::{
        ServerSideEncryption, ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration,
        ServerSideEncryptionRule,
    };
    let conf = aws_sdk_s3::config::Builder::from(config)
        .region(aws_config::Region::new(region.to_string()))
        .force_path_style(true)
        .build();
    let rule = ServerSideEncryptionRule::builder()
        .apply_server_side_encryption_by_default(
            ServerSideEncryptionByDefault::builder()
                .sse_algorithm(ServerSideEncryption::AwsKms)
                .build()
                .unwrap(),
        )
        .build();
    let encryption = ServerSideEncryptionConfiguration::builder()
        .rules(rule)
        .build()
        .unwrap();
    runtime()
        .block_on(
            aws_sdk_s3::Client::from_conf(conf)
                .put_bucket_encryption()
                .bucket(bucket)
                .server_side_encryption_configuration(encryption)
                .send(),
        )
        .expect("moto takes the encryption");
}

/// `status --since` over a batch (issue 22, 12: it was silently ignored, and exited 0 for a run
/// id that does not exist): each account is compared with its own revert (`latest`, or its run
/// of a batch), a drift in one account exits 3 naming it, a run id in no account's folder is
/// refused (exit 2, `no_such_run`), and a flag a command cannot honour is refused, not dropped.
#[test]
fn status_since_compares_each_account_of_a_batch_with_its_own_revert() {
    let fleet = Fleet::new();
    let accounts = format!("{MGMT},{MEMBER_A}");
    fleet
        .env
        .xtask(&["run", "revert", "--yes", "--accounts", &accounts])
        .success();
    let reverted = fleet.batch().batch_id().to_string();
    for since in [reverted.as_str(), "latest"] {
        fleet
            .env
            .xtask(&["run", "status", "--since", since, "--accounts", &accounts])
            .success();
    }
    // Member A's bucket is aws:kms again: a drift, in A alone.
    bucket_back_to_kms(
        &fleet.config(MEMBER_A),
        &fleet.seeded(MEMBER_A).bucket,
        "eu-west-1",
    );
    for since in [reverted.as_str(), "latest"] {
        let drift = fleet
            .env
            .xtask(&["run", "status", "--since", since, "--accounts", &accounts])
            .failure(3);
        assert!(
            drift.stderr.contains(&format!("{MEMBER_A}: bucket")),
            "{}",
            drift.stderr
        );
        let error = drift
            .stderr
            .lines()
            .find(|l| l.contains("drift since run "))
            .unwrap_or_else(|| panic!("a drift error:\n{}", drift.stderr));
        assert!(!error.contains(MGMT), "{error}");
    }
    // A run id that is in no account's folder, and a batch that does not exist.
    for since in [
        "20990101T000000.000Z-dead",
        "batch-20990101T000000.000Z-dead",
    ] {
        let unknown = fleet.env.xtask(&[
            "run",
            "status",
            "--since",
            since,
            "--accounts",
            &accounts,
            "--output",
            "json",
        ]);
        assert_eq!(unknown.code, 2, "{since}: {}", unknown.stderr);
        let doc: serde_json::Value = serde_json::from_str(&unknown.stdout).unwrap();
        assert_eq!(doc["error"]["code"], "no_such_run", "{doc:#}");
    }
    // Flags a command cannot honour are refused, never dropped.
    let refused: [&[&str]; 4] = [
        &[
            "run",
            "revert",
            "--yes",
            "--since",
            "latest",
            "--accounts",
            &accounts,
        ],
        &["run", "status", "--exclude-account", MEMBER_A],
        &["run", "status", "--max-errors", "1"],
        &[
            "resume",
            "20990101T000000.000Z-dead",
            "--accounts",
            MEMBER_A,
        ],
    ];
    for args in refused {
        let mut args = args.to_vec();
        args.extend(["--output", "json"]);
        let run = fleet.env.xtask(&args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        assert_eq!(doc["error"]["code"], "usage", "{args:?}: {doc:#}");
    }
}

/// ListAccounts answered by the proxy: the management account ACTIVE, 333… SUSPENDED.
fn list_accounts_with_a_suspended_one(seen: &Seen) -> Option<Vec<u8>> {
    seen.target
        .as_deref()
        .is_some_and(|t| t.ends_with(".ListAccounts"))
        .then(|| {
            crate::proxy::response(
                "200 OK",
                "application/x-amz-json-1.1",
                r#"{"Accounts":[{"Id":"123456789012","Arn":"arn:aws:organizations::123456789012:account/o-1/123456789012","Email":"m@example.com","Name":"m","Status":"ACTIVE","State":"ACTIVE"},{"Id":"333333333333","Arn":"arn:aws:organizations::123456789012:account/o-1/333333333333","Email":"s@example.com","Name":"s","Status":"SUSPENDED","State":"SUSPENDED"}]}"#,
            )
        })
}

/// Issue 22, 21: `--organization` skipped a SUSPENDED account without a trace. It is recorded in
/// `batch_started` with its state, and shown in the summary and in `--output json`.
#[test]
fn an_account_the_organization_lists_as_suspended_is_skipped_with_a_trace() {
    let fleet = Fleet::new();
    let proxy = Proxy::start(fleet.env.moto.port());
    proxy.answer(list_accounts_with_a_suspended_one);
    let run = fleet
        .xtask_via(&proxy, &["run", "status", "--organization"])
        .success();
    assert!(
        run.stdout.contains(
            "333333333333: skipped: the organization lists it as SUSPENDED (only ACTIVE accounts are run)"
        ),
        "{}",
        run.stdout
    );
    let batch = fleet.batch();
    assert_eq!(batch.started.accounts, vec![MGMT]);
    assert_eq!(batch.started.skipped.len(), 1, "{:?}", batch.started);
    assert_eq!(batch.started.skipped[0].account, "333333333333");
    assert_eq!(batch.started.skipped[0].state, "SUSPENDED");
    let shown = xtask_in(
        fleet.state(),
        &["audit", "show", batch.batch_id(), "--output", "json"],
    )
    .success();
    let doc: serde_json::Value = serde_json::from_str(&shown.stdout).unwrap();
    assert_eq!(doc["skipped"][0]["account"], "333333333333", "{doc:#}");
    assert_eq!(doc["skipped"][0]["state"], "SUSPENDED", "{doc:#}");
}

/// Issue 22, 21: `--organization` from an account in no organization came out as a raw
/// `aws_error`. It is refused as bad input (exit 2) with its own code and what to do instead.
#[test]
fn organization_without_an_organization_says_so() {
    let fleet = Fleet::new();
    let proxy = Proxy::start(fleet.env.moto.port());
    // What Organizations answers an account in no organization (moto lists no account instead).
    proxy.answer(|seen: &Seen| {
        seen.target
            .as_deref()
            .is_some_and(|t| t.ends_with(".ListAccounts"))
            .then(|| {
                crate::proxy::response(
                    "400 Bad Request",
                    "application/x-amz-json-1.1",
                    r#"{"__type":"AWSOrganizationsNotInUseException","Message":"Your account is not a member of an organization."}"#,
                )
            })
    });
    let run = fleet
        .xtask_via(
            &proxy,
            &["run", "status", "--organization", "--output", "json"],
        )
        .failure(2);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc["error"]["code"], "organizations_not_in_use", "{doc:#}");
    assert!(
        doc["error"]["message"]
            .as_str()
            .unwrap()
            .contains("--accounts or --accounts-file"),
        "{doc:#}"
    );
    assert!(batch_journal::batch_ids(fleet.state()).unwrap().is_empty());
}

/// STS throttles AssumeRole into member A (every attempt: the SDK's retries too).
fn throttle_member_a_role(seen: &Seen) -> Option<Vec<u8>> {
    (seen.body.contains("Action=AssumeRole") && seen.body.contains(MEMBER_A)).then(|| {
        crate::proxy::response(
            "400 Bad Request",
            "text/xml",
            "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error>\
             <Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error>\
             <RequestId>proxy-throttled</RequestId></ErrorResponse>",
        )
    })
}

/// Issue 22, 14: a throttled AssumeRole was told "the role must exist … a suspended or closed
/// account cannot be reached", with the SDK's `Debug` dump of the error. It says it was
/// throttled (code and message only), and the account is for a resume (`failed`), which
/// reaches it once STS lets it through. A refused AssumeRole shows code and message only too.
#[test]
fn a_throttled_assume_role_says_so_and_is_resumable() {
    let fleet = Fleet::new();
    let proxy = Proxy::start(fleet.env.moto.port());
    proxy.answer(throttle_member_a_role);
    let accounts = format!("{MGMT},{MEMBER_A}");
    let failed = fleet
        .xtask_via(&proxy, &["run", "status", "--accounts", &accounts])
        .failure(1);
    let text = format!("{}{}", failed.stdout, failed.stderr);
    assert!(
        text.contains("was throttled by STS (Throttling: Rate exceeded)"),
        "{text}"
    );
    assert!(!text.contains("suspended or closed"), "{text}");
    assert_no_debug_dump(&text);
    assert_eq!(
        outcomes(&fleet.batch()),
        vec![
            (MGMT.to_string(), Outcome::Done),
            (MEMBER_A.to_string(), Outcome::Failed),
        ]
    );
    proxy.stop_answering();
    let resume = failed.resume_command();
    assert!(resume.contains("resume batch-"), "{resume}");
    fleet
        .xtask_via(&proxy, &["resume", fleet.batch().batch_id()])
        .success();

    // Refused (the role does not trust the caller): code and message, no dump.
    proxy.deny(Some(|seen| seen.body.contains("Action=AssumeRole")));
    let refused = fleet
        .xtask_via(&proxy, &["run", "status", "--accounts", "333333333333"])
        .failure(1);
    assert!(
        refused
            .stderr
            .contains("failed: AccessDenied: Access Denied"),
        "{}",
        refused.stderr
    );
    assert_no_debug_dump(&refused.stderr);
}

/// A revert batch keeps every waiting account's journal and lock open until the one question is
/// answered: two files an account. Under a low soft limit of open files (1024 is common; here
/// 48), a batch of 30 accounts would run out (EMFILE) and fail accounts half-way. The tool raises
/// its soft limit to the hard limit at start, as `ulimit -n` could without privileges.
#[test]
fn a_low_open_files_limit_does_not_fail_a_large_batch() {
    let mut fleet = Fleet::new();
    let members: Vec<String> = (1..=30)
        .map(|i| format!("{:012}", 300_000_000_000u64 + i))
        .collect();
    for account in &members {
        fleet.add(
            account,
            Seed {
                unrelated_trail: false,
                config_channel: false,
                ..Seed::default()
            },
        );
    }
    let accounts = members.join(",");
    let mut cmd = std::process::Command::new("sh");
    cmd.arg("-c")
        .arg("ulimit -S -n 48 && exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_xtask"))
        .args(["run", "revert", "--yes", "--accounts", &accounts])
        .args(["--endpoint-url", &fleet.env.moto.endpoint()]);
    let xtask = xtask_command(fleet.state());
    for (name, value) in xtask.get_envs() {
        match value {
            Some(value) => cmd.env(name, value),
            None => cmd.env_remove(name),
        };
    }
    cmd.env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .stdin(std::process::Stdio::null());
    let run = Run::of(cmd);
    assert_eq!(
        run.code, 0,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    assert!(outcomes(&fleet.batch())
        .iter()
        .all(|(_, o)| *o == Outcome::Done));
    fleet.assert_reverted(&members[29]);
}
