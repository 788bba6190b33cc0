//! Workspace benchmark: how long a worker takes to check out a repository of ~1,000 files and
//! ~20 MB at an exact commit, from cold (nothing on this host) and warm (the commit in the
//! host's cache), what that costs on disk, and one feature's checks in parallel (each in a
//! checkout of its own) against one after another.
//!
//! The repository is served by the local GitHub over git's smart HTTP on loopback, so the
//! figures are git's and the worker's, not a network's. Run with `scripts/bench`. Prints p50 and
//! p99 per measure, the CPU seconds of the bench and the git processes it ran, and its peak RSS.

use chatops_e2e::github::{LocalGitHub, TOKEN};
use chatops_worker::activities::shell::Shell;
use chatops_worker::activities::workspace::Workspaces;
use secrecy::SecretString;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Files in the benchmark repository.
const FILES: usize = 1000;
/// Bytes per file (~20 MB in all).
const FILE_BYTES: usize = 20 << 10;
/// Cold checkouts timed (each after removing the cache).
const COLD: usize = 5;
/// Warm checkouts timed.
const WARM: usize = 20;
/// Checks of one feature.
const CHECKS: usize = 4;
/// What each check does: reads every tracked file and hashes it.
const CHECK: &str = "git ls-files -z | xargs -0 sha256sum > /dev/null";

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len().saturating_sub(1))]
}

fn report(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    eprintln!(
        "{name:<52} n={:<3} p50={:>9.1} ms  p99={:>9.1} ms  max={:>9.1} ms",
        samples.len(),
        ms(percentile(&samples, 0.50)),
        ms(percentile(&samples, 0.99)),
        ms(*samples.last().unwrap_or(&Duration::ZERO)),
    );
}

/// Text that does not compress much: `n` bytes of hex from a seeded xorshift.
fn noise(seed: u64, n: usize) -> String {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = String::with_capacity(n + 17);
    while out.len() < n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.push_str(&format!("{x:016x}"));
        if out.len() % 96 < 16 {
            out.push('\n');
        }
    }
    out.truncate(n);
    out
}

fn seed_repository(dir: &Path) -> anyhow::Result<()> {
    for i in 0..FILES {
        let path = dir.join(format!("src/m{:02}/f{i:04}.txt", i % 50));
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, noise(i as u64, FILE_BYTES))?;
    }
    std::fs::write(dir.join("README.md"), "benchmark repository\n")?;
    Ok(())
}

fn size_of(path: &Path) -> u64 {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return 0;
    };
    if !meta.is_dir() {
        return meta.len();
    }
    std::fs::read_dir(path)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| size_of(&e.path()))
        .sum()
}

/// User + system CPU seconds of this process and of its waited-for children.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or_default();
    let fields: Vec<u64> = after
        .split_whitespace()
        .map(|f| f.parse().unwrap_or(0))
        .collect();
    // After the command: state is [0]; utime, stime, cutime, cstime are [11..=14].
    let ticks: u64 = fields.get(11..=14).map(|f| f.iter().sum()).unwrap_or(0);
    let hz = std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .trim()
                .parse::<f64>()
                .ok()
        })
        .unwrap_or(100.0);
    ticks as f64 / hz
}

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .unwrap_or(0.0)
        / 1024.0
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let scratch = chatops_e2e::scratch("bench-workspaces")?;
    let seed = scratch.join("seed");
    let _ = std::fs::remove_dir_all(&seed);
    std::fs::create_dir_all(&seed)?;
    seed_repository(&seed)?;
    let gh = LocalGitHub::start_with(&seed).await?;
    let sha = gh.base_sha();
    let root: PathBuf = scratch.join("workspaces");
    let _ = std::fs::remove_dir_all(&root);
    let workspaces = Workspaces::new(
        root.clone(),
        u64::MAX,
        Vec::new(),
        url::Url::parse(&gh.git_url())?,
        Some(SecretString::from(TOKEN.to_owned())),
    );
    let cache = root.join("cache/acme/shop.git");

    let mut cold = Vec::new();
    for _ in 0..COLD {
        let _ = std::fs::remove_dir_all(&cache);
        let t = Instant::now();
        let ws = workspaces
            .checkout("acme/shop", &sha)
            .await
            .map_err(anyhow::Error::msg)?;
        cold.push(t.elapsed());
        drop(ws);
    }
    report("checkout, cold (fetch + checkout)", cold);

    let mut warm = Vec::new();
    let mut checkout_bytes = 0;
    for _ in 0..WARM {
        let t = Instant::now();
        let ws = workspaces
            .checkout("acme/shop", &sha)
            .await
            .map_err(anyhow::Error::msg)?;
        warm.push(t.elapsed());
        checkout_bytes = size_of(ws.dir());
    }
    report("checkout, warm (commit in the host's cache)", warm);
    let mib = |b: u64| b as f64 / (1 << 20) as f64;
    eprintln!(
        "{:<52} repository {} files, {:.1} MiB; cache {:.1} MiB; one checkout {:.1} MiB",
        "disk",
        FILES + 1,
        mib(size_of(&seed)),
        mib(size_of(&cache)),
        mib(checkout_bytes),
    );

    let shell = Shell::default();
    let run_check = async |n: usize| -> anyhow::Result<()> {
        let ws = workspaces
            .checkout("acme/shop", &sha)
            .await
            .map_err(anyhow::Error::msg)?;
        let out = shell
            .run(
                CHECK,
                &[("CHATOPS_CHECK", &format!("c{n}"))],
                None,
                Some(ws.dir()),
                Duration::from_secs(300),
            )
            .await
            .map_err(anyhow::Error::msg)?;
        anyhow::ensure!(out.ok, "the check failed: {}", out.output);
        Ok(())
    };
    let mut serial = Vec::new();
    let mut parallel = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        for n in 0..CHECKS {
            run_check(n).await?;
        }
        serial.push(t.elapsed());
        let t = Instant::now();
        let all = futures::future::join_all((0..CHECKS).map(run_check)).await;
        for r in all {
            r?;
        }
        parallel.push(t.elapsed());
    }
    report(&format!("{CHECKS} checks one after another"), serial);
    report(
        &format!("{CHECKS} checks in parallel, a checkout each"),
        parallel,
    );
    eprintln!(
        "{:<52} {:.2} s (the bench and every git and check process it ran)",
        "CPU",
        cpu_seconds()
    );
    eprintln!("{:<52} {:.1} MiB", "peak RSS of the bench", peak_rss_mib());
    drop(gh);
    let _ = std::fs::remove_dir_all(&scratch);
    Ok(())
}
