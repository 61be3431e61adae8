//! `cargo xtask`: parses flags and dispatches. Each command lives in its own module.

mod audit;
mod bench;
mod connect;
mod evidence;
mod fixtures;
mod flags;
mod iam_policy;
mod operator;
mod out;
mod paths;
mod render;
mod run;
mod scenarios;
mod test;

use std::process::ExitCode;

use clap::Parser;
use flags::{Command, Xtask};

/// Exit codes (also in README.md).
mod exit {
    pub const FAILED: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const VERIFY_FAILED: u8 = 3;
    pub const NOT_CONFIRMED: u8 = 4;
    pub const INTERRUPTED: u8 = 130;
}

fn main() -> ExitCode {
    let flags = Xtask::parse();
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
            eprintln!("error: {}", runbook::aws::error_chain(err.as_ref()));
            ExitCode::from(exit_code(&err))
        }
    }
}

fn exit_code(err: &anyhow::Error) -> u8 {
    match err.downcast_ref::<runbook::Error>() {
        Some(
            runbook::Error::VerifyFailed(_)
            | runbook::Error::StillSseKms(_)
            | runbook::Error::Drifted(_),
        ) => exit::VERIFY_FAILED,
        Some(runbook::Error::NotConfirmed) => exit::NOT_CONFIRMED,
        Some(runbook::Error::Interrupted { .. }) => exit::INTERRUPTED,
        Some(e) if e.is_usage() => exit::USAGE,
        _ => exit::FAILED,
    }
}
