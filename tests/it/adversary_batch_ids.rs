//! Review reproductions for issue 20: a batch account's run found by its id wherever it is
//! (`runbook::locate`), and the batch's evidence page. Each fails until its finding is fixed.

use std::path::Path;

use runbook::batch::journal as batch_journal;

use crate::batch::{Fleet, MEMBER_A, MEMBER_B, MGMT};
use crate::batch_ids::as_account;
use crate::proxy::{Proxy, Seen};
use crate::support::*;
use crate::support::{xtask_on_terminal_answering, OnTerminal};

fn batch_ids(state: &Path) -> Vec<String> {
    batch_journal::batch_ids(state).unwrap()
}

/// A run of member A moved by hand into member B's folder is not member B's run. A single
/// run's folder renamed to another id is refused by every reader ("folder is named"); an
/// account's run in another account's folder is found by `locate` and trusted: `audit verify`
/// says it is fine, and `undo` with member A's keys (the journal's account, not the folder's)
/// opens its restore run of member A in member B's folder, under member B's lock.
#[test]
fn an_account_run_in_another_accounts_folder_is_refused() {
    let fleet = Fleet::new();
    let accounts = format!("{MGMT},{MEMBER_A}");
    fleet
        .env
        .xtask(&["run", "revert", "--yes", "--accounts", &accounts])
        .success();
    let a_run = fleet.account_runs(MEMBER_A).remove(0);
    let id = a_run.file_name().unwrap().to_string_lossy().into_owned();
    let state = fleet.state();
    let b_dir = state.join("accounts").join(MEMBER_B);
    std::fs::create_dir(&b_dir).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&b_dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    std::fs::rename(&a_run, b_dir.join(&id)).unwrap();

    let mut broken = Vec::new();
    let undo = as_account(
        &fleet,
        &fleet.env.moto.endpoint(),
        MEMBER_A,
        &["undo", &id, "--yes", "--output", "json"],
    );
    let in_b = fleet.account_runs(MEMBER_B).len();
    if undo.code == 0 || in_b != 1 {
        broken.push(format!(
            "undo exit {}, {in_b} runs in {MEMBER_B}'s folder:\n{}{}",
            undo.code, undo.stdout, undo.stderr
        ));
    }
    let verified = xtask_in(state, &["audit", "verify", &id]);
    if verified.code == 0 {
        broken.push(format!(
            "a run of {MEMBER_A} in {MEMBER_B}'s folder verified:\n{}",
            verified.stdout
        ));
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}

/// Every AssumeRole into member A refused: A is unreachable, no run.
fn deny_member_a_role(seen: &Seen) -> bool {
    seen.body.contains("Action=AssumeRole") && seen.body.contains(MEMBER_A)
}

/// The batch page shows, for an account recorded `failed`, the run its `account_ended` names
/// without checking that it is this batch's run of that account (`load_checked` checks only
/// accounts recorded `done`). A re-chained batch journal (anyone can recompute the chain) that
/// names another batch's run of member A puts that batch's writes on this batch's page, and
/// `audit report` writes it as evidence.
#[test]
fn the_batch_page_refuses_another_batchs_run() {
    let fleet = Fleet::new();
    // Batch 1 reverts member A: its run is the one borrowed.
    fleet
        .env
        .xtask(&["run", "revert", "--yes", "--accounts", MEMBER_A])
        .success();
    let borrowed = fleet.account_runs(MEMBER_A).remove(0);
    let borrowed = borrowed.file_name().unwrap().to_string_lossy().into_owned();
    let first = batch_ids(fleet.state()).remove(0);

    // Batch 2: member A unreachable (no run), the management account done.
    let proxy = Proxy::start(fleet.env.moto.port());
    proxy.deny(Some(deny_member_a_role));
    let accounts = format!("{MGMT},{MEMBER_A}");
    let second_run = fleet.xtask_via(&proxy, &["run", "revert", "--yes", "--accounts", &accounts]);
    assert_ne!(second_run.code, 0, "{}", second_run.stdout);
    let second = batch_ids(fleet.state())
        .into_iter()
        .find(|b| *b != first)
        .unwrap();

    // Forged: member A "failed" in batch 2 with batch 1's run.
    let dir = batch_journal::batch_dir(fleet.state(), &second);
    forge_batch(&dir, |event, data| {
        if event == "account_ended" && data["account"] == MEMBER_A {
            data["outcome"] = "failed".into();
            data["run_id"] = borrowed.clone().into();
        }
    });
    assert!(
        batch_journal::load(&dir).unwrap().events.len() > 1,
        "the forged journal reads"
    );

    let pages = tempfile::tempdir().unwrap();
    let out = pages.path().join("batch.html");
    let run = xtask_in(
        fleet.state(),
        &["audit", "report", &second, "--out", &out.to_string_lossy()],
    );
    let page = std::fs::read_to_string(&out).unwrap_or_default();
    assert!(
        run.code != 0 && !page.contains(&borrowed),
        "batch {second}'s page was written with batch {first}'s run {borrowed} (exit {}):\n{}{}",
        run.code,
        run.stdout,
        run.stderr
    );
}

/// `audit list` with one account folder planted as a link (or `accounts/` itself a link): before
/// issue 20 the batch was listed `unreadable` with the link named, and every other run and
/// batch was listed (exit 0), as for a linked or renamed run folder. Now `audit list` walks
/// `accounts/*/` with `?` (`locate::batch_accounts`, `account_state_dir`, `runs::run_ids`) and
/// refuses the whole list (exit 2): one planted link hides every run and batch of the state
/// directory from the operator.
#[test]
fn audit_list_survives_a_linked_account_folder() {
    const MGMT_R: &str = "123456789012";
    const MEMBER_R: &str = "111111111111";
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("state");
    std::fs::create_dir(&state).unwrap();
    let mut cmd = xtask_command(&state);
    cmd.args(["run", "status", "--replay", "two-accounts"])
        .args(["--accounts", &format!("{MGMT_R},{MEMBER_R}")])
        .args(["--max-concurrent-accounts", "1", "--concurrency", "1"]);
    Run::of(cmd).success();
    let batch = batch_journal::batch_ids(&state).unwrap().remove(0);

    let mut broken = Vec::new();
    for linked in [
        state.join("accounts").join(MEMBER_R),
        state.join("accounts"),
    ] {
        let elsewhere = tmp.path().join("elsewhere");
        std::fs::rename(&linked, &elsewhere).unwrap();
        std::os::unix::fs::symlink(&elsewhere, &linked).unwrap();
        let listed = xtask_in(&state, &["audit", "list"]);
        if listed.code != 0 || !listed.stdout.contains(&batch) {
            broken.push(format!(
                "{} a link: `audit list` exit {}:\n{}{}",
                linked.display(),
                listed.code,
                listed.stdout,
                listed.stderr
            ));
        }
        std::fs::remove_file(&linked).unwrap();
        std::fs::rename(&elsewhere, &linked).unwrap();
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}

/// `-v` on a terminal with the live display: the SDK's lines (tracing to stderr) are written
/// while indicatif redraws the display every 120 ms from its own thread, without
/// `ProgressBar::suspend`: a log line lands after the drawn display on the same line, and the
/// display's text stays in the scrollback glued to it. So `Settings::live_progress` is off
/// under `-v`: the plain lines, as off a terminal.
#[test]
fn verbose_lines_are_not_glued_to_the_live_display() {
    let state = tempfile::tempdir().unwrap();
    let run = xtask_on_terminal_answering(
        state.path(),
        &OnTerminal {
            args: &[
                "run",
                "revert",
                "-v",
                "--replay",
                "two-accounts",
                "--accounts",
                crate::replay::TWO_ACCOUNTS,
            ],
            vars: &[("NO_COLOR", None), ("TERM", Some("xterm"))],
            columns: Some(400),
            prompt: "[y/N] ",
            answer: "y\n",
        },
    );
    assert_eq!(run.code, 0, "{:?}", run.stdout);
    let raw = &run.stdout;
    // `-v` writes its own lines to stderr: the display is not drawn then (plain lines only).
    assert!(
        !raw.contains(" of 2 checked, "),
        "no live display under -v: {:?}",
        &raw[..raw.len().min(2000)]
    );
    assert!(raw.contains("DEBUG "), "-v's lines are there");
    // Each line as left on the screen: what follows the last clear of the line.
    let torn: Vec<&str> = raw
        .split("\r\n")
        .map(|line| line.rsplit("\r\u{1b}[2K").next().unwrap_or_default())
        .filter(|line| {
            line.contains(" checked, ")
                && (line.contains("DEBUG") || line.contains("attempt") || line.contains("invoke"))
        })
        .collect();
    assert!(
        torn.is_empty(),
        "lines left on the screen with the display glued to a log line:\n{torn:#?}"
    );
}

/// Member A's status check refused: its run fails before the question, resumable.
fn deny_member_a_read(seen: &Seen) -> bool {
    seen.line.starts_with("GET ")
        && seen.line.contains(MEMBER_A)
        && seen.line.contains("encryption")
}

/// A batch resume without a terminal and without `--yes` must be refused before anything
/// (`no_terminal`) when it would ask. Member A's run failed before the question; a crash then
/// left a torn last line in its journal (what a kill in the middle of an append leaves, and
/// what resume cuts). `resume_would_ask` reads that run with `journal::load`, which refuses a
/// torn line, and counts an unreadable run as "would not ask": the resume goes on, records
/// member A `failed (final)` in the batch journal, and a later `resume BATCH_ID --yes` says
/// there is nothing to resume. Member A is never reverted by its batch.
#[test]
fn a_torn_account_run_does_not_let_an_unconfirmable_batch_resume_through() {
    let fleet = Fleet::new();
    let proxy = Proxy::start(fleet.env.moto.port());
    proxy.deny(Some(deny_member_a_read));
    let accounts = format!("{MGMT},{MEMBER_A}");
    fleet
        .xtask_via(&proxy, &["run", "revert", "--yes", "--accounts", &accounts])
        .failure(1);
    proxy.deny(None);
    let id = batch_ids(fleet.state()).remove(0);
    let batch_lines = fleet.batch().records.len();
    let log = fleet.account_runs(MEMBER_A).remove(0).join("audit.jsonl");
    let mut torn = std::fs::read(&log).unwrap();
    torn.extend_from_slice(b"{\"seq\":99,\"ts\":\"2026");
    std::fs::write(&log, &torn).unwrap();

    let resumed = fleet.xtask_via(&proxy, &["resume", &id, "--output", "json"]);
    let recorded = fleet.batch().records.len();
    assert!(
        resumed.code == 2 && resumed.stdout.contains("no_terminal") && recorded == batch_lines,
        "exit {}, batch journal {batch_lines} -> {recorded} lines:\n{}",
        resumed.code,
        resumed.stdout
    );
}
