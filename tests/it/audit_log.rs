//! The audit trail under attack: every edit, deletion or reordering of the log fails
//! `audit verify`, naming the line; corrupt state is a clear error. (The run lock: `lock.rs`.)

use std::path::Path;

use crate::support::*;

fn edit_log(dir: &Path, edit: impl FnOnce(&mut Vec<String>)) {
    let path = dir.join("audit.jsonl");
    let original: Vec<String> = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    let mut lines = original.clone();
    edit(&mut lines);
    assert_ne!(lines, original, "the edit changed the log");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
}

#[test]
fn an_intact_log_verifies() {
    let (state, _, run_id) = finished_run();
    let run = xtask_in(state.path(), &["audit", "verify", &run_id]).success();
    assert!(
        run.stdout
            .contains("hash chain, sequence and transitions intact"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("ended with run_finished"));
    // `latest` is the default.
    xtask_in(state.path(), &["audit", "verify"]).success();
}

#[test]
fn a_changed_byte_fails_verify() {
    let (state, dir, run_id) = finished_run();
    edit_log(&dir, |lines| {
        lines[5] = lines[5].replacen("ap-northeast-1", "ap-northeast-2", 1)
    });
    let run = xtask_in(state.path(), &["audit", "verify", &run_id]).failure(1);
    assert!(
        run.stderr
            .contains("line 6: hash does not match the event's content"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_reformatted_line_fails_verify() {
    let (state, dir, run_id) = finished_run();
    edit_log(&dir, |lines| lines[2] = lines[2].replacen("\":", "\": ", 1));
    let run = xtask_in(state.path(), &["audit", "verify", &run_id]).failure(1);
    assert!(
        run.stderr
            .contains("line 3: the line is not in canonical form"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_deleted_line_fails_verify() {
    let (state, dir, run_id) = finished_run();
    edit_log(&dir, |lines| {
        lines.remove(9);
    });
    let run = xtask_in(state.path(), &["audit", "verify", &run_id]).failure(1);
    assert!(
        run.stderr
            .contains("line 10: sequence number 10 where 9 was expected"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_deleted_last_line_fails_verify() {
    let (state, dir, run_id) = finished_run();
    edit_log(&dir, |lines| {
        lines.pop();
    });
    let run = xtask_in(state.path(), &["audit", "verify", &run_id]).failure(1);
    assert!(run.stderr.contains("lines were removed"), "{}", run.stderr);
}

#[test]
fn a_reordered_pair_fails_verify() {
    let (state, dir, run_id) = finished_run();
    edit_log(&dir, |lines| lines.swap(6, 7));
    let run = xtask_in(state.path(), &["audit", "verify", &run_id]).failure(1);
    assert!(
        run.stderr
            .contains("line 7: sequence number 7 where 6 was expected"),
        "{}",
        run.stderr
    );
}

#[test]
fn resume_refuses_a_finished_run() {
    let (state, _, run_id) = finished_run();
    let run = xtask_in(
        state.path(),
        &["resume", &run_id, "--replay", "secure-account"],
    )
    .failure(2);
    assert!(
        run.stderr
            .contains(&format!("run {run_id} already finished")),
        "{}",
        run.stderr
    );
    let latest = xtask_in(state.path(), &["resume", "--replay", "secure-account"]).failure(2);
    assert!(
        latest.stderr.contains("no unfinished run"),
        "{}",
        latest.stderr
    );
}

#[test]
fn a_corrupt_state_file_is_a_clear_error() {
    let (state, dir, run_id) = failed_run();
    std::fs::write(dir.join("state.json"), "{\"format\": 1, \"run_id\": ").unwrap();
    let run = xtask_in(
        &state.path().join("runs"),
        &["resume", &run_id, "--replay", "secure-account"],
    )
    .failure(1);
    assert!(
        run.stderr.contains("state.json is corrupt"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(&dir.display().to_string()),
        "names the file: {}",
        run.stderr
    );
}

#[test]
fn resume_refuses_a_tampered_log() {
    let (state, dir, run_id) = failed_run();
    edit_log(&dir, |lines| {
        let edited = lines[3].replacen("ap-northeast-1", "us-east-1", 1);
        assert_ne!(edited, lines[3]);
        lines[3] = edited;
    });
    let run = xtask_in(
        &state.path().join("runs"),
        &["resume", &run_id, "--replay", "secure-account"],
    )
    .failure(1);
    assert!(run.stderr.contains("audit.jsonl, line 4"), "{}", run.stderr);
}

#[test]
fn resume_cuts_a_torn_last_line_left_by_a_crash() {
    let (state, dir, run_id) = failed_run();
    let path = dir.join("audit.jsonl");
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str(r#"{"seq":999,"ts":"2026-11-29T1"#);
    std::fs::write(&path, text).unwrap();
    let verify = xtask_in(&state.path().join("runs"), &["audit", "verify", &run_id]).failure(1);
    assert!(
        verify.stderr.contains("not a valid event"),
        "{}",
        verify.stderr
    );

    // Whatever the resumed run meets afterwards (this replay does not model the account's state
    // after the repair), the torn line is cut first and the cut is logged. `resume` without a
    // run id finds the run as well.
    xtask_in(
        &state.path().join("runs"),
        &["resume", "--replay", "secure-account"],
    );
    let events = events(&dir);
    let repaired = events
        .iter()
        .find(|e| e.event == "log_repaired")
        .expect("the repair is logged");
    assert_eq!(repaired.data["dropped_torn_last_line_bytes"], 29);
}

#[test]
fn files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let (state, dir, _) = failed_run();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(
        mode(&state.path().join("runs")),
        0o700,
        "a state dir the tool makes"
    );
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&dir.join("audit.jsonl")), 0o600);
    assert_eq!(mode(&dir.join("state.json")), 0o600);
}

#[test]
fn no_secret_reaches_the_audit_log() {
    let env = Env::secure_account();
    env.xtask(&["run", "revert", "--yes"]).success();
    let text = std::fs::read_to_string(run_dirs(env.state.path())[0].join("audit.jsonl")).unwrap();
    for needle in [
        "testing",
        "Authorization",
        "Signature",
        "X-Amz-Security-Token",
        "AWS4-HMAC",
    ] {
        assert!(!text.contains(needle), "the audit log contains {needle}");
    }
}

#[test]
fn audit_list_and_show() {
    let (state, _, run_id) = finished_run();
    let list = xtask_in(state.path(), &["audit", "list"]).success();
    assert!(
        list.stdout.contains(&run_id)
            && list.stdout.contains("finished")
            && list.stdout.contains("123456789012"),
        "{}",
        list.stdout
    );
    let show = xtask_in(state.path(), &["audit", "show"]).success();
    assert!(
        show.stdout
            .contains("WRITE intended: cloudtrail:UpdateTrail in ap-northeast-1"),
        "{}",
        show.stdout
    );
    let json = xtask_in(
        state.path(),
        &["audit", "show", &run_id, "--output", "json"],
    )
    .success();
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(doc["records"][0]["event"], "run_started");
}

#[test]
fn audit_events_of_a_revert() {
    // The full events of an offline revert, times, ids and hashes filtered.
    let (_state, dir, _) = finished_run();
    let text = std::fs::read_to_string(dir.join("audit.jsonl")).unwrap();
    let interesting: Vec<&str> = text
        .lines()
        .filter(|l| !l.contains("\"event\":\"aws_call\""))
        .collect();
    insta_settings()
        .bind(|| insta::assert_snapshot!("revert_audit_events", interesting.join("\n")));
}

/// A link planted in place of a run's log, its state file or its folder is refused, and the
/// file it points to is not written.
#[test]
fn links_planted_in_a_run_are_refused_and_their_targets_untouched() {
    for planted in ["audit.jsonl", "state.json", "."] {
        let (state, dir, run_id) = failed_run();
        let elsewhere = state.path().join("elsewhere");
        let victim = if planted == "." {
            dir.clone()
        } else {
            dir.join(planted)
        };
        std::fs::rename(&victim, &elsewhere).unwrap();
        std::os::unix::fs::symlink(&elsewhere, &victim).unwrap();
        let snapshot = |p: &Path| -> Vec<u8> {
            if p.is_dir() {
                std::fs::read(p.join("audit.jsonl")).unwrap()
            } else {
                std::fs::read(p).unwrap()
            }
        };
        let before = snapshot(&elsewhere);
        let run = xtask_in(
            &state.path().join("runs"),
            &["resume", &run_id, "--replay", "secure-account"],
        )
        .failure(2);
        assert!(
            run.stderr.contains("is a symbolic link"),
            "{planted}: {}",
            run.stderr
        );
        assert_eq!(snapshot(&elsewhere), before, "{planted}: target untouched");
    }
}

/// A last line that lacks only its newline is a complete record (it parses, is canonical and
/// chains): `audit verify` accepts it and resume agrees. A finished run keeps it: resume
/// refuses the run as finished and cuts nothing; an unfinished run gets its newline back and
/// goes on, the record kept and nothing logged as repaired.
#[test]
fn a_last_line_without_its_newline_is_kept_not_cut() {
    let strip = |dir: &Path| {
        let path = dir.join("audit.jsonl");
        let mut bytes = std::fs::read(&path).unwrap();
        assert_eq!(bytes.pop(), Some(b'\n'));
        std::fs::write(&path, &bytes).unwrap();
        bytes
    };

    let (state, dir, run_id) = finished_run();
    let hash = events(&dir).last().unwrap().hash.clone();
    let bytes = strip(&dir);
    xtask_in(
        state.path(),
        &["audit", "verify", &run_id, "--expect-hash", &hash],
    )
    .success();
    let run = xtask_in(
        state.path(),
        &["resume", &run_id, "--replay", "secure-account"],
    )
    .failure(2);
    assert!(run.stderr.contains("already finished"), "{}", run.stderr);
    assert_eq!(
        std::fs::read(dir.join("audit.jsonl")).unwrap(),
        bytes,
        "nothing cut from a finished run"
    );
    xtask_in(
        state.path(),
        &["audit", "verify", &run_id, "--expect-hash", &hash],
    )
    .success();

    let (state, dir, run_id) = failed_run();
    let last = events(&dir).last().unwrap().clone();
    strip(&dir);
    xtask_in(&state.path().join("runs"), &["audit", "verify", &run_id]).success();
    xtask_in(
        &state.path().join("runs"),
        &["resume", &run_id, "--replay", "secure-account"],
    );
    let after = events(&dir);
    assert_eq!(after[last.seq as usize], last, "the last record is kept");
    assert!(
        !after.iter().any(|e| e.event == "log_repaired"),
        "nothing was cut"
    );
    assert!(after.len() > last.seq as usize + 1, "the run went on");
}

/// The same judgement for a batch journal: `resume BATCH_ID` of a batch whose last line lacks
/// only its newline keeps it.
#[test]
fn a_batch_last_line_without_its_newline_is_kept_not_cut() {
    let state = tempfile::tempdir().unwrap();
    let mut cmd = xtask_command(state.path());
    cmd.args(["run", "status", "--replay", "two-accounts"])
        .args(["--accounts", "123456789012,111111111111"])
        .args(["--max-concurrent-accounts", "1", "--concurrency", "1"]);
    Run::of(cmd).success();
    let batch = runbook::batch::journal::batch_ids(state.path())
        .unwrap()
        .remove(0);
    let path = runbook::batch::journal::batch_dir(state.path(), &batch)
        .join(runbook::batch::journal::BATCH_FILE);
    let mut bytes = std::fs::read(&path).unwrap();
    assert_eq!(bytes.pop(), Some(b'\n'));
    std::fs::write(&path, &bytes).unwrap();
    xtask_in(state.path(), &["audit", "verify", &batch]).success();
    let run = xtask_in(
        state.path(),
        &["resume", &batch, "--replay", "two-accounts"],
    );
    assert_ne!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        std::fs::read(&path).unwrap(),
        bytes,
        "the batch_ended line is not cut"
    );
    xtask_in(state.path(), &["audit", "verify", &batch]).success();
}
