//! `[codec]`: payload encryption and the codec server that lets the Temporal UI and CLI read
//! encrypted payloads.

use super::{
    SettingsError, parse,
    source::{Source, not_both},
};
use crate::codec::PayloadKeys;
use secrecy::SecretString;

/// `[codec]`
#[derive(Debug, Clone)]
pub struct CodecSettings {
    /// The encryption keys, newest first; payloads are plain JSON without them.
    pub keys: Option<PayloadKeys>,
    /// Bearer token of the codec server; the server is off without it.
    pub server_token: Option<SecretString>,
    /// Browser origins allowed to call the codec server.
    pub server_origins: Vec<String>,
}

impl CodecSettings {
    pub(super) fn read(src: &Source<'_>, ui_url: &url::Url) -> Result<Self, SettingsError> {
        not_both(
            "codec.keys",
            src.optional_text("codec.keys")?.is_some(),
            "codec.keys_file",
            src.optional_text("codec.keys_file")?.is_some(),
        )?;
        let keys = match src.optional("codec.keys", PayloadKeys::parse)? {
            Some(keys) => Some(keys),
            None => src.optional("codec.keys_file", keys_file)?,
        };
        let server_token = src.optional("codec.server_token", parse::secret_text)?;
        if server_token.is_some() && keys.is_none() {
            return Err(SettingsError::new(
                "codec.server_token",
                "is set, but there are no keys to encode or decode with; set CHATOPS__CODEC__KEYS (or __KEYS_FILE) too",
            ));
        }
        let server_origins = match src.optional("codec.server_origins", parse::list)? {
            Some(origins) => origins
                .iter()
                .map(|o| origin(o))
                .collect::<Result<_, _>>()
                .map_err(|m| SettingsError::new("codec.server_origins", m))?,
            None => vec![ui_url.origin().ascii_serialization()],
        };
        Ok(Self {
            keys,
            server_token,
            server_origins,
        })
    }
}

/// Keys kept in a file, one `id=key` per line.
fn keys_file(v: &str) -> Result<PayloadKeys, String> {
    let text = std::fs::read_to_string(v).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => format!("`{v}` does not exist"),
        _ => format!("`{v}` cannot be read ({e})"),
    })?;
    PayloadKeys::parse(&text).map_err(|m| format!("`{v}` {m}"))
}

/// A browser origin: `scheme://host[:port]`, nothing after.
fn origin(v: &str) -> Result<String, String> {
    let url = url::Url::parse(v)
        .map_err(|_| format!("`{v}` is not an origin such as https://temporal.example.com"))?;
    let origin = url.origin().ascii_serialization();
    if !matches!(url.scheme(), "http" | "https") || v.trim_end_matches('/') != origin {
        return Err(format!(
            "`{v}` is not an origin (scheme, host and port only, such as https://temporal.example.com)"
        ));
    }
    Ok(origin)
}
