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
    /// The server hung up at once after TLS was set up: what a server does that wants a client
    /// certificate it did not get (or did not accept), when its alert is lost in the hang-up.
    #[error(
        "cannot reach Temporal at {address} ({address_key}): the server closed the connection right after the TLS handshake ({detail}), as one does that requires a client certificate it did not get or does not accept; check {cert} and {key}, and the server's mTLS settings",
        address_key = env_key("temporal.address"),
        cert = env_key("temporal.tls_cert_file"),
        key = env_key("temporal.tls_key_file"),
    )]
    ClosedAfterTls {
        /// The address tried.
        address: String,
        /// What the transport said.
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
            match settings.tls.as_ref().map(|_| failure(&detail)) {
                Some(Failure::Tls) => ConnectError::Tls { address, detail },
                Some(Failure::Closed) => ConnectError::ClosedAfterTls { address, detail },
                _ => ConnectError::Unreachable { address, detail },
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

/// How a connection over TLS failed, read from its error text.
#[derive(Debug, PartialEq, Eq)]
enum Failure {
    /// rustls (or the server, through a TLS alert) ended it: a certificate refused either way,
    /// a failed handshake, or a peer that does not speak TLS at all.
    Tls,
    /// The connection was closed or reset before the first answer.
    Closed,
    /// Something else.
    Other,
}

fn failure(detail: &str) -> Failure {
    let detail = detail.to_ascii_lowercase();
    let has = |needles: &[&str]| needles.iter().any(|n| detail.contains(n));
    if has(&[
        "certificate",
        "tls",
        "handshake",
        "fatal alert",
        "corrupt message",
    ]) {
        Failure::Tls
    } else if has(&["connection closed", "connection reset", "broken pipe"]) {
        Failure::Closed
    } else {
        Failure::Other
    }
}

/// The client options both processes and the CLI use: the namespace, and the data converter
/// that encrypts payloads when `codec.keys` is set.
pub fn client_options(settings: &crate::Settings) -> temporalio_client::ClientOptions {
    temporalio_client::ClientOptions::new(settings.temporal.namespace.clone())
        .data_converter(crate::codec::data_converter(settings.codec.keys.as_ref()))
        .build()
}

/// The workers the server has seen polling `task_queue` for workflow tasks (for `doctor` and
/// the worker's readiness).
pub async fn workflow_pollers(
    client: &temporalio_client::Client,
    namespace: &str,
    task_queue: &str,
) -> Result<
    Vec<temporalio_common::protos::temporal::api::taskqueue::v1::PollerInfo>,
    temporalio_client::tonic::Status,
> {
    use temporalio_common::protos::temporal::api::enums::v1::{TaskQueueKind, TaskQueueType};
    use temporalio_common::protos::temporal::api::taskqueue::v1::TaskQueue;
    use temporalio_common::protos::temporal::api::workflowservice::v1::DescribeTaskQueueRequest;
    let mut request = temporalio_client::tonic::Request::new(DescribeTaskQueueRequest {
        namespace: namespace.to_owned(),
        task_queue: Some(TaskQueue {
            name: task_queue.to_owned(),
            kind: TaskQueueKind::Normal as i32,
            ..Default::default()
        }),
        task_queue_type: TaskQueueType::Workflow as i32,
        ..Default::default()
    });
    request.set_timeout(std::time::Duration::from_secs(5));
    let mut svc = client.connection().workflow_service();
    Ok(svc.describe_task_queue(request).await?.into_inner().pollers)
}

#[cfg(test)]
mod tests {
    use super::{Failure, failure};

    #[test]
    fn tls_failures_are_told_apart_from_the_rest() {
        for (detail, want) in [
            (
                "transport error: invalid peer certificate: UnknownIssuer",
                Failure::Tls,
            ),
            (
                "transport error: invalid peer certificate: NotValidForName",
                Failure::Tls,
            ),
            (
                "Unknown: transport error: connection error: received fatal alert: CertificateRequired",
                Failure::Tls,
            ),
            (
                "transport error: received corrupt message of type InvalidContentType",
                Failure::Tls,
            ),
            (
                "Cancelled: operation was canceled: transport error: connection closed",
                Failure::Closed,
            ),
            ("Unknown: connection reset by peer", Failure::Closed),
            (
                "transport error: tcp connect error: Connection refused (os error 111)",
                Failure::Other,
            ),
            ("Unauthenticated: invalid API key", Failure::Other),
        ] {
            assert_eq!(failure(detail), want, "{detail}");
        }
    }
}
