//! `chatops-bot doctor` against a running installation and against broken ones.

use chatops_e2e::github::{self, LocalGitHub};
use chatops_e2e::{Stack, StackOptions};

#[tokio::test(flavor = "multi_thread")]
async fn doctor_passes_a_healthy_installation_and_runs_the_canary() -> anyhow::Result<()> {
    let stack = Stack::start("doctor", StackOptions::default()).await?;
    let gh = LocalGitHub::start().await?;
    // A worker that has just started may not have polled yet.
    let deadline = std::time::Instant::now() + chatops_e2e::stack::WAIT;
    loop {
        let out = stack.temporal(&[
            "task-queue",
            "describe",
            "--task-queue",
            &stack.task_queue,
            "-o",
            "json",
        ])?;
        if out.contains("chatops-worker@") {
            break;
        }
        anyhow::ensure!(
            std::time::Instant::now() < deadline,
            "the worker never polled: {out}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let (code, table) = stack.doctor(&[
        ("CHATOPS__GITHUB__TOKEN", github::TOKEN),
        ("CHATOPS__GITHUB__API_URL", &gh.url),
    ])?;
    for row in [
        "config           pass",
        "slack bot token  pass  team Local as chatops",
        "slack scopes     pass  commands, chat:write, chat:write.public, usergroups:read, users:read",
        "slack app token  pass",
        "temporal         pass  namespace default",
        "workers          pass  1 polling",
        "database         pass  SQLite",
        "github           pass  token valid for chatops-bot",
        "canary workflow  pass  activity ok (from worker",
        "All checks passed.",
    ] {
        assert!(table.contains(row), "missing {row:?} in\n{table}");
    }
    assert!(
        table.contains("timer fired; child workflow ok; signal received"),
        "{table}"
    );
    assert_eq!(code, 0, "{table}");
    // The canary finished: nothing of it is left running.
    let running =
        stack.workflow_count("WorkflowType = 'Canary' AND ExecutionStatus = 'Running'")?;
    assert_eq!(running, 0, "canary workflows still running");
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn doctor_names_what_is_broken_and_how_to_fix_it() -> anyhow::Result<()> {
    let stack = Stack::start(
        "doctor-broken",
        StackOptions {
            scopes: Some("commands,chat:write".into()),
            ..StackOptions::default()
        },
    )
    .await?;
    let (code, table) = stack.doctor(&[
        // A task queue no worker polls, a database URL that cannot open.
        ("CHATOPS__TEMPORAL__TASK_QUEUE", "nobody-polls-this"),
        (
            "CHATOPS__DATABASE__URL",
            "postgres://nobody@127.0.0.1:1/none",
        ),
    ])?;
    for row in [
        "slack scopes     FAIL  missing usergroups:read",
        "add them under OAuth & Permissions",
        "workers          FAIL  no worker polls task queue nobody-polls-this",
        "→ start chatops-worker with the same CHATOPS__TEMPORAL__TASK_QUEUE",
        "database         FAIL  cannot open the database (CHATOPS__DATABASE__URL)",
        "github           skip",
        "canary workflow  skip",
        "3 checks failed.",
    ] {
        assert!(table.contains(row), "missing {row:?} in\n{table}");
    }
    assert_eq!(code, 1, "{table}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn doctor_holds_postgresql_to_the_compatibility_matrix() -> anyhow::Result<()> {
    let stack = Stack::start("doctor-postgres", StackOptions::default()).await?;
    let db = chatops_e2e::postgres::Throwaway::create("doctor").await?;
    let on_postgres = [("CHATOPS__DATABASE__URL", db.url.as_str())];

    // The server these machines run is in the supported range.
    let (_, table) = stack.doctor(&on_postgres)?;
    assert!(
        table.contains("database         pass  PostgreSQL 1"),
        "{table}"
    );

    // An older server (rehearsed) fails with the remedy, and passes as a warning with --force.
    let old = [on_postgres[0], ("CHATOPS_DOCTOR_POSTGRES_VERSION", "12.9")];
    let (code, table) = stack.doctor(&old)?;
    assert!(
        table.contains("database         FAIL  PostgreSQL 12.9, migrated"),
        "{table}"
    );
    assert!(
        table.contains("PostgreSQL 12 is older than the supported 13–16: upgrade it, or run doctor --force to accept it"),
        "{table}"
    );
    assert_eq!(code, 1, "{table}");
    let (_, table) = stack.doctor_with(&["--force"], &old)?;
    assert!(
        table.contains("database         warn  PostgreSQL 12.9"),
        "{table}"
    );
    assert!(table.contains("accepted with --force"), "{table}");

    // A version newer than the tested ones warns.
    let (_, table) =
        stack.doctor(&[on_postgres[0], ("CHATOPS_DOCTOR_POSTGRES_VERSION", "18.1")])?;
    assert!(
        table.contains("database         warn  PostgreSQL 18.1"),
        "{table}"
    );
    Ok(())
}
