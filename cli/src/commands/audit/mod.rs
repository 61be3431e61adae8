//! `audit list|show|verify|report`: review what runs and batches did, from their journals.

mod batch;
mod report;

use anyhow::Result;
use runbook::journal::{self, Event, Record, WriteAnswer};
use runbook::locate::locate;
use runbook::runs;
use serde_json::Value;

use crate::flags::{AuditCommand, AuditFlags, Lang, Output};
use crate::messages::Msg;
use crate::output::json::{self, AuditFailure, ErrorCode, RunRow, WriteRow};
use crate::output::{clock, out, render};
use crate::settings::Settings;

pub fn run(flags: AuditFlags, settings: &Settings) -> Result<()> {
    let state_dir = settings.state_dir.clone();
    let output = settings.output;
    let lang = settings.lang;
    match flags.command {
        AuditCommand::Report { run_id, out, force } => report::report(
            settings,
            run_id.as_deref(),
            out.as_deref().map(|out| (out, force)),
        ),
        AuditCommand::List => list(&state_dir, output, lang),
        AuditCommand::Show { run_id, writes } => {
            show(&state_dir, run_id.as_deref(), writes, output, lang)
        }
        AuditCommand::Verify {
            run_id,
            expect_hash,
        } => verify(
            &state_dir,
            run_id.as_deref(),
            expect_hash.as_deref(),
            output,
            lang,
        ),
    }
}

/// A run's row of `audit list`, from its journal in `dir`.
fn run_row(run_id: String, dir: &std::path::Path) -> RunRow {
    match journal::load(dir) {
        Ok(j) => {
            let f = &j.fold;
            let started = &j.started;
            RunRow {
                run_id,
                batch_id: started.batch.clone(),
                runbook: Some(started.runbook.name().to_string()),
                account: Some(started.account.clone()),
                status: f.status().map(|s| s.as_str()).unwrap_or("running").into(),
                resumable: Some(f.resumable()),
                started: Some(f.started_at().to_string()),
                duration_s: seconds_between(f.started_at(), f.updated_at()),
                attempts: Some(f.attempts()),
                final_hash: j.records.last().map(|r| r.hash.clone()),
                error: None,
            }
        }
        Err(e) => unreadable_row(run_id, e),
    }
}

/// A row of `audit list` for what cannot be read (a journal, an account's folder): named, with
/// why, never the end of the list.
fn unreadable_row(what: String, e: runbook::Error) -> RunRow {
    let err = anyhow::Error::new(e);
    RunRow {
        run_id: what,
        batch_id: None,
        runbook: None,
        account: None,
        status: "unreadable".into(),
        resumable: None,
        started: None,
        duration_s: None,
        attempts: None,
        final_hash: None,
        error: Some(json::ErrorDetail {
            code: json::code_of(&err),
            message: err.to_string(),
            exit_code: 0,
        }),
    }
}

fn seconds_between(a: &str, b: &str) -> Option<f64> {
    Some((crate::output::clock::millis(b)? - crate::output::clock::millis(a)?) / 1000.0)
}

/// One row per run, from its journal (the cache beside it is not trusted for this either):
/// each batch with its accounts' runs under it, then the single runs, wherever they are kept.
fn list(state_dir: &std::path::Path, output: Output, lang: Lang) -> Result<()> {
    let mut batches = batch::rows(state_dir)?;
    let mut rows = Vec::new();
    for id in runs::run_ids(state_dir)? {
        let dir = state_dir.join(&id);
        rows.push(run_row(id, &dir));
    }
    // The batches' account folders: one that cannot be read (a planted link, another user's)
    // is an unreadable row.
    let accounts = match runbook::locate::batch_accounts(state_dir) {
        Ok(accounts) => accounts,
        Err(e) => {
            rows.push(unreadable_row(
                runbook::batch::journal::ACCOUNTS_DIR.into(),
                e,
            ));
            Vec::new()
        }
    };
    for account in accounts {
        let folder = format!("{}/{account}", runbook::batch::journal::ACCOUNTS_DIR);
        let ids = runbook::batch::account_state_dir(state_dir, &account)
            .and_then(|dir| Ok((runs::run_ids(&dir)?, dir)));
        let (ids, dir) = match ids {
            Ok(found) => found,
            Err(e) => {
                rows.push(unreadable_row(folder, e));
                continue;
            }
        };
        for id in ids {
            let row = run_row(id.clone(), &dir.join(&id));
            let of_batch = |b: &&mut json::BatchRow| row.batch_id.as_ref() == Some(&b.batch_id);
            match batches.iter_mut().find(of_batch) {
                Some(batch) => batch.runs.push(row),
                None => rows.push(row),
            }
        }
    }
    // Oldest first, wherever each run is kept; a batch's runs in its order of accounts.
    rows.sort_by(|a, b| a.run_id.cmp(&b.run_id));
    for batch in &mut batches {
        let order = std::mem::take(&mut batch.order);
        let place = |run: &RunRow| {
            let account = run.account.as_deref().unwrap_or_default();
            order.iter().position(|a| a == account)
        };
        batch
            .runs
            .sort_by(|a, b| (place(a), &a.run_id).cmp(&(place(b), &b.run_id)));
    }
    if output == Output::Json {
        json::print(
            "audit list",
            true,
            json::Body::List(json::ListDoc {
                state_dir: state_dir.to_path_buf(),
                runs: rows,
                batches,
            }),
        );
        return Ok(());
    }
    if !batches.is_empty() {
        batch::print_batch_rows(&batches, lang);
    }
    if rows.is_empty() {
        if batches.is_empty() {
            out::line(Msg::NoRuns { dir: state_dir }.text(lang));
        }
        return Ok(());
    }
    let headings = Msg::ListHeadings.text(lang);
    let h: Vec<&str> = headings.split('\t').collect();
    out::line(format!(
        "{:<28} {:<8} {:<14} {:<24} {:<27} {:>9}  {}",
        h[0], h[1], h[2], h[3], h[4], h[5], h[6]
    ));
    for r in rows {
        let dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
        let duration = r
            .duration_s
            .map(|d| format!("{d:.1}s"))
            .unwrap_or_else(|| "-".into());
        let status = Msg::RunStatus {
            status: &r.status,
            resumable: r.resumable,
        }
        .text(lang);
        let started = r.started.as_deref().map(clock::local);
        out::line(format!(
            "{:<28} {:<8} {:<14} {:<24} {:<27} {:>9}  {}",
            crate::output::display::escape(&r.run_id),
            crate::messages::runbook_word(&dash(&r.runbook), lang),
            crate::output::display::escape(&dash(&r.account)),
            status,
            dash(&started),
            duration,
            dash(&r.final_hash),
        ));
    }
    Ok(())
}

/// One journal event as a line of the `audit show` timeline, in `lang`.
fn describe(event: &Event, lang: Lang) -> String {
    let w = crate::messages::timeline::of(lang);
    let s = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Null => w.none.into(),
        other => other.to_string(),
    };
    match event {
        Event::RunStarted(r) => format!(
            "{}: {} {} {} {} ({} {}, {} {}), {} {}",
            w.run_started,
            r.runbook.name(),
            serde_json::to_string(&r.args).unwrap_or_default(),
            w.by,
            r.caller_arn,
            w.account,
            r.account,
            w.credentials_from,
            r.credentials,
            w.tool,
            r.tool_version
        ),
        Event::RunResumed(r) => format!(
            "{} ({} {}) {} {} ({} {})",
            w.resumed, w.attempt, r.attempt, w.by, r.caller_arn, w.credentials_from, r.credentials
        ),
        Event::AwsCall(c) => {
            let outcome = match &c.error_code {
                Some(code) => format!("{} {code}", w.error),
                None => w.ok.into(),
            };
            // Beside another step, a call names its own: `[set_bucket_aes256]`.
            let of_step = c.step.map(|s| format!(" [{s}]")).unwrap_or_default();
            format!(
                "  {}{of_step} {} {} {} {} {} -> {outcome} ({} ms, {} {})",
                w.call,
                c.service,
                c.operation,
                w.in_region,
                c.region,
                c.params,
                c.duration_ms,
                w.request,
                c.request_id.as_deref().unwrap_or(w.none)
            )
        }
        Event::StepStarted { step, .. } => {
            format!("{} {step} {}", w.step, w.started)
        }
        Event::StepSucceeded {
            step, duration_ms, ..
        } => format!("{} {step} {} ({duration_ms} ms)", w.step, w.succeeded),
        Event::StepFailed { step, error, .. } => {
            format!("{} {step} {}: {error}", w.step, w.step_failed)
        }
        Event::StepSkipped { step, skip } => format!(
            "{} {step} {}: {}",
            w.step,
            w.skipped,
            crate::messages::evidence::skip_text(skip, crate::messages::evidence::of(lang))
        ),
        Event::WriteIntent { write, .. } => format!(
            "  {}: {} {} {} {}",
            w.write_intended,
            write.op().qualified(),
            w.in_region,
            write.region(),
            write.params()
        ),
        Event::WriteResult {
            intent_seq,
            outcome,
            error_code,
        } => format!(
            "  {} ({} {}): {}{}",
            w.write_result,
            w.line,
            intent_seq + 1,
            match outcome {
                WriteAnswer::Ok => w.ok,
                WriteAnswer::Error => w.refused,
                WriteAnswer::Unknown => w.unknown,
            },
            error_code
                .as_deref()
                .map(|c| format!(" {c}"))
                .unwrap_or_default()
        ),
        Event::WriteSettled {
            intent_seq,
            applied,
            live,
        } => format!(
            "  {} ({} {}): {} {}",
            w.write_settled,
            w.line,
            intent_seq + 1,
            if *applied { w.applied } else { w.not_applied },
            s(live)
        ),
        Event::OperatorConfirmation(c) => match (&c.via, &c.refusal) {
            (Some(via), _) => format!(
                "{} ({} {}, {via:?})",
                w.operator_confirmed,
                c.writes.len(),
                w.writes
            ),
            (None, Some(refusal)) => {
                format!("{}: {refusal}", w.operator_did_not_confirm)
            }
            (None, None) => w.operator_did_not_confirm.into(),
        },
        Event::Warning { message, .. } => format!("  {}: {message}", w.warning),
        Event::LogRepaired {
            dropped_torn_last_line_bytes,
        } => format!("{} ({dropped_torn_last_line_bytes} bytes)", w.torn_line_cut),
        Event::RunFinished {
            writes_made,
            writes_planned,
            dry_run,
        } => format!(
            "{}: {writes_made}/{writes_planned} {}{}",
            w.run_finished,
            w.planned_writes_made,
            if *dry_run { w.dry_run } else { "" }
        ),
        Event::RunFailed { error, resumable } => format!(
            "{}{}: {error}",
            w.run_failed,
            if *resumable { "" } else { w.not_resumable }
        ),
        Event::RunInterrupted { reason, .. } => {
            format!("{}: {reason}", w.run_interrupted)
        }
    }
}

/// Each write attempt of a journal: its intent, and what answered it.
/// The run's writes; `before`/`after` in `lang` (English for the JSON contract).
fn write_rows(journal: &journal::Journal, lang: Lang) -> Vec<WriteRow> {
    let mut rows: Vec<WriteRow> = Vec::new();
    for (record, event) in journal.records.iter().zip(&journal.events) {
        match event {
            Event::WriteIntent { write, .. } => {
                let (before, after) = render::before_after_lang(write, lang);
                rows.push(WriteRow {
                    line: record.seq + 1,
                    ts: record.ts.clone(),
                    operation: write.op().qualified(),
                    region: write.region().to_string(),
                    target: write.target().to_string(),
                    before,
                    after,
                    outcome: "pending".into(),
                    error_code: None,
                });
            }
            Event::WriteResult {
                intent_seq,
                outcome,
                error_code,
            } => {
                if let Some(row) = rows.iter_mut().find(|r| r.line == intent_seq + 1) {
                    row.outcome = match outcome {
                        WriteAnswer::Ok => "ok",
                        WriteAnswer::Error => "refused",
                        WriteAnswer::Unknown => "unknown",
                    }
                    .into();
                    row.error_code = error_code.clone();
                }
            }
            Event::WriteSettled {
                intent_seq,
                applied,
                ..
            } => {
                if let Some(row) = rows.iter_mut().find(|r| r.line == intent_seq + 1) {
                    row.outcome = if *applied { "applied" } else { "not_applied" }.into();
                }
            }
            _ => {}
        }
    }
    rows
}

fn show(
    state_dir: &std::path::Path,
    run_id: Option<&str>,
    writes_only: bool,
    output: Output,
    lang: Lang,
) -> Result<()> {
    if let Some(batch_id) = run_id.filter(|id| runbook::batch::journal::is_batch_id(id)) {
        return batch::show(state_dir, batch_id, output, lang);
    }
    let found = locate(state_dir, run_id)?;
    let id = found.run_id.clone();
    let journal = journal::load(&found.dir())?;
    let final_hash = journal
        .records
        .last()
        .map(|r| r.hash.clone())
        .unwrap_or_default();
    if output == Output::Json {
        let (records, writes) = if writes_only {
            (None, Some(write_rows(&journal, Lang::En)))
        } else {
            (Some(serde_json::to_value(&journal.records)?), None)
        };
        json::print(
            "audit show",
            true,
            json::Body::Show(json::ShowDoc {
                run_id: id,
                final_hash,
                records,
                writes,
            }),
        );
        return Ok(());
    }
    out::line(format!("{} {id}", render::run_word(lang)));
    if writes_only {
        let rows = write_rows(&journal, lang);
        if rows.is_empty() {
            out::line(Msg::NoWrites.text(lang));
        }
        for w in rows {
            out::line(format!(
                "{:>4} {} {} {} ({})\n       {} -> {}\n       {}{}",
                w.line,
                clock::local(&w.ts),
                w.operation,
                crate::output::display::escape(&w.target),
                w.region,
                crate::output::display::escape(&w.before),
                crate::output::display::escape(&w.after),
                Msg::WriteOutcome {
                    outcome: &w.outcome
                }
                .text(lang),
                w.error_code.map(|c| format!(" ({c})")).unwrap_or_default()
            ));
        }
    } else {
        for (record, event) in journal.records.iter().zip(&journal.events) {
            let Record { seq, ts, .. } = record;
            out::line(format!(
                "{:>4} {} {}",
                seq + 1,
                clock::local(ts),
                // A journal line is one line, however its values were spelled.
                crate::output::display::escape(&describe(event, lang))
            ));
        }
    }
    out::line(render::final_hash_line(&final_hash, lang));
    Ok(())
}

fn verify(
    state_dir: &std::path::Path,
    run_id: Option<&str>,
    expect_hash: Option<&str>,
    output: Output,
    lang: Lang,
) -> Result<()> {
    if let Some(batch_id) = run_id.filter(|id| runbook::batch::journal::is_batch_id(id)) {
        return batch::verify(state_dir, batch_id, expect_hash, output, lang);
    }
    let found = locate(state_dir, run_id)?;
    let (id, dir) = (found.run_id.clone(), found.dir());
    // The chain, every transition, and state.json against the log.
    let v = journal::verify(&dir)?;
    if let Some(expected) = expect_hash {
        if !expected.eq_ignore_ascii_case(&v.last_hash) {
            anyhow::bail!(AuditFailure {
                code: ErrorCode::HashMismatch,
                message: Msg::HashMismatch {
                    log: &dir.join(journal::AUDIT_FILE),
                    actual: &v.last_hash,
                    expected,
                }
                .text(lang),
            });
        }
    }
    let incomplete = || -> Result<()> {
        if v.incomplete.is_empty() {
            return Ok(());
        }
        anyhow::bail!(AuditFailure {
            code: ErrorCode::LogIncomplete,
            message: Msg::LogIncomplete {
                log: &dir.join(journal::AUDIT_FILE),
                problems: &v.incomplete,
            }
            .text(lang),
        })
    };
    if output == Output::Json {
        incomplete()?;
        json::print(
            "audit verify",
            true,
            json::Body::Verify(json::VerifyDoc {
                run_id: id,
                events: v.events,
                final_hash: v.last_hash.clone(),
                ended: v.ended.clone(),
                resumable: v.resumable,
                open: v.open.iter().map(ToString::to_string).collect(),
                expected_hash_matches: expect_hash.map(|_| true),
            }),
        );
        return Ok(());
    }
    out::line(
        Msg::Verified {
            run_id: &id,
            events: v.events,
            last_hash: &v.last_hash,
        }
        .text(lang),
    );
    if expect_hash.is_some() {
        out::line(Msg::ExpectedHashMatches.text(lang));
    }
    out::line(
        Msg::EndedWith {
            end: v.ended.as_deref(),
        }
        .text(lang),
    );
    for open in &v.open {
        out::line(Msg::Open(open).text(lang));
    }
    incomplete()
}
