//! The whole delivery lifecycle end to end: agents, GitHub, the quality gate, deploys with
//! health watching and automatic rollback, the three human gates, and the parent's control
//! signals, on the real processes and a real dev server.

use chatops_bot::shell::local_slack::PostedMessage;
use chatops_contract::{queries, signals};
use chatops_e2e::github::{self, LocalGitHub};
use chatops_e2e::stack::{APPROVER, REQUESTER};
use chatops_e2e::{Stack, StackOptions};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU16, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

const AGENT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/agent.py");
const ESCALATION: &str = "S0ESCALATE";
const ADMIN: &str = "U0ADMIN";

/// A service being deployed: `/health` answers the status set in `health`; `/metrics`
/// reports a 1% error rate, or 20% while the commit named in `current` is not `base`.
struct Service {
    url: String,
    health: Arc<AtomicU16>,
    /// `/health` requests answered so far.
    probes: Arc<AtomicU32>,
    current: Arc<Mutex<Option<PathBuf>>>,
}

async fn service(base: String) -> anyhow::Result<Service> {
    let health = Arc::new(AtomicU16::new(200));
    let probes = Arc::new(AtomicU32::new(0));
    let current: Arc<Mutex<Option<PathBuf>>> = Arc::default();
    let (h, counted) = (health.clone(), probes.clone());
    let c = current.clone();
    let app = axum::Router::new()
        .route(
            "/health",
            axum::routing::get(move || {
                let h = h.clone();
                counted.fetch_add(1, Ordering::SeqCst);
                async move {
                    let code = axum::http::StatusCode::from_u16(h.load(Ordering::SeqCst))
                        .unwrap_or(axum::http::StatusCode::OK);
                    (code, "ok")
                }
            }),
        )
        .route(
            "/metrics",
            axum::routing::get(move || {
                let c = c.clone();
                let base = base.clone();
                async move {
                    let path = c.lock().ok().and_then(|p| p.clone());
                    let running = path.map(|p| read(&p).trim().to_owned()).unwrap_or_default();
                    let sick = !running.is_empty() && running != base;
                    axum::Json(json!({
                        "error_rate": if sick { 0.2 } else { 0.01 },
                        "latency_ms": 80.0,
                    }))
                }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(Service {
        url,
        health,
        probes,
        current,
    })
}

/// An OpenAI-compatible chat-completions endpoint that writes the code for any task; keeps
/// every request body and its Authorization header.
async fn chat_completions() -> anyhow::Result<(String, Arc<Mutex<Vec<(Value, String)>>>)> {
    let seen: Arc<Mutex<Vec<(Value, String)>>> = Arc::default();
    let keep = seen.clone();
    let app = axum::Router::new().route(
        "/v1/chat/completions",
        axum::routing::post(
            move |headers: axum::http::HeaderMap, axum::Json(req): axum::Json<Value>| {
                let keep = keep.clone();
                async move {
                    let auth = headers
                        .get("authorization")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_owned();
                    let user: Value = serde_json::from_str(
                        req["messages"][1]["content"].as_str().unwrap_or("{}"),
                    )
                    .unwrap_or_default();
                    let id = user["input"]["task"]["id"].as_str().unwrap_or("T0").to_owned();
                    if let Ok(mut s) = keep.lock() {
                        s.push((req, auth));
                    }
                    let answer = json!({
                        "changes": [{"path": format!("alt/{}.rs", id.to_lowercase()), "content": "// alternative\n"}],
                        "summary": "written by the alternative agent",
                    });
                    axum::Json(json!({
                        "choices": [{"message": {"role": "assistant", "content": answer.to_string()}}]
                    }))
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/v1", listener.local_addr()?);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok((url, seen))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// Everything configured: GitHub, the command agent, checks, deploy commands, health URLs;
/// health watched every 200 ms for `window`.
fn lifecycle_env(
    gh: &LocalGitHub,
    svc: &Service,
    dir: &Path,
    window: &str,
    extra: &[(&str, String)],
) -> Vec<(String, String)> {
    let deploys = dir.join("deploys.log");
    let deploy = format!(
        "echo \"$CHATOPS_ENVIRONMENT $CHATOPS_SHA\" >> {}",
        deploys.display()
    );
    // The lint check passes only when the worker's tokens are out of its sight: were one
    // inherited, the score would fall below the threshold and no feature would merge.
    let checks = json!([
        {"name": "unit_tests", "command": "echo 12 passed", "weight": 3},
        {"name": "coverage", "command": "echo score=92", "weight": 1},
        {"name": "lint", "command": "test -z \"$CHATOPS__GITHUB__TOKEN$CHATOPS__SLACK__BOT_TOKEN\"",
         "required": false, "weight": 1},
    ]);
    let mut env: Vec<(String, String)> = vec![
        ("CHATOPS__GITHUB__TOKEN", github::TOKEN.to_owned()),
        ("CHATOPS__GITHUB__API_URL", gh.url.clone()),
        (
            "CHATOPS__FEATURE__REPOSITORY",
            github::REPOSITORY.to_owned(),
        ),
        ("CHATOPS__FEATURE__ESCALATION", ESCALATION.to_owned()),
        ("CHATOPS__FEATURE__CHECKS", checks.to_string()),
        ("CHATOPS__AGENT__COMMAND", format!("python3 {AGENT}")),
        ("CHATOPS__AGENT__ATTEMPTS", "2".to_owned()),
        ("CHATOPS__DEPLOY__STAGING_COMMAND", deploy.clone()),
        ("CHATOPS__DEPLOY__PRODUCTION_COMMAND", deploy),
        (
            "CHATOPS__DEPLOY__STAGING_HEALTH_URL",
            format!("{}/health", svc.url),
        ),
        (
            "CHATOPS__DEPLOY__PRODUCTION_HEALTH_URL",
            format!("{}/health", svc.url),
        ),
        ("CHATOPS__DEPLOY__STAGING_INTERVAL", "200ms".to_owned()),
        ("CHATOPS__DEPLOY__PRODUCTION_INTERVAL", "200ms".to_owned()),
        ("CHATOPS__DEPLOY__STAGING_WINDOW", window.to_owned()),
        ("CHATOPS__DEPLOY__PRODUCTION_WINDOW", window.to_owned()),
        (
            "CHATOPS__DEPLOY__DOWN_MIGRATION_COMMAND",
            format!(
                "echo \"down $CHATOPS_ENVIRONMENT\" >> {}",
                deploys.display()
            ),
        ),
        ("CHATOPS__APPROVALS__ADMINS", ADMIN.to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    env.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
    env
}

/// Starts a stack for test `name` with `env` for both processes.
async fn start(name: &str, env: Vec<(String, String)>) -> anyhow::Result<Stack> {
    Stack::start(name, StackOptions::with_env(env)).await
}

/// Requests "Add a login page" and approves its intake and plan gates.
async fn through_plan(stack: &Stack) -> anyhow::Result<(String, PostedMessage)> {
    stack.through_plan("Add a login page").await
}

fn ids(children: &Value) -> Vec<(String, String, String)> {
    children
        .as_array()
        .map(|a| {
            a.iter()
                .map(|c| {
                    (
                        c["id"].as_str().unwrap_or_default().to_owned(),
                        c["workflow_type"].as_str().unwrap_or_default().to_owned(),
                        c["status"].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_feature_goes_from_request_to_production_through_every_phase() -> anyhow::Result<()> {
    let gh = LocalGitHub::start().await?;
    // Two lost answers: a pull request opened but answered 502, a merge done but answered 502.
    // Both retries must find what was made instead of making it again.
    gh.with(|r| {
        r.fail_next_pull = Some(502);
        r.fail_after_merge = Some(502);
    });
    let svc = service(gh.base_sha()).await?;
    let dir = chatops_e2e::scratch("lifecycle-happy")?;
    let env = lifecycle_env(
        &gh,
        &svc,
        &dir,
        "1s",
        &[
            ("CHATOPS__GITHUB__AUTO_MERGE", "true".into()),
            ("CHATOPS__GITHUB__REVIEWERS", "octo-lead, octo-qa".into()),
            // Lint fails until the agent's auto-fix lands.
            (
                "CHATOPS__FEATURE__CHECKS",
                json!([
                    {"name": "unit_tests", "command": "echo 12 passed", "weight": 3},
                    {"name": "coverage", "command": "echo score=92", "weight": 1},
                    {"name": "lint", "command": format!("test -f {}", dir.join("lint-fixed").display()),
                     "required": false, "weight": 1, "autofix": true},
                ])
                .to_string(),
            ),
            ("FAKE_AGENT_FIXED", dir.join("lint-fixed").display().to_string()),
            // Commands see only what the operator passes on.
            ("CHATOPS__WORKER__CHILD_ENV", "FAKE_AGENT_FIXED".into()),
        ],
    );
    let stack = start("lifecycle-happy", env).await?;
    let (id, card, intake) = stack.feature_at_intake("Add a login page").await?;
    // The analysis comes before the intake decision.
    stack
        .reply_containing(&card, "Analysis (primary): Feasible")
        .await?;
    stack.press(&intake, "Approve")?;

    let plan = stack.gate_request(&card, "plan").await?;
    assert!(
        plan.rendered().contains("`T1` Add the login form"),
        "the plan request shows the plan: {}",
        plan.rendered()
    );
    stack.press(&plan, "Approve")?;

    let production = stack.gate_request(&card, "production").await?;
    assert!(
        production.rendered().contains("Readiness score 100 of 100"),
        "{}",
        production.rendered()
    );
    stack.press(&production, "Approve")?;
    stack.card_showing(&card, "Complete").await?;
    assert_eq!(
        stack.workflow_closed(&id).await?,
        "WORKFLOW_EXECUTION_STATUS_COMPLETED"
    );

    // Evidence: every phase's findings.
    let e = stack.query(&id, queries::EVIDENCE)?;
    assert_eq!(e["analysis"]["agent"], "primary");
    assert_eq!(e["plan"]["tasks"].as_array().map(Vec::len), Some(2));
    let files: Vec<&str> = e["tasks"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|t| t["files"].as_array().into_iter().flatten())
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(files, ["src/t1.rs", "src/t2.rs"]);
    let pr = &e["pull_request"];
    let req = format!("REQ-{}", id.rsplit('-').next().unwrap_or_default());
    assert_eq!(pr["branch"], format!("feature/{req}-add-a-login-page"));
    // The tracking issue is #1, the pull request #2 (GitHub numbers them together).
    assert_eq!(e["issue"], 1);
    assert_eq!(
        (pr["number"].as_u64(), pr["merged"].as_bool()),
        (Some(2), Some(true))
    );
    assert_eq!(e["review"]["approved"], true);
    assert_eq!(e["quality"]["can_merge"], true);
    assert_eq!(e["quality"]["score"], 98.4);
    let lint = &e["quality"]["checks"][2];
    assert_eq!(
        (
            lint["name"].as_str(),
            lint["passed"].as_bool(),
            lint["fixed"].as_bool()
        ),
        (Some("lint"), Some(true), Some(true))
    );
    assert_eq!(e["staging"]["healthy"], true);
    assert_eq!(e["production"]["healthy"], true);
    assert_eq!(
        e["production"]["sha"].as_str(),
        gh.head("main").as_deref(),
        "production runs the merge commit"
    );
    let notes = e["release_notes"].as_str().unwrap_or_default();
    assert!(
        notes.starts_with(&format!("## {req}: Add a login page")),
        "{notes}"
    );
    assert!(notes.contains("- Add the login form (T1)"), "{notes}");
    assert!(notes.contains("Pull request #2, squash-merged."), "{notes}");
    assert_eq!(e["readiness"]["score"], 100.0);
    let links = &stack.status(&id)?["links"];
    assert_eq!(
        links["pull_request"],
        "https://github.example/acme/shop/pull/2"
    );
    assert_eq!(links["issue"], "https://github.example/acme/shop/issues/1");
    assert!(
        links["temporal_ui"]
            .as_str()
            .is_some_and(|u| u.ends_with(&format!("/workflows/{id}"))),
        "{links}"
    );

    // One child per phase, ids derived from the parent's, every one completed.
    let children = ids(&stack.query(&id, queries::CHILDREN)?);
    let want: Vec<(String, String, String)> = [
        ("intake", "RequirementIntake"),
        ("planning", "TaskPlanning"),
        ("development", "Development"),
        ("testing", "Testing"),
        ("staging", "StagingDeployment"),
        ("readiness", "ProductionReadiness"),
        ("production", "ProductionDeployment"),
    ]
    .iter()
    .map(|(s, t)| (format!("{id}/{s}"), (*t).to_owned(), "completed".to_owned()))
    .collect();
    assert_eq!(children, want);

    // The gates, with who decided.
    let gates = stack.query(&id, queries::APPROVAL_GATES)?;
    let decided: Vec<(String, String)> = gates["decided"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|g| {
            (
                g["name"].as_str().unwrap_or_default().to_owned(),
                g["decided_by"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        decided,
        [
            ("intake".to_owned(), APPROVER.to_owned()),
            ("plan".to_owned(), APPROVER.to_owned()),
            ("production".to_owned(), APPROVER.to_owned()),
        ]
    );
    assert!(
        gates["pending"].as_array().is_none_or(Vec::is_empty),
        "nothing pending: {gates}"
    );

    // GitHub: conventional commits with the ids, one pull request, labels, statuses, the two
    // comments, one merge, despite the two lost answers.
    let branch = format!("feature/{req}-add-a-login-page");
    let on_branch: Vec<String> = gh.log(&branch).into_iter().map(|(_, m)| m).collect();
    let task_commits: Vec<&String> = on_branch
        .iter()
        .filter(|m| m.starts_with(&format!("feat({req}): ")))
        .collect();
    assert_eq!(task_commits.len(), 2, "two tasks: {on_branch:?}");
    assert!(task_commits[0].contains(&format!("Requirement: {req}\nTask: T1")));
    assert_eq!(
        on_branch.last(),
        Some(&format!("fix({req}): lint (auto-fix by the primary agent)")),
        "{on_branch:?}"
    );
    // Main: the seed, then one squash commit holding the branch's tree.
    let on_main = gh.log("main");
    assert_eq!(on_main.len(), 2, "{on_main:?}");
    assert_eq!(on_main[0].0, gh.base_sha());
    assert!(
        on_main[1].1.starts_with(&format!("feat({req}): ")),
        "the squash: {on_main:?}"
    );
    let merged = on_main[1].0.clone();
    let head = gh.head(&branch).unwrap_or_default();
    assert_eq!(gh.paths_at(&merged), gh.paths_at(&head));
    assert_eq!(
        gh.file_at(&merged, "src/t1.rs"),
        gh.file_at(&head, "src/t1.rs")
    );
    gh.with(|r| {
        assert_eq!(r.pulls.len(), 1, "one pull request");
        assert_eq!(r.merges, [2], "merged once");
        let labels = r.labels.get(&2).cloned().unwrap_or_default();
        assert_eq!(labels, ["chatops", req.as_str(), "priority:medium"]);
        assert!(
            r.posted_statuses
                .iter()
                .any(|(_, c, s)| c == "chatops/quality-gate" && s == "success"),
            "{:?}",
            r.posted_statuses
        );
        assert_eq!(
            r.reviewers.get(&2).cloned().unwrap_or_default(),
            ["octo-lead", "octo-qa"]
        );
        assert_eq!(r.issues.len(), 1, "one tracking issue");
        assert_eq!(r.issues[0]["state"], "closed", "closed when delivered");
        assert_eq!(r.issues[0]["title"], format!("{req}: Add a login page"));
        let on_issue: Vec<&str> = r
            .comments
            .iter()
            .filter(|(n, _)| *n == 1)
            .map(|(_, b)| b.as_str())
            .collect();
        assert_eq!(on_issue.len(), 2, "{on_issue:?}");
        assert!(on_issue[0].starts_with("Pull request: #2"));
        assert!(on_issue[1].starts_with(&format!("## {req}: Add a login page")));
        let bodies: Vec<&str> = r
            .comments
            .iter()
            .filter(|(n, _)| *n == 2)
            .map(|(_, b)| b.as_str())
            .collect();
        assert_eq!(bodies.len(), 2, "{bodies:?}");
        assert!(bodies.iter().any(|b| b.starts_with("**Code review**")));
        assert!(
            bodies
                .iter()
                .any(|b| b.starts_with("**Quality gate**: score 98.4"))
        );
    });

    // Staging got the branch head, production the merge commit.
    let deploys = read(&dir.join("deploys.log"));
    let lines: Vec<&str> = deploys.lines().collect();
    assert_eq!(lines.len(), 2, "{deploys}");
    assert_eq!(
        lines[0],
        format!("staging {head}"),
        "the auto-fixed head: {deploys}"
    );
    assert_eq!(lines[1], format!("production {merged}"));

    let thread = stack.thread_text(&card);
    for needle in [
        "Plan (primary, 2 tasks",
        "Pull request",
        "quality gate passed with score 98.4",
        "Staging stayed healthy",
        "Production stayed healthy",
        "Delivered to production, pull request #2 merged, quality score 98.4.",
        "Release notes:",
    ] {
        assert!(
            thread.contains(needle),
            "{needle:?} missing from:\n{thread}"
        );
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn sick_staging_is_rolled_back_automatically() -> anyhow::Result<()> {
    let gh = LocalGitHub::start().await?;
    let svc = service(gh.base_sha()).await?;
    svc.health.store(503, Ordering::SeqCst);
    let dir = chatops_e2e::scratch("lifecycle-staging")?;
    let env = lifecycle_env(&gh, &svc, &dir, "30s", &[]);
    let stack = start("lifecycle-staging", env).await?;
    let (id, card, intake) = stack.feature_at_intake("Add a login page").await?;
    stack.press(&intake, "Approve")?;
    let plan = stack.gate_request(&card, "plan").await?;
    stack.press(&plan, "Approve")?;

    stack.reply_containing(&card, "Rolled back staging").await?;
    stack.card_showing(&card, "Failed").await?;
    let e = stack.query(&id, queries::EVIDENCE)?;
    let staging = &e["staging"];
    assert_eq!(
        staging["rolled_back"],
        "4 health checks failed in a row (more than 3)"
    );
    assert_eq!(staging["samples"].as_array().map(Vec::len), Some(4));
    let steps: Vec<&str> = staging["rollback_steps"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(steps.len(), 4, "{steps:?}");
    assert!(steps[0].starts_with("down-migration: ok"), "{steps:?}");
    let base = gh.base_sha();
    assert!(
        steps[1].starts_with(&format!("redeploy {}: ok", &base[..7])),
        "{steps:?}"
    );
    assert!(steps[2].starts_with("verify: still unhealthy"), "{steps:?}");

    // Deployed the branch, migrated down, redeployed the base; production never touched.
    let deploys = read(&dir.join("deploys.log"));
    let lines: Vec<&str> = deploys.lines().collect();
    assert_eq!(lines.len(), 3, "{deploys}");
    let branch = e["pull_request"]["branch"].as_str().unwrap_or_default();
    let head = gh.head(branch).unwrap_or_default();
    assert_eq!(lines[0], format!("staging {head}"), "the branch's head");
    assert_eq!(
        &lines[1..],
        ["down staging".to_owned(), format!("staging {base}")]
    );
    let status = stack.status(&id)?;
    assert_eq!(status["phase"], "failed");
    stack
        .reply_containing(
            &card,
            "Staging failed: staging rolled back: 4 health checks failed",
        )
        .await?;
    let thread = stack.thread_text(&card);
    assert!(
        thread.contains(&format!("@{ESCALATION} Staging failed")),
        "the escalation group is called: {thread}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_slack_outage_never_holds_up_a_rollback_and_every_note_arrives_once_after()
-> anyhow::Result<()> {
    let gh = LocalGitHub::start().await?;
    let svc = service(gh.base_sha()).await?;
    svc.health.store(503, Ordering::SeqCst);
    let dir = chatops_e2e::scratch("lifecycle-outage")?;
    let deploys = dir.join("deploys.log");
    // The staging deploy takes a moment, so Slack can go down while it runs.
    let slow = format!(
        "echo \"$CHATOPS_ENVIRONMENT $CHATOPS_SHA\" >> {}; sleep 2",
        deploys.display()
    );
    let env = lifecycle_env(
        &gh,
        &svc,
        &dir,
        "30s",
        &[("CHATOPS__DEPLOY__STAGING_COMMAND", slow)],
    );
    let mut stack = start("lifecycle-outage", env).await?;
    // The worker reaches Slack through a gate that can refuse its connections.
    let slack = stack.slack.api_url();
    let host = slack
        .trim_start_matches("http://")
        .trim_end_matches("/api")
        .to_owned();
    let gate = chatops_e2e::gate::Gate::start(host).await?;
    stack.worker = None;
    let _worker = stack.another_worker(&[(
        "CHATOPS__SLACK__API_URL",
        format!("http://{}/api", gate.addr),
    )])?;
    let (_id, card) = through_plan(&stack).await?;

    // Slack goes away from the worker while staging deploys: first refusing connections…
    chatops_e2e::wait_for_file(&deploys, "staging ").await?;
    let deployed = tokio::time::Instant::now();
    gate.refuse();
    let refused_from = svc.probes.load(Ordering::SeqCst);
    // …until the watch has taken two probes, then answering 503 to every post…
    let deadline = deployed + chatops_e2e::stack::WAIT;
    while svc.probes.load(Ordering::SeqCst) < refused_from + 2 {
        anyhow::ensure!(tokio::time::Instant::now() < deadline, "no probe was taken");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    stack.slack.set_outage(true);
    gate.open().await?;

    // The rollback runs (down-migration, then the base redeployed) with Slack still down.
    chatops_e2e::wait_for_file(&deploys, &format!("staging {}", gh.base_sha())).await?;
    let rolled_back = deployed.elapsed();
    let probes = svc.probes.load(Ordering::SeqCst) - refused_from;
    assert!(
        !stack.thread_text(&card).contains("Rolled back staging"),
        "nothing could be posted during the outage"
    );
    // Four failed probes in a row call for the rollback (more than three): a few more may be
    // taken while it starts, none waits for Slack.
    assert!(
        (4..=8).contains(&probes),
        "{probes} probes before the rollback"
    );
    eprintln!(
        "rolled back {rolled_back:?} after the staging deploy began, after {probes} probes, Slack down throughout"
    );

    // The notes keep trying on their own: Slack answers them 503 for a while…
    stack
        .slack
        .wait_for("a post refused with 503", chatops_e2e::stack::WAIT, |r| {
            r.calls
                .iter()
                .any(|c| c.method == "chat.postMessage:503")
                .then_some(())
        })
        .await?;
    // …then comes back, but loses its answers to the first three posts: every note arrives,
    // once, in order.
    stack.slack.lose_post_answers(3);
    stack.slack.set_outage(false);
    stack.reply_containing(&card, "Rolled back staging").await?;
    let thread = stack.thread_text(&card);
    for note in [
        "Staging deploy of",
        "Staging health check failed",
        "Rolling back staging",
        "Rolled back staging",
    ] {
        assert_eq!(thread.matches(note).count(), 1, "{note:?} in {thread}");
    }
    let order: Vec<usize> = [
        "Staging deploy of",
        "Rolling back staging",
        "Rolled back staging",
    ]
    .iter()
    .filter_map(|n| thread.find(n))
    .collect();
    assert!(order.is_sorted() && order.len() == 3, "{thread}");
    let lost = stack
        .recorded()
        .calls
        .iter()
        .filter(|c| c.method == "chat.postMessage:lost")
        .count();
    assert_eq!(lost, 3, "answers lost");
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn an_emergency_stop_during_production_runs_the_rollback_saga() -> anyhow::Result<()> {
    let gh = LocalGitHub::start().await?;
    let svc = service(gh.base_sha()).await?;
    let dir = chatops_e2e::scratch("lifecycle-stop")?;
    // Staging is watched briefly; production long enough to be stopped while watched.
    let mut env = lifecycle_env(&gh, &svc, &dir, "1s", &[]);
    env.push(("CHATOPS__DEPLOY__PRODUCTION_WINDOW".into(), "10m".into()));
    let stack = start("lifecycle-stop", env).await?;
    let (id, card) = through_plan(&stack).await?;
    stack.press(&stack.gate_request(&card, "production").await?, "Approve")?;
    stack
        .reply_containing(&card, "Production deploy of")
        .await?;
    // The production child answers its own signals and queries.
    let production = format!("{id}/production");
    stack.signal(
        &production,
        signals::EXTEND_MONITORING,
        r#"{"user":"U0APPROVER","seconds":120}"#,
    )?;
    stack
        .reply_containing(
            &card,
            "Watching production longer: 120s added in all (last asked by @U0APPROVER)",
        )
        .await?;
    let report = stack.query(&production, queries::STATUS)?;
    assert_eq!(report["extended_secs"], 120, "{report}");
    assert_eq!(report["environment"], "production");
    // Paused (the pause reaches the production child), then stopped: the stop still rolls back.
    stack.signal(&id, signals::PAUSE, r#"{"user":"U0APPROVER"}"#)?;
    stack
        .wait_query(
            &production,
            queries::STATUS,
            "the child to be paused",
            |r| r["paused"] == true,
        )
        .await?;

    stack.signal(
        &id,
        signals::EMERGENCY_STOP,
        r#"{"user":"U0APPROVER","reason":"checkout is down"}"#,
    )?;
    stack
        .reply_containing(&card, "Rolled back production")
        .await?;
    stack.card_showing(&card, "Cancelled").await?;
    let status = stack.status(&id)?;
    assert_eq!(status["phase"], "cancelled");
    let e = stack.query(&id, queries::EVIDENCE)?;
    assert_eq!(
        e["production"]["rolled_back"],
        "emergency stop: checkout is down (asked by U0APPROVER)"
    );
    let deploys = read(&dir.join("deploys.log"));
    let lines: Vec<&str> = deploys.lines().collect();
    let branch = e["pull_request"]["branch"].as_str().unwrap_or_default();
    let head = gh.head(branch).unwrap_or_default();
    assert_eq!(
        &lines[1..],
        [
            format!("production {head}"),
            "down production".to_owned(),
            format!("production {}", gh.base_sha())
        ],
        "{deploys}"
    );
    stack
        .reply_containing(
            &card,
            "Emergency stop by @U0APPROVER: checkout is down. Halted in Production. Production was rolled back",
        )
        .await?;
    assert_eq!(
        ids(&stack.query(&id, queries::CHILDREN)?)
            .last()
            .map(|c| c.2.clone()),
        Some("failed".to_owned())
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn undecided_gates_escalate_the_plan_auto_approves_and_production_auto_rejects()
-> anyhow::Result<()> {
    let gh = LocalGitHub::start().await?;
    let svc = service(gh.base_sha()).await?;
    let dir = chatops_e2e::scratch("lifecycle-timeouts")?;
    let env = lifecycle_env(
        &gh,
        &svc,
        &dir,
        "200ms",
        &[
            ("CHATOPS__FEATURE__INTAKE_ESCALATION", "1s".into()),
            ("CHATOPS__FEATURE__INTAKE_TIMEOUT", "1h".into()),
            ("CHATOPS__FEATURE__PLAN_ESCALATION", "1s".into()),
            ("CHATOPS__FEATURE__PLAN_TIMEOUT", "3s".into()),
            ("CHATOPS__FEATURE__PRODUCTION_TIMEOUT", "2s".into()),
        ],
    );
    let stack = start("lifecycle-timeouts", env).await?;
    let (id, card, intake) = stack.feature_at_intake("Add a login page").await?;
    // Nobody decides intake for a second: the escalation group is called in the thread.
    stack
        .reply_containing(&card, "The intake gate has had no decision for 1s")
        .await?;
    stack.press(&intake, "Approve")?;
    // Nobody decides the plan: called after 1s, approved with a warning after 3s.
    let esc = stack
        .reply_containing(&card, "The plan gate has had no decision for 1s")
        .await?;
    assert!(
        esc.rendered().contains("approved automatically"),
        "{}",
        esc.rendered()
    );
    stack
        .reply_containing(&card, "The plan gate was approved automatically")
        .await?;
    // Nobody decides production: rejected, never approved.
    stack
        .reply_containing(
            &card,
            "Rejected: nobody decided the production gate within 2s",
        )
        .await?;
    stack.card_showing(&card, "Rejected").await?;
    let gates = stack.query(&id, queries::APPROVAL_GATES)?;
    let states: Vec<(String, String, bool)> = gates["decided"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|g| {
            (
                g["name"].as_str().unwrap_or_default().to_owned(),
                g["state"].as_str().unwrap_or_default().to_owned(),
                g["escalated"].as_bool().unwrap_or(false),
            )
        })
        .collect();
    assert_eq!(
        states,
        [
            ("intake".to_owned(), "approved".to_owned(), true),
            ("plan".to_owned(), "approved".to_owned(), true),
            ("production".to_owned(), "timed_out".to_owned(), false),
        ]
    );
    assert_eq!(gates["decided"][1]["decided_by"], "timeout");
    let raw = stack.recorded();
    let escalations = raw
        .thread(&card.ts)
        .iter()
        .filter(|m| m.text.contains(&format!("<!subteam^{ESCALATION}>")))
        .count();
    assert_eq!(escalations, 2, "intake and plan escalate once each");
    // Production was never deployed.
    assert!(!read(&dir.join("deploys.log")).contains("production"));
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn pause_blockers_priority_and_admin_skips_steer_a_running_feature() -> anyhow::Result<()> {
    let gh = LocalGitHub::start().await?;
    let svc = service(gh.base_sha()).await?;
    let dir = chatops_e2e::scratch("lifecycle-control")?;
    let env = lifecycle_env(&gh, &svc, &dir, "200ms", &[]);
    let stack = start("lifecycle-control", env).await?;
    let (id, card, intake) = stack.feature_at_intake("Add a login page").await?;
    stack.press(&intake, "Approve")?;
    stack.gate_request(&card, "plan").await?;

    // Revisions asked for: planning runs again in a second child while the gate stays open.
    stack.signal(
        &id,
        signals::REQUEST_REVISIONS,
        r#"{"user":"U0APPROVER","note":"split the session work"}"#,
    )?;
    stack
        .reply_containing(
            &card,
            "Plan gate: more asked for before deciding: split the session work",
        )
        .await?;
    let again = format!("{id}/planning-2");
    stack
        .wait_query(&id, queries::CHILDREN, "planning to run again", |c| {
            c.as_array().is_some_and(|a| {
                a.iter()
                    .any(|x| x["id"] == again.as_str() && x["status"] == "completed")
            })
        })
        .await?;
    assert_eq!(
        stack.query(&id, queries::APPROVAL_GATES)?["pending"][0]["name"],
        "plan"
    );
    // The first request now says it was superseded, and a fresh one asks again.
    stack
        .reply_containing(
            &card,
            "This plan request was superseded by a newer one below.",
        )
        .await?;
    stack.gate_request(&card, "plan").await?;

    // Slash commands steer it: a blocker and a new priority.
    stack
        .command_as(
            REQUESTER,
            "/feature",
            &format!("block {id} legal licence review"),
        )
        .await?;
    stack
        .command_as(REQUESTER, "/feature", &format!("priority {id} critical"))
        .await?;
    stack
        .wait_status(&id, "the blocker and the priority", |s| {
            s["blockers"] == json!(["legal: licence review"]) && s["priority"] == "critical"
        })
        .await?;
    // A non-admin may not skip: the bot says so at once, and the workflow refuses the signal
    // too; the admin may, with a reason.
    stack
        .command_as(APPROVER, "/feature", &format!("skip {id} plan trust me"))
        .await?;
    stack
        .ephemeral_containing("Only admins (CHATOPS__APPROVALS__ADMINS) may skip a gate")
        .await?;
    stack.signal(
        &id,
        signals::SKIP_GATE,
        r#"{"gate":"plan","user":"U0APPROVER","reason":"trust me"}"#,
    )?;
    stack
        .command_as(
            ADMIN,
            "/feature",
            &format!("skip {id} plan planned offline"),
        )
        .await?;
    stack
        .reply_containing(
            &card,
            &format!("Plan gate skipped by @{ADMIN}: planned offline"),
        )
        .await?;
    stack
        .reply_containing(&card, "Held before Development: blocked by `legal`")
        .await?;
    let status = stack.status(&id)?;
    assert_eq!(status["phase"], "planning");
    assert!(
        chatops_e2e::stack::has_event(&status, "ignored: skip plan (only admins"),
        "{status}"
    );

    // Paused while blocked: removing the blocker is not enough.
    stack
        .command_as(REQUESTER, "/feature", &format!("pause {id} demo day"))
        .await?;
    stack
        .wait_status(&id, "the pause", |s| s["paused"] == true)
        .await?;
    stack
        .command_as(REQUESTER, "/feature", &format!("unblock {id} legal"))
        .await?;
    stack
        .wait_status(&id, "the blocker removed", |s| {
            s["blockers"].as_array().is_none_or(Vec::is_empty) && s["paused"] == true
        })
        .await?;
    stack
        .command_as(REQUESTER, "/feature", &format!("resume {id}"))
        .await?;
    stack
        .reply_containing(&card, "Going on with Development")
        .await?;
    // Development began only after the resume: removing the blocker alone did not let it go.
    let timeline = stack.status(&id)?["timeline"].clone();
    let at = |pred: &dyn Fn(&Value) -> bool| {
        timeline
            .as_array()
            .and_then(|t| t.iter().position(pred))
            .unwrap_or(usize::MAX)
    };
    let removed = at(&|e| e["event"] == "blocker legal removed");
    let resumed = at(&|e| e["event"] == "resumed");
    let development = at(&|e| e["phase"] == "development");
    assert!(
        removed < resumed && resumed < development && development != usize::MAX,
        "{timeline}"
    );
    assert_eq!(
        stack
            .thread_text(&card)
            .matches("Going on with Development")
            .count(),
        1
    );
    let production = stack.gate_request(&card, "production").await?;
    // The requester may not approve their own production gate.
    stack.press_as(REQUESTER, &production, "Approve")?;
    stack
        .ephemeral_containing("someone else must approve its production gate")
        .await?;
    stack.press(&production, "Approve")?;
    stack.card_showing(&card, "Complete").await?;
    let gates = stack.query(&id, queries::APPROVAL_GATES)?;
    assert_eq!(gates["decided"][1]["state"], "skipped");
    assert_eq!(gates["decided"][1]["note"], "planned offline");
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_agent_gives_way_to_the_alternative_and_low_quality_blocks_the_merge()
-> anyhow::Result<()> {
    let gh = LocalGitHub::start().await?;
    let svc = service(gh.base_sha()).await?;
    let dir = chatops_e2e::scratch("lifecycle-ladder")?;
    let (alt_url, alt_seen) = chat_completions().await?;
    let log = dir.join("agent.log");
    let checks = json!([
        {"name": "unit_tests", "command": "echo 12 passed", "weight": 1},
        {"name": "coverage", "command": "echo score=60", "weight": 1},
    ]);
    let env = lifecycle_env(
        &gh,
        &svc,
        &dir,
        "200ms",
        &[
            ("CHATOPS__AGENT__ALTERNATIVE_URL", alt_url),
            ("CHATOPS__AGENT__API_KEY", "sk-e2e-key".into()),
            ("CHATOPS__AGENT__MODEL", "e2e-model".into()),
            ("FAKE_AGENT_BROKEN", "code".into()),
            ("FAKE_AGENT_LOG", log.display().to_string()),
            (
                "CHATOPS__WORKER__CHILD_ENV",
                "FAKE_AGENT_BROKEN,FAKE_AGENT_LOG".into(),
            ),
            ("CHATOPS__FEATURE__CHECKS", checks.to_string()),
        ],
    );
    let stack = start("lifecycle-ladder", env).await?;
    let (id, card) = through_plan(&stack).await?;

    stack
        .reply_containing(&card, "Testing failed: quality gate blocked the merge")
        .await?;
    let e = stack.query(&id, queries::EVIDENCE)?;
    for task in e["tasks"].as_array().into_iter().flatten() {
        assert_eq!(task["agent"], "alternative", "{task}");
        let attempts = task["attempts"].to_string();
        // The primary answered prose and changed nothing in its checkout.
        assert!(
            attempts.contains("primary agent changed nothing in the checkout of"),
            "{attempts}"
        );
        assert!(
            attempts.contains("it said: I would rather not"),
            "{attempts}"
        );
    }
    // The primary was asked twice per task (its attempts), then the alternative once.
    let calls = read(&log);
    assert_eq!(calls.matches("primary code").count(), 4, "{calls}");
    let seen = alt_seen.lock().map(|s| s.clone()).unwrap_or_default();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].0["model"], "e2e-model");
    assert_eq!(seen[0].1, "Bearer sk-e2e-key");

    let q = &e["quality"];
    assert_eq!(q["can_merge"], false);
    assert_eq!(q["score"], 80.0);
    assert_eq!(
        q["blocking"],
        json!([
            "score 80 is below the threshold 85",
            "coverage 60% is below the minimum 80%"
        ])
    );
    gh.with(|r| {
        assert!(r.merges.is_empty(), "nothing merged");
        assert!(
            r.posted_statuses
                .iter()
                .any(|(_, c, s)| c == "chatops/quality-gate" && s == "failure")
        );
        assert!(
            r.posted_statuses
                .iter()
                .any(|(_, c, s)| c == "chatops/coverage" && s == "success")
        );
    });
    assert_eq!(stack.status(&id)?["phase"], "failed");
    assert!(
        !read(&dir.join("deploys.log")).contains("staging"),
        "nothing deployed"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn an_error_rate_above_three_times_the_baseline_rolls_staging_back() -> anyhow::Result<()> {
    let gh = LocalGitHub::start().await?;
    let svc = service(gh.base_sha()).await?;
    let dir = chatops_e2e::scratch("lifecycle-errors")?;
    let running = dir.join("running");
    if let Ok(mut c) = svc.current.lock() {
        *c = Some(running.clone());
    }
    // The deploy records which commit runs; the metrics go bad while the branch's runs.
    let deploy = format!(
        "echo \"$CHATOPS_SHA\" > {}; echo \"$CHATOPS_ENVIRONMENT $CHATOPS_SHA\" >> {}",
        running.display(),
        dir.join("deploys.log").display()
    );
    let env = lifecycle_env(
        &gh,
        &svc,
        &dir,
        "30s",
        &[
            ("CHATOPS__DEPLOY__STAGING_COMMAND", deploy),
            (
                "CHATOPS__DEPLOY__STAGING_METRICS_URL",
                format!("{}/metrics", svc.url),
            ),
        ],
    );
    let stack = start("lifecycle-errors", env).await?;
    let (id, card) = through_plan(&stack).await?;
    stack.reply_containing(&card, "Rolled back staging").await?;
    // The parent holds the report once its staging child has returned.
    let e = stack
        .wait_query(&id, queries::EVIDENCE, "the staging report", |e| {
            !e["staging"]["rolled_back"].is_null()
        })
        .await?;
    let staging = &e["staging"];
    assert_eq!(
        staging["rolled_back"],
        "error rate above 3× the baseline (0.01) for 2 checks"
    );
    // Health stayed green: the metrics alone decided, after exactly two bad samples.
    let samples = staging["samples"].as_array().cloned().unwrap_or_default();
    assert_eq!(samples.len(), 2, "{samples:?}");
    assert!(
        samples
            .iter()
            .all(|s| s["healthy"] == true && s["error_rate"] == 0.2)
    );
    let steps = staging["rollback_steps"].to_string();
    let base = gh.base_sha();
    assert!(
        steps.contains(&format!("redeploy {}: ok", &base[..7])),
        "{steps}"
    );
    assert!(steps.contains("verify: healthy"), "{steps}");
    assert_eq!(read(&running).trim(), base, "the base commit runs again");
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn features_are_listed_per_person_and_cancelled_only_by_their_requester_or_an_admin()
-> anyhow::Result<()> {
    let stack = Stack::start(
        "lifecycle-list",
        StackOptions {
            env: vec![("CHATOPS__APPROVALS__ADMINS".into(), ADMIN.into())],
            ..StackOptions::default()
        },
    )
    .await?;
    let (mine, card, _) = stack.feature_at_intake("Add a login page").await?;
    let (_other_mine, _, _) = stack.feature_at_intake("Add a logout button").await?;
    let ack = stack
        .command_as(APPROVER, "/feature", "new Speed up search")
        .await?;
    let theirs = stack
        .ack_text(&ack)
        .split('`')
        .nth(1)
        .unwrap_or_default()
        .to_owned();
    stack.card(&theirs).await?;
    // Listing reads Temporal's visibility; wait until it shows all three.
    let deadline = tokio::time::Instant::now() + chatops_e2e::stack::WAIT;
    loop {
        let count = stack
            .workflow_count("ExecutionStatus = 'Running' AND WorkflowType = 'FeatureDelivery'")?;
        if count >= 3 {
            break;
        }
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "visibility never showed the three features: {count} so far"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }

    stack.command_as(REQUESTER, "/feature", "list").await?;
    let listed = stack
        .ephemeral_containing("Your running features (2)")
        .await?
        .rendered();
    assert!(listed.contains(&mine), "{listed}");
    assert!(
        listed.contains("Intake, waiting for the intake gate"),
        "{listed}"
    );
    assert!(!listed.contains(&theirs), "{listed}");
    stack.command_as(REQUESTER, "/feature", "list all").await?;
    let all = stack.ephemeral_containing("Running features (3)").await?;
    assert!(all.rendered().contains(&theirs), "{}", all.rendered());

    // Someone else's feature: refused; your own: cancelled, and the thread says by whom.
    stack
        .command_as(
            REQUESTER,
            "/feature",
            &format!("cancel {theirs} not needed"),
        )
        .await?;
    stack
        .ephemeral_containing(&format!(
            "Only the requester (@{APPROVER}) or an admin (CHATOPS__APPROVALS__ADMINS) may cancel `{theirs}`"
        ))
        .await?;
    stack
        .command_as(
            REQUESTER,
            "/feature",
            &format!("cancel {mine} duplicate of another request"),
        )
        .await?;
    stack
        .reply_containing(
            &card,
            &format!("Cancelled by @{REQUESTER}: duplicate of another request. Halted in Intake."),
        )
        .await?;
    stack.card_showing(&card, "Cancelled").await?;
    assert_eq!(
        stack.workflow_closed(&mine).await?,
        "WORKFLOW_EXECUTION_STATUS_COMPLETED"
    );
    // An admin may cancel anyone's.
    stack
        .command_as(ADMIN, "/feature", &format!("cancel {theirs} superseded"))
        .await?;
    stack.workflow_closed(&theirs).await?;
    assert_eq!(stack.status(&theirs)?["phase"], "cancelled");
    stack.command_as(REQUESTER, "/feature", "list").await?;
    stack
        .ephemeral_containing("Your running features (1)")
        .await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_channel_slack_refuses_is_explained_to_the_requester_directly() -> anyhow::Result<()> {
    let stack = Stack::start(
        "lifecycle-gone",
        StackOptions {
            missing_channels: vec!["C0GONE".into()],
            ..StackOptions::default()
        },
    )
    .await?;
    let ack = stack
        .command_in(REQUESTER, "C0GONE", "/feature", "new Add a login page")
        .await?;
    let id = stack
        .ack_text(&ack)
        .split('`')
        .nth(1)
        .unwrap_or_default()
        .to_owned();
    let dm = stack
        .slack
        .wait_for(
            "a direct message to the requester",
            chatops_e2e::stack::WAIT,
            |r| r.messages.iter().find(|m| m.channel == REQUESTER).cloned(),
        )
        .await?;
    let text = dm.rendered();
    assert!(text.contains("(`channel_not_found`)"), "{text}");
    assert!(text.contains(&format!("your feature `{id}`")), "{text}");
    // The feature itself goes on, waiting at its gate, and the timeline says why Slack is quiet.
    let status = stack
        .wait_status(&id, "the failure on the timeline", |s| {
            chatops_e2e::stack::has_event(
                s,
                "could not post to Slack: chat.postMessage in C0GONE failed",
            )
        })
        .await?;
    assert_eq!(status["phase"], "intake");
    let told = stack
        .recorded()
        .messages
        .iter()
        .filter(|m| m.channel == REQUESTER)
        .count();
    assert_eq!(told, 1, "told once");
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn an_admin_may_skip_the_intake_gate_and_the_feature_goes_on() -> anyhow::Result<()> {
    let stack = start(
        "lifecycle-skip-intake",
        vec![("CHATOPS__APPROVALS__ADMINS".into(), ADMIN.into())],
    )
    .await?;
    let (id, card, _) = stack.feature_at_intake("Add a login page").await?;
    stack
        .command_as(
            ADMIN,
            "/feature",
            &format!("skip {id} intake urgent hotfix"),
        )
        .await?;
    stack
        .reply_containing(
            &card,
            &format!("Intake gate skipped by @{ADMIN}: urgent hotfix"),
        )
        .await?;
    stack.gate_request(&card, "plan").await?;
    let status = stack.status(&id)?;
    assert_eq!(status["phase"], "planning");
    assert_eq!(status["gates"][0]["state"], "skipped");
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_cli_decides_gates_and_reports_without_slack() -> anyhow::Result<()> {
    let stack = start("lifecycle-cli", Vec::new()).await?;
    let (id, card, _) = stack.feature_at_intake("Add a login page").await?;

    let (code, out, err) = stack.cli(&[
        "--as", APPROVER, "feature", "approve", &id, "intake", "looks", "right",
    ])?;
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.trim(), format!("{id}: intake gate approved"));
    // The same rules as the buttons: a second approval is refused, with the reason.
    let (code, _, err) = stack.cli(&["--as", APPROVER, "feature", "approve", &id, "intake"])?;
    assert_eq!(code, 1);
    assert!(
        err.contains("refused: the intake gate is already approved"),
        "{err}"
    );
    // Slack sees the decision as if it had been clicked.
    stack
        .reply_containing(&card, &format!("Intake approved by @{APPROVER}"))
        .await?;

    let (code, out, _) = stack.cli(&["feature", "status", &id])?;
    assert_eq!(code, 0);
    assert!(
        out.contains(&format!("intake gate approved by @{APPROVER}")),
        "{out}"
    );
    let (_, out, _) = stack.cli(&["--as", REQUESTER, "feature", "list"])?;
    assert!(out.contains(&id), "{out}");
    // The emergency stop from the CLI needs an on-call user listed by id.
    let (code, _, err) = stack.cli(&["--as", REQUESTER, "emergency", "stop", "test"])?;
    assert_eq!(code, 1);
    assert!(
        err.contains("is not listed by id in CHATOPS__EMERGENCY__ONCALL"),
        "{err}"
    );
    let (code, _, err) = stack.cli(&["feature", "approve", "nope", "intake"])?;
    assert_eq!(code, 2);
    assert!(err.contains("`nope` is not a feature id"), "{err}");
    // Decisions from the CLI are audited like the buttons'.
    let audit = stack.audit_log()?;
    assert!(
        audit.contains("cli.decision") && audit.contains(APPROVER),
        "{audit}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_cli_starts_skips_and_cancels_features_and_acts_on_incidents() -> anyhow::Result<()> {
    use chatops_e2e::stack::CHANNEL;
    let stack = Stack::start(
        "lifecycle-cli-actions",
        StackOptions {
            env: vec![("CHATOPS__APPROVALS__ADMINS".into(), ADMIN.into())],
            ..StackOptions::slow_phases()
        },
    )
    .await?;
    // A retried `feature new` with the same key is one feature.
    let new = [
        "--as",
        REQUESTER,
        "feature",
        "new",
        "--priority",
        "high",
        "--target",
        "staging",
        "--key",
        "TICKET-7",
        "Add",
        "CSV",
        "export",
    ];
    let (code, out, err) = stack.cli(&new)?;
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("Started feature-add-csv-export-"), "{out}");
    assert!(
        out.contains(&format!("its card goes to {CHANNEL}")),
        "{out}"
    );
    let id = out
        .split_whitespace()
        .nth(1)
        .unwrap_or_default()
        .trim_end_matches(':')
        .to_owned();
    let (code, again, _) = stack.cli(&new)?;
    assert_eq!(code, 0);
    assert!(again.contains("nothing new started"), "{again}");
    let card = stack.card(&id).await?;
    assert!(
        card.rendered().contains("high") && card.rendered().contains("staging"),
        "{}",
        card.rendered()
    );
    assert_eq!(stack.recorded().cards_mentioning(&id).len(), 1);

    // Skipping is for admins listed by id; the workflow records who did it.
    let (code, _, err) =
        stack.cli(&["--as", REQUESTER, "feature", "skip", &id, "intake", "now"])?;
    assert_eq!(code, 1);
    assert!(
        err.contains("is not listed by id in CHATOPS__APPROVALS__ADMINS"),
        "{err}"
    );
    let (code, _, err) = stack.cli(&[
        "--as", ADMIN, "feature", "skip", &id, "intake", "agreed", "offline",
    ])?;
    assert_eq!(code, 0, "{err}");
    stack
        .reply_containing(
            &card,
            &format!("Intake gate skipped by @{ADMIN}: agreed offline"),
        )
        .await?;

    // Cancelling is for the requester (or an admin).
    let (code, _, err) = stack.cli(&["--as", APPROVER, "feature", "cancel", &id, "mine"])?;
    assert_eq!(code, 1);
    assert!(err.contains("only the requester"), "{err}");
    let (code, _, err) =
        stack.cli(&["--as", REQUESTER, "feature", "cancel", &id, "not", "needed"])?;
    assert_eq!(code, 0, "{err}");
    stack
        .reply_containing(&card, &format!("Cancelled by @{REQUESTER}: not needed"))
        .await?;

    // Incidents: the open ones, and a mistake named.
    let (code, out, err) = stack.cli(&["incident", "list"])?;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("No open incidents"), "{out}");
    let (code, _, err) = stack.cli(&["incident", "resolve", "nope", "fixed"])?;
    assert_eq!(code, 2);
    assert!(err.contains("`nope` is not an incident id"), "{err}");

    let audit = stack.audit_log()?;
    for action in ["cli.feature.new", "cli.skip_gate", "cli.cancel"] {
        assert!(audit.contains(action), "{action} missing from:\n{audit}");
    }
    Ok(())
}
