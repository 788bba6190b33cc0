//! `/incident`: open one by hand, show one or the open ones, hand one over, resolve one.

mod parse;
mod run;
#[cfg(test)]
mod tests;

use chatops_contract::incident::Severity;

use super::help::{self, subcommands};

pub(super) use parse::parse;
pub use run::run;

subcommands! {
    /// `/incident` subcommands, each documented by its help line.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum IncidentCommand {
        #[help(
            "/incident new <service> [sev1|sev2|sev3|sev4] <summary>",
            "open an incident by hand (default sev2): card in the incident channel, agents start diagnosing"
        )]
        New {
            /// Affected service.
            service: String,
            /// How bad (`sev1`…`sev4`); high when not given.
            severity: Severity,
            /// What is wrong.
            summary: String,
        },
        #[help(
            "/incident status [id]",
            "one incident's state and latest events; without an id, the open incidents"
        )]
        Status {
            /// Incident workflow id.
            id: Option<String>,
        },
        #[help("/incident list", "the open incidents, with severity and age")]
        List,
        #[help(
            "/incident commander <id> <@user>",
            "hand command of an incident to someone"
        )]
        Commander {
            /// Incident workflow id.
            id: String,
            /// The new commander's Slack user id.
            user: String,
        },
        #[help(
            "/incident resolve <id> <summary>",
            "resolve an incident; its postmortem is posted in its thread"
        )]
        Resolve {
            /// Incident workflow id.
            id: String,
            /// What fixed it.
            summary: String,
        },
        #[help("/incident help", "show this help")]
        Help,
    }
}

impl IncidentCommand {
    /// The help text.
    pub fn help() -> String {
        help::render(
            "*/incident* — respond to incidents from Slack",
            Self::HELP,
            "Acknowledge, roll back, resolve and pick diagnoses with the buttons on an incident's card and in its thread.",
        )
    }
}
