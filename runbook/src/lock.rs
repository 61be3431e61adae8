//! One run at a time per state directory: a lock file created exclusively, naming its holder.

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct LockHolder {
    pub pid: u32,
    pub host: String,
    pub started: String,
    pub run_id: String,
}

/// Held while a run or resume is going; removed on drop.
#[derive(Debug)]
pub struct Lock {
    path: PathBuf,
}

pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "unknown-host".into())
}

fn process_alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

impl Lock {
    /// Takes the lock, or refuses naming the holder. A lock left by a process of this host that
    /// no longer exists is taken over; the stale holder is returned so the takeover can be logged.
    pub fn acquire(state_dir: &Path, run_id: &str) -> Result<(Lock, Option<LockHolder>)> {
        let path = state_dir.join("lock");
        let me = LockHolder {
            pid: std::process::id(),
            host: hostname(),
            started: crate::journal::now_rfc3339(),
            run_id: run_id.to_string(),
        };
        let mut taken_over = None;
        for _ in 0..2 {
            match OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&path)
            {
                Ok(mut file) => {
                    let body = serde_json::to_vec_pretty(&me).expect("lock holder serializes");
                    file.write_all(&body)
                        .and_then(|_| file.sync_all())
                        .map_err(Error::io(&path))?;
                    return Ok((Lock { path }, taken_over));
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let text = std::fs::read_to_string(&path).map_err(Error::io(&path))?;
                    let holder: Option<LockHolder> = serde_json::from_str(&text).ok();
                    match holder {
                        Some(h) if h.host == me.host && !process_alive(h.pid) => {
                            std::fs::remove_file(&path).map_err(Error::io(&path))?;
                            taken_over = Some(h);
                        }
                        Some(h) => {
                            return Err(Error::Locked {
                                path,
                                run_id: h.run_id,
                                pid: h.pid,
                                host: h.host,
                                started: h.started,
                            })
                        }
                        // An unreadable lock (a crash while writing it): treat as stale.
                        None => {
                            std::fs::remove_file(&path).map_err(Error::io(&path))?;
                            taken_over = Some(LockHolder {
                                pid: 0,
                                host: "unknown".into(),
                                started: String::new(),
                                run_id: String::new(),
                            });
                        }
                    }
                }
                Err(e) => return Err(Error::Io { path, source: e }),
            }
        }
        Err(Error::Io {
            path,
            source: std::io::Error::other("the lock kept reappearing while taking it over"),
        })
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}
