//! Park benchmark: what deliveries cost the worker while they wait at a gate for days, and what
//! waking one costs once the worker's cache has let it go; then the worker's CPU per `Canary`.
//!
//! `CHATOPS_BENCH_PARKED` deliveries (1000) are requested and left at their intake gate, with
//! the worker's cache at `CHATOPS_BENCH_CACHE` workflows (the default, 100). Prints the worker's
//! resident memory before and after, the cost per parked delivery, the latency of approving
//! the oldest ones (evicted, so replayed from history) and of the newest (cached), p50/p99, and
//! CPU seconds; then `CHATOPS_BENCH_CANARIES` (20) `Canary` runs through `chatops-bot doctor`
//! and the worker's CPU per run.
//!
//! Run with `scripts/bench`.

use chatops_e2e::stack::{Stack, StackOptions};
use std::time::{Duration, Instant};

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

fn report(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    eprintln!(
        "{name:<44} n={:<5} p50={:>8.1} ms  p99={:>8.1} ms",
        samples.len(),
        ms(percentile(&samples, 0.50)),
        ms(percentile(&samples, 0.99)),
    );
}

fn mib(kib: Option<u64>) -> String {
    kib.map_or_else(|| "n/a".into(), |k| format!("{:.1} MiB", k as f64 / 1024.0))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let parked = env_number("CHATOPS_BENCH_PARKED", 1000);
    let cache = env_number("CHATOPS_BENCH_CACHE", 100);
    let canaries = env_number("CHATOPS_BENCH_CANARIES", 20);
    let stack = Stack::start(
        "bench-park",
        StackOptions {
            env: vec![
                // Every card shares one channel; the bench measures chatops, not Slack's pacing.
                ("CHATOPS__SLACK__CHANNEL_BURST".into(), "100000".into()),
                (
                    "CHATOPS__WORKER__MAX_CACHED_WORKFLOWS".into(),
                    cache.to_string(),
                ),
            ],
            ..StackOptions::slow_phases()
        },
    )
    .await?;
    let worker = stack
        .worker
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("no worker"))?;
    let rss_before = worker.rss_kib();
    let cpu_before = worker.cpu_seconds().unwrap_or_default();

    let started = Instant::now();
    let mut ids = Vec::with_capacity(parked);
    for i in 0..parked {
        let ack = stack
            .command("/feature", &format!("new Parked feature {i}"))
            .await?;
        ids.push(
            stack
                .ack_text(&ack)
                .split('`')
                .nth(1)
                .unwrap_or_default()
                .to_owned(),
        );
    }
    let deadline = Duration::from_secs(60 + parked as u64 / 2);
    stack
        .slack
        .wait_for("every delivery at its intake gate", deadline, |r| {
            let asked = r
                .messages
                .iter()
                .filter(|m| m.text.contains("Approval needed"))
                .count();
            (asked >= parked).then_some(())
        })
        .await?;
    let parking = started.elapsed();
    // Let the worker settle (caches trimmed, buffers returned) before reading its memory.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let rss_after = worker.rss_kib();
    let cpu_parking = worker.cpu_seconds().unwrap_or_default() - cpu_before;
    eprintln!(
        "{:<44} {parked} in {:.1} s, cache {cache}",
        "parked at the intake gate",
        parking.as_secs_f64()
    );
    eprintln!(
        "{:<44} {} before, {} parked, peak {}",
        "worker RSS",
        mib(rss_before),
        mib(rss_after),
        mib(worker.peak_rss_kib())
    );
    if let (Some(before), Some(after)) = (rss_before, rss_after) {
        eprintln!(
            "{:<44} {:.1} KiB",
            "worker RSS per parked delivery",
            after.saturating_sub(before) as f64 / parked as f64
        );
    }
    eprintln!(
        "{:<44} {cpu_parking:.2} s ({:.2} ms per delivery)",
        "worker CPU seconds to park them",
        cpu_parking * 1000.0 / parked as f64
    );

    // Waking: the oldest were evicted (replayed from history), the newest are cached.
    let sample = 50.min(parked / 2);
    let wake = |group: &'static str, which: Vec<String>| {
        let stack = &stack;
        async move {
            let mut samples = Vec::new();
            for id in which {
                let card = stack.card(&id).await?;
                let request = stack.reply_containing(&card, "Approval needed").await?;
                let t = Instant::now();
                stack.press(&request, "Approve")?;
                stack.card_showing(&card, "intake gate approved by").await?;
                samples.push(t.elapsed());
            }
            report(group, samples);
            anyhow::Ok(())
        }
    };
    let cpu_wake = worker.cpu_seconds().unwrap_or_default();
    wake(
        "approve an evicted delivery → card updated",
        ids[..sample].to_vec(),
    )
    .await?;
    wake(
        "approve a cached delivery → card updated",
        ids[ids.len() - sample..].to_vec(),
    )
    .await?;
    eprintln!(
        "{:<44} {:.1} ms per approval",
        "worker CPU while approving",
        (worker.cpu_seconds().unwrap_or_default() - cpu_wake) * 1000.0 / (2 * sample) as f64
    );

    // The worker's CPU per Canary (activity, timer, child, query, signal).
    let cpu_canary = worker.cpu_seconds().unwrap_or_default();
    for _ in 0..canaries {
        let (_, table) = stack.doctor(&[])?;
        anyhow::ensure!(
            table
                .lines()
                .any(|l| l.starts_with("canary workflow") && l.contains(" pass ")),
            "the canary did not pass: {table}"
        );
    }
    eprintln!(
        "{:<44} {:.1} ms ({canaries} runs)",
        "worker CPU per Canary",
        (worker.cpu_seconds().unwrap_or_default() - cpu_canary) * 1000.0 / canaries as f64
    );
    eprintln!(
        "{:<44} worker {:.2} s, bot {:.2} s",
        "CPU seconds, whole run",
        worker.cpu_seconds().unwrap_or_default(),
        stack
            .bot
            .as_ref()
            .and_then(|b| b.cpu_seconds())
            .unwrap_or_default()
    );
    Ok(())
}
