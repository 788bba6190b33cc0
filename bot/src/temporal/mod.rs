//! The bot's window on Temporal: start, signal and query workflows by their contract names,
//! with errors sorted into what a user can be told.

use chatops_common::Settings;
use chatops_common::metrics::{self, Metrics};
use chatops_contract::feature::{FeatureRequest, FeatureStatus};
use chatops_contract::freeze::{FreezeRequest, FreezeStatus, freeze_workflow_id};
use chatops_contract::incident::{Alert, IncidentStatus, MonitorStats, monitor_workflow_id};
use chatops_contract::{Query, Signal, Update, queries, signals, workflows};
use serde::{Serialize, de::DeserializeOwned};
use temporalio_client::errors::{
    WorkflowInteractionError, WorkflowQueryError, WorkflowStartError, WorkflowUpdateError,
};
use temporalio_client::{
    Client, UntypedQuery, UntypedSignal, UntypedUpdate, UntypedWorkflow, WorkflowDescribeOptions,
    WorkflowExecuteUpdateOptions, WorkflowExecutionStatus, WorkflowIdReusePolicy,
    WorkflowQueryOptions, WorkflowSignalOptions, WorkflowStartOptions,
};
use temporalio_common::data_converters::RawValue;

mod cluster;
#[cfg(test)]
pub(crate) mod fake;
mod schedules;

/// Why a Temporal call did not do what was asked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TemporalError {
    /// No workflow has that id.
    #[error("no workflow `{0}`")]
    NotFound(String),
    /// The workflow exists but has finished; it takes no more signals.
    #[error("workflow `{id}` has already finished ({status})")]
    Finished {
        /// Workflow id.
        id: String,
        /// How it ended, e.g. `completed`.
        status: String,
    },
    /// Temporal could not be reached or did not answer in time.
    #[error("Temporal is unavailable: {0}")]
    Unavailable(String),
    /// Anything else (a bug or a misconfiguration); logged, not shown.
    #[error("{0}")]
    Other(String),
}

/// Why a validated decision (a Temporal update) did not count.
#[derive(Debug, thiserror::Error)]
pub enum DecisionError {
    /// The workflow's validator refused it; the text says why, for the person who acted.
    #[error("{0}")]
    Refused(String),
    /// Temporal did not take it.
    #[error(transparent)]
    Temporal(#[from] TemporalError),
}

/// What a start request did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Started {
    /// A new run began.
    New,
    /// A run with that id already exists (a retried request); nothing new began.
    AlreadyExisted,
}

/// A connected Temporal client bound to the configured namespace and task queue.
#[derive(Clone)]
pub struct Temporal {
    client: Client,
    task_queue: String,
}

impl std::fmt::Debug for Temporal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Temporal")
            .field("task_queue", &self.task_queue)
            .finish_non_exhaustive()
    }
}

impl Temporal {
    /// Connects to the configured Temporal frontend.
    pub async fn connect(settings: &Settings) -> anyhow::Result<Self> {
        let connection = chatops_common::temporal::connect(
            &settings.temporal,
            format!("chatops-bot@{}", std::process::id()),
        )
        .await?;
        let client = Client::new(
            connection,
            chatops_common::temporal::client_options(settings),
        )?;
        Ok(Self {
            client,
            task_queue: settings.temporal.task_queue.clone(),
        })
    }

    /// Starts `FeatureDelivery` under `id`; an id used before (running or closed) starts nothing.
    pub async fn start_feature(
        &self,
        id: &str,
        request: &FeatureRequest,
    ) -> Result<Started, TemporalError> {
        let options = WorkflowStartOptions::new(self.task_queue.clone(), id.to_owned())
            .id_reuse_policy(WorkflowIdReusePolicy::RejectDuplicate)
            .build();
        match self
            .client
            .start_workflow(
                UntypedWorkflow::new(workflows::FEATURE_DELIVERY),
                json(request)?,
                options,
            )
            .await
        {
            Ok(_) => {
                Metrics::count(&metrics::get().workflow_starts, workflows::FEATURE_DELIVERY);
                Ok(Started::New)
            }
            Err(WorkflowStartError::AlreadyStarted { .. }) => Ok(Started::AlreadyExisted),
            Err(WorkflowStartError::Rpc(status)) => Err(rpc(status)),
            Err(e) => Err(TemporalError::Other(e.to_string())),
        }
    }

    /// Sends signal `name` with `payload` to the workflow `id`.
    pub async fn signal<T: Serialize>(
        &self,
        id: &str,
        signal: Signal<T>,
        payload: &T,
    ) -> Result<(), TemporalError> {
        let name = signal.name();
        let handle = self
            .client
            .get_workflow_handle::<UntypedWorkflow>(id.to_owned());
        let sent = handle
            .signal(
                UntypedSignal::new(name),
                json(payload)?,
                WorkflowSignalOptions::default(),
            )
            .await;
        Metrics::count2(
            &metrics::get().signals,
            name,
            if sent.is_ok() { "sent" } else { "failed" },
        );
        match sent {
            Ok(()) => Ok(()),
            Err(WorkflowInteractionError::NotFound(_)) => Err(self.not_found(id).await),
            Err(WorkflowInteractionError::Rpc(status)) => Err(rpc(status)),
            Err(e) => Err(TemporalError::Other(e.to_string())),
        }
    }

    /// Hands `alert` to `ContinuousMonitoring`, starting it if it is not running.
    pub async fn send_alert(&self, alert: &Alert) -> Result<(), TemporalError> {
        self.signal_with_start(
            workflows::CONTINUOUS_MONITORING,
            self.monitor_id(),
            &MonitorStats::default(),
            signals::ALERT,
            alert,
        )
        .await
    }

    /// Sends signal `name` to the singleton `id` of `workflow_type`, starting it with `input`
    /// when it is not running.
    async fn signal_with_start<I: Serialize, P: Serialize>(
        &self,
        workflow_type: &str,
        id: String,
        input: &I,
        signal: Signal<P>,
        payload: &P,
    ) -> Result<(), TemporalError> {
        let name = signal.name();
        let options = WorkflowStartOptions::new(self.task_queue.clone(), id).build();
        match self
            .client
            .signal_with_start_workflow(
                UntypedWorkflow::new(workflow_type),
                json(input)?,
                UntypedSignal::new(name),
                json(payload)?,
                options,
            )
            .await
        {
            Ok(_) => Ok(()),
            Err(WorkflowStartError::Rpc(status)) => Err(rpc(status)),
            Err(e) => Err(TemporalError::Other(e.to_string())),
        }
    }

    /// The monitor's `stats`; `None` when no alert has ever started it.
    pub async fn monitor_stats(&self) -> Result<Option<MonitorStats>, TemporalError> {
        match self.query(&self.monitor_id(), queries::STATS).await {
            Ok(s) => Ok(Some(s)),
            Err(TemporalError::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Engages the emergency stop, starting `EmergencyFreeze` if it never ran.
    pub async fn engage_freeze(&self, req: &FreezeRequest) -> Result<(), TemporalError> {
        self.signal_with_start(
            workflows::EMERGENCY_FREEZE,
            freeze_workflow_id(&self.task_queue),
            &FreezeStatus::default(),
            signals::ENGAGE,
            req,
        )
        .await
    }

    /// Releases the emergency stop; `NotFound` when it never ran.
    pub async fn release_freeze(&self, req: &FreezeRequest) -> Result<(), TemporalError> {
        self.signal(&freeze_workflow_id(&self.task_queue), signals::RELEASE, req)
            .await
    }

    /// The emergency stop's state; not engaged when it never ran.
    pub async fn freeze_status(&self) -> Result<FreezeStatus, TemporalError> {
        match self
            .query(&freeze_workflow_id(&self.task_queue), queries::FREEZE)
            .await
        {
            Err(TemporalError::NotFound(_)) => Ok(FreezeStatus::default()),
            other => other,
        }
    }

    /// The score history of `repository`'s default branch; `NotFound` when it is not watched.
    pub async fn quality_trend(
        &self,
        repository: &str,
    ) -> Result<chatops_contract::quality::QualityTrend, TemporalError> {
        let id = chatops_contract::quality::quality_workflow_id(repository, &self.task_queue);
        self.query(&id, queries::TREND).await
    }

    /// The monitor's workflow id on this task queue.
    pub fn monitor_id(&self) -> String {
        monitor_workflow_id(&self.task_queue)
    }

    /// The `status` of incident `id`.
    pub async fn incident_status(&self, id: &str) -> Result<IncidentStatus, TemporalError> {
        self.query(id, queries::INCIDENT_STATUS).await
    }

    /// Runs update `name` on workflow `id` and returns its JSON result; a validator's refusal
    /// comes back as [`DecisionError::Refused`].
    pub async fn update<T: Serialize, R>(
        &self,
        id: &str,
        update: Update<T, R>,
        payload: &T,
    ) -> Result<serde_json::Value, DecisionError> {
        let name = update.name();
        let handle = self
            .client
            .get_workflow_handle::<UntypedWorkflow>(id.to_owned());
        let result = handle
            .execute_update(
                UntypedUpdate::new(name),
                json(payload)?,
                WorkflowExecuteUpdateOptions::default(),
            )
            .await;
        let outcome = match &result {
            Ok(_) => "accepted",
            Err(WorkflowUpdateError::Failed(_)) => "refused",
            Err(_) => "failed",
        };
        Metrics::count2(&metrics::get().signals, &format!("update.{name}"), outcome);
        match result {
            Ok(raw) => Ok(chatops_common::payload::from_json(&raw).unwrap_or_default()),
            Err(WorkflowUpdateError::Failed(mut failure)) => {
                // The refusal's text is encrypted when the codec is on.
                chatops_common::codec::open_failure(
                    temporalio_client::NamespacedClient::data_converter(&self.client),
                    &mut failure,
                )
                .await;
                Err(DecisionError::Refused(
                    chatops_common::codec::failure_message(&failure),
                ))
            }
            Err(WorkflowUpdateError::NotFound(_)) => Err(self.not_found(id).await.into()),
            Err(WorkflowUpdateError::Rpc(status)) => Err(rpc(status).into()),
            Err(e) => Err(TemporalError::Other(e.to_string()).into()),
        }
    }

    /// The running features on this task queue (at most `limit`), each with its status; a
    /// feature that cannot be asked is left out.
    pub async fn active_features(
        &self,
        limit: usize,
    ) -> Result<Vec<(String, FeatureStatus)>, TemporalError> {
        use futures::StreamExt as _;
        let query = format!(
            "WorkflowType = '{}' AND ExecutionStatus = 'Running' AND TaskQueue = '{}'",
            workflows::FEATURE_DELIVERY,
            self.task_queue.replace('\'', "")
        );
        let mut ids = Vec::new();
        let mut stream = self
            .client
            .list_workflows(query, temporalio_client::WorkflowListOptions::default());
        while let Some(w) = stream.next().await {
            let w = w.map_err(|e| TemporalError::Other(format!("listing features failed: {e}")))?;
            ids.push(w.id().to_owned());
            if ids.len() >= limit {
                break;
            }
        }
        ids.sort();
        ids.dedup();
        let mut out = Vec::new();
        for id in ids {
            // Visibility can lag behind a feature that just finished: ask it, keep the running.
            if let Ok(s) = self.feature_status(&id).await
                && !s.phase.is_terminal()
            {
                out.push((id, s));
            }
        }
        Ok(out)
    }

    /// The `status` of feature `id`.
    pub async fn feature_status(&self, id: &str) -> Result<FeatureStatus, TemporalError> {
        self.query(id, queries::STATUS).await
    }

    async fn query<R: DeserializeOwned>(
        &self,
        id: &str,
        query: Query<R>,
    ) -> Result<R, TemporalError> {
        let name = query.name();
        let handle = self
            .client
            .get_workflow_handle::<UntypedWorkflow>(id.to_owned());
        let raw = match handle
            .query(
                UntypedQuery::new(name),
                RawValue::new(Vec::new()),
                WorkflowQueryOptions::default(),
            )
            .await
        {
            Ok(raw) => raw,
            Err(WorkflowQueryError::NotFound(_)) => {
                return Err(TemporalError::NotFound(id.to_owned()));
            }
            Err(WorkflowQueryError::Rpc(status)) => return Err(rpc(status)),
            Err(e) => return Err(TemporalError::Other(e.to_string())),
        };
        chatops_common::payload::from_json(&raw)
            .map_err(|e| TemporalError::Other(format!("query `{name}` answered {e}")))
    }

    /// Tells a finished workflow apart from one that never existed.
    async fn not_found(&self, id: &str) -> TemporalError {
        let handle = self
            .client
            .get_workflow_handle::<UntypedWorkflow>(id.to_owned());
        match handle.describe(WorkflowDescribeOptions::default()).await {
            Ok(d) if d.status() != WorkflowExecutionStatus::Running => TemporalError::Finished {
                id: id.to_owned(),
                status: status_word(d.status()),
            },
            _ => TemporalError::NotFound(id.to_owned()),
        }
    }
}

fn status_word(status: WorkflowExecutionStatus) -> String {
    format!("{status:?}")
        .to_lowercase()
        .replace("continuedasnew", "continued as new")
        .replace("timedout", "timed out")
}

fn rpc(status: temporalio_client::tonic::Status) -> TemporalError {
    use temporalio_client::tonic::Code;
    match status.code() {
        Code::Unavailable | Code::DeadlineExceeded | Code::Cancelled => {
            TemporalError::Unavailable(status.message().to_owned())
        }
        Code::NotFound => TemporalError::NotFound(status.message().to_owned()),
        _ => TemporalError::Other(format!("{:?}: {}", status.code(), status.message())),
    }
}

/// A `json/plain` payload, as every Temporal SDK and the CLI encode JSON.
fn json<T: Serialize>(value: &T) -> Result<RawValue, TemporalError> {
    chatops_common::payload::json(value).map_err(|e| TemporalError::Other(e.to_string()))
}
