//! The bare repository behind the local GitHub, through the git CLI: every call runs with a
//! cleared environment, no user or system configuration, and one fixed identity and date, so
//! the same operations always make the same commits.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};

/// A git call that failed, with what it printed.
#[derive(Debug)]
pub struct GitError(pub String);

impl std::fmt::Display for GitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for GitError {}

/// One entry of a tree being written.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Path from the root.
    pub path: String,
    /// `100644`, `100755`, `120000` or `040000`.
    pub mode: String,
    /// Object, or `None` to delete the path.
    pub sha: Option<String>,
}

/// A bare repository at `dir`.
#[derive(Debug, Clone)]
pub struct Git {
    /// The repository (`…/acme/shop.git`).
    pub dir: PathBuf,
}

type Result<T> = std::result::Result<T, GitError>;

impl Git {
    /// The bare repository already at `dir`.
    pub fn open(dir: &Path) -> Self {
        Self {
            dir: dir.to_path_buf(),
        }
    }

    /// A new bare repository at `dir`, its default branch `main`, serving any reachable or
    /// unreachable commit by sha and accepting pushes over HTTP.
    pub fn init(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|e| GitError(format!("{}: {e}", dir.display())))?;
        let git = Self {
            dir: dir.to_path_buf(),
        };
        git.run(
            &["init", "--quiet", "--bare", "--initial-branch=main"],
            None,
        )?;
        for (key, value) in [
            ("uploadpack.allowAnySHA1InWant", "true"),
            ("uploadpack.allowReachableSHA1InWant", "true"),
            ("http.receivepack", "true"),
        ] {
            git.run(&["config", key, value], None)?;
        }
        Ok(git)
    }

    /// A git command on this repository with nothing inherited but `PATH`.
    pub fn command(&self) -> Command {
        let mut cmd = Command::new("git");
        cmd.env_clear()
            .envs(base_env())
            .env("GIT_DIR", &self.dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd
    }

    /// Runs `git args` with `stdin`; its output, or what it said when it failed.
    pub fn run(&self, args: &[&str], stdin: Option<&[u8]>) -> Result<Vec<u8>> {
        self.run_with(self.command(), args, stdin)
    }

    /// Runs `git args` as `cmd` (a [`Git::command`], maybe with more environment).
    pub fn run_with(
        &self,
        mut cmd: Command,
        args: &[&str],
        stdin: Option<&[u8]>,
    ) -> Result<Vec<u8>> {
        cmd.args(args);
        if stdin.is_some() {
            cmd.stdin(Stdio::piped());
        }
        let failed = |e: std::io::Error| GitError(format!("git {}: {e}", args.join(" ")));
        let mut child = cmd.spawn().map_err(failed)?;
        if let (Some(input), Some(mut pipe)) = (stdin, child.stdin.take()) {
            pipe.write_all(input).map_err(failed)?;
        }
        let out = child.wait_with_output().map_err(failed)?;
        if !out.status.success() {
            return Err(GitError(format!(
                "git {}: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        Ok(out.stdout)
    }

    /// Runs `git args`; its output as trimmed text.
    pub fn text(&self, args: &[&str]) -> Result<String> {
        let out = self.run(args, None)?;
        Ok(String::from_utf8_lossy(&out).trim().to_owned())
    }

    /// The commit `rev` names (a sha, a branch, `main~1`), if any.
    pub fn commit(&self, rev: &str) -> Option<String> {
        self.object(&format!("{rev}^{{commit}}"))
    }

    /// The object `rev` names, if any.
    pub fn object(&self, rev: &str) -> Option<String> {
        if rev.starts_with('-') {
            return None;
        }
        self.text(&["rev-parse", "--verify", "--quiet", rev])
            .ok()
            .filter(|s| !s.is_empty())
    }

    /// The type of object `sha` (`blob`, `tree`, `commit`), if it exists.
    pub fn kind(&self, sha: &str) -> Option<String> {
        if sha.starts_with('-') {
            return None;
        }
        self.text(&["cat-file", "-t", sha]).ok()
    }

    /// The head of `branch`, if it exists.
    pub fn head(&self, branch: &str) -> Option<String> {
        self.commit(&format!("refs/heads/{branch}"))
    }

    /// `(mode, type, sha)` of `path` at commit `rev`.
    pub fn entry(&self, rev: &str, path: &str) -> Option<(String, String, String)> {
        let line = self
            .text(&[
                "ls-tree",
                "--full-tree",
                rev,
                "--",
                path.trim_end_matches('/'),
            ])
            .ok()?;
        let (meta, name) = line.lines().next()?.split_once('\t')?;
        if name != path.trim_end_matches('/') {
            return None;
        }
        let mut parts = meta.split(' ');
        Some((
            parts.next()?.to_owned(),
            parts.next()?.to_owned(),
            parts.next()?.to_owned(),
        ))
    }

    /// `(mode, type, sha, name)` of every entry of tree-ish `rev` (at `dir`, when given).
    pub fn list(&self, rev: &str, dir: Option<&str>) -> Vec<(String, String, String, String)> {
        let target = match dir {
            Some(d) => format!("{rev}:{d}"),
            None => rev.to_owned(),
        };
        self.text(&["ls-tree", &target])
            .unwrap_or_default()
            .lines()
            .filter_map(|line| {
                let (meta, name) = line.split_once('\t')?;
                let mut p = meta.split(' ');
                Some((
                    p.next()?.to_owned(),
                    p.next()?.to_owned(),
                    p.next()?.to_owned(),
                    name.to_owned(),
                ))
            })
            .collect()
    }

    /// Every file path at `rev`, sorted.
    pub fn paths(&self, rev: &str) -> Vec<String> {
        self.text(&["ls-tree", "-r", "--name-only", "--full-tree", rev])
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// The bytes of blob `sha`.
    pub fn blob(&self, sha: &str) -> Option<Vec<u8>> {
        self.run(&["cat-file", "blob", sha], None).ok()
    }

    /// Stores `content` as a blob; its sha.
    pub fn hash(&self, content: &[u8]) -> Result<String> {
        let out = self.run(&["hash-object", "-w", "--stdin"], Some(content))?;
        Ok(String::from_utf8_lossy(&out).trim().to_owned())
    }

    /// Writes the tree `base` (a tree-ish, or nothing) with `entries` applied; its sha.
    pub fn write_tree(&self, base: Option<&str>, entries: &[Entry]) -> Result<String> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let index = self.dir.join(format!(
            "index-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let with_index = || {
            let mut cmd = self.command();
            cmd.env("GIT_INDEX_FILE", &index);
            cmd
        };
        let result = (|| {
            match base {
                Some(tree) => self.run_with(with_index(), &["read-tree", tree], None)?,
                None => self.run_with(with_index(), &["read-tree", "--empty"], None)?,
            };
            for entry in entries {
                self.apply(&with_index, entry)?;
            }
            let out = self.run_with(with_index(), &["write-tree"], None)?;
            Ok(String::from_utf8_lossy(&out).trim().to_owned())
        })();
        let _ = std::fs::remove_file(&index);
        result
    }

    fn apply(&self, with_index: &dyn Fn() -> Command, entry: &Entry) -> Result<()> {
        let path = entry.path.trim_matches('/');
        // Whatever was at the path (a file, or a folder's files) goes first.
        let listed = self.run_with(with_index(), &["ls-files", "-z", "--", path], None)?;
        let under: Vec<String> = listed
            .split(|b| *b == 0)
            .filter(|p| !p.is_empty())
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .filter(|p| p == path || p.starts_with(&format!("{path}/")))
            .collect();
        if !under.is_empty() {
            // Mode 0 removes a path; `--force-remove` would want a work tree.
            let zero = "0".repeat(40);
            let removals: String = under.iter().map(|p| format!("0 {zero}\t{p}\0")).collect();
            self.run_with(
                with_index(),
                &["update-index", "-z", "--index-info"],
                Some(removals.as_bytes()),
            )?;
        }
        let Some(sha) = &entry.sha else {
            return Ok(());
        };
        if entry.mode == "040000" {
            let prefix = format!("--prefix={path}/");
            self.run_with(with_index(), &["read-tree", &prefix, sha], None)?;
        } else {
            let info = format!("{},{sha},{path}", entry.mode);
            self.run_with(
                with_index(),
                &["update-index", "--add", "--cacheinfo", &info],
                None,
            )?;
        }
        Ok(())
    }

    /// Moves `branch` to `new` if it is still at `old` (`None`: if it does not exist yet).
    pub fn set_ref(&self, branch: &str, new: &str, old: Option<&str>) -> Result<()> {
        let name = format!("refs/heads/{branch}");
        let zero = "0".repeat(40);
        self.run(
            &["update-ref", &name, new, old.unwrap_or(zero.as_str())],
            None,
        )?;
        Ok(())
    }

    /// Whether `ancestor` is `descendant` or one of its ancestors.
    pub fn is_ancestor(&self, ancestor: &str, descendant: &str) -> bool {
        self.run(&["merge-base", "--is-ancestor", ancestor, descendant], None)
            .is_ok()
    }

    /// The tree merging `theirs` into `ours`; `None` on a conflict.
    pub fn merge_tree(&self, ours: &str, theirs: &str) -> Result<Option<String>> {
        let out = self
            .command()
            .args(["merge-tree", "--write-tree", ours, theirs])
            .output()
            .map_err(|e| GitError(format!("git merge-tree: {e}")))?;
        let tree = String::from_utf8_lossy(&out.stdout)
            .lines()
            .next()
            .unwrap_or_default()
            .to_owned();
        match out.status.code() {
            Some(0) => Ok(Some(tree)),
            Some(1) => Ok(None),
            _ => Err(GitError(format!(
                "git merge-tree: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ))),
        }
    }
}

/// What every git process gets: `PATH`, and no configuration but the repository's own.
pub fn base_env() -> Vec<(String, String)> {
    let mut env = vec![
        ("GIT_CONFIG_NOSYSTEM".to_owned(), "1".to_owned()),
        ("GIT_CONFIG_GLOBAL".to_owned(), "/dev/null".to_owned()),
        ("GIT_TERMINAL_PROMPT".to_owned(), "0".to_owned()),
        ("LC_ALL".to_owned(), "C".to_owned()),
    ];
    if let Ok(path) = std::env::var("PATH") {
        env.push(("PATH".to_owned(), path));
    }
    env
}
