//! Every Slack write of the worker, paced, classified and coalesced.

use chatops_common::slack::Client;
use secrecy::{ExposeSecret, SecretString};
use slack_morphism::errors::SlackClientError;
use slack_morphism::prelude::*;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use temporalio_common::error::ApplicationFailure;
use temporalio_sdk::activities::ActivityError;

use super::once::{self, PostKey};
use super::pacer::Pacer;
use super::{PostMessage, UpdateMessage};

/// Longest a post waits for its slot inside one activity attempt (the attempt has 15 s).
const MAX_PACING_WAIT: Duration = Duration::from_secs(8);

/// Why a Slack write did not go through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendError {
    /// The channel's budget is spent for longer than one attempt should wait: come back after.
    Busy(Duration),
    /// Slack answered 429: come back after its `Retry-After`.
    RateLimited(Duration, String),
    /// Slack will answer the same however often it is asked (`channel_not_found`, …).
    Permanent(String),
    /// Worth another try (5xx, network).
    Transient(String),
}

impl SendError {
    /// When to come back, if Slack or the pacer said.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Busy(d) | Self::RateLimited(d, _) => Some(*d),
            Self::Permanent(_) | Self::Transient(_) => None,
        }
    }
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Busy(d) => write!(f, "the channel is busy; posting in {d:?}"),
            Self::RateLimited(_, text) | Self::Permanent(text) | Self::Transient(text) => {
                f.write_str(text)
            }
        }
    }
}

impl std::error::Error for SendError {}

impl SendError {
    /// The activity failure Temporal should see: retried after the delay when there is one,
    /// never retried when permanent.
    pub fn into_activity_error(self) -> ActivityError {
        let text = self.to_string();
        match self {
            // Temporal comes back when Slack (or the pacer) said, not after its own backoff.
            SendError::Busy(d) | SendError::RateLimited(d, _) => ActivityError::application(
                ApplicationFailure::builder(std::io::Error::other(text))
                    .next_retry_delay(d)
                    .build(),
            ),
            SendError::Permanent(_) => ActivityError::application(
                ApplicationFailure::non_retryable(std::io::Error::other(text)),
            ),
            SendError::Transient(_) => {
                ActivityError::application(ApplicationFailure::new(std::io::Error::other(text)))
            }
        }
    }
}

/// What became of an edit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edited {
    /// Slack has it (and any older edit of the same message waiting with it).
    Sent,
    /// A newer edit of the same message was sent in its place.
    Superseded,
}

/// The edits of one message: their numbering and the newest content. Sends of one message
/// happen one at a time (`sending`), each carrying the newest content at that moment.
#[derive(Default)]
struct Card {
    state: std::sync::Mutex<CardState>,
    sending: tokio::sync::Mutex<()>,
}

#[derive(Default)]
struct CardState {
    /// Number of the newest edit asked for.
    latest: u64,
    /// Number of the newest edit Slack has.
    shown: u64,
    /// Content of the newest edit asked for.
    newest: Option<UpdateMessage>,
}

/// Every Slack write of the worker: paced per channel, 429s turned into "come back after
/// Retry-After", permanent errors told apart from transient ones, and successive edits of one
/// message coalesced (one in flight, always the newest).
pub struct Sender {
    client: Arc<Client>,
    token: SlackApiToken,
    pacer: std::sync::Mutex<Pacer>,
    cards: std::sync::Mutex<HashMap<(String, String), Arc<Card>>>,
}

impl std::fmt::Debug for Sender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sender").finish_non_exhaustive()
    }
}

impl Sender {
    /// Writes through `client` with `bot_token`, at most `burst` writes per channel at once
    /// and then about one per second.
    pub fn new(client: Arc<Client>, bot_token: &SecretString, burst: u32) -> Self {
        Self {
            client,
            token: SlackApiToken::new(bot_token.expose_secret().into()),
            pacer: std::sync::Mutex::new(Pacer::new(burst)),
            cards: std::sync::Mutex::new(HashMap::new()),
        }
    }

    /// Waits for a slot in `bucket`'s budget (a channel's posts, or its edits), or hands the
    /// wait back when it is too long.
    async fn pace(&self, bucket: &str) -> Result<(), SendError> {
        let wait = self
            .pacer
            .lock()
            .map(|mut p| p.take(bucket, Instant::now()))
            .unwrap_or_default();
        if wait > MAX_PACING_WAIT {
            // Too long to hold inside one attempt: give the slot back and come back when due.
            self.refund(bucket);
            return Err(SendError::Busy(wait));
        }
        if !wait.is_zero() {
            tracing::debug!(bucket, ?wait, "pacing a write to Slack's per-channel rate");
            let depth = &chatops_common::metrics::get().slack_queue_depth;
            depth.inc();
            tokio::time::sleep(wait).await;
            depth.dec();
        }
        Ok(())
    }

    /// Slack said to wait `after` (a 429): nothing more goes to `bucket` before then.
    fn hold(&self, bucket: &str, after: Duration) {
        if let Ok(mut p) = self.pacer.lock() {
            p.hold(bucket, after, Instant::now());
        }
    }

    fn refund(&self, channel: &str) {
        if let Ok(mut p) = self.pacer.lock() {
            p.refund(channel);
        }
    }

    /// Posts a message; returns its `ts`. With a `key`, the message carries it in its metadata,
    /// and a retry first looks for a message carrying it: when an earlier attempt posted but
    /// never heard back, that message's `ts` is the answer and nothing is posted again.
    pub async fn post(&self, msg: PostMessage, key: Option<&PostKey>) -> Result<String, SendError> {
        if let Some(key) = key.filter(|k| k.retry) {
            match once::find(&self.client, &self.token, &msg, key).await {
                Ok(Some(ts)) => {
                    tracing::info!(channel = %msg.channel, %ts, key = %key.key, "an earlier attempt posted this; not posting again");
                    return Ok(ts);
                }
                Ok(None) => {}
                // Without history (a missing scope, say) nothing tells a lost answer from a
                // lost post: posting again may double it, not posting may lose it.
                Err(SendError::Permanent(e)) => {
                    tracing::warn!(channel = %msg.channel, error = %e, "cannot look for an earlier attempt's post; posting again");
                }
                Err(e) => return Err(e),
            }
        }
        self.pace(&msg.channel).await?;
        let session = self.client.open_session(&self.token);
        let content = SlackMessageContent::new()
            .with_text(msg.text)
            .with_blocks(msg.blocks)
            .opt_metadata(key.map(PostKey::metadata));
        let req = SlackApiChatPostMessageRequest::new(msg.channel.clone().into(), content)
            .opt_thread_ts(msg.thread_ts.map(SlackTs));
        let resp = session.chat_post_message(&req).await.map_err(|e| {
            let err = classify("chat.postMessage", &msg.channel, e);
            if let SendError::RateLimited(after, _) = &err {
                self.hold(&msg.channel, *after);
            }
            err
        })?;
        Ok(resp.ts.0)
    }

    /// Replaces a message's text and blocks. An edit still waiting for its slot when a newer
    /// edit of the same message arrives is carried by whichever is sent first: Slack sees the
    /// newest content, in order, and no slot is spent twice. "Newest" is order of arrival: a
    /// retry of an older edit arriving after a newer one was shown would be shown again. The
    /// workflows await each edit before asking for the next, so one workflow never does that.
    pub async fn update(&self, msg: UpdateMessage) -> Result<Edited, SendError> {
        let key = (msg.channel.clone(), msg.ts.clone());
        let card = {
            let mut cards = self
                .cards
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if cards.len() > 1024 {
                // Forget messages with nothing pending that no call is holding.
                cards.retain(|_, c| {
                    Arc::strong_count(c) > 1 || c.state.lock().map_or(true, |s| s.shown < s.latest)
                });
            }
            cards.entry(key).or_default().clone()
        };
        let number = card.state.lock().map_or(0, |mut s| {
            s.latest += 1;
            s.newest = Some(msg.clone());
            s.latest
        });
        // One send per message at a time; an edit that waits here behind a send that carried
        // it finds itself shown and spends no slot.
        let _one_at_a_time = card.sending.lock().await;
        if card.state.lock().is_ok_and(|s| s.shown >= number) {
            chatops_common::metrics::Metrics::count2(
                &chatops_common::metrics::get().slack_errors,
                "chat.update",
                "coalesced",
            );
            return Ok(Edited::Superseded);
        }
        let bucket = edits_bucket(&msg.channel);
        self.pace(&bucket).await?;
        // Newer edits may have arrived while this one waited for its slot: send the newest.
        let (content, carries) = card
            .state
            .lock()
            .map(|s| (s.newest.clone().unwrap_or_else(|| msg.clone()), s.latest))
            .unwrap_or_else(|_| (msg.clone(), number));
        let session = self.client.open_session(&self.token);
        let body = SlackMessageContent::new()
            .with_text(content.text)
            .with_blocks(content.blocks);
        let req = SlackApiChatUpdateRequest::new(
            content.channel.clone().into(),
            body,
            SlackTs(content.ts),
        );
        if let Err(e) = session.chat_update(&req).await {
            let err = classify("chat.update", &content.channel, e);
            match &err {
                // The message is gone or frozen: nothing queued for it can land either.
                SendError::Permanent(_) => {
                    if let Ok(mut s) = card.state.lock() {
                        s.shown = s.latest;
                    }
                }
                SendError::RateLimited(after, _) => self.hold(&bucket, *after),
                SendError::Busy(_) | SendError::Transient(_) => {}
            }
            return Err(err);
        }
        if let Ok(mut s) = card.state.lock() {
            s.shown = s.shown.max(carries);
        }
        Ok(Edited::Sent)
    }
}

/// Edits have a budget of their own per channel: Slack's ~1 per second per channel is about
/// posting, and a card edit should not wait behind the thread's notes.
fn edits_bucket(channel: &str) -> String {
    format!("{channel} edits")
}

/// Errors Slack will answer the same way however often we ask: fail at once, with the cause.
const PERMANENT: &[&str] = &[
    "channel_not_found",
    "not_in_channel",
    "is_archived",
    "invalid_auth",
    "not_authed",
    "account_inactive",
    "token_revoked",
    "missing_scope",
    "invalid_blocks",
    "msg_too_long",
    "message_not_found",
    "cant_update_message",
    "thread_not_found",
];

pub(super) fn classify(method: &str, channel: &str, err: SlackClientError) -> SendError {
    let text = format!("{method} in {channel} failed: {err}");
    let kind = match &err {
        SlackClientError::RateLimitError(_) => "rate_limited",
        SlackClientError::ApiError(api) if PERMANENT.contains(&api.code.as_str()) => "permanent",
        _ => "transient",
    };
    chatops_common::metrics::Metrics::count2(
        &chatops_common::metrics::get().slack_errors,
        method,
        kind,
    );
    match &err {
        SlackClientError::RateLimitError(limit) => {
            let delay = limit.retry_after.unwrap_or(Duration::from_secs(1));
            tracing::warn!(
                method,
                channel,
                ?delay,
                "Slack rate-limited the call (429); retrying after Retry-After"
            );
            SendError::RateLimited(delay, text)
        }
        SlackClientError::ApiError(api) if PERMANENT.contains(&api.code.as_str()) => {
            tracing::error!(method, channel, code = %api.code, "Slack refused the call; not retrying");
            SendError::Permanent(text)
        }
        _ => {
            tracing::warn!(method, channel, error = %err, "Slack call failed; Temporal will retry");
            SendError::Transient(text)
        }
    }
}
