//! The right hint for the refusal AWS gave (issue 22, item 21): an explicit deny is not a missing
//! permission (granting the action would not help), in the error and in the key advice, in
//! English and Japanese. The refusals come from the recording proxy in front of moto.

use crate::proxy::{response, Proxy, Seen};
use crate::support::Env;

/// AWS's AccessDenied for `target` (a JSON-protocol operation) when an SCP denies it.
fn explicit_deny(seen: &Seen, operation: &str) -> Option<Vec<u8>> {
    let target = seen.target.as_deref()?;
    target.ends_with(operation).then(|| {
        let body = serde_json::json!({
            "__type": "AccessDeniedException",
            "message": format!(
                "User: arn:aws:iam::123456789012:user/operator is not authorized to perform: {target} \
                 with an explicit deny in a service control policy"
            ),
        });
        response(
            "400 Bad Request",
            "application/x-amz-json-1.1\r\nx-amzn-errortype: AccessDeniedException",
            &body.to_string(),
        )
    })
}

#[test]
fn an_explicit_deny_is_not_told_to_grant_the_action() {
    let env = Env::secure_account();
    let proxy = Proxy::start(env.moto.port());
    proxy.answer(|seen| explicit_deny(seen, ".DescribeTrails"));
    let run = |lang: &str| {
        env.xtask_at(&proxy.endpoint(), &["run", "status", "--lang", lang])
            .failure(1)
    };
    let en = run("en");
    assert!(
        en.stderr
            .contains("an explicit deny refuses the IAM action `cloudtrail:DescribeTrails`"),
        "{}",
        en.stderr
    );
    assert!(!en.stderr.contains("Grant it"), "{}", en.stderr);
    let ja = run("ja");
    assert!(ja.stderr.contains("明示的な拒否"), "{}", ja.stderr);
    assert!(!ja.stderr.contains("権限を付与して"), "{}", ja.stderr);
}

#[test]
fn the_key_advice_names_an_explicit_deny_of_describe_key() {
    let env = Env::secure_account();
    let proxy = Proxy::start(env.moto.port());
    proxy.answer(|seen| explicit_deny(seen, ".DescribeKey"));
    let run = env.xtask_at(&proxy.endpoint(), &["run", "revert", "--yes"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("could not describe the key: an explicit deny refuses kms:DescribeKey"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("the caller needs kms:DescribeKey"));
}
