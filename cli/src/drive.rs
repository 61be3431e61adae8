//! Driving one run to its end, shared by `run`, `resume` and `undo`: the terminal operator,
//! the session, the report and the footer, the resume hint; and the checks those commands
//! make before a run is touched (`--expect-hash`, an undo left partial).

use anyhow::Result;
use runbook::aws::Aws;
use runbook::http::Replayer;
use runbook::journal::{self, AUDIT_FILE};
use runbook::runbooks::{self, Begin, Runbook, Session};
use runbook::steps::Settings as StepSettings;
use runbook::Error;

use crate::connect;
use crate::flags::{Lang, Output};
use crate::messages::Msg;
use crate::output::{json, out, render};
use crate::settings::{Settings, TOOL_VERSION};
use crate::terminal::Terminal;

/// An undo that finished but left something the revert changed as it is (deleted since, or
/// changed since without `--force`): `partial_undo` (exit code 5), naming what was put back and
/// what was not. A dry run is only a plan.
pub fn partial_undo(report: &runbooks::Report, lang: Lang) -> Option<Error> {
    if report.runbook != Runbook::Restore || report.dry_run || report.plan.not_restored.is_empty() {
        return None;
    }
    let (restored, not_restored) =
        render::undo_outcome(&report.plan, report.verify.is_some(), lang);
    Some(Error::PartialUndo {
        undoes: report.undoes.clone().unwrap_or_default(),
        restored,
        not_restored,
    })
}

/// Says on stderr what a replayed run did not ask for of its recording (nothing when every
/// exchange was used, or when nothing was replayed): `run` and `undo` alike.
pub fn say_unused(replayer: Option<&Replayer>, lang: Lang) {
    let Some(unused) = replayer.map(Replayer::unused).filter(|u| !u.is_empty()) else {
        return;
    };
    out::eline(
        Msg::ReplayUnused {
            account: None,
            count: unused.len(),
            first: &unused[0],
        }
        .text(lang),
    );
}

pub fn last_hash(records: &[journal::Record]) -> String {
    records.last().map(|r| r.hash.clone()).unwrap_or_default()
}

/// `--expect-hash HASH` of `undo` and `resume`: the journal at `log` (its last line's hash
/// given by `actual`) must end in `expected`, or the command stops (exit 1, `hash_mismatch`)
/// before anything is written and before any AWS call, as `audit verify --expect-hash` does.
pub fn expect_hash(
    log: &std::path::Path,
    actual: impl FnOnce() -> runbook::Result<String>,
    expected: Option<&str>,
    lang: Lang,
) -> Result<()> {
    let Some(expected) = expected else {
        return Ok(());
    };
    let actual = actual()?;
    if expected.eq_ignore_ascii_case(&actual) {
        return Ok(());
    }
    Err(json::AuditFailure {
        code: json::ErrorCode::HashMismatch,
        message: Msg::HashMismatch {
            log,
            actual: &actual,
            expected,
        }
        .text(lang),
    }
    .into())
}

/// A run that reached its end: its report (printed already for a person).
pub struct Done {
    run_id: String,
    audit_log: std::path::PathBuf,
    final_hash: Option<String>,
    pub report: runbooks::Report,
}

impl Done {
    /// The command's one JSON document, when asked for (`--output json`).
    pub fn print_json(self, command: &str, settings: &Settings) -> Result<()> {
        if settings.output == Output::Json {
            json::print(
                command,
                true,
                json::Body::Run(json::RunDoc {
                    run_id: self.run_id,
                    audit_log: self.audit_log,
                    final_hash: self.final_hash.unwrap_or_default(),
                    report: serde_json::to_value(&self.report)?,
                }),
            );
        }
        Ok(())
    }

    /// A failure after the run ended (the re-check), naming the run.
    pub fn failure(self, error: Error, resume_command: Option<String>) -> anyhow::Error {
        json::RunFailure {
            run_id: self.run_id,
            audit_log: self.audit_log,
            final_hash: self.final_hash,
            resume_command,
            report: serde_json::to_value(&self.report).ok(),
            error,
        }
        .into()
    }
}

/// Drives a run to its end; prints the report for a person (`--output human`) and the footer.
pub async fn drive(aws: &Aws, begin: Begin, yes: bool, settings: &Settings) -> Result<Done> {
    let lang = settings.lang;
    let connection = settings.connection();
    let operator = Terminal::new(yes, lang, settings.live_progress);
    let mut steps = StepSettings {
        concurrency: connection.concurrency.into(),
        ..StepSettings::default()
    };
    if connection.replay.is_some() {
        steps = steps.without_waits();
    }
    // Credentials first: a command refused for want of them leaves no state directory behind.
    let credentials = connect::credentials_source(connection).await?;
    let state_dir = settings.writable_state_dir()?;
    let session = Session {
        aws,
        state_dir,
        operator: &operator,
        settings: steps,
        tool_version: TOOL_VERSION,
        credentials: &credentials,
        batch: None,
        account: settings.acts_in.as_deref(),
    };
    let interrupt = async {
        // If no handler can be installed, the run simply cannot be interrupted this way.
        match tokio::signal::ctrl_c().await {
            Ok(()) => "Ctrl-C".to_string(),
            Err(_) => std::future::pending().await,
        }
    };
    let ended = runbooks::launch(&session, begin, interrupt).await?;
    let audit_path = ended.dir.join(AUDIT_FILE);
    let run_id = &ended.run_id;
    // The journal read back as any reader reads it: its last line's hash anchors the log.
    let final_hash = journal::load(&ended.dir)
        .ok()
        .and_then(|j| j.records.last().map(|r| r.hash.clone()));
    let footer = render::audit_footer(run_id, &audit_path, final_hash.as_deref(), lang);
    match ended.result {
        Ok(report) => {
            if settings.output == Output::Human {
                out::print(&render::report(&report, lang));
            }
            out::eprint(&footer);
            Ok(Done {
                run_id: run_id.clone(),
                audit_log: audit_path,
                final_hash,
                report,
            })
        }
        Err(error) => {
            out::eprint(&footer);
            // Only a run that resume can finish gets the resume hint: not bad input, not a "no".
            let resume_command = error
                .is_resumable()
                .then(|| settings.resume_command(run_id, yes, false));
            if let Some(command) = &resume_command {
                out::eline(Msg::ResumeHint { command }.text(lang));
            }
            Err(json::RunFailure {
                run_id: run_id.clone(),
                audit_log: audit_path,
                final_hash,
                resume_command,
                report: None,
                error,
            }
            .into())
        }
    }
}
