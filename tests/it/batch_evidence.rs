//! `audit report BATCH_ID` (issue 20, 2): one page for a whole batch, against moto with the
//! three-account fleet of `batch`: English and Japanese as insta snapshots, rendered by headless
//! Chromium with one row per account, and refused when a journal does not verify.

use std::path::Path;

use crate::batch::{all_three, Fleet, MEMBER_A, MEMBER_B, MGMT};
use crate::evidence::{chromium, count, headless, snapshot};
use crate::support::*;

/// The page of `batch_id` in `lang`, written outside the state directory with `--out`.
fn batch_report(state: &Path, batch_id: &str, lang: &str, out_dir: &Path) -> String {
    let out = out_dir.join(format!("batch-{lang}.html"));
    let run = xtask_in(
        state,
        &[
            "audit",
            "report",
            batch_id,
            "--lang",
            lang,
            "--out",
            &out.to_string_lossy(),
        ],
    )
    .success();
    assert!(run.stdout.contains("report: "), "{}", run.stdout);
    std::fs::read_to_string(&out).unwrap()
}

/// What moto makes anew each time (key ids, request ids, bucket suffixes) filtered, on top of
/// the run page's filters.
fn moto_snapshot(name: &str, html: &str) {
    let mut s = insta::Settings::clone_current();
    s.add_filter(
        r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        "[UUID]",
    );
    s.add_filter(r"\b[A-Za-z0-9]{52}\b", "[REQUEST_ID]");
    s.bind(|| snapshot(name, html));
}

#[test]
fn a_batch_has_one_evidence_page() {
    let fleet = Fleet::new();
    fleet
        .env
        .xtask(&["run", "revert", "--yes", "--accounts", &all_three()])
        .success();
    let batch = fleet.batch();
    let id = batch.batch_id().to_string();
    let state = fleet.state();
    let pages = tempfile::tempdir().unwrap();
    let en = batch_report(state, &id, "en", pages.path());
    let ja = batch_report(state, &id, "ja", pages.path());

    // Self-contained and inert: no script, nothing loaded, links only within the page.
    for html in [&en, &ja] {
        let lower = html.to_lowercase();
        assert!(!lower.contains("<script") && !lower.contains(" src="));
        assert!(!lower.contains("url(") && !lower.contains("@import"));
        for link in html.split("href=\"").skip(1) {
            assert!(
                link.starts_with("#account-"),
                "a link within the page: {link:.40}"
            );
        }
        assert!(!html.contains("testing"), "no credential in the page");
    }
    // One row per account, each linking to its section, which names its run and that run's
    // final hash; the batch's final hash and its verify command.
    assert_eq!(count(&en, "<tr class=\"account-row\">"), 3);
    for account in [MGMT, MEMBER_A, MEMBER_B] {
        assert!(en.contains(&format!("href=\"#account-{account}\"")));
        assert!(en.contains(&format!("id=\"account-{account}\"")));
        let run = &fleet.account_runs(account)[0];
        let run_hash = runbook::journal::load(run)
            .unwrap()
            .records
            .last()
            .unwrap()
            .hash
            .clone();
        assert!(en.contains(&run_hash), "{account}'s run hash");
        let run_id = run.file_name().unwrap().to_string_lossy().into_owned();
        assert!(en.contains(&run_id), "{account}'s run id");
    }
    assert!(en.contains(batch.final_hash()));
    assert!(en.contains(&format!("cargo xtask audit verify {id}")));
    // Member B was already reverted: not in the plan, nothing to change.
    let not_in_plan = en.split("class=\"not-in-plan\"").nth(1).unwrap();
    let not_in_plan = not_in_plan.split("</section>").next().unwrap();
    assert!(not_in_plan.contains(MEMBER_B) && not_in_plan.contains("nothing to change"));
    assert!(!not_in_plan.contains(MEMBER_A));
    // Each write with its request id: member A's bucket write was made in eu-west-1.
    let member_a = en
        .split(&format!("id=\"account-{MEMBER_A}\""))
        .nth(1)
        .unwrap();
    assert!(member_a.contains("PutBucketEncryption") && member_a.contains("eu-west-1"));
    moto_snapshot("batch_evidence_en", &en);
    moto_snapshot("batch_evidence_ja", &ja);

    // The default place: the batch's folder.
    let default = xtask_in(state, &["audit", "report", &id]).success();
    let page = state.join("batches").join(&id).join("report.html");
    assert!(
        default.stdout.contains(&page.display().to_string()),
        "{}",
        default.stdout
    );
    assert!(page.is_file());

    if let Some(chromium) = chromium() {
        let file = pages.path().join("batch-en.html");
        let profile = tempfile::tempdir().unwrap();
        let png = pages.path().join("batch.png");
        headless(
            &chromium,
            profile.path(),
            &[
                "--window-size=900,1200",
                &format!("--screenshot={}", png.display()),
            ],
            &file,
        );
        assert!(
            std::fs::read(&png)
                .unwrap()
                .starts_with(b"\x89PNG\r\n\x1a\n"),
            "a PNG"
        );
        let dom = headless(&chromium, profile.path(), &["--dump-dom"], &file);
        let dom = String::from_utf8_lossy(&dom.stdout);
        assert_eq!(
            count(&dom, "<tr class=\"account-row\">"),
            3,
            "one row per account"
        );
        assert_eq!(
            count(&dom, "<section class=\"account\""),
            3,
            "one section per account"
        );
        assert!(
            dom.contains("class=\"lane-write\""),
            "the timeline is drawn"
        );
    } else {
        eprintln!(
            "\n\n*** SKIPPED: chromium is not installed; the batch page was NOT rendered. ***\n\n"
        );
    }

    // A journal that does not verify is refused, and no page is written: an account's run
    // edited (its chain broken), then the batch journal's last line edited.
    let run = &fleet.account_runs(MEMBER_A)[0];
    let log = run.join("audit.jsonl");
    let original = std::fs::read_to_string(&log).unwrap();
    std::fs::write(&log, original.replacen("eu-west-1", "eu-west-2", 1)).unwrap();
    let out = pages.path().join("refused.html");
    let refused = xtask_in(
        state,
        &["audit", "report", &id, "--out", &out.to_string_lossy()],
    );
    assert_ne!(refused.code, 0, "{}", refused.stderr);
    assert!(refused.stderr.contains("audit.jsonl"), "{}", refused.stderr);
    assert!(!out.exists(), "no page from a journal that does not verify");
    std::fs::write(&log, original).unwrap();
    let batch_log = state.join("batches").join(&id).join("batch.jsonl");
    let original = std::fs::read_to_string(&batch_log).unwrap();
    std::fs::write(&batch_log, original.replacen("\"done\"", "\"failed\"", 1)).unwrap();
    let refused = xtask_in(
        state,
        &["audit", "report", &id, "--out", &out.to_string_lossy()],
    );
    assert_ne!(refused.code, 0, "{}", refused.stderr);
    assert!(
        !out.exists(),
        "no page from a batch journal that does not verify"
    );
}
