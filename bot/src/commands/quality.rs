//! `/quality <owner/name>`: the score history of a watched repository's default branch.

use std::sync::Arc;

use super::help::{self, subcommands};
use super::{Ack, ParseError, later};
use crate::invocation::Invocation;
use crate::ops::Context as _;
use crate::temporal::TemporalError;
use crate::{App, Reply};

subcommands! {
    /// `/quality` forms, each documented by its help line.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum QualityCommand {
        #[help(
            "/quality <owner/name>",
            "the quality score of a watched repository's default branch over time, with the commits checked"
        )]
        Trend {
            /// `owner/name`.
            repository: String,
        },
        #[help("/quality help", "show this help")]
        Help,
    }
}

impl QualityCommand {
    /// The help text.
    pub fn help() -> String {
        help::render(
            "*/quality* — the default branch, watched",
            Self::HELP,
            "Watched repositories are listed in CHATOPS__QUALITY__WATCH; a drop is posted to the channel when it happens.",
        )
    }
}

/// Parses `/quality` text.
pub(super) fn parse(text: &str) -> Result<QualityCommand, ParseError> {
    let text = text.trim().trim_matches('`');
    match text.to_ascii_lowercase().as_str() {
        "" | "help" | "-h" | "--help" => Ok(QualityCommand::Help),
        _ if chatops_contract::ids::is_repository(text) => Ok(QualityCommand::Trend {
            repository: text.to_owned(),
        }),
        _ => Err(ParseError::InvalidArgument(format!(
            "`{}` is not a repository; write it as owner/name, like `/quality acme/shop`.",
            chatops_blocks::escape(text)
        ))),
    }
}

/// Runs a `/quality` form; the trend follows on the command's `response_url`.
pub fn run(app: &Arc<App>, inv: &Invocation, cmd: QualityCommand) -> Ack {
    match cmd {
        QualityCommand::Help => Ack::Reply(Some(Reply::text(QualityCommand::help()))),
        QualityCommand::Trend { repository } => {
            later(app, inv, move |app| async move {
                Some(match app.temporal().quality_trend(&repository).await {
                    Ok(t) => Reply::text(chatops_blocks::quality::trend(&t)),
                    Err(TemporalError::NotFound(_)) => Reply::text(format!(
                        "`{}` is not watched: add it to CHATOPS__QUALITY__WATCH on the worker.",
                        chatops_blocks::escape(&repository)
                    )),
                    Err(e) => Reply::from_temporal("read the quality trend", &e),
                })
            });
            Ack::Reply(None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::{Command, parse as parse_command};

    #[test]
    fn a_repository_or_help_and_a_specific_answer_otherwise() {
        assert_eq!(
            parse_command("/quality", " acme/shop "),
            Ok(Command::Quality(QualityCommand::Trend {
                repository: "acme/shop".into()
            }))
        );
        assert_eq!(
            parse_command("/quality", ""),
            Ok(Command::Quality(QualityCommand::Help))
        );
        let err = parse_command("/quality", "shop")
            .expect_err("not a repository")
            .to_string();
        assert!(err.contains("`shop` is not a repository"), "{err}");
        assert!(QualityCommand::usage("quality").starts_with("/quality"));
    }
}
