//! The emergency stop's reach into Temporal: find and signal every running delivery, and tell
//! a delivery whether the freeze is engaged.

use chatops_common::payload;
use chatops_contract::freeze::{FreezeRequest, FreezeStatus, StoppedDelivery, freeze_workflow_id};
use chatops_contract::{queries, signals, workflows};
use futures::StreamExt as _;
use serde::de::DeserializeOwned;
use std::sync::Arc;
use temporalio_client::errors::WorkflowQueryError;
use temporalio_client::{
    Client, UntypedQuery, UntypedSignal, UntypedWorkflow, WorkflowListOptions,
    WorkflowQueryOptions, WorkflowSignalOptions, WorkflowStartOptions,
};
use temporalio_common::data_converters::RawValue;
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

use crate::activities::failure::{permanent, retryable};

/// `freeze.wake`'s input: the deliveries to wake, and the release that wakes them.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Wake {
    /// Workflow ids.
    pub ids: Vec<String>,
    /// Who released the stop, and why (or the stop's state, for a late hold).
    pub release: FreezeRequest,
}

/// `freeze.scheduled`'s input: engage or release, for a scheduled freeze.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ScheduledAsk {
    /// Engage (else release).
    pub engage: bool,
    /// The request, `scheduled` set.
    pub req: FreezeRequest,
}

/// Freeze activities, with a client of their own.
pub struct FreezeActivities {
    client: Client,
    task_queue: String,
}

impl std::fmt::Debug for FreezeActivities {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FreezeActivities")
            .field("task_queue", &self.task_queue)
            .finish_non_exhaustive()
    }
}

impl FreezeActivities {
    /// Activities acting on the deliveries of `task_queue`.
    pub fn new(client: Client, task_queue: String) -> Self {
        Self { client, task_queue }
    }
}

#[activities]
impl FreezeActivities {
    /// Signals `emergency_stop` to every running `FeatureDelivery` on this task queue (found
    /// through visibility); reports each.
    #[activity(name = "freeze.stop_deliveries")]
    #[tracing::instrument(
        name = "freeze.stop_deliveries",
        skip_all,
        fields(user = %req.user, task_queue = %self.task_queue)
    )]
    pub async fn stop_deliveries(
        self: Arc<Self>,
        _ctx: ActivityContext,
        req: FreezeRequest,
    ) -> Result<Vec<StoppedDelivery>, ActivityError> {
        let found = self.running_deliveries().await?;
        let payload = payload::json(&req).map_err(|e| permanent(e.to_string()))?;
        let mut stopped = Vec::new();
        for id in found {
            let handle = self
                .client
                .get_workflow_handle::<UntypedWorkflow>(id.clone());
            let phase = query_json::<serde_json::Value>(&self.client, &id, queries::STATUS.name())
                .await
                .ok()
                .and_then(|s| s["phase"].as_str().map(str::to_owned));
            let result = match handle
                .signal(
                    UntypedSignal::new(signals::EMERGENCY_STOP.name()),
                    payload.clone(),
                    WorkflowSignalOptions::default(),
                )
                .await
            {
                Ok(()) => "stopped".to_owned(),
                Err(e) => format!("not stopped: {e}"),
            };
            tracing::warn!(workflow_id = %id, %result, "emergency stop");
            stopped.push(StoppedDelivery { id, phase, result });
        }
        Ok(stopped)
    }

    /// Signals `freeze_released` to every running `FeatureDelivery` on this task queue, so those
    /// the freeze held look again at once; returns how many were told. A delivery that cannot
    /// be reached looks again on its own later.
    #[activity(name = "freeze.wake_deliveries")]
    #[tracing::instrument(
        name = "freeze.wake_deliveries",
        skip_all,
        fields(user = %req.user, task_queue = %self.task_queue)
    )]
    pub async fn wake_deliveries(
        self: Arc<Self>,
        _ctx: ActivityContext,
        req: FreezeRequest,
    ) -> Result<u32, ActivityError> {
        let running = self.running_deliveries().await?;
        self.released(running, &req).await
    }

    /// Asks the emergency stop to wake delivery `id` when it is released (`hold`); a stop
    /// that is already released wakes it at once.
    #[activity(name = "freeze.hold")]
    #[tracing::instrument(name = "freeze.hold", skip_all, fields(delivery = %id))]
    pub async fn hold(
        self: Arc<Self>,
        _ctx: ActivityContext,
        id: String,
    ) -> Result<(), ActivityError> {
        let freeze = freeze_workflow_id(&self.task_queue);
        let payload = payload::json(&chatops_contract::freeze::HeldDelivery { id })
            .map_err(|e| permanent(e.to_string()))?;
        self.client
            .get_workflow_handle::<UntypedWorkflow>(freeze)
            .signal(
                UntypedSignal::new(signals::HOLD.name()),
                payload,
                WorkflowSignalOptions::default(),
            )
            .await
            .map_err(|e| retryable(format!("cannot ask the emergency stop to wake it: {e}")))
    }

    /// Signals `freeze_released` to each of the deliveries `ids`; one that is gone is skipped.
    #[activity(name = "freeze.wake")]
    #[tracing::instrument(name = "freeze.wake", skip_all, fields(deliveries = w.ids.len()))]
    pub async fn wake(
        self: Arc<Self>,
        _ctx: ActivityContext,
        w: Wake,
    ) -> Result<u32, ActivityError> {
        self.released(w.ids, &w.release).await
    }

    /// Sends `engage` or `release` (`req.scheduled` set) for a scheduled freeze to the emergency
    /// stop, starting it when it never ran.
    #[activity(name = "freeze.scheduled")]
    #[tracing::instrument(name = "freeze.scheduled", skip_all, fields(engage = ask.engage))]
    pub async fn scheduled(
        self: Arc<Self>,
        _ctx: ActivityContext,
        ask: ScheduledAsk,
    ) -> Result<(), ActivityError> {
        let signal = if ask.engage {
            signals::ENGAGE
        } else {
            signals::RELEASE
        };
        let input =
            payload::json(&FreezeStatus::default()).map_err(|e| permanent(e.to_string()))?;
        let req = payload::json(&ask.req).map_err(|e| permanent(e.to_string()))?;
        self.client
            .signal_with_start_workflow(
                UntypedWorkflow::new(workflows::EMERGENCY_FREEZE),
                input,
                UntypedSignal::new(signal.name()),
                req,
                WorkflowStartOptions::new(
                    self.task_queue.clone(),
                    freeze_workflow_id(&self.task_queue),
                )
                .build(),
            )
            .await
            .map(|_| ())
            .map_err(|e| retryable(format!("cannot reach the emergency stop: {e}")))
    }

    /// Whether the freeze is engaged; not engaged when it was never started.
    #[activity(name = "freeze.check")]
    #[tracing::instrument(name = "freeze.check", skip_all, fields(task_queue = %self.task_queue))]
    pub async fn check(
        self: Arc<Self>,
        _ctx: ActivityContext,
    ) -> Result<FreezeStatus, ActivityError> {
        let id = freeze_workflow_id(&self.task_queue);
        match query_json::<FreezeStatus>(&self.client, &id, queries::FREEZE.name()).await {
            Ok(s) => Ok(s),
            Err(QueryFailure::NotFound) => Ok(FreezeStatus::default()),
            Err(QueryFailure::Other(e)) => Err(retryable(format!(
                "cannot tell whether the emergency stop is engaged: {e}"
            ))),
        }
    }
}

impl FreezeActivities {
    /// Signals `freeze_released` with `req` to each delivery of `ids`; returns how many were
    /// told. One that cannot be reached (gone, or Temporal busy) is logged and skipped.
    async fn released(&self, ids: Vec<String>, req: &FreezeRequest) -> Result<u32, ActivityError> {
        let payload = payload::json(req).map_err(|e| permanent(e.to_string()))?;
        let mut told = 0;
        for id in ids {
            let handle = self
                .client
                .get_workflow_handle::<UntypedWorkflow>(id.clone());
            match handle
                .signal(
                    UntypedSignal::new(signals::FREEZE_RELEASED.name()),
                    payload.clone(),
                    WorkflowSignalOptions::default(),
                )
                .await
            {
                Ok(()) => told += 1,
                Err(e) => {
                    tracing::warn!(workflow_id = %id, error = %e, "could not wake a held delivery")
                }
            }
        }
        Ok(told)
    }

    /// The ids of the running deliveries on this task queue, through visibility.
    async fn running_deliveries(&self) -> Result<Vec<String>, ActivityError> {
        let query = format!(
            "WorkflowType = '{}' AND ExecutionStatus = 'Running' AND TaskQueue = '{}'",
            workflows::FEATURE_DELIVERY,
            self.task_queue.replace('\'', "")
        );
        let mut found = Vec::new();
        let mut stream = self
            .client
            .list_workflows(query, WorkflowListOptions::default());
        while let Some(w) = stream.next().await {
            let w = w.map_err(|e| retryable(format!("listing deliveries failed: {e}")))?;
            found.push(w.id().to_owned());
        }
        found.sort();
        found.dedup();
        Ok(found)
    }
}

enum QueryFailure {
    NotFound,
    Other(String),
}

async fn query_json<R: DeserializeOwned>(
    client: &Client,
    id: &str,
    name: &str,
) -> Result<R, QueryFailure> {
    let handle = client.get_workflow_handle::<UntypedWorkflow>(id.to_owned());
    let raw = handle
        .query(
            UntypedQuery::new(name),
            RawValue::new(Vec::new()),
            WorkflowQueryOptions::default(),
        )
        .await
        .map_err(|e| match e {
            WorkflowQueryError::NotFound(_) => QueryFailure::NotFound,
            other => QueryFailure::Other(other.to_string()),
        })?;
    payload::from_json(&raw).map_err(|e| QueryFailure::Other(e.to_string()))
}
