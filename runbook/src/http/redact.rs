//! Redaction of recorded traffic, and the check that refuses to write a fixture that still
//! holds a secret or a real account id.
//!
//! Two layers, both by structure rather than by known values: redaction replaces the value of
//! every credential-bearing field in any JSON, XML or form body (whatever answer carried it);
//! the leak check then refuses anything still secret-shaped and names where it sits. Known
//! values (the recording's own credentials, the real account id) are a third, extra layer.

use std::collections::BTreeMap;

use super::exchange::{Exchange, Fixture};

/// The account id every fixture shows.
pub const FIXTURE_ACCOUNT: &str = "123456789012";
/// AWS's documented example access key id: safe to keep, and what real key ids become.
pub const EXAMPLE_ACCESS_KEY: &str = "AKIAIOSFODNN7EXAMPLE";
/// What a secret field's value becomes.
pub const REDACTED: &str = "REDACTED";

/// Fields whose value is a secret wherever they appear: STS answers (`SecretAccessKey`,
/// `SessionToken`), SSO portal and OIDC answers (`secretAccessKey`, `sessionToken`,
/// `accessToken`, …), IMDS and ECS answers (`Token`), and the secrets a credential request
/// sends (`WebIdentityToken`, `SAMLAssertion`, `TokenCode`).
pub const SECRET_FIELDS: &[&str] = &[
    "SecretAccessKey",
    "secretAccessKey",
    "SecretKey",
    "SessionToken",
    "sessionToken",
    "SecurityToken",
    "Token",
    "token",
    "accessToken",
    "refreshToken",
    "idToken",
    "clientSecret",
    "WebIdentityToken",
    "SAMLAssertion",
    "TokenCode",
    // The shared credentials file's and the environment's spellings, in any answer or body
    // that quotes them (a credential process, a misconfigured endpoint).
    "aws_secret_access_key",
    "AWS_SECRET_ACCESS_KEY",
    "SECRET_ACCESS_KEY",
    "aws_session_token",
    "AWS_SESSION_TOKEN",
    "Password",
    "password",
    "privateKey",
    "PrivateKey",
];

/// Fields whose value is an access key id: it becomes the documented example.
pub const KEY_ID_FIELDS: &[&str] = &[
    "AccessKeyId",
    "accessKeyId",
    "aws_access_key_id",
    "AWS_ACCESS_KEY_ID",
];

/// A field name as compared: any case, without `_` and `-` (`aws_secret_access_key`,
/// `SECRET_ACCESS_KEY`, `SecretAccessKey` are one field).
fn normalized(name: &str) -> String {
    name.chars()
        .filter(|c| *c != '_' && *c != '-')
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// How session tokens start (base64 of their binary header), whatever field holds them:
/// `FwoGZXIvYXdzE`/`FQoGZXIvYXdzE` (older STS), `IQoJb3JpZ2luX2Vj` and its siblings (current
/// STS, SSO: `…origin_ec…`), `AQoDYXdzE` (the oldest), `AQoEXAMPLE` (AWS's documentation).
const SESSION_TOKEN_MARKERS: &[&str] = &["ZXIvYXdzE", "b3JpZ2luX2Vj", "AQoDYXdzE", "AQoEXAMPLE"];

/// A secret key is 40 characters, a key id 20, tokens hundreds; AWS's documentation shortens
/// some examples to about 34. Values shorter than this next to a credential field (such as
/// `REDACTED`, or moto's `testing`) are not taken for secrets by the leak check; redaction
/// replaces them anyway.
const SECRET_MIN_LEN: usize = 16;

/// What must never appear in a fixture, besides what the structure shows.
#[derive(Clone, Debug, Default)]
pub struct Secrets {
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    pub session_token: Option<String>,
    pub account_id: Option<String>,
}

/// Something that makes a fixture unsafe to write, and where it is. Never holds the secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Leak {
    /// What was found, e.g. "a secret-shaped value of field `SecretAccessKey`".
    pub what: String,
    /// Where, e.g. "exchanges[2] (sts AssumeRole in us-east-1), response body".
    pub place: String,
}

impl std::fmt::Display for Leak {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} in {}", self.what, self.place)
    }
}

fn is_key_id_at(bytes: &[u8], i: usize) -> bool {
    let candidate = &bytes[i..];
    candidate.len() >= 20
        && (candidate.starts_with(b"AKIA") || candidate.starts_with(b"ASIA"))
        && candidate[4..20]
            .iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        && candidate.get(20).is_none_or(|c| !c.is_ascii_alphanumeric())
}

/// Replaces access key ids (`AKIA…`, `ASIA…`) by the documented example.
fn redact_key_ids(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        if is_key_id_at(bytes, i) {
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

fn has_foreign_key_id(text: &str) -> bool {
    let bytes = text.as_bytes();
    (0..bytes.len()).any(|i| is_key_id_at(bytes, i) && &text[i..i + 20] != EXAMPLE_ACCESS_KEY)
}

/// The replacement for a credential field's value, if `name` is one.
fn replacement_for(name: &str) -> Option<&'static str> {
    let name = normalized(name);
    if SECRET_FIELDS.iter().any(|f| normalized(f) == name) {
        Some(REDACTED)
    } else if KEY_ID_FIELDS.iter().any(|f| normalized(f) == name) {
        Some(EXAMPLE_ACCESS_KEY)
    } else {
        None
    }
}

/// Replaces credential fields' values in a JSON value; true if anything changed.
fn redact_json(value: &mut serde_json::Value) -> bool {
    use serde_json::Value;
    let mut changed = false;
    match value {
        Value::Object(map) => {
            for (name, field) in map.iter_mut() {
                match (replacement_for(name), &*field) {
                    (Some(with), Value::String(s)) if !s.is_empty() && s != with => {
                        *field = Value::String(with.into());
                        changed = true;
                    }
                    _ => changed |= redact_json(field),
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                changed |= redact_json(item);
            }
        }
        _ => {}
    }
    changed
}

/// Replaces the text content of credential elements (`<SecretAccessKey>…</…>`, also with a
/// namespace prefix or attributes) in an XML document.
fn redact_xml(xml: &str) -> String {
    let mut out = String::with_capacity(xml.len());
    let mut rest = xml;
    while let Some(open) = rest.find('<') {
        let (before, tag_and_after) = rest.split_at(open);
        out.push_str(before);
        let Some(close) = tag_and_after.find('>') else {
            out.push_str(tag_and_after);
            return out;
        };
        let tag = &tag_and_after[..=close];
        out.push_str(tag);
        rest = &tag_and_after[close + 1..];
        let inner = &tag[1..tag.len() - 1];
        if inner.starts_with(['/', '?', '!']) || inner.ends_with('/') {
            continue;
        }
        let name = inner
            .split(|c: char| c.is_whitespace())
            .next()
            .unwrap_or_default();
        let local = name.rsplit(':').next().unwrap_or(name);
        let Some(with) = replacement_for(local) else {
            continue;
        };
        // `<SecretAccessKey><![CDATA[…]]></SecretAccessKey>`: the section's text is the value.
        if let Some(cdata) = rest.trim_start().strip_prefix("<![CDATA[") {
            if let Some(end) = cdata.find("]]>") {
                out.push_str("<![CDATA[");
                out.push_str(with);
                out.push_str("]]>");
                rest = &cdata[end + 3..];
                continue;
            }
        }
        let end = rest.find('<').unwrap_or(rest.len());
        if rest[..end].trim().is_empty() {
            continue;
        }
        out.push_str(with);
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// Replaces credential parameters' values in a form (`a=b&c=d`, the query protocol's body).
fn redact_form(form: &str) -> String {
    form.split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, value)) if !value.is_empty() => match replacement_for(name) {
                Some(with) => format!("{name}={with}"),
                None => pair.to_string(),
            },
            _ => pair.to_string(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// A path with its query: credential parameters of the query are redacted.
fn redact_path(path: &str) -> String {
    match path.split_once('?') {
        Some((path, query)) => format!("{path}?{}", redact_form(query)),
        None => path.to_string(),
    }
}

fn looks_like_form(text: &str) -> bool {
    !text.is_empty()
        && text.contains('=')
        && !text.contains(char::is_whitespace)
        && !text.starts_with(['{', '[', '<'])
}

/// Replaces the value of every credential-bearing field in a body (JSON, XML or form) or in
/// the canonical parameters of a request key. Anything else is left exactly as it was.
pub fn redact_body(body: &str) -> String {
    let trimmed = body.trim_start();
    if trimmed.starts_with(['{', '[']) {
        if let Ok(mut value) = serde_json::from_str::<serde_json::Value>(body) {
            return if redact_json(&mut value) {
                value.to_string()
            } else {
                body.to_string()
            };
        }
    }
    if trimmed.starts_with('<') {
        return redact_xml(body);
    }
    // A request key's parameters may be `bucket=NAME <xml>`: redact what follows too.
    if let Some((head, xml)) = body.split_once(" <") {
        return format!("{head} {}", redact_xml(&format!("<{xml}")));
    }
    if looks_like_form(body) {
        return redact_form(body);
    }
    body.to_string()
}

/// Redacts one text (not a body's fields): the real account id becomes 123456789012 everywhere
/// (bucket names included), access key ids become the documented example, known secrets vanish.
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
            text = text.replace(secret.as_str(), REDACTED);
        }
    }
    redact_key_ids(&text)
}

fn redact_headers(
    headers: &BTreeMap<String, String>,
    secrets: &Secrets,
) -> BTreeMap<String, String> {
    headers
        .iter()
        .map(|(name, value)| {
            let value = match replacement_for(name) {
                Some(with) => with.to_string(),
                None => redact(value, secrets),
            };
            (redact(name, secrets), value)
        })
        .collect()
}

fn redact_exchange(e: &mut Exchange, secrets: &Secrets) {
    let both = |text: &str| redact(&redact_body(text), secrets);
    e.key.service = redact(&e.key.service, secrets);
    e.key.region = redact(&e.key.region, secrets);
    e.key.operation = redact(&e.key.operation, secrets);
    e.key.params = both(&e.key.params);
    e.request.path = redact(&redact_path(&e.request.path), secrets);
    e.request.headers = redact_headers(&e.request.headers, secrets);
    e.request.body = both(&e.request.body);
    e.response.headers = redact_headers(&e.response.headers, secrets);
    e.response.body = both(&e.response.body);
}

/// A redacted copy of `fixture`: credential fields by structure, then known values.
pub fn redact_fixture(fixture: &Fixture, secrets: &Secrets) -> Fixture {
    let mut out = fixture.clone();
    out.description = redact(&out.description, secrets);
    out.origin = redact(&out.origin, secrets);
    out.run_args = out.run_args.iter().map(|a| redact(a, secrets)).collect();
    for exchange in &mut out.exchanges {
        redact_exchange(exchange, secrets);
    }
    out
}

/// The characters secret keys and tokens are made of: base64, base64url, JWT dots, and `%`
/// for a form-encoded `/`, `+` or `=`.
fn is_secret_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '/' | '+' | '=' | '-' | '_' | '.' | '%')
}

/// Credential fields followed, right after their separator (`":"`, `>`, `=`, whitespace, JSON
/// escapes), by a secret-shaped value: a long run of base64 characters (for a key id field:
/// anything but the documented example).
fn secrets_next_to_fields(text: &str) -> Vec<&'static str> {
    let mut found = Vec::new();
    for field in SECRET_FIELDS.iter().chain(KEY_ID_FIELDS) {
        let mut from = 0;
        while let Some(at) = text[from..].find(field) {
            let start = from + at;
            from = start + field.len();
            // A whole field name: `SessionToken`, not the end of `x-amz-SessionTokenish`.
            let before = text[..start].chars().next_back();
            if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
                continue;
            }
            let after = &text[from..];
            let value = after.trim_start_matches(|c: char| {
                c.is_whitespace() || matches!(c, '"' | '\\' | ':' | '>' | '=' | '\'')
            });
            // An XML element's value may sit in a CDATA section.
            let value = value.strip_prefix("<![CDATA[").unwrap_or(value);
            // The separator must be short (some punctuation, a line break and indentation): the
            // value belongs to this field.
            if after.len() - value.len() > 24 {
                continue;
            }
            let run: String = value.chars().take_while(|c| is_secret_char(*c)).collect();
            let example = KEY_ID_FIELDS.contains(field) && run == EXAMPLE_ACCESS_KEY;
            if run.len() >= SECRET_MIN_LEN && !example && !found.contains(field) {
                found.push(*field);
            }
        }
    }
    found
}

/// Problems in one piece of text, as `what` descriptions.
fn problems_in(text: &str, secrets: &Secrets) -> Vec<String> {
    let mut problems = Vec::new();
    let lower = text.to_ascii_lowercase();
    for marker in [
        "authorization",
        "x-amz-security-token",
        "signature=",
        "credential=",
    ] {
        if lower.contains(marker) {
            problems.push(format!("`{marker}`"));
        }
    }
    for field in secrets_next_to_fields(text) {
        problems.push(format!("a secret-shaped value of field `{field}`"));
    }
    for marker in SESSION_TOKEN_MARKERS {
        if text.contains(marker) {
            problems.push(format!("a session token (`…{marker}…`)"));
        }
    }
    let known = [
        ("the access key id", &secrets.access_key_id),
        ("the secret access key", &secrets.secret_access_key),
        ("the session token", &secrets.session_token),
    ];
    for (what, value) in known {
        if let Some(v) = value
            .as_deref()
            .filter(|v| v.len() >= 8 && *v != EXAMPLE_ACCESS_KEY)
        {
            if text.contains(v) {
                problems.push(format!("{what} of the recording"));
            }
        }
    }
    if let Some(account) = secrets
        .account_id
        .as_deref()
        .filter(|a| *a != FIXTURE_ACCOUNT)
    {
        if text.contains(account) {
            problems.push(format!("the real account id {account}"));
        }
    }
    if has_foreign_key_id(text) {
        problems.push("an access key id (other than AWS's documented example)".into());
    }
    problems
}

/// Problems in one text, as lines; empty when it is clean. For whole files (e.g. a committed
/// `traffic.json`); [`fixture_leaks`] says where in a fixture.
pub fn leaks(text: &str, secrets: &Secrets) -> Vec<String> {
    problems_in(text, secrets)
        .into_iter()
        .map(|p| format!("it contains {p}"))
        .collect()
}

/// Everything in `fixture` that must not be written, each with the place it sits in.
pub fn fixture_leaks(fixture: &Fixture, secrets: &Secrets) -> Vec<Leak> {
    let mut found = Vec::new();
    let mut check = |place: String, text: &str| {
        for what in problems_in(text, secrets) {
            found.push(Leak {
                what,
                place: place.clone(),
            });
        }
    };
    check("the description".into(), &fixture.description);
    check("the origin".into(), &fixture.origin);
    check("the run arguments".into(), &fixture.run_args.join(" "));
    for (i, e) in fixture.exchanges.iter().enumerate() {
        let at = |part: &str| format!("exchanges[{i}] ({}), {part}", short_key(e));
        check(at("request key parameters"), &e.key.params);
        check(at("request path"), &e.request.path);
        for (name, value) in &e.request.headers {
            check(
                at(&format!("request header `{name}`")),
                &format!("{name}: {value}"),
            );
        }
        check(at("request body"), &e.request.body);
        for (name, value) in &e.response.headers {
            check(
                at(&format!("response header `{name}`")),
                &format!("{name}: {value}"),
            );
        }
        check(at("response body"), &e.response.body);
    }
    found
}

fn short_key(e: &Exchange) -> String {
    let region = if e.key.region.is_empty() {
        String::new()
    } else {
        format!(" in {}", e.key.region)
    };
    format!("{} {}{region}", e.key.service, e.key.operation)
}

/// Redacts, checks and serializes a fixture; `Err` lists what would leak, and where.
pub fn render_fixture(fixture: &Fixture, secrets: &Secrets) -> Result<String, Vec<Leak>> {
    let redacted = redact_fixture(fixture, secrets);
    let mut problems = fixture_leaks(&redacted, secrets);
    let text = serde_json::to_string_pretty(&redacted).expect("fixtures serialize");
    if problems.is_empty() {
        // The file as a whole, in case something sits where no place above looks.
        problems = problems_in(&text, secrets)
            .into_iter()
            .map(|what| Leak {
                what,
                place: "the serialized fixture".into(),
            })
            .collect();
    }
    if problems.is_empty() {
        Ok(text + "\n")
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::exchange::{RecordedRequest, RecordedResponse, RequestKey};

    fn secrets() -> Secrets {
        Secrets {
            access_key_id: Some("AKIAZZZZZZZZZZZZZZZZ".into()),
            secret_access_key: Some("s3cr3t/KEY+abcdefghijklmnop".into()),
            session_token: Some("FwoGZXIvYXdzEXAMPLETOKEN".into()),
            account_id: Some("987654321098".into()),
        }
    }

    fn exchange(
        service: &str,
        operation: &str,
        request_body: &str,
        response_body: &str,
    ) -> Exchange {
        Exchange {
            key: RequestKey {
                service: service.into(),
                region: "us-east-1".into(),
                operation: operation.into(),
                params: String::new(),
            },
            request: RecordedRequest {
                method: "POST".into(),
                path: "/".into(),
                headers: Default::default(),
                body: request_body.into(),
            },
            response: RecordedResponse {
                status: 200,
                headers: Default::default(),
                body: response_body.into(),
            },
        }
    }

    fn fixture_of(exchanges: Vec<Exchange>) -> Fixture {
        Fixture {
            description: "credential traffic".into(),
            origin: "recorded".into(),
            region: "us-east-1".into(),
            run_args: vec!["revert".into(), "--yes".into()],
            exchanges,
        }
    }

    // The answers below are shaped like the examples of AWS's API references (STS AssumeRole,
    // GetSessionToken and AssumeRoleWithWebIdentity, the AWS CLI's `sts assume-role`, the IAM
    // Identity Center portal's GetRoleCredentials, the ECS/IMDS credentials document), with
    // their documented example values.
    const DOC_SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY";

    const ASSUME_ROLE_XML: &str = r#"<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
<AssumeRoleResult>
<SourceIdentity>Alice</SourceIdentity>
  <AssumedRoleUser>
    <Arn>arn:aws:sts::123456789012:assumed-role/demo/TestAR</Arn>
    <AssumedRoleId>ARO123EXAMPLE123:TestAR</AssumedRoleId>
  </AssumedRoleUser>
  <Credentials>
    <AccessKeyId>ASIAIOSFODNN7EXAMPLE</AccessKeyId>
    <SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey>
    <SessionToken>
     AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQW
     LWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGd
     QrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU
     9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz
     +scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==
    </SessionToken>
    <Expiration>2019-11-09T13:34:41Z</Expiration>
  </Credentials>
  <PackedPolicySize>6</PackedPolicySize>
</AssumeRoleResult>
<ResponseMetadata>
  <RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId>
</ResponseMetadata>
</AssumeRoleResponse>"#;

    const GET_SESSION_TOKEN_XML: &str = r#"<GetSessionTokenResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <GetSessionTokenResult>
    <Credentials>
      <SessionToken>
       AQoEXAMPLEH4aoAH0gNCAPyJxz4BlCFFxWNE1OPTgk5TthT+FvwqnKwRcOIfrRh3c/L
       To6UDdyJwOOvEVPvLXCrrrUtdnniCEXAMPLE/IvU1dYUg2RVAJBanLiHb4IgRmpRV3z
       rkuWJOgQs8IZZaIv2BXIa2R4OlgkBN9bkUDNCJiBeb/AXlzBBko7b15fjrBs2+cTQtp
       Z3CYWFXG8C5zqx37wnOE49mRl/+OtkIKGO7fAE
      </SessionToken>
      <SecretAccessKey>
      wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY
      </SecretAccessKey>
      <Expiration>2011-07-11T19:55:29.611Z</Expiration>
      <AccessKeyId>AKIAIOSFODNN7EXAMPLE</AccessKeyId>
    </Credentials>
  </GetSessionTokenResult>
  <ResponseMetadata>
    <RequestId>58c5dbae-abef-11e0-8cfe-09039844ac7d</RequestId>
  </ResponseMetadata>
</GetSessionTokenResponse>"#;

    const WEB_IDENTITY_REQUEST: &str = "Action=AssumeRoleWithWebIdentity&DurationSeconds=3600\
        &RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2FFederatedWebIdentityRole\
        &RoleSessionName=app1&Version=2011-06-15\
        &WebIdentityToken=Atza%7CIQEBLjAsAhRFiXuWpUXuRvQ9PZL3GMFcYevydwIUFAHZwXZXXXXXXXXJnrulxKDHwy87oGKPznh0D6bEQZTSCzyoCtL_8S07pLpr0zMbn6w1lfVZKNTBdDansFBmtGnIsIapjI6xKR02Yc_2bQ8LZbUXSGm6Ry6_BG7PrtLZtj_dfCTj92xNGed-CrKqjG7nPBjNIL016GGvuS5gSvPRUxWES3VYfm1wl7WTI7jn-Pcb6M-buCgHhFOzTQxod27L9CqnOLio7N3gZAGpsp6n1-AJBOCJckcyXe2c6uD0srOJeZlKUm2eTDVMf8IehDVI0r1QOnTV6KzzAI3OY87Vd_cVMQ";

    const WEB_IDENTITY_XML: &str = r#"<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult>
    <SubjectFromWebIdentityToken>amzn1.account.AF6RHO7KZU5XRVQJGXK6HB56KR2A</SubjectFromWebIdentityToken>
    <Audience>client.5498841531868486423.1548@apps.example.com</Audience>
    <AssumedRoleUser>
      <Arn>arn:aws:sts::123456789012:assumed-role/FederatedWebIdentityRole/app1</Arn>
      <AssumedRoleId>AROACLKWSDQRAOEXAMPLE:app1</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>
      <SessionToken>AQoDYXdzEE0a8ANXXXXXXXXNO1ewxE5TijQyp+IEXAMPLE</SessionToken>
      <SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey>
      <Expiration>2014-10-24T23:00:23Z</Expiration>
      <AccessKeyId>ASgeIAIOSFODNN7EXAMPLE</AccessKeyId>
    </Credentials>
    <SourceIdentity>SourceIdentityValue</SourceIdentity>
    <Provider>www.amazon.com</Provider>
  </AssumeRoleWithWebIdentityResult>
  <ResponseMetadata>
    <RequestId>ad4156e9-bce1-11e2-82e6-6b6efEXAMPLE</RequestId>
  </ResponseMetadata>
</AssumeRoleWithWebIdentityResponse>"#;

    const CLI_ASSUME_ROLE_JSON: &str = r#"{
      "AssumedRoleUser": {
          "AssumedRoleId": "AROA3XFRBF535PLBIFPI4:s3-access-example",
          "Arn": "arn:aws:sts::123456789012:assumed-role/xaccounts3access/s3-access-example"
      },
      "Credentials": {
          "SecretAccessKey": "9drTJvcXLB89EXAMPLELB8923FB892xMFI",
          "SessionToken": "AQoXdzELDDY//////////wEaoAK1wvxJY12r2IrDFT2IvAzTCn3zHoZ7YNtpiQLF0MqZye/qwjzP2iEXAMPLEbw/m3hsj8VBTkPORGvr9jM5sgP+w9IZWZnU+LWhmg+a5fDi2oTGUYcdg9uexQ4mtCHIHfi4citgqZTgco40Yqr4lIlo4V2b2Dyauk0eYFNebHtYlFVgAUj+7Indz3LU0aTWk1WKIjHmmMCIoTkyYp/k7kUG7moeEYKSitwQIi6Gjn+nyzM+PtoA3685ixzv0R7i5rjQi0YE0lf1oeie3bDiNHncmzosRM6SFiPzSvp6h/32xQuZsjcypmwsPSDtTPYcs0+YN/8BRi2/IcrxSpnWEXAMPLEXSDFTAQAM6Dl9zR0tXoybnlrZIwMLlMi1Kcgo5OytwU=",
          "Expiration": "2016-03-15T00:05:07Z",
          "AccessKeyId": "ASIAJEXAMPLEXEG2JICEA"
      }
    }"#;

    const SSO_ROLE_CREDENTIALS_JSON: &str = r#"{"roleCredentials":{"accessKeyId":"ASIAIOSFODNN7EXAMPLE","secretAccessKey":"wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY","sessionToken":"IQoJb3JpZ2luX2VjEXAMPLEaCXVzLWVhc3QtMSJHMEUCIQDEXAMPLEtokenfromtheportalAQoDYXdzEXAMPLE0123456789abcdefghijklmnop==","expiration":1591322297000}}"#;

    const ECS_CREDENTIALS_JSON: &str = r#"{"AccessKeyId":"ASIAIOSFODNN7EXAMPLE","Expiration":"2024-03-14T09:47:39Z","RoleArn":"arn:aws:iam::123456789012:role/TaskRole","SecretAccessKey":"wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY","Token":"IQoJb3JpZ2luX2VjEXAMPLEaCXVzLWVhc3QtMSJHMEUCIQDEXAMPLEtokenfromthecontainerendpoint0123456789=="}"#;

    /// Secret values of the examples above: none may survive redaction.
    const SECRET_VALUES: &[&str] = &[
        DOC_SECRET,
        "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQW",
        "+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==",
        "AQoEXAMPLEH4aoAH0gNCAPyJxz4BlCFFxWNE1OPTgk5TthT",
        "Z3CYWFXG8C5zqx37wnOE49mRl/+OtkIKGO7fAE",
        "AQoDYXdzEE0a8ANXXXXXXXXNO1ewxE5TijQyp+IEXAMPLE",
        "IQEBLjAsAhRFiXuWpUXuRvQ9PZL3GMFcYevydwIUFAHZwXZ",
        "9drTJvcXLB89EXAMPLELB8923FB892xMFI",
        "AQoXdzELDDY//////////wEaoAK1wvxJY12r2IrDFT2IvAzTCn3zHoZ7YNtpiQLF0MqZye",
        "IQoJb3JpZ2luX2VjEXAMPLE",
        "ASIAIOSFODNN7EXAMPLE",
        "ASIAJEXAMPLEXEG2JICEA",
        "ASgeIAIOSFODNN7EXAMPLE",
    ];

    /// The credential answers as they would be recorded, one exchange each.
    fn credential_traffic() -> Fixture {
        fixture_of(vec![
            exchange("sts", "AssumeRole", "Action=AssumeRole&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fdemo&RoleSessionName=TestAR&Version=2011-06-15", ASSUME_ROLE_XML),
            exchange("sts", "GetSessionToken", "Action=GetSessionToken&DurationSeconds=3600&Version=2011-06-15", GET_SESSION_TOKEN_XML),
            exchange("sts", "AssumeRoleWithWebIdentity", &WEB_IDENTITY_REQUEST.replace(' ', ""), WEB_IDENTITY_XML),
            exchange("sts", "AssumeRole", "", CLI_ASSUME_ROLE_JSON),
            exchange("portal", "GetRoleCredentials", "", SSO_ROLE_CREDENTIALS_JSON),
            exchange("ecs", "GET", "", ECS_CREDENTIALS_JSON),
        ])
    }

    #[test]
    fn redaction_removes_every_secret_of_aws_credential_answers() {
        let text = render_fixture(&credential_traffic(), &Secrets::default())
            .unwrap_or_else(|leaks| panic!("redacted traffic is refused: {leaks:?}"));
        for secret in SECRET_VALUES {
            assert!(
                !text.contains(secret),
                "`{secret}` survived redaction:\n{text}"
            );
        }
        assert!(leaks(&text, &Secrets::default()).is_empty());
        // What is not secret stays, so the answers still read as what they were.
        let fixture: Fixture = serde_json::from_str(&text).unwrap();
        let bodies: Vec<&str> = fixture
            .exchanges
            .iter()
            .map(|e| e.response.body.as_str())
            .collect();
        assert!(
            bodies[0].contains("<SecretAccessKey>REDACTED</SecretAccessKey>"),
            "{}",
            bodies[0]
        );
        assert!(
            bodies[0].contains("<AccessKeyId>AKIAIOSFODNN7EXAMPLE</AccessKeyId>"),
            "{}",
            bodies[0]
        );
        assert!(
            bodies[0].contains("<Expiration>2019-11-09T13:34:41Z</Expiration>"),
            "{}",
            bodies[0]
        );
        assert!(bodies[0].contains("<Arn>arn:aws:sts::123456789012:assumed-role/demo/TestAR</Arn>"));
        assert!(
            bodies[2].contains("<AccessKeyId>AKIAIOSFODNN7EXAMPLE</AccessKeyId>"),
            "{}",
            bodies[2]
        );
        assert!(fixture.exchanges[2]
            .request
            .body
            .contains("&WebIdentityToken=REDACTED"));
        assert!(fixture.exchanges[2]
            .request
            .body
            .contains("RoleSessionName=app1"));
        let sso: serde_json::Value = serde_json::from_str(bodies[4]).unwrap();
        assert_eq!(
            sso["roleCredentials"],
            serde_json::json!({
                "accessKeyId": EXAMPLE_ACCESS_KEY, "secretAccessKey": REDACTED,
                "sessionToken": REDACTED, "expiration": 1591322297000u64,
            })
        );
        let ecs: serde_json::Value = serde_json::from_str(bodies[5]).unwrap();
        assert_eq!(ecs["Token"], REDACTED);
        assert_eq!(ecs["RoleArn"], "arn:aws:iam::123456789012:role/TaskRole");
    }

    #[test]
    fn the_leak_check_refuses_unredacted_credential_answers_and_says_where() {
        let fixture = credential_traffic();
        let found = fixture_leaks(&fixture, &Secrets::default());
        let has = |place: &str, what: &str| {
            found
                .iter()
                .any(|l| l.place == place && l.what.contains(what))
        };
        let at = |i: usize, key: &str, part: &str| {
            format!("exchanges[{i}] ({key} in us-east-1), {part}")
        };
        for (i, key) in [
            (0, "sts AssumeRole"),
            (1, "sts GetSessionToken"),
            (2, "sts AssumeRoleWithWebIdentity"),
            (3, "sts AssumeRole"),
        ] {
            let body = at(i, key, "response body");
            assert!(has(&body, "field `SecretAccessKey`"), "{body}: {found:#?}");
            assert!(has(&body, "field `SessionToken`"), "{body}: {found:#?}");
        }
        assert!(
            has(&at(0, "sts AssumeRole", "response body"), "access key id"),
            "{found:#?}"
        );
        assert!(
            has(
                &at(0, "sts AssumeRole", "response body"),
                "session token (`…AQoDYXdzE…`)"
            ),
            "{found:#?}"
        );
        assert!(
            has(
                &at(1, "sts GetSessionToken", "response body"),
                "session token (`…AQoEXAMPLE…`)"
            ),
            "{found:#?}"
        );
        assert!(
            has(
                &at(2, "sts AssumeRoleWithWebIdentity", "request body"),
                "field `WebIdentityToken`"
            ),
            "{found:#?}"
        );
        assert!(
            has(
                &at(2, "sts AssumeRoleWithWebIdentity", "response body"),
                "field `AccessKeyId`"
            ),
            "{found:#?}"
        );
        assert!(
            has(
                &at(3, "sts AssumeRole", "response body"),
                "field `AccessKeyId`"
            ),
            "{found:#?}"
        );
        let sso = at(4, "portal GetRoleCredentials", "response body");
        for field in ["secretAccessKey", "sessionToken", "accessKeyId"] {
            assert!(has(&sso, &format!("field `{field}`")), "{sso}: {found:#?}");
        }
        assert!(has(&sso, "session token (`…b3JpZ2luX2Vj…`)"), "{found:#?}");
        let ecs = at(5, "ecs GET", "response body");
        for field in ["SecretAccessKey", "Token", "AccessKeyId"] {
            assert!(has(&ecs, &format!("field `{field}`")), "{ecs}: {found:#?}");
        }
        // No message repeats a secret.
        for leak in &found {
            for secret in SECRET_VALUES {
                assert!(!leak.to_string().contains(secret), "{leak}");
            }
        }
        // The whole-file check (as run on committed fixtures) refuses the raw text too.
        let text = serde_json::to_string_pretty(&fixture).unwrap();
        let problems = leaks(&text, &Secrets::default());
        assert!(
            problems
                .iter()
                .any(|p| p.contains("field `SecretAccessKey`")),
            "{problems:?}"
        );
        assert!(
            problems
                .iter()
                .any(|p| p.contains("field `secretAccessKey`")),
            "{problems:?}"
        );
    }

    #[test]
    fn a_secret_in_an_unknown_shape_is_still_named() {
        // Neither JSON nor XML nor a form: only the leak check's textual look can see it.
        let mut e = exchange("sts", "AssumeRole", "", "");
        e.response.body = format!("error: SecretAccessKey = {DOC_SECRET} (truncated");
        e.response.headers.insert(
            "x-debug".into(),
            "token=FwoGZXIvYXdzEJr//////////wEaDEXAMPLE".into(),
        );
        let found = fixture_leaks(&fixture_of(vec![e.clone()]), &Secrets::default());
        assert_eq!(
            found.iter().map(ToString::to_string).collect::<Vec<_>>(),
            vec![
                "a secret-shaped value of field `token` in exchanges[0] (sts AssumeRole in us-east-1), response header `x-debug`",
                "a session token (`…ZXIvYXdzE…`) in exchanges[0] (sts AssumeRole in us-east-1), response header `x-debug`",
                "a secret-shaped value of field `SecretAccessKey` in exchanges[0] (sts AssumeRole in us-east-1), response body",
            ]
        );
        assert!(render_fixture(&fixture_of(vec![e]), &Secrets::default()).is_err());
    }

    #[test]
    fn service_answers_are_left_exactly_as_they_were() {
        // Pagination tokens and the like are not credentials, and replay needs them intact.
        let json = r#"{"trailList":[],"NextToken":"eyJ0cmFpbHMiOiJhYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0NTY3ODkifQ=="}"#;
        assert_eq!(redact_body(json), json);
        let xml = "<DescribeRegionsResponse><nextToken>AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA</nextToken></DescribeRegionsResponse>";
        assert_eq!(redact_body(xml), xml);
        let form = "Action=DescribeRegions&Version=2016-11-15";
        assert_eq!(redact_body(form), form);
        let s3_params =
            "bucket=cm-members-cloudtrail-123456789012 <ServerSideEncryptionConfiguration/>";
        assert_eq!(redact_body(s3_params), s3_params);
        assert!(fixture_leaks(
            &fixture_of(vec![exchange("cloudtrail", "DescribeTrails", "{}", json)]),
            &Secrets::default()
        )
        .is_empty());
    }

    #[test]
    fn other_spellings_of_credential_fields_and_cdata_are_redacted() {
        const SECRET: &str = "wJalrXUtnFEMIK7MDENGbPxRfiCYzzzzzzzzzzzz";
        let json = format!(
            r#"{{"aws_secret_access_key":"{SECRET}","SECRET_ACCESS_KEY":"{SECRET}","aws_session_token":"{SECRET}","Password":"{SECRET}","privateKey":"{SECRET}","aws_access_key_id":"ASIAQQQQQQQQQQQQQQQQ"}}"#
        );
        let xml = format!(
            "<R><SecretAccessKey><![CDATA[{SECRET}]]></SecretAccessKey><Password>{SECRET}</Password></R>"
        );
        let form = format!("aws_session_token={SECRET}&Action=x");
        for body in [json, xml, form] {
            // Before redaction, the leak check names each of them.
            assert!(!leaks(&body, &Secrets::default()).is_empty(), "{body}");
            let out = redact_body(&body);
            assert!(!out.contains(SECRET) && !out.contains("ASIAQ"), "{out}");
            assert!(leaks(&out, &Secrets::default()).is_empty(), "{out}");
        }
        assert_eq!(
            redact_body(&format!(
                "<R><SecretAccessKey><![CDATA[{SECRET}]]></SecretAccessKey></R>"
            )),
            "<R><SecretAccessKey><![CDATA[REDACTED]]></SecretAccessKey></R>"
        );
    }

    #[test]
    fn redacts_account_ids_keys_and_known_secrets() {
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
        let mut e = exchange(
            "sts",
            "GetCallerIdentity",
            "",
            "<Account>987654321098</Account>",
        );
        e.request.headers.insert(
            "authorization".to_string(),
            "AWS4-HMAC-SHA256 Credential=x, Signature=y".to_string(),
        );
        let fixture = fixture_of(vec![e]);
        let problems = render_fixture(&fixture, &secrets()).unwrap_err();
        assert!(
            problems.iter().any(|p| p.what.contains("authorization")
                && p.place == "exchanges[0] (sts GetCallerIdentity in us-east-1), request header `authorization`"),
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
                "it contains an access key id (other than AWS's documented example)",
            ]
        );
    }
}
