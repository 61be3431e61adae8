//! One module per operator command. Commands never import each other: what two of them share
//! lives below them (`output`, `messages`, `connect`, `paths`, `terminal`).

pub mod audit;
pub mod batch;
pub mod resume;
pub mod run;
pub mod undo;
