//! Organization trails as AWS defines them, against a real moto_server that has an organization
//! (`CreateOrganization`) and an organization trail (`CreateTrail` with `IsOrganizationTrail`):
//! seen from the management account (the trail's ARN names the caller's account), a revert is
//! refused before any write unless `--include-organization-trail` is given, and then reverts it
//! like any trail. The member's view (the ARN names another account) is the `organization-trail`
//! fixture, replayed in `replay`.

use runbook::testkit::Seed;

use crate::support::*;

fn management_account() -> Env {
    Env::new(Seed {
        organization_trail: true,
        ..Seed::default()
    })
}

#[test]
fn the_management_account_is_refused_without_the_flag_before_any_write() {
    let env = management_account();
    let refused = env.xtask(&["run", "revert", "--yes"]).failure(2);
    assert!(
        refused.stderr.contains(&format!(
            "{} is an organization trail of this account, the organization's management account",
            env.seeded.trail_arn
        )) && refused.stderr.contains("every member account")
            && refused.stderr.contains("--include-organization-trail"),
        "{}",
        refused.stderr
    );
    assert!(
        !refused.stderr.contains("cargo xtask resume"),
        "bad input is final: {}",
        refused.stderr
    );
    env.assert_untouched();
    let dirs = run_dirs(env.state.path());
    let events = events(&dirs[0]);
    assert_eq!(calls(&events, WRITES), vec![]);
    assert!(!events.iter().any(|e| e.event.starts_with("write_")));
    let failed = events.iter().find(|e| e.event == "run_failed").unwrap();
    assert_eq!(failed.data["resumable"], false, "{}", failed.data);

    // `status` writes nothing anyway: it reports the trail and why a revert would leave it.
    let status = env.xtask(&["run", "status"]).success();
    assert!(
        status.stdout.contains(&format!(
            "{}: organization trail of this management account",
            env.seeded.trail_arn
        )),
        "{}",
        status.stdout
    );
}

#[test]
fn with_the_flag_the_management_account_reverts_it_bucket_included() {
    let env = management_account();
    let run = env
        .xtask(&["run", "revert", "--yes", "--include-organization-trail"])
        .success();
    assert!(run.stdout.contains("Done:"), "{}", run.stdout);
    env.assert_reverted();
    let dirs = run_dirs(env.state.path());
    let events = events(&dirs[0]);
    assert_eq!(
        calls(&events, WRITES),
        vec![
            ("UpdateTrail".to_string(), HOME.to_string()),
            ("PutBucketEncryption".to_string(), HOME.to_string())
        ]
    );
    // The journal records the flag, so that a resume obeys it.
    let started = events.iter().find(|e| e.event == "run_started").unwrap();
    assert_eq!(
        started.data["args"]["include_organization_trail"], true,
        "{}",
        started.data
    );
}
