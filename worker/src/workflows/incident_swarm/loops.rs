//! The loops beside the main flow: the outbox, where what signals leave behind is posted and
//! rollbacks run one at a time, and the card, edited one version at a time.

use chatops_blocks::incident as blocks;
use chatops_contract::incident::Rollback;
use std::time::Duration;
use temporalio_sdk::WorkflowContext;

use super::IncidentSwarm;
use super::thread::{edit, note, record};
use crate::activities::incident::{IncidentActivities, RollbackRequest};
use crate::activities::slack::UpdateMessage;
use crate::domain::incident_state::Pending;
use crate::workflows::clock::now;
use crate::workflows::options;

/// A rollback goes before notes still waiting for Slack, and acts before it is announced.
const ACT_FIRST: &str = "rollback-acts-first";
/// After a rollback succeeded, later requests run nothing.
const ROLLBACK_ONCE: &str = "rollback-once";

impl IncidentSwarm {
    /// Posts what signals left behind and runs requested rollbacks, one at a time, until the
    /// incident closes.
    pub(super) async fn outbox(ctx: &WorkflowContext<Self>) {
        loop {
            let ready = ctx
                .wait_condition(|s: &Self| !s.incident.pending.is_empty() || s.closing)
                .await;
            if ready.is_err() {
                return; // cancelled
            }
            // A rollback waiting behind notes goes first: notes wait for Slack, it must not.
            let behind = ctx.state(|s| {
                let p = &s.incident.pending;
                !matches!(p.front(), Some(Pending::Rollback(_)))
                    && p.iter().any(|w| matches!(w, Pending::Rollback(_)))
            });
            let rollback_first = behind && ctx.patched(ACT_FIRST);
            let Some(work) = ctx.state_mut(|s| {
                let p = &mut s.incident.pending;
                match p.iter().position(|w| matches!(w, Pending::Rollback(_))) {
                    Some(i) if rollback_first => p.remove(i),
                    _ => p.pop_front(),
                }
            }) else {
                return;
            };
            ctx.state_mut(|s| s.outbox_busy = true);
            match work {
                Pending::Note(emoji, text) => note(ctx, emoji, &text).await,
                Pending::Rollback(r) => Self::run_rollback(ctx, r).await,
            }
            ctx.state_mut(|s| s.outbox_busy = false);
        }
    }

    /// Runs `r`'s rollback, unless one already succeeded: then nothing runs again. The
    /// rollback acts first and is announced after, so Slack never holds it up.
    async fn run_rollback(ctx: &WorkflowContext<Self>, r: Rollback) {
        let (id, service) = ctx.state(|s| {
            (
                s.incident.status.id.clone(),
                s.incident.status.service.clone(),
            )
        });
        if let Some((by, at)) = ctx.state(|s| s.incident.rolled_back.clone())
            && ctx.patched(ROLLBACK_ONCE)
        {
            record(
                ctx,
                format!(
                    "rollback by {} not run: {by} already rolled back at {at}",
                    r.user
                ),
            );
            note(
                ctx,
                ":information_source:",
                &format!(
                    "<@{}>, {} was already rolled back by <@{by}> at {at}; nothing was run again.",
                    r.user,
                    chatops_blocks::escape(&service)
                ),
            )
            .await;
            return;
        }
        let act_first = ctx.patched(ACT_FIRST);
        if !act_first {
            note(
                ctx,
                ":rewind:",
                &format!(
                    "<@{}> started a rollback of {}: {}",
                    r.user,
                    chatops_blocks::escape(&service),
                    chatops_blocks::escape(&r.reason)
                ),
            )
            .await;
        }
        let asked = format!(
            "for {} (asked by <@{}>: {})",
            chatops_blocks::escape(&service),
            r.user,
            chatops_blocks::escape(&r.reason)
        );
        let req = RollbackRequest {
            incident: id,
            service,
            user: r.user.clone(),
            reason: r.reason,
        };
        let report = ctx
            .execute_activity(
                IncidentActivities::rollback,
                req,
                options::attempts(Duration::from_secs(660), 1),
            )
            .await;
        let at = now(ctx);
        let (emoji, text) = match report {
            Ok(rep) if rep.ok => {
                ctx.state_mut(|s| {
                    s.incident
                        .event(&at, "rollback succeeded", Some(r.user.clone()));
                    s.incident.rolled_back = Some((r.user.clone(), at.clone()));
                    if s.incident.status.mitigated_at.is_none() {
                        s.incident.status.mitigated_at = Some(at.clone());
                    }
                    s.incident.touch();
                });
                (
                    ":white_check_mark:",
                    if act_first {
                        format!(
                            "Rollback succeeded {asked}. ```{}```",
                            chatops_blocks::escape(&rep.output)
                        )
                    } else {
                        format!(
                            "Rollback succeeded. ```{}```",
                            chatops_blocks::escape(&rep.output)
                        )
                    },
                )
            }
            Ok(rep) => {
                ctx.state_mut(|s| {
                    s.incident
                        .event(&at, format!("rollback failed: {}", rep.output), None)
                });
                (
                    ":x:",
                    if act_first {
                        format!(
                            "Rollback failed {asked}: ```{}```",
                            chatops_blocks::escape(&rep.output)
                        )
                    } else {
                        format!(
                            "Rollback failed: ```{}```",
                            chatops_blocks::escape(&rep.output)
                        )
                    },
                )
            }
            Err(e) => {
                ctx.state_mut(|s| s.incident.event(&at, format!("rollback failed: {e}"), None));
                (
                    ":x:",
                    if act_first {
                        format!(
                            "Rollback failed {asked}: {}",
                            chatops_blocks::escape(&e.to_string())
                        )
                    } else {
                        format!(
                            "Rollback failed: {}",
                            chatops_blocks::escape(&e.to_string())
                        )
                    },
                )
            }
        };
        note(ctx, emoji, &text).await;
    }

    /// Keeps the card showing the latest state: one edit in flight at a time, so an older
    /// version can never land after a newer one.
    pub(super) async fn card_loop(ctx: &WorkflowContext<Self>, link: &str) {
        loop {
            // While the run drains to continue as new, the card waits for the next run.
            let ready = ctx
                .wait_condition(|s: &Self| {
                    (s.incident.card_version > s.card_shown && !s.draining) || s.closing
                })
                .await;
            if ready.is_err() || ctx.state(|s| s.continuing) {
                return; // cancelled, or the next run takes the card over
            }
            let (version, card, msg) = ctx.state(|s| {
                (
                    s.incident.card_version,
                    s.incident.status.card.clone(),
                    blocks::card(&s.incident.status, link),
                )
            });
            if version > ctx.state(|s| s.card_shown)
                && let Some(card) = card
            {
                ctx.state_mut(|s| s.card_busy = true);
                edit(ctx, UpdateMessage::of(&card.channel, &card.ts, msg)).await;
                ctx.state_mut(|s| s.card_busy = false);
            }
            ctx.state_mut(|s| s.card_shown = version);
            if ctx.state(|s| s.closing && s.incident.card_version == s.card_shown) {
                return;
            }
        }
    }
}
