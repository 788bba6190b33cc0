//! Payloads of `CodeMigration`: its input, its steps and the `progress` it reports.

use serde::{Deserialize, Serialize};

/// Input of `CodeMigration`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MigrationRequest {
    /// What to migrate, in words (what the agent plans from when no steps are given).
    pub description: String,
    /// Who asked.
    pub requester: String,
    /// Channel for the migration's card and thread; none posts nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// `owner/name`, passed to the steps as `CHATOPS_REPOSITORY`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    /// `incremental` (the default: validate after each step, stop at the first failure) or
    /// `batch` (run every step, then validate them all).
    #[serde(default)]
    pub mode: MigrationMode,
    /// The ordered steps; when empty, the agent plans them from the description.
    #[serde(default)]
    pub steps: Vec<MigrationStep>,
}

/// How a migration's steps are run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MigrationMode {
    /// Validate after each step; stop at the first failure.
    #[default]
    Incremental,
    /// Run every step, then validate them all.
    Batch,
}

/// One step of a migration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MigrationStep {
    /// Short id, e.g. `S1`.
    pub id: String,
    /// One line.
    pub description: String,
    /// The name of the command doing the step, as configured on the worker
    /// (`CHATOPS__MIGRATION__COMMANDS`); never a command line.
    pub command: String,
    /// The name of a configured command that exits 0 when the step is in place.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validate: Option<String>,
    /// The name of a configured command undoing the step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollback: Option<String>,
}

/// Where one migration step stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    /// Not run yet.
    Pending,
    /// Running.
    Running,
    /// Done (and validated, in incremental mode).
    Done,
    /// It or its validation failed.
    Failed,
    /// Undone by the rollback.
    RolledBack,
}

/// One step's progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepProgress {
    /// Step id.
    pub id: String,
    /// Its description.
    pub description: String,
    /// Where it stands.
    pub status: StepStatus,
    /// What its commands said, most recent last.
    #[serde(default)]
    pub output: Vec<String>,
}

/// Result of the `progress` query, and of `CodeMigration` itself.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MigrationProgress {
    /// `analysis`, `executing`, `paused` (held before a step), `validating`, `rolling_back`,
    /// `done` or `failed`.
    pub stage: String,
    /// Whether `pause_migration` holds it.
    pub paused: bool,
    /// Every step.
    pub steps: Vec<StepProgress>,
    /// The final report (Markdown), once finished.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report: Option<String>,
}
