//! The state of one feature delivery and the rules for changing it: pure, deterministic, tested
//! without a server. The `FeatureDelivery` workflow holds one and drives it; its gates are a
//! [`GateBook`] (decisions on them are in `decisions.rs`).

mod controls;
mod decisions;

pub use super::gates::{GateBook, GateRefusal, GateRule, GateRules};

use chatops_contract::feature::{
    Environment, FeatureRequest, FeatureStatus, MessageRef, Phase, Priority, TimelineEntry,
};
use chatops_contract::lifecycle::{Blocker, ChildInfo, ChildStatus, Evidence, UpdatePriority};
use std::collections::BTreeMap;

/// What happened to a decision sent to a gate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecisionOutcome {
    /// The gate took it.
    Applied,
    /// No such gate is pending (already decided, timed out, or never opened), or the sender
    /// may not decide it; nothing changed. The text is what the sender is told.
    Ignored(String),
}

/// One feature's state.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureState {
    /// The request as submitted.
    pub input: FeatureRequest,
    /// Current phase.
    pub phase: Phase,
    /// Every gate opened so far, with its votes.
    pub gates: GateBook,
    /// What happened, oldest first.
    pub timeline: Vec<TimelineEntry>,
    /// Phases that ran without real work.
    pub placeholder_phases: Vec<Phase>,
    /// The card (root message), once posted.
    pub card: Option<MessageRef>,
    /// Who may decide gates.
    pub rules: GateRules,
    /// Whether `pause` holds the delivery.
    pub paused: bool,
    /// Open blockers, oldest first.
    pub blockers: Vec<Blocker>,
    /// Phase children, in start order.
    pub children: Vec<ChildInfo>,
    /// Everything the phases collected.
    pub evidence: Evidence,
    /// Notes from `request_clarification` / `request_revisions` / `request_more_evidence`,
    /// by gate, not yet acted on.
    pub feedback: Vec<(String, String)>,
    /// The workflow's Temporal UI link, once known.
    pub ui_link: Option<String>,
    /// What holds the delivery now (the emergency stop, or a scheduled freeze until when).
    pub held: Option<String>,
}

impl FeatureState {
    /// A new feature at intake, received at `now`.
    pub fn new(input: FeatureRequest, now: &str) -> Self {
        let requester = input.requester.clone();
        let mut s = Self {
            input,
            phase: Phase::Intake,
            gates: GateBook::default(),
            timeline: Vec::new(),
            placeholder_phases: Vec::new(),
            card: None,
            rules: GateRules::default(),
            paused: false,
            blockers: Vec::new(),
            children: Vec::new(),
            evidence: Evidence::default(),
            feedback: Vec::new(),
            ui_link: None,
            held: None,
        };
        s.timeline.push(TimelineEntry {
            at: now.to_owned(),
            phase: Some(Phase::Intake),
            event: Some("requested".to_owned()),
            by: Some(requester),
            placeholder: false,
        });
        s
    }

    /// Applies `pause` (`true`) or `resume`; false when it changed nothing.
    pub fn set_paused(
        &mut self,
        paused: bool,
        user: &str,
        reason: Option<&str>,
        now: &str,
    ) -> bool {
        if self.paused == paused || self.phase.is_terminal() {
            return false;
        }
        self.paused = paused;
        let verb = if paused { "paused" } else { "resumed" };
        let why = reason.map(|r| format!(": {r}")).unwrap_or_default();
        self.event(now, format!("{verb}{why}"), Some(user));
        true
    }

    /// Applies `add_blocker`; a second blocker with the same id replaces the first.
    pub fn add_blocker(&mut self, b: &Blocker, now: &str) {
        self.blockers.retain(|x| x.id != b.id);
        self.blockers.push(b.clone());
        let why = b
            .reason
            .as_deref()
            .map(|r| format!(": {r}"))
            .unwrap_or_default();
        self.event(now, format!("blocker {} added{why}", b.id), Some(&b.user));
    }

    /// Applies `remove_blocker`; false when no such blocker was open.
    pub fn remove_blocker(&mut self, b: &Blocker, now: &str) -> bool {
        let before = self.blockers.len();
        self.blockers.retain(|x| x.id != b.id);
        let removed = self.blockers.len() != before;
        let what = if removed {
            format!("blocker {} removed", b.id)
        } else {
            format!("ignored: remove blocker {} (no such blocker)", b.id)
        };
        self.event(now, what, Some(&b.user));
        removed
    }

    /// Applies `update_priority`.
    pub fn set_priority(&mut self, u: &UpdatePriority, now: &str) {
        let from = self.input.priority;
        self.input.priority = u.priority;
        self.event(
            now,
            format!(
                "priority {} → {}",
                priority_word(from),
                priority_word(u.priority)
            ),
            Some(&u.user),
        );
    }

    /// Whether the next phase transition may happen: not paused, no blocker open.
    pub fn may_proceed(&self) -> bool {
        !self.paused && self.blockers.is_empty()
    }

    /// Records a phase child started.
    pub fn child_started(&mut self, id: &str, workflow_type: &str, phase: Phase) {
        self.children.retain(|c| c.id != id);
        self.children.push(ChildInfo {
            id: id.to_owned(),
            workflow_type: workflow_type.to_owned(),
            phase,
            status: ChildStatus::Running,
        });
    }

    /// Records how a phase child ended.
    pub fn child_ended(&mut self, id: &str, passed: bool) {
        if let Some(c) = self.children.iter_mut().find(|c| c.id == id) {
            c.status = if passed {
                ChildStatus::Completed
            } else {
                ChildStatus::Failed
            };
        }
    }

    /// The `links` of the status: the Temporal UI, the pull request and the tracking issue.
    fn links(&self) -> BTreeMap<String, String> {
        let mut links = BTreeMap::new();
        if let Some(ui) = &self.ui_link
            && !ui.is_empty()
        {
            links.insert("temporal_ui".to_owned(), ui.clone());
        }
        if let Some(pr) = &self.evidence.pull_request {
            links.insert("pull_request".to_owned(), pr.url.clone());
            // The issue's page sits beside the pull request's: `…/pull/N` → `…/issues/M`.
            if let (Some(n), Some((base, _))) = (self.evidence.issue, pr.url.rsplit_once("/pull/"))
            {
                links.insert("issue".to_owned(), format!("{base}/issues/{n}"));
            }
        }
        links
    }

    /// Moves to `phase`; `placeholder` marks a phase that does no real work yet.
    pub fn enter(&mut self, phase: Phase, now: &str, placeholder: bool) {
        self.phase = phase;
        if placeholder {
            self.placeholder_phases.push(phase);
        }
        self.timeline.push(TimelineEntry {
            at: now.to_owned(),
            phase: Some(phase),
            event: None,
            by: None,
            placeholder,
        });
    }

    /// Records something that happened.
    pub fn event(&mut self, now: &str, what: String, by: Option<&str>) {
        self.timeline.push(TimelineEntry {
            at: now.to_owned(),
            phase: None,
            event: Some(what),
            by: by.map(str::to_owned),
            placeholder: false,
        });
    }

    /// The phases still to walk after intake, honouring the target environment.
    pub fn delivery_phases(&self) -> Vec<Phase> {
        Phase::DELIVERY
            .into_iter()
            .filter(|p| {
                self.input.target_environment == Environment::Production
                    || !matches!(p, Phase::ProductionReadiness | Phase::Production)
            })
            // A patch's request is its plan.
            .filter(|p| !self.input.kind.is_patch() || *p != Phase::Planning)
            .collect()
    }

    /// The `status` query's answer.
    pub fn status(&self) -> FeatureStatus {
        FeatureStatus {
            request: self.input.request.clone(),
            requester: self.input.requester.clone(),
            phase: self.phase,
            priority: self.input.priority,
            target_environment: self.input.target_environment,
            paused: self.paused,
            pending_gates: self.gates.pending().cloned().collect(),
            gates: self.gates.all().to_vec(),
            blockers: self
                .blockers
                .iter()
                .map(|b| match &b.reason {
                    Some(r) => format!("{}: {r}", b.id),
                    None => b.id.clone(),
                })
                .collect(),
            timeline: self.timeline.clone(),
            children: self.children.iter().map(|c| c.id.clone()).collect(),
            placeholder_phases: self.placeholder_phases.clone(),
            links: self.links(),
            card: self.card.clone(),
            kind: self.input.kind,
            held: self.held.clone(),
        }
    }
}

fn priority_word(p: Priority) -> String {
    serde_json::to_value(p)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests;
