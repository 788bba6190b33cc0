//! `[alerts]`: where the bot's alert intake listens and the bearer token senders present.

use super::{
    SettingsError,
    parse::{self, Parsed},
    source::Source,
};
use secrecy::SecretString;
use std::{fmt, net::SocketAddr};

/// `[alerts]`
#[derive(Clone)]
pub struct AlertSettings {
    pub listen: SocketAddr,
    pub token: Option<SecretString>,
}

impl AlertSettings {
    pub(super) fn read(src: &Source<'_>) -> Result<Self, SettingsError> {
        Ok(Self {
            token: src.optional("alerts.token", token)?,
            listen: src.get("alerts.listen", parse::address)?,
        })
    }
}

/// A bearer token long enough not to be guessed; the message never repeats it.
pub(super) fn token(v: &str) -> Parsed<SecretString> {
    if v.len() < 16 {
        return Err("is shorter than 16 characters; use a long random string".to_owned());
    }
    parse::secret(v)
}

impl fmt::Debug for AlertSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AlertSettings")
            .field("listen", &self.listen)
            .field("token", &self.token.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}
