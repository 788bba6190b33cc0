//! The freeze calendar: scheduled freezes that engage and release the emergency stop on time.
//! Adding and removing is for people on call, audited; anyone may read it.

use chatops_common::freeze_calendar::FreezeWhen;
use chatops_contract::freeze::{FreezeEntry, ScheduledFreeze};

use super::audit::{self, Act};
use super::{Actor, Context, OpError, roles};

const CHANGE: &str = "change the freeze calendar";

/// What an add did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Added {
    /// The entry is in the calendar.
    Added,
    /// An entry of that name is there already; nothing changed.
    Exists,
}

/// Every scheduled freeze, with its next starts.
pub async fn list<C: Context>(cx: &C) -> Result<Vec<FreezeEntry>, OpError> {
    Ok(cx.temporal().freezes().await?)
}

/// `actor` (on call) adds freeze `name`, starting as `when` says, held for `reason`; audited as
/// `freeze.add` with what was asked.
#[tracing::instrument(skip_all, fields(user = %actor.user, %name), err(level = "info"))]
pub async fn add<C: Context>(
    cx: &C,
    actor: &Actor,
    name: &str,
    when: &FreezeWhen,
    reason: String,
) -> Result<Added, OpError> {
    let result: Result<Added, OpError> = async {
        roles::on_call(cx, &actor.user, CHANGE).await?;
        audit::attempt(cx, actor, Act::FreezeAdd, Some(name)).await?;
        let entry = ScheduledFreeze {
            name: name.to_owned(),
            reason,
            user: actor.user.clone(),
            duration_ms: u64::try_from(when.lasts.as_millis()).unwrap_or(u64::MAX),
        };
        Ok(if cx.temporal().add_freeze(&entry, when).await? {
            Added::Added
        } else {
            Added::Exists
        })
    }
    .await;
    let outcome = match &result {
        Ok(Added::Added) => format!("added: {}", when.text),
        Ok(Added::Exists) => "exists already".to_owned(),
        Err(e) => e.audited(),
    };
    audit::record(cx, actor, Act::FreezeAdd, Some(name), outcome).await;
    result
}

/// `actor` (on call) removes freeze `name`; audited as `freeze.remove`.
#[tracing::instrument(skip_all, fields(user = %actor.user, %name), err(level = "info"))]
pub async fn remove<C: Context>(cx: &C, actor: &Actor, name: &str) -> Result<(), OpError> {
    let result: Result<(), OpError> = async {
        roles::on_call(cx, &actor.user, CHANGE).await?;
        audit::attempt(cx, actor, Act::FreezeRemove, Some(name)).await?;
        cx.temporal().remove_freeze(name).await?;
        Ok(())
    }
    .await;
    let outcome = match &result {
        Ok(()) => "removed".to_owned(),
        Err(e) => e.audited(),
    };
    audit::record(cx, actor, Act::FreezeRemove, Some(name), outcome).await;
    result
}
