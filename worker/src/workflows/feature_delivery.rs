//! `FeatureDelivery`: intake gate, then the delivery phases, every step reported on the
//! feature's card and in its thread.

use chatops_blocks::{Message, feature as blocks};
use chatops_contract::feature::{
    Approve, FeatureOutcome, FeatureRequest, FeatureStatus, GateState, INTAKE_GATE, MessageRef,
    Phase, Reject,
};
use chatops_contract::freeze::FreezeRequest;
use chatops_contract::{queries, signals, updates, workflows};
use std::time::{Duration, SystemTime};
use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::{
    ActivityOptions, ApplicationFailure, SyncWorkflowContext, WorkflowContext, WorkflowContextView,
    WorkflowResult,
};

use crate::activities::freeze::FreezeActivities;
use crate::activities::policy::{FeaturePolicy, PolicyActivities};
use crate::activities::slack::{PostMessage, SlackActivities, UpdateMessage};
use crate::feature_state::{DecisionOutcome, FeatureState, GateRules};
use crate::workflows::{rfc3339, ui_link};

/// The feature-delivery orchestrator.
#[workflow]
pub struct FeatureDelivery {
    state: FeatureState,
    now: SystemTime,
    /// Set by `emergency_stop`.
    stop: Option<FreezeRequest>,
}

#[workflow_methods]
impl FeatureDelivery {
    #[init]
    pub fn new(ctx: &WorkflowContextView, input: FeatureRequest) -> Self {
        let now = ctx.start_time().unwrap_or(SystemTime::UNIX_EPOCH);
        Self {
            state: FeatureState::new(input, &rfc3339(now)),
            now,
            stop: None,
        }
    }

    #[run(name = workflows::FEATURE_DELIVERY)]
    pub async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<FeatureOutcome> {
        let policy: FeaturePolicy = ctx
            .execute_activity(PolicyActivities::feature, (), activity_options())
            .await?;
        let id = ctx.workflow_id().to_owned();
        let link = ui_link(&policy.ui_url, &policy.namespace, &id);
        ctx.state_mut(|s| {
            s.state.rules = GateRules {
                eligible: policy
                    .approvers
                    .as_ref()
                    .map(|a| a.iter().cloned().collect()),
                required: policy.required_approvals,
                no_self_approval: policy.no_self_approval.clone(),
            }
        });

        // Intake gate first, so the card shows it from its first version.
        let timeout = Duration::from_millis(policy.intake_timeout_ms);
        let now = now_of(ctx);
        ctx.state_mut(|s| {
            s.state
                .open_gate(INTAKE_GATE, &rfc3339(now), &rfc3339(now + timeout))
        });

        // The card: the root message every later update threads under.
        let card = ctx.state(|s| card_message(&id, &s.state.status(), &link));
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

        let request = ctx.state(|s| {
            blocks::approval_request(&blocks::ApprovalView {
                workflow_id: &id,
                gate: INTAKE_GATE,
                request: &s.state.input.request,
                requester: &s.state.input.requester,
                timeout: &format!("in {}", chatops_contract::human_duration(timeout)),
            })
        });
        let approval_ts = match &card_ts {
            Some(ts) => Self::notify(ctx, PostMessage::of(&channel, Some(ts), request)).await,
            None => None,
        };
        if ctx.state(|s| s.state.input.auto_approve) {
            let at = rfc3339(now);
            ctx.state_mut(|s| {
                s.state.approve(
                    &Approve {
                        gate: INTAKE_GATE.into(),
                        user: "auto".into(),
                        comment: Some("auto_approve requested".into()),
                    },
                    &at,
                )
            });
        }
        // Wait for the decision; with N-of-M approvals, announce each vote as it comes.
        let deadline = now + timeout;
        let mut votes_seen = 0;
        loop {
            let remaining = deadline
                .duration_since(now_of(ctx))
                .unwrap_or(Duration::ZERO);
            let voted = temporalio_sdk::workflows::select! {
                _ = ctx.wait_condition(|s: &Self| s.state.gate_decided(INTAKE_GATE)) => false,
                _ = ctx.wait_condition(|s: &Self| s.stop.is_some()) => false,
                _ = ctx.wait_condition(move |s: &Self| votes(s) != votes_seen) => true,
                _ = ctx.timer(remaining) => {
                    let at = rfc3339(now_of(ctx));
                    ctx.state_mut(|s| s.state.time_out(INTAKE_GATE, &at));
                    false
                }
            };
            if !voted {
                break;
            }
            votes_seen = ctx.state(votes);
            let progress = ctx.state(|s| {
                s.state.gate(INTAKE_GATE).map(|g| {
                    let who: Vec<String> = g
                        .approvals
                        .iter()
                        .map(|v| format!("<@{}>", v.user))
                        .collect();
                    format!(
                        "Intake: {} of {} approvals: {}.",
                        g.approvals.len(),
                        g.needed(),
                        who.join(", ")
                    )
                })
            });
            if let Some(text) = progress {
                Self::report(
                    ctx,
                    &id,
                    &link,
                    blocks::thread_note(":ballot_box_with_check:", &text),
                )
                .await;
            }
        }
        if let Some(outcome) = Self::halt_if_stopped(ctx, &id, &link).await {
            return Ok(outcome);
        }
        let gate = ctx.state(|s| s.state.gate(INTAKE_GATE).cloned());
        let Some(gate) = gate else {
            return Err(ApplicationFailure::non_retryable(std::io::Error::other(
                "intake gate vanished",
            ))
            .into());
        };
        // The decision is shown in three places at once: the request (buttons gone), the thread
        // and the card. One workflow task schedules all three, so none waits for another.
        let decided = approval_ts
            .map(|ts| UpdateMessage::of(&channel, &ts, blocks::approval_decided(&id, &gate)));
        let (note, outcome) = if gate.state == GateState::Approved {
            let by = gate.decided_by.clone().unwrap_or_default();
            (
                blocks::thread_note(
                    ":white_check_mark:",
                    &format!("Intake approved by <@{by}>."),
                ),
                None,
            )
        } else {
            let at = rfc3339(now_of(ctx));
            ctx.state_mut(|s| s.state.enter(Phase::Rejected, &at, false));
            let why = match gate.state {
                GateState::TimedOut => format!(
                    "Rejected: nobody decided the intake gate within {}.",
                    chatops_contract::human_duration(timeout)
                ),
                _ => format!(
                    "Rejected by <@{}>: {}",
                    gate.decided_by.clone().unwrap_or_default(),
                    gate.note
                        .clone()
                        .unwrap_or_else(|| "no reason given".into())
                ),
            };
            let note = blocks::thread_note(":no_entry:", &why);
            (
                note,
                Some(FeatureOutcome {
                    phase: Phase::Rejected,
                    summary: why,
                }),
            )
        };
        temporalio_sdk::workflows::join!(
            Self::edit_if(ctx, decided),
            Self::report(ctx, &id, &link, note)
        );
        if let Some(outcome) = outcome {
            return Ok(outcome);
        }

        // Delivery phases: placeholders until the lifecycle work lands. Every transition first
        // asks the emergency stop (histories from before it existed skip the question).
        let freeze_checks = ctx.patched("emergency-stop");
        let phase_time = Duration::from_millis(policy.phase_duration_ms);
        for phase in ctx.state(|s| s.state.delivery_phases()) {
            if let Some(outcome) =
                Self::transition(ctx, &id, &link, &policy, phase, freeze_checks).await
            {
                return Ok(outcome);
            }
            let at = rfc3339(now_of(ctx));
            ctx.state_mut(|s| s.state.enter(phase, &at, true));
            Self::report(ctx, &id, &link, blocks::phase_entered(phase, true)).await;
            if !phase_time.is_zero() {
                temporalio_sdk::workflows::select! {
                    _ = ctx.timer(phase_time) => {}
                    _ = ctx.wait_condition(|s: &Self| s.stop.is_some()) => {}
                };
            }
        }
        if let Some(outcome) =
            Self::transition(ctx, &id, &link, &policy, Phase::Complete, freeze_checks).await
        {
            return Ok(outcome);
        }
        let at = rfc3339(now_of(ctx));
        ctx.state_mut(|s| s.state.enter(Phase::Complete, &at, false));
        let summary = "Delivered. The phases after intake were placeholders.".to_owned();
        Self::report(ctx, &id, &link, blocks::thread_note(":tada:", &summary)).await;
        Ok(FeatureOutcome {
            phase: Phase::Complete,
            summary,
        })
    }

    #[signal(name = signals::APPROVE)]
    pub fn approve(&mut self, ctx: &mut SyncWorkflowContext<Self>, payload: serde_json::Value) {
        let at = rfc3339(ctx.workflow_time().unwrap_or(self.now));
        match serde_json::from_value::<Approve>(payload) {
            Ok(a) => log_ignored(self.state.approve(&a, &at)),
            Err(e) => self
                .state
                .event(&at, format!("ignored malformed approve signal: {e}"), None),
        }
    }

    #[signal(name = signals::REJECT)]
    pub fn reject(&mut self, ctx: &mut SyncWorkflowContext<Self>, payload: serde_json::Value) {
        let at = rfc3339(ctx.workflow_time().unwrap_or(self.now));
        match serde_json::from_value::<Reject>(payload) {
            Ok(r) => log_ignored(self.state.reject(&r, &at)),
            Err(e) => self
                .state
                .event(&at, format!("ignored malformed reject signal: {e}"), None),
        }
    }

    #[update_validator(approve_update)]
    fn validate_approve(
        &self,
        _ctx: &WorkflowContextView,
        a: &Approve,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        self.state.check(&a.gate, &a.user, true).map_err(Into::into)
    }

    /// The `approve` update: validated, then applied like the signal.
    #[update(name = updates::APPROVE)]
    pub fn approve_update(&mut self, ctx: &mut SyncWorkflowContext<Self>, a: Approve) -> String {
        let at = rfc3339(ctx.workflow_time().unwrap_or(self.now));
        match self.state.approve(&a, &at) {
            DecisionOutcome::Applied => gate_word(&self.state, &a.gate),
            DecisionOutcome::Ignored(why) => why,
        }
    }

    #[update_validator(reject_update)]
    fn validate_reject(
        &self,
        _ctx: &WorkflowContextView,
        r: &Reject,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        self.state
            .check(&r.gate, &r.user, false)
            .map_err(Into::into)
    }

    /// The `reject` update: validated, then applied like the signal.
    #[update(name = updates::REJECT)]
    pub fn reject_update(&mut self, ctx: &mut SyncWorkflowContext<Self>, r: Reject) -> String {
        let at = rfc3339(ctx.workflow_time().unwrap_or(self.now));
        match self.state.reject(&r, &at) {
            DecisionOutcome::Applied => gate_word(&self.state, &r.gate),
            DecisionOutcome::Ignored(why) => why,
        }
    }

    #[signal(name = signals::EMERGENCY_STOP)]
    pub fn emergency_stop(
        &mut self,
        ctx: &mut SyncWorkflowContext<Self>,
        payload: serde_json::Value,
    ) {
        let at = rfc3339(ctx.workflow_time().unwrap_or(self.now));
        match serde_json::from_value::<FreezeRequest>(payload) {
            Ok(req) if self.stop.is_none() => {
                self.state.event(
                    &at,
                    format!("emergency stop: {}", req.reason),
                    Some(&req.user),
                );
                self.stop = Some(req);
            }
            Ok(req) => self.state.event(
                &at,
                "emergency stop repeated; already stopping".to_owned(),
                Some(&req.user),
            ),
            Err(e) => self.state.event(
                &at,
                format!("ignored malformed emergency_stop signal: {e}"),
                None,
            ),
        }
    }

    #[query(name = queries::STATUS)]
    pub fn status(&self, _ctx: &WorkflowContextView) -> FeatureStatus {
        self.state.status()
    }
}

impl FeatureDelivery {
    /// Before moving to `next`: halt if stopped; hold while the emergency stop is engaged.
    async fn transition(
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
        let mut held = false;
        loop {
            let freeze = match ctx
                .execute_activity(FreezeActivities::check, (), activity_options())
                .await
            {
                Ok(f) => f,
                Err(e) => {
                    Self::record_failure(ctx, format!("could not check the emergency stop: {e}"));
                    return None;
                }
            };
            if !freeze.engaged {
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
                let at = rfc3339(now_of(ctx));
                ctx.state_mut(|s| {
                    s.state.event(
                        &at,
                        format!("held before {} by the emergency stop", next.label()),
                        None,
                    )
                });
                let note = blocks::thread_note(
                    ":double_vertical_bar:",
                    &format!(
                        "Held before *{}*: the emergency stop is engaged (by <@{}>: {}). Going on once it is released.",
                        next.label(),
                        freeze.engaged_by.unwrap_or_default(),
                        chatops_blocks::escape(&freeze.reason.unwrap_or_default())
                    ),
                );
                Self::report(ctx, id, link, note).await;
            }
            temporalio_sdk::workflows::select! {
                _ = ctx.timer(recheck) => {}
                _ = ctx.wait_condition(|s: &Self| s.stop.is_some()) => {}
            };
            if let Some(outcome) = Self::halt_if_stopped(ctx, id, link).await {
                return Some(outcome);
            }
        }
    }

    /// Ends the delivery when `emergency_stop` arrived. Production is never touched yet (its
    /// phase is a placeholder), so there is nothing to roll back; the note says so.
    async fn halt_if_stopped(
        ctx: &WorkflowContext<Self>,
        id: &str,
        link: &str,
    ) -> Option<FeatureOutcome> {
        let stop = ctx.state(|s| s.stop.clone())?;
        let was = ctx.state(|s| s.state.status().phase);
        let at = rfc3339(now_of(ctx));
        ctx.state_mut(|s| s.state.enter(Phase::Cancelled, &at, false));
        let summary = format!(
            "Emergency stop by <@{}>: {}. Halted in {}. Production was not touched (the production phase does no real deploy yet), so nothing was rolled back.",
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

    /// Posts `note` in the feature's thread and refreshes the card.
    async fn report(ctx: &WorkflowContext<Self>, id: &str, link: &str, note: Message) {
        let Some(card) = ctx.state(|s| s.state.card.clone()) else {
            return;
        };
        let fresh = ctx.state(|s| card_message(id, &s.state.status(), link));
        temporalio_sdk::workflows::join!(
            Self::notify(ctx, PostMessage::of(&card.channel, Some(&card.ts), note)),
            Self::edit(ctx, UpdateMessage::of(&card.channel, &card.ts, fresh)),
        );
    }

    async fn edit_if(ctx: &WorkflowContext<Self>, msg: Option<UpdateMessage>) {
        if let Some(msg) = msg {
            Self::edit(ctx, msg).await;
        }
    }

    /// Posts a message; a notification Slack refuses for good (deleted channel, missing scope)
    /// is recorded on the timeline instead of failing the delivery.
    async fn notify(ctx: &WorkflowContext<Self>, msg: PostMessage) -> Option<String> {
        match ctx
            .execute_activity(SlackActivities::post_message, msg, activity_options())
            .await
        {
            Ok(ts) => Some(ts),
            Err(e) => {
                Self::record_failure(ctx, format!("could not post to Slack: {e}"));
                None
            }
        }
    }

    /// Edits a message; failures are recorded like [`Self::notify`]'s.
    async fn edit(ctx: &WorkflowContext<Self>, msg: UpdateMessage) {
        if let Err(e) = ctx
            .execute_activity(SlackActivities::update_message, msg, activity_options())
            .await
        {
            Self::record_failure(ctx, format!("could not update a Slack message: {e}"));
        }
    }

    fn record_failure(ctx: &WorkflowContext<Self>, what: String) {
        let at = rfc3339(now_of(ctx));
        ctx.state_mut(|s| s.state.event(&at, what, None));
    }
}

/// Approvals cast on the intake gate so far.
fn votes(s: &FeatureDelivery) -> usize {
    s.state.gate(INTAKE_GATE).map_or(0, |g| g.approvals.len())
}

/// What a gate says now: `approved`, `rejected`, or `1 of 2 approvals`.
fn gate_word(state: &FeatureState, gate: &str) -> String {
    match state.gate(gate) {
        Some(g) if g.state == GateState::Pending => {
            format!("{} of {} approvals", g.approvals.len(), g.needed())
        }
        Some(g) => format!("{:?}", g.state).to_lowercase(),
        None => String::new(),
    }
}

fn log_ignored(outcome: DecisionOutcome) {
    if let DecisionOutcome::Ignored(why) = outcome {
        tracing::debug!(%why, "decision ignored");
    }
}

fn card_message(id: &str, status: &FeatureStatus, link: &str) -> Message {
    blocks::card(&blocks::CardView {
        workflow_id: id,
        status,
        ui_link: link,
    })
}

/// Slack answers in well under a second; a call still open after 15 s is treated as lost and
/// retried (by a live worker, if this one died).
fn activity_options() -> ActivityOptions {
    ActivityOptions::start_to_close_timeout(Duration::from_secs(15))
}

fn now_of(ctx: &WorkflowContext<FeatureDelivery>) -> SystemTime {
    ctx.workflow_time().unwrap_or_else(|| ctx.state(|s| s.now))
}
