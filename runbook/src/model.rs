//! The domain: what the runbook reads about trails and buckets, independent of the SDK's types.
//! `domain` holds the trails, buckets and plans; `output` the step outputs the journal's fold reads.

mod domain;
mod output;
pub use domain::*;
pub use output::*;
