//! `audit list|show|verify`: review what runs did, from their audit logs.

use anyhow::Result;
use runbook::journal::{self, Event, Record, StepSkip, WriteAnswer};
use runbook::runs;
use serde_json::Value;

use crate::flags::{AuditCommand, AuditFlags, Output};
use crate::{out, paths};

pub fn run(flags: AuditFlags) -> Result<()> {
    let state_dir = paths::state_dir(flags.state_dir.as_deref());
    let output = flags.display.output;
    match flags.command {
        AuditCommand::List => list(&state_dir, output),
        AuditCommand::Show { run_id } => show(&state_dir, run_id.as_deref(), output),
        AuditCommand::Verify { run_id } => verify(&state_dir, run_id.as_deref(), output),
        AuditCommand::Report { run_id, out } => crate::evidence::run(
            &state_dir,
            run_id.as_deref(),
            crate::run::lang(&flags.display),
            out.as_deref(),
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
fn list(state_dir: &std::path::Path, output: Output) -> Result<()> {
    let mut rows = Vec::new();
    for id in runs::run_ids(state_dir)? {
        let row = match journal::load(&state_dir.join(&id)) {
            Ok(j) => {
                let f = &j.fold;
                let started = f
                    .started()
                    .expect("a loaded journal began with run_started");
                serde_json::json!({
                    "run_id": id,
                    "runbook": started.runbook.name(),
                    "account": started.account,
                    "status": f.status().map(|s| s.as_str()).unwrap_or("running"),
                    "resumable": f.resumable(),
                    "started": f.started_at(),
                    "duration_s": seconds_between(f.started_at(), f.updated_at()),
                    "attempts": f.attempts(),
                })
            }
            Err(e) => {
                serde_json::json!({ "run_id": id, "status": "unreadable", "error": e.to_string() })
            }
        };
        rows.push(row);
    }
    if output == Output::Json {
        out::line(&serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    if rows.is_empty() {
        out::line(format!("no runs in {}", state_dir.display()));
        return Ok(());
    }
    out::line(format!(
        "{:<24} {:<8} {:<14} {:<24} {:<27} {:>9}",
        "RUN", "RUNBOOK", "ACCOUNT", "STATUS", "STARTED", "DURATION"
    ));
    for r in rows {
        let s = |k: &str| r[k].as_str().unwrap_or("-").to_string();
        let duration = r["duration_s"]
            .as_f64()
            .map(|d| format!("{d:.1}s"))
            .unwrap_or_else(|| "-".into());
        let status = match (s("status").as_str(), r["resumable"].as_bool()) {
            ("finished", _) | (_, None) => s("status"),
            (status, Some(true)) => format!("{status} (resumable)"),
            (status, Some(false)) => format!("{status} (final)"),
        };
        out::line(format!(
            "{:<24} {:<8} {:<14} {:<24} {:<27} {:>9}",
            s("run_id"),
            s("runbook"),
            s("account"),
            status,
            s("started"),
            duration
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

fn show(state_dir: &std::path::Path, run_id: Option<&str>, output: Output) -> Result<()> {
    let id = runs::resolve(state_dir, run_id)?;
    let journal = journal::load(&state_dir.join(&id))?;
    if output == Output::Json {
        out::line(&serde_json::to_string_pretty(&journal.records)?);
        return Ok(());
    }
    out::line(format!("run {id}"));
    for (record, event) in journal.records.iter().zip(&journal.events) {
        let Record { seq, ts, .. } = record;
        out::line(format!("{:>4} {ts} {}", seq + 1, describe(event)));
    }
    Ok(())
}

fn verify(state_dir: &std::path::Path, run_id: Option<&str>, output: Output) -> Result<()> {
    let id = runs::resolve(state_dir, run_id)?;
    let dir = state_dir.join(&id);
    // The chain, every transition, and state.json against the log.
    let v = journal::verify(&dir)?;
    if output == Output::Json {
        out::line(&serde_json::to_string_pretty(
            &serde_json::json!({ "run_id": id, "verification": v }),
        )?);
    } else {
        out::line(format!(
            "run {id}: {} events, hash chain, sequence and transitions intact, last hash {}",
            v.events, v.last_hash
        ));
        match &v.ended {
            Some(end) => out::line(format!("ended with {end}")),
            None => out::line("no final event"),
        }
        for open in &v.open {
            out::line(format!("open: {open}"));
        }
    }
    if !v.incomplete.is_empty() {
        anyhow::bail!(
            "audit log {} is incomplete:\n  {}",
            dir.join(journal::AUDIT_FILE).display(),
            v.incomplete.join("\n  ")
        );
    }
    Ok(())
}
