//! Fuzzing of everything the bot reads from outside: slash commands, button actions, the form,
//! alert bodies, the CLI's words, and every signal's payload. Each input is answered, never a
//! panic: parsed, or refused with a message that says what is wrong.
//!
//! `CHATOPS_FUZZ_CASES` inputs per target (default 100,000); set it higher for a soak run.

use chatops_contract::actions::Action;
use chatops_contract::signals;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Value, json};
use std::collections::HashMap;

fn cases() -> u32 {
    std::env::var("CHATOPS_FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000)
}

fn runner() -> TestRunner {
    TestRunner::new(Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    })
}

/// Text mixing what people type with what breaks parsers: quotes, mentions, ids, controls.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,80}",
        "[ a-zA-Z0-9<>@#|`*_~\"'\\-]{0,80}",
        "(new|status|pause|resume|block|unblock|skip|priority|list|cancel|help|ack|resolve|commander|stop|release|confirm|all) {0,3}[a-zA-Z0-9 _-]{0,40}",
        "(feature|incident)-[a-z0-9-]{0,20}( [a-z]{0,10}){0,3}",
    ]
}

/// Any JSON value, nested a few levels.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|x| json!(x)),
        text().prop_map(Value::String),
        "(gate|user|reason|note|comment|blocker|priority|minutes|index|service|summary|fingerprint|severity)"
            .prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::btree_map(
                "(gate|user|reason|note|comment|blocker|priority|minutes|index|service|summary|labels|value|by|until|[a-z]{1,6})",
                inner,
                0..5
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Runs `check` on `cases()` inputs of `strategy`; a panic or a failed check fails the test
/// with the input that caused it.
fn fuzz<S: Strategy>(name: &str, strategy: S, check: impl Fn(S::Value) -> Result<(), String>)
where
    S::Value: std::fmt::Debug,
{
    let started = std::time::Instant::now();
    let result = runner().run(&strategy, |input| {
        check(input).map_err(proptest::test_runner::TestCaseError::fail)
    });
    if let Err(e) = result {
        panic!("{name}: {e}");
    }
    eprintln!(
        "{name}: {} inputs, each answered, in {:.1} s",
        cases(),
        started.elapsed().as_secs_f64()
    );
}

fn answered(e: &dyn std::fmt::Display) -> Result<(), String> {
    let said = e.to_string();
    if said.trim().is_empty() {
        Err("refused without saying why".to_owned())
    } else {
        Ok(())
    }
}

#[test]
fn slash_commands_are_parsed_or_refused_with_a_reason() {
    let command = prop_oneof![
        Just("/feature".to_owned()),
        Just("/incident".to_owned()),
        Just("/emergency-stop".to_owned()),
        "/[a-z-]{0,16}",
    ];
    fuzz(
        "slash commands",
        (command, text()),
        |(command, text)| match chatops_bot::commands::parse(&command, &text) {
            Ok(_) => Ok(()),
            Err(e) => answered(&e),
        },
    );
}

#[test]
fn button_actions_are_decoded_or_refused_with_a_reason() {
    let action_id = prop_oneof![
        "chatops:(approve|reject|ack|rollback|rollback_confirm|resolve|choose|engage|cancel_freeze|[a-z_]{0,12})",
        ".{0,30}",
    ];
    let value = proptest::option::of(prop_oneof![
        text(),
        json_value().prop_map(|v| v.to_string()),
        "(feature|incident)-[a-z0-9-]{0,12}\\|(intake|plan|production|migration|[a-z]{0,8})",
    ]);
    fuzz(
        "button actions",
        (action_id, value),
        |(id, value)| match Action::decode(&id, value.as_deref()) {
            Ok(_) => Ok(()),
            Err(e) => answered(&e),
        },
    );
}

#[test]
fn alert_bodies_are_read_or_refused_with_a_reason() {
    let body = prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..256),
        json_value().prop_map(|v| v.to_string().into_bytes()),
        (text(), text(), json_value()).prop_map(|(service, summary, labels)| {
            json!({"service": service, "summary": summary, "labels": labels})
                .to_string()
                .into_bytes()
        }),
        proptest::collection::vec(json_value(), 0..3).prop_map(|alerts| {
            json!({"version": "4", "status": "firing", "alerts": alerts})
                .to_string()
                .into_bytes()
        }),
    ];
    fuzz(
        "alert bodies",
        body,
        |bytes| match chatops_bot::alerts::parse(&bytes) {
            Ok(_) => Ok(()),
            Err(e) => answered(&e),
        },
    );
}

#[test]
fn form_submissions_are_read_or_answered_per_field() {
    let field = || proptest::option::of(text());
    fuzz(
        "form submissions",
        (field(), field(), field(), field()),
        |(request, repository, priority, target)| {
            let mut values: HashMap<
                slack_morphism::prelude::SlackBlockId,
                HashMap<
                    slack_morphism::prelude::SlackActionId,
                    slack_morphism::prelude::SlackViewStateValue,
                >,
            > = HashMap::new();
            for (block, value, option) in [
                ("request", request, false),
                ("repository", repository, false),
                ("priority", priority, true),
                ("target", target, true),
            ] {
                let Some(value) = value else { continue };
                let state = if option {
                    json!({"type": "static_select", "selected_option": {"text": {"type": "plain_text", "text": value}, "value": value}})
                } else {
                    json!({"type": "plain_text_input", "value": value})
                };
                let Ok(state) = serde_json::from_value(state) else {
                    continue;
                };
                values.insert(
                    slack_morphism::prelude::SlackBlockId(block.to_owned()),
                    HashMap::from([(
                        slack_morphism::prelude::SlackActionId(
                            chatops_blocks::views::FORM_VALUE.to_owned(),
                        ),
                        state,
                    )]),
                );
            }
            match chatops_bot::views::read_form(&values, &["acme/shop".to_owned()]) {
                Ok(_) => Ok(()),
                Err(errors)
                    if errors.values().all(|e| !e.trim().is_empty()) && !errors.is_empty() =>
                {
                    Ok(())
                }
                Err(errors) => Err(format!("refused without a reason per field: {errors:?}")),
            }
        },
    );
}

#[test]
fn cli_words_are_parsed_or_refused_with_a_reason() {
    let words = proptest::collection::vec(
        prop_oneof![
            "(feature|incident|emergency|approve|reject|status|list|new|cancel|skip|--as|--priority|--target|--key|all|stop|release)",
            "[A-Za-z0-9@:_-]{0,16}",
            ".{0,20}",
        ],
        0..7,
    );
    fuzz("CLI words", words, |args| {
        match chatops_bot::cli::parse(&args) {
            Ok(_) => Ok(()),
            Err(e) => answered(&e),
        }
    });
}

#[test]
fn every_signals_payload_is_decoded_or_refused_naming_the_signal() {
    fuzz("signal payloads", json_value(), |payload| {
        let mut refusals = Vec::new();
        macro_rules! each {
            ($($signal:ident),*) => {$(
                if let Err(e) = signals::$signal.decode(payload.clone()) {
                    let said = e.to_string();
                    if !said.contains(e.name) || e.reason.trim().is_empty() {
                        refusals.push(said);
                    }
                }
            )*};
        }
        each!(
            APPROVE,
            REJECT,
            ALERT,
            INCIDENT_CLOSED,
            ACKNOWLEDGE,
            ASSIGN_COMMANDER,
            CHOOSE_DIAGNOSIS,
            ROLLBACK,
            RESOLVE,
            ENGAGE,
            RELEASE,
            FREEZE_RELEASED,
            HOLD,
            POKE,
            PAUSE,
            RESUME,
            SKIP_GATE,
            UPDATE_PRIORITY,
            ADD_BLOCKER,
            REMOVE_BLOCKER,
            REQUEST_CLARIFICATION,
            REQUEST_REVISIONS,
            REQUEST_MORE_EVIDENCE,
            TRIGGER_ROLLBACK,
            EXTEND_MONITORING,
            PAUSE_MIGRATION,
            RESUME_MIGRATION,
            CANCEL,
            EMERGENCY_STOP
        );
        match refusals.first() {
            Some(r) => Err(format!("refused without naming the signal and why: {r}")),
            None => Ok(()),
        }
    });
}
