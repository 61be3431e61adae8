//! Undo a revert, and the weekly re-check, against moto: end states read through the SDK,
//! writes counted in the journals.

use runbook::model::EncryptionRule;

use crate::support::*;

fn kms(env: &Env) -> aws_sdk_kms::Client {
    aws_sdk_kms::Client::from_conf(aws_sdk_kms::config::Builder::from(&env.config()).build())
}

fn s3(env: &Env) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&env.config())
            .force_path_style(true)
            .build(),
    )
}

/// The bucket's whole default-encryption configuration, as this tool models it.
fn bucket_rules(env: &Env) -> Vec<EncryptionRule> {
    let out = runtime()
        .block_on(
            s3(env)
                .get_bucket_encryption()
                .bucket(&env.seeded.bucket)
                .send(),
        )
        .expect("the bucket has a configuration");
    out.server_side_encryption_configuration()
        .unwrap()
        .rules()
        .iter()
        .map(EncryptionRule::from_sdk)
        .collect()
}

/// What the maintenance does: the trail and the bucket back to SSE-KMS with the key.
fn re_encrypt(env: &Env) {
    use aws_sdk_s3::types::{
        ServerSideEncryption, ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration,
        ServerSideEncryptionRule,
    };
    runtime()
        .block_on(
            cloudtrail(env, HOME)
                .update_trail()
                .name(&env.seeded.trail_arn)
                .kms_key_id(&env.seeded.key_arn)
                .send(),
        )
        .unwrap();
    let rule = ServerSideEncryptionRule::builder()
        .apply_server_side_encryption_by_default(
            ServerSideEncryptionByDefault::builder()
                .sse_algorithm(ServerSideEncryption::AwsKms)
                .kms_master_key_id(&env.seeded.key_arn)
                .build()
                .unwrap(),
        )
        .build();
    runtime()
        .block_on(
            s3(env)
                .put_bucket_encryption()
                .bucket(&env.seeded.bucket)
                .server_side_encryption_configuration(
                    ServerSideEncryptionConfiguration::builder()
                        .rules(rule)
                        .build()
                        .unwrap(),
                )
                .send(),
        )
        .unwrap();
}

#[test]
fn undo_puts_back_exactly_what_the_revert_changed_and_a_second_undo_writes_nothing() {
    let env = Env::secure_account();
    let original_rules = bucket_rules(&env);
    assert!(original_rules[0].is_kms());
    let revert = env.xtask(&["run", "revert", "--yes"]).success();
    env.assert_reverted();
    let revert_id = revert.run_id();

    let undo = env.xtask(&["undo", &revert_id, "--yes"]).success();
    assert_eq!(
        env.trail_key(&env.seeded.trail_arn).as_deref(),
        Some(env.seeded.key_arn.as_str()),
        "the trail has its key again"
    );
    assert_eq!(
        bucket_rules(&env),
        original_rules,
        "the bucket has its rules again, exactly"
    );
    assert!(undo.stdout.contains("Done:"), "{}", undo.stdout);
    let dirs = run_dirs(env.state.path());
    let undo_events = events(&dirs[1]);
    assert_eq!(undo_events[0].data["runbook"], "restore");
    assert_eq!(undo_events[0].data["args"]["undoes"], revert_id.as_str());
    assert_eq!(
        calls(&undo_events, WRITES),
        vec![
            ("UpdateTrail".to_string(), HOME.to_string()),
            ("PutBucketEncryption".to_string(), HOME.to_string())
        ]
    );
    // The unrelated trail was never touched.
    assert_eq!(
        env.trail_key(env.seeded.unrelated_trail_arn.as_deref().unwrap()),
        env.seeded.unrelated_key_arn
    );

    let again = env.xtask(&["undo", &revert_id, "--yes"]).success();
    assert!(
        again.stdout.contains("Nothing to put back"),
        "{}",
        again.stdout
    );
    assert_eq!(
        calls(&events(&run_dirs(env.state.path())[2]), WRITES),
        vec![]
    );
}

#[test]
fn undo_refuses_a_key_scheduled_for_deletion_and_writes_nothing() {
    let env = Env::secure_account();
    let revert_id = env.xtask(&["run", "revert", "--yes"]).success().run_id();
    let key_id = env.seeded.key_arn.rsplit('/').next().unwrap().to_string();
    runtime()
        .block_on(
            kms(&env)
                .schedule_key_deletion()
                .key_id(&key_id)
                .pending_window_in_days(7)
                .send(),
        )
        .unwrap();
    let undo = env.xtask(&["undo", &revert_id, "--yes"]).failure(2);
    assert!(
        undo.stderr.contains("is scheduled for deletion")
            && undo.stderr.contains("cancel-key-deletion"),
        "{}",
        undo.stderr
    );
    assert!(!undo.stderr.contains("resume"), "final: {}", undo.stderr);
    env.assert_reverted();
    assert_eq!(
        calls(&events(&run_dirs(env.state.path())[1]), WRITES),
        vec![]
    );
}

#[test]
fn undo_leaves_what_changed_since_unless_forced() {
    let env = Env::secure_account();
    let revert_id = env.xtask(&["run", "revert", "--yes"]).success().run_id();
    // Someone gave the trail another key since.
    let other_key = runtime()
        .block_on(kms(&env).create_key().send())
        .unwrap()
        .key_metadata()
        .unwrap()
        .arn()
        .unwrap()
        .to_string();
    runtime()
        .block_on(
            cloudtrail(&env, HOME)
                .update_trail()
                .name(&env.seeded.trail_arn)
                .kms_key_id(&other_key)
                .send(),
        )
        .unwrap();
    let undo = env.xtask(&["undo", &revert_id, "--yes"]).failure(5);
    assert!(
        undo.stdout.contains("changed since the revert") && undo.stdout.contains("--force"),
        "{}",
        undo.stdout
    );
    assert!(
        undo.stdout.contains(&format!(
            "Partly undone. Put back: bucket {}. NOT put back: trail {} (changed since the revert, left alone; --force puts it back).",
            env.seeded.bucket, env.seeded.trail_arn
        )) && !undo.stdout.contains("Done:"),
        "{}",
        undo.stdout
    );
    assert!(
        !undo.stderr.contains("Continue it with"),
        "nothing to resume: {}",
        undo.stderr
    );
    assert_eq!(
        env.trail_key(&env.seeded.trail_arn).as_deref(),
        Some(other_key.as_str()),
        "left alone"
    );
    assert!(
        bucket_rules(&env)[0].is_kms(),
        "the bucket, still as the revert left it, is put back"
    );

    env.xtask(&["undo", &revert_id, "--yes", "--force"])
        .success();
    assert_eq!(
        env.trail_key(&env.seeded.trail_arn).as_deref(),
        Some(env.seeded.key_arn.as_str()),
        "--force puts it back anyway"
    );
}

#[test]
fn the_recheck_sees_what_the_maintenance_re_applied() {
    let env = Env::secure_account();
    let revert_id = env.xtask(&["run", "revert", "--yes"]).success().run_id();
    env.xtask(&["run", "status", "--check"]).success();
    env.xtask(&["run", "status", "--since", &revert_id])
        .success();

    re_encrypt(&env);
    let check = env.xtask(&["run", "status", "--check"]).failure(3);
    assert!(
        check
            .stderr
            .contains(&format!("trail {} uses KMS key", env.seeded.trail_arn))
            && check
                .stderr
                .contains(&format!("bucket {} is aws:kms", env.seeded.bucket)),
        "{}",
        check.stderr
    );
    assert!(
        check.stdout.contains("ap-northeast-1: enabled"),
        "{}",
        check.stdout
    );
    let since = env
        .xtask(&["run", "status", "--since", &revert_id])
        .failure(3);
    assert!(
        since
            .stderr
            .contains("trail Members: SSE-KMS again with key")
            && since
                .stderr
                .contains(&format!("bucket {}: aws:kms again", env.seeded.bucket))
            && since.stderr.contains("opt-in off"),
        "{}",
        since.stderr
    );
    let japanese = env
        .xtask(&["run", "status", "--check", "--lang", "ja"])
        .failure(3);
    assert!(
        japanese.stdout.contains("ap-northeast-1: 有効"),
        "{}",
        japanese.stdout
    );
    let json = env
        .xtask(&["run", "status", "--check", "--output", "json"])
        .failure(3);
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).expect("one JSON document");
    assert_eq!(doc["report"]["runbook"], "status");

    // A re-check is never a write, and only `status` re-checks.
    let wrong = env.xtask(&["run", "revert", "--check", "--yes"]).failure(2);
    assert!(
        wrong.stderr.contains("go with `run status`"),
        "{}",
        wrong.stderr
    );
}

/// The re-check replayed offline: the recorded `secure-account` answers are the state the
/// Saturday maintenance re-applies. `--check` names what is SSE-KMS; `--since` a revert
/// (replayed from the same recording) names each drift from the end state it reached.
#[test]
fn drift_is_reported_from_recorded_traffic() {
    let state = tempfile::tempdir().unwrap();
    let replay = |args: &[&str]| {
        let mut cmd = xtask_command(state.path());
        cmd.args(args)
            .args(["--replay", "secure-account", "--concurrency", "1"]);
        Run::of(cmd)
    };
    let revert_id = replay(&["run", "revert", "--yes"]).success().run_id();
    let check = replay(&["run", "status", "--check"]).failure(3);
    let since = replay(&["run", "status", "--since", &revert_id]).failure(3);
    let show = |run: &Run| {
        format!(
            "exit {}\n--- stderr (last line)\n{}\n",
            run.code,
            run.stderr.lines().last().unwrap_or_default()
        )
    };
    insta_settings().bind(|| {
        insta::assert_snapshot!("drift-check", show(&check));
        insta::assert_snapshot!("drift-since", show(&since));
    });
}
