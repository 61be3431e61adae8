//! Every run id a batch prints works with every command that takes one, from the default state
//! directory (issue 20, 1): an operator never has to know that an account's runs live in
//! `accounts/<id>/`. Against moto, with the three-account fleet of `batch`.

use aws_credential_types::provider::ProvideCredentials;
use serde_json::Value;

use crate::batch::{all_three, deny_member_a_bucket, Fleet, MEMBER_A, MEMBER_B, MGMT};
use crate::proxy::Proxy;
use crate::support::*;

/// `cargo xtask ARGS` against the fleet's moto as `account` acts: the management account with
/// the base keys, a member with its assumed role's keys (a shell holding that account's keys).
pub fn as_account(fleet: &Fleet, endpoint: &str, account: &str, args: &[&str]) -> Run {
    let mut cmd = xtask_command(fleet.state());
    cmd.args(args).args(["--endpoint-url", endpoint]);
    if account == MGMT {
        cmd.env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing");
    } else {
        let config = fleet.config(account);
        let keys = runtime()
            .block_on(config.credentials_provider().unwrap().provide_credentials())
            .expect("moto answers AssumeRole");
        cmd.env("AWS_ACCESS_KEY_ID", keys.access_key_id())
            .env("AWS_SECRET_ACCESS_KEY", keys.secret_access_key())
            .env(
                "AWS_SESSION_TOKEN",
                keys.session_token().unwrap_or_default(),
            );
    }
    Run::of(cmd)
}

fn json(run: &Run) -> Value {
    serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("{e}: a JSON document:\n{}\n{}", run.stdout, run.stderr))
}

#[test]
fn every_run_id_a_batch_prints_works_with_every_command() {
    let fleet = Fleet::new();
    let proxy = Proxy::start(fleet.env.moto.port());
    proxy.deny(Some(deny_member_a_bucket));
    let summary = fleet
        .env
        .xtask_at(
            &proxy.endpoint(),
            &["run", "revert", "--yes", "--accounts", &all_three()],
        )
        .failure(1);
    proxy.deny(None);
    let batch = fleet.batch();
    let run_of = |account: &str| {
        let runs = fleet.account_runs(account);
        assert_eq!(runs.len(), 1, "{account}: {runs:?}");
        runs[0].file_name().unwrap().to_string_lossy().into_owned()
    };
    let ids: Vec<(&str, String)> = [MGMT, MEMBER_A, MEMBER_B]
        .into_iter()
        .map(|a| (a, run_of(a)))
        .collect();
    for (account, id) in &ids {
        // The id is the one the summary printed on the account's line.
        let line = summary
            .stdout
            .lines()
            .find(|l| l.trim_start().starts_with(account))
            .unwrap_or_else(|| panic!("{account} in:\n{}", summary.stdout));
        assert!(line.contains(id.as_str()), "{line}");
    }
    let state = fleet.state();

    // `audit show|verify|report`, from the default state directory.
    for (account, id) in &ids {
        let shown = json(&xtask_in(state, &["audit", "show", id, "--output", "json"]).success());
        assert_eq!(shown["run_id"], id.as_str());
        assert_eq!(shown["records"][0]["data"]["account"], *account);
        assert_eq!(shown["records"][0]["data"]["batch"], batch.batch_id());
        let verified =
            json(&xtask_in(state, &["audit", "verify", id, "--output", "json"]).success());
        assert_eq!(verified["final_hash"], shown["final_hash"]);
        let report = xtask_in(state, &["audit", "report", id]).success();
        let page = state
            .join("accounts")
            .join(account)
            .join(id)
            .join("report.html");
        assert!(
            report.stdout.contains(&page.display().to_string()),
            "{}",
            report.stdout
        );
        assert!(std::fs::read_to_string(&page)
            .unwrap()
            .contains(id.as_str()));
    }

    // `resume RUN_ID` finishes member A's failed run where it is, with that account's keys,
    // and the batch's own journal is left as it was (the batch resumes only what it has not
    // recorded as done: its account_ended says failed, and a batch resume would find the run
    // finished).
    let a_run = &ids[1].1;
    as_account(
        &fleet,
        &fleet.env.moto.endpoint(),
        MEMBER_A,
        &["resume", a_run, "--yes"],
    )
    .success();
    fleet.assert_reverted(MEMBER_A);
    assert_eq!(
        fleet.account_runs(MEMBER_A).len(),
        1,
        "the same run, resumed"
    );
    let a_events = events(&fleet.account_runs(MEMBER_A)[0]);
    assert!(a_events.iter().any(|e| e.event == "run_resumed"));
    assert_eq!(
        calls(&a_events, &["UpdateTrail"]).len(),
        1,
        "the trail write is not sent again"
    );

    // The batch, resumed now (no terminal, no `--yes`: every account recorded its
    // confirmation, nothing to ask), finds that run finished and records it done: no write is
    // sent again.
    let writes_before = calls(&a_events, WRITES);
    let resumed = fleet.env.xtask(&["resume", batch.batch_id()]).success();
    assert!(
        resumed.stdout.contains("3 of 3 accounts done"),
        "{}",
        resumed.stdout
    );
    let a_events = events(&fleet.account_runs(MEMBER_A)[0]);
    assert_eq!(
        calls(&a_events, WRITES),
        writes_before,
        "no write sent again"
    );

    // `run status --since RUN_ID` compares with that account's revert.
    let mgmt_run = &ids[0].1;
    as_account(
        &fleet,
        &fleet.env.moto.endpoint(),
        MGMT,
        &["run", "status", "--since", mgmt_run],
    )
    .success();
    as_account(
        &fleet,
        &fleet.env.moto.endpoint(),
        MEMBER_A,
        &["run", "status", "--since", a_run],
    )
    .success();

    // Another account's keys are refused before anything is written.
    let wrong = as_account(
        &fleet,
        &fleet.env.moto.endpoint(),
        MGMT,
        &["undo", a_run, "--yes", "--output", "json"],
    );
    let refused = json(&wrong.failure(2));
    assert_eq!(refused["error"]["code"], "account_mismatch", "{refused:#}");
    assert!(refused["run_id"].is_null(), "no run opened: {refused:#}");
    assert_eq!(
        fleet.account_runs(MEMBER_A).len(),
        1,
        "nothing kept in A's folder"
    );
    fleet.assert_reverted(MEMBER_A);

    // `undo RUN_ID` puts member A back, its restore run kept beside the revert it undoes.
    let undo = as_account(
        &fleet,
        &fleet.env.moto.endpoint(),
        MEMBER_A,
        &["undo", a_run, "--yes", "--output", "json"],
    )
    .success();
    fleet.assert_untouched(MEMBER_A);
    let restore = json(&undo)["run_id"].as_str().unwrap().to_string();
    assert!(
        state
            .join("accounts")
            .join(MEMBER_A)
            .join(&restore)
            .is_dir(),
        "the restore run is in member A's folder"
    );
    // Its id works too, and `audit list` shows it with the single runs, the batch's three
    // runs under the batch.
    xtask_in(state, &["audit", "verify", &restore]).success();
    let listed = json(&xtask_in(state, &["audit", "list", "--output", "json"]).success());
    let batch_row = &listed["batches"][0];
    assert_eq!(batch_row["batch_id"], batch.batch_id());
    let under: Vec<(&str, &str)> = batch_row["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["account"].as_str().unwrap(),
                r["run_id"].as_str().unwrap(),
            )
        })
        .collect();
    let expected: Vec<(&str, &str)> = ids.iter().map(|(a, id)| (*a, id.as_str())).collect();
    assert_eq!(under, expected);
    for run in batch_row["runs"].as_array().unwrap() {
        assert_eq!(run["batch_id"], batch.batch_id());
        assert_eq!(run["status"], "finished", "{run:#}");
        assert!(
            run["final_hash"].as_str().is_some_and(|h| h.len() == 64),
            "{run:#}"
        );
    }
    let singles: Vec<&str> = listed["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["run_id"].as_str().unwrap())
        .collect();
    assert!(singles.contains(&restore.as_str()), "{listed:#}");
    for (_, id) in &ids {
        assert!(
            !singles.contains(&id.as_str()),
            "{id} listed once, under its batch"
        );
    }
    let human = xtask_in(state, &["audit", "list"]).success();
    for (account, id) in &ids {
        let line = human
            .stdout
            .lines()
            .find(|l| l.contains(id.as_str()))
            .unwrap_or_else(|| panic!("{id} in:\n{}", human.stdout));
        assert!(line.contains(account), "{line}");
    }

    // An id that matches nothing is refused as before: exit 2, `no_such_run`, in the state
    // directory; an id that is a path never reaches a folder name.
    for unknown in ["20990101T000000.000Z-dead", "../accounts", "111111111111"] {
        for args in [
            vec!["audit", "show", unknown],
            vec!["audit", "verify", unknown],
            vec!["audit", "report", unknown],
        ] {
            let mut args = args.clone();
            args.extend(["--output", "json"]);
            let run = xtask_in(state, &args).failure(2);
            assert_eq!(json(&run)["error"]["code"], "no_such_run", "{args:?}");
        }
        let run = xtask_in(state, &["audit", "verify", unknown]).failure(2);
        assert!(
            run.stderr
                .contains(&format!("no run `{unknown}` in {}", state.display())),
            "{}",
            run.stderr
        );
    }
}
