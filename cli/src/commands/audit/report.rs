//! `audit report RUN_ID [--out FILE]`: the run's evidence page, written and said where.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use runbook::journal;
use runbook::runs;

use crate::flags::Lang;
use crate::messages::evidence as words;
use crate::output::evidence::{self, Evidence};
use crate::output::out;
use crate::paths;

/// `cargo xtask audit report [RUN_ID] [--out FILE]`: writes the page (default
/// `<state-dir>/<run-id>/report.html`) and prints where.
pub fn report(
    state_dir: &Path,
    run_id: Option<&str>,
    lang: Lang,
    out_file: Option<(&Path, bool)>,
    output: crate::flags::Output,
) -> Result<()> {
    let id = runs::resolve(state_dir, run_id)?;
    let dir = state_dir.join(&id);
    let journal = journal::load(&dir)?;
    // Evidence only from a log whose cache agrees with it (as `audit verify` checks).
    journal.check_cache(&dir)?;
    let mut verify_command = paths::program_words();
    verify_command.extend(["audit".into(), "verify".into(), id.clone()]);
    if paths::state_dir(None).ok().as_deref() != Some(state_dir) {
        verify_command.push("--state-dir".into());
        verify_command.push(state_dir.display().to_string());
    }
    let verify_command = shlex::try_join(verify_command.iter().map(String::as_str))
        .context("quoting the verify command")?;
    let evidence = Evidence::of(&id, &journal, verify_command);
    let html = evidence::page(&evidence, words::of(lang));
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
    match output {
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
