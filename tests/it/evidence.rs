//! `audit report`: the evidence page of replayed runs (finished, half-done, failed then
//! resumed, access denied), in English and Japanese, as insta snapshots; values escaped; and
//! the page rendered by a real headless Chromium to PNG and PDF, its DOM checked.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::*;

/// The report of `run_id` in `state`, in `lang`, as the command writes it (to a file outside
/// the state directory, as `--out` must be).
fn report(state: &Path, run_id: &str, lang: &str) -> String {
    let elsewhere = tempfile::tempdir().unwrap();
    let out = elsewhere.path().join(format!("report-{lang}.html"));
    let mut cmd = xtask_command(state);
    cmd.args(["audit", "report", run_id, "--lang", lang, "--out"])
        .arg(&out)
        .env("TZ", "Asia/Tokyo");
    let run = Run::of(cmd).success();
    assert!(run.stdout.contains("report: "), "{}", run.stdout);
    std::fs::read_to_string(&out).unwrap()
}

/// A replayed `run revert --yes` of `scenario` in a fresh state directory.
fn replayed(scenario: &str, extra: &[&str], code: i32) -> (tempfile::TempDir, String) {
    let state = tempfile::tempdir().unwrap();
    let mut cmd = xtask_command(state.path());
    cmd.args([
        "run",
        "revert",
        "--yes",
        "--replay",
        scenario,
        "--concurrency",
        "1",
    ])
    .args(extra);
    Run::of(cmd).failure(code);
    let id = run_id_in(state.path());
    (state, id)
}

fn run_id_in(state: &Path) -> String {
    let dirs = run_dirs(state);
    assert_eq!(dirs.len(), 1, "{dirs:?}");
    dirs[0].file_name().unwrap().to_string_lossy().into_owned()
}

/// One tag a line, and the timeline's geometry, tick labels, times and durations filtered:
/// they change from run to run; the structure and every value from the journal do not.
pub fn snapshot(name: &str, html: &str) {
    let mut s = insta_settings();
    s.add_filter(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", "[TIME]");
    s.add_filter(
        r#"<line class="tick"[^>]*>\n</line>\n<text class="tick-label"[^>]*>[^<]*</text>\n"#,
        "",
    );
    // A quiet stretch is cut out of the axis only when it is long enough (a slow machine).
    s.add_filter(
        r#"<rect class="cut"[^>]*>\n<title>[^<]*</title>\n</rect>\n(<text class="cut-label"[^>]*>[^<]*</text>\n){2}"#,
        "",
    );
    // The stylesheet is the template's own constant, not evidence.
    s.add_filter(r"(?s)<style>.*</style>", "<style>[CSS]</style>");
    s.add_filter(
        r#"\b(x|y|x1|x2|y1|y2|width|height)="[-0-9.]+""#,
        r#"$1="[N]""#,
    );
    s.add_filter(r#"viewBox="[^"]*""#, r#"viewBox="[N]""#);
    s.add_filter(r#" d="M[^"]*""#, r#" d="[PATH]""#);
    s.add_filter(
        r"(\d+ h )?(\d+ min )?\d+(\.\d+)? (ms|s|min)\b",
        "[DURATION]",
    );
    s.bind(|| insta::assert_snapshot!(name, html.replace("><", ">\n<")));
}

/// The page is self-contained and inert: no script, nothing fetched.
#[track_caller]
fn assert_self_contained(html: &str) {
    let lower = html.to_lowercase();
    assert!(!lower.contains("<script"), "no script");
    assert!(!lower.contains(" src="), "nothing loaded");
    assert!(!lower.contains("href="), "no links");
    assert!(
        !lower.contains("@import") && !lower.contains("url("),
        "no external CSS"
    );
    assert!(!html.contains("testing"), "no credential in the page");
}

pub fn count(html: &str, needle: &str) -> usize {
    html.matches(needle).count()
}

#[test]
fn evidence_of_a_replayed_revert_in_english_and_japanese() {
    let (state, id) = replayed("secure-account", &[], 0);
    let en = report(state.path(), &id, "en");
    let ja = report(state.path(), &id, "ja");
    for html in [&en, &ja] {
        assert_self_contained(html);
        let journal = runbook::journal::load(&state.path().join(&id)).unwrap();
        let calls = journal
            .records
            .iter()
            .filter(|r| r.event == "aws_call")
            .count();
        assert_eq!(count(html, "<rect class=\"call"), calls, "one bar per call");
        assert!(html.contains(journal.fold.last_hash()), "the final hash");
        assert!(html.contains(&format!("cargo xtask audit verify {id} --state-dir")));
    }
    assert!(en.contains("given with --yes on the command line"));
    assert!(en.contains("SSE-S3 is enabled") && en.contains("SSE-KMS is enabled"));
    assert!(
        ja.contains("<td class=\"on\">有効</td>") && ja.contains("<td class=\"off\">無効</td>")
    );
    assert!(ja.contains("JST (+09:00)"), "local time");
    snapshot("evidence-secure-account-en", &en);
    snapshot("evidence-secure-account-ja", &ja);
}

#[test]
fn evidence_of_a_half_done_account() {
    let (state, id) = replayed("half-done", &[], 0);
    let html = report(state.path(), &id, "en");
    assert_self_contained(&html);
    snapshot("evidence-half-done-en", &html);
}

#[test]
fn evidence_of_access_denied_names_the_refusal_and_its_request_id() {
    let (state, id) = replayed("access-denied-update-trail", &[], 1);
    let en = report(state.path(), &id, "en");
    assert!(en.contains("refused by AWS AccessDenied"), "{en}");
    assert!(en.contains("outcome bad"));
    snapshot("evidence-access-denied-update-trail-en", &en);
    snapshot(
        "evidence-access-denied-update-trail-ja",
        &report(state.path(), &id, "ja"),
    );
}

#[test]
fn evidence_of_a_failed_then_resumed_run() {
    let (state, dir, id) = failed_run();
    let runs = state.path().join("runs");
    let failed = report(&runs, &id, "en");
    assert!(failed.contains("failed (resumable)"), "{failed}");
    assert!(failed.contains("not asked: the run ended before") || failed.contains("given with"));
    xtask_in(&runs, &["resume", &id, "--replay", "secure-account"]).success();
    let html = report(&runs, &id, "en");
    assert!(
        html.contains("<text class=\"mark failed\""),
        "failure marked"
    );
    assert!(
        html.contains("<text class=\"mark resumed\""),
        "resume marked"
    );
    assert!(html.contains("attempt 2"), "the resume in the header");
    let calls = events(&dir)
        .iter()
        .filter(|r| r.event == "aws_call")
        .count();
    assert_eq!(count(&html, "<rect class=\"call"), calls);
    snapshot("evidence-failed-then-resumed-en", &html);
    snapshot("evidence-failed-then-resumed-ja", &report(&runs, &id, "ja"));
}

#[test]
fn evidence_of_a_status_run() {
    let state = tempfile::tempdir().unwrap();
    xtask_in(
        state.path(),
        &["run", "status", "--replay", "secure-account"],
    )
    .success();
    let id = run_id_in(state.path());
    let html = report(state.path(), &id, "en");
    assert!(html.contains("a status run changes nothing"));
    assert!(html.contains("not needed: this run writes nothing"));
    assert!(html.contains("What a revert would write"));
    assert!(html.contains("<td class=\"none\">not sent</td>"));
}

#[test]
fn markup_in_an_error_message_comes_out_escaped() {
    let (state, id) = replayed("secure-account", &["--trail", "<script>x</script>"], 2);
    let html = report(state.path(), &id, "en");
    assert!(
        html.contains("&lt;script&gt;x&lt;/script&gt;"),
        "the name, escaped"
    );
    assert!(!html.contains("<script>"), "never as markup");
    assert_self_contained(&html);
    assert!(html.contains("not found"), "the error is shown");
}

#[test]
fn the_default_place_is_the_runs_folder() {
    let (state, id) = replayed("secure-account", &[], 0);
    let run = xtask_in(state.path(), &["audit", "report", &id]).success();
    let path = state.path().join(&id).join("report.html");
    assert!(
        run.stdout.contains(&path.display().to_string()),
        "{}",
        run.stdout
    );
    assert!(std::fs::read_to_string(&path)
        .unwrap()
        .starts_with("<!DOCTYPE html>"));
    // The run's journal still verifies with the page beside it.
    xtask_in(state.path(), &["audit", "verify", &id]).success();
}

/// Debian's `chromium`, if installed (`cargo xtask test` installs it).
pub fn chromium() -> Option<PathBuf> {
    for name in ["chromium", "chromium-browser"] {
        let found = Command::new(name)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
        if found {
            return Some(PathBuf::from(name));
        }
    }
    None
}

pub fn headless(
    chromium: &Path,
    profile: &Path,
    args: &[&str],
    page: &Path,
) -> std::process::Output {
    let out = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .env("TZ", "Asia/Tokyo")
        .output()
        .expect("chromium runs");
    assert!(
        out.status.success(),
        "chromium {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Renders the English report of the replayed revert with headless Chromium: to PNG and to PDF
/// without errors, and its DOM has one row per region and one bar per AWS call. The PNG is kept
/// in `target/evidence/report.png`; with `UPDATE_REPORT_PICTURE=1` it also becomes the README's
/// picture, `docs/report.png`.
#[test]
fn chromium_renders_the_page_to_png_and_pdf() {
    let Some(chromium) = chromium() else {
        eprintln!(
            "\n\n*** SKIPPED: chromium is not installed, so the evidence page was NOT rendered in a \
             browser. `cargo xtask test` installs it (apt-get install chromium). ***\n\n"
        );
        return;
    };
    let (state, id) = replayed("secure-account", &[], 0);
    let html = report(state.path(), &id, "en");
    // The page a browser opens: outside the state directory, as `--out` must be.
    let pages = tempfile::tempdir().unwrap();
    let page = pages.path().join("report-en.html");
    std::fs::write(&page, &html).unwrap();
    let profile = tempfile::tempdir().unwrap();
    let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/evidence");
    std::fs::create_dir_all(&target).unwrap();

    let png = target.join("report.png");
    let _ = std::fs::remove_file(&png);
    headless(
        &chromium,
        profile.path(),
        &[
            "--window-size=900,1200",
            &format!("--screenshot={}", png.display()),
        ],
        &page,
    );
    let bytes = std::fs::read(&png).expect("a screenshot");
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG");

    let pdf = state.path().join("report.pdf");
    headless(
        &chromium,
        profile.path(),
        &[
            "--no-pdf-header-footer",
            &format!("--print-to-pdf={}", pdf.display()),
        ],
        &page,
    );
    let bytes = std::fs::read(&pdf).expect("a PDF");
    assert!(bytes.starts_with(b"%PDF-"), "a PDF");
    let text = String::from_utf8_lossy(&bytes);
    let pages = count(&text, "/Type /Page") - count(&text, "/Type /Pages");
    assert!(
        (1..=6).contains(&pages),
        "prints on a few A4 pages: {pages}"
    );

    let dom = headless(&chromium, profile.path(), &["--dump-dom"], &page);
    let dom = String::from_utf8_lossy(&dom.stdout);
    let journal = runbook::journal::load(&state.path().join(&id)).unwrap();
    let regions = journal
        .fold
        .output(runbook::journal::StepName::CheckStatus)
        .unwrap()["regions"]
        .as_array()
        .unwrap()
        .len();
    let calls = journal
        .records
        .iter()
        .filter(|r| r.event == "aws_call")
        .count();
    // A commercial account's regions (the article lists 17), each scanned before and after.
    assert!(
        regions >= 17 && calls > 2 * regions,
        "{regions} regions, {calls} calls"
    );
    assert_eq!(
        count(&dom, "<tr class=\"region\">"),
        regions,
        "one row per region"
    );
    assert_eq!(
        count(&dom, "<rect class=\"call"),
        calls,
        "one bar per AWS call"
    );
    assert!(
        dom.contains("<svg class=\"timeline\""),
        "the SVG is in the DOM"
    );
    assert_eq!(count(&html, "<tr class=\"region\">"), regions);

    if std::env::var_os("UPDATE_REPORT_PICTURE").is_some() {
        let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs");
        std::fs::create_dir_all(&docs).unwrap();
        std::fs::copy(&png, docs.join("report.png")).unwrap();
    }
}

/// A `restore` run (the undo of a revert, against moto): its writes, their request ids, the run
/// it undoes, and the regions verification read.
#[test]
fn evidence_of_a_restore_run() {
    let env = Env::secure_account();
    let revert = env.xtask(&["run", "revert", "--yes"]).success();
    let revert_id = revert.run_id();
    let undo = env.xtask(&["undo", &revert_id, "--yes"]).success();
    let undo_id = undo.run_id();
    let html = report(env.state.path(), &undo_id, "en");
    assert_self_contained(&html);
    assert!(
        html.contains("<span class=\"runbook\">restore</span>"),
        "{html}"
    );
    assert!(
        html.contains(&format!("<code>{revert_id}</code>")),
        "the undone run"
    );
    assert_eq!(count(&html, "changed (AWS confirmed)"), 2, "both writes");
    assert_eq!(
        count(&html, "<code class=\"request-id\">-</code>"),
        0,
        "every write has its request id"
    );
    assert!(
        count(&html, "<tr class=\"region\">") > 0,
        "verification's regions"
    );
    let calls = events(&env.state.path().join(&undo_id))
        .iter()
        .filter(|r| r.event == "aws_call")
        .count();
    assert_eq!(count(&html, "<rect class=\"call"), calls);
}
