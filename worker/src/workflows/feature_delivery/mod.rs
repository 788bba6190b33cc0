//! `FeatureDelivery`: intake gate, then the delivery phases, every step reported on the
//! feature's card and in its thread.
//!
//! Here: the workflow's state, its run and its signal, update and query handlers. The intake
//! gate is in `intake.rs` (a patch's start, without one, in `patch.rs`), waiting on the other
//! gates in `gates.rs`, the phase children in `children.rs`, holds and stops in `stops.rs`,
//! deploy windows in `windows.rs`, and the card and thread in `thread.rs`.

mod children;
mod gates;
mod hotfix;
mod intake;
mod patch;
mod steering;
mod stops;
mod thread;
mod windows;

use chatops_contract::feature::{
    Approve, FeatureOutcome, FeatureRequest, FeatureStatus, GateState, Reject, TimelineEntry,
};
use chatops_contract::freeze::FreezeRequest;
use chatops_contract::lifecycle::{ApprovalGates, ChildInfo, Evidence};
use chatops_contract::{Signal, queries, signals, updates, workflows};
use std::time::SystemTime;
use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::{SyncWorkflowContext, WorkflowContext, WorkflowContextView, WorkflowResult};

use crate::activities::policy::{FeaturePolicy, LifecyclePolicy, PolicyActivities};
use crate::domain::feature_state::{DecisionOutcome, FeatureState, GateRule, GateRules};
use crate::workflows::clock::{self, Started, rfc3339};
use crate::workflows::notes::ui_link;
use crate::workflows::options;
use crate::workflows::signals::decode;

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
    /// `freeze_released` signals received: a held delivery looks again when this grows.
    releases: u64,
    /// Steering signals that arrived before the policy was read, waiting to be checked;
    /// `None` once it is read.
    early: Option<steering::Early>,
    /// An admin's leave to deploy outside the deploy windows.
    window_override: Option<chatops_contract::lifecycle::OverrideWindow>,
    /// Who is on call (from the policy): who may let a hotfix pass a freeze.
    oncall: Vec<String>,
    /// On call's leave for this hotfix to go on while a freeze holds deliveries, and whether
    /// the thread was told it passes.
    freeze_pass: Option<(chatops_contract::lifecycle::PassFreeze, bool)>,
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
            releases: 0,
            early: Some(Vec::new()),
            window_override: None,
            oncall: Vec::new(),
            freeze_pass: None,
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
            s.oncall = policy.oncall.clone().unwrap_or_default();
            s.state.rules = gate_rules(&policy, life.as_ref());
            s.life = life.clone();
            s.state.ui_link = Some(link.clone());
        });
        // Steering that came before the roles were known is checked now (runs recorded before
        // applied it unchecked).
        let checked = ctx.patched(steering::CHECKED_EARLY);
        let replaying = ctx.is_replaying();
        ctx.state_mut(|s| s.policy_read(checked, replaying));

        // A patch's request is its plan: no intake gate.
        if ctx.state(|s| s.state.input.kind.is_patch()) {
            Self::patch_intake(ctx, &id, &link).await;
        } else if let Some(outcome) = Self::intake(ctx, &id, &link, &policy, life.as_ref()).await? {
            return Ok(outcome);
        }

        // Every transition first asks the emergency stop (histories from before it existed skip
        // the question).
        let freeze_checks = ctx.patched("emergency-stop");
        match life {
            Some(life) => Self::deliver(ctx, &id, &link, &policy, &life).await,
            None => Ok(Self::placeholders(ctx, &id, &link, &policy, freeze_checks).await),
        }
    }

    #[signal(name = signals::name::APPROVE)]
    pub fn approve(&mut self, ctx: &mut SyncWorkflowContext<Self>, payload: serde_json::Value) {
        let at = clock::at(self, ctx);
        if let Some(a) = self.decode(signals::APPROVE, payload, &at) {
            log_ignored(self.state.approve(&a, &at), &a.user, ctx.is_replaying());
        }
    }

    #[signal(name = signals::name::REJECT)]
    pub fn reject(&mut self, ctx: &mut SyncWorkflowContext<Self>, payload: serde_json::Value) {
        let at = clock::at(self, ctx);
        if let Some(r) = self.decode(signals::REJECT, payload, &at) {
            log_ignored(self.state.reject(&r, &at), &r.user, ctx.is_replaying());
        }
    }

    #[update_validator(approve_update)]
    fn validate_approve(
        &self,
        _ctx: &WorkflowContextView,
        a: &Approve,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        refused_update(self.state.check(&a.gate, &a.user, true), &a.user)
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
        refused_update(self.state.check(&r.gate, &r.user, false), &r.user)
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
        if let Some(req) = self.decode(signals::EMERGENCY_STOP, payload, &at) {
            self.stop_asked(req, &at);
        }
    }

    /// The emergency stop was released: a delivery it holds looks again at once. Only a wake-up
    /// call: the freeze itself is asked before going on, so a forged one releases nothing.
    #[signal(name = signals::name::FREEZE_RELEASED)]
    pub fn freeze_released(
        &mut self,
        _ctx: &mut SyncWorkflowContext<Self>,
        _payload: serde_json::Value,
    ) {
        self.releases += 1;
    }

    #[query(name = queries::name::STATUS)]
    pub fn status(&self, _ctx: &WorkflowContextView) -> FeatureStatus {
        self.state.status()
    }

    #[signal(name = signals::name::PAUSE)]
    pub fn pause(&mut self, ctx: &mut SyncWorkflowContext<Self>, payload: serde_json::Value) {
        self.steer(ctx, signals::name::PAUSE, payload);
    }

    #[signal(name = signals::name::RESUME)]
    pub fn resume(&mut self, ctx: &mut SyncWorkflowContext<Self>, payload: serde_json::Value) {
        self.steer(ctx, signals::name::RESUME, payload);
    }

    #[signal(name = signals::name::CANCEL)]
    pub fn cancel(&mut self, ctx: &mut SyncWorkflowContext<Self>, payload: serde_json::Value) {
        self.steer(ctx, signals::name::CANCEL, payload);
    }

    #[signal(name = signals::name::SKIP_GATE)]
    pub fn skip_gate(&mut self, ctx: &mut SyncWorkflowContext<Self>, payload: serde_json::Value) {
        let at = clock::at(self, ctx);
        if let Some(k) = self.decode(signals::SKIP_GATE, payload, &at) {
            log_ignored(self.state.skip(&k, &at), &k.user, ctx.is_replaying());
        }
    }

    /// Lets the feature deploy outside the deploy windows (admins only, with a reason).
    #[signal(name = signals::name::OVERRIDE_WINDOW)]
    pub fn override_window(
        &mut self,
        ctx: &mut SyncWorkflowContext<Self>,
        payload: serde_json::Value,
    ) {
        self.steer(ctx, signals::name::OVERRIDE_WINDOW, payload);
    }

    /// Lets a hotfix go on while a freeze holds deliveries (on call only, with a reason).
    #[signal(name = signals::name::PASS_FREEZE)]
    pub fn pass_freeze(&mut self, ctx: &mut SyncWorkflowContext<Self>, payload: serde_json::Value) {
        self.steer(ctx, signals::name::PASS_FREEZE, payload);
    }

    #[signal(name = signals::name::UPDATE_PRIORITY)]
    pub fn update_priority(
        &mut self,
        ctx: &mut SyncWorkflowContext<Self>,
        payload: serde_json::Value,
    ) {
        self.steer(ctx, signals::name::UPDATE_PRIORITY, payload);
    }

    #[signal(name = signals::name::ADD_BLOCKER)]
    pub fn add_blocker(&mut self, ctx: &mut SyncWorkflowContext<Self>, payload: serde_json::Value) {
        self.steer(ctx, signals::name::ADD_BLOCKER, payload);
    }

    #[signal(name = signals::name::REMOVE_BLOCKER)]
    pub fn remove_blocker(
        &mut self,
        ctx: &mut SyncWorkflowContext<Self>,
        payload: serde_json::Value,
    ) {
        self.steer(ctx, signals::name::REMOVE_BLOCKER, payload);
    }

    #[signal(name = signals::name::REQUEST_CLARIFICATION)]
    pub fn request_clarification(
        &mut self,
        ctx: &mut SyncWorkflowContext<Self>,
        payload: serde_json::Value,
    ) {
        self.steer(ctx, signals::name::REQUEST_CLARIFICATION, payload);
    }

    #[signal(name = signals::name::REQUEST_REVISIONS)]
    pub fn request_revisions(
        &mut self,
        ctx: &mut SyncWorkflowContext<Self>,
        payload: serde_json::Value,
    ) {
        self.steer(ctx, signals::name::REQUEST_REVISIONS, payload);
    }

    #[signal(name = signals::name::REQUEST_MORE_EVIDENCE)]
    pub fn request_more_evidence(
        &mut self,
        ctx: &mut SyncWorkflowContext<Self>,
        payload: serde_json::Value,
    ) {
        self.steer(ctx, signals::name::REQUEST_MORE_EVIDENCE, payload);
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

impl Started for FeatureDelivery {
    fn started(&self) -> SystemTime {
        self.now
    }
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
}

/// Who may decide which gate, from the feature policy alone (no admins).
pub(crate) fn gate_rules_of(policy: &FeaturePolicy) -> GateRules {
    gate_rules(policy, None)
}

/// Who may decide which gate, from the feature policy and the lifecycle's admins.
fn gate_rules(policy: &FeaturePolicy, life: Option<&LifecyclePolicy>) -> GateRules {
    GateRules {
        eligible: policy
            .approvers
            .as_ref()
            .map(|a| a.iter().cloned().collect()),
        required: policy.required_approvals,
        no_self_approval: policy.no_self_approval.clone(),
        admins: life
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
        checked: policy.check_controls,
    }
}

/// A validator's answer; a refusal is audited (validators run only for new updates, never on
/// replay).
fn refused_update<E: std::error::Error + Send + Sync + 'static>(
    checked: Result<(), E>,
    user: &str,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    checked.map_err(|why| {
        tracing::warn!(target: "audit", %user, %why, "feature update refused");
        why.into()
    })
}

/// A decision that changed nothing (someone not allowed, a gate not open) is audited.
fn log_ignored(outcome: DecisionOutcome, user: &str, replaying: bool) {
    if let DecisionOutcome::Ignored(why) = outcome
        && !replaying
    {
        tracing::warn!(target: "audit", %user, %why, "feature decision refused");
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
