//! What the operator sees around a run: `-v` (the SDK's attempts on stderr, nothing secret),
//! the question before a revert, the help.

use crate::support::*;

/// `-v` shows each operation and attempt as the SDK reports it: the read throttled in this
/// scenario is retried by the SDK, and its second attempt shows. No credential reaches stderr.
#[test]
fn verbose_shows_each_attempt_and_no_secret() {
    let state = tempfile::tempdir().unwrap();
    let run = xtask_in(
        state.path(),
        &[
            "run",
            "revert",
            "--yes",
            "-v",
            "--replay",
            "throttled-then-ok",
        ],
    )
    .success();
    let attempt = |op: &str, n: u32| {
        run.stderr
            .lines()
            .any(|l| l.contains(op) && l.contains(&format!("beginning attempt #{n}")))
    };
    assert!(attempt("CloudTrail.DescribeTrails", 2), "{}", run.stderr);
    assert!(attempt("CloudTrail.UpdateTrail", 1), "{}", run.stderr);
    assert!(run.stderr.contains("S3.GetBucketEncryption"));
    for secret_shape in [
        "access_key_id",
        "secret_access_key",
        "Authorization",
        "x-amz-security-token",
        "Signature",
        "AKIA",
    ] {
        assert!(
            !run.stderr.contains(secret_shape),
            "`{secret_shape}` on stderr:\n{}",
            run.stderr
        );
    }
    // Without -v, none of it.
    let quiet = xtask_in(
        state.path(),
        &["run", "status", "--replay", "already-reverted"],
    )
    .success();
    assert!(!quiet.stderr.contains("DEBUG"), "{}", quiet.stderr);
}

/// `--help` teaches by example: the real binary's help ends with the article's moves.
#[test]
fn help_ends_with_examples() {
    let state = tempfile::tempdir().unwrap();
    let top = xtask_in(state.path(), &["--help"]).success();
    assert!(top
        .stdout
        .contains("Examples (an operator needs run, resume, undo and audit"));
    let run = xtask_in(state.path(), &["run", "--help"]).success();
    let examples = run.stdout.rsplit_once("Examples:").unwrap().1;
    for move_ in [
        "cargo xtask run status --profile my-account",
        "cargo xtask run revert --profile my-account --dry-run",
        "cargo xtask run revert --profile my-account ",
    ] {
        assert!(examples.contains(move_), "{}", run.stdout);
    }
    let audit = xtask_in(state.path(), &["audit", "verify", "--help"]).success();
    assert!(audit
        .stdout
        .contains("cargo xtask audit verify RUN_ID --expect-hash HASH"));
}
