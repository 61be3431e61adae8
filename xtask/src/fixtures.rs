//! `fixtures seed|record|list`: make and keep the recorded scenarios used for offline tests.

use anyhow::{bail, Context, Result};
use aws_credential_types::provider::ProvideCredentials;
use clap::Parser;
use runbook::aws::FALLBACK_REGION;
use runbook::http::redact::{render_fixture, Secrets};
use runbook::http::replay::load_fixture;
use runbook::http::{Fixture, Recorder};
use runbook::testkit;

use crate::flags::{Command, FixturesCommand, FixturesFlags, Xtask};
use crate::{connect, out, paths, run};

pub async fn run(flags: FixturesFlags) -> Result<()> {
    match flags.command {
        FixturesCommand::Seed { endpoint_url } => seed(&endpoint_url).await,
        FixturesCommand::Record {
            scenario,
            description,
            run_args,
        } => record(&scenario, description, run_args).await,
        FixturesCommand::List => list(),
    }
}

async fn seed(endpoint: &str) -> Result<()> {
    let config = testkit::local_config(endpoint, testkit::seed::HOME);
    let seeded = testkit::seed(&config, &testkit::Seed::default())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))
        .with_context(|| format!("seeding the secure account on {endpoint}"))?;
    out::line(format!("seeded the secure account on {endpoint}:"));
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

async fn record(scenario: &str, description: Option<String>, run_args: Vec<String>) -> Result<()> {
    let parsed = Xtask::try_parse_from(
        ["cargo xtask", "run"]
            .into_iter()
            .map(String::from)
            .chain(run_args.clone()),
    )
    .context("the arguments after `--` are not valid `run` arguments")?;
    let Command::Run(flags) = parsed.command else {
        bail!("the arguments after `--` must be `run` arguments")
    };
    if flags.connection.replay.is_some() {
        bail!("record talks to AWS or --endpoint-url; --replay makes no traffic to record");
    }
    let dir = paths::scenario_dir(scenario);
    let config = connect::sdk_config(&flags.connection, None).await;
    let region = config
        .region()
        .map(|r| r.to_string())
        .unwrap_or_else(|| FALLBACK_REGION.into());
    let mut secrets = Secrets::default();
    if let Some(provider) = config.credentials_provider() {
        if let Ok(creds) = provider.provide_credentials().await {
            secrets.access_key_id = Some(creds.access_key_id().to_string());
            secrets.secret_access_key = Some(creds.secret_access_key().to_string());
            secrets.session_token = creds.session_token().map(str::to_string);
        }
    }
    let recorder = Recorder::default();
    let outcome = run::run_with(flags, Some(recorder.wrap(runbook::http::real_client()))).await;

    let mut fixture = Fixture {
        description: description.unwrap_or_default(),
        origin: "recorded".into(),
        region,
        run_args,
        exchanges: recorder.exchanges(),
    };
    if fixture.exchanges.is_empty() {
        bail!("nothing was recorded: the run made no AWS call");
    }
    secrets.account_id = recorded_account(&fixture);
    // Keep the description of an existing scenario unless a new one was given.
    if fixture.description.is_empty() {
        fixture.description = load_fixture(&dir)
            .map(|f| f.description)
            .unwrap_or_default();
    }
    let text = render_fixture(&fixture, &secrets).map_err(|problems| {
        anyhow::anyhow!("refusing to write the fixture: {}", problems.join("; "))
    })?;
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
