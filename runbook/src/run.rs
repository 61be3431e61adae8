//! A run that is open for writing: its lock, its folder, its journal writer and the fold of
//! everything recorded so far. Every event goes through [`Run::record`], which checks it
//! against the fold before appending it, so the journal this tool writes is always one its
//! own reader accepts; `state.json` (the fold's cache) is replaced after each event that
//! changes where the run stands.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::aws::{CallRecord, CallSink};
use crate::error::{Error, Result};
use crate::files;
use crate::journal::log::{self, LogWriter};
use crate::journal::{self, Event, Fold, RunResumed, RunStarted, RunState, AUDIT_FILE};
use crate::lock::Lock;
use crate::model::Identity;
use crate::runs;

struct Inner {
    log: LogWriter,
    fold: Fold,
    /// The first failure to record an event from a place that cannot return it (a call
    /// record); the run stops at the next step boundary.
    broken: Option<String>,
}

pub struct Run {
    dir: PathBuf,
    id: String,
    /// Its `run_started`, recorded first.
    started: RunStarted,
    inner: Mutex<Inner>,
    _lock: Lock,
}

/// A run put aside while it waits (a batch's account waiting for the batch's one question):
/// its lock and its journal writer, without the fold of what it recorded, which is most of an
/// open run's memory. [`Run::unpark`] reads the fold back from the journal.
pub struct ParkedRun {
    dir: PathBuf,
    id: String,
    started: RunStarted,
    log: LogWriter,
    lock: Lock,
}

impl ParkedRun {
    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn started(&self) -> &RunStarted {
        &self.started
    }
}

impl Run {
    /// Puts the run aside: nothing is recorded (the process goes on; this is not an
    /// interruption), the lock stays held and the fold is dropped.
    pub fn park(self) -> Result<ParkedRun> {
        self.check_healthy()?;
        let inner = self.inner.into_inner().unwrap();
        Ok(ParkedRun {
            dir: self.dir,
            id: self.id,
            started: self.started,
            log: inner.log,
            lock: self._lock,
        })
    }

    /// Takes a parked run up again, in the same attempt: its journal is read back and must
    /// verify and end with the last line this run wrote (nobody wrote to it meanwhile).
    /// `read` takes what the caller needs from that journal (the parked run kept nothing of
    /// what it found: it is read back, as recorded, rather than held while the run waited).
    pub fn unpark<T>(
        parked: ParkedRun,
        read: impl FnOnce(&journal::Journal) -> Result<T>,
    ) -> Result<(Run, T)> {
        if let Err(problem) = parked.log.still_its_file() {
            return Err(Error::AuditCorrupt {
                path: parked.dir.join(journal::AUDIT_FILE),
                line: parked.log.next_seq() as usize,
                problem: format!(
                    "the journal changed while the run waited for the batch's question: {problem}"
                )
                .into(),
            });
        }
        let journal = journal::load(&parked.dir)?;
        let last = journal
            .records
            .last()
            .expect("a loaded journal is not empty");
        if !parked.log.follows(last) {
            return Err(Error::AuditCorrupt {
                path: journal.path.clone(),
                line: journal.records.len(),
                problem: format!(
                    "the journal changed while the run waited for the batch's question (its \
                     last line is {}, this run last wrote line {})",
                    last.seq + 1,
                    parked.log.next_seq()
                )
                .into(),
            });
        }
        let read = read(&journal)?;
        let run = Run {
            dir: parked.dir,
            id: parked.id,
            started: parked.started,
            inner: Mutex::new(Inner {
                log: parked.log,
                fold: journal.fold,
                broken: None,
            }),
            _lock: parked.lock,
        };
        Ok((run, read))
    }

    /// Starts a new run: takes the lock, makes the run folder, records `run_started` and the
    /// calls made before the run existed (the identity check).
    pub fn start(
        state_dir: &Path,
        started: RunStarted,
        early_calls: Vec<CallRecord>,
    ) -> Result<Run> {
        files::private_dir(state_dir)?;
        let id = runs::new_run_id();
        let lock = Lock::acquire(state_dir, &id)?;
        let dir = state_dir.join(&id);
        files::private_dir(&dir)?;
        files::check_own(&dir)?;
        let log = LogWriter::create(&dir.join(AUDIT_FILE), &id)?;
        let mut fold = Fold::default();
        fold.set_run_id(&id);
        let run = Run {
            dir,
            id,
            started: started.clone(),
            inner: Mutex::new(Inner {
                log,
                fold,
                broken: None,
            }),
            _lock: lock,
        };
        run.record(Event::RunStarted(started))?;
        run.record_early(early_calls)?;
        Ok(run)
    }

    /// Reopens a run that can be resumed: its journal must verify, `state.json` must be what
    /// the journal makes of it, and the account must be the run's. Records `run_resumed`.
    pub fn resume(
        state_dir: &Path,
        run_id: Option<&str>,
        identity: &Identity,
        credentials: &str,
        early_calls: Vec<CallRecord>,
    ) -> Result<Run> {
        let id = match run_id {
            Some(id) if id != "latest" => runs::resolve(state_dir, Some(id))?,
            _ => runs::latest_resumable(state_dir)?,
        };
        let lock = Lock::acquire(state_dir, &id)?;
        let dir = state_dir.join(&id);
        files::check_own(&dir)?;
        let audit_path = dir.join(AUDIT_FILE);
        // A torn last line is left out, and cut only once the run is known to be resumable:
        // nothing is ever cut from a finished run.
        let (journal, _) = journal::load_complete(&dir)?;
        journal.check_cache(&dir)?;
        let fold = journal.fold;
        let started = journal.started;
        if !fold.resumable() {
            return Err(match fold.status() {
                Some(journal::RunStatus::Finished) => Error::AlreadyFinished { run_id: id },
                _ => Error::NotResumable {
                    run_id: id,
                    error: fold.error().unwrap_or_default().to_string(),
                },
            });
        }
        if started.account != identity.account {
            return Err(Error::AccountMismatch {
                run_id: id,
                recorded: started.account.clone(),
                current: identity.account.clone(),
                purpose: crate::error::RunPurpose::Resume,
            });
        }
        let last = journal
            .records
            .last()
            .expect("a loaded journal is not empty");
        let torn = log::repair_tail(&audit_path)?;
        let log = LogWriter::reopen(&audit_path, last)?;
        let resumed = RunResumed {
            attempt: fold.attempts() + 1,
            caller_arn: identity.arn.clone(),
            credentials: credentials.to_string(),
            steps_done: fold.steps_done(),
        };
        let run = Run {
            dir,
            id,
            started: started.clone(),
            inner: Mutex::new(Inner {
                log,
                fold,
                broken: None,
            }),
            _lock: lock,
        };
        run.record(Event::RunResumed(resumed))?;
        if let Some(bytes) = torn {
            run.record(Event::LogRepaired {
                dropped_torn_last_line_bytes: bytes,
            })?;
        }
        run.record_early(early_calls)?;
        Ok(run)
    }

    fn record_early(&self, early_calls: Vec<CallRecord>) -> Result<()> {
        for call in early_calls {
            self.record(Event::AwsCall(call))?;
        }
        Ok(())
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// What the run was started with (from its journal).
    pub fn started(&self) -> RunStarted {
        self.started.clone()
    }

    /// A look at where the run stands.
    pub fn fold<R>(&self, look: impl FnOnce(&Fold) -> R) -> R {
        look(&self.inner.lock().unwrap().fold)
    }

    /// Checks `event` against where the run stands, appends it (fsynced), and moves the run on;
    /// returns its sequence number. An event that may not come now is a bug in this tool, and
    /// is refused before anything is written.
    pub fn record(&self, event: Event) -> Result<u64> {
        let mut inner = self.inner.lock().unwrap();
        inner
            .fold
            .check(&event)
            .map_err(|problem| Error::IllegalEvent { problem })?;
        let (kind, data) = event.to_parts();
        let record = inner.log.next(kind, data);
        inner.log.append(&record)?;
        inner
            .fold
            .apply(record.seq, &record.ts, &record.hash, &event);
        // Calls and warnings do not change where the run stands: the cache may lag behind them.
        if !matches!(event, Event::AwsCall(_) | Event::Warning { .. }) {
            RunState::of(&self.started, &inner.fold).save(&self.dir)?;
        }
        Ok(record.seq)
    }

    /// Fails if an event could not be recorded from a place that could not return the error.
    pub fn check_healthy(&self) -> Result<()> {
        match &self.inner.lock().unwrap().broken {
            Some(problem) => Err(Error::Io {
                path: self.dir.join(AUDIT_FILE),
                source: std::io::Error::other(problem.clone()),
            }),
            None => Ok(()),
        }
    }

    /// Records a successful end; the writes made are counted from the journal.
    pub fn finish(&self, writes_planned: usize, dry_run: bool) -> Result<()> {
        let writes_made = self.fold(Fold::writes_made);
        self.record(Event::RunFinished {
            writes_made,
            writes_planned,
            dry_run,
        })
        .map(drop)
    }

    pub fn fail(&self, err: &Error) -> Result<()> {
        self.record(Event::RunFailed {
            error: err.to_string(),
            resumable: err.is_resumable(),
        })
        .map(drop)
    }

    /// Marks the run broken by a line that could not be written and that nobody waited for
    /// (`check_healthy` then refuses to go on).
    pub fn break_with(&self, e: &Error) {
        let mut inner = self.inner.lock().unwrap();
        inner.broken.get_or_insert_with(|| e.to_string());
    }

    pub fn interrupt(&self, reason: &str) -> Result<()> {
        let open = self.fold(Fold::open_steps);
        self.record(Event::RunInterrupted {
            reason: reason.to_string(),
            during_step: open.first().copied(),
            also_during: open.get(1).copied(),
        })
        .map(drop)
    }
}

impl CallSink for Run {
    fn record_call(&self, call: CallRecord) {
        if let Err(e) = self.record(Event::AwsCall(call)) {
            self.break_with(&e);
        }
    }
}
