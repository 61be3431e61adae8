//! Hostile paths and states against the commands that read or write them (`run`, `resume`,
//! `audit verify|show|list|report`): links (symbolic and hard), FIFOs, folders, devices, a state
//! directory others can write to, a renamed run folder, a file under the state directory named
//! as `--out`, bad fixtures. Every row goes through [`check`]: the exit code, the words of the
//! refusal, no panic, and nothing under the test's folder changed or created.

use std::collections::BTreeMap;
use std::io::Read;
use std::os::unix::fs::{symlink, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use runbook::batch::journal as batch_journal;

use crate::support::*;

/// Everything under `root` as it stands, links not followed: each path with its type, mode,
/// number of names, owner and (for a regular file) the hash of its content.
fn tree(root: &Path) -> BTreeMap<PathBuf, String> {
    let mut seen = BTreeMap::new();
    let mut todo = vec![root.to_path_buf()];
    while let Some(path) = todo.pop() {
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        let kind = meta.file_type();
        let content = if kind.is_file() {
            use std::hash::{Hash, Hasher};
            let mut h = std::hash::DefaultHasher::new();
            std::fs::read(&path).unwrap().hash(&mut h);
            format!("{:x}", h.finish())
        } else if kind.is_symlink() {
            std::fs::read_link(&path).unwrap().display().to_string()
        } else {
            String::new()
        };
        if kind.is_dir() {
            for entry in std::fs::read_dir(&path).unwrap() {
                todo.push(entry.unwrap().path());
            }
        }
        seen.insert(
            path,
            format!(
                "{:?} {:o} {} {} {content}",
                kind,
                meta.mode(),
                meta.nlink(),
                meta.uid()
            ),
        );
    }
    seen
}

/// Runs xtask with `args` in `state`, giving up after two minutes (a FIFO waited on is a
/// finding, not a hung test suite).
fn xtask_bounded(state: &Path, args: &[String]) -> Run {
    let mut cmd = xtask_command(state);
    cmd.args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("xtask starts");
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        stdout.read_to_string(&mut s).ok();
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        stderr.read_to_string(&mut s).ok();
        s
    });
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            child.kill().ok();
            child.wait().ok();
            panic!("xtask {args:?} did not end within two minutes: it waits on something");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Run {
        code: status.code().unwrap_or(-1),
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    }
}

/// The one funnel of every row: `args` run in `state` must exit with `code` (without a panic
/// or a Debug dump), say `words` (on stderr, or stdout for a success), and leave everything
/// under `watched` exactly as it was: nothing written, replaced, emptied or created.
#[track_caller]
fn check(row: &str, watched: &Path, state: &Path, args: &[&str], code: i32, words: &str) {
    let before = tree(watched);
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let run = xtask_bounded(state, &args);
    assert_eq!(
        run.code,
        code,
        "{row}: `{}` exits {code}\nstdout:\n{}\nstderr:\n{}",
        args.join(" "),
        run.stdout,
        run.stderr
    );
    assert!(!run.stderr.contains("panicked"), "{row}: {}", run.stderr);
    assert_no_debug_dump(&run.stderr);
    let said = if code == 0 { &run.stdout } else { &run.stderr };
    assert!(
        said.contains(words),
        "{row}: `{}` says {words:?}:\n{said}",
        args.join(" ")
    );
    let after = tree(watched);
    for (path, was) in &before {
        assert_eq!(
            after.get(path),
            Some(was),
            "{row}: `{}` changed {}",
            args.join(" "),
            path.display()
        );
    }
    for path in after.keys() {
        assert!(
            before.contains_key(path),
            "{row}: `{}` created {}",
            args.join(" "),
            path.display()
        );
    }
}

/// An unfinished run (`failed_run`) in `<tmp>/runs`, and a folder `<tmp>/outside` with a file
/// `v` that belongs to nobody's run.
struct Case {
    tmp: tempfile::TempDir,
    state: PathBuf,
    dir: PathBuf,
    id: String,
    outside: PathBuf,
}

impl Case {
    fn new() -> Case {
        let (tmp, dir, id) = failed_run();
        let state = tmp.path().join("runs");
        let outside = tmp.path().join("outside");
        std::fs::create_dir(&outside).unwrap();
        std::fs::write(outside.join("v"), "someone else's data").unwrap();
        Case {
            tmp,
            state,
            dir,
            id,
            outside,
        }
    }

    fn check(&self, row: &str, args: &[&str], code: i32, words: &str) {
        let args: Vec<String> = args.iter().map(|a| a.replace("{id}", &self.id)).collect();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        check(row, self.tmp.path(), &self.state, &args, code, words);
    }
}

fn mkfifo(path: &Path) {
    assert!(Command::new("mkfifo").arg(path).status().unwrap().success());
}

const RUN: &[&str] = &["run", "revert", "--yes", "--replay", "secure-account"];
const RESUME: &[&str] = &["resume", "{id}", "--replay", "secure-account"];
const VERIFY: &[&str] = &["audit", "verify", "{id}"];
const SHOW: &[&str] = &["audit", "show", "{id}"];
const REPORT: &[&str] = &["audit", "report", "{id}"];
const LIST: &[&str] = &["audit", "list"];

type Plant = fn(&Case) -> bool;

/// Hostile run state: what is planted, then each command with its exit code and words. A
/// plant that cannot be made here (giving a file away needs root) returns false and its row is
/// passed over.
#[allow(clippy::type_complexity)]
fn hostile_states() -> Vec<(
    &'static str,
    Plant,
    Vec<(&'static [&'static str], i32, &'static str)>,
)> {
    vec![
        (
            "the lock is a hard link to a file elsewhere",
            |c| {
                std::fs::remove_file(c.state.join("lock")).ok();
                std::fs::hard_link(c.outside.join("v"), c.state.join("lock")).unwrap();
                true
            },
            vec![(RUN, 2, "hard link"), (RESUME, 2, "hard link")],
        ),
        (
            "the lock is a FIFO",
            |c| {
                std::fs::remove_file(c.state.join("lock")).ok();
                mkfifo(&c.state.join("lock"));
                true
            },
            vec![
                (RUN, 2, "is not a regular file"),
                (RESUME, 2, "is not a regular file"),
            ],
        ),
        (
            "the lock is a symbolic link",
            |c| {
                std::fs::remove_file(c.state.join("lock")).ok();
                symlink(c.outside.join("v"), c.state.join("lock")).unwrap();
                true
            },
            vec![
                (RUN, 2, "is a symbolic link"),
                (RESUME, 2, "is a symbolic link"),
            ],
        ),
        (
            "the lock belongs to another user (0666)",
            |c| {
                let lock = c.state.join("lock");
                std::fs::set_permissions(&lock, std::fs::Permissions::from_mode(0o666)).unwrap();
                std::os::unix::fs::chown(&lock, Some(12345), None).is_ok()
            },
            vec![
                (RUN, 2, "belongs to user id 12345"),
                (RESUME, 2, "belongs to user id 12345"),
            ],
        ),
        (
            "the run's log has a second name elsewhere (a hard link)",
            |c| {
                std::fs::hard_link(c.dir.join("audit.jsonl"), c.outside.join("copy")).unwrap();
                true
            },
            vec![(RESUME, 2, "hard link"), (VERIFY, 2, "hard link")],
        ),
        (
            "state.json is a FIFO",
            |c| {
                std::fs::remove_file(c.dir.join("state.json")).unwrap();
                mkfifo(&c.dir.join("state.json"));
                true
            },
            vec![
                (RESUME, 2, "is not a regular file"),
                (VERIFY, 2, "is not a regular file"),
            ],
        ),
        (
            "the state directory is writable by everyone (0777)",
            |c| {
                std::fs::set_permissions(&c.state, std::fs::Permissions::from_mode(0o777)).unwrap();
                true
            },
            vec![
                (RUN, 2, "chmod 700"),
                (RESUME, 2, "chmod 700"),
                (VERIFY, 2, "chmod 700"),
                (SHOW, 2, "chmod 700"),
                (REPORT, 2, "chmod 700"),
                (LIST, 2, "chmod 700"),
            ],
        ),
        (
            "the state directory is group-writable (0770)",
            |c| {
                std::fs::set_permissions(&c.state, std::fs::Permissions::from_mode(0o770)).unwrap();
                true
            },
            vec![(RUN, 2, "chmod 700"), (LIST, 2, "chmod 700")],
        ),
        (
            "the state directory belongs to another user",
            |c| std::os::unix::fs::chown(&c.state, Some(12345), None).is_ok(),
            vec![
                (RUN, 2, "belongs to user id 12345"),
                (LIST, 2, "belongs to user id 12345"),
            ],
        ),
        (
            "the run's folder is writable by everyone (0777)",
            |c| {
                std::fs::set_permissions(&c.dir, std::fs::Permissions::from_mode(0o777)).unwrap();
                true
            },
            vec![
                (RESUME, 2, "chmod 700"),
                (VERIFY, 2, "chmod 700"),
                (REPORT, 2, "chmod 700"),
            ],
        ),
        (
            "the run's folder is a link to a folder elsewhere",
            |c| {
                std::fs::rename(&c.dir, c.outside.join("run")).unwrap();
                symlink(c.outside.join("run"), &c.dir).unwrap();
                true
            },
            vec![
                (RESUME, 2, "is a symbolic link"),
                (VERIFY, 2, "is a symbolic link"),
                (SHOW, 2, "is a symbolic link"),
                (REPORT, 2, "is a symbolic link"),
                (LIST, 0, "unreadable"),
            ],
        ),
        (
            "the run's report.html (the default output) is a folder",
            |c| {
                std::fs::create_dir(c.dir.join("report.html")).unwrap();
                true
            },
            vec![(REPORT, 2, "is not a regular file")],
        ),
    ]
}

#[test]
fn hostile_run_state_is_refused_and_nothing_is_changed() {
    for (row, plant, commands) in hostile_states() {
        let case = Case::new();
        if !plant(&case) {
            continue;
        }
        for (args, code, words) in commands {
            case.check(row, args, code, words);
        }
    }
}

/// A run folder renamed (or copied) to another run id is not that run: every reader refuses
/// it, naming both ids, as an edited run state (exit 1, like any tampered log).
#[test]
fn a_run_folder_renamed_to_another_id_is_refused_naming_both() {
    let case = Case::new();
    let other = "20200101T000000.000Z-0000";
    std::fs::rename(&case.dir, case.state.join(other)).unwrap();
    for args in [
        &["audit", "verify", other][..],
        &["audit", "show", other],
        &["audit", "report", other],
        &["resume", other, "--replay", "secure-account"],
    ] {
        case.check("renamed run folder", args, 1, "folder is named");
        case.check("renamed run folder", args, 1, &case.id);
    }
    case.check("renamed run folder", LIST, 0, "unreadable");
}

/// `audit report --out` writes only a file of the operator's own, outside the state directory:
/// a run's files, the lock, any file under the state directory (also reached by another path),
/// a folder, a FIFO, a device, a link and (without `--force`) an existing file are refused
/// before anything is written.
#[test]
fn audit_report_out_refuses_what_it_must_not_replace() {
    let case = Case::new();
    let (state, dir, o) = (&case.state, &case.dir, &case.outside);
    std::fs::create_dir(o.join("dir.html")).unwrap();
    mkfifo(&o.join("fifo.html"));
    std::fs::write(o.join("existing.html"), "keep me").unwrap();
    std::fs::set_permissions(
        o.join("existing.html"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    symlink(o.join("existing.html"), o.join("link.html")).unwrap();
    symlink(state, o.join("alias")).unwrap();
    // As root, a device node of our own to stand for /dev/null.
    let device = Command::new("mknod")
        .arg(o.join("null"))
        .args(["c", "1", "3"])
        .status()
        .is_ok_and(|s| s.success());
    let mut rows: Vec<(PathBuf, &str)> = vec![
        (dir.join("audit.jsonl"), "state directory"),
        (dir.join("state.json"), "state directory"),
        (state.join("lock"), "state directory"),
        (dir.join("new.html"), "state directory"),
        (state.join("report.html"), "state directory"),
        // The same folder by another path: compared as real folders, not as strings.
        (
            o.join("alias").join(&case.id).join("audit.jsonl"),
            "state directory",
        ),
        (o.join("dir.html"), "is a folder"),
        (o.join("fifo.html"), "is not a regular file"),
        (o.join("link.html"), "is a symbolic link"),
        (o.join("existing.html"), "exists already"),
    ];
    if device {
        rows.push((o.join("null"), "is not a regular file"));
    }
    for (out, words) in &rows {
        let out = out.display().to_string();
        case.check(
            &format!("--out {out}"),
            &["audit", "report", "{id}", "--out", &out],
            2,
            words,
        );
    }
}

/// `--force` replaces an existing file and keeps its mode; the default output stays allowed.
#[test]
fn audit_report_out_force_replaces_a_file_and_keeps_its_mode() {
    let (tmp, dir, id) = finished_run();
    let outside = tempfile::tempdir().unwrap();
    let file = outside.path().join("existing.html");
    std::fs::write(&file, "old").unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let path = file.display().to_string();
    xtask_in(
        tmp.path(),
        &["audit", "report", &id, "--out", &path, "--force"],
    )
    .success();
    assert!(std::fs::read_to_string(&file).unwrap().contains("<html"));
    assert_eq!(std::fs::metadata(&file).unwrap().mode() & 0o777, 0o644);
    let names: Vec<_> = std::fs::read_dir(outside.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "no temporary file left: {names:?}");
    // A new file is the operator's own, private.
    let new = outside.path().join("new.html");
    xtask_in(
        tmp.path(),
        &["audit", "report", &id, "--out", &new.display().to_string()],
    )
    .success();
    assert_eq!(std::fs::metadata(&new).unwrap().mode() & 0o777, 0o600);
    // The default output is the one file in the state directory the tool writes for you.
    xtask_in(tmp.path(), &["audit", "report", &id]).success();
    assert!(dir.join("report.html").is_file());
}

/// A sticky state directory of ours (as `/tmp` is, but ours) is accepted.
#[test]
fn a_sticky_state_directory_of_ours_is_accepted() {
    let case = Case::new();
    std::fs::set_permissions(&case.state, std::fs::Permissions::from_mode(0o1777)).unwrap();
    case.check("sticky and ours", LIST, 0, &case.id);
}

/// Bad fixtures: a clear error naming the exchange or the file, exit 2, no run opened, nothing
/// waited on or read without end.
#[test]
fn hostile_fixtures_are_refused_before_any_run_opens() {
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("runs");
    // A response header holding an ESC, on the write's answer: it used to panic mid-write.
    let esc = scenario_with("secure-account", tmp.path(), |fixture| {
        let update = fixture
            .exchanges
            .iter_mut()
            .find(|e| e.key.operation == "UpdateTrail")
            .unwrap();
        update
            .response
            .headers
            .insert("x-amz-request-id".into(), "a\u{1b}[31mb".into());
    });
    let fifo = tmp.path().join("fifo-scenario");
    std::fs::create_dir(&fifo).unwrap();
    mkfifo(&fifo.join("traffic.json"));
    let big = tmp.path().join("big-scenario");
    std::fs::create_dir(&big).unwrap();
    std::fs::File::create(big.join("traffic.json"))
        .unwrap()
        .set_len(64 * 1024 * 1024 + 1)
        .unwrap();
    let rows: Vec<(String, &str)> = vec![
        (esc.display().to_string(), "is not a valid HTTP header"),
        (esc.display().to_string(), "UpdateTrail"),
        (fifo.display().to_string(), "is not a regular file"),
        ("/dev/zero".to_string(), "is not a regular file"),
        (big.display().to_string(), "larger than 64 MiB"),
    ];
    for (scenario, words) in rows {
        check(
            &format!("--replay {scenario}"),
            tmp.path(),
            &state,
            &["run", "revert", "--yes", "--replay", &scenario],
            2,
            words,
        );
    }
    assert!(!state.exists(), "no run was opened");
}

/// A batch: its accounts' folders are not links, and a run id read from its journal is a run
/// id, never a path.
#[test]
fn a_batch_refuses_linked_account_folders_and_run_ids_that_are_paths() {
    const MGMT: &str = "123456789012";
    const MEMBER: &str = "111111111111";
    let new_batch = || {
        let tmp = tempfile::tempdir().unwrap();
        let state = tmp.path().join("state");
        std::fs::create_dir(&state).unwrap();
        let mut cmd = xtask_command(&state);
        cmd.args(["run", "status", "--replay", "two-accounts"])
            .args(["--accounts", &format!("{MGMT},{MEMBER}")])
            .args(["--max-concurrent-accounts", "1", "--concurrency", "1"]);
        Run::of(cmd).success();
        let batch = batch_journal::batch_ids(&state).unwrap().remove(0);
        (tmp, state, batch)
    };

    // accounts/<id> is a link to a copy elsewhere.
    let (tmp, state, batch) = new_batch();
    let account = state.join("accounts").join(MEMBER);
    let elsewhere = tmp.path().join("elsewhere");
    std::fs::rename(&account, &elsewhere).unwrap();
    symlink(&elsewhere, &account).unwrap();
    for args in [
        &["audit", "verify", batch.as_str()][..],
        &["audit", "show", batch.as_str()],
        &["resume", batch.as_str(), "--replay", "two-accounts"],
    ] {
        check(
            "linked account folder",
            tmp.path(),
            &state,
            args,
            2,
            "is a symbolic link",
        );
    }

    // account_ended names a run by an absolute path, to a copy of the real run elsewhere.
    let (tmp, state, batch) = new_batch();
    let dir = batch_journal::batch_dir(&state, &batch);
    forge_batch(&dir, |event, data| {
        if event == "account_ended" && data["account"] == MEMBER {
            let run_id = data["run_id"].as_str().unwrap().to_string();
            let real = state.join("accounts").join(MEMBER).join(&run_id);
            let copy = tmp.path().join("copy").join(&run_id);
            std::fs::create_dir_all(copy.parent().unwrap()).unwrap();
            assert!(Command::new("cp")
                .arg("-a")
                .arg(&real)
                .arg(&copy)
                .status()
                .unwrap()
                .success());
            data["run_id"] = copy.display().to_string().into();
        }
    });
    check(
        "a run id that is a path",
        tmp.path(),
        &state,
        &["audit", "verify", &batch],
        1,
        "is not a run id",
    );
}
