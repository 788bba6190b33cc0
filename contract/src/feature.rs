//! Payloads of the `FeatureDelivery` workflow.

use serde::{Deserialize, Serialize};
use std::fmt;

pub use crate::gate::{GateName, UnknownName};

/// Input of `FeatureDelivery`. Only `request`, `requester` and `channel` are required.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeatureRequest {
    /// What to build, in the requester's words.
    pub request: String,
    /// Slack user id of the requester.
    pub requester: String,
    /// Slack channel id where the feature's card and thread live.
    pub channel: String,
    /// Target repository, `owner/name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    /// Defaults to `medium`.
    #[serde(default)]
    pub priority: Priority,
    /// Defaults to `production`.
    #[serde(default)]
    pub target_environment: Environment,
    /// Approve the intake gate without waiting for a human. Defaults to `false`.
    #[serde(default)]
    pub auto_approve: bool,
    /// A feature (the default) or a patch: one task, no intake or plan gate.
    #[serde(default, skip_serializing_if = "DeliveryKind::is_feature")]
    pub kind: DeliveryKind,
}

impl FeatureRequest {
    /// A request with every optional field at its default.
    pub fn new(
        request: impl Into<String>,
        requester: impl Into<String>,
        channel: impl Into<String>,
    ) -> Self {
        Self {
            request: request.into(),
            requester: requester.into(),
            channel: channel.into(),
            repository: None,
            priority: Priority::default(),
            target_environment: Environment::default(),
            auto_approve: false,
            kind: DeliveryKind::Feature,
        }
    }
}

/// What a delivery is: a feature walks every phase and gate; a patch is the fast path for a
/// small change.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryKind {
    /// Intake (analysis and gate), planning (plan and gate), then the rest.
    #[default]
    Feature,
    /// The request is its one task: no analysis, no plan and no intake or plan gate; the same
    /// development, checks, merge rules and deploys, and the production gate.
    Patch,
    /// A patch that someone on call may let pass a freeze (`pass_freeze`).
    Hotfix,
}

impl DeliveryKind {
    /// Whether this is a feature (the default, left out of payloads).
    pub fn is_feature(&self) -> bool {
        *self == Self::Feature
    }

    /// `Feature`, `Patch` or `Hotfix`, as cards title them.
    pub fn title(self) -> &'static str {
        match self {
            Self::Feature => "Feature",
            Self::Patch => "Patch",
            Self::Hotfix => "Hotfix",
        }
    }

    /// Whether this takes the patch path (one task, no intake or plan gate).
    pub fn is_patch(self) -> bool {
        matches!(self, Self::Patch | Self::Hotfix)
    }
}

/// How urgent a feature is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    /// Whenever there is time.
    Low,
    /// The default.
    #[default]
    Medium,
    /// Ahead of medium work.
    High,
    /// Drop everything.
    Critical,
}

/// Where a feature is delivered to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Environment {
    /// Stop after staging.
    Staging,
    /// Go all the way (the default).
    #[default]
    Production,
}

impl Environment {
    /// Every environment, in delivery order.
    pub const ALL: [Environment; 2] = [Environment::Staging, Environment::Production];

    /// The wire and config spelling: `staging`, `production`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Environment::Staging => "staging",
            Environment::Production => "production",
        }
    }
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Environment {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|e| e.as_str() == s)
            .ok_or_else(|| {
                UnknownName::new("environment", s, Self::ALL.map(Self::as_str).join(", "))
            })
    }
}

/// The phases a feature walks through, in order, and the ways it can end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Waiting for the requirement to be approved.
    Intake,
    /// Breaking the requirement into tasks.
    Planning,
    /// Writing the code.
    Development,
    /// Running the test suites.
    Testing,
    /// Deployed to staging and watched.
    Staging,
    /// Collecting evidence that production is safe.
    ProductionReadiness,
    /// Deployed to production and watched.
    Production,
    /// Delivered.
    Complete,
    /// Rejected at a gate, by a person or by a timeout.
    Rejected,
    /// Stopped by an error.
    Failed,
    /// Stopped on purpose.
    Cancelled,
}

impl Phase {
    /// The phases after intake, in delivery order.
    pub const DELIVERY: [Phase; 6] = [
        Phase::Planning,
        Phase::Development,
        Phase::Testing,
        Phase::Staging,
        Phase::ProductionReadiness,
        Phase::Production,
    ];

    /// Whether the workflow has ended in this phase.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            Phase::Complete | Phase::Rejected | Phase::Failed | Phase::Cancelled
        )
    }

    /// Human label, e.g. `Production readiness`.
    pub fn label(self) -> &'static str {
        match self {
            Phase::Intake => "Intake",
            Phase::Planning => "Planning",
            Phase::Development => "Development",
            Phase::Testing => "Testing",
            Phase::Staging => "Staging",
            Phase::ProductionReadiness => "Production readiness",
            Phase::Production => "Production",
            Phase::Complete => "Complete",
            Phase::Rejected => "Rejected",
            Phase::Failed => "Failed",
            Phase::Cancelled => "Cancelled",
        }
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Payload of the `approve` signal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approve {
    /// Gate name, e.g. `intake`.
    pub gate: String,
    /// Slack user id of the approver.
    pub user: String,
    /// Optional note shown with the decision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// Payload of the `reject` signal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reject {
    /// Gate name, e.g. `intake`.
    pub gate: String,
    /// Slack user id of the rejecter.
    pub user: String,
    /// Why; shown in the thread and the status.
    pub reason: String,
}

/// Name of the requirement-approval gate at intake.
pub const INTAKE_GATE: &str = GateName::Intake.as_str();

/// Where a gate stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GateState {
    /// Waiting for a decision.
    Pending,
    /// Approved by a person (or auto-approved on request).
    Approved,
    /// Rejected by a person.
    Rejected,
    /// Nobody decided in time; treated as a rejection. (A gate that auto-approves on timeout
    /// ends `approved` by `timeout`, with a note saying so.)
    TimedOut,
    /// Passed by an admin without approvals (`skip_gate`).
    Skipped,
}

/// One approval gate and its decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gate {
    /// Gate name, e.g. `intake`.
    pub name: String,
    /// Where it stands.
    pub state: GateState,
    /// Slack user id of whoever decided; absent while pending or after a timeout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<String>,
    /// Workflow time of the decision, RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_at: Option<String>,
    /// Comment or reason given with the decision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Workflow time at which a pending gate times out, RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<String>,
    /// Distinct approvals the gate needs (N of M); 0 reads as 1.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub required: u32,
    /// Approvals given so far, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub approvals: Vec<Vote>,
    /// Whether the escalation group was called because nobody decided.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub escalated: bool,
}

impl Gate {
    /// Approvals needed to pass (at least 1).
    pub fn needed(&self) -> usize {
        self.required.max(1) as usize
    }
}

/// One approval of a gate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vote {
    /// Slack user id.
    pub user: String,
    /// Workflow time, RFC 3339.
    pub at: String,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// One entry of a feature's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEntry {
    /// Workflow time, RFC 3339.
    pub at: String,
    /// The phase entered, for phase transitions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<Phase>,
    /// What happened, for everything else.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    /// Slack user id of whoever caused it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// True when the phase did no real work yet.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub placeholder: bool,
}

/// Result of the `status` query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeatureStatus {
    /// The request as submitted.
    pub request: String,
    /// Slack user id of the requester.
    pub requester: String,
    /// Current phase.
    pub phase: Phase,
    /// Current priority.
    pub priority: Priority,
    /// Delivery target.
    pub target_environment: Environment,
    /// Whether the feature is paused.
    pub paused: bool,
    /// Gates waiting for a decision.
    pub pending_gates: Vec<Gate>,
    /// Every gate met so far, decided or not.
    pub gates: Vec<Gate>,
    /// Open blockers.
    pub blockers: Vec<String>,
    /// What happened, oldest first.
    pub timeline: Vec<TimelineEntry>,
    /// Child workflows started so far.
    pub children: Vec<String>,
    /// Phases that ran as placeholders (no real work behind them yet).
    pub placeholder_phases: Vec<Phase>,
    /// Slack references of the feature's card, when posted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card: Option<MessageRef>,
    /// Where to look: `temporal_ui`, `pull_request`, `issue` (whichever exist).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub links: std::collections::BTreeMap<String, String>,
    /// A feature or a patch.
    #[serde(default, skip_serializing_if = "DeliveryKind::is_feature")]
    pub kind: DeliveryKind,
    /// What holds it now: the emergency stop, or a scheduled freeze until when.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held: Option<String>,
}

/// A posted Slack message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageRef {
    /// Channel id.
    pub channel: String,
    /// Message timestamp (its id within the channel).
    pub ts: String,
}

/// Result of `FeatureDelivery`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeatureOutcome {
    /// The phase it ended in.
    pub phase: Phase,
    /// One line on why it ended there.
    pub summary: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn request_defaults_match_the_documented_contract() {
        let req: FeatureRequest =
            serde_json::from_value(json!({"request": "x", "requester": "U1", "channel": "C1"}))
                .expect("minimal request parses");
        assert_eq!(req, FeatureRequest::new("x", "U1", "C1"));
        assert_eq!(req.priority, Priority::Medium);
        assert_eq!(req.target_environment, Environment::Production);
        assert!(!req.auto_approve);
    }

    #[test]
    fn enums_use_snake_case_on_the_wire() {
        assert_eq!(
            json!(Phase::ProductionReadiness),
            json!("production_readiness")
        );
        assert_eq!(json!(GateState::TimedOut), json!("timed_out"));
        assert_eq!(json!(Priority::Critical), json!("critical"));
    }

    #[test]
    fn approve_comment_is_optional_and_reject_reason_is_not() {
        let a: Approve =
            serde_json::from_value(json!({"gate": "intake", "user": "U1"})).expect("parses");
        assert_eq!(a.comment, None);
        assert!(serde_json::from_value::<Reject>(json!({"gate": "intake", "user": "U1"})).is_err());
    }
}
