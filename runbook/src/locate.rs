//! Where a run lives. Every run id the tool prints names one run: a single run's folder is
//! `<state-dir>/<run-id>/`, a batch account's is `<state-dir>/accounts/<account>/<run-id>/`
//! (that account's own state directory). Run ids are unique (time to the millisecond and a
//! random part), so an id is looked up in both places and an operator never has to know which.

use std::path::{Path, PathBuf};

use crate::batch::accounts::AccountId;
use crate::batch::journal::{account_state_dir, ACCOUNTS_DIR};
use crate::error::{Error, Result};
use crate::journal::AUDIT_FILE;
use crate::model::Runbook;
use crate::problem::Problem;
use crate::runs;

/// A run found by its id: the state directory holding its folder, and the id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Located {
    /// The state directory itself, or a batch account's `accounts/<account>/`.
    pub state_dir: PathBuf,
    pub run_id: String,
}

impl Located {
    /// The run's folder.
    pub fn dir(&self) -> PathBuf {
        self.state_dir.join(&self.run_id)
    }
}

/// The run `wanted` names: `latest` (or nothing) is the newest single run, as before; an id is
/// looked for among the single runs, then in every account folder a batch made. Each folder
/// on the way is checked as the state directory is (this user's, writable by no one else, no
/// link). An id found nowhere is [`Error::NoSuchRun`] naming the state directory.
pub fn locate(state_dir: &Path, wanted: Option<&str>) -> Result<Located> {
    let single = |run_id: String| Located {
        state_dir: state_dir.to_path_buf(),
        run_id,
    };
    let id = match wanted {
        None | Some("latest") => return runs::resolve(state_dir, wanted).map(single),
        Some(id) => id,
    };
    let not_found = || Error::NoSuchRun {
        run_id: id.into(),
        dir: state_dir.into(),
    };
    if runs::run_ids(state_dir)?.iter().any(|i| i == id) {
        return Ok(single(id.to_string()));
    }
    // Only an id of a run's shape is looked for in the account folders: anything else (a path,
    // `..`) never becomes part of one.
    if !runs::is_run_id(id) {
        return Err(not_found());
    }
    for account in batch_accounts(state_dir)? {
        let dir = account_state_dir(state_dir, &account)?;
        if dir.join(id).join(AUDIT_FILE).exists() {
            // A run found by its account's folder must be of that account: a run moved into
            // another's folder would be undone, resumed or shown as that account's.
            let started = crate::journal::load(&dir.join(id))?.started;
            if started.account != account.as_str() {
                return Err(Error::AuditCorrupt {
                    path: dir.join(id).join(AUDIT_FILE),
                    line: 1,
                    problem: Problem::OtherAccountsFolder {
                        account: started.account,
                        folder: account.to_string(),
                    },
                });
            }
            return Ok(Located {
                state_dir: dir,
                run_id: id.to_string(),
            });
        }
    }
    Err(not_found())
}

/// [`locate`] as a command names the run it acts on: `latest` is the newest single run of
/// `runbook` ([`runs::resolve_latest_of`]); an id is found wherever it is.
pub fn locate_latest_of(state_dir: &Path, wanted: &str, runbook: Runbook) -> Result<Located> {
    if wanted == "latest" {
        return Ok(Located {
            state_dir: state_dir.to_path_buf(),
            run_id: runs::resolve_latest_of(state_dir, wanted, runbook)?,
        });
    }
    locate(state_dir, Some(wanted))
}

/// The accounts that have a folder under `<state-dir>/accounts/`, in order. A name there that
/// is not an account id is not the tool's and is passed over.
pub fn batch_accounts(state_dir: &Path) -> Result<Vec<AccountId>> {
    let dir = state_dir.join(ACCOUNTS_DIR);
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(&dir)(e)),
    };
    let mut accounts = Vec::new();
    for entry in entries {
        let entry = entry.map_err(Error::io(&dir))?;
        if let Ok(account) = AccountId::parse(&entry.file_name().to_string_lossy(), "") {
            if entry.file_name().to_str() == Some(account.as_str()) {
                accounts.push(account);
            }
        }
    }
    accounts.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    Ok(accounts)
}
