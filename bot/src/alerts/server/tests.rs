//! The intake over real HTTP on 127.0.0.1:0: a sender that stalls its body gets a JSON 408, a
//! request beyond the in-flight limit a JSON 503 with Retry-After, each counted in `/metrics`,
//! and Temporal hears of neither.

use super::*;
use chatops_common::Settings;
use chatops_common::metrics::Kind;
use std::net::SocketAddr;
use std::time::Instant;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::temporal::fake::Calls;

const TOKEN: &str = "alert-token-0123456789";
const ALERT: &str = r#"{"service": "checkout", "summary": "5xx above 5%"}"#;
/// How long a test waits for the server to reach a state before it fails.
const PATIENCE: Duration = Duration::from_secs(20);

/// The intake on a free port, with `vars` on top of a token and an in-memory store.
async fn intake(vars: &[(&str, &str)]) -> (Intake, Calls) {
    let mut all = vec![
        ("CHATOPS__ALERTS__LISTEN", "127.0.0.1:0"),
        ("CHATOPS__ALERTS__TOKEN", TOKEN),
        ("CHATOPS__DATABASE__URL", "sqlite::memory:"),
    ];
    all.extend_from_slice(vars);
    let settings = Settings::from_env_map(
        all.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    )
    .expect("test settings");
    let (app, calls) = App::for_tests(settings).await;
    let intake = spawn(app, Arc::new(AtomicBool::new(true)))
        .await
        .expect("listening");
    (intake, calls)
}

/// Sends `POST /alerts` with `token`, headers promising `length` bytes of body, then `body`
/// (all of it, or less to stall); the connection stays open for the answer.
async fn post(addr: SocketAddr, token: &str, length: usize, body: &str) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let request = format!(
        "POST /alerts HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n{body}"
    );
    stream.write_all(request.as_bytes()).await.expect("send");
    stream
}

/// `GET path`.
async fn get(addr: SocketAddr, path: &str) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("send");
    stream
}

/// What came back: the status, the headers (names lower-cased) and the body, read until the
/// server closed the connection.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Answer {
    async fn read(mut stream: TcpStream) -> Self {
        let mut raw = Vec::new();
        let mut chunk = [0_u8; 4096];
        // A reset after the answer (the server closing on an unread body) ends it like EOF.
        while let Ok(n @ 1..) = stream.read(&mut chunk).await {
            raw.extend_from_slice(&chunk[..n]);
        }
        let text = String::from_utf8_lossy(&raw).into_owned();
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        let mut lines = head.lines();
        let status = lines
            .next()
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|s| s.parse().ok())
            .unwrap_or_default();
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        Self {
            status,
            headers,
            body: body.to_owned(),
        }
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The `error` of a JSON answer.
    fn error(&self) -> String {
        let json: serde_json::Value = serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.body));
        json["error"].as_str().unwrap_or_default().to_owned()
    }
}

fn counted(kind: &str) -> u64 {
    chatops_common::metrics::get()
        .alerts
        .get_or_create(&Kind { kind: kind.into() })
        .get()
}

#[tokio::test]
async fn a_sender_that_stalls_its_body_gets_a_json_408_and_is_counted() {
    let (intake, calls) = intake(&[("CHATOPS__ALERTS__REQUEST_TIMEOUT", "100ms")]).await;
    let before = counted("timeout");

    // Headers promise 100 bytes; 10 come, then nothing.
    let stalled = post(intake.addr(), TOKEN, 100, &ALERT[..10]).await;
    let answer = Answer::read(stalled).await;

    assert_eq!(answer.status, 408, "{}", answer.body);
    assert_eq!(
        answer.error(),
        "the request body did not arrive within 100ms (CHATOPS__ALERTS__REQUEST_TIMEOUT); send it whole, promptly"
    );
    assert_eq!(answer.header("connection"), Some("close"));
    assert!(counted("timeout") > before, "counted as a timeout");

    // A sender without the token is refused at once, never waited for.
    let stranger = post(intake.addr(), "not-the-token-at-all", 100, "{").await;
    assert_eq!(Answer::read(stranger).await.status, 401);

    assert_eq!(
        calls.made(),
        Vec::<String>::new(),
        "nothing reached Temporal"
    );
    intake.stop().await;
}

#[tokio::test]
async fn requests_beyond_the_in_flight_limit_get_a_json_503_with_retry_after() {
    let (intake, calls) = intake(&[
        ("CHATOPS__ALERTS__MAX_IN_FLIGHT", "2"),
        ("CHATOPS__ALERTS__REQUEST_TIMEOUT", "10m"),
    ])
    .await;
    let addr = intake.addr();
    let before = counted("overloaded");

    // Two senders take both slots and hold them, waiting to finish their bodies.
    let first = post(addr, TOKEN, 100, "{").await;
    let second = post(addr, TOKEN, 100, "{").await;
    // Until both are in, a third request may still get through; once they are, it is turned away.
    let deadline = Instant::now() + PATIENCE;
    let turned_away = loop {
        let answer = Answer::read(post(addr, TOKEN, ALERT.len(), ALERT).await).await;
        match answer.status {
            503 => break answer,
            202 => assert!(
                Instant::now() < deadline,
                "the limit of 2 was never reached"
            ),
            other => panic!("unexpected {other}: {}", answer.body),
        }
    };

    assert_eq!(
        turned_away.error(),
        "too many alert requests at once (CHATOPS__ALERTS__MAX_IN_FLIGHT); retry after a second"
    );
    assert_eq!(turned_away.header("retry-after"), Some("1"));
    assert!(counted("overloaded") > before, "counted as overloaded");
    // The probes are outside the limit.
    assert_eq!(Answer::read(get(addr, "/healthz").await).await.status, 200);
    let delivered = calls.made().len();

    // One sender gives up: its slot frees, and alerts are taken again.
    drop(first);
    let deadline = Instant::now() + PATIENCE;
    loop {
        let answer = Answer::read(post(addr, TOKEN, ALERT.len(), ALERT).await).await;
        match answer.status {
            202 => break,
            503 => assert!(Instant::now() < deadline, "the freed slot was never reused"),
            other => panic!("unexpected {other}: {}", answer.body),
        }
    }
    assert_eq!(
        calls.made()[delivered..],
        ["SignalWithStartWorkflowExecution"],
        "only the request that got a slot reached Temporal"
    );
    drop(second);
    intake.stop().await;
}
