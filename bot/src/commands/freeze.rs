//! `/freeze`: the freeze calendar. Scheduled freezes engage the emergency stop on time in
//! holding mode (deliveries wait before their next phase) and release it when they end.
//! Anyone may list it; adding and removing is for people on call.

use std::sync::Arc;

use chatops_common::freeze_calendar;
use chatops_contract::freeze::is_freeze_name;

use super::help::{self, subcommands};
use super::{Ack, ParseError, later};
use crate::invocation::Invocation;
use crate::ops::{self, calendar::Added};
use crate::{App, Reply};

subcommands! {
    /// `/freeze` forms, each documented by its help line.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum FreezeCommand {
        #[help("/freeze list", "the scheduled freezes and when each starts next")]
        List,
        #[help(
            "/freeze add <name> <YYYY-MM-DD HH:MM | days HH:MM> for <duration> [<time zone>] <reason>",
            "schedule a freeze, once or weekly: deliveries hold before their next phase while it lasts (on-call only)"
        )]
        Add {
            /// Its name.
            name: String,
            /// When, as written: start date or days, time, `for`, duration, zone.
            when: Vec<String>,
            /// Why.
            reason: String,
        },
        #[help("/freeze remove <name>", "take a freeze off the calendar (on-call only)")]
        Remove {
            /// Its name.
            name: String,
        },
        #[help("/freeze help", "show this help")]
        Help,
    }
}

impl FreezeCommand {
    /// The help text.
    pub fn help() -> String {
        help::render(
            "*/freeze* — change freezes that start and end on their own",
            Self::HELP,
            "Example: `/freeze add holidays 2026-12-24 00:00 for 9d Europe/Berlin Holiday freeze`, `/freeze add weekends Fri 15:00 for 66h Europe/Berlin No weekend deploys`. An on-call `/emergency-stop release` ends one early.",
        )
    }
}

/// Parses `/freeze` text; a freeze's timing is checked here, so a mistake is answered at once.
pub(crate) fn parse(text: &str) -> Result<FreezeCommand, ParseError> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let usage = FreezeCommand::usage("add");
    match words.as_slice() {
        [] | ["help" | "-h" | "--help"] => Ok(FreezeCommand::Help),
        ["list"] => Ok(FreezeCommand::List),
        ["remove", name] => Ok(FreezeCommand::Remove {
            name: freeze_name(name)?,
        }),
        ["remove"] => Err(ParseError::MissingArgument {
            usage: FreezeCommand::usage("remove"),
            what: "the freeze's name",
        }),
        ["add"] => Err(ParseError::MissingArgument {
            usage,
            what: "the freeze's name",
        }),
        ["add", name, rest @ ..] => {
            let name = freeze_name(name)?;
            let with_zone = rest.get(4).is_some_and(|z| freeze_calendar::is_zone(z));
            let split = if with_zone { 5 } else { 4 };
            let (when, reason) = rest.split_at(split.min(rest.len()));
            freeze_calendar::parse_now(when)
                .map_err(|e| ParseError::InvalidArgument(chatops_blocks::escape(&e)))?;
            if reason.is_empty() {
                return Err(ParseError::MissingArgument {
                    usage,
                    what: "the reason (a freeze says why it holds deliveries)",
                });
            }
            Ok(FreezeCommand::Add {
                name,
                when: when.iter().map(|w| (*w).to_owned()).collect(),
                reason: reason.join(" "),
            })
        }
        [other, ..] => Err(ParseError::InvalidArgument(format!(
            "`/freeze {}` is not a freeze command.\n{}",
            chatops_blocks::escape(other),
            FreezeCommand::help()
        ))),
    }
}

fn freeze_name(name: &str) -> Result<String, ParseError> {
    if is_freeze_name(name) {
        Ok(name.to_owned())
    } else {
        Err(ParseError::InvalidArgument(format!(
            "`{}` is not a freeze name: use letters, digits, - or _ (at most 40), like `holidays`.",
            chatops_blocks::escape(name)
        )))
    }
}

/// Runs a `/freeze` form; the answer follows on the command's `response_url`.
pub fn run(app: &Arc<App>, inv: &Invocation, cmd: FreezeCommand) -> Ack {
    let actor = inv.actor();
    match cmd {
        FreezeCommand::Help => return Ack::Reply(Some(Reply::text(FreezeCommand::help()))),
        FreezeCommand::List => later(app, inv, move |app| async move {
            Some(match ops::calendar::list(&*app).await {
                Ok(entries) => Reply::text(chatops_blocks::freeze::calendar(&entries)),
                Err(e) => Reply::from_op("read the freeze calendar", &e),
            })
        }),
        FreezeCommand::Add { name, when, reason } => later(app, inv, move |app| async move {
            let words: Vec<&str> = when.iter().map(String::as_str).collect();
            let when = match freeze_calendar::parse_now(&words) {
                Ok(w) => w,
                Err(why) => return Some(Reply::text(chatops_blocks::escape(&why))),
            };
            Some(
                match ops::calendar::add(&*app, &actor, &name, &when, reason).await {
                    Ok(Added::Added) => Reply::text(format!(
                        "Scheduled freeze `{name}`: {}. `/freeze list` shows when it starts next.",
                        chatops_blocks::escape(&when.text)
                    )),
                    Ok(Added::Exists) => Reply::text(format!(
                        "A freeze named `{name}` is already scheduled; `/freeze remove {name}` first to change it."
                    )),
                    Err(e) => Reply::from_op("schedule the freeze", &e),
                },
            )
        }),
        FreezeCommand::Remove { name } => later(app, inv, move |app| async move {
            Some(match ops::calendar::remove(&*app, &actor, &name).await {
                Ok(()) => Reply::text(format!(
                    "Removed the scheduled freeze `{name}`. One under way holds until it ends, or until `/emergency-stop release`."
                )),
                Err(ops::OpError::Temporal(crate::temporal::TemporalError::NotFound(_))) => {
                    Reply::text(format!(
                        "No freeze named `{name}` is scheduled; `/freeze list` shows them."
                    ))
                }
                Err(e) => Reply::from_op("remove the freeze", &e),
            })
        }),
    }
    Ack::Reply(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::{Command, parse as command};

    #[test]
    fn freezes_parse_with_their_timing_and_mistakes_get_specific_answers() {
        assert_eq!(
            command(
                "/freeze",
                "add weekends Fri 15:00 for 66h Europe/Berlin No weekend deploys"
            ),
            Ok(Command::Freeze(FreezeCommand::Add {
                name: "weekends".into(),
                when: ["Fri", "15:00", "for", "66h", "Europe/Berlin"]
                    .map(String::from)
                    .to_vec(),
                reason: "No weekend deploys".into(),
            }))
        );
        assert_eq!(
            command(
                "/freeze",
                "add holidays 2099-12-24 00:00 for 9d Holiday freeze"
            ),
            Ok(Command::Freeze(FreezeCommand::Add {
                name: "holidays".into(),
                when: ["2099-12-24", "00:00", "for", "9d"]
                    .map(String::from)
                    .to_vec(),
                reason: "Holiday freeze".into(),
            }))
        );
        assert_eq!(
            command("/freeze", "list"),
            Ok(Command::Freeze(FreezeCommand::List))
        );
        for (text, says) in [
            ("add", "Missing the freeze's name"),
            ("add a/b Fri 15:00 for 1h x", "`a/b` is not a freeze name"),
            ("add weekends Fri 15:00 for 1h", "Missing the reason"),
            (
                "add weekends Fri 15:00 1h why",
                "write `&lt;YYYY-MM-DD HH:MM",
            ),
            ("add old 2001-01-01 00:00 for 1h why", "has already passed"),
            ("remove", "Missing the freeze's name"),
            ("pause", "is not a freeze command"),
        ] {
            let err = command("/freeze", text).expect_err(text).to_string();
            assert!(err.contains(says), "{text:?} → {err}");
        }
    }
}
