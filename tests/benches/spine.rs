//! Spine benchmark: ack latency, click → card updated, and peak RSS of the bot and the worker,
//! against a real Temporal dev server, the real release binaries and the local Slack.
//!
//! Run with `scripts/bench` (builds the release binaries first). Prints p50/p99 per measure.

use chatops_e2e::stack::{Stack, StackOptions};
use std::time::{Duration, Instant};

const ITERATIONS: usize = 200;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

fn report(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let line = format!(
        "{name:<40} n={:<4} p50={:>8.3} ms  p99={:>8.3} ms  max={:>8.3} ms",
        samples.len(),
        ms(percentile(&samples, 0.50)),
        ms(percentile(&samples, 0.99)),
        ms(*samples.last().unwrap_or(&Duration::ZERO)),
    );
    eprintln!("{line}");
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // Hundreds of features share one channel here; pacing would measure Slack's rate limit,
    // not chatops, so the bench lifts it.
    let stack = Stack::start(
        "bench",
        StackOptions {
            env: vec![("CHATOPS__SLACK__CHANNEL_BURST".into(), "100000".into())],
            ..StackOptions::slow_phases()
        },
    )
    .await?;

    // (a) Ack latency: envelope handed to the socket → ack received, as the local Slack sees it.
    let mut help_acks = Vec::new();
    for _ in 0..ITERATIONS {
        let ack = stack.command("/feature", "help").await?;
        help_acks.push(ack.latency.unwrap_or_default());
    }
    report("ack /feature help", help_acks);

    let mut new_acks = Vec::new();
    let mut ids = Vec::new();
    for i in 0..ITERATIONS {
        let ack = stack
            .command("/feature", &format!("new Bench feature {i}"))
            .await?;
        new_acks.push(ack.latency.unwrap_or_default());
        let text = stack.ack_text(&ack);
        ids.push(text.split('`').nth(1).unwrap_or_default().to_owned());
    }
    report("ack /feature new (starts a workflow)", new_acks);

    // (b) Click → card updated, through the dev server, the worker and chat.update.
    let mut clicks = Vec::new();
    for id in &ids {
        let card = stack.card(id).await?;
        let request = stack.reply_containing(&card, "Approval needed").await?;
        let started = Instant::now();
        stack.press(&request, "Approve")?;
        stack.card_showing(&card, "intake gate approved by").await?;
        clicks.push(started.elapsed());
    }
    report("click Approve → card updated", clicks);

    // (c) Peak memory of each process over the whole run.
    let kib =
        |p: &Option<chatops_e2e::process::Supervised>| p.as_ref().and_then(|p| p.peak_rss_kib());
    let mib = |k: Option<u64>| {
        k.map_or_else(
            || "n/a".to_owned(),
            |k| format!("{:.1} MiB", k as f64 / 1024.0),
        )
    };
    eprintln!("{:<40} {}", "bot peak RSS", mib(kib(&stack.bot)));
    eprintln!("{:<40} {}", "worker peak RSS", mib(kib(&stack.worker)));
    // (d) CPU seconds each process used over the whole run.
    let cpu = |p: &Option<chatops_e2e::process::Supervised>| {
        p.as_ref().and_then(|p| p.cpu_seconds()).unwrap_or_default()
    };
    eprintln!(
        "{:<40} bot {:.2} s, worker {:.2} s",
        "CPU seconds, whole run",
        cpu(&stack.bot),
        cpu(&stack.worker)
    );
    Ok(())
}
