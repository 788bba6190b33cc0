//! The chatops bot: the only ingress. Slack Socket Mode in, Temporal starts, signals and queries
//! out. Handlers validate and answer at once; every Temporal call runs in a task of its own.

pub mod actions;
pub mod alerts;
pub mod cli;
pub mod commands;
pub mod doctor;
pub mod invocation;
pub mod journal;
pub mod oncall;
pub mod ops;
pub mod reply;
pub mod shell;
pub mod slack;
pub mod store;
pub mod tasks;
pub mod temporal;
pub mod views;

use chatops_common::Settings;
use secrecy::ExposeSecret;
use slack_morphism::prelude::*;
use std::sync::Arc;

pub use reply::{AnswerTo, Reply};

/// Everything a handler needs, built once at start.
pub struct App {
    /// Validated settings.
    pub settings: Settings,
    /// Temporal client.
    pub temporal: temporal::Temporal,
    /// Slack Web API client.
    pub slack: Arc<chatops_common::slack::Client>,
    /// Audit log and envelope de-duplication.
    pub store: store::Store,
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
        let store = store::Store::connect(&settings.database.url).await?;
        let temporal = temporal::Temporal::connect(&settings).await?;
        let slack = chatops_common::slack::client(&settings.slack.api_url);
        Ok(Arc::new(Self {
            settings,
            temporal,
            slack,
            store,
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

    /// Appends to the audit log (stamped now); a failure is logged, never shown to the user.
    pub async fn audit(&self, entry: store::AuditEntry) {
        let (action, actor) = (entry.action.clone(), entry.actor.clone());
        if let Err(e) = self.write_audit(entry).await {
            tracing::error!(error = %e, %action, %actor, "audit entry lost");
        }
    }

    /// Appends to the audit log (stamped now), or says why it could not.
    pub async fn write_audit(&self, mut entry: store::AuditEntry) -> Result<(), store::StoreError> {
        entry.at = store::rfc3339(std::time::SystemTime::now());
        self.store.audit(&entry).await
    }

    /// Whether an envelope with this identity is seen for the first time (a Slack redelivery
    /// is not). When the store fails, it is handled: twice is better than never.
    pub async fn first_time(&self, key: &str) -> bool {
        match self
            .store
            .first_time(key, std::time::SystemTime::now())
            .await
        {
            Ok(first) => first,
            Err(e) => {
                tracing::error!(error = %e, key, "envelope de-duplication unavailable");
                true
            }
        }
    }

    /// Sends `reply` to one person, the way `to` says; a failure is logged.
    pub async fn answer(&self, to: &AnswerTo, reply: Reply) {
        let sent = match to {
            AnswerTo::ResponseUrl(url) => {
                self.respond(Some(url), reply).await;
                return;
            }
            AnswerTo::Ephemeral { channel, user } => {
                let sent = self
                    .session()
                    .chat_post_ephemeral(&SlackApiChatPostEphemeralRequest::new(
                        SlackChannelId(channel.clone()),
                        SlackUserId(user.clone()),
                        reply.content(),
                    ))
                    .await;
                match sent {
                    Ok(_) => Ok(()),
                    // Not in that channel (or it is gone): say it in a direct message instead.
                    Err(e) => {
                        tracing::info!(error = %e, %channel, "ephemeral refused; answering directly");
                        Box::pin(self.answer(&AnswerTo::Direct(user.clone()), reply)).await;
                        return;
                    }
                }
            }
            AnswerTo::Direct(user) => self
                .session()
                .chat_post_message(&SlackApiChatPostMessageRequest::new(
                    SlackChannelId(user.clone()),
                    reply.content(),
                ))
                .await
                .map(|_| ()),
        };
        if let Err(e) = sent {
            tracing::warn!(error = %e, to = ?to, text = %reply.text, "could not answer");
        }
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

#[cfg(test)]
impl App {
    /// An app on `settings` whose Temporal answers in-process and records its calls; nothing
    /// is sent to Slack.
    pub(crate) async fn for_tests(settings: Settings) -> (Arc<Self>, temporal::fake::Calls) {
        let store = store::Store::connect(&settings.database.url)
            .await
            .expect("test store");
        let (temporal, calls) = temporal::Temporal::recording(&settings).await;
        let slack = chatops_common::slack::client(&settings.slack.api_url);
        let app = Self {
            settings,
            temporal,
            slack,
            store,
            bot_token: SlackApiToken::new("xoxb-test".into()),
        };
        (Arc::new(app), calls)
    }
}

impl ops::Context for App {
    fn temporal(&self) -> &temporal::Temporal {
        &self.temporal
    }

    async fn audit(&self, entry: store::AuditEntry) {
        App::audit(self, entry).await;
    }

    async fn write_audit(&self, entry: store::AuditEntry) -> Result<(), store::StoreError> {
        App::write_audit(self, entry).await
    }
}
