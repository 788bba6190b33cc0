//! A small HTTP client for JSON and text endpoints (agents, metrics and log sources), over the
//! same hyper stack and TLS roots as the Slack client.

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::{Client as HyperClient, connect::HttpConnector};
use hyper_util::rt::TokioExecutor;
use std::time::Duration;

/// Largest response body read, in bytes.
pub const MAX_RESPONSE: usize = 1024 * 1024;

/// An HTTP client; cheap to clone.
#[derive(Clone)]
pub struct Http {
    inner: HyperClient<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>,
}

impl std::fmt::Debug for Http {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Http").finish_non_exhaustive()
    }
}

/// The connector every outgoing call uses: HTTPS with bundled web roots (no system CA store
/// needed), plain HTTP for loopback stand-ins.
pub fn connector() -> hyper_rustls::HttpsConnector<HttpConnector> {
    hyper_rustls::HttpsConnectorBuilder::new()
        .with_webpki_roots()
        .https_or_http()
        .enable_http1()
        .enable_http2()
        .build()
}

/// An answer: status and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// HTTP status code.
    pub status: u16,
    /// `Retry-After` in seconds, when sent.
    pub retry_after: Option<u64>,
    /// Slack's `x-oauth-scopes` (the token's scopes), when sent.
    pub scopes: Option<String>,
    /// The body.
    pub body: Bytes,
}

/// Why a request got no answer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HttpError {
    /// The URL or request could not be built.
    #[error("bad request: {0}")]
    Request(String),
    /// Connecting or transferring failed.
    #[error("{0}")]
    Transport(String),
    /// No answer in time.
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    /// The body is over [`MAX_RESPONSE`].
    #[error("response larger than {MAX_RESPONSE} bytes")]
    TooLarge,
}

impl Default for Http {
    fn default() -> Self {
        Self::new()
    }
}

impl Http {
    /// A client speaking HTTPS (bundled web roots) and plain HTTP.
    pub fn new() -> Self {
        Self {
            inner: HyperClient::builder(TokioExecutor::new()).build(connector()),
        }
    }

    /// `GET url`.
    pub async fn get(&self, url: &str, timeout: Duration) -> Result<Response, HttpError> {
        self.get_with(url, &[], timeout).await
    }

    /// `GET url` with extra `headers`; the answer keeps the response headers asked for in
    /// `Response::headers`.
    pub async fn get_with(
        &self,
        url: &str,
        headers: &[(&str, &str)],
        timeout: Duration,
    ) -> Result<Response, HttpError> {
        let mut req = hyper::Request::get(url).header("accept", "application/json, text/plain");
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let req = req
            .body(Full::new(Bytes::new()))
            .map_err(|e| HttpError::Request(e.to_string()))?;
        self.send(req, timeout).await
    }

    /// `POST url` with a JSON body.
    pub async fn post_json(
        &self,
        url: &str,
        body: &serde_json::Value,
        timeout: Duration,
    ) -> Result<Response, HttpError> {
        let bytes = serde_json::to_vec(body).map_err(|e| HttpError::Request(e.to_string()))?;
        self.post(
            url,
            &[("content-type", "application/json")],
            Bytes::from(bytes),
            timeout,
        )
        .await
    }

    /// `POST url` with `body` and extra `headers`.
    pub async fn post(
        &self,
        url: &str,
        headers: &[(&str, &str)],
        body: Bytes,
        timeout: Duration,
    ) -> Result<Response, HttpError> {
        let mut req = hyper::Request::post(url).header("accept", "application/json");
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let req = req
            .body(Full::new(body))
            .map_err(|e| HttpError::Request(e.to_string()))?;
        self.send(req, timeout).await
    }

    async fn send(
        &self,
        req: hyper::Request<Full<Bytes>>,
        timeout: Duration,
    ) -> Result<Response, HttpError> {
        let call = async {
            let resp = self
                .inner
                .request(req)
                .await
                .map_err(|e| HttpError::Transport(transport_message(&e)))?;
            let status = resp.status().as_u16();
            let retry_after = resp
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse().ok());
            let scopes = resp
                .headers()
                .get("x-oauth-scopes")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let body = Limited::new(resp.into_body(), MAX_RESPONSE)
                .collect()
                .await
                .map_err(|e| {
                    if e.is::<http_body_util::LengthLimitError>() {
                        HttpError::TooLarge
                    } else {
                        HttpError::Transport(e.to_string())
                    }
                })?
                .to_bytes();
            Ok(Response {
                status,
                retry_after,
                scopes,
                body,
            })
        };
        tokio::time::timeout(timeout, call)
            .await
            .map_err(|_| HttpError::Timeout(timeout))?
    }
}

/// hyper-util's error text is "client error (Connect)"; the cause underneath says what failed.
fn transport_message(e: &hyper_util::client::legacy::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text = format!("{text}: {s}");
        source = s.source();
    }
    text
}

/// Whether `headers` carry `Authorization: Bearer <token>`. Digests are compared, so the time
/// taken says nothing about how much of the token matched.
pub fn bearer_matches(headers: &hyper::HeaderMap, token: &secrecy::SecretString) -> bool {
    use secrecy::ExposeSecret as _;
    let Some(given) = headers
        .get(hyper::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return false;
    };
    let digest = |v: &[u8]| ring::digest::digest(&ring::digest::SHA256, v);
    digest(given.trim().as_bytes()).as_ref() == digest(token.expose_secret().as_bytes()).as_ref()
}
