//! `undo RUN_ID`: put back what a revert changed, after a fresh read and the operator's yes.

use std::io::IsTerminal;

use anyhow::Result;
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use runbook::error::RunPurpose;
use runbook::http::Replayer;
use runbook::journal::{self, AUDIT_FILE};
use runbook::locate;
use runbook::runbooks::{Args, Begin, Runbook};
use runbook::Error;

use crate::connect;
use crate::drive::{drive, expect_hash, last_hash, partial_undo, say_unused};
use crate::flags::UndoFlags;
use crate::settings::Settings;

/// `undo`, with the HTTP client replaced if `http` is given (the fixture recorder wraps the
/// real one); also returns the replayer of a replayed undo, which says what the undo did not
/// ask for.
pub async fn undo(
    flags: UndoFlags,
    settings: &Settings,
    http: Option<SharedHttpClient>,
) -> (Result<()>, Option<Replayer>) {
    let mut replayer = None;
    let result = undo_connected(flags, settings, http, &mut replayer).await;
    say_unused(replayer.as_ref(), settings.lang);
    (result, replayer)
}

async fn undo_connected(
    flags: UndoFlags,
    settings: &Settings,
    http: Option<SharedHttpClient>,
    replayer: &mut Option<Replayer>,
) -> Result<()> {
    if !flags.dry_run && !flags.yes && !std::io::stdin().is_terminal() {
        return Err(Error::ConfirmationUnavailable.into());
    }
    // The revert undone, wherever it is: a batch account's revert is undone in its account's
    // folder, where the restore run is kept beside it.
    let found = locate::locate_latest_of(&settings.state_dir, &flags.run_id, Runbook::Revert)?;
    let (dir, undoes) = (found.dir(), found.run_id.clone());
    let undone = journal::load(&dir)?;
    expect_hash(
        &dir.join(AUDIT_FILE),
        || Ok(last_hash(&undone.records)),
        flags.expect_hash.as_deref(),
        settings.lang,
    )?;
    // Credentials of another account are refused before the restore run opens, with the
    // undo's own advice (no failed run of one account left in another's folder).
    let recorded = undone.started.account;
    let mut settings = settings.running_in(&found.state_dir);
    settings.acts_in = Some(recorded.clone());
    let settings = &settings;
    let (aws, replaying) = connect::aws(settings.connection(), http).await?;
    *replayer = replaying;
    let args = Args {
        trails: Vec::new(),
        regions: None,
        exclude_regions: Vec::new(),
        dry_run: flags.dry_run,
        undoes: Some(undoes.clone()),
        force: flags.force,
        include_organization_trail: false,
    };
    let begin = Begin::New {
        runbook: Runbook::Restore,
        args,
    };
    let done = match drive(&aws, begin, flags.yes, settings).await {
        Err(e) => match e.downcast::<Error>() {
            Ok(Error::WrongAccount { actual, .. }) => {
                return Err(Error::AccountMismatch {
                    run_id: undoes,
                    recorded,
                    current: actual,
                    purpose: RunPurpose::Undo,
                }
                .into())
            }
            Ok(other) => return Err(other.into()),
            Err(e) => return Err(e),
        },
        Ok(done) => done,
    };
    if let Some(error) = partial_undo(&done.report, settings.lang) {
        return Err(done.failure(error, None));
    }
    done.print_json("undo", settings)
}
