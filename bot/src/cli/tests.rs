use chatops_contract::feature::{DeliveryKind, Environment, GateName, Priority};

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
        ("feature patch", "feature patch needs the request text"),
        ("quality shop", "`shop` is not a repository"),
        ("feature override-window feature-x-1", "needs a reason"),
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
                kind: DeliveryKind::Feature,
            }
        ))
    );
    assert_eq!(
        parse(&words(
            "--as U1 feature patch --key T-43 Fix the typo on the login page"
        )),
        Ok((
            Some("U1".into()),
            Action::FeatureNew {
                request: "Fix the typo on the login page".into(),
                channel: None,
                repository: None,
                priority: Priority::Medium,
                target: Environment::Production,
                key: Some("T-43".into()),
                kind: DeliveryKind::Patch,
            }
        ))
    );
    assert_eq!(
        parse(&words("quality acme/shop")),
        Ok((None, Action::Quality("acme/shop".into())))
    );
    assert!(is_action(&words("--as U1 feature list")));
    assert!(!is_action(&words("doctor")));
}

#[test]
fn refusals_are_worded_for_a_terminal() {
    use super::render;
    use crate::ops::{Actor, OpError, Refusal};

    let settings = chatops_common::Settings::from_env_map(Default::default()).expect("defaults");
    let actor = Actor::cli("U0BOB");
    let refused = |r: Refusal| Err(OpError::Refused(r));
    let table = [
        (
            render::skipped(
                &settings,
                &actor,
                "feature-x-1",
                GateName::Plan,
                refused(Refusal::NotAdmin("skip a gate")),
            ),
            "U0BOB is not listed by id in CHATOPS__APPROVALS__ADMINS (user groups can only be checked through Slack); nothing was changed",
        ),
        (
            render::cancelled(
                &settings,
                &actor,
                "feature-x-1",
                refused(Refusal::NotRequesterOrAdmin {
                    id: "feature-x-1".into(),
                    requester: "U0REQ".into(),
                }),
            ),
            "only the requester (U0REQ) or an admin listed by id in CHATOPS__APPROVALS__ADMINS may cancel feature-x-1; nothing was changed",
        ),
        (
            render::engaged(
                &actor,
                refused(Refusal::NoOnCall {
                    doing: "engage the emergency stop",
                }),
            ),
            "U0BOB is not listed by id in CHATOPS__EMERGENCY__ONCALL (user groups can only be checked through Slack); nothing was changed",
        ),
        (
            render::decided(
                "feature-x-1",
                GateName::Intake,
                Err(OpError::Refused(Refusal::Declined(
                    "the intake gate is already approved".into(),
                ))),
            ),
            "refused: the intake gate is already approved",
        ),
    ];
    for (got, want) in table {
        assert_eq!(got, Err(want.to_owned()));
    }
}
