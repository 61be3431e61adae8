//! The CLI against a real moto_server: end states are checked through the SDK, writes through
//! the audit log.

use runbook::testkit::{BucketSeed, Seed};

use crate::support::*;

#[test]
fn revert_reaches_the_end_state_with_one_write_each() {
    let env = Env::secure_account();
    let run = env.xtask(&["run", "revert", "--yes"]).success();

    env.assert_reverted();
    let unrelated = env.seeded.unrelated_trail_arn.as_deref().unwrap();
    assert_eq!(
        env.trail_key(unrelated),
        env.seeded.unrelated_key_arn,
        "the unrelated trail keeps its key"
    );

    let dirs = run_dirs(env.state.path());
    assert_eq!(dirs.len(), 1);
    let events = events(&dirs[0]);
    assert_eq!(
        calls(&events, WRITES),
        vec![
            ("UpdateTrail".to_string(), HOME.to_string()),
            ("PutBucketEncryption".to_string(), HOME.to_string())
        ]
    );
    // Every region was checked before and after.
    let described = calls(&events, &["DescribeTrails"]).len();
    assert_eq!(
        described,
        2 * 20 + 1,
        "moto's 20 enabled regions of the aws partition before, 20 after, one re-read before the write"
    );
    assert!(
        run.stdout.contains("ap-northeast-1: enabled"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("SSE-S3 is enabled"));
    assert!(run.stdout.contains("Done:"));
}

#[test]
fn a_second_revert_writes_nothing() {
    let env = Env::secure_account();
    env.xtask(&["run", "revert", "--yes"]).success();
    let second = env.xtask(&["run", "revert", "--yes"]).success();
    let dirs = run_dirs(env.state.path());
    assert_eq!(dirs.len(), 2);
    assert_eq!(calls(&events(&dirs[1]), WRITES), vec![]);
    assert!(
        second.stdout.contains("Nothing to change"),
        "{}",
        second.stdout
    );
}

#[test]
fn dry_run_and_status_write_nothing() {
    let env = Env::secure_account();
    let status = env.xtask(&["run", "status"]).success();
    assert!(
        status.stdout.contains("A revert would make (2)"),
        "{}",
        status.stdout
    );
    let dry = env.xtask(&["run", "revert", "--dry-run"]).success();
    assert!(
        dry.stdout
            .contains("cloudtrail:UpdateTrail in ap-northeast-1"),
        "{}",
        dry.stdout
    );
    assert!(dry.stdout.contains(
        r#"s3:PutBucketEncryption in ap-northeast-1 {"Bucket":"cm-members-cloudtrail-123456789012""#
    ));
    assert!(dry.stdout.contains("Dry run: no write was made."));

    env.assert_untouched();
    for dir in run_dirs(env.state.path()) {
        let events = events(&dir);
        assert_eq!(calls(&events, WRITES), vec![]);
        assert!(!events
            .iter()
            .any(|e| e.event == "write_intent" || e.event == "operator_confirmation"));
    }
}

#[test]
fn excluding_the_home_region_changes_no_trail() {
    let env = Env::secure_account();
    let run = env
        .xtask(&["run", "revert", "--yes", "--exclude-region", HOME])
        .success();
    env.assert_untouched();
    assert!(
        run.stdout.contains("ap-northeast-1: excluded"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("home region ap-northeast-1 is excluded"),
        "{}",
        run.stdout
    );
    let dirs = run_dirs(env.state.path());
    assert_eq!(calls(&events(&dirs[0]), WRITES), vec![]);
    assert!(
        !calls(&events(&dirs[0]), &["DescribeTrails"])
            .iter()
            .any(|(_, r)| r == HOME),
        "the excluded region is not scanned"
    );
}

/// On a terminal the operator sees the plan and the opt-in question; `n` changes nothing (exit 4),
/// `y` reverts. (`script` gives the process a real pseudo-terminal; both streams arrive on it.)
#[test]
fn the_operator_is_asked_on_a_terminal() {
    let env = Env::secure_account();
    let no = env.xtask_on_terminal(&["run", "revert"], "n\n");
    assert_eq!(no.code, 4, "{}", no.stdout);
    assert!(
        no.stdout.contains("Will change (2), before → after:"),
        "{}",
        no.stdout
    );
    // Each write in words, before → after, before the question.
    let trail = no
        .stdout
        .find("1. trail Members (home ap-northeast-1): SSE-KMS key arn:aws:kms:");
    let bucket = no.stdout.find("2. bucket cm-members-cloudtrail-");
    let question = no.stdout.find("Is the opt-in off");
    assert!(trail.is_some() && bucket.is_some(), "{}", no.stdout);
    assert!(trail < question && bucket < question, "{}", no.stdout);
    assert!(no.stdout.contains(" → none\r\n") || no.stdout.contains(" → none\n"));
    assert!(no.stdout.contains(") → AES256"), "{}", no.stdout);
    assert!(no
        .stdout
        .contains("Is the opt-in off, and should these writes be made? [y/N]"));
    assert!(no
        .stdout
        .contains("the operator did not confirm; nothing was changed"));
    env.assert_untouched();

    let ja = env.xtask_on_terminal(&["run", "revert", "--lang", "ja"], "n\n");
    assert_eq!(ja.code, 4, "{}", ja.stdout);
    assert!(
        ja.stdout.contains("変更するもの (2 件、変更前 → 変更後):"),
        "{}",
        ja.stdout
    );
    assert!(ja
        .stdout
        .contains("1. 証跡 Members (ホームリージョン ap-northeast-1): SSE-KMS キー arn:aws:kms:"));
    assert!(ja.stdout.contains("オプトインは無効ですか。"));
    env.assert_untouched();

    let yes = env.xtask_on_terminal(&["run", "revert"], "y\n");
    assert_eq!(yes.code, 0, "{}", yes.stdout);
    env.assert_reverted();
    let events = events(&run_dirs(env.state.path())[2]);
    let confirmation = events
        .iter()
        .find(|e| e.event == "operator_confirmation")
        .unwrap();
    assert_eq!(confirmation.data["via"], "prompt");
}

/// On a terminal, SSE-KMS and enabled in red, disabled and SSE-S3 in green; none with NO_COLOR,
/// nor with `--color never`.
#[test]
fn colour_on_a_terminal_unless_no_color() {
    let env = Env::secure_account();
    let status = ["run", "status", "--regions", "ap-northeast-1,us-east-1"];
    let colour = [("NO_COLOR", None), ("TERM", Some("xterm-256color"))];
    let red = "\u{1b}[31m";
    let on_terminal = env.xtask_on_terminal_with(&status, "", &colour);
    assert_eq!(on_terminal.code, 0, "{}", on_terminal.stdout);
    assert!(
        on_terminal.stdout.contains(&format!("{red}enabled")),
        "{}",
        on_terminal.stdout
    );
    assert!(on_terminal
        .stdout
        .contains(&format!("{red}SSE-KMS is enabled")));

    let never = [&status[..], &["--color", "never"]].concat();
    let plain = env.xtask_on_terminal_with(&never, "", &colour);
    assert_eq!(plain.code, 0, "{}", plain.stdout);
    assert!(!plain.stdout.contains("\u{1b}[3"), "{}", plain.stdout);

    let no_color = [("NO_COLOR", Some("1")), ("TERM", Some("xterm-256color"))];
    let plain = env.xtask_on_terminal_with(&status, "", &no_color);
    assert_eq!(plain.code, 0, "{}", plain.stdout);
    assert!(plain.stdout.contains("ap-northeast-1: enabled"));
    assert!(!plain.stdout.contains("\u{1b}[3"), "{}", plain.stdout);
}

#[test]
fn half_done_account_gets_only_the_bucket_write() {
    let env = Env::new(Seed {
        trail_encrypted: false,
        ..Seed::default()
    });
    env.xtask(&["run", "revert", "--yes"]).success();
    let dirs = run_dirs(env.state.path());
    assert_eq!(
        calls(&events(&dirs[0]), WRITES),
        vec![("PutBucketEncryption".to_string(), HOME.to_string())]
    );
    assert_eq!(
        env.bucket_algorithms(&env.seeded.bucket, HOME),
        vec!["AES256"]
    );
}

#[test]
fn japanese_output_matches_the_article_line_by_line() {
    let env = Env::new(Seed {
        bucket: BucketSeed::Kms,
        ..Seed::default()
    });
    let run = env
        .xtask(&[
            "run",
            "status",
            "--lang",
            "ja",
            "--regions",
            "ap-northeast-1,us-east-1",
        ])
        .success();
    let lines: Vec<&str> = run.stdout.lines().collect();
    // `status` shows the state now, not "before" anything.
    assert!(lines.contains(&"証跡 `Members` のログファイルの SSE-KMS 暗号化 (現在の状態):"));
    assert!(lines.contains(&"ap-northeast-1: 有効"), "{}", run.stdout);
    assert!(lines.contains(&"us-east-1: 有効"));
    assert!(lines.contains(&"eu-west-1: 対象外"));
    assert!(lines.contains(&"SSE-KMS is enabled"));
    env.xtask(&["run", "revert", "--yes"]).success();
    let after = env.xtask(&["run", "status", "--lang", "ja"]).success();
    let lines: Vec<&str> = after.stdout.lines().collect();
    assert!(lines.contains(&"ap-northeast-1: 無効"), "{}", after.stdout);
    assert!(lines.contains(&"SSE-S3 is enabled"));
}

#[test]
fn json_output_is_one_document() {
    let env = Env::secure_account();
    let run = env.xtask(&["run", "status", "--output", "json"]).success();
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).expect("stdout is JSON");
    assert_eq!(
        doc["report"]["status"]["targets"][0]["trail"]["name"],
        "Members"
    );
    assert_eq!(
        doc["report"]["plan"]["buckets"][0]["current"]["rules"][0]["sse_algorithm"],
        "aws:kms"
    );
}

mod bad_input {
    use super::*;

    #[test]
    fn unknown_region() {
        let env = Env::secure_account();
        let run = env
            .xtask(&[
                "run",
                "revert",
                "--yes",
                "--regions",
                "ap-northeast-1,mars-north-1",
            ])
            .failure(2);
        assert!(
            run.stderr
                .contains("region `mars-north-1` given in --regions is not enabled"),
            "{}",
            run.stderr
        );
        env.assert_untouched();
    }

    /// moto lists ap-east-1 as `not-opted-in` and cn-north-1 in another partition: neither is
    /// a region this account can scan, so naming one is bad input, said before any write.
    #[test]
    fn a_region_the_account_cannot_call_is_refused() {
        let env = Env::secure_account();
        for (flag, region) in [
            ("--regions", "ap-east-1"),
            ("--exclude-region", "cn-north-1"),
        ] {
            let run = env
                .xtask(&["run", "revert", "--yes", flag, region])
                .failure(2);
            assert!(
                run.stderr.contains(&format!(
                    "region `{region}` given in {flag} is not enabled for this account; the 20 enabled regions are:"
                )),
                "{}",
                run.stderr
            );
        }
        env.assert_untouched();
    }

    #[test]
    fn trail_not_found_names_the_regions_searched() {
        let env = Env::secure_account();
        let run = env
            .xtask(&[
                "run",
                "revert",
                "--yes",
                "--trail",
                "Nope",
                "--regions",
                "eu-west-1,us-east-1",
            ])
            .failure(2);
        assert!(
            run.stderr.contains(
                "trail `Nope` not found in 2 regions (eu-west-1, us-east-1); check --trail"
            ),
            "{}",
            run.stderr
        );
    }

    #[test]
    fn no_credentials() {
        let state = tempfile::tempdir().unwrap();
        let mut cmd = xtask_command(state.path());
        cmd.args(["run", "status", "--endpoint-url", "http://127.0.0.1:9"]);
        let run = Run::of(cmd).failure(2);
        assert!(
            run.stderr.contains("no AWS credentials could be resolved"),
            "{}",
            run.stderr
        );
        assert!(run.stderr.contains("aws configure"));
    }

    #[test]
    fn endpoint_that_does_not_answer() {
        let state = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut cmd = xtask_command(state.path());
        cmd.args([
            "run",
            "status",
            "--endpoint-url",
            &format!("http://127.0.0.1:{port}"),
        ])
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing");
        let run = Run::of(cmd).failure(1);
        assert!(
            run.stderr
                .contains("cannot reach AWS (sts GetCallerIdentity in ap-northeast-1)"),
            "{}",
            run.stderr
        );
        assert!(run.stderr.contains("--endpoint-url"));
    }

    #[test]
    fn no_terminal_and_no_yes_refuses_before_any_call() {
        let env = Env::secure_account();
        let run = env.xtask(&["run", "revert"]).failure(2);
        assert!(
            run.stderr.contains("standard input is not a terminal"),
            "{}",
            run.stderr
        );
        assert!(
            run_dirs(env.state.path()).is_empty(),
            "no run was even started"
        );
        env.assert_untouched();
    }

    #[test]
    fn bad_flag_values_are_usage_errors() {
        let env = Env::secure_account();
        let run = env.xtask(&["run", "revert", "--output", "yaml"]).failure(2);
        assert!(
            run.stderr.contains("invalid value 'yaml'"),
            "{}",
            run.stderr
        );
    }

    #[test]
    fn an_endpoint_that_is_not_a_url_is_refused_before_any_call() {
        let state = tempfile::tempdir().unwrap();
        // From the flag, and from the environment variable the flag falls back to.
        let mut from_flag = xtask_command(state.path());
        from_flag.args(["run", "status", "--endpoint-url", "notaurl"]);
        let mut from_env = xtask_command(state.path());
        from_env
            .args(["run", "status"])
            .env("AWS_ENDPOINT_URL", "notaurl");
        for cmd in [from_flag, from_env] {
            let run = Run::of(cmd).failure(2);
            assert!(
                run.stderr.contains("'notaurl'") && run.stderr.contains("not a URL"),
                "{}",
                run.stderr
            );
        }
        assert!(run_dirs(state.path()).is_empty());
    }

    #[test]
    fn an_os_error_is_said_once() {
        // A state directory that is a file: creating it fails with EEXIST.
        let base = tempfile::tempdir().unwrap();
        let not_a_dir = base.path().join("runs");
        std::fs::write(&not_a_dir, "").unwrap();
        let mut cmd = xtask_command(&not_a_dir);
        cmd.args(["run", "revert", "--yes", "--replay", "secure-account"]);
        let run = Run::of(cmd).failure(2);
        assert!(
            run.stderr.contains(&format!(
                "refusing to use {}: it is not a folder",
                not_a_dir.display()
            )),
            "names the path and the problem: {}",
            run.stderr
        );
        // A plain OS error is said once too, and a state directory that cannot be made is
        // bad input, said before anything else.
        let mut cmd = xtask_command(&not_a_dir.join("below"));
        cmd.args(["run", "revert", "--yes", "--replay", "secure-account"]);
        let run = Run::of(cmd).failure(2);
        assert_eq!(
            run.stderr.matches("(os error 20)").count(),
            1,
            "{}",
            run.stderr
        );
        assert!(
            run.stderr.starts_with(&format!(
                "error: the state directory {} cannot be created",
                not_a_dir.join("below").display()
            )),
            "{}",
            run.stderr
        );
    }
}

/// The IAM policy in the README is `cargo xtask iam-policy`'s output, which grants every action
/// of the operation table; naming the trail and bucket narrows it to them.
#[test]
fn the_readme_policy_is_the_generated_one() {
    let state = tempfile::tempdir().unwrap();
    let mut cmd = xtask_command(state.path());
    cmd.args(["iam-policy"]);
    let generated = Run::of(cmd).success().stdout;
    let readme = include_str!("../../README.md");
    let after = &readme[readme
        .find("The caller needs this policy")
        .expect("README introduces the policy")..];
    let block = after
        .split("```json\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("a json block follows");
    assert_eq!(
        block.trim(),
        generated.trim(),
        "README.md's policy is not `cargo xtask iam-policy`'s output: paste it in"
    );
    for op in runbook::aws::ALL_OPS {
        assert!(
            generated.contains(&format!("\"{}\"", op.action)),
            "the policy lacks {}",
            op.action
        );
    }

    // The member role's trust policy in the README is `iam-policy --member-role`'s.
    let mut member = xtask_command(state.path());
    member.args([
        "iam-policy",
        "--member-role",
        "--trusted",
        "arn:aws:iam::123456789012:role/Operator",
        "--external-id",
        "EXAMPLE-ID",
    ]);
    let member: serde_json::Value =
        serde_json::from_str(&Run::of(member).success().stdout).unwrap();
    let trust_block = readme[readme
        .find("The member role's trust\npolicy")
        .expect("README shows the member role's trust policy")..]
        .split("```json\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("a json block follows");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(trust_block).unwrap(),
        member["TrustPolicy"],
        "README.md's member trust policy is not `iam-policy --member-role`'s"
    );
    assert_eq!(
        member["PermissionsPolicy"].to_string(),
        serde_json::from_str::<serde_json::Value>(&generated)
            .unwrap()
            .to_string()
    );

    let mut narrowed = xtask_command(state.path());
    narrowed.args([
        "iam-policy",
        "--trail-arn",
        "arn:aws:cloudtrail:ap-northeast-1:123456789012:trail/Members",
        "--bucket",
        "cm-members-cloudtrail-123456789012",
    ]);
    let narrowed = Run::of(narrowed).success().stdout;
    let doc: serde_json::Value = serde_json::from_str(&narrowed).unwrap();
    let resources: Vec<&str> = doc["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["Resource"].as_str().unwrap())
        .collect();
    assert!(resources.contains(&"arn:aws:cloudtrail:ap-northeast-1:123456789012:trail/Members"));
    assert!(resources.contains(&"arn:aws:s3:::cm-members-cloudtrail-123456789012"));

    let mut bad = xtask_command(state.path());
    bad.args(["iam-policy", "--trail-arn", "Members"]);
    let bad = Run::of(bad).failure(2);
    assert!(bad.stderr.contains("not a trail ARN"), "{}", bad.stderr);
}

/// The trail's bucket was deleted: `status` still shows every region and says the bucket is
/// missing; `revert` stops before any write with a final error (no resume command).
#[test]
fn a_deleted_trail_bucket_is_reported_and_stops_the_revert() {
    let env = Env::secure_account();
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&env.config())
            .force_path_style(true)
            .build(),
    );
    runtime()
        .block_on(s3.delete_bucket().bucket(&env.seeded.bucket).send())
        .expect("the bucket is deleted");

    let status = env.xtask(&["run", "status"]).success();
    assert!(
        status.stdout.contains("ap-northeast-1: enabled"),
        "{}",
        status.stdout
    );
    assert!(
        status
            .stdout
            .contains(&format!("Bucket {} does not exist", env.seeded.bucket)),
        "{}",
        status.stdout
    );

    let revert = env.xtask(&["run", "revert", "--yes"]).failure(1);
    assert!(
        revert.stderr.contains(&format!(
            "CloudTrail cannot deliver to `{}`: the trail's bucket does not exist",
            env.seeded.bucket
        )),
        "{}",
        revert.stderr
    );
    assert!(!revert.stderr.contains("resume"), "{}", revert.stderr);
    assert_eq!(
        env.trail_key(&env.seeded.trail_arn).as_deref(),
        Some(env.seeded.key_arn.as_str()),
        "nothing was changed"
    );
    let dirs = run_dirs(env.state.path());
    assert_eq!(calls(&events(&dirs[1]), WRITES), vec![]);
}

/// Two single-region trails named `Members` (in two regions): the name is refused with both
/// ARNs; naming them by ARN (repeated `--trail`) reverts both.
#[test]
fn one_name_for_several_trails_is_refused_until_named_by_arn() {
    let env = Env::new(Seed {
        trail: false,
        ..Seed::default()
    });
    let mut arns = Vec::new();
    for region in [HOME, "us-west-2"] {
        let ct = aws_sdk_cloudtrail::Client::from_conf(
            aws_sdk_cloudtrail::config::Builder::from(&env.config())
                .region(aws_types::region::Region::new(region))
                .build(),
        );
        let out = runtime()
            .block_on(
                ct.create_trail()
                    .name("Members")
                    .s3_bucket_name(&env.seeded.bucket)
                    .kms_key_id(&env.seeded.key_arn)
                    .send(),
            )
            .expect("the trail is created");
        arns.push(out.trail_arn().unwrap().to_string());
    }

    let refused = env.xtask(&["run", "revert", "--yes"]).failure(2);
    for arn in &arns {
        assert!(refused.stderr.contains(arn.as_str()), "{}", refused.stderr);
    }
    assert!(
        refused.stderr.contains("2 trails are named `Members`")
            && refused.stderr.contains("--trail ARN"),
        "{}",
        refused.stderr
    );
    for arn in &arns {
        assert!(env.trail_key(arn).is_some(), "nothing changed yet");
    }

    env.xtask(&[
        "run", "revert", "--yes", "--trail", &arns[0], "--trail", &arns[1],
    ])
    .success();
    for arn in &arns {
        assert_eq!(env.trail_key(arn), None, "{arn} reverted");
    }
}
