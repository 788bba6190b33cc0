//! GitHub through octocrab: branches and commits, pull requests, issues and comments, commit
//! statuses.
//!
//! Every activity goes through [`GitHubActivities::call`]: the circuit breaker, the client,
//! the repository, and the bookkeeping of how the call went. Every call looks before it
//! creates, so a retried or replayed activity never makes a second branch, commit, pull
//! request, issue or comment. 408, 429 and 5xx are retried by Temporal; 401, 403, 404 and 422
//! fail at once with a message naming the cause.

mod branches;
mod breaker;
mod client;
mod deployments;
mod issues;
mod pulls;
mod statuses;
#[cfg(test)]
mod tests;

pub use branches::{BranchInfo, BranchSpec, CommitSpec, DefaultHead};
pub use breaker::Breaker;
pub use chatops_contract::incident::FileChange;
pub use deployments::{DeploymentSpec, LiveSpec};
pub use issues::{CloseIssueSpec, CommentSpec, IssueSpec, LabelSpec};
pub use pulls::{BRANCH_MOVED, MergeSpec, PullRef, PullRequestSpec, ReviewersSpec};
pub use statuses::{Checks, StatusSpec};

use octocrab::Octocrab;
use secrecy::{ExposeSecret, SecretString};
use std::sync::Arc;
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

use crate::activities::failure::permanent;
use client::Repo;

/// GitHub activities; without a token every call fails at once, saying so.
pub struct GitHubActivities {
    client: Option<Octocrab>,
    breaker: Breaker,
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
                breaker: Breaker::default(),
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
            breaker: Breaker::default(),
        })
    }

    /// Runs `work` on `repository` (`owner/name`) unless the circuit is open, counting how it
    /// went; fails at once when GitHub is not configured or the repository is not
    /// `owner/name`.
    async fn call<T>(
        &self,
        repository: &str,
        work: impl AsyncFnOnce(&Repo<'_>) -> Result<T, ActivityError>,
    ) -> Result<T, ActivityError> {
        self.breaker
            .guard(async {
                let gh = self.client.as_ref().ok_or_else(|| {
                    permanent("GitHub is not configured (CHATOPS__GITHUB__TOKEN)")
                })?;
                work(&Repo::new(gh, repository)?).await
            })
            .await
    }
}

#[activities]
impl GitHubActivities {
    /// Opens the pull request `spec` describes; returns the existing one when it was opened
    /// before.
    #[activity(name = "github.open_pull_request")]
    #[tracing::instrument(
        name = "github.open_pull_request",
        skip_all,
        fields(repo = %spec.repository, branch = %spec.branch)
    )]
    pub async fn open_pull_request(
        self: Arc<Self>,
        _ctx: ActivityContext,
        spec: PullRequestSpec,
    ) -> Result<PullRef, ActivityError> {
        self.call(&spec.repository, async |repo| {
            pulls::open(repo, &spec).await
        })
        .await
    }

    /// Makes sure the branch exists (cut from the default branch's head when missing).
    #[activity(name = "github.prepare_branch")]
    #[tracing::instrument(
        name = "github.prepare_branch",
        skip_all,
        fields(repo = %spec.repository, branch = %spec.branch)
    )]
    pub async fn prepare_branch(
        self: Arc<Self>,
        _ctx: ActivityContext,
        spec: BranchSpec,
    ) -> Result<BranchInfo, ActivityError> {
        self.call(&spec.repository, async |repo| {
            branches::prepare(repo, &spec).await
        })
        .await
    }

    /// The default branch of `repository` and its head commit.
    #[activity(name = "github.default_head")]
    #[tracing::instrument(name = "github.default_head", skip_all, fields(repo = %repository))]
    pub async fn default_head(
        self: Arc<Self>,
        _ctx: ActivityContext,
        repository: String,
    ) -> Result<DefaultHead, ActivityError> {
        self.call(&repository, async |repo| branches::default_head(repo).await)
            .await
    }

    /// Commits files on a branch (skipping files already there with that content); returns
    /// the branch's head commit.
    #[activity(name = "github.commit")]
    #[tracing::instrument(
        name = "github.commit",
        skip_all,
        fields(repo = %spec.repository, branch = %spec.branch, files = spec.files.len())
    )]
    pub async fn commit(
        self: Arc<Self>,
        _ctx: ActivityContext,
        spec: CommitSpec,
    ) -> Result<String, ActivityError> {
        self.call(&spec.repository, async |repo| {
            branches::commit(repo, &spec).await
        })
        .await
    }

    /// Comments on a pull request, once per marker.
    #[activity(name = "github.comment")]
    #[tracing::instrument(
        name = "github.comment",
        skip_all,
        fields(repo = %spec.repository, number = spec.number, marker = %spec.marker)
    )]
    pub async fn comment(
        self: Arc<Self>,
        _ctx: ActivityContext,
        spec: CommentSpec,
    ) -> Result<(), ActivityError> {
        self.call(&spec.repository, async |repo| {
            issues::comment(repo, &spec).await
        })
        .await
    }

    /// Adds labels (adding a label twice is harmless on GitHub).
    #[activity(name = "github.label")]
    #[tracing::instrument(
        name = "github.label",
        skip_all,
        fields(repo = %spec.repository, number = spec.number)
    )]
    pub async fn label(
        self: Arc<Self>,
        _ctx: ActivityContext,
        spec: LabelSpec,
    ) -> Result<(), ActivityError> {
        self.call(&spec.repository, async |repo| {
            issues::label(repo, &spec).await
        })
        .await
    }

    /// Sets a commit status (a context's latest status replaces the earlier one).
    #[activity(name = "github.status")]
    #[tracing::instrument(
        name = "github.status",
        skip_all,
        fields(repo = %spec.repository, sha = %spec.sha, context = %spec.context)
    )]
    pub async fn status(
        self: Arc<Self>,
        _ctx: ActivityContext,
        spec: StatusSpec,
    ) -> Result<(), ActivityError> {
        self.call(&spec.repository, async |repo| {
            statuses::set(repo, &spec).await
        })
        .await
    }

    /// Squash-merges a pull request unless it is merged already; returns the merge commit.
    #[activity(name = "github.merge")]
    #[tracing::instrument(
        name = "github.merge",
        skip_all,
        fields(repo = %spec.repository, number = spec.number)
    )]
    pub async fn merge(
        self: Arc<Self>,
        _ctx: ActivityContext,
        spec: MergeSpec,
    ) -> Result<String, ActivityError> {
        self.call(&spec.repository, async |repo| {
            pulls::merge(repo, &spec).await
        })
        .await
    }

    /// Finds the issue labelled `label`, or opens it; returns its number.
    #[activity(name = "github.ensure_issue")]
    #[tracing::instrument(
        name = "github.ensure_issue",
        skip_all,
        fields(repo = %spec.repository, label = %spec.label)
    )]
    pub async fn ensure_issue(
        self: Arc<Self>,
        _ctx: ActivityContext,
        spec: IssueSpec,
    ) -> Result<u64, ActivityError> {
        self.call(&spec.repository, async |repo| {
            issues::ensure(repo, &spec).await
        })
        .await
    }

    /// Closes an issue (closing a closed issue is harmless).
    #[activity(name = "github.close_issue")]
    #[tracing::instrument(
        name = "github.close_issue",
        skip_all,
        fields(repo = %spec.repository, number = spec.number)
    )]
    pub async fn close_issue(
        self: Arc<Self>,
        _ctx: ActivityContext,
        spec: CloseIssueSpec,
    ) -> Result<(), ActivityError> {
        self.call(&spec.repository, async |repo| {
            issues::close(repo, &spec).await
        })
        .await
    }

    /// Requests reviewers on a pull request (requesting one twice is harmless).
    #[activity(name = "github.request_reviewers")]
    #[tracing::instrument(
        name = "github.request_reviewers",
        skip_all,
        fields(repo = %spec.repository, number = spec.number)
    )]
    pub async fn request_reviewers(
        self: Arc<Self>,
        _ctx: ActivityContext,
        spec: ReviewersSpec,
    ) -> Result<(), ActivityError> {
        self.call(&spec.repository, async |repo| {
            pulls::request_reviewers(repo, &spec).await
        })
        .await
    }

    /// Records a deploy and how it went (once per feature, commit and environment).
    #[activity(name = "github.record_deployment")]
    #[tracing::instrument(
        name = "github.record_deployment",
        skip_all,
        fields(repo = %spec.repository, environment = %spec.environment, sha = %spec.sha)
    )]
    pub async fn record_deployment(
        self: Arc<Self>,
        _ctx: ActivityContext,
        spec: DeploymentSpec,
    ) -> Result<(), ActivityError> {
        self.call(&spec.repository, async |repo| {
            deployments::record(repo, &spec).await
        })
        .await
    }

    /// The commit of the environment's last successful deployment, if GitHub has one.
    #[activity(name = "github.live_deployment")]
    #[tracing::instrument(
        name = "github.live_deployment",
        skip_all,
        fields(repo = %spec.repository, environment = %spec.environment)
    )]
    pub async fn live_deployment(
        self: Arc<Self>,
        _ctx: ActivityContext,
        spec: LiveSpec,
    ) -> Result<Option<String>, ActivityError> {
        self.call(&spec.repository, async |repo| {
            deployments::live(repo, &spec).await
        })
        .await
    }

    /// The combined status of the pull request's head commit.
    #[activity(name = "github.checks")]
    #[tracing::instrument(
        name = "github.checks",
        skip_all,
        fields(repo = %pr.repository, number = pr.number, sha = %pr.head_sha)
    )]
    pub async fn checks(
        self: Arc<Self>,
        _ctx: ActivityContext,
        pr: PullRef,
    ) -> Result<Checks, ActivityError> {
        self.call(&pr.repository, async |repo| {
            statuses::of_pull(repo, &pr).await
        })
        .await
    }
}
