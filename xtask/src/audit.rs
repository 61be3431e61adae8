//! `audit list|show|verify`: review what runs did, from their audit logs.

use anyhow::Result;
use runbook::audit::{self, kind, Event};
use runbook::run::{self, AUDIT_FILE};
use runbook::Error;
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
    }
}

fn seconds_between(a: &str, b: &str) -> Option<f64> {
    use time::format_description::well_known::Rfc3339;
    let a = time::OffsetDateTime::parse(a, &Rfc3339).ok()?;
    let b = time::OffsetDateTime::parse(b, &Rfc3339).ok()?;
    Some((b - a).as_seconds_f64())
}

fn list(state_dir: &std::path::Path, output: Output) -> Result<()> {
    let mut rows = Vec::new();
    for id in run::run_ids(state_dir)? {
        let row = match run::load_state(&state_dir.join(&id)) {
            Ok(s) => serde_json::json!({
                "run_id": id,
                "runbook": s.runbook,
                "account": s.account,
                "status": s.status.as_str(),
                "started": s.started,
                "duration_s": seconds_between(&s.started, &s.updated),
                "attempts": s.attempts,
            }),
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
        "{:<24} {:<8} {:<14} {:<12} {:<27} {:>9}",
        "RUN", "RUNBOOK", "ACCOUNT", "STATUS", "STARTED", "DURATION"
    ));
    for r in rows {
        let s = |k: &str| r[k].as_str().unwrap_or("-").to_string();
        let duration = r["duration_s"]
            .as_f64()
            .map(|d| format!("{d:.1}s"))
            .unwrap_or_else(|| "-".into());
        out::line(format!(
            "{:<24} {:<8} {:<14} {:<12} {:<27} {:>9}",
            s("run_id"),
            s("runbook"),
            s("account"),
            s("status"),
            s("started"),
            duration
        ));
    }
    Ok(())
}

fn describe(ev: &Event) -> String {
    let d = &ev.data;
    let s = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Null => "none".into(),
        other => other.to_string(),
    };
    match ev.event.as_str() {
        kind::RUN_STARTED => format!(
            "run started: {} {} by {} (account {}), tool {}",
            s(&d["runbook"]),
            d["args"],
            s(&d["caller_arn"]),
            s(&d["account"]),
            s(&d["tool_version"])
        ),
        kind::RUN_RESUMED => format!(
            "resumed (attempt {}) by {}",
            d["attempt"],
            s(&d["caller_arn"])
        ),
        kind::AWS_CALL => {
            let outcome = match d["error_code"].as_str() {
                Some(code) => format!("error {code}"),
                None => "ok".into(),
            };
            format!(
                "  call {} {} in {} {} -> {outcome} ({} ms, request {})",
                s(&d["service"]),
                s(&d["operation"]),
                s(&d["region"]),
                d["params"],
                d["duration_ms"],
                s(&d["request_id"])
            )
        }
        kind::STEP_STARTED => format!("step {} started", s(&d["step"])),
        kind::STEP_SUCCEEDED => {
            format!("step {} succeeded ({} ms)", s(&d["step"]), d["duration_ms"])
        }
        kind::STEP_FAILED => format!("step {} FAILED: {}", s(&d["step"]), s(&d["error"])),
        kind::STEP_SKIPPED => format!("step {} skipped: {}", s(&d["step"]), s(&d["reason"])),
        kind::WRITE_INTENT => format!(
            "  WRITE intended: {} in {} {}: {} -> {}",
            s(&d["operation"]),
            s(&d["region"]),
            d["params"],
            d["before"],
            d["after"]
        ),
        kind::WRITE_RESULT => format!(
            "  WRITE result (line {}): {}",
            d["intent_seq"].as_u64().map_or(0, |n| n + 1),
            s(&d["outcome"])
        ),
        kind::WRITE_SETTLED => format!(
            "  WRITE settled from live state (line {}): {}",
            d["intent_seq"].as_u64().map_or(0, |n| n + 1),
            d["live"]
        ),
        kind::OPERATOR_CONFIRMATION => format!(
            "operator confirmation: {} via {}",
            d["confirmed"],
            s(&d["via"])
        ),
        kind::WARNING => format!("  warning: {}", s(&d["message"])),
        kind::LOCK_TAKEN_OVER => format!("took over a stale lock: {}", d["stale_holder"]),
        kind::LOG_REPAIRED => format!(
            "cut a torn last line left by a crash ({} bytes)",
            d["dropped_torn_last_line_bytes"]
        ),
        kind::RUN_FINISHED => format!("run finished: {}", d["summary"]),
        kind::RUN_FAILED => format!("run FAILED: {}", s(&d["error"])),
        kind::RUN_INTERRUPTED => format!("run interrupted: {}", s(&d["reason"])),
        other => format!("{other} {d}"),
    }
}

fn show(state_dir: &std::path::Path, run_id: Option<&str>, output: Output) -> Result<()> {
    let id = run::resolve_run_id(state_dir, run_id)?;
    let events = audit::read(&state_dir.join(&id).join(AUDIT_FILE))?;
    if output == Output::Json {
        out::line(&serde_json::to_string_pretty(&events)?);
        return Ok(());
    }
    out::line(format!("run {id}"));
    for ev in &events {
        out::line(format!("{:>4} {} {}", ev.seq + 1, ev.ts, describe(ev)));
    }
    Ok(())
}

fn verify(state_dir: &std::path::Path, run_id: Option<&str>, output: Output) -> Result<()> {
    let id = run::resolve_run_id(state_dir, run_id)?;
    let path = state_dir.join(&id).join(AUDIT_FILE);
    let events = audit::read(&path)?;
    let v = audit::completeness(&events);
    // The summary beside the log must point at a line of it with the same hash: a log cut short
    // after the summary was written shows here.
    let state = run::load_state(&state_dir.join(&id))?;
    match events.get(state.last_seq as usize) {
        Some(ev) if ev.hash == state.last_hash => {}
        _ => {
            return Err(Error::AuditCorrupt {
                path,
                line: events.len().min(state.last_seq as usize) + 1,
                problem: format!(
                    "state.json records line {} with hash {}, which the log does not have",
                    state.last_seq + 1,
                    state.last_hash
                ),
            }
            .into())
        }
    }
    if output == Output::Json {
        out::line(&serde_json::to_string_pretty(
            &serde_json::json!({ "run_id": id, "verification": v }),
        )?);
    } else {
        out::line(format!(
            "run {id}: {} events, hash chain and sequence intact, last hash {}",
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
            path.display(),
            v.incomplete.join("\n  ")
        );
    }
    Ok(())
}
