//! A batch's live display on a terminal: one line, redrawn in place (indicatif), counting the
//! accounts of the attempt by where they stand: checked, waiting for the question, writing,
//! done, failed, of how many. Only where `Settings::live_progress` allows it; elsewhere the
//! batch writes its plain lines alone.
//!
//! The plain lines (one per account as it ends) are still written, through the `out` funnel,
//! with the display taken off the screen for the moment (`ProgressBar::suspend`), so that
//! neither tears the other. While the one question is asked the display is gone altogether:
//! the prompt and the answer typed after it own the screen until the answer is read.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use runbook::batch::{AccountId, Outcome};

use crate::flags::Lang;
use crate::messages::batch as words;
use crate::output::out;

/// How often the spinner and the elapsed time move while nothing else happens: a long check
/// of many accounts still shows that the tool is alive.
const TICK: Duration = Duration::from_millis(120);

/// Where one account in flight stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Started,
    Checked,
    Waiting,
    /// The question was answered: no longer waiting for it, not writing before it has a slot
    /// again (at most `--max-concurrent-accounts` write at once).
    Answered,
    Writing,
}

/// The counts the display shows. Only the accounts in flight are kept by id (an ended account
/// is only counted), so that a batch of many accounts holds no more here than it runs at once
/// and has waiting for the question.
#[derive(Debug, Default)]
pub struct Tally {
    pub total: usize,
    /// Accounts whose status and plan are done, whatever came after.
    pub checked: usize,
    pub waiting: usize,
    pub writing: usize,
    pub done: usize,
    /// Ended on an error (failed, for good or not, or unreachable).
    pub failed: usize,
    in_flight: HashMap<AccountId, Phase>,
}

impl Tally {
    pub fn started(&mut self, account: &AccountId) {
        self.in_flight.insert(account.clone(), Phase::Started);
    }

    pub fn checked(&mut self, account: &AccountId) {
        let phase = self
            .in_flight
            .entry(account.clone())
            .or_insert(Phase::Started);
        if *phase == Phase::Started {
            *phase = Phase::Checked;
            self.checked += 1;
        }
    }

    pub fn waiting(&mut self, account: &AccountId) {
        let phase = self
            .in_flight
            .entry(account.clone())
            .or_insert(Phase::Started);
        match *phase {
            Phase::Waiting | Phase::Answered | Phase::Writing => return,
            // Its plan was made in an earlier attempt and reused without being reported.
            Phase::Started => self.checked += 1,
            Phase::Checked => {}
        }
        *phase = Phase::Waiting;
        self.waiting += 1;
    }

    pub fn writing(&mut self, account: &AccountId) {
        let phase = self
            .in_flight
            .entry(account.clone())
            .or_insert(Phase::Started);
        match *phase {
            Phase::Writing => return,
            Phase::Waiting => self.waiting -= 1,
            Phase::Started => self.checked += 1,
            Phase::Checked | Phase::Answered => {}
        }
        *phase = Phase::Writing;
        self.writing += 1;
    }

    pub fn ended(&mut self, account: &AccountId, outcome: Outcome) {
        match self.in_flight.remove(account) {
            Some(Phase::Waiting) => self.waiting -= 1,
            Some(Phase::Writing) => self.writing -= 1,
            Some(Phase::Started | Phase::Checked | Phase::Answered) | None => {}
        }
        if outcome == Outcome::Done {
            self.done += 1;
        } else if outcome.is_error() {
            self.failed += 1;
        }
    }

    /// The one question was answered (yes or no): nobody waits for it any more.
    pub fn answered(&mut self) {
        for phase in self.in_flight.values_mut() {
            if *phase == Phase::Waiting {
                *phase = Phase::Answered;
            }
        }
        self.waiting = 0;
    }

    fn message(&self, lang: Lang) -> String {
        words::progress(
            self.total,
            self.checked,
            self.waiting,
            self.writing,
            self.done,
            self.failed,
            lang,
        )
    }
}

/// The batch's display: its counts, and the line on the terminal once the attempt has started
/// (none before: a batch refused before its accounts run shows nothing but its error).
pub struct BatchProgress {
    lang: Lang,
    started: Instant,
    shown: Mutex<Shown>,
}

struct Shown {
    tally: Tally,
    /// The line on the terminal: `None` before the attempt starts and while the question is
    /// asked.
    bar: Option<ProgressBar>,
    attempt_started: bool,
}

impl BatchProgress {
    pub fn new(lang: Lang) -> BatchProgress {
        BatchProgress {
            lang,
            started: Instant::now(),
            shown: Mutex::new(Shown {
                tally: Tally::default(),
                bar: None,
                attempt_started: false,
            }),
        }
    }

    /// The attempt runs `total` accounts: the display appears.
    pub fn attempt_started(&self, total: usize) {
        let mut shown = self.shown.lock().unwrap();
        shown.tally.total = total;
        shown.attempt_started = true;
        if shown.bar.is_none() {
            shown.bar = Some(self.bar(&shown.tally));
        }
    }

    /// Counts what `change` says happened, and shows it.
    pub fn update(&self, change: impl FnOnce(&mut Tally)) {
        let mut shown = self.shown.lock().unwrap();
        change(&mut shown.tally);
        if let Some(bar) = &shown.bar {
            bar.set_message(shown.tally.message(self.lang));
        }
    }

    /// Counts what `change` says happened, and writes `line` (through the `out` funnel) above
    /// the display, which is taken off the screen while it is written and drawn again below.
    pub fn update_with_line(&self, change: impl FnOnce(&mut Tally), line: &str) {
        let mut shown = self.shown.lock().unwrap();
        change(&mut shown.tally);
        match &shown.bar {
            Some(bar) => {
                bar.set_message(shown.tally.message(self.lang));
                bar.suspend(|| out::eline(line));
            }
            None => out::eline(line),
        }
    }

    /// Takes the display off the screen until the guard is dropped (the question asked and
    /// answered, or given up on Ctrl-C): nothing is drawn over the prompt or the answer typed.
    pub fn asking(&self) -> Asking<'_> {
        if let Some(bar) = self.shown.lock().unwrap().bar.take() {
            bar.finish_and_clear();
        }
        Asking { progress: self }
    }

    /// A fresh line for the display, its elapsed time counted from the batch's start.
    fn bar(&self, tally: &Tally) -> ProgressBar {
        let style = ProgressStyle::with_template("{spinner} {elapsed:>3} {msg}")
            .expect("valid template")
            // ASCII, so that any terminal's font has it.
            .tick_chars("-\\|/ ");
        let bar = ProgressBar::new_spinner()
            .with_style(style)
            .with_message(tally.message(self.lang))
            .with_elapsed(self.started.elapsed());
        bar.enable_steady_tick(TICK);
        bar
    }
}

/// The display is off the screen while this lives: see [`BatchProgress::asking`].
pub struct Asking<'a> {
    progress: &'a BatchProgress,
}

impl Drop for Asking<'_> {
    fn drop(&mut self) {
        let mut shown = self.progress.shown.lock().unwrap();
        if shown.attempt_started && shown.bar.is_none() {
            shown.bar = Some(self.progress.bar(&shown.tally));
        }
    }
}

/// The display leaves the screen with the batch, before its summary is printed.
impl Drop for BatchProgress {
    fn drop(&mut self) {
        let shown = self.shown.get_mut().unwrap_or_else(|e| e.into_inner());
        if let Some(bar) = shown.bar.take() {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> AccountId {
        AccountId::parse(s, "test").unwrap()
    }

    fn counts(t: &Tally) -> [usize; 5] {
        [t.checked, t.waiting, t.writing, t.done, t.failed]
    }

    /// Each account moves through the counts, and an ended one is no longer kept by id.
    #[test]
    fn the_counts_follow_each_account_and_forget_it_when_it_ends() {
        let (a, b, c) = (id("111111111111"), id("222222222222"), id("333333333333"));
        let mut t = Tally {
            total: 3,
            ..Tally::default()
        };
        for account in [&a, &b, &c] {
            t.started(account);
        }
        t.checked(&a);
        t.checked(&b);
        t.checked(&c);
        t.waiting(&a);
        t.waiting(&b);
        // Nothing to change: checked, then done without waiting.
        t.ended(&c, Outcome::Done);
        assert_eq!(counts(&t), [3, 2, 0, 1, 0]);
        t.answered();
        assert_eq!(counts(&t), [3, 0, 0, 1, 0]);
        t.writing(&a);
        assert_eq!(counts(&t), [3, 0, 1, 1, 0]);
        t.writing(&b);
        assert_eq!(counts(&t), [3, 0, 2, 1, 0]);
        t.ended(&a, Outcome::Done);
        t.ended(&b, Outcome::Failed);
        assert_eq!(counts(&t), [3, 0, 0, 2, 1]);
        assert!(t.in_flight.is_empty());
        assert_eq!(
            t.message(Lang::En),
            "3 of 3 checked, 0 waiting for the question, 0 writing, 2 done, 1 failed"
        );
    }

    /// A resumed run that had confirmed goes straight to its writes; one that had its plan
    /// waits without being checked again; a hook said twice counts once; a "no" is neither
    /// done nor failed.
    #[test]
    fn resumed_runs_and_repeated_hooks_are_counted_once() {
        let (a, b) = (id("111111111111"), id("222222222222"));
        let mut t = Tally::default();
        t.started(&a);
        t.writing(&a);
        t.writing(&a);
        t.started(&b);
        t.waiting(&b);
        t.waiting(&b);
        t.checked(&b);
        assert_eq!(counts(&t), [2, 1, 1, 0, 0]);
        t.ended(&b, Outcome::Declined);
        t.ended(&a, Outcome::Unreachable);
        assert_eq!(counts(&t), [2, 0, 0, 0, 1]);
    }
}
