//! R8: a long incident, compressed. Repeats of its alert keep arriving for the whole of it;
//! every run of its workflow stays under the configured history size, and the incident keeps
//! one card, its timeline and its ending across the runs.

use chatops_contract::queries;
use chatops_e2e::stack::{APPROVER, INCIDENT_CHANNEL, alertmanager};
use chatops_e2e::{Stack, StackOptions};
use serde_json::Value;

/// The configured history size of one run (the smallest allowed).
const HISTORY_EVENTS: u64 = 100;
const REPEATS: u64 = 150;

fn alert(status: &str) -> Value {
    alertmanager("fp-inventory", "inventory", status)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_long_incident_keeps_each_run_bounded_and_its_card_timeline_and_ending()
-> anyhow::Result<()> {
    let stack = Stack::start(
        "long-incident",
        StackOptions::with_env(vec![(
            "CHATOPS__INCIDENT__HISTORY_EVENTS".into(),
            HISTORY_EVENTS.to_string(),
        )]),
    )
    .await?;
    stack.send_alert(&alert("firing")).await?;
    let (card, id) = stack.incident_card("inventory").await?;
    stack
        .reply_containing(&card, "No diagnosis to act on")
        .await?;

    // Weeks of repeats, ten at a time, each batch seen before the next is sent.
    for batch in 0..REPEATS / 10 {
        for _ in 0..10 {
            stack.send_alert(&alert("firing")).await?;
        }
        let want = 1 + (batch + 1) * 10;
        stack
            .wait_query(&id, queries::INCIDENT_STATUS, "the repeats counted", |s| {
                s["alerts"].as_u64() == Some(want)
            })
            .await?;
    }

    // Several runs, none of them much over the configured size.
    let runs = runs(&stack, &id)?;
    assert!(runs.len() >= 3, "no continue-as-new: {runs:?}");
    for (run, status, length) in &runs {
        assert!(
            *length <= HISTORY_EVENTS * 2,
            "run {run} ({status}) has {length} events"
        );
    }

    // One card, still edited, with the whole count; the timeline carried across.
    stack
        .card_showing(&card, &format!("{} alerts", REPEATS + 1))
        .await?;
    let cards = stack
        .recorded()
        .messages
        .iter()
        .filter(|m| m.channel == INCIDENT_CHANNEL && m.thread_ts.is_none() && m.text.contains(&id))
        .count();
    assert_eq!(cards, 1, "the card was posted again");
    let timeline = stack.query(&id, queries::INCIDENT_TIMELINE)?;
    let events: Vec<&str> = timeline
        .as_array()
        .map(|a| a.iter().filter_map(|e| e["event"].as_str()).collect())
        .unwrap_or_default();
    assert!(
        events.first().is_some_and(|e| e.contains("opened by")),
        "{events:?}"
    );
    assert!(
        events
            .iter()
            .any(|e| e.starts_with("continued as new after")),
        "{events:?}"
    );
    assert!(
        events
            .iter()
            .any(|e| e.starts_with("alert repeated") && e.contains("times")),
        "{events:?}"
    );
    assert!(
        events.len() < 60,
        "the timeline grew with the repeats: {events:?}"
    );

    // It still ends as an incident does: resolved by the person on call, a postmortem, the
    // monitor told.
    stack
        .command_as(APPROVER, "/incident", &format!("resolve {id} cache warmed"))
        .await?;
    let postmortem = stack.reply_containing(&card, "Postmortem").await?;
    assert!(
        postmortem
            .rendered()
            .contains(&format!("{} alerts", REPEATS + 1))
            || postmortem.rendered().contains("cache warmed"),
        "{}",
        postmortem.rendered()
    );
    stack
        .wait_query(
            &stack.monitor_id(),
            queries::STATS,
            "the incident closed",
            |s| s["open_now"] == 0,
        )
        .await?;
    Ok(())
}

/// Every run of workflow `id`: its run id, status and history length.
fn runs(stack: &Stack, id: &str) -> anyhow::Result<Vec<(String, String, u64)>> {
    let listed = stack.temporal(&[
        "workflow",
        "list",
        "--query",
        &format!("WorkflowId = '{id}'"),
        "-o",
        "json",
    ])?;
    let mut out = Vec::new();
    // One JSON array, or one JSON value per run, depending on the CLI's version.
    for value in serde_json::Deserializer::from_str(&listed).into_iter::<Value>() {
        let items = match value? {
            Value::Array(a) => a,
            other => vec![other],
        };
        for run in items {
            let run_id = run["execution"]["runId"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let status = run["status"].as_str().unwrap_or_default().to_owned();
            // Visibility leaves out a running run's length; describe has it for every run.
            let described: Value = serde_json::from_str(&stack.temporal(&[
                "workflow", "describe", "-w", id, "-r", &run_id, "-o", "json",
            ])?)?;
            let info = &described["workflowExecutionInfo"]["historyLength"];
            let length = info
                .as_str()
                .and_then(|n| n.parse().ok())
                .or_else(|| info.as_u64())
                .unwrap_or(0);
            anyhow::ensure!(
                !run_id.is_empty() && length > 0,
                "unreadable run: {run} {described}"
            );
            out.push((run_id, status, length));
        }
    }
    Ok(out)
}
