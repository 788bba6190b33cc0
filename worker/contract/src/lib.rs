//! The chatops worker's public API.
//!
//! Every workflow type, signal, query and update name the worker answers to is spelled here and
//! nowhere else, together with the JSON payloads they carry. Payloads use Temporal's standard
//! `json/plain` encoding, so the `temporal` CLI or any other SDK can drive every workflow.

pub mod actions;
pub mod feature;
pub mod ids;

/// Default task queue the worker polls and the bot starts workflows on.
pub const DEFAULT_TASK_QUEUE: &str = "chatops";
/// Default Temporal namespace.
pub const DEFAULT_NAMESPACE: &str = "default";

/// Workflow type names.
pub mod workflows {
    /// The feature-delivery orchestrator. Input [`crate::feature::FeatureRequest`], result
    /// [`crate::feature::FeatureOutcome`].
    pub const FEATURE_DELIVERY: &str = "FeatureDelivery";
}

/// Signal names (fire-and-forget; durable even while no worker runs).
pub mod signals {
    /// Approve a pending gate. Payload [`crate::feature::Approve`].
    pub const APPROVE: &str = "approve";
    /// Reject a pending gate. Payload [`crate::feature::Reject`].
    pub const REJECT: &str = "reject";
}

/// Query names.
pub mod queries {
    /// Current state of a feature. Result [`crate::feature::FeatureStatus`].
    pub const STATUS: &str = "status";
}
