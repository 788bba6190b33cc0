//! A local Slack: the Web API methods and the Socket Mode protocol chatops uses, over real HTTP
//! and WebSocket, in Slack's documented shapes.
//!
//! The shell adapter runs the bot and the worker against it; tests use it as their Slack
//! stand-in. It records every call, message, edit, ack and ephemeral answer, and can push
//! envelopes, redeliveries and `disconnect` frames to the connected bot.
//!
//! Over 400 lines because `LocalSlack` is one stateful stand-in whose methods (start, push
//! envelopes and presses, read what was recorded) share one lock-guarded state; the wire halves
//! already live in `web_api`, `socket` and `recorded`.

mod history;
mod recorded;
mod socket;
mod web_api;

pub use recorded::{Ack, ApiCall, Ephemeral, Event, PostedMessage, Recorded, RecordedView, Via};

use recorded::{load_messages, save_messages};
use socket::serve_socket;
use web_api::{api_method, response_url};

use axum::{
    Router,
    routing::{any, post},
};
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

/// How long a trigger id can open a modal, as on Slack.
pub const TRIGGER_TTL: Duration = Duration::from_secs(3);

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
    /// User groups `usergroups.users.list` answers for: group id → member user ids.
    pub user_groups: std::collections::BTreeMap<String, Vec<String>>,
    /// The bot token's scopes (`x-oauth-scopes`); the manifest's when `None`.
    pub scopes: Option<String>,
    /// Answer this many `chat.postMessage` calls with 429 and `Retry-After: 1` first.
    pub rate_limited_posts: u32,
    /// Channels that do not exist: posting there answers `channel_not_found`.
    pub missing_channels: Vec<String>,
    /// Private channels and their members (`conversations.info` says `is_private`,
    /// `conversations.members` lists them); every other channel is public.
    pub private_channels: std::collections::BTreeMap<String, Vec<String>>,
    /// Enforce Slack's per-channel write rate: each channel may take this many
    /// `chat.postMessage` (and, separately, `chat.update`) calls at once, then one per second;
    /// a call over the limit is answered 429 with `Retry-After`. `None`: no limit.
    pub channel_rate_limit: Option<u32>,
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
    /// Told to disconnect: Slack routes no new envelopes to it.
    draining: bool,
}

struct Inner {
    opts: Options,
    api_addr: SocketAddr,
    ws_addr: SocketAddr,
    rec: Mutex<Recorded>,
    version: watch::Sender<u64>,
    sockets: Mutex<Vec<Socket>>,
    sent: Mutex<HashMap<String, Instant>>,
    /// Trigger ids handed out, with when and whether one opened a view: `views.open` honours
    /// each once, for [`TRIGGER_TTL`].
    triggers: Mutex<HashMap<String, (Instant, bool)>>,
    /// Per (method, channel) write budgets: tokens left and when last counted.
    budgets: Mutex<HashMap<(String, String), (f64, Instant)>>,
    /// 429s still to give (see [`Options::rate_limited_posts`]).
    throttle: std::sync::atomic::AtomicU32,
    /// While set, `chat.postMessage` and `chat.update` answer 503 (see [`LocalSlack::set_outage`]).
    outage: std::sync::atomic::AtomicBool,
    /// Posts still to make whose answer is lost (see [`LocalSlack::lose_post_answers`]).
    lost_answers: std::sync::atomic::AtomicU32,
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
        let throttled_posts = opts.rate_limited_posts;
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
            triggers: Mutex::new(HashMap::new()),
            budgets: Mutex::new(HashMap::new()),
            throttle: std::sync::atomic::AtomicU32::new(throttled_posts),
            outage: std::sync::atomic::AtomicBool::new(false),
            lost_answers: std::sync::atomic::AtomicU32::new(0),
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

    /// Starts (`true`) or ends an outage: meanwhile every `chat.postMessage` and `chat.update`
    /// is answered `503 Service Unavailable`, as Slack does when it is down, and posts nothing.
    pub fn set_outage(&self, down: bool) {
        self.inner
            .outage
            .store(down, std::sync::atomic::Ordering::SeqCst);
    }

    /// The next `n` `chat.postMessage` calls that would succeed post their message, then
    /// answer `500` instead of the message's `ts`: the caller cannot tell that Slack has it.
    pub fn lose_post_answers(&self, n: u32) {
        self.inner
            .lost_answers
            .store(n, std::sync::atomic::Ordering::SeqCst);
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

    /// Puts a message in `channel` as if posted earlier (no Web API call, no rate limit).
    pub fn seed_message(&self, channel: &str, text: &str) -> PostedMessage {
        let msg = PostedMessage {
            channel: channel.to_owned(),
            ts: self.inner.next_ts(),
            thread_ts: None,
            text: text.to_owned(),
            blocks: Value::Null,
            edits: 0,
            metadata: None,
        };
        self.inner.record(|r| {
            r.messages.push(msg.clone());
            None
        });
        msg
    }

    /// Sends a `disconnect` frame with `reason` to the open connection `index` (in opening
    /// order, counting only those not already told) and closes it after `grace`, as Slack
    /// refreshes one connection at a time. `false` when there is no such connection.
    pub fn disconnect_one(&self, index: usize, reason: &str, grace: Duration) -> bool {
        let frame =
            json!({"type": "disconnect", "reason": reason, "debug_info": {"host": "local-slack"}})
                .to_string();
        let mut sockets = lock(&self.inner.sockets);
        let Some(s) = sockets.iter_mut().filter(|s| !s.draining).nth(index) else {
            return false;
        };
        s.draining = true;
        let _ = s.tx.send(WsMessage::text(frame));
        let tx = s.tx.clone();
        let closer = tokio::spawn(async move {
            tokio::time::sleep(grace).await;
            let _ = tx.send(WsMessage::Close(None));
        });
        lock(&self.inner.tasks).push(closer);
        true
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
            "trigger_id": self.trigger(n),
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
            "trigger_id": self.trigger(n),
            "channel": {"id": message.channel, "name": "local"},
            "message": {"type": "message", "ts": message.ts, "thread_ts": message.thread_ts, "text": message.text, "blocks": message.blocks},
            "response_url": format!("http://{}/response/{n}", self.inner.api_addr),
            "actions": [pressed(button, n)],
            "state": {"values": {}},
        });
        self.envelope("interactive", payload, false)
    }

    /// A `view_submission` envelope: `user` submitted modal `view` with `values`
    /// (`{block_id: {action_id: value}}`, as in the view's `state.values`).
    pub fn submit_view(&self, user: &str, view: &RecordedView, values: Value) -> Envelope {
        let n = self.next();
        let stateful = stateful(view, n, values);
        let payload = json!({
            "type": "view_submission",
            "team": {"id": TEAM_ID, "domain": "local"},
            "user": {"id": user, "username": user, "name": user, "team_id": TEAM_ID},
            "api_app_id": "A0LOCAL",
            "token": "local",
            "trigger_id": self.trigger(n),
            "view": stateful,
            "response_urls": [],
        });
        self.envelope("interactive", payload, true)
    }

    /// An `app_home_opened` event envelope for `user`, with a fresh `event_id`.
    pub fn app_home_opened(&self, user: &str) -> Envelope {
        let n = self.next();
        let payload = json!({
            "token": "local",
            "team_id": TEAM_ID,
            "api_app_id": "A0LOCAL",
            "type": "event_callback",
            "event_id": format!("Ev{n:08}"),
            "event_time": 1_700_000_000 + n,
            "event": {
                "type": "app_home_opened",
                "user": user,
                "channel": format!("D{user}"),
                "tab": "home",
                "event_ts": format!("1700000000.{n:06}"),
            },
        });
        self.envelope("events_api", payload, false)
    }

    /// A `block_actions` envelope: `user` pressed `button` in their App Home tab `view`.
    pub fn home_button_press(
        &self,
        user: &str,
        view: &RecordedView,
        button: &chatops_blocks::text::Button,
    ) -> Envelope {
        let n = self.next();
        let stateful = stateful(view, n, json!({}));
        let payload = json!({
            "type": "block_actions",
            "team": {"id": TEAM_ID, "domain": "local"},
            "user": {"id": user, "username": user, "name": user, "team_id": TEAM_ID},
            "api_app_id": "A0LOCAL",
            "token": "local",
            "container": {"type": "view", "view_id": view.id},
            "trigger_id": self.trigger(n),
            "view": stateful,
            "actions": [pressed(button, n)],
            "state": {"values": {}},
        });
        self.envelope("interactive", payload, false)
    }

    /// A trigger id, recorded as handed out now.
    fn trigger(&self, n: u64) -> String {
        let id = format!("{n}.{}.local", self.inner.nonce);
        lock(&self.inner.triggers).insert(id.clone(), (Instant::now(), false));
        id
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
        let all = lock(&self.inner.sockets);
        // Slack routes nothing to a connection it has told to disconnect.
        let sockets: Vec<&Socket> = all.iter().filter(|s| !s.draining).collect();
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
        for s in lock(&self.inner.sockets).iter_mut() {
            s.draining = true;
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

/// `view` as Slack sends it back in a payload: with its id, team, hash and input `values`.
fn stateful(view: &RecordedView, n: u64, values: Value) -> Value {
    let mut stateful = view.view.clone();
    if let Value::Object(map) = &mut stateful {
        map.insert("id".into(), json!(view.id));
        map.insert("team_id".into(), json!(TEAM_ID));
        map.insert("hash".into(), json!(format!("{n}.hash")));
        map.insert("state".into(), json!({"values": values}));
        map.insert("app_id".into(), json!("A0LOCAL"));
        map.insert("bot_id".into(), json!("B0BOT"));
    }
    stateful
}

/// The `actions` entry of a press of `button`.
fn pressed(button: &chatops_blocks::text::Button, n: u64) -> Value {
    json!({
        "type": "button",
        "action_id": button.action_id,
        "block_id": button.block_id.clone().unwrap_or_else(|| "block".into()),
        "value": button.value,
        "text": {"type": "plain_text", "text": button.label},
        "action_ts": format!("{n}.000000"),
    })
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

    /// Takes one write from `channel`'s budget for `method`; `Err` holds how long until one
    /// is free. Slack's limit is approximate: 50 ms early is let through.
    fn take_budget(&self, method: &str, channel: &str) -> Result<(), Duration> {
        let Some(burst) = self.opts.channel_rate_limit else {
            return Ok(());
        };
        let burst = f64::from(burst.max(1));
        let now = Instant::now();
        let mut budgets = lock(&self.budgets);
        let (tokens, at) = budgets
            .entry((method.to_owned(), channel.to_owned()))
            .or_insert((burst, now));
        let refilled = (*tokens + now.duration_since(*at).as_secs_f64()).min(burst);
        *at = now;
        if refilled >= 1.0 - 0.05 {
            *tokens = refilled - 1.0;
            Ok(())
        } else {
            *tokens = refilled;
            Err(Duration::from_secs_f64(1.0 - refilled))
        }
    }

    /// Seconds of the wall clock, as Slack's are (callers bound `conversations.history` by
    /// time), and a counter that keeps every ts unique and increasing.
    fn next_ts(&self) -> String {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        format!("{secs}.{:06}", self.seq.fetch_add(1, Ordering::Relaxed))
    }
}
