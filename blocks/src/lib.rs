//! Block Kit builders for chatops messages: pure functions from view-models to blocks.
//!
//! Nothing here reads a clock or the network: callers pass `now` where a message mentions time.
//! [`text`] renders any Block Kit message back to plain text for the shell adapter.

pub mod feature;
pub mod text;

pub use slack_morphism::prelude::SlackBlock;

/// Message blocks plus the notification fallback text Slack shows where blocks cannot be rendered.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// Fallback text (notifications, screen readers).
    pub text: String,
    /// The blocks.
    pub blocks: Vec<SlackBlock>,
}
