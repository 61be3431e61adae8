//! The run's own secrets, kept out of everything it writes or prints.
//!
//! AWS error messages are text from the other end: an endpoint (a proxy, a misconfigured
//! gateway, a test double) may echo the request's headers into one, and the SDK's messages for a
//! request that was never sent may quote what it was given. [`Secrets`] notes the value of every
//! credential handed to the SDK ([`Noting`] wraps the configuration's credentials provider, so
//! refreshed credentials are noted before they sign anything), and [`Secrets::redact`] replaces
//! them, and any `Authorization` or `X-Amz-Security-Token` header text, in what the funnel
//! (`aws::call`) turns into an `aws_call` event and an error.

use std::sync::{Arc, RwLock};

use aws_credential_types::provider::{future, ProvideCredentials, SharedCredentialsProvider};

/// What replaces a secret.
pub const REDACTED: &str = "[REDACTED]";

/// Values shorter than this are not treated as secrets (a replay's dummy `replay`, moto's
/// `testing`): replacing common words would garble messages. AWS's access key ids are 20
/// characters, secret keys 40, session tokens hundreds.
const SHORTEST_SECRET: usize = 16;

/// The header names whose values are secret wherever they appear in a message.
const SECRET_HEADERS: [&str; 2] = ["authorization", "x-amz-security-token"];

/// The credential values seen so far (shared by a configuration's clients).
#[derive(Clone, Debug, Default)]
pub struct Secrets(Arc<RwLock<Vec<String>>>);

impl Secrets {
    /// Notes `value` as secret (and its percent-encoded form, as it would appear in a URL).
    pub fn note(&self, value: &str) {
        if value.len() < SHORTEST_SECRET {
            return;
        }
        let mut known = self.0.write().unwrap();
        for form in [value.to_string(), percent_encoded(value)] {
            if !known.contains(&form) {
                known.push(form);
            }
        }
        // Longest first: a value that contains another is replaced whole.
        known.sort_by_key(|v| std::cmp::Reverse(v.len()));
    }

    /// `text` with every noted value, and the value of every `Authorization` or
    /// `X-Amz-Security-Token` header it quotes, replaced by [`REDACTED`].
    pub fn redact(&self, text: &str) -> String {
        let mut out = redact_headers(text);
        for value in self.0.read().unwrap().iter() {
            if out.contains(value.as_str()) {
                out = out.replace(value.as_str(), REDACTED);
            }
        }
        out
    }

    /// `provider`, noting every credential it hands out here first.
    pub fn noting(&self, provider: SharedCredentialsProvider) -> SharedCredentialsProvider {
        SharedCredentialsProvider::new(Noting {
            inner: provider,
            secrets: self.clone(),
        })
    }
}

/// A credentials provider that notes what it hands out in [`Secrets`].
#[derive(Debug)]
pub struct Noting {
    inner: SharedCredentialsProvider,
    secrets: Secrets,
}

impl ProvideCredentials for Noting {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(async move {
            let credentials = self.inner.provide_credentials().await?;
            self.secrets.note(credentials.access_key_id());
            self.secrets.note(credentials.secret_access_key());
            if let Some(token) = credentials.session_token() {
                self.secrets.note(token);
            }
            Ok(credentials)
        })
    }
}

fn percent_encoded(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Replaces the value of each secret header quoted in `text`: the name (any case), then quotes,
/// blanks and one `:`, `=` or `>` (so "the authorization header is malformed" stays as it is),
/// then the value: up to the quote that opened it, or else up to the end of the line or of
/// the enclosing markup (`<`, `&`, `}`, a quote).
fn redact_headers(text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut at = 0;
    while at < text.len() {
        let found = SECRET_HEADERS
            .iter()
            .filter_map(|h| lower[at..].find(h).map(|i| (at + i, h.len())))
            .min();
        let Some((start, len)) = found else { break };
        // A closing tag (`</Authorization>`) ends a value, it holds none.
        if text[..start].ends_with("</") {
            at = start + len;
            continue;
        }
        let mut i = start + len;
        // Between the name and its value: quotes, blanks (a no-break space too), and one `:`,
        // `=` or an XML element's `>` (`'Authorization': '…'`, `Authorization\u{a0}: …`,
        // `<Authorization>…</Authorization>`). Without one of those it is prose.
        let mut separated = false;
        let mut quote = None;
        let mut value_at = text.len();
        for (offset, c) in text[i..].char_indices() {
            match c {
                ':' | '=' | '>' if !separated => separated = true,
                '\'' | '"' => quote = separated.then_some(c as u8),
                ' ' | '\t' | '\u{a0}' => {}
                _ => {
                    value_at = i + offset;
                    break;
                }
            }
        }
        if !separated {
            at = start + len;
            continue;
        }
        i = value_at;
        let value_start = i;
        while i < bytes.len() {
            let b = bytes[i];
            let ends = match quote {
                Some(q) => b == q || b == b'\n',
                None => matches!(b, b'\n' | b'\r' | b'<' | b'&' | b'}' | b'"' | b'\''),
            };
            if ends {
                break;
            }
            i += 1;
        }
        out.push_str(&text[copied..value_start]);
        out.push_str(REDACTED);
        copied = i;
        at = i.max(start + len);
    }
    out.push_str(&text[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "ASIAEXAMPLEKEYID1234";
    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    const TOKEN: &str = "IQoJb3JpZ2luX2VjEXAMPLE+TOKEN/with=padding==";

    fn secrets() -> Secrets {
        let s = Secrets::default();
        for v in [KEY, SECRET, TOKEN, "replay", "testing"] {
            s.note(v);
        }
        s
    }

    #[test]
    fn echoed_headers_and_credentials_are_replaced() {
        let echoed = format!(
            "Access denied. Headers: {{'Authorization': 'AWS4-HMAC-SHA256 Credential={KEY}/20261204/\
             ap-northeast-1/ec2/aws4_request, SignedHeaders=host;x-amz-date;x-amz-security-token, \
             Signature=0123abcd', 'X-Amz-Security-Token': '{TOKEN}', 'Host': 'ec2'}}\n\
             authorization: AWS4-HMAC-SHA256 Credential=X, Signature=ff\n\
             x-amz-security-token={} secret {SECRET}",
            percent_encoded(TOKEN)
        );
        let clean = secrets().redact(&echoed);
        for leak in [
            KEY,
            SECRET,
            TOKEN,
            "AWS4-HMAC-SHA256",
            "Signature=",
            "0123abcd",
        ] {
            assert!(!clean.contains(leak), "{leak} in {clean}");
        }
        assert!(!clean.contains(&percent_encoded(TOKEN)), "{clean}");
        assert!(clean.contains("'Host': 'ec2'"), "the rest stays: {clean}");
    }

    /// An endpoint that echoes the header as an XML element, or with a no-break space before
    /// its colon, gives nothing of it away either.
    #[test]
    fn headers_echoed_as_markup_or_odd_spacing_are_replaced() {
        for echoed in [
            "<Message>denied <Authorization>AWS4-HMAC-SHA256 Credential=X/1, \
             SignedHeaders=host, Signature=67b0ffee</Authorization> ok</Message>",
            "Authorization\u{a0}: AWS4-HMAC-SHA256 Credential=X/1, Signature=67b0ffee\nok",
            "\"X-Amz-Security-Token\" = \"Zm9vYmFyYmF6cXV4\"; ok",
        ] {
            let clean = secrets().redact(echoed);
            for leak in [
                "AWS4-HMAC-SHA256",
                "Signature=",
                "67b0ffee",
                "Zm9vYmFyYmF6cXV4",
            ] {
                assert!(!clean.contains(leak), "{leak} in {clean}");
            }
            assert!(clean.contains("ok"), "the rest stays: {clean}");
        }
    }

    #[test]
    fn words_and_short_values_stay() {
        let text = "The authorization header is malformed; the region 'ap-northeast-1' is wrong; \
                    expecting 'eu-west-1' (AuthorizationHeaderMalformed) replay testing";
        assert_eq!(secrets().redact(text), text);
    }
}
