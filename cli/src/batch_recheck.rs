//! A batch's re-checks at its end: `status --check` (is any account still SSE-KMS?) and
//! `status --since` (has any account drifted from its own reference run?), each account's
//! report read back from its journal one at a time. Shared by the batch command; public so
//! that the tests can hold a batch's journals still while they are read.

use runbook::batch::{self, AccountResult, BatchEnd};
use runbook::finding::{Finding, Found};
use runbook::model::Runbook;
use runbook::Error;

use crate::flags::Lang;
use crate::messages::batch as words;
use crate::messages::Msg;
use crate::output::out;

/// `status --check` over a batch: every account's run of this attempt, read back from its
/// journal one at a time, that still saw SSE-KMS. A report that does not read back is never
/// read as "no SSE-KMS": alone, it is the error; beside findings in other accounts, it is one
/// of them (so that one unreadable journal does not hide what the others found).
pub fn still_sse_kms(end: &BatchEnd, lang: Lang) -> Option<Error> {
    let mut found = Vec::new();
    let mut unreadable = None;
    for result in &end.results {
        let report = match end.report_of(result) {
            Ok(Some(report)) => report,
            Ok(None) => continue,
            Err(error) => {
                found.push(not_checked(result, None, &error, lang));
                unreadable.get_or_insert(error);
                continue;
            }
        };
        found.extend(
            runbook::recheck::still_sse_kms(&report)
                .into_iter()
                .map(|finding| runbook::finding::Found {
                    account: Some(result.account.to_string()),
                    since: None,
                    finding,
                }),
        );
    }
    // Only unreadable accounts (no SSE-KMS seen anywhere): the first one's error, not "still
    // SSE-KMS", which nothing showed.
    let seen_sse_kms = found
        .iter()
        .any(|f| !matches!(f.finding, Finding::CompareFailed { .. }));
    match unreadable {
        Some(error) if !seen_sse_kms => Some(error),
        _ => (!found.is_empty()).then(|| Error::StillSseKms(found)),
    }
}

/// An account whose report could not be read back, as a finding beside the others.
fn not_checked(result: &AccountResult, since: Option<&str>, error: &Error, lang: Lang) -> Found {
    Found {
        account: Some(result.account.to_string()),
        since: since.map(str::to_string),
        finding: Finding::CompareFailed {
            message: Msg::Error(error).text(lang),
        },
    }
}

/// `status --since` over a batch: each account compared with its own reference, a revert run in
/// its folder `accounts/<id>/`: with `latest`, its latest revert; with a batch id, its run of
/// that batch; with a run id, that run (in the one account whose folder holds it). `None`: the
/// account has no such run; an error: a journal there does not read (never taken as "none").
fn reference_run(
    state_dir: &std::path::Path,
    account: &batch::AccountId,
    since: &str,
) -> Result<Option<String>, Error> {
    let dir = batch::journal::account_dir(state_dir, account);
    if !dir.exists() {
        return Ok(None);
    }
    if since == "latest" {
        return match runbook::runs::resolve_latest_of(&dir, "latest", Runbook::Revert) {
            Ok(id) => Ok(Some(id)),
            Err(Error::NoSuchRun { .. }) => Ok(None),
            Err(e) => Err(e),
        };
    }
    let ids = runbook::runs::run_ids(&dir)?;
    if batch::journal::is_batch_id(since) {
        for id in ids.into_iter().rev() {
            let journal = runbook::journal::load(&dir.join(&id))?;
            if journal.started.batch.as_deref() == Some(since) {
                return Ok(Some(id));
            }
        }
        return Ok(None);
    }
    Ok(ids.into_iter().find(|id| id == since))
}

/// Refuses, before anything runs, a `--since` that names nothing: a batch that does not exist,
/// or a run id in none of the listed accounts' folders (`listed`: `None` for `--organization`,
/// whose accounts are known only later).
pub fn since_known(
    state_dir: &std::path::Path,
    since: &str,
    listed: Option<&[batch::AccountId]>,
) -> anyhow::Result<()> {
    if since == "latest" {
        return Ok(());
    }
    if batch::journal::is_batch_id(since) {
        batch::journal::resolve(state_dir, since)?;
        return Ok(());
    }
    if let Some(listed) = listed {
        let mut named = false;
        for account in listed {
            named |= reference_run(state_dir, account, since)?.is_some();
        }
        if !named {
            return Err(Error::NoSuchRun {
                run_id: since.to_string(),
                dir: state_dir.join(batch::journal::ACCOUNTS_DIR),
            }
            .into());
        }
    }
    Ok(())
}

/// Each account's drift from its reference run (see [`reference_run`]); an account without one
/// is named as not compared, never passed over in silence. `None`: no drift anywhere.
pub fn drift_since(
    state_dir: &std::path::Path,
    since: &str,
    end: &BatchEnd,
    lang: Lang,
) -> Option<Error> {
    let mut found = Vec::new();
    let mut unreadable = None;
    let mut compared = 0;
    for result in &end.results {
        // Each report read back on its own (the batch keeps none), and dropped after use. One
        // that does not read back is a finding (the account could not be compared), not the
        // end of the comparison: the other accounts are still compared.
        let report = match end.report_of(result) {
            Ok(Some(report)) => report,
            Ok(None) => continue,
            Err(error) => {
                compared += 1;
                found.push(not_checked(result, Some(since), &error, lang));
                unreadable.get_or_insert(error);
                continue;
            }
        };
        let run_id = match reference_run(state_dir, &result.account, since) {
            Ok(Some(run_id)) => run_id,
            Ok(None) => {
                out::eline(words::not_compared(result.account.as_str(), since, lang));
                continue;
            }
            // A reference journal that does not read is named, not passed over.
            Err(error) => {
                compared += 1;
                found.push(not_checked(result, Some(since), &error, lang));
                unreadable.get_or_insert(error);
                continue;
            }
        };
        compared += 1;
        let dir = batch::journal::account_dir(state_dir, &result.account);
        match runbook::recheck::drift_since(&dir, &run_id, &report) {
            Ok(drift) => found.extend(drift.into_iter().map(|finding| Found {
                account: Some(result.account.to_string()),
                since: Some(run_id.clone()),
                finding,
            })),
            Err(e) => found.push(Found {
                account: Some(result.account.to_string()),
                since: Some(run_id.clone()),
                finding: Finding::CompareFailed {
                    message: Msg::Error(&e).text(lang),
                },
            }),
        }
    }
    if compared == 0 {
        return Some(Error::NoSuchRun {
            run_id: since.to_string(),
            dir: state_dir.join(batch::journal::ACCOUNTS_DIR),
        });
    }
    // No drift seen anywhere, only accounts not compared, one of them for an unreadable
    // journal: that journal's error, not "drifted", which nothing showed (as `--check` does).
    let seen_drift = found
        .iter()
        .any(|f| !matches!(f.finding, Finding::CompareFailed { .. }));
    match unreadable {
        Some(error) if !seen_drift => Some(error),
        _ => (!found.is_empty()).then(|| Error::Drifted {
            since: since.to_string(),
            found,
        }),
    }
}
