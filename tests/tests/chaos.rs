//! Failures in the middle of deliveries, counted on the stand-ins: a worker SIGKILLed at random
//! points (R1) and a storm of failing GitHub answers (R7) lose no delivery and double no pull
//! request, merge, deploy, card or note.

use chatops_e2e::delivery::{env, healthy, ids_after, read, through_production};
use chatops_e2e::github::{LocalGitHub, Storm};
use chatops_e2e::{Stack, StackOptions};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Duration;

/// A small, seeded generator (xorshift64), so a run's kill points can be replayed.
struct Points(u64);

impl Points {
    fn next(&mut self, below: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % below
    }
}

/// The seed of a random `what`: `CHATOPS_CHAOS_SEED` when set (to replay a run), else new
/// each run, and said.
fn seed(what: &str) -> u64 {
    let seed = std::env::var("CHATOPS_CHAOS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(1)
        })
        | 1;
    eprintln!("{what} from seed {seed} (CHATOPS_CHAOS_SEED={seed} replays it)");
    seed
}

/// A deploy command logging `<environment> <deploy id>` to `log`.
fn logged_deploy(log: &Path) -> String {
    format!(
        "echo \"$CHATOPS_ENVIRONMENT $CHATOPS_DEPLOY_ID\" >> {}",
        log.display()
    )
}

/// `env` with pull requests squash-merged before the production deploy, and the agent writing
/// each feature's code in a folder of its own (so merges never conflict).
fn merging(mut env: Vec<(String, String)>) -> Vec<(String, String)> {
    env.push(("CHATOPS__GITHUB__AUTO_MERGE".into(), "true".into()));
    env.push(("FAKE_AGENT_PER_FEATURE".into(), "1".into()));
    env.push((
        "CHATOPS__WORKER__CHILD_ENV".into(),
        "FAKE_AGENT_PER_FEATURE".into(),
    ));
    env
}

/// Requests feature `n` and takes it through its three gates to production.
async fn deliver(stack: &Stack, n: usize) -> anyhow::Result<String> {
    let (id, card) = stack.through_plan(&format!("Add report {n}")).await?;
    through_production(stack, &id, &card).await?;
    Ok(id)
}

/// The workflows still running on the stack's task queue, each with what it waits for.
fn running(stack: &Stack) -> String {
    let query = format!(
        "ExecutionStatus = 'Running' AND TaskQueue = '{}'",
        stack.task_queue
    );
    let list = stack
        .temporal(&["workflow", "list", "--query", &query, "-o", "json"])
        .unwrap_or_default();
    let mut out = String::new();
    let runs = serde_json::Deserializer::from_str(&list).into_iter::<serde_json::Value>();
    for run in runs.flatten() {
        let items = run.as_array().cloned().unwrap_or_else(|| vec![run]);
        for w in items {
            let id = w["execution"]["workflowId"].as_str().unwrap_or_default();
            let described = stack
                .temporal(&["workflow", "describe", "-w", id, "-o", "json"])
                .ok()
                .and_then(|d| serde_json::from_str::<serde_json::Value>(&d).ok())
                .unwrap_or_default();
            let _ = std::fmt::Write::write_fmt(
                &mut out,
                format_args!(
                    "{id}: activities {} children {} task {}\n",
                    described["pendingActivities"],
                    described["pendingChildren"],
                    described["pendingWorkflowTask"]
                ),
            );
        }
    }
    out
}

/// What must have happened once per delivery, counted on the stand-ins: a pull request and a
/// merge each, a deploy id per environment, a card, and each note of its thread once.
fn assert_once(stack: &Stack, gh: &LocalGitHub, ids: &[String], log: &Path) {
    let n = ids.len();
    let (pulls, merges, deployments, issues, comments) = gh.with(|r| {
        (
            r.pulls.len(),
            r.merges.clone(),
            r.deployments
                .iter()
                .map(|d| d["environment"].as_str().unwrap_or_default().to_owned())
                .collect::<Vec<_>>(),
            r.issues
                .iter()
                .map(|i| i["title"].as_str().unwrap_or_default().to_owned())
                .collect::<Vec<_>>(),
            r.comments.clone(),
        )
    });
    let titles: BTreeSet<&String> = issues.iter().collect();
    assert_eq!(
        titles.len(),
        issues.len(),
        "an issue opened twice: {issues:?}"
    );
    let said: BTreeSet<&(u64, String)> = comments.iter().collect();
    assert_eq!(
        said.len(),
        comments.len(),
        "a comment made twice: {comments:#?}"
    );
    assert_eq!(pulls, n, "pull requests");
    assert_eq!(merges.len(), n, "merges: {merges:?}");
    assert_eq!(
        merges.iter().collect::<BTreeSet<_>>().len(),
        n,
        "a pull request merged twice: {merges:?}"
    );
    let text = read(log);
    for environment in ["staging", "production"] {
        let ran: BTreeSet<String> = ids_after(&text, &format!("{environment} "))
            .into_iter()
            .collect();
        assert_eq!(ran.len(), n, "{environment} deploy ids: {text}");
        let recorded = deployments.iter().filter(|e| *e == environment).count();
        assert_eq!(recorded, n, "{environment} deployments on GitHub");
    }
    let recorded = stack.recorded();
    for id in ids {
        let cards = recorded.cards_mentioning(id);
        assert_eq!(cards.len(), 1, "cards of {id}");
        let mut seen = BTreeMap::new();
        for note in recorded.thread(&cards[0].ts) {
            *seen.entry(note.rendered()).or_insert(0) += 1;
        }
        let twice: Vec<_> = seen.iter().filter(|(_, c)| **c > 1).collect();
        assert!(twice.is_empty(), "notes posted twice in {id}: {twice:#?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn deliveries_complete_once_through_a_worker_killed_at_random_points() -> anyhow::Result<()> {
    // Four deliveries and two kills here; `CHATOPS_SOAK_DELIVERIES=20` runs twenty with ten.
    let deliveries: usize = std::env::var("CHATOPS_SOAK_DELIVERIES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(4);
    let kills = deliveries / 2;
    let seed = seed("kill points");
    let gh = LocalGitHub::start().await?;
    let health = healthy().await?;
    let dir = chatops_e2e::scratch("chaos-kills")?;
    let log = dir.join("deploys.log");
    let env = merging(env(
        &gh,
        &health,
        ("CHATOPS__DEPLOY__STAGING_COMMAND", logged_deploy(&log)),
        ("CHATOPS__DEPLOY__PRODUCTION_COMMAND", logged_deploy(&log)),
    ));
    // A worker lost in an activity is noticed when that activity times out (a minute for a
    // GitHub call), and many deliveries share two cores: the waits allow for both.
    let patience = Duration::from_secs(240.max(30 * deliveries as u64));
    let mut stack = Stack::start(
        "chaos-kills",
        StackOptions {
            env,
            patience: Some(patience),
            ..StackOptions::default()
        },
    )
    .await?;
    stack.worker = None;
    let stack = stack;

    let drivers = futures::future::join_all((0..deliveries).map(|n| deliver(&stack, n)));
    let killer = async {
        let mut points = Points(seed);
        let mut worker = stack.another_worker(&[])?;
        let mut at = Vec::new();
        let started = tokio::time::Instant::now();
        for _ in 0..kills {
            let pause = Duration::from_millis(2000 + points.next(18_000));
            tokio::time::sleep(pause).await;
            worker.signal("KILL");
            anyhow::ensure!(
                worker.wait_exit(Duration::from_secs(10)).is_some(),
                "the worker survived SIGKILL"
            );
            at.push(started.elapsed());
            worker = stack.another_worker(&[])?;
        }
        anyhow::Ok((worker, at))
    };
    let (finished, killed) = tokio::join!(drivers, killer);
    let (_worker, at) = killed?;
    let ids = match finished.into_iter().collect::<anyhow::Result<Vec<_>>>() {
        Ok(ids) => ids,
        Err(e) => anyhow::bail!(
            "{e:#}\nkilled at {at:?}\nstill running:\n{}",
            running(&stack)
        ),
    };
    eprintln!("{deliveries} deliveries completed; the worker was killed at {at:?}");
    assert_eq!(at.len(), kills, "kills");
    assert_once(&stack, &gh, &ids, &log);
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_github_storm_loses_nothing_and_doubles_nothing() -> anyhow::Result<()> {
    let gh = LocalGitHub::start().await?;
    // One REST call in six fails, at random: 429 with Retry-After, 502 after doing the
    // work, 503 in turn.
    let seed = seed("the storm's draw");
    gh.with(|r| r.storm = Some(Storm::one_in(6, seed)));
    let health = healthy().await?;
    let dir = chatops_e2e::scratch("chaos-storm")?;
    let log = dir.join("deploys.log");
    let env = merging(env(
        &gh,
        &health,
        ("CHATOPS__DEPLOY__STAGING_COMMAND", logged_deploy(&log)),
        ("CHATOPS__DEPLOY__PRODUCTION_COMMAND", logged_deploy(&log)),
    ));
    let stack = Stack::start(
        "chaos-storm",
        StackOptions {
            env,
            patience: Some(Duration::from_secs(300)),
            ..StackOptions::default()
        },
    )
    .await?;
    let ids = vec![deliver(&stack, 0).await?, deliver(&stack, 1).await?];

    let struck = gh.with(|r| r.storm.take().map(|s| s.struck).unwrap_or_default());
    eprintln!("the storm struck {} calls: {struck:?}", struck.len());
    for status in [429, 502, 503] {
        assert!(
            struck.iter().any(|(_, s)| *s == status),
            "the storm never answered {status}: {struck:?}"
        );
    }
    assert!(
        struck
            .iter()
            .any(|(call, s)| *s == 502 && call.starts_with("POST")),
        "no creation lost its answer: {struck:?}"
    );
    assert_once(&stack, &gh, &ids, &log);
    Ok(())
}
