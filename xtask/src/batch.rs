//! `run revert|status --accounts|--accounts-file|--organization` and `resume BATCH_ID`: one
//! runbook over many accounts (the library's `runbook::batch`), the one question for all of
//! them, and the summary table.

use runbook::finding::{Finding, Found};
use std::fmt::Write as _;
use std::future::Future;
use std::io::IsTerminal;
use std::pin::Pin;

use anyhow::Result;
use comfy_table::{presets, Table};
use runbook::batch::{
    self, AccountOutcome, AccountPlan, AccountResult, AccountsWanted, BatchBegin, BatchEnd,
    BatchOperator, BatchSession, BatchStarted, Connector, Limits, NotAsked, Outcome,
};
use runbook::journal::ConfirmVia;
use runbook::model::Runbook;
use runbook::runbooks::Report;
use runbook::steps::Settings;
use runbook::Error;

use crate::flags::{Connection, Display, Lang, Output, ResumeFlags, RunFlags, RunbookName};
use crate::json::{self, AccountRow, BatchDoc, BatchFailure};
use crate::messages::Msg;
use crate::{connect, out, paths, render, run};

/// English or Japanese, side by side, so that neither can be missing.
fn t(lang: Lang, en: &str, ja: &str) -> String {
    match lang {
        Lang::En => en.to_string(),
        Lang::Ja => ja.to_string(),
    }
}

/// `http`: the HTTP client of the caller's and of each account's service clients (never the
/// credential providers'): the fixture recorder gives each its own recording. `replays`
/// receives the replayers of a replayed batch.
pub async fn run(
    flags: RunFlags,
    http: Option<connect::Transport>,
    replays: connect::Replays,
) -> Result<()> {
    let runbook = match flags.runbook {
        RunbookName::Revert => Runbook::Revert,
        RunbookName::Status => Runbook::Status,
    };
    if runbook != Runbook::Status && (flags.check || flags.since.is_some()) {
        anyhow::bail!(Error::RecheckNeedsStatus);
    }
    if runbook == Runbook::Revert && !flags.dry_run && !flags.yes && !std::io::stdin().is_terminal()
    {
        return Err(Error::ConfirmationUnavailable.into());
    }
    let args = run::args_of(&flags);
    let b = &flags.batch;
    let wanted = AccountsWanted {
        accounts: batch::accounts::parse_all(&b.accounts, "--accounts")?,
        files: b
            .accounts_files
            .iter()
            .map(|f| std::path::absolute(f).unwrap_or_else(|_| f.clone()))
            .collect(),
        organization: b.organization,
        exclude: batch::accounts::parse_all(&b.exclude_accounts, "--exclude-account")?,
    };
    // Bad ids and unreadable files are refused before credentials are looked for, and so is a
    // `--since` that names no run or batch of these accounts.
    let (listed, _) = batch::accounts::listed(&wanted)?;
    if let Some(since) = &flags.since {
        let state_dir = paths::state_dir(flags.connection.state_dir.as_deref());
        since_known(
            &state_dir,
            since,
            (!wanted.organization).then_some(&listed[..]),
        )?;
    }
    let begin = BatchBegin::New {
        runbook,
        args,
        wanted,
        role_name: b.role_name().to_string(),
        external_id: b.external_id.is_some(),
        limits: Limits {
            max_concurrent_accounts: b.max_concurrent_accounts().into(),
            max_errors: b.max_errors.map(|n| n as usize),
        },
    };
    let end = drive(
        begin,
        b.external_id.clone(),
        b.max_calls_in_flight().into(),
        flags.yes,
        &flags.connection,
        &flags.display,
        http,
        replays,
    )
    .await?;
    let command = match runbook {
        Runbook::Status => "run status",
        _ => "run revert",
    };
    finish(
        end,
        flags.check,
        flags.since.as_deref(),
        flags.yes,
        b.external_id.as_deref(),
        command,
        &flags.connection,
        &flags.display,
    )
}

pub async fn resume(flags: ResumeFlags, batch_id: String) -> Result<()> {
    if flags.expect_hash.is_some() {
        let state_dir = paths::state_dir(flags.connection.state_dir.as_deref());
        let id = batch::journal::resolve(&state_dir, &batch_id)?;
        let dir = batch::journal::batch_dir(&state_dir, &id);
        run::expect_hash(
            &dir.join(batch::journal::BATCH_FILE),
            || batch::journal::load(&dir).map(|j| j.final_hash().to_string()),
            flags.expect_hash.as_deref(),
            run::lang(&flags.display),
        )?;
    }
    let begin = BatchBegin::Resume {
        batch_id,
        external_id: flags.external_id.is_some(),
        only: batch::accounts::parse_all(&flags.accounts, "--accounts")?,
    };
    let end = drive(
        begin,
        flags.external_id.clone(),
        flags
            .max_calls_in_flight
            .unwrap_or(crate::flags::BatchFlags::DEFAULT_MAX_CALLS_IN_FLIGHT)
            .into(),
        flags.yes,
        &flags.connection,
        &flags.display,
        None,
        connect::Replays::default(),
    )
    .await?;
    finish(
        end,
        false,
        None,
        flags.yes,
        flags.external_id.as_deref(),
        "resume",
        &flags.connection,
        &flags.display,
    )
}

async fn drive(
    begin: BatchBegin,
    external_id: Option<String>,
    max_calls_in_flight: usize,
    yes: bool,
    connection: &Connection,
    display: &Display,
    http: Option<connect::Transport>,
    replays: connect::Replays,
) -> Result<BatchEnd> {
    let lang = run::lang(display);
    let state_dir = paths::state_dir(connection.state_dir.as_deref());
    let credentials = connect::credentials_source(connection).await?;
    let mut settings = Settings {
        concurrency: connection.concurrency.into(),
        ..Settings::default()
    };
    let (base, connector): (runbook::aws::Aws, Box<dyn Connector>) = match &connection.replay {
        Some(scenario) => {
            let (base, replayer) = connect::aws(connection, None).await?;
            replays.lock().unwrap().extend(replayer.map(|r| (None, r)));
            settings = settings.without_waits();
            let connector = connect::ReplayConnector {
                dir: paths::scenario_dir(scenario),
                region: connection.region.clone(),
                replays,
            };
            (base, Box::new(connector))
        }
        None => {
            let config = connect::sdk_config(connection, None).await?;
            let connector = connect::RoleConnector::new(
                &config,
                connection.endpoint_url.is_some(),
                external_id,
                credentials.clone(),
                max_calls_in_flight,
                http,
            );
            (connector.base(), Box::new(connector))
        }
    };
    let operator = BatchTerminal { yes, lang };
    let session = BatchSession {
        base: &base,
        connector: connector.as_ref(),
        state_dir: &state_dir,
        operator: &operator,
        settings,
        tool_version: run::TOOL_VERSION,
        credentials: &credentials,
    };
    let interrupt = async {
        match tokio::signal::ctrl_c().await {
            Ok(()) => "Ctrl-C".to_string(),
            Err(_) => std::future::pending().await,
        }
    };
    Ok(batch::launch_batch(&session, begin, interrupt).await?)
}

/// Prints the summary (table or JSON) and turns the batch's end into the exit code.
fn finish(
    end: BatchEnd,
    check: bool,
    since: Option<&str>,
    yes: bool,
    external_id: Option<&str>,
    command: &str,
    connection: &Connection,
    display: &Display,
) -> Result<()> {
    let lang = run::lang(display);
    let mut error = end.error();
    if error.is_none() && check {
        let found: Vec<runbook::finding::Found> = end
            .results
            .iter()
            .filter_map(|r| r.report.as_ref().map(|report| (r, report)))
            .flat_map(|(r, report)| {
                runbook::recheck::still_sse_kms(report)
                    .into_iter()
                    .map(move |finding| runbook::finding::Found {
                        account: Some(r.account.to_string()),
                        since: None,
                        finding,
                    })
            })
            .collect();
        if !found.is_empty() {
            error = Some(Error::StillSseKms(found));
        }
    }
    if let (None, Some(since)) = (&error, since) {
        let state_dir = paths::state_dir(connection.state_dir.as_deref());
        error = drift_since(&state_dir, since, &end.results, lang);
    }
    let resume_command = error
        .as_ref()
        .filter(|e| {
            matches!(
                e,
                Error::BatchIncomplete { .. } | Error::BatchInterrupted { .. }
            )
        })
        .map(|_| resume_command(&end.batch_id, yes, external_id, connection, display));
    let doc = document(&end, resume_command.clone());
    if display.output == Output::Human {
        out::print(&summary_table(&doc, &end.results, lang));
    }
    out::eline(format!(
        "{}: {} ({} {})",
        t(lang, "Batch journal", "バッチの記録"),
        doc.batch_log.display(),
        t(lang, "batch", "バッチ"),
        end.batch_id
    ));
    out::eline(render::final_hash_line(&doc.final_hash, lang));
    if let Some(command) = &resume_command {
        out::eline(Msg::ResumeHint { command }.text(lang));
    }
    match error {
        None => {
            if display.output == Output::Json {
                json::print(command, true, json::Body::Batch(doc));
            }
            Ok(())
        }
        Some(error) => Err(BatchFailure { batch: doc, error }.into()),
    }
}

/// `status --since` over a batch: each account compared with its own reference, a revert run in
/// its folder `accounts/<id>/`: with `latest`, its latest revert; with a batch id, its run of
/// that batch; with a run id, that run (in the one account whose folder holds it).
fn reference_run(
    state_dir: &std::path::Path,
    account: &batch::AccountId,
    since: &str,
) -> Option<String> {
    let dir = batch::journal::account_dir(state_dir, account);
    if since == "latest" {
        return runbook::runs::resolve_latest_of(&dir, "latest", Runbook::Revert).ok();
    }
    let ids = runbook::runs::run_ids(&dir).ok()?;
    if batch::journal::is_batch_id(since) {
        return ids.into_iter().rev().find(|id| {
            runbook::journal::load(&dir.join(id))
                .is_ok_and(|j| j.started.batch.as_deref() == Some(since))
        });
    }
    ids.into_iter().find(|id| id == since)
}

/// Refuses, before anything runs, a `--since` that names nothing: a batch that does not exist,
/// or a run id in none of the listed accounts' folders (`listed`: `None` for `--organization`,
/// whose accounts are known only later).
fn since_known(
    state_dir: &std::path::Path,
    since: &str,
    listed: Option<&[batch::AccountId]>,
) -> Result<()> {
    if since == "latest" {
        return Ok(());
    }
    if batch::journal::is_batch_id(since) {
        batch::journal::resolve(state_dir, since)?;
        return Ok(());
    }
    if let Some(listed) = listed {
        if !listed
            .iter()
            .any(|a| reference_run(state_dir, a, since).is_some())
        {
            return Err(Error::NoSuchRun {
                run_id: since.to_string(),
                dir: state_dir.join(batch::journal::ACCOUNTS_DIR),
            }
            .into());
        }
    }
    Ok(())
}

/// Each account's drift from its reference run (see [`reference_run`]); an account without one
/// is named as not compared, never passed over in silence. `None`: no drift anywhere.
fn drift_since(
    state_dir: &std::path::Path,
    since: &str,
    results: &[AccountResult],
    lang: Lang,
) -> Option<Error> {
    let mut found = Vec::new();
    let mut compared = 0;
    for result in results {
        let Some(report) = &result.report else {
            continue;
        };
        let Some(run_id) = reference_run(state_dir, &result.account, since) else {
            out::eline(t(
                lang,
                &format!(
                    "account {}: not compared: no revert run `{since}` in its folder",
                    result.account
                ),
                &format!(
                    "アカウント {}: 比較していません: そのフォルダーに切り戻しの実行 `{since}` がありません",
                    result.account
                ),
            ));
            continue;
        };
        compared += 1;
        let dir = batch::journal::account_dir(state_dir, &result.account);
        match runbook::recheck::drift_since(&dir, &run_id, report) {
            Ok(drift) => found.extend(drift.into_iter().map(|finding| Found {
                account: Some(result.account.to_string()),
                since: Some(run_id.clone()),
                finding,
            })),
            Err(e) => found.push(Found {
                account: Some(result.account.to_string()),
                since: Some(run_id.clone()),
                finding: Finding::CompareFailed {
                    message: Msg::Error(&e).text(lang),
                },
            }),
        }
    }
    if compared == 0 {
        return Some(Error::NoSuchRun {
            run_id: since.to_string(),
            dir: state_dir.join(batch::journal::ACCOUNTS_DIR),
        });
    }
    (!found.is_empty()).then(|| Error::Drifted {
        since: since.to_string(),
        found,
    })
}

/// The batch's one document: every account with its latest outcome, and this attempt's reports.
fn document(end: &BatchEnd, resume_command: Option<String>) -> BatchDoc {
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
fn skipped_why(state: &str, lang: Lang) -> String {
    t(
        lang,
        &format!("skipped: the organization lists it as {state} (only ACTIVE accounts are run)"),
        &format!("対象外: 組織での状態が {state} です (実行するのは ACTIVE のアカウントだけです)"),
    )
}

/// What an account was like before, in a few words: `trail SSE-KMS in 17 regions; bucket aws:kms`.
fn before_of(report: &Report, lang: Lang) -> String {
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

fn outcome_word(outcome: impl Into<AccountOutcome>, lang: Lang) -> String {
    crate::messages::outcome_text(outcome.into(), lang)
}

/// The summary: one row per account, the totals, then each account's error: this attempt's in
/// the operator's language, an earlier attempt's as its batch journal recorded it (in English).
fn summary_table(doc: &BatchDoc, live: &[AccountResult], lang: Lang) -> String {
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

/// The command that continues the batch, quoted for a POSIX shell. The external id is not
/// recorded anywhere, and not printed either: the command carries `--external-id <EXTERNAL_ID>`
/// for the operator to fill in with the one they gave.
fn resume_command(
    batch_id: &str,
    yes: bool,
    external_id: Option<&str>,
    connection: &Connection,
    display: &Display,
) -> String {
    let mut command = run::resume_command(batch_id, yes, connection, display);
    if external_id.is_some() {
        command.push_str(" --external-id <EXTERNAL_ID>");
    }
    command
}

/// The terminal side of a batch: a line per account as it ends, and the one question.
struct BatchTerminal {
    yes: bool,
    lang: Lang,
}

impl BatchOperator for BatchTerminal {
    fn account_ended(&self, result: &AccountResult) {
        let lang = self.lang;
        let mut line = format!(
            "{} {}: {}",
            t(lang, "account", "アカウント"),
            result.account,
            outcome_word(Some(result.outcome), lang)
        );
        if result.outcome == Outcome::Done && result.report.is_some() {
            let _ = write!(
                line,
                " ({} {})",
                t(lang, "writes", "書き込み"),
                result.writes_made
            );
        }
        if let Some(run_id) = &result.run_id {
            let _ = write!(line, ", {} {run_id}", t(lang, "run", "実行"));
        }
        if let Some(error) = &result.error {
            let _ = write!(line, "\n  {}", Msg::Error(error).text(lang));
        }
        out::eline(line);
    }

    fn confirm_batch<'a>(
        &'a self,
        batch: &'a BatchStarted,
        plans: &'a [AccountPlan],
        not_asked: &'a [NotAsked],
    ) -> Pin<Box<dyn Future<Output = runbook::Result<ConfirmVia>> + Send + 'a>> {
        Box::pin(async move {
            crate::operator::ask(self.yes, || {
                batch_prompt(batch, plans, not_asked, self.lang)
            })
            .await
        })
    }
}

/// The batch's one question: who acts, every account's plan in a table, the totals, the
/// accounts not in the plan and why, then the opt-in reminder and `[y/N]`.
pub fn batch_prompt(
    batch: &BatchStarted,
    plans: &[AccountPlan],
    not_asked: &[NotAsked],
    lang: Lang,
) -> String {
    let w = render::words(lang);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} {} ({}; {} {})",
        w.acting_as, batch.caller_account, batch.caller_arn, w.credentials_from, batch.credentials
    );
    let _ = writeln!(
        out,
        "{}: {}",
        t(
            lang,
            "Role in each member account",
            "各メンバーアカウントで引き受けるロール"
        ),
        batch.role_name
    );
    let mut table = Table::new();
    table.load_preset(presets::NOTHING);
    table.set_header(vec![
        t(lang, "Account", "アカウント"),
        t(lang, "Trail", "証跡"),
        t(lang, "Home region", "ホームリージョン"),
        t(lang, "SSE-KMS in", "SSE-KMS のリージョン"),
        t(lang, "Bucket", "バケット"),
        t(lang, "Writes", "書き込み"),
    ]);
    for p in plans {
        let trails: Vec<&str> = p.plan.trails.iter().map(|t| t.name.as_str()).collect();
        let homes: Vec<&str> = p
            .plan
            .trails
            .iter()
            .map(|t| t.home_region.as_str())
            .collect();
        let regions = match &p.encrypted_regions {
            Some(r) => t(
                lang,
                &format!("{} regions", r.len()),
                &format!("{} リージョン", r.len()),
            ),
            None => "-".into(),
        };
        let buckets: Vec<String> = p
            .plan
            .buckets
            .iter()
            .map(|b| {
                let before: Vec<&str> = b
                    .current
                    .rules
                    .iter()
                    .map(|r| r.sse_algorithm.as_str())
                    .collect();
                match &b.new_rules {
                    Some(after) => {
                        let after: Vec<&str> =
                            after.iter().map(|r| r.sse_algorithm.as_str()).collect();
                        format!("{} → {}", before.join("+"), after.join("+"))
                    }
                    None => before.join("+"),
                }
            })
            .collect();
        table.add_row(vec![
            p.account.to_string(),
            trails.join(", "),
            homes.join(", "),
            regions,
            buckets.join(", "),
            p.plan.writes.len().to_string(),
        ]);
    }
    let writes: usize = plans.iter().map(|p| p.plan.writes.len()).sum();
    let _ = writeln!(
        out,
        "\n{}:",
        t(
            lang,
            &format!("Plan for {} accounts ({writes} writes)", plans.len()),
            &format!("{} アカウントの計画 (書き込み {writes} 件)", plans.len()),
        )
    );
    for line in table.to_string().lines() {
        let _ = writeln!(out, "  {}", line.trim_end());
    }
    if !not_asked.is_empty() || !batch.skipped.is_empty() {
        let _ = writeln!(
            out,
            "\n{}:",
            t(lang, "Not in this plan", "この計画に含まれないアカウント")
        );
        for n in not_asked {
            let _ = writeln!(out, "  {}: {}", n.account, n.why);
        }
        for s in &batch.skipped {
            let _ = writeln!(out, "  {}: {}", s.account, skipped_why(&s.state, lang));
        }
    }
    let _ = write!(
        out,
        "\n{}\n{}",
        w.prompt_intro,
        t(
            lang,
            &format!("Is the opt-in off in every account, and should these {writes} writes be made in {} accounts? [y/N] ", plans.len()),
            &format!("すべてのアカウントでオプトインは無効ですか。{} アカウントで上記の {writes} 件の変更を実行しますか? [y/N] ", plans.len()),
        )
    );
    out
}

/// `audit list`'s batches.
pub fn rows(state_dir: &std::path::Path) -> Result<Vec<json::BatchRow>> {
    let mut rows = Vec::new();
    for id in batch::journal::batch_ids(state_dir)? {
        let row = match batch::journal::load_checked(state_dir, &id) {
            Ok(j) => json::BatchRow {
                runbook: Some(j.started.runbook.name().to_string()),
                accounts: j.started.accounts.len(),
                done: j
                    .accounts()
                    .iter()
                    .filter(|(_, e)| e.as_ref().is_some_and(|e| e.outcome == Outcome::Done))
                    .count(),
                started: j.records.first().map(|r| r.ts.clone()),
                final_hash: Some(j.final_hash().to_string()),
                error: None,
                batch_id: id,
            },
            Err(e) => json::BatchRow {
                batch_id: id,
                runbook: None,
                accounts: 0,
                done: 0,
                started: None,
                final_hash: None,
                error: Some(e.to_string()),
            },
        };
        rows.push(row);
    }
    Ok(rows)
}

pub fn print_batch_rows(rows: &[json::BatchRow], lang: Lang) {
    out::line(t(lang, "Batches:", "バッチ:"));
    for r in rows {
        let started = r
            .started
            .as_deref()
            .map(crate::clock::local)
            .unwrap_or_default();
        match &r.error {
            Some(e) => out::line(format!(
                "  {}  {} {e}",
                r.batch_id,
                t(lang, "unreadable:", "読めません:")
            )),
            None => out::line(format!(
                "  {}  {:<7} {}/{} {}  {}  {}",
                r.batch_id,
                r.runbook.as_deref().unwrap_or("-"),
                r.done,
                r.accounts,
                t(lang, "accounts done", "アカウント完了"),
                started,
                r.final_hash.as_deref().unwrap_or("-"),
            )),
        }
    }
    out::line("");
}

/// A batch as its journal recorded it (no attempt's live results), for the audit views.
fn recorded(id: &str, journal: batch::BatchJournal) -> BatchEnd {
    BatchEnd {
        batch_id: id.to_string(),
        journal,
        results: Vec::new(),
        confirmation: None,
        interrupted: None,
    }
}

/// `audit show BATCH_ID`: the batch's accounts, each with its outcome and run, then its events.
pub fn show(state_dir: &std::path::Path, batch_id: &str, output: Output, lang: Lang) -> Result<()> {
    let id = batch::journal::resolve(state_dir, batch_id)?;
    let journal = batch::journal::load_checked(state_dir, &id)?;
    let end = recorded(&id, journal);
    let doc = document(&end, None);
    if output == Output::Json {
        json::print("audit show", true, json::Body::Batch(doc));
        return Ok(());
    }
    let started = &end.journal.started;
    out::line(format!(
        "{} {id}: `{}` `{}` ({} {}), {} {}",
        t(lang, "batch", "バッチ"),
        started.runbook.name(),
        started.args.trails_label(),
        t(lang, "role", "ロール"),
        started.role_name,
        t(lang, "from", "実行者"),
        started.caller_arn
    ));
    out::print(&summary_table(&doc, &[], lang));
    for (record, event) in end.journal.records.iter().zip(&end.journal.events) {
        let what = match event {
            batch::BatchEvent::BatchStarted(s) if s.skipped.is_empty() => format!(
                "batch_started: {} {}",
                s.accounts.len(),
                t(lang, "accounts", "アカウント")
            ),
            batch::BatchEvent::BatchStarted(s) => format!(
                "batch_started: {} {} ({} {})",
                s.accounts.len(),
                t(lang, "accounts", "アカウント"),
                s.skipped.len(),
                t(lang, "skipped", "件を対象外")
            ),
            batch::BatchEvent::BatchResumed(r) => {
                let accounts: Vec<&str> = r.accounts.iter().map(|a| a.as_str()).collect();
                format!("batch_resumed: {}", accounts.join(", "))
            }
            batch::BatchEvent::AwsCall(c) => format!(
                "aws_call {} {} {}",
                c.operation,
                c.region,
                match c.outcome.as_str() {
                    "ok" => t(lang, "ok", "成功"),
                    code => code.to_string(),
                }
            ),
            batch::BatchEvent::BatchConfirmation(c) => match lang {
                Lang::En => format!(
                    "batch_confirmation: {} ({} accounts, {} writes)",
                    if c.confirmed { "yes" } else { "no" },
                    c.accounts.len(),
                    c.writes
                ),
                Lang::Ja => format!(
                    "batch_confirmation: {} ({} アカウント、書き込み {} 件)",
                    if c.confirmed { "はい" } else { "いいえ" },
                    c.accounts.len(),
                    c.writes
                ),
            },
            batch::BatchEvent::AccountEnded(e) => format!(
                "account_ended {}: {}{}",
                e.account,
                outcome_word(Some(e.outcome), lang),
                e.run_id
                    .as_deref()
                    .map(|r| format!(" ({} {r})", t(lang, "run", "実行")))
                    .unwrap_or_default()
            ),
            batch::BatchEvent::BatchEnded(e) => match lang {
                Lang::En => format!("batch_ended: {} done, {} unfinished", e.done, e.unfinished),
                Lang::Ja => format!("batch_ended: 完了 {}、未完了 {}", e.done, e.unfinished),
            },
        };
        out::line(format!(
            "{:>4} {} {what}",
            record.seq + 1,
            crate::clock::local(&record.ts)
        ));
    }
    out::line(render::final_hash_line(end.journal.final_hash(), lang));
    Ok(())
}

/// `audit verify BATCH_ID [--expect-hash HASH]`: the batch journal's chain and events, each
/// `done` account's run (see `load_checked`), every account run of the batch verified in turn,
/// and the last line's hash.
pub fn verify(
    state_dir: &std::path::Path,
    batch_id: &str,
    expect_hash: Option<&str>,
    output: Output,
    lang: Lang,
) -> Result<()> {
    let id = batch::journal::resolve(state_dir, batch_id)?;
    let journal = batch::journal::load_checked(state_dir, &id)?;
    for (account, ended) in journal.accounts() {
        if let Some(run_id) = ended.and_then(|e| e.run_id) {
            runbook::journal::verify(
                &batch::journal::account_state_dir(state_dir, &account)?.join(&run_id),
            )?;
        }
    }
    let final_hash = journal.final_hash().to_string();
    if let Some(expected) = expect_hash {
        if expected != final_hash {
            return Err(json::AuditFailure {
                code: json::ErrorCode::HashMismatch,
                message: Msg::HashMismatch {
                    log: &journal.path,
                    actual: &final_hash,
                    expected,
                }
                .text(lang),
            }
            .into());
        }
    }
    let end = recorded(&id, journal);
    let doc = document(&end, None);
    if output == Output::Json {
        json::print("audit verify", true, json::Body::Batch(doc));
        return Ok(());
    }
    out::line(format!(
        "{} {id}: {} ({} {})",
        t(lang, "batch", "バッチ"),
        t(lang, "the journal verifies", "記録は検証されました"),
        end.journal.records.len(),
        t(lang, "events", "件のイベント")
    ));
    for row in &doc.accounts {
        out::line(format!(
            "  {}  {}  {}",
            row.account,
            outcome_word(row.outcome, lang),
            row.run_id.as_deref().unwrap_or("-")
        ));
    }
    if expect_hash.is_some() {
        out::line(Msg::ExpectedHashMatches.text(lang));
    }
    out::line(render::final_hash_line(&doc.final_hash, lang));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The one question names the organization's accounts that are not run, and why.
    #[test]
    fn the_question_names_the_accounts_the_organization_lists_but_the_batch_skips() {
        let id = |s: &str| batch::AccountId::parse(s, "test").unwrap();
        let started = BatchStarted {
            format: batch::journal::BATCH_FORMAT,
            tool_version: "test".into(),
            runbook: Runbook::Revert,
            args: runbook::testkit::default_args(),
            selection: batch::Selection::Organization,
            accounts: vec![id("123456789012")],
            excluded: Vec::new(),
            skipped: vec![batch::Skipped {
                account: id("333333333333"),
                state: "SUSPENDED".into(),
            }],
            role_name: batch::DEFAULT_ROLE_NAME.into(),
            external_id: false,
            caller_account: "123456789012".into(),
            caller_arn: "arn:aws:iam::123456789012:user/operator".into(),
            credentials: "environment".into(),
            max_concurrent_accounts: 8,
            max_errors: None,
        };
        for (lang, expected) in [
            (
                Lang::En,
                "333333333333: skipped: the organization lists it as SUSPENDED",
            ),
            (
                Lang::Ja,
                "333333333333: 対象外: 組織での状態が SUSPENDED です",
            ),
        ] {
            let prompt = batch_prompt(&started, &[], &[], lang);
            assert!(prompt.contains(expected), "{prompt}");
        }
    }
}
