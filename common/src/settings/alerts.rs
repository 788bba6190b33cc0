//! `[alerts]`: where the bot's alert intake listens, the bearer token senders present, and how
//! long and how many requests it serves at once.

use super::{
    SettingsError,
    parse::{self, Parsed},
    source::Source,
};
use secrecy::SecretString;
use std::{fmt, net::SocketAddr, time::Duration};

/// `[alerts]`
#[derive(Clone)]
pub struct AlertSettings {
    pub listen: SocketAddr,
    pub token: Option<SecretString>,
    /// How long a sender has to deliver a request's body once its headers are in.
    pub request_timeout: Duration,
    /// Alert requests handled at once; more are answered 503 with Retry-After.
    pub max_in_flight: u32,
}

impl AlertSettings {
    pub(super) fn read(src: &Source<'_>) -> Result<Self, SettingsError> {
        Ok(Self {
            token: src.optional("alerts.token", token)?,
            listen: src.get("alerts.listen", parse::address)?,
            request_timeout: src.get("alerts.request_timeout", timeout)?,
            max_in_flight: src.get("alerts.max_in_flight", parse::count(100_000))?,
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

/// A duration above zero: a zero timeout would refuse every request.
fn timeout(v: &str) -> Parsed<Duration> {
    let d = parse::duration(v)?;
    if d.is_zero() {
        return Err(format!("`{v}` must be longer than 0s, like 10s"));
    }
    Ok(d)
}

impl fmt::Debug for AlertSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AlertSettings")
            .field("listen", &self.listen)
            .field("token", &self.token.as_ref().map(|_| "[redacted]"))
            .field("request_timeout", &self.request_timeout)
            .field("max_in_flight", &self.max_in_flight)
            .finish()
    }
}
