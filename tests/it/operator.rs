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
