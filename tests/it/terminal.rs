//! What reaches a terminal (issue 22, item 3): values from outside — an AWS error message, a
//! Config channel name, a folder name in the state directory — are shown escaped on every
//! stream, on a real pseudo-terminal, and only our own palette's colour sequences get through.
//! A hostile endpoint is the recording proxy in front of moto answering one operation itself.

use crate::proxy::{response, Proxy};
use crate::support::{xtask_in, Env};

/// An OSC window title, a bell, a screen clear, a hidden-text colour and a right-to-left
/// override: each would make the terminal do or show something other than the text.
const HOSTILE: &str = "\u{1b}]0;pwned\u{7}\u{1b}[2J\u{1b}[8m\u{202e}";

/// `text` with our own sequences taken out: the palette's (red, green, reset) and what
/// indicatif writes to redraw a progress display in place: the line clear, and the cursor one
/// line up and down when the display is wider than the terminal and wraps (`HOSTILE` holds
/// none). What is left must hold no escape, bell or bidi override.
fn without_ours(text: &str) -> String {
    [
        "\u{1b}[31m",
        "\u{1b}[32m",
        "\u{1b}[39m",
        "\u{1b}[0m",
        "\r\u{1b}[2K",
        "\u{1b}[1A",
        "\u{1b}[1B",
    ]
    .iter()
    .fold(text.to_string(), |t, seq| t.replace(seq, ""))
}

#[track_caller]
pub fn assert_inert(screen: &str) {
    let rest = without_ours(screen);
    for (what, c) in [("ESC", '\u{1b}'), ("BEL", '\u{7}'), ("RLO", '\u{202e}')] {
        assert!(
            !rest.contains(c),
            "a raw {what} reached the terminal:\n{}",
            rest.escape_debug()
        );
    }
}

#[test]
fn an_aws_error_message_is_escaped_and_cut_on_the_terminal() {
    let env = Env::secure_account();
    let proxy = Proxy::start(env.moto.port());
    proxy.answer(|seen| {
        let target = seen.target.as_deref()?;
        target.ends_with(".DescribeTrails").then(|| {
            let message = format!("{HOSTILE}{}", "A".repeat(20_000));
            let body = serde_json::json!({ "__type": "InternalFailure", "message": message });
            response(
                "400 Bad Request",
                "application/x-amz-json-1.1",
                &body.to_string(),
            )
        })
    });
    for color in ["never", "always"] {
        let run = env.xtask_on_terminal_at(
            &proxy.endpoint(),
            &["run", "status", "--color", color],
            "",
            &[],
        );
        assert_eq!(run.code, 1, "{}", run.stdout);
        assert_inert(&run.stdout);
        assert!(
            run.stdout.contains("\\u{1b}]0;pwned\\u{7}\\u{1b}[2J"),
            "the message is shown, escaped:\n{}",
            run.stdout
        );
        assert!(
            run.stdout.contains("more characters cut]"),
            "{}",
            run.stdout
        );
        assert!(!run.stdout.contains(&"A".repeat(1_001)), "cut at 1,000");
    }
}

#[test]
fn a_config_channel_name_is_shown_not_obeyed_and_colour_stays() {
    let env = Env::secure_account();
    let proxy = Proxy::start(env.moto.port());
    let key = env.seeded.key_arn.clone();
    let bucket = env.seeded.bucket.clone();
    proxy.answer(move |seen| {
        let target = seen.target.as_deref()?;
        target.ends_with(".DescribeDeliveryChannels").then(|| {
            let body = serde_json::json!({ "DeliveryChannels": [{
                "name": format!("logs{HOSTILE}x"),
                "s3BucketName": bucket,
                "s3KmsKeyArn": key,
            }]});
            response("200 OK", "application/x-amz-json-1.1", &body.to_string())
        })
    });
    let run = env.xtask_on_terminal_at(
        &proxy.endpoint(),
        &["run", "revert", "--yes", "--color", "always"],
        "",
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(
        run.stdout.contains("\u{1b}[32m"),
        "our own colours still reach the terminal:\n{}",
        run.stdout
    );
    assert_inert(&run.stdout);
    assert!(
        run.stdout.contains("logs\\u{1b}]0;pwned\\u{7}"),
        "the channel is named, escaped:\n{}",
        run.stdout
    );
}

#[test]
fn a_hostile_folder_name_in_the_state_directory_is_shown_escaped() {
    let env = Env::secure_account();
    assert_eq!(env.xtask(&["run", "status"]).code, 0);
    // A copy of a real run under a hostile name: listed, or refused by name; shown either way.
    let real = std::fs::read_dir(env.state.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.join("audit.jsonl").is_file())
        .unwrap();
    let hostile = env
        .state
        .path()
        .join(format!("20991231T000000.000Z-{HOSTILE}"));
    std::fs::create_dir(&hostile).unwrap();
    for file in ["audit.jsonl", "state.json"] {
        std::fs::copy(real.join(file), hostile.join(file)).unwrap();
    }
    let run = xtask_in(env.state.path(), &["audit", "list", "--color", "always"]);
    let screen = format!("{}{}", run.stdout, run.stderr);
    assert_inert(&screen);
    assert!(screen.contains("\\u{1b}]0;pwned"), "{screen}");
}

/// A value clap refuses is quoted in clap's own error: shown escaped, without an endpoint's
/// credentials, whatever `--color` says (it is read after the parse that failed).
#[test]
fn a_refused_flag_value_is_shown_escaped_and_without_credentials() {
    let state = tempfile::tempdir().unwrap();
    let url = format!("http://u:S3CRETPASS@exa mple{HOSTILE}");
    for color in ["never", "always"] {
        let run = xtask_in(
            state.path(),
            &["run", "status", "--endpoint-url", &url, "--color", color],
        );
        assert_eq!(run.code, 2, "{}", run.stderr);
        assert_inert(&run.stderr);
        assert!(!run.stderr.contains("S3CRETPASS"), "{}", run.stderr);
        // clap drops the escape sequences from its text itself; what is left is shown escaped.
        assert!(run.stderr.contains("\\u{202e}"), "{}", run.stderr);
    }
}

/// A replayed account whose trail's key ARN (in CloudTrail's answers) holds a right-to-left
/// override and an escape sequence: every view shows them as `\u{…}` (the run's report, `audit
/// show`, its `--writes`, the evidence page, the JSON documents as JSON escapes), and the
/// journal keeps the value as AWS sent it.
#[test]
fn a_hostile_key_arn_is_escaped_in_every_view() {
    let tmp = tempfile::tempdir().unwrap();
    // JSON escapes in CloudTrail's JSON bodies: the SDK reads U+202E and ESC.
    let hostile = "key/6dff396d\\u202e\\u001b[2Jfdp.exe";
    let scenario = crate::support::scenario_with("secure-account", tmp.path(), |fixture| {
        // The trail's key, as the recording names it (`key/` and a UUID).
        let plain = fixture
            .exchanges
            .iter()
            .find_map(|e| {
                let at = e.response.body.find("key/")?;
                e.response.body.get(at..at + 40).map(str::to_string)
            })
            .expect("the recording names the trail's key");
        let plain = plain.as_str();
        for exchange in &mut fixture.exchanges {
            let body = &mut exchange.response.body;
            if body.trim_start().starts_with('{') {
                *body = body.replace(plain, hostile);
            }
        }
    });
    let state = tmp.path().join("runs");
    let replay = scenario.to_string_lossy().into_owned();
    let run = xtask_in(&state, &["run", "revert", "--yes", "--replay", &replay]).success();
    let shown = "key/6dff396d\\u{202e}\\u{1b}[2Jfdp.exe";
    assert!(run.stdout.contains(shown), "{}", run.stdout);
    assert_inert(&run.stdout);
    assert_inert(&run.stderr);
    let id = run.run_id();

    // The journal keeps the raw value.
    let journal = std::fs::read_to_string(state.join(&id).join("audit.jsonl")).unwrap();
    assert!(
        journal.contains("key/6dff396d\u{202e}\\u001b[2Jfdp.exe"),
        "{journal}"
    );

    for args in [
        vec!["audit", "show", id.as_str()],
        vec!["audit", "show", id.as_str(), "--writes"],
    ] {
        let view = xtask_in(&state, &args).success();
        assert!(
            view.stdout.contains("6dff396d\\u{202e}"),
            "{args:?}:\n{}",
            view.stdout
        );
        assert_inert(&view.stdout);
    }
    for args in [
        vec!["audit", "show", id.as_str(), "--output", "json"],
        vec!["run", "status", "--replay", &replay, "--output", "json"],
    ] {
        let doc = xtask_in(&state, &args);
        assert_inert(&doc.stdout);
        let value: serde_json::Value = serde_json::from_str(&doc.stdout).unwrap();
        assert!(
            value.to_string().contains('\u{202e}'),
            "{args:?}: JSON keeps the value"
        );
    }
    xtask_in(&state, &["audit", "report", &id]).success();
    let page = std::fs::read_to_string(state.join(&id).join("report.html")).unwrap();
    assert!(page.contains(shown), "the page shows the key escaped");
    assert_inert(&page);
}
