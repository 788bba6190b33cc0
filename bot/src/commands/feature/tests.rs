use chatops_contract::feature::{GateName, Priority};

use super::FeatureCommand;
use crate::commands::{Command, MAX_REQUEST_LEN, ParseError, parse};

fn feature(text: &str) -> Result<Command, ParseError> {
    parse("/feature", text)
}

#[test]
fn every_feature_subcommand_finds_its_own_usage_line() {
    for sub in [
        "new",
        "patch",
        "hotfix",
        "pass-freeze",
        "status",
        "pause",
        "resume",
        "block",
        "unblock",
        "skip",
        "override-window",
        "priority",
        "list",
        "cancel",
        "help",
    ] {
        let usage = FeatureCommand::usage(sub);
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
        ("patch", "Missing the change to make."),
        ("hotfix", "Missing the change to make."),
        (
            "pass-freeze feature-x-1",
            "Missing the reason (passing a freeze is on record with why).",
        ),
        (
            "override-window feature-x-1",
            "Missing the reason (a deploy outside the windows is on record with why).",
        ),
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
                gate: GateName::Plan,
                reason: "planned offline".into(),
            })),
        ),
        (
            "patch Fix the typo on the login page",
            Ok(Command::Feature(FeatureCommand::Patch {
                request: "Fix the typo on the login page".into(),
            })),
        ),
        (
            "hotfix Fix the checkout crash",
            Ok(Command::Feature(FeatureCommand::Hotfix {
                request: "Fix the checkout crash".into(),
            })),
        ),
        (
            "pass-freeze feature-x-1 checkout is down",
            Ok(Command::Feature(FeatureCommand::PassFreeze {
                id: "feature-x-1".into(),
                reason: "checkout is down".into(),
            })),
        ),
        (
            "override-window feature-x-1 hotfix for the outage",
            Ok(Command::Feature(FeatureCommand::OverrideWindow {
                id: "feature-x-1".into(),
                reason: "hotfix for the outage".into(),
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
fn help_lists_every_subcommand() {
    let help = FeatureCommand::help();
    for (usage, _) in FeatureCommand::HELP {
        assert!(help.contains(&chatops_blocks::escape(usage)), "{usage}");
    }
}

proptest::proptest! {
    #[test]
    fn new_keeps_the_request_text(request in "[^\\s][^\\n]{0,200}") {
        let parsed = parse("/feature", &format!("new {request}"));
        proptest::prop_assert_eq!(parsed, Ok(Command::Feature(FeatureCommand::New { request: request.trim().to_owned() })));
    }
}
