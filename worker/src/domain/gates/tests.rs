use super::*;
use chatops_contract::feature::GateName::{Intake, Plan, Production};
use std::collections::BTreeMap;

const REQUESTER: &str = "U1";

fn rules(eligible: &[&str], required: u32, no_self: &[GateName]) -> GateRules {
    GateRules {
        eligible: Some(eligible.iter().map(|u| (*u).to_owned()).collect()),
        required,
        no_self_approval: no_self.iter().map(|g| g.as_str().to_owned()).collect(),
        admins: ["U9".to_owned()].into(),
        per_gate: BTreeMap::new(),
        checked: true,
    }
}

fn book(gate: GateName, required: u32) -> GateBook {
    let mut b = GateBook::default();
    b.open(gate, required, "t9");
    b
}

fn approve(gate: GateName, user: &str) -> Approve {
    Approve {
        gate: gate.as_str().into(),
        user: user.into(),
        comment: Some("lgtm".into()),
    }
}

fn reject(gate: GateName, user: &str) -> Reject {
    Reject {
        gate: gate.as_str().into(),
        user: user.into(),
        reason: "not now".into(),
    }
}

fn skip(user: &str, reason: &str) -> SkipGate {
    SkipGate {
        gate: Intake.as_str().into(),
        user: user.into(),
        reason: reason.into(),
    }
}

#[test]
fn every_refusal_says_what_the_person_is_told() {
    let table = [
        (
            GateRefusal::NoSuchGate {
                gate: "deploy".into(),
            },
            "there is no deploy gate",
        ),
        (
            GateRefusal::AlreadyDecided {
                gate: Intake,
                state: GateState::Approved,
            },
            "the intake gate is already approved",
        ),
        (
            GateRefusal::AlreadyDecided {
                gate: Plan,
                state: GateState::Rejected,
            },
            "the plan gate is already rejected",
        ),
        (
            GateRefusal::AlreadyDecided {
                gate: Production,
                state: GateState::TimedOut,
            },
            "the production gate is already timed out",
        ),
        (
            GateRefusal::AlreadyDecided {
                gate: Intake,
                state: GateState::Skipped,
            },
            "the intake gate is already skipped",
        ),
        (
            GateRefusal::AlreadyDecided {
                gate: Intake,
                state: GateState::Pending,
            },
            "the intake gate is already pending",
        ),
        (
            GateRefusal::NotAnApprover { gate: Production },
            "you are not an approver for the production gate",
        ),
        (
            GateRefusal::OwnRequest { gate: Intake },
            "you requested this feature, so someone else must approve its intake gate",
        ),
        (
            GateRefusal::AlreadyApproved {
                gate: Plan,
                have: 1,
                need: 2,
            },
            "you have already approved the plan gate (1 of 2 approvals)",
        ),
        (
            GateRefusal::NotPending { gate: Intake },
            "the intake gate is not pending",
        ),
        (
            GateRefusal::NotAnAdmin { gate: Production },
            "only admins (CHATOPS__APPROVALS__ADMINS) may skip the production gate",
        ),
        (GateRefusal::NoReason, "skipping a gate needs a reason"),
    ];
    for (refusal, want) in table {
        assert_eq!(refusal.to_string(), want);
        assert_eq!(String::from(refusal), want);
    }
}

#[test]
fn a_name_the_contract_does_not_know_is_no_gate() {
    assert_eq!(gate_name(Production.as_str()), Ok(Production));
    assert_eq!(
        gate_name("Production"),
        Err(GateRefusal::NoSuchGate {
            gate: "Production".into()
        })
    );
    let b = book(Intake, 1);
    assert_eq!(
        b.check("deploy", "U2", true, &GateRules::default(), REQUESTER),
        Err(GateRefusal::NoSuchGate {
            gate: "deploy".into()
        })
    );
    assert_eq!(
        b.check(Plan.as_str(), "U2", true, &GateRules::default(), REQUESTER),
        Err(GateRefusal::NoSuchGate {
            gate: Plan.as_str().into()
        })
    );
}

#[test]
fn approvals_are_counted_until_enough_distinct_ones_pass_the_gate() {
    let r = rules(&["U2", "U3", "U4"], 2, &[]);
    let mut b = book(Intake, r.required_for(Intake.as_str()));
    assert_eq!(
        b.approve(&approve(Intake, "U2"), "t1", &r, REQUESTER),
        Ok(Tally::Counted { have: 1, need: 2 })
    );
    assert!(!b.is_decided(Intake));
    assert_eq!(
        b.approve(&approve(Intake, "U2"), "t2", &r, REQUESTER),
        Err(GateRefusal::AlreadyApproved {
            gate: Intake,
            have: 1,
            need: 2
        })
    );
    assert_eq!(
        b.approve(&approve(Intake, "U3"), "t3", &r, REQUESTER),
        Ok(Tally::Passed)
    );
    let g = b.get(Intake).expect("opened");
    assert_eq!(
        (g.state, g.decided_by.as_deref(), g.note.as_deref()),
        (GateState::Approved, Some("U3"), Some("lgtm"))
    );
    assert!(b.has_passed(Intake));
    assert_eq!(
        b.approve(&approve(Intake, "U4"), "t4", &r, REQUESTER),
        Err(GateRefusal::AlreadyDecided {
            gate: Intake,
            state: GateState::Approved
        })
    );
}

#[test]
fn approvers_and_the_self_approval_ban_are_per_gate() {
    let mut r = rules(&["U1", "U2"], 1, &[Production]);
    r.per_gate.insert(
        Plan.as_str().into(),
        GateRule {
            eligible: Some(["U7".to_owned()].into()),
            required: Some(3),
        },
    );
    assert_eq!(r.required_for(Plan.as_str()), 3);
    assert_eq!(r.required_for(Intake.as_str()), 1);
    let mut b = GateBook::default();
    b.open(Intake, 1, "t9");
    b.open(Plan, 3, "t9");
    b.open(Production, 1, "t9");
    assert_eq!(
        b.check(Plan.as_str(), "U2", true, &r, REQUESTER),
        Err(GateRefusal::NotAnApprover { gate: Plan })
    );
    assert_eq!(b.check(Plan.as_str(), "U7", true, &r, REQUESTER), Ok(()));
    // The requester is barred from approving production only, and may always reject.
    assert_eq!(
        b.check(Intake.as_str(), REQUESTER, true, &r, REQUESTER),
        Ok(())
    );
    assert_eq!(
        b.check(Production.as_str(), REQUESTER, true, &r, REQUESTER),
        Err(GateRefusal::OwnRequest { gate: Production })
    );
    assert_eq!(
        b.check(Production.as_str(), REQUESTER, false, &r, REQUESTER),
        Ok(())
    );
}

#[test]
fn a_rejection_wins_over_partial_approvals_and_keeps_its_reason() {
    let r = rules(&["U2", "U3"], 2, &[]);
    let mut b = book(Plan, 2);
    assert!(b.approve(&approve(Plan, "U2"), "t1", &r, REQUESTER).is_ok());
    assert_eq!(b.reject(&reject(Plan, "U3"), "t2", &r, REQUESTER), Ok(()));
    let g = b.get(Plan).expect("opened");
    assert_eq!(
        (g.state, g.decided_by.as_deref(), g.note.as_deref()),
        (GateState::Rejected, Some("U3"), Some("not now"))
    );
    assert!(b.is_decided(Plan));
    assert!(!b.has_passed(Plan));
}

#[test]
fn a_blank_comment_leaves_no_note() {
    let mut b = book(Intake, 1);
    let mut a = approve(Intake, "U2");
    a.comment = Some("  ".into());
    let r = GateRules::default();
    assert_eq!(b.approve(&a, "t1", &r, REQUESTER), Ok(Tally::Passed));
    assert_eq!(b.get(Intake).and_then(|g| g.note.clone()), None);
}

#[test]
fn timeouts_and_auto_approvals_apply_only_to_a_pending_gate() {
    let mut b = book(Intake, 1);
    assert_eq!(b.time_out(Intake, "t9"), Ok(()));
    let g = b.get(Intake).expect("opened");
    assert_eq!(
        (g.state, g.decided_by.as_deref(), g.note.as_deref()),
        (
            GateState::TimedOut,
            None,
            Some("no decision before the deadline")
        )
    );
    assert_eq!(
        b.time_out(Intake, "t10"),
        Err(GateRefusal::NotPending { gate: Intake })
    );
    assert_eq!(
        b.auto_approve(Intake, "late", "t10"),
        Err(GateRefusal::NotPending { gate: Intake })
    );

    let mut b = book(Plan, 1);
    assert_eq!(b.auto_approve(Plan, "nobody decided", "t9"), Ok(()));
    let g = b.get(Plan).expect("opened");
    assert_eq!(
        (g.state, g.decided_by.as_deref(), g.note.as_deref()),
        (GateState::Approved, Some("timeout"), Some("nobody decided"))
    );
    assert!(b.has_passed(Plan));
}

#[test]
fn a_gate_escalates_once_and_only_while_pending() {
    let mut b = book(Plan, 1);
    assert!(b.escalate(Plan));
    assert!(!b.escalate(Plan));
    assert!(!b.escalate(Intake), "never opened");
    assert!(b.time_out(Plan, "t9").is_ok());
    assert!(b.get(Plan).is_some_and(|g| g.escalated));
}

#[test]
fn only_an_admin_with_a_reason_skips_a_pending_gate() {
    let r = rules(&["U2"], 1, &[]);
    let mut b = book(Intake, 1);
    assert_eq!(
        b.skip(&skip("U2", "urgent"), "t1", &r),
        Err(GateRefusal::NotAnAdmin { gate: Intake })
    );
    assert_eq!(
        b.skip(&skip("U9", " "), "t1", &r),
        Err(GateRefusal::NoReason)
    );
    assert_eq!(b.skip(&skip("U9", " hotfix "), "t2", &r), Ok(()));
    let g = b.get(Intake).expect("opened");
    assert_eq!(
        (g.state, g.decided_by.as_deref(), g.note.as_deref()),
        (GateState::Skipped, Some("U9"), Some("hotfix"))
    );
    assert!(b.has_passed(Intake));
    assert_eq!(
        b.check_skip(&skip("U9", "again"), &r),
        Err(GateRefusal::NotPending { gate: Intake })
    );
    let mut other = skip("U9", "x");
    other.gate = Plan.as_str().into();
    assert_eq!(
        b.check_skip(&other, &r),
        Err(GateRefusal::NoSuchGate {
            gate: Plan.as_str().into()
        })
    );
}

#[test]
fn revisions_drop_the_votes_of_a_pending_gate_only() {
    let r = GateRules::default();
    let mut b = book(Plan, 3);
    assert_eq!(b.reset_votes(Plan), 0);
    for user in ["U2", "U3"] {
        assert!(b.approve(&approve(Plan, user), "t1", &r, REQUESTER).is_ok());
    }
    assert_eq!(b.reset_votes(Plan), 2);
    assert!(b.get(Plan).is_some_and(|g| g.approvals.is_empty()));
    // The same approvers may vote again on what changed.
    assert_eq!(
        b.approve(&approve(Plan, "U2"), "t2", &r, REQUESTER),
        Ok(Tally::Counted { have: 1, need: 3 })
    );
    assert!(b.time_out(Plan, "t9").is_ok());
    assert_eq!(b.reset_votes(Plan), 0, "a decided gate keeps its votes");
    assert_eq!(b.get(Plan).map(|g| g.approvals.len()), Some(1));
}

#[test]
fn a_gate_opened_again_is_the_one_decisions_reach() {
    let r = GateRules::default();
    let mut b = book(Plan, 1);
    assert!(b.reject(&reject(Plan, "U2"), "t1", &r, REQUESTER).is_ok());
    b.open(Plan, 1, "t19");
    assert!(!b.is_decided(Plan));
    assert_eq!(b.pending().count(), 1);
    assert_eq!(
        b.approve(&approve(Plan, "U2"), "t2", &r, REQUESTER),
        Ok(Tally::Passed)
    );
    let states: Vec<GateState> = b.all().iter().map(|g| g.state).collect();
    assert_eq!(states, [GateState::Rejected, GateState::Approved]);
    assert_eq!(b.pending().count(), 0);
}
