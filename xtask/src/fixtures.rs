//! `fixtures seed|record|list`: make and keep the recorded scenarios used for offline tests.

use anyhow::{bail, Context, Result};
use aws_credential_types::provider::ProvideCredentials;
use clap::Parser;
use runbook::aws::FALLBACK_REGION;
use runbook::http::redact::{render_fixture, Leak, Secrets};
use runbook::http::replay::load_fixture;
use runbook::http::{Fixture, Recorder};
use runbook::testkit;

use crate::flags::{Command, FixturesCommand, FixturesFlags, RunFlags, Xtask};
use crate::{connect, out, paths, run, scenarios, shape};

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

/// The `run` flags given after `--` to `fixtures record`.
pub fn run_flags(run_args: &[String]) -> Result<RunFlags> {
    let parsed = Xtask::try_parse_from(
        ["cargo xtask", "run"]
            .into_iter()
            .map(String::from)
            .chain(run_args.iter().cloned()),
    )
    .context("the arguments after `--` are not valid `run` arguments")?;
    let Command::Run(flags) = parsed.command else {
        bail!("the arguments after `--` must be `run` arguments")
    };
    Ok(flags)
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
    let flags = run_flags(&run_args)?;
    if flags.connection.replay.is_some() {
        bail!("record talks to AWS or --endpoint-url; --replay makes no traffic to record");
    }
    let dir = paths::scenario_dir(scenario);
    let config = connect::sdk_config(&flags.connection, None).await?;
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
    // The recorder sees the service clients' calls only: `connect` hands it to them after the
    // credential providers were built with the real client.
    let recorder = Recorder::default();
    let (outcome, _) =
        run::run_with(flags, Some(recorder.wrap(runbook::http::real_client()))).await;

    let mut fixture = Fixture {
        description: description.unwrap_or_default(),
        origin: "recorded".into(),
        region,
        run_args: stored_args(&run_args),
        exchanges: recorder.exchanges(),
    };
    if fixture.exchanges.is_empty() {
        // The run's own error says what went wrong (credentials, region, lock, …).
        outcome.context("nothing was recorded: the run failed before any AWS call was answered")?;
        bail!("nothing was recorded: the run made no AWS call");
    }
    secrets.account_id = recorded_account(&fixture);
    // Keep the description of an existing scenario unless a new one was given.
    if fixture.description.is_empty() {
        fixture.description = load_fixture(&dir)
            .map(|f| f.description)
            .unwrap_or_default();
    }
    let text = render_fixture(&fixture, &secrets).map_err(|leaks| refusal(&leaks))?;
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let path = dir.join("traffic.json");
    std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    eprintln!(
        "recorded {} exchanges to {}",
        fixture.exchanges.len(),
        path.display()
    );
    if let Err(e) = outcome {
        eprintln!("(the recorded run itself ended with an error, which the fixture keeps: {e:#})");
    }
    Ok(())
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

/// Rebuilds the scenarios: each moto-made one against its own fresh moto server (through a
/// child `fixtures record`, so credentials stay out of this process), then the hand-edited ones.
async fn refresh(only: Option<&str>) -> Result<()> {
    let exe = std::env::current_exe().context("finding the xtask binary")?;
    for scenario in scenarios::RECORDED
        .iter()
        .filter(|s| only.is_none_or(|o| o == s.name))
    {
        let moto = testkit::Moto::start().map_err(|e| anyhow::anyhow!(e))?;
        let config = testkit::local_config(&moto.endpoint(), testkit::seed::HOME);
        testkit::seed(&config, &(scenario.seed)())
            .await
            .map_err(|e| anyhow::anyhow!(e))?;
        let state = tempfile::tempdir()?;
        let status = std::process::Command::new(&exe)
            .args([
                "fixtures",
                "record",
                scenario.name,
                "--description",
                scenario.description,
                "--",
            ])
            .args(scenarios::RUN_ARGS)
            .args([
                "--endpoint-url",
                &moto.endpoint(),
                "--region",
                testkit::seed::HOME,
            ])
            .arg("--state-dir")
            .arg(state.path())
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_SESSION_TOKEN")
            .stdout(std::process::Stdio::null())
            .status()?;
        if !status.success() {
            bail!("recording {} failed", scenario.name);
        }
        shape_recorded(scenario).await?;
    }
    for scenario in scenarios::HAND_EDITED
        .iter()
        .filter(|s| only.is_none_or(|o| o == s.name))
    {
        derive(scenario).await?;
    }
    Ok(())
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

fn write_fixture(dir: &std::path::Path, fixture: &Fixture) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    let text = render_fixture(fixture, &Secrets::default()).map_err(|l| refusal(&l))?;
    std::fs::write(dir.join("traffic.json"), text)?;
    Ok(())
}

/// Replays the scenario in `dir` with its own arguments: fails if it asks for anything the
/// fixture lacks, and gives the positions of the exchanges it never asked for.
async fn replay_check(dir: &std::path::Path, fixture: &Fixture, name: &str) -> Result<Vec<usize>> {
    let state = tempfile::tempdir()?;
    let args = ["cargo xtask", "run"]
        .into_iter()
        .map(String::from)
        .chain(fixture.run_args.iter().cloned())
        .chain([
            "--replay".into(),
            dir.display().to_string(),
            "--state-dir".into(),
            state.path().display().to_string(),
        ])
        .chain(["--output".into(), "json".into()]);
    let Command::Run(flags) = Xtask::try_parse_from(args)?.command else {
        unreachable!("built as a run")
    };
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
    let root = paths::workspace_root().join("fixtures");
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
