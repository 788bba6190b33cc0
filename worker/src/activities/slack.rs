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

/// Slack Web API calls, made with the bot token.
pub struct SlackActivities {
    client: Arc<Client>,
    token: SlackApiToken,
}

impl std::fmt::Debug for SlackActivities {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SlackActivities").finish_non_exhaustive()
    }
}

impl SlackActivities {
    /// Activities posting through `client` with `bot_token`.
    pub fn new(client: Arc<Client>, bot_token: &SecretString) -> Self {
        Self {
            client,
            token: SlackApiToken::new(bot_token.expose_secret().into()),
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
    match &err {
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
