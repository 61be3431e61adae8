//! The audit views of a batch: `audit list`'s batches, `audit show BATCH_ID`, `audit verify
//! BATCH_ID`, all from the batch journal alone.

use anyhow::Result;
use runbook::batch::{self, BatchEnd, Outcome};

use crate::flags::{Lang, Output};
use crate::messages::batch as words;
use crate::messages::Msg;
use crate::output::batch::{document, outcome_word, summary_table};
use crate::output::{display, json, out, render};

/// `audit list`'s batches.
pub fn rows(state_dir: &std::path::Path) -> Result<Vec<json::BatchRow>> {
    let mut rows = Vec::new();
    for id in batch::journal::batch_ids(state_dir)? {
        let row = match batch::journal::load_checked(state_dir, &id) {
            Ok(j) => json::BatchRow {
                runbook: Some(j.started.runbook.name().to_string()),
                accounts: j.started.accounts.len(),
                done: j
                    .accounts()
                    .iter()
                    .filter(|(_, e)| e.as_ref().is_some_and(|e| e.outcome == Outcome::Done))
                    .count(),
                started: j.records.first().map(|r| r.ts.clone()),
                final_hash: Some(j.final_hash().to_string()),
                error: None,
                order: j.started.accounts.iter().map(|a| a.to_string()).collect(),
                batch_id: id,
                runs: Vec::new(),
            },
            Err(e) => json::BatchRow {
                batch_id: id,
                runbook: None,
                accounts: 0,
                done: 0,
                started: None,
                final_hash: None,
                error: Some(e.to_string()),
                runs: Vec::new(),
                order: Vec::new(),
            },
        };
        rows.push(row);
    }
    Ok(rows)
}

pub fn print_batch_rows(rows: &[json::BatchRow], lang: Lang) {
    let w = words::of(lang);
    out::line(w.batches);
    for r in rows {
        let started = r
            .started
            .as_deref()
            .map(crate::output::clock::local)
            .unwrap_or_default();
        match &r.error {
            Some(e) => out::line(format!("  {}  {} {e}", r.batch_id, w.unreadable)),
            None => out::line(format!(
                "  {}  {:<7} {}/{} {}  {}  {}",
                r.batch_id,
                r.runbook.as_deref().unwrap_or("-"),
                r.done,
                r.accounts,
                w.accounts_done,
                started,
                r.final_hash.as_deref().unwrap_or("-"),
            )),
        }
        // Each account's run, its id as any command takes it.
        for run in &r.runs {
            let status = Msg::RunStatus {
                status: &run.status,
                resumable: run.resumable,
            }
            .text(lang);
            out::line(format!(
                "    {}  {}  {:<24} {}",
                display::escape(&run.run_id),
                display::escape(run.account.as_deref().unwrap_or("-")),
                status,
                run.final_hash.as_deref().unwrap_or("-"),
            ));
        }
    }
    out::line("");
}

/// A batch as its journal recorded it (no attempt's live results), for the audit views.
fn recorded(state_dir: &std::path::Path, id: &str, journal: batch::BatchJournal) -> BatchEnd {
    BatchEnd {
        state_dir: state_dir.to_path_buf(),
        batch_id: id.to_string(),
        journal,
        results: Vec::new(),
        confirmation: None,
        interrupted: None,
    }
}

/// `audit show BATCH_ID`: the batch's accounts, each with its outcome and run, then its events.
pub fn show(state_dir: &std::path::Path, batch_id: &str, output: Output, lang: Lang) -> Result<()> {
    let id = batch::journal::resolve(state_dir, batch_id)?;
    let journal = batch::journal::load_checked(state_dir, &id)?;
    let end = recorded(state_dir, &id, journal);
    let (doc, _) = document(&end, None, false);
    if output == Output::Json {
        json::print("audit show", true, json::Body::Batch(doc));
        return Ok(());
    }
    let w = words::of(lang);
    let started = &end.journal.started;
    out::line(format!(
        "{} {id}: `{}` `{}` ({} {}), {} {}",
        w.batch,
        started.runbook.name(),
        started.args.trails_label(),
        w.role,
        started.role_name,
        w.from,
        started.caller_arn
    ));
    out::print(&summary_table(&doc, &[], lang));
    for (record, event) in end.journal.records.iter().zip(&end.journal.events) {
        let what = match event {
            batch::BatchEvent::BatchStarted(s) if s.skipped.is_empty() => {
                format!("batch_started: {} {}", s.accounts.len(), w.accounts)
            }
            batch::BatchEvent::BatchStarted(s) => format!(
                "batch_started: {} {} ({} {})",
                s.accounts.len(),
                w.accounts,
                s.skipped.len(),
                w.skipped
            ),
            batch::BatchEvent::BatchResumed(r) => {
                let accounts: Vec<&str> = r.accounts.iter().map(|a| a.as_str()).collect();
                format!("batch_resumed: {}", accounts.join(", "))
            }
            batch::BatchEvent::AwsCall(c) => format!(
                "aws_call {} {} {}",
                c.operation,
                c.region,
                match c.outcome.as_str() {
                    "ok" => w.ok.to_string(),
                    code => code.to_string(),
                }
            ),
            batch::BatchEvent::BatchConfirmation(c) => {
                words::confirmation_event(c.confirmed, c.accounts.len(), c.writes, lang)
            }
            batch::BatchEvent::AccountEnded(e) => format!(
                "account_ended {}: {}{}",
                e.account,
                outcome_word(Some(e.outcome), lang),
                e.run_id
                    .as_deref()
                    .map(|r| format!(" ({} {r})", w.run))
                    .unwrap_or_default()
            ),
            batch::BatchEvent::BatchEnded(e) => words::ended_event(e.done, e.unfinished, lang),
        };
        out::line(format!(
            "{:>4} {} {what}",
            record.seq + 1,
            crate::output::clock::local(&record.ts)
        ));
    }
    out::line(render::final_hash_line(end.journal.final_hash(), lang));
    Ok(())
}

/// `audit verify BATCH_ID [--expect-hash HASH]`: the batch journal's chain and events, each
/// `done` account's run (see `load_checked`), every account run of the batch verified in turn,
/// and the last line's hash.
pub fn verify(
    state_dir: &std::path::Path,
    batch_id: &str,
    expect_hash: Option<&str>,
    output: Output,
    lang: Lang,
) -> Result<()> {
    let id = batch::journal::resolve(state_dir, batch_id)?;
    let journal = batch::journal::load_checked(state_dir, &id)?;
    for (account, ended) in journal.accounts() {
        if let Some(run_id) = ended.and_then(|e| e.run_id) {
            runbook::journal::verify(
                &batch::journal::account_state_dir(state_dir, &account)?.join(&run_id),
            )?;
        }
    }
    let final_hash = journal.final_hash().to_string();
    if let Some(expected) = expect_hash {
        if expected != final_hash {
            return Err(json::AuditFailure {
                code: json::ErrorCode::HashMismatch,
                message: Msg::HashMismatch {
                    log: &journal.path,
                    actual: &final_hash,
                    expected,
                }
                .text(lang),
            }
            .into());
        }
    }
    let end = recorded(state_dir, &id, journal);
    let (doc, _) = document(&end, None, false);
    if output == Output::Json {
        json::print("audit verify", true, json::Body::Batch(doc));
        return Ok(());
    }
    let w = words::of(lang);
    out::line(format!(
        "{} {id}: {} ({} {})",
        w.batch,
        w.journal_verifies,
        end.journal.records.len(),
        w.events
    ));
    for row in &doc.accounts {
        out::line(format!(
            "  {}  {}  {}",
            row.account,
            outcome_word(row.outcome, lang),
            row.run_id.as_deref().unwrap_or("-")
        ));
    }
    if expect_hash.is_some() {
        out::line(Msg::ExpectedHashMatches.text(lang));
    }
    out::line(render::final_hash_line(&doc.final_hash, lang));
    Ok(())
}
