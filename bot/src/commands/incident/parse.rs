//! `/incident …` text into an [`IncidentCommand`]: a pure parser whose mistakes name what is
//! wrong and the usage line.

use chatops_contract::incident::Severity;

use super::IncidentCommand;
use crate::commands::{MAX_REQUEST_LEN, ParseError};

pub(crate) fn parse(text: &str) -> Result<IncidentCommand, ParseError> {
    let text = text.trim();
    let (sub, rest) = text
        .split_once(char::is_whitespace)
        .map_or((text, ""), |(s, r)| (s, r.trim()));
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
                    usage: IncidentCommand::usage("new"),
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
                    chatops_blocks::escape(IncidentCommand::usage("new"))
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
                    usage: IncidentCommand::usage("new"),
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
                    usage: IncidentCommand::usage("commander"),
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
                    usage: IncidentCommand::usage("resolve"),
                    what: "the incident id",
                });
            }
            let id = id_arg(id)?;
            if summary.is_empty() {
                return Err(ParseError::MissingArgument {
                    usage: IncidentCommand::usage("resolve"),
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
