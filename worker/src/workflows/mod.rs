//! Workflows: one file per workflow type.

pub mod canary;
pub mod code_migration;
pub mod continuous_monitoring;
pub mod emergency_freeze;
pub mod feature_delivery;
pub mod incident_swarm;
pub mod phases;

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

/// The innermost message of an activity failure: what the activity itself said (e.g. the
/// agent's malformed answer), rather than Temporal's "Activity task failed" wrapper.
pub(crate) fn failure_text(e: &temporalio_sdk::ActivityExecutionError) -> String {
    let mut deepest = None;
    let mut f = e.failure();
    while let Some(x) = f {
        if !x.message.is_empty() {
            deepest = Some(x.message.clone());
        }
        f = x.cause.as_deref();
    }
    deepest.unwrap_or_else(|| e.to_string())
}

/// `<@U…>` or `<!subteam^S…>` followed by a space; empty for nobody.
pub(crate) fn mention(who: Option<&str>) -> String {
    match who {
        Some(id) if id.starts_with('S') => format!("<!subteam^{id}> "),
        Some(id) => format!("<@{id}> "),
        None => String::new(),
    }
}
