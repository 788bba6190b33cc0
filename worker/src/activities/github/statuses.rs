//! Commit statuses: set one, read the combined status of a pull request's head.

use octocrab::models::StatusState;
use serde::{Deserialize, Serialize};
use temporalio_sdk::activities::ActivityError;

use super::client::{Repo, failed};
use super::pulls::PullRef;
use crate::activities::failure::permanent;

/// The checks of a commit, as GitHub's combined status reports them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checks {
    /// `pending`, `success`, `failure` or `error`; `none` when nothing reported.
    pub state: String,
    /// How many statuses reported.
    pub total: u32,
    /// Contexts that did not pass.
    pub failed: Vec<String>,
}

/// A commit status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusSpec {
    /// `owner/name`.
    pub repository: String,
    /// Commit.
    pub sha: String,
    /// `success`, `failure`, `error` or `pending`.
    pub state: String,
    /// e.g. `chatops/unit_tests`.
    pub context: String,
    /// One line.
    pub description: String,
}

/// Longest description GitHub keeps.
const MAX_DESCRIPTION: usize = 140;

/// What is read of a combined status.
#[derive(Deserialize)]
struct CombinedAnswer {
    state: Option<String>,
    statuses: Option<Vec<StatusAnswer>>,
}

#[derive(Deserialize)]
struct StatusAnswer {
    state: Option<String>,
    context: Option<String>,
}

/// Sets a commit status (a context's latest status replaces the earlier one).
pub(super) async fn set(repo: &Repo<'_>, spec: &StatusSpec) -> Result<(), ActivityError> {
    repo.repos()
        .create_status(spec.sha.clone(), state(&spec.state)?)
        .context(spec.context.clone())
        .description(spec.description.chars().take(MAX_DESCRIPTION).collect())
        .send()
        .await
        .map_err(failed(format!("set status {}", spec.context)))?;
    Ok(())
}

/// The combined status of the pull request's head commit.
///
/// A raw call: octocrab's `combined_status_for_ref` needs fields in the answer (`sha`,
/// `total_count`) that this never uses.
pub(super) async fn of_pull(repo: &Repo<'_>, pr: &PullRef) -> Result<Checks, ActivityError> {
    let combined: CombinedAnswer = repo
        .gh()
        .get(
            repo.route(&format!("commits/{}/status", pr.head_sha)),
            None::<&()>,
        )
        .await
        .map_err(failed(format!("read the checks of #{}", pr.number)))?;
    let statuses = combined.statuses.unwrap_or_default();
    let failed = statuses
        .iter()
        .filter(|s| matches!(s.state.as_deref(), Some("failure" | "error")))
        .filter_map(|s| s.context.clone())
        .collect();
    Ok(Checks {
        state: if statuses.is_empty() {
            "none".to_owned()
        } else {
            combined.state.unwrap_or_else(|| "pending".to_owned())
        },
        total: u32::try_from(statuses.len()).unwrap_or(u32::MAX),
        failed,
    })
}

/// The state a workflow asked for, as GitHub spells it.
fn state(asked: &str) -> Result<StatusState, ActivityError> {
    match asked {
        "success" => Ok(StatusState::Success),
        "failure" => Ok(StatusState::Failure),
        "error" => Ok(StatusState::Error),
        "pending" => Ok(StatusState::Pending),
        other => Err(permanent(format!(
            "`{other}` is not a commit status state (success, failure, error or pending)"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_a_workflow_sends_is_spelled_as_github_spells_it() {
        for asked in ["success", "failure", "error", "pending"] {
            let typed = state(asked).expect(asked);
            assert_eq!(serde_json::to_value(typed).expect("json"), asked);
        }
        assert!(state("passed").is_err());
    }
}
