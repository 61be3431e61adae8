//! Flags resolved once (ripgrep's LowArgs → HiArgs): the language, the output, the state
//! directory and the connection, decided here from the command line and the environment, and
//! read by every command. The resume command a run prints is derived from these settings, so
//! it spells every flag exactly as it was resolved.

use std::path::{Path, PathBuf};

use clap::ValueEnum;
use runbook::runbooks::Args;
use runbook::Error;

use crate::flags::{Command, Connection, Display, Lang, Output, RunFlags};
use crate::messages;
use crate::paths;

/// The tool's version, recorded in every run it starts.
pub const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");

#[derive(Clone, Debug)]
pub struct Settings {
    /// `--lang`, else `LANG`/`LC_*`.
    pub lang: Lang,
    pub output: Output,
    /// Where runs are kept: `--state-dir`/`RUNBOOK_STATE_DIR` (absolute), else the program's
    /// default ([`paths::state_dir`]).
    pub state_dir: PathBuf,
    /// The connection flags as given (`audit` has none).
    pub connection: Option<Connection>,
    /// Whether the state directory was named (`--state-dir`, `RUNBOOK_STATE_DIR`): a printed
    /// command then names it too.
    state_dir_given: bool,
    /// `--lang` as given: a printed command carries it only when it was given.
    lang_given: Option<Lang>,
    /// Where this command's run is kept, when not in `state_dir` itself: the account folder
    /// (`<state-dir>/accounts/<id>/`) of a batch run that `resume` or `undo` names by id. The
    /// printed commands still name `state_dir`, where the id is found again.
    runs_in: Option<PathBuf>,
    /// The account this command's run must act in, checked before the run opens (an undo acts
    /// on the account its revert changed).
    pub acts_in: Option<String>,
    /// Whether progress is drawn live on stderr (a single run's region bar, a batch's display):
    /// see [`live_progress`]. Otherwise only the plain lines are written.
    pub live_progress: bool,
}

impl Settings {
    /// The settings of an operator command line.
    pub fn of(command: &Command) -> Result<Settings, Error> {
        let (connection, state_dir, display) = match command {
            Command::Run(f) => (
                Some(&f.connection),
                f.connection.state_dir.as_deref(),
                &f.display,
            ),
            Command::Resume(f) => (
                Some(&f.connection),
                f.connection.state_dir.as_deref(),
                &f.display,
            ),
            Command::Undo(f) => (
                Some(&f.connection),
                f.connection.state_dir.as_deref(),
                &f.display,
            ),
            Command::Audit(f) => (None, f.state_dir.as_deref(), &f.display),
        };
        if let Some(scenario) = connection.and_then(|c| c.replay.as_deref()) {
            // A scenario named where none can be found is bad input, said before anything.
            paths::scenario_dir(scenario)?;
        }
        Ok(Settings {
            lang: messages::resolve_lang(display.lang),
            output: display.output,
            state_dir_given: state_dir.is_some(),
            state_dir: paths::state_dir(state_dir)?,
            connection: connection.cloned(),
            lang_given: display.lang,
            runs_in: None,
            acts_in: None,
            live_progress: live_progress_here(display.output),
        })
    }

    /// The settings of a run driven from outside a command line (the fixture recorder).
    pub fn of_run(flags: &RunFlags) -> Result<Settings, Error> {
        Ok(Settings {
            lang: messages::resolve_lang(flags.display.lang),
            output: flags.display.output,
            state_dir: paths::state_dir(flags.connection.state_dir.as_deref())?,
            state_dir_given: flags.connection.state_dir.is_some(),
            connection: Some(flags.connection.clone()),
            lang_given: flags.display.lang,
            runs_in: None,
            acts_in: None,
            live_progress: live_progress_here(flags.display.output),
        })
    }

    /// The connection of a command that talks to AWS.
    pub fn connection(&self) -> &Connection {
        self.connection
            .as_ref()
            .expect("only commands with connection flags talk to AWS")
    }

    /// Refuses, before anything is done, a state directory a new run could not make: bad
    /// input, said before any call (nothing is made here).
    pub fn check_state_dir(&self) -> Result<(), Error> {
        if std::fs::metadata(&self.state_dir).is_ok_and(|m| !m.is_dir()) {
            // There, but not a folder: refused by name, as any run file that is not what it
            // should be (nothing is made).
            return runbook::files::private_dir(&self.state_dir);
        }
        match runbook::files::could_make_dir(&self.state_dir) {
            Err(source) => Err(Error::StateDirUnusable {
                path: self.state_dir.clone(),
                source,
            }),
            Ok(()) => Ok(()),
        }
    }

    /// These settings with the run kept in `dir`, where a located run lives
    /// ([`runbook::locate::Located::state_dir`]).
    pub fn running_in(&self, dir: &Path) -> Settings {
        Settings {
            runs_in: (dir != self.state_dir).then(|| dir.to_path_buf()),
            ..self.clone()
        }
    }

    /// The folder this command's run is kept in, made (as a private folder) when a run starts:
    /// the state directory, or the account folder set by [`Settings::running_in`].
    pub fn writable_state_dir(&self) -> Result<&Path, Error> {
        let dir = self.runs_in.as_ref().unwrap_or(&self.state_dir);
        match runbook::files::private_dir(dir) {
            Err(Error::Io { source, .. }) => Err(Error::StateDirUnusable {
                path: dir.clone(),
                source,
            }),
            Err(e) => Err(e),
            Ok(()) => Ok(dir),
        }
    }

    /// The exact command that continues the run or batch `id`, quoted for a POSIX shell: the
    /// program the operator ran, and every flag the resume needs: the connection it was
    /// given, `--yes` if it had it (without it, a resume before the confirmation would refuse
    /// without a terminal), and `--external-id <EXTERNAL_ID>` for a batch that needs one (the
    /// id is recorded nowhere, so the operator fills it in).
    pub fn resume_command(&self, id: &str, yes: bool, needs_external_id: bool) -> String {
        let mut args = paths::program_words();
        args.extend(["resume".into(), id.into()]);
        let mut flag = |name: &str, value: &str| args.extend([name.to_string(), value.to_string()]);
        if let Some(c) = &self.connection {
            if let Some(p) = &c.profile {
                flag("--profile", p);
            }
            if let Some(r) = &c.region {
                flag("--region", r);
            }
            if let Some(e) = &c.endpoint_url {
                flag(
                    "--endpoint-url",
                    &crate::output::display::without_userinfo(e),
                );
            }
            if let Some(s) = &c.replay {
                // A folder given by path is made absolute, so that the command also runs from
                // another directory; a checkout's scenario name stays a name.
                let path = std::path::Path::new(s);
                let is_path = s.contains('/') || path.is_absolute() || s == "." || s == "..";
                match std::path::absolute(path) {
                    Ok(absolute) if is_path => flag("--replay", &absolute.to_string_lossy()),
                    _ => flag("--replay", s),
                }
            }
            if self.state_dir_given {
                // Absolute, so that the command also runs from another directory.
                flag("--state-dir", &self.state_dir.to_string_lossy());
            }
            if c.concurrency != Connection::DEFAULT_CONCURRENCY {
                flag("--concurrency", &c.concurrency.to_string());
            }
        }
        if let Some(lang) = self.lang_given.and_then(|l| l.to_possible_value()) {
            flag("--lang", lang.get_name());
        }
        if self.output == Output::Json {
            flag("--output", "json");
        }
        if yes {
            args.push("--yes".into());
        }
        let mut command = quoted(&args);
        if needs_external_id {
            command.push_str(" --external-id <EXTERNAL_ID>");
        }
        command
    }
}

/// Whether progress may be drawn live (redrawn in place, with indicatif's cursor sequences):
/// only for a person (human output) at a terminal (stderr, where progress goes) that has not
/// asked for plain text (`NO_COLOR` set to anything but empty, `TERM=dumb`). Otherwise the
/// plain lines are all there is, so a log, a pipe or a script reads exactly what it did before.
pub fn live_progress(
    output: Output,
    stderr_is_terminal: bool,
    no_color: Option<&std::ffi::OsStr>,
    term: Option<&std::ffi::OsStr>,
) -> bool {
    output == Output::Human
        && stderr_is_terminal
        && no_color.is_none_or(|v| v.is_empty())
        && term.is_none_or(|t| t != "dumb")
}

/// [`live_progress`] for this process: its stderr and environment.
fn live_progress_here(output: Output) -> bool {
    use std::io::IsTerminal;
    // `-v` writes its own lines to stderr: the plain lines then, as off a terminal.
    !crate::verbose::is_on()
        && live_progress(
            output,
            std::io::stderr().is_terminal(),
            std::env::var_os("NO_COLOR").as_deref(),
            std::env::var_os("TERM").as_deref(),
        )
}

/// The command that verifies the log of `id` (run or batch), quoted for a POSIX shell.
impl Settings {
    pub fn verify_command(&self, id: &str) -> String {
        let mut args = paths::program_words();
        args.extend(["audit".into(), "verify".into(), id.into()]);
        if self.state_dir_given {
            args.extend([
                "--state-dir".into(),
                self.state_dir.to_string_lossy().into(),
            ]);
        }
        quoted(&args)
    }
}

/// `args` as one POSIX shell line.
fn quoted(args: &[String]) -> String {
    args.iter()
        // Arguments come from argv, the environment and run ids, which cannot hold a NUL byte.
        .map(|a| {
            shlex::try_quote(a)
                .expect("no NUL byte in an argument")
                .into_owned()
        })
        .collect::<Vec<_>>()
        .join(" ")
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

/// The display flags a command was given, for code that still takes them whole.
pub fn display_of(settings: &Settings) -> Display {
    Display {
        output: settings.output,
        lang: settings.lang_given,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    /// Drawn live only for a person at a terminal that did not ask for plain text.
    #[test]
    fn progress_is_live_only_on_a_terminal_that_wants_it() {
        let os = |s: &'static str| Some(OsStr::new(s));
        let live =
            |output, terminal, no_color, term| live_progress(output, terminal, no_color, term);
        assert!(live(Output::Human, true, None, os("xterm-256color")));
        assert!(live(Output::Human, true, None, None));
        // `NO_COLOR` set but empty does not count (no-color.org).
        assert!(live(Output::Human, true, os(""), os("xterm")));
        assert!(!live(Output::Human, false, None, os("xterm")), "a pipe");
        assert!(
            !live(Output::Json, true, None, os("xterm")),
            "--output json"
        );
        assert!(!live(Output::Human, true, os("1"), os("xterm")), "NO_COLOR");
        assert!(!live(Output::Human, true, None, os("dumb")), "TERM=dumb");
    }
}
