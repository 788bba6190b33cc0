//! Payloads of the incident swarm.

use serde::{Deserialize, Serialize};

/// One diagnostic agent's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Diagnosis {
    /// Which agent produced it.
    pub agent: String,
    /// The cause, in the agent's words.
    pub root_cause: String,
    /// Coarse class, e.g. `database`, `deploy`, `network`.
    pub category: String,
    /// How sure the agent is, 0 to 1.
    pub confidence: f64,
    /// What it looked at.
    #[serde(default)]
    pub evidence: Vec<String>,
    /// What it would change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suggested_fix: Option<String>,
    /// The change itself, when the agent wrote one: committed on the hotfix branch.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<FileChange>,
}

/// One file's change: its whole new content, or its removal; taken from a workspace or
/// proposed by an agent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileChange {
    /// Path in the repository.
    pub path: String,
    /// The file's whole new content (empty when deleted).
    #[serde(default)]
    pub content: String,
    /// The file is removed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deleted: bool,
    /// The file is executable (git mode 100755).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub executable: bool,
}

/// How bad an incident is.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Informational; no one is paged.
    Low,
    /// The default.
    #[default]
    Medium,
    /// Users are affected.
    High,
    /// Drop everything.
    Critical,
}

impl Severity {
    /// Reads the severity words monitoring systems use (`page`, `critical`, `error`, `warning`,
    /// `info`, …), case-insensitively.
    pub fn from_label(label: &str) -> Option<Self> {
        match label.trim().to_ascii_lowercase().as_str() {
            "critical" | "crit" | "page" | "p1" | "sev1" | "fatal" | "emergency" => {
                Some(Self::Critical)
            }
            "high" | "error" | "err" | "major" | "p2" | "sev2" => Some(Self::High),
            "medium" | "warning" | "warn" | "minor" | "p3" | "sev3" => Some(Self::Medium),
            "low" | "info" | "informational" | "none" | "p4" | "sev4" => Some(Self::Low),
            _ => None,
        }
    }
}

/// Whether an alert is still going on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertStatus {
    /// Going on.
    #[default]
    Firing,
    /// Over.
    Resolved,
}

/// A machine alert, normalized from whatever sent it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alert {
    /// Stable identity: repeats of the same alert share it.
    pub fingerprint: String,
    /// The affected service.
    pub service: String,
    /// One line on what is wrong.
    pub summary: String,
    /// How bad.
    pub severity: Severity,
    /// Firing or resolved.
    pub status: AlertStatus,
    /// Labels as sent (sorted).
    #[serde(default)]
    pub labels: std::collections::BTreeMap<String, String>,
    /// `alertmanager` or `generic`.
    pub source: String,
}

/// Workflow id of the one `ContinuousMonitoring` every alert goes to.
pub const MONITOR_WORKFLOW_ID: &str = "continuous-monitoring";

/// The monitor's id for a task queue: [`MONITOR_WORKFLOW_ID`] on the default queue,
/// `continuous-monitoring-<queue>` on any other, so installations sharing a namespace keep
/// their alerts apart.
pub fn monitor_workflow_id(task_queue: &str) -> String {
    if task_queue == crate::DEFAULT_TASK_QUEUE {
        MONITOR_WORKFLOW_ID.to_owned()
    } else {
        format!("{MONITOR_WORKFLOW_ID}-{task_queue}")
    }
}

/// Where an incident stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentState {
    /// Card posted, severity set.
    #[default]
    Triage,
    /// Context gathering and diagnostic agents at work.
    Diagnosing,
    /// Agents disagree: the incident commander must pick a diagnosis.
    AwaitingChoice,
    /// A diagnosis stands (by consensus or by choice); people are mitigating.
    Mitigating,
    /// Over.
    Resolved,
}

impl IncidentState {
    /// How the state reads on a card.
    pub fn label(self) -> &'static str {
        match self {
            Self::Triage => "triage",
            Self::Diagnosing => "diagnosing",
            Self::AwaitingChoice => "awaiting a diagnosis choice",
            Self::Mitigating => "mitigating",
            Self::Resolved => "resolved",
        }
    }
}

/// Input of `IncidentSwarm`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentInput {
    /// The alert that opened it.
    pub alert: Alert,
    /// Slack user id of whoever opened it by hand.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opened_by: Option<String>,
    /// Monitor to tell when it closes (its workflow id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monitor: Option<String>,
    /// Set only by the swarm itself when a long incident continues as new: what the earlier run
    /// knew (status, timeline, diagnoses, the stage it was waiting in). Not for callers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carried: Option<serde_json::Value>,
}

/// `acknowledge` payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acknowledge {
    /// Slack user id.
    pub user: String,
}

/// `assign_commander` payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignCommander {
    /// The new commander's Slack user id.
    pub commander: String,
    /// Who assigned them.
    pub user: String,
}

/// `choose_diagnosis` payload: `index` into the `diagnoses` query's candidates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChooseDiagnosis {
    /// Candidate index, from 0.
    pub index: usize,
    /// Slack user id.
    pub user: String,
}

/// `rollback` payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rollback {
    /// Slack user id.
    pub user: String,
    /// Why.
    pub reason: String,
}

/// `resolve` payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resolve {
    /// Slack user id.
    pub user: String,
    /// What fixed it.
    pub summary: String,
}

/// `incident_closed` payload, sent by an `IncidentSwarm` to its monitor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentClosed {
    /// The incident's workflow id.
    pub id: String,
}

/// Knobs of the consensus step (see the worker's `consensus` module for the arithmetic).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ConsensusPolicy {
    /// Root causes at least this similar (0..=1, Jaccard over words) are the same diagnosis.
    pub similarity: f64,
    /// Consensus confidence needed to fix automatically.
    pub threshold: f64,
}

impl Default for ConsensusPolicy {
    fn default() -> Self {
        Self {
            similarity: 0.5,
            threshold: 0.70,
        }
    }
}

/// Diagnoses that agree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConsensusGroup {
    /// Shared category.
    pub category: String,
    /// Root cause of the group's first member.
    pub root_cause: String,
    /// Agents in the group, in canonical order.
    pub agents: Vec<String>,
    /// Mean confidence of the members.
    pub mean_confidence: f64,
    /// Members / all diagnoses.
    pub agreement: f64,
    /// `mean_confidence × agreement`.
    pub score: f64,
}

/// The consensus verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Consensus {
    /// The winning group.
    pub best: ConsensusGroup,
    /// The next best, if any.
    pub runner_up: Option<ConsensusGroup>,
    /// The winning group's score.
    pub confidence: f64,
    /// Whether `confidence ≥ policy.threshold`.
    pub auto_fix: bool,
    /// Every group, best first.
    pub groups: Vec<ConsensusGroup>,
}

/// One line of an incident's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentEvent {
    /// Workflow time, RFC 3339.
    pub at: String,
    /// What happened.
    pub event: String,
    /// Slack user id of whoever caused it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
}

/// `status` of an `IncidentSwarm`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncidentStatus {
    /// Workflow id.
    pub id: String,
    /// Affected service.
    pub service: String,
    /// One line on what is wrong.
    pub summary: String,
    /// How bad.
    pub severity: Severity,
    /// Where it stands.
    pub state: IncidentState,
    /// Incident commander (Slack user id).
    pub commander: Option<String>,
    /// Who acknowledged it.
    pub acknowledged_by: Option<String>,
    /// Alerts received for it (the first one included).
    pub alerts: u32,
    /// RFC 3339 times.
    pub opened_at: String,
    /// When someone acknowledged it.
    pub acknowledged_at: Option<String>,
    /// When a diagnosis stood (by consensus or choice) or a rollback succeeded.
    pub mitigated_at: Option<String>,
    /// When it was resolved.
    pub resolved_at: Option<String>,
    /// The diagnosis that stands: index into `diagnoses`' candidates.
    pub chosen: Option<usize>,
    /// Consensus confidence, once decided.
    pub confidence: Option<f64>,
    /// The incident card.
    pub card: Option<crate::feature::MessageRef>,
    /// Everything that happened, oldest first.
    pub timeline: Vec<IncidentEvent>,
}

/// `diagnoses` of an `IncidentSwarm`: what each agent said, and the candidates offered to the
/// commander (best consensus group first).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Diagnoses {
    /// Every agent's answer.
    pub diagnoses: Vec<Diagnosis>,
    /// Candidate root causes, best first; `choose_diagnosis` indexes into these.
    pub candidates: Vec<ConsensusGroup>,
}

/// `consensus` of an `IncidentSwarm`: the verdict with its inputs, so it can be re-scored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConsensusReport {
    /// The policy it was decided under.
    pub policy: ConsensusPolicy,
    /// The verdict; `None` until decided or when no verdict was possible.
    pub verdict: Option<Consensus>,
    /// Why there is no verdict, when there is none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Result of `IncidentSwarm`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentOutcome {
    /// Who resolved it.
    pub resolved_by: String,
    /// What fixed it.
    pub summary: String,
    /// The postmortem, in Markdown.
    pub postmortem: String,
}

/// An incident the monitor has open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenIncident {
    /// Workflow id.
    pub id: String,
    /// Fingerprint of the alert that opened it.
    pub fingerprint: String,
    /// Affected service.
    pub service: String,
    /// One line on what is wrong.
    pub summary: String,
    /// How bad.
    pub severity: Severity,
    /// RFC 3339.
    pub opened_at: String,
    /// Alerts received for it.
    pub alerts: u32,
}

/// `stats` of `ContinuousMonitoring`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct MonitorStats {
    /// Alerts received, ever.
    pub alerts_seen: u64,
    /// Alerts added to an incident already open.
    pub deduplicated: u64,
    /// Alerts refused (malformed, or a resolved alert with nothing open).
    pub ignored: u64,
    /// Incidents opened, ever.
    pub incidents_opened: u64,
    /// Incidents open now.
    pub open_now: u64,
    /// Runs so far (1 + continue-as-new count).
    pub runs: u64,
    /// The open incidents, oldest first.
    pub open: Vec<OpenIncident>,
}
