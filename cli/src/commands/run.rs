//! `run revert|status` on one account: open a run, drive the runbook, print what happened.
//! (`run` over many accounts is `batch`'s.)

use std::io::IsTerminal;

use anyhow::Result;
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use runbook::aws::Aws;
use runbook::http::Replayer;
use runbook::locate::{self, Located};
use runbook::runbooks::{self, Begin, Runbook};
use runbook::Error;

use crate::connect;
use crate::drive::{drive, say_unused};
use crate::flags::{RunFlags, RunbookName};
use crate::settings::{args_of, Settings};

/// `run` on one account, with the HTTP client replaced if `http` is given (the fixture
/// recorder wraps the real one); also returns the replayer of a replayed run, which says what
/// the run did not ask for.
pub async fn run(
    flags: RunFlags,
    settings: &Settings,
    http: Option<SharedHttpClient>,
) -> (Result<()>, Option<Replayer>) {
    if let Err(e) = refuse_batch_only_flags(&flags.batch) {
        return (Err(e.into()), None);
    }
    let (aws, replayer) = match connect::aws(settings.connection(), http).await {
        Ok(connected) => connected,
        Err(e) => return (Err(e), None),
    };
    let result = run_connected(flags, settings, &aws).await;
    say_unused(replayer.as_ref(), settings.lang);
    (result, replayer)
}

/// The flags of a batch are refused on a single run rather than ignored.
fn refuse_batch_only_flags(b: &crate::flags::BatchFlags) -> Result<(), Error> {
    let given = [
        ("--exclude-account", !b.exclude_accounts.is_empty()),
        ("--role-name", b.role_name.is_some()),
        ("--external-id", b.external_id.is_some()),
        (
            "--max-concurrent-accounts",
            b.max_concurrent_accounts.is_some(),
        ),
        ("--max-errors", b.max_errors.is_some()),
        ("--max-calls-in-flight", b.max_calls_in_flight.is_some()),
    ];
    match given.into_iter().find(|(_, given)| *given) {
        Some((flag, _)) => Err(Error::FlagNotHonoured {
            flag: flag.into(),
            resume: false,
        }),
        None => Ok(()),
    }
}

async fn run_connected(flags: RunFlags, settings: &Settings, aws: &Aws) -> Result<()> {
    let runbook = match flags.runbook {
        RunbookName::Revert => Runbook::Revert,
        RunbookName::Status => Runbook::Status,
    };
    if runbook != Runbook::Status && (flags.check || flags.since.is_some()) {
        anyhow::bail!(Error::RecheckNeedsStatus);
    }
    // Refuse before touching AWS when a write would need a confirmation nobody can give.
    if runbook == Runbook::Revert && !flags.dry_run && !flags.yes && !std::io::stdin().is_terminal()
    {
        return Err(Error::ConfirmationUnavailable.into());
    }
    let mut args = args_of(&flags);
    let state_dir = &settings.state_dir;
    let since = match &flags.since {
        Some(wanted) => {
            // That revert, wherever it is (a batch account's too).
            let found = locate::locate_latest_of(state_dir, wanted, Runbook::Revert)?;
            // Look at what that revert looked at: its trails and regions.
            let source = runbook::recheck::args_of(&found.state_dir, &found.run_id)?;
            args.trails = source.trails;
            args.regions = source.regions;
            args.exclude_regions = source.exclude_regions;
            Some(found)
        }
        None => None,
    };
    let command = match runbook {
        Runbook::Status => "run status",
        _ => "run revert",
    };
    let done = drive(aws, Begin::New { runbook, args }, flags.yes, settings).await?;
    // The re-check: the report is printed; the exit code says whether the account is still
    // reverted.
    if let Err(error) = recheck(flags.check, since.as_ref(), &done.report) {
        return Err(done.failure(error, None));
    }
    done.print_json(command, settings)
}

/// `status --check` / `--since RUN_ID` on the status run's report.
fn recheck(check: bool, since: Option<&Located>, report: &runbooks::Report) -> Result<(), Error> {
    if check {
        let found = runbook::recheck::still_sse_kms(report);
        if !found.is_empty() {
            return Err(Error::StillSseKms(
                found.into_iter().map(Into::into).collect(),
            ));
        }
    }
    if let Some(since) = since {
        let drift = runbook::recheck::drift_since(&since.state_dir, &since.run_id, report)?;
        if !drift.is_empty() {
            return Err(Error::Drifted {
                since: since.run_id.clone(),
                found: drift.into_iter().map(Into::into).collect(),
            });
        }
    }
    Ok(())
}
