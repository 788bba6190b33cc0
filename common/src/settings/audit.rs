//! `[audit]`: what the bot does when the audit log cannot be written.

use super::{SettingsError, parse, source::Source};

/// `[audit]`
#[derive(Debug, Clone)]
pub struct AuditSettings {
    /// Refuse a state-changing action whose audit entry cannot be written, before anything
    /// changes; off, the action goes ahead and the lost entry is logged.
    pub fail_closed: bool,
}

impl AuditSettings {
    pub(super) fn read(src: &Source<'_>) -> Result<Self, SettingsError> {
        Ok(Self {
            fail_closed: src.get("audit.fail_closed", parse::flag)?,
        })
    }
}
