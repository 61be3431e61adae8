//! The state directory: one folder per run (`<state-dir>/<run-id>/`), run ids that sort by time,
//! and which run `resume` continues when none is named.

use std::path::Path;

use crate::error::{Error, Result};
use crate::journal::{self, AUDIT_FILE};
use crate::model::Runbook;

pub fn new_run_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    let now = jiff::Timestamp::now();
    // Milliseconds: runs started within one second still sort in the order they started, so
    // that `latest` is the latest.
    let stamp = now.strftime("%Y%m%dT%H%M%S%.3fZ").to_string();
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(now.as_nanosecond() as u128);
    h.write_u32(std::process::id());
    format!("{stamp}-{:04x}", h.finish() & 0xffff)
}

/// Whether `id` has the shape [`new_run_id`] makes (`20250105T021500.412Z-3f2a`): a run id
/// read from a journal is used as a folder name, so anything else (a path, `..`) is refused.
pub fn is_run_id(id: &str) -> bool {
    let b = id.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    b.len() == 25
        && digits(0..8)
        && b[8] == b'T'
        && digits(9..15)
        && b[15] == b'.'
        && digits(16..19)
        && b[19] == b'Z'
        && b[20] == b'-'
        && b[21..]
            .iter()
            .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(c))
}

/// Run folders in the state directory, oldest first (run ids sort by time, to the millisecond).
/// The state directory must be this user's and writable by no one else.
pub fn run_ids(state_dir: &Path) -> Result<Vec<String>> {
    crate::files::check_state_dir(state_dir)?;
    let mut ids = Vec::new();
    let entries = match std::fs::read_dir(state_dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(ids),
        Err(e) => return Err(Error::io(state_dir)(e)),
    };
    for entry in entries {
        let entry = entry.map_err(Error::io(state_dir))?;
        if entry.path().join(AUDIT_FILE).exists() {
            ids.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    ids.sort();
    Ok(ids)
}

/// Resolves `latest` (or nothing) and checks that the run exists.
pub fn resolve(state_dir: &Path, wanted: Option<&str>) -> Result<String> {
    let ids = run_ids(state_dir)?;
    match wanted {
        None | Some("latest") => ids.last().cloned().ok_or_else(|| Error::NoSuchRun {
            run_id: "latest".into(),
            dir: state_dir.into(),
        }),
        Some(id) if ids.iter().any(|i| i == id) => Ok(id.to_string()),
        Some(id) => Err(Error::NoSuchRun {
            run_id: id.into(),
            dir: state_dir.into(),
        }),
    }
}

/// Resolves a run id as an operator names the run a command acts on: `latest` is the newest
/// run of `runbook` (not a run this command is about to open).
pub fn resolve_latest_of(state_dir: &Path, wanted: &str, runbook: Runbook) -> Result<String> {
    if wanted != "latest" {
        return resolve(state_dir, Some(wanted));
    }
    for id in run_ids(state_dir)?.iter().rev() {
        let journal = journal::load(&state_dir.join(id))?;
        if journal.started.runbook == runbook {
            return Ok(id.clone());
        }
    }
    Err(Error::NoSuchRun {
        run_id: format!("latest ({})", runbook.name()),
        dir: state_dir.into(),
    })
}

/// The newest run that `resume` can continue, judged from its journal (not its cache). A run
/// whose journal cannot be read is not silently passed over: the error says so. A torn last
/// line (which resume cuts) does not hide a run from it.
pub fn latest_resumable(state_dir: &Path) -> Result<String> {
    for id in run_ids(state_dir)?.iter().rev() {
        if journal::load_complete(&state_dir.join(id))?
            .0
            .fold
            .resumable()
        {
            return Ok(id.clone());
        }
    }
    Err(Error::NothingToResume {
        dir: state_dir.into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_ids_have_one_shape() {
        assert!(is_run_id(&new_run_id()));
        assert!(is_run_id("20250105T021500.412Z-3f2a"));
        for bad in [
            "",
            "/tmp/20250105T021500.412Z-3f2a",
            "../20250105T021500.412Z-3f2",
            "20250105T021500.412Z-3f2A",
            "20250105T021500.412Z-3f2a/..",
            "batch-20250105T021500.412Z-3f2a",
        ] {
            assert!(!is_run_id(bad), "{bad}");
        }
    }
}
