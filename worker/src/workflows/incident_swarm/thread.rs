//! The incident's thread and timeline: notes, posts and edits, with what Slack refused
//! recorded on the timeline rather than failing the incident.

use chatops_blocks::{Message, feature::thread_note};
use chatops_contract::incident::IncidentState;
use temporalio_sdk::WorkflowContext;

use super::IncidentSwarm;
use crate::activities::slack::{PostMessage, SlackActivities, UpdateMessage};
use crate::workflows::clock::now;
use crate::workflows::options;

pub(super) fn enter(ctx: &WorkflowContext<IncidentSwarm>, state: IncidentState) {
    let at = now(ctx);
    ctx.state_mut(|s| s.incident.enter(state, &at));
}

pub(super) fn record(ctx: &WorkflowContext<IncidentSwarm>, what: String) {
    let at = now(ctx);
    ctx.state_mut(|s| s.incident.event(&at, what, None));
}

pub(super) async fn note(ctx: &WorkflowContext<IncidentSwarm>, emoji: &str, text: &str) {
    notify_thread(ctx, thread_note(emoji, text)).await;
}

/// Posts in the incident's thread; returns the message's ts.
pub(super) async fn notify_thread(
    ctx: &WorkflowContext<IncidentSwarm>,
    m: Message,
) -> Option<String> {
    let card = ctx.state(|s| s.incident.status.card.clone())?;
    notify(ctx, PostMessage::of(&card.channel, Some(&card.ts), m)).await
}

/// A notification Slack refuses for good is recorded on the timeline, never fatal.
pub(super) async fn notify(
    ctx: &WorkflowContext<IncidentSwarm>,
    msg: PostMessage,
) -> Option<String> {
    match ctx
        .execute_activity(SlackActivities::post_message, msg, options::slack())
        .await
    {
        Ok(ts) => Some(ts),
        Err(e) => {
            record(ctx, format!("could not post to Slack: {e}"));
            None
        }
    }
}

pub(super) async fn edit(ctx: &WorkflowContext<IncidentSwarm>, msg: UpdateMessage) {
    if let Err(e) = ctx
        .execute_activity(SlackActivities::update_message, msg, options::slack())
        .await
    {
        record(ctx, format!("could not update a Slack message: {e}"));
    }
}
