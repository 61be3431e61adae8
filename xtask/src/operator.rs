//! The terminal side of a run: progress while regions are scanned, and the confirmation prompt.

use std::future::Future;
use std::io::IsTerminal;
use std::pin::Pin;
use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressStyle};
use runbook::steps::{Operator, Plan};
use runbook::Error;

use crate::flags::Lang;
use crate::render;

pub struct Terminal {
    pub yes: bool,
    pub lang: Lang,
    progress: Mutex<Option<ProgressBar>>,
    show_progress: bool,
}

impl Terminal {
    pub fn new(yes: bool, lang: Lang) -> Terminal {
        Terminal {
            yes,
            lang,
            progress: Mutex::new(None),
            show_progress: std::io::stderr().is_terminal(),
        }
    }

    pub fn stdin_is_terminal() -> bool {
        std::io::stdin().is_terminal()
    }
}

impl Operator for Terminal {
    fn step_started(&self, step: &str) {
        if self.show_progress {
            let bar = ProgressBar::new_spinner().with_message(step.to_string());
            bar.set_style(
                ProgressStyle::with_template("{spinner} {msg} {pos}/{len}")
                    .expect("valid template"),
            );
            *self.progress.lock().unwrap() = Some(bar);
        }
    }

    fn regions_scanned(&self, done: usize, total: usize) {
        if let Some(bar) = &*self.progress.lock().unwrap() {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        }
    }

    fn step_finished(&self, _step: &str, _output: &serde_json::Value) {
        if let Some(bar) = self.progress.lock().unwrap().take() {
            bar.finish_and_clear();
        }
    }

    fn confirm<'a>(
        &'a self,
        plan: &'a Plan,
    ) -> Pin<Box<dyn Future<Output = runbook::Result<String>> + Send + 'a>> {
        Box::pin(async move {
            if self.yes {
                return Ok("--yes".to_string());
            }
            if !Self::stdin_is_terminal() {
                return Err(Error::ConfirmationUnavailable);
            }
            eprint!("{}", render::confirmation_prompt(plan, self.lang));
            // Read on a blocking thread so that Ctrl-C (handled by the caller) still ends the run.
            let answer = tokio::task::spawn_blocking(|| {
                let mut line = String::new();
                std::io::stdin().read_line(&mut line).map(|_| line)
            })
            .await
            .map_err(|_| Error::NotConfirmed)?
            .map_err(|_| Error::NotConfirmed)?;
            match answer.trim().to_ascii_lowercase().as_str() {
                "y" | "yes" => Ok("prompt".to_string()),
                _ => Err(Error::NotConfirmed),
            }
        })
    }
}
