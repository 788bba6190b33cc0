//! Reading one key through the layers: its text (trimmed), its default from the key table, and
//! the key put in front of whatever the parser says is wrong.

use super::{SettingsError, keys, parse::Parsed};
use config::Config;

/// The layered configuration, read a key at a time.
pub(super) struct Source<'a> {
    cfg: &'a Config,
}

impl<'a> Source<'a> {
    pub(super) fn new(cfg: &'a Config) -> Self {
        Self { cfg }
    }

    /// The text as set, untrimmed; `None` when no layer sets it.
    fn raw(&self, key: &str) -> Result<Option<String>, SettingsError> {
        debug_assert!(keys::is_known(key), "{key} is not in settings::KEYS");
        match self.cfg.get_string(key) {
            Ok(v) => Ok(Some(v)),
            Err(config::ConfigError::NotFound(_)) => Ok(None),
            Err(e) => Err(SettingsError::new(key, e.to_string())),
        }
    }

    /// The trimmed text, or the key's default; blank, or unset without a default, is an error.
    pub(super) fn text(&self, key: &str) -> Result<String, SettingsError> {
        match self.raw(key)? {
            Some(v) if !v.trim().is_empty() => Ok(v.trim().to_owned()),
            Some(_) => Err(SettingsError::new(key, "is empty")),
            None => keys::default_of(key)
                .map(str::to_owned)
                .ok_or_else(|| SettingsError::new(key, "is missing")),
        }
    }

    /// The trimmed text; unset or blank is `None`.
    pub(super) fn optional_text(&self, key: &str) -> Result<Option<String>, SettingsError> {
        Ok(self
            .raw(key)?
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty()))
    }

    /// [`text`](Self::text), parsed.
    pub(super) fn get<T>(
        &self,
        key: &str,
        parse: impl FnOnce(&str) -> Parsed<T>,
    ) -> Result<T, SettingsError> {
        parse(&self.text(key)?).map_err(|message| SettingsError::new(key, message))
    }

    /// [`optional_text`](Self::optional_text), parsed when set.
    pub(super) fn optional<T>(
        &self,
        key: &str,
        parse: impl FnOnce(&str) -> Parsed<T>,
    ) -> Result<Option<T>, SettingsError> {
        self.optional_text(key)?
            .map(|v| parse(&v).map_err(|message| SettingsError::new(key, message)))
            .transpose()
    }
}

/// Refuses two keys that are alternatives (a URL or a command) when both are set; the error
/// names the second.
pub(super) fn not_both(
    first: &str,
    first_set: bool,
    second: &str,
    second_set: bool,
) -> Result<(), SettingsError> {
    if first_set && second_set {
        return Err(SettingsError::new(
            second,
            format!("set either {first} or {second}, not both"),
        ));
    }
    Ok(())
}
