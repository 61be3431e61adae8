//! `cargo xtask`: the workshop. The operator commands (`run`, `resume`, `undo`, `audit`) are
//! `cloudtrail-revert`'s, forwarded unchanged with this checkout as their home; the developer
//! commands (`fixtures`, `bench`, `iam-policy`, `test`, `dist`) live here, one module each.

mod bench;
mod dist;
mod fixtures;
mod flags;
mod iam_policy;
mod scenarios;
mod shape;
mod test;
#[cfg(test)]
mod tidy;
mod workspace;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::Parser;
use cloudtrail_revert::Program;
use flags::{Command, Xtask};

/// The names of the operator's commands, which `cloudtrail-revert` parses and runs itself.
const OPERATOR_COMMANDS: [&str; 4] = ["run", "resume", "undo", "audit"];

fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().collect();
    let program = Program::xtask(workspace::root());
    if forwarded(&args) {
        return cloudtrail_revert::main(program, args);
    }
    cloudtrail_revert::paths::set_program(program);
    let flags = match Xtask::try_parse_from(&args) {
        Ok(flags) => flags,
        Err(e) => e.exit(),
    };
    flags.globals.apply();
    if let Command::Fixtures(flags::FixturesFlags {
        command: flags::FixturesCommand::Record { run_args, .. },
    }) = &flags.command
    {
        // While this is still the only thread (see `route_credential_providers`).
        if let Ok(recording) = fixtures::Recording::parse(run_args) {
            cloudtrail_revert::connect::route_credential_providers_of(recording.connection());
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime starts");
    let result = runtime.block_on(async {
        match flags.command {
            // `forwarded` sent every operator command line to `cloudtrail-revert`.
            Command::Operator(_) => unreachable!("operator commands are forwarded"),
            Command::Fixtures(f) => fixtures::run(f).await,
            Command::Bench(f) => bench::run(f).await,
            Command::IamPolicy(f) => iam_policy::run(f),
            Command::Dist(f) => dist::run(f),
            Command::Test { args } => test::run(args),
        }
    });
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // Said, and given its exit code, as the operator's commands say theirs.
        Err(err) => cloudtrail_revert::failed(&err, cloudtrail_revert::flags::Lang::En, None),
    }
}

/// Whether the command line is an operator command's: its first word that is not a global
/// flag (`-v`, `--verbose`, `--color WHEN`) names one.
fn forwarded(args: &[OsString]) -> bool {
    let mut words = args.iter().skip(1).map(|a| a.to_string_lossy());
    while let Some(word) = words.next() {
        match word.as_ref() {
            "-v" | "--verbose" => continue,
            "--color" => {
                words.next();
                continue;
            }
            w if w.starts_with("--color=") => continue,
            w => return OPERATOR_COMMANDS.contains(&w),
        }
    }
    false
}
