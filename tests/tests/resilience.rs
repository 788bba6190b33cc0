//! What must hold when things go wrong: a killed worker, a dropped socket, bad tokens, bad config.

use chatops_e2e::process::Supervised;
use chatops_e2e::stack::{APPROVER, WAIT};
use chatops_e2e::{Stack, StackOptions};
use std::process::Command;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_worker_loses_nothing() -> anyhow::Result<()> {
    let mut stack = Stack::start("killworker", StackOptions::default()).await?;
    let (id, card, request) = stack.feature_at_intake("Survive a crash").await?;

    // Once nothing is in flight, the worker dies without warning; the approval arrives while no
    // worker runs.
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let described: serde_json::Value = serde_json::from_str(
            &stack.temporal(&["workflow", "describe", "-w", &id, "-o", "json"])?,
        )?;
        let idle = described
            .get("pendingActivities")
            .is_none_or(|a| a.as_array().is_none_or(Vec::is_empty))
            && described.get("pendingWorkflowTask").is_none();
        if idle {
            break;
        }
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "the workflow never went idle: {described:#}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let worker = stack
        .worker
        .as_mut()
        .ok_or_else(|| anyhow::anyhow!("no worker"))?;
    worker.signal("KILL");
    anyhow::ensure!(
        worker.wait_exit(WAIT).is_some(),
        "the worker survived SIGKILL"
    );
    stack.press(&request, "Approve")?;
    let no_error = stack
        .slack
        .wait_for("an error answer", Duration::from_millis(500), |r| {
            r.ephemerals
                .iter()
                .find(|e| e.text.contains("wrong") || e.text.contains("unreachable"))
                .cloned()
        });
    assert!(
        no_error.await.is_err(),
        "the approval must be accepted with no worker running"
    );

    // A new worker picks the workflow up where it stood.
    stack.start_worker()?;
    stack
        .reply_containing(&card, &format!("Intake approved by @{APPROVER}"))
        .await?;
    for gate in ["plan", "production"] {
        let asked = stack
            .reply_containing(&card, &format!("Approval needed: {gate} gate"))
            .await?;
        stack.press(&asked, "Approve")?;
    }
    stack
        .reply_containing(&card, "Delivered to production.")
        .await?;
    assert_eq!(
        stack.workflow_closed(&id).await?,
        "WORKFLOW_EXECUTION_STATUS_COMPLETED"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_bot_reconnects_after_a_disconnect_frame() -> anyhow::Result<()> {
    let stack = Stack::start("disconnect", StackOptions::default()).await?;
    stack
        .slack
        .disconnect_all("refresh_requested", Duration::from_millis(500));
    stack
        .slack
        .wait_for("a new Socket Mode connection", WAIT, |r| {
            (r.connections_opened >= 2).then_some(())
        })
        .await?;
    let deadline = tokio::time::Instant::now() + WAIT;
    while stack.slack.open_connections() != 1 {
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "the old connection never closed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let ack = stack.command("/feature", "help").await?;
    assert!(
        stack.ack_text(&ack).contains("/feature new"),
        "commands work on the new connection"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_tokens_stop_the_bot_with_one_clear_line() -> anyhow::Result<()> {
    let stack = Stack::start("badtoken", StackOptions::default()).await?;
    for (key, value, want) in [
        (
            "CHATOPS__SLACK__BOT_TOKEN",
            "xoxb-wrong",
            "rejected CHATOPS__SLACK__BOT_TOKEN (auth.test: invalid_auth)",
        ),
        (
            "CHATOPS__SLACK__APP_TOKEN",
            "xapp-wrong",
            "rejected CHATOPS__SLACK__APP_TOKEN (apps.connections.open: invalid_auth)",
        ),
    ] {
        let mut env = stack.env();
        env.push((key.to_owned(), value.to_owned()));
        let log = stack.dir.join(format!("bad-{key}.log"));
        let mut bot =
            Supervised::spawn("bot", &chatops_e2e::binary("chatops-bot")?, &[], &env, log)?;
        let status = bot
            .wait_exit(WAIT)
            .ok_or_else(|| anyhow::anyhow!("the bot kept running with a bad {key}"))?;
        assert!(!status.success());
        let out = bot.output();
        let line = out
            .lines()
            .find(|l| l.starts_with("chatops-bot:"))
            .unwrap_or_default();
        assert!(line.contains(want), "{out}");
        assert!(
            !out.contains(value),
            "the token must not be printed:\n{out}"
        );
    }
    Ok(())
}

#[test]
fn bad_config_stops_each_process_with_one_line_naming_the_key() -> anyhow::Result<()> {
    let table = [
        (
            "chatops-worker",
            "CHATOPS__FEATURE__INTAKE_TIMEOUT",
            "soon",
            "chatops-worker: config error: CHATOPS__FEATURE__INTAKE_TIMEOUT (feature.intake_timeout): `soon` is not a duration",
        ),
        (
            "chatops-worker",
            "CHATOPS__TEMPORAL__ADDRESS",
            "nowhere",
            "chatops-worker: config error: CHATOPS__TEMPORAL__ADDRESS (temporal.address): `nowhere` is not a URL",
        ),
        (
            "chatops-bot",
            "CHATOPS__SLACK__BOT_TOKN",
            "xoxb-typo",
            "chatops-bot: config error: CHATOPS__SLACK__BOT_TOKN (slack.bot_tokn): is not a known setting",
        ),
        (
            "chatops-bot",
            "CHATOPS__SLACK__APP_TOKEN",
            "",
            "chatops-bot: config error: CHATOPS__SLACK__APP_TOKEN (slack.app_token): is missing",
        ),
    ];
    for (bin, key, value, want) in table {
        let out = Command::new(chatops_e2e::binary(bin)?)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("CHATOPS__SLACK__BOT_TOKEN", "xoxb-x")
            .env(key, value)
            .output()?;
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{bin} {key}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{bin} {key}: {stderr}");
        assert!(stderr.starts_with(want), "{bin} {key}: {stderr}");
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn slack_rate_limits_are_waited_out_and_nothing_is_lost_or_doubled() -> anyhow::Result<()> {
    let stack = Stack::start(
        "ratelimit",
        StackOptions {
            rate_limited_posts: 2,
            ..StackOptions::default()
        },
    )
    .await?;
    // The first two posts draw 429 with Retry-After; the worker waits and posts again.
    let (id, card, _request) = stack.feature_at_intake("Survive rate limits").await?;
    let calls: Vec<String> = stack
        .recorded()
        .calls
        .iter()
        .filter(|c| c.method.starts_with("chat.postMessage"))
        .map(|c| c.method.clone())
        .collect();
    assert_eq!(
        &calls[..3],
        [
            "chat.postMessage:429",
            "chat.postMessage:429",
            "chat.postMessage"
        ],
        "{calls:?}"
    );
    let log = stack
        .worker
        .as_ref()
        .map(chatops_e2e::process::Supervised::output)
        .unwrap_or_default();
    assert_eq!(
        log.matches("retrying after Retry-After").count(),
        2,
        "the worker must wait for Slack's Retry-After: {log}"
    );
    assert_eq!(stack.recorded().cards_mentioning(&id).len(), 1, "one card");
    assert_eq!(
        stack.thread_text(&card).matches("Approval needed").count(),
        1,
        "one approval request"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_burst_through_disconnects_and_redeliveries_is_processed_exactly_once()
-> anyhow::Result<()> {
    use chatops_e2e::stack::{CHANNEL, REQUESTER};
    let stack = Stack::start(
        "burst",
        StackOptions {
            bot_env: vec![("CHATOPS__SLACK__SOCKET_CONNECTIONS".into(), "2".into())],
            env: vec![("CHATOPS__SLACK__CHANNEL_BURST".into(), "50".into())],
            ..StackOptions::default()
        },
    )
    .await?;
    stack.slack.wait_connected(2, WAIT).await?;

    // Twelve commands in a burst; Slack refreshes the connections in the middle of it and
    // redelivers every third envelope, as it does when an ack is late.
    let envelopes: Vec<_> = (0..12)
        .map(|i| {
            stack.slack.slash_command(
                "/feature",
                &format!("new Burst item {i:02}"),
                REQUESTER,
                CHANNEL,
            )
        })
        .collect();
    for (i, e) in envelopes.iter().enumerate() {
        if i == 4 {
            stack
                .slack
                .disconnect_all("refresh_requested", Duration::from_millis(300));
        }
        stack.send_held(e).await?;
        if i % 3 == 0 {
            stack.send_held(&e.redelivery()).await?;
        }
    }

    // Every envelope is acked; every request became exactly one workflow and one card.
    let ids: Vec<String> = envelopes.iter().map(|e| e.id.clone()).collect();
    // An ack written on a connection that is going away is lost; Slack redelivers what stays
    // unacked (up to three times), and the redelivery must not start anything twice.
    for _ in 0..3 {
        let unacked: Vec<_> = {
            let r = stack.recorded();
            envelopes
                .iter()
                .filter(|e| !r.acks.iter().any(|a| a.envelope_id == e.id))
                .map(|e| e.redelivery())
                .collect()
        };
        if unacked.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
        for e in &unacked {
            if !stack.recorded().acks.iter().any(|a| a.envelope_id == e.id) {
                stack.send_held(e).await?;
            }
        }
    }
    stack
        .slack
        .wait_for("every envelope to be acked", WAIT, |r| {
            ids.iter()
                .all(|id| r.acks.iter().any(|a| &a.envelope_id == id))
                .then_some(())
        })
        .await?;
    for i in 0..12 {
        let needle = format!("Burst item {i:02}");
        stack
            .slack
            .wait_for(&format!("the card of {needle}"), WAIT, |r| {
                (!r.cards_mentioning(&needle).is_empty()).then_some(())
            })
            .await?;
    }
    assert_eq!(
        stack.workflow_count("WorkflowType = 'FeatureDelivery'")?,
        12
    );
    let recorded = stack.recorded();
    for i in 0..12 {
        let needle = format!("Burst item {i:02}");
        assert_eq!(recorded.cards_mentioning(&needle).len(), 1, "{needle}");
    }
    assert!(
        recorded.connections_opened >= 4,
        "the connections were replaced"
    );
    Ok(())
}

/// Slack never delivers an acknowledged envelope again: a bot told to stop carries out every
/// command it has acknowledged before it exits.
#[tokio::test(flavor = "multi_thread")]
async fn a_stopping_bot_carries_out_every_command_it_acknowledged() -> anyhow::Result<()> {
    // The bot's calls to Temporal cross a slow network, so its starts are still in flight when
    // it is told to stop.
    let server = chatops_e2e::temporal::dev_server();
    let slow = chatops_e2e::slow::SlowProxy::start(
        server.address().trim_start_matches("http://").to_owned(),
        Duration::from_millis(400),
    )
    .await?;
    let mut stack = Stack::start(
        "drain",
        StackOptions {
            bot_env: vec![("CHATOPS__TEMPORAL__ADDRESS".into(), slow.url())],
            ..StackOptions::slow_phases()
        },
    )
    .await?;
    let requests: Vec<String> = (1..=10).map(|n| format!("new Drain check {n}")).collect();
    let acks =
        futures::future::try_join_all(requests.iter().map(|text| stack.command("/feature", text)))
            .await?;
    let ids = acks
        .iter()
        .map(|ack| stack.feature_in_ack(ack))
        .collect::<anyhow::Result<Vec<_>>>()?;

    let bot = stack
        .bot
        .as_mut()
        .ok_or_else(|| anyhow::anyhow!("no bot"))?;
    bot.signal("TERM");
    let exit = bot.wait_exit(Duration::from_secs(30));
    anyhow::ensure!(
        exit.is_some_and(|s| s.success()),
        "the bot did not stop cleanly: {exit:?}"
    );
    assert!(
        stack
            .bot_log()
            .contains("every acknowledged command was carried out"),
        "{}",
        stack.bot_log()
    );
    for id in &ids {
        stack.card(id).await?;
    }
    assert_eq!(
        stack.workflow_count("WorkflowType = 'FeatureDelivery'")?,
        10,
        "one feature per acknowledged command"
    );
    Ok(())
}

/// What an acknowledgement promises, when its bot is killed outright: the commands it had
/// acknowledged but not yet carried out are carried out by the next bot on the same store, once
/// each.
#[tokio::test(flavor = "multi_thread")]
async fn commands_a_killed_bot_acknowledged_are_carried_out_by_the_next_bot() -> anyhow::Result<()>
{
    let store = chatops_e2e::postgres::Throwaway::create("journal").await?;
    let server = chatops_e2e::temporal::dev_server();
    let link = chatops_e2e::slow::SlowProxy::start(
        server.address().trim_start_matches("http://").to_owned(),
        Duration::ZERO,
    )
    .await?;
    let mut stack = Stack::start(
        "journal",
        StackOptions {
            env: vec![("CHATOPS__DATABASE__URL".into(), store.url.clone())],
            bot_env: vec![("CHATOPS__TEMPORAL__ADDRESS".into(), link.url())],
            ..StackOptions::slow_phases()
        },
    )
    .await?;
    // The bot loses Temporal, acknowledges five requests it cannot carry out, and is killed.
    link.stall();
    let requests: Vec<String> = (1..=5).map(|n| format!("new Journal check {n}")).collect();
    let acks =
        futures::future::try_join_all(requests.iter().map(|text| stack.command("/feature", text)))
            .await?;
    let ids = acks
        .iter()
        .map(|ack| stack.feature_in_ack(ack))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let bot = stack
        .bot
        .as_mut()
        .ok_or_else(|| anyhow::anyhow!("no bot"))?;
    bot.signal("KILL");
    anyhow::ensure!(bot.wait_exit(WAIT).is_some(), "the bot survived SIGKILL");
    drop(link); // what it held never reaches Temporal
    assert_eq!(
        stack.workflow_count("WorkflowType = 'FeatureDelivery'")?,
        0,
        "nothing was started before the bot died"
    );

    // The next bot (a replica, or this one restarted) finds them owed and starts each once.
    stack.restart_bot_with(Vec::new())?;
    for id in &ids {
        stack.card(id).await?;
    }
    assert!(
        stack
            .bot_log()
            .contains("carrying out a start another bot acknowledged"),
        "{}",
        stack.bot_log()
    );
    assert_eq!(stack.workflow_count("WorkflowType = 'FeatureDelivery'")?, 5);
    Ok(())
}
