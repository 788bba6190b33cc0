//! `Canary`: the self-test `chatops-bot doctor` runs on the live cluster. One of each thing the
//! real workflows use: an activity, a timer, a child workflow, a signal and a query.

use chatops_contract::{queries, signals, workflows};
use std::sync::Arc;
use std::time::Duration;
use temporalio_macros::{activities, workflow, workflow_methods};
use temporalio_sdk::activities::{ActivityContext, ActivityError};
use temporalio_sdk::{
    ActivityOptions, ApplicationFailure, ChildWorkflowOptions, SyncWorkflowContext,
    WorkflowContext, WorkflowContextView, WorkflowResult,
};

/// How long the canary waits for its signal before failing.
const SIGNAL_WAIT: Duration = Duration::from_secs(60);

/// The canary's one activity.
#[derive(Debug, Default)]
pub struct CanaryActivities;

#[activities]
impl CanaryActivities {
    /// Answers what it was given, from the worker's process.
    #[activity(name = "canary.echo")]
    pub async fn echo(
        self: Arc<Self>,
        _ctx: ActivityContext,
        text: String,
    ) -> Result<String, ActivityError> {
        Ok(format!("{text} (from worker {})", std::process::id()))
    }
}

/// The self-test.
#[workflow]
#[derive(Default)]
pub struct Canary {
    stage: String,
    poked: bool,
}

#[workflow_methods]
impl Canary {
    #[run(name = workflows::CANARY)]
    pub async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<String> {
        let set = |ctx: &WorkflowContext<Self>, stage: &str| {
            let stage = stage.to_owned();
            ctx.state_mut(|s| s.stage = stage);
        };
        set(ctx, "activity");
        let echoed = ctx
            .execute_activity(
                CanaryActivities::echo,
                "activity ok".to_owned(),
                ActivityOptions::start_to_close_timeout(Duration::from_secs(10)),
            )
            .await?;
        set(ctx, "timer");
        ctx.timer(Duration::from_millis(500)).await;
        set(ctx, "child workflow");
        let child_id = format!("{}/child", ctx.workflow_id());
        let child = ctx
            .start_child_workflow(
                CanaryChild::run,
                (),
                ChildWorkflowOptions::workflow_id(child_id),
            )
            .await
            .map_err(|e| ApplicationFailure::non_retryable(std::io::Error::other(e.to_string())))?
            .result()
            .await
            .map_err(|e| ApplicationFailure::non_retryable(std::io::Error::other(e.to_string())))?;
        set(ctx, "waiting for signal");
        let poked = temporalio_sdk::workflows::select! {
            r = ctx.wait_condition(|s: &Self| s.poked) => r.is_ok(),
            _ = ctx.timer(SIGNAL_WAIT) => false,
        };
        if !poked {
            return Err(ApplicationFailure::non_retryable(std::io::Error::other(
                "no poke signal within 60s",
            ))
            .into());
        }
        set(ctx, "done");
        Ok(format!("{echoed}; timer fired; {child}; signal received"))
    }

    #[signal(name = signals::name::POKE)]
    pub fn poke(&mut self, _ctx: &mut SyncWorkflowContext<Self>) {
        self.poked = true;
    }

    #[query(name = queries::name::STAGE)]
    pub fn stage(&self, _ctx: &WorkflowContextView) -> String {
        self.stage.clone()
    }
}

/// The canary's child: it only has to start and finish.
#[workflow]
#[derive(Default)]
pub struct CanaryChild;

#[workflow_methods]
impl CanaryChild {
    #[run(name = workflows::CANARY_CHILD)]
    pub async fn run(_ctx: &mut WorkflowContext<Self>) -> WorkflowResult<String> {
        Ok("child workflow ok".to_owned())
    }
}
