//! `[log]`: the log format and the tracing filter used when `RUST_LOG` is unset.

use super::{SettingsError, parse::Parsed, source::Source};

/// `[log]`
#[derive(Debug, Clone)]
pub struct LogSettings {
    pub format: LogFormat,
    pub filter: String,
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// One human-readable line per event.
    Pretty,
    /// One JSON object per event.
    Json,
}

impl LogSettings {
    pub(super) fn read(src: &Source<'_>) -> Result<Self, SettingsError> {
        Ok(Self {
            format: src.get("log.format", LogFormat::parse)?,
            filter: src.text("log.filter")?,
        })
    }
}

impl LogFormat {
    /// `pretty` or `json`.
    pub(super) fn parse(v: &str) -> Parsed<Self> {
        match v {
            "pretty" => Ok(Self::Pretty),
            "json" => Ok(Self::Json),
            other => Err(format!("`{other}` must be `pretty` or `json`")),
        }
    }
}
