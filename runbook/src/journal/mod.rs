//! The journal: a run's `audit.jsonl`, the only record of what the run did and the only source
//! resume, `audit verify|show|list` and the evidence read. Three layers:
//! - [`log`]: lines, the hash chain and canonical form (knows nothing of meaning);
//! - [`event`]: the typed events a line carries;
//! - [`fold`]: the run's state machine, which checks every event against the state it arrives in.
//!
//! [`cache`] is `state.json`, a cache of the fold that is never believed over the log.

pub mod cache;
pub mod event;
pub mod fold;
pub mod log;
pub mod step_name;

use crate::problem::Problem;
use std::path::{Path, PathBuf};

use serde::Serialize;

pub use cache::{RunState, STATE_FILE};
pub use event::*;
pub use fold::{Fold, RunStatus, StepRecord, StepStatus, WriteRecord, WriteState};
pub use log::{now_rfc3339, Record};
pub use step_name::StepName;

use crate::error::{Error, Result};

pub const AUDIT_FILE: &str = "audit.jsonl";

/// A run's log, read, chain-checked, typed and folded.
pub struct Journal {
    pub path: PathBuf,
    /// Its first event (a log that does not begin with one does not load).
    pub started: RunStarted,
    pub records: Vec<Record>,
    pub events: Vec<Event>,
    pub fold: Fold,
}

/// The typed event of one line. A `run_started` of another journal format is named as such
/// (with the tool version that wrote it) rather than failing as a parse error.
fn parse(path: &Path, record: &Record) -> Result<Event> {
    let line = record.seq as usize + 1;
    if record.event == "run_started" {
        let format = record
            .data
            .get("format")
            .and_then(|f| f.as_u64())
            .unwrap_or(1);
        if format != u64::from(FORMAT) {
            let tool_version = record.data["tool_version"]
                .as_str()
                .unwrap_or("unknown")
                .to_string();
            return Err(Error::JournalFormat {
                path: path.to_path_buf(),
                format,
                tool_version,
                reads: FORMAT,
            });
        }
    }
    Event::from_parts(&record.event, &record.data).map_err(|e| Error::AuditCorrupt {
        path: path.to_path_buf(),
        line,
        problem: Problem::EventUnparsable {
            event: record.event.clone(),
            detail: e.to_string(),
        },
    })
}

/// Folds `records` (already chain-checked) into a [`Fold`], checking every transition.
fn fold_records(path: &Path, records: &[Record]) -> Result<(Vec<Event>, Fold)> {
    let mut fold = Fold::default();
    let mut events = Vec::with_capacity(records.len());
    if let Some(first) = records.first() {
        fold.set_run_id(&first.run_id);
    }
    for record in records {
        let event = parse(path, record)?;
        fold.check(&event).map_err(|problem| Error::AuditCorrupt {
            path: path.to_path_buf(),
            line: record.seq as usize + 1,
            problem: Problem::IllegalTransition(problem),
        })?;
        fold.apply(record.seq, &record.ts, &record.hash, &event);
        events.push(event);
    }
    if records.is_empty() {
        return Err(Error::AuditCorrupt {
            path: path.to_path_buf(),
            line: 1,
            problem: Problem::Empty,
        });
    }
    Ok((events, fold))
}

/// Reads and folds the log of the run in `run_dir`. The folder must be a real folder of this
/// user (not a link), and the journal must be the run the folder is named after: a run folder
/// renamed or copied to another id is refused, naming both.
pub fn load(run_dir: &Path) -> Result<Journal> {
    crate::files::check_inner_dir(run_dir)?;
    let path = run_dir.join(AUDIT_FILE);
    let records = log::read(&path)?;
    of_records(run_dir, path, records)
}

/// [`load`] for resume: a torn last line ([`log::Tail::Torn`]) is left out of the journal and
/// said, for resume to cut once it has decided that the run may be resumed.
pub fn load_complete(run_dir: &Path) -> Result<(Journal, log::Tail)> {
    crate::files::check_inner_dir(run_dir)?;
    let path = run_dir.join(AUDIT_FILE);
    let (records, tail) = log::read_complete(&path)?;
    Ok((of_records(run_dir, path, records)?, tail))
}

fn of_records(run_dir: &Path, path: PathBuf, records: Vec<Record>) -> Result<Journal> {
    check_folder_name(run_dir, &path, &records)?;
    let (events, fold) = fold_records(&path, &records)?;
    let Some(Event::RunStarted(started)) = events.first().cloned() else {
        // `fold_records` refuses an empty log and a first event other than `run_started`.
        return Err(Error::AuditCorrupt {
            path,
            line: 1,
            problem: Problem::Empty,
        });
    };
    Ok(Journal {
        path,
        started,
        records,
        events,
        fold,
    })
}

/// The journal's own run id must be its folder's name.
fn check_folder_name(run_dir: &Path, path: &Path, records: &[Record]) -> Result<()> {
    let Some(first) = records.first() else {
        return Ok(());
    };
    let folder = run_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if first.run_id != folder {
        return Err(Error::AuditCorrupt {
            path: path.to_path_buf(),
            line: 1,
            problem: Problem::FolderRenamed {
                run_id: first.run_id.clone(),
                folder,
            },
        });
    }
    Ok(())
}

impl Journal {
    /// Checks `state.json` against the log: it must be exactly what the log's first
    /// `last_seq + 1` lines make of it. Names the first field that differs.
    pub fn check_cache(&self, run_dir: &Path) -> Result<()> {
        let state_path = run_dir.join(STATE_FILE);
        let cached = match cache::load_raw(run_dir) {
            Ok(cached) => cached,
            // A cache that was never written (a crash before the first save) or was removed
            // is no disagreement: the log is whole, and the next event writes the cache anew.
            Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
                return Ok(())
            }
            Err(e) => return Err(e),
        };
        let mismatch = |field: String| Error::StateMismatch {
            path: state_path.clone(),
            field,
        };
        let last_seq = cached["last_seq"]
            .as_u64()
            .ok_or_else(|| mismatch("last_seq".into()))?;
        let Some(prefix) = self.records.get(..=last_seq as usize) else {
            return Err(Error::AuditCorrupt {
                path: self.path.clone(),
                line: self.records.len() + 1,
                problem: Problem::LinesRemoved {
                    log_lines: self.records.len(),
                    seen: last_seq + 1,
                },
            });
        };
        let (_, fold) = fold_records(&self.path, prefix)?;
        let truth =
            serde_json::to_value(RunState::of(&self.started, &fold)).expect("state serializes");
        match cache::first_difference(&cached, &truth, "") {
            Some(field) => Err(mismatch(field)),
            None => Ok(()),
        }
    }

    /// What `audit verify` reports beyond the chain and the transitions.
    pub fn verification(&self) -> Verification {
        let fold = &self.fold;
        let ended = match fold.status() {
            Some(RunStatus::Finished) => Some("run_finished"),
            Some(RunStatus::Failed) => Some("run_failed"),
            Some(RunStatus::Interrupted) => Some("run_interrupted"),
            _ => None,
        };
        let mut open = Vec::new();
        // Two, when a kill left a pair of steps that ran side by side.
        open.extend(fold.open_steps().into_iter().map(Open::Step));
        for w in fold.writes().iter().filter(|w| w.unsettled()) {
            open.push(Open::Write {
                line: w.intent_seq + 1,
            });
        }
        let mut incomplete = Vec::new();
        if ended.is_none() {
            incomplete.push(Incomplete::NoFinalEvent);
        }
        Verification {
            events: self.records.len(),
            last_hash: fold.last_hash().to_string(),
            ended: ended.map(str::to_string),
            resumable: fold.resumable(),
            incomplete,
            open,
        }
    }
}

/// What `verify` found beyond the chain itself.
#[derive(Debug, Clone, Serialize)]
pub struct Verification {
    pub events: usize,
    pub last_hash: String,
    /// How the run ended (`run_finished`, `run_failed`, `run_interrupted`), if it did.
    pub ended: Option<String>,
    pub resumable: bool,
    /// Problems that make the log incomplete; empty when it is complete.
    pub incomplete: Vec<Incomplete>,
    /// Things left open by a failed or interrupted run, which `resume` settles.
    pub open: Vec<Open>,
}

/// What makes a log incomplete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Incomplete {
    /// No `run_finished|failed|interrupted`: still running, or killed.
    NoFinalEvent,
}

impl std::fmt::Display for Incomplete {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Incomplete::NoFinalEvent => write!(
                f,
                "the run has no final event: it is still running, or it was killed (resume it \
                 to settle it)"
            ),
        }
    }
}

impl Serialize for Incomplete {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// What a failed or interrupted run left open, which `resume` settles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Open {
    /// A step that started and has no outcome.
    Step(StepName),
    /// A write intended at this line (1-based) without a conclusive result.
    Write { line: u64 },
}

impl std::fmt::Display for Open {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Open::Step(step) => write!(f, "step `{step}` has no outcome"),
            Open::Write { line } => write!(
                f,
                "the write intended at line {line} has no conclusive result"
            ),
        }
    }
}

impl Serialize for Open {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Reads, folds and checks a run completely: chain, transitions, and `state.json`.
pub fn verify(run_dir: &Path) -> Result<Verification> {
    let journal = load(run_dir)?;
    journal.check_cache(run_dir)?;
    Ok(journal.verification())
}
