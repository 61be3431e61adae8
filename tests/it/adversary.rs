//! Adversarial reproductions (review): each test here FAILS on the code it was written
//! against, and demonstrates a broken promise of README.md or ARCHITECTURE.md. They are meant
//! to pass once the finding is fixed.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use runbook::aws::Aws;
use runbook::http::wrap::{faulty, Fault, FaultSwitch, Trigger};
use runbook::journal::Record;
use runbook::runbooks::{Begin, Runbook};
use runbook::steps::Settings;
use runbook::testkit;
use serde_json::json;

use crate::support::*;

// ---------------------------------------------------------------------------------------------
// Helpers

/// `audit verify` of a forged finished run must refuse it as an illegal story.
#[track_caller]
fn verify_must_refuse(what: &str, edit: impl FnOnce(&mut Vec<Record>)) {
    let (state, dir, run_id) = finished_run();
    forge(&dir, edit);
    let run = xtask_in(state.path(), &["audit", "verify", &run_id]);
    assert!(
        run.code == 1 && run.stderr.contains("illegal transition"),
        "{what}: `audit verify` accepted the forged story (exit {}):\n{}{}",
        run.code,
        run.stdout,
        run.stderr
    );
}

/// Runs `cmd`, killing it after `limit`; `None` if it had to be killed.
fn run_with_timeout(mut cmd: Command, limit: Duration) -> Option<Run> {
    cmd.stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let start = Instant::now();
    loop {
        if let Some(_status) = child.try_wait().unwrap() {
            let out = child.wait_with_output().unwrap();
            return Some(Run {
                code: out.status.code().unwrap_or(-1),
                stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
                stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            });
        }
        if start.elapsed() > limit {
            child.kill().unwrap();
            child.wait().unwrap();
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(status.success());
}

// ---------------------------------------------------------------------------------------------
// 1. Resume writes what the operator never confirmed (plan output forged; confirm input intact)

/// The confirmation on record (the `confirm` step's input) names the plan the operator saw; the
/// `plan` step's output is what resume writes. The fold never compares them, so a journal whose
/// plan output now targets the other team's trail verifies, and resume strips that trail's KMS
/// key without asking.
#[test]
fn resume_writes_only_the_plan_the_operator_confirmed() {
    let env = Env::secure_account();
    let rt = runtime();
    // First attempt: the connection is lost at disable_trail_kms's re-read (request 44), after
    // the operator confirmed the plan.
    let switch = Arc::new(FaultSwitch::default());
    let fault = Fault {
        trigger: Trigger::Nth(44),
        after_send: false,
        hang: false,
        once: false,
        status: None,
    };
    let http = faulty(runbook::http::real_client(), fault, switch);
    let aws = Aws::new(env.config().into_builder().http_client(http).build(), true);
    let begin = Begin::New {
        runbook: Runbook::Revert,
        args: testkit::default_args(),
    };
    let first = rt.block_on(testkit::launch(
        &aws,
        env.state.path(),
        begin,
        Settings::default().without_waits(),
    ));
    assert!(first.is_err(), "the first attempt fails");
    let dir = run_dirs(env.state.path()).remove(0);

    let other_arn = env.seeded.unrelated_trail_arn.clone().unwrap();
    let other_region = other_arn.split(':').nth(3).unwrap().to_string();
    let other_key = env
        .trail_key(&other_arn)
        .expect("the other trail is encrypted");
    forge(&dir, |r| {
        let at = pos(r, "step_succeeded", Some("plan"));
        let writes = r[at].data["output"]["writes"].as_array_mut().unwrap();
        writes[0] = json!({
            "before_kms_key_id": other_key,
            "operation": "cloudtrail:UpdateTrail",
            "region": other_region,
            "trail_arn": other_arn,
        });
    });

    let aws = Aws::new(env.config(), true);
    let resumed = rt.block_on(testkit::launch(
        &aws,
        env.state.path(),
        Begin::Resume { run_id: None },
        Settings::default().without_waits(),
    ));
    assert_eq!(
        env.trail_key(&other_arn).as_deref(),
        Some(other_key.as_str()),
        "resume ({:?}) changed another team's trail that the confirmed plan never named",
        resumed.as_ref().map(drop).map_err(|e| e.to_string())
    );
}

// ---------------------------------------------------------------------------------------------
// 2. Stories the fold accepts (chain recomputed, state.json consistent)

#[test]
fn forged_writes_without_any_confirmation_fail_verify() {
    verify_must_refuse("writes with the confirm step removed", |r| {
        let start = pos(r, "step_started", Some("confirm"));
        let end = pos(r, "step_succeeded", Some("confirm"));
        r.drain(start..=end);
    });
}

#[test]
fn forged_writes_after_the_operator_said_no_fail_verify() {
    verify_must_refuse("writes after `confirmed: false`", |r| {
        let at = pos(r, "operator_confirmation", None);
        r[at].data = json!({"confirmed": false, "refusal": "operator answered no", "writes": []});
    });
}

#[test]
fn a_write_intent_that_is_not_in_the_plan_fails_verify() {
    verify_must_refuse("a write intent for another trail and key", |r| {
        let at = pos(r, "write_intent", Some("disable_trail_kms"));
        r[at].data["write"]["trail_arn"] =
            json!("arn:aws:cloudtrail:us-east-1:123456789012:trail/SomeoneElses");
        r[at].data["write"]["before"] = json!("arn:aws:kms:us-east-1:123456789012:key/x");
    });
}

#[test]
fn a_write_of_the_wrong_kind_for_its_step_fails_verify() {
    verify_must_refuse(
        "a PutBucketEncryption intent inside `disable_trail_kms`",
        |r| {
            let bucket_write =
                r[pos(r, "write_intent", Some("set_bucket_aes256"))].data["write"].clone();
            let at = pos(r, "write_intent", Some("disable_trail_kms"));
            r[at].data["write"] = bucket_write;
        },
    );
}

#[test]
fn run_finished_after_a_failed_step_fails_verify() {
    verify_must_refuse("`run_finished` although verification failed", |r| {
        let at = pos(r, "step_succeeded", Some("verify"));
        r[at].event = "step_failed".into();
        r[at].data = json!({
            "step": "verify",
            "error": "verification found the trail still SSE-KMS in eu-west-1",
            "duration_ms": 1
        });
    });
}

#[test]
fn a_step_output_that_is_not_the_steps_output_fails_verify() {
    verify_must_refuse("the plan's output replaced by garbage", |r| {
        let at = pos(r, "step_succeeded", Some("plan"));
        r[at].data["output"] = json!({"via": "yes_flag"});
    });
}

#[test]
fn a_settlement_that_contradicts_its_own_read_fails_verify() {
    verify_must_refuse(
        "settled applied=true while the live read shows the key",
        |r| {
            let at = pos(r, "write_result", None);
            let intent_seq = r[at].data["intent_seq"].clone();
            let key = r[pos(r, "write_intent", Some("disable_trail_kms"))].data["write"]["before"]
                .clone();
            r[at].data =
                json!({"intent_seq": intent_seq, "outcome": "unknown", "error_code": "NoResponse"});
            let mut settled = r[at].clone();
            settled.event = "write_settled".into();
            settled.data =
                json!({"intent_seq": intent_seq, "applied": true, "live": {"kms_key_id": key}});
            r.insert(at + 1, settled);
        },
    );
}

// ---------------------------------------------------------------------------------------------
// 3. The write protocol

/// README: each write is sent "after a fresh read shows it is still needed and the account is
/// still as planned". After a throttled UpdateTrail, the write is sent again without a read.
#[test]
fn a_throttled_write_is_read_again_before_it_is_sent_again() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = scenario_with("secure-account", tmp.path(), |fixture| {
        let at = fixture
            .exchanges
            .iter()
            .position(|e| e.key.operation == "UpdateTrail")
            .unwrap();
        let mut throttled = fixture.exchanges[at].clone();
        throttled.response.status = 400;
        throttled.response.body =
            r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#.into();
        throttled
            .response
            .headers
            .insert("content-type".into(), "application/x-amz-json-1.1".into());
        fixture.exchanges.insert(at, throttled);
        // The fresh read before the second send answers as the first one did.
        let read = fixture.exchanges[..at]
            .iter()
            .rposition(|e| {
                e.key.operation == "DescribeTrails" && e.key.params.contains("trailNameList")
            })
            .unwrap();
        let again = fixture.exchanges[read].clone();
        fixture.exchanges.insert(at + 1, again);
    });
    let state = tempfile::tempdir().unwrap();
    let mut cmd = xtask_command(state.path());
    cmd.args(["run", "revert", "--yes", "--replay"])
        .arg(&scenario);
    let run = Run::of(cmd);
    let records = events(&run_dirs(state.path())[0]);
    let story: Vec<String> = records
        .iter()
        .filter(|r| r.data["step"] == "disable_trail_kms" || r.event == "aws_call")
        .filter(|r| {
            r.event != "aws_call"
                || r.data["operation"] == "UpdateTrail"
                || r.data["params"].get("trailNameList").is_some()
        })
        .skip_while(|r| r.event != "step_started")
        .take_while(|r| r.event != "step_succeeded" && r.event != "step_failed")
        .map(|r| match r.event.as_str() {
            "aws_call" => format!(
                "{} {}",
                r.data["operation"].as_str().unwrap(),
                r.data["error_code"].as_str().unwrap_or("ok")
            ),
            e => e.to_string(),
        })
        .collect();
    let sends: Vec<usize> = story
        .iter()
        .enumerate()
        .filter(|(_, s)| s.starts_with("UpdateTrail"))
        .map(|(i, _)| i)
        .collect();
    assert_eq!(sends.len(), 2, "exit {}: {story:?}", run.code);
    assert!(
        story[sends[0]..sends[1]]
            .iter()
            .any(|s| s.starts_with("DescribeTrails")),
        "UpdateTrail was sent again without a fresh read: {story:?}"
    );
}

/// README: the two writes go side by side, but neither is sent before both fresh reads showed
/// the account still as planned. The bucket's default encryption changed to another key after
/// the plan: the bucket's step refuses (`plan_stale`), and the trail's, whose own read passed,
/// sends nothing and says why (`not_sent_beside`). No intent is journaled, nothing is written.
#[test]
fn a_stale_bucket_stops_the_trail_write_beside_it() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = scenario_with("secure-account", tmp.path(), |fixture| {
        // The bucket's fresh read (its second GetBucketEncryption) shows another key.
        let fresh = fixture
            .exchanges
            .iter_mut()
            .filter(|e| e.key.operation == "GetBucketEncryption")
            .nth(1)
            .unwrap();
        let at = fresh.response.body.find("key/").unwrap() + 4;
        fresh
            .response
            .body
            .replace_range(at..at + 36, "00000000-0000-4000-8000-000000000000");
    });
    let state = tempfile::tempdir().unwrap();
    let mut cmd = xtask_command(state.path());
    cmd.args(["run", "revert", "--yes", "--output", "json", "--replay"])
        .arg(&scenario);
    let run = Run::of(cmd);
    assert_ne!(run.code, 0, "{}", run.stderr);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc["error"]["code"], "plan_stale", "{doc}");
    let run_id = doc["run_id"].as_str().expect("the run's id").to_string();
    let records = events(&run_dirs(state.path())[0]);
    assert!(
        !records
            .iter()
            .any(|r| r.event == "write_intent" || r.data["operation"] == "UpdateTrail"),
        "a write was intended or sent"
    );
    let failed = |step: &str| {
        records
            .iter()
            .find(|r| r.event == "step_failed" && r.data["step"] == step)
            .map(|r| r.data["error"].as_str().unwrap().to_string())
            .unwrap_or_default()
    };
    assert!(
        failed("set_bucket_aes256").contains("changed since the plan"),
        "{}",
        failed("set_bucket_aes256")
    );
    assert!(
        failed("disable_trail_kms").contains("sent nothing")
            && failed("disable_trail_kms").contains("set_bucket_aes256"),
        "{}",
        failed("disable_trail_kms")
    );
    let mut verify = xtask_command(state.path());
    verify.args(["audit", "verify", &run_id]);
    Run::of(verify).success();
}

// ---------------------------------------------------------------------------------------------
// 4. File safety

/// A FIFO planted in place of `state.json` makes `audit verify` wait forever instead of
/// refusing "not a regular file" (open(2) blocks before the check runs).
#[test]
fn a_fifo_in_place_of_state_json_is_refused_not_waited_on() {
    let (state, dir, run_id) = finished_run();
    std::fs::remove_file(dir.join("state.json")).unwrap();
    mkfifo(&dir.join("state.json"));
    let mut cmd = xtask_command(state.path());
    cmd.args(["audit", "verify", &run_id]);
    let run = run_with_timeout(cmd, Duration::from_secs(15))
        .expect("`audit verify` hung on a FIFO at state.json");
    assert_eq!(run.code, 2, "{}", run.stderr);
}

/// The same with the log: `audit list` and a bare `resume` hang on a FIFO at audit.jsonl.
#[test]
fn a_fifo_in_place_of_the_log_is_refused_not_waited_on() {
    let (state, dir, _run_id) = finished_run();
    std::fs::remove_file(dir.join("audit.jsonl")).unwrap();
    mkfifo(&dir.join("audit.jsonl"));
    let mut cmd = xtask_command(state.path());
    cmd.args(["audit", "list"]);
    assert!(
        run_with_timeout(cmd, Duration::from_secs(15)).is_some(),
        "`audit list` hung on a FIFO at audit.jsonl"
    );
}

/// Invalid UTF-8 is read lossily, so changing bytes (U+FFFD's three bytes to one 0xFF) leaves
/// the hash chain "intact": a changed log verifies.
#[test]
fn non_utf8_bytes_in_the_log_fail_verify() {
    let state = tempfile::tempdir().unwrap();
    let run = xtask_in(
        state.path(),
        &[
            "run",
            "revert",
            "--yes",
            "--trail",
            "Members\u{FFFD}",
            "--replay",
            "secure-account",
        ],
    )
    .failure(2);
    let run_id = run.run_id();
    let path = run_dirs(state.path())[0].join("audit.jsonl");
    let bytes = std::fs::read(&path).unwrap();
    let needle = "\u{FFFD}".as_bytes();
    let mut changed = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i..].starts_with(needle) {
            changed.push(0xFF);
            i += needle.len();
        } else {
            changed.push(bytes[i]);
            i += 1;
        }
    }
    assert_ne!(changed, bytes, "the log held U+FFFD");
    std::fs::write(&path, &changed).unwrap();
    let verify = xtask_in(state.path(), &["audit", "verify", &run_id]);
    assert_eq!(
        verify.code, 1,
        "a log with changed, non-UTF-8 bytes verified:\n{}",
        verify.stdout
    );
}

/// A crash between the first append and the first `state.json` save (or a deleted cache)
/// strands the run: resume and verify fail with the OS error printed twice and no advice,
/// although `state.json` is only a cache the log fully determines.
#[test]
fn a_missing_state_json_does_not_strand_the_run() {
    let (state, dir, run_id) = failed_run();
    std::fs::remove_file(dir.join("state.json")).unwrap();
    let run = xtask_in(
        &state.path().join("runs"),
        &["resume", &run_id, "--replay", "secure-account"],
    );
    assert_eq!(
        run.code, 0,
        "resume of a run without its cache:\n{}",
        run.stderr
    );
}

// ---------------------------------------------------------------------------------------------
// 5. Resume and final runs

/// The printed resume command omits `--yes`. A run that failed (network) before `confirm`,
/// resumed by that exact command without a terminal, fails on "no terminal and no --yes",
/// which is recorded as final: the run can never be resumed again.
#[test]
fn resuming_without_a_terminal_does_not_make_the_run_final() {
    let state = tempfile::tempdir().unwrap();
    let scenario = scenario_with("secure-account", state.path(), |fixture| {
        let cut = fixture
            .exchanges
            .iter()
            .position(|e| e.key.operation == "HeadBucket")
            .unwrap();
        fixture.exchanges.truncate(cut);
    });
    let runs = state.path().join("runs");
    let mut cmd = xtask_command(&runs);
    cmd.args(["run", "revert", "--yes", "--replay"])
        .arg(&scenario);
    let first = Run::of(cmd).failure(1);
    let run_id = first.run_id();
    // What the hint says to run (with the recorded scenario in place of the cut one).
    let hint = first
        .stderr
        .lines()
        .find(|l| l.contains("cargo xtask resume"))
        .unwrap()
        .to_string();
    let hinted_yes = hint.contains("--yes");
    let second = xtask_in(&runs, &["resume", &run_id, "--replay", "secure-account"]);
    assert_eq!(second.code, 2, "{}", second.stderr);
    let third = xtask_in(
        &runs,
        &["resume", &run_id, "--yes", "--replay", "secure-account"],
    );
    assert_eq!(
        third.code, 0,
        "hint was `{hint}` (carries --yes: {hinted_yes}); after one resume without a terminal \
         the run is final:\n{}",
        third.stderr
    );
}

// ---------------------------------------------------------------------------------------------
// 6. The lock

/// Two takers racing: one creates the lock file and is about to write its holder; the other
/// reads the still-empty file, takes it for "a crash while writing it", deletes it and takes
/// the lock too. Both then hold it (and the first one's drop deletes the second's lock).
#[test]
fn two_takers_never_hold_the_lock_at_once() {
    use std::sync::Barrier;
    let state = tempfile::tempdir().unwrap();
    let dir = state.path().to_path_buf();
    for round in 0..3000 {
        let barrier = Arc::new(Barrier::new(2));
        let takers: Vec<_> = (0..2)
            .map(|i| {
                let barrier = barrier.clone();
                let dir = dir.clone();
                std::thread::spawn(move || {
                    barrier.wait();
                    runbook::lock::Lock::acquire(&dir, &format!("run-{i}")).ok()
                })
            })
            .collect();
        let held: Vec<_> = takers.into_iter().map(|t| t.join().unwrap()).collect();
        let both = held.iter().all(|h| h.is_some());
        drop(held);
        let _ = std::fs::remove_file(dir.join("lock"));
        assert!(!both, "round {round}: both takers hold the lock");
    }
}
