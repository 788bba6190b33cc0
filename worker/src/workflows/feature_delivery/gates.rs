//! Waiting on a gate: each vote announced in the thread, one escalation when nobody decides,
//! the deadline (reject, or approve where the gate says so), feedback that sends its phase
//! round again, and the decision narrated.

use chatops_blocks::feature as blocks;
use chatops_contract::Signal;
use chatops_contract::feature::{FeatureOutcome, GateName, GateState, Phase};
use chatops_contract::lifecycle::{Evidence, Feedback};
use futures::FutureExt as _;
use std::time::{Duration, SystemTime};
use temporalio_sdk::WorkflowContext;

use super::FeatureDelivery;
use super::children::PhaseRun;
use crate::activities::slack::{PostMessage, UpdateMessage};
use crate::workflows::clock::{self, rfc3339};
use crate::workflows::notes::mention_first;
use crate::workflows::phases::{ProductionReadiness, TaskPlanning};

/// How waiting on a gate ended.
pub(super) enum GateWait {
    /// Decided, timed out or stopped: look at the gate and the stop.
    Done,
    /// Someone asked the phase to redo its work first.
    Feedback(String),
}

impl FeatureDelivery {
    /// Waits on a pending gate: announces each vote, escalates once at `escalate_at`, decides
    /// at `deadline` (rejects, or approves where `auto_approve`), and hands back feedback for
    /// the caller to act on. Without escalation or feedback it schedules exactly what the
    /// intake wait always did, so older histories replay.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn await_gate(
        ctx: &WorkflowContext<Self>,
        id: &str,
        link: &str,
        gate: GateName,
        (deadline, timeout): (SystemTime, Duration),
        escalate: Option<(SystemTime, Duration)>,
        auto_approve: bool,
    ) -> GateWait {
        let escalate_at = escalate.map(|(at, _)| at);
        let mut votes_seen = ctx.state(|s| votes_on(s, gate));
        if gate == GateName::Intake && escalate_at.is_none() {
            // As the intake wait always started.
            votes_seen = 0;
        } else if ctx.patched("announce-early-votes") {
            // A vote cast between the request's posting and this wait is announced too.
            votes_seen = ctx.state(|s| {
                s.announced
                    .get(gate.as_str())
                    .copied()
                    .unwrap_or(0)
                    .min(votes_seen)
            });
        }
        enum Woke {
            Quiet,
            Voted,
            Feedback,
            Escalate,
        }
        loop {
            let now = clock::time(ctx);
            // The server refuses zero-length timers: an overdue deadline fires after 1 ms.
            let remaining = deadline
                .duration_since(now)
                .unwrap_or(Duration::ZERO)
                .max(Duration::from_millis(1));
            let escalated = ctx.state(|s| s.state.gate(gate.as_str()).is_some_and(|g| g.escalated));
            let escalate_in = escalate_at.filter(|_| !escalated).map(|t| {
                t.duration_since(now)
                    .unwrap_or(Duration::ZERO)
                    .max(Duration::from_millis(1))
            });
            let mut escalation = std::pin::pin!(
                async move {
                    match escalate_in {
                        Some(d) => ctx.timer(d).await,
                        None => std::future::pending().await,
                    }
                }
                .fuse()
            );
            let woke = temporalio_sdk::workflows::select! {
                _ = ctx.wait_condition(|s: &Self| s.state.gate_decided(gate.as_str())) => Woke::Quiet,
                _ = ctx.wait_condition(|s: &Self| s.stop.is_some()) => Woke::Quiet,
                _ = ctx.wait_condition(move |s: &Self| votes_on(s, gate) != votes_seen) => Woke::Voted,
                _ = ctx.wait_condition(|s: &Self| s.state.feedback.iter().any(|(g, _)| *g == gate)) => Woke::Feedback,
                _ = escalation => Woke::Escalate,
                _ = ctx.timer(remaining) => {
                    let at = rfc3339(clock::time(ctx));
                    if auto_approve {
                        let note = format!(
                            "nobody decided within {}; approved automatically",
                            chatops_contract::human_duration(timeout)
                        );
                        ctx.state_mut(|s| s.state.auto_approve(gate.as_str(), &note, &at));
                    } else {
                        ctx.state_mut(|s| s.state.time_out(gate.as_str(), &at));
                    }
                    Woke::Quiet
                }
            };
            match woke {
                Woke::Quiet => return GateWait::Done,
                Woke::Voted => {
                    votes_seen = ctx.state(|s| votes_on(s, gate));
                    ctx.state_mut(|s| s.announced.insert(gate.as_str(), votes_seen));
                    let progress = ctx.state(|s| {
                        s.state.gate(gate.as_str()).map(|g| {
                            let who: Vec<String> = g
                                .approvals
                                .iter()
                                .map(|v| format!("<@{}>", v.user))
                                .collect();
                            format!(
                                "{}: {} of {} approvals: {}.",
                                capitalized(gate),
                                g.approvals.len(),
                                g.needed(),
                                who.join(", ")
                            )
                        })
                    });
                    if let Some(text) = progress {
                        Self::report(
                            ctx,
                            id,
                            link,
                            blocks::thread_note(":ballot_box_with_check:", &text),
                        )
                        .await;
                    }
                }
                Woke::Feedback => {
                    if let Some(note) = ctx.state_mut(|s| s.state.take_feedback(gate.as_str())) {
                        let text = format!(
                            "{} gate: more asked for before deciding: {}. Running that step again.",
                            capitalized(gate),
                            chatops_blocks::escape(&note)
                        );
                        Self::report(
                            ctx,
                            id,
                            link,
                            blocks::thread_note(":leftwards_arrow_with_hook:", &text),
                        )
                        .await;
                        return GateWait::Feedback(note);
                    }
                }
                Woke::Escalate => {
                    let at = rfc3339(clock::time(ctx));
                    if ctx.state_mut(|s| s.state.escalate(gate.as_str(), &at)) {
                        let who = ctx.state(|s| s.life.as_ref().and_then(|l| l.escalation.clone()));
                        let then = if auto_approve { "approved" } else { "rejected" };
                        let text = format!(
                            "{}The {gate} gate has had no decision for {}. Without one it is {then} automatically at {}.",
                            mention_first(who.as_deref()),
                            chatops_contract::human_duration(
                                escalate.map(|(_, after)| after).unwrap_or_default()
                            ),
                            rfc3339(deadline)
                        );
                        Self::report(
                            ctx,
                            id,
                            link,
                            blocks::thread_note(":rotating_light:", &text),
                        )
                        .await;
                    }
                }
            }
        }
    }

    /// Opens gate `name`, asks for a decision in the thread and waits for it; `Some` when the
    /// delivery ends there (rejected, timed out, stopped).
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn decide_gate(
        ctx: &WorkflowContext<Self>,
        id: &str,
        link: &str,
        phase: Phase,
        name: GateName,
        timeout: Duration,
        escalate_ms: u64,
        auto_approve: bool,
    ) -> Option<FeatureOutcome> {
        let opened = clock::time(ctx);
        ctx.state_mut(|s| {
            s.state
                .open_gate(name.as_str(), &rfc3339(opened), &rfc3339(opened + timeout))
        });
        let card = ctx.state(|s| s.state.card.clone());
        let ask = |ctx: &WorkflowContext<Self>| {
            ctx.state(|s| {
                let detail = gate_detail(&s.state.evidence, name);
                blocks::approval_request(&blocks::ApprovalView {
                    workflow_id: id,
                    gate: name.as_str(),
                    request: &s.state.input.request,
                    requester: &s.state.input.requester,
                    timeout: &format!("in {}", chatops_contract::human_duration(timeout)),
                    on_timeout: if auto_approve { "approved" } else { "rejected" },
                    detail: detail.as_deref(),
                })
            })
        };
        let mut approval_ts = match &card {
            Some(c) => Self::notify(ctx, PostMessage::of(&c.channel, Some(&c.ts), ask(ctx))).await,
            None => None,
        };
        let escalate = (escalate_ms > 0).then(|| {
            let after = Duration::from_millis(escalate_ms);
            (opened + after, after)
        });
        while let GateWait::Feedback(note) = Self::await_gate(
            ctx,
            id,
            link,
            name,
            (opened + timeout, timeout),
            escalate,
            auto_approve,
        )
        .await
        {
            let again = match phase {
                Phase::Planning => {
                    Self::run_phase(ctx, id, phase, TaskPlanning::run, Some(note)).await
                }
                _ => Self::run_phase(ctx, id, phase, ProductionReadiness::run, Some(note)).await,
            };
            if let PhaseRun::Failed(why) = again {
                Self::record_failure(ctx, why);
            }
            // Votes were cast on what was shown before: they no longer count, and the request
            // is asked again with what the phase produced now.
            let at = rfc3339(clock::time(ctx));
            ctx.state_mut(|s| {
                s.state.reset_votes(name.as_str(), &at);
                s.announced.remove(name.as_str());
            });
            if let (Some(c), Some(old)) = (&card, approval_ts.take()) {
                let superseded = blocks::thread_note(
                    ":leftwards_arrow_with_hook:",
                    &format!("This {name} request was superseded by a newer one below."),
                );
                Self::edit(ctx, UpdateMessage::of(&c.channel, &old, superseded)).await;
                approval_ts =
                    Self::notify(ctx, PostMessage::of(&c.channel, Some(&c.ts), ask(ctx))).await;
            }
        }
        if let Some(outcome) = Self::halt_if_stopped(ctx, id, link).await {
            return Some(outcome);
        }
        let gate = ctx.state(|s| s.state.gate(name.as_str()).cloned())?;
        if let (Some(c), Some(ts)) = (&card, approval_ts) {
            Self::edit(
                ctx,
                UpdateMessage::of(&c.channel, &ts, blocks::approval_decided(id, &gate)),
            )
            .await;
        }
        let by = gate.decided_by.clone().unwrap_or_default();
        let note = gate.note.clone().unwrap_or_default();
        match gate.state {
            GateState::Approved if by == "timeout" => {
                let text = format!(
                    ":warning: The {name} gate was approved automatically: {}. Check it before production.",
                    chatops_blocks::escape(&note)
                );
                Self::report(ctx, id, link, blocks::thread_note(":warning:", &text)).await;
                None
            }
            GateState::Approved => {
                let text = format!("{} gate approved by <@{by}>.", capitalized(name));
                Self::report(
                    ctx,
                    id,
                    link,
                    blocks::thread_note(":white_check_mark:", &text),
                )
                .await;
                None
            }
            GateState::Skipped => {
                let text = format!(
                    "{} gate skipped by <@{by}>: {}",
                    capitalized(name),
                    chatops_blocks::escape(&note)
                );
                Self::report(ctx, id, link, blocks::thread_note(":fast_forward:", &text)).await;
                None
            }
            GateState::Pending => None,
            GateState::Rejected | GateState::TimedOut => {
                let why = if gate.state == GateState::TimedOut {
                    format!(
                        "Rejected: nobody decided the {name} gate within {}.",
                        chatops_contract::human_duration(timeout)
                    )
                } else {
                    format!(
                        "Rejected at the {name} gate by <@{by}>: {}",
                        if note.is_empty() {
                            "no reason given".to_owned()
                        } else {
                            chatops_blocks::escape(&note)
                        }
                    )
                };
                let at = rfc3339(clock::time(ctx));
                ctx.state_mut(|s| s.state.enter(Phase::Rejected, &at, false));
                Self::report(ctx, id, link, blocks::thread_note(":no_entry:", &why)).await;
                Some(FeatureOutcome {
                    phase: Phase::Rejected,
                    summary: why,
                })
            }
        }
    }

    /// Feedback on `gate` arrived: while the gate is pending, its phase runs again with it.
    pub(super) fn feedback(
        &mut self,
        signal: Signal<Feedback>,
        payload: serde_json::Value,
        gate: GateName,
        at: &str,
        replaying: bool,
    ) {
        let Some(f) = self.decode(signal, payload, at) else {
            return;
        };
        if !self.state.may_give_feedback(gate, &f.user) {
            let who = format!("the {gate} gate's approvers and admins");
            let why = self.state.refuse(signal.name(), &f.user, &who, at);
            if !replaying {
                tracing::warn!(target: "audit", %why, "feature signal refused");
            }
            return;
        }
        if self
            .state
            .gate(gate.as_str())
            .is_some_and(|g| g.state == GateState::Pending)
        {
            self.state.event(
                at,
                format!("{gate} gate: asked for more: {}", f.note),
                Some(&f.user),
            );
            self.state.feedback.push((gate.as_str().to_owned(), f.note));
        } else {
            self.state.event(
                at,
                format!("ignored: feedback for the {gate} gate, which is not pending"),
                Some(&f.user),
            );
        }
    }
}

/// Approvals cast on `gate` so far.
fn votes_on(s: &FeatureDelivery, gate: GateName) -> usize {
    s.state.gate(gate.as_str()).map_or(0, |g| g.approvals.len())
}

/// `intake` → `Intake`.
fn capitalized(gate: GateName) -> String {
    let mut c = gate.as_str().chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// What an approval request shows besides the request: the plan, or the readiness score.
fn gate_detail(e: &Evidence, gate: GateName) -> Option<String> {
    match gate {
        GateName::Plan => e.plan.as_ref().map(|p| {
            let tasks: Vec<String> = p
                .tasks
                .iter()
                .map(|t| format!("`{}` {}", t.id, chatops_blocks::escape(&t.title)))
                .collect();
            format!("Plan: {}", tasks.join(" · "))
        }),
        GateName::Production => e
            .readiness
            .as_ref()
            .map(|r| format!("Readiness score {} of 100.", r.score)),
        GateName::Intake => None,
    }
}
