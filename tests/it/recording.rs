//! `fixtures record` as an operator uses it against a member account: through a role profile
//! (`role_arn` + `source_profile`), with `--endpoint-url` pointing at moto. The fixture and the
//! audit log must hold none of the credentials, the credential provider's AssumeRole must reach
//! the endpoint given (not the real STS), and the recording must still replay offline.

use std::path::Path;
use std::process::Command;

use runbook::testkit::{self, Moto, Seed};
use serde_json::Value;

use crate::support::{self, runtime, xtask_command, Run, HOME};

/// The member account the role profile leads into (moto answers AssumeRole for any account).
const MEMBER: &str = "210987654321";
const ROLE: &str = "OrganizationAccountAccessRole";
/// The base profile's static keys: dummies, but shaped like real ones.
const BASE_KEY_ID: &str = "AKIAQBASEPROFILE0001";
const BASE_SECRET: &str = "bAsEpRoFiLeSeCrEt/0123456789+abcdefghijk";

/// Operations that only credential providers make.
const CREDENTIAL_OPERATIONS: &[&str] = &[
    "AssumeRole",
    "AssumeRoleWithWebIdentity",
    "AssumeRoleWithSAML",
    "GetSessionToken",
    "GetRoleCredentials",
];

/// A temporary `~/.aws`: a base profile with static keys, and a role profile built on it.
struct AwsFiles {
    dir: tempfile::TempDir,
}

impl AwsFiles {
    fn role_profile() -> AwsFiles {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("config"),
            format!(
                "[profile base]\nregion = {HOME}\n\n\
                 [profile member]\nrole_arn = arn:aws:iam::{MEMBER}:role/{ROLE}\n\
                 source_profile = base\nregion = {HOME}\n"
            ),
        )
        .unwrap();
        std::fs::write(
            dir.path().join("credentials"),
            format!("[base]\naws_access_key_id = {BASE_KEY_ID}\naws_secret_access_key = {BASE_SECRET}\n"),
        )
        .unwrap();
        AwsFiles { dir }
    }

    /// The xtask binary reading these files (and nothing else of the machine's AWS setup).
    fn xtask(&self, state_dir: &Path, args: &[&str]) -> Run {
        let mut cmd: Command = xtask_command(state_dir);
        cmd.env("AWS_CONFIG_FILE", self.dir.path().join("config"))
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                self.dir.path().join("credentials"),
            )
            .args(args);
        Run::of(cmd)
    }
}

/// The credentials moto handed out for `role_arn`: (session name, key id, secret, token).
fn moto_sessions(moto: &Moto, role_arn: &str) -> Vec<[String; 4]> {
    let url = format!("{}/moto-api/data.json", moto.endpoint());
    let text = http_get(&url);
    let data: Value = serde_json::from_str(&text).expect("moto's data.json is JSON");
    data["sts"]["AssumedRole"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter(|r| r["role_arn"] == role_arn)
        .map(|r| {
            [
                "session_name",
                "access_key_id",
                "secret_access_key",
                "session_token",
            ]
            .map(|k| r[k].as_str().unwrap_or_default().to_string())
        })
        .collect()
}

/// A plain GET on loopback (moto's own API, outside AWS's protocols).
fn http_get(url: &str) -> String {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_once('/').unwrap();
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    write!(
        stream,
        "GET /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = String::new();
    stream.read_to_string(&mut raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    assert!(
        head.starts_with("HTTP/1.1 200") || head.starts_with("HTTP/1.0 200"),
        "{head}"
    );
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_string()
    }
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        out.push_str(&rest[..size]);
        body = &rest[size + 2..];
    }
    out
}

/// The secure account, built in the member account (as the member role): its config and what
/// was seeded.
fn secure_member_account(moto: &Moto, role_arn: &str) -> (aws_config::SdkConfig, testkit::Seeded) {
    let member_config = runtime()
        .block_on(testkit::assumed_role_config(
            &moto.endpoint(),
            HOME,
            role_arn,
        ))
        .expect("moto answers AssumeRole");
    let seeded = runtime()
        .block_on(testkit::seed(
            &member_config,
            &Seed {
                account: MEMBER.into(),
                ..Seed::default()
            },
        ))
        .expect("seeding the member account works");
    (member_config, seeded)
}

#[test]
fn recording_through_a_role_profile_writes_no_credential_and_replays() {
    let moto = Moto::start().expect("moto_server starts");
    let role_arn = format!("arn:aws:iam::{MEMBER}:role/{ROLE}");
    let (member_config, seeded) = secure_member_account(&moto, &role_arn);
    assert!(seeded.trail_arn.contains(MEMBER), "{}", seeded.trail_arn);
    let sessions_before = moto_sessions(&moto, &role_arn).len();

    let files = AwsFiles::role_profile();
    let state = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let scenario = out.path().join("member-account");
    let scenario_arg = scenario.display().to_string();
    let state_arg = state.path().display().to_string();
    let endpoint = moto.endpoint();
    files
        .xtask(
            state.path(),
            &[
                "fixtures",
                "record",
                &scenario_arg,
                "--description",
                "the secure account of a member account, reached through a role profile",
                "--",
                "revert",
                "--yes",
                "--profile",
                "member",
                "--endpoint-url",
                &endpoint,
                "--state-dir",
                &state_arg,
            ],
        )
        .success();

    // The credential provider's AssumeRole went to moto (the endpoint given), not to the real
    // STS: moto knows the session it handed out to the profile provider.
    let sessions = moto_sessions(&moto, &role_arn);
    let provider_sessions: Vec<&[String; 4]> = sessions
        .iter()
        .filter(|s| s[0].starts_with("assume-role-from-profile"))
        .collect();
    assert!(
        !provider_sessions.is_empty() && sessions.len() > sessions_before,
        "moto received no AssumeRole from the profile provider: {:?}",
        sessions.iter().map(|s| &s[0]).collect::<Vec<_>>()
    );
    // And the run acted in the member account with those credentials: it reverted it.
    let trail_key = runtime().block_on(async {
        let client = aws_sdk_cloudtrail::Client::new(&member_config);
        let out = client.describe_trails().send().await.unwrap();
        out.trail_list()
            .iter()
            .find(|t| t.trail_arn() == Some(seeded.trail_arn.as_str()))
            .and_then(|t| t.kms_key_id().filter(|k| !k.is_empty()).map(str::to_string))
    });
    assert_eq!(trail_key, None, "the member account's trail was reverted");

    // Every credential involved: the base profile's keys, and each session moto handed out
    // for the role (the profile provider's and the seeding's).
    let mut credentials: Vec<String> = vec![BASE_KEY_ID.into(), BASE_SECRET.into()];
    for s in &sessions {
        credentials.extend(s[1..].iter().cloned());
    }
    assert!(credentials.iter().all(|c| c.len() >= 16), "{credentials:?}");

    let traffic_path = scenario.join("traffic.json");
    let traffic = std::fs::read_to_string(&traffic_path).unwrap();
    for credential in &credentials {
        assert!(
            !traffic.contains(credential.as_str()),
            "the fixture holds a credential (its first characters: {})",
            &credential[..6]
        );
    }
    let fixture = runbook::http::replay::load_fixture(&traffic_path).unwrap();
    assert!(!fixture.exchanges.is_empty());
    for (i, e) in fixture.exchanges.iter().enumerate() {
        assert!(
            !CREDENTIAL_OPERATIONS.contains(&e.key.operation.as_str())
                && !e.request.body.contains("Action=AssumeRole"),
            "exchanges[{i}] is a credential provider's call: {}",
            e.key
        );
    }
    assert!(
        runbook::http::redact::leaks(&traffic, &Default::default()).is_empty(),
        "the whole-file leak check passes"
    );
    assert!(
        !traffic.contains(MEMBER),
        "the member account id is redacted"
    );
    assert!(traffic.contains("cm-members-cloudtrail-123456789012"));

    // The audit log: the run acted in the member account, and holds no credential nor any
    // credential provider's call.
    let runs = support::run_dirs(state.path());
    assert_eq!(runs.len(), 1, "one run");
    let audit = std::fs::read_to_string(runs[0].join("audit.jsonl")).unwrap();
    for credential in &credentials {
        assert!(
            !audit.contains(credential.as_str()),
            "the audit log holds a credential (its first characters: {})",
            &credential[..6]
        );
    }
    let events = support::events(&runs[0]);
    let started = events.iter().find(|e| e.event == "run_started").unwrap();
    assert!(
        started.data.to_string().contains(MEMBER),
        "the run acted in the member account: {}",
        started.data
    );
    for e in events.iter().filter(|e| e.event == "aws_call") {
        let operation = e.data["operation"].as_str().unwrap_or_default();
        assert!(
            !CREDENTIAL_OPERATIONS.contains(&operation),
            "the audit log holds a credential provider's call: {operation}"
        );
    }

    // The recording replays offline, to the same end.
    let replay_state = tempfile::tempdir().unwrap();
    let replayed = Run::of({
        let mut cmd = xtask_command(replay_state.path());
        cmd.args(["run", "revert", "--yes", "--replay", &scenario_arg]);
        cmd
    })
    .success();
    assert!(
        !replayed.stderr.contains("were not asked for"),
        "the replay used every recorded exchange: {}",
        replayed.stderr
    );
    let replayed_events = support::events(&support::run_dirs(replay_state.path())[0]);
    assert_eq!(
        support::calls(&replayed_events, support::WRITES),
        vec![
            ("UpdateTrail".to_string(), HOME.to_string()),
            ("PutBucketEncryption".to_string(), HOME.to_string()),
        ]
    );
}

#[test]
fn a_run_that_fails_before_any_call_is_recorded_shows_its_own_error() {
    let moto = Moto::start().expect("moto_server starts");
    let files = AwsFiles::role_profile();
    let state = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let scenario = out.path().join("never-written");
    let scenario_arg = scenario.display().to_string();
    let endpoint = moto.endpoint();
    // A profile that does not exist: the run stops at its credentials.
    let run = files
        .xtask(
            state.path(),
            &[
                "fixtures",
                "record",
                &scenario_arg,
                "--",
                "status",
                "--profile",
                "no-such-profile",
                "--endpoint-url",
                &endpoint,
            ],
        )
        .failure(2);
    assert!(
        !run.stderr.contains("the run made no AWS call"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("AWS profile `no-such-profile` does not exist"),
        "the run's own error names the profile: {}",
        run.stderr
    );
    assert!(!scenario.exists(), "no fixture is written");
}

#[test]
fn committed_fixtures_pass_redaction_unchanged() {
    // Redaction touches credential fields only: the service traffic of every committed
    // scenario is a fixed point (so `fixtures refresh` rewrites nothing it should not), and
    // the leak check, which names places, finds nothing in it.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures");
    let mut checked = 0;
    // Each scenario's traffic.json and every one below it (a batch's accounts, an undo's).
    for path in crate::replay::fixture_files(&root) {
        let text = std::fs::read_to_string(&path).unwrap();
        let fixture = runbook::http::replay::load_fixture(&path).unwrap();
        let rendered = runbook::http::redact::render_fixture(&fixture, &Default::default())
            .unwrap_or_else(|leaks| panic!("{}: {leaks:?}", path.display()));
        assert!(
            rendered == text,
            "{} changes when rendered again",
            path.display()
        );
        checked += 1;
    }
    assert!(checked > 0, "no fixture found under {}", root.display());
}

/// A role profile's run assumes the role once: the up-front credentials check and the SDK's
/// identity cache share one resolution (`runbook::credentials::Reused`).
#[test]
fn a_role_profile_is_assumed_once_per_run() {
    let moto = Moto::start().expect("moto_server starts");
    let role_arn = format!("arn:aws:iam::{MEMBER}:role/{ROLE}");
    secure_member_account(&moto, &role_arn);
    let before = moto_sessions(&moto, &role_arn).len();
    let files = AwsFiles::role_profile();
    let state = tempfile::tempdir().unwrap();
    files
        .xtask(
            state.path(),
            &[
                "run",
                "status",
                "--profile",
                "member",
                "--endpoint-url",
                &moto.endpoint(),
            ],
        )
        .success();
    let sessions = moto_sessions(&moto, &role_arn);
    assert_eq!(
        sessions.len() - before,
        1,
        "one AssumeRole for the run: {:?}",
        sessions.iter().map(|s| &s[0]).collect::<Vec<_>>()
    );
}
