//! `audit report RUN_ID [--out FILE]`: the run's evidence page, written and said where.

use std::path::{Path, PathBuf};

use anyhow::Result;
use runbook::journal;

use crate::messages::evidence as words;
use crate::output::evidence::{self, Evidence};
use crate::output::out;
use crate::settings::Settings;

/// `audit report [RUN_ID] [--out FILE]`: writes the page (default
/// `<state-dir>/<run-id>/report.html`) and prints where.
pub fn report(
    settings: &Settings,
    run_id: Option<&str>,
    out_file: Option<(&Path, bool)>,
) -> Result<()> {
    let state_dir = &settings.state_dir;
    let found = runbook::locate::locate(state_dir, run_id)?;
    let (id, dir) = (found.run_id.clone(), found.dir());
    let journal = journal::load(&dir)?;
    // Evidence only from a log whose cache agrees with it (as `audit verify` checks).
    journal.check_cache(&dir)?;
    let evidence = Evidence::of(&id, &journal, settings.verify_command(&id));
    let html = evidence::page(&evidence, words::of(settings.lang));
    // The default, `report.html` in the run's folder, is the one file in the state directory
    // the tool writes for the operator; any other file named is checked (`files::write_out`).
    let path: PathBuf = match out_file {
        Some((p, force)) => {
            let path = std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
            runbook::files::write_out(&path, html.as_bytes(), force, state_dir)?;
            path
        }
        None => {
            let path = dir.join("report.html");
            runbook::files::write_atomic(&path, html.as_bytes())?;
            path
        }
    };
    match settings.output {
        crate::flags::Output::Json => crate::output::json::print(
            "audit report",
            true,
            crate::output::json::Body::Report(crate::output::json::ReportDoc {
                run_id: id,
                report: path,
            }),
        ),
        crate::flags::Output::Human => out::line(format!("report: {}", path.display())),
    }
    Ok(())
}
