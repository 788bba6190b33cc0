//! `[temporal]`: the Temporal frontend both processes connect to (and how: plain, TLS, mTLS, an
//! API key), the namespace and task queue they share, and the web UI that cards and replies
//! link to.

use super::{
    SettingsError, parse,
    source::{Source, not_both},
};
use secrecy::SecretString;
use std::fmt;
use url::Url;

/// The TLS keys; setting any of them (or the API key) turns TLS on.
const TLS_KEYS: [&str; 4] = [
    "temporal.tls_ca_file",
    "temporal.tls_server_name",
    "temporal.tls_cert_file",
    "temporal.tls_key_file",
];

/// `[temporal]`
#[derive(Debug, Clone)]
pub struct TemporalSettings {
    /// The frontend; its scheme is `https` exactly when [`tls`](Self::tls) is set.
    pub address: Url,
    pub namespace: String,
    pub task_queue: String,
    pub ui_url: Url,
    /// TLS towards the frontend; plain text without it.
    pub tls: Option<TemporalTls>,
    /// API key (Temporal Cloud), sent as `authorization: Bearer …` on every call.
    pub api_key: Option<SecretString>,
}

/// How the frontend's certificate is checked and how the client proves who it is; the files
/// are read (and checked to be PEM) when settings load.
#[derive(Clone, Default)]
pub struct TemporalTls {
    /// PEM of the CA that signed the server's certificate; the system roots without it.
    pub ca_pem: Option<Vec<u8>>,
    /// The name the server's certificate is checked against, when not the address's host.
    pub server_name: Option<String>,
    /// Client certificate and key for mTLS.
    pub client: Option<ClientCertificate>,
}

/// A client certificate chain and its private key, both PEM.
#[derive(Clone)]
pub struct ClientCertificate {
    pub cert_pem: Vec<u8>,
    pub key_pem: Vec<u8>,
}

impl fmt::Debug for TemporalTls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TemporalTls")
            .field("ca", &self.ca_pem.as_ref().map(|_| "custom"))
            .field("server_name", &self.server_name)
            .field("client_certificate", &self.client.as_ref().map(|_| "set"))
            .finish()
    }
}

impl TemporalSettings {
    pub(super) fn read(src: &Source<'_>) -> Result<Self, SettingsError> {
        let mut address = src.get("temporal.address", parse::http_url)?;
        let api_key = api_key(src)?;
        let tls = tls(src, &address, api_key.as_ref().map(|(key, _)| *key))?;
        if tls.is_some() && address.scheme() == "http" {
            // tonic only speaks TLS to an `https` URI, whatever its TLS options say.
            let _ = address.set_scheme("https");
        }
        Ok(Self {
            address,
            namespace: src.get("temporal.namespace", parse::name)?,
            task_queue: src.get("temporal.task_queue", parse::name)?,
            ui_url: src.get("temporal.ui_url", parse::http_url)?,
            tls,
            api_key: api_key.map(|(_, secret)| secret),
        })
    }
}

/// The API key and the key it was read from.
fn api_key(src: &Source<'_>) -> Result<Option<(&'static str, SecretString)>, SettingsError> {
    not_both(
        "temporal.api_key",
        src.optional_text("temporal.api_key")?.is_some(),
        "temporal.api_key_file",
        src.optional_text("temporal.api_key_file")?.is_some(),
    )?;
    if let Some(secret) = src.optional("temporal.api_key", parse::secret_text)? {
        return Ok(Some(("temporal.api_key", secret)));
    }
    Ok(src
        .optional("temporal.api_key_file", parse::secret_file)?
        .map(|secret| ("temporal.api_key_file", secret)))
}

/// TLS is on when asked for, when the address is `https://`, or when any TLS key or an API
/// key is set; asking for it off while any of those says otherwise is refused rather than
/// guessed.
fn tls(
    src: &Source<'_>,
    address: &Url,
    api_key_from: Option<&'static str>,
) -> Result<Option<TemporalTls>, SettingsError> {
    let asked = src.optional("temporal.tls", parse::flag)?;
    let mut implied_by = None;
    for key in TLS_KEYS {
        if src.optional_text(key)?.is_some() {
            implied_by.get_or_insert(key);
        }
    }
    if let Some(key) = api_key_from {
        implied_by.get_or_insert(key);
    }
    if address.scheme() == "https" {
        implied_by.get_or_insert("temporal.address");
    }
    let on = match (asked, implied_by) {
        (Some(false), Some(key)) => {
            return Err(SettingsError::new(
                "temporal.tls",
                format!(
                    "is false, but {key} is set and needs TLS; remove one of them (an API key is never sent in plain text)"
                ),
            ));
        }
        (Some(on), None) => on,
        (_, Some(_)) => true,
        (None, None) => src.get("temporal.tls", parse::flag)?,
    };
    if !on {
        return Ok(None);
    }
    let cert = src.optional("temporal.tls_cert_file", parse::pem_certificates)?;
    let key = src.optional("temporal.tls_key_file", parse::pem_private_key)?;
    let client = match (cert, key) {
        (Some(cert_pem), Some(key_pem)) => Some(ClientCertificate { cert_pem, key_pem }),
        (None, None) => None,
        (Some(_), None) => {
            return Err(SettingsError::new(
                "temporal.tls_key_file",
                "is missing; mTLS needs the private key of temporal.tls_cert_file too",
            ));
        }
        (None, Some(_)) => {
            return Err(SettingsError::new(
                "temporal.tls_cert_file",
                "is missing; mTLS needs the client certificate of temporal.tls_key_file too",
            ));
        }
    };
    Ok(Some(TemporalTls {
        ca_pem: src.optional("temporal.tls_ca_file", parse::pem_certificates)?,
        server_name: src.optional("temporal.tls_server_name", parse::server_name)?,
        client,
    }))
}

/// Deep link to a workflow in the Temporal web UI.
pub fn workflow_url(ui_url: &Url, namespace: &str, workflow_id: &str) -> String {
    let base = ui_url.as_str().trim_end_matches('/');
    let id: String = url::form_urlencoded::byte_serialize(workflow_id.as_bytes()).collect();
    format!("{base}/namespaces/{namespace}/workflows/{id}")
}
