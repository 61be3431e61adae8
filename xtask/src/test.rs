//! `cargo xtask test`: the one test command. Makes sure moto_server is installed (the tests
//! start and stop their own servers on free loopback ports), then runs every test with
//! snapshot changes failing the run.

use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::paths;

fn moto_installed() -> bool {
    Command::new("python3")
        .args(["-c", "import moto.server, flask, werkzeug"])
        .status()
        .is_ok_and(|s| s.success())
}

pub fn run(args: Vec<String>) -> Result<()> {
    if !moto_installed() {
        eprintln!("moto_server is missing: installing moto[server] with pip");
        let status = Command::new("python3")
            .args(["-m", "pip", "install", "--quiet", "moto[server]>=5.1,<6"])
            .status()
            .context("running pip (is python3 installed?)")?;
        if !status.success() || !moto_installed() {
            bail!("could not install moto[server]; install it yourself: python3 -m pip install 'moto[server]'");
        }
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(paths::workspace_root())
        .args(["test", "--workspace"])
        .args(&args)
        // A snapshot that changed fails the run; it is never silently accepted.
        .env("INSTA_UPDATE", "no")
        .env_remove("INSTA_FORCE_PASS")
        .status()
        .context("running cargo test")?;
    if !status.success() {
        bail!("tests failed");
    }
    Ok(())
}
