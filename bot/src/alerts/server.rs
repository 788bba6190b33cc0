//! The alert intake endpoint: `POST /alerts` (bearer token) and `GET /healthz`.
//!
//! A body is parsed whole before anything is sent on: a malformed one gets a 4xx naming the
//! problem and changes nothing. Each alert is then signalled to `ContinuousMonitoring` (started
//! on first use), which de-duplicates by fingerprint.

use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use chatops_common::metrics::Metrics;
use secrecy::ExposeSecret;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

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
    let endpoint = chatops_common::metrics::Endpoint::start(
        listen,
        "CHATOPS__ALERTS__LISTEN",
        chatops_common::metrics::router(ready, router(app)),
    )
    .await?;
    tracing::info!(addr = %endpoint.addr, "listening: POST /alerts, /healthz, /readyz, /metrics");
    Ok(Intake { endpoint })
}

/// The alert route.
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/alerts", post(receive))
        // Refuse oversized bodies in the parser, with its message, rather than axum's.
        .layer(DefaultBodyLimit::max(super::MAX_BODY + 1))
        .with_state(app)
}

async fn receive(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Result<axum::body::Bytes, BytesRejection>,
) -> Response {
    let metrics = chatops_common::metrics::get();
    if app.settings.alerts.token.is_none() {
        Metrics::count(&metrics.alerts, "intake_off");
        return refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "alert intake is off: set CHATOPS__ALERTS__TOKEN on the bot",
        );
    }
    if !authorized(&app, &headers) {
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

/// Compares digests, so the time taken says nothing about how much of the token matched.
fn authorized(app: &App, headers: &HeaderMap) -> bool {
    let Some(token) = &app.settings.alerts.token else {
        return false;
    };
    let Some(given) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return false;
    };
    Sha256::digest(given.trim().as_bytes()) == Sha256::digest(token.expose_secret().as_bytes())
}

fn refuse(status: StatusCode, reason: &str) -> Response {
    (status, Json(json!({ "error": reason }))).into_response()
}
