//! `[worker]`: where the worker serves its health, readiness and metrics endpoints.

use super::{SettingsError, parse, source::Source};
use std::net::SocketAddr;

/// `[worker]`
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    pub listen: SocketAddr,
}

impl WorkerSettings {
    pub(super) fn read(src: &Source<'_>) -> Result<Self, SettingsError> {
        Ok(Self {
            listen: src.get("worker.listen", parse::address)?,
        })
    }
}
