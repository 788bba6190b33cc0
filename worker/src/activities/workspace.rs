//! Workspaces: a repository checked out at an exact commit, on the worker that runs the step.
//!
//! A workspace is a cache, never state: the truth is the commit on GitHub. Each repository has
//! one object cache per worker host (`<dir>/cache/<owner>/<name>.git`), filled with
//! `git fetch --depth 1 <sha>` over HTTPS; each step gets a fresh checkout of its own
//! (`<dir>/ws/<pid>/<n>`) that borrows the cache's objects, and the checkout is removed when the
//! step ends. A worker that has never seen the repository (a new host, a restart, a second
//! replica) fetches it again. When the folder holds more than its cap, the caches used least
//! recently are removed first.
//!
//! git gets a cleared environment, no user or system configuration, and the token as an HTTP
//! header in its own environment: never in a URL, an argument, a file in the workspace or the
//! environment of anything else.

use base64::Engine as _;
use chatops_contract::incident::FileChange;
use secrecy::{ExposeSecret, SecretString};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::domain::repo_path::RepoPath;

mod support;

pub use support::matches_rule;
use support::{absolute, commit_sha, git, inside, lock_file, set_executable, size_of, touch};

/// The most a workspace's change may weigh: it travels in the workflow's history.
pub const MAX_CHANGE_BYTES: usize = 1 << 20;

/// Where the worker keeps its checkouts, and how it fetches them.
#[derive(Clone)]
pub struct Workspaces {
    inner: Arc<Inner>,
}

struct Inner {
    root: PathBuf,
    max_bytes: u64,
    protected: Vec<String>,
    git_url: url::Url,
    token: Option<SecretString>,
    /// One fetch at a time per repository cache.
    caches: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// Caches in use by running steps, and by how many (never evicted meanwhile).
    busy: Mutex<HashMap<PathBuf, usize>>,
    next: AtomicU64,
}

impl std::fmt::Debug for Workspaces {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workspaces")
            .field("root", &self.inner.root)
            .field("max_bytes", &self.inner.max_bytes)
            .field("git_url", &self.inner.git_url.as_str())
            .field("token", &self.inner.token.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

/// One checkout at an exact commit, removed when dropped.
#[derive(Debug)]
pub struct Workspace {
    dir: PathBuf,
    sha: String,
    cache: PathBuf,
    owner: Workspaces,
}

impl Workspace {
    /// The checkout's folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The commit it holds.
    pub fn sha(&self) -> &str {
        &self.sha
    }
}

impl Drop for Workspace {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
        if let Ok(mut busy) = self.owner.inner.busy.lock()
            && let Some(n) = busy.get_mut(&self.cache)
        {
            *n = n.saturating_sub(1);
            if *n == 0 {
                busy.remove(&self.cache);
            }
        }
    }
}

impl Workspaces {
    /// Workspaces under `root`, at most `max_bytes`, fetching `{git_url}/{owner}/{name}.git`
    /// with `token`; agents may not change the `protected` paths.
    pub fn new(
        root: PathBuf,
        max_bytes: u64,
        protected: Vec<String>,
        git_url: url::Url,
        token: Option<SecretString>,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                root,
                max_bytes,
                protected,
                git_url,
                token,
                caches: Mutex::default(),
                busy: Mutex::default(),
                next: AtomicU64::new(0),
            }),
        }
    }

    /// Removes the checkouts left behind by workers of this host that are gone (and by this
    /// process before a restart).
    pub fn sweep_stale(&self) {
        let Ok(entries) = std::fs::read_dir(self.inner.root.join("ws")) else {
            return;
        };
        for e in entries.flatten() {
            let name = e.file_name();
            let alive = name
                .to_str()
                .and_then(|n| n.parse::<u32>().ok())
                .is_some_and(|pid| {
                    pid != std::process::id() && Path::new(&format!("/proc/{pid}")).exists()
                });
            if !alive {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }

    /// A fresh checkout of `repository` (`owner/name`) at `sha`, fetched when this host lacks
    /// it. `Err` says what failed, git's own words included.
    pub async fn checkout(&self, repository: &str, sha: &str) -> Result<Workspace, String> {
        let sha = commit_sha(sha)?;
        let (owner, name) = repository
            .split_once('/')
            .filter(|(o, n)| !o.is_empty() && !n.is_empty() && !n.contains('/'))
            .ok_or_else(|| format!("`{repository}` is not a repository like owner/name"))?;
        for part in [owner, name] {
            if part.starts_with('.')
                || !part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            {
                return Err(format!(
                    "`{repository}` is not a repository like owner/name"
                ));
            }
        }
        let cache = self
            .inner
            .root
            .join("cache")
            .join(owner)
            .join(format!("{name}.git"));
        if let Ok(mut busy) = self.inner.busy.lock() {
            *busy.entry(cache.clone()).or_default() += 1;
        }
        let n = self.inner.next.fetch_add(1, Ordering::Relaxed);
        let dir = self
            .inner
            .root
            .join("ws")
            .join(std::process::id().to_string())
            .join(n.to_string());
        // From here on the workspace cleans up after itself, however this ends.
        let ws = Workspace {
            dir,
            sha: sha.to_owned(),
            cache: cache.clone(),
            owner: self.clone(),
        };
        self.fetch(&cache, repository, owner, name, sha).await?;
        let dir = ws.dir.clone();
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot make the workspace {}: {e}", dir.display()))?;
        git(&dir, &["init", "-q"], None).await?;
        let objects = cache.join("objects");
        let alternates = dir.join(".git/objects/info/alternates");
        std::fs::write(&alternates, format!("{}\n", absolute(&objects).display()))
            .map_err(|e| format!("cannot link the workspace to its cache: {e}"))?;
        if let Ok(shallow) = std::fs::read(cache.join("shallow")) {
            let _ = std::fs::write(dir.join(".git/shallow"), shallow);
        }
        git(
            &dir,
            &[
                "-c",
                "advice.detachedHead=false",
                "checkout",
                "-q",
                "--detach",
                sha,
            ],
            None,
        )
        .await?;
        self.evict();
        Ok(ws)
    }

    /// Fetches `sha` into the repository's cache unless it is there.
    async fn fetch(
        &self,
        cache: &Path,
        repository: &str,
        owner: &str,
        name: &str,
        sha: &str,
    ) -> Result<(), String> {
        let lock = {
            let mut caches = self
                .inner
                .caches
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            caches.entry(repository.to_owned()).or_default().clone()
        };
        let _one_at_a_time = lock.lock().await;
        // And one at a time across the worker processes of this host sharing the folder.
        let _host_wide = lock_file(cache).await?;
        if !cache.join("HEAD").exists() {
            std::fs::create_dir_all(cache)
                .map_err(|e| format!("cannot make the cache {}: {e}", cache.display()))?;
            git(cache, &["init", "-q", "--bare"], None).await?;
        }
        let object = format!("{sha}^{{commit}}");
        if git(cache, &["cat-file", "-e", &object], None).await.is_ok() {
            touch(cache);
            return Ok(());
        }
        let url = format!(
            "{}/{owner}/{name}.git",
            self.inner.git_url.as_str().trim_end_matches('/')
        );
        let auth = self.inner.token.as_ref().map(|t| {
            let basic = base64::engine::general_purpose::STANDARD
                .encode(format!("x-access-token:{}", t.expose_secret()));
            format!("Authorization: Basic {basic}")
        });
        // No automatic gc: the cache holds no refs, and a repack under a reading checkout
        // would pull objects from under it.
        git(
            cache,
            &[
                "-c",
                "gc.auto=0",
                "-c",
                "maintenance.auto=false",
                "fetch",
                "-q",
                "--no-tags",
                "--depth",
                "1",
                &url,
                sha,
            ],
            auth.as_deref(),
        )
        .await
        .map_err(|e| format!("cannot fetch {sha} of {repository} from {url}: {e}"))?;
        touch(cache);
        Ok(())
    }

    /// Removes the least recently used caches not in use while the folder holds more than its
    /// cap.
    fn evict(&self) {
        let root = &self.inner.root;
        let mut total = size_of(root);
        if total <= self.inner.max_bytes {
            return;
        }
        let busy = self
            .inner
            .busy
            .lock()
            .map(|b| b.clone())
            .unwrap_or_default();
        let mut caches: Vec<(std::time::SystemTime, PathBuf)> = Vec::new();
        for owner in std::fs::read_dir(root.join("cache"))
            .into_iter()
            .flatten()
            .flatten()
        {
            for repo in std::fs::read_dir(owner.path())
                .into_iter()
                .flatten()
                .flatten()
            {
                let path = repo.path();
                if busy.contains_key(&path) {
                    continue;
                }
                let used = std::fs::metadata(path.join("chatops-used"))
                    .and_then(|m| m.modified())
                    .unwrap_or(std::time::UNIX_EPOCH);
                caches.push((used, path));
            }
        }
        caches.sort();
        for (_, path) in caches {
            if total <= self.inner.max_bytes {
                break;
            }
            let freed = size_of(&path);
            if std::fs::remove_dir_all(&path).is_ok() {
                tracing::info!(cache = %path.display(), freed, "removed a repository cache: the workspaces were over their cap");
                total = total.saturating_sub(freed);
            }
        }
        if total > self.inner.max_bytes {
            tracing::warn!(
                total,
                cap = self.inner.max_bytes,
                "the workspaces are over their cap (CHATOPS__WORKSPACE__MAX_BYTES) and nothing more can be removed"
            );
        }
    }

    /// Writes an agent's proposed files into the workspace (creating folders, removing deleted
    /// files, setting the executable bit).
    pub fn apply(&self, ws: &Workspace, changes: &[FileChange]) -> Result<(), String> {
        for change in changes {
            let path = RepoPath::parse(&change.path)?;
            let target = ws.dir.join(path.as_str());
            inside(&ws.dir, &target, path.as_str())?;
            if change.deleted {
                match std::fs::remove_file(&target) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(format!("cannot delete {path}: {e}")),
                }
                continue;
            }
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent)
                    .map_err(|e| format!("cannot make the folder of {path}: {e}"))?;
                inside(&ws.dir, parent, path.as_str())?;
            }
            std::fs::write(&target, &change.content)
                .map_err(|e| format!("cannot write {path}: {e}"))?;
            set_executable(&target, change.executable)
                .map_err(|e| format!("cannot set the mode of {path}: {e}"))?;
        }
        Ok(())
    }

    /// What changed in the workspace since its commit: added, modified and deleted files and
    /// the executable bit, as git sees them (ignored files are not part of it). A change to a
    /// protected path, a symbolic link, a submodule, a file that is not UTF-8 text, or more
    /// than [`MAX_CHANGE_BYTES`] is refused, naming why.
    pub async fn changes(&self, ws: &Workspace) -> Result<Vec<FileChange>, String> {
        git(&ws.dir, &["add", "-A"], None).await?;
        let raw = git(
            &ws.dir,
            &["diff", "--cached", "--raw", "-z", "--no-renames", &ws.sha],
            None,
        )
        .await?;
        let mut fields = raw.split('\0').filter(|f| !f.is_empty());
        let mut changes = Vec::new();
        let mut weight = 0usize;
        while let (Some(meta), Some(path)) = (fields.next(), fields.next()) {
            // `:<old mode> <new mode> <old sha> <new sha> <status>`
            let parts: Vec<&str> = meta.trim_start_matches(':').split(' ').collect();
            let (new_mode, status) = match parts.as_slice() {
                [_, new_mode, _, _, status] => (*new_mode, *status),
                _ => {
                    return Err(format!(
                        "git described a change it cannot be read from: {meta}"
                    ));
                }
            };
            let checked = RepoPath::parse(path)?;
            if let Some(rule) = self.protected_by(checked.as_str()) {
                return Err(format!(
                    "the change touches {checked}, a protected path (`{rule}` in CHATOPS__WORKSPACE__PROTECTED); nothing was committed"
                ));
            }
            if status.starts_with('D') {
                changes.push(FileChange {
                    path: checked.to_string(),
                    deleted: true,
                    ..FileChange::default()
                });
                continue;
            }
            match new_mode {
                "100644" | "100755" => {}
                "120000" => {
                    return Err(format!(
                        "{checked} is a symbolic link; chatops commits files only, so nothing was committed"
                    ));
                }
                other => {
                    return Err(format!(
                        "{checked} has mode {other} (a submodule or something else that is not a file); nothing was committed"
                    ));
                }
            }
            let bytes = std::fs::read(ws.dir.join(checked.as_str()))
                .map_err(|e| format!("cannot read {checked}: {e}"))?;
            weight += bytes.len();
            if weight > MAX_CHANGE_BYTES {
                return Err(format!(
                    "the change is over {} KiB; chatops commits changes up to that size, so nothing was committed",
                    MAX_CHANGE_BYTES >> 10
                ));
            }
            let content = String::from_utf8(bytes).map_err(|_| {
                format!("{checked} is not UTF-8 text; chatops commits text files only (build output belongs in .gitignore), so nothing was committed")
            })?;
            changes.push(FileChange {
                path: checked.to_string(),
                content,
                deleted: false,
                executable: new_mode == "100755",
            });
        }
        Ok(changes)
    }

    /// The files the checkout tracks, at most `max`.
    pub async fn files(&self, ws: &Workspace, max: usize) -> Result<Vec<String>, String> {
        let listed = git(&ws.dir, &["ls-files", "-z"], None).await?;
        Ok(listed
            .split('\0')
            .filter(|p| !p.is_empty())
            .take(max)
            .map(str::to_owned)
            .collect())
    }

    /// A file of the checkout as it is now, and whether it is executable; `None` when there
    /// is no such file, it is not UTF-8 text, it is over `max` bytes or it leads outside.
    pub fn read(&self, ws: &Workspace, path: &str, max: usize) -> Option<(String, bool)> {
        use std::os::unix::fs::PermissionsExt as _;
        let path = RepoPath::parse(path).ok()?;
        let full = ws.dir.join(path.as_str());
        inside(&ws.dir, &full, path.as_str()).ok()?;
        let meta = std::fs::symlink_metadata(&full).ok()?;
        if !meta.is_file() || meta.len() > max as u64 {
            return None;
        }
        let text = String::from_utf8(std::fs::read(&full).ok()?).ok()?;
        Some((text, meta.permissions().mode() & 0o111 != 0))
    }

    /// The unified diff from `base` to `head` of `repository`, at most `max` bytes (cut
    /// marked), fetching both commits when this host lacks them.
    pub async fn diff(
        &self,
        repository: &str,
        base: &str,
        head: &str,
        max: usize,
    ) -> Result<String, String> {
        let base = commit_sha(base)?;
        let ws = self.checkout(repository, head).await?;
        let (owner, name) = repository.split_once('/').unwrap_or_default();
        self.fetch(&ws.cache, repository, owner, name, base).await?;
        if let Ok(shallow) = std::fs::read(ws.cache.join("shallow")) {
            let _ = std::fs::write(ws.dir.join(".git/shallow"), shallow);
        }
        let mut text = git(&ws.dir, &["diff", "--no-color", base, head], None).await?;
        if text.len() > max {
            let mut cut = max;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            text.truncate(cut);
            text.push_str("\n… (diff cut)\n");
        }
        Ok(text)
    }

    /// The protected pattern `path` matches, if any.
    pub fn protected_by(&self, path: &str) -> Option<&str> {
        self.inner
            .protected
            .iter()
            .map(String::as_str)
            .find(|rule| matches_rule(rule, path))
    }
}

#[cfg(test)]
mod tests;
