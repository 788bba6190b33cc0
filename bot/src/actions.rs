//! Button presses: decode with the contract's codec, then signal the workflow in a task.

use chatops_contract::actions::{Action, DecodeError};
use chatops_contract::feature::{Approve, Reject};
use chatops_contract::incident::{Acknowledge, ChooseDiagnosis, Resolve, Rollback};
use chatops_contract::{Signal, Update, signals, updates};
use std::time::Duration;

use crate::store::AuditEntry;
use crate::temporal::DecisionError;
use std::sync::Arc;

use crate::{AnswerTo, App, Reply};

/// One button press, as Slack reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Press {
    /// Who pressed.
    pub user_id: String,
    /// The button's `action_id`.
    pub action_id: String,
    /// The button's `value`.
    pub value: Option<String>,
    /// Where to answer the presser (`None`: only logged).
    pub answer: Option<AnswerTo>,
    /// Pressed in the App Home tab: publish it again once decided.
    pub from_home: bool,
    /// The channel the button was in.
    pub channel_id: Option<String>,
    /// Identity of the envelope that carried the press; a redelivery repeats it.
    pub dedup_key: Option<String>,
}

/// Handles a press: answers mistakes at once (in a task) and signals the workflow otherwise.
pub fn handle(app: &Arc<App>, press: Press) {
    let app = app.clone();
    tokio::spawn(async move {
        if let Some(key) = &press.dedup_key
            && !app.first_time(key).await
        {
            tracing::info!(%key, user = %press.user_id, "redelivered button press ignored");
            return;
        }
        let reply = match Action::decode(&press.action_id, press.value.as_deref()) {
            Err(e) => Some(decode_reply(&e)),
            Ok(action) => {
                let (reply, outcome) = apply(&app, &press.user_id, action.clone()).await;
                app.audit(audit_entry(&press, &action, outcome)).await;
                reply
            }
        };
        match (reply, &press.answer) {
            (Some(reply), Some(to)) => app.answer(to, reply).await,
            (Some(reply), None) => {
                tracing::warn!(text = %reply.text, "no way to answer a button press")
            }
            (None, _) => {}
        }
        if press.from_home {
            crate::views::publish_home(&app, press.user_id.clone());
        }
    });
}

/// Applies a decoded press; returns the answer for the presser and the audit outcome.
async fn apply(app: &App, user: &str, action: Action) -> (Option<Reply>, String) {
    let result = match &action {
        Action::EngageFreeze { reason } => {
            let (reply, outcome) =
                crate::commands::emergency::engage(app, user, reason.clone()).await;
            return (Some(reply), outcome);
        }
        Action::CancelFreeze => {
            return (
                Some(Reply::text(
                    "Emergency stop not engaged. Nothing was changed.",
                )),
                "cancelled".to_owned(),
            );
        }
        Action::Approve { workflow, gate } => {
            let payload = Approve {
                gate: gate.clone(),
                user: user.to_owned(),
                comment: None,
            };
            return decide(
                app,
                workflow,
                updates::APPROVE,
                signals::APPROVE,
                &payload,
                "approve",
            )
            .await;
        }
        Action::Reject { workflow, gate } => {
            let payload = Reject {
                gate: gate.clone(),
                user: user.to_owned(),
                reason: "rejected from Slack".to_owned(),
            };
            return decide(
                app,
                workflow,
                updates::REJECT,
                signals::REJECT,
                &payload,
                "reject",
            )
            .await;
        }
        Action::Acknowledge { workflow } => {
            let payload = Acknowledge {
                user: user.to_owned(),
            };
            app.temporal
                .signal(workflow, signals::ACKNOWLEDGE, &payload)
                .await
        }
        Action::Rollback { workflow } => {
            let payload = Rollback {
                user: user.to_owned(),
                reason: "requested from Slack".to_owned(),
            };
            app.temporal
                .signal(workflow, signals::ROLLBACK, &payload)
                .await
        }
        Action::Resolve { workflow } => {
            let payload = Resolve {
                user: user.to_owned(),
                summary: "resolved from Slack".to_owned(),
            };
            app.temporal
                .signal(workflow, signals::RESOLVE, &payload)
                .await
        }
        Action::ChooseDiagnosis { workflow, index } => {
            let payload = ChooseDiagnosis {
                index: *index,
                user: user.to_owned(),
            };
            app.temporal
                .signal(workflow, signals::CHOOSE_DIAGNOSIS, &payload)
                .await
        }
    };
    let doing = match action {
        Action::Approve { .. } => "approve",
        Action::Reject { .. } => "reject",
        Action::Acknowledge { .. } => "acknowledge",
        Action::Rollback { .. } => "roll back",
        Action::Resolve { .. } => "resolve",
        Action::ChooseDiagnosis { .. } => "choose a diagnosis for",
        Action::EngageFreeze { .. } | Action::CancelFreeze => "use the emergency stop",
    };
    match result {
        Ok(()) => {
            tracing::info!(workflow_id = %action.workflow(), %user, doing, "decision signalled");
            (None, "accepted".to_owned())
        }
        Err(e) => (
            Some(Reply::from_temporal(doing, &e)),
            format!("failed: {e}"),
        ),
    }
}

fn audit_entry(press: &Press, action: &Action, outcome: String) -> AuditEntry {
    let (name, gate, decision) = match action {
        Action::Approve { gate, .. } => ("approve", Some(gate.clone()), Some("approve")),
        Action::Reject { gate, .. } => ("reject", Some(gate.clone()), Some("reject")),
        Action::Acknowledge { .. } => ("incident.acknowledge", None, None),
        Action::Rollback { .. } => ("incident.rollback", None, None),
        Action::Resolve { .. } => ("incident.resolve", None, None),
        Action::ChooseDiagnosis { .. } => ("incident.choose_diagnosis", None, None),
        Action::EngageFreeze { .. } => ("emergency_stop.engage", None, None),
        Action::CancelFreeze => ("emergency_stop.cancel", None, None),
    };
    AuditEntry {
        actor: press.user_id.clone(),
        action: name.to_owned(),
        workflow_id: Some(action.workflow().to_owned()).filter(|w| !w.is_empty()),
        gate,
        decision: decision.map(str::to_owned),
        outcome,
        slack_channel: press.channel_id.clone(),
        ..AuditEntry::default()
    }
}

/// How long the workflow has to accept or refuse a decision before it is sent as a signal.
const UPDATE_WAIT: Duration = Duration::from_secs(5);

/// Sends a gate decision as a validated update, so a refusal reaches the person who clicked.
/// When no worker answers in time (a worker restart, say), the decision goes as a signal:
/// durable, applied by the same rules when a worker picks it up, refusals on the timeline.
async fn decide<T: serde::Serialize + Sync>(
    app: &App,
    workflow: &str,
    update: Update<T, String>,
    signal: Signal<T>,
    payload: &T,
    doing: &str,
) -> (Option<Reply>, String) {
    match tokio::time::timeout(UPDATE_WAIT, app.temporal.update(workflow, update, payload)).await {
        Ok(Ok(said)) => {
            tracing::info!(workflow_id = %workflow, doing, gate = %said, "decision accepted");
            (
                None,
                format!("accepted: {}", said.as_str().unwrap_or_default()),
            )
        }
        Ok(Err(DecisionError::Refused(why))) => {
            tracing::info!(workflow_id = %workflow, doing, %why, "decision refused");
            let reply = Reply::text(format!(
                "Your {doing} did not count: {why}. Nothing was changed. <{}|Open in Temporal>",
                app.workflow_url(workflow)
            ));
            (Some(reply), format!("refused: {why}"))
        }
        Ok(Err(DecisionError::Temporal(e))) => (
            Some(Reply::from_temporal(doing, &e)),
            format!("failed: {e}"),
        ),
        Err(_) => {
            tracing::warn!(workflow_id = %workflow, doing, "no worker answered the update; sending a signal");
            match app.temporal.signal(workflow, signal, payload).await {
                Ok(()) => (
                    None,
                    "sent as a signal (no worker answered in time)".to_owned(),
                ),
                Err(e) => (
                    Some(Reply::from_temporal(doing, &e)),
                    format!("failed: {e}"),
                ),
            }
        }
    }
}

fn decode_reply(err: &DecodeError) -> Reply {
    tracing::info!(error = %err, "undecodable button press");
    match err {
        DecodeError::UnknownAction(_) => Reply::text(
            "That button isn't one I know; it may come from an older version of this app. Nothing was changed.",
        ),
        _ => Reply::text(
            "That button's data is damaged, so I can't tell what it was for. Nothing was changed.",
        ),
    }
}
