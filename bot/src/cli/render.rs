//! What the CLI prints for each outcome: plain lines, links spelled out, refusals worded for
//! someone who is not in Slack (people are recognised by id only there).

use chatops_common::Settings;
use chatops_contract::feature::{FeatureStatus, GateName};
use chatops_contract::freeze::FreezeStatus;
use chatops_contract::incident::{IncidentStatus, OpenIncident};

use crate::ops::decision::Decided;
use crate::ops::emergency::Released;
use crate::ops::{Actor, OpError, Refusal};
use crate::temporal::Started;

/// A line for stdout, or one for stderr.
pub type Printed = Result<String, String>;

/// A Block Kit message as the terminal shows it.
fn shown(m: chatops_blocks::Message) -> String {
    let blocks = serde_json::to_value(&m.blocks).ok();
    chatops_blocks::text::render(&m.text, blocks.as_ref(), 1).0
}

/// Why it did not happen, in one line; refusals that depend on Slack's user groups say so.
fn why_not(actor: &Actor, e: OpError) -> String {
    let user = &actor.user;
    match e {
        OpError::Refused(
            Refusal::NoAdmins(_) | Refusal::NotAdmin(_) | Refusal::AdminUnverifiable(_),
        ) => format!(
            "{user} is not listed by id in CHATOPS__APPROVALS__ADMINS (user groups can only be checked through Slack); nothing was changed"
        ),
        OpError::Refused(
            Refusal::NoOnCall { .. }
            | Refusal::NotOnCall { .. }
            | Refusal::OnCallUnverifiable { .. },
        ) => format!(
            "{user} is not listed by id in CHATOPS__EMERGENCY__ONCALL (user groups can only be checked through Slack); nothing was changed"
        ),
        OpError::Refused(Refusal::NotRequesterOrAdmin { id, requester }) => format!(
            "only the requester ({requester}) or an admin listed by id in CHATOPS__APPROVALS__ADMINS may cancel {id}; nothing was changed"
        ),
        OpError::Refused(Refusal::Finished { id, phase }) => {
            format!("{id} has already finished ({phase})")
        }
        OpError::Refused(Refusal::Declined(why)) => format!("refused: {why}"),
        other => other.to_string(),
    }
}

/// Fails with the error's own words (no refusal is possible there).
fn plain<T>(result: Result<T, OpError>) -> Result<T, String> {
    result.map_err(|e| e.to_string())
}

pub fn started(
    settings: &Settings,
    id: &str,
    channel: &str,
    r: Result<Started, OpError>,
) -> Printed {
    let link = settings.workflow_url(id);
    Ok(match plain(r)? {
        Started::New => format!("Started {id}: its card goes to {channel}. {link}"),
        Started::AlreadyExisted => format!(
            "{id} was already started by the same request (same key, or same minute without --key); nothing new started. {link}"
        ),
    })
}

pub fn feature_status(settings: &Settings, id: &str, r: Result<FeatureStatus, OpError>) -> Printed {
    let s = plain(r)?;
    Ok(shown(chatops_blocks::feature::status(
        id,
        &s,
        &settings.workflow_url(id),
    )))
}

pub fn features(r: Result<Vec<(String, FeatureStatus)>, OpError>) -> Printed {
    let lines: Vec<String> = plain(r)?
        .iter()
        .map(|(id, s)| {
            format!(
                "{id}\t{}\t{}",
                chatops_blocks::feature::standing(s),
                s.request
            )
        })
        .collect();
    Ok(if lines.is_empty() {
        "no running features".to_owned()
    } else {
        lines.join("\n")
    })
}

pub fn decided(id: &str, gate: GateName, r: Result<Decided, OpError>) -> Printed {
    match r {
        Ok(Decided::Counted(said)) => {
            let said = if said.is_empty() { "decided" } else { &said };
            Ok(format!("{id}: {gate} gate {said}"))
        }
        Ok(Decided::Queued) => Ok(format!(
            "{id}: no worker answered in time, so the {gate} decision went as a signal; its thread will say whether it counted"
        )),
        Err(OpError::Refused(Refusal::Declined(why))) => Err(format!("refused: {why}")),
        Err(e) => Err(e.to_string()),
    }
}

pub fn paused(settings: &Settings, id: &str, pause: bool, r: Result<(), OpError>) -> Printed {
    plain(r)?;
    Ok(format!(
        "{} {id}; its thread says when it holds or goes on. {}",
        if pause { "Pausing" } else { "Resuming" },
        settings.workflow_url(id)
    ))
}

pub fn skipped(
    settings: &Settings,
    actor: &Actor,
    id: &str,
    gate: GateName,
    r: Result<(), OpError>,
) -> Printed {
    r.map_err(|e| why_not(actor, e))?;
    Ok(format!(
        "Skipping the {gate} gate of {id}; its thread and timeline say so. {}",
        settings.workflow_url(id)
    ))
}

pub fn passing(settings: &Settings, actor: &Actor, id: &str, r: Result<(), OpError>) -> Printed {
    r.map_err(|e| why_not(actor, e))?;
    Ok(format!(
        "Letting {id} pass the freeze if it is a hotfix; its thread says whether it goes on. {}",
        settings.workflow_url(id)
    ))
}

pub fn overridden(settings: &Settings, actor: &Actor, id: &str, r: Result<(), OpError>) -> Printed {
    r.map_err(|e| why_not(actor, e))?;
    Ok(format!(
        "Letting {id} deploy outside the deploy windows; its thread and timeline say so. {}",
        settings.workflow_url(id)
    ))
}

pub fn cancelled(settings: &Settings, actor: &Actor, id: &str, r: Result<(), OpError>) -> Printed {
    r.map_err(|e| why_not(actor, e))?;
    Ok(format!(
        "Cancelling {id}; its thread will say where it stopped. {}",
        settings.workflow_url(id)
    ))
}

pub fn incidents(r: Result<Vec<OpenIncident>, OpError>) -> Printed {
    Ok(shown(chatops_blocks::incident::list(&plain(r)?, &[])))
}

pub fn incident_status(
    settings: &Settings,
    id: &str,
    r: Result<IncidentStatus, OpError>,
) -> Printed {
    let s = plain(r)?;
    Ok(shown(chatops_blocks::incident::status(
        &s,
        &settings.workflow_url(id),
    )))
}

pub fn acknowledged(settings: &Settings, id: &str, r: Result<(), OpError>) -> Printed {
    plain(r)?;
    Ok(format!(
        "Acknowledged {id}: you are its commander. {}",
        settings.workflow_url(id)
    ))
}

pub fn resolving(settings: &Settings, id: &str, r: Result<(), OpError>) -> Printed {
    plain(r)?;
    Ok(format!(
        "Resolving {id}; the postmortem goes to its thread. {}",
        settings.workflow_url(id)
    ))
}

pub fn freeze(r: Result<FreezeStatus, OpError>) -> Printed {
    Ok(shown(chatops_blocks::freeze::status(&plain(r)?)))
}

pub fn quality(
    repo: &str,
    r: Result<chatops_contract::quality::QualityTrend, crate::temporal::TemporalError>,
) -> Printed {
    match r {
        Ok(t) => Ok(chatops_blocks::text::mrkdwn_to_text(
            &chatops_blocks::quality::trend(&t),
        )),
        Err(crate::temporal::TemporalError::NotFound(_)) => Err(format!(
            "{repo} is not watched: add it to CHATOPS__QUALITY__WATCH on the worker"
        )),
        Err(e) => Err(e.to_string()),
    }
}

pub fn engaged(actor: &Actor, r: Result<(), OpError>) -> Printed {
    r.map_err(|e| why_not(actor, e))?;
    Ok("Emergency stop engaged: running deliveries are being halted.".to_owned())
}

pub fn released(actor: &Actor, r: Result<Released, OpError>) -> Printed {
    match r.map_err(|e| why_not(actor, e))? {
        Released::Released => Ok("Emergency stop released.".to_owned()),
        Released::NotEngaged => {
            Err("the emergency stop is not engaged; nothing to release".to_owned())
        }
    }
}
