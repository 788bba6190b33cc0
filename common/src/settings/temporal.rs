//! `[temporal]`: the Temporal frontend both processes connect to, the namespace and task queue
//! they share, and the web UI that cards and replies link to.

use super::{SettingsError, parse, source::Source};
use url::Url;

/// `[temporal]`
#[derive(Debug, Clone)]
pub struct TemporalSettings {
    pub address: Url,
    pub namespace: String,
    pub task_queue: String,
    pub ui_url: Url,
}

impl TemporalSettings {
    pub(super) fn read(src: &Source<'_>) -> Result<Self, SettingsError> {
        Ok(Self {
            address: src.get("temporal.address", parse::http_url)?,
            namespace: src.get("temporal.namespace", parse::name)?,
            task_queue: src.get("temporal.task_queue", parse::name)?,
            ui_url: src.get("temporal.ui_url", parse::http_url)?,
        })
    }
}

/// Deep link to a workflow in the Temporal web UI.
pub fn workflow_url(ui_url: &Url, namespace: &str, workflow_id: &str) -> String {
    let base = ui_url.as_str().trim_end_matches('/');
    let id: String = url::form_urlencoded::byte_serialize(workflow_id.as_bytes()).collect();
    format!("{base}/namespaces/{namespace}/workflows/{id}")
}
