//! What is wrong with a line of a journal, typed where the reader decides it (the line format,
//! the chain, the folder, the cache's reach), so that the CLI says it in the operator's
//! language. The fold's transition checks and the few other checks keep their English sentence
//! (`Check`).

use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// Bytes that are not UTF-8: this tool never wrote them.
    NotUtf8,
    /// Not a JSON event line; `detail` is the parser's own text.
    NotAnEventLine { detail: String },
    /// A sequence number out of place: a line was deleted, added or moved.
    Sequence { found: u64, expected: u64 },
    /// `prev_hash` is not the previous line's hash.
    ChainBroken,
    /// A line of another run.
    OtherRun { found: String, log: String },
    /// The hash is not the hash of the line's content.
    HashMismatch,
    /// The line is not in the canonical form this tool writes.
    NotCanonical,
    /// A last line without its newline that is not a complete, chained event.
    Torn { bytes: u64 },
    /// An event of a known kind whose data does not parse; `detail` is the parser's text.
    EventUnparsable { event: String, detail: String },
    /// The fold refused the event where it stands.
    IllegalTransition(String),
    /// The log has no line at all.
    Empty,
    /// The journal's run id is not its folder's name.
    FolderRenamed { run_id: String, folder: String },
    /// A run of one account kept in another account's folder (`accounts/<id>/`).
    OtherAccountsFolder { account: String, folder: String },
    /// `state.json` has seen more lines than the log holds.
    LinesRemoved { log_lines: usize, seen: u64 },
    /// Any other check, in its English sentence.
    Check(String),
}

impl From<String> for Problem {
    fn from(sentence: String) -> Problem {
        Problem::Check(sentence)
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::NotUtf8 => write!(f, "not UTF-8 text: the line was changed"),
            Problem::NotAnEventLine { detail } => write!(f, "not a valid event line: {detail}"),
            Problem::Sequence { found, expected } => write!(
                f,
                "sequence number {found} where {expected} was expected (a line was deleted, \
                 added or moved)"
            ),
            Problem::ChainBroken => write!(
                f,
                "prev_hash does not match the previous line's hash (the chain is broken)"
            ),
            Problem::OtherRun { found, log } => {
                write!(f, "run id {found} differs from the log's {log}")
            }
            Problem::HashMismatch => write!(
                f,
                "hash does not match the event's content (the line was changed)"
            ),
            Problem::NotCanonical => write!(
                f,
                "the line is not in canonical form (the line was changed)"
            ),
            Problem::Torn { bytes } => write!(
                f,
                "a torn last line ({bytes} bytes without a newline, not a valid event chained to \
                 the line before): a process was killed while writing it. It was never \
                 acknowledged; `resume` cuts it"
            ),
            Problem::EventUnparsable { event, detail } => {
                write!(f, "a `{event}` event that does not parse: {detail}")
            }
            Problem::IllegalTransition(why) => write!(f, "illegal transition: {why}"),
            Problem::Empty => write!(
                f,
                "the log is empty: the run was stopped before it recorded anything, so it did \
                 nothing. Move its folder out of the state directory"
            ),
            Problem::FolderRenamed { run_id, folder } => write!(
                f,
                "the journal is of run {run_id}, but its folder is named {folder}: a run folder \
                 was renamed or copied. Give it back its name ({run_id}) or move it out of the \
                 state directory"
            ),
            Problem::OtherAccountsFolder { account, folder } => write!(
                f,
                "the journal is of a run in account {account}, but it is kept in account \
                 {folder}'s folder: a run folder was moved or copied. Move it back to \
                 accounts/{account}/ or out of the state directory"
            ),
            Problem::LinesRemoved { log_lines, seen } => write!(
                f,
                "the log ends at line {log_lines} but state.json has seen line {seen}: lines \
                 were removed"
            ),
            Problem::Check(sentence) => write!(f, "{sentence}"),
        }
    }
}
