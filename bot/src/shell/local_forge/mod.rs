//! A local GitHub backed by a real bare git repository, `acme/shop`, seeded from
//! `tests/fixtures/shop/`: the REST calls chatops makes (repository, refs, contents, the git
//! data API, pull requests with diffs and squash merges, statuses, issues), git's smart HTTP
//! protocol for clones, fetches and pushes, with bad-token and injected-failure behaviour.
//!
//! Every commit it makes has one fixed author, committer and date, so the same operations make
//! the same shas on every run.

mod api;
mod commits;
mod data;
mod deployments;
mod git;
mod issues;
mod pulls;
mod routes;
mod smart_http;
mod storm;

pub use storm::Storm;

use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use commits::Person;
pub use git::GitError;
use git::{Entry, Git};

/// What the local GitHub holds besides the repository, and what it saw.
#[derive(Debug, Default)]
pub struct Repo {
    /// Pull requests, oldest first.
    pub pulls: Vec<Value>,
    /// `METHOD path` of every REST call; `GIT service` of every git call.
    pub calls: Vec<String>,
    /// Answer the next `POST …/pulls` with this status once (e.g. 502).
    pub fail_next_pull: Option<u16>,
    /// Answer the next `PUT …/merge` with this status once, after merging (a lost answer).
    pub fail_after_merge: Option<u16>,
    /// (issue number, body) of every comment.
    pub comments: Vec<(u64, String)>,
    /// Issue number → labels.
    pub labels: HashMap<u64, Vec<String>>,
    /// (commit sha, context, state) of every status set, oldest first.
    pub posted_statuses: Vec<(String, String, String)>,
    /// Pull request numbers merged, once each time a merge happened.
    pub merges: Vec<u64>,
    /// Issues, oldest first (numbered with the pull requests, as on GitHub).
    pub issues: Vec<Value>,
    /// Pull request number → reviewers requested.
    pub reviewers: HashMap<u64, Vec<String>>,
    /// Deployments, oldest first.
    pub deployments: Vec<Value>,
    /// (deployment id, status) of every deployment status, oldest first.
    pub deployment_statuses: Vec<(u64, Value)>,
    /// Failing answers on the REST API, while set.
    pub storm: Option<Storm>,
}

/// A running local GitHub with one repository, `acme/shop`.
#[derive(Debug, Clone)]
pub struct LocalGitHub {
    /// Its API base URL, also the base of its git URLs (`{url}/acme/shop.git`).
    pub url: String,
    /// What it holds besides the repository, and what it saw.
    pub repo: Arc<Mutex<Repo>>,
    forge: Arc<Forge>,
    base: String,
    _home: Arc<Home>,
}

/// The token it accepts.
pub const TOKEN: &str = "ghp_e2etoken";
/// Its one repository.
pub const REPOSITORY: &str = "acme/shop";
/// Its default branch.
pub const DEFAULT_BRANCH: &str = "main";

/// The seed: a small Python project with a unit test and an executable script.
pub fn shop_fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/shop")
}

impl LocalGitHub {
    /// Starts it on a free loopback port, `acme/shop` seeded from `tests/fixtures/shop/`.
    pub async fn start() -> anyhow::Result<Self> {
        Self::start_with(&shop_fixture()).await
    }

    /// Starts it with `acme/shop` seeded from the files under `fixture_dir`, one commit on
    /// `main` (executable files stay executable).
    pub async fn start_with(fixture_dir: &Path) -> anyhow::Result<Self> {
        let root = unique_dir();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let home = Arc::new(Home {
            dir: root.clone(),
            stop: Mutex::new(Some(stop)),
        });
        let git = Git::init(&root.join(format!("{REPOSITORY}.git")))?;
        let base = seed(&git, fixture_dir)?;
        let forge = Arc::new(Forge {
            root,
            git,
            repo: Arc::default(),
            writes: Mutex::default(),
            token: TOKEN.to_owned(),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let app = routes::routes(forge.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
        });
        Ok(Self {
            url,
            repo: forge.repo.clone(),
            forge,
            base,
            _home: home,
        })
    }

    /// Serves `acme/shop` from `dir` (kept: a repository already there is served as it is, else
    /// it is seeded from `seed`) on `listen`, accepting `token`, until the process ends. What
    /// is not in git (pull requests, issues, statuses) lives in memory only.
    pub async fn serve(
        listen: std::net::SocketAddr,
        dir: &Path,
        seed_dir: &Path,
        token: &str,
    ) -> anyhow::Result<()> {
        anyhow::ensure!(!token.is_empty(), "the local forge needs a token");
        let bare = dir.join(format!("{REPOSITORY}.git"));
        let git = if bare.join("HEAD").exists() {
            Git::open(&bare)
        } else {
            let git = Git::init(&bare)?;
            seed(&git, seed_dir)?;
            git
        };
        let forge = Arc::new(Forge {
            root: dir.to_owned(),
            git,
            repo: Arc::default(),
            writes: Mutex::default(),
            token: token.to_owned(),
        });
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {listen}: {e}"))?;
        axum::serve(listener, routes::routes(forge)).await?;
        Ok(())
    }

    /// Runs `f` on what it holds and saw.
    pub fn with<R>(&self, f: impl FnOnce(&mut Repo) -> R) -> R {
        f(&mut self.repo.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// The base URL of its git repositories: clone `{git_url}/acme/shop.git`.
    pub fn git_url(&self) -> String {
        self.url.clone()
    }

    /// The seed commit, `main`'s first.
    pub fn base_sha(&self) -> String {
        self.base.clone()
    }

    /// The head commit of `branch`, if it exists.
    pub fn head(&self, branch: &str) -> Option<String> {
        self.forge.git.head(branch)
    }

    /// The text of `path` at `rev` (a branch or a commit), if there is such a file.
    pub fn file_at(&self, rev: &str, path: &str) -> Option<String> {
        let (_, kind, sha) = self.forge.git.entry(&self.forge.git.commit(rev)?, path)?;
        (kind == "blob")
            .then(|| self.forge.git.blob(&sha))
            .flatten()
            .map(|b| String::from_utf8_lossy(&b).into_owned())
    }

    /// Whether `path` at `rev` is an executable file.
    pub fn is_executable(&self, rev: &str, path: &str) -> bool {
        self.forge
            .git
            .entry(rev, path)
            .is_some_and(|(mode, _, _)| mode == "100755")
    }

    /// Every file path at `rev`, sorted.
    pub fn paths_at(&self, rev: &str) -> Vec<String> {
        self.forge.git.paths(rev)
    }

    /// `(sha, full message)` of the commits of `branch` (or any commit), first parents only,
    /// oldest first.
    pub fn log(&self, branch: &str) -> Vec<(String, String)> {
        match self.forge.git.commit(branch) {
            Some(head) => self.forge.git.log(&head),
            None => Vec::new(),
        }
    }

    /// Someone else pushes a commit writing `content` to `path` on `branch`; its sha.
    pub fn push_file(&self, branch: &str, path: &str, content: &str) -> anyhow::Result<String> {
        let _writing = self.forge.writing();
        let git = &self.forge.git;
        let head = git
            .head(branch)
            .ok_or_else(|| anyhow::anyhow!("no branch {branch} in {REPOSITORY}"))?;
        let blob = git.hash(content.as_bytes())?;
        let mode = git
            .entry(&head, path)
            .map_or_else(|| "100644".to_owned(), |(mode, _, _)| mode);
        let tree = git.write_tree(
            Some(&head),
            &[Entry {
                path: path.to_owned(),
                mode,
                sha: Some(blob),
            }],
        )?;
        let someone = Person {
            name: "Someone Else".to_owned(),
            email: "someone@acme.example".to_owned(),
            ..Person::default()
        };
        let sha = git.commit_tree(
            &tree,
            std::slice::from_ref(&head),
            &format!("Update {path}"),
            &someone,
            &someone,
        )?;
        git.set_ref(branch, &sha, Some(&head))?;
        Ok(sha)
    }
}

/// The server's state: the repository and the bookkeeping.
#[derive(Debug)]
struct Forge {
    /// `GIT_PROJECT_ROOT`: the repository is `{root}/acme/shop.git`.
    root: PathBuf,
    git: Git,
    repo: Arc<Mutex<Repo>>,
    /// Held while reading a ref and moving it, so concurrent writes never interleave.
    writes: Mutex<()>,
    /// The token it accepts.
    token: String,
}

impl Forge {
    fn record(&self, call: String) {
        self.state().calls.push(call);
    }

    fn state(&self) -> MutexGuard<'_, Repo> {
        self.repo.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn writing(&self) -> MutexGuard<'_, ()> {
        self.writes.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The temporary folder holding the repository, removed (and the server stopped) when the
/// last handle goes.
#[derive(Debug)]
struct Home {
    dir: PathBuf,
    stop: Mutex<Option<tokio::sync::oneshot::Sender<()>>>,
}

impl Drop for Home {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.lock().ok().and_then(|mut s| s.take()) {
            let _ = stop.send(());
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn unique_dir() -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    std::env::temp_dir().join(format!(
        "chatops-github-{}-{}-{nanos}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ))
}

/// Commits the files under `fixture` as `main`'s first commit; its sha.
fn seed(git: &Git, fixture: &Path) -> anyhow::Result<String> {
    let mut entries = Vec::new();
    collect(git, fixture, fixture, &mut entries)?;
    anyhow::ensure!(!entries.is_empty(), "{} holds no files", fixture.display());
    let tree = git.write_tree(None, &entries)?;
    let who = Person::default();
    let sha = git.commit_tree(&tree, &[], "Initial commit", &who, &who)?;
    git.set_ref(DEFAULT_BRANCH, &sha, None)?;
    Ok(sha)
}

fn collect(git: &Git, root: &Path, dir: &Path, into: &mut Vec<Entry>) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    let mut children: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    children.sort_by_key(std::fs::DirEntry::file_name);
    for child in children {
        let path = child.path();
        let name = child.file_name().to_string_lossy().into_owned();
        if name == "__pycache__" || name == ".git" || name.ends_with(".pyc") {
            continue;
        }
        let meta = std::fs::symlink_metadata(&path)?;
        if meta.is_dir() {
            collect(git, root, &path, into)?;
            continue;
        }
        let (mode, content) = if meta.file_type().is_symlink() {
            let target = std::fs::read_link(&path)?;
            ("120000", target.to_string_lossy().into_owned().into_bytes())
        } else if meta.permissions().mode() & 0o111 != 0 {
            ("100755", std::fs::read(&path)?)
        } else {
            ("100644", std::fs::read(&path)?)
        };
        let relative = path.strip_prefix(root)?.to_string_lossy().into_owned();
        into.push(Entry {
            path: relative,
            mode: mode.to_owned(),
            sha: Some(git.hash(&content)?),
        });
    }
    Ok(())
}
