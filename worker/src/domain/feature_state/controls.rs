//! Who may steer a feature: pause, resume, blockers and priority for its requester, the people
//! who may decide one of its gates, and admins; cancel for its requester and admins; feedback on
//! a gate for whoever may decide that gate, and admins; deploying outside the deploy windows
//! for admins alone. The workflow asks these for every signal, whatever path it came by; the
//! bot asks the same before it sends one.

use chatops_contract::feature::GateName;

use super::FeatureState;

impl FeatureState {
    /// Whether `user` may pause, resume, block, unblock or reprioritise this feature.
    pub fn may_steer(&self, user: &str) -> bool {
        !self.rules.checked
            || self.input.requester == user
            || self.rules.admins.contains(user)
            || GateName::ALL
                .iter()
                .any(|g| self.may_decide_gate(g.as_str(), user))
    }

    /// Whether `user` may cancel this feature: its requester or an admin.
    pub fn may_cancel(&self, user: &str) -> bool {
        !self.rules.checked || self.input.requester == user || self.rules.admins.contains(user)
    }

    /// Whether `user` may let this feature deploy outside the deploy windows: admins only,
    /// whether or not the other controls are checked.
    pub fn may_override_window(&self, user: &str) -> bool {
        self.rules.admins.contains(user)
    }

    /// Whether `user` may ask for more at `gate` (clarification, revisions, evidence).
    pub fn may_give_feedback(&self, gate: GateName, user: &str) -> bool {
        !self.rules.checked
            || self.rules.admins.contains(user)
            || self.may_decide_gate(gate.as_str(), user)
    }

    /// Whether `user` may decide `gate` (anyone, when the gate names no approvers).
    fn may_decide_gate(&self, gate: &str, user: &str) -> bool {
        self.rules
            .eligible_for(gate)
            .is_none_or(|listed| listed.contains(user))
    }

    /// Records that `user`'s `doing` (e.g. `pause`) was refused, and says why.
    pub fn refuse(&mut self, doing: &str, user: &str, who_may: &str, at: &str) -> String {
        let why = format!("{doing} by {user} refused: only {who_may} may");
        self.event(at, why.clone(), Some(user));
        why
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::gates::{GateRule, GateRules};
    use chatops_contract::feature::FeatureRequest;
    use std::collections::BTreeSet;

    fn feature(checked: bool) -> FeatureState {
        let input: FeatureRequest = serde_json::from_value(serde_json::json!({
            "request": "Add OAuth2 login",
            "requester": "U0REQ",
            "channel": "C0DELIVERY",
        }))
        .expect("request");
        let mut f = FeatureState::new(input, "2026-01-01T00:00:00Z");
        let set = |ids: &[&str]| Some(ids.iter().map(|s| (*s).to_owned()).collect::<BTreeSet<_>>());
        f.rules = GateRules {
            eligible: set(&["U0APPROVER"]),
            admins: ["U0ADMIN".to_owned()].into(),
            per_gate: [(
                "production".to_owned(),
                GateRule {
                    eligible: set(&["U0RELEASE"]),
                    required: None,
                },
            )]
            .into(),
            checked,
            ..GateRules::default()
        };
        f
    }

    #[test]
    fn the_requester_approvers_and_admins_steer_and_nobody_else() {
        let f = feature(true);
        for user in ["U0REQ", "U0APPROVER", "U0RELEASE", "U0ADMIN"] {
            assert!(f.may_steer(user), "{user}");
        }
        assert!(!f.may_steer("U0STRANGER"));
    }

    #[test]
    fn only_the_requester_and_admins_cancel() {
        let f = feature(true);
        assert!(f.may_cancel("U0REQ"));
        assert!(f.may_cancel("U0ADMIN"));
        assert!(!f.may_cancel("U0APPROVER"));
        assert!(!f.may_cancel("U0STRANGER"));
    }

    #[test]
    fn feedback_on_a_gate_is_for_its_approvers_and_admins() {
        let f = feature(true);
        assert!(f.may_give_feedback(GateName::Production, "U0RELEASE"));
        assert!(!f.may_give_feedback(GateName::Production, "U0APPROVER"));
        assert!(f.may_give_feedback(GateName::Plan, "U0APPROVER"));
        assert!(f.may_give_feedback(GateName::Plan, "U0ADMIN"));
        assert!(!f.may_give_feedback(GateName::Plan, "U0REQ"));
    }

    #[test]
    fn runs_recorded_before_the_checks_replay_as_they_ran() {
        let f = feature(false);
        assert!(f.may_steer("U0STRANGER"));
        assert!(f.may_cancel("U0STRANGER"));
    }

    #[test]
    fn a_refusal_is_kept_on_the_timeline() {
        let mut f = feature(true);
        let why = f.refuse(
            "pause",
            "U0STRANGER",
            "the requester",
            "2026-01-01T00:01:00Z",
        );
        let last = f.timeline.last().expect("an entry");
        let event = last.event.as_deref().unwrap_or_default();
        assert!(event.contains("pause by U0STRANGER refused"), "{why}");
    }
}
