//! `state.json`: a cache of the journal, beside it, so that `audit list` and a glance need not
//! fold the log. It is a pure function of the log's first `last_seq + 1` lines, and it is never
//! believed over the log: resume and `audit verify` fold the log, derive what `state.json` must
//! say, and refuse naming the first field that differs.

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::event::{RunStarted, FORMAT};
use super::fold::{Fold, RunStatus, StepRecord};
use crate::error::{Error, Result};
use crate::files;
use crate::model::{Args, Runbook};

pub const STATE_FILE: &str = "state.json";

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RunState {
    pub format: u32,
    pub run_id: String,
    pub runbook: Runbook,
    pub args: Args,
    pub tool_version: String,
    pub account: String,
    pub caller_arn: String,
    pub status: RunStatus,
    pub resumable: bool,
    pub started: String,
    pub updated: String,
    pub attempts: u32,
    pub steps: Vec<StepRecord>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub last_seq: u64,
    pub last_hash: String,
}

impl RunState {
    /// What `state.json` says after the events folded into `fold`, which began with `started`.
    pub fn of(started: &RunStarted, fold: &Fold) -> RunState {
        RunState {
            format: FORMAT,
            run_id: fold.run_id().to_string(),
            runbook: started.runbook,
            args: started.args.clone(),
            tool_version: started.tool_version.clone(),
            account: started.account.clone(),
            caller_arn: started.caller_arn.clone(),
            status: fold.status().unwrap_or(RunStatus::Running),
            resumable: fold.resumable(),
            started: fold.started_at().to_string(),
            updated: fold.updated_at().to_string(),
            attempts: fold.attempts(),
            steps: fold.steps().to_vec(),
            error: fold.error().map(str::to_string),
            last_seq: fold.last_seq(),
            last_hash: fold.last_hash().to_string(),
        }
    }

    pub fn save(&self, run_dir: &Path) -> Result<()> {
        let bytes = serde_json::to_vec_pretty(self).expect("state serializes");
        files::write_atomic(&run_dir.join(STATE_FILE), &bytes)
    }
}

/// `state.json` as it is on disk, parsed only as far as JSON: comparing it with the log's
/// version of it names the field that was changed, whatever was changed.
pub fn load_raw(run_dir: &Path) -> Result<Value> {
    let path = run_dir.join(STATE_FILE);
    let bytes = files::read(&path)?;
    serde_json::from_slice(&bytes).map_err(|e| Error::StateCorrupt {
        path,
        problem: format!("it is not JSON: {e}"),
    })
}

/// The first place where `cached` differs from `truth`, as a dotted path (`args.dry_run`).
pub fn first_difference(cached: &Value, truth: &Value, at: &str) -> Option<String> {
    let here = |key: &str| {
        if at.is_empty() {
            key.to_string()
        } else {
            format!("{at}.{key}")
        }
    };
    match (cached, truth) {
        (Value::Object(c), Value::Object(t)) => {
            for (key, tv) in t {
                match c.get(key) {
                    Some(cv) => {
                        if let Some(d) = first_difference(cv, tv, &here(key)) {
                            return Some(d);
                        }
                    }
                    None => return Some(here(key)),
                }
            }
            c.keys().find(|k| !t.contains_key(*k)).map(|k| here(k))
        }
        (Value::Array(c), Value::Array(t)) => {
            if c.len() != t.len() {
                return Some(at.to_string());
            }
            c.iter()
                .zip(t)
                .enumerate()
                .find_map(|(i, (cv, tv))| first_difference(cv, tv, &format!("{at}[{i}]")))
        }
        (c, t) if c == t => None,
        _ => Some(at.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_first_difference_is_named_by_its_path() {
        let truth = json!({"args": {"trail": "Members", "dry_run": false}, "steps": [1, 2]});
        assert_eq!(first_difference(&truth, &truth, ""), None);
        let edited = json!({"args": {"trail": "Other", "dry_run": false}, "steps": [1, 2]});
        assert_eq!(
            first_difference(&edited, &truth, "").as_deref(),
            Some("args.trail")
        );
        let extra =
            json!({"args": {"trail": "Members", "dry_run": false}, "steps": [1, 2], "x": 1});
        assert_eq!(first_difference(&extra, &truth, "").as_deref(), Some("x"));
        let shorter = json!({"args": {"trail": "Members", "dry_run": false}, "steps": [1]});
        assert_eq!(
            first_difference(&shorter, &truth, "").as_deref(),
            Some("steps")
        );
    }
}
