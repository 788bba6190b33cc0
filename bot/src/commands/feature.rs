//! `/feature`: start a delivery, show its status, show help.

use chatops_contract::feature::FeatureRequest;
use chatops_contract::lifecycle::{Blocker, Control, SkipGate, UpdatePriority};
use chatops_contract::{Signal, ids, signals};
use sha2::{Digest, Sha256};
use std::sync::Arc;

use super::FeatureCommand;
use crate::store::AuditEntry;
use crate::temporal::Started;
use crate::{AnswerTo, App, Reply, invocation::Invocation};

/// Runs a `/feature` subcommand; returns the immediate (ack) reply.
pub fn run(app: &Arc<App>, inv: &Invocation, cmd: FeatureCommand) -> Option<Reply> {
    match cmd {
        FeatureCommand::Help => Some(Reply::text(FeatureCommand::help())),
        FeatureCommand::New { request } => {
            let id = workflow_id(inv, &request);
            let input = FeatureRequest::new(request, inv.user_id.clone(), inv.channel_id.clone());
            let to = inv.response_url.clone().map(AnswerTo::ResponseUrl);
            Some(start(
                app,
                id,
                input,
                to.unwrap_or(AnswerTo::Ephemeral {
                    channel: inv.channel_id.clone(),
                    user: inv.user_id.clone(),
                }),
            ))
        }
        FeatureCommand::Form => {
            crate::views::open_form(app, inv);
            None
        }
        FeatureCommand::Status { id } => {
            status(app, inv, id);
            None
        }
        FeatureCommand::Pause { id, reason } => {
            let payload = Control {
                user: inv.user_id.clone(),
                reason,
            };
            control(app, inv, &id, signals::PAUSE, payload);
            Some(Reply::text(format!(
                "Pausing `{id}`: it holds before its next phase; its thread will say so. <{}|Open in Temporal>",
                app.workflow_url(&id)
            )))
        }
        FeatureCommand::Resume { id } => {
            let payload = Control {
                user: inv.user_id.clone(),
                reason: None,
            };
            control(app, inv, &id, signals::RESUME, payload);
            Some(Reply::text(format!(
                "Resuming `{id}`. <{}|Open in Temporal>",
                app.workflow_url(&id)
            )))
        }
        FeatureCommand::Block {
            id,
            blocker,
            reason,
        } => {
            let payload = Blocker {
                id: blocker.clone(),
                user: inv.user_id.clone(),
                reason,
            };
            control(app, inv, &id, signals::ADD_BLOCKER, payload);
            Some(Reply::text(format!(
                "Blocking `{id}` on `{blocker}`: no phase starts until `/feature unblock {id} {blocker}`. <{}|Open in Temporal>",
                app.workflow_url(&id)
            )))
        }
        FeatureCommand::Unblock { id, blocker } => {
            let payload = Blocker {
                id: blocker.clone(),
                user: inv.user_id.clone(),
                reason: None,
            };
            control(app, inv, &id, signals::REMOVE_BLOCKER, payload);
            Some(Reply::text(format!(
                "Removing blocker `{blocker}` from `{id}`. <{}|Open in Temporal>",
                app.workflow_url(&id)
            )))
        }
        FeatureCommand::Priority { id, priority } => {
            let payload = UpdatePriority {
                priority,
                user: inv.user_id.clone(),
            };
            control(app, inv, &id, signals::UPDATE_PRIORITY, payload);
            Some(Reply::text(format!(
                "Changing the priority of `{id}`. <{}|Open in Temporal>",
                app.workflow_url(&id)
            )))
        }
        FeatureCommand::Skip { id, gate, reason } => {
            skip(app, inv, id, gate, reason);
            None
        }
        FeatureCommand::List { all } => {
            list(app, inv, all);
            None
        }
        FeatureCommand::Cancel { id, reason } => {
            cancel(app, inv, id, reason);
            None
        }
    }
}

/// `/feature list [all]`: running features with phase, pending gate and a link each.
fn list(app: &Arc<App>, inv: &Invocation, all: bool) {
    let (app, response_url, user) = (app.clone(), inv.response_url.clone(), inv.user_id.clone());
    tokio::spawn(async move {
        let reply = match app.temporal.active_features(200).await {
            Ok(found) => {
                let shown: Vec<String> = found
                    .iter()
                    .filter(|(_, s)| all || s.requester == user)
                    .map(|(id, s)| {
                        format!(
                            "• <{}|{id}> — {} — {} (<@{}>)",
                            app.workflow_url(id),
                            chatops_blocks::feature::standing(s),
                            chatops_blocks::escape(&s.request),
                            s.requester
                        )
                    })
                    .collect();
                let whose = if all {
                    "Running features"
                } else {
                    "Your running features"
                };
                if shown.is_empty() {
                    Reply::text(format!(
                        "{whose}: none.{}",
                        if all {
                            ""
                        } else {
                            " `/feature list all` shows everyone's."
                        }
                    ))
                } else {
                    Reply::text(format!(
                        "*{whose}* ({}):\n{}",
                        shown.len(),
                        shown.join("\n")
                    ))
                }
            }
            Err(e) => Reply::from_temporal("list features", &e),
        };
        app.respond(response_url.as_deref(), reply).await;
    });
}

/// `/feature cancel`: the requester or an admin stops one feature for good.
fn cancel(app: &Arc<App>, inv: &Invocation, id: String, reason: String) {
    let (app, response_url) = (app.clone(), inv.response_url.clone());
    let (user, channel) = (inv.user_id.clone(), inv.channel_id.clone());
    tokio::spawn(async move {
        let status = match app.temporal.feature_status(&id).await {
            Ok(s) => s,
            Err(e) => {
                app.respond(response_url.as_deref(), Reply::from_temporal("cancel", &e))
                    .await;
                return;
            }
        };
        let allowed = status.requester == user
            || matches!(
                crate::oncall::member(&app, &app.settings.feature.admins, &user).await,
                Ok(true)
            );
        let (reply, outcome) = if !allowed {
            let text = format!(
                "Only the requester (<@{}>) or an admin (CHATOPS__APPROVALS__ADMINS) may cancel `{id}`. Nothing was changed.",
                status.requester
            );
            let shown = format!("{text} <{}|Open in Temporal>", app.workflow_url(&id));
            (Reply::text(shown), format!("refused: {text}"))
        } else if status.phase.is_terminal() {
            (
                Reply::text(format!(
                    "`{id}` has already finished ({}). Nothing was changed.",
                    status.phase.label()
                )),
                "refused: finished".to_owned(),
            )
        } else {
            let payload = Control {
                user: user.clone(),
                reason: Some(reason),
            };
            match app.temporal.signal(&id, signals::CANCEL, &payload).await {
                Ok(()) => (
                    Reply::text(format!(
                        "Cancelling `{id}`; its thread will say where it stopped. <{}|Open in Temporal>",
                        app.workflow_url(&id)
                    )),
                    "sent".to_owned(),
                ),
                Err(e) => (Reply::from_temporal("cancel", &e), format!("failed: {e}")),
            }
        };
        app.respond(response_url.as_deref(), reply).await;
        app.audit(AuditEntry {
            actor: user,
            action: "feature.cancel".into(),
            workflow_id: Some(id),
            outcome,
            slack_channel: Some(channel),
            ..AuditEntry::default()
        })
        .await;
    });
}

/// Sends a control signal in a task of its own; a failure (unknown or finished feature,
/// Temporal down) is answered to the user. Every one is audited.
fn control<T: serde::Serialize + Send + Sync + 'static>(
    app: &Arc<App>,
    inv: &Invocation,
    id: &str,
    signal: Signal<T>,
    payload: T,
) {
    let name = signal.name();
    let (app, response_url) = (app.clone(), inv.response_url.clone());
    let (id, user, channel) = (id.to_owned(), inv.user_id.clone(), inv.channel_id.clone());
    tokio::spawn(async move {
        let outcome = match app.temporal.signal(&id, signal, &payload).await {
            Ok(()) => "sent".to_owned(),
            Err(e) => {
                app.respond(response_url.as_deref(), Reply::from_temporal(name, &e))
                    .await;
                format!("failed: {e}")
            }
        };
        app.audit(AuditEntry {
            actor: user,
            action: format!("feature.{name}"),
            workflow_id: Some(id),
            outcome,
            slack_channel: Some(channel),
            ..AuditEntry::default()
        })
        .await;
    });
}

/// `/feature skip`: only admins; checked here (with user groups resolved) so the user hears at
/// once, and again by the workflow.
fn skip(app: &Arc<App>, inv: &Invocation, id: String, gate: String, reason: String) {
    let (app, response_url) = (app.clone(), inv.response_url.clone());
    let (user, channel) = (inv.user_id.clone(), inv.channel_id.clone());
    tokio::spawn(async move {
        let admins = app.settings.feature.admins.clone();
        let refusal = if admins.is_empty() {
            Some(
                "Nobody may skip a gate: no admins are configured (CHATOPS__APPROVALS__ADMINS)."
                    .to_owned(),
            )
        } else {
            match crate::oncall::member(&app, &admins, &user).await {
                Ok(true) => None,
                Ok(false) => Some(
                    "Only admins (CHATOPS__APPROVALS__ADMINS) may skip a gate. Nothing was changed."
                        .to_owned(),
                ),
                Err(why) => Some(format!(
                    "I couldn't check whether you are an admin ({why}), so nothing was skipped. Try again in a minute."
                )),
            }
        };
        let (reply, outcome) = match refusal {
            Some(text) => (
                Reply::text(format!(
                    "{text} <{}|Open in Temporal>",
                    app.workflow_url(&id)
                )),
                format!("refused: {text}"),
            ),
            None => {
                let payload = SkipGate {
                    gate: gate.clone(),
                    user: user.clone(),
                    reason,
                };
                match app.temporal.signal(&id, signals::SKIP_GATE, &payload).await {
                    Ok(()) => (
                        Reply::text(format!(
                            "Skipping the {gate} gate of `{id}`; its thread will say so. <{}|Open in Temporal>",
                            app.workflow_url(&id)
                        )),
                        "sent".to_owned(),
                    ),
                    Err(e) => (
                        Reply::from_temporal("skip the gate", &e),
                        format!("failed: {e}"),
                    ),
                }
            }
        };
        app.respond(response_url.as_deref(), reply).await;
        app.audit(AuditEntry {
            actor: user,
            action: "feature.skip_gate".into(),
            workflow_id: Some(id),
            gate: Some(gate),
            outcome,
            slack_channel: Some(channel),
            ..AuditEntry::default()
        })
        .await;
    });
}

/// The workflow id for a `/feature new` invocation: the same Slack invocation (a retried
/// envelope) always maps to the same id, so it can start at most one run.
pub fn workflow_id(inv: &Invocation, request: &str) -> String {
    workflow_id_for(&inv.team_id, &inv.trigger_id, request)
}

/// The workflow id for a feature started from Slack identifier `slack_id` (a trigger id, a
/// view id) in workspace `team`.
pub fn workflow_id_for(team: &str, slack_id: &str, request: &str) -> String {
    let digest = Sha256::digest(format!("{team}:{slack_id}"));
    let short: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
    ids::feature_workflow_id(request, &short)
}

/// Starts feature `id` in a task (a second start of the same id starts nothing) and returns
/// the answer to give at once; a failure to start is told to `to` and audited.
pub fn start(app: &Arc<App>, id: String, input: FeatureRequest, to: AnswerTo) -> Reply {
    let link = app.workflow_url(&id);
    let (app, task_id) = (app.clone(), id.clone());
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
                app.answer(&to, Reply::from_temporal("start the feature", &e))
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
