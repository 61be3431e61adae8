//! `audit report RUN_ID [--out FILE]`: the run's evidence page, written and said where.

use std::path::{Path, PathBuf};

use anyhow::Result;
use runbook::journal;

use crate::messages::evidence as words;
use crate::output::evidence::{self, BatchEvidence, Evidence};
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
    if let Some(batch_id) = run_id.filter(|id| runbook::batch::journal::is_batch_id(id)) {
        return batch_report(settings, batch_id, out_file);
    }
    let found = runbook::locate::locate(state_dir, run_id)?;
    let (id, dir) = (found.run_id.clone(), found.dir());
    let journal = journal::load(&dir)?;
    // Evidence only from a log whose cache agrees with it (as `audit verify` checks).
    journal.check_cache(&dir)?;
    let evidence = Evidence::of(&id, &journal, settings.verify_command(&id));
    let html = evidence::page(&evidence, words::of(settings.lang));
    let path = write(settings, &html, &dir, out_file)?;
    said(settings, id, path);
    Ok(())
}

/// `audit report BATCH_ID [--out FILE]`: the batch's page (default
/// `<state-dir>/batches/<batch-id>/report.html`), from its journal and its accounts' runs,
/// every one verified first.
fn batch_report(
    settings: &Settings,
    batch_id: &str,
    out_file: Option<(&Path, bool)>,
) -> Result<()> {
    let state_dir = &settings.state_dir;
    let id = runbook::batch::journal::resolve(state_dir, batch_id)?;
    let evidence = BatchEvidence::load(state_dir, &id, |id| settings.verify_command(id))?;
    let html = evidence::batch_page(
        &evidence,
        words::batch_of(settings.lang),
        words::of(settings.lang),
    );
    let dir = runbook::batch::journal::batch_dir(state_dir, &id);
    let path = write(settings, &html, &dir, out_file)?;
    said(settings, id, path);
    Ok(())
}

/// Writes the page: `report.html` in the run's or batch's folder by default (the one file in
/// the state directory the tool writes for the operator), or the file named, checked
/// (`files::write_out`).
fn write(
    settings: &Settings,
    html: &str,
    dir: &Path,
    out_file: Option<(&Path, bool)>,
) -> Result<PathBuf> {
    let state_dir = &settings.state_dir;
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
    Ok(path)
}

/// Says where the page is.
fn said(settings: &Settings, id: String, path: PathBuf) {
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
}
