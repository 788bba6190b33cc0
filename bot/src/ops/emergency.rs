//! The emergency stop: read it, engage it (on call only, after a confirmation in Slack),
//! release it (on call only).

use chatops_contract::freeze::{FreezeRequest, FreezeStatus};

use super::audit::{self, Act};
use super::{Actor, Context, OpError, roles};
use crate::temporal::TemporalError;

const ENGAGE: &str = "engage the emergency stop";
const RELEASE: &str = "release the emergency stop";

/// What a release did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Released {
    /// The stop is being released.
    Released,
    /// It was never engaged; nothing to release.
    NotEngaged,
}

/// Whether the stop is engaged, since when and why.
pub async fn status<C: Context>(cx: &C) -> Result<FreezeStatus, OpError> {
    Ok(cx.temporal().freeze_status().await?)
}

/// Whether `actor` may engage the stop, asked before the confirmation is shown; a refusal is
/// audited, a yes is not (the confirmed engagement is).
#[tracing::instrument(skip_all, fields(user = %actor.user), err(level = "info"))]
pub async fn may_engage<C: Context>(cx: &C, actor: &Actor) -> Result<(), OpError> {
    let Err(refusal) = roles::on_call(cx, &actor.user, ENGAGE).await else {
        return Ok(());
    };
    tracing::warn!(user = %actor.user, "emergency stop refused: not on call");
    audit::record(cx, actor, Act::Engage, None, refusal.audited()).await;
    Err(refusal.into())
}

/// `actor` engages the stop: every running delivery halts and new ones are held.
#[tracing::instrument(skip_all, fields(user = %actor.user), err(level = "info"))]
pub async fn engage<C: Context>(cx: &C, actor: &Actor, reason: String) -> Result<(), OpError> {
    let result: Result<(), OpError> = async {
        roles::on_call(cx, &actor.user, ENGAGE).await?;
        audit::attempt(cx, actor, Act::Engage, None).await?;
        let req = FreezeRequest {
            user: actor.user.clone(),
            reason: reason.clone(),
            scheduled: None,
        };
        cx.temporal().engage_freeze(&req).await?;
        tracing::warn!(user = %actor.user, %reason, "emergency stop engaged");
        Ok(())
    }
    .await;
    let outcome = match &result {
        Ok(()) => format!("accepted: {reason}"),
        Err(e) => e.audited(),
    };
    audit::record(cx, actor, Act::Engage, None, outcome).await;
    result
}

/// `actor` decided not to engage the stop after all (the confirmation's other button).
pub async fn dont_engage<C: Context>(cx: &C, actor: &Actor) {
    audit::record(cx, actor, Act::DontEngage, None, "cancelled".to_owned()).await;
}

/// `actor` releases the stop: deliveries go on again.
#[tracing::instrument(skip_all, fields(user = %actor.user), err(level = "info"))]
pub async fn release<C: Context>(
    cx: &C,
    actor: &Actor,
    reason: String,
) -> Result<Released, OpError> {
    let result: Result<Released, OpError> = async {
        roles::on_call(cx, &actor.user, RELEASE).await?;
        audit::attempt(cx, actor, Act::Release, None).await?;
        let req = FreezeRequest {
            user: actor.user.clone(),
            reason: reason.clone(),
            scheduled: None,
        };
        match cx.temporal().release_freeze(&req).await {
            Ok(()) => {
                tracing::warn!(user = %actor.user, %reason, "emergency stop released");
                Ok(Released::Released)
            }
            Err(TemporalError::NotFound(_)) => Ok(Released::NotEngaged),
            Err(e) => Err(OpError::from(e)),
        }
    }
    .await;
    let outcome = match &result {
        Ok(Released::Released) => format!("accepted: {reason}"),
        Ok(Released::NotEngaged) => "not engaged".to_owned(),
        Err(e) => e.audited(),
    };
    audit::record(cx, actor, Act::Release, None, outcome).await;
    result
}
