//! Holding and stopping: pause and blockers, the emergency stop checked before every
//! transition, `cancel` and `emergency_stop` ending the delivery, and failure.

use chatops_blocks::feature as blocks;
use chatops_contract::Signal;
use chatops_contract::feature::{DeliveryKind, FeatureOutcome, Phase};
use chatops_contract::freeze::FreezeRequest;
use chatops_contract::lifecycle::Control;
use std::time::Duration;
use temporalio_sdk::WorkflowContext;

use super::FeatureDelivery;
use crate::activities::freeze::FreezeActivities;
use crate::activities::policy::FeaturePolicy;
use crate::domain::feature_state::FeatureState;
use crate::workflows::clock::{self, rfc3339};
use crate::workflows::notes::mention_first;
use crate::workflows::options;

/// Who may pause, resume, block, unblock and reprioritise, in a refusal's words.
pub(super) const STEERERS: &str = "the requester, the gates' approvers and admins";
/// Who may cancel, in a refusal's words.
pub(super) const REQUESTER_OR_ADMIN: &str = "the requester and admins";

/// A held delivery backs off between checks of the emergency stop and wakes on its release.
const BOUNDED_HOLD: &str = "bounded-freeze-hold";

/// A held delivery asks the emergency stop to wake it and waits for that alone.
const HOLD_REGISTERS: &str = "freeze-hold-registers";

impl FeatureDelivery {
    /// Whether `rule` lets `user` do `doing`; a refusal is kept on the timeline and logged for
    /// the audit trail.
    pub(super) fn allowed(
        &mut self,
        doing: &str,
        user: &str,
        rule: fn(&FeatureState, &str) -> bool,
        who_may: &str,
        at: &str,
        replaying: bool,
    ) -> bool {
        if rule(&self.state, user) {
            return true;
        }
        let why = self.state.refuse(doing, user, who_may, at);
        if !replaying {
            tracing::warn!(target: "audit", %why, "feature signal refused");
        }
        false
    }

    /// The emergency stop arrived: the first one stops the delivery, a repeat is only noted.
    pub(super) fn stop_asked(&mut self, req: FreezeRequest, at: &str) {
        if self.stop.is_none() {
            self.state.event(
                at,
                format!("emergency stop: {}", req.reason),
                Some(&req.user),
            );
            self.stop = Some(req);
        } else {
            self.state.event(
                at,
                "emergency stop repeated; already stopping".to_owned(),
                Some(&req.user),
            );
        }
    }

    /// `cancel` arrived: it stops a delivery that is neither stopping nor finished.
    pub(super) fn cancel_asked(&mut self, c: Control, at: &str) {
        if self.stop.is_none() && !self.state.phase.is_terminal() {
            let reason = c.reason.unwrap_or_else(|| "no reason given".to_owned());
            self.state
                .event(at, format!("cancelled: {reason}"), Some(&c.user));
            self.stop = Some(FreezeRequest {
                user: c.user,
                reason,
                scheduled: None,
            });
            self.cancelled = true;
        } else {
            self.state.event(
                at,
                "ignored: cancel (already stopping or finished)".to_owned(),
                Some(&c.user),
            );
        }
    }

    /// `pause` or `resume` arrived: the delivery holds (or goes on) at its next transition.
    pub(super) fn control(
        &mut self,
        signal: Signal<Control>,
        payload: serde_json::Value,
        paused: bool,
        at: &str,
        replaying: bool,
    ) {
        let doing = if paused { "pause" } else { "resume" };
        if let Some(c) = self.decode(signal, payload, at)
            && self.allowed(
                doing,
                &c.user,
                FeatureState::may_steer,
                STEERERS,
                at,
                replaying,
            )
        {
            self.state
                .set_paused(paused, &c.user, c.reason.as_deref(), at);
        }
    }

    /// Holds before `next` while paused or blocked; `Some` when stopped meanwhile.
    pub(super) async fn hold(
        ctx: &WorkflowContext<Self>,
        id: &str,
        link: &str,
        next: Phase,
    ) -> Option<FeatureOutcome> {
        if ctx.state(|s| s.state.may_proceed()) {
            return None;
        }
        let why = ctx.state(|s| {
            if s.state.paused {
                "paused; `resume` lets it go on".to_owned()
            } else {
                let ids: Vec<String> = s
                    .state
                    .blockers
                    .iter()
                    .map(|b| format!("`{}`", b.id))
                    .collect();
                format!(
                    "blocked by {}; it goes on once they are removed",
                    ids.join(", ")
                )
            }
        });
        let text = format!("Held before *{}*: {why}.", next.label());
        Self::report(
            ctx,
            id,
            link,
            blocks::thread_note(":double_vertical_bar:", &text),
        )
        .await;
        temporalio_sdk::workflows::select! {
            _ = ctx.wait_condition(|s: &Self| s.state.may_proceed()) => {}
            _ = ctx.wait_condition(|s: &Self| s.stop.is_some()) => {}
        };
        if let Some(outcome) = Self::halt_if_stopped(ctx, id, link).await {
            return Some(outcome);
        }
        let text = format!("Going on with *{}*.", next.label());
        Self::report(ctx, id, link, blocks::thread_note(":arrow_forward:", &text)).await;
        None
    }

    /// Ends the delivery as failed in `phase`, calling the escalation contact.
    pub(super) async fn fail(
        ctx: &WorkflowContext<Self>,
        id: &str,
        link: &str,
        phase: Phase,
        why: String,
    ) -> FeatureOutcome {
        let at = rfc3339(clock::time(ctx));
        ctx.state_mut(|s| s.state.enter(Phase::Failed, &at, false));
        let who = ctx.state(|s| s.life.as_ref().and_then(|l| l.escalation.clone()));
        let summary = format!("{} failed: {why}", phase.label());
        let text = format!(
            "{}{}",
            mention_first(who.as_deref()),
            chatops_blocks::escape(&summary)
        );
        Self::report(ctx, id, link, blocks::thread_note(":no_entry:", &text)).await;
        FeatureOutcome {
            phase: Phase::Failed,
            summary,
        }
    }

    /// Before moving to `next`: halt if stopped; hold while the emergency stop is engaged.
    pub(super) async fn transition(
        ctx: &WorkflowContext<Self>,
        id: &str,
        link: &str,
        policy: &FeaturePolicy,
        next: Phase,
        freeze_checks: bool,
    ) -> Option<FeatureOutcome> {
        if let Some(outcome) = Self::halt_if_stopped(ctx, id, link).await {
            return Some(outcome);
        }
        if !freeze_checks {
            return None;
        }
        let recheck = match policy.freeze_recheck_ms {
            0 => Duration::from_secs(60),
            ms => Duration::from_millis(ms),
        };
        // Waits double up to the cap and a release wakes the delivery, so a long freeze adds a
        // check an hour to its history, not one a minute (runs recorded before keep polling).
        let longest = Duration::from_millis(policy.freeze_recheck_max_ms).max(recheck);
        let mut wait = recheck;
        let mut backs_off = None;
        let (mut registers, mut timed) = (None, false);
        let mut held = false;
        loop {
            let releases = ctx.state(|s| s.releases);
            let freeze = match ctx
                .execute_activity(FreezeActivities::check, (), options::slack())
                .await
            {
                Ok(f) => f,
                Err(e) => {
                    Self::record_failure(ctx, format!("could not check the emergency stop: {e}"));
                    return None;
                }
            };
            // A hotfix that on call let pass goes on, and says so once.
            if freeze.engaged
                && let Some((pass, told)) = ctx.state(|s| s.freeze_pass.clone())
            {
                ctx.state_mut(|s| {
                    s.state.held = None;
                    if let Some(p) = s.freeze_pass.as_mut() {
                        p.1 = true;
                    }
                });
                if !told {
                    let text = format!(
                        "Passing the freeze: allowed by <@{}> ({}).",
                        pass.user,
                        chatops_blocks::escape(pass.reason.trim())
                    );
                    Self::report(ctx, id, link, blocks::thread_note(":fast_forward:", &text)).await;
                }
                return None;
            }
            if !freeze.engaged {
                ctx.state_mut(|s| s.state.held = None);
                if held {
                    let note = blocks::thread_note(
                        ":arrow_forward:",
                        &format!("Emergency stop released: going on with *{}*.", next.label()),
                    );
                    Self::report(ctx, id, link, note).await;
                }
                return None;
            }
            if !held {
                held = true;
                let at = rfc3339(clock::time(ctx));
                ctx.state_mut(|s| {
                    s.state.event(
                        &at,
                        format!("held before {} by the emergency stop", next.label()),
                        None,
                    )
                });
                let (why, text) = match &freeze.scheduled {
                    Some(h) => (
                        format!("the scheduled freeze `{}` until {}", h.name, h.until),
                        format!(
                            "Held before *{}*: the scheduled freeze `{}` holds deliveries until {} (scheduled by <@{}>: {}). Going on once it ends.",
                            next.label(),
                            h.name,
                            h.until,
                            freeze.engaged_by.clone().unwrap_or_default(),
                            chatops_blocks::escape(&freeze.reason.clone().unwrap_or_default())
                        ),
                    ),
                    None => (
                        "the emergency stop".to_owned(),
                        format!(
                            "Held before *{}*: the emergency stop is engaged (by <@{}>: {}). Going on once it is released.",
                            next.label(),
                            freeze.engaged_by.clone().unwrap_or_default(),
                            chatops_blocks::escape(&freeze.reason.clone().unwrap_or_default())
                        ),
                    ),
                };
                ctx.state_mut(|s| s.state.held = Some(why));
                let text = if ctx.state(|s| s.state.input.kind == DeliveryKind::Hotfix) {
                    format!(
                        "{text} This is a hotfix: someone on call may let it pass with `/feature pass-freeze {id} &lt;reason&gt;`."
                    )
                } else {
                    text
                };
                let note = blocks::thread_note(":double_vertical_bar:", &text);
                Self::report(ctx, id, link, note).await;
            }
            // The stop wakes the deliveries that asked, so a hold waits for that alone and its
            // history does not grow however long the stop lasts (runs recorded before, or a
            // stop that cannot be asked, check again on a timer).
            if !timed && *registers.get_or_insert_with(|| ctx.patched(HOLD_REGISTERS)) {
                match ctx
                    .execute_activity(
                        FreezeActivities::hold,
                        id.to_owned(),
                        options::attempts(Duration::from_secs(15), 5),
                    )
                    .await
                {
                    Ok(()) => {
                        temporalio_sdk::workflows::select! {
                            _ = ctx.wait_condition(|s: &Self| s.stop.is_some()) => {}
                            _ = ctx.wait_condition(move |s: &Self| s.releases > releases) => {}
                            _ = ctx.wait_condition(|s: &Self| s.freeze_pass.is_some()) => {}
                        };
                        if let Some(outcome) = Self::halt_if_stopped(ctx, id, link).await {
                            return Some(outcome);
                        }
                        continue;
                    }
                    Err(e) => {
                        Self::record_failure(
                            ctx,
                            format!(
                                "could not ask the emergency stop to wake this delivery ({e}); checking again on a timer"
                            ),
                        );
                        timed = true;
                    }
                }
            }
            let bounded = *backs_off.get_or_insert_with(|| ctx.patched(BOUNDED_HOLD));
            if !bounded {
                temporalio_sdk::workflows::select! {
                    _ = ctx.timer(recheck) => {}
                    _ = ctx.wait_condition(|s: &Self| s.stop.is_some()) => {}
                };
            } else {
                temporalio_sdk::workflows::select! {
                    _ = ctx.timer(wait) => {}
                    _ = ctx.wait_condition(|s: &Self| s.stop.is_some()) => {}
                    _ = ctx.wait_condition(move |s: &Self| s.releases > releases) => {}
                    _ = ctx.wait_condition(|s: &Self| s.freeze_pass.is_some()) => {}
                };
                wait = (wait * 2).min(longest);
            }
            if let Some(outcome) = Self::halt_if_stopped(ctx, id, link).await {
                return Some(outcome);
            }
        }
    }

    /// Ends the delivery when `emergency_stop` arrived. Production is never touched yet (its
    /// phase is a placeholder), so there is nothing to roll back; the note says so.
    pub(super) async fn halt_if_stopped(
        ctx: &WorkflowContext<Self>,
        id: &str,
        link: &str,
    ) -> Option<FeatureOutcome> {
        let stop = ctx.state(|s| s.stop.clone())?;
        let was = ctx.state(|s| s.state.status().phase);
        let at = rfc3339(clock::time(ctx));
        ctx.state_mut(|s| s.state.enter(Phase::Cancelled, &at, false));
        let production =
            ctx.state(|s| s.life.as_ref().map(|_| s.state.evidence.production.clone()));
        let after = match production {
            None => "Production was not touched (the production phase does no real deploy yet), so nothing was rolled back.".to_owned(),
            Some(None) => "Production was not touched, so nothing was rolled back.".to_owned(),
            Some(Some(r)) if r.rolled_back.is_some() => format!(
                "Production was rolled back: {}.",
                r.rollback_steps.join("; ")
            ),
            Some(Some(_)) => "Production had been deployed and stayed healthy; it was left running.".to_owned(),
        };
        let who = if ctx.state(|s| s.cancelled) {
            "Cancelled"
        } else {
            "Emergency stop"
        };
        let summary = format!(
            "{who} by <@{}>: {}. Halted in {}. {after}",
            stop.user,
            chatops_blocks::escape(&stop.reason),
            was.label()
        );
        Self::report(
            ctx,
            id,
            link,
            blocks::thread_note(":octagonal_sign:", &summary),
        )
        .await;
        Some(FeatureOutcome {
            phase: Phase::Cancelled,
            summary,
        })
    }
}
