use chatops_contract::feature::{Environment, GateName, Priority};

use super::parse::{Action, is_action, parse};

fn words(s: &str) -> Vec<String> {
    s.split_whitespace().map(str::to_owned).collect()
}

#[test]
fn actions_parse_and_mistakes_are_named() {
    assert_eq!(
        parse(&words(
            "--as U0OPS feature approve feature-x-1 intake ship it"
        )),
        Ok((
            Some("U0OPS".into()),
            Action::Approve {
                id: "feature-x-1".into(),
                gate: GateName::Intake,
                comment: Some("ship it".into()),
            }
        ))
    );
    assert_eq!(
        parse(&words("feature list all")),
        Ok((None, Action::FeatureList { all: true }))
    );
    let table = [
        ("--as ops feature list", "must be a Slack user id"),
        ("feature approve nope intake", "`nope` is not a feature id"),
        (
            "feature approve feature-x-1 staging",
            "`staging` is not a gate",
        ),
        (
            "feature reject feature-x-1 plan",
            "a rejection needs a reason",
        ),
        ("emergency stop", "the emergency stop needs a reason"),
        ("incident status feature-x-1", "is not an incident id"),
        ("feature frobnicate", "not an action I know"),
        ("feature new", "needs the request text"),
        (
            "feature new --repo nope Add x",
            "`--repo nope` must look like owner/name",
        ),
        (
            "feature new --priority urgent Add x",
            "must be low, medium, high or critical",
        ),
        (
            "feature new --colour red Add x",
            "`--colour` is not an option",
        ),
        ("feature skip feature-x-1 plan", "needs a reason"),
        ("feature cancel feature-x-1", "cancelling needs a reason"),
        ("incident resolve incident-1 ", "needs a summary"),
        ("incident acknowledge nope", "is not an incident id"),
    ];
    for (args, want) in table {
        let err = parse(&words(args)).expect_err(args);
        assert!(err.contains(want), "{args}: {err}");
    }
    assert_eq!(
        parse(&words(
            "feature new --channel C0OPS --repo acme/web --priority high --target staging --key T-42 Add SSO login"
        )),
        Ok((
            None,
            Action::FeatureNew {
                request: "Add SSO login".into(),
                channel: Some("C0OPS".into()),
                repository: Some("acme/web".into()),
                priority: Priority::High,
                target: Environment::Staging,
                key: Some("T-42".into()),
            }
        ))
    );
    assert!(is_action(&words("--as U1 feature list")));
    assert!(!is_action(&words("doctor")));
}
