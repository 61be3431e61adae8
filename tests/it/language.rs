//! The operator's language: `--lang`, else `LC_ALL`, `LC_MESSAGES`, `LANG` (an empty one counts
//! as unset); Japanese errors, resume hints and audit views; times in the local time zone.

use std::path::Path;

use crate::support::*;

fn with_locale(state: &Path, vars: &[(&str, &str)], args: &[&str]) -> Run {
    let mut cmd = xtask_command(state);
    cmd.args(args);
    for (k, v) in vars {
        cmd.env(k, v);
    }
    Run::of(cmd)
}

const UNKNOWN_RUN: &[&str] = &["audit", "show", "20000101T000000Z-dead"];

#[test]
fn locale_precedence_in_the_real_binary() {
    let state = tempfile::tempdir().unwrap();
    let s = state.path();
    let japanese = |vars: &[(&str, &str)]| {
        let run = with_locale(s, vars, UNKNOWN_RUN).failure(2);
        if run.stderr.starts_with("エラー: ") {
            true
        } else {
            assert!(run.stderr.starts_with("error: "), "{}", run.stderr);
            false
        }
    };
    assert!(!japanese(&[]), "LANG=C");
    assert!(japanese(&[("LANG", "ja_JP.UTF-8")]));
    // The case of the issue: an empty LC_ALL is unset, so LANG decides.
    assert!(japanese(&[("LC_ALL", ""), ("LANG", "ja_JP.UTF-8")]));
    assert!(!japanese(&[("LC_ALL", "C"), ("LANG", "ja_JP.UTF-8")]));
    assert!(japanese(&[("LC_MESSAGES", "ja_JP.UTF-8")]));
    assert!(!japanese(&[
        ("LC_MESSAGES", "en_US.UTF-8"),
        ("LANG", "ja_JP.UTF-8")
    ]));
    assert!(japanese(&[("LC_ALL", "ja_JP.UTF-8"), ("LC_MESSAGES", "C")]));
    // The flag wins over every variable.
    let mut args = UNKNOWN_RUN.to_vec();
    args.extend(["--lang", "en"]);
    let run = with_locale(s, &[("LC_ALL", "ja_JP.UTF-8")], &args).failure(2);
    assert!(run.stderr.starts_with("error: "), "{}", run.stderr);
}

#[test]
fn japanese_error_and_resume_hint() {
    let (state, _dir, run_id) = failed_run();
    let runs = state.path().join("runs");
    let run = xtask_in(
        &runs,
        &["resume", "--lang", "ja", "--replay", "no-such-scenario"],
    );
    let run = run.failure(2);
    assert!(run.stderr.starts_with("エラー: "), "{}", run.stderr);
    // A run that fails in Japanese prints the Japanese resume hint, with the command as is.
    let scenario = scenario_with("secure-account", state.path(), cut_before("UpdateTrail"));
    let other = tempfile::tempdir().unwrap();
    let mut cmd = xtask_command(other.path());
    cmd.args(["run", "revert", "--yes", "--lang", "ja", "--replay"])
        .arg(&scenario);
    let run = Run::of(cmd).failure(1);
    assert!(
        run.stderr.contains(
            "実行は完了していません。次のコマンドで続きから再開できます:\n  cargo xtask resume "
        ),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("最終ハッシュ: "), "{}", run.stderr);
    let _ = run_id;
}

#[test]
fn audit_views_in_japanese_and_local_time() {
    let (state, _dir, run_id) = finished_run();
    let s = state.path();
    let list = xtask_in(s, &["audit", "list", "--lang", "ja"]).success();
    insta_settings().bind(|| {
        let mut settings = insta::Settings::clone_current();
        settings.add_filter(
            r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} JST",
            "[LOCAL TIME] JST",
        );
        settings.add_filter(r"\d+\.\d+s", "[S]s");
        settings.bind(|| {
            insta::assert_snapshot!("audit-list-ja", list.stdout);
            let writes = xtask_in(s, &["audit", "show", &run_id, "--writes", "--lang", "ja"]);
            insta::assert_snapshot!("audit-show-writes-ja", writes.success().stdout);
            let writes = xtask_in(s, &["audit", "show", &run_id, "--writes"]);
            insta::assert_snapshot!("audit-show-writes-en", writes.success().stdout);
        });
    });
    assert!(
        list.stdout.contains(" JST "),
        "TZ=Asia/Tokyo: {}",
        list.stdout
    );
    assert!(list.stdout.contains("完了"), "{}", list.stdout);
    // The journal itself stays UTC.
    let show = xtask_in(s, &["audit", "show", &run_id, "--output", "json"]).success();
    assert!(show.stdout.contains("Z\""), "{}", show.stdout);
}

/// The full `audit show` timeline speaks the operator's language too, line by line.
#[test]
fn the_audit_timeline_in_japanese() {
    let (state, _dir, run_id) = finished_run();
    let ja = xtask_in(state.path(), &["audit", "show", &run_id, "--lang", "ja"]).success();
    for words in [
        "実行開始: revert",
        "ステップ preflight 成功",
        "書き込み予定: cloudtrail:UpdateTrail",
        "書き込み結果 (行",
        "オペレーターが確認",
        "実行完了: 2/2",
    ] {
        assert!(ja.stdout.contains(words), "{words}:\n{}", ja.stdout);
    }
    assert!(
        !ja.stdout.contains("step preflight succeeded"),
        "{}",
        ja.stdout
    );
    let en = xtask_in(state.path(), &["audit", "show", &run_id]).success();
    assert!(
        en.stdout.contains("step preflight succeeded"),
        "{}",
        en.stdout
    );
    assert!(
        en.stdout.contains("run finished: 2/2 planned writes made"),
        "{}",
        en.stdout
    );
}
