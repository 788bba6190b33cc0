//! What `doctor` asks of the cluster: the namespace, the task queue's pollers, and a `Canary`
//! run end to end.

use chatops_contract::{queries, signals, workflows};
use temporalio_client::{UntypedWorkflow, WorkflowStartOptions};

use super::{Temporal, TemporalError, json, rpc};

impl Temporal {
    /// Whether the namespace exists (for `doctor`).
    pub async fn describe_namespace(&self, namespace: &str) -> Result<(), TemporalError> {
        use temporalio_common::protos::temporal::api::workflowservice::v1::DescribeNamespaceRequest;
        let mut svc = self.client.connection().workflow_service();
        svc.describe_namespace(temporalio_client::tonic::Request::new(
            DescribeNamespaceRequest {
                namespace: namespace.to_owned(),
                ..Default::default()
            },
        ))
        .await
        .map(drop)
        .map_err(rpc)
    }

    /// Identities of the workers polling this task queue for workflow tasks (for `doctor`).
    pub async fn pollers(&self, namespace: &str) -> Result<Vec<String>, TemporalError> {
        let pollers =
            chatops_common::temporal::workflow_pollers(&self.client, namespace, &self.task_queue)
                .await
                .map_err(rpc)?;
        Ok(pollers.into_iter().map(|p| p.identity).collect())
    }

    /// Runs the `Canary` self-test on the live cluster: waits for its activity, timer and child,
    /// queries it, signals it, reads its result. A canary that does not finish is terminated.
    pub async fn run_canary(&self, deadline: std::time::Duration) -> Result<String, TemporalError> {
        use temporalio_client::{WorkflowGetResultOptions, WorkflowTerminateOptions};
        let id = format!(
            "canary-{}",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis())
                .unwrap_or_default()
        );
        let options = WorkflowStartOptions::new(self.task_queue.clone(), id.clone()).build();
        self.client
            .start_workflow(
                UntypedWorkflow::new(workflows::CANARY),
                json(&serde_json::Value::Null)?,
                options,
            )
            .await
            .map_err(|e| TemporalError::Other(format!("could not start the canary: {e}")))?;
        let handle = self
            .client
            .get_workflow_handle::<UntypedWorkflow>(id.clone());
        let run = async {
            // Activity, timer and child workflow pass when it reaches its signal wait; the query
            // is how we see that.
            loop {
                let stage: String = self.query(&id, queries::STAGE).await?;
                if stage == "waiting for signal" {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
            self.signal(&id, signals::POKE, &()).await?;
            let raw = handle
                .get_result(WorkflowGetResultOptions::default())
                .await
                .map_err(|e| TemporalError::Other(format!("the canary failed: {e}")))?;
            chatops_common::payload::from_json::<String>(&raw)
                .map_err(|e| TemporalError::Other(e.to_string()))
        };
        match tokio::time::timeout(deadline, run).await {
            Ok(Ok(summary)) => Ok(summary),
            other => {
                let _ = handle
                    .terminate(
                        WorkflowTerminateOptions::builder()
                            .reason("chatops doctor: canary did not finish".to_owned())
                            .build(),
                    )
                    .await;
                match other {
                    Ok(Err(e)) => Err(e),
                    _ => Err(TemporalError::Unavailable(format!(
                        "the canary did not finish within {}s",
                        deadline.as_secs()
                    ))),
                }
            }
        }
    }
}
