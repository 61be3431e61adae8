//! SetBucketAes256: put SSE-S3 (AES256) as the bucket's default encryption, carrying over what
//! should stay, only if the live configuration (re-read right before) is still the planned one.

use crate::journal::StepName;
use crate::steps::write::write_step;

write_step!(
    /// The plan's `PutBucketEncryption` writes.
    SetBucketAes256,
    StepName::SetBucketAes256
);
