//! Issues and comments: the tracking issue, labels, comments posted once per marker.

use octocrab::models::IssueState;
use octocrab::models::issues::IssueStateReason;
use octocrab::params::State;
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};
use serde_json::json;
use temporalio_sdk::activities::ActivityError;

use super::client::{Repo, failed};

/// A comment on a pull request, posted once per `marker`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommentSpec {
    /// `owner/name`.
    pub repository: String,
    /// Pull request (or issue) number.
    pub number: u64,
    /// Identifies the comment, so a retry finds it instead of posting it again.
    pub marker: String,
    /// Markdown body.
    pub body: String,
}

/// Labels to put on a pull request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelSpec {
    /// `owner/name`.
    pub repository: String,
    /// Pull request number.
    pub number: u64,
    /// The labels.
    pub labels: Vec<String>,
}

/// A tracking issue to make sure of, found by its label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssueSpec {
    /// `owner/name`.
    pub repository: String,
    /// Title.
    pub title: String,
    /// Markdown body.
    pub body: String,
    /// The label that identifies it (the requirement id); `chatops` is added too.
    pub label: String,
}

/// An issue to close.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CloseIssueSpec {
    /// `owner/name`.
    pub repository: String,
    /// Issue number.
    pub number: u64,
}

/// Comments read per page while looking for a marker (GitHub's maximum).
const PER_PAGE: u8 = 100;
/// Pages read before giving up the search and posting.
const MAX_PAGES: u32 = 50;

/// What is read of a comment.
#[derive(Deserialize)]
struct CommentAnswer {
    body: Option<String>,
}

/// What is read of an issue (pull requests are issues too, marked by `pull_request`).
#[derive(Deserialize)]
struct IssueAnswer {
    number: Option<u64>,
    pull_request: Option<IgnoredAny>,
}

/// Comments unless a comment carrying the marker exists.
///
/// The post is a raw call: octocrab's `create_comment` reads the answer into a model that
/// needs fields this never uses.
pub(super) async fn comment(repo: &Repo<'_>, spec: &CommentSpec) -> Result<(), ActivityError> {
    let tag = format!("<!-- chatops:{} -->", spec.marker);
    let route = repo.route(&format!("issues/{}/comments", spec.number));
    let issues = repo.issues();
    // Every page, so a busy pull request's old comment is still found.
    let mut posted = false;
    for page in 1..=MAX_PAGES {
        let query = issues
            .list_comments(spec.number)
            .per_page(PER_PAGE)
            .page(page);
        let batch: Vec<CommentAnswer> = repo
            .gh()
            .get(&route, Some(&query))
            .await
            .map_err(failed(format!("list comments of #{}", spec.number)))?;
        if batch
            .iter()
            .any(|c| c.body.as_deref().is_some_and(|b| b.contains(&tag)))
        {
            posted = true;
            break;
        }
        if batch.len() < usize::from(PER_PAGE) {
            break;
        }
    }
    if !posted {
        let body = json!({"body": format!("{}\n\n{tag}", spec.body)});
        repo.gh()
            .post::<_, IgnoredAny>(&route, Some(&body))
            .await
            .map_err(failed(format!("comment on #{}", spec.number)))?;
    }
    Ok(())
}

/// Adds labels (adding a label twice is harmless on GitHub).
///
/// A raw call: octocrab's `add_labels` reads the answer into label models that need fields
/// this never uses.
pub(super) async fn label(repo: &Repo<'_>, spec: &LabelSpec) -> Result<(), ActivityError> {
    repo.gh()
        .post::<_, IgnoredAny>(
            repo.route(&format!("issues/{}/labels", spec.number)),
            Some(&json!({"labels": spec.labels})),
        )
        .await
        .map_err(failed(format!("label #{}", spec.number)))?;
    Ok(())
}

/// Finds the issue labelled `label` (in any state), or opens it; returns its number.
pub(super) async fn ensure(repo: &Repo<'_>, spec: &IssueSpec) -> Result<u64, ActivityError> {
    let issues = repo.issues();
    let labels = [spec.label.clone()];
    let labelled = issues.list().labels(&labels).state(State::All);
    let found: Vec<IssueAnswer> = repo
        .gh()
        .get(repo.route("issues"), Some(&labelled))
        .await
        .map_err(failed(format!("list issues of {repo}")))?;
    if let Some(n) = found
        .iter()
        .find(|i| i.pull_request.is_none())
        .and_then(|i| i.number)
    {
        return Ok(n);
    }
    let new = issues
        .create(&spec.title)
        .body(spec.body.as_str())
        .labels(vec!["chatops".to_owned(), spec.label.clone()]);
    let created: IssueAnswer = repo
        .gh()
        .post(repo.route("issues"), Some(&new))
        .await
        .map_err(failed(format!("open an issue on {repo}")))?;
    Ok(created.number.unwrap_or_default())
}

/// Closes an issue as completed (closing a closed issue is harmless).
pub(super) async fn close(repo: &Repo<'_>, spec: &CloseIssueSpec) -> Result<(), ActivityError> {
    let issues = repo.issues();
    let closed = issues
        .update(spec.number)
        .state(IssueState::Closed)
        .state_reason(IssueStateReason::Completed);
    repo.gh()
        .patch::<IgnoredAny, _, _>(
            repo.route(&format!("issues/{}", spec.number)),
            Some(&closed),
        )
        .await
        .map_err(failed(format!("close #{}", spec.number)))?;
    Ok(())
}
