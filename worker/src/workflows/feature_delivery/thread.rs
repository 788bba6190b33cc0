//! The feature's card and thread: posting, editing, and recording on the timeline what Slack
//! refused, so a notification never fails the delivery.

use chatops_blocks::{Message, feature as blocks};
use chatops_contract::feature::{FeatureStatus, MessageRef};
use temporalio_sdk::WorkflowContext;

use super::FeatureDelivery;
use crate::activities::slack::{PostMessage, SlackActivities, UpdateMessage};
use crate::workflows::clock::{self, rfc3339};
use crate::workflows::notes::failure_text;
use crate::workflows::options;

impl FeatureDelivery {
    /// Posts the feature's card, the root message every later update threads under; its ts.
    pub(super) async fn post_card(
        ctx: &WorkflowContext<Self>,
        id: &str,
        link: &str,
    ) -> Option<String> {
        let card = ctx.state(|s| card_message(id, &s.state.status(), link));
        let channel = ctx.state(|s| s.state.input.channel.clone());
        let card_ts = Self::notify(ctx, PostMessage::of(&channel, None, card)).await;
        if let Some(ts) = &card_ts {
            ctx.state_mut(|s| {
                s.state.card = Some(MessageRef {
                    channel: channel.clone(),
                    ts: ts.clone(),
                })
            });
        }
        card_ts
    }

    /// Posts `note` in the feature's thread and refreshes the card.
    pub(super) async fn report(ctx: &WorkflowContext<Self>, id: &str, link: &str, note: Message) {
        let Some(card) = ctx.state(|s| s.state.card.clone()) else {
            return;
        };
        let fresh = ctx.state(|s| card_message(id, &s.state.status(), link));
        temporalio_sdk::workflows::join!(
            Self::notify(ctx, PostMessage::of(&card.channel, Some(&card.ts), note)),
            Self::edit(ctx, UpdateMessage::of(&card.channel, &card.ts, fresh)),
        );
    }

    pub(super) async fn edit_if(ctx: &WorkflowContext<Self>, msg: Option<UpdateMessage>) {
        if let Some(msg) = msg {
            Self::edit(ctx, msg).await;
        }
    }

    /// Posts a message; a notification Slack refuses for good (deleted channel, missing scope)
    /// is recorded on the timeline instead of failing the delivery. When the channel itself is
    /// the problem, the requester is told once, in a direct message.
    pub(super) async fn notify(ctx: &WorkflowContext<Self>, msg: PostMessage) -> Option<String> {
        let channel = msg.channel.clone();
        match ctx
            .execute_activity(SlackActivities::post_message, msg, options::slack())
            .await
        {
            Ok(ts) => Some(ts),
            Err(e) => {
                let why = failure_text(&e);
                Self::record_failure(ctx, format!("could not post to Slack: {why}"));
                let code = ["channel_not_found", "not_in_channel", "is_archived"]
                    .into_iter()
                    .find(|c| why.contains(c));
                let requester = ctx.state(|s| s.state.input.requester.clone());
                if let Some(code) = code
                    && channel != requester
                    && !ctx.state(|s| s.told_requester)
                    && ctx.patched("tell-requester")
                {
                    ctx.state_mut(|s| s.told_requester = true);
                    let id = ctx.workflow_id().to_owned();
                    let text = format!(
                        "I can't post in <#{channel}> (`{code}`), so the card and updates of your feature `{id}` are not showing there. Invite me to the channel (`/invite @chatops`) or ask an admin. The feature goes on; `/feature status {id}` shows where it stands."
                    );
                    let dm =
                        PostMessage::of(&requester, None, blocks::thread_note(":warning:", &text));
                    if let Err(e) = ctx
                        .execute_activity(SlackActivities::post_message, dm, options::slack())
                        .await
                    {
                        Self::record_failure(
                            ctx,
                            format!("could not tell the requester either: {}", failure_text(&e)),
                        );
                    }
                }
                None
            }
        }
    }

    /// Edits a message; failures are recorded like [`Self::notify`]'s.
    pub(super) async fn edit(ctx: &WorkflowContext<Self>, msg: UpdateMessage) {
        if let Err(e) = ctx
            .execute_activity(SlackActivities::update_message, msg, options::slack())
            .await
        {
            Self::record_failure(ctx, format!("could not update a Slack message: {e}"));
        }
    }

    pub(super) fn record_failure(ctx: &WorkflowContext<Self>, what: String) {
        let at = rfc3339(clock::time(ctx));
        ctx.state_mut(|s| s.state.event(&at, what, None));
    }
}

fn card_message(id: &str, status: &FeatureStatus, link: &str) -> Message {
    blocks::card(&blocks::CardView {
        workflow_id: id,
        status,
        ui_link: link,
    })
}
