//! The journal is the run's only truth. A log whose chain is intact but whose story is illegal
//! (forged with correctly recomputed hashes) is refused by `audit verify` and by `resume`,
//! naming the line; `state.json` is a cache that never changes what resume does; runs that
//! failed on bad input are final; a log of another journal format says which tool wrote it.

use runbook::journal::Record;
use serde_json::{json, Value};

use crate::support::*;

/// Each forged story, with the line (1-based, after the edit) and the words the refusal must name.
fn forgeries() -> Vec<(
    &'static str,
    Box<dyn Fn(&mut Vec<Record>) -> usize>,
    &'static str,
)> {
    vec![
        (
            "a step that succeeds without having started",
            Box::new(|r: &mut Vec<Record>| {
                let at = pos(r, "step_started", Some("plan"));
                r.remove(at);
                pos(r, "step_succeeded", Some("plan")) + 1
            }),
            "`step_succeeded` of step `plan`, which has not started",
        ),
        (
            "a write result without an intent",
            Box::new(|r: &mut Vec<Record>| {
                let at = pos(r, "write_intent", None);
                r.remove(at);
                pos(r, "write_result", None) + 1
            }),
            "which is not a write intent",
        ),
        (
            "a second run_started",
            Box::new(|r: &mut Vec<Record>| {
                let copy = r[0].clone();
                r.insert(3, copy);
                4
            }),
            "a second `run_started`",
        ),
        (
            "a step started again after it succeeded",
            Box::new(|r: &mut Vec<Record>| {
                let started = r[pos(r, "step_started", Some("preflight"))].clone();
                let at = pos(r, "step_started", Some("plan"));
                r.insert(at, started);
                at + 1
            }),
            "step `preflight` started again although it succeeded",
        ),
    ]
}

#[test]
fn a_forged_story_fails_verify_naming_the_line() {
    for (what, edit, words) in forgeries() {
        let (state, dir, run_id) = finished_run();
        let mut line = 0;
        forge(&dir, |r| line = edit(r));
        let run = xtask_in(state.path(), &["audit", "verify", &run_id]).failure(1);
        assert!(
            run.stderr
                .contains(&format!("line {line}: illegal transition: ")),
            "{what}: {}",
            run.stderr
        );
        assert!(run.stderr.contains(words), "{what}: {}", run.stderr);
        // `audit show` reads through the same fold.
        xtask_in(state.path(), &["audit", "show", &run_id]).failure(1);
    }
}

#[test]
fn anything_after_the_end_fails_verify() {
    let (state, dir, run_id) = finished_run();
    forge(&dir, |r| {
        let mut warning = r[1].clone();
        warning.event = "warning".into();
        warning.data = json!({"step": "verify", "message": "appended later"});
        r.push(warning);
    });
    let run = xtask_in(state.path(), &["audit", "verify", &run_id]).failure(1);
    assert!(
        run.stderr
            .contains("illegal transition: `warning` after the run ended (finished)"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_finished_run_must_count_its_writes_truly() {
    let (state, dir, run_id) = finished_run();
    forge(&dir, |r| {
        let last = r.last_mut().unwrap();
        last.data["writes_made"] = json!(1);
    });
    let run = xtask_in(state.path(), &["audit", "verify", &run_id]).failure(1);
    assert!(
        run.stderr
            .contains("`run_finished` counts 1 writes made; the log shows 2"),
        "{}",
        run.stderr
    );
}

#[test]
fn resume_refuses_a_forged_story_and_writes_nothing() {
    for (what, edit, words) in forgeries()
        .into_iter()
        .filter(|(what, ..)| !what.contains("write result"))
    {
        let (state, dir, run_id) = failed_run();
        let mut line = 0;
        forge(&dir, |r| line = edit(r));
        let before = std::fs::read(dir.join("audit.jsonl")).unwrap();
        let run = xtask_in(
            &state.path().join("runs"),
            &["resume", &run_id, "--replay", "secure-account"],
        )
        .failure(1);
        assert!(
            run.stderr
                .contains(&format!("line {line}: illegal transition"))
                && run.stderr.contains(words),
            "{what}: {}",
            run.stderr
        );
        assert_eq!(
            std::fs::read(dir.join("audit.jsonl")).unwrap(),
            before,
            "{what}: nothing appended"
        );
    }
}

/// `state.json` edited as a user might: it is never obeyed over the log.
#[test]
fn an_edited_state_file_never_changes_what_resume_does() {
    let edits: [(&str, fn(&mut Value)); 4] = [
        ("args.trails[0]", |s| s["args"]["trails"] = json!(["Other"])),
        ("args.dry_run", |s| s["args"]["dry_run"] = json!(true)),
        ("runbook", |s| s["runbook"] = json!("status")),
        ("account", |s| s["account"] = json!("210987654321")),
    ];
    for (field, edit) in edits {
        let (state, dir, run_id) = failed_run();
        let path = dir.join("state.json");
        let mut cached: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        edit(&mut cached);
        std::fs::write(&path, serde_json::to_vec_pretty(&cached).unwrap()).unwrap();
        let log_before = std::fs::read(dir.join("audit.jsonl")).unwrap();
        let run = xtask_in(
            &state.path().join("runs"),
            &["resume", &run_id, "--yes", "--replay", "secure-account"],
        )
        .failure(1);
        assert!(
            run.stderr.contains(&format!(
                "disagrees with the audit log beside it in `{field}`"
            )),
            "{field}: {}",
            run.stderr
        );
        assert_eq!(
            std::fs::read(dir.join("audit.jsonl")).unwrap(),
            log_before,
            "{field}: nothing was done"
        );
        // `audit verify` checks the cache the same way.
        let verify = xtask_in(&state.path().join("runs"), &["audit", "verify", &run_id]).failure(1);
        assert!(
            verify.stderr.contains(&format!("`{field}`")),
            "{}",
            verify.stderr
        );
    }
}

/// Resume takes the runbook and its arguments from the journal: an intact run resumed after its
/// cache was rebuilt faithfully finishes as it was started.
#[test]
fn resume_takes_its_arguments_from_the_journal() {
    let (state, dir, run_id) = failed_run();
    let resumed = xtask_in(
        &state.path().join("runs"),
        &["resume", &run_id, "--replay", "secure-account"],
    )
    .success();
    assert!(resumed.stdout.contains("Done:"), "{}", resumed.stdout);
    let records = events(&dir);
    let resumed_event = records.iter().find(|r| r.event == "run_resumed").unwrap();
    assert_eq!(resumed_event.data["attempt"], 2);
    let finished = records.last().unwrap();
    assert_eq!(finished.event, "run_finished");
    assert_eq!(finished.data["writes_made"], 2, "{}", finished.data);
}

/// A run that failed on bad input is final: no resume hint, not offered by a bare `resume`,
/// refused by an explicit one, listed as final.
#[test]
fn a_usage_error_is_final() {
    let state = tempfile::tempdir().unwrap();
    let run = xtask_in(
        state.path(),
        &[
            "run",
            "revert",
            "--yes",
            "--trail",
            "Nope",
            "--replay",
            "secure-account",
        ],
    )
    .failure(2);
    assert!(!run.stderr.contains("resume"), "{}", run.stderr);
    let run_id = run.run_id();
    let records = events(&run_dirs(state.path())[0]);
    let failed = records.last().unwrap();
    assert_eq!(failed.event, "run_failed");
    assert_eq!(failed.data["resumable"], false);

    let bare = xtask_in(state.path(), &["resume", "--replay", "secure-account"]).failure(2);
    assert!(bare.stderr.contains("no unfinished run"), "{}", bare.stderr);
    let named = xtask_in(
        state.path(),
        &["resume", &run_id, "--replay", "secure-account"],
    )
    .failure(2);
    assert!(
        named.stderr.contains("cannot be resumed") && named.stderr.contains("not found"),
        "{}",
        named.stderr
    );
    let list = xtask_in(state.path(), &["audit", "list"]).success();
    assert!(list.stdout.contains("failed (final)"), "{}", list.stdout);
}

/// The account is checked against the journal's, with another account's real identity.
#[test]
fn resume_refuses_another_account() {
    let (state, _dir, run_id) = failed_run();
    let other = scenario_with("secure-account", state.path(), |fixture| {
        let sts = fixture
            .exchanges
            .iter_mut()
            .find(|e| e.key.operation == "GetCallerIdentity")
            .unwrap();
        sts.response.body = sts.response.body.replace("123456789012", "210987654321");
    });
    let mut cmd = xtask_command(&state.path().join("runs"));
    cmd.args(["resume", &run_id, "--replay"]).arg(&other);
    let run = Run::of(cmd).failure(2);
    assert!(
        run.stderr.contains(&format!("run {run_id} was made for account 123456789012, but the current credentials are for account 210987654321")),
        "{}",
        run.stderr
    );
}

/// A log written by the journal format before this one says so, and which tool wrote it.
#[test]
fn a_log_of_another_format_names_the_tool_that_wrote_it() {
    let (state, dir, run_id) = finished_run();
    forge(&dir, |r| {
        let data = r[0].data.as_object_mut().unwrap();
        data.remove("format");
        data.remove("credentials");
    });
    let run = xtask_in(state.path(), &["audit", "verify", &run_id]).failure(2);
    assert!(
        run.stderr
            .contains("was written by tool version 0.1.0 in journal format 1"),
        "{}",
        run.stderr
    );
}

/// A finished revert cut after its trail write, with `run_finished` appended and the chain
/// recomputed: the bucket was never written, verified or advised on. The fold knows the
/// runbook's steps (from `run_started`), so the run may not finish there: `audit verify`,
/// `audit report` and `resume` refuse it naming the line, and resume does not call it finished.
#[test]
fn a_run_that_skipped_steps_may_not_finish() {
    let (state, dir, run_id) = finished_run();
    let mut line = 0;
    forge(&dir, |r| {
        let end = r.last().unwrap().clone();
        assert_eq!(end.event, "run_finished");
        let cut = pos(r, "step_succeeded", Some("disable_trail_kms")) + 1;
        r.truncate(cut);
        // The bucket's step ran beside the trail's: its lines before the cut go too.
        r.retain(|r| r.data["step"] != "set_bucket_aes256");
        let mut end = end;
        end.data["writes_made"] = json!(1);
        r.push(end);
        line = r.len();
    });
    let words = "neither succeeded nor was skipped";
    let run = xtask_in(state.path(), &["audit", "verify", &run_id]).failure(1);
    assert!(
        run.stderr
            .contains(&format!("line {line}: illegal transition: "))
            && run.stderr.contains("step `set_bucket_aes256`")
            && run.stderr.contains(words),
        "{}",
        run.stderr
    );
    let report = xtask_in(state.path(), &["audit", "report", &run_id]).failure(1);
    assert!(report.stderr.contains(words), "{}", report.stderr);
    assert!(!dir.join("report.html").exists(), "no evidence page");
    let resume = xtask_in(
        state.path(),
        &["resume", &run_id, "--replay", "secure-account"],
    )
    .failure(1);
    assert!(
        resume.stderr.contains(words) && !resume.stderr.contains("already finished"),
        "{}",
        resume.stderr
    );
}

/// A finished revert whose bucket write is cut out of the log (its reading, `write_intent`,
/// `PutBucketEncryption` call and `write_result`), the step still reporting the write
/// `changed`, `run_finished` counting the one trail write left, and the chain recomputed. A
/// write step may report a write made only after a write of it conclusively applied, so the
/// fold refuses the step's success: `audit verify` names that line and `audit report` refuses.
#[test]
fn a_write_step_may_not_claim_a_write_the_log_does_not_hold() {
    let (state, dir, run_id) = finished_run();
    let mut line = 0;
    forge(&dir, |r| {
        let started = pos(r, "step_started", Some("set_bucket_aes256"));
        let succeeded = pos(r, "step_succeeded", Some("set_bucket_aes256"));
        let cut: Vec<&str> = r[started + 1..succeeded]
            .iter()
            .map(|r| r.event.as_str())
            .collect();
        assert!(
            cut.contains(&"write_intent") && cut.contains(&"write_result"),
            "{cut:?}"
        );
        assert_eq!(r[succeeded].data["output"][0]["outcome"], "changed");
        r.drain(started + 1..succeeded);
        line = started + 2;
        let end = r.last_mut().unwrap();
        assert_eq!(end.event, "run_finished");
        assert_eq!(end.data["writes_made"], json!(2));
        end.data["writes_made"] = json!(1);
    });
    let words = "reports its write to";
    let run = xtask_in(state.path(), &["audit", "verify", &run_id]).failure(1);
    assert!(
        run.stderr
            .contains(&format!("line {line}: illegal transition: "))
            && run.stderr.contains("step `set_bucket_aes256`")
            && run.stderr.contains(words)
            && run.stderr.contains("answered `ok` or settled as applied"),
        "{}",
        run.stderr
    );
    let report = xtask_in(state.path(), &["audit", "report", &run_id]).failure(1);
    assert!(report.stderr.contains(words), "{}", report.stderr);
    assert!(!dir.join("report.html").exists(), "no evidence page");
}
