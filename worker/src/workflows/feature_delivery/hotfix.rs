//! A hotfix is a patch that someone on call may let pass a freeze (`pass_freeze`): held by the
//! emergency stop or a scheduled freeze, it goes on once they do, and says who and why. Anyone
//! else's leave, or leave for a feature or an ordinary patch, is refused and audited.

use chatops_contract::feature::DeliveryKind;
use chatops_contract::lifecycle::PassFreeze;
use chatops_contract::signals;

use super::FeatureDelivery;

impl FeatureDelivery {
    /// `pass_freeze` arrived: on call's, with a reason, for a hotfix, is kept; anything else
    /// is refused, on the timeline and in the audit log.
    pub(super) fn pass_checked(&mut self, payload: serde_json::Value, at: &str, replaying: bool) {
        let Some(p) = self.decode::<PassFreeze>(signals::PASS_FREEZE, payload, at) else {
            return;
        };
        let refusal = if self.state.input.kind != DeliveryKind::Hotfix {
            Some(format!(
                "pass_freeze by {} refused: only a hotfix may pass a freeze",
                p.user
            ))
        } else if !self.oncall.contains(&p.user) {
            Some(format!(
                "pass_freeze by {} refused: only people on call (CHATOPS__EMERGENCY__ONCALL) may",
                p.user
            ))
        } else if p.reason.trim().is_empty() {
            Some(format!(
                "pass_freeze by {} ignored: no reason given",
                p.user
            ))
        } else {
            None
        };
        if let Some(why) = refusal {
            self.state.event(at, why.clone(), Some(&p.user));
            if !replaying {
                tracing::warn!(target: "audit", %why, "feature signal refused");
            }
            return;
        }
        self.state.event(
            at,
            format!("may pass a freeze: {}", p.reason.trim()),
            Some(&p.user),
        );
        if !replaying {
            tracing::info!(target: "audit", user = %p.user, reason = %p.reason, "hotfix may pass a freeze");
        }
        self.freeze_pass = Some((p, false));
    }
}
