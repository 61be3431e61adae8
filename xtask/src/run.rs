//! `run revert|status` and `resume`: open a run, drive the runbook, print what happened.

use std::io::IsTerminal;

use clap::ValueEnum;

use anyhow::Result;
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use runbook::aws::Aws;
use runbook::http::Replayer;
use runbook::journal::{self, StepName, AUDIT_FILE};
use runbook::runbooks::{self, Args, Begin, Runbook, Session};
use runbook::runs;
use runbook::steps::Settings;
use runbook::Error;

use crate::flags::{
    Connection, Display, Lang, Output, ResumeFlags, RunFlags, RunbookName, UndoFlags,
};
use crate::messages::{self, Msg};
use crate::operator::Terminal;
use crate::{connect, json, out, paths, render};

pub const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");

pub fn lang(display: &Display) -> Lang {
    messages::resolve_lang(display.lang)
}

pub async fn run(flags: RunFlags) -> Result<()> {
    run_with(flags, None).await.0
}

/// `run`, with the HTTP client replaced (the fixture recorder wraps the real one); also returns
/// the replayer of a replayed run, which says what the run did not ask for.
pub async fn run_with(
    flags: RunFlags,
    http: Option<SharedHttpClient>,
) -> (Result<()>, Option<Replayer>) {
    if flags.batch.is_batch() {
        // One client for the caller and every account: `fixtures record` records a batch with a
        // recorder per account through [`run_batch_with`].
        let transport =
            http.map(|http| -> connect::Transport { std::sync::Arc::new(move |_| http.clone()) });
        return (run_batch_with(flags, transport).await.0, None);
    }
    if let Err(e) = refuse_batch_only_flags(&flags.batch) {
        return (Err(e.into()), None);
    }
    let (aws, replayer) = match connect::aws(&flags.connection, http).await {
        Ok(connected) => connected,
        Err(e) => return (Err(e), None),
    };
    let lang = lang(&flags.display);
    let result = run_connected(flags, &aws).await;
    if let Some(unused) = replayer
        .as_ref()
        .map(Replayer::unused)
        .filter(|u| !u.is_empty())
    {
        out::eline(
            Msg::ReplayUnused {
                account: None,
                count: unused.len(),
                first: &unused[0],
            }
            .text(lang),
        );
    }
    (result, replayer)
}

/// The flags of a batch are refused on a single run rather than ignored.
fn refuse_batch_only_flags(b: &crate::flags::BatchFlags) -> Result<(), Error> {
    let given = [
        ("--exclude-account", !b.exclude_accounts.is_empty()),
        ("--role-name", b.role_name.is_some()),
        ("--external-id", b.external_id.is_some()),
        (
            "--max-concurrent-accounts",
            b.max_concurrent_accounts.is_some(),
        ),
        ("--max-errors", b.max_errors.is_some()),
        ("--max-calls-in-flight", b.max_calls_in_flight.is_some()),
    ];
    match given.into_iter().find(|(_, given)| *given) {
        Some((flag, _)) => Err(Error::FlagNotHonoured {
            flag: flag.into(),
            resume: false,
        }),
        None => Ok(()),
    }
}

/// A batch, with the HTTP client of the caller's and of each account's service clients given by
/// `transport`; also returns the replayers of a replayed batch (the caller's `None`, then each
/// account's), and says on stderr what each did not ask for, as a single replayed run does.
pub async fn run_batch_with(
    flags: RunFlags,
    transport: Option<connect::Transport>,
) -> (Result<()>, Vec<(Option<String>, Replayer)>) {
    let replays = connect::Replays::default();
    let lang = lang(&flags.display);
    let result = crate::batch::run(flags, transport, replays.clone()).await;
    let replays = std::mem::take(&mut *replays.lock().unwrap());
    for (account, replayer) in &replays {
        let unused = replayer.unused();
        if let Some(first) = unused.first() {
            out::eline(
                Msg::ReplayUnused {
                    account: Some(account.as_deref()),
                    count: unused.len(),
                    first,
                }
                .text(lang),
            );
        }
    }
    (result, replays)
}

async fn run_connected(flags: RunFlags, aws: &Aws) -> Result<()> {
    let runbook = match flags.runbook {
        RunbookName::Revert => Runbook::Revert,
        RunbookName::Status => Runbook::Status,
    };
    if runbook != Runbook::Status && (flags.check || flags.since.is_some()) {
        anyhow::bail!(Error::RecheckNeedsStatus);
    }
    // Refuse before touching AWS when a write would need a confirmation nobody can give.
    if runbook == Runbook::Revert && !flags.dry_run && !flags.yes && !std::io::stdin().is_terminal()
    {
        return Err(Error::ConfirmationUnavailable.into());
    }
    let mut args = args_of(&flags);
    let state_dir = paths::state_dir(flags.connection.state_dir.as_deref());
    let since = match &flags.since {
        Some(wanted) => {
            let id = runs::resolve_latest_of(&state_dir, wanted, Runbook::Revert)?;
            // Look at what that revert looked at: its trails and regions.
            let source = runbook::recheck::args_of(&state_dir, &id)?;
            args.trails = source.trails;
            args.regions = source.regions;
            args.exclude_regions = source.exclude_regions;
            Some(id)
        }
        None => None,
    };
    let command = match runbook {
        Runbook::Status => "run status",
        _ => "run revert",
    };
    let done = drive(
        aws,
        Begin::New { runbook, args },
        flags.yes,
        &flags.connection,
        &flags.display,
    )
    .await?;
    // The re-check: the report is printed; the exit code says whether the account is still
    // reverted.
    if let Err(error) = recheck(flags.check, since.as_deref(), &state_dir, &done.report) {
        return Err(done.failure(error, None));
    }
    done.print_json(command, &flags.display)
}

/// The runbook's arguments as `run` was given them (a batch gives each account the same).
pub fn args_of(flags: &RunFlags) -> Args {
    Args {
        trails: flags.trails.clone(),
        regions: flags.regions.clone(),
        exclude_regions: flags.exclude_regions.clone(),
        dry_run: flags.dry_run,
        undoes: None,
        force: false,
        include_organization_trail: flags.include_organization_trail,
    }
}

/// `status --check` / `--since RUN_ID` on the status run's report.
fn recheck(
    check: bool,
    since: Option<&str>,
    state_dir: &std::path::Path,
    report: &runbooks::Report,
) -> Result<(), Error> {
    if check {
        let found = runbook::recheck::still_sse_kms(report);
        if !found.is_empty() {
            return Err(Error::StillSseKms(
                found.into_iter().map(Into::into).collect(),
            ));
        }
    }
    if let Some(since) = since {
        let drift = runbook::recheck::drift_since(state_dir, since, report)?;
        if !drift.is_empty() {
            return Err(Error::Drifted {
                since: since.to_string(),
                found: drift.into_iter().map(Into::into).collect(),
            });
        }
    }
    Ok(())
}

pub async fn undo(flags: UndoFlags) -> Result<()> {
    if !flags.dry_run && !flags.yes && !std::io::stdin().is_terminal() {
        return Err(Error::ConfirmationUnavailable.into());
    }
    let state_dir = paths::state_dir(flags.connection.state_dir.as_deref());
    let undoes = runs::resolve_latest_of(&state_dir, &flags.run_id, Runbook::Revert)?;
    expect_hash(
        &state_dir.join(&undoes).join(AUDIT_FILE),
        || journal::load(&state_dir.join(&undoes)).map(|j| last_hash(&j.records)),
        flags.expect_hash.as_deref(),
        lang(&flags.display),
    )?;
    let (aws, _replayer) = connect::aws(&flags.connection, None).await?;
    let args = Args {
        trails: Vec::new(),
        regions: None,
        exclude_regions: Vec::new(),
        dry_run: flags.dry_run,
        undoes: Some(undoes),
        force: flags.force,
        include_organization_trail: false,
    };
    let begin = Begin::New {
        runbook: Runbook::Restore,
        args,
    };
    let done = drive(&aws, begin, flags.yes, &flags.connection, &flags.display).await?;
    if let Some(error) = partial_undo(&done.report, lang(&flags.display)) {
        return Err(done.failure(error, None));
    }
    done.print_json("undo", &flags.display)
}

/// An undo that finished but left something the revert changed as it is (deleted since, or
/// changed since without `--force`): `partial_undo` (exit code 5), naming what was put back and
/// what was not. A dry run is only a plan.
fn partial_undo(report: &runbooks::Report, lang: Lang) -> Option<Error> {
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

pub async fn resume(flags: ResumeFlags) -> Result<()> {
    if let Some(batch_id) = flags
        .run_id
        .clone()
        .filter(|id| runbook::batch::journal::is_batch_id(id))
    {
        return crate::batch::resume(flags, batch_id).await;
    }
    let batch_only = [
        ("--accounts", !flags.accounts.is_empty()),
        ("--external-id", flags.external_id.is_some()),
        ("--max-calls-in-flight", flags.max_calls_in_flight.is_some()),
    ];
    if let Some((flag, _)) = batch_only.into_iter().find(|(_, given)| *given) {
        return Err(Error::FlagNotHonoured {
            flag: flag.into(),
            resume: true,
        }
        .into());
    }
    let mut run_id = flags.run_id.clone();
    if let Some(expected) = flags.expect_hash.as_deref() {
        // The run resumed is the one whose hash was checked, named from here on.
        let state_dir = paths::state_dir(flags.connection.state_dir.as_deref());
        let id = match run_id.as_deref() {
            Some(id) if id != "latest" => runs::resolve(&state_dir, Some(id))?,
            _ => runs::latest_resumable(&state_dir)?,
        };
        let dir = state_dir.join(&id);
        expect_hash(
            &dir.join(AUDIT_FILE),
            || journal::load(&dir).map(|j| last_hash(&j.records)),
            Some(expected),
            lang(&flags.display),
        )?;
        run_id = Some(id);
    }
    if !flags.yes && !std::io::stdin().is_terminal() {
        refuse_unconfirmable(&flags)?;
    }
    let (aws, _replayer) = connect::aws(&flags.connection, None).await?;
    let begin = Begin::Resume { run_id };
    let done = drive(&aws, begin, flags.yes, &flags.connection, &flags.display).await?;
    if let Some(error) = partial_undo(&done.report, lang(&flags.display)) {
        return Err(done.failure(error, None));
    }
    done.print_json("resume", &flags.display)
}

fn last_hash(records: &[journal::Record]) -> String {
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

/// Refuses, before the run is touched, to resume a revert that still needs the operator's
/// go-ahead when nobody can give it (no terminal, no `--yes`), as `run` does.
fn refuse_unconfirmable(flags: &ResumeFlags) -> Result<()> {
    let state_dir = paths::state_dir(flags.connection.state_dir.as_deref());
    let id = match flags.run_id.as_deref() {
        Some(id) if id != "latest" => runs::resolve(&state_dir, Some(id)),
        _ => runs::latest_resumable(&state_dir),
    };
    // A run that cannot be read here is for resume itself to repair (a torn last line) or to
    // refuse with its own error.
    let Ok(journal) = id.and_then(|id| journal::load(&state_dir.join(id))) else {
        return Ok(());
    };
    let needs_confirmation = journal.started.runbook.writes()
        && !journal.started.args.dry_run
        && journal.fold.output(StepName::Confirm).is_none();
    if needs_confirmation && journal.fold.resumable() {
        return Err(Error::ConfirmationUnavailable.into());
    }
    Ok(())
}

/// A run that reached its end: its report (printed already for a person).
struct Done {
    run_id: String,
    audit_log: std::path::PathBuf,
    final_hash: Option<String>,
    report: runbooks::Report,
}

impl Done {
    /// The command's one JSON document, when asked for (`--output json`).
    fn print_json(self, command: &str, display: &Display) -> Result<()> {
        if display.output == Output::Json {
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
    fn failure(self, error: Error, resume_command: Option<String>) -> anyhow::Error {
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
async fn drive(
    aws: &Aws,
    begin: Begin,
    yes: bool,
    connection: &Connection,
    display: &Display,
) -> Result<Done> {
    let lang = lang(display);
    let operator = Terminal::new(yes, lang);
    let mut settings = Settings {
        concurrency: connection.concurrency.into(),
        ..Settings::default()
    };
    if connection.replay.is_some() {
        settings = settings.without_waits();
    }
    let state_dir = paths::state_dir(connection.state_dir.as_deref());
    let credentials = connect::credentials_source(connection).await?;
    let session = Session {
        aws,
        state_dir: &state_dir,
        operator: &operator,
        settings,
        tool_version: TOOL_VERSION,
        credentials: &credentials,
        batch: None,
        account: None,
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
            if display.output == Output::Human {
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
                .then(|| resume_command(run_id, yes, connection, display));
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

/// The exact command that continues this run, quoted for a POSIX shell, with every flag it
/// needs to finish: the connection it was given, and `--yes` if this run had it (without it, a
/// resume before the confirmation would refuse without a terminal).
pub fn resume_command(run_id: &str, yes: bool, c: &Connection, display: &Display) -> String {
    let mut args: Vec<String> = vec![
        "cargo".into(),
        "xtask".into(),
        "resume".into(),
        run_id.into(),
    ];
    let mut flag = |name: &str, value: &str| args.extend([name.to_string(), value.to_string()]);
    if let Some(p) = &c.profile {
        flag("--profile", p);
    }
    if let Some(r) = &c.region {
        flag("--region", r);
    }
    if let Some(e) = &c.endpoint_url {
        flag("--endpoint-url", &crate::display::without_userinfo(e));
    }
    if let Some(s) = &c.replay {
        flag("--replay", s);
    }
    if c.state_dir.is_some() {
        // Absolute, so that the command also runs from another directory.
        let dir = paths::state_dir(c.state_dir.as_deref());
        flag("--state-dir", &dir.to_string_lossy());
    }
    if c.concurrency != Connection::DEFAULT_CONCURRENCY {
        flag("--concurrency", &c.concurrency.to_string());
    }
    if let Some(lang) = display.lang.and_then(|l| l.to_possible_value()) {
        flag("--lang", lang.get_name());
    }
    if display.output == Output::Json {
        flag("--output", "json");
    }
    if yes {
        args.push("--yes".into());
    }
    args.iter()
        // Arguments come from argv and the environment, which cannot hold a NUL byte.
        .map(|a| {
            shlex::try_quote(a)
                .expect("no NUL byte in an argument")
                .into_owned()
        })
        .collect::<Vec<_>>()
        .join(" ")
}
