//! Steering a feature: `pause`, `resume`, `cancel`, `update_priority`, the blockers and feedback
//! on a gate, each checked against the feature's roles before it changes anything. One that
//! arrives before the feature has read its policy, and so before it knows who may steer it,
//! waits for the policy and is checked then.

use chatops_contract::signals;
use temporalio_sdk::SyncWorkflowContext;

use super::FeatureDelivery;
use super::stops::{REQUESTER_OR_ADMIN, STEERERS};
use crate::domain::feature_state::FeatureState;
use crate::workflows::clock;
use chatops_contract::feature::GateName;

/// Steering signals kept until the policy is read: name, payload, and when each arrived.
pub(super) type Early = Vec<(&'static str, serde_json::Value, String)>;

/// Steering that arrives before the policy is read is checked once it is (runs recorded before
/// applied it unchecked).
pub(super) const CHECKED_EARLY: &str = "controls-after-policy";

impl FeatureDelivery {
    /// A steering signal named `name` arrived: applied now, or kept until the policy is read.
    pub(super) fn steer(
        &mut self,
        ctx: &mut SyncWorkflowContext<Self>,
        name: &'static str,
        payload: serde_json::Value,
    ) {
        let at = clock::at(self, ctx);
        match &mut self.early {
            Some(early) => early.push((name, payload, at)),
            None => self.apply(name, payload, &at, ctx.is_replaying()),
        }
    }

    /// The policy is read: the steering that waited for it is applied in the order it came,
    /// checked against the roles (`checked`), or unchecked as runs recorded before applied it.
    pub(super) fn policy_read(&mut self, checked: bool, replaying: bool) {
        let early = self.early.take().unwrap_or_default();
        let rules = (!checked).then(|| std::mem::take(&mut self.state.rules));
        for (name, payload, at) in early {
            self.apply(name, payload, &at, replaying);
        }
        if let Some(rules) = rules {
            self.state.rules = rules;
        }
    }

    /// Applies the steering signal `name`, checked against the roles.
    fn apply(&mut self, name: &str, payload: serde_json::Value, at: &str, replaying: bool) {
        match name {
            signals::name::PAUSE => self.control(signals::PAUSE, payload, true, at, replaying),
            signals::name::RESUME => self.control(signals::RESUME, payload, false, at, replaying),
            signals::name::CANCEL => self.cancel_checked(payload, at, replaying),
            signals::name::UPDATE_PRIORITY => self.priority(payload, at, replaying),
            signals::name::OVERRIDE_WINDOW => self.override_checked(payload, at, replaying),
            signals::name::PASS_FREEZE => self.pass_checked(payload, at, replaying),
            signals::name::ADD_BLOCKER => self.block(payload, at, replaying),
            signals::name::REMOVE_BLOCKER => self.unblock(payload, at, replaying),
            signals::name::REQUEST_CLARIFICATION => self.feedback(
                signals::REQUEST_CLARIFICATION,
                payload,
                GateName::Intake,
                at,
                replaying,
            ),
            signals::name::REQUEST_REVISIONS => self.feedback(
                signals::REQUEST_REVISIONS,
                payload,
                GateName::Plan,
                at,
                replaying,
            ),
            signals::name::REQUEST_MORE_EVIDENCE => self.feedback(
                signals::REQUEST_MORE_EVIDENCE,
                payload,
                GateName::Production,
                at,
                replaying,
            ),
            other => self
                .state
                .event(at, format!("ignored unknown steering signal {other}"), None),
        }
    }

    fn cancel_checked(&mut self, payload: serde_json::Value, at: &str, replaying: bool) {
        if let Some(c) = self.decode(signals::CANCEL, payload, at)
            && self.allowed(
                "cancel",
                &c.user,
                FeatureState::may_cancel,
                REQUESTER_OR_ADMIN,
                at,
                replaying,
            )
        {
            self.cancel_asked(c, at);
        }
    }

    fn priority(&mut self, payload: serde_json::Value, at: &str, replaying: bool) {
        if let Some(u) = self.decode(signals::UPDATE_PRIORITY, payload, at)
            && self.allowed(
                "priority",
                &u.user,
                FeatureState::may_steer,
                STEERERS,
                at,
                replaying,
            )
        {
            self.state.set_priority(&u, at);
        }
    }

    fn block(&mut self, payload: serde_json::Value, at: &str, replaying: bool) {
        let Some(b) = self.decode(signals::ADD_BLOCKER, payload, at) else {
            return;
        };
        if !self.allowed(
            "add_blocker",
            &b.user,
            FeatureState::may_steer,
            STEERERS,
            at,
            replaying,
        ) {
            return;
        }
        if b.id.trim().is_empty() {
            self.state
                .event(at, "ignored add_blocker without an id".to_owned(), None);
        } else {
            self.state.add_blocker(&b, at);
        }
    }

    fn unblock(&mut self, payload: serde_json::Value, at: &str, replaying: bool) {
        if let Some(b) = self.decode(signals::REMOVE_BLOCKER, payload, at)
            && self.allowed(
                "remove_blocker",
                &b.user,
                FeatureState::may_steer,
                STEERERS,
                at,
                replaying,
            )
        {
            self.state.remove_blocker(&b, at);
        }
    }
}
