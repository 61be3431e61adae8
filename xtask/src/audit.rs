//! `audit list|show|verify`: review what runs did, from their audit logs.

use anyhow::Result;
use runbook::journal::{self, Event, Record, StepSkip, WriteAnswer};
use runbook::runs;
use serde_json::Value;

use crate::flags::{AuditCommand, AuditFlags, Lang, Output};
use crate::json::{self, AuditFailure, ErrorCode, RunRow, WriteRow};
use crate::messages::{self, Msg};
use crate::{clock, out, paths, render};

pub fn run(flags: AuditFlags) -> Result<()> {
    let state_dir = paths::state_dir(flags.state_dir.as_deref());
    let output = flags.display.output;
    let lang = messages::resolve_lang(flags.display.lang);
    match flags.command {
        AuditCommand::Report { run_id, out } => {
            crate::evidence::run(&state_dir, run_id.as_deref(), lang, out.as_deref(), output)
        }
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

fn seconds_between(a: &str, b: &str) -> Option<f64> {
    use time::format_description::well_known::Rfc3339;
    let a = time::OffsetDateTime::parse(a, &Rfc3339).ok()?;
    let b = time::OffsetDateTime::parse(b, &Rfc3339).ok()?;
    Some((b - a).as_seconds_f64())
}

/// One row per run, from its journal (the cache beside it is not trusted for this either).
fn list(state_dir: &std::path::Path, output: Output, lang: Lang) -> Result<()> {
    let mut rows = Vec::new();
    for id in runs::run_ids(state_dir)? {
        let row = match journal::load(&state_dir.join(&id)) {
            Ok(j) => {
                let f = &j.fold;
                let started = f
                    .started()
                    .expect("a loaded journal began with run_started");
                RunRow {
                    run_id: id,
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
            Err(e) => {
                let err = anyhow::Error::new(e);
                RunRow {
                    run_id: id,
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
        };
        rows.push(row);
    }
    if output == Output::Json {
        json::print(
            "audit list",
            true,
            json::Body::List(json::ListDoc {
                state_dir: state_dir.to_path_buf(),
                runs: rows,
            }),
        );
        return Ok(());
    }
    if rows.is_empty() {
        out::line(Msg::NoRuns { dir: state_dir }.text(lang));
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
            r.run_id,
            dash(&r.runbook),
            dash(&r.account),
            status,
            dash(&started),
            duration,
            dash(&r.final_hash),
        ));
    }
    Ok(())
}

fn skip_text(skip: &StepSkip) -> String {
    match skip {
        StepSkip::SucceededEarlier => "succeeded in an earlier attempt".into(),
        StepSkip::AlreadyReverted => {
            "nothing to change: the trail is not encrypted and the bucket is not SSE-KMS".into()
        }
        StepSkip::OnlyTrailsLeftAlone { trails } => format!(
            "the encrypted trails may not be changed by this run: {}",
            trails
                .iter()
                .map(|t| format!("{} ({:?})", t.trail_arn, t.why))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        StepSkip::NoTrailEncrypted => "no trail is encrypted".into(),
        StepSkip::NoBucketSseKms => "no bucket is SSE-KMS".into(),
        StepSkip::NoKeyInUse => "no KMS key was in use".into(),
        StepSkip::NothingToRestore => {
            "nothing to put back: everything is as it was before the revert, or changed since and left alone".into()
        }
    }
}

fn describe(event: &Event) -> String {
    let s = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Null => "none".into(),
        other => other.to_string(),
    };
    match event {
        Event::RunStarted(r) => format!(
            "run started: {} {} by {} (account {}, credentials from {}), tool {}",
            r.runbook.name(),
            serde_json::to_string(&r.args).unwrap_or_default(),
            r.caller_arn,
            r.account,
            r.credentials,
            r.tool_version
        ),
        Event::RunResumed(r) => format!(
            "resumed (attempt {}) by {} (credentials from {})",
            r.attempt, r.caller_arn, r.credentials
        ),
        Event::AwsCall(c) => {
            let outcome = match &c.error_code {
                Some(code) => format!("error {code}"),
                None => "ok".into(),
            };
            format!(
                "  call {} {} in {} {} -> {outcome} ({} ms, request {})",
                c.service,
                c.operation,
                c.region,
                c.params,
                c.duration_ms,
                c.request_id.as_deref().unwrap_or("none")
            )
        }
        Event::StepStarted { step, .. } => format!("step {step} started"),
        Event::StepSucceeded {
            step, duration_ms, ..
        } => format!("step {step} succeeded ({duration_ms} ms)"),
        Event::StepFailed { step, error, .. } => format!("step {step} FAILED: {error}"),
        Event::StepSkipped { step, skip } => format!("step {step} skipped: {}", skip_text(skip)),
        Event::WriteIntent { write, .. } => format!(
            "  WRITE intended: {} in {} {}",
            write.op().qualified(),
            write.region(),
            write.params()
        ),
        Event::WriteResult {
            intent_seq,
            outcome,
            error_code,
        } => format!(
            "  WRITE result (line {}): {}{}",
            intent_seq + 1,
            match outcome {
                WriteAnswer::Ok => "ok",
                WriteAnswer::Error => "refused",
                WriteAnswer::Unknown => "unknown (no answer)",
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
            "  WRITE settled from live state (line {}): {} {}",
            intent_seq + 1,
            if *applied { "applied" } else { "not applied" },
            s(live)
        ),
        Event::OperatorConfirmation(c) => match (&c.via, &c.refusal) {
            (Some(via), _) => format!("operator confirmed {} writes via {via:?}", c.writes.len()),
            (None, Some(refusal)) => format!("operator did not confirm: {refusal}"),
            (None, None) => "operator did not confirm".into(),
        },
        Event::Warning { message, .. } => format!("  warning: {message}"),
        Event::LogRepaired {
            dropped_torn_last_line_bytes,
        } => format!("cut a torn last line left by a crash ({dropped_torn_last_line_bytes} bytes)"),
        Event::RunFinished {
            writes_made,
            writes_planned,
            dry_run,
        } => format!(
            "run finished: {writes_made} of {writes_planned} planned writes made{}",
            if *dry_run { " (dry run)" } else { "" }
        ),
        Event::RunFailed { error, resumable } => format!(
            "run FAILED{}: {error}",
            if *resumable { "" } else { " (final)" }
        ),
        Event::RunInterrupted { reason, .. } => format!("run interrupted: {reason}"),
    }
}

/// Each write attempt of a journal: its intent, and what answered it.
fn write_rows(journal: &journal::Journal) -> Vec<WriteRow> {
    let mut rows: Vec<WriteRow> = Vec::new();
    for (record, event) in journal.records.iter().zip(&journal.events) {
        match event {
            Event::WriteIntent { write, .. } => {
                let (before, after) = render::before_after(write);
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
    let id = runs::resolve(state_dir, run_id)?;
    let journal = journal::load(&state_dir.join(&id))?;
    let final_hash = journal
        .records
        .last()
        .map(|r| r.hash.clone())
        .unwrap_or_default();
    if output == Output::Json {
        let (records, writes) = if writes_only {
            (None, Some(write_rows(&journal)))
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
    out::line(format!("run {id}"));
    if writes_only {
        let rows = write_rows(&journal);
        if rows.is_empty() {
            out::line(Msg::NoWrites.text(lang));
        }
        for w in rows {
            out::line(format!(
                "{:>4} {} {} {} ({})\n       {} -> {}\n       {}{}",
                w.line,
                clock::local(&w.ts),
                w.operation,
                w.target,
                w.region,
                w.before,
                w.after,
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
                describe(event)
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
    let id = runs::resolve(state_dir, run_id)?;
    let dir = state_dir.join(&id);
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
                open: v.open.clone(),
                expected_hash_matches: expect_hash.map(|_| true),
            }),
        );
        return Ok(());
    }
    out::line(format!(
        "run {id}: {} events, hash chain, sequence and transitions intact, last hash {}",
        v.events, v.last_hash
    ));
    if expect_hash.is_some() {
        out::line(Msg::ExpectedHashMatches.text(lang));
    }
    match &v.ended {
        Some(end) => out::line(format!("ended with {end}")),
        None => out::line("no final event"),
    }
    for open in &v.open {
        out::line(format!("open: {open}"));
    }
    incomplete()
}
