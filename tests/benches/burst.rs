//! Burst benchmarks (not tests):
//!
//! 1. **Card updates under Slack's rate limit.** 200 card edits over 20 channels (10 cards per
//!    channel, each edited once, all at once) through the worker's Slack sender, against a
//!    local Slack that allows `BURST` writes per channel and then one per second, answering 429
//!    with `Retry-After` beyond that. Failed attempts are retried after their next-retry delay,
//!    as Temporal retries the activity. Reports the total time against the theoretical minimum
//!    (`(10 - BURST)` seconds) and checks that every edit landed exactly once; once with the
//!    sender's burst matching Slack's, once with the default burst of 10 (so 429s happen).
//! 2. **Acks under a 300-envelope burst with disconnects.** The release bot with two Socket
//!    Mode connections; 300 slash commands (every tenth a `/feature new`, which starts a
//!    workflow) sent 1 ms apart; Slack refreshes a connection after the 100th and the 200th.
//!    Envelopes whose ack was lost with a closing connection are redelivered, as Slack does.
//!    Reports ack p50/p99 (envelope handed to the socket → ack), redeliveries, envelopes never
//!    acked, and that each `/feature new` started exactly one workflow.
//!
//! Run with `scripts/bench` (builds the release binaries first).

use chatops_e2e::sender::{sender, standalone_slack, until_done};
use chatops_e2e::stack::{CHANNEL, REQUESTER, Stack, StackOptions, WAIT};
use chatops_worker::activities::slack::UpdateMessage;
use std::time::{Duration, Instant};

const CHANNELS: usize = 20;
const CARDS_PER_CHANNEL: usize = 10;
const BURST: u32 = 1;
const ENVELOPES: usize = 300;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len().saturating_sub(1))]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// `sender_burst`: what the sender believes Slack allows at once (`BURST` when configured to
/// match; the default 10 shows what 429s and `Retry-After` cost when it is not).
async fn card_updates(sender_burst: u32) -> anyhow::Result<()> {
    let slack = standalone_slack(Some(BURST)).await?;
    let sender = std::sync::Arc::new(sender(&slack.api_url(), sender_burst)?);
    let mut cards = Vec::new();
    for c in 0..CHANNELS {
        for n in 0..CARDS_PER_CHANNEL {
            cards.push(slack.seed_message(&format!("C{c:02}"), &format!("C{c:02} card {n}")));
        }
    }
    let started = Instant::now();
    let tasks: Vec<_> = cards
        .iter()
        .map(|card| {
            let sender = sender.clone();
            let msg = UpdateMessage::of(
                &card.channel,
                &card.ts,
                chatops_blocks::feature::reply(&format!("{} edited", card.text)),
            );
            tokio::spawn(async move { until_done(|| sender.update(msg.clone())).await })
        })
        .collect();
    let (mut attempts, mut limited) = (0, 0);
    for t in tasks {
        let (_, tries) = t.await??;
        attempts += tries.attempts;
        limited += tries.rate_limited;
    }
    let total = started.elapsed();
    let r = slack.recorded();
    let lost = cards
        .iter()
        .filter(|card| {
            !r.messages
                .iter()
                .any(|m| m.ts == card.ts && m.text == format!("{} edited", card.text))
        })
        .count();
    let doubled = r.messages.iter().filter(|m| m.edits > 1).count();
    let minimum = Duration::from_secs((CARDS_PER_CHANNEL as u64).saturating_sub(u64::from(BURST)));
    eprintln!(
        "{:<44} {} edits, {CHANNELS} channels, Slack burst {BURST}, sender burst {sender_burst}: total {:.2} s, theoretical minimum {:.2} s, ratio {:.3}×",
        "card updates under the rate limit",
        cards.len(),
        total.as_secs_f64(),
        minimum.as_secs_f64(),
        total.as_secs_f64() / minimum.as_secs_f64().max(f64::EPSILON),
    );
    eprintln!(
        "{:<44} attempts {attempts}, answered 429: {limited}, lost {lost}, edited twice {doubled}",
        ""
    );
    anyhow::ensure!(lost == 0 && doubled == 0, "{lost} lost, {doubled} doubled");
    Ok(())
}

async fn ack_burst() -> anyhow::Result<()> {
    let stack = Stack::start(
        "bench-burst",
        StackOptions {
            bot_env: vec![("CHATOPS__SLACK__SOCKET_CONNECTIONS".into(), "2".into())],
            env: vec![("CHATOPS__SLACK__CHANNEL_BURST".into(), "100000".into())],
            ..StackOptions::slow_phases()
        },
    )
    .await?;
    stack.slack.wait_connected(2, WAIT).await?;
    let envelopes: Vec<_> = (0..ENVELOPES)
        .map(|i| {
            let text = if i % 10 == 0 {
                format!("new Burst feature {i:03}")
            } else {
                "help".to_owned()
            };
            stack
                .slack
                .slash_command("/feature", &text, REQUESTER, CHANNEL)
        })
        .collect();
    let mut refreshes = 0;
    for (i, e) in envelopes.iter().enumerate() {
        if (i == 100 || i == 200)
            && stack
                .slack
                .disconnect_one(0, "refresh_requested", Duration::from_millis(500))
        {
            refreshes += 1;
        }
        // Slack holds an envelope until a connection is there to take it.
        let deadline = Instant::now() + WAIT;
        while let Err(err) = stack.slack.send(e) {
            anyhow::ensure!(Instant::now() < deadline, "{err}");
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    // Redeliver what stays unacked, as Slack does (up to three times).
    let mut redelivered = 0;
    for _ in 0..3 {
        let acked = |id: &str, r: &chatops_bot::shell::local_slack::Recorded| {
            r.acks.iter().any(|a| a.envelope_id == id)
        };
        let all = stack
            .slack
            .wait_for("every ack", Duration::from_secs(2), |r| {
                envelopes.iter().all(|e| acked(&e.id, r)).then_some(())
            })
            .await;
        if all.is_ok() {
            break;
        }
        let r = stack.recorded();
        for e in envelopes.iter().filter(|e| !acked(&e.id, &r)) {
            redelivered += 1;
            stack.slack.send(&e.redelivery())?;
        }
    }
    let r = stack.recorded();
    let missed = envelopes
        .iter()
        .filter(|e| !r.acks.iter().any(|a| a.envelope_id == e.id))
        .count();
    let mut latencies: Vec<Duration> = envelopes
        .iter()
        .filter_map(|e| {
            r.acks
                .iter()
                .find(|a| a.envelope_id == e.id)
                .and_then(|a| a.latency)
        })
        .collect();
    latencies.sort();
    eprintln!(
        "{:<44} n={:<4} p50={:>7.3} ms  p99={:>7.3} ms  max={:>7.3} ms",
        "ack under a 300-envelope burst",
        latencies.len(),
        ms(percentile(&latencies, 0.50)),
        ms(percentile(&latencies, 0.99)),
        ms(*latencies.last().unwrap_or(&Duration::ZERO)),
    );
    // Every /feature new started exactly one workflow, redeliveries included.
    let news = envelopes.len().div_ceil(10);
    for i in (0..ENVELOPES).step_by(10) {
        let needle = format!("Burst feature {i:03}");
        stack
            .slack
            .wait_for(&format!("the card of {needle}"), WAIT, |r| {
                (!r.cards_mentioning(&needle).is_empty()).then_some(())
            })
            .await?;
    }
    let count = stack.workflow_count("WorkflowType = 'FeatureDelivery'")?;
    let cards = (0..ENVELOPES)
        .step_by(10)
        .map(|i| {
            stack
                .recorded()
                .cards_mentioning(&format!("Burst feature {i:03}"))
                .len()
        })
        .sum::<usize>();
    eprintln!(
        "{:<44} connections refreshed {refreshes}, redelivered {redelivered}, never acked {missed}; {news} /feature new → {count} workflows ({cards} cards)",
        ""
    );
    let cpu = |p: &Option<chatops_e2e::process::Supervised>| {
        p.as_ref().and_then(|p| p.cpu_seconds()).unwrap_or_default()
    };
    eprintln!(
        "{:<44} bot {:.2} s, worker {:.2} s",
        "CPU seconds, whole burst run",
        cpu(&stack.bot),
        cpu(&stack.worker)
    );
    anyhow::ensure!(missed == 0, "{missed} envelopes never acked");
    anyhow::ensure!(
        count == news as u64,
        "{count} workflows for {news} features"
    );
    anyhow::ensure!(cards == news, "{cards} cards for {news} features");
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    card_updates(BURST).await?;
    card_updates(10).await?;
    ack_burst().await?;
    Ok(())
}
