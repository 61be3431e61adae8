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

/// Profile files that cannot be read (a config file that does not parse) are a clear error
/// that says the SDK's cause once, though the error keeps it as its source.
#[test]
fn unreadable_profile_files_are_refused_saying_their_cause_once() {
    let env = Env::secure_account();
    let proxy = Proxy::start(env.moto.port());
    let files = tempfile::tempdir().unwrap();
    let config = files.path().join("config");
    std::fs::write(&config, "[profile broken\n").unwrap();
    let mut cmd = xtask_command(env.state.path());
    cmd.args(["run", "status", "--profile", "acct-a"])
        .args(["--endpoint-url", &proxy.endpoint()])
        .env("AWS_CONFIG_FILE", &config)
        .env("AWS_SHARED_CREDENTIALS_FILE", files.path().join("none"));
    let run = Run::of(cmd).failure(2);
    assert!(
        run.stderr.contains(
            "the AWS profile files cannot be read: could not parse profile file: error parsing"
        ) && run
            .stderr
            .matches("Profile definition must end with ']'")
            .count()
            == 1,
        "{}",
        run.stderr
    );
    assert!(proxy.seen().is_empty(), "no request was sent");
    assert!(run_dirs(env.state.path()).is_empty(), "no run was started");
}

// ---------------------------------------------------------------------------------------------
// The run's own credentials never reach what it writes or prints, even when an endpoint echoes
// them back.

const SESSION_KEY_ID: &str = "ASIASESSIONEXAMPLE01";
const SESSION_SECRET: &str = "sEcReTsEsSiOnKeY0123456789abcdefghijKLMN";
const SESSION_TOKEN: &str =
    "IQoJb3JpZ2luX2VjEXAMPLEsessionTOKENvalue0123456789/abcdefghijklmnop+qrstuvwxyz==";

fn xml_escaped(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// An endpoint on a loopback port that answers STS GetCallerIdentity, and refuses every other
/// request with an EC2 `AccessDenied` whose message quotes the request's headers.
fn echoing_endpoint() -> String {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut headers = Vec::new();
            let mut length = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                let line = line.trim_end().to_string();
                if let Some((name, value)) = line.split_once(':') {
                    if name.eq_ignore_ascii_case("content-length") {
                        length = value.trim().parse().unwrap_or(0);
                    }
                }
                headers.push(line);
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            let body = String::from_utf8_lossy(&body);
            let (status, answer) = if body.contains("Action=GetCallerIdentity") {
                (
                    "200 OK",
                    "<GetCallerIdentityResponse><GetCallerIdentityResult>\
                     <Arn>arn:aws:sts::123456789012:assumed-role/Operator/session</Arn>\
                     <UserId>AROAEXAMPLE:session</UserId><Account>123456789012</Account>\
                     </GetCallerIdentityResult><ResponseMetadata><RequestId>echo-0</RequestId>\
                     </ResponseMetadata></GetCallerIdentityResponse>"
                        .to_string(),
                )
            } else {
                (
                    "403 Forbidden",
                    format!(
                        "<Response><Errors><Error><Code>AccessDenied</Code><Message>\
                         Access denied for this request: {}</Message></Error></Errors>\
                         <RequestID>echo-1</RequestID></Response>",
                        xml_escaped(&headers.join("\n"))
                    ),
                )
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\ncontent-type: text/xml\r\ncontent-length: {}\r\n\
                 connection: close\r\n\r\n{answer}",
                answer.len()
            );
        }
    });
    url
}

#[test]
fn credentials_echoed_by_an_endpoint_are_neither_recorded_nor_printed() {
    let endpoint = echoing_endpoint();
    let state = tempfile::tempdir().unwrap();
    let mut outputs = Vec::new();
    for args in [
        &["run", "status"][..],
        &["run", "revert", "--yes", "--output", "json"][..],
    ] {
        let mut cmd = xtask_command(state.path());
        cmd.args(args)
            .args(["--endpoint-url", &endpoint])
            .env("AWS_ACCESS_KEY_ID", SESSION_KEY_ID)
            .env("AWS_SECRET_ACCESS_KEY", SESSION_SECRET)
            .env("AWS_SESSION_TOKEN", SESSION_TOKEN);
        let run = Run::of(cmd).failure(1);
        // The refusal is there, with what the endpoint said (less the secrets).
        assert!(
            run.stderr.contains("AccessDenied") && run.stderr.contains("[REDACTED]"),
            "{}",
            run.stderr
        );
        outputs.push(("stdout".to_string(), run.stdout));
        outputs.push(("stderr".to_string(), run.stderr));
    }
    let dirs = run_dirs(state.path());
    assert_eq!(dirs.len(), 2);
    for dir in &dirs {
        for file in ["audit.jsonl", "state.json"] {
            let text = std::fs::read_to_string(dir.join(file)).unwrap();
            outputs.push((format!("{}/{file}", dir.display()), text));
        }
        let log = std::fs::read_to_string(dir.join("audit.jsonl")).unwrap();
        assert!(
            log.contains("AccessDenied"),
            "the refusal is recorded: {log}"
        );
    }
    let encoded_token = SESSION_TOKEN
        .replace('/', "%2F")
        .replace('+', "%2B")
        .replace('=', "%3D");
    for (place, text) in outputs {
        for secret in [
            SESSION_KEY_ID,
            SESSION_SECRET,
            SESSION_TOKEN,
            &encoded_token,
            "AWS4-HMAC-SHA256",
            "Signature=",
        ] {
            assert!(!text.contains(secret), "{secret} in {place}:\n{text}");
        }
        assert!(
            !text.to_ascii_lowercase().contains("authorization: a")
                && !text
                    .to_ascii_lowercase()
                    .contains("x-amz-security-token: i"),
            "a header in {place}:\n{text}"
        );
    }
}
