//! The worker's configured policy, read by workflows through an activity so the values are
//! recorded in history and replay stays deterministic when the config changes.

use serde::{Deserialize, Serialize};
use std::sync::Arc;
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

/// What a feature delivery needs from config.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeaturePolicy {
    /// Intake gate timeout, in milliseconds.
    pub intake_timeout_ms: u64,
    /// How long each placeholder phase lasts, in milliseconds.
    pub phase_duration_ms: u64,
    /// Temporal UI base URL, for deep links.
    pub ui_url: String,
    /// Temporal namespace, for deep links.
    pub namespace: String,
}

/// Serves [`FeaturePolicy`].
#[derive(Debug)]
pub struct PolicyActivities {
    policy: FeaturePolicy,
}

impl PolicyActivities {
    /// Serves `policy` to every workflow that asks.
    pub fn new(policy: FeaturePolicy) -> Self {
        Self { policy }
    }
}

#[activities]
impl PolicyActivities {
    /// The current feature policy.
    #[activity(name = "policy.feature")]
    pub async fn feature(
        self: Arc<Self>,
        _ctx: ActivityContext,
    ) -> Result<FeaturePolicy, ActivityError> {
        Ok(self.policy.clone())
    }
}
