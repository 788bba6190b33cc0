//! One person's request as a front end hands it on: who asked, where, and where the answer
//! goes. Slack's slash commands fill it in; the commands and the form read it.

/// A slash command invocation, as the command handlers see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    /// Workspace id.
    pub team_id: String,
    /// Channel the command was typed in.
    pub channel_id: String,
    /// Who typed it.
    pub user_id: String,
    /// Slack's id for this invocation (the same in a retried envelope).
    pub trigger_id: String,
    /// Where follow-up answers go.
    pub response_url: Option<String>,
    /// The command, e.g. `/feature`.
    pub command: String,
    /// Everything after the command.
    pub text: String,
}

impl Invocation {
    /// The person who typed it, acting in the channel it was typed in.
    pub fn actor(&self) -> crate::ops::Actor {
        crate::ops::Actor::slack(self.user_id.clone(), Some(self.channel_id.clone()))
    }
}
