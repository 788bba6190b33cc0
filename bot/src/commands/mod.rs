//! Slash commands: a pure, table-tested parser into [`Command`], then one file per command.

pub mod emergency;
pub mod feature;
pub mod incident;

use chatops_contract::feature::Priority;
use chatops_contract::incident::Severity;

use std::fmt;

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
    /// `/chatops help`: every command.
    Help,
}

/// `/feature` subcommands. [`FeatureCommand::HELP`] documents each; `/feature help` prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeatureCommand {
    /// Start delivering a feature.
    New {
        /// What to build.
        request: String,
    },
    /// Open the new-feature form (a modal: request, repository, priority, target).
    Form,
    /// Show where a feature stands.
    Status {
        /// Its workflow id.
        id: String,
    },
    /// Hold a feature before its next phase (and its running phase at its next safe point).
    Pause {
        /// Its workflow id.
        id: String,
        /// Why.
        reason: Option<String>,
    },
    /// Let a paused feature go on.
    Resume {
        /// Its workflow id.
        id: String,
    },
    /// Hold a feature's next phase transition until the blocker is removed.
    Block {
        /// Its workflow id.
        id: String,
        /// The blocker's short id.
        blocker: String,
        /// What it waits for.
        reason: Option<String>,
    },
    /// Remove a blocker.
    Unblock {
        /// Its workflow id.
        id: String,
        /// The blocker's short id.
        blocker: String,
    },
    /// Pass a pending gate without approvals (admins).
    Skip {
        /// Its workflow id.
        id: String,
        /// The gate.
        gate: String,
        /// Why.
        reason: String,
    },
    /// List running features: the caller's, or all.
    List {
        /// Every running feature, not only the caller's.
        all: bool,
    },
    /// Stop one feature for good (production rolled back if it was being deployed).
    Cancel {
        /// Its workflow id.
        id: String,
        /// Why.
        reason: String,
    },
    /// Change a feature's priority.
    Priority {
        /// Its workflow id.
        id: String,
        /// The new priority.
        priority: Priority,
    },
    /// Show the help text.
    Help,
}

impl FeatureCommand {
    /// Usage and description of every subcommand, in the order help lists them.
    pub const HELP: &'static [(&'static str, &'static str)] = &[
        (
            "/feature new <request>",
            "start delivering a feature: posts its card here and asks for intake approval",
        ),
        (
            "/feature new",
            "open a form for the request, repository, priority and target environment",
        ),
        (
            "/feature status <id>",
            "show a feature's phase, gates and timeline",
        ),
        (
            "/feature pause <id> [reason]",
            "hold a feature before its next phase (the running phase at its next safe point)",
        ),
        ("/feature resume <id>", "let a paused feature go on"),
        (
            "/feature block <id> <blocker> [reason]",
            "hold the next phase until `/feature unblock`",
        ),
        ("/feature unblock <id> <blocker>", "remove a blocker"),
        (
            "/feature skip <id> <gate> <reason>",
            "pass a pending gate without approvals (admins only)",
        ),
        (
            "/feature priority <id> <low|medium|high|critical>",
            "change a feature's priority",
        ),
        (
            "/feature list [all]",
            "your running features (or every running one) with phase and pending gate",
        ),
        (
            "/feature cancel <id> <reason>",
            "stop a feature for good (its requester or an admin); a production deploy in progress is rolled back",
        ),
        ("/feature help", "show this help"),
    ];

    /// The help text.
    pub fn help() -> String {
        let mut out = String::from("*/feature* — deliver features from Slack\n");
        for (usage, what) in Self::HELP {
            out.push_str(&format!("• `{}` — {what}\n", chatops_blocks::escape(usage)));
        }
        out.push_str("Approve or reject a feature with the buttons in its thread.");
        out
    }
}

/// `/incident` subcommands. [`IncidentCommand::HELP`] documents each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IncidentCommand {
    /// Open an incident by hand.
    New {
        /// Affected service.
        service: String,
        /// How bad (`sev1`…`sev4`); high when not given.
        severity: Severity,
        /// What is wrong.
        summary: String,
    },
    /// One incident's status, or with no id the open incidents.
    Status {
        /// Incident workflow id.
        id: Option<String>,
    },
    /// The open incidents.
    List,
    /// Hand command of an incident to someone.
    Commander {
        /// Incident workflow id.
        id: String,
        /// The new commander's Slack user id.
        user: String,
    },
    /// Resolve an incident.
    Resolve {
        /// Incident workflow id.
        id: String,
        /// What fixed it.
        summary: String,
    },
    /// Show the help text.
    Help,
}

impl IncidentCommand {
    /// Usage and description of every subcommand, in the order help lists them.
    pub const HELP: &'static [(&'static str, &'static str)] = &[
        (
            "/incident new <service> [sev1|sev2|sev3|sev4] <summary>",
            "open an incident by hand (default sev2): card in the incident channel, agents start diagnosing",
        ),
        (
            "/incident status [id]",
            "one incident's state and latest events; without an id, the open incidents",
        ),
        (
            "/incident list",
            "the open incidents, with severity and age",
        ),
        (
            "/incident commander <id> <@user>",
            "hand command of an incident to someone",
        ),
        (
            "/incident resolve <id> <summary>",
            "resolve an incident; its postmortem is posted in its thread",
        ),
        ("/incident help", "show this help"),
    ];

    /// The help text.
    pub fn help() -> String {
        let mut out = String::from("*/incident* — respond to incidents from Slack\n");
        for (usage, what) in Self::HELP {
            out.push_str(&format!("• `{}` — {what}\n", chatops_blocks::escape(usage)));
        }
        out.push_str("Acknowledge, roll back, resolve and pick diagnoses with the buttons on an incident's card and in its thread.");
        out
    }
}

/// `/emergency-stop` subcommands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmergencyCommand {
    /// Ask to engage (a confirmation follows).
    Engage {
        /// Why.
        reason: String,
    },
    /// Release it.
    Release {
        /// Why it is safe again.
        reason: String,
    },
    /// Whether it is engaged.
    Status,
    /// Show the help text.
    Help,
}

impl EmergencyCommand {
    /// Usage and description of every form, in the order help lists them.
    pub const HELP: &'static [(&'static str, &'static str)] = &[
        (
            "/emergency-stop [reason]",
            "halt every running delivery and hold new ones (on-call only; asks to confirm)",
        ),
        (
            "/emergency-stop release <reason>",
            "let deliveries go on again (on-call only)",
        ),
        (
            "/emergency-stop status",
            "whether the stop is engaged, since when and why",
        ),
        ("/emergency-stop help", "show this help"),
    ];

    /// The help text.
    pub fn help() -> String {
        let mut out =
            String::from("*/emergency-stop* — the big red button, and it stays pressed\n");
        for (usage, what) in Self::HELP {
            out.push_str(&format!("• `{}` — {what}\n", chatops_blocks::escape(usage)));
        }
        out.push_str("Engaged, it survives restarts of the worker and of Temporal until someone releases it.");
        out
    }
}

/// `/chatops help`: every command, generated from the same tables each command's own help uses.
pub fn help() -> String {
    let mut out = String::from("*chatops* — delivery and incidents from Slack\n");
    let tables: [&[(&str, &str)]; 3] = [
        FeatureCommand::HELP,
        IncidentCommand::HELP,
        EmergencyCommand::HELP,
    ];
    for table in tables {
        for (usage, what) in table.iter().filter(|(u, _)| !u.ends_with(" help")) {
            out.push_str(&format!("• `{}` — {what}\n", chatops_blocks::escape(usage)));
        }
    }
    out.push_str("Buttons on cards and in threads decide gates and drive incidents. `/feature help`, `/incident help` and `/emergency-stop help` say more.");
    out
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
        "/feature" => parse_feature(text).map(Command::Feature),
        "/incident" => parse_incident(text).map(Command::Incident),
        "/emergency-stop" => parse_emergency(text).map(Command::EmergencyStop),
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

fn parse_feature(text: &str) -> Result<FeatureCommand, ParseError> {
    let text = text.trim();
    let (sub, rest) = text
        .split_once(char::is_whitespace)
        .map_or((text, ""), |(s, r)| (s, r.trim()));
    match sub.to_ascii_lowercase().as_str() {
        "" | "help" | "-h" | "--help" => Ok(FeatureCommand::Help),
        "new" => {
            if rest.is_empty() {
                return Ok(FeatureCommand::Form);
            }
            if rest.chars().count() > MAX_REQUEST_LEN {
                return Err(ParseError::InvalidArgument(format!(
                    "That request is {} characters long; keep it under {MAX_REQUEST_LEN} and put the details in the thread.",
                    rest.chars().count()
                )));
            }
            Ok(FeatureCommand::New {
                request: rest.to_owned(),
            })
        }
        "status" => {
            let mut args = rest.split_whitespace();
            let Some(id) = args.next() else {
                return Err(ParseError::MissingArgument {
                    usage: feature_usage("status"),
                    what: "the feature id",
                });
            };
            if args.next().is_some() {
                return Err(ParseError::InvalidArgument(format!(
                    "`/feature status` takes one feature id, like `feature-add-login-1a2b3c4d`; got `{rest}`."
                )));
            }
            let id = id.trim_matches('`');
            if !chatops_contract::ids::is_feature_workflow_id(id) {
                return Err(ParseError::InvalidArgument(format!(
                    "`{id}` is not a feature id. Feature ids look like `feature-add-login-1a2b3c4d`."
                )));
            }
            Ok(FeatureCommand::Status { id: id.to_owned() })
        }
        "pause" => {
            let (id, reason) = id_then_text(rest, feature_usage("pause"), "the feature id")?;
            Ok(FeatureCommand::Pause { id, reason })
        }
        "resume" => {
            let (id, extra) = id_then_text(rest, feature_usage("resume"), "the feature id")?;
            if extra.is_some() {
                return Err(ParseError::InvalidArgument(
                    "`/feature resume` takes only the feature id.".to_owned(),
                ));
            }
            Ok(FeatureCommand::Resume { id })
        }
        "block" | "unblock" => {
            let blocking = sub.eq_ignore_ascii_case("block");
            let usage = feature_usage(if blocking { "block" } else { "unblock" });
            let (id, rest) = id_then_text(rest, usage, "the feature id")?;
            let rest = rest.unwrap_or_default();
            let (blocker, reason) = rest
                .split_once(char::is_whitespace)
                .map_or((rest.as_str(), ""), |(b, r)| (b, r.trim()));
            if blocker.is_empty() {
                return Err(ParseError::MissingArgument {
                    usage,
                    what: "the blocker's id",
                });
            }
            if !blocker
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                || blocker.len() > 40
            {
                return Err(ParseError::InvalidArgument(format!(
                    "`{}` is not a blocker id: use letters, digits, - or _ (at most 40), like `legal-review`.",
                    chatops_blocks::escape(blocker)
                )));
            }
            let blocker = blocker.to_owned();
            if blocking {
                Ok(FeatureCommand::Block {
                    id,
                    blocker,
                    reason: (!reason.is_empty()).then(|| reason.to_owned()),
                })
            } else if reason.is_empty() {
                Ok(FeatureCommand::Unblock { id, blocker })
            } else {
                Err(ParseError::InvalidArgument(
                    "`/feature unblock` takes the feature id and the blocker's id only.".to_owned(),
                ))
            }
        }
        "skip" => {
            let (id, rest) = id_then_text(rest, feature_usage("skip"), "the feature id")?;
            let rest = rest.unwrap_or_default();
            let (gate, reason) = rest
                .split_once(char::is_whitespace)
                .map_or((rest.as_str(), ""), |(g, r)| (g, r.trim()));
            let gate = gate.to_ascii_lowercase();
            if !["intake", "plan", "production"].contains(&gate.as_str()) {
                return Err(ParseError::InvalidArgument(format!(
                    "`{}` is not a gate; the gates are `intake`, `plan` and `production`.",
                    chatops_blocks::escape(&gate)
                )));
            }
            if reason.is_empty() {
                return Err(ParseError::MissingArgument {
                    usage: feature_usage("skip"),
                    what: "the reason (a skipped gate is on record with why)",
                });
            }
            Ok(FeatureCommand::Skip {
                id,
                gate,
                reason: reason.to_owned(),
            })
        }
        "list" => match rest.to_ascii_lowercase().as_str() {
            "" | "mine" => Ok(FeatureCommand::List { all: false }),
            "all" => Ok(FeatureCommand::List { all: true }),
            other => Err(ParseError::InvalidArgument(format!(
                "`/feature list` takes `all` or nothing; got `{}`.",
                chatops_blocks::escape(other)
            ))),
        },
        "cancel" => {
            let (id, reason) = id_then_text(rest, feature_usage("cancel"), "the feature id")?;
            let Some(reason) = reason else {
                return Err(ParseError::MissingArgument {
                    usage: feature_usage("cancel"),
                    what: "the reason",
                });
            };
            Ok(FeatureCommand::Cancel { id, reason })
        }
        "priority" => {
            let (id, rest) = id_then_text(rest, feature_usage("priority"), "the feature id")?;
            let word = rest.unwrap_or_default().to_ascii_lowercase();
            let priority = match word.as_str() {
                "low" => Priority::Low,
                "medium" => Priority::Medium,
                "high" => Priority::High,
                "critical" => Priority::Critical,
                "" => {
                    return Err(ParseError::MissingArgument {
                        usage: feature_usage("priority"),
                        what: "the priority",
                    });
                }
                other => {
                    return Err(ParseError::InvalidArgument(format!(
                        "`{}` is not a priority: use low, medium, high or critical.",
                        chatops_blocks::escape(other)
                    )));
                }
            };
            Ok(FeatureCommand::Priority { id, priority })
        }
        other => Err(ParseError::UnknownSubcommand("/feature", other.to_owned())),
    }
}

/// The usage line of `/feature <sub>`, from [`FeatureCommand::HELP`].
fn feature_usage(sub: &str) -> &'static str {
    FeatureCommand::HELP
        .iter()
        .map(|(usage, _)| *usage)
        .find(|usage| {
            usage
                .strip_prefix("/feature ")
                .and_then(|u| u.split_whitespace().next())
                == Some(sub)
        })
        .unwrap_or("/feature help")
}

/// A feature id first (checked), then the rest of the text, if any; `usage` is the usage line
/// for the missing-argument answer.
fn id_then_text(
    rest: &str,
    usage: &'static str,
    what: &'static str,
) -> Result<(String, Option<String>), ParseError> {
    let (id, tail) = rest
        .split_once(char::is_whitespace)
        .map_or((rest, ""), |(i, t)| (i, t.trim()));
    if id.is_empty() {
        return Err(ParseError::MissingArgument { usage, what });
    }
    let id = id.trim_matches('`');
    if !chatops_contract::ids::is_feature_workflow_id(id) {
        return Err(ParseError::InvalidArgument(format!(
            "`{}` is not a feature id. Feature ids look like `feature-add-login-1a2b3c4d`.",
            chatops_blocks::escape(id)
        )));
    }
    Ok((id.to_owned(), (!tail.is_empty()).then(|| tail.to_owned())))
}

fn parse_incident(text: &str) -> Result<IncidentCommand, ParseError> {
    let text = text.trim();
    let (sub, rest) = text
        .split_once(char::is_whitespace)
        .map_or((text, ""), |(s, r)| (s, r.trim()));
    let usage = |i: usize| IncidentCommand::HELP[i].0;
    let id_arg = |id: &str| -> Result<String, ParseError> {
        let id = id.trim_matches('`');
        if chatops_contract::ids::is_incident_workflow_id(id) {
            Ok(id.to_owned())
        } else {
            Err(ParseError::InvalidArgument(format!(
                "`{}` is not an incident id. Incident ids look like `incident-3f9a1c2b4d`; `/incident list` shows the open ones.",
                chatops_blocks::escape(id)
            )))
        }
    };
    match sub.to_ascii_lowercase().as_str() {
        "" | "help" | "-h" | "--help" => Ok(IncidentCommand::Help),
        "list" | "ls" => {
            if rest.is_empty() {
                Ok(IncidentCommand::List)
            } else {
                Err(ParseError::InvalidArgument(
                    "`/incident list` takes no arguments.".into(),
                ))
            }
        }
        "status" => {
            let mut args = rest.split_whitespace();
            let id = args.next().map(id_arg).transpose()?;
            if args.next().is_some() {
                return Err(ParseError::InvalidArgument(format!(
                    "`/incident status` takes at most one incident id; got `{}`.",
                    chatops_blocks::escape(rest)
                )));
            }
            Ok(IncidentCommand::Status { id })
        }
        "new" | "open" => {
            let (service, rest) = rest
                .split_once(char::is_whitespace)
                .map_or((rest, ""), |(s, r)| (s, r.trim()));
            if service.is_empty() {
                return Err(ParseError::MissingArgument {
                    usage: usage(0),
                    what: "the service",
                });
            }
            if !service
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c))
            {
                return Err(ParseError::InvalidArgument(format!(
                    "`{}` is not a service name: use letters, digits, `-`, `_`, `.` or `/`. Usage: `{}`",
                    chatops_blocks::escape(service),
                    chatops_blocks::escape(usage(0))
                )));
            }
            let (first, after) = rest
                .split_once(char::is_whitespace)
                .map_or((rest, ""), |(s, r)| (s, r.trim()));
            let (severity, summary) = match sev_word(first) {
                Some(sev) => (sev, after),
                None => (Severity::High, rest),
            };
            if summary.is_empty() {
                return Err(ParseError::MissingArgument {
                    usage: usage(0),
                    what: "the summary",
                });
            }
            if summary.chars().count() > MAX_REQUEST_LEN {
                return Err(ParseError::InvalidArgument(format!(
                    "That summary is {} characters long; keep it under {MAX_REQUEST_LEN} and put the details in the thread.",
                    summary.chars().count()
                )));
            }
            Ok(IncidentCommand::New {
                service: service.to_owned(),
                severity,
                summary: summary.to_owned(),
            })
        }
        "commander" => {
            let mut args = rest.split_whitespace();
            let (Some(id), Some(who), None) = (args.next(), args.next(), args.next()) else {
                return Err(ParseError::MissingArgument {
                    usage: usage(3),
                    what: "the incident id and the new commander",
                });
            };
            let id = id_arg(id)?;
            let Some(user) = user_id(who) else {
                return Err(ParseError::InvalidArgument(format!(
                    "`{}` is not a person. Mention them, like `/incident commander {id} @alice`.",
                    chatops_blocks::escape(who)
                )));
            };
            Ok(IncidentCommand::Commander { id, user })
        }
        "resolve" => {
            let (id, summary) = rest
                .split_once(char::is_whitespace)
                .map_or((rest, ""), |(s, r)| (s, r.trim()));
            if id.is_empty() {
                return Err(ParseError::MissingArgument {
                    usage: usage(4),
                    what: "the incident id",
                });
            }
            let id = id_arg(id)?;
            if summary.is_empty() {
                return Err(ParseError::MissingArgument {
                    usage: usage(4),
                    what: "what fixed it",
                });
            }
            Ok(IncidentCommand::Resolve {
                id,
                summary: summary.to_owned(),
            })
        }
        other => Err(ParseError::UnknownSubcommand("/incident", other.to_owned())),
    }
}

fn parse_emergency(text: &str) -> Result<EmergencyCommand, ParseError> {
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
                    usage: EmergencyCommand::HELP[1].0,
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

/// A user id from a mention as Slack escapes it (`<@U123|alice>`, `<@U123>`) or a bare id.
fn user_id(word: &str) -> Option<String> {
    let inner = word
        .strip_prefix("<@")
        .and_then(|w| w.strip_suffix('>'))
        .map(|w| w.split('|').next().unwrap_or_default())
        .unwrap_or(word);
    let valid = inner.len() > 1
        && inner.starts_with(['U', 'W'])
        && inner
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    valid.then(|| inner.to_owned())
}

/// `sev1`…`sev4` (or `p1`…`p4`), the words people type for severity in a command.
fn sev_word(word: &str) -> Option<Severity> {
    match word.to_ascii_lowercase().as_str() {
        "sev1" | "p1" => Some(Severity::Critical),
        "sev2" | "p2" => Some(Severity::High),
        "sev3" | "p3" => Some(Severity::Medium),
        "sev4" | "p4" => Some(Severity::Low),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feature(text: &str) -> Result<Command, ParseError> {
        parse("/feature", text)
    }

    #[test]
    fn every_feature_subcommand_finds_its_own_usage_line() {
        for sub in [
            "new", "status", "pause", "resume", "block", "unblock", "skip", "priority", "list",
            "cancel", "help",
        ] {
            let usage = feature_usage(sub);
            assert!(
                usage.starts_with(&format!("/feature {sub}")),
                "{sub}: {usage}"
            );
        }
    }

    #[test]
    fn control_subcommands_name_what_is_wrong() {
        let table = [
            (
                "pause",
                "Missing the feature id. Usage: `/feature pause &lt;id&gt; [reason]`",
            ),
            (
                "resume feature-x-1 now",
                "`/feature resume` takes only the feature id.",
            ),
            ("block feature-x-1", "Missing the blocker's id."),
            ("block feature-x-1 a/b", "`a/b` is not a blocker id"),
            (
                "unblock feature-x-1 legal why",
                "takes the feature id and the blocker's id only",
            ),
            ("skip feature-x-1 staging why", "`staging` is not a gate"),
            ("skip feature-x-1 plan", "Missing the reason"),
            ("priority feature-x-1 urgent", "`urgent` is not a priority"),
            ("priority feature-x-1", "Missing the priority."),
            ("cancel feature-x-1", "Missing the reason."),
            ("list yours", "`/feature list` takes `all` or nothing"),
            ("pause nope", "`nope` is not a feature id"),
        ];
        for (text, want) in table {
            let err = feature(text).expect_err(text).to_string();
            assert!(err.contains(want), "{text:?}: {err}");
        }
    }

    #[test]
    fn commands_parse_into_the_enum() {
        let new = |r: &str| Ok(Command::Feature(FeatureCommand::New { request: r.into() }));
        let table: Vec<(&str, Result<Command, ParseError>)> = vec![
            ("new Add OAuth2 login", new("Add OAuth2 login")),
            ("  NEW   Add OAuth2 login  ", new("Add OAuth2 login")),
            ("new\tmulti\nline", new("multi\nline")),
            ("new", Ok(Command::Feature(FeatureCommand::Form))),
            ("  new   ", Ok(Command::Feature(FeatureCommand::Form))),
            (
                "status feature-add-login-1a2b3c4d",
                Ok(Command::Feature(FeatureCommand::Status {
                    id: "feature-add-login-1a2b3c4d".into(),
                })),
            ),
            (
                "status `feature-x-1`",
                Ok(Command::Feature(FeatureCommand::Status {
                    id: "feature-x-1".into(),
                })),
            ),
            ("help", Ok(Command::Feature(FeatureCommand::Help))),
            ("", Ok(Command::Feature(FeatureCommand::Help))),
            (
                "pause feature-x-1 demo day",
                Ok(Command::Feature(FeatureCommand::Pause {
                    id: "feature-x-1".into(),
                    reason: Some("demo day".into()),
                })),
            ),
            (
                "resume feature-x-1",
                Ok(Command::Feature(FeatureCommand::Resume {
                    id: "feature-x-1".into(),
                })),
            ),
            (
                "block feature-x-1 legal licence review",
                Ok(Command::Feature(FeatureCommand::Block {
                    id: "feature-x-1".into(),
                    blocker: "legal".into(),
                    reason: Some("licence review".into()),
                })),
            ),
            (
                "unblock feature-x-1 legal",
                Ok(Command::Feature(FeatureCommand::Unblock {
                    id: "feature-x-1".into(),
                    blocker: "legal".into(),
                })),
            ),
            (
                "skip feature-x-1 Plan planned offline",
                Ok(Command::Feature(FeatureCommand::Skip {
                    id: "feature-x-1".into(),
                    gate: "plan".into(),
                    reason: "planned offline".into(),
                })),
            ),
            (
                "priority feature-x-1 HIGH",
                Ok(Command::Feature(FeatureCommand::Priority {
                    id: "feature-x-1".into(),
                    priority: Priority::High,
                })),
            ),
        ];
        for (text, want) in table {
            assert_eq!(feature(text), want, "{text:?}");
        }
    }

    #[test]
    fn mistakes_get_specific_answers() {
        let table: &[(&str, &str, &str)] = &[
            (
                "/feature",
                "status",
                "Missing the feature id. Usage: `/feature status &lt;id&gt;`",
            ),
            ("/feature", "status nope", "`nope` is not a feature id."),
            (
                "/feature",
                "status feature-a feature-b",
                "takes one feature id",
            ),
            (
                "/feature",
                "launch rockets",
                "`/feature launch` is not a feature command.",
            ),
            (
                "/deploy",
                "now",
                "I don't know the command `/deploy`. Try `/chatops help`.",
            ),
        ];
        for (cmd, text, want) in table {
            let err = parse(cmd, text).expect_err(text).to_string();
            assert!(err.contains(want), "{cmd} {text:?}: {err}");
        }
        let long = format!("new {}", "x".repeat(MAX_REQUEST_LEN + 1));
        assert!(
            feature(&long)
                .expect_err("too long")
                .to_string()
                .contains("keep it under 2000")
        );
    }

    #[test]
    fn incident_commands_parse_into_the_enum() {
        let table: Vec<(&str, IncidentCommand)> = vec![
            (
                "new checkout 5xx above 5%",
                IncidentCommand::New {
                    service: "checkout".into(),
                    severity: Severity::High,
                    summary: "5xx above 5%".into(),
                },
            ),
            (
                "NEW payments/api SEV1 card declines spiking",
                IncidentCommand::New {
                    service: "payments/api".into(),
                    severity: Severity::Critical,
                    summary: "card declines spiking".into(),
                },
            ),
            ("status", IncidentCommand::Status { id: None }),
            (
                "status incident-3f9a1c2b4d",
                IncidentCommand::Status {
                    id: Some("incident-3f9a1c2b4d".into()),
                },
            ),
            ("list", IncidentCommand::List),
            (
                "commander incident-3f9a1c2b4d <@U0ALICE|alice>",
                IncidentCommand::Commander {
                    id: "incident-3f9a1c2b4d".into(),
                    user: "U0ALICE".into(),
                },
            ),
            (
                "resolve incident-3f9a1c2b4d raised the pool size",
                IncidentCommand::Resolve {
                    id: "incident-3f9a1c2b4d".into(),
                    summary: "raised the pool size".into(),
                },
            ),
            ("", IncidentCommand::Help),
        ];
        for (text, want) in table {
            assert_eq!(
                parse("/incident", text),
                Ok(Command::Incident(want)),
                "{text:?}"
            );
        }
    }

    #[test]
    fn incident_mistakes_get_specific_answers() {
        let table: &[(&str, &str)] = &[
            (
                "new",
                "Missing the service. Usage: `/incident new &lt;service&gt;",
            ),
            ("new checkout", "Missing the summary."),
            ("new checkout sev1", "Missing the summary."),
            ("new check<out> down", "is not a service name"),
            ("status feature-x-1", "`feature-x-1` is not an incident id."),
            (
                "status incident-a incident-b",
                "takes at most one incident id",
            ),
            (
                "resolve",
                "Missing the incident id. Usage: `/incident resolve &lt;id&gt; &lt;summary&gt;`",
            ),
            ("resolve incident-abc", "Missing what fixed it."),
            ("list all", "takes no arguments"),
            (
                "commander incident-abc",
                "Missing the incident id and the new commander. Usage: `/incident commander &lt;id&gt; &lt;@user&gt;`",
            ),
            (
                "commander incident-abc @alice",
                "`@alice` is not a person. Mention them",
            ),
            (
                "escalate",
                "`/incident escalate` is not an incident command.",
            ),
        ];
        for (text, want) in table {
            let err = parse("/incident", text).expect_err(text).to_string();
            assert!(err.contains(want), "{text:?}: {err}");
        }
        for (usage, _) in IncidentCommand::HELP {
            assert!(IncidentCommand::help().contains(&chatops_blocks::escape(usage)));
        }
    }

    #[test]
    fn chatops_help_lists_every_command() {
        assert_eq!(parse("/chatops", ""), Ok(Command::Help));
        let text = help();
        let tables: [&[(&str, &str)]; 3] = [
            FeatureCommand::HELP,
            IncidentCommand::HELP,
            EmergencyCommand::HELP,
        ];
        for (usage, _) in tables.iter().flat_map(|t| t.iter()) {
            if !usage.ends_with(" help") {
                assert!(text.contains(&chatops_blocks::escape(usage)), "{usage}");
            }
        }
        assert!(parse("/chatops", "deploy").is_err());
    }

    #[test]
    fn emergency_stop_forms_parse() {
        let table: Vec<(&str, Result<EmergencyCommand, &str>)> = vec![
            (
                "",
                Ok(EmergencyCommand::Engage {
                    reason: "no reason given".into(),
                }),
            ),
            (
                "bad deploy is corrupting orders",
                Ok(EmergencyCommand::Engage {
                    reason: "bad deploy is corrupting orders".into(),
                }),
            ),
            (
                "release orders are clean again",
                Ok(EmergencyCommand::Release {
                    reason: "orders are clean again".into(),
                }),
            ),
            ("status", Ok(EmergencyCommand::Status)),
            ("help", Ok(EmergencyCommand::Help)),
            ("release", Err("Missing the reason it is safe again.")),
        ];
        for (text, want) in table {
            let got = parse("/emergency-stop", text);
            match want {
                Ok(cmd) => assert_eq!(got, Ok(Command::EmergencyStop(cmd)), "{text:?}"),
                Err(msg) => assert!(got.expect_err(text).to_string().contains(msg), "{text:?}"),
            }
        }
    }

    #[test]
    fn help_lists_every_subcommand() {
        let help = FeatureCommand::help();
        for (usage, _) in FeatureCommand::HELP {
            assert!(help.contains(&chatops_blocks::escape(usage)), "{usage}");
        }
    }

    proptest::proptest! {
        #[test]
        fn any_input_parses_or_gets_an_answer(command in "/[a-z-]{0,16}", text in ".{0,300}") {
            match parse(&command, &text) {
                Ok(_) => {}
                Err(e) => proptest::prop_assert!(!e.to_string().is_empty()),
            }
        }

        #[test]
        fn new_keeps_the_request_text(request in "[^\\s][^\\n]{0,200}") {
            let parsed = parse("/feature", &format!("new {request}"));
            proptest::prop_assert_eq!(parsed, Ok(Command::Feature(FeatureCommand::New { request: request.trim().to_owned() })));
        }
    }
}
