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
/// `fault`'s switch counts what reached the server.
async fn attempt(
    env: &Env,
    how: Attempt,
    fault: Option<(Fault, Arc<FaultSwitch>)>,
) -> Result<(), String> {
    let switch = fault.as_ref().map(|(_, s)| s.clone()).unwrap_or_default();
    let http = match fault.clone() {
        Some((f, switch)) => faulty(runbook::http::real_client(), f, switch),
        None => runbook::http::real_client(),
    };
    let fault = fault.map(|(f, _)| f);
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
    let switch = Arc::new(FaultSwitch::default());
    let first = rt.block_on(attempt(&env, Attempt::Start, Some((fault, switch.clone()))));
    assert!(first.is_err(), "the faulty attempt must not succeed");
    resumed_to_the_end(&env, &rt, during, &switch, expect_settled);
}

/// The steps the first attempt started and did not finish well: failed, or left open by a
/// kill (two, where the runbook runs a pair side by side).
fn unfinished_steps(events: &[runbook::journal::Record]) -> Vec<String> {
    let mut unfinished: Vec<String> = Vec::new();
    for e in events {
        let step = e.data["step"].as_str().unwrap_or_default().to_string();
        match e.event.as_str() {
            "step_started" => unfinished.push(step),
            "step_succeeded" => unfinished.retain(|s| *s != step),
            _ => {}
        }
    }
    unfinished
}

/// After a first attempt that `during` did not finish: resume runs the revert to its end, with
/// each write reaching AWS once over both attempts (`first`: what reached it in the first)
/// and, if `expect_settled`, a write settled by reading.
fn resumed_to_the_end(
    env: &Env,
    rt: &tokio::runtime::Runtime,
    during: &str,
    first: &FaultSwitch,
    expect_settled: bool,
) {
    let first_attempt = events(&run_dirs(env.state.path())[0]);
    let unfinished = unfinished_steps(&first_attempt);
    // `during` may name two steps side by side (`verify|key_advice`): either left unfinished.
    assert!(
        unfinished.iter().any(|s| during.split('|').any(|d| d == s)),
        "where the fault struck: {unfinished:?}"
    );
    // A killed process (no final line) leaves its steps open, both of a pair: `audit verify`
    // names every one of them.
    let first_dir = &run_dirs(env.state.path())[0];
    let before = runbook::journal::verify(first_dir).expect("the first attempt's log verifies");
    if before.ended.is_none() {
        let mut open: Vec<String> = before
            .open
            .iter()
            .filter_map(|o| match o {
                runbook::journal::Open::Step(step) => Some(step.to_string()),
                runbook::journal::Open::Write { .. } => None,
            })
            .collect();
        let mut expected = unfinished.clone();
        open.sort();
        expected.sort();
        assert_eq!(open, expected, "the open steps `audit verify` names");
    }
    rt.block_on(attempt(env, Attempt::Resume, None))
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

    // No write repeated: each write reached AWS exactly once over both attempts (the resumed
    // attempt has no fault: each of its calls reached AWS).
    let resumed_at = events
        .iter()
        .position(|e| e.event == "run_resumed")
        .expect("resumed");
    for op in WRITES {
        let resent = events[resumed_at..]
            .iter()
            .filter(|e| e.event == "aws_call" && e.data["operation"] == *op)
            .count();
        assert_eq!(
            first.forwarded(op) + resent,
            1,
            "{op}: {} sent in the first attempt + {resent} after resuming",
            first.forwarded(op)
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
fn killed_as_the_writes_were_about_to_be_sent() {
    // Requests 26 and 27 are the two write steps' fresh reads, side by side; 28 is the first
    // of the two writes (its intent logged), which never leaves, nor does the other.
    interrupted_then_resumed(
        "set_bucket_aes256",
        Fault {
            trigger: Trigger::Nth(28),
            after_send: false,
            hang: true,
            once: false,
            status: None,
        },
        true,
    );
}

/// Both writes in flight, both applied by AWS, and the process killed before either answer
/// came: resume settles both by reading, and sends neither again.
#[test]
fn killed_with_both_writes_in_flight_and_both_answers_lost() {
    interrupted_then_resumed(
        "disable_trail_kms",
        Fault {
            trigger: Trigger::Each(vec!["UpdateTrail".into(), "PutBucketEncryption".into()]),
            after_send: true,
            hang: true,
            once: false,
            status: None,
        },
        true,
    );
}

/// Both writes in flight: the trail's answered (and its step done), the bucket's applied but
/// its answer never came, and the process killed then. Resume settles the bucket's by reading
/// and sends nothing again.
#[test]
fn killed_with_both_writes_in_flight_one_answered_one_lost() {
    let env = Env::secure_account();
    let rt = runtime();
    let fault = Fault {
        trigger: Trigger::Each(vec!["PutBucketEncryption".into()]),
        after_send: true,
        hang: true,
        once: false,
        status: None,
    };
    let switch = Arc::new(FaultSwitch::default());
    let http = faulty(runbook::http::real_client(), fault, switch.clone());
    let aws = Aws::new(env.config().into_builder().http_client(http).build(), true);
    let begin = Begin::New {
        runbook: Runbook::Revert,
        args: args(),
    };
    let trail_step_done = || {
        let dir = run_dirs(env.state.path()).pop()?;
        let log = std::fs::read_to_string(dir.join(runbook::journal::AUDIT_FILE)).ok()?;
        log.lines()
            .any(|l| l.contains("\"step_succeeded\"") && l.contains("\"disable_trail_kms\""))
            .then_some(())
    };
    let first = rt.block_on(async {
        let run = testkit::launch(&aws, env.state.path(), begin, Settings::default());
        tokio::select! {
            result = run => result.map(drop).map_err(|e| e.to_string()),
            // The bucket's answer never comes; once the trail's step is done, the process dies.
            _ = async {
                switch.struck.notified().await;
                while trail_step_done().is_none() {
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                }
            } => Err("killed".to_string()),
        }
    });
    assert!(first.is_err(), "the faulty attempt must not succeed");
    let first_attempt = events(&run_dirs(env.state.path())[0]);
    assert!(
        first_attempt
            .iter()
            .any(|e| e.event == "write_result" && e.data["outcome"] == "ok"),
        "the trail's write was answered in the first attempt"
    );
    resumed_to_the_end(&env, &rt, "set_bucket_aes256", &switch, true);
    let events = events(&run_dirs(env.state.path())[0]);
    let settled: Vec<_> = events
        .iter()
        .filter(|e| e.event == "write_settled")
        .collect();
    assert_eq!(
        settled.len(),
        1,
        "only the bucket's write is settled: {settled:?}"
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
    // Requests 1-29 take the run through both writes; 30 is the first of the verification's
    // and the key advice's (side by side), and the connection is gone from there on.
    interrupted_then_resumed(
        "verify",
        Fault {
            trigger: Trigger::Nth(30),
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
    // The key advice's lines wait in memory until the verification beside it has ended: the
    // journal of a process killed before that shows the verification unfinished, after it the
    // key advice.
    interrupted_then_resumed(
        "verify|key_advice",
        Fault {
            hang: true,
            ..at("DescribeKey")
        },
        false,
    );
}

/// Beside the trail's step, a bucket write sent again (its first answer a 503) makes its fresh
/// read only once its intent can follow that read into the journal at once: after the trail's
/// step ended (here, after a slow UpdateTrail's answer), not before, where the read would go
/// stale while the intent waited for its turn.
#[test]
fn a_retry_beside_the_other_write_reads_fresh_only_when_it_can_send() {
    use runbook::http::wrap::{slowed, CallTimes};
    let env = Env::secure_account();
    let times = Arc::new(CallTimes::default());
    let slow = slowed(
        runbook::http::real_client(),
        "UpdateTrail",
        std::time::Duration::from_millis(1500),
        times.clone(),
    );
    let fault = Fault {
        once: true,
        status: Some(503),
        ..at("PutBucketEncryption")
    };
    let (result, switch) = revert_over(&env, slow, fault);
    result.expect("the run finishes");
    env.assert_reverted();
    assert_eq!(
        switch.forwarded("PutBucketEncryption"),
        1,
        "sent once in all"
    );

    let [(_, trail_answered)] = times.of("UpdateTrail")[..] else {
        panic!("one UpdateTrail")
    };
    // The 503 never reached the server; the one PutBucketEncryption that did is the retry.
    let [(retry_sent, _)] = times.of("PutBucketEncryption")[..] else {
        panic!("one PutBucketEncryption reached the server")
    };
    let fresh_read = times
        .of("GetBucketEncryption")
        .into_iter()
        .map(|(start, _)| start)
        .filter(|start| *start < retry_sent)
        .max()
        .expect("a read before the retry");
    assert!(
        fresh_read >= trail_answered,
        "the retry's fresh read was made {:?} before the trail's step could end",
        trail_answered - fresh_read
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

/// Runs `runbook` to its end on `env` through a transport that delays every call by far more
/// than a whole fan-out takes to send, so that waves do not blur; the meter saw every call.
fn metered(env: &Env, runbook: Runbook) -> Arc<runbook::http::wrap::LatencyMeter> {
    use runbook::http::wrap::{delayed, LatencyMeter};
    let meter = Arc::new(LatencyMeter::default());
    let http = delayed(
        runbook::http::real_client(),
        std::time::Duration::from_millis(300),
        meter.clone(),
    );
    let aws = Aws::new(env.config().into_builder().http_client(http).build(), true);
    let args = args();
    let run = testkit::run_to_end(&aws, env.state.path(), runbook, &args, Settings::default());
    runtime().block_on(run).expect("the run finishes");
    meter
}

/// The critical path of a revert is a fixed number of sequential round trips, whatever the
/// number of regions: every region fan-out is one wave, and what does not depend on each other
/// goes side by side (counted, not timed: the wall time is for `cargo xtask bench`): the
/// identity with the region list; the scan; the bucket's region with its encryption and policy;
/// the trail's and the bucket's fresh reads; their writes; the verification with the key
/// advice.
#[test]
fn a_revert_is_six_sequential_round_trips() {
    let env = Env::secure_account();
    let meter = metered(&env, Runbook::Revert);
    assert_eq!(
        meter.requests(),
        71,
        "moto's 20 enabled regions of the aws partition scanned twice, config channels once, 11 other calls"
    );
    assert_eq!(meter.stages(), 6);
}

/// The article's check: the identity with the region list, the scan, the bucket.
#[test]
fn a_status_is_three_sequential_round_trips() {
    let env = Env::secure_account();
    let meter = metered(&env, Runbook::Status);
    assert_eq!(meter.stages(), 3);
}

/// One revert, in-process, through a transport with `fault`; the switch counts what reached
/// the server.
fn revert_through(env: &Env, fault: Fault) -> (Result<(), String>, Arc<FaultSwitch>) {
    revert_over(env, runbook::http::real_client(), fault)
}

/// [`revert_through`], over `base` (a transport of its own, under the fault).
fn revert_over(
    env: &Env,
    base: aws_smithy_runtime_api::client::http::SharedHttpClient,
    fault: Fault,
) -> (Result<(), String>, Arc<FaultSwitch>) {
    let switch = Arc::new(FaultSwitch::default());
    let http = faulty(base, fault, switch.clone());
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
/// that settled it, in log order (other calls left out, and the other write step's lines,
/// which run beside it).
fn write_story(events: &[runbook::journal::Record], operation: &str, read: &str) -> Vec<String> {
    let (qualified, step) = match operation {
        "UpdateTrail" => ("cloudtrail:UpdateTrail", "disable_trail_kms"),
        _ => ("s3:PutBucketEncryption", "set_bucket_aes256"),
    };
    let first = events
        .iter()
        .position(|e| e.event == "write_intent" && e.data["write"]["operation"] == qualified)
        .expect("the write was intended");
    // A call names its step when two run side by side.
    let ours = |e: &runbook::journal::Record| e.data["step"].is_null() || e.data["step"] == step;
    let mut intents = std::collections::BTreeSet::new();
    events[first..]
        .iter()
        .take_while(|e| !(e.event == "step_succeeded" && e.data["step"] == step))
        .filter_map(|e| match e.event.as_str() {
            "write_intent" if e.data["write"]["operation"] == qualified => {
                intents.insert(e.seq);
                Some("intent".to_string())
            }
            "aws_call" if ours(e) && e.data["operation"] == operation => Some(format!(
                "{operation} {}",
                e.data["error_code"].as_str().unwrap_or("ok")
            )),
            "aws_call" if ours(e) && e.data["operation"] == read => Some(format!("read {read}")),
            "write_result" if intents.contains(&e.data["intent_seq"].as_u64().unwrap()) => {
                Some(format!("result {}", e.data["outcome"].as_str().unwrap()))
            }
            "write_settled" if intents.contains(&e.data["intent_seq"].as_u64().unwrap()) => {
                Some(format!("settled applied={}", e.data["applied"]))
            }
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
