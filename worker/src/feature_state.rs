//! The state of one feature delivery and the rules for changing it: pure, deterministic, tested
//! without a server. The `FeatureDelivery` workflow holds one and drives it.

use chatops_contract::feature::{
    Approve, FeatureRequest, FeatureStatus, Gate, GateState, MessageRef, Phase, Reject,
    TimelineEntry, Vote,
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
            required: self.rules.required.max(1),
            approvals: Vec::new(),
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
                    GateState::Pending => "pending",
                }
            ));
        }
        if let Some(eligible) = &self.rules.eligible
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
            paused: false,
            pending_gates: self
                .gates
                .iter()
                .filter(|g| g.state == GateState::Pending)
                .cloned()
                .collect(),
            gates: self.gates.clone(),
            blockers: Vec::new(),
            timeline: self.timeline.clone(),
            children: Vec::new(),
            placeholder_phases: self.placeholder_phases.clone(),
            card: self.card.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chatops_contract::feature::{Environment, INTAKE_GATE};

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
        }
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
    fn staging_target_skips_production_phases() {
        let mut s = state();
        assert_eq!(s.delivery_phases().last(), Some(&Phase::Production));
        s.input.target_environment = Environment::Staging;
        assert_eq!(s.delivery_phases().last(), Some(&Phase::Staging));
    }
}
