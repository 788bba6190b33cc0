//! The state of one feature delivery and the rules for changing it: pure, deterministic, tested
//! without a server. The `FeatureDelivery` workflow holds one and drives it.

use chatops_contract::feature::{
    Approve, FeatureRequest, FeatureStatus, Gate, GateState, MessageRef, Phase, Reject,
    TimelineEntry, Vote,
};
use chatops_contract::lifecycle::{
    ApprovalGates, Blocker, ChildInfo, ChildStatus, Evidence, SkipGate, UpdatePriority,
};
use std::collections::BTreeSet;

/// Who may decide gates, and how many must approve.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GateRules {
    /// Users who may decide; `None` lets anyone.
    pub eligible: Option<BTreeSet<String>>,
    /// Distinct approvals a gate needs (0 reads as 1).
    pub required: u32,
    /// Gates the requester may not approve themselves.
    pub no_self_approval: Vec<String>,
    /// Users who may skip a gate; nobody may when empty.
    pub admins: BTreeSet<String>,
    /// Per-gate overrides of `eligible` and `required`.
    pub per_gate: std::collections::BTreeMap<String, GateRule>,
}

/// One gate's own rule, where configured.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GateRule {
    /// Users who may decide this gate; `None`: [`GateRules::eligible`].
    pub eligible: Option<BTreeSet<String>>,
    /// Distinct approvals this gate needs; `None`: [`GateRules::required`].
    pub required: Option<u32>,
}

impl GateRules {
    /// Users who may decide gate `name`; `None` lets anyone.
    pub fn eligible_for(&self, name: &str) -> Option<&BTreeSet<String>> {
        self.per_gate
            .get(name)
            .and_then(|r| r.eligible.as_ref())
            .or(self.eligible.as_ref())
    }

    /// Distinct approvals gate `name` needs (at least 1).
    pub fn required_for(&self, name: &str) -> u32 {
        self.per_gate
            .get(name)
            .and_then(|r| r.required)
            .unwrap_or(self.required)
            .max(1)
    }
}

/// What happened to a decision sent to a gate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecisionOutcome {
    /// The gate took it.
    Applied,
    /// No such gate is pending (already decided, timed out, or never opened); nothing changed.
    Ignored(String),
}

/// One feature's state.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureState {
    /// The request as submitted.
    pub input: FeatureRequest,
    /// Current phase.
    pub phase: Phase,
    /// Every gate opened so far.
    pub gates: Vec<Gate>,
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
}

impl FeatureState {
    /// A new feature at intake, received at `now`.
    pub fn new(input: FeatureRequest, now: &str) -> Self {
        let requester = input.requester.clone();
        let mut s = Self {
            input,
            phase: Phase::Intake,
            gates: Vec::new(),
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

    /// Opens gate `name`, pending until `deadline`.
    pub fn open_gate(&mut self, name: &str, now: &str, deadline: &str) {
        self.gates.push(Gate {
            name: name.to_owned(),
            state: GateState::Pending,
            decided_by: None,
            decided_at: None,
            note: None,
            deadline: Some(deadline.to_owned()),
            required: self.rules.required_for(name),
            approvals: Vec::new(),
            escalated: false,
        });
        self.event(now, format!("{name} gate opened"), None);
    }

    /// The gate called `name`, if opened.
    pub fn gate(&self, name: &str) -> Option<&Gate> {
        self.gates.iter().rev().find(|g| g.name == name)
    }

    /// Whether gate `name` has been decided (or timed out).
    pub fn gate_decided(&self, name: &str) -> bool {
        self.gate(name)
            .is_some_and(|g| g.state != GateState::Pending)
    }

    /// Whether `user` may cast this decision on gate `name` now; the error is what they are
    /// told. Used by the update validators and, for signals, before applying.
    pub fn check(&self, name: &str, user: &str, approving: bool) -> Result<(), String> {
        let Some(gate) = self.gate(name) else {
            return Err(format!("there is no {name} gate"));
        };
        if gate.state != GateState::Pending {
            return Err(format!(
                "the {name} gate is already {}",
                match gate.state {
                    GateState::Approved => "approved",
                    GateState::Rejected => "rejected",
                    GateState::TimedOut => "timed out",
                    GateState::Skipped => "skipped",
                    GateState::Pending => "pending",
                }
            ));
        }
        if let Some(eligible) = self.rules.eligible_for(name)
            && !eligible.contains(user)
        {
            return Err(format!("you are not an approver for the {name} gate"));
        }
        if approving {
            if user == self.input.requester && self.rules.no_self_approval.iter().any(|g| g == name)
            {
                return Err(format!(
                    "you requested this feature, so someone else must approve its {name} gate"
                ));
            }
            if gate.approvals.iter().any(|v| v.user == user) {
                return Err(format!(
                    "you have already approved the {name} gate ({} of {} approvals)",
                    gate.approvals.len(),
                    gate.needed()
                ));
            }
        }
        Ok(())
    }

    /// Applies an approval: one vote; the gate passes when it has enough distinct ones.
    pub fn approve(&mut self, a: &Approve, now: &str) -> DecisionOutcome {
        if let Err(why) = self.check(&a.gate, &a.user, true) {
            self.event(
                now,
                format!("ignored: approve {} ({why})", a.gate),
                Some(&a.user),
            );
            return DecisionOutcome::Ignored(why);
        }
        let Some(gate) = self.pending_gate_mut(&a.gate) else {
            return DecisionOutcome::Ignored(format!("there is no pending {} gate", a.gate));
        };
        gate.approvals.push(Vote {
            user: a.user.clone(),
            at: now.to_owned(),
        });
        let (have, need) = (gate.approvals.len(), gate.needed());
        if have < need {
            let name = a.gate.clone();
            self.event(
                now,
                format!("{name} gate: {have} of {need} approvals"),
                Some(&a.user),
            );
            return DecisionOutcome::Applied;
        }
        self.decide(
            &a.gate,
            GateState::Approved,
            &a.user,
            a.comment.clone(),
            now,
        )
    }

    /// Applies a rejection: the first one from someone allowed wins.
    pub fn reject(&mut self, r: &Reject, now: &str) -> DecisionOutcome {
        if let Err(why) = self.check(&r.gate, &r.user, false) {
            self.event(
                now,
                format!("ignored: reject {} ({why})", r.gate),
                Some(&r.user),
            );
            return DecisionOutcome::Ignored(why);
        }
        self.decide(
            &r.gate,
            GateState::Rejected,
            &r.user,
            Some(r.reason.clone()),
            now,
        )
    }

    /// Times out gate `name` if it is still pending.
    pub fn time_out(&mut self, name: &str, now: &str) -> DecisionOutcome {
        let Some(gate) = self.pending_gate_mut(name) else {
            return DecisionOutcome::Ignored(format!("{name} gate is not pending"));
        };
        gate.state = GateState::TimedOut;
        gate.decided_at = Some(now.to_owned());
        gate.note = Some("no decision before the deadline".to_owned());
        self.event(now, format!("{name} gate timed out"), None);
        DecisionOutcome::Applied
    }

    /// Passes gate `name` because nobody decided in time, for gates that auto-approve.
    pub fn auto_approve(&mut self, name: &str, note: &str, now: &str) -> DecisionOutcome {
        let Some(gate) = self.pending_gate_mut(name) else {
            return DecisionOutcome::Ignored(format!("{name} gate is not pending"));
        };
        gate.state = GateState::Approved;
        gate.decided_by = Some("timeout".to_owned());
        gate.decided_at = Some(now.to_owned());
        gate.note = Some(note.to_owned());
        self.event(now, format!("{name} gate auto-approved: {note}"), None);
        DecisionOutcome::Applied
    }

    /// Marks gate `name` escalated; false when it was not pending or already escalated.
    pub fn escalate(&mut self, name: &str, now: &str) -> bool {
        let Some(gate) = self.pending_gate_mut(name) else {
            return false;
        };
        if gate.escalated {
            return false;
        }
        gate.escalated = true;
        self.event(now, format!("{name} gate escalated"), None);
        true
    }

    /// Whether `user` may skip gate `name` now; the error is what they are told.
    pub fn check_skip(&self, k: &SkipGate) -> Result<(), String> {
        match self.gate(&k.gate) {
            None => return Err(format!("there is no {} gate", k.gate)),
            Some(g) if g.state != GateState::Pending => {
                return Err(format!("the {} gate is not pending", k.gate));
            }
            Some(_) => {}
        }
        if !self.rules.admins.contains(&k.user) {
            return Err(format!(
                "only admins (CHATOPS__APPROVALS__ADMINS) may skip the {} gate",
                k.gate
            ));
        }
        if k.reason.trim().is_empty() {
            return Err("skipping a gate needs a reason".to_owned());
        }
        Ok(())
    }

    /// Applies `skip_gate`.
    pub fn skip(&mut self, k: &SkipGate, now: &str) -> DecisionOutcome {
        if let Err(why) = self.check_skip(k) {
            self.event(
                now,
                format!("ignored: skip {} ({why})", k.gate),
                Some(&k.user),
            );
            return DecisionOutcome::Ignored(why);
        }
        let Some(gate) = self.pending_gate_mut(&k.gate) else {
            return DecisionOutcome::Ignored(format!("there is no pending {} gate", k.gate));
        };
        gate.state = GateState::Skipped;
        gate.decided_by = Some(k.user.clone());
        gate.decided_at = Some(now.to_owned());
        gate.note = Some(k.reason.trim().to_owned());
        let name = k.gate.clone();
        self.event(
            now,
            format!("{name} gate skipped: {}", k.reason.trim()),
            Some(&k.user),
        );
        DecisionOutcome::Applied
    }

    /// Drops the votes on pending gate `name` (what they approved has changed).
    pub fn reset_votes(&mut self, name: &str, now: &str) {
        let Some(gate) = self.pending_gate_mut(name) else {
            return;
        };
        if gate.approvals.is_empty() {
            return;
        }
        let dropped = gate.approvals.len();
        gate.approvals.clear();
        self.event(
            now,
            format!("{name} gate: {dropped} earlier approval(s) dropped; asked again"),
            None,
        );
    }

    /// Whether gate `name` passed (approved or skipped).
    pub fn gate_passed(&self, name: &str) -> bool {
        self.gate(name)
            .is_some_and(|g| matches!(g.state, GateState::Approved | GateState::Skipped))
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

    /// The `approval_gates` query's answer.
    pub fn approval_gates(&self) -> ApprovalGates {
        let (pending, decided) = self
            .gates
            .iter()
            .cloned()
            .partition(|g| g.state == GateState::Pending);
        ApprovalGates { pending, decided }
    }

    /// The `links` of the status: the Temporal UI, the pull request and the tracking issue.
    fn links(&self) -> std::collections::BTreeMap<String, String> {
        let mut links = std::collections::BTreeMap::new();
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

    /// Takes the feedback waiting for gate `name`, if any.
    pub fn take_feedback(&mut self, name: &str) -> Option<String> {
        let at = self.feedback.iter().position(|(g, _)| g == name)?;
        Some(self.feedback.remove(at).1)
    }

    fn decide(
        &mut self,
        name: &str,
        state: GateState,
        user: &str,
        note: Option<String>,
        now: &str,
    ) -> DecisionOutcome {
        let verb = if state == GateState::Approved {
            "approved"
        } else {
            "rejected"
        };
        let Some(gate) = self.pending_gate_mut(name) else {
            let why = match self.gate(name) {
                Some(g) => format!("{name} gate is already {:?}", g.state).to_lowercase(),
                None => format!("there is no {name} gate"),
            };
            self.event(now, format!("ignored: {verb} {name} ({why})"), Some(user));
            return DecisionOutcome::Ignored(why);
        };
        gate.state = state;
        gate.decided_by = Some(user.to_owned());
        gate.decided_at = Some(now.to_owned());
        gate.note = note.filter(|n| !n.trim().is_empty());
        self.event(now, format!("{name} gate {verb}"), Some(user));
        DecisionOutcome::Applied
    }

    fn pending_gate_mut(&mut self, name: &str) -> Option<&mut Gate> {
        self.gates
            .iter_mut()
            .rev()
            .find(|g| g.name == name && g.state == GateState::Pending)
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
        use chatops_contract::feature::Environment;
        Phase::DELIVERY
            .into_iter()
            .filter(|p| {
                self.input.target_environment == Environment::Production
                    || !matches!(p, Phase::ProductionReadiness | Phase::Production)
            })
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
            pending_gates: self
                .gates
                .iter()
                .filter(|g| g.state == GateState::Pending)
                .cloned()
                .collect(),
            gates: self.gates.clone(),
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
        }
    }
}

fn priority_word(p: chatops_contract::feature::Priority) -> String {
    serde_json::to_value(p)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chatops_contract::feature::{Environment, INTAKE_GATE};
    use chatops_contract::lifecycle::PRODUCTION_GATE;

    fn state() -> FeatureState {
        let mut s = FeatureState::new(FeatureRequest::new("Add login", "U1", "C1"), "t0");
        s.open_gate(INTAKE_GATE, "t0", "t9");
        s
    }

    fn approve(user: &str) -> Approve {
        Approve {
            gate: INTAKE_GATE.into(),
            user: user.into(),
            comment: Some("lgtm".into()),
        }
    }

    fn rules(eligible: &[&str], required: u32, no_self: &[&str]) -> GateRules {
        GateRules {
            eligible: Some(eligible.iter().map(|u| (*u).to_owned()).collect()),
            required,
            no_self_approval: no_self.iter().map(|g| (*g).to_owned()).collect(),
            admins: ["U9".to_owned()].into(),
            per_gate: Default::default(),
        }
    }

    #[test]
    fn a_gate_of_its_own_has_its_own_approvers_and_count() {
        let mut r = rules(&["U2", "U3"], 1, &[]);
        r.per_gate.insert(
            PRODUCTION_GATE.into(),
            GateRule {
                eligible: Some(["U7".to_owned(), "U8".to_owned()].into()),
                required: Some(2),
            },
        );
        let mut s = with_rules(r);
        // The intake gate follows the general rule.
        assert_eq!(s.gate(INTAKE_GATE).map(Gate::needed), Some(1));
        assert!(s.check(INTAKE_GATE, "U2", true).is_ok());
        assert!(s.check(INTAKE_GATE, "U7", true).is_err());
        // Production has its own approvers and needs two of them.
        s.open_gate(PRODUCTION_GATE, "t1", "t9");
        assert_eq!(s.gate(PRODUCTION_GATE).map(Gate::needed), Some(2));
        assert_eq!(
            s.check(PRODUCTION_GATE, "U2", true),
            Err("you are not an approver for the production gate".to_owned())
        );
        assert!(s.check(PRODUCTION_GATE, "U7", true).is_ok());
    }

    fn with_rules(r: GateRules) -> FeatureState {
        let mut s = FeatureState::new(FeatureRequest::new("Add login", "U1", "C1"), "t0");
        s.rules = r;
        s.open_gate(INTAKE_GATE, "t0", "t9");
        s
    }

    #[test]
    fn n_distinct_approvers_are_needed_and_a_second_vote_is_refused() {
        let mut s = with_rules(rules(&["U2", "U3", "U4"], 2, &[]));
        assert_eq!(s.approve(&approve("U2"), "t1"), DecisionOutcome::Applied);
        assert!(!s.gate_decided(INTAKE_GATE), "1 of 2 must not pass");
        assert_eq!(
            s.check(INTAKE_GATE, "U2", true),
            Err("you have already approved the intake gate (1 of 2 approvals)".into())
        );
        assert!(matches!(
            s.approve(&approve("U2"), "t2"),
            DecisionOutcome::Ignored(_)
        ));
        assert_eq!(s.approve(&approve("U3"), "t3"), DecisionOutcome::Applied);
        let gate = s.gate(INTAKE_GATE).expect("opened");
        assert_eq!(gate.state, GateState::Approved);
        let voters: Vec<&str> = gate.approvals.iter().map(|v| v.user.as_str()).collect();
        assert_eq!(voters, ["U2", "U3"]);
    }

    #[test]
    fn only_approvers_decide_and_the_requester_cannot_approve_a_banned_gate() {
        let mut s = with_rules(rules(&["U1", "U2"], 1, &[INTAKE_GATE]));
        assert_eq!(
            s.check(INTAKE_GATE, "U9", true),
            Err("you are not an approver for the intake gate".into())
        );
        assert_eq!(
            s.check(INTAKE_GATE, "U9", false),
            Err("you are not an approver for the intake gate".into())
        );
        assert_eq!(
            s.check(INTAKE_GATE, "U1", true),
            Err("you requested this feature, so someone else must approve its intake gate".into())
        );
        // The requester may still withdraw (reject) their own request.
        assert_eq!(s.check(INTAKE_GATE, "U1", false), Ok(()));
        assert!(matches!(
            s.approve(&approve("U1"), "t1"),
            DecisionOutcome::Ignored(_)
        ));
        assert!(!s.gate_decided(INTAKE_GATE));
        assert_eq!(s.approve(&approve("U2"), "t2"), DecisionOutcome::Applied);
        assert!(s.gate_decided(INTAKE_GATE));
    }

    #[test]
    fn a_reject_wins_over_earlier_partial_approvals() {
        let mut s = with_rules(rules(&["U2", "U3"], 2, &[]));
        s.approve(&approve("U2"), "t1");
        let reject = Reject {
            gate: INTAKE_GATE.into(),
            user: "U3".into(),
            reason: "not now".into(),
        };
        assert_eq!(s.reject(&reject, "t2"), DecisionOutcome::Applied);
        assert_eq!(
            s.gate(INTAKE_GATE).map(|g| g.state),
            Some(GateState::Rejected)
        );
    }

    #[test]
    fn first_decision_wins_and_later_ones_are_ignored_and_recorded() {
        let mut s = state();
        assert_eq!(s.approve(&approve("U2"), "t1"), DecisionOutcome::Applied);
        let reject = Reject {
            gate: INTAKE_GATE.into(),
            user: "U3".into(),
            reason: "no".into(),
        };
        assert_eq!(
            s.reject(&reject, "t2"),
            DecisionOutcome::Ignored("the intake gate is already approved".into())
        );
        let gate = s.gate(INTAKE_GATE).expect("opened");
        assert_eq!(
            (
                gate.state,
                gate.decided_by.as_deref(),
                gate.decided_at.as_deref()
            ),
            (GateState::Approved, Some("U2"), Some("t1"))
        );
        assert_eq!(gate.note.as_deref(), Some("lgtm"));
        let last = s.timeline.last().expect("recorded");
        assert_eq!(last.by.as_deref(), Some("U3"));
        assert!(
            last.event
                .as_deref()
                .is_some_and(|e| e.starts_with("ignored"))
        );
    }

    #[test]
    fn timeout_only_applies_to_a_pending_gate() {
        let mut s = state();
        assert_eq!(s.time_out(INTAKE_GATE, "t9"), DecisionOutcome::Applied);
        assert_eq!(
            s.gate(INTAKE_GATE).map(|g| g.state),
            Some(GateState::TimedOut)
        );
        assert!(matches!(
            s.approve(&approve("U2"), "t10"),
            DecisionOutcome::Ignored(_)
        ));
        assert!(matches!(
            s.time_out(INTAKE_GATE, "t11"),
            DecisionOutcome::Ignored(_)
        ));
    }

    #[test]
    fn unknown_gate_is_ignored() {
        let mut s = state();
        let a = Approve {
            gate: "production".into(),
            user: "U2".into(),
            comment: None,
        };
        assert_eq!(
            s.approve(&a, "t1"),
            DecisionOutcome::Ignored("there is no production gate".into())
        );
        assert!(!s.gate_decided(INTAKE_GATE));
    }

    #[test]
    fn status_lists_pending_gates_and_placeholders() {
        let mut s = state();
        assert_eq!(s.status().pending_gates.len(), 1);
        s.approve(&approve("U2"), "t1");
        s.enter(Phase::Planning, "t2", true);
        let st = s.status();
        assert!(st.pending_gates.is_empty());
        assert_eq!(st.phase, Phase::Planning);
        assert_eq!(st.placeholder_phases, vec![Phase::Planning]);
        assert!(st.timeline.last().is_some_and(|e| e.placeholder));
    }

    #[test]
    fn only_admins_skip_a_pending_gate_and_must_say_why() {
        let mut s = with_rules(rules(&["U2"], 1, &[]));
        let skip = |user: &str, reason: &str| SkipGate {
            gate: INTAKE_GATE.into(),
            user: user.into(),
            reason: reason.into(),
        };
        assert_eq!(
            s.skip(&skip("U2", "urgent"), "t1"),
            DecisionOutcome::Ignored(
                "only admins (CHATOPS__APPROVALS__ADMINS) may skip the intake gate".into()
            )
        );
        assert_eq!(
            s.skip(&skip("U9", " "), "t1"),
            DecisionOutcome::Ignored("skipping a gate needs a reason".into())
        );
        assert_eq!(
            s.skip(&skip("U9", "hotfix"), "t2"),
            DecisionOutcome::Applied
        );
        assert!(s.gate_passed(INTAKE_GATE));
        let g = s.gate(INTAKE_GATE).expect("opened");
        assert_eq!(
            (g.state, g.decided_by.as_deref(), g.note.as_deref()),
            (GateState::Skipped, Some("U9"), Some("hotfix"))
        );
        let gates = s.approval_gates();
        assert!(gates.pending.is_empty());
        assert_eq!(gates.decided.len(), 1);
    }

    #[test]
    fn pause_and_blockers_hold_transitions() {
        let mut s = state();
        assert!(s.may_proceed());
        assert!(s.set_paused(true, "U1", Some("freeze week"), "t1"));
        assert!(!s.set_paused(true, "U1", None, "t2"), "already paused");
        assert!(!s.may_proceed());
        assert!(s.set_paused(false, "U1", None, "t3"));
        let b = Blocker {
            id: "legal".into(),
            user: "U2".into(),
            reason: Some("licence review".into()),
        };
        s.add_blocker(&b, "t4");
        s.add_blocker(&b, "t5");
        assert_eq!(s.status().blockers, ["legal: licence review"]);
        assert!(!s.may_proceed());
        assert!(s.remove_blocker(&b, "t6"));
        assert!(!s.remove_blocker(&b, "t7"));
        assert!(s.may_proceed());
    }

    #[test]
    fn plan_gate_auto_approves_and_escalates_once() {
        let mut s = state();
        assert!(s.escalate(INTAKE_GATE, "t1"));
        assert!(!s.escalate(INTAKE_GATE, "t2"), "escalates once");
        assert_eq!(
            s.auto_approve(INTAKE_GATE, "nobody decided", "t3"),
            DecisionOutcome::Applied
        );
        let g = s.gate(INTAKE_GATE).expect("opened");
        assert_eq!(
            (g.state, g.decided_by.as_deref(), g.escalated),
            (GateState::Approved, Some("timeout"), true)
        );
        assert!(!s.escalate(INTAKE_GATE, "t4"), "not pending any more");
    }

    #[test]
    fn children_are_tracked_with_their_outcome() {
        let mut s = state();
        s.child_started("f/planning", "TaskPlanning", Phase::Planning);
        s.child_started("f/development", "Development", Phase::Development);
        s.child_ended("f/planning", true);
        s.child_ended("f/development", false);
        let st: Vec<_> = s.children.iter().map(|c| c.status).collect();
        assert_eq!(st, [ChildStatus::Completed, ChildStatus::Failed]);
        assert_eq!(s.status().children, ["f/planning", "f/development"]);
    }

    #[test]
    fn staging_target_skips_production_phases() {
        let mut s = state();
        assert_eq!(s.delivery_phases().last(), Some(&Phase::Production));
        s.input.target_environment = Environment::Staging;
        assert_eq!(s.delivery_phases().last(), Some(&Phase::Staging));
    }
}
