//! Who may decide a feature's gates: approvers, N of M, no self-approval, admins.

use chatops_contract::feature::GateName;
use std::collections::{BTreeMap, BTreeSet};

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
    pub per_gate: BTreeMap<String, GateRule>,
    /// Whether pause, resume, blockers, priority, cancel and gate feedback are checked against
    /// the roles (false only in runs recorded before they were).
    pub checked: bool,
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

    /// Whether the requester is barred from approving `gate` of their own feature.
    pub(super) fn bars_requester(&self, gate: GateName) -> bool {
        self.no_self_approval.iter().any(|g| *g == gate)
    }
}
