//! How the audit log names what a person attempted. Slack's names (`approve`,
//! `feature.pause`, `incident.acknowledge`, `emergency_stop.engage`, …) and the CLI's
//! (`cli.decision`, `cli.control`, `cli.emergency`, …) are the ones operators already grep for.

use super::{Actor, Context, Refusal, Via};
use crate::store::AuditEntry;

/// What was attempted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Act<'a> {
    /// Approve a gate.
    Approve { gate: &'a str },
    /// Reject a gate.
    Reject { gate: &'a str },
    /// A feature control, by its signal's name (`pause`, `add_blocker`, …).
    Control(&'static str),
    /// Pass a gate without approvals.
    SkipGate { gate: &'a str },
    /// Let a feature deploy outside the deploy windows.
    OverrideWindow,
    /// Let a hotfix pass a freeze.
    PassFreeze,
    /// Stop a feature for good.
    Cancel,
    /// Start a feature.
    FeatureNew,
    /// Open an incident by hand.
    IncidentNew,
    /// Take command of an incident.
    Acknowledge,
    /// Roll an incident's deploy back.
    Rollback,
    /// Resolve an incident.
    Resolve,
    /// Pick an incident's diagnosis.
    ChooseDiagnosis,
    /// Hand an incident to someone.
    Commander,
    /// Engage the emergency stop.
    Engage,
    /// Decide not to engage it after all.
    DontEngage,
    /// Release the emergency stop.
    Release,
    /// Add a scheduled freeze.
    FreezeAdd,
    /// Remove a scheduled freeze.
    FreezeRemove,
}

impl<'a> Act<'a> {
    /// The action's name, gate and decision as `via` records them.
    fn names(self, via: &Via) -> (String, Option<String>, Option<String>) {
        let (action, gate, decision) = self.slack();
        let gate = gate.map(str::to_owned);
        let said = |d: &str| Some(d.to_owned());
        match via {
            Via::Slack { .. } => (action, gate, decision.map(str::to_owned)),
            Via::Cli => match self {
                Self::Approve { .. } | Self::Reject { .. } => {
                    ("cli.decision".into(), gate, decision.map(str::to_owned))
                }
                Self::Control(signal) => ("cli.control".into(), None, said(signal)),
                Self::SkipGate { .. } => ("cli.skip_gate".into(), gate, said("skip")),
                Self::Cancel => ("cli.cancel".into(), None, None),
                Self::OverrideWindow => ("cli.override_window".into(), None, None),
                Self::PassFreeze => ("cli.pass_freeze".into(), None, None),
                Self::Engage => ("cli.emergency".into(), None, said("engage")),
                Self::Release => ("cli.emergency".into(), None, said("release")),
                Self::FreezeAdd => ("cli.freeze".into(), None, said("add")),
                Self::FreezeRemove => ("cli.freeze".into(), None, said("remove")),
                _ => (format!("cli.{action}"), gate, decision.map(str::to_owned)),
            },
        }
    }

    /// The action's name, gate and decision as Slack's front ends record them.
    fn slack(self) -> (String, Option<&'a str>, Option<&'static str>) {
        let plain = |name: &str| (name.to_owned(), None, None);
        match self {
            Self::Approve { gate } => ("approve".into(), Some(gate), Some("approve")),
            Self::Reject { gate } => ("reject".into(), Some(gate), Some("reject")),
            Self::Control(signal) => plain(&format!("feature.{signal}")),
            Self::SkipGate { gate } => ("feature.skip_gate".into(), Some(gate), None),
            Self::OverrideWindow => plain("feature.override_window"),
            Self::PassFreeze => plain("feature.pass_freeze"),
            Self::Cancel => plain("feature.cancel"),
            Self::FeatureNew => plain("feature.new"),
            Self::IncidentNew => plain("incident.new"),
            Self::Acknowledge => plain("incident.acknowledge"),
            Self::Rollback => plain("incident.rollback"),
            Self::Resolve => plain("incident.resolve"),
            Self::ChooseDiagnosis => plain("incident.choose_diagnosis"),
            Self::Commander => plain("incident.commander"),
            Self::Engage => plain("emergency_stop.engage"),
            Self::DontEngage => plain("emergency_stop.cancel"),
            Self::Release => plain("emergency_stop.release"),
            Self::FreezeAdd => plain("freeze.add"),
            Self::FreezeRemove => plain("freeze.remove"),
        }
    }
}

/// Appends what `actor` attempted on `workflow`, and what came of it, to the audit log.
pub(crate) async fn record<C: Context>(
    cx: &C,
    actor: &Actor,
    act: Act<'_>,
    workflow: Option<&str>,
    outcome: String,
) {
    cx.audit(entry(actor, act, workflow, outcome)).await;
}

/// The outcome of the entry written before an action under `CHATOPS__AUDIT__FAIL_CLOSED`.
const ATTEMPTED: &str = "attempted";

/// Before a state-changing action: under `CHATOPS__AUDIT__FAIL_CLOSED`, writes that `actor` is
/// attempting `act` on `workflow` (outcome [`ATTEMPTED`]) and refuses when that cannot be
/// written, so nothing changes without a trace. Off, it writes nothing and always agrees: the
/// entry [`record`] writes afterwards is the only one, and losing it is only logged.
pub(crate) async fn attempt<C: Context>(
    cx: &C,
    actor: &Actor,
    act: Act<'_>,
    workflow: Option<&str>,
) -> Result<(), Refusal> {
    if !cx.settings().audit.fail_closed {
        return Ok(());
    }
    let entry = entry(actor, act, workflow, ATTEMPTED.to_owned());
    let action = entry.action.clone();
    cx.write_audit(entry).await.map_err(|e| {
        tracing::error!(error = %e, %action, user = %actor.user, "audit log unwritable; action refused (CHATOPS__AUDIT__FAIL_CLOSED)");
        Refusal::AuditUnavailable(e.to_string())
    })
}

/// The entry for what `actor` attempted on `workflow` and what came of it.
fn entry(actor: &Actor, act: Act<'_>, workflow: Option<&str>, outcome: String) -> AuditEntry {
    let (action, gate, decision) = act.names(&actor.via);
    let slack_channel = match &actor.via {
        Via::Slack { channel } => channel.clone(),
        Via::Cli => None,
    };
    AuditEntry {
        actor: actor.user.clone(),
        action,
        workflow_id: workflow.map(str::to_owned),
        gate,
        decision,
        outcome,
        slack_channel,
        ..AuditEntry::default()
    }
}

#[cfg(test)]
mod fail_closed;

#[cfg(test)]
mod tests {
    use super::*;
    use chatops_contract::feature::GateName;

    const INTAKE: &str = GateName::Intake.as_str();
    const PLAN: &str = GateName::Plan.as_str();

    #[test]
    fn slack_and_the_cli_keep_their_names() {
        let slack = Via::Slack { channel: None };
        let table = [
            (
                Act::Approve { gate: INTAKE },
                &slack,
                ("approve", Some(INTAKE), Some("approve")),
            ),
            (
                Act::Control("add_blocker"),
                &slack,
                ("feature.add_blocker", None, None),
            ),
            (
                Act::SkipGate { gate: PLAN },
                &slack,
                ("feature.skip_gate", Some(PLAN), None),
            ),
            (
                Act::DontEngage,
                &slack,
                ("emergency_stop.cancel", None, None),
            ),
            (
                Act::Reject { gate: PLAN },
                &Via::Cli,
                ("cli.decision", Some(PLAN), Some("reject")),
            ),
            (
                Act::Control("pause"),
                &Via::Cli,
                ("cli.control", None, Some("pause")),
            ),
            (
                Act::SkipGate { gate: INTAKE },
                &Via::Cli,
                ("cli.skip_gate", Some(INTAKE), Some("skip")),
            ),
            (Act::Cancel, &Via::Cli, ("cli.cancel", None, None)),
            (Act::FeatureNew, &Via::Cli, ("cli.feature.new", None, None)),
            (
                Act::Acknowledge,
                &Via::Cli,
                ("cli.incident.acknowledge", None, None),
            ),
            (
                Act::Release,
                &Via::Cli,
                ("cli.emergency", None, Some("release")),
            ),
        ];
        for (act, via, (action, gate, decision)) in table {
            let got = act.names(via);
            assert_eq!(
                (got.0.as_str(), got.1.as_deref(), got.2.as_deref()),
                (action, gate, decision),
                "{act:?} via {via:?}"
            );
        }
    }
}
