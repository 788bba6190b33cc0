//! Determinism: recorded histories must replay on the current workflow code.
//!
//! `tests/histories/*.json` hold histories recorded from real runs. A change that would break
//! workflows already running in production (a reordered activity, a removed timer) fails here;
//! guard such changes with `ctx.patched(..)`. Re-record with `CHATOPS_RECORD_HISTORIES=1` (all)
//! or `CHATOPS_RECORD_HISTORIES=incident_swarm_resolved,…` (those named); keep histories recorded
//! before a `patched` change, they are what proves it.

use chatops_e2e::{Stack, StackOptions};
use chatops_worker::workflows::{
    continuous_monitoring::ContinuousMonitoring, emergency_freeze::EmergencyFreeze,
    feature_delivery::FeatureDelivery, incident_swarm::IncidentSwarm,
};
use std::path::PathBuf;
use temporalio_client::{
    Client, ClientOptions, Connection, ConnectionOptions, UntypedWorkflow,
    WorkflowFetchHistoryOptions, WorkflowHistory,
};
use temporalio_sdk::workflow_replayer::{WorkflowReplayer, WorkflowReplayerOptions};

fn histories_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("histories")
}

fn replayer() -> anyhow::Result<WorkflowReplayer> {
    Ok(WorkflowReplayer::new(
        WorkflowReplayerOptions::new()
            .register_workflow::<FeatureDelivery>()?
            .register_workflow::<IncidentSwarm>()?
            .register_workflow::<ContinuousMonitoring>()?
            .register_workflow::<EmergencyFreeze>()?
            .build(),
    )?)
}

#[tokio::test]
async fn recorded_histories_replay_on_the_current_code() -> anyhow::Result<()> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(histories_dir())?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    anyhow::ensure!(
        !files.is_empty(),
        "no recorded histories in {}",
        histories_dir().display()
    );
    let replayer = replayer()?;
    for file in files {
        let history = WorkflowHistory::from_json(&std::fs::read(&file)?)?;
        replayer
            .replay_workflow(history)
            .await
            .map_err(|e| anyhow::anyhow!("{} no longer replays: {e}", file.display()))?;
    }
    Ok(())
}

/// Runs features, an incident and the emergency stop, replays their fresh histories, and
/// records them when asked.
#[tokio::test(flavor = "multi_thread")]
async fn a_fresh_history_replays_and_can_be_recorded() -> anyhow::Result<()> {
    let stack = Stack::start("replay", StackOptions::default()).await?;
    let mut recorded = Vec::new();
    for (name, press) in [("approved", "Approve"), ("rejected", "Reject")] {
        let (id, card, request) = stack.feature_at_intake(&format!("Replay {name}")).await?;
        stack.press(&request, press)?;
        if press == "Approve" {
            // Through every phase: the plan and production gates too.
            for gate in ["plan", "production"] {
                let asked = stack
                    .reply_containing(&card, &format!("Approval needed: {gate} gate"))
                    .await?;
                stack.press(&asked, "Approve")?;
            }
        }
        stack.workflow_closed(&id).await?;
        // The names of the current recordings; older ones (e.g. `feature_delivery_approved`,
        // before the phases were real) stay as fixtures.
        let fixture = if press == "Approve" {
            "feature_delivery_release_notes_approved".to_owned()
        } else {
            format!("feature_delivery_lifecycle_{name}")
        };
        recorded.push((fixture, id));
    }

    // An incident opened by hand, acknowledged and resolved (no agents: humans diagnose).
    stack
        .command("/incident", "new replay sev3 replaying an incident")
        .await?;
    let stats = stack
        .wait_query(
            &stack.monitor_id(),
            chatops_contract::queries::STATS,
            "the incident",
            |s| s["open_now"] == 1,
        )
        .await?;
    let incident = stats["open"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let card = stack.card(&incident).await?;
    stack
        .reply_containing(&card, "No diagnosis to act on")
        .await?;
    stack.press(&card, "Acknowledge")?;
    stack.reply_containing(&card, "Acknowledged by").await?;
    stack
        .command("/incident", &format!("resolve {incident} replayed"))
        .await?;
    stack.workflow_closed(&incident).await?;
    stack
        .wait_query(
            &stack.monitor_id(),
            chatops_contract::queries::STATS,
            "the monitor to hear of it",
            |s| s["open_now"] == 0,
        )
        .await?;
    recorded.push(("incident_swarm_resolved".into(), incident));
    recorded.push(("continuous_monitoring".into(), stack.monitor_id()));

    // The emergency stop engaged and released.
    let freeze = chatops_contract::freeze::freeze_workflow_id(&stack.task_queue);
    let stop = r#"{"user":"U0APPROVER","reason":"replay"}"#;
    stack.temporal(&[
        "workflow",
        "signal-with-start",
        "-w",
        &freeze,
        "--type",
        chatops_contract::workflows::EMERGENCY_FREEZE,
        "-t",
        &stack.task_queue,
        "--input",
        "{}",
        "--signal-name",
        chatops_contract::signals::ENGAGE.name(),
        "--signal-input",
        stop,
    ])?;
    stack.signal(&freeze, chatops_contract::signals::RELEASE, stop)?;
    stack
        .wait_query(
            &freeze,
            chatops_contract::queries::FREEZE,
            "engage and release",
            |f| f["history"].as_array().map(Vec::len) == Some(2),
        )
        .await?;
    recorded.push(("emergency_freeze".into(), freeze));

    let connection = Connection::connect(
        ConnectionOptions::new(url::Url::parse(&stack.server.address())?).build(),
    )
    .await?;
    let client = Client::new(connection, ClientOptions::new("default").build())?;
    let replayer = replayer()?;
    for (name, id) in recorded {
        let handle = client.get_workflow_handle::<UntypedWorkflow>(id.clone());
        let json = handle
            .fetch_history(WorkflowFetchHistoryOptions::default())
            .to_json()
            .await?;
        replayer
            .replay_workflow(WorkflowHistory::from_json(&json)?)
            .await?;
        let record = std::env::var("CHATOPS_RECORD_HISTORIES").unwrap_or_default();
        if record == "1" || record.split(',').any(|n| n.trim() == name) {
            std::fs::write(histories_dir().join(format!("{name}.json")), &json)?;
        }
    }
    Ok(())
}
