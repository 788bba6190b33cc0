//! Tracing: pretty logs for people, JSON for machines; one subscriber per process.

use std::io::IsTerminal as _;
use std::sync::Arc;
use tracing::Subscriber;
use tracing_subscriber::{EnvFilter, fmt, layer::SubscriberExt};

use crate::settings::LogFormat;

/// The process-wide subscriber, shared so the Temporal SDK core logs through it too.
pub type SharedSubscriber = Arc<dyn Subscriber + Send + Sync>;

/// Installs the global subscriber (filter from `RUST_LOG`, else `default_filter`) and returns it.
/// Logs go to stderr. A second call in the same process leaves the first subscriber in place.
pub fn init(format: LogFormat, default_filter: &str) -> SharedSubscriber {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let registry = tracing_subscriber::registry().with(filter);
    let subscriber: SharedSubscriber = match format {
        LogFormat::Json => {
            Arc::new(registry.with(fmt::layer().json().with_writer(std::io::stderr)))
        }
        LogFormat::Pretty => Arc::new(
            registry.with(
                fmt::layer()
                    .compact()
                    .with_ansi(std::io::stderr().is_terminal())
                    .with_writer(std::io::stderr),
            ),
        ),
    };
    let _ = tracing::subscriber::set_global_default(subscriber.clone());
    subscriber
}
