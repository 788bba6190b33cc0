//! What both chatops processes share: typed settings, the Temporal connection, the Slack Web API
//! client, tracing setup and graceful shutdown.

pub mod codec;
pub mod freeze_calendar;
pub mod http;
pub mod metrics;
pub mod payload;
pub mod settings;
pub mod shutdown;
pub mod slack;
pub mod telemetry;
pub mod temporal;
pub mod windows;

pub use settings::{Settings, SettingsError};
