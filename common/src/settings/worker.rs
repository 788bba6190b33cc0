//! `[worker]`: where the worker serves its health, readiness and metrics endpoints, and which of
//! its variables the commands it runs may see.

use super::{SettingsError, parse, source::Source};
use std::net::SocketAddr;

/// `[worker]`
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    pub listen: SocketAddr,
    /// Variables of the worker's environment passed on to every command it runs.
    pub child_env: Vec<String>,
}

impl WorkerSettings {
    pub(super) fn read(src: &Source<'_>) -> Result<Self, SettingsError> {
        Ok(Self {
            listen: src.get("worker.listen", parse::address)?,
            child_env: src
                .optional("worker.child_env", parse::variable_names)?
                .unwrap_or_default(),
        })
    }
}
