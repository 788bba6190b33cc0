//! `[database]`: the bot's store, SQLite or PostgreSQL by URL. The URL may hold a password, so
//! Debug shows it redacted.

use super::{SettingsError, parse::Parsed, source::Source};
use std::fmt;
use url::Url;

/// `[database]`
#[derive(Clone)]
pub struct DatabaseSettings {
    /// `sqlite://…` or `postgres://…` (may hold a password: redacted in Debug).
    pub url: String,
}

impl DatabaseSettings {
    pub(super) fn read(src: &Source<'_>) -> Result<Self, SettingsError> {
        Ok(Self {
            url: src.get("database.url", store_url)?,
        })
    }
}

/// A URL the store can open: SQLite or PostgreSQL.
pub(super) fn store_url(v: &str) -> Parsed<String> {
    if !(v.starts_with("sqlite:") || v.starts_with("postgres:") || v.starts_with("postgresql:")) {
        return Err(format!("`{v}` must start with sqlite: or postgres:"));
    }
    Ok(v.to_owned())
}

impl fmt::Debug for DatabaseSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = match Url::parse(&self.url) {
            Ok(mut u) if u.password().is_some() => {
                let _ = u.set_password(Some("redacted"));
                u.to_string()
            }
            _ => self.url.clone(),
        };
        f.debug_struct("DatabaseSettings")
            .field("url", &shown)
            .finish()
    }
}
