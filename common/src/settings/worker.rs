//! `[worker]`: where the worker serves its health, readiness and metrics endpoints, how much it
//! runs at once and keeps in memory, how it stops, and which of its variables the commands it
//! runs may see.

use super::{SettingsError, parse, source::Source};
use std::net::SocketAddr;
use std::time::Duration;

/// `[worker]`
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    pub listen: SocketAddr,
    /// Workflows kept in the SDK's sticky cache (0: none).
    pub max_cached_workflows: u32,
    /// Workflow task slots.
    pub workflow_tasks: u32,
    /// Activity slots.
    pub activities: u32,
    /// How long running activities get to finish on shutdown.
    pub shutdown_grace: Duration,
    /// Variables of the worker's environment passed on to every command it runs.
    pub child_env: Vec<String>,
}

impl WorkerSettings {
    pub(super) fn read(src: &Source<'_>) -> Result<Self, SettingsError> {
        Ok(Self {
            listen: src.get("worker.listen", parse::address)?,
            max_cached_workflows: src.get("worker.max_cached_workflows", parse::up_to(100_000))?,
            workflow_tasks: src.get("worker.workflow_tasks", parse::count(10_000))?,
            activities: src.get("worker.activities", parse::count(10_000))?,
            shutdown_grace: src.get("worker.shutdown_grace", parse::duration)?,
            child_env: src
                .optional("worker.child_env", parse::variable_names)?
                .unwrap_or_default(),
        })
    }
}
