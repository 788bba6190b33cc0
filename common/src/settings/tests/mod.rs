//! Settings tests: loading through the layers, the one-line errors, secrets kept out of Debug,
//! README and the key table; `parsers` holds a table per parser.

use super::*;
use std::{collections::HashMap, time::Duration};
use url::Url;

mod parsers;
mod temporal;

fn load(pairs: &[(&str, &str)]) -> Result<Settings, SettingsError> {
    Settings::from_env_map(
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect::<HashMap<_, _>>(),
    )
}

#[test]
fn defaults_are_embedded() {
    let s = load(&[]).expect("defaults load");
    assert_eq!(s.temporal.address.as_str(), "http://127.0.0.1:7233/");
    assert_eq!(s.temporal.task_queue, "chatops");
    assert_eq!(s.feature.intake_timeout, Duration::from_secs(48 * 3600));
    assert!(s.slack.bot_token.is_none());
    assert_eq!(
        s.bot_token().expect_err("missing").to_string(),
        "config error: CHATOPS__SLACK__BOT_TOKEN (slack.bot_token): is missing; set it to the app's bot token (xoxb-…)"
    );
}

#[test]
fn env_overrides_defaults() {
    let s = load(&[
        ("CHATOPS__TEMPORAL__TASK_QUEUE", "q1"),
        ("CHATOPS__FEATURE__INTAKE_TIMEOUT", "90s"),
        ("CHATOPS__SLACK__BOT_TOKEN", "xoxb-1-2"),
    ])
    .expect("loads");
    assert_eq!(s.temporal.task_queue, "q1");
    assert_eq!(s.feature.intake_timeout, Duration::from_secs(90));
    assert_eq!(
        s.bot_token().map(|t| t.expose_secret().to_owned()),
        Ok("xoxb-1-2".to_owned())
    );
}

#[test]
fn bad_values_name_their_key_in_one_line() {
    let table = [
        (
            "CHATOPS__TEMPORAL__ADDRESS",
            "not a url",
            "CHATOPS__TEMPORAL__ADDRESS (temporal.address): `not a url` is not a URL",
        ),
        (
            "CHATOPS__FEATURE__INTAKE_TIMEOUT",
            "soon",
            "CHATOPS__FEATURE__INTAKE_TIMEOUT (feature.intake_timeout): `soon` is not a duration",
        ),
        (
            "CHATOPS__SLACK__BOT_TOKEN",
            "xapp-wrong",
            "CHATOPS__SLACK__BOT_TOKEN (slack.bot_token): must start with `xoxb-`",
        ),
        (
            "CHATOPS__SLACK__SOCKET_CONNECTIONS",
            "11",
            "(slack.socket_connections): `11` must be a whole number from 1 to 10",
        ),
        (
            "CHATOPS__LOG__FORMAT",
            "xml",
            "(log.format): `xml` must be `pretty` or `json`",
        ),
        (
            "CHATOPS__SLACK__BOT_TOKN",
            "xoxb-1",
            "CHATOPS__SLACK__BOT_TOKN (slack.bot_tokn): is not a known setting",
        ),
        (
            "CHATOPS__TEMPORAL__NAMESPACE",
            " ",
            "(temporal.namespace): is empty",
        ),
        (
            "CHATOPS__INCIDENT__THRESHOLD",
            "70%",
            "(incident.threshold): `70%` must be a number from 0 to 1",
        ),
        (
            "CHATOPS__DEPLOY__PRODUCTION_WINDOWS",
            "Mon-Fri 09:00-17:00 Europe/Berlin; Sat 10-12",
            "CHATOPS__DEPLOY__PRODUCTION_WINDOWS (deploy.production_windows): `Sat 10-12`: `10` is not a time like 09:00 or 09:00:30",
        ),
        (
            "CHATOPS__DEPLOY__STAGING_WINDOWS",
            "* 06:00-22:00 Europe/Berlinn",
            "(deploy.staging_windows): `* 06:00-22:00 Europe/Berlinn`: `Europe/Berlinn` is not a time zone",
        ),
        (
            "CHATOPS__INCIDENT__AGENTS",
            "0",
            "(incident.agents): `0` must be a whole number from 1 to 10",
        ),
        (
            "CHATOPS__INCIDENT__AGENT_URL",
            "ftp://agents",
            "(incident.agent_url): `ftp://agents` must start with http://",
        ),
        (
            "CHATOPS__INCIDENT__CONTEXT_URLS",
            "http://metrics/{service}, nope",
            "(incident.context_urls): `nope` is not a URL",
        ),
        (
            "CHATOPS__INCIDENT__ESCALATION",
            "@oncall",
            "(incident.escalation): `@oncall` must be a Slack user id",
        ),
        (
            "CHATOPS__EMERGENCY__ONCALL",
            "U0ONE, @sre",
            "(emergency.oncall): `@sre` must be a Slack user id",
        ),
        (
            "CHATOPS__DATABASE__URL",
            "mysql://localhost/x",
            "(database.url): `mysql://localhost/x` must start with sqlite: or postgres:",
        ),
        (
            "CHATOPS__APPROVALS__APPROVERS",
            "U0ONE,everyone",
            "(approvals.approvers): `everyone` must be a Slack user id",
        ),
        (
            "CHATOPS__APPROVALS__REQUIRED",
            "11",
            "(approvals.required): `11` must be a whole number from 1 to 10",
        ),
        (
            "CHATOPS__APPROVALS__GATES",
            r#"{"deploy": {"required": 2}}"#,
            "(approvals.gates): `deploy` is not a gate",
        ),
        (
            "CHATOPS__APPROVALS__GATES",
            r#"{"production": {"approvers": "everyone"}}"#,
            "production.approvers: `everyone` must be a Slack user id",
        ),
        (
            "CHATOPS__APPROVALS__GATES",
            r#"{"plan": {"required": 0}}"#,
            "plan.required: `0` must be a whole number from 1 to 10",
        ),
        (
            "CHATOPS__APPROVALS__GATES",
            "not json",
            "(approvals.gates): must be a JSON object of gates",
        ),
        (
            "CHATOPS__INCIDENT__REPOSITORY",
            "just-a-name",
            "(incident.repository): `just-a-name` must look like owner/name",
        ),
        (
            "CHATOPS__ALERTS__TOKEN",
            "short",
            "(alerts.token): is shorter than 16 characters",
        ),
        (
            "CHATOPS__ALERTS__LISTEN",
            "anywhere",
            "(alerts.listen): `anywhere` is not an address",
        ),
        (
            "CHATOPS__ALERTS__REQUEST_TIMEOUT",
            "0s",
            "(alerts.request_timeout): `0s` must be longer than 0s, like 10s",
        ),
        (
            "CHATOPS__ALERTS__REQUEST_TIMEOUT",
            "soon",
            "(alerts.request_timeout): `soon` is not a duration",
        ),
        (
            "CHATOPS__ALERTS__MAX_IN_FLIGHT",
            "0",
            "(alerts.max_in_flight): `0` must be a whole number from 1 to 100000",
        ),
        (
            "CHATOPS__AUDIT__FAIL_CLOSED",
            "maybe",
            "(audit.fail_closed): `maybe` must be true or false",
        ),
    ];
    for (key, value, want) in table {
        let err = load(&[(key, value)]).expect_err(key).to_string();
        assert!(err.contains(want), "{err}");
        assert!(!err.contains('\n'), "{err}");
    }
}

#[test]
fn the_audit_log_fails_open_unless_told_otherwise() {
    assert!(!load(&[]).expect("defaults load").audit.fail_closed);
    for on in ["true", "on", "1", "YES"] {
        let s = load(&[("CHATOPS__AUDIT__FAIL_CLOSED", on)]).expect(on);
        assert!(s.audit.fail_closed, "{on}");
    }
}

#[test]
fn incident_settings_default_and_combine() {
    let s = load(&[]).expect("defaults load");
    assert_eq!(s.incident.channel, s.slack.channel);
    assert_eq!(s.incident.agents, 3);
    assert_eq!(s.incident.agent_backend, AgentBackend::None);
    assert!((s.incident.threshold - 0.70).abs() < f64::EPSILON);
    assert!(s.alerts.token.is_none());
    assert_eq!(s.alerts.request_timeout, Duration::from_secs(10));
    assert_eq!(s.alerts.max_in_flight, 256);
    let s = load(&[
        ("CHATOPS__INCIDENT__CHANNEL", "C0INCIDENT"),
        ("CHATOPS__INCIDENT__AGENT_COMMAND", "./diagnose"),
        (
            "CHATOPS__INCIDENT__CONTEXT_URLS",
            "http://m/{service}/metrics,http://l/logs",
        ),
    ])
    .expect("loads");
    assert_eq!(s.incident.channel, "C0INCIDENT");
    assert_eq!(
        s.incident.agent_backend,
        AgentBackend::Command("./diagnose".into())
    );
    assert_eq!(s.incident.context_urls.len(), 2);
    let both = load(&[
        ("CHATOPS__INCIDENT__AGENT_COMMAND", "./diagnose"),
        ("CHATOPS__INCIDENT__AGENT_URL", "http://agents"),
    ])
    .expect_err("both backends");
    assert!(both.to_string().contains("not both"), "{both}");
}

#[test]
fn secrets_never_show_in_debug() {
    let s = load(&[
        ("CHATOPS__SLACK__BOT_TOKEN", "xoxb-very-secret"),
        ("CHATOPS__ALERTS__TOKEN", "alert-token-very-secret"),
        ("CHATOPS__GITHUB__TOKEN", "ghp_verysecret"),
        (
            "CHATOPS__DATABASE__URL",
            "postgres://chatops:db-very-secret@127.0.0.1/chatops",
        ),
    ])
    .expect("loads");
    let debug = format!("{s:?}");
    assert!(!debug.contains("very-secret"), "{debug}");
    assert_eq!(redact(s.bot_token().expect("set")), "xoxb-…(16 chars)");
}

#[test]
fn readme_documents_every_key() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"))
        .expect("README.md");
    for (key, ..) in KEYS {
        assert!(
            readme.contains(&env_key(key)),
            "README.md does not document {}",
            env_key(key)
        );
    }
}

#[test]
fn workflow_links_are_escaped() {
    let ui = Url::parse("http://127.0.0.1:8233/").expect("url");
    assert_eq!(
        workflow_url(&ui, "default", "feature-a/testing"),
        "http://127.0.0.1:8233/namespaces/default/workflows/feature-a%2Ftesting"
    );
}

#[test]
fn blank_values_unset_optional_keys_and_fail_required_ones() {
    let s = load(&[
        ("CHATOPS__GITHUB__TOKEN", " "),
        ("CHATOPS__FEATURE__ESCALATION", ""),
        ("CHATOPS__AGENT__MODEL", " "),
        ("CHATOPS__AGENT__COMMAND", "./agent"),
    ])
    .expect("blank optional keys are unset");
    assert!(s.github.token.is_none());
    assert!(s.feature.escalation.is_none());
    assert!(matches!(
        s.agent.primary,
        Some(AgentEndpointSettings::Command(ref c)) if c == "./agent"
    ));
    // The model is only read for an HTTP agent.
    let err = load(&[
        ("CHATOPS__AGENT__MODEL", " "),
        ("CHATOPS__AGENT__URL", "http://agents/v1"),
    ])
    .expect_err("blank model with a URL");
    assert_eq!(
        err.to_string(),
        "config error: CHATOPS__AGENT__MODEL (agent.model): is empty"
    );
}

#[test]
fn sections_are_read_in_order_and_the_first_bad_value_is_reported() {
    let err = load(&[
        ("CHATOPS__LOG__FORMAT", "xml"),
        ("CHATOPS__TEMPORAL__ADDRESS", "nowhere"),
    ])
    .expect_err("two bad values");
    assert_eq!(err.key, "temporal.address");
}

#[test]
fn the_file_layer_sits_between_defaults_and_env() {
    let toml = r#"
        [temporal]
        namespace = "from-file"
        task_queue = "from-file"
        [slack]
        socket_connections = 3
        [github]
        auto_merge = true
        [incident]
        threshold = 0.8
    "#;
    let cfg = config::Config::builder()
        .add_source(config::File::from_str(toml, config::FileFormat::Toml))
        .add_source(env_source(
            [(
                "CHATOPS__TEMPORAL__NAMESPACE".to_owned(),
                "from-env".to_owned(),
            )]
            .into(),
        ))
        .build()
        .expect("layers build");
    let s = Settings::from_config(&cfg).expect("loads");
    assert_eq!(s.temporal.namespace, "from-env");
    assert_eq!(s.temporal.task_queue, "from-file");
    assert_eq!(s.temporal.ui_url.as_str(), "http://127.0.0.1:8233/");
    assert_eq!(s.slack.socket_connections, 3);
    assert!(s.feature.auto_merge);
    assert!((s.incident.threshold - 0.8).abs() < f64::EPSILON);
}

#[test]
fn the_key_table_is_well_formed() {
    let mut seen = std::collections::BTreeSet::new();
    for (key, default, meaning) in KEYS {
        let (section, name) = key.split_once('.').expect("section.key");
        assert!(
            [section, name]
                .iter()
                .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase() || c == '_')),
            "{key}"
        );
        assert!(seen.insert(*key), "{key} is listed twice");
        assert!(default.is_none_or(|d| !d.trim().is_empty()), "{key}");
        assert!(!meaning.is_empty(), "{key}");
    }
}
