//! The one way both processes (and the bot's doctor and CLI) connect to Temporal: address,
//! TLS, mTLS and API key all come from [`TemporalSettings`].

use crate::settings::{TemporalSettings, env_key};
use secrecy::ExposeSecret;
use std::error::Error as _;
use temporalio_client::{ClientTlsOptions, Connection, ConnectionOptions, TlsOptions};

/// Why [`connect`] failed, said so that the operator knows which setting to look at.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectError {
    /// The TLS handshake failed: the server's certificate was not trusted or not for this name,
    /// the server wanted a client certificate, or it does not speak TLS.
    #[error(
        "cannot reach Temporal at {address} ({address_key}): the TLS handshake failed ({detail}); check {ca} (the CA that signed the server's certificate), {name} (the name in it), and, if the server requires mTLS, {cert} and {key}",
        address_key = env_key("temporal.address"),
        ca = env_key("temporal.tls_ca_file"),
        name = env_key("temporal.tls_server_name"),
        cert = env_key("temporal.tls_cert_file"),
        key = env_key("temporal.tls_key_file"),
    )]
    Tls {
        /// The address tried.
        address: String,
        /// What the TLS layer said.
        detail: String,
    },
    /// Anything else: nothing listens there, the server answered an error, a bad API key.
    #[error(
        "cannot reach Temporal at {address} ({address_key}): {detail}",
        address_key = env_key("temporal.address")
    )]
    Unreachable {
        /// The address tried.
        address: String,
        /// What went wrong, with its causes.
        detail: String,
    },
}

/// The connection options `settings` describe, for `identity` (e.g. `chatops-bot@1234`).
pub fn connection_options(settings: &TemporalSettings, identity: String) -> ConnectionOptions {
    let tls = settings.tls.as_ref().map(|tls| {
        // The API key alone does not turn TLS on in the SDK, so TLS options are always given.
        TlsOptions::builder()
            .maybe_server_root_ca_cert(tls.ca_pem.clone())
            .maybe_domain(tls.server_name.clone())
            .maybe_client_tls_options(tls.client.as_ref().map(|c| {
                ClientTlsOptions::builder()
                    .client_cert(c.cert_pem.clone())
                    .client_private_key(c.key_pem.clone())
                    .build()
            }))
            .build()
    });
    ConnectionOptions::new(settings.address.clone())
        .identity(identity)
        .maybe_tls_options(tls)
        .maybe_api_key(
            settings
                .api_key
                .as_ref()
                .map(|k| k.expose_secret().to_owned()),
        )
        .build()
}

/// Connects to the frontend `settings` name, as `identity`.
pub async fn connect(
    settings: &TemporalSettings,
    identity: String,
) -> Result<Connection, ConnectError> {
    let address = settings.address.to_string();
    Connection::connect(connection_options(settings, identity))
        .await
        .map_err(|e| {
            let detail = causes(&e);
            if settings.tls.is_some() && is_tls_failure(&detail) {
                ConnectError::Tls { address, detail }
            } else {
                ConnectError::Unreachable { address, detail }
            }
        })
}

/// The error and its sources, one after another, without repeats.
fn causes(e: &temporalio_client::errors::ClientConnectError) -> String {
    use temporalio_client::errors::ClientConnectError as E;
    let mut parts: Vec<String> = Vec::new();
    let mut push = |s: String| {
        if !parts.iter().any(|p| p.contains(&s)) {
            parts.push(s);
        }
    };
    match e {
        E::TonicTransportError(t) => {
            push(t.to_string());
            let mut source = t.source();
            while let Some(s) = source {
                push(s.to_string());
                source = s.source();
            }
        }
        E::SystemInfoCallError(status) => {
            push(format!("{:?}: {}", status.code(), status.message()));
            let mut source = status.source();
            while let Some(s) = source {
                push(s.to_string());
                source = s.source();
            }
        }
        other => push(other.to_string()),
    }
    parts.join(": ")
}

/// Whether rustls (or the server, through a TLS alert) ended the connection: a certificate
/// refused either way, a failed handshake, or a peer that does not speak TLS at all.
fn is_tls_failure(detail: &str) -> bool {
    let detail = detail.to_ascii_lowercase();
    [
        "certificate",
        "tls",
        "handshake",
        "fatal alert",
        "corrupt message",
    ]
    .iter()
    .any(|needle| detail.contains(needle))
}

#[cfg(test)]
mod tests {
    use super::is_tls_failure;

    #[test]
    fn tls_failures_are_told_apart_from_the_rest() {
        for (detail, tls) in [
            (
                "transport error: invalid peer certificate: UnknownIssuer",
                true,
            ),
            (
                "transport error: invalid peer certificate: NotValidForName",
                true,
            ),
            (
                "Unknown: transport error: connection error: received fatal alert: CertificateRequired",
                true,
            ),
            (
                "transport error: received corrupt message of type InvalidContentType",
                true,
            ),
            (
                "transport error: tcp connect error: Connection refused (os error 111)",
                false,
            ),
            ("Unauthenticated: invalid API key", false),
        ] {
            assert_eq!(is_tls_failure(detail), tls, "{detail}");
        }
    }
}
