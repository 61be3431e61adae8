//! A batch's summary, shared by the batch command (at its end) and the audit views: its one
//! JSON document, the table of accounts, and the words for each account's state.

use std::fmt::Write as _;

use comfy_table::{presets, Table};
use runbook::batch::{self, AccountOutcome, AccountResult, BatchEnd};
use runbook::runbooks::Report;

use crate::flags::Lang;
use crate::messages::Msg;
use crate::output::json::{self, AccountRow, BatchDoc};

/// English or Japanese, side by side, so that neither can be missing.
pub fn t(lang: Lang, en: &str, ja: &str) -> String {
    match lang {
        Lang::En => en.to_string(),
        Lang::Ja => ja.to_string(),
    }
}

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

/// Why an account the organization listed is not in the batch.
pub fn skipped_why(state: &str, lang: Lang) -> String {
    t(
        lang,
        &format!("skipped: the organization lists it as {state} (only ACTIVE accounts are run)"),
        &format!("対象外: 組織での状態が {state} です (実行するのは ACTIVE のアカウントだけです)"),
    )
}

/// What an account was like before, in a few words: `trail SSE-KMS in 17 regions; bucket aws:kms`.
pub fn before_of(report: &Report, lang: Lang) -> String {
    let regions = encrypted_regions(report).len();
    let trail = if regions > 0 {
        t(
            lang,
            &format!("trail SSE-KMS in {regions} regions"),
            &format!("証跡 SSE-KMS ({regions} リージョン)"),
        )
    } else {
        t(lang, "trail not SSE-KMS", "証跡 SSE-KMS なし")
    };
    let buckets: Vec<String> = report
        .plan
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
                t(lang, "bucket not set", "バケット 未設定")
            } else {
                format!("{} {}", t(lang, "bucket", "バケット"), algorithms.join("+"))
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
fn encrypted_regions(report: &Report) -> Vec<String> {
    let changeable: Vec<&str> = report
        .status
        .changeable()
        .map(|t| t.trail.arn.as_str())
        .collect();
    report
        .status
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
    let mut table = Table::new();
    table.load_preset(presets::NOTHING);
    table.set_header(vec![
        t(lang, "Account", "アカウント"),
        t(lang, "Before", "変更前"),
        t(lang, "Writes", "書き込み"),
        t(lang, "Result", "結果"),
        t(lang, "Run", "実行"),
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
    let mut out = format!("\n{} {}\n", t(lang, "Batch", "バッチ"), doc.batch_id);
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
        t(
            lang,
            &format!(
                "{done} of {} accounts done, {writes} writes made.",
                doc.accounts.len()
            ),
            &format!(
                "{} アカウント中 {done} アカウント完了、書き込み {writes} 件。",
                doc.accounts.len()
            ),
        )
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
                t(lang, "", "(記録された英語のメッセージ) "),
                row.error.as_deref().unwrap_or_default()
            ),
        };
        let _ = writeln!(out, "  {}: {error}", row.account);
    }
    for s in &doc.skipped {
        let _ = writeln!(out, "  {}: {}", s.account, skipped_why(&s.state, lang));
    }
    out
}
