//! The JSON contract: with `--output json` every command prints exactly one document on stdout,
//! success or failure, that the schema in `cli/output.schema.json` accepts; failures carry a
//! stable `error.code` and the process's exit code. Offline (replayed scenarios), so fast.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::support::*;

struct Schema {
    schemas: boon::Schemas,
    index: boon::SchemaIndex,
}

impl Schema {
    fn load() -> Schema {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../cli/output.schema.json");
        let text = std::fs::read_to_string(path).expect("the schema file is in the repository");
        let schema: Value = serde_json::from_str(&text).unwrap();
        let mut schemas = boon::Schemas::new();
        let mut compiler = boon::Compiler::new();
        compiler
            .add_resource("file:///output.schema.json", schema)
            .unwrap();
        let index = compiler
            .compile("file:///output.schema.json", &mut schemas)
            .expect("the schema compiles");
        Schema { schemas, index }
    }

    /// stdout is one JSON document, the schema accepts it, and it says what the exit code says.
    #[track_caller]
    fn check(&self, run: &Run, command: &str) -> Value {
        let doc: Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is one JSON document ({e}):\n{}\nstderr:\n{}",
                run.stdout, run.stderr
            )
        });
        if let Err(e) = self.schemas.validate(&doc, self.index) {
            panic!("the schema refuses the output of `{command}`: {e:#}\n{doc:#}");
        }
        assert_eq!(doc["schema_version"], 1);
        assert_eq!(doc["command"], command, "{doc:#}");
        assert_eq!(doc["ok"], run.code == 0, "{doc:#}");
        if run.code != 0 {
            assert_eq!(doc["error"]["exit_code"], run.code, "{doc:#}");
            assert!(!doc["error"]["message"].as_str().unwrap().is_empty());
        }
        doc
    }

    #[track_caller]
    fn error(&self, run: &Run, command: &str, code: &str) -> Value {
        let doc = self.check(run, command);
        assert_eq!(
            doc["error"]["code"], code,
            "{doc:#}\nstderr:\n{}",
            run.stderr
        );
        doc
    }
}

fn json(state: &Path, args: &[&str]) -> Run {
    let mut cmd = xtask_command(state);
    cmd.args(args).args(["--output", "json"]);
    Run::of(cmd)
}

#[test]
fn runs_print_one_document_success_or_failure() {
    let schema = Schema::load();
    let state = tempfile::tempdir().unwrap();
    let s = state.path();

    let run = json(s, &["run", "revert", "--yes", "--replay", "secure-account"]).success();
    let doc = schema.check(&run, "run revert");
    let run_id = doc["run_id"].as_str().unwrap().to_string();
    let hash = doc["final_hash"].as_str().unwrap().to_string();
    assert_eq!(hash.len(), 64);
    assert_eq!(doc["report"]["runbook"], "revert");

    let run = json(s, &["run", "status", "--replay", "already-reverted"]).success();
    schema.check(&run, "run status");

    // Failures of a run name the run; only a resumable one gets a resume command.
    let run = json(
        s,
        &["run", "status", "--check", "--replay", "secure-account"],
    );
    let run = run.failure(3);
    let doc = schema.error(&run, "run status", "still_sse_kms");
    assert!(doc["run_id"].is_string());
    let run = json(s, &["run", "revert", "--yes", "--replay", "trail-missing"]).failure(2);
    let doc = schema.error(&run, "run revert", "trail_not_found");
    assert!(doc.get("resume_command").is_none(), "{doc:#}");
    let run = json(
        s,
        &[
            "run",
            "revert",
            "--yes",
            "--replay",
            "access-denied-update-trail",
        ],
    )
    .failure(1);
    let doc = schema.error(&run, "run revert", "access_denied");
    assert!(doc["resume_command"]
        .as_str()
        .unwrap()
        .starts_with("cargo xtask resume "));

    // Failures before a run exists.
    let run = json(s, &["run", "revert", "--replay", "secure-account"]).failure(2);
    schema.error(&run, "run revert", "no_terminal");
    let run = json(
        s,
        &[
            "resume",
            "20000101T000000Z-dead",
            "--replay",
            "secure-account",
        ],
    )
    .failure(2);
    schema.error(&run, "resume", "no_such_run");
    let run = json(
        s,
        &["undo", &run_id, "--dry-run", "--replay", "no-such-scenario"],
    )
    .failure(2);
    schema.error(&run, "undo", "fixture");
    let run = json(s, &["run", "revert", "--yes", "--no-such-flag"]).failure(2);
    schema.error(&run, "run revert", "usage");
    let run = json(
        s,
        &["run", "revert", "--check", "--replay", "secure-account"],
    )
    .failure(2);
    schema.error(&run, "run revert", "usage");

    // Without credentials, against an endpoint nobody listens on: refused before any call.
    let mut cmd = xtask_command(s);
    cmd.args(["run", "status", "--endpoint-url", "http://127.0.0.1:9"])
        .args(["--output", "json"]);
    let run = Run::of(cmd).failure(2);
    schema.error(&run, "run status", "no_credentials");
}

#[test]
fn nothing_to_resume_and_a_held_lock() {
    let schema = Schema::load();
    let state = tempfile::tempdir().unwrap();
    let run = json(
        state.path(),
        &["resume", "--yes", "--replay", "secure-account"],
    )
    .failure(2);
    schema.error(&run, "resume", "nothing_to_resume");

    let mut flock = Command::new("flock")
        .arg(state.path().join("lock"))
        .args(["sh", "-c", "echo held; exec cat"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("util-linux flock runs");
    let mut line = String::new();
    BufReader::new(flock.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let run = json(
        state.path(),
        &["run", "revert", "--yes", "--replay", "secure-account"],
    )
    .failure(2);
    drop(flock.stdin.take());
    let _ = flock.wait();
    schema.error(&run, "run revert", "lock_held");
}

#[test]
fn audit_commands_print_one_document_success_or_failure() {
    let schema = Schema::load();
    let (state, dir, run_id) = finished_run();
    let s = state.path();

    let doc = schema.check(&json(s, &["audit", "list"]).success(), "audit list");
    let hash = doc["runs"][0]["final_hash"].as_str().unwrap().to_string();
    assert_eq!(doc["runs"][0]["run_id"], run_id.as_str());

    let doc = schema.check(
        &json(s, &["audit", "show", &run_id]).success(),
        "audit show",
    );
    assert_eq!(doc["final_hash"], hash.as_str());
    assert!(doc["records"].as_array().unwrap().len() > 10);
    let run = json(s, &["audit", "show", &run_id, "--writes"]).success();
    let doc = schema.check(&run, "audit show");
    let writes = doc["writes"].as_array().unwrap();
    assert_eq!(writes.len(), 2, "{doc:#}");
    assert_eq!(writes[0]["operation"], "cloudtrail:UpdateTrail");
    assert_eq!(writes[0]["after"], "none");
    assert_eq!(writes[1]["after"], "AES256");
    assert_eq!(writes[1]["outcome"], "ok");

    let run = json(s, &["audit", "verify", &run_id, "--expect-hash", &hash]).success();
    let doc = schema.check(&run, "audit verify");
    assert_eq!(doc["expected_hash_matches"], true);
    let wrong = "0".repeat(64);
    let run = json(s, &["audit", "verify", &run_id, "--expect-hash", &wrong]).failure(1);
    schema.error(&run, "audit verify", "hash_mismatch");
    let run = json(s, &["audit", "show", "20000101T000000Z-dead"]).failure(2);
    schema.error(&run, "audit show", "no_such_run");

    // A changed line breaks the chain: `log_broken`, naming the line.
    let log = dir.join("audit.jsonl");
    let text = std::fs::read_to_string(&log).unwrap();
    std::fs::write(&log, text.replacen("\"revert\"", "\"status\"", 1)).unwrap();
    let run = json(s, &["audit", "verify", &run_id]).failure(1);
    let doc = schema.error(&run, "audit verify", "log_broken");
    assert!(doc["error"]["message"].as_str().unwrap().contains("line 1"));
    // `audit list` still lists it, unreadable, and says why.
    let doc = schema.check(&json(s, &["audit", "list"]).success(), "audit list");
    assert_eq!(doc["runs"][0]["status"], "unreadable");
    assert_eq!(doc["runs"][0]["error"]["code"], "log_broken");
}

/// `--expect-hash` in human output: right exits 0, wrong exits 1 naming both hashes.
#[test]
fn expect_hash_right_and_wrong() {
    let (state, _dir, run_id) = finished_run();
    let s = state.path();
    let list = xtask_in(s, &["audit", "list"]).success();
    let hash = list
        .stdout
        .lines()
        .nth(1)
        .and_then(|l| l.split_whitespace().last())
        .unwrap()
        .to_string();
    assert_eq!(hash.len(), 64, "{}", list.stdout);
    let ok = xtask_in(s, &["audit", "verify", &run_id, "--expect-hash", &hash]).success();
    assert!(ok.stdout.contains("the log ends in the expected hash"));
    // Another last digit (whatever the hash ends in).
    let last = if hash.ends_with('0') { '1' } else { '0' };
    let wrong = format!("{}{last}", &hash[..63]);
    let bad = xtask_in(s, &["audit", "verify", &run_id, "--expect-hash", &wrong]).failure(1);
    assert!(
        bad.stderr.contains(&hash) && bad.stderr.contains(&wrong),
        "{}",
        bad.stderr
    );
}

#[test]
fn batches_print_one_document_success_or_failure() {
    let schema = Schema::load();
    let state = tempfile::tempdir().unwrap();
    let s = state.path();
    let both = "123456789012,111111111111";
    let run = json(
        s,
        &[
            "run",
            "revert",
            "--yes",
            "--replay",
            "two-accounts",
            "--accounts",
            both,
        ],
    )
    .success();
    let doc = schema.check(&run, "run revert");
    let batch_id = doc["batch_id"].as_str().unwrap().to_string();
    assert_eq!(doc["accounts"].as_array().unwrap().len(), 2, "{doc:#}");
    assert_eq!(doc["accounts"][1]["outcome"], "done");
    assert_eq!(doc["accounts"][1]["writes_made"], 2);
    // Each account's report is read back from its run's journal (the batch keeps none).
    let report = &doc["accounts"][1]["report"];
    assert_eq!(report["runbook"], "revert", "{doc:#}");
    assert!(report["verify"].is_object(), "{doc:#}");

    // An account the scenario has no traffic for fails for good (a resume would not change it):
    // the batch's document goes with the error, and no resume command.
    let run = json(
        s,
        &[
            "run",
            "revert",
            "--yes",
            "--replay",
            "two-accounts",
            "--accounts",
            "123456789012,222222222222",
        ],
    )
    .failure(1);
    let doc = schema.error(&run, "run revert", "batch_failed");
    assert!(doc.get("resume_command").is_none(), "{doc:#}");
    assert_eq!(doc["batch"]["accounts"][0]["outcome"], "done", "{doc:#}");
    assert_ne!(doc["batch"]["accounts"][1]["outcome"], "done", "{doc:#}");

    let run = json(s, &["run", "revert", "--yes", "--accounts", "12"]).failure(2);
    schema.error(&run, "run revert", "bad_account_id");

    let run = json(s, &["audit", "list"]).success();
    let doc = schema.check(&run, "audit list");
    assert_eq!(doc["batches"].as_array().unwrap().len(), 2, "{doc:#}");
    let run = json(s, &["audit", "show", &batch_id]).success();
    let doc = schema.check(&run, "audit show");
    assert_eq!(doc["batch_id"], batch_id.as_str());
}
