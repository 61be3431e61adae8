//! Ctrl-C: the operator interrupts a revert while a call is in flight. The run ends cleanly as
//! interrupted (exit 130, `run_interrupted` logged, the resume command printed), and `resume`
//! finishes it.
//!
//! A small proxy in front of moto holds back the trail's re-read before the write, and tells the
//! test when it has it: the SIGINT is sent then, not after a guessed sleep.

use std::io::{BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc;

use crate::proxy::read_request;
use crate::support::*;

/// Forwards to `upstream`, except that a request containing `hold` is never answered; the first
/// such request is reported on `held`.
fn stalling_proxy(upstream: u16, hold: &'static str, held: mpsc::Sender<()>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(client) = client else { break };
            let held = held.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(client.try_clone().unwrap());
                let mut client = client;
                while let Some(request) = read_request(&mut reader) {
                    if String::from_utf8_lossy(&request).contains(hold) {
                        let _ = held.send(());
                        std::thread::park();
                        return;
                    }
                    let mut up = TcpStream::connect(("127.0.0.1", upstream)).unwrap();
                    up.write_all(&request).unwrap();
                    let mut response = Vec::new();
                    // moto answers `Connection: close`: the response ends with the connection.
                    up.read_to_end(&mut response).unwrap();
                    if client.write_all(&response).is_err() {
                        return;
                    }
                }
            });
        }
    });
    port
}

#[test]
fn ctrl_c_ends_the_run_as_interrupted_and_resume_finishes_it() {
    let env = Env::secure_account();
    let (held_tx, held_rx) = mpsc::channel();
    // The re-read before UpdateTrail is the one DescribeTrails call that names the trail's ARN.
    let proxy = stalling_proxy(env.moto.port(), "trailNameList", held_tx);

    let mut cmd = xtask_command(env.state.path());
    cmd.args([
        "run",
        "revert",
        "--yes",
        "--endpoint-url",
        &format!("http://127.0.0.1:{proxy}"),
    ])
    .env("AWS_ACCESS_KEY_ID", "testing")
    .env("AWS_SECRET_ACCESS_KEY", "testing")
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped());
    let child = cmd.spawn().unwrap();
    held_rx
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("the run reached the held call");
    // bash's own `kill`, so the test needs no procps.
    let status = std::process::Command::new("bash")
        .args(["-c", &format!("kill -INT {}", child.id())])
        .status()
        .unwrap();
    assert!(status.success());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(
        stderr.contains("was interrupted")
            && stderr.contains("Continue it with:\n  cargo xtask resume"),
        "{stderr}"
    );

    let dirs = run_dirs(env.state.path());
    let events = events(&dirs[0]);
    let last = events.last().unwrap();
    assert_eq!(last.event, "run_interrupted");
    assert_eq!(last.data["during_step"], "disable_trail_kms");
    let state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dirs[0].join("state.json")).unwrap())
            .unwrap();
    assert_eq!(state["status"], "interrupted");
    env.assert_untouched();

    env.xtask(&["resume"]).success();
    env.assert_reverted();
    let events = crate::support::events(&dirs[0]);
    assert_eq!(events.last().unwrap().event, "run_finished");
}
