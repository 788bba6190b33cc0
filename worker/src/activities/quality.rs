//! `ContinuousQuality`'s reach into Temporal: wake the watcher of a repository (starting it when
//! it does not run), after a merge chatops made and when the worker starts.

use chatops_common::payload;
use chatops_contract::quality::{QualityCheck, QualityWatch, quality_workflow_id};
use chatops_contract::{signals, workflows};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use temporalio_client::{Client, UntypedSignal, UntypedWorkflow, WorkflowStartOptions};
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

use crate::activities::failure::retryable;

/// `quality.ask`'s input: which repository's watcher, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QualityAsk {
    /// `owner/name`.
    pub repository: String,
    /// Why, and the commit merged.
    pub check: QualityCheck,
}

/// Quality activities, with a client of their own.
pub struct QualityActivities {
    client: Client,
    task_queue: String,
    watched: Vec<String>,
}

impl std::fmt::Debug for QualityActivities {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QualityActivities")
            .field("task_queue", &self.task_queue)
            .field("watched", &self.watched)
            .finish_non_exhaustive()
    }
}

impl QualityActivities {
    /// Activities waking the watchers of `watched` on `task_queue`.
    pub fn new(client: Client, task_queue: String, watched: Vec<String>) -> Self {
        Self {
            client,
            task_queue,
            watched,
        }
    }

    /// Signals `check` to the watcher of `repository`, starting it when it does not run.
    async fn wake(&self, repository: &str, check: &QualityCheck) -> Result<(), String> {
        let id = quality_workflow_id(repository, &self.task_queue);
        let input = QualityWatch {
            repository: repository.to_owned(),
            ..QualityWatch::default()
        };
        let (input, signal) = match (payload::json(&input), payload::json(check)) {
            (Ok(i), Ok(s)) => (i, s),
            (Err(e), _) | (_, Err(e)) => return Err(e.to_string()),
        };
        self.client
            .signal_with_start_workflow(
                UntypedWorkflow::new(workflows::CONTINUOUS_QUALITY),
                input,
                UntypedSignal::new(signals::CHECK.name()),
                signal,
                WorkflowStartOptions::new(self.task_queue.clone(), id).build(),
            )
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    /// Wakes the watcher of every watched repository (a worker starting); one that cannot be
    /// reached is logged, and looks again on its schedule.
    pub async fn wake_all(&self) {
        let check = QualityCheck {
            reason: "worker start".to_owned(),
            sha: None,
        };
        for repository in &self.watched {
            match self.wake(repository, &check).await {
                Ok(()) => tracing::info!(%repository, "quality watch woken"),
                Err(e) => {
                    tracing::warn!(%repository, error = %e, "could not wake the quality watch")
                }
            }
        }
    }
}

#[activities]
impl QualityActivities {
    /// Wakes the watcher of `ask.repository` when that repository is watched; whether it is.
    #[activity(name = "quality.ask")]
    #[tracing::instrument(name = "quality.ask", skip_all, fields(repo = %ask.repository))]
    pub async fn ask(
        self: Arc<Self>,
        _ctx: ActivityContext,
        ask: QualityAsk,
    ) -> Result<bool, ActivityError> {
        if !self.watched.contains(&ask.repository) {
            return Ok(false);
        }
        self.wake(&ask.repository, &ask.check)
            .await
            .map_err(|e| retryable(format!("cannot wake the quality watch: {e}")))?;
        Ok(true)
    }
}
