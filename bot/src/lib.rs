//! The chatops bot: the only ingress. Slack Socket Mode in, Temporal starts, signals and queries
//! out. Handlers validate and answer at once; every Temporal call runs in a task of its own.

pub mod actions;
pub mod alerts;
pub mod commands;
pub mod oncall;
pub mod reply;
pub mod shell;
pub mod slack;
pub mod temporal;

use chatops_common::Settings;
use secrecy::ExposeSecret;
use slack_morphism::prelude::*;
use std::sync::Arc;

pub use reply::Reply;

/// Everything a handler needs, built once at start.
pub struct App {
    /// Validated settings.
    pub settings: Settings,
    /// Temporal client.
    pub temporal: temporal::Temporal,
    /// Slack Web API client.
    pub slack: Arc<chatops_common::slack::Client>,
    bot_token: SlackApiToken,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("settings", &self.settings)
            .field("temporal", &self.temporal)
            .finish_non_exhaustive()
    }
}

impl App {
    /// Connects to Temporal and prepares the Slack client (no Slack call is made here).
    pub async fn build(settings: Settings) -> anyhow::Result<Arc<Self>> {
        let bot_token = SlackApiToken::new(settings.bot_token()?.expose_secret().into());
        let temporal = temporal::Temporal::connect(&settings).await?;
        let slack = chatops_common::slack::client(&settings.slack.api_url);
        Ok(Arc::new(Self {
            settings,
            temporal,
            slack,
            bot_token,
        }))
    }

    /// A Web API session with the bot token.
    pub fn session(&self) -> SlackClientSession<'_, chatops_common::slack::Connector> {
        self.slack.open_session(&self.bot_token)
    }

    /// Deep link to a workflow in the Temporal UI.
    pub fn workflow_url(&self, id: &str) -> String {
        self.settings.workflow_url(id)
    }

    /// Sends an ephemeral follow-up to a `response_url`, or logs why it could not.
    pub async fn respond(&self, response_url: Option<&str>, reply: Reply) {
        let Some(url) = response_url else {
            tracing::warn!(text = %reply.text, "no response_url to answer on");
            return;
        };
        let url = match url::Url::parse(url) {
            Ok(u) => SlackResponseUrl(u),
            Err(e) => {
                tracing::warn!(error = %e, "malformed response_url");
                return;
            }
        };
        let req =
            SlackApiPostWebhookMessageRequest::new(reply.content()).with_replace_original(false);
        if let Err(e) = self.slack.respond_to_event(&url, &req).await {
            tracing::warn!(error = %e, "could not post to response_url");
        }
    }
}
