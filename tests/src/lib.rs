//! Test harness: one Temporal dev server per test binary, and for each test its own local
//! Slack, task queue, worker process and bot process.
//!
//! Every child process runs under a lifeline: when the test process ends, however it ends, its
//! end of a pipe closes and the child is terminated. Nothing outlives a test run.

/// The local GitHub (it lives with the shell, which serves it to `scripts/run`).
pub use chatops_bot::shell::local_forge as github;
pub mod channel;
pub mod delivery;
pub mod gate;
pub mod postgres;
pub mod process;
pub mod sender;
pub mod slow;
pub mod stack;
pub mod temporal;
pub mod tls;

pub use stack::{Stack, StackOptions};

use std::path::PathBuf;

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The directory holding the built binaries (`target/debug` for `cargo test`).
pub fn bin_dir() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| {
            exe.parent()
                .and_then(|deps| deps.parent())
                .map(PathBuf::from)
        })
        .unwrap_or_else(|| workspace_root().join("target/debug"))
}

/// An empty folder `name` for one test's files (logs its commands write, marks they leave),
/// under the build directory.
pub fn scratch(name: &str) -> anyhow::Result<PathBuf> {
    let dir = bin_dir().join("scratch").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// Waits until the file at `path` holds `needle` (a command writing it ran), and returns what
/// it holds.
pub async fn wait_for_file(path: &std::path::Path, needle: &str) -> anyhow::Result<String> {
    let deadline = tokio::time::Instant::now() + stack::WAIT;
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if text.contains(needle) {
            return Ok(text);
        }
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {needle:?} in {}; it holds: {text:?}",
            path.display()
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// The path of a workspace binary, or a clear error telling how to build it.
pub fn binary(name: &str) -> anyhow::Result<PathBuf> {
    let path = bin_dir().join(name);
    anyhow::ensure!(
        path.exists(),
        "{} is missing: run `cargo build --workspace --bins` first (scripts/test does)",
        path.display()
    );
    Ok(path)
}
