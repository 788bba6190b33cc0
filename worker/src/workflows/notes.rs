//! What workflows write in Slack threads: notes under a card, mentions, links to the Temporal
//! UI, and the text of a failed activity.

use chatops_blocks::feature::thread_note;
use chatops_contract::feature::MessageRef;
use temporalio_sdk::WorkflowContext;

use crate::activities::slack::{PostMessage, SlackActivities};
use crate::workflows::options;

/// Posts a note in `card`'s thread (nothing without a card); a Slack failure is logged, never
/// fatal: the step the note tells of has happened either way.
pub(crate) async fn note<W>(
    ctx: &WorkflowContext<W>,
    card: Option<&MessageRef>,
    emoji: &str,
    text: &str,
) {
    let Some(card) = card else {
        return;
    };
    let msg = PostMessage::of(&card.channel, Some(&card.ts), thread_note(emoji, text));
    if let Err(e) = ctx
        .execute_activity(SlackActivities::post_message, msg, options::short())
        .await
    {
        tracing::warn!(error = %e, "could not post a note in the thread");
    }
}

/// A user id (`U…`/`W…`) or user group id (`S…`) as a Slack mention.
pub(crate) fn mention(who: &str) -> String {
    if who.starts_with('S') {
        format!("<!subteam^{who}>")
    } else {
        format!("<@{who}>")
    }
}

/// An `:sos:` note in the thread: `summary` (escaped), addressed to the first escalation
/// contact when there is one.
pub(crate) async fn escalate<W>(
    ctx: &WorkflowContext<W>,
    card: Option<&MessageRef>,
    escalation: Option<&str>,
    summary: &str,
) {
    let text = format!(
        "{}{}",
        mention_first(escalation),
        chatops_blocks::escape(summary)
    );
    note(ctx, card, ":sos:", &text).await;
}

/// [`mention`] followed by a space, to lead a note; empty for nobody.
pub(crate) fn mention_first(who: Option<&str>) -> String {
    who.map(|w| format!("{} ", mention(w))).unwrap_or_default()
}

/// Deep link to workflow `id` in the Temporal UI at `ui_url`; empty when the URL is unusable.
pub(crate) fn ui_link(ui_url: &str, namespace: &str, id: &str) -> String {
    match url::Url::parse(ui_url) {
        Ok(ui) => chatops_common::settings::workflow_url(&ui, namespace, id),
        Err(_) => String::new(),
    }
}

/// The innermost message of an activity failure: what the activity itself said (e.g. the
/// agent's malformed answer), rather than Temporal's "Activity task failed" wrapper.
pub(crate) fn failure_text(e: &temporalio_sdk::ActivityExecutionError) -> String {
    deepest(e.failure()).unwrap_or_else(|| e.to_string())
}

/// The innermost message of a child workflow's failure: what failed inside it, rather than
/// Temporal's "Child Workflow execution failed" wrapper.
pub(crate) fn child_failure_text(e: &temporalio_sdk::ChildWorkflowExecutionError) -> String {
    deepest(e.failure()).unwrap_or_else(|| e.to_string())
}

/// The message of the deepest cause that has one.
fn deepest(
    mut f: Option<&temporalio_common::protos::temporal::api::failure::v1::Failure>,
) -> Option<String> {
    let mut found = None;
    while let Some(x) = f {
        // A sender with the codec on moves the message into (already decrypted) attributes.
        let message = chatops_common::codec::failure_message(x);
        if !message.is_empty() {
            found = Some(message);
        }
        f = x.cause.as_deref();
    }
    found
}
