//! One run at a time per state directory, held by the kernel (`flock`): many starters at once
//! give exactly one holder; a holder killed with SIGKILL leaves the lock free at once; an
//! operator's `flock` keeps runs out whatever the lock file holds; a refusal names the holder as
//! far as the file says.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use runbook::lock::Lock;

use crate::support::*;

/// Set in a helper process (this test binary run again) to the state directory to lock.
const HELPER_STATE_DIR: &str = "RUNBOOK_TEST_LOCK_HELPER_STATE_DIR";

/// Not a test: the body of a helper process of `many_starters_at_once_exactly_one_holds_it`.
/// Says READY, waits for `go` on stdin, tries the lock and says HELD or REFUSED; a holder keeps
/// the lock until its stdin closes.
#[test]
#[ignore = "a helper process, started by many_starters_at_once_exactly_one_holds_it"]
fn lock_helper() {
    let Some(state_dir) = std::env::var_os(HELPER_STATE_DIR) else {
        return;
    };
    let mut stdin = std::io::stdin().lock();
    let mut out = std::io::stdout().lock();
    // Each word on its own line: libtest has already written `test lock::lock_helper ... `.
    writeln!(out, "\nREADY").unwrap();
    out.flush().unwrap();
    let mut go = String::new();
    stdin.read_line(&mut go).unwrap();
    match Lock::acquire(Path::new(&state_dir), "helper") {
        Ok(lock) => {
            writeln!(out, "\nHELD").unwrap();
            out.flush().unwrap();
            let mut rest = String::new();
            while stdin.read_line(&mut rest).unwrap() > 0 {}
            drop(lock);
        }
        Err(e) => {
            writeln!(out, "\nREFUSED {e}").unwrap();
            out.flush().unwrap();
        }
    }
}

struct Starter {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<std::process::ChildStdout>,
}

impl Starter {
    fn spawn(state_dir: &Path) -> Starter {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "lock::lock_helper",
                "--exact",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(HELPER_STATE_DIR, state_dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        Starter {
            stdin: child.stdin.take(),
            stdout: BufReader::new(child.stdout.take().unwrap()),
            child,
        }
    }

    /// The helper's next line that says READY, HELD or REFUSED (libtest adds its own lines).
    fn next_word(&mut self) -> String {
        let mut line = String::new();
        loop {
            line.clear();
            assert!(
                self.stdout.read_line(&mut line).unwrap() > 0,
                "the helper ended without a word"
            );
            if ["READY", "HELD", "REFUSED"]
                .iter()
                .any(|w| line.starts_with(w))
            {
                return line.trim_end().to_string();
            }
        }
    }
}

#[test]
fn many_starters_at_once_exactly_one_holds_it() {
    const ROUNDS: usize = 20;
    const STARTERS: usize = 8;
    let reused = tempfile::tempdir().unwrap();
    for round in 0..ROUNDS {
        // Half the rounds race to create the lock file, half find it left by the round before.
        let fresh = tempfile::tempdir().unwrap();
        let state_dir = if round % 2 == 0 {
            fresh.path()
        } else {
            reused.path()
        };
        let mut starters: Vec<Starter> = (0..STARTERS).map(|_| Starter::spawn(state_dir)).collect();
        for s in &mut starters {
            assert_eq!(s.next_word(), "READY");
        }
        // Every helper is blocked reading stdin: they all try the lock within microseconds.
        for s in &mut starters {
            s.stdin.as_mut().unwrap().write_all(b"go\n").unwrap();
        }
        let words: Vec<String> = starters.iter_mut().map(Starter::next_word).collect();
        let holders = words.iter().filter(|w| *w == "HELD").count();
        assert_eq!(holders, 1, "round {round}: {words:#?}");
        for word in words.iter().filter(|w| *w != "HELD") {
            assert!(
                word.starts_with("REFUSED another process holds the run lock"),
                "round {round}: {word}"
            );
        }
        for mut s in starters {
            drop(s.stdin.take());
            assert!(s.child.wait().unwrap().success());
        }
    }
}

/// `xtask` with a clean environment in `state`.
fn xtask_in(state: &Path, args: &[&str]) -> Run {
    let mut cmd = xtask_command(state);
    cmd.args(args);
    Run::of(cmd)
}

/// An operator's `flock <lock> …`, holding the lock until dropped.
pub struct OperatorFlock {
    child: Child,
}

impl OperatorFlock {
    pub fn hold(lock_file: &Path) -> OperatorFlock {
        let mut child = Command::new("flock")
            .arg(lock_file)
            .args(["sh", "-c", "echo held; exec cat"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("util-linux flock runs");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line, "held\n");
        OperatorFlock { child }
    }
}

impl Drop for OperatorFlock {
    fn drop(&mut self) {
        // `cat` ends when its stdin closes, and flock with it.
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

#[test]
fn an_operators_flock_keeps_runs_out_whatever_the_lock_file_holds() {
    let empty: &[u8] = b"";
    let garbage: &[u8] = b"\xff\xfe\x00 not json \x80\x81";
    for contents in [empty, garbage] {
        let state = tempfile::tempdir().unwrap();
        let lock_file = state.path().join("lock");
        std::fs::write(&lock_file, contents).unwrap();
        let flock = OperatorFlock::hold(&lock_file);
        let run = xtask_in(
            state.path(),
            &["run", "revert", "--yes", "--replay", "secure-account"],
        )
        .failure(2);
        assert!(
            run.stderr.contains("another process holds the run lock")
                && run.stderr.contains("the lock file does not say who"),
            "{}",
            run.stderr
        );
        assert!(!run.stderr.contains("UTF-8"), "{}", run.stderr);
        assert!(run_dirs(state.path()).is_empty(), "nothing was started");
        assert_eq!(
            std::fs::read(&lock_file).unwrap(),
            contents,
            "a refused run leaves the holder's file alone"
        );
        drop(flock);
        xtask_in(
            state.path(),
            &["run", "revert", "--yes", "--replay", "secure-account"],
        )
        .success();
    }
}

#[test]
fn a_refusal_names_the_holder_the_lock_file_names() {
    let state = tempfile::tempdir().unwrap();
    let lock_file = state.path().join("lock");
    let holder = serde_json::json!({
        "pid": 4242,
        "host": "ops-host",
        "started": "2026-11-29T10:00:00Z",
        "run_id": "20261129T100000Z-beef",
    });
    std::fs::write(&lock_file, holder.to_string()).unwrap();
    let _flock = OperatorFlock::hold(&lock_file);
    let run = xtask_in(
        state.path(),
        &["run", "revert", "--yes", "--replay", "secure-account"],
    )
    .failure(2);
    assert!(
        run.stderr.contains(
            "run 20261129T100000Z-beef, pid 4242 on ops-host, since 2026-11-29T10:00:00Z"
        ),
        "{}",
        run.stderr
    );
    let resume = xtask_in(state.path(), &["resume", "--replay", "secure-account"]).failure(2);
    assert!(
        resume.stderr.contains("holds the run lock") || resume.stderr.contains("no unfinished run"),
        "{}",
        resume.stderr
    );
}

#[test]
fn a_lock_file_left_by_an_ended_run_stops_nobody() {
    let state = tempfile::tempdir().unwrap();
    let lock_file = state.path().join("lock");
    // What a run killed mid-way leaves: its details, but no process holding the lock.
    let holder = serde_json::json!({
        "pid": 4_000_000_u32,
        "host": runbook::lock::hostname(),
        "started": "2026-11-29T10:00:00Z",
        "run_id": "20261129T100000Z-dead",
    });
    std::fs::write(&lock_file, holder.to_string()).unwrap();
    xtask_in(
        state.path(),
        &["run", "revert", "--yes", "--replay", "secure-account"],
    )
    .success();
    let events = events(&run_dirs(state.path())[0]);
    assert!(
        events.iter().all(|e| e.event != "lock_taken_over"),
        "nothing is taken over: the kernel had released the lock"
    );
    // The file stays (deleting a locked file lets two processes lock two inodes); the lock is
    // free: an operator's flock gets it at once.
    assert!(lock_file.exists());
    let status = Command::new("flock")
        .args(["--nonblock"])
        .arg(&lock_file)
        .arg("true")
        .status()
        .unwrap();
    assert!(status.success(), "the lock is released when the run ends");
}

#[test]
fn a_holder_killed_with_sigkill_frees_the_lock_at_once() {
    let state = tempfile::tempdir().unwrap();
    let lock_file = state.path().join("lock");
    // A real run, on a terminal, waiting at the confirmation with the lock held.
    let holder_cmd = format!(
        "{} run revert --replay secure-account",
        env!("CARGO_BIN_EXE_xtask")
    );
    let mut script = Command::new("script");
    script.args(["-qec", &holder_cmd, "/dev/null"]);
    let clean = xtask_command(state.path());
    for (k, v) in clean.get_envs() {
        match v {
            Some(v) => script.env(k, v),
            None => script.env_remove(k),
        };
    }
    let mut terminal = script
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("script runs");
    let deadline = Instant::now() + Duration::from_secs(60);
    let holder = loop {
        let text = std::fs::read(&lock_file).unwrap_or_default();
        if let Ok(holder) = serde_json::from_slice::<runbook::lock::LockHolder>(&text) {
            break holder;
        }
        assert!(Instant::now() < deadline, "the run never took the lock");
        std::thread::sleep(Duration::from_millis(50));
    };

    let refused = xtask_in(
        state.path(),
        &["run", "revert", "--yes", "--replay", "secure-account"],
    )
    .failure(2);
    assert!(
        refused
            .stderr
            .contains(&format!("run {}, pid {} on ", holder.run_id, holder.pid)),
        "{}",
        refused.stderr
    );

    let killed = Command::new("bash")
        .args(["-c", &format!("kill -KILL {}", holder.pid)])
        .status()
        .unwrap();
    assert!(killed.success());
    drop(terminal.stdin.take());
    terminal.wait().unwrap();
    assert!(
        String::from_utf8_lossy(&std::fs::read(&lock_file).unwrap()).contains(&holder.run_id),
        "the killed holder's details are still in the file"
    );

    let started = Instant::now();
    xtask_in(
        state.path(),
        &["run", "revert", "--yes", "--replay", "secure-account"],
    )
    .success();
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "the next run did not wait for anything"
    );
    assert_eq!(run_dirs(state.path()).len(), 2);
}
