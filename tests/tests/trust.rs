//! Trust at the seams an operator cannot see: what a workflow's input can make the worker run.

use chatops_contract::workflows;
use chatops_e2e::{Stack, StackOptions};
use serde_json::{Value, json};
use std::path::PathBuf;

fn scratch(name: &str) -> anyhow::Result<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("trust-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_check_runs_the_command_configured_on_the_worker_never_one_from_workflow_input()
-> anyhow::Result<()> {
    // Arrange: the worker knows one check, `unit_tests`, which leaves a mark when it runs.
    let dir = scratch("checks")?;
    let (configured, smuggled, unknown) = (
        dir.join("configured"),
        dir.join("smuggled"),
        dir.join("unknown"),
    );
    let checks = json!([{
        "name": "unit_tests",
        "command": format!("touch {}; echo 12 passed", configured.display()),
    }]);
    let opts = StackOptions {
        env: vec![("CHATOPS__FEATURE__CHECKS".into(), checks.to_string())],
        ..StackOptions::default()
    };
    let stack = Stack::start("trust-checks", opts).await?;

    // Act: anyone who can start a workflow asks for the quality gate with commands of their own,
    // one under the configured check's name and one under a name the worker does not know.
    let id = "trust-quality-0001";
    let input = json!({
        "feature": id,
        "request": {"request": "anything", "requester": "U0MALLORY", "channel": "C0DELIVERY"},
        "policy": {"checks": [
            {"name": "unit_tests", "command": format!("touch {}", smuggled.display())},
            {"name": "exfiltrate", "command": format!("touch {}", unknown.display())},
        ]},
        "evidence": {},
    });
    stack.temporal(&[
        "workflow",
        "start",
        "--task-queue",
        &stack.task_queue,
        "--type",
        workflows::QUALITY_GATE,
        "--workflow-id",
        id,
        "--input",
        &input.to_string(),
    ])?;
    let status = stack.workflow_closed(id).await?;
    let result: Value =
        serde_json::from_str(&stack.temporal(&["workflow", "result", "-w", id, "-o", "json"])?)?;

    // Assert: the configured command ran, neither smuggled one did, and the report says why.
    assert_eq!(status, "WORKFLOW_EXECUTION_STATUS_COMPLETED", "{result}");
    assert!(configured.exists(), "the configured check ran: {result}");
    assert!(
        !smuggled.exists(),
        "a command from workflow input ran: {result}"
    );
    assert!(!unknown.exists(), "an unconfigured check ran: {result}");
    let text = result.to_string();
    assert!(
        text.contains("check `exfiltrate` is not configured on this worker"),
        "{text}"
    );
    Ok(())
}
