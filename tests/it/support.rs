//! What every test shares: a seeded moto server, the xtask binary run as an operator would run
//! it, end-state reads through the SDK, audit-log reading, and the insta filters.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use aws_config::SdkConfig;
use aws_types::region::Region;
use runbook::journal::{self, Record, RunState};
use runbook::testkit::{self, Moto, Seed, Seeded};
use serde_json::json;

pub const HOME: &str = "ap-northeast-1";

/// A fresh moto server with a scenario built on it, and a private state directory.
pub struct Env {
    pub moto: Moto,
    pub seeded: Seeded,
    pub state: tempfile::TempDir,
}

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

impl Env {
    pub fn new(seed: Seed) -> Env {
        let moto = Moto::start().expect("moto_server starts");
        let config = testkit::local_config(&moto.endpoint(), HOME);
        let seeded = runtime()
            .block_on(testkit::seed(&config, &seed))
            .expect("seeding works");
        Env {
            moto,
            seeded,
            state: tempfile::tempdir().unwrap(),
        }
    }

    pub fn secure_account() -> Env {
        Env::new(Seed::default())
    }

    pub fn config(&self) -> SdkConfig {
        testkit::local_config(&self.moto.endpoint(), HOME)
    }

    /// `cargo xtask ARGS` against this moto, as a non-interactive operator.
    pub fn xtask(&self, args: &[&str]) -> Run {
        self.xtask_at(&self.moto.endpoint(), args)
    }

    /// [`Env::xtask`] against `endpoint` (a proxy in front of this moto).
    pub fn xtask_at(&self, endpoint: &str, args: &[&str]) -> Run {
        let mut cmd = xtask_command(self.state.path());
        cmd.args(args).args(["--endpoint-url", endpoint]);
        cmd.env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing");
        Run::of(cmd)
    }

    /// `cargo xtask ARGS` on a terminal (a pseudo-terminal made by `script`), typing `answer`.
    pub fn xtask_on_terminal(&self, args: &[&str], answer: &str) -> Run {
        self.xtask_on_terminal_with(args, answer, &[])
    }

    /// [`Env::xtask_on_terminal`] with these environment variables set (`Some`) or removed (`None`).
    pub fn xtask_on_terminal_with(
        &self,
        args: &[&str],
        answer: &str,
        vars: &[(&str, Option<&str>)],
    ) -> Run {
        self.xtask_on_terminal_at(&self.moto.endpoint(), args, answer, vars)
    }

    /// [`Env::xtask_on_terminal_with`] against `endpoint` (a proxy in front of this moto).
    pub fn xtask_on_terminal_at(
        &self,
        endpoint: &str,
        args: &[&str],
        answer: &str,
        vars: &[(&str, Option<&str>)],
    ) -> Run {
        use std::io::Write;
        let line = std::iter::once(env!("CARGO_BIN_EXE_xtask"))
            .chain(args.iter().copied())
            .chain(["--endpoint-url", endpoint])
            .collect::<Vec<_>>()
            .join(" ");
        let cmd = xtask_command(self.state.path());
        let mut script = Command::new("script");
        script.args(["-qec", &line, "/dev/null"]);
        for (k, v) in cmd.get_envs() {
            match v {
                Some(v) => script.env(k, v),
                None => script.env_remove(k),
            };
        }
        script
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing");
        for (k, v) in vars {
            match v {
                Some(v) => script.env(k, v),
                None => script.env_remove(k),
            };
        }
        script
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = script.spawn().expect("script runs");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(answer.as_bytes())
            .unwrap();
        let Output {
            status,
            stdout,
            stderr,
        } = child.wait_with_output().unwrap();
        Run {
            code: status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&stdout).into_owned(),
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
        }
    }

    /// The trail's KMS key as its home region shows it (absent and "" both mean none).
    pub fn trail_key(&self, arn: &str) -> Option<String> {
        trail_key_with(&self.config(), arn)
    }

    /// The account is as seeded: the trail still has its key, the bucket is still SSE-KMS.
    #[track_caller]
    pub fn assert_untouched(&self) {
        assert_eq!(
            self.trail_key(&self.seeded.trail_arn).as_deref(),
            Some(self.seeded.key_arn.as_str()),
            "trail key"
        );
        assert_eq!(
            self.bucket_algorithms(&self.seeded.bucket, HOME),
            vec!["aws:kms"],
            "bucket encryption"
        );
    }

    /// The article's end state: the trail has no key, the bucket is SSE-S3.
    #[track_caller]
    pub fn assert_reverted(&self) {
        assert_eq!(self.trail_key(&self.seeded.trail_arn), None, "trail key");
        assert_eq!(
            self.bucket_algorithms(&self.seeded.bucket, HOME),
            vec!["AES256"],
            "bucket encryption"
        );
    }

    /// The bucket's default-encryption algorithms (empty: no configuration).
    pub fn bucket_algorithms(&self, bucket: &str, region: &str) -> Vec<String> {
        bucket_algorithms_with(&self.config(), bucket, region)
    }
}

/// The trail's KMS key as its home region shows it to `config`'s credentials.
pub fn trail_key_with(config: &SdkConfig, arn: &str) -> Option<String> {
    let region = arn.split(':').nth(3).unwrap();
    let conf = aws_sdk_cloudtrail::config::Builder::from(config)
        .region(Region::new(region.to_string()))
        .build();
    let client = aws_sdk_cloudtrail::Client::from_conf(conf);
    let out = runtime()
        .block_on(client.describe_trails().trail_name_list(arn).send())
        .unwrap();
    let trail = out
        .trail_list()
        .iter()
        .find(|t| t.trail_arn() == Some(arn))
        .expect("trail exists");
    trail
        .kms_key_id()
        .filter(|k| !k.is_empty())
        .map(str::to_string)
}

/// The bucket's default-encryption algorithms as `config`'s credentials read them.
pub fn bucket_algorithms_with(config: &SdkConfig, bucket: &str, region: &str) -> Vec<String> {
    let conf = aws_sdk_s3::config::Builder::from(config)
        .region(Region::new(region.to_string()))
        .force_path_style(true)
        .build();
    let client = aws_sdk_s3::Client::from_conf(conf);
    match runtime().block_on(client.get_bucket_encryption().bucket(bucket).send()) {
        Ok(out) => out
            .server_side_encryption_configuration()
            .map(|c| {
                c.rules()
                    .iter()
                    .filter_map(|r| r.apply_server_side_encryption_by_default())
                    .map(|d| d.sse_algorithm().as_str().to_string())
                    .collect()
            })
            .unwrap_or_default(),
        Err(_) => Vec::new(),
    }
}

/// The xtask binary with an environment that holds nothing of the developer's machine.
pub fn xtask_command(state_dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_xtask"));
    for (name, _) in std::env::vars() {
        if name.starts_with("AWS_")
            || name == "RUNBOOK_STATE_DIR"
            || name == "LANG"
            || name == "LC_ALL"
            || name == "LC_MESSAGES"
            || name == "TZ"
            // `anstream` colours a terminal whatever TERM says when these are set.
            || name == "CI"
            || name == "CLICOLOR"
            || name == "CLICOLOR_FORCE"
        {
            cmd.env_remove(name);
        }
    }
    cmd.env("AWS_CONFIG_FILE", "/nonexistent/aws-config")
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/aws-credentials",
        )
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("RUNBOOK_STATE_DIR", state_dir)
        .env("LANG", "C")
        .env("TZ", "Asia/Tokyo")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null());
    cmd
}

/// How [`xtask_on_terminal_answering`] runs the tool on its pseudo-terminal.
pub struct OnTerminal<'a> {
    pub args: &'a [&'a str],
    /// Set (`Some`) or removed (`None`) after [`xtask_command`]'s environment.
    pub vars: &'a [(&'a str, Option<&'a str>)],
    /// The terminal's width (its height then 24); `None`: as `script` makes it.
    pub columns: Option<u16>,
    /// Typed once `prompt` has appeared on the terminal, as a person would; if it never
    /// appears, nothing is typed.
    pub prompt: &'a str,
    pub answer: &'a str,
}

/// `cargo xtask ARGS` on a pseudo-terminal (`script`), with the state directory `state`, typing
/// the answer only after the prompt is shown: the terminal then holds the prompt, the answer's
/// echo and what follows, in the order a person sees them. Both streams arrive in `stdout`.
pub fn xtask_on_terminal_answering(state: &Path, on: &OnTerminal) -> Run {
    use std::io::{Read, Write};
    let mut line = String::new();
    if let Some(columns) = on.columns {
        line.push_str(&format!("stty rows 24 cols {columns}; "));
    }
    line.push_str(
        &std::iter::once(env!("CARGO_BIN_EXE_xtask"))
            .chain(on.args.iter().copied())
            .collect::<Vec<_>>()
            .join(" "),
    );
    let cmd = xtask_command(state);
    let mut script = Command::new("script");
    script.args(["-qec", &line, "/dev/null"]);
    for (k, v) in cmd.get_envs().chain(
        on.vars
            .iter()
            .map(|(k, v)| (std::ffi::OsStr::new(*k), v.map(std::ffi::OsStr::new))),
    ) {
        match v {
            Some(v) => script.env(k, v),
            None => script.env_remove(k),
        };
    }
    script
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = script.spawn().expect("script runs");
    let mut stdin = child.stdin.take();
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let errors = std::thread::spawn(move || {
        let mut text = Vec::new();
        let _ = stderr.read_to_end(&mut text);
        text
    });
    let mut screen = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = stdout.read(&mut chunk).unwrap_or(0);
        if n == 0 {
            break;
        }
        screen.extend_from_slice(&chunk[..n]);
        if stdin.is_some() && String::from_utf8_lossy(&screen).contains(on.prompt) {
            let mut typed = stdin.take().unwrap();
            typed.write_all(on.answer.as_bytes()).unwrap();
        }
    }
    drop(stdin);
    let status = child.wait().unwrap();
    Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&screen).into_owned(),
        stderr: String::from_utf8_lossy(&errors.join().unwrap()).into_owned(),
    }
}

/// A finished xtask process.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn of(mut cmd: Command) -> Run {
        let Output {
            status,
            stdout,
            stderr,
        } = cmd.output().expect("xtask runs");
        Run {
            code: status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&stdout).into_owned(),
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
        }
    }

    #[track_caller]
    pub fn success(self) -> Run {
        assert_eq!(
            self.code, 0,
            "expected success\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    #[track_caller]
    pub fn failure(self, code: i32) -> Run {
        assert_eq!(
            self.code, code,
            "expected exit {code}\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        assert!(
            !self.stderr.contains("panicked"),
            "no panic: {}",
            self.stderr
        );
        assert!(
            !self.stderr.contains("stack backtrace"),
            "no backtrace: {}",
            self.stderr
        );
        assert_no_debug_dump(&self.stdout);
        assert_no_debug_dump(&self.stderr);
        self
    }

    /// The command printed after `The run did not finish. Continue it with:`.
    #[track_caller]
    pub fn resume_command(&self) -> String {
        let mut lines = self.stderr.lines();
        lines
            .find(|l| l.starts_with("The run did not finish. Continue it with:"))
            .and_then(|_| lines.next())
            .unwrap_or_else(|| panic!("a resume command in:\n{}", self.stderr))
            .trim()
            .to_string()
    }

    /// The run id from the `Audit log: … (run ID)` footer (`(実行 ID)` in Japanese).
    pub fn run_id(&self) -> String {
        let line = self
            .stderr
            .lines()
            .find(|l| l.contains("(run ") || l.contains("(実行 "))
            .expect("an audit footer");
        line.rsplit(['(', ' '])
            .next()
            .unwrap()
            .trim_end_matches(')')
            .to_string()
    }
}

/// Shapes of Rust `Debug` output (the SDK's `Request { body: SdkBody … }`, `Some(…)`,
/// `Os { code: … }`) that an operator cannot act on: no message may contain them.
const DEBUG_DUMP_SHAPES: &[&str] = &[
    "SdkBody",
    "Request {",
    "Response {",
    "Some(",
    "None,",
    "{ inner:",
    "Os { code",
    // Field separators as Debug writes them; "resource: arn:…" in AWS's own words is fine.
    "{ kind: ",
    ", kind: ",
    "{ source: ",
    ", source: ",
    "DispatchFailure",
    "ConnectorError {",
];

#[track_caller]
pub fn assert_no_debug_dump(text: &str) {
    for shape in DEBUG_DUMP_SHAPES {
        assert!(
            !text.contains(shape),
            "a Debug dump (`{shape}`) in a message:\n{text}"
        );
    }
}

pub fn run_dirs(state_dir: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(state_dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.join("audit.jsonl").exists())
        .collect();
    dirs.sort();
    dirs
}

/// The lines of a run's journal; the journal must verify (chain and every transition).
pub fn events(run_dir: &Path) -> Vec<Record> {
    journal::load(run_dir)
        .expect("the audit log verifies")
        .records
}

/// `(operation, region)` of the AWS calls of one event list, for the given operations.
pub fn calls(events: &[Record], operations: &[&str]) -> Vec<(String, String)> {
    events
        .iter()
        .filter(|e| e.event == "aws_call")
        .map(|e| {
            (
                e.data["operation"].as_str().unwrap().to_string(),
                e.data["region"].as_str().unwrap().to_string(),
            )
        })
        .filter(|(op, _)| operations.contains(&op.as_str()))
        .collect()
}

pub const WRITES: &[&str] = &["UpdateTrail", "PutBucketEncryption"];

/// insta settings shared by every snapshot: times, run ids, hashes, durations, paths filtered.
pub fn insta_settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/it/snapshots"
    ));
    s.set_prepend_module_to_snapshot(false);
    s.add_filter(r"\d{8}T\d{6}\.\d{3}Z-[0-9a-f]{4}", "[RUN_ID]");
    s.add_filter(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z", "[TS]");
    s.add_filter(r"[0-9a-f]{64}", "[HASH]");
    s.add_filter(r#""duration_ms": ?\d+"#, r#""duration_ms": "[MS]""#);
    s.add_filter(r"\(\d+ ms", "([MS] ms");
    s.add_filter(r"/tmp/\.tmp[A-Za-z0-9]+", "[STATE_DIR]");
    s.add_filter(r#""pid": \d+"#, r#""pid": "[PID]""#);
    s
}

/// A finished offline revert in a fresh state directory: (state dir, run dir, run id).
pub fn finished_run() -> (tempfile::TempDir, PathBuf, String) {
    let state = tempfile::tempdir().unwrap();
    let mut cmd = xtask_command(state.path());
    cmd.args(["run", "revert", "--yes", "--replay", "secure-account"]);
    let run = Run::of(cmd).success();
    let dir = run_dirs(state.path()).remove(0);
    (state, dir, run.run_id())
}

pub fn xtask_in(state: &Path, args: &[&str]) -> Run {
    let mut cmd = xtask_command(state);
    cmd.args(args);
    Run::of(cmd)
}

/// A copy of a recorded scenario, changed by `edit`, in `dir`: its path, for `--replay`.
pub fn scenario_with(
    name: &str,
    dir: &Path,
    edit: impl FnOnce(&mut runbook::http::exchange::Fixture),
) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures")
        .join(name);
    let mut fixture = runbook::http::replay::load_fixture(&root).unwrap();
    edit(&mut fixture);
    let scenario = dir.join(format!("{name}-edited"));
    std::fs::create_dir_all(&scenario).unwrap();
    std::fs::write(
        scenario.join("traffic.json"),
        serde_json::to_string(&fixture).unwrap(),
    )
    .unwrap();
    scenario
}

/// A scenario edit: the recording stops before the first call of `operation` (a run of it
/// fails there, resumable).
pub fn cut_before(operation: &'static str) -> impl FnOnce(&mut runbook::http::exchange::Fixture) {
    move |fixture| {
        let cut = fixture
            .exchanges
            .iter()
            .position(|e| e.key.operation == operation)
            .unwrap();
        fixture.exchanges.truncate(cut);
    }
}

/// An unfinished run: the replay of secure-account cut before UpdateTrail.
pub fn failed_run() -> (tempfile::TempDir, PathBuf, String) {
    let state = tempfile::tempdir().unwrap();
    let scenario = scenario_with("secure-account", state.path(), cut_before("UpdateTrail"));
    let mut cmd = xtask_command(&state.path().join("runs"));
    cmd.args(["run", "revert", "--yes", "--replay"])
        .arg(&scenario);
    let run = Run::of(cmd).failure(1);
    let dir = run_dirs(&state.path().join("runs")).remove(0);
    (state, dir, run.run_id())
}

/// Rewrites the run's log through `edit`, re-chains every line, and rewrites `state.json` as
/// the fold of the forged log makes it (so only the fold's own judgement is under test). Panics
/// if the fold already refuses the forged log (then the forgery is caught, as it should be).
pub fn forge(run_dir: &Path, edit: impl FnOnce(&mut Vec<Record>)) {
    let path = run_dir.join("audit.jsonl");
    let mut records = journal::log::read(&path).unwrap();
    edit(&mut records);
    // Lines moved: point each result and settlement at its intent's new line.
    let moved: std::collections::HashMap<u64, u64> = records
        .iter()
        .enumerate()
        .filter(|(_, r)| r.event == "write_intent")
        .map(|(i, r)| (r.seq, i as u64))
        .collect();
    for r in &mut records {
        if r.event == "write_result" || r.event == "write_settled" {
            if let Some(new) = r.data["intent_seq"].as_u64().and_then(|s| moved.get(&s)) {
                r.data["intent_seq"] = json!(new);
            }
        }
    }
    let mut prev = journal::log::GENESIS_HASH.to_string();
    let mut text = String::new();
    for (seq, r) in records.into_iter().enumerate() {
        let sealed = Record::sealed(seq as u64, r.ts, r.run_id, r.event, r.data, prev);
        prev = sealed.hash.clone();
        text += &sealed.line();
        text.push('\n');
    }
    std::fs::write(&path, text).unwrap();
    if let Ok(j) = journal::load(run_dir) {
        RunState::of(&j.started, &j.fold).save(run_dir).unwrap();
    }
}

pub fn pos(records: &[Record], event: &str, step: Option<&str>) -> usize {
    records
        .iter()
        .position(|r| r.event == event && step.is_none_or(|s| r.data["step"] == s))
        .unwrap_or_else(|| panic!("no {event} {step:?}"))
}

/// A CloudTrail client of `env`'s moto in `region`, to change the account behind the tool's back.
pub fn cloudtrail(env: &Env, region: &str) -> aws_sdk_cloudtrail::Client {
    aws_sdk_cloudtrail::Client::from_conf(
        aws_sdk_cloudtrail::config::Builder::from(&env.config())
            .region(Region::new(region.to_string()))
            .build(),
    )
}

/// Rewrites the batch journal in `batch_dir` through `edit` (each line's event name and data)
/// and re-chains every line: a forgery only the batch's own checks can catch.
pub fn forge_batch(batch_dir: &Path, mut edit: impl FnMut(&str, &mut serde_json::Value)) {
    let path = batch_dir.join(runbook::batch::journal::BATCH_FILE);
    let records = runbook::batch::journal::load(batch_dir).unwrap().records;
    let mut prev = journal::log::GENESIS_HASH.to_string();
    let mut text = String::new();
    for r in records {
        let mut data = r.data.clone();
        edit(&r.event, &mut data);
        let sealed = Record::sealed(r.seq, r.ts, r.run_id, r.event, data, prev);
        prev = sealed.hash.clone();
        text += &sealed.line();
        text.push('\n');
    }
    std::fs::write(path, text).unwrap();
}
