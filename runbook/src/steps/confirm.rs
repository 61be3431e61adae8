//! Confirm: the operator confirms the prerequisite (the secure-setting opt-in is off, or the
//! Saturday maintenance re-applies it) and the plan, before the first write.

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::audit::kind;
use crate::error::Result;
use crate::steps::{Cx, Plan, PlannedWrite, Step};

#[derive(Debug, Serialize)]
pub struct Confirm {
    pub plan: Plan,
    pub writes: Vec<PlannedWrite>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Confirmation {
    /// How it was given: `--yes` or `prompt`.
    pub via: String,
}

impl Step for Confirm {
    const NAME: &'static str = "confirm";
    type Output = Confirmation;

    async fn execute(&self, cx: &Cx<'_>) -> Result<Confirmation> {
        let answer = cx.operator.confirm(&self.plan).await;
        cx.run.log(
            kind::OPERATOR_CONFIRMATION,
            json!({
                "confirmed": answer.is_ok(),
                "via": answer.as_ref().ok(),
                "refusal": answer.as_ref().err().map(ToString::to_string),
                "writes": self.writes.len(),
            }),
        )?;
        Ok(Confirmation { via: answer? })
    }
}
