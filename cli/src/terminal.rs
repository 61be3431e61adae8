//! The terminal side of a run: progress while regions are scanned, and the confirmation prompt.

use std::future::Future;
use std::io::IsTerminal;
use std::pin::Pin;
use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressStyle};
use runbook::journal::{ConfirmVia, RunStarted, StepName};
use runbook::model::TrailTarget;
use runbook::steps::{Operator, Plan};
use runbook::Error;

use crate::flags::Lang;
use crate::output::render;

pub struct Terminal {
    pub yes: bool,
    pub lang: Lang,
    step: Mutex<Option<StepName>>,
    progress: Mutex<Option<ProgressBar>>,
    /// `Settings::live_progress`: the region bar is drawn only where a batch's display would be.
    live_progress: bool,
}

impl Terminal {
    pub fn new(yes: bool, lang: Lang, live_progress: bool) -> Terminal {
        Terminal {
            yes,
            lang,
            step: Mutex::new(None),
            progress: Mutex::new(None),
            live_progress,
        }
    }

    pub fn stdin_is_terminal() -> bool {
        std::io::stdin().is_terminal()
    }
}

impl Operator for Terminal {
    fn step_started(&self, step: StepName) {
        *self.step.lock().unwrap() = Some(step);
    }

    /// A bar only while regions are scanned, and only where progress is drawn live.
    fn regions_scanned(&self, done: usize, total: usize) {
        if !self.live_progress {
            return;
        }
        let mut progress = self.progress.lock().unwrap();
        let bar = progress.get_or_insert_with(|| {
            let bar = ProgressBar::new(total as u64).with_message(
                self.step
                    .lock()
                    .unwrap()
                    .map(StepName::as_str)
                    .unwrap_or_default(),
            );
            bar.set_style(
                ProgressStyle::with_template("{msg} {bar:38} {pos}/{len} regions")
                    .expect("valid template"),
            );
            bar
        });
        bar.set_position(done as u64);
        if done == total {
            bar.finish_and_clear();
            *progress = None;
        }
    }

    fn confirm<'a>(
        &'a self,
        plan: &'a Plan,
        who: &'a RunStarted,
        left_alone: &'a [TrailTarget],
    ) -> Pin<Box<dyn Future<Output = runbook::Result<ConfirmVia>> + Send + 'a>> {
        Box::pin(async move {
            ask(self.yes, || {
                render::confirmation_prompt(plan, who, left_alone, self.lang)
            })
            .await
        })
    }
}

/// The one question: `--yes` answers it; without a terminal nobody can; otherwise `prompt()` is
/// written to stderr and a line is read (on a blocking thread, so that Ctrl-C, handled by the
/// caller, still ends the run). Only `y` or `yes` is a go-ahead.
pub async fn ask(yes: bool, prompt: impl FnOnce() -> String) -> runbook::Result<ConfirmVia> {
    if yes {
        return Ok(ConfirmVia::YesFlag);
    }
    if !Terminal::stdin_is_terminal() {
        return Err(Error::ConfirmationUnavailable);
    }
    // Through the stderr funnel: values in the plan are shown, not obeyed, and the styles
    // `render` writes are kept only where colour is wanted.
    crate::output::out::eprint(&prompt());
    let answer = tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).map(|_| line)
    })
    .await
    .map_err(|_| Error::NotConfirmed)?
    .map_err(|_| Error::NotConfirmed)?;
    match answer.trim().to_ascii_lowercase().as_str() {
        "y" | "yes" => Ok(ConfirmVia::Prompt),
        _ => Err(Error::NotConfirmed),
    }
}
