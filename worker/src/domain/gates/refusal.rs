//! Why a decision on a gate is refused, in the words the person is told.

use chatops_contract::feature::{GateName, GateState};

/// Why a decision on a gate was refused. The text is what the person who sent it is told (as
/// the update's rejection, or on the feature's timeline), word for word.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GateRefusal {
    /// No gate of that name has been opened, or the name is none the contract knows; name a
    /// gate that is open.
    #[error("there is no {gate} gate")]
    NoSuchGate {
        /// The name as given.
        gate: String,
    },
    /// The gate was decided already (or timed out, or skipped); the first decision stands.
    #[error("the {gate} gate is already {}", state_word(.state))]
    AlreadyDecided {
        /// The gate.
        gate: GateName,
        /// How it ended.
        state: GateState,
    },
    /// The user is not among the gate's approvers; ask one of them.
    #[error("you are not an approver for the {gate} gate")]
    NotAnApprover {
        /// The gate.
        gate: GateName,
    },
    /// The requester may not approve this gate of their own feature; someone else must.
    #[error("you requested this feature, so someone else must approve its {gate} gate")]
    OwnRequest {
        /// The gate.
        gate: GateName,
    },
    /// The user's approval is counted already; the rest must come from other approvers.
    #[error("you have already approved the {gate} gate ({have} of {need} approvals)")]
    AlreadyApproved {
        /// The gate.
        gate: GateName,
        /// Approvals so far.
        have: usize,
        /// Approvals needed.
        need: usize,
    },
    /// The gate is not waiting for a decision, so it cannot be skipped, timed out or approved
    /// on timeout.
    #[error("the {gate} gate is not pending")]
    NotPending {
        /// The gate.
        gate: GateName,
    },
    /// Only admins (`CHATOPS__APPROVALS__ADMINS`) may skip a gate.
    #[error("only admins (CHATOPS__APPROVALS__ADMINS) may skip the {gate} gate")]
    NotAnAdmin {
        /// The gate.
        gate: GateName,
    },
    /// A skip must say why; give a reason.
    #[error("skipping a gate needs a reason")]
    NoReason,
}

impl From<GateRefusal> for String {
    fn from(refusal: GateRefusal) -> Self {
        refusal.to_string()
    }
}

/// How a decided gate reads in a refusal: `approved`, `timed out`, …
fn state_word(state: &GateState) -> &'static str {
    match state {
        GateState::Approved => "approved",
        GateState::Rejected => "rejected",
        GateState::TimedOut => "timed out",
        GateState::Skipped => "skipped",
        GateState::Pending => "pending",
    }
}

/// `name` as a gate the contract knows; any other name is a gate that was never opened.
pub fn gate_name(name: &str) -> Result<GateName, GateRefusal> {
    name.parse().map_err(|_| GateRefusal::NoSuchGate {
        gate: name.to_owned(),
    })
}
