//! Confirm: the operator confirms the prerequisite (the secure-setting opt-in is off, or the
//! Saturday maintenance re-applies it) and the plan, before the first write.

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::journal::{ConfirmVia, Event, OperatorConfirmation, StepName};
use crate::model::Plan;
use crate::model::TrailTarget;
use crate::steps::step::{Cx, Step};

#[derive(Debug, Serialize)]
pub struct Confirm {
    pub plan: Plan,
    /// The trails that matched but will not be changed (each with its skip reason), shown to the
    /// operator with the plan. Not part of the step's recorded input: check_status's output has them.
    #[serde(skip)]
    pub left_alone: Vec<TrailTarget>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Confirmation {
    pub via: ConfirmVia,
}

impl Step for Confirm {
    const NAME: StepName = StepName::Confirm;
    type Output = Confirmation;

    async fn execute(&self, cx: &Cx<'_>) -> Result<Confirmation> {
        let who = cx.run.started();
        // Nothing held while waiting that the next step can make again.
        cx.aws.release_clients();
        let answer = cx
            .operator
            .confirm(&self.plan, &who, &self.left_alone)
            .await;
        cx.run
            .record(Event::OperatorConfirmation(OperatorConfirmation {
                confirmed: answer.is_ok(),
                via: answer.as_ref().ok().copied(),
                refusal: answer.as_ref().err().map(ToString::to_string),
                writes: self.plan.writes.clone(),
            }))?;
        Ok(Confirmation { via: answer? })
    }
}
