//! Every recorded scenario, replayed offline through the real CLI, with insta snapshots of the
//! report, the audit events and the writes. One `check` funnel for all of them.

use std::path::Path;

use runbook::journal::Record as Event;
use serde_json::Value;

use crate::support::*;

fn fixtures_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures")
}

/// The audit events in a compact, deterministic form: no sequence, time or hash; step outputs
/// shortened to their fields (the report snapshot shows their content); calls that run
/// concurrently (a run of consecutive `aws_call` events) in sorted order.
fn audit_text(events: &[Event]) -> String {
    let mut lines: Vec<String> = Vec::new();
    let mut calls: Vec<String> = Vec::new();
    for e in events {
        let mut data = e.data.clone();
        if e.event == "step_succeeded" {
            let fields: Vec<String> = match &data["output"] {
                Value::Object(map) => map.keys().cloned().collect(),
                Value::Array(items) => vec![format!("{} items", items.len())],
                other => vec![other.to_string()],
            };
            data["output"] = Value::String(format!("<{}>", fields.join(", ")));
        }
        if e.event == "step_started" {
            data["input"] = Value::String("<input>".into());
        }
        if data.get("duration_ms").is_some() {
            data["duration_ms"] = Value::String("[MS]".into());
        }
        let line = format!("{} {}\n", e.event, data);
        if e.event == "aws_call" {
            calls.push(line);
        } else {
            calls.sort();
            lines.append(&mut calls);
            lines.push(line);
        }
    }
    calls.sort();
    lines.append(&mut calls);
    lines.concat()
}

fn writes_text(events: &[Event]) -> String {
    let mut out = String::new();
    for e in events.iter().filter(|e| e.event.starts_with("write_")) {
        out += &format!(
            "{} {}\n",
            e.event,
            serde_json::to_string_pretty(&e.data).unwrap()
        );
    }
    out
}

/// Replays `scenario` through `cargo xtask run ARGS --replay scenario`, checks that the replay
/// used every recorded exchange and asked for nothing unrecorded, and snapshots the results.
fn check(scenario: &str, args: &[&str], expected_exit: i32) -> Run {
    check_with(scenario, args, expected_exit, true)
}

fn check_with(scenario: &str, args: &[&str], expected_exit: i32, uses_everything: bool) -> Run {
    check_events(scenario, args, expected_exit, uses_everything).0
}

/// [`check_with`], also returning the run's audit events.
fn check_events(
    scenario: &str,
    args: &[&str],
    expected_exit: i32,
    uses_everything: bool,
) -> (Run, Vec<Event>) {
    let state = tempfile::tempdir().unwrap();
    let mut cmd = xtask_command(state.path());
    cmd.args(["run"])
        .args(args)
        .args(["--replay", scenario, "--concurrency", "1"]);
    let run = Run::of(cmd).failure(expected_exit);
    assert_replayed(&run, uses_everything);

    let dirs = run_dirs(state.path());
    assert_eq!(dirs.len(), 1);
    let events = events(&dirs[0]);
    let mut name = scenario.to_string();
    if args.contains(&"status") {
        name += "-status";
    }
    snapshot(&name, args, &run, &events);
    (run, events)
}

/// The snapshots of one replayed run, named `name` (`-ja` added with `--lang ja`): its report
/// (exit code, stdout, stderr), and in English its audit events and writes.
fn snapshot(name: &str, args: &[&str], run: &Run, events: &[Event]) {
    let mut name = name.to_string();
    if args.contains(&"ja") {
        name += "-ja";
    }
    insta_settings().bind(|| {
        insta::assert_snapshot!(
            format!("{name}__report"),
            format!(
                "exit {}\n--- stdout\n{}--- stderr\n{}",
                run.code, run.stdout, run.stderr
            )
        );
        // The language changes the report only: the audit events and writes are the English run's.
        if !name.ends_with("-ja") {
            insta::assert_snapshot!(format!("{name}__audit"), audit_text(events));
            insta::assert_snapshot!(format!("{name}__writes"), writes_text(events));
        }
    });
}

/// Fails if the replayed command asked for anything its recording lacks, or (if
/// `uses_everything`) left any recorded exchange unasked.
fn assert_replayed(run: &Run, uses_everything: bool) {
    if uses_everything {
        assert!(
            !run.stderr.contains("not asked for"),
            "every recorded exchange is used:\n{}",
            run.stderr
        );
    }
    assert!(
        !run.stderr.contains("replay: no recorded exchange"),
        "{}",
        run.stderr
    );
}

const REVERT: &[&str] = &["revert", "--yes"];

#[test]
fn secure_account() {
    let (run, events) = check_events("secure-account", REVERT, 0, true);
    // S3 calls are logged with both of S3's ids (AWS Support asks for both); other services
    // have one.
    let calls: Vec<&Value> = events
        .iter()
        .filter(|e| e.event == "aws_call")
        .map(|e| &e.data)
        .collect();
    for call in &calls {
        let s3 = call["service"] == "s3";
        assert!(call["request_id"].is_string(), "{call}");
        assert_eq!(call["extended_request_id"].is_string(), s3, "{call}");
    }
    assert!(calls
        .iter()
        .any(|c| c["operation"] == "PutBucketEncryption"));
    assert!(run.stdout.contains("Done:"));
    // Regions the account cannot call are said once, on one line, and never listed as scanned.
    let not_scanned: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.starts_with("(Not scanned: "))
        .collect();
    assert_eq!(not_scanned.len(), 1, "{}", run.stdout);
    for region in ["ap-east-1", "af-south-1", "ap-southeast-3", "eu-south-1"] {
        assert!(not_scanned[0].contains(region), "{}", not_scanned[0]);
        assert!(
            !run.stdout.contains(&format!("\n{region}: ")),
            "{region} is not scanned"
        );
    }
    // In English each scanned region is printed once, before → after on one line.
    let tokyo: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.starts_with("ap-northeast-1: "))
        .collect();
    assert_eq!(
        tokyo,
        ["ap-northeast-1: enabled → disabled"],
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("per region, before → after:"));
    // The shaped answer is a commercial account's: no other partition's region in it at all.
    assert!(
        !run.stdout.contains("cn-north-1") && !run.stdout.contains("us-gov-"),
        "{}",
        run.stdout
    );
    // The article's 17 regions, each shown once, before → after.
    let scanned = run
        .stdout
        .lines()
        .filter(|l| l.ends_with(": enabled → disabled"))
        .count();
    assert_eq!(scanned, 17, "{}", run.stdout);
}

/// `--color always` colours even into a pipe; without it a pipe gets plain text.
#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let run_with = |extra: &[&str]| {
        let state = tempfile::tempdir().unwrap();
        let mut cmd = xtask_command(state.path());
        cmd.env_remove("NO_COLOR")
            .args(["run", "revert", "--yes", "--replay", "secure-account"])
            .args(extra);
        Run::of(cmd).success()
    };
    let coloured = run_with(&["--color", "always"]);
    assert!(
        coloured
            .stdout
            .contains("ap-northeast-1: \u{1b}[31menabled\u{1b}[0m → \u{1b}[32mdisabled\u{1b}[0m"),
        "{}",
        coloured.stdout
    );
    assert!(coloured.stdout.contains("\u{1b}[32mDone:"));
    let piped = run_with(&[]);
    assert!(!piped.stdout.contains('\u{1b}'), "{}", piped.stdout);
    assert!(piped.stdout.contains("ap-northeast-1: enabled → disabled"));
}

#[test]
fn secure_account_status() {
    // The scenario was recorded as a revert: status asks for its first part only.
    let run = check_with("secure-account", &["status"], 0, false);
    assert!(run.stdout.contains("A revert would make (2)"));
}

/// The article's own wording, line by line, for the whole revert.
#[test]
fn secure_account_in_japanese() {
    let run = check("secure-account", &["revert", "--yes", "--lang", "ja"], 0);
    // The article's two full lists, each under a heading that says before or after.
    let lines: Vec<&str> = run.stdout.lines().collect();
    let at = |wanted: &str| lines.iter().position(|l| *l == wanted).unwrap();
    let before = at("証跡 `Members` のログファイルの SSE-KMS 暗号化 (切り戻し前):");
    let after = at("証跡 `Members` のログファイルの SSE-KMS 暗号化 (切り戻し後):");
    assert!(before < at("ap-northeast-1: 有効"));
    assert!(at("ap-northeast-1: 有効") < after);
    assert!(after < at("ap-northeast-1: 無効"));
    assert!(run.stdout.lines().any(|l| l == "SSE-S3 is enabled"));
}

#[test]
fn already_reverted() {
    let run = check("already-reverted", REVERT, 0);
    assert!(run.stdout.contains("Nothing to change"));
}

#[test]
fn half_done() {
    check("half-done", REVERT, 0);
}

#[test]
fn trail_missing() {
    let run = check("trail-missing", REVERT, 2);
    assert!(run
        .stderr
        .contains("trail `Members` not found in 17 regions"));
}

#[test]
fn access_denied_update_trail() {
    let run = check("access-denied-update-trail", REVERT, 1);
    assert!(
        run.stderr
            .contains("the caller needs the IAM action `cloudtrail:UpdateTrail`"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("cargo xtask resume"),
        "a failed run says how to resume it"
    );
}

#[test]
fn throttled_then_ok() {
    check("throttled-then-ok", REVERT, 0);
}

#[test]
fn bucket_in_other_region() {
    let run = check("bucket-in-other-region", REVERT, 0);
    assert!(
        run.stdout
            .contains("PutBucketEncryption cm-members-cloudtrail-123456789012 (us-east-1)"),
        "{}",
        run.stdout
    );
}

#[test]
fn bucket_redirect() {
    let run = check("bucket-redirect", REVERT, 0);
    assert!(run.stdout.contains("(us-east-1)"));
}

#[test]
fn propagation_lag() {
    let run = check("propagation-lag", REVERT, 0);
    assert!(run.stdout.contains("Done:"));
}

#[test]
fn organization_trail() {
    let run = check("organization-trail", REVERT, 0);
    assert!(run
        .stdout
        .contains("organization trail: only the management account can change it"));
}

#[test]
fn organization_trail_management() {
    let run = check("organization-trail-management", REVERT, 2);
    assert!(
        run.stderr
            .contains("reverting it changes the log files of every member account")
            && run.stderr.contains("--include-organization-trail"),
        "{}",
        run.stderr
    );
}

#[test]
fn bucket_of_another_account() {
    let (run, events) = check_events("bucket-of-another-account", REVERT, 0, true);
    assert!(
        source_mentions_check("bucket-of-another-account"),
        "kept in step with every_fixture_has_a_test"
    );
    let warning =
        "bucket log-archive-cloudtrail-111122223333 belongs to another account; its default \
                   encryption is that account's to change";
    assert!(run.stdout.contains(warning), "{}", run.stdout);
    assert!(
        run.stdout.contains("UpdateTrail arn:aws:cloudtrail:ap-northeast-1:123456789012:trail/Members (ap-northeast-1): changed"),
        "the trail is still reverted: {}",
        run.stdout
    );
    assert!(
        !run.stdout.contains("PutBucketEncryption"),
        "{}",
        run.stdout
    );
    let warned = events.iter().any(|e| {
        e.event == "warning" && e.data["message"].as_str().unwrap_or("").contains(warning)
    });
    assert!(warned, "the warning is in the audit log");
}

#[test]
fn opted_in_region() {
    let run = check("opted-in-region", REVERT, 0);
    assert!(
        run.stdout
            .lines()
            .any(|l| l == "ap-east-1: enabled → disabled"),
        "{}",
        run.stdout
    );
    let scanned = run
        .stdout
        .lines()
        .filter(|l| l.ends_with(": enabled → disabled"))
        .count();
    assert_eq!(
        scanned, 18,
        "the 17 regions and the opted-in one: {}",
        run.stdout
    );
    assert!(run.stdout.contains("Done:"));
}

#[test]
fn trail_homed_in_opt_in_region() {
    let run = check("trail-homed-in-opt-in-region", REVERT, 0);
    assert!(
        run.stdout.contains(
            "UpdateTrail arn:aws:cloudtrail:ap-east-1:123456789012:trail/Members (ap-east-1): changed"
        ),
        "sent once, by ARN, to the trail's home region: {}",
        run.stdout
    );
    assert!(
        run.stdout.contains(
            "PutBucketEncryption cm-members-cloudtrail-123456789012 (ap-northeast-1): changed"
        ),
        "the bucket is written where it lives: {}",
        run.stdout
    );
}

#[test]
fn china_partition() {
    let run = check("china-partition", REVERT, 0);
    let scanned: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.ends_with(": enabled → disabled"))
        .collect();
    assert_eq!(
        scanned,
        [
            "cn-north-1: enabled → disabled",
            "cn-northwest-1: enabled → disabled"
        ],
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(
            "UpdateTrail arn:aws-cn:cloudtrail:cn-north-1:123456789012:trail/Members (cn-north-1): changed"
        ),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("arn:aws:"), "{}", run.stdout);
    assert!(!run.stdout.contains("Not scanned"), "{}", run.stdout);
}

#[test]
fn region_not_enabled() {
    let run = check("region-not-enabled", REVERT, 0);
    assert!(
        run.stdout
            .contains("af-south-1: unreachable (UnrecognizedClientException)"),
        "{}",
        run.stdout
    );
}

#[test]
fn no_bucket_encryption() {
    let run = check("no-bucket-encryption", REVERT, 0);
    assert!(run.stdout.contains("Default encryption is not set"));
}

#[test]
fn dsse_kms_bucket() {
    check("dsse-kms-bucket", REVERT, 0);
}

#[test]
fn bucket_policy_requires_kms() {
    let run = check("bucket-policy-requires-kms", REVERT, 0);
    assert!(
        run.stdout
            .contains("statement `DenyUnencryptedUploads` denies s3:PutObject without SSE-KMS"),
        "{}",
        run.stdout
    );
}

/// Every fixture file: each scenario's traffic.json and every one below it (a batch's
/// `accounts/<id>/`, an undo's `undo/`).
pub fn fixture_files(root: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.file_name().is_some_and(|n| n == "traffic.json") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

#[test]
fn fixtures_hold_no_secrets() {
    use runbook::http::redact::{leaks, Secrets};
    let files = fixture_files(&fixtures_dir());
    for scenario in ["organization-batch", "revert-then-undo"] {
        assert!(
            files
                .iter()
                .filter(|f| f.starts_with(fixtures_dir().join(scenario)))
                .count()
                > 1,
            "{scenario}'s files below its traffic.json are checked too: {files:?}"
        );
    }
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            leaks(&text, &Secrets::default()),
            Vec::<String>::new(),
            "{}",
            path.display()
        );
        let fixture = runbook::http::replay::load_fixture(&path).unwrap();
        assert!(
            !fixture.description.is_empty(),
            "{} says what it shows",
            path.display()
        );
        assert!(
            fixture.origin == "recorded" || fixture.origin.starts_with("hand-edited"),
            "{} says whether it was recorded or hand-edited",
            path.display()
        );
        // A credential provider's calls (a batch's AssumeRole into each account) are never
        // recorded: only the service clients' calls are.
        assert!(
            !fixture
                .exchanges
                .iter()
                .any(|e| e.key.operation.starts_with("AssumeRole")),
            "{} holds a credential provider's AssumeRole",
            path.display()
        );
    }
}

/// Whether this file replays `name` through `check` or `check_events`.
fn source_mentions_check(name: &str) -> bool {
    let source = include_str!("replay.rs");
    source.contains(&format!("check(\"{name}\""))
        || source.contains(&format!("check_events(\"{name}\""))
        || source.contains(&format!("check_batch(\"{name}\""))
        || source.contains(&format!("check_organization(\"{name}\""))
        || source.contains(&format!("check_undo(\"{name}\""))
}

#[test]
fn every_fixture_has_a_test() {
    for entry in std::fs::read_dir(fixtures_dir()).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(
            source_mentions_check(&name),
            "fixture {name} has no replay test"
        );
    }
}

/// Cuts the secure-account recording at UpdateTrail: the first attempt sees the connection drop
/// there and at PutBucketEncryption beside it (the replay has no answers); the resume is
/// answered by the rest of the recording, which starts with the fresh re-reads that settle the
/// unanswered writes.
#[test]
fn resume_an_interrupted_replay() {
    let fixture =
        runbook::http::replay::load_fixture(&fixtures_dir().join("secure-account")).unwrap();
    let at = |pred: &dyn Fn(&runbook::http::Exchange) -> bool| {
        fixture.exchanges.iter().position(pred).unwrap()
    };
    let update = at(&|e| e.key.operation == "UpdateTrail");
    let reread =
        at(&|e| e.key.operation == "DescribeTrails" && e.key.params.contains("trailNameList"));
    // The bucket's fresh read goes side by side with the trail's: the tail starts at whichever
    // the recording has first (the plan's own read of the bucket is the first before them).
    let bucket_reread = fixture
        .exchanges
        .iter()
        .enumerate()
        .filter(|(_, e)| e.key.operation == "GetBucketEncryption")
        .nth(1)
        .map(|(i, _)| i)
        .unwrap();
    let identity = at(&|e| e.key.operation == "GetCallerIdentity");
    let mut head = fixture.clone();
    head.exchanges.truncate(update);
    let mut tail = fixture.clone();
    tail.exchanges = std::iter::once(fixture.exchanges[identity].clone())
        .chain(
            fixture.exchanges[reread.min(bucket_reread)..]
                .iter()
                .cloned(),
        )
        .collect();
    let scratch = tempfile::tempdir().unwrap();
    for (name, f) in [("head", &head), ("tail", &tail)] {
        std::fs::create_dir(scratch.path().join(name)).unwrap();
        std::fs::write(
            scratch.path().join(name).join("traffic.json"),
            serde_json::to_string(f).unwrap(),
        )
        .unwrap();
    }

    let state = tempfile::tempdir().unwrap();
    let mut first = xtask_command(state.path());
    first
        .args(["run", "revert", "--yes", "--replay"])
        .arg(scratch.path().join("head"));
    let first = Run::of(first).failure(1);
    assert!(
        first.stderr.contains("cargo xtask resume"),
        "{}",
        first.stderr
    );
    let run_id = first.run_id();

    let mut resume = xtask_command(state.path());
    resume
        .args(["resume", &run_id, "--replay"])
        .arg(scratch.path().join("tail"));
    let resumed = Run::of(resume).success();
    assert!(resumed.stdout.contains("Done:"), "{}", resumed.stdout);
    assert!(
        !resumed.stderr.contains("not asked for"),
        "{}",
        resumed.stderr
    );

    let dirs = run_dirs(state.path());
    assert_eq!(dirs.len(), 1);
    let events = events(&dirs[0]);
    let skipped: Vec<&str> = events
        .iter()
        .filter(|e| e.event == "step_skipped" && e.data["because"] == "succeeded_earlier")
        .map(|e| e.data["step"].as_str().unwrap())
        .collect();
    assert_eq!(
        skipped,
        vec!["preflight", "check_status", "plan", "confirm"]
    );
    let update_calls: Vec<&str> = events
        .iter()
        .filter(|e| e.event == "aws_call" && e.data["operation"] == "UpdateTrail")
        .map(|e| e.data["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(
        update_calls,
        vec!["error", "ok"],
        "the unanswered write was settled, then made once"
    );
    let settled: Vec<&Event> = events
        .iter()
        .filter(|e| e.event == "write_settled")
        .collect();
    // Both writes went out side by side, and neither was answered: both are settled.
    assert_eq!(settled.len(), 2);
    assert!(settled.iter().all(|s| s.data["applied"] == false));
    let put_calls: Vec<&str> = events
        .iter()
        .filter(|e| e.event == "aws_call" && e.data["operation"] == "PutBucketEncryption")
        .map(|e| e.data["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(put_calls, vec!["error", "ok"]);
    let mut verify = xtask_command(state.path());
    verify.args(["audit", "verify", &run_id]);
    Run::of(verify).success();
}

/// The offline demo resolves its scenario (and writes its runs) from the workspace, whatever the
/// current directory.
#[test]
fn the_demo_works_from_any_directory() {
    let state = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let mut cmd = xtask_command(state.path());
    cmd.current_dir(elsewhere.path()).args([
        "run",
        "revert",
        "--replay",
        "secure-account",
        "--yes",
    ]);
    let run = Run::of(cmd).success();
    assert!(run.stdout.contains("Done:"));
    assert_eq!(run_dirs(state.path()).len(), 1);
    let mut missing = xtask_command(state.path());
    missing
        .current_dir(elsewhere.path())
        .args(["run", "status", "--replay", "no-such-scenario"]);
    let missing = Run::of(missing).failure(2);
    assert!(
        missing.stderr.contains("fixtures list"),
        "{}",
        missing.stderr
    );
}

/// The same 403 on a bucket that *is* among this account's buckets is a missing permission, not
/// another account's bucket: the run stops (resumably) naming the IAM action, and writes nothing.
#[test]
fn a_refused_call_on_our_own_bucket_is_a_missing_permission() {
    let mut fixture =
        runbook::http::replay::load_fixture(&fixtures_dir().join("bucket-of-another-account"))
            .unwrap();
    let list = fixture
        .exchanges
        .iter_mut()
        .find(|e| e.key.operation == "ListBuckets")
        .unwrap();
    list.response.body = list.response.body.replace(
        "<Buckets></Buckets>",
        "<Buckets><Bucket><Name>log-archive-cloudtrail-111122223333</Name>\
         <CreationDate>2023-01-01T00:00:00.000Z</CreationDate></Bucket></Buckets>",
    );
    // HeadBucket's 403 still says where the bucket is; the encryption read is refused too.
    let list = list.clone();
    let mut read = list.clone();
    read.key.operation = "GetBucketEncryption".into();
    read.key.params = "bucket=log-archive-cloudtrail-111122223333 owner=123456789012".into();
    read.response.status = 403;
    read.response.body =
        "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>".into();
    fixture.exchanges.extend([list, read]);
    let scratch = tempfile::tempdir().unwrap();
    std::fs::write(
        scratch.path().join("traffic.json"),
        serde_json::to_string(&fixture).unwrap(),
    )
    .unwrap();
    let state = tempfile::tempdir().unwrap();
    let mut cmd = xtask_command(state.path());
    cmd.args(["run", "revert", "--yes", "--replay"])
        .arg(scratch.path());
    let run = Run::of(cmd).failure(1);
    assert!(
        run.stderr
            .contains("the caller needs the IAM action `s3:GetEncryptionConfiguration`"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("belongs to another account"));
    let events = events(&run_dirs(state.path())[0]);
    assert!(!events.iter().any(|e| e.event == "write_intent"));
}

/// The accounts of the recorded batch: the caller's own, and a member reached by AssumeRole.
pub const TWO_ACCOUNTS: &str = "123456789012,111111111111";

/// Replays the batch `scenario` over [`TWO_ACCOUNTS`] through `cargo xtask run ARGS --replay
/// scenario --accounts …`, checks that no account asked for anything unrecorded (and, if
/// `uses_everything`, that every recorded exchange was used), and snapshots stdout and stderr
/// as `name`.
fn check_batch(scenario: &str, args: &[&str], name: &str, uses_everything: bool) -> Run {
    check_batch_with(scenario, args, name, uses_everything, &[])
}

/// [`check_batch`] with these environment variables set (`Some`) or removed (`None`).
pub fn check_batch_with(
    scenario: &str,
    args: &[&str],
    name: &str,
    uses_everything: bool,
    vars: &[(&str, Option<&str>)],
) -> Run {
    let accounts: Vec<&str> = TWO_ACCOUNTS.split(',').collect();
    let selection = ["--accounts", TWO_ACCOUNTS];
    replay_batch(
        scenario,
        &selection,
        &accounts,
        args,
        name,
        uses_everything,
        vars,
    )
    .0
}

/// The batch funnel: replays `scenario` through `cargo xtask run ARGS --replay scenario
/// SELECTION` (the accounts it names, or `--organization`), checks that no account asked for
/// anything unrecorded (and, if `uses_everything`, that every recorded exchange was used), that
/// each of `accounts` (and no other) has one run in its state directory, and snapshots stdout
/// and stderr as `name`. Gives the state directory too.
fn replay_batch(
    scenario: &str,
    selection: &[&str],
    accounts: &[&str],
    args: &[&str],
    name: &str,
    uses_everything: bool,
    vars: &[(&str, Option<&str>)],
) -> (Run, tempfile::TempDir) {
    let state = tempfile::tempdir().unwrap();
    let mut cmd = xtask_command(state.path());
    for (k, v) in vars {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    cmd.args(["run"])
        .args(args)
        .args(["--replay", scenario])
        .args(selection)
        // One account after the other, and one call at a time: the order of the lines is fixed.
        .args(["--max-concurrent-accounts", "1", "--concurrency", "1"]);
    let run = Run::of(cmd).success();
    assert_replayed(&run, uses_everything);
    // One run per account, each in its account's state directory, and no other account's.
    for account in accounts {
        let runs = run_dirs(&state.path().join("accounts").join(account));
        assert_eq!(runs.len(), 1, "{account}: {}", run.stderr);
    }
    let mut made: Vec<String> = std::fs::read_dir(state.path().join("accounts"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    made.sort();
    let mut expected: Vec<String> = accounts.iter().map(|a| a.to_string()).collect();
    expected.sort();
    assert_eq!(made, expected, "the accounts' folders");
    insta_settings().bind(|| {
        insta::assert_snapshot!(
            name,
            format!(
                "exit {}\n--- stdout\n{}--- stderr\n{}",
                run.code, run.stdout, run.stderr
            )
        );
    });
    (run, state)
}

#[test]
fn two_accounts() {
    let run = check_batch("two-accounts", REVERT, "two-accounts__summary", true);
    for account in TWO_ACCOUNTS.split(',') {
        assert!(run.stdout.contains(account), "{}", run.stdout);
    }
}

#[test]
fn two_accounts_json() {
    let run = check_batch(
        "two-accounts",
        &["revert", "--yes", "--output", "json"],
        "two-accounts__json",
        true,
    );
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    let accounts = doc["accounts"]
        .as_array()
        .or_else(|| doc["batch"]["accounts"].as_array())
        .or_else(|| doc["result"]["accounts"].as_array())
        .unwrap_or_else(|| panic!("{doc:#}"));
    assert_eq!(accounts.len(), 2, "{doc:#}");
    for account in accounts {
        assert_eq!(account["writes_made"], 2, "{account:#}");
    }
}

#[test]
fn two_accounts_status() {
    // The batch was recorded as a revert: status asks for each account's first part only.
    check_batch(
        "two-accounts",
        &["status"],
        "two-accounts-status__summary",
        false,
    );
}

#[test]
fn two_accounts_in_japanese() {
    check_batch(
        "two-accounts",
        &["revert", "--yes", "--lang", "ja"],
        "two-accounts-ja__summary",
        true,
    );
}

/// The accounts the recorded organization's batch runs: its management account (the caller's
/// own) and its ACTIVE member; its SUSPENDED member is skipped.
const ORGANIZATION_RUNS: &[&str] = &["123456789012", "111111111111"];
const SUSPENDED_MEMBER: &str = "222222222222";

/// Replays the organization's batch (`--organization`: the accounts come from the recorded
/// ListAccounts) through the batch funnel; gives the batch journal and each account's run.
fn check_organization(
    scenario: &str,
    args: &[&str],
    name: &str,
) -> (
    Run,
    runbook::batch::journal::BatchJournal,
    Vec<(String, Vec<Event>)>,
) {
    use runbook::batch::journal as batch_journal;
    let (run, state) = replay_batch(
        scenario,
        &["--organization"],
        ORGANIZATION_RUNS,
        args,
        name,
        true,
        &[],
    );
    let ids = batch_journal::batch_ids(state.path()).unwrap();
    assert_eq!(ids.len(), 1, "one batch: {ids:?}");
    let batch = batch_journal::load(&batch_journal::batch_dir(state.path(), &ids[0])).unwrap();
    let runs = ORGANIZATION_RUNS
        .iter()
        .map(|account| {
            let dirs = run_dirs(&state.path().join("accounts").join(account));
            (account.to_string(), events(&dirs[0]))
        })
        .collect();
    (run, batch, runs)
}

#[test]
fn organization_batch() {
    use runbook::batch::journal::{BatchEvent, Outcome, Selection};
    let (run, batch, runs) =
        check_organization("organization-batch", REVERT, "organization-batch__summary");
    // The accounts are the organization's, as ListAccounts answered: the management account
    // first, the suspended member skipped with its state, not run and not failed.
    assert!(matches!(batch.started.selection, Selection::Organization));
    assert_eq!(batch.started.accounts, ORGANIZATION_RUNS);
    assert_eq!(
        batch.started.skipped.len(),
        1,
        "{:?}",
        batch.started.skipped
    );
    assert_eq!(batch.started.skipped[0].account, SUSPENDED_MEMBER);
    assert_eq!(batch.started.skipped[0].state, "SUSPENDED");
    assert!(batch.events.iter().any(|e| matches!(
        e,
        BatchEvent::AwsCall(c) if c.operation == "ListAccounts" && c.outcome == "ok"
    )));
    assert!(
        run.stdout.contains(&format!(
            "{SUSPENDED_MEMBER}: skipped: the organization lists it as SUSPENDED (only ACTIVE accounts are run)"
        )),
        "{}",
        run.stdout
    );
    for (account, ended) in batch.accounts() {
        assert_eq!(
            ended.map(|e| e.outcome),
            Some(Outcome::Done),
            "{account}: {}",
            run.stdout
        );
    }
    // The management account is the caller's own: its run uses the caller's credentials as
    // they are; the member's is reached through the member role.
    let credentials: Vec<(&str, &str)> = runs
        .iter()
        .map(|(account, events)| {
            assert_eq!(events[0].event, "run_started");
            assert_eq!(events[0].data["account"], account.as_str());
            (
                account.as_str(),
                events[0].data["credentials"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        credentials,
        [
            ("123456789012", "replay"),
            (
                "111111111111",
                "replay (role arn:aws:iam::111111111111:role/OrganizationAccountAccessRole)"
            ),
        ]
    );
    // Each account reverted: its trail and its bucket, each in its own region.
    for (account, events) in &runs {
        let bucket_region = if account == "111111111111" {
            "eu-west-1"
        } else {
            HOME
        };
        assert_eq!(
            calls(events, WRITES),
            [
                ("UpdateTrail".to_string(), HOME.to_string()),
                ("PutBucketEncryption".to_string(), bucket_region.to_string())
            ],
            "{account}"
        );
    }
}

#[test]
fn organization_batch_in_japanese() {
    let (run, ..) = check_organization(
        "organization-batch",
        &["revert", "--yes", "--lang", "ja"],
        "organization-batch-ja__summary",
    );
    assert!(
        run.stdout.contains(&format!(
            "{SUSPENDED_MEMBER}: 対象外: 組織での状態が SUSPENDED です"
        )),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("skipped"), "{}", run.stdout);
}

/// The undo funnel: replays the revert recorded in `scenario` (`run revert --yes`), then the
/// undo of the replayed run from `scenario/undo` (`undo RUN_ID --yes`), in one state
/// directory; each must ask for every exchange of its recording and nothing else. Snapshots
/// both (the revert as `scenario`, the undo as `scenario-undo`; `-ja` with `--lang ja`), and
/// gives each run with its audit events.
fn check_undo(scenario: &str, extra: &[&str]) -> [(Run, Vec<Event>); 2] {
    let state = tempfile::tempdir().unwrap();
    let mut revert = xtask_command(state.path());
    revert
        .args([
            "run",
            "revert",
            "--yes",
            "--replay",
            scenario,
            "--concurrency",
            "1",
        ])
        .args(extra);
    let revert = Run::of(revert).success();
    assert_replayed(&revert, true);
    let revert_id = revert.run_id();
    // As the README says it: from the checkout's root, the undo's recording by its path.
    let mut undo = xtask_command(state.path());
    undo.current_dir(fixtures_dir().parent().unwrap())
        .args([
            "undo",
            &revert_id,
            "--yes",
            "--concurrency",
            "1",
            "--replay",
        ])
        .arg(format!("fixtures/{scenario}/undo"))
        .args(extra);
    let undo = Run::of(undo).success();
    assert_replayed(&undo, true);
    let dirs = run_dirs(state.path());
    assert_eq!(dirs.len(), 2, "the revert and its undo");
    let (revert_events, undo_events) = (events(&dirs[0]), events(&dirs[1]));
    assert_eq!(revert_events[0].data["runbook"], "revert");
    assert_eq!(undo_events[0].data["runbook"], "restore");
    assert_eq!(undo_events[0].data["args"]["undoes"], revert_id.as_str());
    snapshot(scenario, extra, &revert, &revert_events);
    snapshot(&format!("{scenario}-undo"), extra, &undo, &undo_events);
    [(revert, revert_events), (undo, undo_events)]
}

/// Each write a run made, as (the write, its state before, its state after), in order.
fn writes_made(events: &[Event]) -> Vec<(Value, Value, Value)> {
    events
        .iter()
        .filter(|e| e.event == "write_intent")
        .map(|e| {
            // What is written where (operation, region, trail or bucket), and from what to what.
            let mut target = e.data["write"].clone();
            let map = target.as_object_mut().expect("a write is an object");
            let before = map.remove("before").expect("a write says its before");
            let after = map.remove("after").expect("a write says its after");
            (target, before, after)
        })
        .collect()
}

#[test]
fn revert_then_undo() {
    let [(revert, revert_events), (undo, undo_events)] = check_undo("revert-then-undo", &[]);
    assert!(revert.stdout.contains("Done:"), "{}", revert.stdout);
    assert!(undo.stdout.contains("Done:"), "{}", undo.stdout);
    // The undo puts back exactly what the revert changed: the same targets, in the same order,
    // each from the revert's after back to its before.
    let reverted = writes_made(&revert_events);
    assert_eq!(reverted.len(), 2, "the trail and the bucket");
    let put_back: Vec<(Value, Value, Value)> = writes_made(&undo_events);
    let expected: Vec<(Value, Value, Value)> = reverted
        .into_iter()
        .map(|(target, before, after)| (target, after, before))
        .collect();
    assert_eq!(put_back, expected);
    for events in [&revert_events, &undo_events] {
        let answers: Vec<&Value> = events
            .iter()
            .filter(|e| e.event == "write_result")
            .map(|e| &e.data["outcome"])
            .collect();
        assert_eq!(answers, ["ok", "ok"], "each write answered once, ok");
    }
    assert_eq!(
        calls(&undo_events, WRITES),
        [
            ("UpdateTrail".to_string(), HOME.to_string()),
            ("PutBucketEncryption".to_string(), HOME.to_string())
        ]
    );
}

#[test]
fn revert_then_undo_in_japanese() {
    let [(revert, _), (undo, _)] = check_undo("revert-then-undo", &["--lang", "ja"]);
    for run in [&revert, &undo] {
        assert!(
            run.stdout.contains("\n完了: ") && !run.stdout.contains("Done:"),
            "{}",
            run.stdout
        );
    }
    assert!(
        undo.stdout
            .contains("バケットのルールを切り戻し前の状態に戻しました"),
        "{}",
        undo.stdout
    );
}
