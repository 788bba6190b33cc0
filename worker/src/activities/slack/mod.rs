//! Slack notifications: post a message (optionally in a thread) and edit one, through one
//! [`Sender`] that paces, classifies and coalesces every write.

mod once;
mod pacer;
mod sender;

pub use once::PostKey;
pub use pacer::Pacer;
pub use sender::{Edited, SendError, Sender};

use chatops_common::slack::Client;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use slack_morphism::prelude::*;
use std::sync::Arc;
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

/// Slack Web API calls, made with the bot token, as Temporal activities over a [`Sender`].
pub struct SlackActivities {
    sender: Sender,
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
            sender: Sender::new(client, bot_token, burst),
        }
    }
}

#[activities]
impl SlackActivities {
    /// Posts a message once; returns its `ts`. A retry whose earlier attempt posted but lost
    /// Slack's answer returns that message's `ts` instead of posting again.
    #[activity(name = "slack.post_message")]
    #[tracing::instrument(
        name = "slack.post_message",
        skip_all,
        fields(channel = %msg.channel, thread_ts = msg.thread_ts.as_deref())
    )]
    pub async fn post_message(
        self: Arc<Self>,
        ctx: ActivityContext,
        msg: PostMessage,
    ) -> Result<String, ActivityError> {
        let key = PostKey::of(ctx.info());
        self.sender
            .post(msg, key.as_ref())
            .await
            .map_err(SendError::into_activity_error)
    }

    /// Replaces a message's text and blocks (coalesced with newer edits of the same message).
    #[activity(name = "slack.update_message")]
    #[tracing::instrument(
        name = "slack.update_message",
        skip_all,
        fields(channel = %msg.channel, ts = %msg.ts)
    )]
    pub async fn update_message(
        self: Arc<Self>,
        _ctx: ActivityContext,
        msg: UpdateMessage,
    ) -> Result<(), ActivityError> {
        self.sender
            .update(msg)
            .await
            .map(|_| ())
            .map_err(SendError::into_activity_error)
    }
}
