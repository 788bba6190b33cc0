//! Gate decisions: approve and reject, sent as validated updates so a refusal reaches the
//! person who decided, with a signal when no worker answers in time.

use chatops_contract::feature::{Approve, FeatureStatus, Gate, Reject};
use chatops_contract::{Signal, Update, signals, updates};
use std::time::Duration;

use super::audit::{self, Act};
use super::{Actor, Context, OpError, Refusal, Roster};
use crate::temporal::DecisionError;

/// How long the workflow has to accept or refuse a decision before it is sent as a signal.
const UPDATE_WAIT: Duration = Duration::from_secs(5);

/// What became of a gate decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decided {
    /// The workflow counted it; its answer, e.g. `approved`.
    Counted(String),
    /// No worker answered in time: it went as a signal, applied by the same rules when a worker
    /// picks it up, a refusal then on the feature's timeline.
    Queued,
}

/// `actor` approves `gate` of feature `id`.
#[tracing::instrument(skip_all, fields(user = %actor.user, workflow_id = %id, gate = %gate), err(level = "info"))]
pub async fn approve<C: Context>(
    cx: &C,
    actor: &Actor,
    id: &str,
    gate: &str,
    comment: Option<String>,
) -> Result<Decided, OpError> {
    let payload = Approve {
        gate: gate.to_owned(),
        user: actor.user.clone(),
        comment,
    };
    let act = Act::Approve { gate };
    let result = match audit::attempt(cx, actor, act, Some(id)).await {
        Ok(()) => {
            let (update, signal) = (updates::APPROVE, signals::APPROVE);
            decide(cx, id, update, signal, &payload, "approve").await
        }
        Err(refusal) => Err(refusal.into()),
    };
    audit::record(cx, actor, act, Some(id), outcome(&result)).await;
    result
}

/// `actor` rejects `gate` of feature `id`, saying why.
#[tracing::instrument(skip_all, fields(user = %actor.user, workflow_id = %id, gate = %gate), err(level = "info"))]
pub async fn reject<C: Context>(
    cx: &C,
    actor: &Actor,
    id: &str,
    gate: &str,
    reason: String,
) -> Result<Decided, OpError> {
    let payload = Reject {
        gate: gate.to_owned(),
        user: actor.user.clone(),
        reason,
    };
    let act = Act::Reject { gate };
    let result = match audit::attempt(cx, actor, act, Some(id)).await {
        Ok(()) => decide(cx, id, updates::REJECT, signals::REJECT, &payload, "reject").await,
        Err(refusal) => Err(refusal.into()),
    };
    audit::record(cx, actor, act, Some(id), outcome(&result)).await;
    result
}

fn outcome(result: &Result<Decided, OpError>) -> String {
    match result {
        Ok(Decided::Counted(said)) => format!("accepted: {said}"),
        Ok(Decided::Queued) => "sent as a signal (no worker answered in time)".to_owned(),
        Err(e) => e.audited(),
    }
}

/// Sends a decision as a validated update; when no worker answers within [`UPDATE_WAIT`] (a
/// worker restart, say), as a signal: durable, and applied by the same rules later.
async fn decide<C: Context, T: serde::Serialize + Sync>(
    cx: &C,
    id: &str,
    update: Update<T, String>,
    signal: Signal<T>,
    payload: &T,
    doing: &str,
) -> Result<Decided, OpError> {
    let temporal = cx.temporal();
    match tokio::time::timeout(UPDATE_WAIT, temporal.update(id, update, payload)).await {
        Ok(Ok(said)) => {
            tracing::info!(workflow_id = %id, doing, gate = %said, "decision accepted");
            Ok(Decided::Counted(
                said.as_str().unwrap_or_default().to_owned(),
            ))
        }
        Ok(Err(DecisionError::Refused(why))) => {
            tracing::info!(workflow_id = %id, doing, %why, "decision refused");
            Err(Refusal::Declined(why).into())
        }
        Ok(Err(DecisionError::Temporal(e))) => Err(e.into()),
        Err(_) => {
            tracing::warn!(workflow_id = %id, doing, "no worker answered the update; sending a signal");
            temporal.signal(id, signal, payload).await?;
            Ok(Decided::Queued)
        }
    }
}

/// Whether `user` may decide `gate` of the feature in `status` now, by the rules the workflow's
/// validator applies: an approver (or anyone when none are configured), not the requester of
/// a gate that bans self-approval, and not someone who already voted.
pub async fn may_decide<R: Roster>(
    cx: &R,
    user: &str,
    status: &FeatureStatus,
    gate: &Gate,
) -> bool {
    let rules = &cx.settings().approvals;
    if gate.approvals.iter().any(|v| v.user == user) {
        return false;
    }
    if status.requester == user && rules.no_self_approval.contains(&gate.name) {
        return false;
    }
    let approvers = rules.approvers_for(&gate.name);
    approvers.is_empty() || matches!(cx.member(approvers, user).await, Ok(true))
}
