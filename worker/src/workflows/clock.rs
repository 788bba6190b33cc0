//! Workflow time: the only clock workflow code reads (the same on replay), and how timelines
//! and cards show it.

use std::time::SystemTime;
use temporalio_sdk::{SyncWorkflowContext, WorkflowContext};

/// A workflow that remembers when its run started: the time to show while the SDK has no
/// workflow time to give.
pub(crate) trait Started {
    /// When the run started.
    fn started(&self) -> SystemTime;
}

/// Workflow time as RFC 3339, seconds: how timelines and cards show time.
pub(crate) fn rfc3339(t: SystemTime) -> String {
    humantime::format_rfc3339_seconds(t).to_string()
}

/// Workflow time now.
pub(crate) fn time<W: Started>(ctx: &WorkflowContext<W>) -> SystemTime {
    ctx.workflow_time()
        .unwrap_or_else(|| ctx.state(Started::started))
}

/// Workflow time now, as RFC 3339.
pub(crate) fn now<W: Started>(ctx: &WorkflowContext<W>) -> String {
    rfc3339(time(ctx))
}

/// Workflow time now, as RFC 3339, from a signal or update handler.
pub(crate) fn at<W: Started>(state: &W, ctx: &SyncWorkflowContext<W>) -> String {
    rfc3339(ctx.workflow_time().unwrap_or(state.started()))
}

/// Workflow time now for a phase child, which keeps no start time: the Unix epoch stands in
/// while the SDK has none.
pub(crate) fn time_or_epoch<W>(ctx: &WorkflowContext<W>) -> SystemTime {
    ctx.workflow_time().unwrap_or(SystemTime::UNIX_EPOCH)
}

/// [`time_or_epoch`] as RFC 3339.
pub(crate) fn now_or_epoch<W>(ctx: &WorkflowContext<W>) -> String {
    rfc3339(time_or_epoch(ctx))
}
