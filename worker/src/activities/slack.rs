//! Slack notifications: post a message (optionally in a thread) and edit one.

use chatops_common::slack::Client;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use slack_morphism::errors::SlackClientError;
use slack_morphism::prelude::*;
use std::sync::Arc;
use temporalio_common::error::ApplicationFailure;
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

/// A message to post.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PostMessage {
    /// Channel id.
    pub channel: String,
    /// Reply in this thread when set.
    pub thread_ts: Option<String>,
    /// Fallback text.
    pub text: String,
    /// Block Kit blocks.
    pub blocks: Vec<SlackBlock>,
}

impl PostMessage {
    /// `m` posted in `channel`, in the thread of `thread_ts` when given.
    pub fn of(channel: &str, thread_ts: Option<&str>, m: chatops_blocks::Message) -> Self {
        Self {
            channel: channel.to_owned(),
            thread_ts: thread_ts.map(str::to_owned),
            text: m.text,
            blocks: m.blocks,
        }
    }
}

/// An edit of a posted message.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UpdateMessage {
    /// Channel id.
    pub channel: String,
    /// Timestamp of the message to edit.
    pub ts: String,
    /// New fallback text.
    pub text: String,
    /// New blocks.
    pub blocks: Vec<SlackBlock>,
}

impl UpdateMessage {
    /// Message `ts` of `channel` replaced by `m`.
    pub fn of(channel: &str, ts: &str, m: chatops_blocks::Message) -> Self {
        Self {
            channel: channel.to_owned(),
            ts: ts.to_owned(),
            text: m.text,
            blocks: m.blocks,
        }
    }
}

/// Slack Web API calls, made with the bot token.
pub struct SlackActivities {
    client: Arc<Client>,
    token: SlackApiToken,
    pacer: std::sync::Mutex<Pacer>,
}

/// Longest a post waits for its slot inside one activity attempt (the attempt has 15 s).
const MAX_PACING_WAIT: std::time::Duration = std::time::Duration::from_secs(8);

/// Keeps posts to one channel near Slack's ~1 message per second: a token bucket per channel
/// (refilling one per second, holding `burst`), so short bursts go at once and a long one is
/// spread out instead of drawing 429s.
#[derive(Debug)]
pub struct Pacer {
    burst: f64,
    buckets: std::collections::HashMap<String, (f64, std::time::Instant)>,
}

impl Pacer {
    /// A pacer allowing `burst` posts at once per channel.
    pub fn new(burst: u32) -> Self {
        Self {
            burst: f64::from(burst.max(1)),
            buckets: std::collections::HashMap::new(),
        }
    }

    /// Gives back a token taken for a post that will not be made now.
    pub fn refund(&mut self, channel: &str) {
        if let Some((tokens, _)) = self.buckets.get_mut(channel) {
            *tokens += 1.0;
        }
    }

    /// Takes a token for `channel` at `now`; returns how long to wait before posting.
    pub fn take(&mut self, channel: &str, now: std::time::Instant) -> std::time::Duration {
        let (tokens, at) = self
            .buckets
            .entry(channel.to_owned())
            .or_insert((self.burst, now));
        let refilled = (*tokens + now.saturating_duration_since(*at).as_secs_f64()).min(self.burst);
        let left = refilled - 1.0;
        *tokens = left;
        *at = now;
        if left >= 0.0 {
            std::time::Duration::ZERO
        } else {
            std::time::Duration::from_secs_f64(-left)
        }
    }
}

impl std::fmt::Debug for SlackActivities {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SlackActivities").finish_non_exhaustive()
    }
}

impl SlackActivities {
    /// Activities posting through `client` with `bot_token`, at most `burst` posts per channel
    /// at once and then about one per second.
    pub fn new(client: Arc<Client>, bot_token: &SecretString, burst: u32) -> Self {
        Self {
            client,
            token: SlackApiToken::new(bot_token.expose_secret().into()),
            pacer: std::sync::Mutex::new(Pacer::new(burst)),
        }
    }
}

#[activities]
impl SlackActivities {
    /// Posts a message; returns its `ts`.
    #[activity(name = "slack.post_message")]
    pub async fn post_message(
        self: Arc<Self>,
        _ctx: ActivityContext,
        msg: PostMessage,
    ) -> Result<String, ActivityError> {
        let wait = self
            .pacer
            .lock()
            .map(|mut p| p.take(&msg.channel, std::time::Instant::now()))
            .unwrap_or_default();
        if wait > MAX_PACING_WAIT {
            // Too long to hold inside one attempt: give the slot back and let Temporal come
            // back when it is due.
            if let Ok(mut p) = self.pacer.lock() {
                p.refund(&msg.channel);
            }
            return Err(ActivityError::application(
                ApplicationFailure::builder(std::io::Error::other(format!(
                    "{} is busy; posting in {wait:?}",
                    msg.channel
                )))
                .next_retry_delay(wait)
                .build(),
            ));
        }
        if !wait.is_zero() {
            tracing::debug!(channel = %msg.channel, ?wait, "pacing a post to Slack's per-channel rate");
            let depth = &chatops_common::metrics::get().slack_queue_depth;
            depth.inc();
            tokio::time::sleep(wait).await;
            depth.dec();
        }
        let session = self.client.open_session(&self.token);
        let content = SlackMessageContent::new()
            .with_text(msg.text)
            .with_blocks(msg.blocks);
        let req = SlackApiChatPostMessageRequest::new(msg.channel.clone().into(), content)
            .opt_thread_ts(msg.thread_ts.map(SlackTs));
        let resp = session
            .chat_post_message(&req)
            .await
            .map_err(|e| classify("chat.postMessage", &msg.channel, e))?;
        Ok(resp.ts.0)
    }

    /// Replaces a message's text and blocks.
    #[activity(name = "slack.update_message")]
    pub async fn update_message(
        self: Arc<Self>,
        _ctx: ActivityContext,
        msg: UpdateMessage,
    ) -> Result<(), ActivityError> {
        let session = self.client.open_session(&self.token);
        let content = SlackMessageContent::new()
            .with_text(msg.text)
            .with_blocks(msg.blocks);
        let req =
            SlackApiChatUpdateRequest::new(msg.channel.clone().into(), content, SlackTs(msg.ts));
        session
            .chat_update(&req)
            .await
            .map_err(|e| classify("chat.update", &msg.channel, e))?;
        Ok(())
    }
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
];

fn classify(method: &str, channel: &str, err: SlackClientError) -> ActivityError {
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
            // Temporal retries after Slack's Retry-After, not its own backoff.
            let delay = limit
                .retry_after
                .unwrap_or(std::time::Duration::from_secs(1));
            tracing::warn!(
                method,
                channel,
                ?delay,
                "Slack rate-limited the call (429); retrying after Retry-After"
            );
            ActivityError::application(
                ApplicationFailure::builder(std::io::Error::other(text))
                    .next_retry_delay(delay)
                    .build(),
            )
        }
        SlackClientError::ApiError(api) if PERMANENT.contains(&api.code.as_str()) => {
            tracing::error!(method, channel, code = %api.code, "Slack refused the call; not retrying");
            ActivityError::application(ApplicationFailure::non_retryable(std::io::Error::other(
                text,
            )))
        }
        _ => {
            tracing::warn!(method, channel, error = %err, "Slack call failed; Temporal will retry");
            ActivityError::application(ApplicationFailure::new(std::io::Error::other(text)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Pacer;
    use std::time::{Duration, Instant};

    #[test]
    fn a_burst_goes_at_once_then_posts_are_spread_a_second_apart() {
        let mut p = Pacer::new(3);
        let t0 = Instant::now();
        let waits: Vec<Duration> = (0..5).map(|_| p.take("C1", t0)).collect();
        assert_eq!(&waits[..3], &[Duration::ZERO; 3]);
        assert_eq!(waits[3], Duration::from_secs(1));
        assert_eq!(waits[4], Duration::from_secs(2));
        // Another channel has its own bucket.
        assert_eq!(p.take("C2", t0), Duration::ZERO);
        // A refunded slot is free again.
        p.refund("C1");
        assert_eq!(p.take("C1", t0), Duration::from_secs(2));
        // Time refills the bucket.
        let mut q = Pacer::new(1);
        assert_eq!(q.take("C1", t0), Duration::ZERO);
        assert_eq!(q.take("C1", t0 + Duration::from_secs(1)), Duration::ZERO);
    }
}
