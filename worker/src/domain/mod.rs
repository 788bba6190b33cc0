//! The worker's decisions, pure: no I/O, no Temporal, no clock (callers pass `now`). Workflows
//! hold these states and call these rules; everything here is unit-tested without a server.

pub mod consensus;
pub mod edits;
pub mod feature_state;
pub mod gates;
pub mod incident_state;
pub mod lifecycle;
pub mod monitor_state;
pub mod repo_path;
