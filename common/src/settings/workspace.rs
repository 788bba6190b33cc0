//! `[workspace]`: where the worker keeps its checkouts of the repositories it delivers to, how
//! much disk they may take, and which paths agents may not change.

use super::{SettingsError, parse, source::Source};
use std::path::PathBuf;

/// `[workspace]`
#[derive(Debug, Clone)]
pub struct WorkspaceSettings {
    /// Folder holding the repository caches and the workspaces.
    pub dir: PathBuf,
    /// Most bytes the folder may hold; the oldest workspaces are removed first.
    pub max_bytes: u64,
    /// Path patterns an agent's change may not touch (`dir/**`, `*.ext`, exact paths).
    pub protected: Vec<String>,
}

impl WorkspaceSettings {
    pub(super) fn read(src: &Source<'_>) -> Result<Self, SettingsError> {
        Ok(Self {
            dir: src.get("workspace.dir", |v| Ok(PathBuf::from(v)))?,
            max_bytes: src.get("workspace.max_bytes", parse::bytes)?,
            protected: src.get("workspace.protected", parse::list)?,
        })
    }
}
