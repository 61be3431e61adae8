//! Adversarial reproductions (review of `undo` and the weekly re-check): each test here FAILS on
//! the code it was written against, and demonstrates a broken promise of README.md ("Undo, and
//! the weekly re-check") or ARCHITECTURE.md. They are meant to pass once the finding is fixed.

use std::sync::Arc;

use aws_types::region::Region;
use runbook::aws::Aws;
use runbook::http::wrap::{faulty, Fault, FaultSwitch, Trigger};
use runbook::journal::Record;
use runbook::runbooks::{Begin, Runbook};
use runbook::steps::Settings;
use runbook::testkit;
use serde_json::Value;

use crate::support::*;

// ---------------------------------------------------------------------------------------------
// Helpers

fn kms(env: &Env, region: &str) -> aws_sdk_kms::Client {
    aws_sdk_kms::Client::from_conf(
        aws_sdk_kms::config::Builder::from(&env.config())
            .region(Region::new(region.to_string()))
            .build(),
    )
}

fn new_key(env: &Env) -> String {
    runtime()
        .block_on(kms(env, HOME).create_key().send())
        .unwrap()
        .key_metadata()
        .unwrap()
        .arn()
        .unwrap()
        .to_string()
}

fn set_trail_key(env: &Env, key: &str) {
    runtime()
        .block_on(
            cloudtrail(env, HOME)
                .update_trail()
                .name(&env.seeded.trail_arn)
                .kms_key_id(key)
                .send(),
        )
        .unwrap();
}

/// One in-process revert of `env`'s account through a fault-injecting transport. With `hang`,
/// the run future is dropped when the fault strikes (the process "dies" mid-request).
fn faulty_revert(env: &Env, fault: Fault) -> String {
    let rt = runtime();
    let switch = Arc::new(FaultSwitch::default());
    let hang = fault.hang;
    let http = faulty(runbook::http::real_client(), fault, switch.clone());
    let aws = Aws::new(env.config().into_builder().http_client(http).build(), true);
    let begin = Begin::New {
        runbook: Runbook::Revert,
        args: testkit::default_args(),
    };
    let settings = Settings {
        write_waits: vec![],
        ..Settings::default()
    };
    let result = rt.block_on(async {
        let run = testkit::launch(&aws, env.state.path(), begin, settings);
        tokio::select! {
            result = run => result.map(drop).map_err(|e| e.to_string()),
            _ = switch.struck.notified(), if hang => Err("killed".to_string()),
        }
    });
    assert!(result.is_err(), "the faulty revert must not finish");
    run_dirs(env.state.path())[0]
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

fn writes_of(run_dir: &std::path::Path) -> Vec<(String, String)> {
    calls(&events(run_dir), WRITES)
}

// ---------------------------------------------------------------------------------------------
// 1. A forged revert journal makes undo put an attacker's key on the trail and the bucket

/// The fold binds every write to the confirmed plan, but nothing binds the plan's `before`
/// (what undo puts back) to what the run itself read. Replace the key in the plan, the
/// confirmation and the intents (check_status and the aws_calls still show the real key): the
/// journal verifies, and `undo` installs a key the revert never saw on the trail and the bucket.
#[test]
fn undo_refuses_a_revert_journal_whose_writes_contradict_its_own_reads() {
    let env = Env::secure_account();
    let revert_id = env.xtask(&["run", "revert", "--yes"]).success().run_id();
    let attacker_key = new_key(&env);
    let dir = run_dirs(env.state.path()).remove(0);
    let real_key = env.seeded.key_arn.clone();
    forge(&dir, |records: &mut Vec<Record>| {
        for r in records.iter_mut() {
            let keeps_the_truth = r.event == "aws_call"
                || ["preflight", "check_status"].contains(&r.data["step"].as_str().unwrap_or(""));
            if keeps_the_truth {
                continue;
            }
            let text = r.data.to_string().replace(&real_key, &attacker_key);
            r.data = serde_json::from_str::<Value>(&text).unwrap();
        }
    });
    let verify = xtask_in(env.state.path(), &["audit", "verify", &revert_id]);
    let undo = env.xtask(&["undo", &revert_id, "--yes"]);
    assert_ne!(
        env.trail_key(&env.seeded.trail_arn).as_deref(),
        Some(attacker_key.as_str()),
        "undo put a key on the trail that the revert never read (audit verify: exit {}; undo: exit {})\n{}{}",
        verify.code,
        undo.code,
        undo.stdout,
        undo.stderr
    );
}

// ---------------------------------------------------------------------------------------------
// 2. A revert whose trail write is unsettled "made no write", says undo

/// The revert sent `UpdateTrail` (AWS applied it) and the process died before the answer. The
/// write is unsettled in the journal; the trail *is* unencrypted. `undo` only counts writes
/// answered `ok` or settled, and refuses with "it made no write" — false, and nothing says to
/// settle it first (resume) or that the trail was changed.
#[test]
fn undo_of_a_revert_with_an_unsettled_write_does_not_claim_it_made_none() {
    let env = Env::secure_account();
    let revert_id = faulty_revert(
        &env,
        Fault {
            trigger: Trigger::Operation("UpdateTrail".into()),
            after_send: true,
            hang: true,
            once: false,
            status: None,
        },
    );
    assert_eq!(
        env.trail_key(&env.seeded.trail_arn),
        None,
        "the revert's write was applied"
    );
    let undo = env.xtask(&["undo", &revert_id, "--yes"]);
    assert!(
        !undo.stderr.contains("made no write"),
        "the revert did change the trail (its write is unsettled, not absent):\n{}",
        undo.stderr
    );
    assert!(
        env.trail_key(&env.seeded.trail_arn).as_deref() == Some(env.seeded.key_arn.as_str())
            || undo.stderr.contains("resume"),
        "either put the key back (settling by reading) or say to settle the revert first:\n{}",
        undo.stderr
    );
}

// ---------------------------------------------------------------------------------------------
// 3. Undoing a half-done revert, then the bare `resume` its hint printed, re-reverts

/// The revert failed half-way (trail written; `PutBucketEncryption` refused with a 400) and is
/// resumable. `undo` of it puts the trail's key back and finishes, but leaves the revert
/// resumable: the operator's bare `resume --yes` (the latest resumable run) continues the
/// *revert*, sets the bucket to SSE-S3 over the undo, and fails its verification. Either undo
/// refuses a revert that may still be resumed, or it makes that revert final.
#[test]
fn undoing_a_half_done_revert_is_not_reverted_again_by_resume() {
    let env = Env::secure_account();
    let revert_id = faulty_revert(
        &env,
        Fault {
            trigger: Trigger::Operation("PutBucketEncryption".into()),
            after_send: false,
            hang: false,
            once: true,
            status: Some(400),
        },
    );
    assert_eq!(env.trail_key(&env.seeded.trail_arn), None, "trail written");
    let undo = env.xtask(&["undo", &revert_id, "--yes"]);
    if undo.code != 0 {
        // Refusing is a fix too, if it says why.
        assert!(undo.stderr.contains("resum"), "{}", undo.stderr);
        return;
    }
    env.assert_untouched();
    let resume = env.xtask(&["resume", "--yes"]);
    assert!(
        env.bucket_algorithms(&env.seeded.bucket, HOME) == vec!["aws:kms"]
            && env.trail_key(&env.seeded.trail_arn).as_deref() == Some(env.seeded.key_arn.as_str()),
        "the bare resume continued the undone revert (exit {}), over the undo:\n{}",
        resume.code,
        resume.stderr
    );
}

// ---------------------------------------------------------------------------------------------
// 4. The trail deleted since: the whole undo fails instead of "reported and left alone"

/// README: "what changed since (someone else, or the Saturday maintenance) is reported and left
/// alone unless --force". A trail deleted since the revert makes `undo_plan` fail with "trail
/// not found" (advice about `--trail`, which undo does not take), and the bucket, still as the
/// revert left it, is not put back.
#[test]
fn undo_reports_a_deleted_trail_and_still_puts_the_bucket_back() {
    let env = Env::secure_account();
    let revert_id = env.xtask(&["run", "revert", "--yes"]).success().run_id();
    runtime()
        .block_on(
            cloudtrail(&env, HOME)
                .delete_trail()
                // moto deletes by name only (by ARN it answers OK and keeps the trail)
                .name("Members")
                .send(),
        )
        .unwrap();
    let gone = runtime()
        .block_on(cloudtrail(&env, HOME).describe_trails().send())
        .unwrap();
    assert!(
        gone.trail_list()
            .iter()
            .all(|t| t.name() != Some("Members")),
        "the trail is deleted"
    );
    let undo = env.xtask(&["undo", &revert_id, "--yes", "--output", "json"]);
    assert_eq!(
        undo.code, 5,
        "a trail deleted since is reported and left alone, and the undo is partial:\n{}{}",
        undo.stdout, undo.stderr
    );
    let doc: Value = serde_json::from_str(&undo.stdout).unwrap();
    assert_eq!(doc["ok"], false);
    assert_eq!(doc["error"]["code"], "partial_undo");
    assert_eq!(doc["error"]["exit_code"], 5);
    let message = doc["error"]["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("put back: bucket {}", env.seeded.bucket))
            && message.contains(&format!(
                "NOT put back: trail {} (deleted since the revert)",
                env.seeded.trail_arn
            )),
        "{message}"
    );
    assert!(doc["resume_command"].is_null(), "{}", undo.stdout);
    assert_eq!(
        env.bucket_algorithms(&env.seeded.bucket, HOME),
        vec!["aws:kms"],
        "the bucket, still as the revert left it, is put back"
    );
    // In words: the closing line says what was and was not put back, never "Done".
    let again = env.xtask(&["undo", &revert_id, "--yes"]).failure(5);
    assert!(
        again.stdout.contains(&format!(
            "Partly undone. Put back: bucket {} (already as before the revert). NOT put back: trail {} (deleted since the revert).",
            env.seeded.bucket, env.seeded.trail_arn
        )) && !again.stdout.contains("Done:"),
        "{}",
        again.stdout
    );
    assert!(
        again.stderr.contains("partial") || again.stderr.contains("only part"),
        "{}",
        again.stderr
    );
}

// ---------------------------------------------------------------------------------------------
// 5. A key deleted since: a resumable AWS error and a resume hint, instead of a refusal

/// The trail's key was deleted since the revert (moto stands for it with an ARN of no key).
/// README: each key to put back is checked "exists and is enabled"; a key that no longer exists
/// must be refused (final, exit 2) saying it is gone. The run fails with KMS's NotFoundException
/// and prints "The run did not finish. Continue it with: … resume", which can never succeed.
#[test]
fn undo_refuses_a_deleted_key_as_final() {
    let env = Env::secure_account();
    let gone = format!(
        "arn:aws:kms:{HOME}:{}:key/00000000-0000-0000-0000-000000000000",
        env.seeded.trail_arn.split(':').nth(4).unwrap()
    );
    set_trail_key(&env, &gone);
    let revert_id = env.xtask(&["run", "revert", "--yes"]).run_id();
    assert_eq!(env.trail_key(&env.seeded.trail_arn), None);
    let undo = env.xtask(&["undo", &revert_id, "--yes"]);
    assert_eq!(
        undo.code, 2,
        "a key that is gone is bad input:\n{}",
        undo.stderr
    );
    assert!(
        !undo.stderr.contains("Continue it with"),
        "resume cannot bring a deleted key back:\n{}",
        undo.stderr
    );
    assert!(
        undo.stderr.contains(&gone) && undo.stderr.contains("does not exist"),
        "{}",
        undo.stderr
    );
    let japanese = env
        .xtask(&["undo", &revert_id, "--yes", "--lang", "ja"])
        .failure(2);
    assert!(
        japanese.stderr.contains("削除済み") && !japanese.stderr.contains("does not exist"),
        "{}",
        japanese.stderr
    );
    let dirs = run_dirs(env.state.path());
    assert_eq!(writes_of(dirs.last().unwrap()), vec![]);
}

// ---------------------------------------------------------------------------------------------
// 6. `status --since` a revert of another account: compared, not refused

/// `undo` refuses a revert of another account (AccountMismatch); `status --since` does not look:
/// it compares this account's live state with another account's end state and answers as if it
/// meant something (here: exit 0, "no drift").
#[test]
fn status_since_refuses_a_revert_of_another_account() {
    let env = Env::secure_account();
    let revert_id = env.xtask(&["run", "revert", "--yes"]).success().run_id();
    let dir = run_dirs(env.state.path()).remove(0);
    forge(&dir, |records| {
        records[0].data["account"] = "210987654321".into();
    });
    // undo refuses it, as it should:
    let undo = env.xtask(&["undo", &revert_id, "--yes"]).failure(2);
    assert!(undo.stderr.contains("210987654321"), "{}", undo.stderr);
    let since = env.xtask(&["run", "status", "--since", &revert_id]);
    assert!(
        since.code == 2 && since.stderr.contains("210987654321"),
        "--since compared another account's revert (exit {}):\n{}",
        since.code,
        since.stderr
    );
}

// ---------------------------------------------------------------------------------------------
// 7. `status --since` a revert of another trail: a false "not found any more"

/// The revert was of `--trail OtherTeam`; the weekly `status --since RUN_ID` (no `--trail`)
/// scans `Members` and reports "trail …OtherTeam: not found any more" with exit 3, and the
/// advice "Turn the secure-setting opt-in off …, then revert again". Nothing drifted: the
/// comparison should use the trails that revert changed.
#[test]
fn status_since_compares_the_trails_that_revert_changed() {
    let env = Env::secure_account();
    let revert_id = env
        .xtask(&["run", "revert", "--trail", "OtherTeam", "--yes"])
        .success()
        .run_id();
    let since = env.xtask(&["run", "status", "--since", &revert_id]);
    assert_eq!(
        since.code, 0,
        "nothing drifted since that revert:\n{}",
        since.stderr
    );
}

// ---------------------------------------------------------------------------------------------
// 8. `status --since` a revert that had nothing to do: refused as "not a revert"

/// A revert that found the account already reverted finishes without a verification step.
/// `drift_since` means to judge it with the plain check ("a revert that wrote nothing left the
/// account as its status check found it"), but refuses it first: exit 2, "it is not a revert
/// that reached its verification".
#[test]
fn status_since_a_revert_that_had_nothing_to_do() {
    let env = Env::secure_account();
    env.xtask(&["run", "revert", "--yes"]).success();
    let noop = env.xtask(&["run", "revert", "--yes"]).success().run_id();
    let since = env.xtask(&["run", "status", "--since", &noop]);
    assert_eq!(
        since.code, 0,
        "a finished revert has an end state:\n{}",
        since.stderr
    );
}

// ---------------------------------------------------------------------------------------------
// 9. `latest` names the run just opened

/// `runs::resolve` accepts `latest`, and the restore (or status) run is already in the state
/// directory when the name is resolved: `undo latest` answers "run latest cannot be undone: it
/// is this run", `status --since latest` "it is not a revert…". Neither says what to do.
#[test]
fn latest_is_not_the_run_just_opened() {
    let env = Env::secure_account();
    env.xtask(&["run", "revert", "--yes"]).success();
    let undo = env.xtask(&["undo", "latest", "--yes"]);
    assert!(
        !undo.stderr.contains("it is this run"),
        "`undo latest` resolved to itself:\n{}",
        undo.stderr
    );
    let since = env.xtask(&["run", "status", "--since", "latest"]);
    assert!(
        !since.stderr.contains("not a revert"),
        "`--since latest` resolved to the status run itself:\n{}",
        since.stderr
    );
}

// ---------------------------------------------------------------------------------------------
// 10. A journal rewritten whole, with another key: verify says intact; undo must not install it

/// The `Final hash:` line a run printed (for the change ticket).
fn final_hash(run: &Run) -> String {
    run.stderr
        .lines()
        .find_map(|l| l.strip_prefix("Final hash: "))
        .unwrap_or_else(|| panic!("a final hash in:\n{}", run.stderr))
        .trim()
        .to_string()
}

/// The revert's key replaced by another key of the account everywhere in its journal (reads and
/// writes alike), every line re-chained and `state.json` rewritten: `audit verify` cannot tell.
fn rechain_with_another_key(env: &Env) -> (String, String, String) {
    let revert = env.xtask(&["run", "revert", "--yes"]).success();
    let (revert_id, hash) = (revert.run_id(), final_hash(&revert));
    let attacker_key = new_key(env);
    let dir = run_dirs(env.state.path()).remove(0);
    let real_key = env.seeded.key_arn.clone();
    forge(&dir, |records: &mut Vec<Record>| {
        for r in records.iter_mut() {
            let text = r.data.to_string().replace(&real_key, &attacker_key);
            r.data = serde_json::from_str::<Value>(&text).unwrap();
        }
    });
    xtask_in(env.state.path(), &["audit", "verify", &revert_id]).success();
    (revert_id, hash, attacker_key)
}

#[test]
fn undo_refuses_a_key_whose_policy_does_not_name_the_trail() {
    let env = Env::secure_account();
    let (revert_id, _, attacker_key) = rechain_with_another_key(&env);
    let undo = env.xtask(&["undo", &revert_id, "--yes"]).failure(2);
    assert!(
        undo.stderr.contains(&attacker_key)
            && undo.stderr.contains("no statement that lets CloudTrail")
            && undo.stderr.contains(&env.seeded.trail_arn)
            && undo.stderr.contains("--force")
            && !undo.stderr.contains("Continue it with"),
        "{}",
        undo.stderr
    );
    env.assert_reverted();
    let dirs = run_dirs(env.state.path());
    let undo_events = events(dirs.last().unwrap());
    assert_eq!(calls(&undo_events, WRITES), vec![]);
    assert_eq!(
        calls(&undo_events, &["GetKeyPolicy"]),
        vec![("GetKeyPolicy".to_string(), HOME.to_string())]
    );
    let japanese = env
        .xtask(&["undo", &revert_id, "--yes", "--lang", "ja"])
        .failure(2);
    assert!(
        japanese.stderr.contains("キーポリシーに") && !japanese.stderr.contains("no statement"),
        "{}",
        japanese.stderr
    );
    let json = env
        .xtask(&["undo", &revert_id, "--yes", "--output", "json"])
        .failure(2);
    let doc: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(doc["error"]["code"], "key_unverified");

    // The operator who looked and still wants it: --force, the key's details in the plan.
    let forced = env
        .xtask(&["undo", &revert_id, "--yes", "--force"])
        .success();
    assert!(
        forced
            .stdout
            .contains(&format!("Key to put back: {attacker_key} (Enabled)"))
            && forced
                .stdout
                .contains("its key policy has no statement that lets CloudTrail use it for"),
        "{}",
        forced.stdout
    );
    assert_eq!(
        env.trail_key(&env.seeded.trail_arn).as_deref(),
        Some(attacker_key.as_str())
    );
}

#[test]
fn undo_shows_the_key_and_its_cloudtrail_statement() {
    let env = Env::secure_account();
    let revert_id = env.xtask(&["run", "revert", "--yes"]).success().run_id();
    let dry = env.xtask(&["undo", &revert_id, "--dry-run"]).success();
    assert!(
        dry.stdout.contains(&format!(
            "Key to put back: {} (Enabled)",
            env.seeded.key_arn
        )) && dry.stdout.contains(&format!(
            "its key policy lets CloudTrail use it for {}",
            env.seeded.trail_arn
        )) && dry.stdout.contains("Allow CloudTrail to encrypt logs"),
        "{}",
        dry.stdout
    );
}

#[test]
fn undo_and_resume_with_the_pinned_hash_refuse_a_rewritten_journal_before_any_call() {
    let env = Env::secure_account();
    let (revert_id, hash, _) = rechain_with_another_key(&env);
    let runs_before = run_dirs(env.state.path()).len();
    let undo = env
        .xtask(&[
            "undo",
            &revert_id,
            "--yes",
            "--expect-hash",
            &hash,
            "--output",
            "json",
        ])
        .failure(1);
    let doc: Value = serde_json::from_str(&undo.stdout).unwrap();
    assert_eq!(doc["error"]["code"], "hash_mismatch", "{}", undo.stdout);
    assert!(undo.stderr.contains(&hash), "{}", undo.stderr);
    assert_eq!(
        run_dirs(env.state.path()).len(),
        runs_before,
        "no run opened"
    );
    env.assert_reverted();

    // The right hash: the undo goes on.
    {
        let fresh = Env::secure_account();
        let revert = fresh.xtask(&["run", "revert", "--yes"]).success();
        let (id, hash) = (revert.run_id(), final_hash(&revert));
        fresh
            .xtask(&["undo", &id, "--yes", "--expect-hash", &hash])
            .success();
        fresh.assert_untouched();
        // A final hash in capitals is the same hash.
        fresh
            .xtask(&["undo", &id, "--yes", "--expect-hash", &hash.to_uppercase()])
            .success();
    }
}

/// A final refusal (an organization trail without the flag) re-chained into a resumable run
/// that includes organization trails: `resume --expect-hash` with the hash printed at the
/// refusal stops before any call, and the log gets no line.
#[test]
fn resume_with_the_pinned_hash_refuses_a_refusal_rechained_into_a_resumable_run() {
    let env = Env::new(testkit::Seed {
        organization_trail: true,
        ..testkit::Seed::default()
    });
    let refused = env.xtask(&["run", "revert", "--yes"]).failure(2);
    let (run_id, hash) = (refused.run_id(), final_hash(&refused));
    let dir = run_dirs(env.state.path()).remove(0);
    forge(&dir, |records: &mut Vec<Record>| {
        records[0].data["args"]["include_organization_trail"] = true.into();
        let failed = records
            .iter_mut()
            .find(|r| r.event == "run_failed")
            .unwrap();
        failed.data["resumable"] = true.into();
    });
    xtask_in(env.state.path(), &["audit", "verify", &run_id]).success();
    let lines = events(&dir).len();
    let resume = env
        .xtask(&[
            "resume",
            &run_id,
            "--yes",
            "--expect-hash",
            &hash,
            "--output",
            "json",
        ])
        .failure(1);
    let doc: Value = serde_json::from_str(&resume.stdout).unwrap();
    assert_eq!(doc["error"]["code"], "hash_mismatch", "{}", resume.stdout);
    assert_eq!(events(&dir).len(), lines, "nothing appended");
    env.assert_untouched();
    // Without a run id, the latest resumable run is the one checked.
    env.xtask(&["resume", "--yes", "--expect-hash", &hash])
        .failure(1);
    env.assert_untouched();
}

// ---------------------------------------------------------------------------------------------
// 11. Undo with another account's credentials: the advice is about undoing, not resuming

#[test]
fn undo_with_another_accounts_credentials_says_undo() {
    let env = Env::secure_account();
    let revert_id = env.xtask(&["run", "revert", "--yes"]).success().run_id();
    let dir = run_dirs(env.state.path()).remove(0);
    forge(&dir, |records| {
        records[0].data["account"] = "210987654321".into();
    });
    for (lang, undo_words, resume_word) in
        [("en", "to undo it", "resume"), ("ja", "取り消して", "再開")]
    {
        let undo = env
            .xtask(&["undo", &revert_id, "--yes", "--lang", lang])
            .failure(2);
        assert!(
            undo.stderr.contains("210987654321")
                && undo.stderr.contains(undo_words)
                && !undo.stderr.contains(resume_word),
            "{}",
            undo.stderr
        );
    }
}

/// **Finding (review of issue 22, 6): the bucket's key was not checked.** With only the bucket
/// write's key swapped (the trail's left as it was) and the log re-chained, `undo --yes` put
/// the bucket on a key whose policy gives CloudTrail nothing: log delivery would break. A key
/// put back on a bucket is checked for every trail that delivers to the bucket.
#[test]
fn undo_checks_the_key_it_puts_back_on_the_bucket() {
    let env = Env::secure_account();
    let revert_id = env.xtask(&["run", "revert", "--yes"]).success().run_id();
    let attacker_key = new_key(&env);
    let dir = run_dirs(env.state.path()).remove(0);
    let real_key = env.seeded.key_arn.clone();
    forge(&dir, |records: &mut Vec<Record>| {
        for r in records.iter_mut().filter(|r| r.event != "aws_call") {
            let text = r.data.to_string().replace(
                &format!("\"kms_master_key_id\":\"{real_key}\""),
                &format!("\"kms_master_key_id\":\"{attacker_key}\""),
            );
            r.data = serde_json::from_str::<Value>(&text).unwrap();
        }
    });
    xtask_in(env.state.path(), &["audit", "verify", &revert_id]).success();
    let undo = env.xtask(&["undo", &revert_id, "--yes"]).failure(2);
    assert!(
        undo.stderr.contains(&attacker_key)
            && undo.stderr.contains("no statement that lets CloudTrail")
            && undo.stderr.contains(&env.seeded.trail_arn),
        "{}",
        undo.stderr
    );
    env.assert_reverted();
}
