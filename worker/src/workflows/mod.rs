//! Workflows: one file per workflow type.

pub mod canary;
pub mod continuous_monitoring;
pub mod emergency_freeze;
pub mod feature_delivery;
pub mod incident_swarm;

/// Workflow time as RFC 3339, seconds: how timelines and cards show time.
pub(crate) fn rfc3339(t: std::time::SystemTime) -> String {
    humantime::format_rfc3339_seconds(t).to_string()
}

/// Deep link to workflow `id` in the Temporal UI at `ui_url`; empty when the URL is unusable.
pub(crate) fn ui_link(ui_url: &str, namespace: &str, id: &str) -> String {
    match url::Url::parse(ui_url) {
        Ok(ui) => chatops_common::settings::workflow_url(&ui, namespace, id),
        Err(_) => String::new(),
    }
}
