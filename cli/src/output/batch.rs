//! A batch's summary, shared by the batch command (at its end) and the audit views: its one
//! JSON document, the table of accounts, and the words for each account's state.

use std::fmt::Write as _;

use comfy_table::{presets, Table};
use runbook::batch::{self, AccountOutcome, AccountResult, BatchEnd, Before};

use crate::flags::Lang;
use crate::messages::batch as words;
use crate::messages::Msg;
use crate::output::json::{self, AccountRow, BatchDoc};

/// The batch's one document: every account with its latest outcome, and this attempt's reports
/// (`with_reports`: read back from each account's journal, one at a time; the terminal's
/// summary needs none). A report that does not read back is named in its row
/// (`report_error`), and the first such error is returned beside the document.
pub fn document(
    end: &BatchEnd,
    resume_command: Option<String>,
    with_reports: bool,
) -> (BatchDoc, Option<runbook::Error>) {
    let results: std::collections::HashMap<&batch::AccountId, &AccountResult> =
        end.results.iter().map(|r| (&r.account, r)).collect();
    let mut unreadable = None;
    let accounts = end
        .journal
        .accounts()
        .into_iter()
        .map(|(account, ended)| {
            let this = results.get(&account).copied();
            let (report, report_error) =
                match this.filter(|_| with_reports).map(|r| end.report_of(r)) {
                    None | Some(Ok(None)) => (None, None),
                    Some(Ok(Some(report))) => (Some(report), None),
                    Some(Err(error)) => {
                        let said = error.to_string();
                        unreadable.get_or_insert(error);
                        (None, Some(said))
                    }
                };
            AccountRow {
                outcome: ended.as_ref().map(|e| e.outcome).into(),
                run_id: ended.as_ref().and_then(|e| e.run_id.clone()),
                writes_made: ended.as_ref().map_or(0, |e| e.writes_made),
                before: this
                    .and_then(|r| r.before.as_ref())
                    .map(|b| before_words(b, Lang::En)),
                error: ended.as_ref().and_then(|e| e.error.clone()),
                report: report.and_then(|r| serde_json::to_value(r).ok()),
                report_error,
                account: account.to_string(),
            }
        })
        .collect();
    let doc = BatchDoc {
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
    };
    (doc, unreadable)
}

/// What an account was like before, in a few words: `trail SSE-KMS in 17 regions; bucket aws:kms`.
pub fn before_words(before: &Before, lang: Lang) -> String {
    let w = words::of(lang);
    let trail = if before.encrypted_regions > 0 {
        words::trail_kms_in(before.encrypted_regions, lang)
    } else {
        w.trail_not_kms.to_string()
    };
    let buckets: Vec<String> = before
        .buckets
        .iter()
        .map(|algorithms| {
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

pub fn outcome_word(outcome: impl Into<AccountOutcome>, lang: Lang) -> String {
    crate::messages::outcome_text(outcome.into(), lang)
}

/// The summary: one row per account, the totals, then each account's error: this attempt's in
/// the operator's language, an earlier attempt's as its batch journal recorded it (in English).
pub fn summary_table(doc: &BatchDoc, live: &[AccountResult], lang: Lang) -> String {
    let w = words::of(lang);
    let live: std::collections::HashMap<&str, &AccountResult> =
        live.iter().map(|r| (r.account.as_str(), r)).collect();
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
            live.get(row.account.as_str())
                .and_then(|r| r.before.as_ref())
                .map(|b| before_words(b, lang))
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
