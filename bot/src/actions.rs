//! Button presses: decode with the contract's codec, run the action through `ops` in a task,
//! and answer the presser with what came of it.

use chatops_contract::actions::{Action, DecodeError};
use std::sync::Arc;

use crate::ops::{self, Actor, OpError, Refusal, decision::Decided};
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

/// Handles a press in a task: a redelivery is ignored, a mistake answered, an action run.
pub fn handle(app: &Arc<App>, press: Press) {
    let app = app.clone();
    crate::tasks::spawn(async move {
        if let Some(key) = &press.dedup_key
            && !app.first_time(key).await
        {
            tracing::info!(%key, user = %press.user_id, "redelivered button press ignored");
            return;
        }
        let reply = match Action::decode(&press.action_id, press.value.as_deref()) {
            Err(e) => Some(decode_reply(&e)),
            Ok(action) => {
                let actor = Actor::slack(press.user_id.clone(), press.channel_id.clone());
                apply(&app, &actor, action).await
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

/// Runs a decoded press; the answer for the presser, if there is one (a decision that counted
/// shows on the card instead).
async fn apply(app: &App, actor: &Actor, action: Action) -> Option<Reply> {
    match action {
        Action::Approve { workflow, gate } => {
            let decided = ops::decision::approve(app, actor, &workflow, &gate, None).await;
            decision_reply(app, &workflow, "approve", decided)
        }
        Action::Reject { workflow, gate } => {
            let why = "rejected from Slack".to_owned();
            let decided = ops::decision::reject(app, actor, &workflow, &gate, why).await;
            decision_reply(app, &workflow, "reject", decided)
        }
        Action::Acknowledge { workflow } => {
            let done = ops::incident::acknowledge(app, actor, &workflow).await;
            done.err().map(|e| Reply::from_op("acknowledge", &e))
        }
        Action::Rollback { workflow } => {
            let why = "requested from Slack".to_owned();
            let done = ops::incident::rollback(app, actor, &workflow, why).await;
            done.err().map(|e| Reply::from_op("roll back", &e))
        }
        Action::Resolve { workflow } => {
            let summary = "resolved from Slack".to_owned();
            let done = ops::incident::resolve(app, actor, &workflow, summary).await;
            done.err().map(|e| Reply::from_op("resolve", &e))
        }
        Action::ChooseDiagnosis { workflow, index } => {
            let done = ops::incident::choose_diagnosis(app, actor, &workflow, index).await;
            done.err()
                .map(|e| Reply::from_op("choose a diagnosis for", &e))
        }
        Action::EngageFreeze { reason } => {
            Some(match ops::emergency::engage(app, actor, reason).await {
                Ok(()) => Reply::text(format!(
                    "Emergency stop engaged. The report follows in <#{}>.",
                    app.settings.slack.channel
                )),
                Err(e) => Reply::from_op("engage the emergency stop", &e),
            })
        }
        Action::CancelFreeze => {
            ops::emergency::dont_engage(app, actor).await;
            Some(Reply::text(
                "Emergency stop not engaged. Nothing was changed.",
            ))
        }
    }
}

/// A counted or queued decision shows on the card; a refusal says why, with the workflow's link.
fn decision_reply(
    app: &App,
    workflow: &str,
    doing: &str,
    decided: Result<Decided, OpError>,
) -> Option<Reply> {
    match decided {
        Ok(_) => None,
        Err(OpError::Refused(Refusal::Declined(why))) => Some(Reply::text(format!(
            "Your {doing} did not count: {why}. Nothing was changed. <{}|Open in Temporal>",
            app.workflow_url(workflow)
        ))),
        Err(e) => Some(Reply::from_op(doing, &e)),
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
