//! What the local Slack records, and how its channel's messages persist.

use serde_json::Value;
use std::time::Duration;

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
    /// Its message metadata (`{event_type, event_payload}`), when posted with some.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Value>,
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
    /// An answer from a Slack message body (`text`, `blocks`), however it arrived.
    pub(super) fn from_message(via: Via, message: &Value) -> Self {
        let text = message
            .get("text")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        Self {
            via,
            text,
            blocks: blocks_of(message),
        }
    }

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

/// A view the bot opened (`views.open`) or published (`views.publish`).
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedView {
    /// `views.open` or `views.publish`.
    pub method: String,
    /// The view id Slack gave it.
    pub id: String,
    /// Whose App Home it is (`views.publish`).
    pub user: Option<String>,
    /// The view, as sent.
    pub view: Value,
}

impl RecordedView {
    /// The view as plain text, as a person would read it.
    pub fn rendered(&self) -> String {
        chatops_blocks::text::render("", self.view.get("blocks"), 1).0
    }

    /// Its buttons.
    pub fn buttons(&self) -> Vec<chatops_blocks::text::Button> {
        chatops_blocks::text::render("", self.view.get("blocks"), 1).1
    }
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
    /// Views opened and published, in order.
    pub views: Vec<RecordedView>,
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
    /// A modal opened or an App Home tab published.
    View(RecordedView),
}

pub(super) fn load_messages(path: Option<&std::path::Path>) -> std::io::Result<Vec<PostedMessage>> {
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

pub(super) fn save_messages(path: &std::path::Path, messages: &[PostedMessage]) {
    let tmp = path.with_extension("tmp");
    let written = serde_json::to_vec(messages)
        .map_err(std::io::Error::other)
        .and_then(|bytes| std::fs::write(&tmp, bytes))
        .and_then(|()| std::fs::rename(&tmp, path));
    if let Err(e) = written {
        tracing::warn!(path = %path.display(), error = %e, "could not save the shell's messages");
    }
}

/// A message's `blocks`: a JSON array, or a string holding one (form-encoded calls).
pub(super) fn blocks_of(message: &Value) -> Value {
    match message.get("blocks") {
        Some(Value::String(s)) => serde_json::from_str(s).unwrap_or(Value::Null),
        Some(v) => v.clone(),
        None => Value::Null,
    }
}
