//! DisableTrailKms: `UpdateTrail` with `KmsKeyId: ""`, once per trail, by ARN, in the trail's home
//! region, only if the live trail (re-read right before) still uses the planned key.

use crate::journal::StepName;
use crate::steps::write::write_step;

write_step!(
    /// The plan's `UpdateTrail` writes.
    DisableTrailKms,
    StepName::DisableTrailKms
);
