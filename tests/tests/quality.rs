//! `ContinuousQuality`: the watched repository's default branch is checked when the worker
//! starts and after every merge chatops makes; a merge that breaks it (two changes fine alone,
//! broken together) is posted to the channel once, naming the merge commit; `/quality` and the
//! CLI show the trend.

use chatops_contract::quality::quality_workflow_id;
use chatops_contract::{queries, signals};
use chatops_e2e::delivery::{env, healthy};
use chatops_e2e::github::{self, LocalGitHub};
use chatops_e2e::stack::CHANNEL;
use chatops_e2e::{Stack, StackOptions};
use serde_json::{Value, json};
use std::time::Duration;

/// The channel's top-level messages about quality.
fn quality_posts(stack: &Stack) -> Vec<String> {
    stack
        .recorded()
        .messages
        .iter()
        .filter(|m| m.channel == CHANNEL && m.thread_ts.is_none())
        .map(|m| m.rendered())
        .filter(|t| t.contains("Quality of"))
        .collect()
}

fn points(trend: &Value) -> usize {
    trend["points"].as_array().map_or(0, Vec::len)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_merge_that_breaks_the_default_branch_is_reported_once_with_its_commit()
-> anyhow::Result<()> {
    let gh = LocalGitHub::start().await?;
    let health = healthy().await?;
    // Each change passes alone; together they break the build.
    let check = json!([{
        "name": "unit_tests",
        "command": "if [ -f SCHEMA_V2 ] && [ -f src/t1.rs ]; then echo 'the login page reads the old schema'; exit 1; fi; echo 12 passed",
        "required": true,
    }]);
    let mut env: Vec<(String, String)> = env(
        &gh,
        &health,
        ("CHATOPS__DEPLOY__STAGING_COMMAND", "true".to_owned()),
        ("CHATOPS__DEPLOY__PRODUCTION_COMMAND", "true".to_owned()),
    )
    .into_iter()
    .filter(|(k, _)| k != "CHATOPS__FEATURE__CHECKS")
    .collect();
    env.extend(
        [
            ("CHATOPS__FEATURE__CHECKS", check.to_string()),
            ("CHATOPS__QUALITY__WATCH", github::REPOSITORY.to_owned()),
            // Only a start and a merge make it look.
            ("CHATOPS__QUALITY__WATCH_INTERVAL", "1h".to_owned()),
            ("CHATOPS__GITHUB__AUTO_MERGE", "true".to_owned()),
        ]
        .map(|(k, v)| (k.to_owned(), v)),
    );
    let stack = Stack::start(
        "quality",
        StackOptions {
            env,
            ..StackOptions::default()
        },
    )
    .await?;
    let watch = quality_workflow_id(github::REPOSITORY, &stack.task_queue);

    // The worker's start has it look at main once: healthy.
    let trend = stack
        .wait_query(&watch, queries::TREND, "the first look", |t| points(t) == 1)
        .await?;
    assert_eq!(trend["points"][0]["sha"], gh.base_sha(), "{trend}");
    assert_eq!(trend["points"][0]["score"], 100.0, "{trend}");
    assert_eq!(trend["points"][0]["trigger"], "worker start", "{trend}");

    // A patch is built and tested on its branch (fine there); meanwhile someone pushes a schema
    // change straight to main (fine there too). The merge holds both.
    let ack = stack
        .command("/feature", "patch Show the login page")
        .await?;
    let id = stack.feature_in_ack(&ack)?;
    let card = stack.card(&id).await?;
    let gate = stack.gate_request(&card, "production").await?;
    let pushed = gh.push_file("main", "SCHEMA_V2", "users.email is now users.login\n")?;
    stack.press(&gate, "Approve")?;
    stack.card_showing(&card, "Complete").await?;
    let merged = gh.head("main").unwrap_or_default();
    assert_ne!(merged, pushed, "the merge made a commit on main");

    // The merge had the watch look at once (the schedule is an hour away): it broke main.
    let trend = stack
        .wait_query(&watch, queries::TREND, "the look after the merge", |t| {
            points(t) == 2
        })
        .await?;
    let after = &trend["points"][1];
    assert_eq!(after["sha"], merged.as_str(), "{trend}");
    assert_eq!(after["trigger"], format!("merge of {id}"), "{trend}");
    assert_eq!(after["failing"], json!(["unit_tests"]), "{trend}");
    let deadline = tokio::time::Instant::now() + stack.patience();
    while quality_posts(&stack).is_empty() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let posts = quality_posts(&stack);
    let short = &merged[..12];
    assert_eq!(
        posts,
        [format!(
            ":chart_with_downwards_trend: Quality of `acme/shop` on `main` got worse at `{short}` (merge of {id}): the score fell from 100 to 0; required check `unit_tests` started failing. `/quality acme/shop` shows the trend."
        )],
    );

    // Asked again about the same commit, and then about a newer one that is still broken: no
    // second report.
    let ask = |reason: &str| json!({"reason": reason}).to_string();
    stack.signal(&watch, signals::name::CHECK, &ask("asked again"))?;
    stack
        .wait_query(&watch, queries::TREND, "the look at the same commit", |t| {
            t["looks"] == 3
        })
        .await?;
    let still = gh.push_file("main", "NOTES.md", "still broken\n")?;
    stack.signal(&watch, signals::name::CHECK, &ask("asked after a push"))?;
    let trend = stack
        .wait_query(
            &watch,
            queries::TREND,
            "the look at the newer commit",
            |t| points(t) == 3,
        )
        .await?;
    assert_eq!(trend["points"][2]["sha"], still.as_str(), "{trend}");
    assert_eq!(trend["looks"], 4, "{trend}");
    assert_eq!(
        quality_posts(&stack).len(),
        1,
        "{:?}",
        quality_posts(&stack)
    );

    // The trend, in Slack and from the CLI.
    stack.command("/quality", "acme/shop").await?;
    stack
        .ephemeral_containing("Quality of `acme/shop` on `main` (3 checked, 4 looks): 100 → 0 → 0")
        .await?;
    let (code, out, err) = stack.cli(&["quality", "acme/shop"])?;
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("100 → 0 → 0"), "{out}");
    stack.command("/quality", "acme/unwatched").await?;
    stack
        .ephemeral_containing("`acme/unwatched` is not watched")
        .await?;

    // Fifty looks make a run continue as new; the history so far goes with it.
    for n in 5..=52u64 {
        stack.signal(&watch, signals::name::CHECK, &ask("asked again"))?;
        stack
            .wait_query(&watch, queries::TREND, "one more look", |t| t["looks"] == n)
            .await?;
    }
    let runs = stack.workflow_count(&format!(
        "WorkflowId = '{watch}' AND ExecutionStatus = 'ContinuedAsNew'"
    ))?;
    assert_eq!(runs, 1, "the first run continued as new");
    let trend = stack.query(&watch, queries::TREND)?;
    assert_eq!(points(&trend), 3, "{trend}");
    assert_eq!(trend["looks"], 52, "{trend}");
    assert_eq!(quality_posts(&stack).len(), 1);
    Ok(())
}
