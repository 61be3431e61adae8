//! `cargo xtask`: parses flags and dispatches. Each command lives in its own module.

mod audit;
mod batch;
mod bench;
mod clock;
mod connect;
mod display;
mod dist;
mod evidence;
mod fixtures;
mod flags;
mod iam_policy;
mod json;
mod messages;
mod operator;
mod out;
mod paths;
mod render;
mod run;
mod scenarios;
mod shape;
mod test;
mod verbose;

use std::process::ExitCode;

use clap::Parser;
use flags::{Command, Xtask};

/// Exit codes (also in README.md).
mod exit {
    pub const FAILED: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const VERIFY_FAILED: u8 = 3;
    pub const NOT_CONFIRMED: u8 = 4;
    pub const PARTIAL_UNDO: u8 = 5;
    pub const INTERRUPTED: u8 = 130;
}

fn main() -> ExitCode {
    let flags = match Xtask::try_parse() {
        Ok(flags) => flags,
        Err(e) => return usage_error(e),
    };
    flags.color.apply();
    if flags.verbose {
        verbose::install();
    }
    let json_command = json_command(&flags.command);
    let lang = messages::resolve_lang(lang_flag(&flags.command));
    // While this is still the only thread: see `route_credential_providers`.
    connect::route_credential_providers(&flags.command);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime starts");
    let result = runtime.block_on(async {
        match flags.command {
            Command::Run(f) => run::run(f).await,
            Command::Resume(f) => run::resume(f).await,
            Command::Undo(f) => run::undo(f).await,
            Command::Audit(f) => audit::run(f),
            Command::Fixtures(f) => fixtures::run(f).await,
            Command::Bench(f) => bench::run(f).await,
            Command::IamPolicy(f) => iam_policy::run(f),
            Command::Dist(f) => dist::run(f),
            Command::Test { args } => test::run(args),
        }
    });
    // A confirmation prompt may still be blocked reading stdin after Ctrl-C: do not wait for it.
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // Each cause said once: `runbook::Error::Io` and the SDK's errors already quote
            // their source, which `{err:#}` would repeat.
            let message = match json::runbook_error(&err) {
                Some(e) => messages::Msg::Error(e).text(lang),
                None => runbook::aws::error_chain(err.as_ref()),
            };
            let label = match lang {
                flags::Lang::En => "error",
                flags::Lang::Ja => "エラー",
            };
            out::eline(format!("{label}: {message}"));
            let code = exit_code(&err);
            if let Some(command) = json_command {
                json::print(&command, false, json::error_body(&err, message, code));
            }
            ExitCode::from(code)
        }
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
        _ => return None,
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
        _ => None,
    }
}

/// A command line clap refused: its message (or the help) as clap prints it, and with
/// `--output json` also the one document, so that a script reads a usage error as any other.
fn usage_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    let args: Vec<String> = std::env::args().collect();
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
    out::eprint(&match lang {
        flags::Lang::En => shown.clone(),
        flags::Lang::Ja => format!(
            "エラー: コマンドラインの引数が正しくありません。`--help` で使い方を表示します。システムの応答: {}\n",
            shown.lines().next().unwrap_or_default().trim_start_matches("error: ")
        ),
    });
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

fn exit_code(err: &anyhow::Error) -> u8 {
    match json::runbook_error(err) {
        Some(
            runbook::Error::VerifyFailed(_)
            | runbook::Error::StillSseKms(_)
            | runbook::Error::Drifted { .. },
        ) => exit::VERIFY_FAILED,
        Some(runbook::Error::NotConfirmed) => exit::NOT_CONFIRMED,
        Some(runbook::Error::PartialUndo { .. }) => exit::PARTIAL_UNDO,
        Some(runbook::Error::Interrupted { .. } | runbook::Error::BatchInterrupted { .. }) => {
            exit::INTERRUPTED
        }
        Some(e) if e.is_usage() => exit::USAGE,
        _ => exit::FAILED,
    }
}
