//! Deployments: each deploy chatops makes is recorded on GitHub with its outcome, and the last
//! successful one of an environment is what ran there before the next deploy (what a rollback
//! redeploys when the environment has no version URL).

use serde::{Deserialize, Serialize};
use serde_json::json;
use temporalio_sdk::activities::ActivityError;

use super::client::{Repo, failed};

/// A deploy to record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeploymentSpec {
    /// `owner/name`.
    pub repository: String,
    /// `staging` or `production`.
    pub environment: String,
    /// The commit deployed.
    pub sha: String,
    /// The feature workflow that deployed it.
    pub feature: String,
    /// `success` (it stayed healthy) or `failure` (it was rolled back).
    pub state: String,
    /// One line on how it went.
    pub description: String,
}

/// Which environment's last successful deploy to find.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveSpec {
    /// `owner/name`.
    pub repository: String,
    /// `staging` or `production`.
    pub environment: String,
}

/// How many recent deployments are looked through for the last successful one.
const LOOK_BACK: u32 = 30;

#[derive(Deserialize)]
struct DeploymentAnswer {
    id: u64,
    sha: Option<String>,
    payload: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct StatusAnswer {
    state: Option<String>,
}

/// Records the deploy (once per feature, commit and environment) and its outcome.
pub(super) async fn record(repo: &Repo<'_>, spec: &DeploymentSpec) -> Result<(), ActivityError> {
    let route = repo.route("deployments");
    let query = json!({"sha": spec.sha, "environment": spec.environment, "per_page": 100});
    let existing: Vec<DeploymentAnswer> = repo
        .gh()
        .get(&route, Some(&query))
        .await
        .map_err(failed(format!("list the {} deployments", spec.environment)))?;
    let mine = existing.into_iter().find(|d| {
        d.payload
            .as_ref()
            .and_then(|p| p["feature"].as_str())
            .is_some_and(|f| f == spec.feature)
    });
    let id = match mine {
        Some(d) => d.id,
        None => {
            let body = json!({
                "ref": spec.sha,
                "environment": spec.environment,
                "auto_merge": false,
                "required_contexts": [],
                "description": format!("chatops: {}", spec.feature),
                "payload": {"feature": spec.feature},
                "production_environment": spec.environment == "production",
            });
            let made: DeploymentAnswer =
                repo.gh()
                    .post(&route, Some(&body))
                    .await
                    .map_err(failed(format!(
                        "record the {} deployment",
                        spec.environment
                    )))?;
            made.id
        }
    };
    let body = json!({
        "state": spec.state,
        "description": spec.description.chars().take(140).collect::<String>(),
        "environment": spec.environment,
    });
    repo.gh()
        .post::<_, serde::de::IgnoredAny>(
            repo.route(&format!("deployments/{id}/statuses")),
            Some(&body),
        )
        .await
        .map_err(failed(format!(
            "record how the {} deploy went",
            spec.environment
        )))?;
    Ok(())
}

/// The commit of the environment's most recent deployment whose latest status is `success`.
pub(super) async fn live(
    repo: &Repo<'_>,
    spec: &LiveSpec,
) -> Result<Option<String>, ActivityError> {
    let query = json!({"environment": spec.environment, "per_page": LOOK_BACK});
    let recent: Vec<DeploymentAnswer> = repo
        .gh()
        .get(repo.route("deployments"), Some(&query))
        .await
        .map_err(failed(format!("list the {} deployments", spec.environment)))?;
    for d in recent {
        let statuses: Vec<StatusAnswer> = repo
            .gh()
            .get(
                repo.route(&format!("deployments/{}/statuses", d.id)),
                Some(&json!({"per_page": 1})),
            )
            .await
            .map_err(failed(format!("read deployment {}", d.id)))?;
        let latest = statuses.into_iter().next().and_then(|s| s.state);
        if latest.as_deref() == Some("success")
            && let Some(sha) = d.sha.filter(|s| !s.is_empty())
        {
            return Ok(Some(sha));
        }
    }
    Ok(None)
}
