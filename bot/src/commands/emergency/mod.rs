//! `/emergency-stop`: engage (after a confirmation), release, status. Only on-call users and
//! groups may engage or release; `ops` decides, everyone else gets an ephemeral refusal.

#[cfg(test)]
mod tests;

use std::sync::Arc;

use super::help::{self, subcommands};
use super::{Ack, ParseError, later};
use crate::invocation::Invocation;
use crate::ops::{self, emergency::Released};
use crate::{App, Reply};

subcommands! {
    /// `/emergency-stop` forms, each documented by its help line.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum EmergencyCommand {
        #[help(
            "/emergency-stop [reason]",
            "halt every running delivery and hold new ones (on-call only; asks to confirm)"
        )]
        Engage {
            /// Why.
            reason: String,
        },
        #[help(
            "/emergency-stop release <reason>",
            "let deliveries go on again (on-call only)"
        )]
        Release {
            /// Why it is safe again.
            reason: String,
        },
        #[help(
            "/emergency-stop status",
            "whether the stop is engaged, since when and why"
        )]
        Status,
        #[help("/emergency-stop help", "show this help")]
        Help,
    }
}

impl EmergencyCommand {
    /// The help text.
    pub fn help() -> String {
        help::render(
            "*/emergency-stop* — the big red button, and it stays pressed",
            Self::HELP,
            "Engaged, it survives restarts of the worker and of Temporal until someone releases it.",
        )
    }
}

/// Runs an `/emergency-stop` form; returns what to ack with. The answers come later: whether
/// the person is on call may take a Slack call.
pub fn run(app: &Arc<App>, inv: &Invocation, cmd: EmergencyCommand) -> Ack {
    let actor = inv.actor();
    match cmd {
        EmergencyCommand::Help => return Ack::Reply(Some(Reply::text(EmergencyCommand::help()))),
        EmergencyCommand::Status => later(app, inv, move |app| async move {
            Some(match ops::emergency::status(&*app).await {
                Ok(s) => Reply::message(chatops_blocks::freeze::status(&s)),
                Err(e) => Reply::from_op("check the emergency stop", &e),
            })
        }),
        EmergencyCommand::Engage { reason } => later(app, inv, move |app| async move {
            Some(match ops::emergency::may_engage(&*app, &actor).await {
                Ok(()) => Reply::message(chatops_blocks::freeze::confirm(&reason)),
                Err(e) => Reply::from_op("engage the emergency stop", &e),
            })
        }),
        EmergencyCommand::Release { reason } => later(app, inv, move |app| async move {
            Some(match ops::emergency::release(&*app, &actor, reason).await {
                Ok(Released::Released) => Reply::text("Releasing the emergency stop."),
                Ok(Released::NotEngaged) => {
                    Reply::text("The emergency stop is not engaged; nothing to release.")
                }
                Err(e) => Reply::from_op("release the emergency stop", &e),
            })
        }),
    }
    Ack::Reply(None)
}

/// Parses `/emergency-stop …` text.
pub(super) fn parse(text: &str) -> Result<EmergencyCommand, ParseError> {
    let text = text.trim();
    let (first, rest) = text
        .split_once(char::is_whitespace)
        .map_or((text, ""), |(s, r)| (s, r.trim()));
    let reason = |r: &str| -> Result<String, ParseError> {
        if r.chars().count() > 500 {
            return Err(ParseError::InvalidArgument(
                "Keep the reason under 500 characters; put the details in a thread.".into(),
            ));
        }
        Ok(r.to_owned())
    };
    match first.to_ascii_lowercase().as_str() {
        "help" | "-h" | "--help" if rest.is_empty() => Ok(EmergencyCommand::Help),
        "status" if rest.is_empty() => Ok(EmergencyCommand::Status),
        "release" => {
            if rest.is_empty() {
                return Err(ParseError::MissingArgument {
                    usage: EmergencyCommand::usage("release"),
                    what: "the reason it is safe again",
                });
            }
            Ok(EmergencyCommand::Release {
                reason: reason(rest)?,
            })
        }
        "" => Ok(EmergencyCommand::Engage {
            reason: "no reason given".into(),
        }),
        _ => Ok(EmergencyCommand::Engage {
            reason: reason(text)?,
        }),
    }
}
