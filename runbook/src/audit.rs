//! The audit trail: `audit.jsonl`, one JSON event per line, append-only, fsynced per event, each
//! line's SHA-256 chained to the line before so that an edit, a deletion or a reordering shows.
//!
//! A line is the canonical serialization of [`Event`] (fields in declaration order, object keys of
//! `data` sorted). `hash` is SHA-256 over the same line without the `hash` field, with `prev_hash`
//! being the previous line's `hash` (64 zeros for the first line).

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Event names. The saga shape: run → steps → calls and writes inside steps.
pub mod kind {
    pub const RUN_STARTED: &str = "run_started";
    pub const RUN_RESUMED: &str = "run_resumed";
    pub const LOCK_TAKEN_OVER: &str = "lock_taken_over";
    pub const LOG_REPAIRED: &str = "log_repaired";
    pub const OPERATOR_CONFIRMATION: &str = "operator_confirmation";
    pub const STEP_STARTED: &str = "step_started";
    pub const STEP_SUCCEEDED: &str = "step_succeeded";
    pub const STEP_FAILED: &str = "step_failed";
    pub const STEP_SKIPPED: &str = "step_skipped";
    pub const AWS_CALL: &str = "aws_call";
    pub const WARNING: &str = "warning";
    pub const WRITE_INTENT: &str = "write_intent";
    pub const WRITE_RESULT: &str = "write_result";
    pub const WRITE_SETTLED: &str = "write_settled";
    pub const RUN_FINISHED: &str = "run_finished";
    pub const RUN_FAILED: &str = "run_failed";
    pub const RUN_INTERRUPTED: &str = "run_interrupted";
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Event {
    pub seq: u64,
    pub ts: String,
    pub run_id: String,
    pub event: String,
    pub data: Value,
    pub prev_hash: String,
    pub hash: String,
}

/// The hashed part of an event: everything but `hash`, in the same order.
#[derive(Serialize)]
struct Body<'a> {
    seq: u64,
    ts: &'a str,
    run_id: &'a str,
    event: &'a str,
    data: &'a Value,
    prev_hash: &'a str,
}

impl Event {
    fn body(&self) -> Body<'_> {
        Body {
            seq: self.seq,
            ts: &self.ts,
            run_id: &self.run_id,
            event: &self.event,
            data: &self.data,
            prev_hash: &self.prev_hash,
        }
    }

    fn computed_hash(&self) -> String {
        let bytes = serde_json::to_vec(&self.body()).expect("events always serialize");
        hex::encode(Sha256::digest(bytes))
    }

    fn line(&self) -> String {
        serde_json::to_string(self).expect("events always serialize")
    }
}

pub fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .expect("UTC time always formats")
}

/// Appends events to one run's log.
pub struct AuditWriter {
    path: PathBuf,
    file: File,
    run_id: String,
    next_seq: u64,
    last_hash: String,
}

impl AuditWriter {
    /// A new, empty log (refuses to overwrite one).
    pub fn create(path: &Path, run_id: &str) -> Result<AuditWriter> {
        let file = OpenOptions::new()
            .append(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
            .map_err(Error::io(path))?;
        Ok(AuditWriter {
            path: path.to_path_buf(),
            file,
            run_id: run_id.to_string(),
            next_seq: 0,
            last_hash: GENESIS_HASH.to_string(),
        })
    }

    /// Continues a log whose events were read (and verified) already.
    pub fn reopen(path: &Path, events: &[Event]) -> Result<AuditWriter> {
        let last = events.last().ok_or_else(|| Error::AuditCorrupt {
            path: path.to_path_buf(),
            line: 1,
            problem: "the log is empty".into(),
        })?;
        let file = OpenOptions::new()
            .append(true)
            .open(path)
            .map_err(Error::io(path))?;
        Ok(AuditWriter {
            path: path.to_path_buf(),
            file,
            run_id: last.run_id.clone(),
            next_seq: last.seq + 1,
            last_hash: last.hash.clone(),
        })
    }

    pub fn append(&mut self, event: &str, data: Value) -> Result<Event> {
        let mut ev = Event {
            seq: self.next_seq,
            ts: now_rfc3339(),
            run_id: self.run_id.clone(),
            event: event.to_string(),
            data,
            prev_hash: self.last_hash.clone(),
            hash: String::new(),
        };
        ev.hash = ev.computed_hash();
        let mut line = ev.line();
        line.push('\n');
        // One write of the whole line, then fsync: an event is either durable or absent (a crash
        // can at worst leave a torn last line, which `read` reports).
        self.file
            .write_all(line.as_bytes())
            .and_then(|_| self.file.sync_data())
            .map_err(Error::io(&self.path))?;
        self.next_seq += 1;
        self.last_hash = ev.hash.clone();
        Ok(ev)
    }

    pub fn last_seq_and_hash(&self) -> (u64, String) {
        (self.next_seq.saturating_sub(1), self.last_hash.clone())
    }
}

/// A process killed in the middle of an append leaves a last line without its newline (every
/// event is written as one `line + "\n"`). That line was never acknowledged, so resume cuts it
/// off; returns how many bytes were dropped. Anything else that is wrong stays for `read` to report.
pub fn drop_torn_tail(path: &Path) -> Result<Option<u64>> {
    let bytes = std::fs::read(path).map_err(Error::io(path))?;
    if bytes.is_empty() || bytes.ends_with(b"\n") {
        return Ok(None);
    }
    let keep = bytes.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    let file = OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(Error::io(path))?;
    file.set_len(keep as u64)
        .and_then(|_| file.sync_all())
        .map_err(Error::io(path))?;
    Ok(Some((bytes.len() - keep) as u64))
}

/// Reads a log and checks every line: well-formed, canonical, in sequence, chained, one run.
pub fn read(path: &Path) -> Result<Vec<Event>> {
    let file = File::open(path).map_err(Error::io(path))?;
    let mut events: Vec<Event> = Vec::new();
    for (index, line) in BufReader::new(file).lines().enumerate() {
        let lineno = index + 1;
        let corrupt = |problem: String| Error::AuditCorrupt {
            path: path.to_path_buf(),
            line: lineno,
            problem,
        };
        let line = line.map_err(|e| corrupt(format!("unreadable: {e}")))?;
        let ev: Event =
            serde_json::from_str(&line).map_err(|e| corrupt(format!("not a valid event: {e}")))?;
        let expected_seq = index as u64;
        if ev.seq != expected_seq {
            return Err(corrupt(format!(
                "sequence number {} where {expected_seq} was expected (a line was deleted, added or moved)",
                ev.seq
            )));
        }
        let expected_prev = events.last().map_or(GENESIS_HASH, |p| p.hash.as_str());
        if ev.prev_hash != expected_prev {
            return Err(corrupt(
                "prev_hash does not match the previous line's hash (the chain is broken)".into(),
            ));
        }
        if let Some(first) = events.first() {
            if ev.run_id != first.run_id {
                return Err(corrupt(format!(
                    "run id {} differs from the log's {}",
                    ev.run_id, first.run_id
                )));
            }
        }
        if ev.computed_hash() != ev.hash {
            return Err(corrupt(
                "hash does not match the event's content (the line was changed)".into(),
            ));
        }
        if ev.line() != line {
            return Err(corrupt(
                "the line is not in canonical form (the line was changed)".into(),
            ));
        }
        events.push(ev);
    }
    Ok(events)
}

/// A write result that does not say whether the write happened (no answer came back).
pub fn outcome_unknown(ev: &Event) -> bool {
    ev.event == kind::WRITE_RESULT && ev.data["outcome"] == "unknown"
}

/// What `verify` found beyond the chain itself.
#[derive(Debug, Clone, Serialize)]
pub struct Verification {
    pub events: usize,
    pub last_hash: String,
    /// How the run ended (`run_finished`, `run_failed`, `run_interrupted`), if it did.
    pub ended: Option<String>,
    /// Problems that make the log incomplete; empty when it is complete.
    pub incomplete: Vec<String>,
    /// Things left open by a failed or interrupted run, which `resume` settles.
    pub open: Vec<String>,
}

/// Checks the chain and sequence (`read`), then completeness: the log begins with `run_started`,
/// ends with a final event, and a finished run left no step or write without an outcome.
pub fn verify(path: &Path) -> Result<Verification> {
    Ok(completeness(&read(path)?))
}

/// The completeness part of `verify`, for events already read (and so already chain-checked).
pub fn completeness(events: &[Event]) -> Verification {
    let mut incomplete = Vec::new();
    if let Some(first) = events.first() {
        if first.event != kind::RUN_STARTED {
            incomplete.push(format!("line 1 is `{}`, not `run_started`", first.event));
        }
    } else {
        incomplete.push("the log is empty".to_string());
    }
    let mut open_step: Option<(u64, String)> = None;
    let mut open_writes: Vec<u64> = Vec::new();
    let mut ended: Option<String> = None;
    for ev in events {
        match ev.event.as_str() {
            kind::RUN_RESUMED => ended = None,
            kind::STEP_STARTED => {
                let step = ev
                    .data
                    .get("step")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                open_step = Some((ev.seq, step.to_string()));
            }
            kind::STEP_SUCCEEDED | kind::STEP_FAILED | kind::STEP_SKIPPED => open_step = None,
            kind::WRITE_INTENT => open_writes.push(ev.seq),
            kind::WRITE_RESULT | kind::WRITE_SETTLED if !outcome_unknown(ev) => {
                let intent = ev.data.get("intent_seq").and_then(Value::as_u64);
                open_writes.retain(|seq| Some(*seq) != intent);
            }
            kind::RUN_FINISHED | kind::RUN_FAILED | kind::RUN_INTERRUPTED => {
                ended = Some(ev.event.clone())
            }
            _ => {}
        }
    }
    let mut open = Vec::new();
    if let Some((seq, step)) = &open_step {
        open.push(format!(
            "step `{step}` started at line {} has no outcome",
            seq + 1
        ));
    }
    for seq in &open_writes {
        open.push(format!(
            "the write intended at line {} has no recorded result",
            seq + 1
        ));
    }
    match ended.as_deref() {
        None if !events.is_empty() => incomplete.push(
            "the run has no final event: it is still running, or it was killed (resume it to settle it)".into(),
        ),
        Some(kind::RUN_FINISHED) => incomplete.append(&mut open),
        _ => {}
    }
    Verification {
        events: events.len(),
        last_hash: events.last().map(|e| e.hash.clone()).unwrap_or_default(),
        ended,
        incomplete,
        open,
    }
}
