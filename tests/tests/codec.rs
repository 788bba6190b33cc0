//! Encrypted payloads: what Temporal stores and shows is sealed, the codec server opens it for
//! the `temporal` CLI (and the UI), and a rotation keeps old histories running.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chatops_contract::signals;
use chatops_e2e::stack::{Stack, StackOptions};
use std::time::Duration;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

const K1: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
const K2: &str = "ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=";
const TOKEN: &str = "codec-e2e-token";
/// The request text the tests look for in history.
const SECRET: &str = "zebra marmalade";

fn codec_env(keys: &str) -> StackOptions {
    let mut opts = StackOptions::with_env(vec![
        ("CHATOPS__CODEC__KEYS".into(), keys.into()),
        ("CHATOPS__CODEC__SERVER_TOKEN".into(), TOKEN.into()),
    ]);
    opts.phase_duration = "1h";
    opts
}

/// Whether `needle` can be read in `json`: as text, or inside any base64 string in it.
fn reveals(json: &str, needle: &str) -> bool {
    fn walk(v: &serde_json::Value, needle: &str) -> bool {
        match v {
            serde_json::Value::String(s) => {
                s.contains(needle)
                    || STANDARD
                        .decode(s)
                        .is_ok_and(|b| String::from_utf8_lossy(&b).contains(needle))
            }
            serde_json::Value::Array(a) => a.iter().any(|x| walk(x, needle)),
            serde_json::Value::Object(o) => o.values().any(|x| walk(x, needle)),
            _ => false,
        }
    }
    json.contains(needle) || serde_json::from_str(json).is_ok_and(|v| walk(&v, needle))
}

/// The key ids named in the history's payload metadata.
fn key_ids(history: &str) -> Vec<String> {
    let id_key = "encryption-key-id";
    let mut ids = Vec::new();
    let v: serde_json::Value = serde_json::from_str(history).unwrap_or_default();
    fn walk(v: &serde_json::Value, key: &str, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(o) => {
                if let Some(serde_json::Value::String(id)) = o.get(key)
                    && let Ok(bytes) = STANDARD.decode(id)
                {
                    let id = String::from_utf8_lossy(&bytes).into_owned();
                    if !out.contains(&id) {
                        out.push(id);
                    }
                }
                o.values().for_each(|x| walk(x, key, out));
            }
            serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, key, out)),
            _ => {}
        }
    }
    walk(&v, id_key, &mut ids);
    ids
}

#[tokio::test(flavor = "multi_thread")]
async fn temporal_sees_sealed_payloads_and_the_codec_server_opens_them() -> anyhow::Result<()> {
    let stack = Stack::start("codec", codec_env(&format!("k1={K1}"))).await?;
    let (id, card, request) = stack
        .feature_at_intake(&format!("Add {SECRET} to the menu"))
        .await?;
    // The card is posted from the decrypted request: the worker reads its own payloads.
    assert!(stack.thread_text(&card).contains(SECRET) || card.text.contains(SECRET));

    // A refusal written by the workflow's validator is an encoded failure; the person who
    // clicked still reads why.
    stack.press(&request, "Approve")?;
    stack.press(&request, "Approve")?;
    stack
        .ephemeral_containing("Your approve did not count: the intake gate is already approved.")
        .await?;
    stack.gate_request(&card, "plan").await?;

    // Without the codec server, history holds no request text: the start input, the
    // activities' inputs and results, the signals and updates are all sealed under k1.
    let sealed = stack.temporal(&["workflow", "show", "-w", &id, "-o", "json"])?;
    assert!(
        !reveals(&sealed, SECRET),
        "the request is readable in history"
    );
    assert!(reveals(&sealed, "binary/encrypted"), "{sealed}");
    assert_eq!(key_ids(&sealed), ["k1"]);

    // Through the codec server (as the UI and `temporal --codec-endpoint` read it), all of it.
    let endpoint = format!("{}/codec", stack.alerts_url);
    let auth = format!("Bearer {TOKEN}");
    // `temporal <args>` reading through the codec server with `auth`.
    let through_codec = |args: &[&str], auth: &str| {
        let mut all = args.to_vec();
        all.extend(["--codec-endpoint", &endpoint, "--codec-auth", auth]);
        stack.temporal(&all)
    };
    let opened = through_codec(&["workflow", "show", "-w", &id, "-o", "json"], &auth)?;
    assert!(
        reveals(&opened, SECRET),
        "the codec server did not open the history"
    );
    let status = through_codec(
        &[
            "workflow",
            "query",
            "-w",
            &id,
            "--name",
            chatops_contract::queries::STATUS.name(),
            "-o",
            "json",
        ],
        &auth,
    )?;
    assert!(status.contains(SECRET), "{status}");

    // Doctor shows the key in use and where the codec server is.
    let (_, table) = stack.doctor(&[])?;
    assert!(
        table.lines().any(|l| l.starts_with("payload codec")
            && l.contains(" pass ")
            && l.contains("encrypting with `k1`")
            && l.contains("/codec")),
        "{table}"
    );

    // The chatops CLI holds the keys itself.
    let (code, out, err) = stack.cli(&["feature", "status", &id])?;
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("plan"), "{out}");

    // A wrong token is refused, in JSON.
    let wrong = through_codec(
        &["workflow", "show", "-w", &id, "-o", "json"],
        "Bearer nope",
    );
    assert!(wrong.is_err(), "a wrong codec token was accepted");
    let (status, answer) =
        post(&stack, "/codec/decode", "Bearer nope", "{\"payloads\": []}").await?;
    assert_eq!(status, 401, "{answer}");
    assert!(answer.contains("missing or wrong bearer token"), "{answer}");
    let (status, answer) = post(&stack, "/codec/decode", &auth, "not json").await?;
    assert_eq!(status, 400, "{answer}");
    assert!(
        answer.contains("the body is not {\\\"payloads\\\": [...]}"),
        "{answer}"
    );

    // Browsers may call from the UI's origin only.
    let ui = "http://127.0.0.1:8233";
    let allowed = preflight(&stack, ui).await?;
    assert!(
        allowed
            .to_ascii_lowercase()
            .contains(&format!("access-control-allow-origin: {ui}")),
        "{allowed}"
    );
    let other = preflight(&stack, "https://evil.example").await?;
    assert!(
        !other
            .to_ascii_lowercase()
            .contains("access-control-allow-origin"),
        "{other}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_history_written_under_the_old_key_runs_on_after_a_rotation() -> anyhow::Result<()> {
    let mut stack = Stack::start("codec-rotation", codec_env(&format!("k1={K1}"))).await?;
    let (id, card, _) = stack
        .feature_at_intake(&format!("Add {SECRET} to the menu"))
        .await?;

    // The worker is replaced by one whose newest key is k2 and which still holds k1.
    let old = stack
        .worker
        .as_mut()
        .ok_or_else(|| anyhow::anyhow!("no worker"))?;
    old.signal("KILL");
    anyhow::ensure!(
        old.wait_exit(Duration::from_secs(10)).is_some(),
        "the worker survived SIGKILL"
    );
    let _rotated = stack.another_worker(&[("CHATOPS__CODEC__KEYS", format!("k2={K2},k1={K1}"))])?;
    // The approval goes in plain, as the `temporal` CLI sends it.
    stack.signal(
        &id,
        signals::APPROVE,
        &format!(
            r#"{{"gate": "intake", "user": "{}"}}"#,
            chatops_e2e::stack::APPROVER
        ),
    )?;
    // The new worker replays the k1 history from the start, then goes on under k2.
    stack.gate_request(&card, "plan").await?;
    let history = stack.temporal(&["workflow", "show", "-w", &id, "-o", "json"])?;
    assert_eq!(
        key_ids(&history),
        ["k1", "k2"],
        "k1 before the rotation, k2 after"
    );
    assert!(!reveals(&history, SECRET));
    Ok(())
}

/// POSTs `body` to the bot's `path` with `auth`; the status and the body.
async fn post(stack: &Stack, path: &str, auth: &str, body: &str) -> anyhow::Result<(u16, String)> {
    let resp = chatops_common::http::Http::new()
        .post(
            &format!("{}{path}", stack.alerts_url),
            &[
                ("authorization", auth),
                ("content-type", "application/json"),
            ],
            body.to_owned().into(),
            Duration::from_secs(10),
        )
        .await?;
    Ok((
        resp.status,
        String::from_utf8_lossy(&resp.body).into_owned(),
    ))
}

/// A CORS preflight for `/codec/decode` from `origin`; the raw response head.
async fn preflight(stack: &Stack, origin: &str) -> anyhow::Result<String> {
    let addr = stack.alerts_url.trim_start_matches("http://");
    let mut conn = tokio::net::TcpStream::connect(addr).await?;
    let request = format!(
        "OPTIONS /codec/decode HTTP/1.1\r\nHost: {addr}\r\nOrigin: {origin}\r\nAccess-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: authorization, content-type, x-namespace\r\nConnection: close\r\n\r\n"
    );
    conn.write_all(request.as_bytes()).await?;
    let mut response = String::new();
    tokio::time::timeout(Duration::from_secs(10), conn.read_to_string(&mut response)).await??;
    Ok(response)
}
