//! The line format of `audit.jsonl`: one JSON object per line, append-only, fsynced per line,
//! each line's SHA-256 chained to the line before so that an edit, a deletion or a reordering
//! shows.
//!
//! A line is the canonical serialization of [`Record`] (fields in declaration order, object keys
//! of `data` as `serde_json::Value` orders them). `hash` is SHA-256 over the same line without
//! the `hash` field, with `prev_hash` being the previous line's `hash` (64 zeros for the first).
//! This layer knows nothing of what events mean: [`super::fold`] does.

use crate::problem::Problem;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::files;

pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One line of the log.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Record {
    pub seq: u64,
    pub ts: String,
    pub run_id: String,
    pub event: String,
    pub data: Value,
    pub prev_hash: String,
    pub hash: String,
}

/// The hashed part of a record: everything but `hash`, in the same order.
#[derive(Serialize)]
struct Body<'a> {
    seq: u64,
    ts: &'a str,
    run_id: &'a str,
    event: &'a str,
    data: &'a Value,
    prev_hash: &'a str,
}

impl Record {
    /// A record with its hash computed over everything else: what the writer appends. (Tests
    /// use it to forge logs whose chain is intact but whose story is not, which the fold must
    /// refuse.)
    pub fn sealed(
        seq: u64,
        ts: String,
        run_id: String,
        event: String,
        data: Value,
        prev_hash: String,
    ) -> Record {
        let mut record = Record {
            seq,
            ts,
            run_id,
            event,
            data,
            prev_hash,
            hash: String::new(),
        };
        record.hash = record.computed_hash();
        record
    }

    /// The line as it is written (without its newline).
    pub fn line(&self) -> String {
        serde_json::to_string(self).expect("records always serialize")
    }

    fn computed_hash(&self) -> String {
        let body = Body {
            seq: self.seq,
            ts: &self.ts,
            run_id: &self.run_id,
            event: &self.event,
            data: &self.data,
            prev_hash: &self.prev_hash,
        };
        let bytes = serde_json::to_vec(&body).expect("records always serialize");
        hex::encode(Sha256::digest(bytes))
    }
}

pub fn now_rfc3339() -> String {
    // RFC 3339 in UTC, with as many fractional digits as the instant needs.
    jiff::Timestamp::now().to_string()
}

/// Appends records to one run's log.
pub struct LogWriter {
    path: PathBuf,
    file: File,
    run_id: String,
    next_seq: u64,
    last_hash: String,
}

impl LogWriter {
    /// A new, empty log (refuses to overwrite one, or to write through a link).
    pub fn create(path: &Path, run_id: &str) -> Result<LogWriter> {
        let file = files::open(path, OpenOptions::new().append(true).create_new(true))?;
        Ok(LogWriter {
            path: path.to_path_buf(),
            file,
            run_id: run_id.to_string(),
            next_seq: 0,
            last_hash: GENESIS_HASH.to_string(),
        })
    }

    /// Continues a log whose records were read (and verified) already.
    pub fn reopen(path: &Path, last: &Record) -> Result<LogWriter> {
        let file = files::open(path, OpenOptions::new().append(true))?;
        Ok(LogWriter {
            path: path.to_path_buf(),
            file,
            run_id: last.run_id.clone(),
            next_seq: last.seq + 1,
            last_hash: last.hash.clone(),
        })
    }

    /// The sequence number of the next line (its line number, counting from 1, is one more).
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// Whether `last` is the last record this writer appended (the log was not written by
    /// anyone else since).
    pub fn follows(&self, last: &Record) -> bool {
        last.seq + 1 == self.next_seq && last.hash == self.last_hash && last.run_id == self.run_id
    }

    /// Whether the file at the log's path is still the one this writer appends to, whole: the
    /// same file (not replaced by a copy, however identical, nor moved away and back), a
    /// regular file, and ending with a newline (its last line not cut). A writer that goes on
    /// appending to a replaced file writes where nobody will read.
    pub fn still_its_file(&self) -> std::result::Result<(), String> {
        use std::os::unix::fs::{FileExt, MetadataExt};
        let held = self.file.metadata().map_err(|e| e.to_string())?;
        let named = std::fs::symlink_metadata(&self.path).map_err(|e| e.to_string())?;
        if !named.file_type().is_file()
            || named.dev() != held.dev()
            || named.ino() != held.ino()
            || held.nlink() != 1
        {
            return Err(
                "the file at its path is no longer the one this run writes to, alone \
                        (it was replaced, moved or linked to)"
                    .into(),
            );
        }
        // (The writer's own handle is append-only: the last byte is read through the path,
        // which was just found to name the same file, opened as every journal is: no link
        // followed, no FIFO waited on.)
        let mut last = [0u8; 1];
        let whole = held.len() == 0
            || files::open(&self.path, OpenOptions::new().read(true))
                .map_err(|e| std::io::Error::other(e.to_string()))
                .and_then(|f| f.read_exact_at(&mut last, held.len() - 1))
                .is_ok_and(|()| last[0] == b'\n');
        if !whole {
            return Err("its last line no longer ends with a newline (it was cut)".into());
        }
        Ok(())
    }

    /// The record the next append would write (for the caller to check before writing it).
    pub fn next(&self, event: String, data: Value) -> Record {
        Record::sealed(
            self.next_seq,
            now_rfc3339(),
            self.run_id.clone(),
            event,
            data,
            self.last_hash.clone(),
        )
    }

    /// Appends `record`, made by [`LogWriter::next`].
    pub fn append(&mut self, record: &Record) -> Result<()> {
        debug_assert_eq!(record.seq, self.next_seq);
        let mut line = record.line();
        line.push('\n');
        // One write of the whole line, then fsync: a record is either durable or absent (a crash
        // can at worst leave a torn last line, which `read` reports and resume cuts).
        self.file
            .write_all(line.as_bytes())
            .and_then(|_| self.file.sync_data())
            .map_err(Error::io(&self.path))?;
        self.next_seq += 1;
        self.last_hash = record.hash.clone();
        Ok(())
    }
}

/// How a log's last line stands: the one judgement both `audit verify` (through [`read`]) and
/// resume (through [`read_complete`] and [`repair_tail`]) make.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tail {
    /// The log is empty or ends with a newline.
    Whole,
    /// The last line is a complete record, in canonical form and chained to the line before;
    /// only its newline is missing. It is a record like any other (resume adds the newline).
    MissingNewline,
    /// The last line (`bytes` long, no newline) is not a complete, chained record: a process
    /// killed in the middle of an append left it, and it was never acknowledged.
    Torn { bytes: u64 },
}

/// Judges the last line of a log's bytes.
pub fn tail(bytes: &[u8]) -> Tail {
    if bytes.is_empty() || bytes.ends_with(b"\n") {
        return Tail::Whole;
    }
    let keep = bytes.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    let last = &bytes[keep..];
    let previous = match keep {
        0 => None,
        _ => {
            let before = &bytes[..keep - 1];
            let start = before
                .iter()
                .rposition(|b| *b == b'\n')
                .map_or(0, |i| i + 1);
            match parse_sealed(&before[start..]) {
                Some(record) => Some(record),
                // The line before is not a record either: the last line cannot chain to it.
                None => {
                    return Tail::Torn {
                        bytes: last.len() as u64,
                    }
                }
            }
        }
    };
    let chained = parse_sealed(last).is_some_and(|r| match &previous {
        None => r.seq == 0 && r.prev_hash == GENESIS_HASH,
        Some(p) => r.seq == p.seq + 1 && r.prev_hash == p.hash,
    });
    if chained {
        Tail::MissingNewline
    } else {
        Tail::Torn {
            bytes: last.len() as u64,
        }
    }
}

/// A line that is a record in canonical form whose hash matches its content.
fn parse_sealed(line: &[u8]) -> Option<Record> {
    let text = std::str::from_utf8(line).ok()?;
    let record: Record = serde_json::from_str(text).ok()?;
    (record.line() == text && record.computed_hash() == record.hash).then_some(record)
}

/// Makes the log's end whole before a resume appends to it: a missing newline after a complete
/// record is added; a torn last line ([`Tail::Torn`]) is cut off. Returns how many bytes were
/// cut. The caller decides first that the run may be resumed at all (nothing is ever cut from
/// a finished run).
pub fn repair_tail(path: &Path) -> Result<Option<u64>> {
    let bytes = files::read(path)?;
    match tail(&bytes) {
        Tail::Whole => Ok(None),
        Tail::MissingNewline => {
            let mut file = files::open(path, OpenOptions::new().append(true))?;
            file.write_all(b"\n")
                .and_then(|_| file.sync_all())
                .map_err(Error::io(path))?;
            Ok(None)
        }
        Tail::Torn { bytes: torn } => {
            let keep = bytes.len() as u64 - torn;
            let file = files::open(path, OpenOptions::new().write(true))?;
            file.set_len(keep)
                .and_then(|_| file.sync_all())
                .map_err(Error::io(path))?;
            Ok(Some(torn))
        }
    }
}

/// Reads a log and checks every line: well-formed, canonical, in sequence, chained, one run. A
/// torn last line ([`Tail::Torn`]) is an error naming it (resume cuts it).
pub fn read(path: &Path) -> Result<Vec<Record>> {
    let (records, tail) = read_complete(path)?;
    match tail {
        Tail::Torn { bytes } => Err(Error::AuditCorrupt {
            path: path.to_path_buf(),
            line: records.len() + 1,
            problem: Problem::Torn { bytes },
        }),
        _ => Ok(records),
    }
}

/// [`read`], but a torn last line is left out (and said) rather than refused: what resume reads
/// before it decides whether to repair the log.
pub fn read_complete(path: &Path) -> Result<(Vec<Record>, Tail)> {
    let bytes = files::read(path)?;
    let tail = tail(&bytes);
    let complete = match tail {
        Tail::Torn { bytes: torn } => &bytes[..bytes.len() - torn as usize],
        _ => &bytes[..],
    };
    Ok((read_lines(path, complete)?, tail))
}

fn read_lines(path: &Path, bytes: &[u8]) -> Result<Vec<Record>> {
    let mut records: Vec<Record> = Vec::new();
    for (index, line) in bytes.split_inclusive(|b| *b == b'\n').enumerate() {
        let lineno = index + 1;
        let corrupt = |problem: Problem| Error::AuditCorrupt {
            path: path.to_path_buf(),
            line: lineno,
            problem,
        };
        let line = line.strip_suffix(b"\n").unwrap_or(line);
        // Strictly: bytes that are not UTF-8 were not written by this tool.
        let line = std::str::from_utf8(line).map_err(|_| corrupt(Problem::NotUtf8))?;
        let record: Record = serde_json::from_str(line).map_err(|e| {
            corrupt(Problem::NotAnEventLine {
                detail: e.to_string(),
            })
        })?;
        let expected_seq = index as u64;
        if record.seq != expected_seq {
            return Err(corrupt(Problem::Sequence {
                found: record.seq,
                expected: expected_seq,
            }));
        }
        let expected_prev = records.last().map_or(GENESIS_HASH, |p| p.hash.as_str());
        if record.prev_hash != expected_prev {
            return Err(corrupt(Problem::ChainBroken));
        }
        if let Some(first) = records.first() {
            if record.run_id != first.run_id {
                return Err(corrupt(Problem::OtherRun {
                    found: record.run_id.clone(),
                    log: first.run_id.clone(),
                }));
            }
        }
        if record.computed_hash() != record.hash {
            return Err(corrupt(Problem::HashMismatch));
        }
        if record.line() != line {
            return Err(corrupt(Problem::NotCanonical));
        }
        records.push(record);
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(seq: u64, prev: &str) -> Record {
        Record::sealed(
            seq,
            "2026-12-04T00:00:00Z".into(),
            "20261204T000000.000Z-0000".into(),
            "warning".into(),
            serde_json::json!({ "n": seq }),
            prev.into(),
        )
    }

    #[test]
    fn the_last_line_is_judged_once_for_verify_and_resume() {
        let first = record(0, GENESIS_HASH);
        let second = record(1, &first.hash);
        let whole = format!("{}\n{}\n", first.line(), second.line());
        assert_eq!(tail(whole.as_bytes()), Tail::Whole);
        assert_eq!(tail(b""), Tail::Whole);
        // Complete and chained, only the newline missing: a record like any other.
        let no_newline = whole.trim_end();
        assert_eq!(tail(no_newline.as_bytes()), Tail::MissingNewline);
        assert_eq!(tail(first.line().as_bytes()), Tail::MissingNewline);
        // Cut in the middle of the append.
        let cut = &no_newline[..no_newline.len() - 10];
        let torn = (second.line().len() - 10) as u64;
        assert_eq!(tail(cut.as_bytes()), Tail::Torn { bytes: torn });
        // A sealed record that does not chain to the line before is no complete record here.
        let unchained = record(1, GENESIS_HASH);
        let text = format!("{}\n{}", first.line(), unchained.line());
        assert_eq!(
            tail(text.as_bytes()),
            Tail::Torn {
                bytes: unchained.line().len() as u64
            }
        );

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.jsonl");
        std::fs::write(&path, no_newline).unwrap();
        assert_eq!(read(&path).unwrap().len(), 2, "verify accepts it");
        assert_eq!(repair_tail(&path).unwrap(), None, "nothing cut");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), whole);
        std::fs::write(&path, cut).unwrap();
        let err = read(&path).unwrap_err().to_string();
        assert!(
            err.contains("line 2") && err.contains("torn last line"),
            "{err}"
        );
        assert_eq!(repair_tail(&path).unwrap(), Some(torn));
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            format!("{}\n", first.line())
        );
    }
}
