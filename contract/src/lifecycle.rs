//! Payloads of the delivery lifecycle: the parent's control signals, and what its phase
//! children collect (the `evidence` query), report (`children`) and decide (`approval_gates`).

use crate::feature::{Gate, GateName, Phase, Priority};
use serde::{Deserialize, Serialize};

pub use crate::migration::{
    MigrationMode, MigrationProgress, MigrationRequest, MigrationStep, StepProgress, StepStatus,
};

/// Name of the task-plan review gate, after planning.
pub const PLAN_GATE: &str = GateName::Plan.as_str();
/// Name of the production approval gate, after readiness. Never auto-approved.
pub const PRODUCTION_GATE: &str = GateName::Production.as_str();

/// Payload of `pause` and `resume`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Control {
    /// Slack user id (or CLI identity) of whoever asked.
    pub user: String,
    /// Why, shown in the thread.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Payload of `skip_gate`: pass a pending gate without its approvals. Admins only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkipGate {
    /// Gate name.
    pub gate: String,
    /// Who skips it; must be an admin.
    pub user: String,
    /// Why; required, recorded and shown.
    pub reason: String,
}

/// Payload of `override_window`: let this feature deploy outside its environments' deploy
/// windows. Admins only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverrideWindow {
    /// Who overrides; must be an admin.
    pub user: String,
    /// Why; required, recorded and shown.
    pub reason: String,
}

/// Payload of `pass_freeze`: let this hotfix go on while a freeze holds deliveries. Only
/// people on call, only for a hotfix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PassFreeze {
    /// Who lets it pass; must be on call.
    pub user: String,
    /// Why; required, recorded and shown.
    pub reason: String,
}

/// Payload of `update_priority`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdatePriority {
    /// The new priority.
    pub priority: Priority,
    /// Who changed it.
    pub user: String,
}

/// Payload of `add_blocker` and `remove_blocker`. An open blocker holds the next phase
/// transition until it is removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Blocker {
    /// Short id, e.g. `legal-review`; removing names the same id.
    pub id: String,
    /// Who added or removed it.
    pub user: String,
    /// What it is waiting for (`description` is accepted too).
    #[serde(
        default,
        alias = "description",
        skip_serializing_if = "Option::is_none"
    )]
    pub reason: Option<String>,
}

/// Payload of `request_clarification` (intake gate), `request_revisions` (plan gate) and
/// `request_more_evidence` (production gate): the gate stays open and its phase runs again
/// with the note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Feedback {
    /// Who asks.
    pub user: String,
    /// What is missing.
    pub note: String,
}

/// Payload of a deployment child's `trigger_rollback`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TriggerRollback {
    /// Who asked.
    pub user: String,
    /// Why; recorded with the rollback.
    pub reason: String,
}

/// Payload of a deployment child's `extend_monitoring`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtendMonitoring {
    /// Who asked.
    pub user: String,
    /// Extra watch time, in seconds.
    pub seconds: u64,
}

/// Where a phase child stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChildStatus {
    /// Still running.
    Running,
    /// Finished and its phase passed.
    Completed,
    /// Finished and its phase did not pass, or it failed.
    Failed,
}

/// One child workflow, as the `children` query lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChildInfo {
    /// Workflow id, derived from the parent's: `<parent>/<phase>`.
    pub id: String,
    /// Workflow type, e.g. `StagingDeployment`.
    pub workflow_type: String,
    /// The phase it runs.
    pub phase: Phase,
    /// Where it stands.
    pub status: ChildStatus,
}

/// Result of the `approval_gates` query.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ApprovalGates {
    /// Gates waiting for a decision.
    pub pending: Vec<Gate>,
    /// Gates decided, timed out or skipped, with who, when and why.
    pub decided: Vec<Gate>,
}

/// The requirement analysis (`RequirementIntake`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Analysis {
    /// Whether the agent thinks it can be built.
    pub feasible: bool,
    /// One paragraph.
    pub summary: String,
    /// Questions the request leaves open.
    #[serde(default)]
    pub ambiguities: Vec<String>,
    /// Which agent answered (`primary`, `alternative`), or `none` when none is configured.
    #[serde(default)]
    pub agent: String,
}

/// One task of the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedTask {
    /// Short id, e.g. `T1`.
    pub id: String,
    /// One line.
    pub title: String,
    /// Ids of tasks that must finish first.
    #[serde(default)]
    pub depends_on: Vec<String>,
}

/// The task plan (`TaskPlanning`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Plan {
    /// Tasks, in the order given.
    pub tasks: Vec<PlannedTask>,
    /// Estimated effort, in hours.
    #[serde(default)]
    pub estimate_hours: f64,
    /// Which agent answered.
    #[serde(default)]
    pub agent: String,
}

/// What one `TaskExecution` did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskResult {
    /// Task id.
    pub id: String,
    /// Task title.
    pub title: String,
    /// Which agent wrote it (`primary` or `alternative`), or `none`.
    pub agent: String,
    /// Paths it changed.
    pub files: Vec<String>,
    /// Failed attempts before it succeeded, with their reasons (kept as evidence).
    #[serde(default)]
    pub attempts: Vec<String>,
    /// The files written, handed to `Development`, which commits them one task at a time
    /// (commits to one branch must not race); empty once committed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<crate::incident::FileChange>,
}

/// The code review (`CodeReview`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Review {
    /// Whether the reviewer would merge it.
    pub approved: bool,
    /// Its remarks.
    #[serde(default)]
    pub comments: Vec<String>,
    /// Which agent reviewed.
    #[serde(default)]
    pub agent: String,
}

/// The feature's pull request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullInfo {
    /// `owner/name`.
    pub repository: String,
    /// Branch, `feature/REQ-<id>-<summary>`.
    pub branch: String,
    /// Number.
    pub number: u64,
    /// Web page.
    pub url: String,
    /// Head commit.
    pub head_sha: String,
    /// The base branch's commit the branch started from (what a rollback redeploys).
    pub base_sha: String,
    /// Whether it was squash-merged.
    #[serde(default)]
    pub merged: bool,
}

/// One quality check, as configured per repository.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckSpec {
    /// Name, e.g. `unit_tests`, `coverage`, `security_scan`.
    pub name: String,
    /// Shell command run in the checkout; exit 0 passes.
    pub command: String,
    /// Whether merging needs it to pass. Defaults to true.
    #[serde(default = "yes")]
    pub required: bool,
    /// Weight in the score. Defaults to 1.
    #[serde(default = "one")]
    pub weight: f64,
    /// Seconds it may run. Defaults to 600.
    #[serde(default = "ten_minutes")]
    pub timeout_secs: u64,
    /// When it fails, ask the agent for a fix (kind `fix`), commit it and run the check again.
    /// Defaults to false.
    #[serde(default)]
    pub autofix: bool,
}

fn yes() -> bool {
    true
}
fn one() -> f64 {
    1.0
}
fn ten_minutes() -> u64 {
    600
}

/// What one check did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckResult {
    /// Check name.
    pub name: String,
    /// Whether it passed.
    pub passed: bool,
    /// Whether it was required.
    pub required: bool,
    /// Its weight.
    pub weight: f64,
    /// 0–100: a check may print `score=NN` (e.g. coverage percent); else 100 on pass, 0 on fail.
    pub score: f64,
    /// `critical=N` printed by a scan, when any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub critical: Option<u32>,
    /// The end of its output.
    pub output: String,
    /// Whether this is the result after an agent's auto-fix.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub fixed: bool,
}

/// The verdict of `QualityGate`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct QualityReport {
    /// Every check run.
    pub checks: Vec<CheckResult>,
    /// Weighted average of the checks' scores, 0–100.
    pub score: f64,
    /// The threshold it was held to.
    pub threshold: f64,
    /// Whether merging is allowed: every required check passed, score ≥ threshold, coverage
    /// ≥ its minimum, no critical vulnerabilities.
    pub can_merge: bool,
    /// Why not, one reason per line.
    #[serde(default)]
    pub blocking: Vec<String>,
    /// The commit the checks last ran on (moved by auto-fixes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub head_sha: Option<String>,
}

/// One health probe of a deployment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HealthSample {
    /// Workflow time, RFC 3339.
    pub at: String,
    /// Whether the health endpoint answered 2xx.
    pub healthy: bool,
    /// Error rate reported by the metrics source, when configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_rate: Option<f64>,
    /// Latency (ms) reported by the metrics source, when configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<f64>,
    /// What was seen, for people.
    pub detail: String,
}

/// A deployment and how it went.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct DeployReport {
    /// `staging` or `production`.
    pub environment: String,
    /// The commit deployed.
    pub sha: String,
    /// Every health probe, oldest first.
    pub samples: Vec<HealthSample>,
    /// Whether it stayed healthy for the whole window.
    pub healthy: bool,
    /// Why it was rolled back, when it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rolled_back: Option<String>,
    /// The rollback saga's steps, in order, each with its outcome.
    #[serde(default)]
    pub rollback_steps: Vec<String>,
    /// Extra watch time asked for with `extend_monitoring`, in seconds.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub extended_secs: u64,
    /// Who asked for it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extended_by: Vec<String>,
    /// Whether `pause` holds it now.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub paused: bool,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// The readiness verdict (`ProductionReadiness`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Readiness {
    /// 0–100.
    pub score: f64,
    /// What counted, one line each.
    pub findings: Vec<String>,
}

/// Everything collected so far (the `evidence` query).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Evidence {
    /// Requirement analysis.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analysis: Option<Analysis>,
    /// The task plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<Plan>,
    /// What each task did.
    #[serde(default)]
    pub tasks: Vec<TaskResult>,
    /// The tracking issue's number (labelled with the requirement id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issue: Option<u64>,
    /// The pull request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pull_request: Option<PullInfo>,
    /// Release notes, written when the feature completes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release_notes: Option<String>,
    /// The code review.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review: Option<Review>,
    /// Test results and scans.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quality: Option<QualityReport>,
    /// Staging validation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub staging: Option<DeployReport>,
    /// Readiness verdict.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub readiness: Option<Readiness>,
    /// Production validation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub production: Option<DeployReport>,
}
