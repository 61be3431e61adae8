//! A batch's summary, shared by the batch command (at its end) and the audit views: its one
//! JSON document, the table of accounts, and the words for each account's state.

use std::fmt::Write as _;

use comfy_table::{presets, Table};
use runbook::batch::{self, AccountOutcome, AccountResult, BatchEnd};
use runbook::runbooks::Report;
use runbook::steps::{Plan, StatusReport};

use crate::flags::Lang;
use crate::messages::batch as words;
use crate::messages::Msg;
use crate::output::json::{self, AccountRow, BatchDoc};

/// The batch's one document: every account with its latest outcome, and this attempt's reports.
pub fn document(end: &BatchEnd, resume_command: Option<String>) -> BatchDoc {
    let results: std::collections::HashMap<&batch::AccountId, &AccountResult> =
        end.results.iter().map(|r| (&r.account, r)).collect();
    let accounts = end
        .journal
        .accounts()
        .into_iter()
        .map(|(account, ended)| {
            let this = results.get(&account).copied();
            let report = this.and_then(|r| r.report.as_ref());
            AccountRow {
                outcome: ended.as_ref().map(|e| e.outcome).into(),
                run_id: ended.as_ref().and_then(|e| e.run_id.clone()),
                writes_made: ended.as_ref().map_or(0, |e| e.writes_made),
                before: report.map(|r| before_of(r, Lang::En)),
                error: ended.as_ref().and_then(|e| e.error.clone()),
                report: report.and_then(|r| serde_json::to_value(r).ok()),
                account: account.to_string(),
            }
        })
        .collect();
    BatchDoc {
        batch_id: end.batch_id.clone(),
        batch_log: end.journal.path.clone(),
        final_hash: end.journal.final_hash().to_string(),
        resume_command,
        accounts,
        skipped: end
            .journal
            .started
            .skipped
            .iter()
            .map(|s| json::SkippedRow {
                account: s.account.to_string(),
                state: s.state.clone(),
            })
            .collect(),
    }
}

/// What an account was like before, in a few words: `trail SSE-KMS in 17 regions; bucket aws:kms`.
pub fn before_of(report: &Report, lang: Lang) -> String {
    before_text(&report.status, &report.plan, lang)
}

/// [`before_of`] from a run's status report and plan (as its journal holds them).
pub fn before_text(status: &StatusReport, plan: &Plan, lang: Lang) -> String {
    let w = words::of(lang);
    let regions = encrypted_regions(status).len();
    let trail = if regions > 0 {
        words::trail_kms_in(regions, lang)
    } else {
        w.trail_not_kms.to_string()
    };
    let buckets: Vec<String> = plan
        .buckets
        .iter()
        .map(|b| {
            let algorithms: Vec<&str> = b
                .current
                .rules
                .iter()
                .map(|r| r.sse_algorithm.as_str())
                .collect();
            if algorithms.is_empty() {
                w.bucket_not_set.to_string()
            } else {
                format!("{} {}", w.bucket, algorithms.join("+"))
            }
        })
        .collect();
    if buckets.is_empty() {
        trail
    } else {
        format!("{trail}; {}", buckets.join(", "))
    }
}

/// The regions where the status step saw a trail this run may change encrypted.
fn encrypted_regions(status: &StatusReport) -> Vec<String> {
    let changeable: Vec<&str> = status.changeable().map(|t| t.trail.arn.as_str()).collect();
    status
        .regions
        .iter()
        .filter(|r| match &r.scan {
            runbook::model::RegionScan::Scanned { trails } => trails
                .iter()
                .any(|t| t.encrypted() && changeable.contains(&t.arn.as_str())),
            _ => false,
        })
        .map(|r| r.region.clone())
        .collect()
}

pub fn outcome_word(outcome: impl Into<AccountOutcome>, lang: Lang) -> String {
    crate::messages::outcome_text(outcome.into(), lang)
}

/// The summary: one row per account, the totals, then each account's error: this attempt's in
/// the operator's language, an earlier attempt's as its batch journal recorded it (in English).
pub fn summary_table(doc: &BatchDoc, live: &[AccountResult], lang: Lang) -> String {
    let w = words::of(lang);
    let mut table = Table::new();
    table.load_preset(presets::NOTHING);
    table.set_header(vec![
        w.account_header,
        w.before_header,
        w.writes_header,
        w.result_header,
        w.run_header,
    ]);
    for row in &doc.accounts {
        table.add_row(vec![
            row.account.clone(),
            row.report
                .as_ref()
                .and_then(|r| serde_json::from_value::<Report>(r.clone()).ok())
                .map(|r| before_of(&r, lang))
                .unwrap_or_else(|| "-".into()),
            row.writes_made.to_string(),
            outcome_word(row.outcome, lang),
            row.run_id.clone().unwrap_or_else(|| "-".into()),
        ]);
    }
    let mut out = format!("\n{} {}\n", w.batch_title, doc.batch_id);
    for line in table.to_string().lines() {
        let _ = writeln!(out, "{}", line.trim_end());
    }
    let done = doc
        .accounts
        .iter()
        .filter(|a| a.outcome == AccountOutcome::Done)
        .count();
    let writes: usize = doc.accounts.iter().map(|a| a.writes_made).sum();
    let _ = writeln!(
        out,
        "{}",
        words::totals(done, doc.accounts.len(), writes, lang)
    );
    let live: std::collections::HashMap<&str, &AccountResult> =
        live.iter().map(|r| (r.account.as_str(), r)).collect();
    for row in doc.accounts.iter().filter(|a| a.error.is_some()) {
        let error = match live.get(row.account.as_str()).copied() {
            Some(AccountResult {
                error: Some(error), ..
            }) => Msg::Error(error).text(lang),
            _ => format!(
                "{}{}",
                w.recorded_in_english,
                row.error.as_deref().unwrap_or_default()
            ),
        };
        let _ = writeln!(out, "  {}: {error}", row.account);
    }
    for s in &doc.skipped {
        let _ = writeln!(
            out,
            "  {}: {}",
            s.account,
            words::skipped_why(&s.state, lang)
        );
    }
    out
}
