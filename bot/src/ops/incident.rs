//! Incidents: open one by hand, read them, and the incident commander's actions (acknowledge,
//! choose a diagnosis, roll back, resolve, hand over).

use chatops_contract::incident::{
    Acknowledge, Alert, AlertStatus, AssignCommander, ChooseDiagnosis, IncidentStatus,
    OpenIncident, Resolve, Rollback, Severity,
};
use chatops_contract::{Signal, signals};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

use super::audit::{self, Act};
use super::{Actor, Context, OpError, Refusal, roles};

/// The alert an incident opened by hand starts from. Its fingerprint comes from `key` (the
/// Slack workspace and trigger id), so a retried request is recognised as the same one.
pub fn manual_alert(
    key: &str,
    opened_by: &Actor,
    channel: &str,
    service: &str,
    severity: Severity,
    summary: &str,
) -> Alert {
    let digest = Sha256::digest(key);
    let short: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    Alert {
        fingerprint: format!("manual:{short}"),
        service: service.to_owned(),
        summary: summary.to_owned(),
        severity,
        status: AlertStatus::Firing,
        labels: BTreeMap::from([
            ("opened_by".to_owned(), opened_by.user.clone()),
            ("channel".to_owned(), channel.to_owned()),
        ]),
        source: "manual".into(),
    }
}

/// Hands `alert` (from [`manual_alert`]) to the monitor, which opens an incident for it.
#[tracing::instrument(skip_all, fields(user = %actor.user, fingerprint = %alert.fingerprint), err(level = "info"))]
pub async fn open<C: Context>(cx: &C, actor: &Actor, alert: &Alert) -> Result<(), OpError> {
    let monitor = cx.temporal().monitor_id();
    let result = match audit::attempt(cx, actor, Act::IncidentNew, Some(&monitor)).await {
        Ok(()) => cx.temporal().send_alert(alert).await.map_err(OpError::from),
        Err(refusal) => Err(refusal.into()),
    };
    if result.is_ok() {
        tracing::info!(fingerprint = %alert.fingerprint, service = %alert.service, "incident requested");
    }
    let outcome = match &result {
        Ok(()) => "accepted".to_owned(),
        Err(e) => e.audited(),
    };
    audit::record(cx, actor, Act::IncidentNew, Some(&monitor), outcome).await;
    result
}

/// Where incident `id` stands, for `actor`: refused when its card is in a private channel
/// they are not in (its commander always sees it).
pub async fn status<C: Context>(
    cx: &C,
    actor: &Actor,
    id: &str,
) -> Result<IncidentStatus, OpError> {
    let status = cx.temporal().incident_status(id).await?;
    let commands = status.commander.as_deref() == Some(actor.user.as_str());
    let seen = match &status.card {
        Some(card) => cx.sees(&card.channel, &actor.user).await,
        None => cx.sees(&cx.settings().incident.channel, &actor.user).await,
    };
    if !commands && !seen {
        return Err(Refusal::PrivateIncident(id.to_owned()).into());
    }
    Ok(status)
}

/// The open incidents `actor` may see, oldest first (none when no alert has ever arrived): all
/// of them when they can see the incident channel, none when it is private and they are not in
/// it.
pub async fn open_incidents<C: Context>(
    cx: &C,
    actor: &Actor,
) -> Result<Vec<OpenIncident>, OpError> {
    if !cx.sees(&cx.settings().incident.channel, &actor.user).await {
        return Ok(Vec::new());
    }
    let stats = cx.temporal().monitor_stats().await?;
    Ok(stats.map(|s| s.open).unwrap_or_default())
}

/// `actor` takes command of incident `id`.
pub async fn acknowledge<C: Context>(cx: &C, actor: &Actor, id: &str) -> Result<(), OpError> {
    let payload = Acknowledge {
        user: actor.user.clone(),
    };
    signal(
        cx,
        actor,
        id,
        Act::Acknowledge,
        signals::ACKNOWLEDGE,
        &payload,
    )
    .await
}

/// `actor` runs incident `id`'s rollback.
pub async fn rollback<C: Context>(
    cx: &C,
    actor: &Actor,
    id: &str,
    reason: String,
) -> Result<(), OpError> {
    let payload = Rollback {
        user: actor.user.clone(),
        reason,
    };
    signal(cx, actor, id, Act::Rollback, signals::ROLLBACK, &payload).await
}

/// `actor` resolves incident `id`, saying what fixed it.
pub async fn resolve<C: Context>(
    cx: &C,
    actor: &Actor,
    id: &str,
    summary: String,
) -> Result<(), OpError> {
    let payload = Resolve {
        user: actor.user.clone(),
        summary,
    };
    signal(cx, actor, id, Act::Resolve, signals::RESOLVE, &payload).await
}

/// `actor` picks candidate `index` as incident `id`'s diagnosis.
pub async fn choose_diagnosis<C: Context>(
    cx: &C,
    actor: &Actor,
    id: &str,
    index: usize,
) -> Result<(), OpError> {
    let payload = ChooseDiagnosis {
        index,
        user: actor.user.clone(),
    };
    signal(
        cx,
        actor,
        id,
        Act::ChooseDiagnosis,
        signals::CHOOSE_DIAGNOSIS,
        &payload,
    )
    .await
}

/// `actor` hands command of incident `id` to `commander`.
pub async fn hand_over<C: Context>(
    cx: &C,
    actor: &Actor,
    id: &str,
    commander: &str,
) -> Result<(), OpError> {
    let payload = AssignCommander {
        commander: commander.to_owned(),
        user: actor.user.clone(),
    };
    signal(
        cx,
        actor,
        id,
        Act::Commander,
        signals::ASSIGN_COMMANDER,
        &payload,
    )
    .await
}

/// Signals incident `id` when `actor` may act on it ([`authorise`]), and audits the attempt
/// either way. The workflow checks again, and decides what the action does.
async fn signal<C: Context, T: serde::Serialize + Sync>(
    cx: &C,
    actor: &Actor,
    id: &str,
    act: Act<'_>,
    signal: Signal<T>,
    payload: &T,
) -> Result<(), OpError> {
    let allowed = authorise(cx, &actor.user, id, doing(act));
    super::signal_audited(cx, actor, id, act, signal, payload, "accepted", allowed).await
}

/// `user` may act on incident `id` when a responder, on call, or its commander.
async fn authorise<C: Context>(
    cx: &C,
    user: &str,
    id: &str,
    doing: &'static str,
) -> Result<(), OpError> {
    let listed = roles::responder(cx, user).await;
    if listed == Ok(true) {
        return Ok(());
    }
    let commander = cx.temporal().incident_status(id).await?.commander;
    if commander.as_deref() == Some(user) {
        return Ok(());
    }
    let id = id.to_owned();
    Err(match listed {
        Err(why) => {
            tracing::warn!(error = %why, "cannot read an incident responder group");
            Refusal::ResponderUnverifiable { doing, id, why }
        }
        Ok(_) => Refusal::NotResponder {
            doing,
            id,
            commander: commander.map(|c| format!(" (<@{c}>)")).unwrap_or_default(),
        },
    }
    .into())
}

/// The action in the words of a refusal.
fn doing(act: Act<'_>) -> &'static str {
    match act {
        Act::Acknowledge => "acknowledge",
        Act::Rollback => "roll back",
        Act::Resolve => "resolve",
        Act::ChooseDiagnosis => "choose a diagnosis for",
        Act::Commander => "hand over",
        _ => "act on",
    }
}
