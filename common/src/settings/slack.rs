//! `[slack]`: the tokens, the Web API both processes post through, the default channel, and how
//! hard the bot and worker lean on Slack (Socket Mode connections, posts sent at once).

use super::{SettingsError, parse, source::Source};
use secrecy::SecretString;
use std::time::Duration;
use url::Url;

/// `[slack]`
#[derive(Debug, Clone)]
pub struct SlackSettings {
    pub app_token: Option<SecretString>,
    pub bot_token: Option<SecretString>,
    pub api_url: Url,
    pub channel: String,
    pub socket_connections: u32,
    /// How long the bot keeps carrying out what it acknowledged once told to stop.
    pub shutdown_grace: Duration,
    pub channel_burst: u32,
}

impl SlackSettings {
    pub(super) fn read(src: &Source<'_>) -> Result<Self, SettingsError> {
        Ok(Self {
            app_token: src.optional("slack.app_token", parse::secret_with_prefix("xapp-"))?,
            bot_token: src.optional("slack.bot_token", parse::secret_with_prefix("xoxb-"))?,
            api_url: src.get("slack.api_url", parse::http_url)?,
            channel: src.get("slack.channel", parse::name)?,
            socket_connections: src.get("slack.socket_connections", parse::count(10))?,
            shutdown_grace: src.get("slack.shutdown_grace", parse::duration)?,
            channel_burst: src.get("slack.channel_burst", parse::count(100_000))?,
        })
    }
}
