//! Redaction of recorded traffic, and the check that refuses to write a fixture that still
//! holds a secret or a real account id.

use super::exchange::Fixture;

/// The account id every fixture shows.
pub const FIXTURE_ACCOUNT: &str = "123456789012";
/// AWS's documented example access key id: safe to keep, and what real key ids become.
pub const EXAMPLE_ACCESS_KEY: &str = "AKIAIOSFODNN7EXAMPLE";

/// What must never appear in a fixture.
#[derive(Clone, Debug, Default)]
pub struct Secrets {
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    pub session_token: Option<String>,
    pub account_id: Option<String>,
}

/// Replaces access key ids (`AKIA…`, `ASIA…`) by the documented example.
fn redact_key_ids(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        let candidate = &bytes[i..];
        let is_key = candidate.len() >= 20
            && (candidate.starts_with(b"AKIA") || candidate.starts_with(b"ASIA"))
            && candidate[4..20]
                .iter()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
            && candidate.get(20).is_none_or(|c| !c.is_ascii_alphanumeric());
        if is_key {
            out.push_str(EXAMPLE_ACCESS_KEY);
            i += 20;
        } else {
            let ch = text[i..].chars().next().expect("in bounds");
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    out
}

/// Redacts a serialized fixture: the real account id becomes 123456789012 everywhere (bucket
/// names included), access key ids become the documented example, known secrets vanish.
pub fn redact(text: &str, secrets: &Secrets) -> String {
    let mut text = text.to_string();
    if let Some(account) = secrets
        .account_id
        .as_deref()
        .filter(|a| *a != FIXTURE_ACCOUNT)
    {
        text = text.replace(account, FIXTURE_ACCOUNT);
    }
    for secret in [&secrets.secret_access_key, &secrets.session_token]
        .into_iter()
        .flatten()
    {
        if secret.len() >= 8 {
            text = text.replace(secret.as_str(), "REDACTED");
        }
    }
    redact_key_ids(&text)
}

/// Problems that make a fixture unsafe to write; empty when it is clean.
pub fn leaks(text: &str, secrets: &Secrets) -> Vec<String> {
    let mut problems = Vec::new();
    let lower = text.to_ascii_lowercase();
    for marker in [
        "authorization",
        "x-amz-security-token",
        "signature=",
        "credential=",
    ] {
        if lower.contains(marker) {
            problems.push(format!("it contains `{marker}`"));
        }
    }
    let checks = [
        ("the access key id", &secrets.access_key_id),
        ("the secret access key", &secrets.secret_access_key),
        ("the session token", &secrets.session_token),
    ];
    for (what, value) in checks {
        if let Some(v) = value
            .as_deref()
            .filter(|v| v.len() >= 8 && *v != EXAMPLE_ACCESS_KEY)
        {
            if text.contains(v) {
                problems.push(format!("it contains {what}"));
            }
        }
    }
    if let Some(account) = secrets
        .account_id
        .as_deref()
        .filter(|a| *a != FIXTURE_ACCOUNT)
    {
        if text.contains(account) {
            problems.push(format!("it contains the real account id {account}"));
        }
    }
    if redact_key_ids(text) != text {
        problems.push("it contains an access key id".into());
    }
    problems
}

/// Serializes, redacts and checks a fixture; `Err` lists what leaked.
pub fn render_fixture(fixture: &Fixture, secrets: &Secrets) -> Result<String, Vec<String>> {
    let text = serde_json::to_string_pretty(fixture).expect("fixtures serialize");
    let redacted = redact(&text, secrets);
    let problems = leaks(&redacted, secrets);
    if problems.is_empty() {
        Ok(redacted + "\n")
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secrets() -> Secrets {
        Secrets {
            access_key_id: Some("AKIAZZZZZZZZZZZZZZZZ".into()),
            secret_access_key: Some("s3cr3t/KEY+abcdefghijklmnop".into()),
            session_token: Some("FwoGZXIvYXdzEXAMPLETOKEN".into()),
            account_id: Some("987654321098".into()),
        }
    }

    #[test]
    fn redacts_account_ids_keys_and_secrets() {
        let text = r#"{"Account":"987654321098","UserId":"AKIAZZZZZZZZZZZZZZZZ","bucket":"cm-members-cloudtrail-987654321098","t":"FwoGZXIvYXdzEXAMPLETOKEN"}"#;
        let out = redact(text, &secrets());
        assert_eq!(
            out,
            r#"{"Account":"123456789012","UserId":"AKIAIOSFODNN7EXAMPLE","bucket":"cm-members-cloudtrail-123456789012","t":"REDACTED"}"#
        );
        assert!(leaks(&out, &secrets()).is_empty());
    }

    #[test]
    fn refuses_a_fixture_with_a_signature() {
        use crate::http::exchange::{Exchange, RecordedRequest, RecordedResponse, RequestKey};
        let exchange = Exchange {
            key: RequestKey {
                service: "sts".into(),
                region: "ap-northeast-1".into(),
                operation: "GetCallerIdentity".into(),
                params: String::new(),
            },
            request: RecordedRequest {
                method: "POST".into(),
                path: "/".into(),
                headers: [(
                    "authorization".to_string(),
                    "AWS4-HMAC-SHA256 Credential=x, Signature=y".to_string(),
                )]
                .into(),
                body: String::new(),
            },
            response: RecordedResponse {
                status: 200,
                headers: Default::default(),
                body: "<Account>987654321098</Account>".into(),
            },
        };
        let fixture = Fixture {
            description: String::new(),
            origin: "recorded".into(),
            region: String::new(),
            run_args: vec![],
            exchanges: vec![exchange],
        };
        let problems = render_fixture(&fixture, &secrets()).unwrap_err();
        assert!(
            problems.iter().any(|p| p.contains("authorization")),
            "{problems:?}"
        );
        let mut clean = fixture.clone();
        clean.exchanges[0].request.headers.clear();
        let text = render_fixture(&clean, &secrets()).expect("a clean fixture is written");
        assert!(
            text.contains("<Account>123456789012</Account>"),
            "the account id is redacted"
        );
    }

    #[test]
    fn finds_what_redaction_cannot_fix() {
        let problems = leaks(
            "Authorization: AWS4-HMAC-SHA256 Credential=ASIAQQQQQQQQQQQQQQQQ/x 987654321098",
            &secrets(),
        );
        assert_eq!(
            problems,
            vec![
                "it contains `authorization`",
                "it contains `credential=`",
                "it contains the real account id 987654321098",
                "it contains an access key id",
            ]
        );
    }
}
