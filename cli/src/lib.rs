//! `cloudtrail-revert`, the operator's command: `run`, `resume`, `undo` and `audit`. The binary
//! (`main.rs`) and `cargo xtask` both enter through [`main`], saying which program the operator
//! ran ([`Program`]); flags are parsed here once, each command lives in its own module under
//! `commands/`, and what is shown (human, JSON, the evidence page) lives under `output/`.

mod assume_role;
pub mod batch_recheck;
mod commands;
pub mod connect;
mod drive;
pub mod flags;
mod messages;
pub mod output;
pub mod paths;
mod progress;
pub mod settings;
mod terminal;
pub mod verbose;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::FromArgMatches;
use flags::{Cli, Command};
pub use paths::{Home, Program};

use crate::output::json::exit;
use crate::output::{display, json, out};

/// What `cargo xtask` uses to drive a run with its own HTTP client (the fixture recorder, the
/// benchmark) and to read what a replay left unused: the one seam between the workshop and the
/// product.
pub mod embed {
    use anyhow::Result;
    use aws_smithy_runtime_api::client::http::SharedHttpClient;
    use runbook::http::Replayer;

    use crate::commands;
    use crate::connect;
    use crate::flags::{RunFlags, UndoFlags};
    use crate::messages::Msg;
    use crate::output::out;
    use crate::settings::Settings;
    pub use crate::settings::TOOL_VERSION;

    /// `run`, with the HTTP client replaced (the fixture recorder wraps the real one); also
    /// returns the replayer of a replayed single run, which says what the run did not ask for.
    pub async fn run_with(
        flags: RunFlags,
        http: Option<SharedHttpClient>,
    ) -> (Result<()>, Option<Replayer>) {
        if flags.batch.is_batch() {
            // One client for the caller and every account: `fixtures record` records a batch
            // with a recorder per account through [`run_batch_with`].
            let transport = http
                .map(|http| -> connect::Transport { std::sync::Arc::new(move |_| http.clone()) });
            return (run_batch_with(flags, transport).await.0, None);
        }
        match Settings::of_run(&flags) {
            Ok(settings) => commands::run::run(flags, &settings, http).await,
            Err(e) => (Err(e.into()), None),
        }
    }

    /// `undo`, with the HTTP client replaced (the fixture recorder wraps the real one); also
    /// returns the replayer of a replayed undo, which says what the undo did not ask for.
    pub async fn undo_with(
        flags: UndoFlags,
        http: Option<SharedHttpClient>,
    ) -> (Result<()>, Option<Replayer>) {
        let command = crate::flags::Command::Undo(flags);
        let settings = match Settings::of(&command) {
            Ok(settings) => settings,
            Err(e) => return (Err(e.into()), None),
        };
        let crate::flags::Command::Undo(flags) = command else {
            unreachable!("made as an undo above")
        };
        commands::undo::undo(flags, &settings, http).await
    }

    /// A batch, with the HTTP client of the caller's and of each account's service clients
    /// given by `transport`; also returns the replayers of a replayed batch (the caller's
    /// `None`, then each account's), and says on stderr what each did not ask for, as a single
    /// replayed run does.
    pub async fn run_batch_with(
        flags: RunFlags,
        transport: Option<connect::Transport>,
    ) -> (Result<()>, Vec<(Option<String>, Replayer)>) {
        let settings = match Settings::of_run(&flags) {
            Ok(settings) => settings,
            Err(e) => return (Err(e.into()), Vec::new()),
        };
        let replays = connect::Replays::default();
        let result = commands::batch::run(flags, &settings, transport, replays.clone()).await;
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
                    .text(settings.lang),
                );
            }
        }
        (result, replays)
    }
}

/// Runs one operator command line (`args` begins with the program's own name), as `program`.
pub fn main(program: Program, args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let args: Vec<OsString> = args.into_iter().collect();
    paths::set_program(program);
    let flags = match parse(&args) {
        Ok(flags) => flags,
        Err(e) => return usage_error(e, &args),
    };
    flags.globals.apply();
    raise_open_files_limit();
    let json_command = json_command(&flags.command);
    let lang = messages::resolve_lang(lang_flag(&flags.command));
    // While this is still the only thread: see `route_credential_providers`.
    connect::route_credential_providers(&flags.command);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime starts");
    let result = runtime.block_on(dispatch(flags.command));
    // A confirmation prompt may still be blocked reading stdin after Ctrl-C: do not wait for it.
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => failed(&err, lang, json_command),
    }
}

/// A revert batch keeps every waiting account's journal and lock open until its one question
/// is answered, and its region fan-outs open many connections: a common soft limit of open
/// files (1024) runs out in a large batch (EMFILE, accounts failed half-way). The soft limit is
/// raised to the hard one, as `ulimit -n` could without privileges; where it cannot be, the
/// limit stays as it was and an account that runs out fails resumably, saying so.
fn raise_open_files_limit() {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit only read and write the struct given.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 && limit.rlim_cur < limit.rlim_max
        {
            limit.rlim_cur = limit.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
}

/// Says why a command failed (on stderr, and as its JSON document when one was asked for),
/// and returns its exit code.
pub fn failed(err: &anyhow::Error, lang: flags::Lang, json_command: Option<String>) -> ExitCode {
    // Each cause said once: `runbook::Error::Io` and the SDK's errors already quote their
    // source, which `{err:#}` would repeat.
    let message = match json::runbook_error(err) {
        Some(e) => messages::Msg::Error(e).text(lang),
        None => messages::with_program(runbook::aws::error_chain(err.as_ref())),
    };
    let label = messages::error_label(lang);
    out::eline(format!("{label}: {message}"));
    let code = exit_code(err);
    if let Some(command) = json_command {
        json::print(&command, false, json::error_body(err, message, code));
    }
    ExitCode::from(code)
}

/// Resolves the flags once into [`settings::Settings`], and runs the command.
async fn dispatch(command: Command) -> anyhow::Result<()> {
    let settings = settings::Settings::of(&command)?;
    // A state directory that could not be made (so holds nothing to read, and could take no
    // new run) is bad input, said before anything else; nothing is made here.
    settings.check_state_dir()?;
    match command {
        Command::Run(f) if f.batch.is_batch() => embed::run_batch_with(f, None).await.0,
        Command::Run(f) => commands::run::run(f, &settings, None).await.0,
        Command::Resume(f) => match f.run_id.clone() {
            Some(id) if runbook::batch::journal::is_batch_id(&id) => {
                commands::batch::resume(f, id, &settings).await
            }
            _ => commands::resume::resume(f, &settings).await,
        },
        Command::Undo(f) => commands::undo::undo(f, &settings, None).await.0,
        Command::Audit(f) => commands::audit::run(f, &settings),
    }
}

/// The command's name in its JSON document, when it was asked for one (`--output json`).
fn json_command(command: &Command) -> Option<String> {
    use flags::{AuditCommand, Output, RunbookName};
    let (name, output) = match command {
        Command::Run(f) => (
            match f.runbook {
                RunbookName::Revert => "run revert",
                RunbookName::Status => "run status",
            },
            f.display.output,
        ),
        Command::Resume(f) => ("resume", f.display.output),
        Command::Undo(f) => ("undo", f.display.output),
        Command::Audit(f) => (
            match f.command {
                AuditCommand::List => "audit list",
                AuditCommand::Show { .. } => "audit show",
                AuditCommand::Verify { .. } => "audit verify",
                AuditCommand::Report { .. } => "audit report",
            },
            f.display.output,
        ),
    };
    (output == Output::Json).then(|| name.to_string())
}

/// The `--lang` given to a command that has it.
fn lang_flag(command: &Command) -> Option<flags::Lang> {
    match command {
        Command::Run(f) => f.display.lang,
        Command::Resume(f) => f.display.lang,
        Command::Undo(f) => f.display.lang,
        Command::Audit(f) => f.display.lang,
    }
}

/// A command line clap refused: its message (or the help) as clap prints it, and with
/// `--output json` also the one document, so that a script reads a usage error as any other.
fn usage_error(e: clap::Error, args: &[OsString]) -> ExitCode {
    use clap::error::ErrorKind;
    let args: Vec<String> = args
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let wants_json = args
        .windows(2)
        .any(|w| w[0] == "--output" && w[1] == "json")
        || args.iter().any(|a| a == "--output=json");
    let informational = matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    );
    if informational {
        e.exit();
    }
    // clap's own text quotes the value it refused: shown, never obeyed, and without an
    // endpoint's credentials; in Japanese, marked as the parser's words.
    let shown = display::without_userinfo(&e.render().to_string());
    let lang = messages::resolve_lang(lang_in_args(&args));
    out::eprint(&messages::usage_error(&shown, lang));
    if !wants_json {
        return ExitCode::from(exit::USAGE);
    }
    let command = args
        .iter()
        .skip(1)
        .take_while(|a| !a.starts_with('-'))
        .take(2)
        .cloned()
        .collect::<Vec<_>>()
        .join(" ");
    let message = shown
        .lines()
        .next()
        .unwrap_or_default()
        .trim_start_matches("error: ")
        .to_string();
    let err = anyhow::Error::new(e);
    json::print(
        &command,
        false,
        json::error_body(&err, message, exit::USAGE),
    );
    ExitCode::from(exit::USAGE)
}

/// `--lang` as given on a command line clap refused (`--lang ja`, `--lang=ja`).
fn lang_in_args(args: &[String]) -> Option<flags::Lang> {
    let value = args
        .windows(2)
        .find(|w| w[0] == "--lang")
        .map(|w| w[1].as_str())
        .or_else(|| args.iter().find_map(|a| a.strip_prefix("--lang=")))?;
    match value {
        "ja" => Some(flags::Lang::Ja),
        "en" => Some(flags::Lang::En),
        _ => None,
    }
}

/// The exit code of a failed command (decided by its error's stable code).
pub fn exit_code(err: &anyhow::Error) -> u8 {
    json::code_of(err).exit_code()
}

/// The command line parsed by clap, its help and examples naming the program that was run.
fn parse(args: &[OsString]) -> Result<Cli, clap::Error> {
    let matches = flags::command(paths::program().name).try_get_matches_from(args)?;
    Cli::from_arg_matches(&matches)
}
