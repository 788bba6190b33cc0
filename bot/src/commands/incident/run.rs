//! `/incident` in Slack: each subcommand's operation in a task, a failure answered on the
//! command's `response_url`; what can be said at once is the ack.

use std::sync::Arc;
use std::time::SystemTime;

use super::IncidentCommand;
use crate::commands::{Ack, later};
use crate::invocation::Invocation;
use crate::ops;
use crate::{App, Reply};

/// Runs an `/incident` subcommand; returns what to ack with.
pub fn run(app: &Arc<App>, inv: &Invocation, cmd: IncidentCommand) -> Ack {
    let actor = inv.actor();
    let reply = match cmd {
        IncidentCommand::Help => Reply::text(IncidentCommand::help()),
        IncidentCommand::New {
            service,
            severity,
            summary,
        } => {
            // The Slack invocation is the request's identity: a retried envelope is the same.
            let key = format!("{}:{}", inv.team_id, inv.trigger_id);
            let alert = ops::incident::manual_alert(
                &key,
                &actor,
                &inv.channel_id,
                &service,
                severity,
                &summary,
            );
            later(app, inv, move |app| async move {
                let opened = ops::incident::open(&*app, &actor, &alert).await;
                opened
                    .err()
                    .map(|e| Reply::from_op("open the incident", &e))
            });
            Reply::text(format!(
                "Opening an incident for *{}*: its card will appear in <#{}>, with every update in its thread.",
                chatops_blocks::escape(&service),
                app.settings.incident.channel
            ))
        }
        IncidentCommand::Status { id: Some(id) } => {
            let actor = actor.clone();
            later(app, inv, move |app| async move {
                Some(match ops::incident::status(&*app, &actor, &id).await {
                    Ok(s) => {
                        Reply::message(chatops_blocks::incident::status(&s, &app.workflow_url(&id)))
                    }
                    Err(e) => Reply::from_op("look up", &e),
                })
            });
            return Ack::Reply(None);
        }
        IncidentCommand::Status { id: None } | IncidentCommand::List => {
            let actor = actor.clone();
            later(app, inv, move |app| async move {
                Some(match ops::incident::open_incidents(&*app, &actor).await {
                    Ok(open) => {
                        let now = SystemTime::now();
                        let ages: Vec<_> = open
                            .iter()
                            .map(|o| {
                                humantime::parse_rfc3339(&o.opened_at)
                                    .ok()
                                    .and_then(|t| now.duration_since(t).ok())
                            })
                            .collect();
                        Reply::message(chatops_blocks::incident::list(&open, &ages))
                    }
                    Err(e) => Reply::from_op("list incidents", &e),
                })
            });
            return Ack::Reply(None);
        }
        IncidentCommand::Resolve { id, summary } => {
            let text = format!("Resolving `{id}`: the postmortem will be posted in its thread.");
            later(app, inv, move |app| async move {
                let done = ops::incident::resolve(&*app, &actor, &id, summary).await;
                done.err().map(|e| Reply::from_op("resolve", &e))
            });
            Reply::text(text)
        }
        IncidentCommand::Commander { id, user } => {
            let text = format!("Handing `{id}` to <@{user}>; its thread will say so.");
            later(app, inv, move |app| async move {
                let done = ops::incident::hand_over(&*app, &actor, &id, &user).await;
                done.err().map(|e| Reply::from_op("reassign", &e))
            });
            Reply::text(text)
        }
    };
    Ack::Reply(Some(reply))
}
