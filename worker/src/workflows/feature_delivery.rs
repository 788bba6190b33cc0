//! `FeatureDelivery`: intake gate, then the delivery phases, every step reported on the
//! feature's card and in its thread.

use chatops_blocks::{Message, feature as blocks};
use chatops_contract::feature::TimelineEntry;
use chatops_contract::feature::{
    Approve, FeatureOutcome, FeatureRequest, FeatureStatus, GateState, INTAKE_GATE, MessageRef,
    Phase, Reject,
};
use chatops_contract::freeze::FreezeRequest;
use chatops_contract::lifecycle::{
    ApprovalGates, ChildInfo, Control, Evidence, Feedback, PLAN_GATE, PRODUCTION_GATE,
    TriggerRollback,
};
use chatops_contract::{Signal, queries, signals, updates, workflows};
use futures::FutureExt as _;
use std::time::{Duration, SystemTime};
use temporalio_common::WorkflowDefinition;
use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::{
    ApplicationFailure, ChildWorkflowOptions, SignalWorkflowOptions, SyncWorkflowContext,
    WorkflowContext, WorkflowContextView, WorkflowResult,
};

use crate::activities::freeze::FreezeActivities;
use crate::activities::github::{CloseIssueSpec, CommentSpec, GitHubActivities};
use crate::activities::policy::{FeaturePolicy, LifecyclePolicy, PolicyActivities};
use crate::activities::slack::{PostMessage, SlackActivities, UpdateMessage};
use crate::feature_state::{DecisionOutcome, FeatureState, GateRule, GateRules};
use crate::workflows::clock::{self, Started, rfc3339};
use crate::workflows::notes::{failure_text, mention_first, ui_link};
use crate::workflows::options;
use crate::workflows::phases::{
    Development, PhaseInput, PhaseResult, ProductionDeployment, ProductionReadiness,
    RequirementIntake, StagingDeployment, TaskPlanning, Testing,
};
use crate::workflows::signals::{by_name, decode};

/// The feature-delivery orchestrator.
#[workflow]
pub struct FeatureDelivery {
    state: FeatureState,
    now: SystemTime,
    /// Set by `emergency_stop` (or `cancel`).
    stop: Option<FreezeRequest>,
    /// Whether `stop` came from `cancel` rather than the emergency stop.
    cancelled: bool,
    /// Whether the requester was told that the channel refuses posts.
    told_requester: bool,
    /// The lifecycle policy; `None` in runs from before the phases did real work.
    life: Option<LifecyclePolicy>,
    /// Approvals announced in the thread so far, per gate.
    announced: std::collections::BTreeMap<&'static str, usize>,
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
            cancelled: false,
            told_requester: false,
            life: None,
            announced: std::collections::BTreeMap::new(),
        }
    }

    #[run(name = workflows::FEATURE_DELIVERY)]
    pub async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<FeatureOutcome> {
        let policy: FeaturePolicy = ctx
            .execute_activity(PolicyActivities::feature, (), options::slack())
            .await?;
        let id = ctx.workflow_id().to_owned();
        let link = ui_link(&policy.ui_url, &policy.namespace, &id);
        // Runs recorded before the phases did real work walk placeholders instead.
        let life = if ctx.patched("lifecycle") {
            let repo = ctx.state(|s| s.state.input.repository.clone());
            Some(
                ctx.execute_activity(PolicyActivities::lifecycle, repo, options::slack())
                    .await?,
            )
        } else {
            None
        };
        ctx.state_mut(|s| {
            s.state.rules = GateRules {
                eligible: policy
                    .approvers
                    .as_ref()
                    .map(|a| a.iter().cloned().collect()),
                required: policy.required_approvals,
                no_self_approval: policy.no_self_approval.clone(),
                admins: life
                    .as_ref()
                    .map(|l| l.admins.iter().cloned().collect())
                    .unwrap_or_default(),
                per_gate: policy
                    .gates
                    .iter()
                    .map(|(gate, p)| {
                        let rule = GateRule {
                            eligible: p.approvers.as_ref().map(|a| a.iter().cloned().collect()),
                            required: p.required,
                        };
                        (gate.clone(), rule)
                    })
                    .collect(),
            };
            s.life = life.clone();
            s.state.ui_link = Some(link.clone());
        });

        // Intake gate first, so the card shows it from its first version.
        let timeout = Duration::from_millis(policy.intake_timeout_ms);
        let now = clock::time(ctx);
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

        if life.is_some() {
            match Self::run_phase(ctx, &id, Phase::Intake, RequirementIntake::run, None).await {
                PhaseRun::Done(_) | PhaseRun::Failed(_) => {}
                PhaseRun::Stopped => {}
            }
        }

        let request = ctx.state(|s| {
            blocks::approval_request(&blocks::ApprovalView {
                workflow_id: &id,
                gate: INTAKE_GATE,
                request: &s.state.input.request,
                requester: &s.state.input.requester,
                timeout: &format!("in {}", chatops_contract::human_duration(timeout)),
                on_timeout: "rejected",
                detail: None,
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
        let escalate = life
            .as_ref()
            .map(|l| l.intake_escalate_ms)
            .filter(|ms| *ms > 0)
            .map(|ms| (now + Duration::from_millis(ms), Duration::from_millis(ms)));
        while let GateWait::Feedback(note) = Self::await_gate(
            ctx,
            &id,
            &link,
            INTAKE_GATE,
            (now + timeout, timeout),
            escalate,
            false,
        )
        .await
        {
            let _ =
                Self::run_phase(ctx, &id, Phase::Intake, RequirementIntake::run, Some(note)).await;
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
        } else if gate.state == GateState::Skipped {
            let by = gate.decided_by.clone().unwrap_or_default();
            let why = chatops_blocks::escape(gate.note.as_deref().unwrap_or_default());
            (
                blocks::thread_note(
                    ":fast_forward:",
                    &format!("Intake gate skipped by <@{by}>: {why}"),
                ),
                None,
            )
        } else {
            let at = rfc3339(clock::time(ctx));
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

        // Every transition first asks the emergency stop (histories from before it existed skip
        // the question).
        let freeze_checks = ctx.patched("emergency-stop");
        if let Some(life) = life {
            return Self::deliver(ctx, &id, &link, &policy, &life).await;
        }
        // Runs from before the lifecycle: placeholder phases.
        let phase_time = Duration::from_millis(policy.phase_duration_ms);
        for phase in ctx.state(|s| s.state.delivery_phases()) {
            if let Some(outcome) =
                Self::transition(ctx, &id, &link, &policy, phase, freeze_checks).await
            {
                return Ok(outcome);
            }
            let at = rfc3339(clock::time(ctx));
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
        let at = rfc3339(clock::time(ctx));
        ctx.state_mut(|s| s.state.enter(Phase::Complete, &at, false));
        let summary = "Delivered. The phases after intake were placeholders.".to_owned();
        Self::report(ctx, &id, &link, blocks::thread_note(":tada:", &summary)).await;
        Ok(FeatureOutcome {
            phase: Phase::Complete,
            summary,
        })
    }

    #[signal(name = signals::name::APPROVE)]
    pub fn approve(&mut self, ctx: &mut SyncWorkflowContext<Self>, payload: serde_json::Value) {
        let at = clock::at(self, ctx);
        if let Some(a) = self.decode(signals::APPROVE, payload, &at) {
            log_ignored(self.state.approve(&a, &at));
        }
    }

    #[signal(name = signals::name::REJECT)]
    pub fn reject(&mut self, ctx: &mut SyncWorkflowContext<Self>, payload: serde_json::Value) {
        let at = clock::at(self, ctx);
        if let Some(r) = self.decode(signals::REJECT, payload, &at) {
            log_ignored(self.state.reject(&r, &at));
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
    #[update(name = updates::name::APPROVE)]
    pub fn approve_update(&mut self, ctx: &mut SyncWorkflowContext<Self>, a: Approve) -> String {
        let at = clock::at(self, ctx);
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
    #[update(name = updates::name::REJECT)]
    pub fn reject_update(&mut self, ctx: &mut SyncWorkflowContext<Self>, r: Reject) -> String {
        let at = clock::at(self, ctx);
        match self.state.reject(&r, &at) {
            DecisionOutcome::Applied => gate_word(&self.state, &r.gate),
            DecisionOutcome::Ignored(why) => why,
        }
    }

    #[signal(name = signals::name::EMERGENCY_STOP)]
    pub fn emergency_stop(
        &mut self,
        ctx: &mut SyncWorkflowContext<Self>,
        payload: serde_json::Value,
    ) {
        let at = clock::at(self, ctx);
        let Some(req) = self.decode(signals::EMERGENCY_STOP, payload, &at) else {
            return;
        };
        if self.stop.is_none() {
            self.state.event(
                &at,
                format!("emergency stop: {}", req.reason),
                Some(&req.user),
            );
            self.stop = Some(req);
        } else {
            self.state.event(
                &at,
                "emergency stop repeated; already stopping".to_owned(),
                Some(&req.user),
            );
        }
    }

    #[query(name = queries::name::STATUS)]
    pub fn status(&self, _ctx: &WorkflowContextView) -> FeatureStatus {
        self.state.status()
    }

    #[signal(name = signals::name::PAUSE)]
    pub fn pause(&mut self, ctx: &mut SyncWorkflowContext<Self>, payload: serde_json::Value) {
        self.control(ctx, signals::PAUSE, payload, true);
    }

    #[signal(name = signals::name::RESUME)]
    pub fn resume(&mut self, ctx: &mut SyncWorkflowContext<Self>, payload: serde_json::Value) {
        self.control(ctx, signals::RESUME, payload, false);
    }

    #[signal(name = signals::name::CANCEL)]
    pub fn cancel(&mut self, ctx: &mut SyncWorkflowContext<Self>, payload: serde_json::Value) {
        let at = clock::at(self, ctx);
        let Some(c) = self.decode(signals::CANCEL, payload, &at) else {
            return;
        };
        if self.stop.is_none() && !self.state.phase.is_terminal() {
            let reason = c.reason.unwrap_or_else(|| "no reason given".to_owned());
            self.state
                .event(&at, format!("cancelled: {reason}"), Some(&c.user));
            self.stop = Some(FreezeRequest {
                user: c.user,
                reason,
            });
            self.cancelled = true;
        } else {
            self.state.event(
                &at,
                "ignored: cancel (already stopping or finished)".to_owned(),
                Some(&c.user),
            );
        }
    }

    #[signal(name = signals::name::SKIP_GATE)]
    pub fn skip_gate(&mut self, ctx: &mut SyncWorkflowContext<Self>, payload: serde_json::Value) {
        let at = clock::at(self, ctx);
        if let Some(k) = self.decode(signals::SKIP_GATE, payload, &at) {
            log_ignored(self.state.skip(&k, &at));
        }
    }

    #[signal(name = signals::name::UPDATE_PRIORITY)]
    pub fn update_priority(
        &mut self,
        ctx: &mut SyncWorkflowContext<Self>,
        payload: serde_json::Value,
    ) {
        let at = clock::at(self, ctx);
        if let Some(u) = self.decode(signals::UPDATE_PRIORITY, payload, &at) {
            self.state.set_priority(&u, &at);
        }
    }

    #[signal(name = signals::name::ADD_BLOCKER)]
    pub fn add_blocker(&mut self, ctx: &mut SyncWorkflowContext<Self>, payload: serde_json::Value) {
        let at = clock::at(self, ctx);
        let Some(b) = self.decode(signals::ADD_BLOCKER, payload, &at) else {
            return;
        };
        if b.id.trim().is_empty() {
            self.state
                .event(&at, "ignored add_blocker without an id".to_owned(), None);
        } else {
            self.state.add_blocker(&b, &at);
        }
    }

    #[signal(name = signals::name::REMOVE_BLOCKER)]
    pub fn remove_blocker(
        &mut self,
        ctx: &mut SyncWorkflowContext<Self>,
        payload: serde_json::Value,
    ) {
        let at = clock::at(self, ctx);
        if let Some(b) = self.decode(signals::REMOVE_BLOCKER, payload, &at) {
            self.state.remove_blocker(&b, &at);
        }
    }

    #[signal(name = signals::name::REQUEST_CLARIFICATION)]
    pub fn request_clarification(
        &mut self,
        ctx: &mut SyncWorkflowContext<Self>,
        payload: serde_json::Value,
    ) {
        self.feedback(ctx, signals::REQUEST_CLARIFICATION, payload, INTAKE_GATE);
    }

    #[signal(name = signals::name::REQUEST_REVISIONS)]
    pub fn request_revisions(
        &mut self,
        ctx: &mut SyncWorkflowContext<Self>,
        payload: serde_json::Value,
    ) {
        self.feedback(ctx, signals::REQUEST_REVISIONS, payload, PLAN_GATE);
    }

    #[signal(name = signals::name::REQUEST_MORE_EVIDENCE)]
    pub fn request_more_evidence(
        &mut self,
        ctx: &mut SyncWorkflowContext<Self>,
        payload: serde_json::Value,
    ) {
        self.feedback(
            ctx,
            signals::REQUEST_MORE_EVIDENCE,
            payload,
            PRODUCTION_GATE,
        );
    }

    #[query(name = queries::name::EVIDENCE)]
    pub fn evidence(&self, _ctx: &WorkflowContextView) -> Evidence {
        self.state.evidence.clone()
    }

    #[query(name = queries::name::TIMELINE)]
    pub fn timeline(&self, _ctx: &WorkflowContextView) -> Vec<TimelineEntry> {
        self.state.timeline.clone()
    }

    #[query(name = queries::name::CHILDREN)]
    pub fn children(&self, _ctx: &WorkflowContextView) -> Vec<ChildInfo> {
        self.state.children.clone()
    }

    #[query(name = queries::name::APPROVAL_GATES)]
    pub fn approval_gates(&self, _ctx: &WorkflowContextView) -> ApprovalGates {
        self.state.approval_gates()
    }
}

/// How a phase child ended.
enum PhaseRun {
    /// It finished; `passed` says whether the phase passed.
    Done(Box<PhaseResult>),
    /// It could not start or it failed.
    Failed(String),
    /// The emergency stop arrived while it ran (not a deployment: it is left to be
    /// terminated with the parent).
    Stopped,
}

/// How waiting on a gate ended.
enum GateWait {
    /// Decided, timed out or stopped: look at the gate and the stop.
    Done,
    /// Someone asked the phase to redo its work first.
    Feedback(String),
}

impl FeatureDelivery {
    /// Reads a signal's payload; a malformed one is recorded on the timeline as ignored.
    fn decode<P: serde::de::DeserializeOwned>(
        &mut self,
        signal: Signal<P>,
        payload: serde_json::Value,
        at: &str,
    ) -> Option<P> {
        let state = &mut self.state;
        decode(signal, payload, |e| {
            state.event(at, format!("ignored {e}"), None)
        })
    }

    fn control(
        &mut self,
        ctx: &mut SyncWorkflowContext<Self>,
        signal: Signal<Control>,
        payload: serde_json::Value,
        paused: bool,
    ) {
        let at = clock::at(self, ctx);
        if let Some(c) = self.decode(signal, payload, &at) {
            self.state
                .set_paused(paused, &c.user, c.reason.as_deref(), &at);
        }
    }

    fn feedback(
        &mut self,
        ctx: &mut SyncWorkflowContext<Self>,
        signal: Signal<Feedback>,
        payload: serde_json::Value,
        gate: &str,
    ) {
        let at = clock::at(self, ctx);
        let Some(f) = self.decode(signal, payload, &at) else {
            return;
        };
        if self
            .state
            .gate(gate)
            .is_some_and(|g| g.state == GateState::Pending)
        {
            self.state.event(
                &at,
                format!("{gate} gate: asked for more: {}", f.note),
                Some(&f.user),
            );
            self.state.feedback.push((gate.to_owned(), f.note));
        } else {
            self.state.event(
                &at,
                format!("ignored: feedback for the {gate} gate, which is not pending"),
                Some(&f.user),
            );
        }
    }
}

impl FeatureDelivery {
    /// Waits on a pending gate: announces each vote, escalates once at `escalate_at`, decides
    /// at `deadline` (rejects, or approves where `auto_approve`), and hands back feedback for
    /// the caller to act on. Without escalation or feedback it schedules exactly what the
    /// intake wait always did, so older histories replay.
    #[allow(clippy::too_many_arguments)]
    async fn await_gate(
        ctx: &WorkflowContext<Self>,
        id: &str,
        link: &str,
        gate: &'static str,
        (deadline, timeout): (SystemTime, Duration),
        escalate: Option<(SystemTime, Duration)>,
        auto_approve: bool,
    ) -> GateWait {
        let escalate_at = escalate.map(|(at, _)| at);
        let mut votes_seen = ctx.state(|s| votes_on(s, gate));
        if gate == INTAKE_GATE && escalate_at.is_none() {
            // As the intake wait always started.
            votes_seen = 0;
        } else if ctx.patched("announce-early-votes") {
            // A vote cast between the request's posting and this wait is announced too.
            votes_seen = ctx.state(|s| s.announced.get(gate).copied().unwrap_or(0).min(votes_seen));
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
            let escalated = ctx.state(|s| s.state.gate(gate).is_some_and(|g| g.escalated));
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
                _ = ctx.wait_condition(|s: &Self| s.state.gate_decided(gate)) => Woke::Quiet,
                _ = ctx.wait_condition(|s: &Self| s.stop.is_some()) => Woke::Quiet,
                _ = ctx.wait_condition(move |s: &Self| votes_on(s, gate) != votes_seen) => Woke::Voted,
                _ = ctx.wait_condition(|s: &Self| s.state.feedback.iter().any(|(g, _)| g == gate)) => Woke::Feedback,
                _ = escalation => Woke::Escalate,
                _ = ctx.timer(remaining) => {
                    let at = rfc3339(clock::time(ctx));
                    if auto_approve {
                        let note = format!(
                            "nobody decided within {}; approved automatically",
                            chatops_contract::human_duration(timeout)
                        );
                        ctx.state_mut(|s| s.state.auto_approve(gate, &note, &at));
                    } else {
                        ctx.state_mut(|s| s.state.time_out(gate, &at));
                    }
                    Woke::Quiet
                }
            };
            match woke {
                Woke::Quiet => return GateWait::Done,
                Woke::Voted => {
                    votes_seen = ctx.state(|s| votes_on(s, gate));
                    ctx.state_mut(|s| s.announced.insert(gate, votes_seen));
                    let progress = ctx.state(|s| {
                        s.state.gate(gate).map(|g| {
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
                    if let Some(note) = ctx.state_mut(|s| s.state.take_feedback(gate)) {
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
                    if ctx.state_mut(|s| s.state.escalate(gate, &at)) {
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

    /// Runs one phase child to its end, forwarding `pause`/`resume` to it; on the emergency
    /// stop a deployment is told to roll back (and waited for), any other phase is left.
    async fn run_phase<WD>(
        ctx: &WorkflowContext<Self>,
        id: &str,
        phase: Phase,
        workflow: WD,
        feedback: Option<String>,
    ) -> PhaseRun
    where
        WD: WorkflowDefinition<Input = PhaseInput, Output = PhaseResult> + 'static,
    {
        let suffix = match phase {
            Phase::Intake => "intake",
            Phase::Planning => "planning",
            Phase::Development => "development",
            Phase::Testing => "testing",
            Phase::Staging => "staging",
            Phase::ProductionReadiness => "readiness",
            Phase::Production => "production",
            _ => "phase",
        };
        let earlier = ctx.state(|s| s.state.children.iter().filter(|c| c.phase == phase).count());
        let child_id = if earlier == 0 {
            format!("{id}/{suffix}")
        } else {
            format!("{id}/{suffix}-{}", earlier + 1)
        };
        let type_name = workflow.name().to_owned();
        let input = ctx.state(|s| PhaseInput {
            feature: id.to_owned(),
            request: s.state.input.clone(),
            policy: s.life.clone().unwrap_or_default(),
            evidence: s.state.evidence.clone(),
            card: s.state.card.clone(),
            feedback,
        });
        ctx.state_mut(|s| s.state.child_started(&child_id, &type_name, phase));
        let started = match ctx
            .start_child_workflow(
                workflow,
                input,
                ChildWorkflowOptions::workflow_id(child_id.clone()),
            )
            .await
        {
            Ok(started) => started,
            Err(e) => {
                ctx.state_mut(|s| s.state.child_ended(&child_id, false));
                return PhaseRun::Failed(format!("could not start {type_name}: {e}"));
            }
        };
        let mut result = std::pin::pin!(started.result());
        let deploys = matches!(phase, Phase::Staging | Phase::Production);
        let forwards = deploys || phase == Phase::Development;
        let mut paused_sent = false;
        let mut stop_sent = false;
        enum Woke {
            Finished(Result<Box<PhaseResult>, String>),
            Pause,
            Stop,
        }
        loop {
            let (ps, ss) = (paused_sent, stop_sent);
            let mut stop_wait = std::pin::pin!(
                async move {
                    if ss {
                        std::future::pending::<()>().await;
                    } else {
                        let _ = ctx.wait_condition(|s: &Self| s.stop.is_some()).await;
                    }
                }
                .fuse()
            );
            let woke = temporalio_sdk::workflows::select! {
                r = result.as_mut() => Woke::Finished(r.map(Box::new).map_err(|e| e.to_string())),
                _ = stop_wait => Woke::Stop,
                _ = ctx.wait_condition(move |s: &Self| s.state.paused != ps) => Woke::Pause,
            };
            match woke {
                Woke::Finished(Ok(r)) => {
                    ctx.state_mut(|s| {
                        s.state.child_ended(&child_id, r.passed);
                        s.state.evidence = r.evidence.clone();
                    });
                    return PhaseRun::Done(r);
                }
                Woke::Finished(Err(e)) => {
                    ctx.state_mut(|s| s.state.child_ended(&child_id, false));
                    return PhaseRun::Failed(format!("{type_name} failed: {e}"));
                }
                Woke::Pause => {
                    paused_sent = !paused_sent;
                    if forwards {
                        let control = if paused_sent {
                            signals::PAUSE
                        } else {
                            signals::RESUME
                        };
                        let parent = Control {
                            user: "parent".to_owned(),
                            reason: None,
                        };
                        let (signal, payload) = by_name(control, &parent);
                        if let Err(e) = ctx
                            .external_workflow(child_id.clone(), None)
                            .signal(signal, payload, SignalWorkflowOptions::default())
                            .await
                        {
                            tracing::warn!(%child_id, error = %e, "could not forward pause/resume");
                        }
                    }
                }
                Woke::Stop => {
                    stop_sent = true;
                    if !deploys {
                        ctx.state_mut(|s| s.state.child_ended(&child_id, false));
                        return PhaseRun::Stopped;
                    }
                    let stop = ctx.state(|s| s.stop.clone()).unwrap_or(FreezeRequest {
                        user: "unknown".into(),
                        reason: String::new(),
                    });
                    let rollback = TriggerRollback {
                        user: stop.user,
                        reason: format!("emergency stop: {}", stop.reason),
                    };
                    let (signal, payload) = by_name(signals::TRIGGER_ROLLBACK, &rollback);
                    if let Err(e) = ctx
                        .external_workflow(child_id.clone(), None)
                        .signal(signal, payload, SignalWorkflowOptions::default())
                        .await
                    {
                        tracing::warn!(%child_id, error = %e, "could not ask for the rollback");
                    }
                }
            }
        }
    }

    /// The delivery phases after the intake gate, each a child workflow, with the plan and
    /// production gates between them.
    async fn deliver(
        ctx: &WorkflowContext<Self>,
        id: &str,
        link: &str,
        policy: &FeaturePolicy,
        life: &LifecyclePolicy,
    ) -> WorkflowResult<FeatureOutcome> {
        for phase in ctx.state(|s| s.state.delivery_phases()) {
            if let Some(outcome) = Self::transition(ctx, id, link, policy, phase, true).await {
                return Ok(outcome);
            }
            if let Some(outcome) = Self::hold(ctx, id, link, phase).await {
                return Ok(outcome);
            }
            let at = rfc3339(clock::time(ctx));
            ctx.state_mut(|s| s.state.enter(phase, &at, false));
            Self::report(ctx, id, link, blocks::phase_entered(phase, false)).await;
            let run = match phase {
                Phase::Planning => Self::run_phase(ctx, id, phase, TaskPlanning::run, None).await,
                Phase::Development => Self::run_phase(ctx, id, phase, Development::run, None).await,
                Phase::Testing => Self::run_phase(ctx, id, phase, Testing::run, None).await,
                Phase::Staging => {
                    Self::run_phase(ctx, id, phase, StagingDeployment::run, None).await
                }
                Phase::ProductionReadiness => {
                    Self::run_phase(ctx, id, phase, ProductionReadiness::run, None).await
                }
                Phase::Production => {
                    Self::run_phase(ctx, id, phase, ProductionDeployment::run, None).await
                }
                _ => continue,
            };
            match run {
                PhaseRun::Done(r) if r.passed => {}
                PhaseRun::Done(r) => {
                    if let Some(outcome) = Self::halt_if_stopped(ctx, id, link).await {
                        return Ok(outcome);
                    }
                    return Ok(Self::fail(ctx, id, link, phase, r.summary).await);
                }
                PhaseRun::Failed(why) => return Ok(Self::fail(ctx, id, link, phase, why).await),
                PhaseRun::Stopped => {
                    if let Some(outcome) = Self::halt_if_stopped(ctx, id, link).await {
                        return Ok(outcome);
                    }
                }
            }
            let gate = match phase {
                Phase::Planning => {
                    Some((PLAN_GATE, life.plan_timeout_ms, life.plan_escalate_ms, true))
                }
                Phase::ProductionReadiness => {
                    Some((PRODUCTION_GATE, life.production_timeout_ms, 0, false))
                }
                _ => None,
            };
            if let Some((name, timeout_ms, escalate_ms, auto_approve)) = gate
                && let Some(outcome) = Self::decide_gate(
                    ctx,
                    id,
                    link,
                    phase,
                    name,
                    Duration::from_millis(timeout_ms.max(1)),
                    escalate_ms,
                    auto_approve,
                )
                .await
            {
                return Ok(outcome);
            }
        }
        if let Some(outcome) = Self::transition(ctx, id, link, policy, Phase::Complete, true).await
        {
            return Ok(outcome);
        }
        let at = rfc3339(clock::time(ctx));
        ctx.state_mut(|s| s.state.enter(Phase::Complete, &at, false));
        let summary = ctx.state(|s| {
            let e = &s.state.evidence;
            let mut parts = vec![format!(
                "Delivered to {}",
                serde_json::to_value(s.state.input.target_environment)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default()
            )];
            if let Some(pr) = &e.pull_request {
                parts.push(format!(
                    "pull request #{}{}",
                    pr.number,
                    if pr.merged { " merged" } else { " open" }
                ));
            }
            if let Some(q) = &e.quality {
                parts.push(format!("quality score {}", q.score));
            }
            format!("{}.", parts.join(", "))
        });
        Self::report(ctx, id, link, blocks::thread_note(":tada:", &summary)).await;
        // Runs recorded before release notes existed end without them.
        if ctx.patched("release-notes") {
            Self::publish_release_notes(ctx, id, link).await;
        }
        Ok(FeatureOutcome {
            phase: Phase::Complete,
            summary,
        })
    }

    /// Writes the release notes into the evidence and the thread; on GitHub, comments them on
    /// the tracking issue and closes it.
    async fn publish_release_notes(ctx: &WorkflowContext<Self>, id: &str, link: &str) {
        let notes = ctx.state(|s| {
            crate::lifecycle::release_notes(id, &s.state.input.request, &s.state.evidence)
        });
        ctx.state_mut(|s| s.state.evidence.release_notes = Some(notes.clone()));
        Self::report(
            ctx,
            id,
            link,
            blocks::thread_note(
                ":memo:",
                &format!("Release notes:\n{}", chatops_blocks::escape(&notes)),
            ),
        )
        .await;
        let target = ctx.state(|s| {
            let e = &s.state.evidence;
            e.issue
                .zip(e.pull_request.as_ref().map(|p| p.repository.clone()))
        });
        let Some((number, repository)) = target else {
            return;
        };
        let comment = CommentSpec {
            repository: repository.clone(),
            number,
            marker: "release-notes".to_owned(),
            body: notes,
        };
        if let Err(e) = ctx
            .execute_activity(GitHubActivities::comment, comment, options::github())
            .await
        {
            Self::record_failure(ctx, format!("could not post the release notes: {e}"));
            return;
        }
        if let Err(e) = ctx
            .execute_activity(
                GitHubActivities::close_issue,
                CloseIssueSpec { repository, number },
                options::github(),
            )
            .await
        {
            Self::record_failure(ctx, format!("could not close issue #{number}: {e}"));
        }
    }

    /// Opens gate `name`, asks for a decision in the thread and waits for it; `Some` when the
    /// delivery ends there (rejected, timed out, stopped).
    #[allow(clippy::too_many_arguments)]
    async fn decide_gate(
        ctx: &WorkflowContext<Self>,
        id: &str,
        link: &str,
        phase: Phase,
        name: &'static str,
        timeout: Duration,
        escalate_ms: u64,
        auto_approve: bool,
    ) -> Option<FeatureOutcome> {
        let opened = clock::time(ctx);
        ctx.state_mut(|s| {
            s.state
                .open_gate(name, &rfc3339(opened), &rfc3339(opened + timeout))
        });
        let card = ctx.state(|s| s.state.card.clone());
        let ask = |ctx: &WorkflowContext<Self>| {
            ctx.state(|s| {
                let detail = gate_detail(&s.state.evidence, name);
                blocks::approval_request(&blocks::ApprovalView {
                    workflow_id: id,
                    gate: name,
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
                s.state.reset_votes(name, &at);
                s.announced.remove(name);
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
        let gate = ctx.state(|s| s.state.gate(name).cloned())?;
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

    /// Holds before `next` while paused or blocked; `Some` when stopped meanwhile.
    async fn hold(
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
    async fn fail(
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
                .execute_activity(FreezeActivities::check, (), options::slack())
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
                let at = rfc3339(clock::time(ctx));
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
    /// is recorded on the timeline instead of failing the delivery. When the channel itself is
    /// the problem, the requester is told once, in a direct message.
    async fn notify(ctx: &WorkflowContext<Self>, msg: PostMessage) -> Option<String> {
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
    async fn edit(ctx: &WorkflowContext<Self>, msg: UpdateMessage) {
        if let Err(e) = ctx
            .execute_activity(SlackActivities::update_message, msg, options::slack())
            .await
        {
            Self::record_failure(ctx, format!("could not update a Slack message: {e}"));
        }
    }

    fn record_failure(ctx: &WorkflowContext<Self>, what: String) {
        let at = rfc3339(clock::time(ctx));
        ctx.state_mut(|s| s.state.event(&at, what, None));
    }
}

/// Approvals cast on `gate` so far.
fn votes_on(s: &FeatureDelivery, gate: &str) -> usize {
    s.state.gate(gate).map_or(0, |g| g.approvals.len())
}

/// `intake` → `Intake`.
fn capitalized(word: &str) -> String {
    let mut c = word.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// What an approval request shows besides the request: the plan, or the readiness score.
fn gate_detail(e: &Evidence, gate: &str) -> Option<String> {
    match gate {
        PLAN_GATE => e.plan.as_ref().map(|p| {
            let tasks: Vec<String> = p
                .tasks
                .iter()
                .map(|t| format!("`{}` {}", t.id, chatops_blocks::escape(&t.title)))
                .collect();
            format!("Plan: {}", tasks.join(" · "))
        }),
        PRODUCTION_GATE => e
            .readiness
            .as_ref()
            .map(|r| format!("Readiness score {} of 100.", r.score)),
        _ => None,
    }
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

impl Started for FeatureDelivery {
    fn started(&self) -> SystemTime {
        self.now
    }
}
