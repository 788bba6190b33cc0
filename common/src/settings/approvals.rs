//! `[approvals]`: who may decide gates, how many approvals a gate needs, per-gate overrides
//! (`approvals.gates`, JSON), and the gates a requester may not approve. `approvals.admins` is
//! read into [`FeatureSettings`](super::FeatureSettings), where the worker has always found it.

use super::{
    SettingsError,
    parse::{self, Parsed},
    source::Source,
};
use chatops_contract::feature::GateName;
use std::collections::BTreeMap;

/// `[approvals]`
#[derive(Debug, Clone)]
pub struct ApprovalSettings {
    /// User and user group ids; empty lets anyone decide.
    pub approvers: Vec<String>,
    pub required: u32,
    /// Gates the requester may not approve.
    pub no_self_approval: Vec<String>,
    /// Per-gate overrides of `approvers` and `required`, by gate name.
    pub gates: BTreeMap<String, GateApprovalSettings>,
}

impl ApprovalSettings {
    /// Who may decide gate `gate` (user and user group ids; empty: anyone).
    pub fn approvers_for(&self, gate: &str) -> &[String] {
        self.gates
            .get(gate)
            .and_then(|g| g.approvers.as_deref())
            .unwrap_or(&self.approvers)
    }

    pub(super) fn read(src: &Source<'_>) -> Result<Self, SettingsError> {
        Ok(Self {
            approvers: src
                .optional("approvals.approvers", parse::principals)?
                .unwrap_or_default(),
            no_self_approval: src.get("approvals.no_self_approval", parse::list)?,
            required: src.get("approvals.required", parse::count(10))?,
            gates: src
                .optional("approvals.gates", gate_overrides)?
                .unwrap_or_default(),
        })
    }
}

/// One gate's override in `approvals.gates`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GateApprovalSettings {
    /// Who may decide this gate, instead of `approvals.approvers`.
    pub approvers: Option<Vec<String>>,
    /// Distinct approvals this gate needs, instead of `approvals.required`.
    pub required: Option<u32>,
}

/// `approvals.gates`: `{"gate": {"approvers": "U…,S…", "required": N}}`, each part checked.
///
/// Walked by hand rather than derived, so each mistake gets its own message naming the gate
/// and the field.
pub(super) fn gate_overrides(raw: &str) -> Parsed<BTreeMap<String, GateApprovalSettings>> {
    let map: BTreeMap<String, serde_json::Value> = serde_json::from_str(raw).map_err(|e| {
        format!("must be a JSON object of gates, like {{\"production\": {{\"required\": 2}}}}: {e}")
    })?;
    let mut out = BTreeMap::new();
    for (gate, rule) in map {
        if gate.parse::<GateName>().is_err() {
            return Err(format!("`{gate}` is not a gate; the gates are {}", gates()));
        }
        let Some(obj) = rule.as_object() else {
            return Err(format!(
                "`{gate}` must map to an object with `approvers` and/or `required`"
            ));
        };
        let mut parsed = GateApprovalSettings::default();
        for (field, v) in obj {
            match field.as_str() {
                "approvers" => parsed.approvers = Some(gate_approvers(&gate, v)?),
                "required" => match v.as_u64() {
                    Some(n @ 1..=10) => parsed.required = u32::try_from(n).ok(),
                    _ => {
                        return Err(format!(
                            "{gate}.required: `{v}` must be a whole number from 1 to 10"
                        ));
                    }
                },
                other => {
                    return Err(format!(
                        "{gate}: `{other}` is not a setting; use approvers and required"
                    ));
                }
            }
        }
        out.insert(gate, parsed);
    }
    Ok(out)
}

/// A gate's `approvers`: a comma-separated string or a list, at least one, each a Slack id.
fn gate_approvers(gate: &str, v: &serde_json::Value) -> Parsed<Vec<String>> {
    let listed: Vec<String> = match v {
        serde_json::Value::String(s) => s
            .split(',')
            .map(|w| w.trim().to_owned())
            .filter(|w| !w.is_empty())
            .collect(),
        serde_json::Value::Array(a) => a
            .iter()
            .map(|w| w.as_str().unwrap_or_default().trim().to_owned())
            .collect(),
        _ => Vec::new(),
    };
    if let Some(who) = listed.iter().find(|w| !parse::is_slack_principal(w)) {
        return Err(format!(
            "{gate}.approvers: `{who}` must be a Slack user id (U…) or user group id (S…)"
        ));
    }
    if listed.is_empty() {
        return Err(format!(
            "{gate}.approvers must name at least one user or group"
        ));
    }
    Ok(listed)
}

/// `intake, plan and production`.
fn gates() -> String {
    let names = GateName::ALL.map(GateName::as_str);
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => names.join(""),
    }
}
