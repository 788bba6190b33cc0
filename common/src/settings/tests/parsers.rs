//! A table per parser: what each accepts, and the message for what it refuses.

use super::super::*;
use std::time::Duration;
use url::Url;

/// Runs `parse` on each text: `Ok` wants exactly that value, `Err` a message starting with it.
fn table<T: PartialEq + std::fmt::Debug>(
    parse: impl Fn(&str) -> parse::Parsed<T>,
    cases: Vec<(&str, Result<T, &str>)>,
) {
    for (text, want) in cases {
        match (parse(text), want) {
            (Ok(got), Ok(want)) => assert_eq!(got, want, "{text:?}"),
            (Err(got), Err(want)) => assert!(got.starts_with(want), "{text:?}: {got}"),
            (got, want) => panic!("{text:?}: got {got:?}, want {want:?}"),
        }
    }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn durations_are_human_strings() {
    let secs = |s| Ok(Duration::from_secs(s));
    table(
        parse::duration,
        vec![
            ("90s", secs(90)),
            ("24h", secs(24 * 3600)),
            ("1h 30m", secs(5400)),
            ("0s", secs(0)),
            (
                "soon",
                Err("`soon` is not a duration like \"90s\" or \"24h\" ("),
            ),
            (
                "90",
                Err("`90` is not a duration like \"90s\" or \"24h\" ("),
            ),
        ],
    );
}

#[test]
fn numbers_are_checked_against_their_range() {
    let count_to_10 = parse::count(10);
    table(
        count_to_10,
        vec![
            ("1", Ok(1)),
            ("10", Ok(10)),
            ("0", Err("`0` must be a whole number from 1 to 10")),
            ("11", Err("`11` must be a whole number from 1 to 10")),
            ("-1", Err("`-1` must be a whole number from 1 to 10")),
            ("1.5", Err("`1.5` must be a whole number from 1 to 10")),
        ],
    );
    table(
        parse::fraction,
        vec![
            ("0", Ok(0.0)),
            ("0.7", Ok(0.7)),
            ("1", Ok(1.0)),
            ("1.5", Err("`1.5` must be a number from 0 to 1, like 0.7")),
            ("70%", Err("`70%` must be a number from 0 to 1")),
            ("NaN", Err("`NaN` must be a number from 0 to 1")),
        ],
    );
    table(
        parse::percent,
        vec![
            ("0", Ok(0.0)),
            ("85", Ok(85.0)),
            ("100", Ok(100.0)),
            ("101", Err("`101` must be a number from 0 to 100, like 85")),
            ("-1", Err("`-1` must be a number from 0 to 100")),
        ],
    );
    table(
        parse::factor,
        vec![
            ("3", Ok(3.0)),
            ("1.01", Ok(1.01)),
            ("1", Err("`1` must be a number above 1, like 3")),
            ("inf", Err("`inf` must be a number above 1")),
            ("x", Err("`x` must be a number above 1")),
        ],
    );
}

#[test]
fn flags_names_and_addresses() {
    table(
        parse::flag,
        vec![
            ("true", Ok(true)),
            ("YES", Ok(true)),
            ("1", Ok(true)),
            ("On", Ok(true)),
            ("false", Ok(false)),
            ("No", Ok(false)),
            ("0", Ok(false)),
            ("OFF", Ok(false)),
            ("Maybe", Err("`maybe` must be true or false")),
        ],
    );
    table(
        parse::name,
        vec![
            ("chatops", Ok("chatops".to_owned())),
            ("two words", Err("`two words` must not contain spaces")),
        ],
    );
    table(
        parse::address,
        vec![
            ("127.0.0.1:7399", Ok(([127, 0, 0, 1], 7399).into())),
            ("[::1]:80", Ok("[::1]:80".parse().expect("addr"))),
            (
                "localhost:80",
                Err("`localhost:80` is not an address like 127.0.0.1:7399"),
            ),
        ],
    );
    table(
        LogFormat::parse,
        vec![
            ("pretty", Ok(LogFormat::Pretty)),
            ("json", Ok(LogFormat::Json)),
            ("JSON", Err("`JSON` must be `pretty` or `json`")),
        ],
    );
}

#[test]
fn urls_must_be_http() {
    let url = |s| Ok(Url::parse(s).expect("url"));
    table(
        parse::http_url,
        vec![
            ("http://127.0.0.1:7233", url("http://127.0.0.1:7233")),
            ("https://api.github.com", url("https://api.github.com")),
            (
                "ftp://x",
                Err("`ftp://x` must start with http:// or https://"),
            ),
            ("not a url", Err("`not a url` is not a URL (")),
        ],
    );
    table(
        incident::context_urls,
        vec![
            (
                "http://m/{service}/metrics, https://l/logs,",
                Ok(strings(&["http://m/{service}/metrics", "https://l/logs"])),
            ),
            ("http://m, nope", Err("`nope` is not a URL (")),
            (
                "ftp://m",
                Err("`ftp://m` must start with http:// or https://"),
            ),
            (
                "http://m/ok, http://{service}.svc/metrics",
                Err(
                    "`http://{service}.svc/metrics`: `{service}` may stand in the path or query only, not in the host",
                ),
            ),
            (
                "http://{service}@m/metrics",
                Err(
                    "`http://{service}@m/metrics`: `{service}` may stand in the path or query only",
                ),
            ),
            (
                "http://m/q?service={service}",
                Ok(strings(&["http://m/q?service={service}"])),
            ),
        ],
    );
    table(
        database::store_url,
        vec![
            ("sqlite://.data/x.db", Ok("sqlite://.data/x.db".to_owned())),
            ("postgres://h/db", Ok("postgres://h/db".to_owned())),
            ("postgresql://h/db", Ok("postgresql://h/db".to_owned())),
            (
                "mysql://h/db",
                Err("`mysql://h/db` must start with sqlite: or postgres:"),
            ),
        ],
    );
}

#[test]
fn lists_and_ids() {
    table(
        parse::list,
        vec![
            ("a, b,,c ", Ok(strings(&["a", "b", "c"]))),
            (",", Ok(Vec::new())),
        ],
    );
    table(
        parse::principals,
        vec![
            ("U0A, S0B,W1", Ok(strings(&["U0A", "S0B", "W1"]))),
            (
                "U0A,everyone",
                Err("`everyone` must be a Slack user id (U…) or user group id (S…)"),
            ),
            ("U", Err("`U` must be a Slack user id")),
            ("u0a", Err("`u0a` must be a Slack user id")),
        ],
    );
    table(
        parse::mention,
        vec![
            ("U0LEAD", Ok("U0LEAD".to_owned())),
            ("S0SRE", Ok("S0SRE".to_owned())),
            (
                "@oncall",
                Err("`@oncall` must be a Slack user id (U…) or user group id (S…)"),
            ),
        ],
    );
    table(
        parse::repository,
        vec![
            ("acme/shop", Ok("acme/shop".to_owned())),
            (
                "acme/shop/x",
                Err("`acme/shop/x` must look like owner/name"),
            ),
            (
                "just-a-name",
                Err("`just-a-name` must look like owner/name"),
            ),
        ],
    );
}

#[test]
fn variables_passed_to_commands_are_names_and_never_the_workers_own() {
    table(
        parse::variable_names,
        vec![
            (
                "KUBECONFIG, AWS_PROFILE,_X1",
                Ok(strings(&["KUBECONFIG", "AWS_PROFILE", "_X1"])),
            ),
            ("", Ok(Vec::new())),
            ("1PASSWORD", Err("`1PASSWORD` is not a variable name")),
            ("A-B", Err("`A-B` is not a variable name")),
            (
                "CHATOPS__GITHUB__TOKEN",
                Err("`CHATOPS__GITHUB__TOKEN` holds the worker's own settings"),
            ),
            (
                "PATH,TEMPORAL_API_KEY",
                Err("`TEMPORAL_API_KEY` holds the worker's own settings"),
            ),
        ],
    );
}

#[test]
fn secrets_are_checked_without_being_repeated() {
    let exposed = |r: parse::Parsed<secrecy::SecretString>| r.map(|s| s.expose_secret().to_owned());
    let bot = parse::secret_with_prefix("xoxb-");
    table(
        |v| exposed(bot(v)),
        vec![
            ("xoxb-1-2", Ok("xoxb-1-2".to_owned())),
            ("xapp-wrong", Err("must start with `xoxb-`")),
        ],
    );
    table(
        |v| exposed(alerts::token(v)),
        vec![
            ("0123456789abcdef", Ok("0123456789abcdef".to_owned())),
            ("0123456789abcde", Err("is shorter than 16 characters")),
        ],
    );
}

#[test]
fn gate_overrides_are_checked_field_by_field() {
    let rule = |approvers: Option<&[&str]>, required| GateApprovalSettings {
        approvers: approvers.map(strings),
        required,
    };
    table(
        approvals::gate_overrides,
        vec![
            (
                r#"{"production": {"approvers": "S0SRE, U0LEAD", "required": 2}}"#,
                Ok([(
                    "production".to_owned(),
                    rule(Some(&["S0SRE", "U0LEAD"]), Some(2)),
                )]
                .into()),
            ),
            (
                r#"{"plan": {"approvers": ["U1", "S2"]}}"#,
                Ok([("plan".to_owned(), rule(Some(&["U1", "S2"]), None))].into()),
            ),
            (
                r#"{"deploy": {"required": 2}}"#,
                Err("`deploy` is not a gate; the gates are intake, plan and production"),
            ),
            (
                r#"{"plan": 3}"#,
                Err("`plan` must map to an object with `approvers` and/or `required`"),
            ),
            (
                r#"{"plan": {"approvers": []}}"#,
                Err("plan.approvers must name at least one user or group"),
            ),
            (
                r#"{"plan": {"approvers": ["U1", 3]}}"#,
                Err("plan.approvers: `` must be a Slack user id"),
            ),
            (
                r#"{"plan": {"required": "2"}}"#,
                Err("plan.required: `\"2\"` must be a whole number from 1 to 10"),
            ),
            (
                r#"{"plan": {"who": 1}}"#,
                Err("plan: `who` is not a setting; use approvers and required"),
            ),
            (
                "[]",
                Err("must be a JSON object of gates, like {\"production\": {\"required\": 2}}: "),
            ),
        ],
    );
}

#[test]
fn checks_and_repository_overrides_are_checked() {
    let names = |r: parse::Parsed<Vec<chatops_contract::lifecycle::CheckSpec>>| {
        r.map(|checks| checks.into_iter().map(|c| c.name).collect::<Vec<_>>())
    };
    table(
        |v| names(quality::checks(v)),
        vec![
            (
                r#"[{"name": "unit_tests", "command": "cargo test"}, {"name": "lint", "command": "x"}]"#,
                Ok(strings(&["unit_tests", "lint"])),
            ),
            (
                r#"[{"name": "a", "command": "x"}, {"name": "a", "command": "y"}]"#,
                Err("check `a` appears twice"),
            ),
            (
                r#"[{"name": " ", "command": "x"}]"#,
                Err("every check needs a name and a command"),
            ),
            (
                r#"[{"name": "a", "command": "x", "weight": -1}]"#,
                Err("check `a` has a negative weight"),
            ),
            ("{}", Err("is not a JSON list of checks like [")),
        ],
    );
    let repos = |r: parse::Parsed<std::collections::BTreeMap<String, serde_json::Value>>| {
        r.map(|m| m.into_keys().collect::<Vec<_>>())
    };
    table(
        |v| repos(quality::repositories(v)),
        vec![
            (
                r#"{"acme/shop": {"checks": [{"name": "a", "command": "x"}], "threshold": 90, "min_coverage": 50}}"#,
                Ok(strings(&["acme/shop"])),
            ),
            (r#"{"shop": {}}"#, Err("`shop` must look like owner/name")),
            (
                r#"{"acme/shop": 1}"#,
                Err("`acme/shop` must map to an object"),
            ),
            (
                r#"{"acme/shop": {"threshold": 101}}"#,
                Err("`acme/shop`.threshold must be a number from 0 to 100"),
            ),
            (
                r#"{"acme/shop": {"x": 1}}"#,
                Err("`acme/shop` has unknown key `x` (checks, threshold, min_coverage)"),
            ),
            (
                r#"{"acme/shop": {"checks": [{"name": "a", "command": ""}]}}"#,
                Err("every check needs a name and a command"),
            ),
            ("[]", Err("is not a JSON object keyed by owner/name (")),
        ],
    );
}
