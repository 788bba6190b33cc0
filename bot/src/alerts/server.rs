//! The alert intake endpoint: `POST /alerts` (bearer token) and `GET /healthz`.
//!
//! A body is parsed whole before anything is sent on: a malformed one gets a 4xx naming the
//! problem and changes nothing. Each alert is then signalled to `ContinuousMonitoring` (started
//! on first use), which de-duplicates by fingerprint.
//!
//! Slow and numerous senders are bounded: a body must arrive within `alerts.request_timeout`
//! of its headers (else 408), and at most `alerts.max_in_flight` requests are handled at once
//! (beyond that, 503 with Retry-After at once, rather than a queue that grows). The probes and
//! `/metrics` are outside the limit, so they answer while it is reached.

use axum::body::Bytes;
use axum::error_handling::HandleErrorLayer;
use axum::extract::{DefaultBodyLimit, FromRequest, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{BoxError, Json, Router};
use chatops_common::metrics::Metrics;
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;
use tower::ServiceBuilder;

use crate::App;

/// The running endpoint.
#[derive(Debug)]
pub struct Intake {
    endpoint: chatops_common::metrics::Endpoint,
}

impl Intake {
    /// Where it listens.
    pub fn addr(&self) -> std::net::SocketAddr {
        self.endpoint.addr
    }

    /// Stops accepting and waits for requests in flight.
    pub async fn stop(self) {
        self.endpoint.stop().await;
    }
}

/// Binds `alerts.listen` and serves `/alerts` (when `alerts.token` is set) with `/healthz`,
/// `/readyz` (ready once `ready` is set) and `/metrics`.
pub async fn spawn(app: Arc<App>, ready: Arc<AtomicBool>) -> anyhow::Result<Intake> {
    let listen = app.settings.alerts.listen;
    if app.settings.alerts.token.is_none() {
        tracing::info!("alert intake is off: set CHATOPS__ALERTS__TOKEN to turn it on");
    }
    let mut routes = router(app.clone());
    if let Some(codec) = codec_server(&app.settings.codec) {
        tracing::info!(
            keys = ?codec.codec.key_ids(),
            origins = ?codec.origins,
            "codec server on: POST /codec/encode, /codec/decode"
        );
        routes = routes.merge(chatops_common::codec::server::router(Arc::new(codec)));
    }
    let endpoint = chatops_common::metrics::Endpoint::start(
        listen,
        "CHATOPS__ALERTS__LISTEN",
        chatops_common::metrics::router(ready, routes),
    )
    .await?;
    tracing::info!(addr = %endpoint.addr, "listening: POST /alerts, /healthz, /readyz, /metrics");
    Ok(Intake { endpoint })
}

/// The codec server, when there are keys and a token for it.
fn codec_server(
    settings: &chatops_common::settings::CodecSettings,
) -> Option<chatops_common::codec::server::CodecServer> {
    let keys = settings.keys.as_ref()?;
    let Some(token) = settings.server_token.clone() else {
        tracing::info!(
            "payloads are encrypted; the codec server is off: set CHATOPS__CODEC__SERVER_TOKEN to let the Temporal UI and CLI read them"
        );
        return None;
    };
    Some(chatops_common::codec::server::CodecServer {
        codec: chatops_common::codec::EncryptionCodec::new(keys.clone()),
        token,
        origins: settings.server_origins.clone(),
    })
}

/// How long a sender turned away for load is asked to wait, in seconds.
const RETRY_AFTER_SECS: u64 = 1;

/// The alert route, handling at most `alerts.max_in_flight` requests at once.
pub fn router(app: Arc<App>) -> Router {
    let max_in_flight = usize::try_from(app.settings.alerts.max_in_flight).unwrap_or(usize::MAX);
    Router::new()
        .route("/alerts", post(receive))
        // Refuse oversized bodies in the parser, with its message, rather than axum's.
        .layer(DefaultBodyLimit::max(super::MAX_BODY + 1))
        .layer(
            ServiceBuilder::new()
                .layer(HandleErrorLayer::new(overloaded))
                .load_shed()
                .concurrency_limit(max_in_flight),
        )
        .with_state(app)
}

/// The answer when every slot is taken (load shedding is the only error the layers raise).
async fn overloaded(error: BoxError) -> Response {
    let metrics = chatops_common::metrics::get();
    Metrics::count(&metrics.alerts, "overloaded");
    let reason = if error.is::<tower::load_shed::error::Overloaded>() {
        "too many alert requests at once (CHATOPS__ALERTS__MAX_IN_FLIGHT); retry after a second"
            .to_owned()
    } else {
        format!("the alert request could not be handled ({error}); retry after a second")
    };
    let mut response = refuse(StatusCode::SERVICE_UNAVAILABLE, &reason);
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECS));
    response
}

async fn receive(State(app): State<Arc<App>>, request: Request) -> Response {
    let metrics = chatops_common::metrics::get();
    let headers = request.headers();
    if app.settings.alerts.token.is_none() {
        Metrics::count(&metrics.alerts, "intake_off");
        return refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "alert intake is off: set CHATOPS__ALERTS__TOKEN on the bot",
        );
    }
    if !authorized(&app, headers) {
        Metrics::count(&metrics.alerts, "unauthorized");
        return refuse(
            StatusCode::UNAUTHORIZED,
            "missing or wrong bearer token (Authorization: Bearer <CHATOPS__ALERTS__TOKEN>)",
        );
    }
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|v| v.starts_with("application/json"));
    if !is_json {
        Metrics::count(&metrics.alerts, "refused");
        return refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send the alert as application/json",
        );
    }
    // Only an authorised sender is waited for, and not for long.
    let limit = app.settings.alerts.request_timeout;
    let Ok(body) = tokio::time::timeout(limit, Bytes::from_request(request, &())).await else {
        Metrics::count(&metrics.alerts, "timeout");
        return timed_out(limit);
    };
    // A body over the limit is cut off while it arrives; it is answered like any other refusal.
    let body = match body {
        Ok(body) => body,
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            Metrics::count(&metrics.alerts, "too_large");
            return refuse(
                StatusCode::PAYLOAD_TOO_LARGE,
                &format!("body is over the limit of {} bytes", super::MAX_BODY),
            );
        }
        Err(rejection) => {
            Metrics::count(&metrics.alerts, "refused");
            return refuse(rejection.status(), &rejection.body_text());
        }
    };
    let alerts = match super::parse(&body) {
        Ok(a) => a,
        Err(e) => {
            tracing::info!(error = %e, "alert refused");
            let (status, kind) = match e {
                super::AlertError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
                _ => (StatusCode::BAD_REQUEST, "refused"),
            };
            Metrics::count(&metrics.alerts, kind);
            return refuse(status, &e.to_string());
        }
    };
    let mut accepted = Vec::new();
    for alert in &alerts {
        if let Err(e) = app.temporal.send_alert(alert).await {
            tracing::error!(error = %e, fingerprint = %alert.fingerprint, "alert not delivered");
            Metrics::count(&metrics.alerts, "unavailable");
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({
                    "error": format!("could not hand the alert to Temporal: {e}; retry the request"),
                    "accepted": accepted.len(),
                    "total": alerts.len(),
                })),
            )
                .into_response();
        }
        accepted.push(json!({
            "fingerprint": alert.fingerprint,
            "service": alert.service,
            "status": alert.status,
            "severity": alert.severity,
        }));
    }
    tracing::info!(count = accepted.len(), "alerts accepted");
    Metrics::count(&metrics.alerts, "accepted");
    (
        StatusCode::ACCEPTED,
        Json(json!({ "accepted": accepted.len(), "alerts": accepted })),
    )
        .into_response()
}

/// The alert token, when intake is on.
fn authorized(app: &App, headers: &HeaderMap) -> bool {
    app.settings
        .alerts
        .token
        .as_ref()
        .is_some_and(|token| chatops_common::http::bearer_matches(headers, token))
}

/// 408, and the connection closed: the rest of a body that came too slowly is not read.
fn timed_out(limit: Duration) -> Response {
    let reason = format!(
        "the request body did not arrive within {} (CHATOPS__ALERTS__REQUEST_TIMEOUT); send it whole, promptly",
        humantime::format_duration(limit)
    );
    let mut response = refuse(StatusCode::REQUEST_TIMEOUT, &reason);
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

fn refuse(status: StatusCode, reason: &str) -> Response {
    (status, Json(json!({ "error": reason }))).into_response()
}

#[cfg(test)]
mod tests;
