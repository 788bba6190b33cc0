//! A delivery to production on the local GitHub, the demo agent, one passing check and a
//! healthy service: what the tests of side effects and failures share.

use chatops_bot::shell::local_slack::PostedMessage;
use serde_json::json;
use std::path::Path;
use std::time::Duration;

use crate::Stack;
use crate::github::{self, LocalGitHub};

/// The command agent of the fixtures: writes a file per task.
pub const AGENT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/agent.py");

/// A healthy service; its `/health` answers 200. Returns that URL.
pub async fn healthy() -> anyhow::Result<String> {
    let app = axum::Router::new().route("/health", axum::routing::get(|| async { "ok" }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/health", listener.local_addr()?);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(url)
}

/// GitHub, the command agent, one passing check, both environments healthy and watched
/// briefly, deploys by `staging` and `production` (each a command or webhook key and value).
pub fn env(
    gh: &LocalGitHub,
    health: &str,
    staging: (&str, String),
    production: (&str, String),
) -> Vec<(String, String)> {
    [
        ("CHATOPS__GITHUB__TOKEN", github::TOKEN.to_owned()),
        ("CHATOPS__GITHUB__API_URL", gh.url.clone()),
        (
            "CHATOPS__FEATURE__REPOSITORY",
            github::REPOSITORY.to_owned(),
        ),
        (
            "CHATOPS__FEATURE__CHECKS",
            json!([{"name": "unit_tests", "command": "echo 12 passed", "weight": 1}]).to_string(),
        ),
        ("CHATOPS__AGENT__COMMAND", format!("python3 {AGENT}")),
        (staging.0, staging.1),
        (production.0, production.1),
        ("CHATOPS__DEPLOY__STAGING_HEALTH_URL", health.to_owned()),
        ("CHATOPS__DEPLOY__PRODUCTION_HEALTH_URL", health.to_owned()),
        ("CHATOPS__DEPLOY__STAGING_INTERVAL", "200ms".to_owned()),
        ("CHATOPS__DEPLOY__PRODUCTION_INTERVAL", "200ms".to_owned()),
        ("CHATOPS__DEPLOY__STAGING_WINDOW", "1s".to_owned()),
        ("CHATOPS__DEPLOY__PRODUCTION_WINDOW", "1s".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// Approves the production gate of the feature `id` (its card `card`) and waits for it to
/// complete.
pub async fn through_production(
    stack: &Stack,
    id: &str,
    card: &PostedMessage,
) -> anyhow::Result<()> {
    let production = stack
        .reply_containing(card, "Approval needed: production gate")
        .await?;
    stack.press(&production, "Approve")?;
    stack.card_showing(card, "Complete").await?;
    anyhow::ensure!(
        stack.workflow_closed(id).await? == "WORKFLOW_EXECUTION_STATUS_COMPLETED",
        "the feature did not complete"
    );
    Ok(())
}

/// The text of `path`; empty when it is not there yet.
pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// Polls `path` until `done` holds of its text, for up to `within`; returns that text.
pub async fn wait_file(
    path: &Path,
    within: Duration,
    what: &str,
    done: impl Fn(&str) -> bool,
) -> anyhow::Result<String> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let text = read(path);
        if done(&text) {
            return Ok(text);
        }
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}: {text}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// What follows `prefix` on each line of `log` that starts with it, trimmed (deploy ids).
pub fn ids_after(log: &str, prefix: &str) -> Vec<String> {
    log.lines()
        .filter_map(|l| l.strip_prefix(prefix))
        .map(|id| id.trim().to_owned())
        .collect()
}
