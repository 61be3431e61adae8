//! DisableTrailKms: `UpdateTrail` with `KmsKeyId: ""`, once per trail, by ARN, in the trail's home
//! region, only if the live trail (re-read right before) still uses the planned key.

use serde::Serialize;

use crate::error::Result;
use crate::journal::StepName;
use crate::model::PlannedWrite;
use crate::steps::{write, Cx, Step, WriteReport};

#[derive(Debug, Serialize)]
pub struct DisableTrailKms {
    /// The plan's `UpdateTrail` writes.
    pub writes: Vec<PlannedWrite>,
}

impl Step for DisableTrailKms {
    const NAME: StepName = StepName::DisableTrailKms;
    type Output = Vec<WriteReport>;

    async fn execute(&self, cx: &Cx<'_>) -> Result<Vec<WriteReport>> {
        write::apply_all(cx, Self::NAME, &self.writes).await
    }
}
