//! Feature deliveries: start, read, control (pause, resume, blockers, priority), skip a gate,
//! deploy outside the deploy windows, cancel.

use chatops_contract::feature::{FeatureRequest, FeatureStatus, GateName, Priority};
use chatops_contract::lifecycle::{
    Blocker, Control, OverrideWindow, PassFreeze, SkipGate, UpdatePriority,
};
use chatops_contract::{Signal, ids, signals};
use sha2::{Digest, Sha256};

use super::audit::{self, Act};
use super::{Actor, Context, OpError, Refusal, roles};
use crate::temporal::Started;

/// How many running features a list reads at most.
const LIST_LIMIT: usize = 200;

/// The workflow id for a feature started from identifier `key` (a Slack trigger or view id,
/// the CLI's key) in workspace `team`: the same request (a redelivery, a retry) always maps to
/// the same id, so it starts at most one run.
pub fn workflow_id_for(team: &str, key: &str, request: &str) -> String {
    let digest = Sha256::digest(format!("{team}:{key}"));
    let short: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
    ids::feature_workflow_id(request, &short)
}

/// Starts feature `id` for `actor`; a second start of the same id starts nothing (and, being
/// a redelivery, is not audited again).
#[tracing::instrument(skip_all, fields(user = %actor.user, workflow_id = %id), err(level = "info"))]
pub async fn start<C: Context>(
    cx: &C,
    actor: &Actor,
    id: &str,
    input: &FeatureRequest,
) -> Result<Started, OpError> {
    let started = match audit::attempt(cx, actor, Act::FeatureNew, Some(id)).await {
        Ok(()) => cx
            .temporal()
            .start_feature(id, input)
            .await
            .map_err(OpError::from),
        Err(refusal) => Err(refusal.into()),
    };
    let outcome = match started {
        Ok(Started::New) => {
            tracing::info!(workflow_id = %id, user = %input.requester, "feature started");
            Ok(Started::New)
        }
        Ok(Started::AlreadyExisted) => {
            // Tests and operators look for these words; the CLI's `feature new` is one too.
            tracing::info!(workflow_id = %id, "duplicate /feature new (retried envelope); nothing started");
            return Ok(Started::AlreadyExisted);
        }
        Err(e) => Err(e),
    };
    let audited = match &outcome {
        Ok(_) => "started".to_owned(),
        Err(e) => e.audited(),
    };
    audit::record(cx, actor, Act::FeatureNew, Some(id), audited).await;
    outcome
}

/// Where feature `id` stands, for `actor`: refused when it was requested in a private channel
/// they are not in.
pub async fn status<C: Context>(cx: &C, actor: &Actor, id: &str) -> Result<FeatureStatus, OpError> {
    let status = cx.temporal().feature_status(id).await?;
    if !visible(cx, &status, &actor.user).await {
        return Err(Refusal::Private(id.to_owned()).into());
    }
    Ok(status)
}

/// Whether `user` may see the feature in `status`: its requester always; anyone else when its
/// card is in a channel they can see.
pub async fn visible<R: super::Roster>(cx: &R, status: &FeatureStatus, user: &str) -> bool {
    if status.requester == user {
        return true;
    }
    match &status.card {
        Some(card) => cx.sees(&card.channel, user).await,
        None => true,
    }
}

/// Every running feature, with its status.
pub async fn running<C: Context>(cx: &C) -> Result<Vec<(String, FeatureStatus)>, OpError> {
    Ok(cx.temporal().active_features(LIST_LIMIT).await?)
}

/// The running features `actor` asked for: theirs, or with `all` everyone's.
pub async fn list<C: Context>(
    cx: &C,
    actor: &Actor,
    all: bool,
) -> Result<Vec<(String, FeatureStatus)>, OpError> {
    let mut shown = Vec::new();
    for (id, s) in running(cx).await? {
        let theirs = s.requester == actor.user;
        if theirs || (all && visible(cx, &s, &actor.user).await) {
            shown.push((id, s));
        }
    }
    Ok(shown)
}

/// Holds feature `id` before its next phase (its running phase at its next safe point).
pub async fn pause<C: Context>(
    cx: &C,
    actor: &Actor,
    id: &str,
    reason: Option<String>,
) -> Result<(), OpError> {
    let payload = Control {
        user: actor.user.clone(),
        reason,
    };
    control(cx, actor, id, signals::PAUSE, &payload).await
}

/// Lets paused feature `id` go on.
pub async fn resume<C: Context>(
    cx: &C,
    actor: &Actor,
    id: &str,
    reason: Option<String>,
) -> Result<(), OpError> {
    let payload = Control {
        user: actor.user.clone(),
        reason,
    };
    control(cx, actor, id, signals::RESUME, &payload).await
}

/// Holds feature `id`'s next phase until `blocker` is removed.
pub async fn block<C: Context>(
    cx: &C,
    actor: &Actor,
    id: &str,
    blocker: &str,
    reason: Option<String>,
) -> Result<(), OpError> {
    let payload = Blocker {
        id: blocker.to_owned(),
        user: actor.user.clone(),
        reason,
    };
    control(cx, actor, id, signals::ADD_BLOCKER, &payload).await
}

/// Removes `blocker` from feature `id`.
pub async fn unblock<C: Context>(
    cx: &C,
    actor: &Actor,
    id: &str,
    blocker: &str,
) -> Result<(), OpError> {
    let payload = Blocker {
        id: blocker.to_owned(),
        user: actor.user.clone(),
        reason: None,
    };
    control(cx, actor, id, signals::REMOVE_BLOCKER, &payload).await
}

/// Changes feature `id`'s priority.
pub async fn set_priority<C: Context>(
    cx: &C,
    actor: &Actor,
    id: &str,
    priority: Priority,
) -> Result<(), OpError> {
    let payload = UpdatePriority {
        priority,
        user: actor.user.clone(),
    };
    control(cx, actor, id, signals::UPDATE_PRIORITY, &payload).await
}

/// Sends a control signal to feature `id` when `actor` may steer it ([`roles::steerer`]; the
/// workflow checks again), audited as `feature.<signal>`: `sent`, or the refusal. A feature
/// that cannot be read is not audited.
async fn control<C: Context, T: serde::Serialize + Sync>(
    cx: &C,
    actor: &Actor,
    id: &str,
    signal: Signal<T>,
    payload: &T,
) -> Result<(), OpError> {
    let allowed = async {
        // Admins and approvers need no look at the feature; anyone else may be its requester.
        if roles::steers_any(cx, &actor.user).await {
            return Ok(());
        }
        let status = cx.temporal().feature_status(id).await?;
        roles::steerer(cx, &actor.user, id, &status.requester).await?;
        Ok(())
    };
    let act = Act::Control(signal.name());
    super::signal_audited(cx, actor, id, act, signal, payload, "sent", allowed).await
}

/// Passes pending `gate` of feature `id` without approvals: admins only, checked here (user
/// groups resolved) so the person hears at once, and again by the workflow.
#[tracing::instrument(skip_all, fields(user = %actor.user, workflow_id = %id, gate = %gate), err(level = "info"))]
pub async fn skip<C: Context>(
    cx: &C,
    actor: &Actor,
    id: &str,
    gate: GateName,
    reason: String,
) -> Result<(), OpError> {
    let result: Result<(), OpError> = async {
        roles::admin(cx, &actor.user, "skip a gate").await?;
        let act = Act::SkipGate {
            gate: gate.as_str(),
        };
        audit::attempt(cx, actor, act, Some(id)).await?;
        let payload = SkipGate {
            gate: gate.as_str().to_owned(),
            user: actor.user.clone(),
            reason,
        };
        cx.temporal()
            .signal(id, signals::SKIP_GATE, &payload)
            .await?;
        Ok(())
    }
    .await;
    let outcome = match &result {
        Ok(()) => "sent".to_owned(),
        Err(e) => e.audited(),
    };
    let act = Act::SkipGate {
        gate: gate.as_str(),
    };
    audit::record(cx, actor, act, Some(id), outcome).await;
    result
}

/// Lets feature `id` deploy outside its environments' deploy windows: admins only, checked
/// here (user groups resolved) so the person hears at once, and again by the workflow.
#[tracing::instrument(skip_all, fields(user = %actor.user, workflow_id = %id), err(level = "info"))]
pub async fn override_window<C: Context>(
    cx: &C,
    actor: &Actor,
    id: &str,
    reason: String,
) -> Result<(), OpError> {
    let payload = OverrideWindow {
        user: actor.user.clone(),
        reason,
    };
    let allowed = async {
        roles::admin(cx, &actor.user, "deploy outside the deploy windows").await?;
        Ok(())
    };
    let (act, signal) = (Act::OverrideWindow, signals::OVERRIDE_WINDOW);
    super::signal_audited(cx, actor, id, act, signal, &payload, "sent", allowed).await
}

/// Lets hotfix `id` go on while a freeze holds deliveries: people on call only, checked here
/// (user groups resolved) and again by the workflow, which also refuses anything but a hotfix.
#[tracing::instrument(skip_all, fields(user = %actor.user, workflow_id = %id), err(level = "info"))]
pub async fn pass_freeze<C: Context>(
    cx: &C,
    actor: &Actor,
    id: &str,
    reason: String,
) -> Result<(), OpError> {
    let payload = PassFreeze {
        user: actor.user.clone(),
        reason,
    };
    let allowed = async {
        roles::on_call(cx, &actor.user, "let a hotfix pass a freeze").await?;
        Ok(())
    };
    let (act, signal) = (Act::PassFreeze, signals::PASS_FREEZE);
    super::signal_audited(cx, actor, id, act, signal, &payload, "sent", allowed).await
}

/// Stops feature `id` for good (production rolled back if it was being deployed): its
/// requester or an admin, while it runs. A feature that cannot be read is not audited.
#[tracing::instrument(skip_all, fields(user = %actor.user, workflow_id = %id), err(level = "info"))]
pub async fn cancel<C: Context>(
    cx: &C,
    actor: &Actor,
    id: &str,
    reason: String,
) -> Result<(), OpError> {
    let status = cx.temporal().feature_status(id).await?;
    let result: Result<(), OpError> = async {
        roles::requester_or_admin(cx, &actor.user, id, &status.requester).await?;
        if status.phase.is_terminal() {
            return Err(Refusal::Finished {
                id: id.to_owned(),
                phase: status.phase.label().to_owned(),
            }
            .into());
        }
        audit::attempt(cx, actor, Act::Cancel, Some(id)).await?;
        let payload = Control {
            user: actor.user.clone(),
            reason: Some(reason),
        };
        cx.temporal().signal(id, signals::CANCEL, &payload).await?;
        Ok(())
    }
    .await;
    let outcome = match &result {
        Ok(()) => "sent".to_owned(),
        Err(e) => e.audited(),
    };
    audit::record(cx, actor, Act::Cancel, Some(id), outcome).await;
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_request_always_maps_to_the_same_id() {
        let a = workflow_id_for("T1", "1700.1.abc", "Add OAuth2 login");
        assert_eq!(a, workflow_id_for("T1", "1700.1.abc", "Add OAuth2 login"));
        assert_ne!(a, workflow_id_for("T1", "1700.2.abc", "Add OAuth2 login"));
        assert!(a.starts_with("feature-add-oauth2-login-"), "{a}");
        assert!(ids::is_feature_workflow_id(&a), "{a}");
    }
}
