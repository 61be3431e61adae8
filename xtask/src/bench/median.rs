//! The figure every measurement reports.

use std::time::Duration;

/// The middle of `values` (the upper one of an even count).
pub fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}
