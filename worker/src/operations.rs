//! The worker's operations endpoint beyond `/healthz` and chatops' own `/metrics`:
//!
//! - `/metrics/temporal`: the Temporal SDK's own metrics (poll and task latencies, slots,
//!   sticky cache, request failures), in Prometheus' text format. The SDK's exporter serves them
//!   on a loopback port of its own; this route relays them, so one listener carries both.
//! - `/readyz`: ready only while the Temporal server lists this worker among the pollers of its
//!   task queue, checked every few seconds, so a worker whose polls are refused (an expired
//!   certificate, a deleted namespace, an unreachable server) is taken out of rotation.

use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use temporalio_client::Client;
use temporalio_common::telemetry::metrics::CoreMeter;
use temporalio_common::telemetry::{PrometheusExporterOptions, start_prometheus_metric_exporter};

/// How often readiness is re-checked once ready (and while not, a little more often).
const READY_EVERY: Duration = Duration::from_secs(5);
const NOT_READY_EVERY: Duration = Duration::from_millis(250);

/// The SDK's metrics exporter, on a loopback port of its own.
pub struct SdkMetrics {
    pub meter: Arc<dyn CoreMeter>,
    addr: SocketAddr,
}

impl SdkMetrics {
    /// Starts the exporter (counters with `_total`, durations in seconds, units in names, as
    /// Prometheus expects), with `task_queue` and `namespace` on every series.
    pub fn start(namespace: &str, task_queue: &str) -> anyhow::Result<Self> {
        let options = PrometheusExporterOptions::builder()
            .socket_addr(SocketAddr::from(([127, 0, 0, 1], 0)))
            .counters_total_suffix(true)
            .unit_suffix(true)
            .use_seconds_for_durations(true)
            .global_tags(std::collections::HashMap::from([
                ("chatops_namespace".to_owned(), namespace.to_owned()),
                ("chatops_task_queue".to_owned(), task_queue.to_owned()),
            ]))
            .build();
        let started = start_prometheus_metric_exporter(options).map_err(|e| {
            anyhow::anyhow!("cannot start the Temporal SDK's metrics exporter: {e}")
        })?;
        Ok(Self {
            meter: started.meter,
            addr: started.bound_addr,
        })
    }

    /// `GET /metrics/temporal`, relayed from the exporter.
    pub fn route(&self) -> axum::Router {
        let url = format!("http://{}/metrics", self.addr);
        axum::Router::new().route(
            "/metrics/temporal",
            axum::routing::get(move || {
                let url = url.clone();
                async move {
                    match chatops_common::http::Http::new()
                        .get(&url, Duration::from_secs(5))
                        .await
                    {
                        Ok(r) if r.status == 200 => (
                            [(
                                header::CONTENT_TYPE,
                                "text/plain; version=0.0.4; charset=utf-8",
                            )],
                            r.body,
                        )
                            .into_response(),
                        other => (
                            StatusCode::SERVICE_UNAVAILABLE,
                            format!("the SDK's metrics exporter did not answer: {other:?}"),
                        )
                            .into_response(),
                    }
                }
            }),
        )
    }
}

/// Keeps `ready` true exactly while the server lists `identity` among the workflow pollers of
/// `task_queue`; runs until the process ends.
pub async fn watch_readiness(
    client: Client,
    namespace: String,
    task_queue: String,
    identity: String,
    ready: Arc<AtomicBool>,
) {
    loop {
        let polling = match pollers(&client, &namespace, &task_queue).await {
            Ok(identities) => identities.contains(&identity),
            Err(e) => {
                tracing::debug!(error = %e, "readiness: the task queue cannot be described");
                false
            }
        };
        let was = ready.swap(polling, Ordering::SeqCst);
        if was != polling {
            if polling {
                tracing::info!(
                    "ready: the server lists this worker among the task queue's pollers"
                );
            } else {
                tracing::warn!(
                    "not ready: the server does not list this worker among the task queue's pollers (or cannot be asked)"
                );
            }
        }
        tokio::time::sleep(if polling {
            READY_EVERY
        } else {
            NOT_READY_EVERY
        })
        .await;
    }
}

/// A poll older than this no longer counts: long polls last about a minute, and each new one
/// refreshes the server's record of it.
const POLL_FRESH_FOR: Duration = Duration::from_secs(90);

/// Identities of the workers the server has seen polling `task_queue` for workflow tasks
/// within [`POLL_FRESH_FOR`].
async fn pollers(
    client: &Client,
    namespace: &str,
    task_queue: &str,
) -> Result<Vec<String>, String> {
    let pollers = chatops_common::temporal::workflow_pollers(client, namespace, task_queue)
        .await
        .map_err(|s| format!("{:?}: {}", s.code(), s.message()))?;
    let now = std::time::SystemTime::now();
    Ok(pollers
        .into_iter()
        .filter(|p| {
            p.last_access_time.as_ref().is_none_or(|t| {
                let seen = std::time::UNIX_EPOCH
                    + Duration::new(
                        u64::try_from(t.seconds).unwrap_or(0),
                        u32::try_from(t.nanos).unwrap_or(0),
                    );
                now.duration_since(seen).unwrap_or_default() < POLL_FRESH_FOR
            })
        })
        .map(|p| p.identity)
        .collect())
}
