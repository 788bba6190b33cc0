//! `StagingDeployment` and `ProductionDeployment`: one workflow, written once, for each
//! environment. The deploy and the health watch are in `watch.rs`, the rollback saga in
//! `rollback.rs`; here are the workflows, their signals and what they hold between steps.

mod rollback;
mod watch;

use chatops_contract::feature::Environment;
use chatops_contract::lifecycle::{DeployReport, Evidence, TriggerRollback};
use chatops_contract::{queries, signals, workflows};
use serde_json::Value;
use std::time::Duration;
use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::{SyncWorkflowContext, WorkflowContext, WorkflowContextView, WorkflowResult};

use super::{PhaseInput, PhaseResult, read_control};
use crate::workflows::signals::decode;

/// What a deployment child holds between steps.
#[derive(Debug, Clone, Default)]
struct Watch {
    paused: bool,
    rollback: Option<TriggerRollback>,
    extra: Duration,
    report: DeployReport,
    /// Thread notes waiting for Slack, oldest first: posted beside the watch, never in its way.
    notes: std::collections::VecDeque<(&'static str, String)>,
    /// Set when the deploy, watch and rollback are done; the notes drain and the child ends.
    closing: bool,
}

fn set_report(e: &mut Evidence, environment: Environment, report: DeployReport) {
    match environment {
        Environment::Production => e.production = Some(report),
        Environment::Staging => e.staging = Some(report),
    }
}

fn short_sha(sha: &str) -> &str {
    sha.get(..7).unwrap_or(sha)
}

macro_rules! deployment {
    ($name:ident, $type_name:expr, $env:expr) => {
        /// Deploys, watches health, and rolls back when sick. Signals `trigger_rollback`,
        /// `extend_monitoring`, `pause`, `resume`; query `status` (the deploy report so far).
        #[workflow]
        pub struct $name {
            input: PhaseInput,
            watch: Watch,
        }

        #[workflow_methods]
        impl $name {
            #[init]
            pub fn new(_ctx: &WorkflowContextView, input: PhaseInput) -> Self {
                Self {
                    input,
                    watch: Watch::default(),
                }
            }

            #[run(name = $type_name)]
            pub async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<PhaseResult> {
                let input = ctx.state(|s| s.input.clone());
                Ok(watch::run(
                    ctx,
                    &input,
                    $env,
                    |s: &Self| &s.watch,
                    |s: &mut Self| &mut s.watch,
                )
                .await)
            }

            #[signal(name = signals::name::TRIGGER_ROLLBACK)]
            pub fn trigger_rollback(
                &mut self,
                _ctx: &mut SyncWorkflowContext<Self>,
                payload: Value,
            ) {
                if self.watch.rollback.is_some() {
                    return;
                }
                // A rollback asked for is a rollback, even when its payload does not decode.
                let asked = decode(signals::TRIGGER_ROLLBACK, payload, |e| {
                    tracing::warn!(error = %e, "rolling back on a malformed trigger_rollback")
                });
                self.watch.rollback = Some(asked.unwrap_or_else(|| TriggerRollback {
                    user: "unknown".to_owned(),
                    reason: "rollback requested".to_owned(),
                }));
            }

            #[signal(name = signals::name::EXTEND_MONITORING)]
            pub fn extend_monitoring(
                &mut self,
                _ctx: &mut SyncWorkflowContext<Self>,
                payload: Value,
            ) {
                let Some(x) = decode(signals::EXTEND_MONITORING, payload, |e| {
                    tracing::warn!(error = %e, "extend_monitoring ignored")
                }) else {
                    return;
                };
                let secs = x.seconds.min(86_400);
                self.watch.extra += Duration::from_secs(secs);
                self.watch.report.extended_secs += secs;
                self.watch.report.extended_by.push(x.user);
            }

            #[signal(name = signals::name::PAUSE)]
            pub fn pause(&mut self, _ctx: &mut SyncWorkflowContext<Self>, payload: Value) {
                read_control(signals::PAUSE, payload);
                self.watch.paused = true;
                self.watch.report.paused = true;
            }

            #[signal(name = signals::name::RESUME)]
            pub fn resume(&mut self, _ctx: &mut SyncWorkflowContext<Self>, payload: Value) {
                read_control(signals::RESUME, payload);
                self.watch.paused = false;
                self.watch.report.paused = false;
            }

            #[query(name = queries::name::STATUS)]
            pub fn status(&self, _ctx: &WorkflowContextView) -> DeployReport {
                self.watch.report.clone()
            }
        }
    };
}

deployment!(
    StagingDeployment,
    workflows::STAGING_DEPLOYMENT,
    Environment::Staging
);
deployment!(
    ProductionDeployment,
    workflows::PRODUCTION_DEPLOYMENT,
    Environment::Production
);
