//! `/incident`: open one by hand, show one or the open ones, resolve one.

use chatops_contract::incident::{Alert, AlertStatus, AssignCommander, Resolve, Severity};
use chatops_contract::{Signal, signals};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::SystemTime;

use super::IncidentCommand;
use crate::{App, Reply, invocation::Invocation};

/// Runs an `/incident` subcommand; returns the immediate (ack) reply.
pub fn run(app: &Arc<App>, inv: &Invocation, cmd: IncidentCommand) -> Option<Reply> {
    match cmd {
        IncidentCommand::Help => Some(Reply::text(IncidentCommand::help())),
        IncidentCommand::New {
            service,
            severity,
            summary,
        } => Some(new(app, inv, service, severity, summary)),
        IncidentCommand::Status { id: Some(id) } => {
            status(app, inv, id);
            None
        }
        IncidentCommand::Status { id: None } | IncidentCommand::List => {
            list(app, inv);
            None
        }
        IncidentCommand::Resolve { id, summary } => Some(resolve(app, inv, id, summary)),
        IncidentCommand::Commander { id, user } => {
            let payload = AssignCommander {
                commander: user.clone(),
                user: inv.user_id.clone(),
            };
            signal_in_task(
                app,
                inv,
                id.clone(),
                signals::ASSIGN_COMMANDER,
                payload,
                "reassign",
            );
            Some(Reply::text(format!(
                "Handing `{id}` to <@{user}>; its thread will say so."
            )))
        }
    }
}

/// The alert a hand-opened incident starts from. Its fingerprint comes from the Slack
/// invocation, so a retried envelope is recognised as the same request.
pub fn manual_alert(inv: &Invocation, service: &str, severity: Severity, summary: &str) -> Alert {
    let digest = Sha256::digest(format!("{}:{}", inv.team_id, inv.trigger_id));
    let short: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    Alert {
        fingerprint: format!("manual:{short}"),
        service: service.to_owned(),
        summary: summary.to_owned(),
        severity,
        status: AlertStatus::Firing,
        labels: BTreeMap::from([
            ("opened_by".to_owned(), inv.user_id.clone()),
            ("channel".to_owned(), inv.channel_id.clone()),
        ]),
        source: "manual".into(),
    }
}

fn new(
    app: &Arc<App>,
    inv: &Invocation,
    service: String,
    severity: Severity,
    summary: String,
) -> Reply {
    let alert = manual_alert(inv, &service, severity, &summary);
    let (task_app, response_url) = (app.clone(), inv.response_url.clone());
    tokio::spawn(async move {
        match task_app.temporal.send_alert(&alert).await {
            Ok(()) => {
                tracing::info!(fingerprint = %alert.fingerprint, service = %alert.service, "incident requested")
            }
            Err(e) => {
                task_app
                    .respond(
                        response_url.as_deref(),
                        Reply::from_temporal("open the incident", &e),
                    )
                    .await
            }
        }
    });
    Reply::text(format!(
        "Opening an incident for *{}*: its card will appear in <#{}>, with every update in its thread.",
        chatops_blocks::escape(&service),
        app.settings.incident.channel
    ))
}

fn status(app: &Arc<App>, inv: &Invocation, id: String) {
    let (app, response_url) = (app.clone(), inv.response_url.clone());
    tokio::spawn(async move {
        let reply = match app.temporal.incident_status(&id).await {
            Ok(s) => Reply::message(chatops_blocks::incident::status(&s, &app.workflow_url(&id))),
            Err(e) => Reply::from_temporal("look up", &e),
        };
        app.respond(response_url.as_deref(), reply).await;
    });
}

fn list(app: &Arc<App>, inv: &Invocation) {
    let (app, response_url) = (app.clone(), inv.response_url.clone());
    tokio::spawn(async move {
        let reply = match app.temporal.monitor_stats().await {
            Ok(stats) => {
                let open = stats.map(|s| s.open).unwrap_or_default();
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
            Err(e) => Reply::from_temporal("list incidents", &e),
        };
        app.respond(response_url.as_deref(), reply).await;
    });
}

fn resolve(app: &Arc<App>, inv: &Invocation, id: String, summary: String) -> Reply {
    let payload = Resolve {
        user: inv.user_id.clone(),
        summary,
    };
    signal_in_task(app, inv, id.clone(), signals::RESOLVE, payload, "resolve");
    Reply::text(format!(
        "Resolving `{id}`: the postmortem will be posted in its thread."
    ))
}

/// Signals `id` in a task; a failure is answered on the invocation's `response_url`.
fn signal_in_task<T: serde::Serialize + Send + Sync + 'static>(
    app: &Arc<App>,
    inv: &Invocation,
    id: String,
    signal: Signal<T>,
    payload: T,
    doing: &'static str,
) {
    let (app, response_url) = (app.clone(), inv.response_url.clone());
    tokio::spawn(async move {
        if let Err(e) = app.temporal.signal(&id, signal, &payload).await {
            app.respond(response_url.as_deref(), Reply::from_temporal(doing, &e))
                .await;
        }
    });
}
