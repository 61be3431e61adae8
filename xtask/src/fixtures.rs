//! `fixtures seed|record|list`: make and keep the recorded scenarios used for offline tests.

use anyhow::{bail, Context, Result};
use aws_credential_types::provider::ProvideCredentials;
use clap::Parser;
use runbook::aws::FALLBACK_REGION;
use runbook::http::redact::{render_fixture, Leak, Secrets};
use runbook::http::replay::load_fixture;
use runbook::http::{Fixture, Recorder, Replayer};
use runbook::testkit;

use cloudtrail_revert::connect;
use cloudtrail_revert::embed as run;
use cloudtrail_revert::flags::{Cli, Command, Connection, RunFlags, UndoFlags};
use cloudtrail_revert::output::out;

use crate::flags::{FixturesCommand, FixturesFlags};
use crate::workspace as paths;
use crate::{scenarios, shape};

pub async fn run(flags: FixturesFlags) -> Result<()> {
    match flags.command {
        FixturesCommand::Seed {
            endpoint_url,
            scenario,
        } => seed(&endpoint_url, &scenario).await,
        FixturesCommand::Refresh { only } => refresh(only.as_deref()).await,
        FixturesCommand::Record {
            scenario,
            description,
            run_args,
        } => record(&scenario, description, run_args).await,
        FixturesCommand::List => list(),
    }
}

fn recorded_scenario(name: &str) -> Result<&'static scenarios::Recorded> {
    scenarios::RECORDED
        .iter()
        .find(|s| s.name == name)
        .ok_or_else(|| {
            let names: Vec<&str> = scenarios::RECORDED.iter().map(|s| s.name).collect();
            anyhow::anyhow!(
                "no moto-made scenario `{name}`; there are: {}",
                names.join(", ")
            )
        })
}

async fn seed(endpoint: &str, scenario: &str) -> Result<()> {
    let scenario = recorded_scenario(scenario)?;
    let config = testkit::local_config(endpoint, testkit::seed::HOME);
    let seeded = testkit::seed(&config, &(scenario.seed)())
        .await
        .map_err(|e| anyhow::anyhow!(e))
        .with_context(|| format!("seeding the secure account on {endpoint}"))?;
    out::line(format!("seeded scenario {} on {endpoint}:", scenario.name));
    out::line(format!("  trail  {}", seeded.trail_arn));
    out::line(format!("  bucket {} (SSE-KMS)", seeded.bucket));
    out::line(format!("  key    {}", seeded.key_arn));
    Ok(())
}

/// The account id, from the recorded GetCallerIdentity answer.
fn recorded_account(fixture: &Fixture) -> Option<String> {
    fixture
        .exchanges
        .iter()
        .find(|e| e.key.operation == "GetCallerIdentity")
        .and_then(|e| {
            let body = &e.response.body;
            let start = body.find("<Account>")? + "<Account>".len();
            let end = body[start..].find("</Account>")? + start;
            Some(body[start..end].to_string())
        })
}

/// What `fixtures record` runs: `run` (the arguments after `--` are `run`'s: `revert --yes …`),
/// or `undo` (they begin with `undo`: `undo RUN_ID --yes …`).
pub enum Recording {
    Run(RunFlags),
    Undo(UndoFlags),
}

impl Recording {
    /// The arguments given after `--` to `fixtures record`.
    pub fn parse(args: &[String]) -> Result<Recording> {
        let (command, rest) = match args.first().map(String::as_str) {
            Some("undo") => ("undo", &args[1..]),
            _ => ("run", args),
        };
        let parsed = Cli::try_parse_from(
            ["cargo xtask", command]
                .into_iter()
                .map(String::from)
                .chain(rest.iter().cloned()),
        )
        .with_context(|| format!("the arguments after `--` are not valid `{command}` arguments"))?;
        match parsed.command {
            Command::Run(flags) => Ok(Recording::Run(flags)),
            Command::Undo(flags) => Ok(Recording::Undo(flags)),
            _ => bail!("the arguments after `--` must be `run` arguments, or `undo RUN_ID …`"),
        }
    }

    pub fn connection(&self) -> &Connection {
        match self {
            Recording::Run(flags) => &flags.connection,
            Recording::Undo(flags) => &flags.connection,
        }
    }
}

/// "refusing to write …", one line per leak, each saying where it is.
fn refusal(leaks: &[Leak]) -> anyhow::Error {
    let lines: Vec<String> = leaks.iter().map(|l| format!("  - {l}")).collect();
    anyhow::anyhow!(
        "refusing to write the fixture: it would hold what must never be committed:\n{}",
        lines.join("\n")
    )
}

async fn record(scenario: &str, description: Option<String>, run_args: Vec<String>) -> Result<()> {
    let recording = Recording::parse(&run_args)?;
    let connection = recording.connection().clone();
    if connection.replay.is_some() {
        bail!("record talks to AWS or --endpoint-url; --replay makes no traffic to record");
    }
    let batch = matches!(&recording, Recording::Run(flags) if flags.batch.is_batch());
    if batch && connection.endpoint_url.is_none() {
        // Redaction turns the caller's account id into 123456789012; every member account's id
        // would stay in its fixture (and name its directory).
        bail!(
            "a batch is recorded on a local endpoint (--endpoint-url, moto) only: the member \
             accounts' ids would be kept in the fixtures"
        );
    }
    let dir = paths::scenario_dir(scenario);
    let config = connect::sdk_config(&connection, None).await?;
    let region = config
        .region()
        .map(|r| r.to_string())
        .unwrap_or_else(|| FALLBACK_REGION.into());
    // The credentials' values, to be sure none of them is written (redaction and the leak check
    // also find credentials by their shape and their fields).
    let mut secrets = Secrets::default();
    if let Some(provider) = config.credentials_provider() {
        if let Ok(creds) = provider.provide_credentials().await {
            secrets.access_key_id = Some(creds.access_key_id().to_string());
            secrets.secret_access_key = Some(creds.secret_access_key().to_string());
            secrets.session_token = creds.session_token().map(str::to_string);
        }
    }
    // The recorders see the service clients' calls only: `connect` hands them to the service
    // clients after the credential providers (and, in a batch, each account's AssumeRole
    // provider) were built with the real client. A batch records the caller's own calls
    // (`None`) and each account's (`Some(id)`) apart.
    let recorders: Recorders = Default::default();
    // The caller's own recording exists even if it recorded nothing: the scenario's traffic.json.
    recorders.lock().unwrap().insert(None, Recorder::default());
    let outcome = match recording {
        Recording::Run(flags) if batch => {
            let real = runbook::http::real_client();
            let each = recorders.clone();
            let transport: connect::Transport = std::sync::Arc::new(move |account| {
                let mut each = each.lock().unwrap();
                let recorder = each.entry(account.map(str::to_string)).or_default();
                recorder.wrap(real.clone())
            });
            run::run_batch_with(flags, Some(transport)).await.0
        }
        single => {
            let recorder = Recorder::default();
            let http = recorder.wrap(runbook::http::real_client());
            recorders.lock().unwrap().insert(None, recorder);
            match single {
                Recording::Run(flags) => run::run_with(flags, Some(http)).await.0,
                Recording::Undo(flags) => run::undo_with(flags, Some(http)).await.0,
            }
        }
    };
    let recorded: Vec<(Option<String>, Vec<runbook::http::Exchange>)> = recorders
        .lock()
        .unwrap()
        .iter()
        .map(|(account, recorder)| (account.clone(), recorder.exchanges()))
        .collect();

    // Keep the description of an existing scenario unless a new one was given.
    let description = match description {
        Some(d) => d,
        None => load_fixture(&dir)
            .map(|f| f.description)
            .unwrap_or_default(),
    };
    let fixtures: Vec<(Option<String>, Fixture)> = recorded
        .into_iter()
        .map(|(account, exchanges)| {
            let description = match &account {
                Some(id) => format!("{description} (Account {id}'s own calls.)"),
                None => description.clone(),
            };
            let fixture = Fixture {
                description,
                origin: "recorded".into(),
                region: region.clone(),
                run_args: stored_args(&run_args),
                exchanges,
            };
            (account, fixture)
        })
        .collect();
    if fixtures.iter().all(|(_, f)| f.exchanges.is_empty()) {
        // The run's own error says what went wrong (credentials, region, lock, …).
        outcome.context("nothing was recorded: the run failed before any AWS call was answered")?;
        bail!("nothing was recorded: the run made no AWS call");
    }
    // The caller's account id, from its own GetCallerIdentity, is redacted in every fixture.
    secrets.account_id = fixtures
        .iter()
        .find(|(account, _)| account.is_none())
        .and_then(|(_, f)| recorded_account(f));
    // Rendered (redacted, leak-checked) all before any is written.
    let mut texts = Vec::new();
    for (account, fixture) in &fixtures {
        if let Some(e) = fixture.exchanges.iter().find(|e| is_credential_call(e)) {
            bail!(
                "refusing to write the fixture: a credential provider's call was recorded ({})",
                e.key
            );
        }
        let text = render_fixture(fixture, &secrets).map_err(|leaks| refusal(&leaks))?;
        let path = match account {
            Some(id) => account_dir(&dir, id).join("traffic.json"),
            None => dir.join("traffic.json"),
        };
        texts.push((path, text, fixture.exchanges.len()));
    }
    if batch {
        // No account of an earlier recording stays behind.
        let accounts = dir.join("accounts");
        if accounts.exists() {
            std::fs::remove_dir_all(&accounts)
                .with_context(|| format!("removing {}", accounts.display()))?;
        }
    }
    for (path, text, exchanges) in texts {
        let parent = path.parent().expect("a file in a directory");
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
        write_traffic(&path, &text).with_context(|| format!("writing {}", path.display()))?;
        eprintln!("recorded {exchanges} exchanges to {}", path.display());
    }
    if let Err(e) = outcome {
        eprintln!("(the recorded run itself ended with an error, which the fixture keeps: {e:#})");
    }
    Ok(())
}

/// Each recording of a run: the caller's own calls (`None`) and, in a batch, each account's.
type Recorders =
    std::sync::Arc<std::sync::Mutex<std::collections::BTreeMap<Option<String>, Recorder>>>;

/// Where a batch scenario keeps an account's traffic (what `connect::ReplayConnector` reads).
fn account_dir(dir: &std::path::Path, account: &str) -> std::path::PathBuf {
    dir.join("accounts").join(account)
}

/// A credential provider's call (STS AssumeRole*, SSO, IMDS): never part of a fixture.
fn is_credential_call(e: &runbook::http::Exchange) -> bool {
    e.key.operation.starts_with("AssumeRole")
        || e.key.operation == "GetRoleCredentials"
        || e.key.service.contains("sso")
}

/// The run arguments a fixture keeps: not where it was recorded from (endpoint, profile, state).
fn stored_args(args: &[String]) -> Vec<String> {
    const CONNECTION: &[&str] = &["--endpoint-url", "--profile", "--state-dir"];
    let mut kept = Vec::new();
    let mut skip_value = false;
    for arg in args {
        if std::mem::take(&mut skip_value) {
            continue;
        }
        if CONNECTION.contains(&arg.as_str()) {
            skip_value = true;
        } else if !CONNECTION
            .iter()
            .any(|flag| arg.starts_with(&format!("{flag}=")))
        {
            kept.push(arg.clone());
        }
    }
    kept
}

/// A fresh moto server with the caller's account seeded with `seed`.
async fn seeded_moto(seed: &testkit::seed::Seed) -> Result<testkit::Moto> {
    let moto = testkit::Moto::start().map_err(|e| anyhow::anyhow!(e))?;
    let config = testkit::local_config(&moto.endpoint(), testkit::seed::HOME);
    testkit::seed(&config, seed)
        .await
        .map_err(|e| anyhow::anyhow!(e))?;
    Ok(moto)
}

/// Rebuilds the scenarios: each moto-made one against its own fresh moto server (through a
/// child `fixtures record`, so credentials stay out of this process), then the batches, then the
/// hand-edited ones.
async fn refresh(only: Option<&str>) -> Result<()> {
    for scenario in scenarios::RECORDED
        .iter()
        .filter(|s| only.is_none_or(|o| o == s.name))
    {
        let moto = seeded_moto(&(scenario.seed)()).await?;
        let state = tempfile::tempdir()?;
        record_child(
            &moto,
            &paths::scenario_dir(scenario.name),
            scenario.description,
            scenarios::RUN_ARGS,
            state.path(),
        )?;
        shape_recorded(scenario).await?;
    }
    for scenario in scenarios::BATCHES
        .iter()
        .filter(|s| only.is_none_or(|o| o == s.name))
    {
        let moto = testkit::Moto::start().map_err(|e| anyhow::anyhow!(e))?;
        let caller = testkit::local_config(&moto.endpoint(), testkit::seed::HOME);
        let caller_account = testkit::seed::Seed::default().account;
        // Each member of an organization by the id its fixtures name it (the scenario's) and
        // the id moto gave it.
        let renamed = match &scenario.organization {
            Some(organization) => organize(&caller, scenario, organization).await?,
            None => Vec::new(),
        };
        let moto_id = |account: &str| -> String {
            renamed
                .iter()
                .find(|(fixed, _)| fixed == account)
                .map_or_else(|| account.to_string(), |(_, given)| given.clone())
        };
        for (account, seed) in scenario.accounts {
            let account = moto_id(account);
            let config = if account == caller_account {
                caller.clone()
            } else {
                let role = format!(
                    "arn:aws:iam::{account}:role/{}",
                    runbook::batch::DEFAULT_ROLE_NAME
                );
                testkit::assumed_role_config(&moto.endpoint(), testkit::seed::HOME, &role)
                    .await
                    .map_err(|e| anyhow::anyhow!(e))?
            };
            let seed = testkit::seed::Seed {
                account: account.clone(),
                ..seed()
            };
            testkit::seed(&config, &seed)
                .await
                .map_err(|e| anyhow::anyhow!(e))
                .with_context(|| format!("seeding account {account}"))?;
        }
        let state = tempfile::tempdir()?;
        let dir = paths::scenario_dir(scenario.name);
        record_child(
            &moto,
            &dir,
            scenario.description,
            scenario.run_args,
            state.path(),
        )?;
        rename_accounts(&dir, &renamed)?;
        shape_batch(scenario).await?;
    }
    for scenario in scenarios::UNDONE
        .iter()
        .filter(|s| only.is_none_or(|o| o == s.name))
    {
        let moto = seeded_moto(&(scenario.seed)()).await?;
        // One state directory for both: the undo reads the revert's journal.
        let state = tempfile::tempdir()?;
        let dir = paths::scenario_dir(scenario.name);
        record_child(
            &moto,
            &dir,
            scenario.description,
            scenarios::RUN_ARGS,
            state.path(),
        )?;
        let reverted = runbook::runs::run_ids(state.path())?;
        let [revert_id] = &reverted[..] else {
            bail!(
                "recording {}: the revert left {} runs, not one",
                scenario.name,
                reverted.len()
            );
        };
        record_child(
            &moto,
            &dir.join(scenarios::UNDO_DIR),
            scenario.undo_description,
            &["undo", revert_id, "--yes"],
            state.path(),
        )?;
        shape_undone(scenario).await?;
    }
    for scenario in scenarios::HAND_EDITED
        .iter()
        .filter(|s| only.is_none_or(|o| o == s.name))
    {
        derive(scenario).await?;
    }
    Ok(())
}

/// `fixtures record DIR -- RUN_ARGS` in a child process against `moto`, with moto's dummy
/// credentials and the state directory `state`.
fn record_child(
    moto: &testkit::Moto,
    dir: &std::path::Path,
    description: &str,
    run_args: &[&str],
    state: &std::path::Path,
) -> Result<()> {
    let exe = std::env::current_exe().context("finding the xtask binary")?;
    let status = std::process::Command::new(&exe)
        .args(["fixtures", "record"])
        .arg(dir)
        .args(["--description", description, "--"])
        .args(run_args)
        .args([
            "--endpoint-url",
            &moto.endpoint(),
            "--region",
            testkit::seed::HOME,
        ])
        .arg("--state-dir")
        .arg(state)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN")
        .stdout(std::process::Stdio::null())
        .status()?;
    if !status.success() {
        bail!("recording {} failed", dir.display());
    }
    Ok(())
}

/// Makes `scenario`'s organization on moto (the caller's account its management account) and
/// gives each member as (the id its fixtures name it by, the id moto gave it), in the order
/// they were made.
async fn organize(
    caller: &aws_config::SdkConfig,
    scenario: &scenarios::RecordedBatch,
    organization: &scenarios::Organization,
) -> Result<Vec<(String, String)>> {
    for member in organization.members {
        let seeded = scenario.accounts.iter().any(|(id, _)| *id == member.id);
        if seeded == member.closed {
            bail!(
                "{}: member {} must be seeded (among the accounts) if and only if it is not closed",
                scenario.name,
                member.id
            );
        }
    }
    let closed: Vec<bool> = organization.members.iter().map(|m| m.closed).collect();
    let given = testkit::seed::organization(caller, &closed)
        .await
        .map_err(|e| anyhow::anyhow!(e))
        .with_context(|| format!("making the organization of {}", scenario.name))?;
    Ok(organization
        .members
        .iter()
        .map(|m| m.id.to_string())
        .zip(given)
        .collect())
}

/// Names each account of a recorded batch by its fixed id instead of the one moto gave it
/// (`renamed`: (fixed, moto's)): every whole occurrence of moto's id (not inside a longer run
/// of digits) in every exchange of the scenario's files, and its `accounts/` folder (the
/// descriptions are written afresh when the scenario is shaped). A fixed id already in a
/// recording is refused: the renaming would merge two accounts.
fn rename_accounts(dir: &std::path::Path, renamed: &[(String, String)]) -> Result<()> {
    if renamed.is_empty() {
        return Ok(());
    }
    let mut dirs = vec![dir.to_path_buf()];
    let accounts = dir.join("accounts");
    for entry in
        std::fs::read_dir(&accounts).with_context(|| format!("reading {}", accounts.display()))?
    {
        dirs.push(entry?.path());
    }
    for at in &dirs {
        let mut fixture = load_fixture(at)?;
        let mut text = serde_json::to_string(&fixture.exchanges)?;
        for (fixed, given) in renamed {
            if !whole_ids(&text, fixed).is_empty() {
                bail!(
                    "{} already holds {fixed}, the id moto's {given} is to be renamed to",
                    at.display()
                );
            }
            text = replace_id(&text, given, fixed);
        }
        fixture.exchanges = serde_json::from_str(&text)?;
        write_fixture(at, &fixture)?;
    }
    for (fixed, given) in renamed {
        let from = account_dir(dir, given);
        if from.exists() {
            std::fs::rename(&from, account_dir(dir, fixed))
                .with_context(|| format!("renaming {}", from.display()))?;
        }
    }
    Ok(())
}

/// Where `id` occurs in `text` as a whole: not preceded or followed by another digit.
fn whole_ids(text: &str, id: &str) -> Vec<usize> {
    let bytes = text.as_bytes();
    text.match_indices(id)
        .map(|(at, _)| at)
        .filter(|&at| {
            let before = at.checked_sub(1).map(|i| bytes[i]);
            let after = bytes.get(at + id.len()).copied();
            !before.is_some_and(|b| b.is_ascii_digit())
                && !after.is_some_and(|b| b.is_ascii_digit())
        })
        .collect()
}

/// `text` with every whole occurrence of account id `from` replaced by `to`.
fn replace_id(text: &str, from: &str, to: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for at in whole_ids(text, from) {
        out.push_str(&text[last..at]);
        out.push_str(to);
        last = at + from.len();
    }
    out.push_str(&text[last..]);
    out
}

/// [`shape_recorded`] for a batch: every account's recording (and the caller's) shaped, then the
/// whole batch replayed with its own arguments, which must ask for every exchange left in each.
async fn shape_batch(scenario: &scenarios::RecordedBatch) -> Result<()> {
    let dir = paths::scenario_dir(scenario.name);
    let mut dirs = vec![(None, dir.clone())];
    for (account, _) in scenario.accounts {
        dirs.push((Some(account.to_string()), account_dir(&dir, account)));
    }
    let mut caller = None;
    for (account, at) in &dirs {
        let mut fixture = load_fixture(at)?;
        let shaped = shape::shape(&mut fixture);
        let whose = match account {
            Some(id) => format!(" (Account {id}'s own calls.)"),
            None => String::new(),
        };
        let renamed = scenario
            .organization
            .as_ref()
            .map(|o| format!(" {}", o.renaming_note()))
            .unwrap_or_default();
        fixture.description = format!("{}{whose}{renamed} {}", scenario.description, shaped.note());
        write_fixture(at, &fixture)?;
        if account.is_none() {
            caller = Some(fixture);
        }
    }
    let caller = caller.expect("the caller's fixture is read first");
    let unused = replay_check_batch(&dir, &caller, scenario.name).await?;
    if let Some((account, unused)) = unused.iter().find(|(_, u)| !u.is_empty()) {
        bail!(
            "the shaped {} leaves {} exchanges of {} unasked",
            scenario.name,
            unused.len(),
            account.as_deref().unwrap_or("the caller"),
        );
    }
    eprintln!("shaped {} ({} accounts)", scenario.name, dirs.len() - 1);
    Ok(())
}

/// [`replay_check`] for a batch scenario: fails if the caller or any account asks for anything
/// its fixture lacks, and gives, per account (`None`: the caller), the exchanges never asked for.
async fn replay_check_batch(
    dir: &std::path::Path,
    caller: &Fixture,
    name: &str,
) -> Result<Vec<(Option<String>, Vec<usize>)>> {
    let state = tempfile::tempdir()?;
    let flags = replay_flags(dir, caller, state.path())?;
    let (_, replayers) = run::run_batch_with(flags, None).await;
    let mut unused = Vec::new();
    for (account, replayer) in replayers {
        if let Some(miss) = replayer.misses().first() {
            bail!(
                "{name} ({}) asks for what was not recorded: {miss}",
                account.as_deref().unwrap_or("the caller")
            );
        }
        unused.push((account, replayer.unused_indices()));
    }
    Ok(unused)
}

/// The `run` flags that replay `dir` with the arguments it was recorded with.
fn replay_flags(
    dir: &std::path::Path,
    fixture: &Fixture,
    state: &std::path::Path,
) -> Result<RunFlags> {
    let args = ["cargo xtask", "run"]
        .into_iter()
        .map(String::from)
        .chain(fixture.run_args.iter().cloned())
        .chain([
            "--replay".into(),
            dir.display().to_string(),
            "--state-dir".into(),
            state.display().to_string(),
        ])
        .chain(["--output".into(), "json".into()]);
    let Command::Run(flags) = Cli::try_parse_from(args)?.command else {
        unreachable!("built as a run")
    };
    Ok(flags)
}

/// Shapes a moto recording like AWS's answers (`shape`), says so in its description, and checks
/// that the shaped scenario's replay asks for every exchange left, and for nothing else.
async fn shape_recorded(scenario: &scenarios::Recorded) -> Result<()> {
    let dir = paths::scenario_dir(scenario.name);
    let mut fixture = load_fixture(&dir)?;
    let shaped = shape::shape(&mut fixture);
    fixture.description = format!("{} {}", scenario.description, shaped.note());
    write_fixture(&dir, &fixture)?;
    let unused = replay_check(&dir, &fixture, scenario.name).await?;
    if !unused.is_empty() {
        bail!(
            "the shaped {} leaves {} exchanges unasked, the first: {}",
            scenario.name,
            unused.len(),
            fixture.exchanges[unused[0]].key
        );
    }
    eprintln!(
        "shaped {} ({} exchanges, {} dropped with {:?})",
        scenario.name,
        fixture.exchanges.len(),
        shaped.dropped_exchanges,
        shaped.dropped_regions
    );
    Ok(())
}

/// [`shape_recorded`] for a revert and its undo: both recordings shaped, then the revert
/// replayed with its own arguments and the undo of the replayed run with the undo's; each must
/// ask for every exchange left in its file, and for nothing else.
async fn shape_undone(scenario: &scenarios::RecordedUndo) -> Result<()> {
    let dir = paths::scenario_dir(scenario.name);
    let undo_dir = dir.join(scenarios::UNDO_DIR);
    let mut revert = load_fixture(&dir)?;
    let shaped = shape::shape(&mut revert);
    revert.description = format!("{} {}", scenario.description, shaped.note());
    write_fixture(&dir, &revert)?;
    // The undo verifies the regions the revert scanned: those it no longer scans go here too.
    let mut undo = load_fixture(&undo_dir)?;
    let note = shape::shape_following(&mut undo, &shaped.dropped_regions).note();
    undo.description = format!("{} {note}", scenario.undo_description);
    write_fixture(&undo_dir, &undo)?;
    let (revert, undo) = (&revert, &undo);
    let state = tempfile::tempdir()?;
    let (_, replayer) = run::run_with(replay_flags(&dir, revert, state.path())?, None).await;
    all_asked(replayer, revert, scenario.name)?;
    let reverted = runbook::runs::run_ids(state.path())?;
    let [revert_id] = &reverted[..] else {
        bail!(
            "the replayed {} left {} runs, not one",
            scenario.name,
            reverted.len()
        );
    };
    let flags = undo_replay_flags(&undo_dir, undo, revert_id, state.path())?;
    let (_, replayer) = run::undo_with(flags, None).await;
    all_asked(replayer, undo, &format!("{} (the undo)", scenario.name))?;
    eprintln!(
        "shaped {} ({} exchanges, and {} for the undo)",
        scenario.name,
        revert.exchanges.len(),
        undo.exchanges.len()
    );
    Ok(())
}

/// The `undo` flags that replay `dir` (an undo's recording) on the run `run_id` in `state`:
/// the recorded undo's arguments, the run it undid replaced by `run_id`.
fn undo_replay_flags(
    dir: &std::path::Path,
    fixture: &Fixture,
    run_id: &str,
    state: &std::path::Path,
) -> Result<UndoFlags> {
    let [undo, _undone, rest @ ..] = &fixture.run_args[..] else {
        bail!("{} was not recorded as `undo RUN_ID …`", dir.display());
    };
    if undo != "undo" {
        bail!("{} was not recorded as `undo RUN_ID …`", dir.display());
    }
    let args = ["cargo xtask", "undo", run_id]
        .into_iter()
        .map(String::from)
        .chain(rest.iter().cloned())
        .chain([
            "--replay".into(),
            dir.display().to_string(),
            "--state-dir".into(),
            state.display().to_string(),
            "--output".into(),
            "json".into(),
        ]);
    let Command::Undo(flags) = Cli::try_parse_from(args)?.command else {
        unreachable!("built as an undo")
    };
    Ok(flags)
}

/// Fails unless the replay asked for every exchange of `fixture`, and for nothing else.
fn all_asked(replayer: Option<Replayer>, fixture: &Fixture, name: &str) -> Result<()> {
    let replayer = replayer.context("a replayed run has a replayer")?;
    if let Some(miss) = replayer.misses().first() {
        bail!("{name} asks for what was not recorded: {miss}");
    }
    let unused = replayer.unused_indices();
    if let Some(first) = unused.first() {
        bail!(
            "the shaped {name} leaves {} exchanges unasked, the first: {}",
            unused.len(),
            fixture.exchanges[*first].key
        );
    }
    Ok(())
}

fn write_fixture(dir: &std::path::Path, fixture: &Fixture) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    let text = render_fixture(fixture, &Secrets::default()).map_err(|l| refusal(&l))?;
    write_traffic(&dir.join("traffic.json"), &text)?;
    Ok(())
}

/// Writes a fixture file 0644, whatever the umask: fixtures are redacted and leak-checked
/// before this, and committed to the repository for everyone to read (ARCHITECTURE.md).
fn write_traffic(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o644))
}

/// Replays the scenario in `dir` with its own arguments: fails if it asks for anything the
/// fixture lacks, and gives the positions of the exchanges it never asked for.
async fn replay_check(dir: &std::path::Path, fixture: &Fixture, name: &str) -> Result<Vec<usize>> {
    let state = tempfile::tempdir()?;
    let flags = replay_flags(dir, fixture, state.path())?;
    let (_, replayer) = run::run_with(flags, None).await;
    let replayer = replayer.context("a replayed run has a replayer")?;
    if !replayer.misses().is_empty() {
        bail!(
            "{name} asks for what was not recorded: {}",
            replayer.misses()[0]
        );
    }
    Ok(replayer.unused_indices())
}

/// Applies a hand edit to a recorded scenario, then prunes what the edited run no longer asks.
async fn derive(scenario: &scenarios::HandEdited) -> Result<()> {
    let mut fixture = load_fixture(&paths::scenario_dir(scenario.from))?;
    (scenario.edit)(&mut fixture);
    // The recording it comes from was shaped like AWS's answers: say so here too.
    let shaped = fixture
        .description
        .find("Shaped like AWS's answers")
        .map(|at| fixture.description[at..].to_string());
    fixture.description = match shaped {
        Some(note) => format!(
            "{} Built on {}, whose recording was shaped before this scenario's edit: {note}",
            scenario.description, scenario.from
        ),
        None => scenario.description.to_string(),
    };
    fixture.origin = scenario.edit_note.to_string();
    let dir = paths::scenario_dir(scenario.name);
    write_fixture(&dir, &fixture)?;
    let unused = replay_check(&dir, &fixture, &format!("the edited {}", scenario.name)).await?;
    let mut index = 0;
    fixture.exchanges.retain(|_| {
        index += 1;
        !unused.contains(&(index - 1))
    });
    write_fixture(&dir, &fixture)?;
    eprintln!(
        "derived {} from {} ({} exchanges, {} pruned)",
        scenario.name,
        scenario.from,
        fixture.exchanges.len(),
        unused.len()
    );
    Ok(())
}

fn list() -> Result<()> {
    let root = paths::root().join("fixtures");
    let mut names: Vec<String> = std::fs::read_dir(&root)
        .with_context(|| format!("reading {}", root.display()))?
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("traffic.json").exists())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    for name in names {
        let fixture = load_fixture(&root.join(&name))?;
        out::line(format!(
            "{name} ({}, {} exchanges)\n  {}",
            fixture.origin,
            fixture.exchanges.len(),
            fixture.description
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::Recording;

    /// What follows `--` is a `run` command line, or an `undo` one; anything else is refused.
    #[test]
    fn a_recording_is_a_run_or_an_undo() {
        let args = |text: &str| -> Vec<String> { text.split(' ').map(String::from).collect() };
        assert!(matches!(
            Recording::parse(&args("revert --yes")),
            Ok(Recording::Run(_))
        ));
        match Recording::parse(&args("undo 20260101T000000.000Z-abcd --yes")) {
            Ok(Recording::Undo(flags)) => {
                assert_eq!(flags.run_id, "20260101T000000.000Z-abcd");
                assert!(flags.yes);
            }
            _ => panic!("an undo"),
        }
        let refused = Recording::parse(&args("audit list"))
            .err()
            .expect("refused");
        assert!(
            refused.to_string().contains("`run` arguments"),
            "{refused:#}"
        );
        let refused = Recording::parse(&args("undo")).err().expect("refused");
        assert!(
            refused.to_string().contains("`undo` arguments"),
            "{refused:#}"
        );
    }

    /// An account id is renamed where it stands whole, never inside a longer run of digits (a
    /// timestamp, another id).
    #[test]
    fn an_account_id_is_renamed_only_where_it_stands_whole() {
        let text = r#"{"Id":"794889569271","Arn":"arn:aws:iam::794889569271:role/R","Joined":17948895692710.5,"Other":"1794889569271"}"#;
        assert_eq!(
            super::replace_id(text, "794889569271", "111111111111"),
            r#"{"Id":"111111111111","Arn":"arn:aws:iam::111111111111:role/R","Joined":17948895692710.5,"Other":"1794889569271"}"#
        );
        assert!(super::whole_ids("x111111111111y", "111111111111").len() == 1);
        assert!(super::whole_ids("1111111111111", "111111111111").is_empty());
    }

    #[test]
    fn a_batch_is_recorded_on_a_local_endpoint_only() {
        if std::env::var_os("AWS_ENDPOINT_URL").is_some() {
            // clap would take it as --endpoint-url, and this would record.
            return;
        }
        let args = ["revert", "--yes", "--accounts", "111111111111"].map(String::from);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let refused = runtime
            .block_on(super::record("never-written", None, args.to_vec()))
            .unwrap_err();
        assert!(
            refused.to_string().contains("local endpoint"),
            "{refused:#}"
        );
        assert!(!crate::workspace::scenario_dir("never-written").exists());
    }
}
