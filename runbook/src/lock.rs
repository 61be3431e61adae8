//! One run at a time per state directory: an OS advisory lock (`flock` on Unix) on
//! `<state-dir>/lock`.
//!
//! The kernel decides who holds it and releases it when the holding process ends, however it
//! ends: there is no staleness to judge and nothing to take over. The holder's details written
//! into the file only make the refusal message helpful; they decide nothing. Because it is a
//! plain `flock`, an operator's script can hold it too (`flock runs/lock …`) to keep runs out.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::files;

/// The lock file says this much about its holder; a file written by someone else (an operator's
/// `flock`) or not yet written says nothing, and the holder is then unknown.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct LockHolder {
    pub pid: u32,
    pub host: String,
    pub started: String,
    pub run_id: String,
}

/// Held while a run or resume is going; the kernel releases it when the file is closed (on drop,
/// or when the process dies).
#[derive(Debug)]
pub struct Lock {
    file: File,
}

/// This machine's name, for the refusal message only.
pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown-host".into())
}

/// The lock file holds a few hundred bytes at most; anything longer is not ours.
const HOLDER_MAX_BYTES: u64 = 4096;

impl Lock {
    /// Takes the lock without waiting, or refuses naming the holder as far as the lock file says.
    pub fn acquire(state_dir: &Path, run_id: &str) -> Result<Lock> {
        let path = state_dir.join("lock");
        // Never truncate on open: until the lock is ours, the file's contents are the holder's.
        // Opened as a run file is: never through a link planted in its place, only a regular
        // file of this user with no other name (a hard link), checked before anything is written.
        let mut file = files::open(
            &path,
            OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false),
        )?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(Error::Locked {
                    holder: read_holder(&mut file).map(|h| {
                        format!(
                            "run {}, pid {} on {}, since {}",
                            h.run_id, h.pid, h.host, h.started
                        )
                    }),
                    path,
                })
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(Error::io(&path)(e)),
        }
        let me = LockHolder {
            pid: std::process::id(),
            host: hostname(),
            started: crate::journal::now_rfc3339(),
            run_id: run_id.to_string(),
        };
        let body = serde_json::to_vec_pretty(&me).expect("lock holder serializes");
        // The offset is still 0: nothing was read from a file we got the lock of.
        file.set_len(0)
            .and_then(|_| file.write_all(&body))
            .map_err(Error::io(&path))?;
        Ok(Lock { file })
    }
}

/// The holder as the lock file names it; `None` for an empty file (a holder that has not written
/// yet, or an operator's `flock`), garbage, or bytes that are not even UTF-8.
fn read_holder(file: &mut File) -> Option<LockHolder> {
    let mut bytes = Vec::new();
    Read::take(&mut *file, HOLDER_MAX_BYTES)
        .read_to_end(&mut bytes)
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

impl Drop for Lock {
    fn drop(&mut self) {
        // Clear our details while still holding the lock, so that a later refusal (by an
        // operator's `flock`) does not name a run that has ended. The file itself stays: deleting
        // a locked file lets the next opener lock the deleted inode while a third creates and
        // locks a new one, and both would run.
        let _ = self.file.set_len(0);
    }
}
