//! What a platform team's probes and scrapers see of the worker: Temporal's own SDK metrics
//! beside chatops' metrics, and `/readyz` that follows whether the worker really polls.

use chatops_e2e::stack::{Stack, StackOptions};
use chatops_e2e::temporal::DevServer;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(60);

/// The status of `GET <url>` and its body (status 0 when nothing answers).
async fn get(url: &str) -> (u16, String) {
    match chatops_common::http::Http::new()
        .get(url, Duration::from_secs(5))
        .await
    {
        Ok(r) => (r.status, String::from_utf8_lossy(&r.body).into_owned()),
        Err(_) => (0, String::new()),
    }
}

/// Waits until `/readyz` of the worker answers `want`.
async fn readyz_becomes(stack: &Stack, want: u16) -> anyhow::Result<()> {
    let url = format!("{}/readyz", stack.worker_url);
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let (status, body) = get(&url).await;
        if status == want {
            return Ok(());
        }
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "/readyz stayed {status} {body:?}, never {want}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_worker_exports_sdk_metrics_and_is_ready_only_while_it_polls() -> anyhow::Result<()> {
    let dir = chatops_e2e::bin_dir()
        .join("e2e")
        .join(format!("operations-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let server: &'static DevServer =
        Box::leak(Box::new(DevServer::start(Some(dir.join("temporal.db")))?));
    let stack = Stack::start_on(server, "operations", StackOptions::slow_phases()).await?;
    let (id, card, request) = stack.feature_at_intake("Add a loyalty badge").await?;

    // The SDK's metrics, relayed on the worker's own listener, carry this task queue; chatops'
    // own stay on /metrics.
    let (status, sdk) = get(&format!("{}/metrics/temporal", stack.worker_url)).await;
    assert_eq!(status, 200, "{sdk}");
    for series in [
        "temporal_workflow_task_queue_poll_succeed_total",
        "temporal_workflow_task_execution_latency_seconds",
        "temporal_worker_task_slots_available",
        "temporal_sticky_cache_size",
    ] {
        assert!(sdk.contains(series), "no {series} in:\n{sdk}");
    }
    assert!(
        sdk.contains(&format!("chatops_task_queue=\"{}\"", stack.task_queue)),
        "{sdk}"
    );
    let (_, own) = get(&format!("{}/metrics", stack.worker_url)).await;
    assert!(
        own.contains("# EOF") && !own.contains("temporal_sticky_cache_size"),
        "{own}"
    );

    // The server goes away: the worker is taken out of rotation while it cannot poll…
    readyz_becomes(&stack, 200).await?;
    server.kill()?;
    readyz_becomes(&stack, 503).await?;
    // …and back once it polls again; the feature waiting at its gate goes on.
    server.start_again()?;
    readyz_becomes(&stack, 200).await?;
    stack.press(&request, "Approve")?;
    stack.gate_request(&card, "plan").await?;
    assert_eq!(stack.status(&id)?["phase"], "planning");
    Ok(())
}

/// R2: the server stops in the middle of deliveries and an incident and comes back on the same
/// database: everything resumes, and a timer that fell due during the outage fires.
#[tokio::test(flavor = "multi_thread")]
async fn work_in_flight_resumes_after_a_server_outage_and_timers_due_in_it_fire()
-> anyhow::Result<()> {
    use chatops_e2e::stack::{APPROVER, alertmanager};
    let dir = chatops_e2e::bin_dir()
        .join("e2e")
        .join(format!("outage-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let server: &'static DevServer =
        Box::leak(Box::new(DevServer::start(Some(dir.join("temporal.db")))?));
    let stack = Stack::start_on(
        server,
        "outage",
        StackOptions {
            intake_timeout: "12s",
            ..StackOptions::slow_phases()
        },
    )
    .await?;
    // One delivery that nobody will decide (its timer falls due during the outage), one waiting
    // at its plan gate, and an incident.
    let (undecided, undecided_card, _) = stack.feature_at_intake("Add gift wrapping").await?;
    let (decided, decided_card, intake) = stack.feature_at_intake("Add order notes").await?;
    stack.press(&intake, "Approve")?;
    let plan = stack.gate_request(&decided_card, "plan").await?;
    stack
        .send_alert(&alertmanager("fp-outage", "orders", "firing"))
        .await?;
    let (incident_card, incident) = stack.incident_card("orders").await?;
    stack
        .reply_containing(&incident_card, "No diagnosis to act on")
        .await?;

    // The server is down for longer than the undecided gate had left.
    let due = tokio::time::Instant::now() + Duration::from_secs(13);
    server.kill()?;
    readyz_becomes(&stack, 503).await?;
    tokio::time::sleep_until(due).await;
    server.start_again()?;
    readyz_becomes(&stack, 200).await?;

    // The timer that fell due in the outage fires.
    stack
        .reply_containing(
            &undecided_card,
            "Rejected: nobody decided the intake gate within 12s.",
        )
        .await?;
    assert_eq!(
        stack.workflow_closed(&undecided).await?,
        "WORKFLOW_EXECUTION_STATUS_COMPLETED"
    );
    // The other delivery takes its decision and goes on.
    stack.press(&plan, "Approve")?;
    stack
        .wait_status(&decided, "development after the plan gate", |s| {
            s["phase"] == "development"
        })
        .await?;
    // The incident takes its resolution and writes its postmortem.
    stack
        .command_as(
            APPROVER,
            "/incident",
            &format!("resolve {incident} the database failed over"),
        )
        .await?;
    stack.reply_containing(&incident_card, "Postmortem").await?;
    Ok(())
}
