//! Every action a person can take, one function each: authorise (roles from config, user
//! groups through [`Roster::member`]), call Temporal, audit, and return a typed outcome.
//!
//! Slash commands, buttons, the form, the App Home and the CLI parse input, call these and
//! render what comes back; none of them decides who may do what. The workflows check again, so
//! a raw `temporal` signal gets the same answer. Nothing here answers anyone or waits for a
//! workflow to finish: a Slack handler hands the call to a task and acks at once.

mod audit;
pub mod calendar;
pub mod decision;
pub mod emergency;
pub mod feature;
pub mod incident;
mod refusal;
mod roles;

use chatops_common::Settings;
use std::future::Future;

use crate::store::{AuditEntry, StoreError};
use crate::temporal::{Temporal, TemporalError};

pub use refusal::Refusal;

/// Who is in a role list: the lists (in the settings) and how a person is matched against
/// one. The rules in `ops` need nothing more, so they can be tried without Temporal.
pub trait Roster: Send + Sync {
    /// Validated settings, the role lists among them.
    fn settings(&self) -> &Settings;

    /// Whether `user` is in `listed` (user ids and user group ids); `Err` names an entry that
    /// could not be read when no other one matched.
    fn member(
        &self,
        listed: &[String],
        user: &str,
    ) -> impl Future<Output = Result<bool, String>> + Send;

    /// Whether `user` may see what was posted in `channel`: anyone a public channel, only its
    /// members a private one.
    fn sees(&self, channel: &str, user: &str) -> impl Future<Output = bool> + Send;
}

/// What an operation needs from the process it runs in: the bot ([`crate::App`], user groups
/// read from Slack and cached) or the CLI (people listed by id only).
pub trait Context: Roster {
    /// The Temporal client.
    fn temporal(&self) -> &Temporal;

    /// Appends `entry` to the audit log, stamped now; a failure is reported, never returned.
    fn audit(&self, entry: AuditEntry) -> impl Future<Output = ()> + Send;

    /// Appends `entry` to the audit log, stamped now, and says whether it was written: the
    /// write-ahead entry of `CHATOPS__AUDIT__FAIL_CLOSED` refuses the action when it was not.
    fn write_audit(&self, entry: AuditEntry)
    -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// Who is acting, and through which front end (the audit log names actions per front end).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// Slack user id.
    pub user: String,
    /// Where the request came from.
    pub via: Via,
}

/// The front end an action came through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    /// Slack: a slash command, a button, the form or the App Home.
    Slack {
        /// The channel it happened in, when there is one.
        channel: Option<String>,
    },
    /// `chatops-bot feature|incident|emergency …` in a terminal.
    Cli,
}

impl Actor {
    /// `user` acting in Slack, in `channel` when there is one.
    pub fn slack(user: impl Into<String>, channel: Option<String>) -> Self {
        Self {
            user: user.into(),
            via: Via::Slack { channel },
        }
    }

    /// `user` acting from the CLI.
    pub fn cli(user: impl Into<String>) -> Self {
        Self {
            user: user.into(),
            via: Via::Cli,
        }
    }
}

/// Why an action did not happen.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpError {
    /// A rule said no (the person's role, or the state the workflow is in); nothing was
    /// changed. Show the person why; it is not a fault.
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// Temporal did not do it: the workflow is unknown or finished, or Temporal is unreachable
    /// (tell the person), or something unexpected ([`TemporalError::Other`]: log it, say little).
    #[error(transparent)]
    Temporal(#[from] TemporalError),
}

impl OpError {
    /// The audit log's outcome for it: `refused: …` or `failed: …`.
    fn audited(&self) -> String {
        match self {
            Self::Refused(r) => r.audited(),
            Self::Temporal(e) => format!("failed: {e}"),
        }
    }
}

/// Sends `signal` to workflow `id` once `allowed` (the role check) says yes, and audits it as
/// `act`: `done` when Temporal took it, the refusal or failure otherwise. Under
/// `CHATOPS__AUDIT__FAIL_CLOSED` the attempt is written first, and nothing is sent when it
/// cannot be.
#[tracing::instrument(skip_all, fields(user = %actor.user, workflow_id = %id, signal = signal.name()), err(level = "info"))]
#[allow(clippy::too_many_arguments)] // each is one part of the audited call
async fn signal_audited<C: Context, T: serde::Serialize + Sync>(
    cx: &C,
    actor: &Actor,
    id: &str,
    act: audit::Act<'_>,
    signal: chatops_contract::Signal<T>,
    payload: &T,
    done: &str,
    allowed: impl Future<Output = Result<(), OpError>>,
) -> Result<(), OpError> {
    let result = async {
        allowed.await?;
        audit::attempt(cx, actor, act, Some(id)).await?;
        cx.temporal().signal(id, signal, payload).await?;
        Ok(())
    }
    .await;
    let outcome = match &result {
        Ok(()) => {
            tracing::info!(workflow_id = %id, user = %actor.user, signal = signal.name(), "signalled");
            done.to_owned()
        }
        Err(e) => OpError::audited(e),
    };
    audit::record(cx, actor, act, Some(id), outcome).await;
    result
}
