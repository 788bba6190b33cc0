//! Two bots and two workers on one PostgreSQL store: Socket Mode spreads commands and button
//! presses (and Slack's redeliveries of them) over both bots; each is carried out once, and
//! killing one bot and one worker in the middle of a burst loses nothing and doubles nothing.

use chatops_bot::shell::local_slack::{Envelope, PostedMessage};
use chatops_e2e::stack::{APPROVER, CHANNEL, REQUESTER, WAIT};
use chatops_e2e::{Stack, StackOptions};
use std::time::Duration;

/// As Slack does, sends again every envelope of `sent` that is still unacknowledged after a
/// while, until all are (or the deadline passes).
async fn until_acked(stack: &Stack, sent: &[Envelope]) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + 2 * WAIT;
    loop {
        let unacked: Vec<Envelope> = {
            let r = stack.recorded();
            sent.iter()
                .filter(|e| !r.acks.iter().any(|a| a.envelope_id == e.id))
                .map(Envelope::redelivery)
                .collect()
        };
        if unacked.is_empty() {
            return Ok(());
        }
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "{} envelopes never acknowledged",
            unacked.len()
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
        for e in &unacked {
            if !stack.recorded().acks.iter().any(|a| a.envelope_id == e.id) {
                stack.send_held(e).await?;
            }
        }
    }
}

/// The card of the request `needle` and the feature id it names.
async fn card_of(stack: &Stack, needle: &str) -> anyhow::Result<(PostedMessage, String)> {
    let card = stack
        .slack
        .wait_for(&format!("the card of {needle}"), stack.patience(), |r| {
            r.cards_mentioning(needle).first().map(|m| (*m).clone())
        })
        .await?;
    let id = card
        .text
        .split(|c: char| c.is_whitespace() || c == '`' || c == ':')
        .find(|w| w.starts_with("feature-"))
        .ok_or_else(|| anyhow::anyhow!("no feature id on {}", card.text))?
        .to_owned();
    Ok((card, id))
}

/// Timeline entries of feature `id` starting with `prefix`.
fn entries(stack: &Stack, id: &str, prefix: &str) -> anyhow::Result<usize> {
    let status = stack.status(id)?;
    Ok(status["timeline"]
        .as_array()
        .map(|t| {
            t.iter()
                .filter(|e| e["event"].as_str().is_some_and(|e| e.starts_with(prefix)))
                .count()
        })
        .unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread")]
async fn two_bots_and_two_workers_lose_and_double_nothing_when_one_of_each_is_killed()
-> anyhow::Result<()> {
    let store = chatops_e2e::postgres::Throwaway::create("replicas").await?;
    let stack = Stack::start(
        "replicas",
        StackOptions {
            env: vec![("CHATOPS__DATABASE__URL".into(), store.url.clone())],
            patience: Some(Duration::from_secs(90)),
            ..StackOptions::slow_phases()
        },
    )
    .await?;
    let mut bot = stack.another_bot(&[])?;
    stack.slack.wait_connected(2, WAIT).await?;
    let mut worker = stack.another_worker(&[])?;

    // Ten requests, every third delivered twice, spread over both bots.
    let mut sent = Vec::new();
    for i in 0..10 {
        let e = stack.slack.slash_command(
            "/feature",
            &format!("new Replica item {i:02}"),
            REQUESTER,
            CHANNEL,
        );
        stack.send_held(&e).await?;
        if i % 3 == 0 {
            stack.send_held(&e.redelivery()).await?;
        }
        sent.push(e);
    }
    until_acked(&stack, &sent).await?;

    // Each intake gate approved with a press delivered twice, spread over both bots.
    let mut first = Vec::new();
    for i in 0..10 {
        let (card, id) = card_of(&stack, &format!("Replica item {i:02}")).await?;
        let request = stack.reply_containing(&card, "Approval needed").await?;
        let approve = request
            .buttons()
            .into_iter()
            .find(|b| b.label == "Approve")
            .ok_or_else(|| anyhow::anyhow!("no Approve on {}", request.rendered()))?;
        let press = stack.slack.button_press(APPROVER, &request, &approve);
        stack.send_held(&press).await?;
        stack.send_held(&press.redelivery()).await?;
        sent.push(press);
        first.push(id);
    }
    until_acked(&stack, &sent).await?;

    // Ten more requests; one bot and one worker are killed outright in the middle.
    for i in 10..20 {
        if i == 14 {
            bot.signal("KILL");
            worker.signal("KILL");
            anyhow::ensure!(bot.wait_exit(WAIT).is_some(), "the bot survived SIGKILL");
            anyhow::ensure!(
                worker.wait_exit(WAIT).is_some(),
                "the worker survived SIGKILL"
            );
        }
        let e = stack.slack.slash_command(
            "/feature",
            &format!("new Replica item {i:02}"),
            REQUESTER,
            CHANNEL,
        );
        stack.send_held(&e).await?;
        sent.push(e);
    }
    until_acked(&stack, &sent).await?;

    // Both bots took commands and presses.
    for (which, log) in [("first", stack.bot_log()), ("second", bot.output())] {
        assert!(
            log.contains("feature started"),
            "the {which} bot started nothing:\n{log}"
        );
        assert!(
            log.contains("decision accepted") || log.contains("redelivered button press"),
            "the {which} bot took no press:\n{log}"
        );
    }

    // Nothing lost: every request has its card and workflow; nothing doubled: one card each,
    // one approval each.
    for i in 0..20 {
        card_of(&stack, &format!("Replica item {i:02}")).await?;
    }
    assert_eq!(
        stack.workflow_count("WorkflowType = 'FeatureDelivery'")?,
        20
    );
    let recorded = stack.recorded();
    for i in 0..20 {
        let needle = format!("Replica item {i:02}");
        assert_eq!(recorded.cards_mentioning(&needle).len(), 1, "{needle}");
    }
    for id in &first {
        let deadline = tokio::time::Instant::now() + WAIT;
        while entries(&stack, id, "intake gate approved")? == 0 {
            anyhow::ensure!(
                tokio::time::Instant::now() < deadline,
                "{id} was never approved"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        assert_eq!(entries(&stack, id, "intake gate approved")?, 1, "{id}");
    }
    Ok(())
}
