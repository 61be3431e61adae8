//! The step runner: each step is a saga action. A step that succeeded in an earlier attempt is
//! not run again (its recorded output is reused); otherwise it is recorded as started, then as
//! succeeded (with its typed output) or failed.

use std::time::Instant;

use crate::error::{Error, Result};
use crate::journal::{Event, StepName, StepSkip};
use crate::steps::step::{Cx, Step};

impl Cx<'_> {
    pub async fn step<S: Step>(&self, step: &S) -> Result<S::Output> {
        self.run.check_healthy()?;
        let earlier = self
            .run
            .fold(|f| f.output_at(S::NAME).map(|(seq, v)| (seq, v.clone())));
        if let Some((seq, output)) = earlier {
            // An output that is not the step's own was not written by this tool: the log was
            // changed, and resuming cannot mend that.
            let output = serde_json::from_value(output).map_err(|e| Error::AuditCorrupt {
                path: self.run.dir().join(crate::journal::AUDIT_FILE),
                line: seq as usize + 1,
                problem: format!(
                    "the recorded output of step `{}` is not that step's output: {e}",
                    S::NAME
                )
                .into(),
            })?;
            self.skip(S::NAME, StepSkip::SucceededEarlier)?;
            self.operator.step_reused(S::NAME);
            return Ok(output);
        }
        let input = serde_json::to_value(step).expect("steps serialize");
        self.record(Event::StepStarted {
            step: S::NAME,
            input,
        })?;
        self.operator.step_started(S::NAME);
        let started = Instant::now();
        // Boxed: the steps' futures nest (a write step beside another, inside the run's), and
        // held inline they outgrow a test thread's stack in a debug build.
        let result = Box::pin(step.execute(self)).await;
        let duration_ms = started.elapsed().as_millis() as u64;
        self.run.check_healthy()?;
        match result {
            Ok(output) => {
                let value = serde_json::to_value(&output).expect("outputs serialize");
                self.operator.step_finished(S::NAME, &value);
                self.record(Event::StepSucceeded {
                    step: S::NAME,
                    output: value,
                    duration_ms,
                })?;
                Ok(output)
            }
            Err(err) => {
                self.record(Event::StepFailed {
                    step: S::NAME,
                    error: err.to_string(),
                    duration_ms,
                })?;
                Err(err)
            }
        }
    }

    /// Records that a step was not run, and why.
    pub fn skip(&self, step: StepName, skip: StepSkip) -> Result<()> {
        self.record(Event::StepSkipped { step, skip })
    }

    /// A warning in the journal, attributed to `step`.
    pub fn warn(&self, step: StepName, message: &str) -> Result<()> {
        self.record(Event::Warning {
            step,
            message: message.to_string(),
        })
    }
}
