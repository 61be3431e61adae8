//! The profile you name is the account you touch: with another account's keys still in the
//! environment, `--profile acctA` (or `AWS_PROFILE=acctA`) signs every request with acctA's key,
//! and a profile that does not exist is refused before any call, naming the files searched.

use std::path::Path;

use crate::proxy::Proxy;
use crate::support::*;

const ACCT_A_KEY_ID: &str = "AKIAACCTAEXAMPLE0001";
/// Keys of "another account" left in the operator's shell.
const ENV_KEY_ID: &str = "AKIAENVIRONMENT00002";

/// A config and a credentials file, as `aws configure --profile acctA` writes them.
fn profile_files(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let config = dir.join("config");
    let credentials = dir.join("credentials");
    std::fs::write(&config, "[profile acctA]\nregion = ap-northeast-1\n").unwrap();
    std::fs::write(
        &credentials,
        format!(
            "[acctA]\naws_access_key_id = {ACCT_A_KEY_ID}\naws_secret_access_key = acct-a-secret\n"
        ),
    )
    .unwrap();
    (config, credentials)
}

/// `cargo xtask ARGS --endpoint-url <proxy>` with environment keys and the profile files.
fn xtask_with_env_keys(env: &Env, files: &Path, proxy: &Proxy, args: &[&str]) -> Run {
    let (config, credentials) = profile_files(files);
    let mut cmd = xtask_command(env.state.path());
    cmd.args(args)
        .args(["--endpoint-url", &proxy.endpoint()])
        .env("AWS_ACCESS_KEY_ID", ENV_KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", "environment-secret")
        .env("AWS_CONFIG_FILE", config)
        .env("AWS_SHARED_CREDENTIALS_FILE", credentials);
    Run::of(cmd)
}

#[track_caller]
fn assert_every_request_signed_by_acct_a(proxy: &Proxy) {
    let seen = proxy.seen();
    assert!(
        seen.iter()
            .any(|s| s.target.as_deref() == Some("CloudTrail_20131101.UpdateTrail")),
        "the revert reached its writes: {seen:#?}"
    );
    for request in &seen {
        assert_eq!(
            request.key_id.as_deref(),
            Some(ACCT_A_KEY_ID),
            "{request:?} is signed by the profile's key"
        );
    }
}

#[test]
fn the_named_profile_signs_every_request_even_with_keys_in_the_environment() {
    let env = Env::secure_account();
    let proxy = Proxy::start(env.moto.port());
    let files = tempfile::tempdir().unwrap();
    xtask_with_env_keys(
        &env,
        files.path(),
        &proxy,
        &["run", "revert", "--yes", "--profile", "acctA"],
    )
    .success();
    assert_every_request_signed_by_acct_a(&proxy);
    env.assert_reverted();
}

#[test]
fn aws_profile_in_the_environment_names_the_profile_too() {
    let env = Env::secure_account();
    let proxy = Proxy::start(env.moto.port());
    let files = tempfile::tempdir().unwrap();
    let (config, credentials) = profile_files(files.path());
    let mut cmd = xtask_command(env.state.path());
    cmd.args([
        "run",
        "revert",
        "--yes",
        "--endpoint-url",
        &proxy.endpoint(),
    ])
    .env("AWS_PROFILE", "acctA")
    .env("AWS_ACCESS_KEY_ID", ENV_KEY_ID)
    .env("AWS_SECRET_ACCESS_KEY", "environment-secret")
    .env("AWS_CONFIG_FILE", config)
    .env("AWS_SHARED_CREDENTIALS_FILE", credentials);
    Run::of(cmd).success();
    assert_every_request_signed_by_acct_a(&proxy);
}

#[test]
fn an_unknown_profile_is_refused_before_any_call_whatever_the_environment_holds() {
    let env = Env::secure_account();
    let proxy = Proxy::start(env.moto.port());
    let files = tempfile::tempdir().unwrap();
    let run = xtask_with_env_keys(
        &env,
        files.path(),
        &proxy,
        &["run", "revert", "--yes", "--profile", "nosuch"],
    )
    .failure(2);
    let config = files.path().join("config");
    let credentials = files.path().join("credentials");
    assert!(
        run.stderr.contains("AWS profile `nosuch` does not exist"),
        "{}",
        run.stderr
    );
    for file in [config, credentials] {
        assert!(
            run.stderr.contains(&file.display().to_string()),
            "names {}: {}",
            file.display(),
            run.stderr
        );
    }
    assert!(proxy.seen().is_empty(), "no request was sent");
    assert!(run_dirs(env.state.path()).is_empty(), "no run was started");
    env.assert_untouched();
}
