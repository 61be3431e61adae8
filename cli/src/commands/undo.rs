//! `undo RUN_ID`: put back what a revert changed, after a fresh read and the operator's yes.

use std::io::IsTerminal;

use anyhow::Result;
use runbook::journal::{self, AUDIT_FILE};
use runbook::runbooks::{Args, Begin, Runbook};
use runbook::runs;
use runbook::Error;

use crate::connect;
use crate::drive::{drive, expect_hash, last_hash, partial_undo};
use crate::flags::UndoFlags;
use crate::settings::Settings;

pub async fn undo(flags: UndoFlags, settings: &Settings) -> Result<()> {
    if !flags.dry_run && !flags.yes && !std::io::stdin().is_terminal() {
        return Err(Error::ConfirmationUnavailable.into());
    }
    let state_dir = &settings.state_dir;
    let undoes = runs::resolve_latest_of(state_dir, &flags.run_id, Runbook::Revert)?;
    expect_hash(
        &state_dir.join(&undoes).join(AUDIT_FILE),
        || journal::load(&state_dir.join(&undoes)).map(|j| last_hash(&j.records)),
        flags.expect_hash.as_deref(),
        settings.lang,
    )?;
    let (aws, _replayer) = connect::aws(settings.connection(), None).await?;
    let args = Args {
        trails: Vec::new(),
        regions: None,
        exclude_regions: Vec::new(),
        dry_run: flags.dry_run,
        undoes: Some(undoes),
        force: flags.force,
        include_organization_trail: false,
    };
    let begin = Begin::New {
        runbook: Runbook::Restore,
        args,
    };
    let done = drive(&aws, begin, flags.yes, settings).await?;
    if let Some(error) = partial_undo(&done.report, settings.lang) {
        return Err(done.failure(error, None));
    }
    done.print_json("undo", settings)
}
