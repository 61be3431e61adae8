//! A small HTTP/1.1 proxy in front of moto that the xtask binary talks to: it records who
//! signed each request (the SigV4 `Credential=` key id; the signature and secret never leave
//! the request) and can answer one operation with AccessDenied, as an IAM policy would, until
//! told to let it through.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// Reads one HTTP/1.1 request (head and body) from `reader`.
pub fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Vec<u8>> {
    let mut head = Vec::new();
    let mut length = 0;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = v.trim().parse().ok()?;
        }
        let end = line == "\r\n";
        head.extend_from_slice(line.as_bytes());
        if end {
            break;
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    head.extend(body);
    Some(head)
}

/// One request as the proxy saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    /// `POST /` or `GET /bucket?encryption`: the request line without the version.
    pub line: String,
    /// The JSON protocol's operation (`CloudTrail_20131101.UpdateTrail`), if any.
    pub target: Option<String>,
    /// The access key id from `Authorization: AWS4-HMAC-SHA256 Credential=<key id>/…`.
    pub key_id: Option<String>,
    /// The request's body (a query-protocol call's form, such as STS AssumeRole's `RoleArn`).
    pub body: String,
}

/// What a hostile endpoint answers instead of moto, for the requests it picks.
pub type Answer = Arc<dyn Fn(&Seen) -> Option<Vec<u8>> + Send + Sync>;

#[derive(Default)]
struct Shared {
    seen: Mutex<Vec<Seen>>,
    /// Requests this matches are refused with AccessDenied.
    deny: Mutex<Option<fn(&Seen) -> bool>>,
    /// Answers given instead of moto's, for the requests this answers.
    answer: Mutex<Option<Answer>>,
}

/// An HTTP/1.1 response with `body`, as AWS's JSON 1.1 services send it (Organizations, STS
/// errors use XML: give their content type in `content_type`).
pub fn response(status: &str, content_type: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\nx-amzn-requestid: proxy-answer\r\n\
         content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

pub struct Proxy {
    port: u16,
    shared: Arc<Shared>,
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

fn seen_of(request: &[u8]) -> Seen {
    let text = String::from_utf8_lossy(request);
    let head = text.split("\r\n\r\n").next().unwrap_or_default();
    let line = head.lines().next().unwrap_or_default();
    Seen {
        line: line.rsplit_once(' ').map_or(line, |(l, _)| l).to_string(),
        target: header(head, "x-amz-target").map(str::to_string),
        key_id: header(head, "authorization").and_then(|a| {
            let rest = a.split("Credential=").nth(1)?;
            Some(rest.split('/').next()?.to_string())
        }),
        body: text
            .split_once("\r\n\r\n")
            .map(|(_, body)| body.to_string())
            .unwrap_or_default(),
    }
}

/// The answer AWS gives a caller that lacks the IAM action: CloudTrail's JSON (as in the
/// access-denied-update-trail fixture) for a JSON-protocol request, STS's XML for a
/// query-protocol one, S3's XML otherwise.
fn access_denied(seen: &Seen) -> Vec<u8> {
    let (status, content_type, body) = access_denied_parts(seen);
    response(status, content_type, &body)
}

fn access_denied_parts(seen: &Seen) -> (&'static str, &'static str, String) {
    let (status, content_type, body) = match &seen.target {
        Some(target) => (
            "400 Bad Request",
            "application/x-amz-json-1.1\r\nx-amzn-errortype: AccessDeniedException",
            format!(
                r#"{{"__type":"AccessDeniedException","message":"User: arn:aws:sts::123456789012:assumed-role/Operator/session is not authorized to perform: {target}"}}"#
            ),
        ),
        // A query-protocol call (STS's AssumeRole): STS's own error document.
        None if seen.body.contains("Action=") => (
            "403 Forbidden",
            "text/xml",
            "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error>\
             <Type>Sender</Type><Code>AccessDenied</Code><Message>Access Denied</Message>\
             </Error><RequestId>proxy-denied</RequestId></ErrorResponse>"
                .to_string(),
        ),
        None => (
            "403 Forbidden",
            "application/xml",
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>AccessDenied</Code>\
             <Message>Access Denied</Message><RequestId>proxy-denied</RequestId></Error>"
                .to_string(),
        ),
    };
    (status, content_type, body)
}

impl Proxy {
    /// Forwards to the server on `upstream` (a moto port).
    pub fn start(upstream: u16) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let shared = Arc::new(Shared::default());
        let state = shared.clone();
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { break };
                let state = state.clone();
                std::thread::spawn(move || serve(client, upstream, &state));
            }
        });
        Proxy { port, shared }
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Refuse every request `matches` picks with AccessDenied; `None` lets everything through
    /// again.
    pub fn deny(&self, matches: Option<fn(&Seen) -> bool>) {
        *self.shared.deny.lock().unwrap() = matches;
    }

    /// Answer the requests `answer` picks (it returns a whole HTTP response) instead of moto:
    /// a hostile or faked endpoint.
    pub fn answer(&self, answer: impl Fn(&Seen) -> Option<Vec<u8>> + Send + Sync + 'static) {
        *self.shared.answer.lock().unwrap() = Some(Arc::new(answer));
    }

    /// Send everything to moto again.
    pub fn stop_answering(&self) {
        *self.shared.answer.lock().unwrap() = None;
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.shared.seen.lock().unwrap().clone()
    }
}

fn serve(client: TcpStream, upstream: u16, state: &Shared) {
    let mut reader = BufReader::new(client.try_clone().unwrap());
    let mut client = client;
    while let Some(request) = read_request(&mut reader) {
        let seen = seen_of(&request);
        let denied = state
            .deny
            .lock()
            .unwrap()
            .is_some_and(|matches| matches(&seen));
        let answered = state
            .answer
            .lock()
            .unwrap()
            .as_ref()
            .and_then(|answer| answer(&seen));
        let response = if let Some(answer) = answered {
            answer
        } else if denied {
            access_denied(&seen)
        } else {
            let mut up = TcpStream::connect(("127.0.0.1", upstream)).unwrap();
            up.write_all(&request).unwrap();
            let mut response = Vec::new();
            // moto answers `Connection: close`: the response ends with the connection.
            up.read_to_end(&mut response).unwrap();
            response
        };
        state.seen.lock().unwrap().push(seen);
        if client.write_all(&response).is_err() {
            return;
        }
    }
}
