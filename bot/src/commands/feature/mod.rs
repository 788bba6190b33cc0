//! `/feature`: start a delivery (by text or the form), read one or the running ones, control
//! one (pause, resume, block, unblock, priority, skip a gate, deploy outside the deploy windows,
//! cancel), show help.

mod parse;
mod run;
#[cfg(test)]
mod tests;

use chatops_contract::feature::{GateName, Priority};

use super::help::{self, subcommands};

pub(super) use parse::parse;
pub use run::run;

subcommands! {
    /// `/feature` subcommands, each documented by its help line.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum FeatureCommand {
        #[help(
            "/feature new <request>",
            "start delivering a feature: posts its card here and asks for intake approval"
        )]
        New {
            /// What to build.
            request: String,
        },
        #[help(
            "/feature new",
            "open a form for the request, repository, priority and target environment"
        )]
        Form,
        #[help(
            "/feature patch <request>",
            "ship a small change fast: the request is its one task, no intake or plan gate; checks and the production gate still decide"
        )]
        Patch {
            /// The change.
            request: String,
        },
        #[help(
            "/feature hotfix <request>",
            "a patch that someone on call may let pass a freeze"
        )]
        Hotfix {
            /// The fix.
            request: String,
        },
        #[help(
            "/feature pass-freeze <id> <reason>",
            "let a hotfix go on while a freeze holds deliveries (on-call only)"
        )]
        PassFreeze {
            /// Its workflow id.
            id: String,
            /// Why.
            reason: String,
        },
        #[help("/feature status <id>", "show a feature's phase, gates and timeline")]
        Status {
            /// Its workflow id.
            id: String,
        },
        #[help(
            "/feature pause <id> [reason]",
            "hold a feature before its next phase (the running phase at its next safe point)"
        )]
        Pause {
            /// Its workflow id.
            id: String,
            /// Why.
            reason: Option<String>,
        },
        #[help("/feature resume <id>", "let a paused feature go on")]
        Resume {
            /// Its workflow id.
            id: String,
        },
        #[help(
            "/feature block <id> <blocker> [reason]",
            "hold the next phase until `/feature unblock`"
        )]
        Block {
            /// Its workflow id.
            id: String,
            /// The blocker's short id.
            blocker: String,
            /// What it waits for.
            reason: Option<String>,
        },
        #[help("/feature unblock <id> <blocker>", "remove a blocker")]
        Unblock {
            /// Its workflow id.
            id: String,
            /// The blocker's short id.
            blocker: String,
        },
        #[help(
            "/feature skip <id> <gate> <reason>",
            "pass a pending gate without approvals (admins only)"
        )]
        Skip {
            /// Its workflow id.
            id: String,
            /// The gate.
            gate: GateName,
            /// Why.
            reason: String,
        },
        #[help(
            "/feature override-window <id> <reason>",
            "let a feature deploy outside the deploy windows (admins only)"
        )]
        OverrideWindow {
            /// Its workflow id.
            id: String,
            /// Why.
            reason: String,
        },
        #[help(
            "/feature priority <id> <low|medium|high|critical>",
            "change a feature's priority"
        )]
        Priority {
            /// Its workflow id.
            id: String,
            /// The new priority.
            priority: Priority,
        },
        #[help(
            "/feature list [all]",
            "your running features (or every running one) with phase and pending gate"
        )]
        List {
            /// Every running feature, not only the caller's.
            all: bool,
        },
        #[help(
            "/feature cancel <id> <reason>",
            "stop a feature for good (its requester or an admin); a production deploy in progress is rolled back"
        )]
        Cancel {
            /// Its workflow id.
            id: String,
            /// Why.
            reason: String,
        },
        #[help("/feature help", "show this help")]
        Help,
    }
}

impl FeatureCommand {
    /// The help text.
    pub fn help() -> String {
        help::render(
            "*/feature* — deliver features from Slack",
            Self::HELP,
            "Approve or reject a feature with the buttons in its thread.",
        )
    }
}
