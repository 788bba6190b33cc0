//! Branches and the files committed on them.

use base64::Engine as _;
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};
use serde_json::json;
use temporalio_sdk::activities::ActivityError;

use super::client::{Repo, classify, failed, status_of};
use crate::activities::failure::permanent;
use crate::domain::repo_path::RepoPath;
use chatops_contract::incident::FileChange;

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

/// A repository's default branch and its head commit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DefaultHead {
    /// The default branch.
    pub branch: String,
    /// Its head commit.
    pub sha: String,
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

/// What is read of a repository.
#[derive(Deserialize)]
struct RepositoryAnswer {
    default_branch: Option<String>,
}

/// What is read of a git reference.
#[derive(Deserialize)]
struct RefAnswer {
    object: Option<ObjectAnswer>,
}

#[derive(Deserialize)]
struct ObjectAnswer {
    sha: Option<String>,
}

impl RefAnswer {
    fn sha(self) -> String {
        self.object.and_then(|o| o.sha).unwrap_or_default()
    }
}

/// Makes sure the branch exists (cut from the default branch's head when missing).
pub(super) async fn prepare(
    repo: &Repo<'_>,
    spec: &BranchSpec,
) -> Result<BranchInfo, ActivityError> {
    let base = default_branch(repo).await?;
    let base_sha = head_of(repo, &base, || format!("GET the {base} branch of {repo}")).await?;
    let head_sha = match find(repo, &spec.branch).await? {
        Some(sha) => sha,
        None => {
            create(repo, &spec.branch, &base_sha).await?;
            base_sha.clone()
        }
    };
    Ok(BranchInfo {
        base_branch: base,
        base_sha,
        head_sha,
    })
}

/// Commits the files as one commit (nothing when the branch holds them already); returns the
/// branch's head commit.
pub(super) async fn commit(repo: &Repo<'_>, spec: &CommitSpec) -> Result<String, ActivityError> {
    commit_files(repo, &spec.branch, &spec.message, &spec.files).await
}

/// The default branch and its head commit.
pub(super) async fn default_head(repo: &Repo<'_>) -> Result<DefaultHead, ActivityError> {
    let branch = default_branch(repo).await?;
    let sha = head_of(repo, &branch, || {
        format!("GET the {branch} branch of {repo}")
    })
    .await?;
    Ok(DefaultHead { branch, sha })
}

/// The repository's default branch (`main` when GitHub does not say).
pub(super) async fn default_branch(repo: &Repo<'_>) -> Result<String, ActivityError> {
    let info: RepositoryAnswer = repo
        .gh()
        .get(repo.path(), None::<&()>)
        .await
        .map_err(failed(format!("GET {repo}")))?;
    Ok(info.default_branch.unwrap_or_else(|| "main".to_owned()))
}

/// The head commit of `branch`, which must exist; `doing` names the call in errors.
pub(super) async fn head_of(
    repo: &Repo<'_>,
    branch: &str,
    doing: impl FnOnce() -> String,
) -> Result<String, ActivityError> {
    let head: RefAnswer = repo
        .gh()
        .get(repo.route(&format!("git/ref/heads/{branch}")), None::<&()>)
        .await
        .map_err(|e| classify(&doing(), e))?;
    Ok(head.sha())
}

/// The head commit of `branch`; `None` when there is no such branch.
pub(super) async fn find(repo: &Repo<'_>, branch: &str) -> Result<Option<String>, ActivityError> {
    let route = repo.route(&format!("git/ref/heads/{branch}"));
    let found: Option<RefAnswer> = repo
        .get_optional(&route, None::<&()>, || format!("GET {route}"))
        .await?;
    Ok(found.map(RefAnswer::sha))
}

/// Creates `branch` at `sha`; a branch created meanwhile (by an earlier attempt) is fine.
///
/// A raw call: octocrab's `create_ref` reads the answer into a model that needs fields this
/// never uses.
pub(super) async fn create(repo: &Repo<'_>, branch: &str, sha: &str) -> Result<(), ActivityError> {
    let body = json!({"ref": format!("refs/heads/{branch}"), "sha": sha});
    match repo
        .gh()
        .post::<_, IgnoredAny>(repo.route("git/refs"), Some(&body))
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if status_of(&e) == Some(422) => Ok(()),
        Err(e) => Err(classify(&format!("create branch {branch}"), e)),
    }
}

/// Commits the files on `branch` as one commit through the git data API (blobs, a tree on the
/// branch head's tree, a commit, a fast-forward of the branch), unless the branch already holds
/// exactly that content: a retried attempt whose commit landed finds nothing to change. Every
/// path is checked first ([`RepoPath`]): one that could leave the repository fails the whole
/// commit for good, before anything is written. A branch moved meanwhile is retried.
/// Returns the branch's head commit.
pub(super) async fn commit_files(
    repo: &Repo<'_>,
    branch: &str,
    message: &str,
    files: &[FileChange],
) -> Result<String, ActivityError> {
    let paths = files
        .iter()
        .map(|file| RepoPath::parse(&file.path))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| {
            permanent(format!(
                "commit on {branch} in {repo}: {e}; nothing was committed"
            ))
        })?;
    let head = head_of(repo, branch, || format!("GET branch {branch}")).await?;
    if files.is_empty() {
        return Ok(head);
    }
    let route = repo.route(&format!("git/commits/{head}"));
    let parent: CommitAnswer = repo
        .gh()
        .get(&route, None::<&()>)
        .await
        .map_err(failed(format!("GET {route}")))?;
    let base_tree = parent.tree.sha;
    let mut entries = Vec::with_capacity(files.len());
    for (file, path) in files.iter().zip(&paths) {
        if file.deleted {
            entries.push(
                json!({"path": path.as_str(), "mode": "100644", "type": "blob", "sha": null}),
            );
            continue;
        }
        let blob: ShaAnswer = repo
            .gh()
            .post(
                repo.route("git/blobs"),
                Some(&json!({
                    "content": base64::engine::general_purpose::STANDARD.encode(file.content.as_bytes()),
                    "encoding": "base64",
                })),
            )
            .await
            .map_err(failed(format!("store {path}")))?;
        let mode = if file.executable { "100755" } else { "100644" };
        entries.push(json!({"path": path.as_str(), "mode": mode, "type": "blob", "sha": blob.sha}));
    }
    let tree: ShaAnswer = repo
        .gh()
        .post(
            repo.route("git/trees"),
            Some(&json!({"base_tree": base_tree, "tree": entries})),
        )
        .await
        .map_err(failed(format!("build the tree for {branch}")))?;
    if tree.sha == base_tree {
        // The branch already holds exactly this change (an earlier attempt committed it).
        return Ok(head);
    }
    let commit: ShaAnswer = repo
        .gh()
        .post(
            repo.route("git/commits"),
            Some(&json!({"message": message, "tree": tree.sha, "parents": [head]})),
        )
        .await
        .map_err(failed(format!("commit on {branch}")))?;
    let route = repo.route(&format!("git/refs/heads/{branch}"));
    match repo
        .gh()
        .patch::<IgnoredAny, _, _>(&route, Some(&json!({"sha": commit.sha, "force": false})))
        .await
    {
        Ok(_) => Ok(commit.sha),
        Err(e) if status_of(&e) == Some(422) => Err(crate::activities::failure::retryable(
            format!("{branch} moved while the commit was made; it is made again on the new head"),
        )),
        Err(e) => Err(classify(&format!("move {branch} to the new commit"), e)),
    }
}

/// What is read of a git commit.
#[derive(Deserialize)]
struct CommitAnswer {
    tree: ShaAnswer,
}

/// An object the git data API made or named.
#[derive(Deserialize)]
struct ShaAnswer {
    sha: String,
}
