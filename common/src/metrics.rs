//! Process metrics in the Prometheus text format, and the small HTTP server both processes run
//! for `/healthz`, `/readyz` and `/metrics`.

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

/// One label.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Kind {
    /// What is counted: an envelope type, a workflow type, a signal name, an outcome.
    pub kind: String,
}

/// Two labels.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct NameOutcome {
    /// The thing.
    pub name: String,
    /// How it went.
    pub outcome: String,
}

/// Every metric either process reports.
#[derive(Debug)]
pub struct Metrics {
    /// Socket Mode envelopes received, by type.
    pub envelopes: Family<Kind, Counter>,
    /// Time from receiving an envelope to acking it, in seconds.
    pub ack_seconds: Histogram,
    /// Workflow starts, by workflow type.
    pub workflow_starts: Family<Kind, Counter>,
    /// Signals and updates sent, by name and outcome.
    pub signals: Family<NameOutcome, Counter>,
    /// Slack Web API errors, by method and kind (`rate_limited`, `permanent`, `transient`).
    pub slack_errors: Family<NameOutcome, Counter>,
    /// Posts waiting for their channel's slot.
    pub slack_queue_depth: Gauge,
    /// Alert bodies received, by outcome.
    pub alerts: Family<Kind, Counter>,
    registry: Registry,
}

impl Metrics {
    fn new() -> Self {
        let envelopes = Family::<Kind, Counter>::default();
        let ack_seconds = Histogram::new([0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 3.0]);
        let workflow_starts = Family::<Kind, Counter>::default();
        let signals = Family::<NameOutcome, Counter>::default();
        let slack_errors = Family::<NameOutcome, Counter>::default();
        let slack_queue_depth = Gauge::default();
        let alerts = Family::<Kind, Counter>::default();
        let mut registry = Registry::with_prefix("chatops");
        registry.register(
            "slack_envelopes",
            "Socket Mode envelopes received",
            envelopes.clone(),
        );
        registry.register(
            "slack_ack_seconds",
            "Time from envelope to ack",
            ack_seconds.clone(),
        );
        registry.register(
            "workflow_starts",
            "Workflows started",
            workflow_starts.clone(),
        );
        registry.register("signals", "Signals and updates sent", signals.clone());
        registry.register(
            "slack_api_errors",
            "Slack Web API errors",
            slack_errors.clone(),
        );
        registry.register(
            "slack_queue_depth",
            "Posts waiting for their channel's rate slot",
            slack_queue_depth.clone(),
        );
        registry.register("alerts", "Alert bodies received", alerts.clone());
        Self {
            envelopes,
            ack_seconds,
            workflow_starts,
            signals,
            slack_errors,
            slack_queue_depth,
            alerts,
            registry,
        }
    }

    /// The text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }

    /// Counts one of `family` under `kind`.
    pub fn count(family: &Family<Kind, Counter>, kind: &str) {
        family
            .get_or_create(&Kind {
                kind: kind.to_owned(),
            })
            .inc();
    }

    /// Counts one of `family` under `name` and `outcome`.
    pub fn count2(family: &Family<NameOutcome, Counter>, name: &str, outcome: &str) {
        family
            .get_or_create(&NameOutcome {
                name: name.to_owned(),
                outcome: outcome.to_owned(),
            })
            .inc();
    }
}

/// The process's metrics.
pub fn get() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(Metrics::new)
}

/// `/healthz` (the process runs), `/readyz` (503 until `ready` is set) and `/metrics`, merged
/// with `extra` routes.
pub fn router(ready: Arc<AtomicBool>, extra: Router) -> Router {
    Router::new()
        .route("/healthz", axum::routing::get(|| async { "ok" }))
        .route(
            "/readyz",
            axum::routing::get(move || {
                let ready = ready.load(Ordering::SeqCst);
                async move {
                    if ready {
                        (StatusCode::OK, "ready")
                    } else {
                        (StatusCode::SERVICE_UNAVAILABLE, "starting")
                    }
                }
            }),
        )
        .route(
            "/metrics",
            axum::routing::get(|| async {
                (
                    [(
                        header::CONTENT_TYPE,
                        "application/openmetrics-text; version=1.0.0; charset=utf-8",
                    )],
                    get().render(),
                )
                    .into_response()
            }),
        )
        .merge(extra)
}

/// A running operations endpoint.
#[derive(Debug)]
pub struct Endpoint {
    /// Where it listens.
    pub addr: std::net::SocketAddr,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl Endpoint {
    /// Binds `listen` and serves `router`; the error names `key` (the setting) when the address
    /// is taken.
    pub async fn start(
        listen: std::net::SocketAddr,
        key: &str,
        router: Router,
    ) -> anyhow::Result<Self> {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {listen} ({key}): {e}"))?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let served = axum::serve(listener, router)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
            if let Err(e) = served {
                tracing::error!(error = %e, "operations endpoint stopped");
            }
        });
        Ok(Self { addr, stop, task })
    }

    /// Stops accepting and waits for requests in flight.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_show_in_the_exposition() {
        let m = get();
        Metrics::count(&m.workflow_starts, "FeatureDelivery");
        Metrics::count2(&m.slack_errors, "chat.postMessage", "rate_limited");
        let text = m.render();
        assert!(
            text.contains("chatops_workflow_starts_total{kind=\"FeatureDelivery\"} 1"),
            "{text}"
        );
        assert!(
            text.contains(
                "chatops_slack_api_errors_total{name=\"chat.postMessage\",outcome=\"rate_limited\"} 1"
            ),
            "{text}"
        );
        assert!(text.ends_with("# EOF\n"), "{text}");
    }
}
