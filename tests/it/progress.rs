//! Progress on a terminal (issue 20, point 3): a batch shows one live display of all its
//! accounts (checked, waiting for the question, writing, done, failed, of N), redrawn in place
//! by indicatif, with the account lines, the one question and the summary still whole and
//! readable; a single run's region bar follows the same decision. Nothing of it when stderr is
//! not a terminal, with `NO_COLOR`, `TERM=dumb` or `--output json`: the plain lines of before,
//! byte for byte. Replayed offline (`two-accounts`, `secure-account`).

use crate::replay::{check_batch_with, TWO_ACCOUNTS};
use crate::support::{xtask_on_terminal_answering, OnTerminal, Run};
use crate::terminal::assert_inert;

/// A terminal where progress is drawn live: colour not refused (the tests' environment sets
/// `NO_COLOR`), a terminal type that moves the cursor.
const LIVE: &[(&str, Option<&str>)] = &[("NO_COLOR", None), ("TERM", Some("xterm"))];

const QUESTION: &str = "[y/N] ";

/// `run revert` of the replayed two-account batch on a pseudo-terminal `columns` wide, `y`
/// typed once the question is shown.
fn batch_on_terminal(extra: &[&str], vars: &[(&str, Option<&str>)], columns: u16) -> Run {
    let state = tempfile::tempdir().unwrap();
    let mut args = vec![
        "run",
        "revert",
        "--replay",
        "two-accounts",
        "--accounts",
        TWO_ACCOUNTS,
    ];
    args.extend(extra);
    xtask_on_terminal_answering(
        state.path(),
        &OnTerminal {
            args: &args,
            vars,
            columns: Some(columns),
            prompt: QUESTION,
            answer: "y\n",
        },
    )
}

/// The lines a person reads on the terminal once it is over: each line as last drawn (what
/// follows its last line clear), without the lines the display left empty. Only for a display
/// that never wrapped (no cursor moves).
fn screen(raw: &str) -> Vec<String> {
    assert!(!raw.contains("\u{1b}[1A"), "the display wrapped:\n{raw:?}");
    raw.split("\r\n")
        .map(|line| line.rsplit("\r\u{1b}[2K").next().unwrap_or_default())
        .filter(|line| !line.is_empty())
        .map(str::to_string)
        .collect()
}

#[test]
fn a_batch_shows_one_live_display_and_keeps_its_lines_question_and_summary_whole() {
    let run = batch_on_terminal(&[], LIVE, 100);
    let raw = &run.stdout;
    assert_eq!(run.code, 0, "{raw:?}");
    assert_inert(raw);
    // The display: every account of the attempt counted where it stands, redrawn in place.
    assert!(raw.contains(" of 2 checked, "), "{raw:?}");
    assert!(raw.contains(" waiting for the question, "), "{raw:?}");
    // Drawn again after each account's line: the last draw counts both done.
    assert!(
        raw.contains("2 of 2 checked, 0 waiting for the question, 0 writing, 2 done, 0 failed"),
        "{raw:?}"
    );
    assert!(raw.matches("\r\u{1b}[2K").count() >= 3, "{raw:?}");

    // What is left to read: the question with the answer typed, each account's line, the
    // summary; nothing of the display.
    let screen = screen(raw);
    let asked: Vec<usize> = (0..screen.len())
        .filter(|&i| screen[i].contains("[y/N]"))
        .collect();
    assert_eq!(asked.len(), 1, "one question:\n{screen:#?}");
    assert!(
        screen[asked[0]].ends_with("[y/N] y"),
        "the question is whole, the answer after it:\n{screen:#?}"
    );
    assert!(
        screen
            .iter()
            .any(|l| l.starts_with("Plan for 2 accounts (4 writes)")),
        "{screen:#?}"
    );
    let mut after_question = asked[0];
    for account in TWO_ACCOUNTS.split(',') {
        let at = screen
            .iter()
            .position(|l| l.starts_with(&format!("account {account}: done (writes 2), run ")))
            .unwrap_or_else(|| panic!("{account}'s line, whole:\n{screen:#?}"));
        assert!(at > after_question, "{screen:#?}");
        after_question = at;
    }
    let totals = screen
        .iter()
        .position(|l| l == "2 of 2 accounts done, 4 writes made.")
        .unwrap_or_else(|| panic!("the summary:\n{screen:#?}"));
    assert!(totals > after_question, "{screen:#?}");
    assert!(
        !screen
            .iter()
            .any(|l| l.contains("waiting for the question")),
        "the display leaves the screen before the summary:\n{screen:#?}"
    );
}

/// In Japanese on a terminal narrower than the display: it wraps, and indicatif clears both
/// lines with its own cursor moves; nothing else raw reaches the terminal.
#[test]
fn the_display_in_japanese_on_a_narrow_terminal_wraps_and_stays_inert() {
    let run = batch_on_terminal(&["--lang", "ja"], LIVE, 60);
    let raw = &run.stdout;
    assert_eq!(run.code, 0, "{raw:?}");
    assert_inert(raw);
    assert!(raw.contains("2 アカウント中 確認済み "), "{raw:?}");
    assert!(
        raw.contains("\u{1b}[1A"),
        "wrapped, and cleared as such: {raw:?}"
    );
    assert!(raw.contains("2 アカウント中 2 アカウント完了"), "{raw:?}");
}

/// Neither `\r` on its own (the terminal's line ends are `\r\n`) nor any escape sequence.
#[track_caller]
fn assert_plain(what: &str, text: &str) {
    let text = text.replace("\r\n", "\n");
    assert!(!text.contains('\r'), "{what}: a carriage return: {text:?}");
    assert!(!text.contains('\u{1b}'), "{what}: an escape: {text:?}");
    assert!(
        !text.contains("waiting for the question"),
        "{what}: the display: {text:?}"
    );
}

#[test]
fn no_display_off_a_terminal_nor_with_no_color_term_dumb_or_json() {
    // stderr a pipe, in a terminal's environment: the replay's snapshot of before, unchanged.
    let run = check_batch_with(
        "two-accounts",
        &["revert", "--yes"],
        "two-accounts__summary",
        true,
        LIVE,
    );
    assert_plain("a pipe", &run.stderr);

    // On a terminal that asks for plain text, or a command that asked for JSON.
    let cases: [(&str, &[&str], &[(&str, Option<&str>)]); 3] = [
        (
            "NO_COLOR",
            &[],
            &[("NO_COLOR", Some("1")), ("TERM", Some("xterm"))],
        ),
        (
            "TERM=dumb",
            &[],
            &[("NO_COLOR", None), ("TERM", Some("dumb"))],
        ),
        ("--output json", &["--output", "json"], LIVE),
    ];
    for (what, extra, vars) in cases {
        let run = batch_on_terminal(extra, vars, 100);
        assert_eq!(run.code, 0, "{what}: {:?}", run.stdout);
        assert_plain(what, &run.stdout);
        assert_eq!(run.stdout.matches("[y/N]").count(), 1, "{what}");
        assert!(
            run.stdout.contains("account 111111111111: done (writes 2)"),
            "{what}: {:?}",
            run.stdout
        );
    }
}

/// A single run's region bar is drawn where a batch's display would be, and nowhere else.
#[test]
fn a_single_runs_region_bar_follows_the_same_decision() {
    let on_terminal = |vars: &[(&str, Option<&str>)]| {
        let state = tempfile::tempdir().unwrap();
        xtask_on_terminal_answering(
            state.path(),
            &OnTerminal {
                args: &["run", "revert", "--yes", "--replay", "secure-account"],
                vars,
                columns: Some(100),
                prompt: QUESTION,
                answer: "",
            },
        )
    };
    let live = on_terminal(LIVE);
    assert_eq!(live.code, 0, "{:?}", live.stdout);
    assert_inert(&live.stdout);
    assert!(live.stdout.contains("/17 regions"), "{:?}", live.stdout);
    let cases: [(&str, &[(&str, Option<&str>)]); 2] = [
        (
            "NO_COLOR",
            &[("NO_COLOR", Some("1")), ("TERM", Some("xterm"))],
        ),
        // `CI` set, as on a CI machine: `anstream` alone would colour this terminal.
        (
            "TERM=dumb",
            &[
                ("NO_COLOR", None),
                ("TERM", Some("dumb")),
                ("CI", Some("true")),
            ],
        ),
    ];
    for (what, vars) in cases {
        let run = on_terminal(vars);
        assert_eq!(run.code, 0, "{what}: {:?}", run.stdout);
        assert_plain(what, &run.stdout);
        assert!(!run.stdout.contains("/17 regions"), "{what}");
    }
}
