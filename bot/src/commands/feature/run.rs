//! `/feature` in Slack: each subcommand's operation in a task, its outcome answered on the
//! command's `response_url`; what can be said at once is the ack.

use chatops_contract::feature::{DeliveryKind, FeatureRequest, GateName};
use chatops_contract::signals;
use std::sync::Arc;

use super::FeatureCommand;
use crate::commands::{Ack, later};
use crate::invocation::Invocation;
use crate::journal::OwedStart;
use crate::ops::{self, OpError, Refusal};
use crate::{AnswerTo, App, Reply};

/// Runs a `/feature` subcommand; returns what to ack with.
pub fn run(app: &Arc<App>, inv: &Invocation, cmd: FeatureCommand) -> Ack {
    let actor = inv.actor();
    let kind = match cmd {
        FeatureCommand::Patch { .. } => DeliveryKind::Patch,
        FeatureCommand::Hotfix { .. } => DeliveryKind::Hotfix,
        _ => DeliveryKind::Feature,
    };
    let reply = match cmd {
        FeatureCommand::Help => Reply::text(FeatureCommand::help()),
        FeatureCommand::Form => return Ack::OpenForm,
        FeatureCommand::New { request }
        | FeatureCommand::Patch { request }
        | FeatureCommand::Hotfix { request } => {
            let id = ops::feature::workflow_id_for(&inv.team_id, &inv.trigger_id, &request);
            let input = FeatureRequest {
                kind,
                ..FeatureRequest::new(request, inv.user_id.clone(), inv.channel_id.clone())
            };
            let to = inv.response_url.clone().map_or_else(
                || AnswerTo::Ephemeral {
                    channel: inv.channel_id.clone(),
                    user: inv.user_id.clone(),
                },
                AnswerTo::ResponseUrl,
            );
            return Ack::Start(Box::new(OwedStart {
                user: actor.user,
                channel: Some(inv.channel_id.clone()),
                id,
                input,
                answer: to,
            }));
        }
        FeatureCommand::Status { id } => {
            later(app, inv, move |app| async move {
                Some(match ops::feature::status(&*app, &actor, &id).await {
                    Ok(s) => Reply::message(chatops_blocks::feature::status(
                        &id,
                        &s,
                        &app.workflow_url(&id),
                    )),
                    Err(e) => Reply::from_op("look up", &e),
                })
            });
            return Ack::Reply(None);
        }
        FeatureCommand::List { all } => {
            later(app, inv, move |app| async move {
                Some(match ops::feature::list(&*app, &actor, all).await {
                    Ok(found) => list_reply(&app, &found, all),
                    Err(e) => Reply::from_op("list features", &e),
                })
            });
            return Ack::Reply(None);
        }
        FeatureCommand::Skip { id, gate, reason } => {
            later(app, inv, move |app| async move {
                let skipped = ops::feature::skip(&*app, &actor, &id, gate, reason).await;
                Some(skip_reply(&app, &id, gate, skipped))
            });
            return Ack::Reply(None);
        }
        FeatureCommand::PassFreeze { id, reason } => {
            later(app, inv, move |app| async move {
                let link = app.workflow_url(&id);
                Some(
                    match ops::feature::pass_freeze(&*app, &actor, &id, reason).await {
                        Ok(()) => Reply::text(format!(
                            "Letting `{id}` pass the freeze if it is a hotfix; its thread will say whether it goes on. <{link}|Open in Temporal>"
                        )),
                        Err(OpError::Refused(why)) => {
                            Reply::text(format!("{why} <{link}|Open in Temporal>"))
                        }
                        Err(e) => Reply::from_op("let it pass the freeze", &e),
                    },
                )
            });
            return Ack::Reply(None);
        }
        FeatureCommand::OverrideWindow { id, reason } => {
            later(app, inv, move |app| async move {
                let done = ops::feature::override_window(&*app, &actor, &id, reason).await;
                Some(override_reply(&app, &id, done))
            });
            return Ack::Reply(None);
        }
        FeatureCommand::Cancel { id, reason } => {
            later(app, inv, move |app| async move {
                let cancelled = ops::feature::cancel(&*app, &actor, &id, reason).await;
                Some(cancel_reply(&app, &id, cancelled))
            });
            return Ack::Reply(None);
        }
        FeatureCommand::Pause { id, reason } => {
            let text = format!(
                "Pausing `{id}`: it holds before its next phase; its thread will say so. <{}|Open in Temporal>",
                app.workflow_url(&id)
            );
            later(app, inv, move |app| async move {
                let done = ops::feature::pause(&*app, &actor, &id, reason).await;
                done.err()
                    .map(|e| Reply::from_op(signals::PAUSE.name(), &e))
            });
            Reply::text(text)
        }
        FeatureCommand::Resume { id } => {
            let text = format!(
                "Resuming `{id}`. <{}|Open in Temporal>",
                app.workflow_url(&id)
            );
            later(app, inv, move |app| async move {
                let done = ops::feature::resume(&*app, &actor, &id, None).await;
                done.err()
                    .map(|e| Reply::from_op(signals::RESUME.name(), &e))
            });
            Reply::text(text)
        }
        FeatureCommand::Block {
            id,
            blocker,
            reason,
        } => {
            let text = format!(
                "Blocking `{id}` on `{blocker}`: no phase starts until `/feature unblock {id} {blocker}`. <{}|Open in Temporal>",
                app.workflow_url(&id)
            );
            later(app, inv, move |app| async move {
                let done = ops::feature::block(&*app, &actor, &id, &blocker, reason).await;
                done.err()
                    .map(|e| Reply::from_op(signals::ADD_BLOCKER.name(), &e))
            });
            Reply::text(text)
        }
        FeatureCommand::Unblock { id, blocker } => {
            let text = format!(
                "Removing blocker `{blocker}` from `{id}`. <{}|Open in Temporal>",
                app.workflow_url(&id)
            );
            later(app, inv, move |app| async move {
                let done = ops::feature::unblock(&*app, &actor, &id, &blocker).await;
                done.err()
                    .map(|e| Reply::from_op(signals::REMOVE_BLOCKER.name(), &e))
            });
            Reply::text(text)
        }
        FeatureCommand::Priority { id, priority } => {
            let text = format!(
                "Changing the priority of `{id}`. <{}|Open in Temporal>",
                app.workflow_url(&id)
            );
            later(app, inv, move |app| async move {
                let done = ops::feature::set_priority(&*app, &actor, &id, priority).await;
                done.err()
                    .map(|e| Reply::from_op(signals::UPDATE_PRIORITY.name(), &e))
            });
            Reply::text(text)
        }
    };
    Ack::Reply(Some(reply))
}

fn list_reply(
    app: &App,
    found: &[(String, chatops_contract::feature::FeatureStatus)],
    all: bool,
) -> Reply {
    let whose = if all {
        "Running features"
    } else {
        "Your running features"
    };
    if found.is_empty() {
        let more = if all {
            ""
        } else {
            " `/feature list all` shows everyone's."
        };
        return Reply::text(format!("{whose}: none.{more}"));
    }
    let shown: Vec<String> = found
        .iter()
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
    Reply::text(format!(
        "*{whose}* ({}):\n{}",
        shown.len(),
        shown.join("\n")
    ))
}

fn skip_reply(app: &App, id: &str, gate: GateName, skipped: Result<(), OpError>) -> Reply {
    let link = app.workflow_url(id);
    match skipped {
        Ok(()) => Reply::text(format!(
            "Skipping the {gate} gate of `{id}`; its thread will say so. <{link}|Open in Temporal>"
        )),
        Err(OpError::Refused(why)) => Reply::text(format!("{why} <{link}|Open in Temporal>")),
        Err(e) => Reply::from_op("skip the gate", &e),
    }
}

fn override_reply(app: &App, id: &str, done: Result<(), OpError>) -> Reply {
    let link = app.workflow_url(id);
    match done {
        Ok(()) => Reply::text(format!(
            "Letting `{id}` deploy outside the deploy windows; its thread will say so. <{link}|Open in Temporal>"
        )),
        Err(OpError::Refused(why)) => Reply::text(format!("{why} <{link}|Open in Temporal>")),
        Err(e) => Reply::from_op("override the deploy windows", &e),
    }
}

fn cancel_reply(app: &App, id: &str, cancelled: Result<(), OpError>) -> Reply {
    let link = app.workflow_url(id);
    match cancelled {
        Ok(()) => Reply::text(format!(
            "Cancelling `{id}`; its thread will say where it stopped. <{link}|Open in Temporal>"
        )),
        Err(OpError::Refused(why @ Refusal::NotRequesterOrAdmin { .. })) => {
            Reply::text(format!("{why} <{link}|Open in Temporal>"))
        }
        Err(e) => Reply::from_op("cancel", &e),
    }
}
