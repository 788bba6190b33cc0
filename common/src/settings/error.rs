//! The one error a setting can produce: which key, and what is wrong with it.

use std::fmt;

/// A setting that is missing or invalid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsError {
    /// File key, e.g. `temporal.address`.
    pub key: String,
    /// What is wrong and what to do about it.
    pub message: String,
}

impl SettingsError {
    pub(super) fn new(key: &str, message: impl Into<String>) -> Self {
        Self {
            key: key.to_owned(),
            message: message.into(),
        }
    }
}

/// One line naming the env key and the file key, so the user can fix whichever they set.
impl fmt::Display for SettingsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.key.is_empty() {
            return write!(f, "config error: {}", self.message);
        }
        write!(
            f,
            "config error: {} ({}): {}",
            env_key(&self.key),
            self.key,
            self.message
        )
    }
}

impl std::error::Error for SettingsError {}

/// The env var for a file key: `temporal.address` → `CHATOPS__TEMPORAL__ADDRESS`.
pub fn env_key(key: &str) -> String {
    format!("CHATOPS__{}", key.replace('.', "__").to_ascii_uppercase())
}
