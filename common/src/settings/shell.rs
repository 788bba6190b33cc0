//! `[shell]`: the local Slack the shell serves — where it listens, who you are in it, and where
//! it keeps its messages.

use super::{SettingsError, parse, source::Source};
use std::{net::SocketAddr, path::PathBuf};

/// `[shell]`
#[derive(Debug, Clone)]
pub struct ShellSettings {
    pub listen: SocketAddr,
    pub user: String,
    pub state_file: PathBuf,
}

impl ShellSettings {
    pub(super) fn read(src: &Source<'_>) -> Result<Self, SettingsError> {
        Ok(Self {
            listen: src.get("shell.listen", parse::address)?,
            user: src.get("shell.user", parse::name)?,
            state_file: src.get("shell.state_file", |v| Ok(PathBuf::from(v)))?,
        })
    }
}
