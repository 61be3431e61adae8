//! `fixtures seed|record|list`: make and keep the recorded scenarios used for offline tests.

use anyhow::{Context, Result};
use runbook::testkit;

use crate::flags::{FixturesCommand, FixturesFlags};

pub async fn run(flags: FixturesFlags) -> Result<()> {
    match flags.command {
        FixturesCommand::Seed { endpoint_url } => seed(&endpoint_url).await,
        FixturesCommand::Record { .. } => anyhow::bail!("`fixtures record` is not available yet"),
        FixturesCommand::List => anyhow::bail!("`fixtures list` is not available yet"),
    }
}

async fn seed(endpoint: &str) -> Result<()> {
    let config = testkit::local_config(endpoint, testkit::seed::HOME);
    let seeded = testkit::seed(&config, &testkit::Seed::default())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))
        .with_context(|| format!("seeding the secure account on {endpoint}"))?;
    println!("seeded the secure account on {endpoint}:");
    println!("  trail  {}", seeded.trail_arn);
    println!("  bucket {} (SSE-KMS)", seeded.bucket);
    println!("  key    {}", seeded.key_arn);
    Ok(())
}
