//! `ContinuousQuality`: one long-running workflow per watched repository that runs the quality
//! checks on its default branch on a schedule and after every merge chatops makes, keeps the
//! score history, and says so in the channel when the score drops or a required check starts
//! failing.

use serde::{Deserialize, Serialize};

/// How many points of history a watcher keeps (older ones are dropped).
pub const KEPT_POINTS: usize = 100;

/// The watcher of `repository` (`owner/name`) on `task_queue`: `quality-<owner>-<name>`, with
/// the task queue appended when it is not the default one.
pub fn quality_workflow_id(repository: &str, task_queue: &str) -> String {
    let repo: String = repository
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '-'
            }
        })
        .collect();
    if task_queue == crate::DEFAULT_TASK_QUEUE {
        format!("quality-{repo}")
    } else {
        format!("quality-{repo}-{task_queue}")
    }
}

/// `ContinuousQuality`'s input, carried across continue-as-new.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct QualityWatch {
    /// `owner/name`.
    pub repository: String,
    /// The history so far, oldest first (at most [`KEPT_POINTS`]).
    #[serde(default)]
    pub points: Vec<QualityPoint>,
    /// Looks at the default branch so far, a commit already checked included.
    #[serde(default)]
    pub looks: u64,
}

/// One run of the checks on the default branch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QualityPoint {
    /// Workflow time, RFC 3339.
    pub at: String,
    /// The default branch.
    pub branch: String,
    /// The commit checked.
    pub sha: String,
    /// Weighted score, 0–100.
    pub score: f64,
    /// Required checks that failed.
    #[serde(default)]
    pub failing: Vec<String>,
    /// What asked for it: `schedule`, `worker start`, or `merge of <feature>`.
    pub trigger: String,
}

/// Payload of `check`: look at the default branch now.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct QualityCheck {
    /// Why: `worker start`, `merge of <feature>`, or who asked.
    pub reason: String,
    /// The commit chatops merged, when a merge asks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha: Option<String>,
}

/// The `trend` query's answer.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct QualityTrend {
    /// `owner/name`.
    pub repository: String,
    /// Oldest first.
    pub points: Vec<QualityPoint>,
    /// Looks at the default branch so far.
    pub looks: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_watcher_per_repository_and_task_queue() {
        assert_eq!(
            quality_workflow_id("acme/shop", crate::DEFAULT_TASK_QUEUE),
            "quality-acme-shop"
        );
        assert_eq!(
            quality_workflow_id("acme/shop", "e2e-1"),
            "quality-acme-shop-e2e-1"
        );
    }
}
