//! Slash commands: pure, table-tested parsers into one enum per command (whose help lines
//! are its docs), and per command the Slack handler that runs the parsed command through `ops`
//! and renders what comes back.

pub mod emergency;
pub mod feature;
pub mod freeze;
mod help;
pub mod incident;
pub mod quality;
#[cfg(test)]
mod tests;

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use crate::invocation::Invocation;
use crate::{App, Reply};

pub use emergency::EmergencyCommand;
pub use feature::FeatureCommand;
pub use freeze::FreezeCommand;
pub use incident::IncidentCommand;
pub use quality::QualityCommand;

/// Longest request text accepted (Slack caps command text near 4,000 characters).
pub const MAX_REQUEST_LEN: usize = chatops_blocks::views::MAX_REQUEST_LEN;

/// A parsed slash command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `/feature …`
    Feature(FeatureCommand),
    /// `/incident …`
    Incident(IncidentCommand),
    /// `/emergency-stop …`
    EmergencyStop(EmergencyCommand),
    /// `/quality …`
    Quality(QualityCommand),
    /// `/freeze …`
    Freeze(FreezeCommand),
    /// `/chatops help`: every command.
    Help,
}

/// What a slash command acks with, at once.
#[derive(Debug, Clone, PartialEq)]
pub enum Ack {
    /// This reply; `None` when the answer follows on the command's `response_url`.
    Reply(Option<Reply>),
    /// Open the new-feature form on the command's trigger (it expires in about 3 s).
    OpenForm,
    /// Start a feature: recorded as owed, then acknowledged ([`crate::journal`]).
    Start(Box<crate::journal::OwedStart>),
}

/// `/chatops help`: every command, from the same tables each command's own help uses.
pub fn help() -> String {
    let tables = [
        FeatureCommand::HELP,
        IncidentCommand::HELP,
        EmergencyCommand::HELP,
        FreezeCommand::HELP,
        QualityCommand::HELP,
    ];
    let rows: Vec<(&str, &str)> = tables
        .iter()
        .flat_map(|t| t.iter().copied())
        .filter(|(usage, _)| !usage.ends_with(" help"))
        .collect();
    help::render(
        "*chatops* — delivery and incidents from Slack",
        &rows,
        "Buttons on cards and in threads decide gates and drive incidents. `/feature help`, `/incident help`, `/emergency-stop help`, `/freeze help` and `/quality help` say more.",
    )
}

/// A command that could not be parsed; its text is what the user sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// A slash command this app does not declare.
    UnknownCommand(String),
    /// `<command> <something unknown>`: the command and the word.
    UnknownSubcommand(&'static str, String),
    /// A subcommand without its argument.
    MissingArgument {
        /// The usage line.
        usage: &'static str,
        /// What is missing.
        what: &'static str,
    },
    /// An argument that is present but unusable.
    InvalidArgument(String),
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownCommand(c) => {
                write!(f, "I don't know the command `{c}`. Try `/chatops help`.")
            }
            Self::UnknownSubcommand("/incident", s) => {
                write!(
                    f,
                    "`/incident {s}` is not an incident command.\n{}",
                    IncidentCommand::help()
                )
            }
            Self::UnknownSubcommand(_, s) => {
                write!(
                    f,
                    "`/feature {s}` is not a feature command.\n{}",
                    FeatureCommand::help()
                )
            }
            Self::MissingArgument { usage, what } => {
                write!(
                    f,
                    "Missing {what}. Usage: `{}`",
                    chatops_blocks::escape(usage)
                )
            }
            Self::InvalidArgument(why) => f.write_str(why),
        }
    }
}

/// Parses `command` (e.g. `/feature`) with its `text`.
pub fn parse(command: &str, text: &str) -> Result<Command, ParseError> {
    match command {
        "/feature" => feature::parse(text).map(Command::Feature),
        "/incident" => incident::parse(text).map(Command::Incident),
        "/emergency-stop" => emergency::parse(text).map(Command::EmergencyStop),
        "/quality" => quality::parse(text).map(Command::Quality),
        "/freeze" => freeze::parse(text).map(Command::Freeze),
        "/chatops" => match text.trim().to_ascii_lowercase().as_str() {
            "" | "help" | "-h" | "--help" => Ok(Command::Help),
            other => Err(ParseError::InvalidArgument(format!(
                "`/chatops {}` is not something I know; `/chatops help` lists every command.",
                chatops_blocks::escape(other)
            ))),
        },
        other => Err(ParseError::UnknownCommand(other.to_owned())),
    }
}

/// Runs `work` in a task and sends its reply, if it has one, to the invocation's
/// `response_url`: the ack does not wait for Temporal.
fn later<F>(app: &Arc<App>, inv: &Invocation, work: impl FnOnce(Arc<App>) -> F)
where
    F: Future<Output = Option<Reply>> + Send + 'static,
{
    let (task_app, response_url) = (app.clone(), inv.response_url.clone());
    let work = work(app.clone());
    crate::tasks::spawn(async move {
        if let Some(reply) = work.await {
            task_app.respond(response_url.as_deref(), reply).await;
        }
    });
}
