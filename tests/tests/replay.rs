//! Determinism: recorded histories must replay on the current workflow code.
//!
//! `tests/histories/*.json` hold histories recorded from real runs. A change that would break
//! workflows already running in production (a reordered activity, a removed timer) fails here;
//! guard such changes with `ctx.patched(..)`. Re-record with `CHATOPS_RECORD_HISTORIES=1`.

use chatops_e2e::{Stack, StackOptions};
use chatops_worker::workflows::feature_delivery::FeatureDelivery;
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

/// Runs a feature to completion, replays its fresh history, and records it when asked.
#[tokio::test(flavor = "multi_thread")]
async fn a_fresh_history_replays_and_can_be_recorded() -> anyhow::Result<()> {
    let stack = Stack::start("replay", StackOptions::default()).await?;
    let mut recorded = Vec::new();
    for (name, press) in [("approved", "Approve"), ("rejected", "Reject")] {
        let (id, _card, request) = stack.feature_at_intake(&format!("Replay {name}")).await?;
        stack.press(&request, press)?;
        stack.workflow_closed(&id).await?;
        recorded.push((name, id));
    }

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
        if std::env::var_os("CHATOPS_RECORD_HISTORIES").is_some() {
            std::fs::write(
                histories_dir().join(format!("feature_delivery_{name}.json")),
                &json,
            )?;
        }
    }
    Ok(())
}
