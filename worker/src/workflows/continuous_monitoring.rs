//! `ContinuousMonitoring`: the one long-running alert router.
//!
//! Alerts arrive by signal and are handled in order: a new fingerprint opens an `IncidentSwarm`
//! child (abandoned on close, so it outlives this run), a repeat is forwarded to the open
//! incident. Incidents report their closing back by signal. After `incident.monitor_events`
//! alerts the run continues as new, carrying its stats and open incidents, so history stays
//! small however long it runs.

use chatops_contract::ids;
use chatops_contract::incident::{Alert, IncidentInput, MonitorStats};
use chatops_contract::{queries, signals, workflows};
use std::collections::VecDeque;
use std::time::SystemTime;
use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::{
    ChildWorkflowOptions, ContinueAsNewOptions, ParentClosePolicy, SignalWorkflowOptions,
    SyncWorkflowContext, WorkflowContext, WorkflowContextView, WorkflowResult,
};

use crate::activities::policy::{IncidentPolicy, PolicyActivities};
use crate::domain::monitor_state::{self, Route};
use crate::workflows::clock::{self, Started};
use crate::workflows::incident_swarm::IncidentSwarm;
use crate::workflows::options;
use crate::workflows::signals::decode;

/// The alert router.
#[workflow]
pub struct ContinuousMonitoring {
    stats: MonitorStats,
    queue: VecDeque<serde_json::Value>,
    handled_this_run: u32,
    now: SystemTime,
}

#[workflow_methods]
impl ContinuousMonitoring {
    #[init]
    pub fn new(ctx: &WorkflowContextView, carried: MonitorStats) -> Self {
        let mut stats = carried;
        stats.runs += 1;
        Self {
            stats,
            queue: VecDeque::new(),
            handled_this_run: 0,
            now: ctx.start_time().unwrap_or(SystemTime::UNIX_EPOCH),
        }
    }

    #[run(name = workflows::CONTINUOUS_MONITORING)]
    pub async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<MonitorStats> {
        let policy: IncidentPolicy = ctx
            .execute_activity(PolicyActivities::incident, (), options::slack())
            .await?;
        let me = ctx.workflow_id().to_owned();
        loop {
            ctx.wait_condition(|s: &Self| !s.queue.is_empty()).await?;
            while let Some(raw) = ctx.state_mut(|s| s.queue.pop_front()) {
                Self::handle(ctx, &me, raw).await;
            }
            let handled = ctx.state(|s| s.handled_this_run);
            if handled >= policy.monitor_events && ctx.state(|s| s.queue.is_empty()) {
                let carried = ctx.state(|s| s.stats.clone());
                tracing::info!(handled, "monitor continuing as new");
                ctx.continue_as_new(carried, ContinueAsNewOptions::default())?;
            }
        }
    }

    /// Queued raw and decoded in turn, so alerts are handled in the order they came.
    #[signal(name = signals::name::ALERT)]
    pub fn alert(&mut self, _ctx: &mut SyncWorkflowContext<Self>, payload: serde_json::Value) {
        self.queue.push_back(payload);
    }

    #[signal(name = signals::name::INCIDENT_CLOSED)]
    pub fn incident_closed(
        &mut self,
        _ctx: &mut SyncWorkflowContext<Self>,
        payload: serde_json::Value,
    ) {
        let Some(c) = decode(
            signals::INCIDENT_CLOSED,
            payload,
            |e| tracing::warn!(error = %e.reason, "malformed incident_closed signal ignored"),
        ) else {
            return;
        };
        if !monitor_state::close(&mut self.stats, &c.id) {
            tracing::debug!(id = %c.id, "closed incident was not open here");
        }
    }

    #[query(name = queries::name::STATS)]
    pub fn stats(&self, _ctx: &WorkflowContextView) -> MonitorStats {
        self.stats.clone()
    }
}

impl Started for ContinuousMonitoring {
    fn started(&self) -> SystemTime {
        self.now
    }
}

/// Marks runs that open a new incident for an alert whose incident's swarm is gone.
const REOPEN_WHEN_GONE: &str = "reopen-when-swarm-gone";

impl ContinuousMonitoring {
    /// Starts incident `id`'s swarm for `alert`; it outlives this run of the monitor.
    async fn open(ctx: &WorkflowContext<Self>, me: &str, id: String, alert: Alert) {
        let input = IncidentInput {
            opened_by: alert.labels.get("opened_by").cloned(),
            alert,
            monitor: Some(me.to_owned()),
            carried: None,
        };
        let options = ChildWorkflowOptions::builder()
            .workflow_id(id.clone())
            .parent_close_policy(ParentClosePolicy::Abandon)
            .build();
        if let Err(e) = ctx
            .start_child_workflow(IncidentSwarm::run, input, options)
            .await
        {
            tracing::error!(%id, error = %e, "could not start the incident");
            ctx.state_mut(|s| monitor_state::close(&mut s.stats, &id));
        }
    }

    async fn handle(ctx: &WorkflowContext<Self>, me: &str, raw: serde_json::Value) {
        ctx.state_mut(|s| s.handled_this_run += 1);
        let Some(alert) = decode(signals::ALERT, raw, |e| {
            tracing::warn!(error = %e.reason, "malformed alert signal ignored");
            ctx.state_mut(|s| {
                s.stats.alerts_seen += 1;
                s.stats.ignored += 1;
            });
        }) else {
            return;
        };
        // Derived from workflow randomness: the same on replay, unique across runs.
        let short: String = ctx.uuid4().chars().filter(|c| *c != '-').take(10).collect();
        let new_id = ids::incident_workflow_id(&short);
        let at = clock::now(ctx);
        match ctx.state_mut(|s| monitor_state::route(&mut s.stats, &alert, &new_id, &at)) {
            Route::Open(id) => Self::open(ctx, me, id, alert).await,
            Route::Join(id) => {
                let payload = serde_json::to_value(&alert).unwrap_or_default();
                let Err(e) = ctx
                    .external_workflow(id.clone(), None)
                    .signal(
                        IncidentSwarm::alert,
                        payload,
                        SignalWorkflowOptions::default(),
                    )
                    .await
                else {
                    return;
                };
                // Its swarm is gone: resolved (its closing signal is on its way), or failed,
                // terminated or timed out, when no closing signal will ever come. A new incident
                // for the alert is better than losing it.
                if !ctx.patched(REOPEN_WHEN_GONE) {
                    tracing::warn!(%id, error = %e, "could not forward the alert");
                    return;
                }
                tracing::warn!(%id, error = %e, "the incident is gone; the alert opens a new one");
                let rerouted = ctx.state_mut(|s| {
                    monitor_state::reroute_gone(&mut s.stats, &id, &alert, &new_id, &at)
                });
                match rerouted {
                    Route::Open(id) => Self::open(ctx, me, id, alert).await,
                    Route::Join(id) => tracing::warn!(%id, "alert joined another open incident"),
                    Route::Drop(why) => tracing::info!(%why, "alert dropped"),
                }
            }
            Route::Drop(why) => tracing::info!(%why, "alert dropped"),
        }
    }
}
