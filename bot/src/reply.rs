//! Replies and the user-facing error type.

use slack_morphism::prelude::*;

use crate::ops::OpError;
use crate::temporal::TemporalError;

/// Where an answer to one person goes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum AnswerTo {
    /// The `response_url` of the command or button (ephemeral in the same place).
    ResponseUrl(String),
    /// `chat.postEphemeral` in `channel` (a modal submission has no `response_url`).
    Ephemeral {
        /// Channel id.
        channel: String,
        /// User id.
        user: String,
    },
    /// A direct message from the app (App Home buttons have neither channel nor URL).
    Direct(String),
}

/// An ephemeral answer to the person who acted.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// Fallback text.
    pub text: String,
    /// Optional blocks.
    pub blocks: Option<Vec<SlackBlock>>,
}

impl Reply {
    /// A plain text reply (mrkdwn).
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            blocks: None,
        }
    }

    /// A reply rendered by a Block Kit builder.
    pub fn message(m: chatops_blocks::Message) -> Self {
        Self {
            text: m.text,
            blocks: Some(m.blocks),
        }
    }

    /// The Slack message content.
    pub fn content(&self) -> SlackMessageContent {
        let content = SlackMessageContent::new().with_text(self.text.clone());
        match &self.blocks {
            Some(b) => content.with_blocks(b.clone()),
            None => content,
        }
    }

    /// The answer to a feature start (by command or form): where its card and approval go.
    pub fn starting(id: &str, link: &str) -> Self {
        Self::text(format!(
            "Starting `{id}`: its card will appear in this channel, with the approval request in its thread. <{link}|Open in Temporal>"
        ))
    }

    /// What a user is told when an operation for `doing` (e.g. "cancel") did not happen: a
    /// refusal in its own words, a Temporal failure as [`Reply::from_temporal`] words it.
    pub fn from_op(doing: &str, err: &OpError) -> Self {
        match err {
            OpError::Temporal(e) => Self::from_temporal(doing, e),
            refused => Self::text(refused.to_string()),
        }
    }

    /// What a user is told when a Temporal call for `doing` (e.g. "approve") failed.
    pub fn from_temporal(doing: &str, err: &TemporalError) -> Self {
        match err {
            TemporalError::NotFound(id) => {
                Self::text(format!("I can't find `{id}`. Check the id on its card."))
            }
            TemporalError::Finished { id, status } => Self::text(format!(
                "`{id}` has already finished ({status}), so I can't {doing} it any more."
            )),
            TemporalError::Unavailable(_) => Self::text(format!(
                "Temporal is unreachable right now, so I couldn't {doing}. Nothing was changed; try again in a minute."
            )),
            TemporalError::Other(cause) => {
                tracing::error!(%cause, doing, "Temporal call failed");
                Self::text(format!(
                    "Something went wrong while trying to {doing}; it has been logged."
                ))
            }
        }
    }
}

/// The short form of a Slack error: its API error code, or the error itself.
pub(crate) fn short(e: &slack_morphism::errors::SlackClientError) -> String {
    match e {
        slack_morphism::errors::SlackClientError::ApiError(api) => api.code.clone(),
        other => other.to_string(),
    }
}
