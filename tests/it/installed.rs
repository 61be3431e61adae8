//! The operator's binary as installed (`cloudtrail-revert`, run from no checkout): its state
//! directory under the XDG base directories, `--replay` by path, its own name in every command
//! it prints, and a state directory it cannot make refused before anything else.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{cut_before, run_dirs, scenario_with, Run};

/// The fixtures of this checkout, named by path (an installed binary has no fixtures/ of its
/// own).
fn scenario(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures")
        .join(name)
        .canonicalize()
        .unwrap()
}

/// The installed binary with `home` as HOME and nothing of the developer's environment; run
/// from `home`, far from any checkout.
fn installed(home: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cloudtrail-revert-as-installed"));
    for (name, _) in std::env::vars() {
        if name.starts_with("AWS_")
            || name.starts_with("XDG_")
            || name == "RUNBOOK_STATE_DIR"
            || name.starts_with("LC_")
            || name == "LANG"
        {
            cmd.env_remove(name);
        }
    }
    cmd.env("HOME", home)
        .env("AWS_CONFIG_FILE", "/nonexistent/aws-config")
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/aws-credentials",
        )
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .current_dir(home);
    cmd
}

#[test]
fn runs_are_kept_under_the_xdg_state_directory() {
    let home = tempfile::tempdir().unwrap();
    let mut cmd = installed(home.path());
    cmd.args(["run", "status", "--replay"])
        .arg(scenario("secure-account"));
    Run::of(cmd).success();
    let default = home.path().join(".local/state/cloudtrail-revert");
    assert_eq!(
        run_dirs(&default).len(),
        1,
        "one run in {}",
        default.display()
    );
    assert!(!home.path().join("runs").exists());

    // The audit views read the same place.
    let mut cmd = installed(home.path());
    cmd.args(["audit", "list"]);
    let list = Run::of(cmd).success();
    let id = run_dirs(&default)[0]
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    assert!(list.stdout.contains(&id), "{}", list.stdout);

    // XDG_STATE_HOME, when set to an absolute path, is the base; RUNBOOK_STATE_DIR wins over it.
    let xdg = home.path().join("xdg");
    let mut cmd = installed(home.path());
    cmd.env("XDG_STATE_HOME", &xdg)
        .args(["run", "status", "--replay"])
        .arg(scenario("secure-account"));
    Run::of(cmd).success();
    assert_eq!(run_dirs(&xdg.join("cloudtrail-revert")).len(), 1);
    let chosen = home.path().join("chosen");
    let mut cmd = installed(home.path());
    cmd.env("XDG_STATE_HOME", &xdg)
        .env("RUNBOOK_STATE_DIR", &chosen)
        .args(["run", "status", "--replay"])
        .arg(scenario("secure-account"));
    Run::of(cmd).success();
    assert_eq!(run_dirs(&chosen).len(), 1);
    assert_eq!(run_dirs(&xdg.join("cloudtrail-revert")).len(), 1);
}

#[test]
fn a_scenario_name_needs_a_checkout() {
    let home = tempfile::tempdir().unwrap();
    let mut cmd = installed(home.path());
    cmd.args([
        "run",
        "status",
        "--replay",
        "secure-account",
        "--output",
        "json",
    ]);
    let run = Run::of(cmd).failure(2);
    assert!(
        run.stderr.contains("--replay secure-account")
            && run.stderr.contains("--replay ./secure-account"),
        "names the path form: {}",
        run.stderr
    );
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc["error"]["code"], "replay_needs_path");
    // Nothing was started.
    assert!(!home.path().join(".local/state/cloudtrail-revert").exists());
}

#[test]
fn a_state_directory_that_cannot_be_made_is_refused_before_any_call() {
    // HOME is a file: `~/.local/state` cannot be made (as root too, unlike a read-only mode).
    let base = tempfile::tempdir().unwrap();
    let home = base.path().join("home");
    std::fs::write(&home, "").unwrap();
    // Any connection to this endpoint would be a call; none may come.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let mut cmd = installed(base.path());
    cmd.env("HOME", &home)
        .env("AWS_ACCESS_KEY_ID", "AKIAEXAMPLEEXAMPLE00")
        .env("AWS_SECRET_ACCESS_KEY", "not-a-secret")
        .args(["run", "revert", "--yes", "--output", "json"])
        .args(["--endpoint-url", &endpoint]);
    let run = Run::of(cmd).failure(2);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc["error"]["code"], "state_dir_unusable");
    assert!(
        run.stderr.starts_with(&format!(
            "error: the state directory {} cannot be created",
            home.join(".local/state/cloudtrail-revert").display()
        )) && run.stderr.contains("--state-dir"),
        "{}",
        run.stderr
    );
    assert!(
        listener.accept().is_err(),
        "a call was made before the state directory was checked"
    );
}

#[test]
fn every_command_it_prints_names_itself() {
    let home = tempfile::tempdir().unwrap();
    // The help's examples.
    let mut cmd = installed(home.path());
    cmd.arg("--help");
    let help = Run::of(cmd).success();
    assert!(
        help.stdout
            .contains("cloudtrail-revert run status --profile my-account"),
        "{}",
        help.stdout
    );
    assert!(!help.stdout.contains("cargo xtask"), "{}", help.stdout);
    // A hint in an error.
    let mut cmd = installed(home.path());
    cmd.args(["audit", "show", "20990101T000000.000Z-beef"]);
    let run = Run::of(cmd).failure(2);
    assert!(
        run.stderr.contains("see `cloudtrail-revert audit list`"),
        "{}",
        run.stderr
    );
    // The resume command of a run that stopped.
    let scenario = scenario_with("secure-account", home.path(), cut_before("UpdateTrail"));
    let mut cmd = installed(home.path());
    cmd.args(["run", "revert", "--yes", "--replay"])
        .arg(&scenario);
    let failed = Run::of(cmd).failure(1);
    let resume = failed.resume_command();
    assert!(
        resume.starts_with(&format!("cloudtrail-revert resume {}", failed.run_id())),
        "{resume}"
    );
    // Its log is where the same binary's audit finds it.
    let mut cmd = installed(home.path());
    cmd.args(["audit", "verify", &failed.run_id()]);
    Run::of(cmd).success();
}

#[test]
fn refused_commands_leave_no_state_directory() {
    let home = tempfile::tempdir().unwrap();
    let default = home.path().join(".local/state/cloudtrail-revert");
    // Nothing to resume: said before credentials are looked for (there are none), and nothing
    // is made for it.
    let mut cmd = installed(home.path());
    cmd.args(["resume", "--output", "json"]);
    let run = Run::of(cmd).failure(2);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc["error"]["code"], "nothing_to_resume", "{}", run.stderr);
    assert!(!default.exists(), "{} was made", default.display());

    // A state directory that cannot be made is the same refusal for every command.
    let file_home = home.path().join("a-file");
    std::fs::write(&file_home, "").unwrap();
    for args in [
        &["undo", "20990101T000000.000Z-beef", "--yes"][..],
        &["resume"],
        &["audit", "list"],
        &["audit", "verify"],
    ] {
        let mut cmd = installed(home.path());
        cmd.env("HOME", &file_home)
            .args(args)
            .args(["--output", "json"]);
        let run = Run::of(cmd).failure(2);
        let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        assert_eq!(
            doc["error"]["code"], "state_dir_unusable",
            "{args:?}: {}",
            run.stderr
        );
    }
}
