//! Slash commands: a pure, table-tested parser into [`Command`], then one file per command.

pub mod feature;

use std::fmt;

/// Longest request text accepted (Slack caps command text near 4,000 characters).
pub const MAX_REQUEST_LEN: usize = 2000;

/// A parsed slash command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `/feature …`
    Feature(FeatureCommand),
    /// A command this app declares but does not serve yet.
    NotYetAvailable(&'static str),
}

/// `/feature` subcommands. [`FeatureCommand::HELP`] documents each; `/feature help` prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeatureCommand {
    /// Start delivering a feature.
    New {
        /// What to build.
        request: String,
    },
    /// Show where a feature stands.
    Status {
        /// Its workflow id.
        id: String,
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
            "/feature status <id>",
            "show a feature's phase, gates and timeline",
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

/// A command that could not be parsed; its text is what the user sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// A slash command this app does not declare.
    UnknownCommand(String),
    /// `/feature <something unknown>`.
    UnknownSubcommand(String),
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
                write!(f, "I don't know the command `{c}`. Try `/feature help`.")
            }
            Self::UnknownSubcommand(s) => {
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
        "/incident" => Ok(Command::NotYetAvailable("/incident")),
        "/emergency-stop" => Ok(Command::NotYetAvailable("/emergency-stop")),
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
                return Err(ParseError::MissingArgument {
                    usage: FeatureCommand::HELP[0].0,
                    what: "the request text",
                });
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
                    usage: FeatureCommand::HELP[1].0,
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
        other => Err(ParseError::UnknownSubcommand(other.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feature(text: &str) -> Result<Command, ParseError> {
        parse("/feature", text)
    }

    #[test]
    fn commands_parse_into_the_enum() {
        let new = |r: &str| Ok(Command::Feature(FeatureCommand::New { request: r.into() }));
        let table: Vec<(&str, Result<Command, ParseError>)> = vec![
            ("new Add OAuth2 login", new("Add OAuth2 login")),
            ("  NEW   Add OAuth2 login  ", new("Add OAuth2 login")),
            ("new\tmulti\nline", new("multi\nline")),
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
                "new",
                "Missing the request text. Usage: `/feature new &lt;request&gt;`",
            ),
            ("/feature", "new    ", "Missing the request text."),
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
            ("/deploy", "now", "I don't know the command `/deploy`."),
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
    fn declared_but_unserved_commands_are_recognised() {
        assert_eq!(
            parse("/incident", "status"),
            Ok(Command::NotYetAvailable("/incident"))
        );
        assert_eq!(
            parse("/emergency-stop", ""),
            Ok(Command::NotYetAvailable("/emergency-stop"))
        );
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
