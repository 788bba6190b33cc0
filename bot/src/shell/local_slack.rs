//! A local Slack: the Web API methods and the Socket Mode protocol chatops uses, over real HTTP
//! and WebSocket, in Slack's documented shapes.
//!
//! The shell adapter runs the bot and the worker against it; tests use it as their Slack
//! stand-in. It records every call, message, edit, ack and ephemeral answer, and can push
//! envelopes, redeliveries and `disconnect` frames to the connected bot.

use axum::{
    Json, Router,
    body::Bytes,
    extract::{Path, State},
    http::HeaderMap,
    routing::{any, post},
};
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::sync::{broadcast, mpsc, watch};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message as WsMessage;

/// Team id of the local workspace.
pub const TEAM_ID: &str = "T0LOCAL";

/// How to start a [`LocalSlack`].
#[derive(Debug, Clone)]
pub struct Options {
    /// Where the Web API listens (`127.0.0.1:0` for any free port).
    pub api_listen: SocketAddr,
    /// The only bot token accepted.
    pub bot_token: String,
    /// The only app-level token accepted.
    pub app_token: String,
    /// Keep channel messages in this JSON file across restarts (the shell does; tests don't).
    pub state_file: Option<std::path::PathBuf>,
}

/// A message in a channel (a thread reply has `thread_ts`).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PostedMessage {
    /// Channel id.
    pub channel: String,
    /// Its id.
    pub ts: String,
    /// Root message of its thread, if a reply.
    pub thread_ts: Option<String>,
    /// Fallback text.
    pub text: String,
    /// Blocks, as posted.
    pub blocks: Value,
    /// How many times it was edited.
    pub edits: u32,
}

impl PostedMessage {
    /// The message as plain text, as a person would read it.
    pub fn rendered(&self) -> String {
        chatops_blocks::text::render(&self.text, Some(&self.blocks), 1).0
    }

    /// Its buttons.
    pub fn buttons(&self) -> Vec<chatops_blocks::text::Button> {
        chatops_blocks::text::render(&self.text, Some(&self.blocks), 1).1
    }
}

/// How an ephemeral answer arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    /// In the ack of this envelope.
    Ack(String),
    /// Posted to this response URL id.
    ResponseUrl(String),
    /// Through `chat.postEphemeral`.
    PostEphemeral,
}

/// An answer only one person sees.
#[derive(Debug, Clone, PartialEq)]
pub struct Ephemeral {
    /// How it arrived.
    pub via: Via,
    /// Fallback text.
    pub text: String,
    /// Blocks, if any.
    pub blocks: Value,
}

impl Ephemeral {
    /// The answer as plain text.
    pub fn rendered(&self) -> String {
        chatops_blocks::text::render(&self.text, Some(&self.blocks), 1).0
    }
}

/// An envelope acknowledgement from the bot.
#[derive(Debug, Clone, PartialEq)]
pub struct Ack {
    /// The envelope acknowledged.
    pub envelope_id: String,
    /// Its payload, if any.
    pub payload: Option<Value>,
    /// Time from handing the envelope to the socket to receiving its ack.
    pub latency: Option<Duration>,
}

/// One Web API call.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiCall {
    /// Method, e.g. `chat.postMessage`.
    pub method: String,
    /// Its arguments.
    pub body: Value,
}

/// Everything the local Slack has seen.
#[derive(Debug, Clone, Default)]
pub struct Recorded {
    /// Channel messages and thread replies, in posting order, edits applied.
    pub messages: Vec<PostedMessage>,
    /// Ephemeral answers, in arrival order.
    pub ephemerals: Vec<Ephemeral>,
    /// Acks, in arrival order.
    pub acks: Vec<Ack>,
    /// Web API calls, in arrival order.
    pub calls: Vec<ApiCall>,
    /// Socket Mode connections opened so far.
    pub connections_opened: u32,
}

impl Recorded {
    /// Root messages (cards) whose text contains `needle`.
    pub fn cards_mentioning(&self, needle: &str) -> Vec<&PostedMessage> {
        self.messages
            .iter()
            .filter(|m| m.thread_ts.is_none() && m.text.contains(needle))
            .collect()
    }

    /// Replies in the thread of `ts`.
    pub fn thread(&self, ts: &str) -> Vec<&PostedMessage> {
        self.messages
            .iter()
            .filter(|m| m.thread_ts.as_deref() == Some(ts))
            .collect()
    }

    /// How many calls of `method` were made.
    pub fn count(&self, method: &str) -> usize {
        self.calls.iter().filter(|c| c.method == method).count()
    }
}

/// Something a watcher (the shell) should show.
#[derive(Debug, Clone)]
pub enum Event {
    /// A new message or thread reply.
    Posted(PostedMessage),
    /// An edited message, after the edit.
    Updated(PostedMessage),
    /// An ephemeral answer.
    Ephemeral(Ephemeral),
}

/// A Socket Mode envelope to push to the bot.
#[derive(Debug, Clone)]
pub struct Envelope {
    /// Envelope id; a redelivery reuses it.
    pub id: String,
    /// `slash_commands`, `interactive` or `events_api`.
    pub kind: &'static str,
    /// The payload.
    pub payload: Value,
    /// Whether the ack may carry a response payload.
    pub accepts_response_payload: bool,
    /// 0 for the first delivery.
    pub retry_attempt: u32,
}

impl Envelope {
    /// The same envelope, as Slack redelivers it after a missing ack.
    pub fn redelivery(&self) -> Self {
        Self {
            retry_attempt: self.retry_attempt + 1,
            ..self.clone()
        }
    }

    fn frame(&self) -> String {
        json!({
            "envelope_id": self.id,
            "type": self.kind,
            "payload": self.payload,
            "accepts_response_payload": self.accepts_response_payload,
            "retry_attempt": self.retry_attempt,
            "retry_reason": if self.retry_attempt > 0 { "timeout" } else { "" },
        })
        .to_string()
    }
}

struct Socket {
    id: u64,
    tx: mpsc::UnboundedSender<WsMessage>,
}

struct Inner {
    opts: Options,
    api_addr: SocketAddr,
    ws_addr: SocketAddr,
    rec: Mutex<Recorded>,
    version: watch::Sender<u64>,
    sockets: Mutex<Vec<Socket>>,
    sent: Mutex<HashMap<String, Instant>>,
    seq: AtomicU64,
    /// Makes trigger ids unique across restarts, as Slack's are.
    nonce: u128,
    events: broadcast::Sender<Event>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

/// A running local Slack. Dropping it stops its servers.
pub struct LocalSlack {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for LocalSlack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalSlack")
            .field("api", &self.inner.api_addr)
            .field("ws", &self.inner.ws_addr)
            .finish()
    }
}

impl Drop for LocalSlack {
    fn drop(&mut self) {
        for task in lock(&self.inner.tasks).drain(..) {
            task.abort();
        }
    }
}

impl LocalSlack {
    /// Binds the Web API on `opts.api_listen` and Socket Mode on a free loopback port.
    pub async fn start(opts: Options) -> std::io::Result<Self> {
        let api = TcpListener::bind(opts.api_listen).await?;
        let ws = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
        let messages = load_messages(opts.state_file.as_deref())?;
        let next_seq = messages
            .iter()
            .filter_map(|m| m.ts.rsplit('.').next().and_then(|n| n.parse::<u64>().ok()))
            .max()
            .unwrap_or(0)
            + 1;
        let inner = Arc::new(Inner {
            api_addr: api.local_addr()?,
            ws_addr: ws.local_addr()?,
            opts,
            rec: Mutex::new(Recorded {
                messages,
                ..Recorded::default()
            }),
            version: watch::channel(0).0,
            sockets: Mutex::new(Vec::new()),
            sent: Mutex::new(HashMap::new()),
            seq: AtomicU64::new(next_seq),
            nonce: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
            events: broadcast::channel(1024).0,
            tasks: Mutex::new(Vec::new()),
        });
        let router = Router::new()
            .route("/api/{method}", any(api_method))
            .route("/response/{id}", post(response_url))
            .with_state(inner.clone());
        let http = tokio::spawn(async move {
            if let Err(e) = axum::serve(api, router).await {
                tracing::error!(error = %e, "local Slack Web API stopped");
            }
        });
        let ws_inner = inner.clone();
        let sockets = tokio::spawn(async move {
            while let Ok((stream, _)) = ws.accept().await {
                let inner = ws_inner.clone();
                let task = tokio::spawn(serve_socket(inner, stream));
                lock(&ws_inner.tasks).push(task);
            }
        });
        lock(&inner.tasks).extend([http, sockets]);
        Ok(Self { inner })
    }

    /// Web API base URL, e.g. `http://127.0.0.1:7399/api` (what `CHATOPS__SLACK__API_URL` takes).
    pub fn api_url(&self) -> String {
        format!("http://{}/api", self.inner.api_addr)
    }

    /// A copy of everything recorded so far.
    pub fn recorded(&self) -> Recorded {
        lock(&self.inner.rec).clone()
    }

    /// Live feed of messages, edits and ephemeral answers.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.inner.events.subscribe()
    }

    /// Waits until `check` finds what it looks for in the recording, or fails after `timeout`
    /// with `what` and a summary of the recording.
    pub async fn wait_for<T>(
        &self,
        what: &str,
        timeout: Duration,
        mut check: impl FnMut(&Recorded) -> Option<T>,
    ) -> anyhow::Result<T> {
        let mut changes = self.inner.version.subscribe();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if let Some(found) = check(&lock(&self.inner.rec)) {
                return Ok(found);
            }
            match tokio::time::timeout_at(deadline, changes.changed()).await {
                Ok(Ok(())) => {}
                _ => {
                    let rec = self.recorded();
                    let messages: Vec<String> = rec.messages.iter().map(|m| m.rendered()).collect();
                    let ephemerals: Vec<String> =
                        rec.ephemerals.iter().map(Ephemeral::rendered).collect();
                    anyhow::bail!(
                        "timed out after {timeout:?} waiting for {what}\nmessages: {messages:#?}\nephemerals: {ephemerals:#?}\nacks: {}",
                        rec.acks.len()
                    );
                }
            }
        }
    }

    /// How many Socket Mode connections are open now.
    pub fn open_connections(&self) -> usize {
        lock(&self.inner.sockets).len()
    }

    /// Waits until `n` Socket Mode connections are open.
    pub async fn wait_connected(&self, n: usize, timeout: Duration) -> anyhow::Result<()> {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut changes = self.inner.version.subscribe();
        while lock(&self.inner.sockets).len() < n {
            if tokio::time::timeout_at(deadline, changes.changed())
                .await
                .is_err()
            {
                anyhow::bail!(
                    "no Socket Mode connection after {timeout:?}: is the bot running against {}?",
                    self.api_url()
                );
            }
        }
        Ok(())
    }

    /// A `/command text` envelope from `user` in `channel`, with a fresh trigger id.
    pub fn slash_command(&self, command: &str, text: &str, user: &str, channel: &str) -> Envelope {
        let n = self.next();
        let payload = json!({
            "token": "local",
            "team_id": TEAM_ID,
            "team_domain": "local",
            "channel_id": channel,
            "channel_name": "local",
            "user_id": user,
            "user_name": user,
            "command": command,
            "text": text,
            "api_app_id": "A0LOCAL",
            "is_enterprise_install": "false",
            "response_url": format!("http://{}/response/{n}", self.inner.api_addr),
            "trigger_id": format!("{n}.{}.local", self.inner.nonce),
        });
        self.envelope("slash_commands", payload, true)
    }

    /// A `block_actions` envelope: `user` pressed `button` on `message`.
    pub fn button_press(
        &self,
        user: &str,
        message: &PostedMessage,
        button: &chatops_blocks::text::Button,
    ) -> Envelope {
        let n = self.next();
        let payload = json!({
            "type": "block_actions",
            "team": {"id": TEAM_ID, "domain": "local"},
            "user": {"id": user, "username": user, "name": user, "team_id": TEAM_ID},
            "api_app_id": "A0LOCAL",
            "token": "local",
            "container": {"type": "message", "message_ts": message.ts, "channel_id": message.channel, "is_ephemeral": false},
            "trigger_id": format!("{n}.{}.local", self.inner.nonce),
            "channel": {"id": message.channel, "name": "local"},
            "message": {"type": "message", "ts": message.ts, "thread_ts": message.thread_ts, "text": message.text, "blocks": message.blocks},
            "response_url": format!("http://{}/response/{n}", self.inner.api_addr),
            "actions": [{
                "type": "button",
                "action_id": button.action_id,
                "block_id": button.block_id.clone().unwrap_or_else(|| "block".into()),
                "value": button.value,
                "text": {"type": "plain_text", "text": button.label},
                "action_ts": format!("{n}.000000"),
            }],
            "state": {"values": {}},
        });
        self.envelope("interactive", payload, false)
    }

    /// An envelope of `kind` around `payload`.
    pub fn envelope(
        &self,
        kind: &'static str,
        payload: Value,
        accepts_response_payload: bool,
    ) -> Envelope {
        let n = self.next();
        Envelope {
            id: format!("local-envelope-{n}"),
            kind,
            payload,
            accepts_response_payload,
            retry_attempt: 0,
        }
    }

    /// Pushes `envelope` down one open connection (round robin).
    pub fn send(&self, envelope: &Envelope) -> anyhow::Result<()> {
        let sockets = lock(&self.inner.sockets);
        anyhow::ensure!(!sockets.is_empty(), "no Socket Mode connection is open");
        let pick = usize::try_from(self.next()).unwrap_or_default() % sockets.len();
        lock(&self.inner.sent).insert(envelope.id.clone(), Instant::now());
        sockets[pick]
            .tx
            .send(WsMessage::text(envelope.frame()))
            .map_err(|_| anyhow::anyhow!("the connection closed"))
    }

    /// Sends `envelope` and waits for its ack.
    pub async fn send_and_ack(
        &self,
        envelope: &Envelope,
        timeout: Duration,
    ) -> anyhow::Result<Ack> {
        let id = envelope.id.clone();
        // Count earlier acks of this id (redeliveries) before sending: the ack can beat us back.
        let seen = lock(&self.inner.rec)
            .acks
            .iter()
            .filter(|a| a.envelope_id == id)
            .count();
        self.send(envelope)?;
        self.wait_for(&format!("the ack of {id}"), timeout, |r| {
            r.acks
                .iter()
                .filter(|a| a.envelope_id == id)
                .nth(seen)
                .cloned()
        })
        .await
    }

    /// Sends a `disconnect` frame with `reason` to every open connection and, as Slack does,
    /// closes each of them after `grace` (clients are expected to have reconnected by then).
    pub fn disconnect_all(&self, reason: &str, grace: Duration) {
        let frame =
            json!({"type": "disconnect", "reason": reason, "debug_info": {"host": "local-slack"}})
                .to_string();
        for s in lock(&self.inner.sockets).iter() {
            let _ = s.tx.send(WsMessage::text(frame.clone()));
            let tx = s.tx.clone();
            let closer = tokio::spawn(async move {
                tokio::time::sleep(grace).await;
                let _ = tx.send(WsMessage::Close(None));
            });
            lock(&self.inner.tasks).push(closer);
        }
    }

    fn next(&self) -> u64 {
        self.inner.seq.fetch_add(1, Ordering::Relaxed)
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Inner {
    fn record(&self, f: impl FnOnce(&mut Recorded) -> Option<Event>) {
        let event = {
            let mut rec = lock(&self.rec);
            let event = f(&mut rec);
            if let (Some(path), Some(Event::Posted(_) | Event::Updated(_))) =
                (&self.opts.state_file, &event)
            {
                save_messages(path, &rec.messages);
            }
            event
        };
        self.version.send_modify(|v| *v += 1);
        if let Some(event) = event {
            let _ = self.events.send(event);
        }
    }

    fn next_ts(&self) -> String {
        format!("1700000000.{:06}", self.seq.fetch_add(1, Ordering::Relaxed))
    }
}

async fn serve_socket(inner: Arc<Inner>, stream: tokio::net::TcpStream) {
    let Ok(ws) = tokio_tungstenite::accept_async(stream).await else {
        return;
    };
    let (mut sink, mut source) = ws.split();
    let (tx, mut rx) = mpsc::unbounded_channel::<WsMessage>();
    let id = inner.seq.fetch_add(1, Ordering::Relaxed);
    let hello = json!({
        "type": "hello",
        "num_connections": lock(&inner.sockets).len() + 1,
        "connection_info": {"app_id": "A0LOCAL"},
        "debug_info": {"host": "local-slack", "build_number": 1, "approximate_connection_time": 3600},
    });
    if sink.send(WsMessage::text(hello.to_string())).await.is_err() {
        return;
    }
    lock(&inner.sockets).push(Socket { id, tx });
    inner.record(|r| {
        r.connections_opened += 1;
        None
    });
    let writer = async {
        while let Some(msg) = rx.recv().await {
            let closing = matches!(msg, WsMessage::Close(_));
            if sink.send(msg).await.is_err() || closing {
                break;
            }
        }
    };
    let reader = async {
        while let Some(Ok(msg)) = source.next().await {
            let WsMessage::Text(text) = msg else {
                if matches!(msg, WsMessage::Close(_)) {
                    break;
                }
                continue;
            };
            let Ok(frame) = serde_json::from_str::<Value>(&text) else {
                tracing::warn!(frame = %text, "local Slack got a frame that is not JSON");
                continue;
            };
            let Some(envelope_id) = frame
                .get("envelope_id")
                .and_then(Value::as_str)
                .map(str::to_owned)
            else {
                continue;
            };
            let latency = lock(&inner.sent).get(&envelope_id).map(Instant::elapsed);
            let payload = frame.get("payload").cloned();
            inner.record(|r| {
                r.acks.push(Ack {
                    envelope_id: envelope_id.clone(),
                    payload: payload.clone(),
                    latency,
                });
                let payload =
                    payload.filter(|p| p.get("text").is_some() || p.get("blocks").is_some())?;
                let eph = Ephemeral {
                    via: Via::Ack(envelope_id),
                    text: payload
                        .get("text")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned(),
                    blocks: payload.get("blocks").cloned().unwrap_or(Value::Null),
                };
                r.ephemerals.push(eph.clone());
                Some(Event::Ephemeral(eph))
            });
        }
    };
    tokio::select! {
        () = writer => {}
        () = reader => {}
    }
    lock(&inner.sockets).retain(|s| s.id != id);
    inner.record(|_| None);
}

async fn api_method(
    State(inner): State<Arc<Inner>>,
    Path(method): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Json<Value> {
    let args = parse_body(&headers, &body);
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_owned)
        .or_else(|| args.get("token").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_default();
    inner.record(|r| {
        r.calls.push(ApiCall {
            method: method.clone(),
            body: args.clone(),
        });
        None
    });
    let expected = if method == "apps.connections.open" {
        &inner.opts.app_token
    } else {
        &inner.opts.bot_token
    };
    if token.is_empty() {
        return Json(json!({"ok": false, "error": "not_authed"}));
    }
    if &token != expected {
        return Json(json!({"ok": false, "error": "invalid_auth"}));
    }
    let str_arg = |k: &str| args.get(k).and_then(Value::as_str).map(str::to_owned);
    let blocks_arg = || match args.get("blocks") {
        Some(Value::String(s)) => serde_json::from_str(s).unwrap_or(Value::Null),
        Some(v) => v.clone(),
        None => Value::Null,
    };
    Json(match method.as_str() {
        "auth.test" => json!({
            "ok": true, "url": "http://local-slack/", "team": "Local", "user": "chatops",
            "team_id": TEAM_ID, "user_id": "U0BOT", "bot_id": "B0BOT"
        }),
        "apps.connections.open" => {
            json!({"ok": true, "url": format!("ws://{}/link/?ticket=local", inner.ws_addr)})
        }
        "chat.postMessage" => {
            let Some(channel) = str_arg("channel") else {
                return Json(json!({"ok": false, "error": "channel_not_found"}));
            };
            let msg = PostedMessage {
                channel: channel.clone(),
                ts: inner.next_ts(),
                thread_ts: str_arg("thread_ts"),
                text: str_arg("text").unwrap_or_default(),
                blocks: blocks_arg(),
                edits: 0,
            };
            let reply = json!({
                "ok": true, "channel": channel, "ts": msg.ts,
                "message": {"type": "message", "ts": msg.ts, "text": msg.text, "bot_id": "B0BOT", "thread_ts": msg.thread_ts}
            });
            inner.record(|r| {
                r.messages.push(msg.clone());
                Some(Event::Posted(msg))
            });
            reply
        }
        "chat.update" => {
            let (Some(channel), Some(ts)) = (str_arg("channel"), str_arg("ts")) else {
                return Json(json!({"ok": false, "error": "message_not_found"}));
            };
            let mut found = false;
            inner.record(|r| {
                let m = r
                    .messages
                    .iter_mut()
                    .find(|m| m.channel == channel && m.ts == ts)?;
                m.text = str_arg("text").unwrap_or_default();
                m.blocks = blocks_arg();
                m.edits += 1;
                found = true;
                Some(Event::Updated(m.clone()))
            });
            if found {
                json!({
                    "ok": true, "channel": channel, "ts": ts, "text": str_arg("text").unwrap_or_default(),
                    "message": {"type": "message", "ts": ts, "text": str_arg("text").unwrap_or_default(), "bot_id": "B0BOT"}
                })
            } else {
                json!({"ok": false, "error": "message_not_found"})
            }
        }
        "chat.postEphemeral" => {
            let eph = Ephemeral {
                via: Via::PostEphemeral,
                text: str_arg("text").unwrap_or_default(),
                blocks: blocks_arg(),
            };
            inner.record(|r| {
                r.ephemerals.push(eph.clone());
                Some(Event::Ephemeral(eph))
            });
            json!({"ok": true, "message_ts": inner.next_ts()})
        }
        _ => json!({"ok": false, "error": "unknown_method"}),
    })
}

async fn response_url(
    State(inner): State<Arc<Inner>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Json<Value> {
    let args = parse_body(&headers, &body);
    let eph = Ephemeral {
        via: Via::ResponseUrl(id),
        text: args
            .get("text")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        blocks: args.get("blocks").cloned().unwrap_or(Value::Null),
    };
    inner.record(|r| {
        r.calls.push(ApiCall {
            method: "response_url".into(),
            body: args.clone(),
        });
        r.ephemerals.push(eph.clone());
        Some(Event::Ephemeral(eph))
    });
    Json(json!({"ok": true}))
}

fn load_messages(path: Option<&std::path::Path>) -> std::io::Result<Vec<PostedMessage>> {
    let Some(path) = path.filter(|p| p.exists()) else {
        return Ok(Vec::new());
    };
    let text = std::fs::read_to_string(path)?;
    serde_json::from_str(&text).map_err(|e| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("{} is not a message list: {e}", path.display()),
        )
    })
}

fn save_messages(path: &std::path::Path, messages: &[PostedMessage]) {
    let tmp = path.with_extension("tmp");
    let written = serde_json::to_vec(messages)
        .map_err(std::io::Error::other)
        .and_then(|bytes| std::fs::write(&tmp, bytes))
        .and_then(|()| std::fs::rename(&tmp, path));
    if let Err(e) = written {
        tracing::warn!(path = %path.display(), error = %e, "could not save the shell's messages");
    }
}

/// JSON bodies as they are; form bodies as an object of strings; anything else as `{}`.
fn parse_body(headers: &HeaderMap, body: &[u8]) -> Value {
    let form = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"));
    if form {
        let map: serde_json::Map<String, Value> = url::form_urlencoded::parse(body)
            .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
            .collect();
        return Value::Object(map);
    }
    serde_json::from_slice(body).unwrap_or_else(|_| json!({}))
}
