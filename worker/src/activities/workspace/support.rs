//! What the workspaces stand on: git run with nothing of the worker's, commit and path checks,
//! the host-wide cache lock, and disk use.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use crate::activities::shell::{BASE_ENV, tail};

/// How long one git command may take.
const GIT_TIMEOUT: Duration = Duration::from_secs(600);

/// `sha` trimmed, when it is a commit sha (hex, 7 to 64 characters): never an option git
/// would read.
pub(super) fn commit_sha(sha: &str) -> Result<&str, String> {
    let sha = sha.trim();
    if (7..=64).contains(&sha.len()) && sha.chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(sha)
    } else {
        Err(format!(
            "`{sha}` is not a commit sha, so there is nothing to check out"
        ))
    }
}

/// Whether `path` matches `rule`: `dir/**` (anything under the folder), `*.ext` (that ending,
/// in any folder), or the exact path.
pub fn matches_rule(rule: &str, path: &str) -> bool {
    let rule = rule.trim().trim_start_matches("./").trim_start_matches('/');
    if let Some(dir) = rule.strip_suffix("/**") {
        return path == dir || path.starts_with(&format!("{dir}/"));
    }
    if let Some(ending) = rule.strip_prefix('*') {
        return !ending.contains('/') && path.ends_with(ending);
    }
    path == rule
}

/// Refuses a path that resolves outside the workspace (through a symbolic link the checkout
/// holds).
pub(super) fn inside(root: &Path, path: &Path, shown: &str) -> Result<(), String> {
    let (Ok(root), Some(existing)) = (root.canonicalize(), path.ancestors().find(|p| p.exists()))
    else {
        return Ok(());
    };
    match existing.canonicalize() {
        Ok(real) if real.starts_with(&root) => Ok(()),
        _ => Err(format!(
            "path `{shown}` leads outside the repository (through a symbolic link); nothing was written"
        )),
    }
}

pub(super) fn set_executable(path: &Path, executable: bool) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = if executable { 0o755 } else { 0o644 };
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

/// An exclusive lock on `<cache>.lock`, held until the file is dropped: fetches into one cache
/// from several worker processes go one at a time.
pub(super) async fn lock_file(cache: &Path) -> Result<std::fs::File, String> {
    let path = cache.with_extension("lock");
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("cannot make {}: {e}", parent.display()))?;
    }
    tokio::task::spawn_blocking(move || {
        let file = std::fs::File::create(&path)
            .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        file.lock()
            .map_err(|e| format!("cannot lock {}: {e}", path.display()))?;
        Ok(file)
    })
    .await
    .map_err(|e| format!("the cache lock was lost: {e}"))?
}

/// Marks a cache as just used (eviction removes the least recently used first).
pub(super) fn touch(cache: &Path) {
    let _ = std::fs::write(cache.join("chatops-used"), b"");
}

pub(super) fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_owned())
}

/// Bytes under `path` (files only; links are not followed).
pub(super) fn size_of(path: &Path) -> u64 {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return 0;
    };
    if !meta.is_dir() {
        return meta.len();
    }
    std::fs::read_dir(path)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| size_of(&e.path()))
        .sum()
}

/// Runs git in `dir` with a cleared environment and no user or system configuration; `auth`
/// is an HTTP header given to git through its environment. `Ok` is what it printed.
pub(super) async fn git(dir: &Path, args: &[&str], auth: Option<&str>) -> Result<String, String> {
    let mut command = tokio::process::Command::new("git");
    command
        .args(args)
        .current_dir(dir)
        .env_clear()
        .envs(
            BASE_ENV
                .iter()
                .filter_map(|name| std::env::var_os(name).map(|v| (*name, v))),
        )
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "chatops")
        .env("GIT_AUTHOR_EMAIL", "chatops@localhost")
        .env("GIT_COMMITTER_NAME", "chatops")
        .env("GIT_COMMITTER_EMAIL", "chatops@localhost")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    if let Some(header) = auth {
        command
            .env("GIT_CONFIG_COUNT", "1")
            .env("GIT_CONFIG_KEY_0", "http.extraHeader")
            .env("GIT_CONFIG_VALUE_0", header);
    }
    let run = command.output();
    let out = match tokio::time::timeout(GIT_TIMEOUT, run).await {
        Ok(Ok(out)) => out,
        Ok(Err(e)) => return Err(format!("cannot run git: {e} (is git installed?)")),
        Err(_) => {
            return Err(format!(
                "`git {}` did not finish within {}",
                args.first().unwrap_or(&""),
                chatops_contract::human_duration(GIT_TIMEOUT)
            ));
        }
    };
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        let said = String::from_utf8_lossy(&out.stderr);
        Err(format!(
            "`git {}` failed: {}",
            args.first().unwrap_or(&""),
            tail(said.trim(), 400)
        ))
    }
}
