//! Where things are: which program the operator ran, the default state directory, and the
//! scenario folder `--replay` names. Nothing here depends on the machine the binary was built on.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use runbook::Error;

/// The command the operator ran, and where it runs from.
#[derive(Clone, Debug)]
pub struct Program {
    /// As printed in every command the tool shows (resume commands, hints, examples):
    /// `cloudtrail-revert`, or `cargo xtask`.
    pub name: &'static str,
    pub home: Home,
}

#[derive(Clone, Debug)]
pub enum Home {
    /// An installed binary: runs are kept under the user's XDG state directory, and `--replay`
    /// takes a scenario folder's path.
    Installed,
    /// A checkout of the workspace at this root (`cargo xtask`): runs are kept in `runs/`, and
    /// `--replay NAME` may name a scenario under `fixtures/`.
    Checkout(PathBuf),
}

impl Program {
    pub fn installed() -> Program {
        Program {
            name: "cloudtrail-revert",
            home: Home::Installed,
        }
    }

    /// `cargo xtask`, in the checkout at `root`.
    pub fn xtask(root: PathBuf) -> Program {
        Program {
            name: "cargo xtask",
            home: Home::Checkout(root),
        }
    }
}

/// The program's name as words of a command line (`cargo`, `xtask`).
pub fn program_words() -> Vec<String> {
    program().name.split(' ').map(str::to_string).collect()
}

static PROGRAM: OnceLock<Program> = OnceLock::new();

/// Said once, by [`crate::main`], before anything is shown.
pub fn set_program(program: Program) {
    let _ = PROGRAM.set(program);
}

/// The program being run (an installed binary until told otherwise).
pub fn program() -> &'static Program {
    PROGRAM.get_or_init(Program::installed)
}

/// The folder of state-directory defaults under the XDG base directories.
const STATE_FOLDER: &str = "cloudtrail-revert";

/// `--state-dir` (or RUNBOOK_STATE_DIR) as given, relative to the current directory; else the
/// program's default: `runs/` in a checkout; `$XDG_STATE_HOME/cloudtrail-revert`, else
/// `~/.local/state/cloudtrail-revert`, for an installed binary.
pub fn state_dir(flag: Option<&Path>) -> Result<PathBuf, Error> {
    if let Some(p) = flag {
        return Ok(std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf()));
    }
    match &program().home {
        Home::Checkout(root) => Ok(root.join("runs")),
        Home::Installed => installed_state_dir(
            std::env::var_os("XDG_STATE_HOME").map(PathBuf::from),
            std::env::var_os("HOME").map(PathBuf::from),
        ),
    }
}

/// The XDG rule: `$XDG_STATE_HOME` if it is an absolute path (a relative one is ignored, as the
/// specification says), else `$HOME/.local/state`.
fn installed_state_dir(
    xdg_state_home: Option<PathBuf>,
    home: Option<PathBuf>,
) -> Result<PathBuf, Error> {
    if let Some(xdg) = xdg_state_home.filter(|p| p.is_absolute()) {
        return Ok(xdg.join(STATE_FOLDER));
    }
    match home.filter(|p| p.is_absolute()) {
        Some(home) => Ok(home.join(".local/state").join(STATE_FOLDER)),
        None => Err(Error::NoStateDir),
    }
}

/// The folder `--replay` names: a path as given; a bare name is a scenario under `fixtures/`
/// of the checkout, which an installed binary does not have.
pub fn scenario_dir(name: &str) -> Result<PathBuf, Error> {
    let as_path = Path::new(name);
    let is_path = name.contains('/') || as_path.is_absolute() || name == "." || name == "..";
    match (&program().home, is_path) {
        (_, true) => Ok(std::path::absolute(as_path).unwrap_or_else(|_| as_path.to_path_buf())),
        (Home::Checkout(root), false) => Ok(root.join("fixtures").join(name)),
        (Home::Installed, false) => Err(Error::ReplayNeedsPath {
            name: name.to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_installed_state_dir_follows_xdg() {
        let dir = |xdg: Option<&str>, home: Option<&str>| {
            installed_state_dir(xdg.map(PathBuf::from), home.map(PathBuf::from))
        };
        assert_eq!(
            dir(Some("/x/state"), Some("/home/u")).unwrap(),
            Path::new("/x/state/cloudtrail-revert")
        );
        assert_eq!(
            dir(None, Some("/home/u")).unwrap(),
            Path::new("/home/u/.local/state/cloudtrail-revert")
        );
        // A relative XDG_STATE_HOME is not a base directory: ignored.
        assert_eq!(
            dir(Some("rel/state"), Some("/home/u")).unwrap(),
            Path::new("/home/u/.local/state/cloudtrail-revert")
        );
        assert!(matches!(dir(None, None), Err(Error::NoStateDir)));
        assert!(matches!(dir(Some(""), Some("")), Err(Error::NoStateDir)));
    }
}
