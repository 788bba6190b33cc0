//! Workflows: one file per workflow type.

pub mod canary;
pub mod continuous_monitoring;
pub mod emergency_freeze;
pub mod feature_delivery;
pub mod incident_swarm;
