//! `/emergency-stop`: engage (after a confirmation), release, status. Only on-call users and
//! groups may engage or release; everyone else gets an ephemeral refusal.

use chatops_contract::freeze::FreezeRequest;
use std::sync::Arc;

use super::EmergencyCommand;
use crate::store::AuditEntry;
use crate::temporal::TemporalError;
use crate::{App, Reply, invocation::Invocation, oncall};

/// Runs an `/emergency-stop` form; returns the immediate (ack) reply.
pub fn run(app: &Arc<App>, inv: &Invocation, cmd: EmergencyCommand) -> Option<Reply> {
    match cmd {
        EmergencyCommand::Help => Some(Reply::text(EmergencyCommand::help())),
        EmergencyCommand::Status => {
            let (app, response_url) = (app.clone(), inv.response_url.clone());
            tokio::spawn(async move {
                let reply = match app.temporal.freeze_status().await {
                    Ok(s) => Reply::message(chatops_blocks::freeze::status(&s)),
                    Err(e) => Reply::from_temporal("check the emergency stop", &e),
                };
                app.respond(response_url.as_deref(), reply).await;
            });
            None
        }
        EmergencyCommand::Engage { reason } => {
            // Whether the user is on call may take a Slack call: answer in a task.
            let (app, user, response_url) =
                (app.clone(), inv.user_id.clone(), inv.response_url.clone());
            tokio::spawn(async move {
                let reply = match oncall::check(&app, &user).await {
                    Ok(()) => Reply::message(chatops_blocks::freeze::confirm(&reason)),
                    Err(refusal) => {
                        tracing::warn!(%user, "emergency stop refused: not on call");
                        let text = refusal.text("engage the emergency stop");
                        app.audit(AuditEntry {
                            actor: user.clone(),
                            action: "emergency_stop.engage".into(),
                            outcome: format!("refused: {text}"),
                            ..AuditEntry::default()
                        })
                        .await;
                        Reply::text(text)
                    }
                };
                app.respond(response_url.as_deref(), reply).await;
            });
            None
        }
        EmergencyCommand::Release { reason } => {
            let (app, user, response_url) =
                (app.clone(), inv.user_id.clone(), inv.response_url.clone());
            tokio::spawn(async move {
                let reply = release(&app, &user, reason).await;
                app.respond(response_url.as_deref(), reply).await;
            });
            None
        }
    }
}

/// Engages the stop for `user` (the confirmed button press lands here); returns the answer and
/// the audit outcome.
pub async fn engage(app: &App, user: &str, reason: String) -> (Reply, String) {
    if let Err(refusal) = oncall::check(app, user).await {
        let text = refusal.text("engage the emergency stop");
        return (Reply::text(text.clone()), format!("refused: {text}"));
    }
    let req = FreezeRequest {
        user: user.to_owned(),
        reason,
    };
    match app.temporal.engage_freeze(&req).await {
        Ok(()) => {
            tracing::warn!(%user, reason = %req.reason, "emergency stop engaged");
            let reply = Reply::text(format!(
                "Emergency stop engaged. The report follows in <#{}>.",
                app.settings.slack.channel
            ));
            (reply, format!("accepted: {}", req.reason))
        }
        Err(e) => (
            Reply::from_temporal("engage the emergency stop", &e),
            format!("failed: {e}"),
        ),
    }
}

async fn release(app: &App, user: &str, reason: String) -> Reply {
    let (reply, outcome) = match oncall::check(app, user).await {
        Err(refusal) => {
            let text = refusal.text("release the emergency stop");
            (Reply::text(text.clone()), format!("refused: {text}"))
        }
        Ok(()) => {
            let req = FreezeRequest {
                user: user.to_owned(),
                reason: reason.clone(),
            };
            match app.temporal.release_freeze(&req).await {
                Ok(()) => {
                    tracing::warn!(%user, %reason, "emergency stop released");
                    (
                        Reply::text("Releasing the emergency stop."),
                        format!("accepted: {reason}"),
                    )
                }
                Err(TemporalError::NotFound(_)) => (
                    Reply::text("The emergency stop is not engaged; nothing to release."),
                    "not engaged".to_owned(),
                ),
                Err(e) => (
                    Reply::from_temporal("release the emergency stop", &e),
                    format!("failed: {e}"),
                ),
            }
        }
    };
    app.audit(AuditEntry {
        actor: user.to_owned(),
        action: "emergency_stop.release".into(),
        outcome,
        ..AuditEntry::default()
    })
    .await;
    reply
}
