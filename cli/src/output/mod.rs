//! What the operator sees, apart from the commands that decide it: the terminal funnel
//! (`out`, `display`), human views (`render`), the JSON contract (`json`), the evidence page
//! (`evidence`) and times for people (`clock`).

pub mod batch;
pub mod clock;
pub mod display;
pub mod evidence;
pub mod json;
pub mod out;
pub mod render;
