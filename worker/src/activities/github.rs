//! GitHub through octocrab: open a pull request with files on a branch of its own, and read
//! the checks of its head commit.
//!
//! Every call looks before it creates, so a retried or replayed activity never makes a second
//! branch, commit or pull request. 408, 429 and 5xx are retried by Temporal; 401, 403, 404 and
//! 422 fail at once with a message naming the cause.

use base64::Engine as _;
use octocrab::Octocrab;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::sync::Arc;
use temporalio_common::error::ApplicationFailure;
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

pub use chatops_contract::incident::FileChange;

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

/// A feature branch to make sure of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BranchSpec {
    /// `owner/name`.
    pub repository: String,
    /// Branch name.
    pub branch: String,
}

/// The branch, with where it started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BranchInfo {
    /// The default branch it was cut from.
    pub base_branch: String,
    /// The default branch's head commit when asked (what a rollback redeploys).
    pub base_sha: String,
    /// The branch's head commit.
    pub head_sha: String,
}

/// Files to commit on a branch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitSpec {
    /// `owner/name`.
    pub repository: String,
    /// Branch.
    pub branch: String,
    /// Conventional commit message, carrying the requirement and task ids.
    pub message: String,
    /// The files.
    pub files: Vec<FileChange>,
}

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

/// An issue to close.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CloseIssueSpec {
    /// `owner/name`.
    pub repository: String,
    /// Issue number.
    pub number: u64,
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
}

/// Consecutive transient failures after which GitHub is left alone for [`BREAKER_OPEN`].
const BREAKER_TRIP: u32 = 5;
/// How long the circuit stays open.
const BREAKER_OPEN: std::time::Duration = std::time::Duration::from_secs(30);

/// A circuit breaker in front of GitHub: after [`BREAKER_TRIP`] transient failures in a row
/// (5xx, 429, timeouts), calls fail at once for [`BREAKER_OPEN`], telling Temporal to retry
/// when it closes, instead of hammering a service that is down. Permanent answers (401, 404,
/// 422) and successes reset the count: GitHub is up.
#[derive(Debug, Default)]
pub struct Breaker {
    state: std::sync::Mutex<(u32, Option<std::time::Instant>)>,
}

impl Breaker {
    /// Runs `work` unless the circuit is open; counts how it went.
    pub async fn guard<T>(
        &self,
        work: impl std::future::Future<Output = Result<T, ActivityError>>,
    ) -> Result<T, ActivityError> {
        self.check()?;
        let result = work.await;
        let transient = match &result {
            Err(ActivityError::Application(f)) => !f.is_non_retryable(),
            _ => false,
        };
        self.record(transient);
        result
    }

    fn check(&self) -> Result<(), ActivityError> {
        let guard = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match guard.1 {
            Some(until) if until > std::time::Instant::now() => {
                let wait = until - std::time::Instant::now();
                let text = format!(
                    "GitHub failed {BREAKER_TRIP} times in a row; not calling it for {}s",
                    wait.as_secs().max(1)
                );
                tracing::warn!(%text, "GitHub circuit open");
                Err(ActivityError::application(
                    ApplicationFailure::builder(std::io::Error::other(text))
                        .next_retry_delay(wait)
                        .build(),
                ))
            }
            _ => Ok(()),
        }
    }

    fn record(&self, transient_failure: bool) {
        let mut guard = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if !transient_failure {
            *guard = (0, None);
            return;
        }
        guard.0 += 1;
        if guard.0 >= BREAKER_TRIP {
            guard.0 = 0;
            guard.1 = Some(std::time::Instant::now() + BREAKER_OPEN);
        }
    }

    /// Whether calls are being refused now.
    pub fn is_open(&self) -> bool {
        let guard = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        guard.1.is_some_and(|u| u > std::time::Instant::now())
    }
}

/// GitHub activities; without a token every call fails at once, saying so.
pub struct GitHubActivities {
    client: Option<Octocrab>,
    breaker: Arc<Breaker>,
}

impl std::fmt::Debug for GitHubActivities {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitHubActivities")
            .field("configured", &self.client.is_some())
            .finish()
    }
}

impl GitHubActivities {
    /// Activities calling `api_url` with `token`.
    pub fn new(api_url: &url::Url, token: Option<&SecretString>) -> anyhow::Result<Self> {
        let Some(token) = token else {
            return Ok(Self {
                client: None,
                breaker: Arc::default(),
            });
        };
        let client = Octocrab::builder()
            .base_uri(api_url.as_str().trim_end_matches('/'))
            .map_err(|e| anyhow::anyhow!("CHATOPS__GITHUB__API_URL: {e}"))?
            .personal_token(token.expose_secret().to_owned())
            .build()
            .map_err(|e| anyhow::anyhow!("cannot build the GitHub client: {e}"))?;
        Ok(Self {
            client: Some(client),
            breaker: Arc::default(),
        })
    }

    fn client(&self) -> Result<&Octocrab, ActivityError> {
        self.client.as_ref().ok_or_else(|| {
            permanent("GitHub is not configured (CHATOPS__GITHUB__TOKEN)".to_owned())
        })
    }
}

#[activities]
impl GitHubActivities {
    /// Opens the pull request `spec` describes; returns the existing one when it was opened
    /// before.
    #[activity(name = "github.open_pull_request")]
    pub async fn open_pull_request(
        self: Arc<Self>,
        _ctx: ActivityContext,
        spec: PullRequestSpec,
    ) -> Result<PullRef, ActivityError> {
        let breaker = self.breaker.clone();
        breaker
            .guard(async move {
                let gh = self.client()?;
                let repo = repo_path(&spec.repository)?;
                let owner = spec.repository.split('/').next().unwrap_or_default();
                let info: Value = gh
                    .get(&repo, None::<&()>)
                    .await
                    .map_err(|e| classify(&format!("GET {repo}"), e))?;
                let base = info["default_branch"].as_str().unwrap_or("main").to_owned();

                // The branch, from the default branch's head, unless it exists.
                let head_ref = format!("{repo}/git/ref/heads/{}", spec.branch);
                if get_optional(gh, &head_ref).await?.is_none() {
                    let base_ref: Value = gh
                        .get(format!("{repo}/git/ref/heads/{base}"), None::<&()>)
                        .await
                        .map_err(|e| classify(&format!("GET the {base} branch of {repo}"), e))?;
                    let sha = base_ref["object"]["sha"].as_str().unwrap_or_default();
                    let body = json!({"ref": format!("refs/heads/{}", spec.branch), "sha": sha});
                    match gh
                        .post::<_, Value>(format!("{repo}/git/refs"), Some(&body))
                        .await
                    {
                        Ok(_) => {}
                        // Created meanwhile by an earlier attempt: fine.
                        Err(e) if status_of(&e) == Some(422) => {}
                        Err(e) => {
                            return Err(classify(&format!("create branch {}", spec.branch), e));
                        }
                    }
                }

                commit_files(gh, &repo, &spec.branch, &spec.commit_message, &spec.files).await?;

                // The pull request, unless one exists for the branch.
                let existing: Value = gh
                    .get(
                        format!("{repo}/pulls"),
                        Some(&[
                            ("head", format!("{owner}:{}", spec.branch)),
                            ("state", "all".into()),
                        ]),
                    )
                    .await
                    .map_err(|e| classify(&format!("list pull requests of {repo}"), e))?;
                let pr = match existing.as_array().and_then(|a| a.first()) {
                    Some(pr) => pr.clone(),
                    None => {
                        let body = json!({
                            "title": spec.title,
                            "head": spec.branch,
                            "base": base,
                            "body": spec.body,
                        });
                        gh.post::<_, Value>(format!("{repo}/pulls"), Some(&body))
                            .await
                            .map_err(|e| classify(&format!("open a pull request on {repo}"), e))?
                    }
                };
                Ok(PullRef {
                    repository: spec.repository,
                    number: pr["number"].as_u64().unwrap_or_default(),
                    url: pr["html_url"].as_str().unwrap_or_default().to_owned(),
                    head_sha: pr["head"]["sha"].as_str().unwrap_or_default().to_owned(),
                })
            })
            .await
    }

    /// Makes sure the branch exists (cut from the default branch's head when missing).
    #[activity(name = "github.prepare_branch")]
    pub async fn prepare_branch(
        self: Arc<Self>,
        _ctx: ActivityContext,
        spec: BranchSpec,
    ) -> Result<BranchInfo, ActivityError> {
        let breaker = self.breaker.clone();
        breaker
            .guard(async move {
                let gh = self.client()?;
                let repo = repo_path(&spec.repository)?;
                let info: Value = gh
                    .get(&repo, None::<&()>)
                    .await
                    .map_err(|e| classify(&format!("GET {repo}"), e))?;
                let base = info["default_branch"].as_str().unwrap_or("main").to_owned();
                let base_ref: Value = gh
                    .get(format!("{repo}/git/ref/heads/{base}"), None::<&()>)
                    .await
                    .map_err(|e| classify(&format!("GET the {base} branch of {repo}"), e))?;
                let base_sha = base_ref["object"]["sha"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                let head_ref = format!("{repo}/git/ref/heads/{}", spec.branch);
                let head_sha = match get_optional(gh, &head_ref).await? {
                    Some(r) => r["object"]["sha"].as_str().unwrap_or_default().to_owned(),
                    None => {
                        let body =
                            json!({"ref": format!("refs/heads/{}", spec.branch), "sha": base_sha});
                        match gh
                            .post::<_, Value>(format!("{repo}/git/refs"), Some(&body))
                            .await
                        {
                            Ok(_) => {}
                            Err(e) if status_of(&e) == Some(422) => {}
                            Err(e) => {
                                return Err(classify(&format!("create branch {}", spec.branch), e));
                            }
                        }
                        base_sha.clone()
                    }
                };
                Ok(BranchInfo {
                    base_branch: base,
                    base_sha,
                    head_sha,
                })
            })
            .await
    }

    /// Commits files on a branch (skipping files already there with that content); returns
    /// the branch's head commit.
    #[activity(name = "github.commit")]
    pub async fn commit(
        self: Arc<Self>,
        _ctx: ActivityContext,
        spec: CommitSpec,
    ) -> Result<String, ActivityError> {
        let breaker = self.breaker.clone();
        breaker
            .guard(async move {
                let gh = self.client()?;
                let repo = repo_path(&spec.repository)?;
                commit_files(gh, &repo, &spec.branch, &spec.message, &spec.files).await?;
                let head: Value = gh
                    .get(format!("{repo}/git/ref/heads/{}", spec.branch), None::<&()>)
                    .await
                    .map_err(|e| classify(&format!("GET branch {}", spec.branch), e))?;
                Ok(head["object"]["sha"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned())
            })
            .await
    }

    /// Comments on a pull request, once per marker.
    #[activity(name = "github.comment")]
    pub async fn comment(
        self: Arc<Self>,
        _ctx: ActivityContext,
        spec: CommentSpec,
    ) -> Result<(), ActivityError> {
        let breaker = self.breaker.clone();
        breaker
            .guard(async move {
                let gh = self.client()?;
                let repo = repo_path(&spec.repository)?;
                let tag = format!("<!-- chatops:{} -->", spec.marker);
                let route = format!("{repo}/issues/{}/comments", spec.number);
                // Every page, so a busy pull request's old comment is still found.
                let mut posted = false;
                for page in 1..=50u32 {
                    let page = page.to_string();
                    let existing: Value = gh
                        .get(
                            &route,
                            Some(&[("per_page", "100"), ("page", page.as_str())]),
                        )
                        .await
                        .map_err(|e| classify(&format!("list comments of #{}", spec.number), e))?;
                    let batch = existing.as_array().cloned().unwrap_or_default();
                    if batch
                        .iter()
                        .any(|c| c["body"].as_str().is_some_and(|b| b.contains(&tag)))
                    {
                        posted = true;
                        break;
                    }
                    if batch.len() < 100 {
                        break;
                    }
                }
                if !posted {
                    let body = json!({"body": format!("{}\n\n{tag}", spec.body)});
                    gh.post::<_, Value>(&route, Some(&body))
                        .await
                        .map_err(|e| classify(&format!("comment on #{}", spec.number), e))?;
                }
                Ok(())
            })
            .await
    }

    /// Adds labels (adding a label twice is harmless on GitHub).
    #[activity(name = "github.label")]
    pub async fn label(
        self: Arc<Self>,
        _ctx: ActivityContext,
        spec: LabelSpec,
    ) -> Result<(), ActivityError> {
        let breaker = self.breaker.clone();
        breaker
            .guard(async move {
                let gh = self.client()?;
                let repo = repo_path(&spec.repository)?;
                let body = json!({"labels": spec.labels});
                gh.post::<_, Value>(format!("{repo}/issues/{}/labels", spec.number), Some(&body))
                    .await
                    .map_err(|e| classify(&format!("label #{}", spec.number), e))?;
                Ok(())
            })
            .await
    }

    /// Sets a commit status (a context's latest status replaces the earlier one).
    #[activity(name = "github.status")]
    pub async fn status(
        self: Arc<Self>,
        _ctx: ActivityContext,
        spec: StatusSpec,
    ) -> Result<(), ActivityError> {
        let breaker = self.breaker.clone();
        breaker
            .guard(async move {
                let gh = self.client()?;
                let repo = repo_path(&spec.repository)?;
                let body = json!({
                    "state": spec.state,
                    "context": spec.context,
                    "description": spec.description.chars().take(140).collect::<String>(),
                });
                gh.post::<_, Value>(format!("{repo}/statuses/{}", spec.sha), Some(&body))
                    .await
                    .map_err(|e| classify(&format!("set status {}", spec.context), e))?;
                Ok(())
            })
            .await
    }

    /// Squash-merges a pull request unless it is merged already; returns the merge commit.
    #[activity(name = "github.merge")]
    pub async fn merge(
        self: Arc<Self>,
        _ctx: ActivityContext,
        spec: MergeSpec,
    ) -> Result<String, ActivityError> {
        let breaker = self.breaker.clone();
        breaker
            .guard(async move {
                let gh = self.client()?;
                let repo = repo_path(&spec.repository)?;
                let pr: Value = gh
                    .get(format!("{repo}/pulls/{}", spec.number), None::<&()>)
                    .await
                    .map_err(|e| classify(&format!("GET #{}", spec.number), e))?;
                if pr["merged"].as_bool() == Some(true) {
                    return Ok(pr["merge_commit_sha"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned());
                }
                let body = json!({"merge_method": "squash", "commit_title": spec.title});
                let merged: Value = gh
                    .put(format!("{repo}/pulls/{}/merge", spec.number), Some(&body))
                    .await
                    .map_err(|e| classify(&format!("merge #{}", spec.number), e))?;
                Ok(merged["sha"].as_str().unwrap_or_default().to_owned())
            })
            .await
    }

    /// Finds the issue labelled `label`, or opens it; returns its number.
    #[activity(name = "github.ensure_issue")]
    pub async fn ensure_issue(
        self: Arc<Self>,
        _ctx: ActivityContext,
        spec: IssueSpec,
    ) -> Result<u64, ActivityError> {
        let breaker = self.breaker.clone();
        breaker
            .guard(async move {
                let gh = self.client()?;
                let repo = repo_path(&spec.repository)?;
                let found: Value = gh
                    .get(
                        format!("{repo}/issues"),
                        Some(&[("labels", spec.label.as_str()), ("state", "all")]),
                    )
                    .await
                    .map_err(|e| classify(&format!("list issues of {repo}"), e))?;
                if let Some(n) = found
                    .as_array()
                    .and_then(|a| a.iter().find(|i| i["pull_request"].is_null()))
                    .and_then(|i| i["number"].as_u64())
                {
                    return Ok(n);
                }
                let body = json!({
                    "title": spec.title,
                    "body": spec.body,
                    "labels": ["chatops", spec.label],
                });
                let created: Value = gh
                    .post(format!("{repo}/issues"), Some(&body))
                    .await
                    .map_err(|e| classify(&format!("open an issue on {repo}"), e))?;
                Ok(created["number"].as_u64().unwrap_or_default())
            })
            .await
    }

    /// Closes an issue (closing a closed issue is harmless).
    #[activity(name = "github.close_issue")]
    pub async fn close_issue(
        self: Arc<Self>,
        _ctx: ActivityContext,
        spec: CloseIssueSpec,
    ) -> Result<(), ActivityError> {
        let breaker = self.breaker.clone();
        breaker
            .guard(async move {
                let gh = self.client()?;
                let repo = repo_path(&spec.repository)?;
                gh.patch::<Value, _, _>(
                    format!("{repo}/issues/{}", spec.number),
                    Some(&json!({"state": "closed", "state_reason": "completed"})),
                )
                .await
                .map_err(|e| classify(&format!("close #{}", spec.number), e))?;
                Ok(())
            })
            .await
    }

    /// Requests reviewers on a pull request (requesting one twice is harmless).
    #[activity(name = "github.request_reviewers")]
    pub async fn request_reviewers(
        self: Arc<Self>,
        _ctx: ActivityContext,
        spec: ReviewersSpec,
    ) -> Result<(), ActivityError> {
        let breaker = self.breaker.clone();
        breaker
            .guard(async move {
                let gh = self.client()?;
                let repo = repo_path(&spec.repository)?;
                gh.post::<_, Value>(
                    format!("{repo}/pulls/{}/requested_reviewers", spec.number),
                    Some(&json!({"reviewers": spec.reviewers})),
                )
                .await
                .map_err(|e| classify(&format!("request reviews on #{}", spec.number), e))?;
                Ok(())
            })
            .await
    }

    /// The combined status of the pull request's head commit.
    #[activity(name = "github.checks")]
    pub async fn checks(
        self: Arc<Self>,
        _ctx: ActivityContext,
        pr: PullRef,
    ) -> Result<Checks, ActivityError> {
        let breaker = self.breaker.clone();
        breaker
            .guard(async move {
                let gh = self.client()?;
                let repo = repo_path(&pr.repository)?;
                let status: Value = gh
                    .get(
                        format!("{repo}/commits/{}/status", pr.head_sha),
                        None::<&()>,
                    )
                    .await
                    .map_err(|e| classify(&format!("read the checks of #{}", pr.number), e))?;
                let statuses = status["statuses"].as_array().cloned().unwrap_or_default();
                let failed = statuses
                    .iter()
                    .filter(|s| matches!(s["state"].as_str(), Some("failure" | "error")))
                    .filter_map(|s| s["context"].as_str().map(str::to_owned))
                    .collect();
                Ok(Checks {
                    state: if statuses.is_empty() {
                        "none".to_owned()
                    } else {
                        status["state"].as_str().unwrap_or("pending").to_owned()
                    },
                    total: u32::try_from(statuses.len()).unwrap_or(u32::MAX),
                    failed,
                })
            })
            .await
    }
}

/// Commits each file on `branch`, unless the branch already has exactly that content.
async fn commit_files(
    gh: &Octocrab,
    repo: &str,
    branch: &str,
    message: &str,
    files: &[FileChange],
) -> Result<(), ActivityError> {
    for file in files {
        let at = format!("{repo}/contents/{}?ref={branch}", file.path);
        let current = get_optional(gh, &at).await?;
        let existing = current
            .as_ref()
            .and_then(|c| c["content"].as_str())
            .map(|b64| {
                let clean: String = b64.chars().filter(|c| !c.is_whitespace()).collect();
                base64::engine::general_purpose::STANDARD
                    .decode(clean)
                    .unwrap_or_default()
            });
        if existing.as_deref() == Some(file.content.as_bytes()) {
            continue;
        }
        let mut body = json!({
            "message": message,
            "content": base64::engine::general_purpose::STANDARD.encode(&file.content),
            "branch": branch,
        });
        if let Some(sha) = current.as_ref().and_then(|c| c["sha"].as_str()) {
            body["sha"] = json!(sha);
        }
        gh.put::<Value, _, _>(format!("{repo}/contents/{}", file.path), Some(&body))
            .await
            .map_err(|e| classify(&format!("commit {}", file.path), e))?;
    }
    Ok(())
}

/// `/repos/owner/name`, or a refusal naming the bad value.
fn repo_path(repository: &str) -> Result<String, ActivityError> {
    match repository.split_once('/') {
        Some((o, n)) if !o.is_empty() && !n.is_empty() && !n.contains('/') => {
            Ok(format!("/repos/{o}/{n}"))
        }
        _ => Err(permanent(format!(
            "`{repository}` is not a repository like owner/name"
        ))),
    }
}

/// GETs `route`; `None` on 404.
async fn get_optional(gh: &Octocrab, route: &str) -> Result<Option<Value>, ActivityError> {
    match gh.get::<Value, _, ()>(route, None).await {
        Ok(v) => Ok(Some(v)),
        Err(e) if status_of(&e) == Some(404) => Ok(None),
        Err(e) => Err(classify(&format!("GET {route}"), e)),
    }
}

fn status_of(e: &octocrab::Error) -> Option<u16> {
    match e {
        octocrab::Error::GitHub { source, .. } => Some(source.status_code.as_u16()),
        _ => None,
    }
}

fn classify(doing: &str, e: octocrab::Error) -> ActivityError {
    let (status, message) = match &e {
        octocrab::Error::GitHub { source, .. } => {
            (Some(source.status_code.as_u16()), source.message.clone())
        }
        other => (None, other.to_string()),
    };
    match status {
        Some(401) => permanent(format!(
            "{doing}: GitHub rejected CHATOPS__GITHUB__TOKEN (401: {message})"
        )),
        Some(403) => permanent(format!(
            "{doing}: the GitHub token may not do this (403: {message})"
        )),
        Some(404) => permanent(format!(
            "{doing}: not found (404); check the repository name and the token's access"
        )),
        Some(422) => permanent(format!("{doing}: GitHub refused it (422: {message})")),
        _ => retryable(format!(
            "{doing}: {}{message}",
            status.map(|s| format!("{s}: ")).unwrap_or_default()
        )),
    }
}

fn retryable(text: String) -> ActivityError {
    tracing::warn!(%text, "GitHub call failed; Temporal will retry");
    ActivityError::application(ApplicationFailure::new(std::io::Error::other(text)))
}

fn permanent(text: String) -> ActivityError {
    tracing::error!(%text, "GitHub call failed for good");
    ActivityError::application(ApplicationFailure::non_retryable(std::io::Error::other(
        text,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_breaker_opens_after_five_transient_failures_and_permanent_ones_reset_it() {
        let b = Breaker::default();
        for _ in 0..4 {
            let r: Result<(), _> = b.guard(async { Err(retryable("502".into())) }).await;
            assert!(r.is_err());
        }
        // A permanent answer means GitHub is up: the count starts again.
        let _: Result<(), _> = b.guard(async { Err(permanent("404".into())) }).await;
        for _ in 0..4 {
            let _: Result<(), _> = b.guard(async { Err(retryable("502".into())) }).await;
        }
        assert!(!b.is_open());
        let _: Result<(), _> = b.guard(async { Err(retryable("503".into())) }).await;
        assert!(b.is_open());
        // Open: the work is not even started, and Temporal is told when to come back.
        let called = std::sync::atomic::AtomicBool::new(false);
        let r = b
            .guard(async {
                called.store(true, std::sync::atomic::Ordering::SeqCst);
                Ok(())
            })
            .await;
        assert!(!called.load(std::sync::atomic::Ordering::SeqCst));
        match r {
            Err(ActivityError::Application(f)) => {
                assert!(!f.is_non_retryable());
                assert!(f.next_retry_delay().is_some_and(|d| d <= BREAKER_OPEN));
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
    }
}
