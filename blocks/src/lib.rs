//! Block Kit builders for chatops messages: pure functions from view-models to blocks.
//!
//! Nothing here reads a clock or the network: callers pass `now` where a message mentions time.
//! [`text`] renders any Block Kit message back to plain text for the shell adapter.

pub mod feature;
pub mod freeze;
pub mod incident;
pub mod quality;
pub mod text;
pub mod views;

pub use slack_morphism::prelude::SlackBlock;

/// Escapes text for Slack mrkdwn: `&`, `<` and `>` would otherwise start entities, links
/// and mentions. Apply to anything a user typed and to literal angle brackets.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Message blocks plus the notification fallback text Slack shows where blocks cannot be rendered.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// Fallback text (notifications, screen readers).
    pub text: String,
    /// The blocks.
    pub blocks: Vec<SlackBlock>,
}

#[cfg(test)]
mod tests {
    #[test]
    fn escape_neutralises_mrkdwn_control_characters() {
        assert_eq!(
            super::escape("a <b> & <@U1>"),
            "a &lt;b&gt; &amp; &lt;@U1&gt;"
        );
    }
}
