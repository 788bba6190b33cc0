//! Workflows: one file (or folder) per workflow type, and the helpers every workflow shares:
//! activity-option presets, workflow time, thread notes and the tolerant signal decoder.

pub mod canary;
pub mod code_migration;
pub mod continuous_monitoring;
pub mod continuous_quality;
pub mod emergency_freeze;
pub mod feature_delivery;
pub mod incident_swarm;
pub mod phases;
pub mod scheduled_freeze;

mod clock;
mod notes;
mod options;
mod signals;
