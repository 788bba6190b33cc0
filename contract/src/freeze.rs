//! Payloads of the emergency stop (`EmergencyFreeze`).

use serde::{Deserialize, Serialize};

/// Workflow id of the one `EmergencyFreeze` on the default task queue.
pub const FREEZE_WORKFLOW_ID: &str = "emergency-freeze";

/// The freeze's id for a task queue: [`FREEZE_WORKFLOW_ID`] on the default queue,
/// `emergency-freeze-<queue>` on any other.
pub fn freeze_workflow_id(task_queue: &str) -> String {
    if task_queue == crate::DEFAULT_TASK_QUEUE {
        FREEZE_WORKFLOW_ID.to_owned()
    } else {
        format!("{FREEZE_WORKFLOW_ID}-{task_queue}")
    }
}

/// `engage` / `release` payload, and `emergency_stop` to a delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FreezeRequest {
    /// Slack user id of whoever asked.
    pub user: String,
    /// Why.
    pub reason: String,
}

/// `hold` payload: the delivery the stop holds, to be woken on release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldDelivery {
    /// Its workflow id.
    pub id: String,
}

/// One delivery the stop reached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoppedDelivery {
    /// Its workflow id.
    pub id: String,
    /// The phase it was in, when it could be asked.
    pub phase: Option<String>,
    /// What happened to it: stopped, or why not.
    pub result: String,
}

/// One engage or release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FreezeEvent {
    /// RFC 3339 workflow time.
    pub at: String,
    /// `engaged`, `released`, or what was ignored.
    pub event: String,
    /// Who.
    pub user: String,
    /// Why.
    pub reason: String,
}

/// `freeze` query of `EmergencyFreeze`, and what a delivery checks before each transition.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FreezeStatus {
    /// Whether delivery automation is stopped.
    pub engaged: bool,
    /// Who engaged it.
    pub engaged_by: Option<String>,
    /// Why.
    pub reason: Option<String>,
    /// When (RFC 3339).
    pub since: Option<String>,
    /// Deliveries the last engagement stopped.
    pub stopped: Vec<StoppedDelivery>,
    /// Every engage and release, oldest first (the last 100 after a continue-as-new).
    pub history: Vec<FreezeEvent>,
    /// Deliveries held now, woken when it is released.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub held: Vec<String>,
}
