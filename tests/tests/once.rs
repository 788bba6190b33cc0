//! Side effects happen once: a deploy carries one id across its attempts (a command sees it as
//! `CHATOPS_DEPLOY_ID`, a webhook as `Idempotency-Key`) and is retried within seconds of its
//! worker dying; a post whose answer Slack lost is found, not posted again.

use chatops_bot::shell::local_slack::PostedMessage;
use chatops_e2e::delivery::{env, healthy, ids_after, read, through_production, wait_file};
use chatops_e2e::github::LocalGitHub;
use chatops_e2e::{Stack, StackOptions};
use serde_json::Value;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A deploy webhook that answers 503 to its first call and 200 after; keeps every call's
/// `Idempotency-Key` header and body.
async fn webhook() -> anyhow::Result<(String, Arc<Mutex<Vec<(String, Value)>>>)> {
    let seen: Arc<Mutex<Vec<(String, Value)>>> = Arc::default();
    let keep = seen.clone();
    let app = axum::Router::new().route(
        "/deploy",
        axum::routing::post(
            move |headers: axum::http::HeaderMap, axum::Json(body): axum::Json<Value>| {
                let keep = keep.clone();
                async move {
                    let key = headers
                        .get("idempotency-key")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_owned();
                    let first = keep.lock().is_ok_and(|mut s| {
                        s.push((key, body));
                        s.len() == 1
                    });
                    if first {
                        axum::http::StatusCode::SERVICE_UNAVAILABLE
                    } else {
                        axum::http::StatusCode::OK
                    }
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/deploy", listener.local_addr()?);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok((url, seen))
}

async fn start(name: &str, env: Vec<(String, String)>) -> anyhow::Result<Stack> {
    Stack::start(
        name,
        StackOptions {
            env,
            ..StackOptions::default()
        },
    )
    .await
}

/// Requests a feature and approves its intake and plan gates; returns its id and card.
async fn through_plan(stack: &Stack) -> anyhow::Result<(String, PostedMessage)> {
    let (id, card, intake) = stack.feature_at_intake("Add a login page").await?;
    stack.press(&intake, "Approve")?;
    let plan = stack
        .reply_containing(&card, "Approval needed: plan gate")
        .await?;
    stack.press(&plan, "Approve")?;
    Ok((id, card))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deploy_whose_worker_dies_is_retried_within_seconds_under_the_same_id()
-> anyhow::Result<()> {
    let gh = LocalGitHub::start().await?;
    let health = healthy().await?;
    let dir = chatops_e2e::scratch("once-crash")?;
    let log = dir.join("deploys.log");
    // Staging's deploy is slow enough to lose its worker in the middle of it.
    let staging = format!(
        "echo \"start staging $CHATOPS_DEPLOY_ID\" >> {log}; sleep 4; echo \"done staging $CHATOPS_DEPLOY_ID\" >> {log}",
        log = log.display()
    );
    let production = format!(
        "echo \"done production $CHATOPS_DEPLOY_ID\" >> {}",
        log.display()
    );
    let env = env(
        &gh,
        &health,
        ("CHATOPS__DEPLOY__STAGING_COMMAND", staging),
        ("CHATOPS__DEPLOY__PRODUCTION_COMMAND", production),
    );
    let mut stack = start("once-crash", env).await?;
    let (id, card) = through_plan(&stack).await?;

    wait_file(&log, Duration::from_secs(60), "the staging deploy", |t| {
        t.contains("start staging")
    })
    .await?;
    let worker = stack
        .worker
        .as_mut()
        .ok_or_else(|| anyhow::anyhow!("no worker"))?;
    worker.signal("KILL");
    anyhow::ensure!(
        worker.wait_exit(Duration::from_secs(10)).is_some(),
        "the worker survived SIGKILL"
    );
    let killed = tokio::time::Instant::now();
    stack.start_worker()?;

    // The heartbeat timeout (30 s) notices the lost worker; the new one deploys again with
    // the id the first attempt had.
    let text = wait_file(&log, Duration::from_secs(60), "the retried deploy", |t| {
        ids_after(t, "start staging ").len() >= 2
    })
    .await?;
    let retried_after = killed.elapsed();
    let started = ids_after(&text, "start staging ");
    assert_eq!(started.len(), 2, "{text}");
    assert_eq!(started[0], started[1], "one deploy, one id: {text}");
    assert!(started[0].starts_with("staging-"), "{text}");
    assert!(
        retried_after < Duration::from_secs(45),
        "retried only after {retried_after:?}"
    );

    through_production(&stack, &id, &card).await?;
    let text = read(&log);
    let production = ids_after(&text, "done production ");
    assert_eq!(production.len(), 1, "{text}");
    assert_ne!(production[0], started[0], "another deploy, another id");
    // The first attempt died with its worker instead of finishing beside the retry.
    assert_eq!(ids_after(&text, "done staging ").len(), 1, "{text}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_webhook_deploy_sends_one_idempotency_key_on_every_attempt() -> anyhow::Result<()> {
    let gh = LocalGitHub::start().await?;
    let health = healthy().await?;
    let (hook, seen) = webhook().await?;
    let dir = chatops_e2e::scratch("once-webhook")?;
    let log = dir.join("deploys.log");
    let production = format!(
        "echo \"done production $CHATOPS_DEPLOY_ID\" >> {}",
        log.display()
    );
    let env = env(
        &gh,
        &health,
        ("CHATOPS__DEPLOY__STAGING_WEBHOOK", hook),
        ("CHATOPS__DEPLOY__PRODUCTION_COMMAND", production),
    );
    let stack = start("once-webhook", env).await?;
    let (id, card) = through_plan(&stack).await?;
    through_production(&stack, &id, &card).await?;

    // Answered 503 once, so called twice: the same key both times, and in the body too.
    let calls = seen.lock().map(|s| s.clone()).unwrap_or_default();
    assert_eq!(calls.len(), 2, "{calls:?}");
    let (key, body) = &calls[0];
    assert!(key.starts_with("staging-"), "{calls:?}");
    assert_eq!(calls[1].0, *key, "{calls:?}");
    assert_eq!(body["deploy_id"], key.as_str());
    assert_eq!(body["environment"], "staging");
    assert_eq!(body["feature"], id.as_str());
    // The production command saw an id of its own.
    let text = read(&log);
    let production = ids_after(&text, "done production ");
    assert_eq!(production.len(), 1, "{text}");
    assert!(production[0].starts_with("production-"), "{text}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn lost_answers_to_posts_show_one_card_and_each_note_once() -> anyhow::Result<()> {
    let gh = LocalGitHub::start().await?;
    let health = healthy().await?;
    let dir = chatops_e2e::scratch("once-lost")?;
    let log = dir.join("deploys.log");
    let deploy = format!(
        "echo \"$CHATOPS_ENVIRONMENT $CHATOPS_DEPLOY_ID\" >> {}",
        log.display()
    );
    let env = env(
        &gh,
        &health,
        ("CHATOPS__DEPLOY__STAGING_COMMAND", deploy.clone()),
        ("CHATOPS__DEPLOY__PRODUCTION_COMMAND", deploy),
    );
    let stack = start("once-lost", env).await?;
    // The card and the first notes are posted, but their answers never arrive.
    stack.slack.lose_post_answers(4);
    let (id, card) = through_plan(&stack).await?;
    through_production(&stack, &id, &card).await?;

    let recorded = stack.recorded();
    let lost = recorded
        .calls
        .iter()
        .filter(|c| c.method == "chat.postMessage:lost")
        .count();
    assert_eq!(lost, 4, "every lost answer was used");
    assert!(
        recorded
            .calls
            .iter()
            .any(|c| c.method == "conversations.history"),
        "the card's retry looked for it"
    );
    assert!(
        recorded
            .calls
            .iter()
            .any(|c| c.method == "conversations.replies"),
        "a note's retry looked for it"
    );
    let cards: Vec<&PostedMessage> = recorded
        .messages
        .iter()
        .filter(|m| m.thread_ts.is_none() && m.channel == card.channel)
        .collect();
    assert_eq!(cards.len(), 1, "one card: {cards:#?}");
    let notes: Vec<String> = recorded
        .messages
        .iter()
        .filter(|m| m.thread_ts.as_deref() == Some(card.ts.as_str()))
        .map(PostedMessage::rendered)
        .collect();
    let mut seen = std::collections::HashSet::new();
    for note in &notes {
        assert!(
            seen.insert(note),
            "posted twice: {note}\nthread: {notes:#?}"
        );
    }
    assert!(
        recorded
            .messages
            .iter()
            .filter(|m| m.channel == card.channel)
            .all(|m| m.metadata.is_some()),
        "every post carries its key"
    );
    Ok(())
}
