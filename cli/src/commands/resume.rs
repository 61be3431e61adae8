//! `resume [RUN_ID]`: continue an interrupted or failed run from its first unfinished step.
//! (A batch's resume is `batch`'s.)

use std::io::IsTerminal;
use std::path::Path;

use anyhow::Result;
use runbook::journal::{self, StepName, AUDIT_FILE};
use runbook::locate::{self, Located};
use runbook::runbooks::Begin;
use runbook::runs;
use runbook::Error;

use crate::connect;
use crate::drive::{drive, expect_hash, last_hash, partial_undo};
use crate::flags::ResumeFlags;
use crate::settings::Settings;

pub async fn resume(flags: ResumeFlags, settings: &Settings) -> Result<()> {
    let batch_only = [
        ("--accounts", !flags.accounts.is_empty()),
        ("--external-id", flags.external_id.is_some()),
        ("--max-calls-in-flight", flags.max_calls_in_flight.is_some()),
    ];
    if let Some((flag, _)) = batch_only.into_iter().find(|(_, given)| *given) {
        return Err(Error::FlagNotHonoured {
            flag: flag.into(),
            resume: true,
        }
        .into());
    }
    let mut run_id = flags.run_id.clone();
    // A run to resume, found before anything else: none is bad input, said before any call.
    // A batch account's run named by its id is resumed where it is, in its account's folder.
    let found = to_resume(flags.run_id.as_deref(), &settings.state_dir)?;
    let settings = &settings.running_in(&found.state_dir);
    let id = found.run_id;
    if let Some(expected) = flags.expect_hash.as_deref() {
        // The run resumed is the one whose hash was checked, named from here on.
        let dir = found.state_dir.join(&id);
        expect_hash(
            &dir.join(AUDIT_FILE),
            || journal::load(&dir).map(|j| last_hash(&j.records)),
            Some(expected),
            settings.lang,
        )?;
        run_id = Some(id.clone());
    }
    if !flags.yes && !std::io::stdin().is_terminal() {
        refuse_unconfirmable(&found.state_dir.join(&id))?;
    }
    let (aws, _replayer) = connect::aws(settings.connection(), None).await?;
    let begin = Begin::Resume { run_id };
    let done = drive(&aws, begin, flags.yes, settings).await?;
    if let Some(error) = partial_undo(&done.report, settings.lang) {
        return Err(done.failure(error, None));
    }
    done.print_json("resume", settings)
}

/// The run `resume` continues: the one named (wherever it is), else the newest resumable run.
fn to_resume(wanted: Option<&str>, state_dir: &Path) -> Result<Located> {
    Ok(match wanted {
        Some(id) if id != "latest" => locate::locate(state_dir, Some(id))?,
        _ => Located {
            run_id: runs::latest_resumable(state_dir)?,
            state_dir: state_dir.to_path_buf(),
        },
    })
}

/// Refuses, before the run is touched, to resume a revert that still needs the operator's
/// go-ahead when nobody can give it (no terminal, no `--yes`), as `run` does.
fn refuse_unconfirmable(dir: &Path) -> Result<()> {
    // A run that cannot be read here is for resume itself to repair (a torn last line) or to
    // refuse with its own error.
    let Ok(journal) = journal::load(dir) else {
        return Ok(());
    };
    let needs_confirmation = journal.started.runbook.writes()
        && !journal.started.args.dry_run
        && journal.fold.output(StepName::Confirm).is_none();
    if needs_confirmation && journal.fold.resumable() {
        return Err(Error::ConfirmationUnavailable.into());
    }
    Ok(())
}
