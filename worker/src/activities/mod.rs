//! Activities: every side effect a workflow has, one module per integration.

pub mod context_url;
pub mod delivery;
pub mod failure;
pub mod freeze;
pub mod github;
pub mod incident;
pub mod policy;
pub mod quality;
pub mod shell;
pub mod slack;
pub mod workspace;

use std::time::Duration;
use temporalio_sdk::activities::ActivityContext;

/// How long the current attempt may still run, or `fallback` when Temporal set no deadline.
pub fn time_left(ctx: &ActivityContext, fallback: Duration) -> Duration {
    ctx.info()
        .deadline
        .and_then(|d| d.duration_since(std::time::SystemTime::now()).ok())
        .unwrap_or(fallback)
}
