//! Interruptions at every step and in the middle of each write, then `resume`: the same end
//! state as an uninterrupted run, no write repeated, one verifiable audit log.
//!
//! The fault is injected in the HTTP transport (a lost connection, or a request that never
//! answers while the run is dropped, standing for a killed process), not by sleeping and killing.

use std::sync::Arc;

use runbook::aws::Aws;
use runbook::http::wrap::{faulty, Fault, FaultSwitch, Trigger};
use runbook::runbooks::{Args, Begin, Runbook};
use runbook::steps::Settings;
use runbook::testkit;

use crate::support::*;

fn args() -> Args {
    testkit::default_args()
}

/// An uninterrupted revert of `env`'s account, in-process, through `config`.
fn revert_to_end(env: &Env, config: aws_config::SdkConfig) {
    let aws = Aws::new(config, true);
    let args = args();
    let run = testkit::run_to_end(
        &aws,
        env.state.path(),
        Runbook::Revert,
        &args,
        Settings::default(),
    );
    runtime().block_on(run).expect("the revert finishes");
}

enum Attempt {
    Start,
    Resume,
}

/// One attempt of the revert, in-process, through the library's entry point; with `fault`,
/// through the fault-injecting transport.
async fn attempt(env: &Env, how: Attempt, fault: Option<Fault>) -> Result<(), String> {
    let switch = Arc::new(FaultSwitch::default());
    let http = match fault.clone() {
        Some(f) => faulty(runbook::http::real_client(), f, switch.clone()),
        None => runbook::http::real_client(),
    };
    let aws = Aws::new(env.config().into_builder().http_client(http).build(), true);
    let begin = match how {
        Attempt::Start => Begin::New {
            runbook: Runbook::Revert,
            args: args(),
        },
        Attempt::Resume => Begin::Resume { run_id: None },
    };
    let hang = fault.as_ref().is_some_and(|f| f.hang);
    let run = testkit::launch(&aws, env.state.path(), begin, Settings::default());
    tokio::select! {
        result = run => result.map(drop).map_err(|e| e.to_string()),
        // The process "dies": the run future is dropped mid-request, nothing more is logged.
        _ = switch.struck.notified(), if hang => Err("killed".to_string()),
    }
}

fn interrupted_then_resumed(during: &str, fault: Fault, expect_settled: bool) {
    let env = Env::secure_account();
    let rt = runtime();
    let lost_after_send = fault.after_send;
    let first = rt.block_on(attempt(&env, Attempt::Start, Some(fault)));
    assert!(first.is_err(), "the faulty attempt must not succeed");
    let first_attempt = events(&run_dirs(env.state.path())[0]);
    let interrupted_in = first_attempt
        .iter()
        .rev()
        .find(|e| e.event == "step_started")
        .map(|e| e.data["step"].clone());
    assert_eq!(
        interrupted_in,
        Some(serde_json::json!(during)),
        "where the fault struck"
    );
    rt.block_on(attempt(&env, Attempt::Resume, None))
        .expect("resume finishes the run");

    // Same end state as an uninterrupted revert.
    env.assert_reverted();
    assert_eq!(
        env.trail_key(env.seeded.unrelated_trail_arn.as_deref().unwrap()),
        env.seeded.unrelated_key_arn
    );

    // One run, one log, complete and intact.
    let dirs = run_dirs(env.state.path());
    assert_eq!(dirs.len(), 1, "resume continued the same run");
    let verification = runbook::journal::verify(&dirs[0]).expect("the journal verifies");
    assert!(
        verification.incomplete.is_empty(),
        "{:?}",
        verification.incomplete
    );
    assert_eq!(verification.ended.as_deref(), Some("run_finished"));
    let events = events(&dirs[0]);
    assert!(events.iter().any(|e| e.event == "run_resumed"));

    // No write repeated: each write reached AWS exactly once over both attempts.
    for op in WRITES {
        let ok = events
            .iter()
            .filter(|e| {
                e.event == "aws_call" && e.data["operation"] == *op && e.data["outcome"] == "ok"
            })
            .count();
        let sent_but_lost = usize::from(lost_after_send && was_the_faulted(op, &events));
        assert_eq!(
            ok + sent_but_lost,
            1,
            "{op}: {ok} answered + {sent_but_lost} lost in flight"
        );
    }
    let settled = events.iter().filter(|e| e.event == "write_settled").count();
    assert_eq!(
        settled > 0,
        expect_settled,
        "write_settled events: {settled}"
    );
    // Steps that had succeeded were not run again.
    let preflights = events
        .iter()
        .filter(|e| e.event == "step_started" && e.data["step"] == "preflight")
        .count();
    assert_eq!(
        preflights,
        1 + usize::from(
            !events
                .iter()
                .any(|e| e.event == "step_skipped" && e.data["step"] == "preflight")
        )
    );
}

/// Whether `op` is the write whose answer the fault swallowed (no intent of it has an `ok` result).
fn was_the_faulted(op: &str, events: &[runbook::journal::Record]) -> bool {
    let operation = match op {
        "UpdateTrail" => "cloudtrail:UpdateTrail",
        _ => "s3:PutBucketEncryption",
    };
    events
        .iter()
        .filter(|e| e.event == "write_intent" && e.data["write"]["operation"] == operation)
        .any(|intent| {
            !events.iter().any(|r| {
                r.event == "write_result"
                    && r.data["intent_seq"] == intent.seq
                    && r.data["outcome"] == "ok"
            })
        })
}

fn at(op: &str) -> Fault {
    Fault {
        trigger: Trigger::Operation(op.into()),
        after_send: false,
        hang: false,
        once: false,
        status: None,
    }
}

#[test]
fn lost_connection_in_preflight() {
    interrupted_then_resumed("preflight", at("DescribeRegions"), false);
}

#[test]
fn lost_connection_in_check_status() {
    interrupted_then_resumed("check_status", at("DescribeTrails"), false);
}

#[test]
fn killed_in_check_status() {
    interrupted_then_resumed(
        "check_status",
        Fault {
            hang: true,
            ..at("DescribeTrails")
        },
        false,
    );
}

#[test]
fn lost_connection_in_plan() {
    interrupted_then_resumed("plan", at("GetBucketEncryption"), false);
}

#[test]
fn killed_at_the_confirmed_step_boundary() {
    // The first request of disable_trail_kms is its fresh re-read: dying there is dying right
    // after `confirm` succeeded (2 account calls, 20 region scans, 3 bucket reads before it).
    interrupted_then_resumed(
        "disable_trail_kms",
        Fault {
            trigger: Trigger::Nth(26),
            after_send: false,
            hang: true,
            once: false,
            status: None,
        },
        false,
    );
}

#[test]
fn killed_between_the_trail_and_the_bucket_steps() {
    // Request 28 is set_bucket_aes256's fresh re-read: the trail write is done and logged.
    interrupted_then_resumed(
        "set_bucket_aes256",
        Fault {
            trigger: Trigger::Nth(28),
            after_send: false,
            hang: true,
            once: false,
            status: None,
        },
        false,
    );
}

#[test]
fn update_trail_connection_lost_before_it_was_sent() {
    // No answer: the log says `unknown`, and resume settles it (not applied, so it writes once).
    interrupted_then_resumed("disable_trail_kms", at("UpdateTrail"), true);
}

#[test]
fn update_trail_applied_but_its_answer_lost() {
    interrupted_then_resumed(
        "disable_trail_kms",
        Fault {
            after_send: true,
            ..at("UpdateTrail")
        },
        true,
    );
}

#[test]
fn killed_while_update_trail_was_in_flight() {
    interrupted_then_resumed(
        "disable_trail_kms",
        Fault {
            after_send: true,
            hang: true,
            ..at("UpdateTrail")
        },
        true,
    );
}

#[test]
fn put_bucket_encryption_applied_but_its_answer_lost() {
    interrupted_then_resumed(
        "set_bucket_aes256",
        Fault {
            after_send: true,
            ..at("PutBucketEncryption")
        },
        true,
    );
}

#[test]
fn killed_while_put_bucket_encryption_was_in_flight() {
    interrupted_then_resumed(
        "set_bucket_aes256",
        Fault {
            after_send: true,
            hang: true,
            ..at("PutBucketEncryption")
        },
        true,
    );
}

#[test]
fn lost_connection_in_verify() {
    // Requests 1-47 take the run through both writes; 50 is inside verify's region fan-out.
    interrupted_then_resumed(
        "verify",
        Fault {
            trigger: Trigger::Nth(50),
            after_send: false,
            hang: false,
            once: false,
            status: None,
        },
        false,
    );
}

#[test]
fn killed_in_key_advice() {
    interrupted_then_resumed(
        "key_advice",
        Fault {
            hang: true,
            ..at("DescribeKey")
        },
        false,
    );
}

/// What a batch reads back instead of keeping: a finished run's report, rebuilt from its
/// journal, is the report the run returned, field for field.
#[test]
fn a_finished_runs_report_reads_back_from_its_journal() {
    use runbook::testkit::seed::{BucketSeed, Seed};
    // The secure account (both writes), and one whose bucket is SSE-S3 already (its write
    // step skipped: an empty list of writes, as the run holds it, not nothing).
    for env in [
        Env::secure_account(),
        Env::new(Seed {
            bucket: BucketSeed::Aes256,
            ..Seed::default()
        }),
    ] {
        let aws = Aws::new(env.config(), true);
        let (report, dir) = runtime()
            .block_on(testkit::run_to_end(
                &aws,
                env.state.path(),
                Runbook::Revert,
                &args(),
                Settings::default(),
            ))
            .expect("the revert finishes");
        assert!(
            report.verify.is_some() && report.keys.is_some(),
            "{report:?}"
        );
        assert!(report.buckets.is_some(), "{report:?}");
        let journal = runbook::journal::load(&dir).unwrap();
        let read_back = runbook::runbooks::Report::from_journal(&journal).unwrap();
        assert_eq!(read_back, report);
    }
}

/// No wasted work: credentials are resolved once for the whole run (every client shares the
/// SDK's identity cache), whatever the number of regions and clients.
#[test]
fn credentials_are_resolved_once_per_run() {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use aws_credential_types::provider::{future, ProvideCredentials, SharedCredentialsProvider};
    use aws_credential_types::Credentials;

    #[derive(Debug, Default, Clone)]
    struct Counting(Arc<AtomicUsize>);
    impl ProvideCredentials for Counting {
        fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
        where
            Self: 'a,
        {
            self.0.fetch_add(1, Ordering::SeqCst);
            future::ProvideCredentials::ready(Ok(Credentials::new(
                "testing", "testing", None, None, "counting",
            )))
        }
    }

    let env = Env::secure_account();
    let counting = Counting::default();
    let config = env
        .config()
        .into_builder()
        .credentials_provider(SharedCredentialsProvider::new(counting.clone()))
        .build();
    revert_to_end(&env, config);
    let calls = events(&run_dirs(env.state.path())[0])
        .iter()
        .filter(|e| e.event == "aws_call")
        .count();
    assert!(calls > 60, "the revert made {calls} calls over 20 regions");
    // One explicit check up front (for a clear error) and one fill of the shared cache.
    assert!(
        counting.0.load(Ordering::SeqCst) <= 2,
        "credentials resolved {} times",
        counting.0.load(Ordering::SeqCst)
    );
}

/// The critical path of a revert is a fixed number of sequential round trips, whatever the
/// number of regions: every region fan-out is one wave. (Counted, not timed: the wall time is
/// for `cargo xtask bench`.)
#[test]
fn a_revert_is_eleven_sequential_round_trips() {
    use runbook::http::wrap::{delayed, LatencyMeter};

    let env = Env::secure_account();
    let meter = Arc::new(LatencyMeter::default());
    // A latency well above the time it takes to send a whole fan-out, so waves do not blur.
    let http = delayed(
        runbook::http::real_client(),
        std::time::Duration::from_millis(300),
        meter.clone(),
    );
    let config = env.config().into_builder().http_client(http).build();
    revert_to_end(&env, config);
    assert_eq!(
        meter.requests(),
        71,
        "moto's 20 enabled regions of the aws partition scanned twice, config channels once, 11 other calls"
    );
    assert_eq!(meter.stages(), 11);
}

/// One revert, in-process, through a transport with `fault`; the switch counts what reached
/// the server.
fn revert_through(env: &Env, fault: Fault) -> (Result<(), String>, Arc<FaultSwitch>) {
    let switch = Arc::new(FaultSwitch::default());
    let http = faulty(runbook::http::real_client(), fault, switch.clone());
    let aws = Aws::new(env.config().into_builder().http_client(http).build(), true);
    let begin = Begin::New {
        runbook: Runbook::Revert,
        args: args(),
    };
    // No waits: the retry rule, not the back-off, is under test.
    let settings = Settings::default().without_waits();
    let result = runtime()
        .block_on(testkit::launch(&aws, env.state.path(), begin, settings))
        .map(drop)
        .map_err(|e| e.to_string());
    (result, switch)
}

/// The events of the write to `operation`: intent, the call's outcome, the answer, the read
/// that settled it, in log order (other calls left out).
fn write_story(events: &[runbook::journal::Record], operation: &str, read: &str) -> Vec<String> {
    let qualified = match operation {
        "UpdateTrail" => "cloudtrail:UpdateTrail",
        _ => "s3:PutBucketEncryption",
    };
    let first = events
        .iter()
        .position(|e| e.event == "write_intent" && e.data["write"]["operation"] == qualified)
        .expect("the write was intended");
    events[first..]
        .iter()
        .take_while(|e| e.event != "step_succeeded")
        .filter_map(|e| match e.event.as_str() {
            "write_intent" => Some("intent".to_string()),
            "aws_call" if e.data["operation"] == operation => Some(format!(
                "{operation} {}",
                e.data["error_code"].as_str().unwrap_or("ok")
            )),
            "aws_call" if e.data["operation"] == read => Some(format!("read {read}")),
            "write_result" => Some(format!("result {}", e.data["outcome"].as_str().unwrap())),
            "write_settled" => Some(format!("settled applied={}", e.data["applied"])),
            _ => None,
        })
        .collect()
}

fn answer_lost_once(operation: &str, read: &str) {
    let env = Env::secure_account();
    let (result, switch) = revert_through(
        &env,
        Fault {
            after_send: true,
            once: true,
            ..at(operation)
        },
    );
    result.expect("the run settles the lost answer and finishes");
    assert_eq!(
        switch.forwarded(operation),
        1,
        "{operation} reached AWS once"
    );
    env.assert_reverted();
    let dir = &run_dirs(env.state.path())[0];
    let events = events(dir);
    assert_eq!(
        write_story(&events, operation, read),
        vec![
            "intent".to_string(),
            format!("{operation} NoResponse"),
            "result unknown".into(),
            format!("read {read}"),
            "settled applied=true".into(),
        ]
    );
    let finished = events.last().unwrap();
    assert_eq!(finished.event, "run_finished");
    assert_eq!(finished.data["writes_made"], 2);
}

#[test]
fn update_trail_answer_lost_is_settled_by_reading_not_by_sending_again() {
    answer_lost_once("UpdateTrail", "DescribeTrails");
}

#[test]
fn put_bucket_encryption_answer_lost_is_settled_by_reading_not_by_sending_again() {
    answer_lost_once("PutBucketEncryption", "GetBucketEncryption");
}

/// A 500 may come after the change was made: it is `unknown` and settled by reading; the read
/// shows it was not applied, so it is sent once more, and reaches AWS once in all.
#[test]
fn a_server_error_on_a_write_is_settled_then_sent_once_more() {
    let env = Env::secure_account();
    let (result, switch) = revert_through(
        &env,
        Fault {
            once: true,
            status: Some(500),
            ..at("PutBucketEncryption")
        },
    );
    result.expect("the run finishes");
    assert_eq!(switch.forwarded("PutBucketEncryption"), 1);
    env.assert_reverted();
    let events = events(&run_dirs(env.state.path())[0]);
    assert_eq!(
        write_story(&events, "PutBucketEncryption", "GetBucketEncryption"),
        vec![
            "intent",
            "PutBucketEncryption HTTP500",
            "result unknown",
            "read GetBucketEncryption",
            "settled applied=false",
            // The send after the wait follows its own fresh read.
            "read GetBucketEncryption",
            "intent",
            "PutBucketEncryption ok",
            "result ok",
        ]
    );
    assert!(events.iter().any(|e| e.event == "warning"
        && e.data["message"]
            .as_str()
            .unwrap()
            .contains("sending it again")));
}
