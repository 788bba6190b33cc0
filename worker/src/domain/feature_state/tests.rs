use super::*;
use chatops_contract::feature::{Approve, Gate, GateName, GateState, INTAKE_GATE, Reject};
use chatops_contract::lifecycle::{PRODUCTION_GATE, SkipGate};

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
        checked: true,
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
        s.check(PRODUCTION_GATE, "U2", true).map_err(String::from),
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
        s.check(INTAKE_GATE, "U2", true).map_err(String::from),
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
        s.check(INTAKE_GATE, "U9", true).map_err(String::from),
        Err("you are not an approver for the intake gate".into())
    );
    assert_eq!(
        s.check(INTAKE_GATE, "U9", false).map_err(String::from),
        Err("you are not an approver for the intake gate".into())
    );
    assert_eq!(
        s.check(INTAKE_GATE, "U1", true).map_err(String::from),
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
        gate: GateName::Production.as_str().into(),
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
