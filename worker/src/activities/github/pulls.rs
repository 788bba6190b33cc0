//! Pull requests: open (or find) one, request reviews, squash-merge.

use octocrab::params::State;
use octocrab::params::pulls::MergeMethod;
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};
use serde_json::json;
use temporalio_sdk::activities::ActivityError;

use super::branches;
use super::client::{Repo, failed, status_of};
use crate::activities::failure::permanent;
use chatops_contract::incident::FileChange;

/// A pull request to open (or find, when it exists).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullRequestSpec {
    /// `owner/name`.
    pub repository: String,
    /// Head branch, created from the default branch when missing.
    pub branch: String,
    /// Pull request title.
    pub title: String,
    /// Pull request description (Markdown).
    pub body: String,
    /// Commit message for the files.
    pub commit_message: String,
    /// Files to commit on the branch.
    pub files: Vec<FileChange>,
}

/// An open pull request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullRef {
    /// `owner/name`.
    pub repository: String,
    /// Its number.
    pub number: u64,
    /// Its web page.
    pub url: String,
    /// The head commit.
    pub head_sha: String,
}

/// Reviewers to request on a pull request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewersSpec {
    /// `owner/name`.
    pub repository: String,
    /// Pull request number.
    pub number: u64,
    /// GitHub logins.
    pub reviewers: Vec<String>,
}

/// A squash merge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergeSpec {
    /// `owner/name`.
    pub repository: String,
    /// Pull request number.
    pub number: u64,
    /// Squash commit title.
    pub title: String,
    /// The head commit that passed the gates: GitHub refuses the merge when the branch has
    /// moved since.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha: Option<String>,
}

/// The marker in a merge failure whose branch moved after it was tested.
pub const BRANCH_MOVED: &str = "the branch moved after it was tested";

/// What is read of a pull request.
#[derive(Deserialize)]
struct PullAnswer {
    number: Option<u64>,
    html_url: Option<String>,
    head: Option<HeadAnswer>,
    merged: Option<bool>,
    merge_commit_sha: Option<String>,
}

#[derive(Deserialize)]
struct HeadAnswer {
    sha: Option<String>,
}

/// Opens the pull request `spec` describes: its branch (unless it exists), its files (unless
/// they are there), the pull request (unless one exists for the branch, in any state).
pub(super) async fn open(
    repo: &Repo<'_>,
    spec: &PullRequestSpec,
) -> Result<PullRef, ActivityError> {
    let base = branches::default_branch(repo).await?;
    if branches::find(repo, &spec.branch).await?.is_none() {
        let sha =
            branches::head_of(repo, &base, || format!("GET the {base} branch of {repo}")).await?;
        branches::create(repo, &spec.branch, &sha).await?;
    }
    branches::commit_files(repo, &spec.branch, &spec.commit_message, &spec.files).await?;

    let pulls = repo.pulls();
    let for_branch = pulls
        .list()
        .head(format!("{}:{}", repo.owner(), spec.branch))
        .state(State::All);
    let existing: Vec<PullAnswer> = repo
        .gh()
        .get(repo.route("pulls"), Some(&for_branch))
        .await
        .map_err(failed(format!("list pull requests of {repo}")))?;
    let pr = match existing.into_iter().next() {
        Some(pr) => pr,
        None => {
            let new = pulls
                .create(&spec.title, &spec.branch, &base)
                .body(spec.body.as_str());
            repo.gh()
                .post(repo.route("pulls"), Some(&new))
                .await
                .map_err(failed(format!("open a pull request on {repo}")))?
        }
    };
    Ok(PullRef {
        repository: spec.repository.clone(),
        number: pr.number.unwrap_or_default(),
        url: pr.html_url.unwrap_or_default(),
        head_sha: pr.head.and_then(|h| h.sha).unwrap_or_default(),
    })
}

/// Requests reviewers (requesting one twice is harmless).
///
/// A raw call: octocrab's `request_reviews` also sends an empty team list and reads the answer
/// into a full pull request model.
pub(super) async fn request_reviewers(
    repo: &Repo<'_>,
    spec: &ReviewersSpec,
) -> Result<(), ActivityError> {
    repo.gh()
        .post::<_, IgnoredAny>(
            repo.route(&format!("pulls/{}/requested_reviewers", spec.number)),
            Some(&json!({"reviewers": spec.reviewers})),
        )
        .await
        .map_err(failed(format!("request reviews on #{}", spec.number)))?;
    Ok(())
}

/// Squash-merges the pull request unless it is merged already (a lost answer to an earlier
/// attempt); returns the merge commit.
pub(super) async fn merge(repo: &Repo<'_>, spec: &MergeSpec) -> Result<String, ActivityError> {
    let pr: PullAnswer = repo
        .gh()
        .get(repo.route(&format!("pulls/{}", spec.number)), None::<&()>)
        .await
        .map_err(failed(format!("GET #{}", spec.number)))?;
    if pr.merged == Some(true) {
        return pr.merge_commit_sha.filter(|s| !s.is_empty()).ok_or_else(|| {
            permanent(format!(
                "#{} is merged but GitHub names no merge commit, so there is no commit to deploy",
                spec.number
            ))
        });
    }
    let pulls = repo.pulls();
    let mut merge = pulls
        .merge(spec.number)
        .method(MergeMethod::Squash)
        .title(&spec.title);
    if let Some(sha) = spec.sha.as_deref().filter(|s| !s.is_empty()) {
        merge = merge.sha(sha);
    }
    let merged = match merge.send().await {
        Ok(m) => m,
        Err(e) if status_of(&e) == Some(409) => {
            return Err(permanent(format!(
                "{BRANCH_MOVED}: GitHub refused to merge #{} because its head is no longer {}; nothing was merged",
                spec.number,
                spec.sha.as_deref().unwrap_or("the tested commit")
            )));
        }
        Err(e) => return Err(failed(format!("merge #{}", spec.number))(e)),
    };
    match merged.sha.filter(|s| !s.is_empty()) {
        Some(sha) => Ok(sha),
        None => Err(permanent(format!(
            "GitHub merged #{} but named no merge commit, so there is no commit to deploy",
            spec.number
        ))),
    }
}
