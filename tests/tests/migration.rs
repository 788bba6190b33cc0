//! `CodeMigration` end to end, started with the `temporal` CLI as an operator would.

use chatops_contract::{queries, signals, workflows};
use chatops_e2e::{Stack, StackOptions};
use serde_json::{Value, json};

fn start(stack: &Stack, id: &str, input: &Value) -> anyhow::Result<()> {
    stack
        .temporal(&[
            "workflow",
            "start",
            "--task-queue",
            &stack.task_queue,
            "--type",
            workflows::CODE_MIGRATION,
            "--workflow-id",
            id,
            "--input",
            &input.to_string(),
        ])
        .map(drop)
}

/// A stack whose worker may run `commands` (`CHATOPS__MIGRATION__COMMANDS`).
fn with_commands(commands: &Value) -> StackOptions {
    StackOptions {
        env: vec![("CHATOPS__MIGRATION__COMMANDS".into(), commands.to_string())],
        ..StackOptions::default()
    }
}

fn statuses(progress: &Value) -> Vec<String> {
    progress["steps"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| s["status"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_step_that_does_not_validate_stops_the_migration_and_rolls_back_what_ran()
-> anyhow::Result<()> {
    let dir = chatops_e2e::scratch("migration-rollback")?;
    let log = dir.join("log");
    let log = log.display();
    let commands = json!({
        "copy": format!("echo one >> {log}"),
        "check-copy": format!("grep -q one {log}"),
        "undo-copy": format!("echo undo-one >> {log}"),
        "switch": format!("echo two >> {log}"),
        "check-switch": "echo reads still hit the old table >&2; exit 1",
        "undo-switch": format!("echo undo-two >> {log}"),
        "drop": format!("echo three >> {log}"),
    });
    let stack = Stack::start("migration-rollback", with_commands(&commands)).await?;
    let id = "migration-rollback-0001";
    start(
        &stack,
        id,
        &json!({
            "description": "Move sessions to the new table",
            "requester": "U0OPS",
            "channel": "C0DELIVERY",
            "steps": [
                {"id": "S1", "description": "copy rows", "command": "copy",
                 "validate": "check-copy", "rollback": "undo-copy"},
                {"id": "S2", "description": "switch reads", "command": "switch",
                 "validate": "check-switch", "rollback": "undo-switch"},
                {"id": "S3", "description": "drop the old table", "command": "drop"},
            ],
        }),
    )?;
    let result: Value =
        serde_json::from_str(&stack.temporal(&["workflow", "result", "-w", id, "-o", "json"])?)?;
    let progress = stack.query(id, queries::PROGRESS)?;
    assert_eq!(progress["stage"], "failed", "{result}");
    assert_eq!(
        statuses(&progress),
        ["rolled_back", "rolled_back", "pending"]
    );
    let written = std::fs::read_to_string(dir.join("log"))?;
    assert_eq!(
        written.lines().collect::<Vec<_>>(),
        ["one", "two", "undo-two", "undo-one"],
        "S3 never ran; the rollback went newest first"
    );
    let report = progress["report"].as_str().unwrap_or_default();
    assert!(
        report.contains("step S2 did not validate: exit 1: reads still hit the old table"),
        "{report}"
    );
    assert!(report.contains("| S3 | pending |"), "{report}");
    // The thread tells the story.
    let recorded = stack.recorded();
    let root = recorded
        .messages
        .iter()
        .find(|m| m.thread_ts.is_none() && m.text.contains(id))
        .cloned()
        .ok_or_else(|| anyhow::anyhow!("no migration card"))?;
    stack
        .reply_containing(&root, "Migration failed: step S2 did not validate")
        .await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_paused_batch_migration_holds_between_steps_and_finishes_when_resumed()
-> anyhow::Result<()> {
    let dir = chatops_e2e::scratch("migration-pause")?;
    let go = dir.join("go");
    let log = dir.join("log");
    let commands = json!({
        "add-column": format!("while [ ! -f {} ]; do sleep 0.05; done; echo one >> {}", go.display(), log.display()),
        "check-column": format!("grep -q one {}", log.display()),
        "backfill": format!("echo two >> {}", log.display()),
        "check-backfill": format!("grep -q two {}", log.display()),
    });
    let stack = Stack::start("migration-pause", with_commands(&commands)).await?;
    let id = "migration-pause-0001";
    start(
        &stack,
        id,
        &json!({
            "description": "Rename a column",
            "requester": "U0OPS",
            "mode": "batch",
            "steps": [
                {"id": "S1", "description": "add the new column", "command": "add-column",
                 "validate": "check-column"},
                {"id": "S2", "description": "backfill", "command": "backfill",
                 "validate": "check-backfill"},
            ],
        }),
    )?;
    // Pause while S1 runs, then let S1 finish: S2 must wait.
    stack
        .wait_query(id, queries::PROGRESS, "S1 running", |p| {
            statuses(p).first().map(String::as_str) == Some("running")
        })
        .await?;
    stack.signal(id, signals::PAUSE_MIGRATION, r#"{"user":"U0OPS"}"#)?;
    stack
        .wait_query(id, queries::PROGRESS, "the pause", |p| p["paused"] == true)
        .await?;
    std::fs::write(&go, "")?;
    // Held before S2: the workflow says so, S2 is pending and has written nothing.
    let held = stack
        .wait_query(id, queries::PROGRESS, "the hold before S2", |p| {
            p["stage"] == "paused"
        })
        .await?;
    assert_eq!(statuses(&held), ["done", "pending"]);
    assert_eq!(std::fs::read_to_string(&log)?.trim(), "one");

    stack.signal(id, signals::RESUME_MIGRATION, r#"{"user":"U0OPS"}"#)?;
    let done = stack
        .wait_query(id, queries::PROGRESS, "the migration to finish", |p| {
            p["stage"] == "done"
        })
        .await?;
    assert_eq!(statuses(&done), ["done", "done"]);
    assert_eq!(
        std::fs::read_to_string(&log)?.lines().collect::<Vec<_>>(),
        ["one", "two"]
    );
    assert!(
        done["report"]
            .as_str()
            .is_some_and(|r| r.contains("all 2 steps done and validated")),
        "{done}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_migration_runs_only_commands_configured_on_the_worker() -> anyhow::Result<()> {
    // The worker knows one command; the workflow input smuggles a command line as a step.
    let dir = chatops_e2e::scratch("migration-trust")?;
    let (configured, smuggled) = (dir.join("configured"), dir.join("smuggled"));
    let commands = json!({"mark": format!("touch {}", configured.display())});
    let stack = Stack::start("migration-trust", with_commands(&commands)).await?;
    let id = "migration-trust-0001";
    start(
        &stack,
        id,
        &json!({
            "description": "Try to run a shell",
            "requester": "U0MALLORY",
            "steps": [
                {"id": "S1", "description": "a configured one", "command": "mark"},
                {"id": "S2", "description": "a command line",
                 "command": format!("touch {}", smuggled.display())},
            ],
        }),
    )?;
    let progress = stack
        .wait_query(id, queries::PROGRESS, "the migration to end", |p| {
            p["stage"] == "failed"
        })
        .await?;
    assert!(configured.exists(), "the configured command did not run");
    assert!(!smuggled.exists(), "a command line from workflow input ran");
    let report = progress["report"].as_str().unwrap_or_default();
    assert!(
        report.contains("no migration command named `touch ")
            && report.contains(
                "the worker knows mark; CHATOPS__MIGRATION__COMMANDS), so nothing was run"
            ),
        "{report}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn an_agents_plan_runs_only_after_someone_else_approves_its_command_lines()
-> anyhow::Result<()> {
    let dir = chatops_e2e::scratch("migration-plan-gate")?;
    let marked = dir.join("marked");
    let commands = json!({
        "mark": format!("echo marked >> {}", marked.display()),
        "zz-check": format!("grep -q marked {}", marked.display()),
    });
    let coder = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/coder.py");
    let stack = Stack::start(
        "migration-plan-gate",
        StackOptions {
            env: vec![
                ("CHATOPS__MIGRATION__COMMANDS".into(), commands.to_string()),
                ("CHATOPS__AGENT__COMMAND".into(), format!("python3 {coder}")),
            ],
            ..StackOptions::default()
        },
    )
    .await?;
    let id = "migration-plan-gate-0001";
    start(
        &stack,
        id,
        &json!({
            "description": "Mark the data",
            "requester": "U0OPS",
            "channel": "C0DELIVERY",
        }),
    )?;
    let card = stack.card(id).await?;
    let ask = stack
        .reply_containing(&card, "Approval needed: migration gate")
        .await?;
    let shown = ask.rendered();
    assert!(
        shown.contains(&format!("echo marked >> {}", marked.display())),
        "the exact command line is shown: {shown}"
    );
    stack
        .wait_query(id, queries::PROGRESS, "the plan awaiting approval", |p| {
            p["stage"] == "awaiting_approval"
        })
        .await?;
    assert!(!marked.exists(), "nothing ran before the approval");

    // The requester may not approve the agent's plan, by button or by raw signal.
    stack.press_as("U0OPS", &ask, "Approve")?;
    stack
        .ephemeral_containing("someone else must approve the agent's plan")
        .await?;
    stack.signal(
        id,
        signals::APPROVE,
        &json!({"gate": "migration", "user": "U0OPS"}).to_string(),
    )?;
    let progress = stack.query(id, queries::PROGRESS)?;
    assert_eq!(progress["stage"], "awaiting_approval", "{progress}");
    assert!(!marked.exists());

    stack.press_as(chatops_e2e::stack::APPROVER, &ask, "Approve")?;
    let result: Value =
        serde_json::from_str(&stack.temporal(&["workflow", "result", "-w", id, "-o", "json"])?)?;
    let progress = stack.query(id, queries::PROGRESS)?;
    assert_eq!(progress["stage"], "done", "{result}");
    assert_eq!(std::fs::read_to_string(&marked)?, "marked\n");
    stack
        .reply_containing(&card, "Plan approved by @U0APPROVER")
        .await?;
    Ok(())
}
