//! `/feature`: start a delivery, show its status, show help.

use chatops_contract::feature::FeatureRequest;
use chatops_contract::ids;
use sha2::{Digest, Sha256};
use std::sync::Arc;

use super::FeatureCommand;
use crate::store::AuditEntry;
use crate::temporal::Started;
use crate::{App, Reply, slack::Invocation};

/// Runs a `/feature` subcommand; returns the immediate (ack) reply.
pub fn run(app: &Arc<App>, inv: &Invocation, cmd: FeatureCommand) -> Option<Reply> {
    match cmd {
        FeatureCommand::Help => Some(Reply::text(FeatureCommand::help())),
        FeatureCommand::New { request } => Some(new(app, inv, request)),
        FeatureCommand::Status { id } => {
            status(app, inv, id);
            None
        }
    }
}

/// The workflow id for a `/feature new` invocation: the same Slack invocation (a retried
/// envelope) always maps to the same id, so it can start at most one run.
pub fn workflow_id(inv: &Invocation, request: &str) -> String {
    let digest = Sha256::digest(format!("{}:{}", inv.team_id, inv.trigger_id));
    let short: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
    ids::feature_workflow_id(request, &short)
}

fn new(app: &Arc<App>, inv: &Invocation, request: String) -> Reply {
    let id = workflow_id(inv, &request);
    let input = FeatureRequest::new(request, inv.user_id.clone(), inv.channel_id.clone());
    let link = app.workflow_url(&id);
    let (app, response_url, task_id) = (app.clone(), inv.response_url.clone(), id.clone());
    tokio::spawn(async move {
        let outcome = match app.temporal.start_feature(&task_id, &input).await {
            Ok(Started::New) => {
                tracing::info!(workflow_id = %task_id, user = %input.requester, "feature started");
                "started".to_owned()
            }
            Ok(Started::AlreadyExisted) => {
                tracing::info!(workflow_id = %task_id, "duplicate /feature new (retried envelope); nothing started");
                // The first delivery was audited; a redelivery is not news.
                return;
            }
            Err(e) => {
                app.respond(
                    response_url.as_deref(),
                    Reply::from_temporal("start the feature", &e),
                )
                .await;
                format!("failed: {e}")
            }
        };
        app.audit(AuditEntry {
            actor: input.requester.clone(),
            action: "feature.new".into(),
            workflow_id: Some(task_id),
            outcome,
            slack_channel: Some(input.channel.clone()),
            ..AuditEntry::default()
        })
        .await;
    });
    Reply::text(format!(
        "Starting `{id}`: its card will appear in this channel, with the approval request in its thread. <{link}|Open in Temporal>"
    ))
}

fn status(app: &Arc<App>, inv: &Invocation, id: String) {
    let (app, response_url) = (app.clone(), inv.response_url.clone());
    tokio::spawn(async move {
        let reply = match app.temporal.feature_status(&id).await {
            Ok(s) => Reply::message(chatops_blocks::feature::status(
                &id,
                &s,
                &app.workflow_url(&id),
            )),
            Err(e) => Reply::from_temporal("look up", &e),
        };
        app.respond(response_url.as_deref(), reply).await;
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inv(trigger: &str) -> Invocation {
        Invocation {
            team_id: "T1".into(),
            channel_id: "C1".into(),
            user_id: "U1".into(),
            trigger_id: trigger.into(),
            response_url: None,
            command: "/feature".into(),
            text: String::new(),
        }
    }

    #[test]
    fn the_same_invocation_always_maps_to_the_same_id() {
        let a = workflow_id(&inv("1700.1.abc"), "Add OAuth2 login");
        assert_eq!(a, workflow_id(&inv("1700.1.abc"), "Add OAuth2 login"));
        assert_ne!(a, workflow_id(&inv("1700.2.abc"), "Add OAuth2 login"));
        assert!(a.starts_with("feature-add-oauth2-login-"), "{a}");
        assert!(ids::is_feature_workflow_id(&a), "{a}");
    }
}
