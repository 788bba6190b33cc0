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
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FreezeRequest {
    /// Slack user id of whoever asked (for a scheduled freeze: who scheduled it, who must still
    /// be on call when it engages).
    pub user: String,
    /// Why.
    pub reason: String,
    /// Set when a scheduled freeze asks: it holds deliveries before their next phase without
    /// stopping the running ones, and its release releases only its own engagement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduled: Option<ScheduledHold>,
}

/// The scheduled freeze that engaged the stop, and until when.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduledHold {
    /// Its name in the freeze calendar.
    pub name: String,
    /// When it ends (RFC 3339).
    pub until: String,
}

/// Id of the Temporal Schedule of freeze `name` on `task_queue`: `chatops-freeze-<name>`, with
/// the task queue appended when it is not the default one.
pub fn freeze_schedule_id(name: &str, task_queue: &str) -> String {
    if task_queue == crate::DEFAULT_TASK_QUEUE {
        format!("{FREEZE_SCHEDULE_PREFIX}{name}")
    } else {
        format!("{FREEZE_SCHEDULE_PREFIX}{name}@{task_queue}")
    }
}

/// What every freeze schedule's id starts with.
pub const FREEZE_SCHEDULE_PREFIX: &str = "chatops-freeze-";

/// Whether `name` may name a scheduled freeze: 1 to 40 letters, digits, `-` or `_`.
pub fn is_freeze_name(name: &str) -> bool {
    (1..=40).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// `ScheduledFreeze`'s input (each start of a freeze calendar entry's Schedule): engage the
/// stop, hold for `duration_ms`, release.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduledFreeze {
    /// Its name in the freeze calendar.
    pub name: String,
    /// Why, shown while it holds.
    pub reason: String,
    /// Who scheduled it; they must be on call when it engages.
    pub user: String,
    /// How long each occurrence lasts.
    pub duration_ms: u64,
}

/// A freeze calendar entry, as `/freeze list` shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FreezeEntry {
    /// Its name.
    pub name: String,
    /// When, as it was written (`Fri 15:00 for 66h Europe/Berlin`).
    pub when: String,
    /// Why.
    pub reason: String,
    /// Who scheduled it.
    pub user: String,
    /// Its next starts (RFC 3339), soonest first.
    pub next: Vec<String>,
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
    /// The scheduled freeze that engaged it, while it holds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scheduled: Option<ScheduledHold>,
}
