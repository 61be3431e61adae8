//! `run revert|status --accounts|--accounts-file|--organization` and `resume BATCH_ID`: one
//! runbook over many accounts (the library's `runbook::batch`), the one question for all of
//! them, and the summary table.

use std::fmt::Write as _;
use std::future::Future;
use std::io::IsTerminal;
use std::pin::Pin;

use anyhow::Result;
use comfy_table::{presets, Table};
use runbook::batch::{
    self, AccountId, AccountPlan, AccountResult, AccountsWanted, BatchBegin, BatchEnd,
    BatchOperator, BatchSession, BatchStarted, Connector, Limits, NotAsked, Outcome,
};
use runbook::journal::ConfirmVia;
use runbook::model::Runbook;
use runbook::steps::Settings as StepSettings;
use runbook::Error;

use crate::batch_recheck::{drift_since, since_known, still_sse_kms};
use crate::connect;
use crate::drive::expect_hash;
use crate::flags::{Lang, Output, ResumeFlags, RunFlags, RunbookName};
use crate::messages::batch as words;
use crate::messages::Msg;
use crate::output::batch::{document, outcome_word, summary_table};
use crate::output::json::{self, BatchFailure};
use crate::output::{out, render};
use crate::paths;
use crate::progress::{BatchProgress, Tally};
use crate::settings::{args_of, Settings, TOOL_VERSION};

/// `http`: the HTTP client of the caller's and of each account's service clients (never the
/// credential providers'): the fixture recorder gives each its own recording. `replays`
/// receives the replayers of a replayed batch.
pub async fn run(
    flags: RunFlags,
    settings: &Settings,
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
    let args = args_of(&flags);
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
        since_known(
            &settings.state_dir,
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
        settings,
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
        settings,
    )
}

/// `resume BATCH_ID`: the accounts of the batch that did not finish.
pub async fn resume(flags: ResumeFlags, batch_id: String, settings: &Settings) -> Result<()> {
    if flags.expect_hash.is_some() {
        let state_dir = &settings.state_dir;
        let id = batch::journal::resolve(state_dir, &batch_id)?;
        let dir = batch::journal::batch_dir(state_dir, &id);
        expect_hash(
            &dir.join(batch::journal::BATCH_FILE),
            || batch::journal::load(&dir).map(|j| j.final_hash().to_string()),
            flags.expect_hash.as_deref(),
            settings.lang,
        )?;
    }
    let only = batch::accounts::parse_all(&flags.accounts, "--accounts")?;
    // Refused before any account is touched, as a single run's resume is: a resume that
    // would ask the operator when nobody can answer (no terminal, no `--yes`).
    if !flags.yes
        && !std::io::stdin().is_terminal()
        && batch::resume_would_ask(&settings.state_dir, &batch_id, &only)?
    {
        return Err(Error::ConfirmationUnavailable.into());
    }
    let begin = BatchBegin::Resume {
        batch_id,
        external_id: flags.external_id.is_some(),
        only,
    };
    let end = drive(
        begin,
        flags.external_id.clone(),
        flags
            .max_calls_in_flight
            .unwrap_or(crate::flags::BatchFlags::DEFAULT_MAX_CALLS_IN_FLIGHT)
            .into(),
        flags.yes,
        settings,
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
        settings,
    )
}

async fn drive(
    begin: BatchBegin,
    external_id: Option<String>,
    max_calls_in_flight: usize,
    yes: bool,
    settings: &Settings,
    http: Option<connect::Transport>,
    replays: connect::Replays,
) -> Result<BatchEnd> {
    let lang = settings.lang;
    let connection = settings.connection();
    // Credentials first: a command refused for want of them leaves no state directory behind.
    let credentials = connect::credentials_source(connection).await?;
    let state_dir = settings.writable_state_dir()?;
    let mut steps = StepSettings {
        concurrency: connection.concurrency.into(),
        ..StepSettings::default()
    };
    let (base, connector): (runbook::aws::Aws, Box<dyn Connector>) = match &connection.replay {
        Some(scenario) => {
            let (base, replayer) = connect::aws(connection, None).await?;
            replays.lock().unwrap().extend(replayer.map(|r| (None, r)));
            steps = steps.without_waits();
            let connector = connect::ReplayConnector {
                dir: paths::scenario_dir(scenario)?,
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
    let operator = BatchTerminal {
        yes,
        lang,
        progress: settings.live_progress.then(|| BatchProgress::new(lang)),
    };
    let session = BatchSession {
        base: &base,
        connector: connector.as_ref(),
        state_dir,
        operator: &operator,
        settings: steps,
        tool_version: TOOL_VERSION,
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
    settings: &Settings,
) -> Result<()> {
    let lang = settings.lang;
    let w = words::of(lang);
    let mut error = end.error();
    if error.is_none() && check {
        error = still_sse_kms(&end, lang);
    }
    if let (None, Some(since)) = (&error, since) {
        error = drift_since(&settings.state_dir, since, &end, lang);
    }
    let resume_command = error
        .as_ref()
        .filter(|e| {
            matches!(
                e,
                Error::BatchIncomplete { .. } | Error::BatchInterrupted { .. }
            )
        })
        .map(|_| settings.resume_command(&end.batch_id, yes, external_id.is_some()));
    let (doc, unreadable) = document(
        &end,
        resume_command.clone(),
        settings.output == Output::Json,
    );
    // A report the JSON document should hold and could not read back fails the command: a
    // document with an account's report missing is not a complete answer.
    let error = error.or(unreadable);
    if settings.output == Output::Human {
        out::print(&summary_table(&doc, &end.results, lang));
    }
    out::eline(format!(
        "{}: {} ({} {})",
        w.batch_journal,
        doc.batch_log.display(),
        w.batch,
        end.batch_id
    ));
    out::eline(render::final_hash_line(&doc.final_hash, lang));
    if let Some(command) = &resume_command {
        out::eline(Msg::ResumeHint { command }.text(lang));
    }
    match error {
        None => {
            if settings.output == Output::Json {
                json::print(command, true, json::Body::Batch(doc));
            }
            Ok(())
        }
        Some(error) => Err(BatchFailure { batch: doc, error }.into()),
    }
}

/// The terminal side of a batch: a line per account as it ends, the one question, and where
/// progress is drawn live, the display of the whole batch (cleared when this is dropped, before
/// the summary).
struct BatchTerminal {
    yes: bool,
    lang: Lang,
    progress: Option<BatchProgress>,
}

impl BatchTerminal {
    fn count(&self, change: impl FnOnce(&mut Tally)) {
        if let Some(progress) = &self.progress {
            progress.update(change);
        }
    }
}

impl BatchOperator for BatchTerminal {
    fn attempt_started(&self, accounts: &[AccountId]) {
        if let Some(progress) = &self.progress {
            progress.attempt_started(accounts.len());
        }
    }

    fn account_started(&self, account: &AccountId) {
        self.count(|t| t.started(account));
    }

    fn account_checked(&self, account: &AccountId) {
        self.count(|t| t.checked(account));
    }

    fn account_waiting(&self, account: &AccountId) {
        self.count(|t| t.waiting(account));
    }

    fn account_writing(&self, account: &AccountId) {
        self.count(|t| t.writing(account));
    }

    fn account_ended(&self, result: &AccountResult) {
        let lang = self.lang;
        let w = words::of(lang);
        let mut line = format!(
            "{} {}: {}",
            w.account,
            result.account,
            outcome_word(Some(result.outcome), lang)
        );
        if result.outcome == Outcome::Done && result.before.is_some() {
            let _ = write!(line, " ({} {})", w.writes, result.writes_made);
        }
        if let Some(run_id) = &result.run_id {
            let _ = write!(line, ", {} {run_id}", w.run);
        }
        if let Some(error) = &result.error {
            let _ = write!(line, "\n  {}", Msg::Error(error).text(lang));
        }
        match &self.progress {
            Some(progress) => {
                progress.update_with_line(|t| t.ended(&result.account, result.outcome), &line)
            }
            None => out::eline(line),
        }
    }

    fn confirm_batch<'a>(
        &'a self,
        batch: &'a BatchStarted,
        plans: &'a [AccountPlan],
        not_asked: &'a [NotAsked],
    ) -> Pin<Box<dyn Future<Output = runbook::Result<ConfirmVia>> + Send + 'a>> {
        Box::pin(async move {
            // Off the screen until the answer is read (or the question given up on Ctrl-C).
            let _asking = self
                .progress
                .as_ref()
                .filter(|_| !self.yes)
                .map(BatchProgress::asking);
            let answer = crate::terminal::ask(self.yes, || {
                batch_prompt(batch, plans, not_asked, self.lang)
            })
            .await;
            // Counted before the display is back: the accounts wait for their slots now, or
            // end on a "no".
            self.count(Tally::answered);
            answer
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
    let w = crate::messages::terminal::words(lang);
    let b = words::of(lang);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} {} ({}; {} {})",
        w.acting_as, batch.caller_account, batch.caller_arn, w.credentials_from, batch.credentials
    );
    let _ = writeln!(out, "{}: {}", b.member_role, batch.role_name);
    let mut table = Table::new();
    table.load_preset(presets::NOTHING);
    table.set_header(vec![
        b.account_header,
        b.trail_header,
        b.home_region_header,
        b.kms_in_header,
        b.bucket_header,
        b.writes_header,
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
            Some(r) => words::regions(r.len(), lang),
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
    let _ = writeln!(out, "\n{}:", words::plan_for(plans.len(), writes, lang));
    for line in table.to_string().lines() {
        let _ = writeln!(out, "  {}", line.trim_end());
    }
    if !not_asked.is_empty() || !batch.skipped.is_empty() {
        let _ = writeln!(out, "\n{}:", b.not_in_plan);
        for n in not_asked {
            let _ = writeln!(out, "  {}: {}", n.account, n.why);
        }
        for s in &batch.skipped {
            let _ = writeln!(
                out,
                "  {}: {}",
                s.account,
                words::skipped_why(&s.state, lang)
            );
        }
    }
    let _ = write!(
        out,
        "\n{}\n{}",
        w.prompt_intro,
        words::question(plans.len(), writes, lang)
    );
    out
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
