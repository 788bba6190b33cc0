//! The alert intake endpoint: `POST /alerts` (bearer token) and `GET /healthz`.
//!
//! A body is parsed whole before anything is sent on: a malformed one gets a 4xx naming the
//! problem and changes nothing. Each alert is then signalled to `ContinuousMonitoring` (started
//! on first use), which de-duplicates by fingerprint.

use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use secrecy::ExposeSecret;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use tokio::task::JoinHandle;

use crate::App;

/// The running endpoint.
#[derive(Debug)]
pub struct Intake {
    /// Where it listens.
    pub addr: std::net::SocketAddr,
    stop: tokio::sync::oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl Intake {
    /// Stops accepting and waits for requests in flight.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

/// Binds `alerts.listen` and serves, when `alerts.token` is set; `None` (and a log line)
/// otherwise.
pub async fn spawn(app: Arc<App>) -> anyhow::Result<Option<Intake>> {
    if app.settings.alerts.token.is_none() {
        tracing::info!("alert intake is off: set CHATOPS__ALERTS__TOKEN to turn it on");
        return Ok(None);
    }
    let listen = app.settings.alerts.listen;
    let listener = tokio::net::TcpListener::bind(listen).await.map_err(|e| {
        anyhow::anyhow!("cannot listen for alerts on {listen} (CHATOPS__ALERTS__LISTEN): {e}")
    })?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let router = router(app);
    let task = tokio::spawn(async move {
        let served = axum::serve(listener, router)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await;
        if let Err(e) = served {
            tracing::error!(error = %e, "alert intake stopped");
        }
    });
    tracing::info!(%addr, "alert intake listening (POST /alerts)");
    Ok(Some(Intake { addr, stop, task }))
}

/// The endpoint's routes.
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/alerts", post(receive))
        .route("/healthz", get(|| async { "ok" }))
        // Refuse oversized bodies in the parser, with its message, rather than axum's.
        .layer(DefaultBodyLimit::max(super::MAX_BODY + 1))
        .with_state(app)
}

async fn receive(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if !authorized(&app, &headers) {
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
        return refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send the alert as application/json",
        );
    }
    let alerts = match super::parse(&body) {
        Ok(a) => a,
        Err(e) => {
            tracing::info!(error = %e, "alert refused");
            let status = match e {
                super::AlertError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
                _ => StatusCode::BAD_REQUEST,
            };
            return refuse(status, &e.to_string());
        }
    };
    let mut accepted = Vec::new();
    for alert in &alerts {
        if let Err(e) = app.temporal.send_alert(alert).await {
            tracing::error!(error = %e, fingerprint = %alert.fingerprint, "alert not delivered");
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
