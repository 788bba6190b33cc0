use chatops_contract::incident::Severity;

use super::IncidentCommand;
use crate::commands::{Command, parse};

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
