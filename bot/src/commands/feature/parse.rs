//! `/feature …` text into a [`FeatureCommand`]: a pure parser whose mistakes name what is
//! wrong and the usage line.

use chatops_contract::feature::{GateName, Priority};

use super::FeatureCommand;
use crate::commands::{MAX_REQUEST_LEN, ParseError};

pub(crate) fn parse(text: &str) -> Result<FeatureCommand, ParseError> {
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
        "patch" | "hotfix" => {
            let hotfix = sub.eq_ignore_ascii_case("hotfix");
            if rest.is_empty() {
                return Err(ParseError::MissingArgument {
                    usage: FeatureCommand::usage(if hotfix { "hotfix" } else { "patch" }),
                    what: "the change to make",
                });
            }
            if rest.chars().count() > MAX_REQUEST_LEN {
                return Err(ParseError::InvalidArgument(format!(
                    "That request is {} characters long; keep it under {MAX_REQUEST_LEN}, or make it a feature with `/feature new`.",
                    rest.chars().count()
                )));
            }
            let request = rest.to_owned();
            Ok(if hotfix {
                FeatureCommand::Hotfix { request }
            } else {
                FeatureCommand::Patch { request }
            })
        }
        "pass-freeze" => {
            let usage = FeatureCommand::usage("pass-freeze");
            let (id, reason) = id_then_text(rest, usage, "the feature id")?;
            let Some(reason) = reason else {
                return Err(ParseError::MissingArgument {
                    usage,
                    what: "the reason (passing a freeze is on record with why)",
                });
            };
            Ok(FeatureCommand::PassFreeze { id, reason })
        }
        "status" => {
            let mut args = rest.split_whitespace();
            let Some(id) = args.next() else {
                return Err(ParseError::MissingArgument {
                    usage: FeatureCommand::usage("status"),
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
            let (id, reason) =
                id_then_text(rest, FeatureCommand::usage("pause"), "the feature id")?;
            Ok(FeatureCommand::Pause { id, reason })
        }
        "resume" => {
            let (id, extra) =
                id_then_text(rest, FeatureCommand::usage("resume"), "the feature id")?;
            if extra.is_some() {
                return Err(ParseError::InvalidArgument(
                    "`/feature resume` takes only the feature id.".to_owned(),
                ));
            }
            Ok(FeatureCommand::Resume { id })
        }
        "block" | "unblock" => {
            let blocking = sub.eq_ignore_ascii_case("block");
            let usage = FeatureCommand::usage(if blocking { "block" } else { "unblock" });
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
            let (id, rest) = id_then_text(rest, FeatureCommand::usage("skip"), "the feature id")?;
            let rest = rest.unwrap_or_default();
            let (gate, reason) = rest
                .split_once(char::is_whitespace)
                .map_or((rest.as_str(), ""), |(g, r)| (g, r.trim()));
            let gate = gate.to_ascii_lowercase();
            let Ok(gate) = gate.parse::<GateName>() else {
                return Err(ParseError::InvalidArgument(format!(
                    "`{}` is not a gate; the gates are {}.",
                    chatops_blocks::escape(&gate),
                    gate_names()
                )));
            };
            if reason.is_empty() {
                return Err(ParseError::MissingArgument {
                    usage: FeatureCommand::usage("skip"),
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
        "override-window" => {
            let usage = FeatureCommand::usage("override-window");
            let (id, reason) = id_then_text(rest, usage, "the feature id")?;
            let Some(reason) = reason else {
                return Err(ParseError::MissingArgument {
                    usage,
                    what: "the reason (a deploy outside the windows is on record with why)",
                });
            };
            Ok(FeatureCommand::OverrideWindow { id, reason })
        }
        "cancel" => {
            let (id, reason) =
                id_then_text(rest, FeatureCommand::usage("cancel"), "the feature id")?;
            let Some(reason) = reason else {
                return Err(ParseError::MissingArgument {
                    usage: FeatureCommand::usage("cancel"),
                    what: "the reason",
                });
            };
            Ok(FeatureCommand::Cancel { id, reason })
        }
        "priority" => {
            let (id, rest) =
                id_then_text(rest, FeatureCommand::usage("priority"), "the feature id")?;
            let word = rest.unwrap_or_default().to_ascii_lowercase();
            let priority = match word.as_str() {
                "low" => Priority::Low,
                "medium" => Priority::Medium,
                "high" => Priority::High,
                "critical" => Priority::Critical,
                "" => {
                    return Err(ParseError::MissingArgument {
                        usage: FeatureCommand::usage("priority"),
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

/// The gates as the skip mistake lists them: `` `intake`, `plan` and `production` ``.
fn gate_names() -> String {
    let names = GateName::ALL.map(|g| format!("`{g}`"));
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => names.concat(),
    }
}
