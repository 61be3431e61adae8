//! Japanese everywhere (issue 22, items 14 and 22): the error paths an operator meets, run with
//! `LANG=ja_JP.UTF-8`, say nothing in English outside ids, ARNs, paths, codes, commands and
//! the text AWS (or a record) said itself, which is marked as such. One funnel, `check`, runs a
//! case and names every English word left.

use std::path::Path;

use crate::support::*;

/// The English words in `text` that are not ids, ARNs, paths, flags, codes, commands, file
/// names or quoted text: what a Japanese operator would read as untranslated.
pub fn english_left(text: &str) -> Vec<String> {
    let mut left = Vec::new();
    for line in text.lines() {
        // A command to run (the resume hint's second line) is a command, not prose.
        if line.trim_start().starts_with("cargo xtask ") {
            continue;
        }
        // What AWS, the system or an older record said is quoted as it was, after its marker.
        let line = ["AWS の応答:", "システムの応答:", "(記録された英語の原文)"]
            .iter()
            .fold(line, |line, marker| {
                line.split(marker).next().unwrap_or(line)
            });
        // The article's own verdict lines, quoted as the article shows them.
        let line = [
            "SSE-KMS is enabled",
            "SSE-S3 is enabled",
            "Default encryption is not set",
        ]
        .iter()
        .fold(line.to_string(), |line, quote| line.replace(quote, ""));
        // A request's parameters (`{"Name":…}`) are the API's own names.
        let line = match (line.find('{'), line.rfind('}')) {
            (Some(open), Some(close)) if open < close => {
                format!("{}{}", &line[..open], &line[close + 1..])
            }
            _ => line,
        };
        // Code spans (`cargo xtask audit list`, `Members`) are names, not prose.
        let prose: String = line
            .split('`')
            .enumerate()
            .filter(|(i, _)| i % 2 == 0)
            .map(|(_, part)| part)
            .collect::<Vec<_>>()
            .join(" ");
        for token in prose.split(|c: char| {
            c.is_whitespace() || !c.is_ascii() || "()[]{},;\"'!?=<>|「」".contains(c)
        }) {
            let token = token.trim_matches(|c: char| ".:".contains(c));
            let letters = token.chars().filter(char::is_ascii_alphabetic).count();
            let name_like = token.contains(|c: char| c.is_ascii_digit() || "/:_.@*-".contains(c))
                || token.starts_with('-')
                // Codes and names: AccessDenied, CloudTrail, SSE, AWS, KMS, JSON.
                || token.chars().skip(1).any(|c| c.is_ascii_uppercase())
                || [
                    "cargo", "xtask", "flock", "aws", "y", "N", "on", "off", "cloudtrail", "kms", "sts",
                    "config", "organizations", "Config",
                ].contains(&token);
            if letters >= 2 && !name_like {
                left.push(token.to_string());
            }
        }
    }
    left
}

#[test]
fn the_checker_tells_prose_from_names() {
    assert_eq!(
        english_left("エラー: every account listed is excluded (111111111111)"),
        ["every", "account", "listed", "is", "excluded"]
    );
    assert!(english_left(
        "エラー: 証跡 `Members` の arn:aws:cloudtrail:ap-northeast-1:123456789012:trail/Members を \
         --trail で指定; `cargo xtask audit list`; AccessDenied; SSE-KMS; runs/x/audit.jsonl\n  \
         AWS の応答: User is not authorized"
    )
    .is_empty());
}

/// One error path: the command, run in Japanese by the locale alone, exits `code` and says
/// everything (stdout and stderr) in Japanese.
#[track_caller]
fn check(state: &Path, args: &[&str], code: i32) -> Run {
    judge(xtask_command(state), args, code)
}

/// [`check`] against the moto server of `env` (with its credentials).
#[track_caller]
fn check_on(env: &Env, args: &[&str], code: i32) -> Run {
    check_at(env, &env.moto.endpoint(), args, code)
}

/// [`check_on`] through `endpoint` (a proxy in front of `env`'s moto).
#[track_caller]
fn check_at(env: &Env, endpoint: &str, args: &[&str], code: i32) -> Run {
    let mut cmd = xtask_command(env.state.path());
    cmd.env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing");
    let args: Vec<&str> = args
        .iter()
        .copied()
        .chain(["--endpoint-url", endpoint])
        .collect();
    judge(cmd, &args, code)
}

#[track_caller]
fn judge(mut cmd: std::process::Command, args: &[&str], code: i32) -> Run {
    cmd.args(args)
        .env("LANG", "ja_JP.UTF-8")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES");
    let run = Run::of(cmd);
    assert_eq!(
        run.code, code,
        "{args:?}\nstdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    for (stream, text) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
        let left = english_left(text);
        assert!(
            left.is_empty(),
            "{args:?}: English on {stream}: {left:?}\n{text}"
        );
    }
    run
}

#[test]
fn account_lists_refused_in_japanese() {
    let state = tempfile::tempdir().unwrap();
    let s = state.path();
    let replay = ["run", "status", "--replay", "secure-account"];
    let with = |more: &[&str]| -> Vec<String> {
        replay.iter().chain(more).map(|a| a.to_string()).collect()
    };
    let args = with(&[
        "--accounts",
        "111111111111",
        "--exclude-account",
        "111111111111",
    ]);
    check(s, &args.iter().map(String::as_str).collect::<Vec<_>>(), 2);
    let empty = s.join("accounts.txt");
    std::fs::write(&empty, "# nobody yet\n").unwrap();
    let args = with(&["--accounts-file", empty.to_str().unwrap()]);
    check(s, &args.iter().map(String::as_str).collect::<Vec<_>>(), 2);
}

#[test]
fn undo_refusals_in_japanese() {
    let state = tempfile::tempdir().unwrap();
    let s = state.path();
    let status = xtask_in(s, &["run", "status", "--replay", "secure-account"]).success();
    let status_id = status.run_id();
    check(
        s,
        &["undo", &status_id, "--replay", "secure-account", "--yes"],
        2,
    );
    let dry = xtask_in(
        s,
        &["run", "revert", "--replay", "secure-account", "--dry-run"],
    )
    .success();
    check(
        s,
        &["undo", &dry.run_id(), "--replay", "secure-account", "--yes"],
        2,
    );
}

#[test]
fn the_recheck_findings_in_japanese() {
    let state = tempfile::tempdir().unwrap();
    check(
        state.path(),
        &["run", "status", "--replay", "secure-account", "--check"],
        3,
    );
}

#[test]
fn a_changed_line_in_japanese() {
    let state = tempfile::tempdir().unwrap();
    let s = state.path();
    let run = xtask_in(s, &["run", "status", "--replay", "secure-account"]).success();
    let id = run.run_id();
    let log = s.join(&id).join("audit.jsonl");
    let text = std::fs::read_to_string(&log).unwrap();
    std::fs::write(&log, text.replacen("ap-northeast-1", "ap-northeast-3", 1)).unwrap();
    check(s, &["audit", "verify", &id], 1);
}

#[test]
fn everyday_refusals_in_japanese() {
    let state = tempfile::tempdir().unwrap();
    let s = state.path();
    check(s, &["audit", "show", "20000101T000000.000Z-dead"], 2);
    check(s, &["resume", "--replay", "secure-account"], 2);
    check(
        s,
        &[
            "run",
            "status",
            "--replay",
            "secure-account",
            "--regions",
            "xx-nowhere-1",
        ],
        2,
    );
    check(s, &["run", "revert", "--replay", "secure-account"], 2);
    // A flag value clap refuses: its own words, marked as such.
    check(s, &["run", "status", "--endpoint-url", "nope"], 2);
}

#[test]
fn a_batch_in_japanese() {
    let state = tempfile::tempdir().unwrap();
    let s = state.path();
    let accounts = "123456789012,111111111111";
    let run = check(
        s,
        &[
            "run",
            "status",
            "--replay",
            "two-accounts",
            "--accounts",
            accounts,
            "--check",
        ],
        3,
    );
    let batch = run
        .stderr
        .split_whitespace()
        .find(|w| w.starts_with("batch-"))
        .map(|w| w.trim_matches(|c: char| !c.is_ascii_alphanumeric() && c != '-' && c != '.'))
        .unwrap_or_else(|| panic!("a batch id in:\n{}", run.stderr))
        .to_string();
    check(s, &["audit", "show", &batch], 0);
}

#[test]
fn a_partial_undo_in_japanese() {
    let env = Env::secure_account();
    let revert_id = env.xtask(&["run", "revert", "--yes"]).success().run_id();
    runtime()
        .block_on(cloudtrail(&env, HOME).delete_trail().name("Members").send())
        .unwrap();
    check_on(&env, &["undo", &revert_id, "--yes"], 5);
}

#[test]
fn the_main_job_and_its_views_in_japanese() {
    let state = tempfile::tempdir().unwrap();
    let s = state.path();
    check(
        s,
        &["run", "revert", "--replay", "secure-account", "--yes"],
        0,
    );
    check(s, &["audit", "list"], 0);
    check(s, &["audit", "show", "--writes"], 0);
    check(s, &["audit", "verify"], 0);
}

#[test]
fn a_refused_assume_role_in_japanese() {
    let env = Env::secure_account();
    let proxy = crate::proxy::Proxy::start(env.moto.port());
    proxy.deny(Some(|seen| seen.body.contains("Action=AssumeRole")));
    check_at(
        &env,
        &proxy.endpoint(),
        &["run", "status", "--accounts", "333333333333"],
        1,
    );
}

#[test]
fn file_refusals_and_missing_credentials_in_japanese() {
    let state = tempfile::tempdir().unwrap();
    let s = state.path();
    let run = xtask_in(s, &["run", "status", "--replay", "secure-account"]).success();
    let inside = s.join("x.html");
    check(
        s,
        &[
            "audit",
            "report",
            &run.run_id(),
            "--out",
            inside.to_str().unwrap(),
        ],
        2,
    );
    let empty = tempfile::tempdir().unwrap();
    let mut cmd = xtask_command(empty.path());
    cmd.env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_PROFILE")
        .env("AWS_CONFIG_FILE", empty.path().join("none"))
        .env("AWS_SHARED_CREDENTIALS_FILE", empty.path().join("none"))
        .env("AWS_EC2_METADATA_DISABLED", "true");
    judge(
        cmd,
        &["run", "status", "--endpoint-url", "http://127.0.0.1:9"],
        2,
    );
}
