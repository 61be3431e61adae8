//! `cargo xtask test`: the one test command. Makes sure moto_server is installed (the tests
//! start and stop their own servers on free loopback ports) and, for the evidence page's
//! browser test, Debian's headless `chromium`, then runs every test with snapshot changes
//! failing the run.

use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::workspace;

fn moto_installed() -> bool {
    Command::new("python3")
        .args(["-c", "import moto.server, flask, werkzeug"])
        .status()
        .is_ok_and(|s| s.success())
}

fn chromium_installed() -> bool {
    Command::new("chromium")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn apt_get(args: &[&str]) -> bool {
    Command::new("apt-get")
        .args(args)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status()
        .is_ok_and(|s| s.success())
}

/// Installs `chromium` with apt-get if it is missing; says loudly when it cannot (not root,
/// not Debian): the browser test of the evidence page is then skipped, not failed.
fn ensure_chromium() {
    if chromium_installed() {
        return;
    }
    eprintln!(
        "chromium is missing: installing it with apt-get (for the evidence page's browser test)"
    );
    let installed = apt_get(&["install", "-y", "chromium"])
        || (apt_get(&["update"]) && apt_get(&["install", "-y", "chromium"]));
    if !installed || !chromium_installed() {
        eprintln!(
            "\n*** could not install chromium (`apt-get install chromium` needs root on Debian or \
             Ubuntu): the evidence page will NOT be rendered in a browser; that test is skipped ***\n"
        );
    }
}

pub fn run(args: Vec<String>) -> Result<()> {
    ensure_chromium();
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
        .current_dir(workspace::root())
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
