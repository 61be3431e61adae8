//! SetBucketAes256: put SSE-S3 (AES256) as the bucket's default encryption, carrying over what
//! should stay, only if the live configuration (re-read right before) is still the planned one.

use serde::Serialize;

use crate::error::Result;
use crate::journal::StepName;
use crate::model::PlannedWrite;
use crate::steps::{write, Cx, Step, WriteReport};

#[derive(Debug, Serialize)]
pub struct SetBucketAes256 {
    /// The plan's `PutBucketEncryption` writes.
    pub writes: Vec<PlannedWrite>,
}

impl Step for SetBucketAes256 {
    const NAME: StepName = StepName::SetBucketAes256;
    type Output = Vec<WriteReport>;

    async fn execute(&self, cx: &Cx<'_>) -> Result<Vec<WriteReport>> {
        write::apply_all(cx, Self::NAME, &self.writes).await
    }
}
