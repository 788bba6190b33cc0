//! `[emergency]`: who may engage and release the emergency stop, and how often a held delivery
//! looks again.

use super::{SettingsError, parse, source::Source};
use std::time::Duration;

/// `[emergency]`
#[derive(Debug, Clone)]
pub struct EmergencySettings {
    /// User and user group ids allowed to engage and release.
    pub oncall: Vec<String>,
    pub recheck: Duration,
    /// The longest wait between checks (the wait doubles from `recheck`).
    pub recheck_max: Duration,
}

impl EmergencySettings {
    pub(super) fn read(src: &Source<'_>) -> Result<Self, SettingsError> {
        Ok(Self {
            oncall: src
                .optional("emergency.oncall", parse::principals)?
                .unwrap_or_default(),
            recheck: src.get("emergency.recheck", parse::duration)?,
            recheck_max: src.get("emergency.recheck_max", parse::duration)?,
        })
    }
}
