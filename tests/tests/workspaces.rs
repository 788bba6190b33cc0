//! Agents and checks on the feature's real code: a fixture repository with real code and a
//! real unit test, served by the local GitHub over git's smart HTTP; a command agent that edits
//! the checkout in place; checks that run the unit tests in a clean checkout of the exact
//! commit; merges pinned to the tested commit.

use chatops_bot::shell::local_slack::PostedMessage;
use chatops_e2e::github::{self, LocalGitHub};
use chatops_e2e::stack::APPROVER;
use chatops_e2e::{Stack, StackOptions};
use serde_json::{Value, json};
use std::path::Path;
use std::sync::{Arc, Mutex};

const CODER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/coder.py");
const REQUEST: &str = "Add discounts to the cart";

/// Everything configured for delivering to the fixture shop with the coding agent in `mode`;
/// the unit tests are the one check.
fn env(
    gh: &LocalGitHub,
    dir: &Path,
    mode: &str,
    autofix: bool,
    extra: &[(&str, String)],
) -> Vec<(String, String)> {
    let deploys = dir.join("deploys.log");
    let deploy = format!(
        "echo \"$CHATOPS_ENVIRONMENT $CHATOPS_SHA\" >> {}",
        deploys.display()
    );
    let checks = json!([
        {"name": "unit_tests", "command": "sh scripts/check.sh", "weight": 1, "autofix": autofix},
    ]);
    let mut env: Vec<(String, String)> = [
        ("CHATOPS__GITHUB__TOKEN", github::TOKEN.to_owned()),
        ("CHATOPS__GITHUB__API_URL", gh.url.clone()),
        ("CHATOPS__GITHUB__GIT_URL", gh.git_url()),
        (
            "CHATOPS__FEATURE__REPOSITORY",
            github::REPOSITORY.to_owned(),
        ),
        ("CHATOPS__FEATURE__CHECKS", checks.to_string()),
        ("CHATOPS__AGENT__COMMAND", format!("python3 {CODER}")),
        ("CHATOPS__AGENT__ATTEMPTS", "1".to_owned()),
        (
            "CHATOPS__WORKSPACE__DIR",
            dir.join("workspaces").display().to_string(),
        ),
        (
            "CHATOPS__WORKER__CHILD_ENV",
            "CODER_MODE,CODER_LOG".to_owned(),
        ),
        ("CODER_MODE", mode.to_owned()),
        ("CODER_LOG", dir.join("coder.log").display().to_string()),
        ("CHATOPS__DEPLOY__STAGING_COMMAND", deploy.clone()),
        ("CHATOPS__DEPLOY__PRODUCTION_COMMAND", deploy),
        ("CHATOPS__DEPLOY__STAGING_WINDOW", "1s".to_owned()),
        ("CHATOPS__DEPLOY__PRODUCTION_WINDOW", "1s".to_owned()),
        ("CHATOPS__DEPLOY__STAGING_INTERVAL", "200ms".to_owned()),
        ("CHATOPS__DEPLOY__PRODUCTION_INTERVAL", "200ms".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    env.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
    env
}

async fn start(name: &str, env: Vec<(String, String)>) -> anyhow::Result<Stack> {
    Stack::start(name, StackOptions::with_env(env)).await
}

/// Requests the feature and approves its intake and plan gates.
async fn through_plan(stack: &Stack) -> anyhow::Result<(String, PostedMessage)> {
    stack.through_plan(REQUEST).await
}

/// The feature's branch, once it exists.
fn branch_of(stack: &Stack, id: &str) -> anyhow::Result<String> {
    let e = stack.query(id, chatops_contract::queries::EVIDENCE)?;
    e["pull_request"]["branch"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow::anyhow!("no pull request yet: {e}"))
}

/// The commit of `branch` whose message names `task`.
fn task_commit(gh: &LocalGitHub, branch: &str, task: &str) -> Option<String> {
    gh.log(branch)
        .into_iter()
        .find(|(_, m)| m.contains(&format!("Task: {task}")))
        .map(|(sha, _)| sha)
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_coding_agent_edits_the_checkout_and_each_task_is_one_commit_of_exactly_its_change()
-> anyhow::Result<()> {
    let gh = LocalGitHub::start().await?;
    let dir = chatops_e2e::scratch("ws-edit")?;
    let stack = start("ws-edit", env(&gh, &dir, "good", false, &[])).await?;
    let (id, card) = through_plan(&stack).await?;
    stack.gate_request(&card, "production").await?;
    let branch = branch_of(&stack, &id)?;
    let base = gh.base_sha();

    // T1: modified, added, deleted, made executable — and nothing else.
    let t1 = task_commit(&gh, &branch, "T1").expect("T1 committed");
    let (t1_sha, t1_message) = gh
        .log(&branch)
        .into_iter()
        .find(|(sha, _)| *sha == t1)
        .expect("in the log");
    assert!(
        t1_message.starts_with("feat(REQ-") && t1_message.contains("Add discounts to the cart"),
        "{t1_message}"
    );
    let cart = gh.file_at(&t1_sha, "shop/cart.py").unwrap_or_default();
    assert!(cart.contains("def discount(cents, percent)"), "{cart}");
    assert!(
        cart.contains("return sum(price * quantity"),
        "the rest of the file is kept: {cart}"
    );
    assert!(gh.file_at(&t1_sha, "shop/discount.py").is_some(), "added");
    assert!(gh.file_at(&t1_sha, "README.md").is_none(), "deleted");
    assert!(gh.file_at(&base, "README.md").is_some());
    assert!(
        gh.is_executable(&t1_sha, "tests/test_cart.py"),
        "made executable"
    );
    assert!(!gh.is_executable(&base, "tests/test_cart.py"));
    let mut before = gh.paths_at(&base);
    before.retain(|p| p != "README.md");
    before.push("shop/discount.py".to_owned());
    before.sort();
    let mut after = gh.paths_at(&t1_sha);
    after.sort();
    assert_eq!(after, before, "exactly the agent's files changed");

    // T2 started from T1's commit, in a checkout of its own.
    let t2 = task_commit(&gh, &branch, "T2").expect("T2 committed");
    assert!(gh.file_at(&t2, "docs/discounts.md").is_some());
    assert!(
        gh.file_at(&t2, "shop/discount.py").is_some(),
        "T2 sits on T1"
    );
    let log = read(&dir.join("coder.log"));
    let runs: Vec<Vec<&str>> = log.lines().map(|l| l.split(' ').collect()).collect();
    let code: Vec<&Vec<&str>> = runs.iter().filter(|r| r[0] == "code").collect();
    assert_eq!(code.len(), 2, "{log}");
    assert_eq!(code[1][3], t1, "T2's agent worked on T1's commit: {log}");
    assert_ne!(
        code[0][2], code[1][2],
        "each task had its own checkout: {log}"
    );
    for run in &code {
        assert!(
            !Path::new(run[2]).exists(),
            "a checkout is removed when its step ends: {}",
            run[2]
        );
    }

    // The unit tests ran on the branch head and their status sits on that commit.
    let head = gh.head(&branch).expect("the branch");
    assert_eq!(head, t2);
    let statuses = gh.with(|r| r.posted_statuses.clone());
    assert!(
        statuses.contains(&(head.clone(), "chatops/unit_tests".into(), "success".into())),
        "{statuses:?}"
    );
    // The review read the real diff.
    let e = stack.query(&id, chatops_contract::queries::EVIDENCE)?;
    assert_eq!(e["review"]["approved"], true, "{}", e["review"]);
    // Staging deployed the tested commit.
    chatops_e2e::wait_for_file(&dir.join("deploys.log"), &format!("staging {head}")).await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_change_that_breaks_the_unit_tests_fails_its_check_on_that_commit_and_never_merges()
-> anyhow::Result<()> {
    let gh = LocalGitHub::start().await?;
    let dir = chatops_e2e::scratch("ws-break")?;
    let stack = start(
        "ws-break",
        env(
            &gh,
            &dir,
            "break",
            false,
            &[("CHATOPS__GITHUB__AUTO_MERGE", "true".into())],
        ),
    )
    .await?;
    let (id, card) = through_plan(&stack).await?;
    stack.card_showing(&card, "Failed").await?;
    let branch = branch_of(&stack, &id)?;
    let head = gh.head(&branch).expect("the branch");
    let statuses = gh.with(|r| r.posted_statuses.clone());
    assert!(
        statuses.contains(&(head.clone(), "chatops/unit_tests".into(), "failure".into())),
        "the failure is reported on the commit that broke: {statuses:?}"
    );
    let thread = stack.thread_text(&card);
    assert!(
        thread.contains("quality gate blocked the merge"),
        "{thread}"
    );
    let e = stack.query(&id, chatops_contract::queries::EVIDENCE)?;
    let output = e["quality"]["checks"][0]["output"]
        .as_str()
        .unwrap_or_default();
    assert!(
        output.contains("FAIL") || output.contains("AssertionError"),
        "the unit tests ran on the commit and failed: {output}"
    );
    assert!(gh.with(|r| r.merges.is_empty()), "nothing merged");
    assert!(
        read(&dir.join("deploys.log")).is_empty(),
        "nothing deployed"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn autofix_repairs_the_broken_commit_and_staging_deploys_the_fixed_one() -> anyhow::Result<()>
{
    let gh = LocalGitHub::start().await?;
    let dir = chatops_e2e::scratch("ws-autofix")?;
    let stack = start("ws-autofix", env(&gh, &dir, "break", true, &[])).await?;
    let (id, card) = through_plan(&stack).await?;
    stack.gate_request(&card, "production").await?;
    let branch = branch_of(&stack, &id)?;
    let head = gh.head(&branch).expect("the branch");
    let log = gh.log(&branch);
    let (last, message) = log.last().cloned().expect("commits");
    assert_eq!(last, head);
    assert!(
        message.contains("unit_tests (auto-fix by the primary agent)"),
        "{message}"
    );
    let broken = task_commit(&gh, &branch, "T1").expect("T1");
    assert!(
        gh.file_at(&broken, "shop/cart.py")
            .unwrap_or_default()
            .contains("return 0")
    );
    assert!(
        gh.file_at(&head, "shop/cart.py")
            .unwrap_or_default()
            .contains("return sum(price * quantity")
    );
    let statuses = gh.with(|r| r.posted_statuses.clone());
    assert!(
        statuses.contains(&(head.clone(), "chatops/unit_tests".into(), "success".into())),
        "{statuses:?}"
    );
    let e = stack.query(&id, chatops_contract::queries::EVIDENCE)?;
    assert_eq!(e["quality"]["checks"][0]["fixed"], true);
    assert_eq!(e["quality"]["head_sha"].as_str(), Some(head.as_str()));
    // The fixing agent worked on the broken commit; staging got the fixed one.
    let coder = read(&dir.join("coder.log"));
    assert!(
        coder
            .lines()
            .any(|l| l.starts_with("fix ")
                && l.ends_with(&format!(" {}", head_parent(&gh, &branch)))),
        "{coder}"
    );
    chatops_e2e::wait_for_file(&dir.join("deploys.log"), &format!("staging {head}")).await?;
    Ok(())
}

/// The commit before the branch head.
fn head_parent(gh: &LocalGitHub, branch: &str) -> String {
    let log = gh.log(branch);
    log.get(log.len().saturating_sub(2))
        .map(|(sha, _)| sha.clone())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_commit_pushed_after_the_gates_is_not_merged_and_the_feature_is_tested_again()
-> anyhow::Result<()> {
    let gh = LocalGitHub::start().await?;
    let dir = chatops_e2e::scratch("ws-moved")?;
    let stack = start(
        "ws-moved",
        env(
            &gh,
            &dir,
            "good",
            false,
            &[("CHATOPS__GITHUB__AUTO_MERGE", "true".into())],
        ),
    )
    .await?;
    let (id, card) = through_plan(&stack).await?;
    let production = stack.gate_request(&card, "production").await?;
    let branch = branch_of(&stack, &id)?;
    let tested = gh.head(&branch).expect("the branch");
    // Someone pushes to the branch after the checks passed and readiness was judged.
    let pushed = gh.push_file(&branch, "shop/late.py", "LATE = True\n")?;
    stack.press_as(APPROVER, &production, "Approve")?;
    let back = stack
        .reply_containing(&card, "the new head goes back to testing")
        .await?;
    assert!(
        back.rendered()
            .contains("the branch moved after it was tested"),
        "{}",
        back.rendered()
    );
    assert!(
        gh.with(|r| r.merges.is_empty()),
        "the moved branch was not merged"
    );
    // The new head is tested, staged and approved again, then merged as tested.
    let again = another_gate(&stack, &card, "production", &production).await?;
    stack.press_as(APPROVER, &again, "Approve")?;
    stack.card_showing(&card, "Complete").await?;
    let statuses = gh.with(|r| r.posted_statuses.clone());
    assert!(
        statuses.contains(&(
            pushed.clone(),
            "chatops/unit_tests".into(),
            "success".into()
        )),
        "the pushed commit was tested: {statuses:?}"
    );
    assert_ne!(tested, pushed);
    assert_eq!(gh.with(|r| r.merges.len()), 1, "merged once");
    let main = gh.head("main").expect("main");
    assert_eq!(
        gh.file_at(&main, "shop/late.py").as_deref(),
        Some("LATE = True\n"),
        "what merged is what was tested the second time"
    );
    let deploys = read(&dir.join("deploys.log"));
    assert!(
        deploys.contains(&format!("production {main}")),
        "production deployed the merge commit: {deploys}"
    );
    assert!(deploys.contains(&format!("staging {pushed}")), "{deploys}");
    Ok(())
}

/// An approval request of gate `name` other than `first`, once it is posted.
async fn another_gate(
    stack: &Stack,
    card: &PostedMessage,
    name: &str,
    first: &PostedMessage,
) -> anyhow::Result<PostedMessage> {
    let needle = format!("Approval needed: {name} gate");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        let recorded = stack.recorded();
        let found = recorded
            .thread(&card.ts)
            .into_iter()
            .find(|m| m.ts != first.ts && m.rendered().contains(&needle))
            .cloned();
        if let Some(m) = found {
            return Ok(m);
        }
        if std::time::Instant::now() > deadline {
            anyhow::bail!("no second {name} gate request: {}", stack.thread_text(card));
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_change_to_a_protected_path_is_refused_with_the_reason_in_the_thread()
-> anyhow::Result<()> {
    let gh = LocalGitHub::start().await?;
    let dir = chatops_e2e::scratch("ws-protected")?;
    let stack = start("ws-protected", env(&gh, &dir, "protected", false, &[])).await?;
    let (id, card) = through_plan(&stack).await?;
    let refused = stack.reply_containing(&card, "a protected path").await?;
    assert!(
        refused
            .rendered()
            .contains(".github/workflows/ci.yml, a protected path"),
        "{}",
        refused.rendered()
    );
    stack.card_showing(&card, "Failed").await?;
    let branch = format!(
        "feature/REQ-{}-add-discounts-to-the-cart",
        id.rsplit('-').next().unwrap_or_default()
    );
    assert!(gh.head(&branch).is_some(), "the branch {branch} exists");
    let head = gh.head(&branch).unwrap_or_else(|| gh.base_sha());
    assert!(
        gh.file_at(&head, ".github/workflows/ci.yml").is_none(),
        "nothing was committed"
    );
    Ok(())
}

/// An OpenAI-compatible endpoint that asks for a file, sends an edit that does not apply, then
/// one that does; answers the other steps as a planner would. Keeps every request.
async fn editing_llm() -> anyhow::Result<(String, Arc<Mutex<Vec<Value>>>)> {
    let seen: Arc<Mutex<Vec<Value>>> = Arc::default();
    let keep = seen.clone();
    let app = axum::Router::new().route(
        "/v1/chat/completions",
        axum::routing::post(move |axum::Json(req): axum::Json<Value>| {
            let keep = keep.clone();
            async move {
                let messages = req["messages"].as_array().cloned().unwrap_or_default();
                let system = messages
                    .first()
                    .and_then(|m| m["content"].as_str())
                    .unwrap_or_default()
                    .to_owned();
                if let Ok(mut s) = keep.lock() {
                    s.push(req.clone());
                }
                let step = |k: &str| system.contains(&format!("`{k}` step"));
                let turns = messages.iter().filter(|m| m["role"] == "assistant").count();
                let answer = if step("analysis") {
                    json!({"feasible": true, "summary": "Feasible.", "ambiguities": []})
                } else if step("plan") {
                    json!({"tasks": [{"id": "T1", "title": "Add discounts to shop/cart.py"}]})
                } else if step("review") {
                    json!({"approved": true, "comments": []})
                } else if turns == 0 {
                    json!({"need": ["shop/__init__.py"]})
                } else if turns == 1 {
                    json!({"edits": [{"path": "shop/cart.py", "search": "def totl(items):", "replace": "x"}]})
                } else {
                    json!({"edits": [
                        {"path": "shop/cart.py", "search": "def total(items):", "replace": "def discount(cents, percent):\n    return cents * (100 - percent) // 100\n\n\ndef total(items):"},
                        {"path": "shop/percent.py", "content": "HUNDRED = 100\n"},
                    ], "summary": "discounts"})
                };
                axum::Json(json!({
                    "choices": [{"message": {"role": "assistant", "content": answer.to_string()}}]
                }))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/v1", listener.local_addr()?);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok((url, seen))
}

#[tokio::test(flavor = "multi_thread")]
async fn an_http_agent_sees_the_code_asks_for_files_and_is_told_why_an_edit_did_not_apply()
-> anyhow::Result<()> {
    let gh = LocalGitHub::start().await?;
    let dir = chatops_e2e::scratch("ws-http")?;
    let (url, seen) = editing_llm().await?;
    let mut vars = env(&gh, &dir, "good", false, &[("CHATOPS__AGENT__URL", url)]);
    vars.retain(|(k, _)| k != "CHATOPS__AGENT__COMMAND");
    let stack = start("ws-http", vars).await?;
    let (id, card) = through_plan(&stack).await?;
    stack.gate_request(&card, "production").await?;
    let branch = branch_of(&stack, &id)?;
    let t1 = task_commit(&gh, &branch, "T1").expect("T1 committed");
    let cart = gh.file_at(&t1, "shop/cart.py").unwrap_or_default();
    assert!(cart.contains("def discount(cents, percent):"), "{cart}");
    assert_eq!(
        gh.file_at(&t1, "shop/percent.py").as_deref(),
        Some("HUNDRED = 100\n")
    );

    let requests = seen.lock().map(|s| s.clone()).unwrap_or_default();
    let code: Vec<&Value> = requests
        .iter()
        .filter(|r| {
            r["messages"][0]["content"]
                .as_str()
                .is_some_and(|s| s.contains("`code` step"))
        })
        .collect();
    assert_eq!(code.len(), 3, "files asked for, a bad edit, a good one");
    let first: Value =
        serde_json::from_str(code[0]["messages"][1]["content"].as_str().unwrap_or("{}"))?;
    let tree: Vec<&str> = first["tree"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        tree.contains(&"tests/test_cart.py"),
        "the file tree: {tree:?}"
    );
    assert!(
        first["files"]["shop/cart.py"]
            .as_str()
            .is_some_and(|c| c.contains("def total(items):")),
        "the file the task names is shown: {first}"
    );
    let asked: Value =
        serde_json::from_str(code[1]["messages"][3]["content"].as_str().unwrap_or("{}"))?;
    assert!(asked["files"]["shop/__init__.py"].is_string(), "{asked}");
    let told = code[2]["messages"][5]["content"]
        .as_str()
        .unwrap_or_default();
    assert!(
        told.contains(
            "edit 1 (shop/cart.py): the search text does not occur in the file as it is now"
        ),
        "{told}"
    );
    Ok(())
}

/// Kills the process whose pid `file` holds, when dropped (by pid, never by name).
struct KillOnDrop(std::path::PathBuf);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Ok(pid) = read(&self.0).trim().parse::<i32>()
            && let Some(pid) = rustix::process::Pid::from_raw(pid)
        {
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_worker_makes_its_own_checkout_and_finishes_the_task_the_first_was_killed_in()
-> anyhow::Result<()> {
    let gh = LocalGitHub::start().await?;
    let dir = chatops_e2e::scratch("ws-two")?;
    let log = dir.join("coder.log");
    let _orphan = KillOnDrop(dir.join("coder.log.pid"));
    let mut stack = start(
        "ws-two",
        env(
            &gh,
            &dir,
            "good",
            false,
            &[
                ("CODER_SLOW", "T2".into()),
                (
                    "CHATOPS__WORKER__CHILD_ENV",
                    "CODER_MODE,CODER_LOG,CODER_SLOW".into(),
                ),
                ("CHATOPS__AGENT__TIMEOUT", "8s".into()),
                ("CHATOPS__AGENT__ATTEMPTS", "2".into()),
            ],
        ),
    )
    .await?;
    let (id, card) = through_plan(&stack).await?;
    // The first worker is inside T2 when it dies; the second, with an empty workspace folder
    // of its own, takes the retried task.
    chatops_e2e::wait_for_file(&log, "code T2 ").await?;
    let second_dir = dir.join("second-workspaces");
    let _second = stack.another_worker(&[
        ("CHATOPS__WORKSPACE__DIR", second_dir.display().to_string()),
        ("CODER_SLOW", String::new()),
    ])?;
    if let Some(mut first) = stack.worker.take() {
        first.signal("KILL");
        anyhow::ensure!(
            first
                .wait_exit(std::time::Duration::from_secs(10))
                .is_some(),
            "the first worker survived SIGKILL"
        );
    }
    stack.gate_request(&card, "production").await?;
    let runs = read(&log);
    let t2_runs: Vec<&str> = runs.lines().filter(|l| l.starts_with("code T2 ")).collect();
    assert_eq!(t2_runs.len(), 2, "{runs}");
    let first_dir = dir.join("workspaces");
    assert!(
        t2_runs[0].contains(&first_dir.display().to_string()),
        "{runs}"
    );
    assert!(
        t2_runs[1].contains(&second_dir.display().to_string()),
        "the retry ran in a checkout the second worker made: {runs}"
    );
    // The result is what one worker makes.
    let branch = branch_of(&stack, &id)?;
    let head = gh.head(&branch).expect("the branch");
    let mut want = gh.paths_at(&gh.base_sha());
    want.retain(|p| p != "README.md");
    want.extend([
        "shop/discount.py".to_owned(),
        "docs/discounts.md".to_owned(),
    ]);
    want.sort();
    let mut got = gh.paths_at(&head);
    got.sort();
    assert_eq!(got, want);
    assert!(gh.is_executable(&head, "tests/test_cart.py"));
    let commits: Vec<String> = gh
        .log(&branch)
        .into_iter()
        .filter(|(_, m)| m.contains("Task: T2"))
        .map(|(sha, _)| sha)
        .collect();
    assert_eq!(commits.len(), 1, "T2 committed once");
    Ok(())
}

/// A service whose health check fails and whose version endpoint names `live`.
async fn sick_service(live: String) -> anyhow::Result<String> {
    let app = axum::Router::new()
        .route(
            "/health",
            axum::routing::get(|| async { (axum::http::StatusCode::SERVICE_UNAVAILABLE, "down") }),
        )
        .route(
            "/version",
            axum::routing::get(move || {
                let live = live.clone();
                async move { axum::Json(json!({"sha": live})) }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(url)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rollback_redeploys_the_commit_that_was_live_not_the_branch_base() -> anyhow::Result<()> {
    let gh = LocalGitHub::start().await?;
    // What staging runs: a later commit of main than the one the feature branched from.
    let live = gh.push_file("main", "CHANGELOG.md", "1.1\n")?;
    let dir = chatops_e2e::scratch("ws-live")?;
    let svc = sick_service(live.clone()).await?;
    let stack = start(
        "ws-live",
        env(
            &gh,
            &dir,
            "good",
            false,
            &[
                (
                    "CHATOPS__DEPLOY__STAGING_HEALTH_URL",
                    format!("{svc}/health"),
                ),
                (
                    "CHATOPS__DEPLOY__STAGING_VERSION_URL",
                    format!("{svc}/version"),
                ),
                ("CHATOPS__DEPLOY__MAX_FAILURES", "1".into()),
            ],
        ),
    )
    .await?;
    let (id, card) = through_plan(&stack).await?;
    let noted = stack
        .reply_containing(&card, "before this deploy (from its version URL)")
        .await?;
    assert!(
        noted.rendered().contains(&live[..7]),
        "{}",
        noted.rendered()
    );
    stack.card_showing(&card, "Failed").await?;
    let branch = branch_of(&stack, &id)?;
    let deployed = gh.head(&branch).expect("the branch");
    let deploys =
        chatops_e2e::wait_for_file(&dir.join("deploys.log"), &format!("staging {live}")).await?;
    assert_eq!(
        deploys.lines().collect::<Vec<_>>(),
        [format!("staging {deployed}"), format!("staging {live}")],
        "the rollback redeployed what was live, not the branch base {}",
        gh.base_sha()
    );
    // GitHub records the failed deploy.
    let recorded = gh.with(|r| {
        r.deployments
            .iter()
            .map(|d| d["sha"].as_str().unwrap_or_default().to_owned())
            .collect::<Vec<_>>()
    });
    assert_eq!(recorded, [deployed]);
    let states = gh.with(|r| {
        r.deployment_statuses
            .iter()
            .map(|(_, s)| s["state"].as_str().unwrap_or_default().to_owned())
            .collect::<Vec<_>>()
    });
    assert_eq!(states, ["failure"]);
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_migration_runs_each_step_in_a_checkout_commits_it_and_opens_a_pull_request()
-> anyhow::Result<()> {
    let gh = LocalGitHub::start().await?;
    let dir = chatops_e2e::scratch("ws-migration")?;
    let commands = json!({
        "rename": "sed -i 's/^def total(/def order_total(/' shop/cart.py && sed -i 's/^from shop.cart import total$/from shop.cart import order_total as total/' tests/test_cart.py",
        "unit_tests": "sh scripts/check.sh",
        "changelog": "printf '# Changelog\\n\\n- total() is order_total()\\n' > CHANGELOG.md",
    });
    let mut vars = env(&gh, &dir, "good", false, &[]);
    vars.push(("CHATOPS__MIGRATION__COMMANDS".into(), commands.to_string()));
    let stack = start("ws-migration", vars).await?;
    let id = "migration-rename-0001";
    stack.temporal(&[
        "workflow",
        "start",
        "--task-queue",
        &stack.task_queue,
        "--type",
        chatops_contract::workflows::CODE_MIGRATION,
        "--workflow-id",
        id,
        "--input",
        &json!({
            "description": "Rename total to order_total",
            "requester": "U0OPS",
            "channel": "C0DELIVERY",
            "repository": github::REPOSITORY,
            "steps": [
                {"id": "S1", "description": "rename total", "command": "rename", "validate": "unit_tests"},
                {"id": "S2", "description": "note it in the changelog", "command": "changelog", "validate": "unit_tests"},
            ],
        })
        .to_string(),
    ])?;
    stack.temporal(&["workflow", "result", "-w", id])?;
    let progress = stack.query(id, chatops_contract::queries::PROGRESS)?;
    assert_eq!(progress["stage"], "done", "{progress}");
    let branch = "migration/0001";
    let log = gh.log(branch);
    let steps: Vec<&str> = log
        .iter()
        .filter_map(|(_, m)| m.lines().find(|l| l.starts_with("Step: ")))
        .collect();
    assert_eq!(
        steps,
        ["Step: S1", "Step: S2"],
        "one commit per step: {log:?}"
    );
    let head = gh.head(branch).expect("the branch");
    let cart = gh.file_at(&head, "shop/cart.py").unwrap_or_default();
    assert!(cart.contains("def order_total(items):"), "{cart}");
    assert!(gh.file_at(&head, "CHANGELOG.md").is_some());
    // The unit tests validated each step in a checkout of its commit.
    let outputs = progress["steps"][0]["output"].to_string();
    assert!(outputs.contains("validated"), "{outputs}");
    assert!(
        outputs.contains("OK"),
        "the unit tests ran and passed: {outputs}"
    );
    let pulls = gh.with(|r| r.pulls.clone());
    assert_eq!(pulls.len(), 1, "{pulls:?}");
    assert_eq!(pulls[0]["head"]["ref"], branch);
    assert!(gh.head("main") == Some(gh.base_sha()), "main is untouched");
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_delivery_traced_in_full_leaves_no_token_in_logs_histories_or_child_environments()
-> anyhow::Result<()> {
    const AGENT_KEY: &str = "sk-r6-agent-key-0123456789";
    let gh = LocalGitHub::start().await?;
    let dir = chatops_e2e::scratch("ws-secrets")?;
    let dumps = dir.join("env");
    std::fs::create_dir_all(&dumps)?;
    let check = format!(
        "env > {}/check-$CHATOPS_CHECK && sh scripts/check.sh",
        dumps.display()
    );
    let deploy = format!("env > {}/deploy-$CHATOPS_ENVIRONMENT", dumps.display());
    let stack = start(
        "ws-secrets",
        env(
            &gh,
            &dir,
            "good",
            false,
            &[
                ("RUST_LOG", "trace".into()),
                ("CHATOPS__AGENT__API_KEY", AGENT_KEY.into()),
                ("CODER_ENV_DUMP", dumps.join("agent").display().to_string()),
                (
                    "CHATOPS__WORKER__CHILD_ENV",
                    "CODER_MODE,CODER_LOG,CODER_ENV_DUMP".into(),
                ),
                (
                    "CHATOPS__FEATURE__CHECKS",
                    json!([{"name": "unit_tests", "command": check}]).to_string(),
                ),
                ("CHATOPS__DEPLOY__STAGING_COMMAND", deploy.clone()),
                ("CHATOPS__DEPLOY__PRODUCTION_COMMAND", deploy),
                ("CHATOPS__GITHUB__AUTO_MERGE", "true".into()),
            ],
        ),
    )
    .await?;
    let (id, card) = through_plan(&stack).await?;
    let production = stack.gate_request(&card, "production").await?;
    stack.press_as(APPROVER, &production, "Approve")?;
    stack.card_showing(&card, "Complete").await?;

    let secrets = [
        github::TOKEN,
        chatops_e2e::stack::BOT_TOKEN,
        chatops_e2e::stack::APP_TOKEN,
        chatops_e2e::stack::ALERT_TOKEN,
        AGENT_KEY,
    ];
    // Every child environment: the agent's calls, the check, both deploys.
    let mut seen = 0;
    for entry in std::fs::read_dir(&dumps)? {
        let path = entry?.path();
        let env = read(&path);
        seen += 1;
        for secret in secrets {
            assert!(!env.contains(secret), "{} holds a token", path.display());
        }
    }
    assert!(
        seen >= 6,
        "agent (analysis, plan, T1, T2, review), check and deploys: {seen}"
    );
    // Every log line of both processes, at trace level.
    let worker_log = stack
        .worker
        .as_ref()
        .map(chatops_e2e::process::Supervised::output)
        .unwrap_or_default();
    let logs = format!("{worker_log}\n{}", stack.bot_log());
    assert!(
        logs.lines().count() > 100,
        "traced: {} lines",
        logs.lines().count()
    );
    for secret in secrets {
        assert!(!logs.contains(secret), "a log line holds a token");
    }
    // Every history: the feature and each of its children.
    let children = stack.query(&id, chatops_contract::queries::CHILDREN)?;
    let mut ids = vec![id.clone()];
    ids.extend(
        children
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c["id"].as_str().map(str::to_owned)),
    );
    // The grandchildren: the tasks, the quality gate and the review.
    ids.extend(["task-T1", "task-T2", "quality", "review"].map(|c| format!("{id}/{c}")));
    assert!(ids.len() >= 11, "{ids:?}");
    for workflow in &ids {
        let history = stack.temporal(&["workflow", "show", "-w", workflow, "-o", "json"])?;
        for secret in secrets {
            assert!(
                !history.contains(secret),
                "the history of {workflow} holds a token"
            );
        }
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_path_outside_the_repository_is_refused_with_the_reason_in_the_thread()
-> anyhow::Result<()> {
    let gh = LocalGitHub::start().await?;
    let dir = chatops_e2e::scratch("ws-outside")?;
    let stack = start("ws-outside", env(&gh, &dir, "outside", false, &[])).await?;
    let (_, card) = through_plan(&stack).await?;
    let refused = stack.reply_containing(&card, "task T1 failed").await?;
    assert!(
        refused.rendered().contains(
            "path `../outside.txt` must be relative to the repository root, without `..`"
        ),
        "{}",
        refused.rendered()
    );
    stack.card_showing(&card, "Failed").await?;
    assert!(
        !holds(&dir, "outside.txt"),
        "nothing was written outside the checkout"
    );
    Ok(())
}

/// Whether a file called `name` is anywhere under `dir`.
fn holds(dir: &Path, name: &str) -> bool {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .any(|e| {
            let path = e.path();
            e.file_name() == name || (path.is_dir() && !path.is_symlink() && holds(&path, name))
        })
}

/// The files of `rev` in the bare repository at `git_dir`, read with the git CLI.
fn tree_of(git_dir: &Path, rev: &str) -> Vec<String> {
    let out = std::process::Command::new("git")
        .args(["--git-dir", &git_dir.display().to_string()])
        .args(["ls-tree", "-r", "--name-only", rev])
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output();
    out.map(|o| {
        String::from_utf8_lossy(&o.stdout)
            .lines()
            .map(str::to_owned)
            .collect()
    })
    .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_local_forge_and_the_demo_agent_deliver_a_feature_for_real() -> anyhow::Result<()> {
    // What `scripts/run` starts when no GitHub token is set: the forge as its own process,
    // the demo agent, the repository's unit tests as the check.
    let dir = chatops_e2e::scratch("ws-demo")?;
    let forge_dir = dir.join("forge");
    let _ = std::fs::remove_dir_all(&forge_dir);
    let address = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0")?;
        probe.local_addr()?
    };
    let _forge = chatops_e2e::process::Supervised::spawn(
        "forge",
        &chatops_e2e::binary("chatops-bot")?,
        &[
            "local-forge",
            &address.to_string(),
            &forge_dir.display().to_string(),
            &github::shop_fixture().display().to_string(),
        ],
        &[("CHATOPS_LOCAL_FORGE_TOKEN".into(), "demo-token".into())],
        dir.join("forge.log"),
    )?;
    let url = format!("http://{address}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while std::net::TcpStream::connect(address).is_err() {
        anyhow::ensure!(
            std::time::Instant::now() < deadline,
            "the forge never listened"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let demo_agent = chatops_e2e::workspace_root().join("scripts/demo-agent.py");
    let vars: Vec<(String, String)> = [
        ("CHATOPS__GITHUB__TOKEN", "demo-token".to_owned()),
        ("CHATOPS__GITHUB__API_URL", url),
        (
            "CHATOPS__FEATURE__REPOSITORY",
            github::REPOSITORY.to_owned(),
        ),
        (
            "CHATOPS__AGENT__COMMAND",
            format!("python3 {}", demo_agent.display()),
        ),
        (
            "CHATOPS__FEATURE__CHECKS",
            json!([{"name": "unit_tests", "command": "sh scripts/check.sh"}]).to_string(),
        ),
        ("CHATOPS__GITHUB__AUTO_MERGE", "true".to_owned()),
        (
            "CHATOPS__WORKSPACE__DIR",
            dir.join("workspaces").display().to_string(),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let stack = start("ws-demo", vars).await?;
    let (id, card, intake) = stack.feature_at_intake("Add gift cards").await?;
    stack.press(&intake, "Approve")?;
    stack.press(&stack.gate_request(&card, "plan").await?, "Approve")?;
    let production = stack.gate_request(&card, "production").await?;
    stack.press_as(APPROVER, &production, "Approve")?;
    stack.card_showing(&card, "Complete").await?;
    let thread = stack.thread_text(&card);
    assert!(thread.contains("unit_tests: 100"), "{thread}");
    let e = stack.query(&id, chatops_contract::queries::EVIDENCE)?;
    assert_eq!(e["pull_request"]["merged"], true, "{e}");
    // The merged code is in the forge's repository on disk, with its test.
    let files = tree_of(&forge_dir.join("acme/shop.git"), "main");
    assert!(
        files.contains(&"shop/add_gift_cards.py".to_owned())
            && files.contains(&"tests/test_add_gift_cards.py".to_owned()),
        "{files:?}"
    );
    Ok(())
}
