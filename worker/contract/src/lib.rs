//! The chatops worker's public API.
//!
//! Every workflow type, signal, query and update name the worker answers to is spelled here and
//! nowhere else, together with the JSON payloads they carry. Payloads use Temporal's standard
//! `json/plain` encoding, so the `temporal` CLI or any other SDK can drive every workflow.

pub mod actions;
pub mod feature;
pub mod ids;
pub mod incident;

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

/// Formats a duration the way config takes it: `24h`, `90s`, `1h 30m`, `500ms`.
pub fn human_duration(d: std::time::Duration) -> String {
    let ms = d.as_millis();
    if ms == 0 {
        return "0s".to_owned();
    }
    if ms < 1000 {
        return format!("{ms}ms");
    }
    let mut secs = d.as_secs();
    // Days only from 48h on: "24h" reads better than "1d".
    let units: &[(&str, u64)] = if secs >= 2 * 86_400 {
        &[("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)]
    } else {
        &[("h", 3600), ("m", 60), ("s", 1)]
    };
    let mut parts = Vec::new();
    for (unit, size) in units {
        if secs >= *size {
            parts.push(format!("{}{unit}", secs / size));
            secs %= size;
        }
    }
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::human_duration;
    use std::time::Duration;

    #[test]
    fn durations_read_like_config_values() {
        let table = [
            (0, "0s"),
            (90, "1m 30s"),
            (3600 * 24, "24h"),
            (3600 * 48, "2d"),
            (3600 * 72 + 60, "3d 1m"),
            (5, "5s"),
        ];
        for (secs, want) in table {
            assert_eq!(human_duration(Duration::from_secs(secs)), want);
        }
        assert_eq!(human_duration(Duration::from_millis(250)), "250ms");
    }
}
