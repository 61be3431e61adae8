//! A run: one execution of a runbook, with its folder under the state directory
//! (`<state-dir>/<run-id>/{audit.jsonl,state.json}`), its lock, and the saga bookkeeping that
//! makes it resumable: each step's outcome and each write's intent and result go to the audit
//! log first, and `state.json` is an atomically replaced summary of where the run stands.

use std::collections::HashMap;
use std::fs::{DirBuilder, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::audit::{self, kind, AuditWriter, Event};
use crate::aws::{CallRecord, CallSink};
use crate::error::{Error, Result};
use crate::lock::{Lock, LockHolder};
use crate::steps::{Cx, Step};

pub const STATE_FILE: &str = "state.json";
pub const AUDIT_FILE: &str = "audit.jsonl";
const STATE_FORMAT: u32 = 1;

/// Who is running: from STS GetCallerIdentity.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Identity {
    pub account: String,
    pub arn: String,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Running,
    Finished,
    Failed,
    Interrupted,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Finished => "finished",
            RunStatus::Failed => "failed",
            RunStatus::Interrupted => "interrupted",
        }
    }
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    Running,
    Succeeded,
    Failed,
    Skipped,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct StepRecord {
    pub name: String,
    pub status: StepStatus,
}

/// `state.json`: where a run stands. The audit log is the record; this is its summary, checked
/// against the log on resume (`last_seq` / `last_hash`).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RunState {
    pub format: u32,
    pub run_id: String,
    pub runbook: String,
    pub args: Value,
    pub tool_version: String,
    pub account: String,
    pub caller_arn: String,
    pub status: RunStatus,
    pub started: String,
    pub updated: String,
    pub attempts: u32,
    pub steps: Vec<StepRecord>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub last_seq: u64,
    pub last_hash: String,
}

/// A write that was intended (logged) but has no logged result: resume settles it by reading
/// the live state, never by repeating it blindly.
#[derive(Clone, Debug)]
pub struct PendingWrite {
    pub intent_seq: u64,
    pub intent: Value,
}

struct Inner {
    audit: AuditWriter,
    state: RunState,
    /// The first failure to write the audit log from a place that cannot return it (a call
    /// record); the run stops at the next step boundary.
    broken: Option<String>,
}

pub struct Run {
    dir: PathBuf,
    id: String,
    inner: Mutex<Inner>,
    outputs: HashMap<String, Value>,
    pending: Mutex<HashMap<String, Vec<PendingWrite>>>,
    _lock: Lock,
}

fn new_run_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    let now = time::OffsetDateTime::now_utc();
    let stamp = format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    );
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(now.unix_timestamp_nanos() as u128);
    h.write_u32(std::process::id());
    format!("{stamp}-{:04x}", h.finish() & 0xffff)
}

fn make_private_dir(path: &Path) -> Result<()> {
    DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(path)
        .map_err(Error::io(path))
}

/// Replaces `path` atomically: write a temporary file, fsync it, rename it over, fsync the folder.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("json.tmp");
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(Error::io(&tmp))?;
    file.write_all(bytes)
        .and_then(|_| file.sync_all())
        .map_err(Error::io(&tmp))?;
    std::fs::rename(&tmp, path).map_err(Error::io(path))?;
    if let Some(dir) = path.parent() {
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(Error::io(dir))?;
    }
    Ok(())
}

pub fn load_state(run_dir: &Path) -> Result<RunState> {
    let path = run_dir.join(STATE_FILE);
    let text = std::fs::read_to_string(&path).map_err(Error::io(&path))?;
    let state: RunState = serde_json::from_str(&text).map_err(|e| Error::StateCorrupt {
        path: path.clone(),
        problem: e.to_string(),
    })?;
    if state.format != STATE_FORMAT {
        return Err(Error::StateCorrupt {
            path,
            problem: format!(
                "format {} is not the {STATE_FORMAT} this tool writes",
                state.format
            ),
        });
    }
    Ok(state)
}

/// Run folders in the state directory, oldest first (run ids sort by time).
pub fn run_ids(state_dir: &Path) -> Result<Vec<String>> {
    let mut ids = Vec::new();
    let entries = match std::fs::read_dir(state_dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(ids),
        Err(e) => {
            return Err(Error::Io {
                path: state_dir.into(),
                source: e,
            })
        }
    };
    for entry in entries {
        let entry = entry.map_err(Error::io(state_dir))?;
        if entry.path().join(AUDIT_FILE).exists() {
            ids.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    ids.sort();
    Ok(ids)
}

/// Resolves `latest` (or nothing) and checks that the run exists.
pub fn resolve_run_id(state_dir: &Path, wanted: Option<&str>) -> Result<String> {
    let ids = run_ids(state_dir)?;
    match wanted {
        None | Some("latest") => ids.last().cloned().ok_or_else(|| Error::NoSuchRun {
            run_id: "latest".into(),
            dir: state_dir.into(),
        }),
        Some(id) if ids.iter().any(|i| i == id) => Ok(id.to_string()),
        Some(id) => Err(Error::NoSuchRun {
            run_id: id.into(),
            dir: state_dir.into(),
        }),
    }
}

impl Run {
    /// Starts a new run: takes the lock, makes the run folder, logs `run_started` and the calls
    /// made before the run existed (the identity check).
    pub fn start(
        state_dir: &Path,
        runbook: &str,
        args: Value,
        identity: &Identity,
        early_calls: Vec<CallRecord>,
        tool_version: &str,
    ) -> Result<Run> {
        make_private_dir(state_dir)?;
        let id = new_run_id();
        let lock = Lock::acquire(state_dir, &id)?;
        let dir = state_dir.join(&id);
        make_private_dir(&dir)?;
        let mut audit = AuditWriter::create(&dir.join(AUDIT_FILE), &id)?;
        let now = audit::now_rfc3339();
        audit.append(
            kind::RUN_STARTED,
            json!({
                "runbook": runbook,
                "args": args,
                "tool_version": tool_version,
                "account": identity.account,
                "caller_arn": identity.arn,
            }),
        )?;
        let (last_seq, last_hash) = audit.last_seq_and_hash();
        let state = RunState {
            format: STATE_FORMAT,
            run_id: id.clone(),
            runbook: runbook.into(),
            args,
            tool_version: tool_version.into(),
            account: identity.account.clone(),
            caller_arn: identity.arn.clone(),
            status: RunStatus::Running,
            started: now.clone(),
            updated: now,
            attempts: 1,
            steps: Vec::new(),
            error: None,
            last_seq,
            last_hash,
        };
        let run = Run {
            dir,
            id,
            inner: Mutex::new(Inner {
                audit,
                state,
                broken: None,
            }),
            outputs: HashMap::new(),
            pending: Mutex::new(HashMap::new()),
            _lock: lock,
        };
        run.after_open(None, early_calls)?;
        Ok(run)
    }

    /// Reopens an unfinished run: checks its state and log, the account, then logs `run_resumed`.
    pub fn resume(
        state_dir: &Path,
        run_id: Option<&str>,
        identity: &Identity,
        early_calls: Vec<CallRecord>,
    ) -> Result<Run> {
        let id = match run_id {
            Some(id) if id != "latest" => resolve_run_id(state_dir, Some(id))?,
            _ => latest_unfinished(state_dir)?,
        };
        let lock = Lock::acquire(state_dir, &id)?;
        let dir = state_dir.join(&id);
        let mut state = load_state(&dir)?;
        if state.status == RunStatus::Finished {
            return Err(Error::AlreadyFinished {
                run_id: id,
                status: state.status.as_str().into(),
            });
        }
        if state.account != identity.account {
            return Err(Error::AccountMismatch {
                run_id: id,
                recorded: state.account,
                current: identity.account.clone(),
            });
        }
        let audit_path = dir.join(AUDIT_FILE);
        let torn = audit::drop_torn_tail(&audit_path)?;
        let events = audit::read(&audit_path)?;
        match events.get(state.last_seq as usize) {
            Some(ev) if ev.hash == state.last_hash => {}
            Some(_) => {
                return Err(Error::StateCorrupt {
                    path: dir.join(STATE_FILE),
                    problem: format!(
                        "its last_hash does not match line {} of {}",
                        state.last_seq + 1,
                        audit_path.display()
                    ),
                })
            }
            None => {
                return Err(Error::AuditCorrupt {
                    path: audit_path,
                    line: events.len() + 1,
                    problem: format!(
                    "the log ends at line {} but state.json has seen line {}: lines were removed",
                    events.len(),
                    state.last_seq + 1
                ),
                })
            }
        }
        let (outputs, pending) = progress_of(&events);
        let audit = AuditWriter::reopen(&audit_path, &events)?;
        state.attempts += 1;
        state.status = RunStatus::Running;
        state.error = None;
        let run = Run {
            dir,
            id,
            inner: Mutex::new(Inner {
                audit,
                state,
                broken: None,
            }),
            outputs,
            pending: Mutex::new(pending),
            _lock: lock,
        };
        let attempt = run.inner.lock().unwrap().state.attempts;
        let done: Vec<&String> = run.outputs.keys().collect();
        run.log(
            kind::RUN_RESUMED,
            json!({ "attempt": attempt, "caller_arn": identity.arn, "steps_done": done }),
        )?;
        if let Some(bytes) = torn {
            run.log(
                kind::LOG_REPAIRED,
                json!({ "dropped_torn_last_line_bytes": bytes }),
            )?;
        }
        run.after_open(None, early_calls)?;
        Ok(run)
    }

    fn after_open(
        &self,
        taken_over: Option<LockHolder>,
        early_calls: Vec<CallRecord>,
    ) -> Result<()> {
        if let Some(holder) = taken_over {
            self.log(kind::LOCK_TAKEN_OVER, json!({ "stale_holder": holder }))?;
        }
        for call in early_calls {
            self.log(
                kind::AWS_CALL,
                serde_json::to_value(call).expect("calls serialize"),
            )?;
        }
        self.save_state()
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn state(&self) -> RunState {
        self.inner.lock().unwrap().state.clone()
    }

    /// Appends one event to the audit log.
    pub fn log(&self, event: &str, data: Value) -> Result<Event> {
        let mut inner = self.inner.lock().unwrap();
        let ev = inner.audit.append(event, data)?;
        Ok(ev)
    }

    fn save_state(&self) -> Result<()> {
        let mut inner = self.inner.lock().unwrap();
        let (last_seq, last_hash) = inner.audit.last_seq_and_hash();
        inner.state.last_seq = last_seq;
        inner.state.last_hash = last_hash;
        inner.state.updated = audit::now_rfc3339();
        let bytes = serde_json::to_vec_pretty(&inner.state).expect("state serializes");
        write_atomic(&self.dir.join(STATE_FILE), &bytes)
    }

    fn set_step(&self, name: &str, status: StepStatus) {
        let mut inner = self.inner.lock().unwrap();
        let steps = &mut inner.state.steps;
        match steps.iter_mut().find(|s| s.name == name) {
            Some(s) => s.status = status,
            None => steps.push(StepRecord {
                name: name.into(),
                status,
            }),
        }
    }

    fn check_healthy(&self) -> Result<()> {
        match &self.inner.lock().unwrap().broken {
            Some(problem) => Err(Error::Io {
                path: self.dir.join(AUDIT_FILE),
                source: std::io::Error::other(problem.clone()),
            }),
            None => Ok(()),
        }
    }

    /// Runs one step as a saga action: reuses its output if an earlier attempt finished it,
    /// else logs started → succeeded (with its typed output) or failed.
    pub async fn step<S: Step>(&self, cx: &Cx<'_>, step: &S) -> Result<S::Output> {
        self.check_healthy()?;
        if let Some(output) = self.outputs.get(S::NAME) {
            let output =
                serde_json::from_value(output.clone()).map_err(|e| Error::StateCorrupt {
                    path: self.dir.join(AUDIT_FILE),
                    problem: format!(
                        "the recorded output of step `{}` does not parse: {e}",
                        S::NAME
                    ),
                })?;
            self.log(
                kind::STEP_SKIPPED,
                json!({ "step": S::NAME, "reason": "succeeded in an earlier attempt" }),
            )?;
            self.set_step(S::NAME, StepStatus::Succeeded);
            cx.operator.step_reused(S::NAME);
            return Ok(output);
        }
        let input = serde_json::to_value(step).expect("steps serialize");
        self.log(
            kind::STEP_STARTED,
            json!({ "step": S::NAME, "input": input }),
        )?;
        self.set_step(S::NAME, StepStatus::Running);
        self.save_state()?;
        cx.operator.step_started(S::NAME);
        let started = Instant::now();
        let result = step.execute(cx).await;
        let duration_ms = started.elapsed().as_millis() as u64;
        self.check_healthy()?;
        match result {
            Ok(output) => {
                let value = serde_json::to_value(&output).expect("outputs serialize");
                self.log(
                    kind::STEP_SUCCEEDED,
                    json!({ "step": S::NAME, "output": value, "duration_ms": duration_ms }),
                )?;
                self.set_step(S::NAME, StepStatus::Succeeded);
                self.save_state()?;
                cx.operator.step_finished(S::NAME, &value);
                Ok(output)
            }
            Err(err) => {
                self.log(
                    kind::STEP_FAILED,
                    json!({ "step": S::NAME, "error": err.to_string(), "duration_ms": duration_ms }),
                )?;
                self.set_step(S::NAME, StepStatus::Failed);
                self.save_state()?;
                Err(err)
            }
        }
    }

    /// Records that a step was not needed, and why.
    pub fn skip_step(&self, name: &str, reason: &str) -> Result<()> {
        self.log(
            kind::STEP_SKIPPED,
            json!({ "step": name, "reason": reason }),
        )?;
        self.set_step(name, StepStatus::Skipped);
        self.save_state()
    }

    /// Logs a write before it is made; returns the intent's sequence number.
    pub fn write_intent(&self, step: &str, intent: Value) -> Result<u64> {
        let mut data = intent;
        data["step"] = json!(step);
        let ev = self.log(kind::WRITE_INTENT, data)?;
        self.save_state()?;
        Ok(ev.seq)
    }

    pub fn write_result(&self, intent_seq: u64, outcome: Value) -> Result<()> {
        let mut data = outcome;
        data["intent_seq"] = json!(intent_seq);
        self.log(kind::WRITE_RESULT, data)?;
        self.save_state()
    }

    /// The writes a step intended in an earlier attempt without a recorded result. Taking them
    /// marks them settled once the caller logs `write_settled`.
    pub fn take_pending_writes(&self, step: &str) -> Vec<PendingWrite> {
        self.pending
            .lock()
            .unwrap()
            .remove(step)
            .unwrap_or_default()
    }

    pub fn write_settled(&self, pending: &PendingWrite, live: Value) -> Result<()> {
        self.log(
            kind::WRITE_SETTLED,
            json!({ "intent_seq": pending.intent_seq, "live": live }),
        )?;
        self.save_state()
    }

    pub fn warn(&self, step: &str, message: &str) -> Result<()> {
        self.log(kind::WARNING, json!({ "step": step, "message": message }))?;
        Ok(())
    }

    fn end(
        &self,
        status: RunStatus,
        event: &str,
        data: Value,
        error: Option<String>,
    ) -> Result<()> {
        self.log(event, data)?;
        {
            let mut inner = self.inner.lock().unwrap();
            inner.state.status = status;
            inner.state.error = error;
        }
        self.save_state()
    }

    pub fn finish(&self, summary: Value) -> Result<()> {
        self.end(
            RunStatus::Finished,
            kind::RUN_FINISHED,
            json!({ "summary": summary }),
            None,
        )
    }

    pub fn fail(&self, err: &Error) -> Result<()> {
        let message = err.to_string();
        self.end(
            RunStatus::Failed,
            kind::RUN_FAILED,
            json!({ "error": message }),
            Some(message),
        )
    }

    pub fn interrupt(&self, reason: &str) -> Result<()> {
        let running: Vec<String> = {
            let inner = self.inner.lock().unwrap();
            inner
                .state
                .steps
                .iter()
                .filter(|s| s.status == StepStatus::Running)
                .map(|s| s.name.clone())
                .collect()
        };
        for step in &running {
            self.set_step(step, StepStatus::Failed);
        }
        self.end(
            RunStatus::Interrupted,
            kind::RUN_INTERRUPTED,
            json!({ "reason": reason, "during_steps": running }),
            Some(format!("interrupted: {reason}")),
        )
    }
}

impl CallSink for Run {
    fn record_call(&self, call: CallRecord) {
        let data = serde_json::to_value(call).expect("calls serialize");
        let mut inner = self.inner.lock().unwrap();
        if let Err(e) = inner.audit.append(kind::AWS_CALL, data) {
            inner.broken.get_or_insert_with(|| e.to_string());
        }
    }
}

fn latest_unfinished(state_dir: &Path) -> Result<String> {
    for id in run_ids(state_dir)?.iter().rev() {
        // A run whose state cannot be read is not silently passed over: say so.
        let state = load_state(&state_dir.join(id))?;
        if state.status != RunStatus::Finished {
            return Ok(id.clone());
        }
    }
    Err(Error::NothingToResume {
        dir: state_dir.into(),
    })
}

/// What earlier attempts achieved, from the log: outputs of succeeded steps, and writes whose
/// intent has no result.
fn progress_of(events: &[Event]) -> (HashMap<String, Value>, HashMap<String, Vec<PendingWrite>>) {
    let mut outputs = HashMap::new();
    let mut pending: Vec<PendingWrite> = Vec::new();
    for ev in events {
        match ev.event.as_str() {
            kind::STEP_SUCCEEDED => {
                if let (Some(step), Some(output)) =
                    (ev.data["step"].as_str(), ev.data.get("output"))
                {
                    outputs.insert(step.to_string(), output.clone());
                }
            }
            kind::WRITE_INTENT => pending.push(PendingWrite {
                intent_seq: ev.seq,
                intent: ev.data.clone(),
            }),
            kind::WRITE_RESULT | kind::WRITE_SETTLED if !audit::outcome_unknown(ev) => {
                let seq = ev.data["intent_seq"].as_u64();
                pending.retain(|p| Some(p.intent_seq) != seq);
            }
            _ => {}
        }
    }
    let mut by_step: HashMap<String, Vec<PendingWrite>> = HashMap::new();
    for p in pending {
        let step = p.intent["step"].as_str().unwrap_or_default().to_string();
        by_step.entry(step).or_default().push(p);
    }
    (outputs, by_step)
}
