//! `audit report RUN_ID`: the run's evidence as one self-contained HTML page (inline CSS and
//! SVG, no script, no network) that prints on A4. Read from the journal alone (`journal::load`,
//! its fold and its typed events, the cache checked against it); every value is escaped by the
//! template (`maud`), and the journal holds nothing secret to begin with.
//!
//! - `model`: [`Evidence`], what the page shows, gathered from the journal;
//! - `batch_model`: [`BatchEvidence`], a batch's page from its journal and its accounts' runs;
//!   `batch_page`: that page, which shows each account with the run page's sections;
//! - `template`: the page; `timeline`: the SVG timeline. Their words, English and the
//!   article's Japanese, are the catalogue's (`messages::evidence`); the command that writes
//!   the page is `audit report`'s (`commands/audit/report.rs`).

mod batch_model;
mod batch_page;
mod model;
mod template;
mod timeline;

pub use batch_model::BatchEvidence;
pub use batch_page::batch_page;
pub use model::Evidence;
pub use template::page;
