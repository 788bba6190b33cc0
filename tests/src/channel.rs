//! The delivery channel as a person sees it: top-level notes, and buttons on ephemeral
//! messages (which only their recipient sees).

use chatops_bot::shell::local_slack::{Ephemeral, PostedMessage};
use std::time::Duration;

use crate::Stack;
use crate::stack::CHANNEL;

/// Waits up to `within` for a top-level message in the delivery channel containing `needle`.
pub async fn channel_note(
    stack: &Stack,
    needle: &str,
    within: Duration,
) -> anyhow::Result<PostedMessage> {
    stack
        .slack
        .wait_for(
            &format!("a channel message containing {needle:?}"),
            within,
            |r| {
                r.messages
                    .iter()
                    .find(|m| {
                        m.channel == CHANNEL
                            && m.thread_ts.is_none()
                            && m.rendered().contains(needle)
                    })
                    .cloned()
            },
        )
        .await
}

/// Presses `label` on ephemeral message `eph` as `user`.
pub fn press_ephemeral(
    stack: &Stack,
    user: &str,
    eph: &Ephemeral,
    label: &str,
) -> anyhow::Result<()> {
    let message = PostedMessage {
        channel: CHANNEL.into(),
        ts: "0.0".into(),
        thread_ts: None,
        text: eph.text.clone(),
        blocks: eph.blocks.clone(),
        edits: 0,
        metadata: None,
    };
    let button = message
        .buttons()
        .into_iter()
        .find(|b| b.label == label)
        .ok_or_else(|| anyhow::anyhow!("no {label:?} on {}", eph.rendered()))?;
    stack
        .slack
        .send(&stack.slack.button_press(user, &message, &button))
}
