//! Batches driven in-process through the library's entry point (`runbook::batch::launch_batch`),
//! where the test chooses each account's transport: a write whose answer is lost while the
//! process "dies", Ctrl-C in the middle, credentials that land in the wrong account. And two
//! batch processes started in the same instant on one state directory.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use runbook::aws::Aws;
use runbook::batch::journal::{self as batch_journal, Outcome};
use runbook::batch::{
    self, AccountId, AccountPlan, AccountResult, AccountsWanted, BatchBegin, BatchEnd,
    BatchOperator, BatchSession, BatchStarted, ConnectFuture, Connected, Connector, Limits,
    NotAsked, Reach,
};
use runbook::http::wrap::{faulty, Fault, FaultSwitch, Trigger};
use runbook::journal::ConfirmVia;
use runbook::runbooks::Runbook;
use runbook::steps::Settings;
use runbook::testkit;

use crate::batch::{Fleet, MEMBER_A, MEMBER_B, MGMT};
use crate::support::*;

/// Each account through the real client, or (for the accounts in `faults`) through a fault
/// transport whose switch the test keeps; `lands_in` sends an account's calls to another's.
struct TestConnector {
    endpoint: String,
    faults: HashMap<String, (Fault, Arc<FaultSwitch>)>,
    lands_in: HashMap<String, String>,
}

impl TestConnector {
    fn new(endpoint: String) -> TestConnector {
        TestConnector {
            endpoint,
            faults: HashMap::new(),
            lands_in: HashMap::new(),
        }
    }
}

impl Connector for TestConnector {
    fn connect<'a>(&'a self, reach: &'a Reach) -> ConnectFuture<'a> {
        Box::pin(async move {
            let account = self
                .lands_in
                .get(reach.account.as_str())
                .map_or(reach.account.as_str(), String::as_str);
            let config = if account == MGMT {
                testkit::local_config(&self.endpoint, HOME)
            } else {
                testkit::assumed_role_config(
                    &self.endpoint,
                    HOME,
                    &format!("arn:aws:iam::{account}:role/OrganizationAccountAccessRole"),
                )
                .await
                .map_err(|e| runbook::Error::AssumeRoleFailed {
                    account: reach.account.to_string(),
                    role_arn: reach.role_arn.clone().unwrap_or_default(),
                    caller_arn: reach.caller_arn.clone(),
                    detail: e.to_string(),
                })?
            };
            let http = match self.faults.get(reach.account.as_str()) {
                Some((fault, switch)) => {
                    faulty(runbook::http::real_client(), fault.clone(), switch.clone())
                }
                None => runbook::http::real_client(),
            };
            Ok(Connected {
                aws: Aws::new(config.into_builder().http_client(http).build(), true),
                credentials: "testkit".into(),
            })
        })
    }
}

pub fn acct(account: &str) -> runbook::batch::AccountId {
    runbook::batch::AccountId::parse(account, "test").unwrap()
}

fn new_batch() -> BatchBegin {
    BatchBegin::New {
        runbook: Runbook::Revert,
        args: testkit::default_args(),
        wanted: AccountsWanted {
            accounts: vec![acct(MGMT), acct(MEMBER_A), acct(MEMBER_B)],
            ..AccountsWanted::default()
        },
        role_name: "OrganizationAccountAccessRole".into(),
        external_id: false,
        limits: Limits {
            max_concurrent_accounts: 8,
            max_errors: None,
        },
    }
}

/// [`new_batch`]'s accounts, for `run status`.
fn status_batch() -> BatchBegin {
    let BatchBegin::New {
        args,
        wanted,
        role_name,
        external_id,
        limits,
        ..
    } = new_batch()
    else {
        unreachable!()
    };
    BatchBegin::New {
        runbook: Runbook::Status,
        args,
        wanted,
        role_name,
        external_id,
        limits,
    }
}

async fn launch(
    fleet: &Fleet,
    connector: &TestConnector,
    begin: BatchBegin,
    interrupt: impl Future<Output = String>,
) -> runbook::Result<BatchEnd> {
    launch_with(fleet, connector, begin, interrupt, &testkit::AlwaysYes).await
}

/// [`launch`] with the batch's operator given.
async fn launch_with(
    fleet: &Fleet,
    connector: &TestConnector,
    begin: BatchBegin,
    interrupt: impl Future<Output = String>,
    operator: &dyn BatchOperator,
) -> runbook::Result<BatchEnd> {
    let base = Aws::new(fleet.env.config(), true);
    let session = BatchSession {
        base: &base,
        connector,
        state_dir: fleet.state(),
        operator,
        settings: Settings::default().without_waits(),
        tool_version: "in-process",
        credentials: "testkit",
    };
    batch::launch_batch(&session, begin, interrupt).await
}

fn lost_update_trail(hang: bool) -> Fault {
    Fault {
        trigger: Trigger::Operation("UpdateTrail".into()),
        after_send: true,
        hang,
        once: false,
        status: None,
    }
}

/// A transport that never strikes: it only counts what reaches moto.
fn counting() -> Fault {
    Fault {
        trigger: Trigger::Operation("NoSuchOperation".into()),
        after_send: false,
        hang: false,
        once: false,
        status: None,
    }
}

/// A connector whose `account` goes through `fault`, and the fault's switch.
fn with_fault(fleet: &Fleet, account: &str, fault: Fault) -> (TestConnector, Arc<FaultSwitch>) {
    let switch = Arc::new(FaultSwitch::default());
    let mut connector = TestConnector::new(fleet.env.moto.endpoint());
    connector
        .faults
        .insert(account.into(), (fault, switch.clone()));
    (connector, switch)
}

/// Resumes batch `batch_id` to its end through `connector`.
fn resume(fleet: &Fleet, connector: &TestConnector, batch_id: String) -> BatchEnd {
    let begin = BatchBegin::Resume {
        batch_id,
        external_id: false,
        only: vec![],
    };
    runtime()
        .block_on(launch(fleet, connector, begin, std::future::pending()))
        .unwrap()
}

fn batch_id(fleet: &Fleet) -> String {
    batch_journal::batch_ids(fleet.state()).unwrap().remove(0)
}

#[test]
fn a_batch_killed_after_a_write_reached_aws_resumes_without_sending_it_again() {
    let fleet = Fleet::new();
    let rt = runtime();
    let (connector, switch) = with_fault(&fleet, MEMBER_A, lost_update_trail(true));
    // The process "dies" once member A's UpdateTrail was applied and its answer lost: the batch
    // future is dropped mid-request; nothing more is logged anywhere.
    let killed = rt.block_on(async {
        tokio::select! {
            end = launch(&fleet, &connector, new_batch(), std::future::pending()) => end.is_ok(),
            () = switch.struck.notified() => false,
        }
    });
    assert!(!killed, "the batch must not have ended");
    assert_eq!(switch.forwarded("UpdateTrail"), 1);
    // What a kill leaves: a batch journal that verifies, without an end.
    let id = batch_id(&fleet);
    let journal = batch_journal::load(&batch_journal::batch_dir(fleet.state(), &id)).unwrap();
    assert!(journal.unfinished().contains(&acct(MEMBER_A)));

    let (connector, count) = with_fault(&fleet, MEMBER_A, counting());
    let end = resume(&fleet, &connector, id);
    assert!(end.error().is_none(), "{:?}", end.error());
    fleet.assert_reverted(MGMT);
    fleet.assert_reverted(MEMBER_A);
    assert_eq!(
        count.forwarded("UpdateTrail"),
        0,
        "the lost write was settled by reading, not sent again"
    );
    // Member A's one run holds the whole story and verifies.
    let runs = fleet.account_runs(MEMBER_A);
    assert_eq!(runs.len(), 1);
    let verification = runbook::journal::verify(&runs[0]).unwrap();
    assert!(
        verification.incomplete.is_empty(),
        "{:?}",
        verification.incomplete
    );
    let events = events(&runs[0]);
    assert!(
        events.iter().any(|e| e.event == "write_settled"),
        "settled on resume"
    );
}

#[test]
fn ctrl_c_ends_every_account_as_interrupted_and_the_batch_resumes() {
    let fleet = Fleet::new();
    let rt = runtime();
    // Member A's UpdateTrail never answers; Ctrl-C comes while it waits.
    let (connector, switch) = with_fault(&fleet, MEMBER_A, lost_update_trail(true));
    let interrupt = {
        let switch = switch.clone();
        async move {
            switch.struck.notified().await;
            "Ctrl-C".to_string()
        }
    };
    let end = rt
        .block_on(launch(&fleet, &connector, new_batch(), interrupt))
        .unwrap();
    // Issue 22, 14: it says the batch was interrupted (not "run batch-… was interrupted").
    let error = end.error().expect("interrupted");
    assert!(
        matches!(error, runbook::Error::BatchInterrupted { .. }),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        format!("batch {} was interrupted", end.batch_id)
    );
    let outcome_of = |account: &str| {
        end.journal
            .accounts()
            .into_iter()
            .find(|(a, _)| a == account)
            .and_then(|(_, e)| e)
            .map(|e| e.outcome)
    };
    assert_eq!(outcome_of(MEMBER_A), Some(Outcome::Interrupted));
    let a_events = events(&fleet.account_runs(MEMBER_A)[0]);
    assert!(a_events.iter().any(|e| e.event == "run_interrupted"));
    let resumed = resume(
        &fleet,
        &TestConnector::new(fleet.env.moto.endpoint()),
        end.batch_id.clone(),
    );
    assert!(resumed.error().is_none(), "{:?}", resumed.error());
    fleet.assert_reverted(MEMBER_A);
    fleet.assert_reverted(MGMT);
}

#[test]
fn credentials_that_land_in_another_account_are_refused_before_its_run_opens() {
    let fleet = Fleet::new();
    let mut connector = TestConnector::new(fleet.env.moto.endpoint());
    // "Member A's" role hands out credentials of member B.
    connector.lands_in.insert(MEMBER_A.into(), MEMBER_B.into());
    let end = runtime()
        .block_on(launch(
            &fleet,
            &connector,
            new_batch(),
            std::future::pending(),
        ))
        .unwrap();
    let (_, a) = end
        .journal
        .accounts()
        .into_iter()
        .find(|(a, _)| a == MEMBER_A)
        .unwrap();
    let a = a.unwrap();
    assert_eq!(a.outcome, Outcome::Unreachable);
    assert!(
        a.error.as_deref().unwrap().contains(&format!(
            "the credentials for account {MEMBER_A} act in account {MEMBER_B}"
        )),
        "{a:?}"
    );
    assert!(fleet.account_runs(MEMBER_A).is_empty(), "no run was opened");
    // Member B's own run (reached rightly) wrote nothing: it was already reverted.
    fleet.assert_untouched(MEMBER_A);
    fleet.assert_reverted(MGMT);
}

#[test]
fn two_batches_started_in_the_same_instant_write_each_account_once() {
    let fleet = Fleet::new();
    let accounts = format!("{MGMT},{MEMBER_A},{MEMBER_B}");
    let spawn = || {
        let mut cmd = xtask_command(fleet.state());
        cmd.args(["run", "revert", "--yes", "--accounts", &accounts])
            .args(["--endpoint-url", &fleet.env.moto.endpoint()])
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        cmd.spawn().unwrap()
    };
    let children = [spawn(), spawn()];
    let codes: Vec<i32> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap().status.code().unwrap_or(-1))
        .collect();
    // Each exits 0 (it did or found every account done) or 2 (the state directory's lock was
    // held by the other batch: refused before it began); never anything else, and one did it.
    assert!(codes.iter().all(|c| *c == 0 || *c == 2), "{codes:?}");
    assert!(codes.contains(&0), "{codes:?}");
    fleet.assert_reverted(MGMT);
    fleet.assert_reverted(MEMBER_A);
    for account in [MGMT, MEMBER_A, MEMBER_B] {
        let mut updates = 0;
        for run in fleet.account_runs(account) {
            let verification = runbook::journal::verify(&run).unwrap();
            assert!(verification.ended.is_some(), "{account}: every run ended");
            updates += calls(&events(&run), &["UpdateTrail"]).len();
        }
        let expected = usize::from(account != MEMBER_B);
        assert_eq!(
            updates, expected,
            "{account}: one UpdateTrail over both batches"
        );
    }
    for id in batch_journal::batch_ids(fleet.state()).unwrap() {
        batch_journal::load(&batch_journal::batch_dir(fleet.state(), &id)).unwrap();
    }
}

/// Notes every hook a batch calls, in order, and answers its question yes.
#[derive(Default)]
struct Noting(std::sync::Mutex<Vec<String>>);

impl Noting {
    fn note(&self, what: String) {
        self.0.lock().unwrap().push(what);
    }

    /// What `account` went through, in order (without the account).
    fn of(&self, account: &str) -> Vec<String> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter_map(|n| n.strip_prefix(&format!("{account} ")).map(str::to_string))
            .collect()
    }

    fn position(&self, what: &str) -> usize {
        let notes = self.0.lock().unwrap();
        notes
            .iter()
            .position(|n| n == what)
            .unwrap_or_else(|| panic!("{what}: {notes:?}"))
    }
}

impl BatchOperator for Noting {
    fn attempt_started(&self, accounts: &[AccountId]) {
        self.note(format!("attempt of {}", accounts.len()));
    }
    fn account_started(&self, account: &AccountId) {
        self.note(format!("{account} started"));
    }
    fn account_checked(&self, account: &AccountId) {
        self.note(format!("{account} checked"));
    }
    fn account_waiting(&self, account: &AccountId) {
        self.note(format!("{account} waiting"));
    }
    fn account_writing(&self, account: &AccountId) {
        self.note(format!("{account} writing"));
    }
    fn account_ended(&self, result: &AccountResult) {
        self.note(format!(
            "{} ended {}",
            result.account,
            result.outcome.name()
        ));
    }
    fn confirm_batch<'a>(
        &'a self,
        _batch: &'a BatchStarted,
        _plans: &'a [AccountPlan],
        _not_asked: &'a [NotAsked],
    ) -> std::pin::Pin<Box<dyn Future<Output = runbook::Result<ConfirmVia>> + Send + 'a>> {
        self.note("asked".into());
        Box::pin(async { Ok(ConfirmVia::YesFlag) })
    }
}

/// The batch tells its operator where each account stands, in order (what the CLI's live
/// display counts): checked, waiting for the one question, writing after it, ended; an
/// account with nothing to change is checked and ends without waiting; a resumed run that
/// had its plan and its confirmation is checked and goes straight to its writes.
#[test]
fn the_operator_hears_where_each_account_stands() {
    let fleet = Fleet::new();
    let connector = TestConnector::new(fleet.env.moto.endpoint());
    let noting = Noting::default();
    let end = runtime()
        .block_on(launch_with(
            &fleet,
            &connector,
            new_batch(),
            std::future::pending(),
            &noting,
        ))
        .unwrap();
    assert!(end.error().is_none(), "{:?}", end.error());
    assert_eq!(noting.0.lock().unwrap()[0], "attempt of 3");
    for account in [MGMT, MEMBER_A] {
        assert_eq!(
            noting.of(account),
            ["started", "checked", "waiting", "writing", "ended done"],
            "{account}"
        );
        let asked = noting.position("asked");
        assert!(noting.position(&format!("{account} waiting")) < asked);
        assert!(asked < noting.position(&format!("{account} writing")));
    }
    assert_eq!(noting.of(MEMBER_B), ["started", "checked", "ended done"]);

    // A batch killed once member A's write reached AWS: its resume reuses member A's plan
    // and answer.
    let fleet = Fleet::new();
    let rt = runtime();
    let (connector, switch) = with_fault(&fleet, MEMBER_A, lost_update_trail(true));
    rt.block_on(async {
        tokio::select! {
            _ = launch(&fleet, &connector, new_batch(), std::future::pending()) => {
                panic!("the batch must not have ended")
            }
            () = switch.struck.notified() => {}
        }
    });
    let (connector, _) = with_fault(&fleet, MEMBER_A, counting());
    let noting = Noting::default();
    let begin = BatchBegin::Resume {
        batch_id: batch_id(&fleet),
        external_id: false,
        only: vec![],
    };
    let end = rt
        .block_on(launch_with(
            &fleet,
            &connector,
            begin,
            std::future::pending(),
            &noting,
        ))
        .unwrap();
    assert!(end.error().is_none(), "{:?}", end.error());
    assert_eq!(
        noting.of(MEMBER_A),
        ["started", "checked", "writing", "ended done"]
    );
    assert!(noting.0.lock().unwrap()[0].starts_with("attempt of "));
}

/// Answers yes once it has looked at each waiting account's journal, and truncated member A's
/// by its last line (re-chained, so that the journal alone still verifies).
struct TamperingWhileAsked<'f> {
    fleet: &'f Fleet,
    last_events: std::sync::Mutex<Vec<(String, String, Option<String>)>>,
    /// What is done to member A's run folder while it waits.
    tamper: fn(&std::path::Path),
}

impl BatchOperator for TamperingWhileAsked<'_> {
    fn confirm_batch<'a>(
        &'a self,
        _batch: &'a BatchStarted,
        plans: &'a [AccountPlan],
        _not_asked: &'a [NotAsked],
    ) -> std::pin::Pin<Box<dyn Future<Output = runbook::Result<ConfirmVia>> + Send + 'a>> {
        for plan in plans {
            let [run] = &self.fleet.account_runs(plan.account.as_str())[..] else {
                panic!("one run of {}", plan.account)
            };
            let last = events(run).pop().unwrap();
            self.last_events.lock().unwrap().push((
                plan.account.to_string(),
                last.event,
                last.data["step"].as_str().map(str::to_string),
            ));
            if plan.account.as_str() == MEMBER_A {
                (self.tamper)(run);
            }
        }
        Box::pin(async { Ok(ConfirmVia::YesFlag) })
    }
}

/// A waiting account's run is put aside at its plan (nothing of the confirmation recorded yet)
/// and taken up with the answer only if its journal still ends where the run left it: one
/// changed meanwhile is refused before any write, and the other accounts go on.
#[test]
fn a_journal_changed_while_its_account_waited_is_refused_before_any_write() {
    journal_changed_while_waiting(|run| {
        forge(run, |records| {
            records.pop();
        })
    });
}

/// The same, with the journal replaced by an identical copy: its content still ends where the
/// run left it, but the run would append to a file nobody reads any more.
#[test]
fn a_journal_replaced_by_a_copy_while_its_account_waited_is_refused() {
    journal_changed_while_waiting(|run| {
        let log = run.join("audit.jsonl");
        let copy = run.join("audit.copy");
        std::fs::copy(&log, &copy).unwrap();
        std::fs::rename(&copy, &log).unwrap();
    });
}

/// The same, with only the journal's last newline cut (the chain still reads): the next line
/// would run into the last one.
#[test]
fn a_journal_whose_last_newline_was_cut_while_its_account_waited_is_refused() {
    journal_changed_while_waiting(|run| {
        let log = run.join("audit.jsonl");
        let len = std::fs::metadata(&log).unwrap().len();
        std::fs::OpenOptions::new()
            .write(true)
            .open(&log)
            .unwrap()
            .set_len(len - 1)
            .unwrap();
    });
}

/// The same, with the journal given a second name: every line the run wrote would land in
/// that other name too.
#[test]
fn a_journal_given_a_second_name_while_its_account_waited_is_refused() {
    journal_changed_while_waiting(|run| {
        std::fs::hard_link(run.join("audit.jsonl"), run.join("audit.link")).unwrap();
    });
}

fn journal_changed_while_waiting(tamper: fn(&std::path::Path)) {
    let fleet = Fleet::new();
    let connector = TestConnector::new(fleet.env.moto.endpoint());
    let operator = TamperingWhileAsked {
        fleet: &fleet,
        last_events: Default::default(),
        tamper,
    };
    let end = runtime()
        .block_on(launch_with(
            &fleet,
            &connector,
            new_batch(),
            std::future::pending(),
            &operator,
        ))
        .unwrap();
    let mut seen = operator.last_events.into_inner().unwrap();
    seen.sort();
    let at_plan = |account: &str| {
        (
            account.to_string(),
            "step_succeeded".to_string(),
            Some("plan".to_string()),
        )
    };
    assert_eq!(seen, [at_plan(MEMBER_A), at_plan(MGMT)]);

    let member_a = end
        .results
        .iter()
        .find(|r| r.account.as_str() == MEMBER_A)
        .unwrap();
    assert_eq!(member_a.outcome, Outcome::Final, "{:?}", member_a.error);
    let [run] = &fleet.account_runs(MEMBER_A)[..] else {
        panic!()
    };
    assert_eq!(
        member_a.run_id.as_deref(),
        run.file_name().and_then(|n| n.to_str()),
        "the refused run is named"
    );
    // A second name the tampering gave the journal goes again, so that it can be read below.
    let _ = std::fs::remove_file(run.join("audit.link"));
    let error = member_a.error.as_ref().unwrap().to_string();
    assert!(
        error.contains("the journal changed while the run waited"),
        "{error}"
    );
    fleet.assert_untouched(MEMBER_A);
    fleet.assert_reverted(MGMT);
    let [run] = &fleet.account_runs(MEMBER_A)[..] else {
        panic!()
    };
    assert!(
        calls(&events(run), &["UpdateTrail", "PutBucketEncryption"]).is_empty(),
        "no write recorded for member A"
    );
}

/// A finished account's report is read back from its journal only when it is the journal its
/// run ended with: one cut (still a valid chain) or re-chained after an edit is refused, so
/// `--check` and the JSON document never rest on a changed journal.
#[test]
fn a_report_is_read_back_only_from_the_journal_its_run_ended_with() {
    let fleet = Fleet::new();
    let connector = TestConnector::new(fleet.env.moto.endpoint());
    let end = runtime()
        .block_on(launch(
            &fleet,
            &connector,
            new_batch(),
            std::future::pending(),
        ))
        .unwrap();
    assert!(end.error().is_none(), "{:?}", end.error());
    let result_of = |account: &str| {
        end.results
            .iter()
            .find(|r| r.account.as_str() == account)
            .unwrap()
    };
    let mgmt = end.report_of(result_of(MGMT)).unwrap().expect("a report");
    assert!(mgmt.verify.is_some(), "{mgmt:?}");

    let [run] = &fleet.account_runs(MEMBER_A)[..] else {
        panic!()
    };
    forge(run, |records| {
        records.pop();
    });
    let error = end.report_of(result_of(MEMBER_A)).unwrap_err().to_string();
    assert!(error.contains("not the one its run ended with"), "{error}");
}

/// `status --since latest` after a revert batch: an account whose reference revert journal no
/// longer reads is not passed over as "no revert to compare with" (which would end in success):
/// the command fails on that journal.
#[test]
fn an_unreadable_reference_journal_fails_the_comparison() {
    use cloudtrail_revert::flags::Lang;
    let fleet = Fleet::new();
    let connector = TestConnector::new(fleet.env.moto.endpoint());
    let reverted = runtime()
        .block_on(launch(
            &fleet,
            &connector,
            new_batch(),
            std::future::pending(),
        ))
        .unwrap();
    assert!(reverted.error().is_none(), "{:?}", reverted.error());
    let [reference] = &fleet.account_runs(MEMBER_A)[..] else {
        panic!()
    };
    let status = status_batch();
    let end = runtime()
        .block_on(launch(&fleet, &connector, status, std::future::pending()))
        .unwrap();
    assert!(end.error().is_none(), "{:?}", end.error());
    // Before: the reference reads, nothing drifted.
    let none = cloudtrail_revert::batch_recheck::drift_since(
        fleet.env.state.path(),
        "latest",
        &end,
        Lang::En,
    );
    assert!(none.is_none(), "{none:?}");
    // One byte of the reference's journal changed, its chain not recomputed.
    let log = reference.join("audit.jsonl");
    let text = std::fs::read_to_string(&log).unwrap();
    std::fs::write(&log, text.replacen("\"revert\"", "\"revers\"", 1)).unwrap();
    let error = cloudtrail_revert::batch_recheck::drift_since(
        fleet.env.state.path(),
        "latest",
        &end,
        Lang::En,
    );
    assert!(
        matches!(error, Some(runbook::Error::AuditCorrupt { .. })),
        "{error:?}"
    );
}

/// A status batch's `--check` and its JSON document after one account's journal changed under
/// them: that account is named as not read back, and the others' findings and reports are still
/// there; neither ends as a success.
#[test]
fn an_unreadable_report_is_named_and_hides_nothing_else() {
    use cloudtrail_revert::flags::Lang;
    let fleet = Fleet::new();
    let connector = TestConnector::new(fleet.env.moto.endpoint());
    let status = status_batch();
    let end = runtime()
        .block_on(launch(&fleet, &connector, status, std::future::pending()))
        .unwrap();
    assert!(end.error().is_none(), "{:?}", end.error());
    let [run] = &fleet.account_runs(MEMBER_A)[..] else {
        panic!()
    };
    forge(run, |records| {
        records.pop();
    });

    let Some(runbook::Error::StillSseKms(found)) =
        cloudtrail_revert::batch_recheck::still_sse_kms(&end, Lang::En)
    else {
        panic!("--check must fail with every account's findings")
    };
    let of = |account: &str| -> Vec<&runbook::finding::Finding> {
        found
            .iter()
            .filter(|f| f.account.as_deref() == Some(account))
            .map(|f| &f.finding)
            .collect()
    };
    // (The management account is seeded secure; the others read back fine or not at all.)
    assert!(
        of(MGMT)
            .iter()
            .any(|f| matches!(f, runbook::finding::Finding::TrailUsesKey { .. })),
        "{found:?}"
    );
    let [runbook::finding::Finding::CompareFailed { message }] = &of(MEMBER_A)[..] else {
        panic!("{found:?}")
    };
    assert!(
        message.contains("not the one its run ended with"),
        "{message}"
    );

    let (doc, unreadable) = cloudtrail_revert::output::batch::document(&end, None, true);
    assert!(unreadable.is_some(), "the document's command must fail");
    for row in &doc.accounts {
        if row.account == MEMBER_A {
            assert!(row.report.is_none(), "{row:?}");
            let said = row.report_error.as_deref().unwrap_or_default();
            assert!(said.contains("not the one its run ended with"), "{said}");
        } else {
            assert!(
                row.report.is_some() && row.report_error.is_none(),
                "{row:?}"
            );
        }
    }

    // `status --since` this very batch: no account can show a drift (a status run has no end
    // state to compare with), so the unreadable journal is the command's error, named, not
    // "drifted" and not a success.
    let drift = cloudtrail_revert::batch_recheck::drift_since(
        fleet.env.state.path(),
        &end.batch_id,
        &end,
        Lang::En,
    );
    let Some(runbook::Error::AuditCorrupt { path, .. }) = &drift else {
        panic!("--since must fail on the unreadable journal: {drift:?}")
    };
    assert!(path.starts_with(run), "{path:?}");

    // With the one account that showed SSE-KMS unreadable too, nothing showed SSE-KMS: the
    // check fails on the unreadable journal, not with "still SSE-KMS".
    let [mgmt_run] = &fleet.account_runs(MGMT)[..] else {
        panic!()
    };
    forge(mgmt_run, |records| {
        records.pop();
    });
    let error = cloudtrail_revert::batch_recheck::still_sse_kms(&end, Lang::En);
    assert!(
        matches!(error, Some(runbook::Error::AuditCorrupt { .. })),
        "{error:?}"
    );
}
