//! The printed resume command runs as printed: a revert that fails before its confirmation, in a
//! state directory whose name has a space and Japanese in it, prints a line that a POSIX shell
//! runs to the end of the run, with no terminal (so it must carry `--yes`).

use std::process::Command;

use crate::proxy::{Proxy, Seen};
use crate::support::*;

/// S3 GetBucketEncryption: read while checking the status, before the confirmation.
fn bucket_encryption_read(seen: &Seen) -> bool {
    seen.line.starts_with("GET ") && seen.line.contains("encryption")
}

#[test]
fn the_printed_resume_command_finishes_the_run_in_bash() {
    let env = Env::secure_account();
    let proxy = Proxy::start(env.moto.port());
    proxy.deny(Some(bucket_encryption_read));
    let base = tempfile::tempdir().unwrap();
    let state_dir = base.path().join("作業 記録").join("runs");

    let mut cmd = xtask_command(env.state.path());
    cmd.env_remove("RUNBOOK_STATE_DIR")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .args([
            "run",
            "revert",
            "--yes",
            "--endpoint-url",
            &proxy.endpoint(),
        ])
        .arg("--state-dir")
        .arg(&state_dir);
    let failed = Run::of(cmd).failure(1);
    assert!(
        failed.stderr.contains("s3:GetEncryptionConfiguration"),
        "failed where the proxy denied: {}",
        failed.stderr
    );
    env.assert_untouched();
    let line = failed.resume_command();
    assert!(line.starts_with("cargo xtask resume "), "{line}");
    assert!(line.contains("--yes"), "the run had --yes: {line}");

    proxy.deny(None);
    // `cargo xtask …` is the built binary here; run from elsewhere, with no RUNBOOK_STATE_DIR:
    // only what the line says can find the run.
    let elsewhere = tempfile::tempdir().unwrap();
    let mut shell = Command::new("bash");
    shell.arg("-c").arg(format!(
        "cargo() {{ shift; \"$XTASK_BIN\" \"$@\"; }}\n{line}"
    ));
    let clean = xtask_command(env.state.path());
    for (k, v) in clean.get_envs() {
        match v {
            Some(v) => shell.env(k, v),
            None => shell.env_remove(k),
        };
    }
    shell
        .env_remove("RUNBOOK_STATE_DIR")
        .env("XTASK_BIN", env!("CARGO_BIN_EXE_xtask"))
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .current_dir(elsewhere.path())
        .stdin(std::process::Stdio::null());
    Run::of(shell).success();

    env.assert_reverted();
    let dirs = run_dirs(&state_dir);
    assert_eq!(dirs.len(), 1, "the one run, resumed");
    let events = events(&dirs[0]);
    assert_eq!(events.last().unwrap().event, "run_finished");
    assert!(events.iter().any(|e| e.event == "run_resumed"));
}
