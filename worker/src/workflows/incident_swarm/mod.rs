//! `IncidentSwarm`: one incident from alert to postmortem.
//!
//! Triage posts the card; context sources are fetched in parallel; N diagnostic agents run in
//! parallel; the consensus activity decides. A confident verdict stands at once; otherwise the
//! commander picks from the candidates, with escalations while nobody does. Signals
//! (acknowledge, assign, choose, rollback, resolve) are served all along; `resolve` ends it with
//! a postmortem in the thread and tells the monitor.
//!
//! Three loops run side by side: the main flow, the outbox (work signals leave: thread notes and
//! rollbacks) and the card (one edit at a time, always the latest state).
//!
//! Here: the workflow's state, its run and its handlers. The main flow is in `respond.rs`, the
//! hotfix and postmortem pull requests in `hotfix.rs`, the outbox and card loops in `loops.rs`,
//! and posting in the thread in `thread.rs`.

mod carry;
mod hotfix;
mod loops;
mod respond;
mod thread;

use chatops_blocks::incident as blocks;
use chatops_contract::feature::MessageRef;
use chatops_contract::incident::{
    Acknowledge, Alert, AssignCommander, ChooseDiagnosis, ConsensusReport, Diagnoses,
    IncidentEvent, IncidentInput, IncidentOutcome, IncidentStatus, Resolve, Rollback,
};
use chatops_contract::{Signal, queries, signals, workflows};
use std::time::SystemTime;
use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::{SyncWorkflowContext, WorkflowContext, WorkflowContextView, WorkflowResult};

use crate::activities::policy::{IncidentPolicy, PolicyActivities};
use crate::activities::slack::PostMessage;
use crate::domain::incident_state::{Action, Carried, Incident, Outcome, Roles, Stage};
use crate::workflows::clock::{self, Started, rfc3339};
use crate::workflows::notes::ui_link;
use crate::workflows::options;
use crate::workflows::signals::decode;
use thread::notify;

/// One incident.
#[workflow]
pub struct IncidentSwarm {
    incident: Incident,
    now: SystemTime,
    /// Set when the main flow is done; the other loops drain and stop.
    closing: bool,
    /// Card version shown in Slack.
    card_shown: u64,
    /// Where an earlier run stopped waiting when it continued as new; `None` on the first run.
    resumed: Option<Stage>,
    /// Runs before this one.
    runs: u32,
    /// The outbox is posting a note or running a rollback.
    outbox_busy: bool,
    /// A card edit is in flight.
    card_busy: bool,
    /// The history is long: the card holds its edits until the run continues as new.
    draining: bool,
    /// This run is continuing as new: the card is left to the next run.
    continuing: bool,
    /// A history recorded before continue-as-new existed: it never continues.
    continue_off: bool,
}

#[workflow_methods]
impl IncidentSwarm {
    #[init]
    pub fn new(ctx: &WorkflowContextView, input: IncidentInput) -> Self {
        let now = ctx.start_time().unwrap_or(SystemTime::UNIX_EPOCH);
        let carried = input
            .carried
            .clone()
            .and_then(|v| serde_json::from_value::<Carried>(v).ok());
        match carried {
            Some(c) => {
                let (stage, runs, shown) = (c.stage.clone(), c.runs, c.card_shown);
                Self {
                    incident: Incident::resume(input, c),
                    now,
                    closing: false,
                    card_shown: shown,
                    resumed: Some(stage),
                    runs,
                    outbox_busy: false,
                    card_busy: false,
                    draining: false,
                    continuing: false,
                    continue_off: false,
                }
            }
            None => Self {
                incident: Incident::new(ctx.workflow_id(), input, &rfc3339(now)),
                now,
                closing: false,
                card_shown: 0,
                resumed: None,
                runs: 0,
                outbox_busy: false,
                card_busy: false,
                draining: false,
                continuing: false,
                continue_off: false,
            },
        }
    }

    #[run(name = workflows::INCIDENT_SWARM)]
    pub async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<IncidentOutcome> {
        let policy: IncidentPolicy = ctx
            .execute_activity(PolicyActivities::incident, (), options::slack())
            .await?;
        let link = ui_link(&policy.ui_url, &policy.namespace, ctx.workflow_id());
        // Who may act; what arrived before this was read is applied (or refused) now.
        let roles = match &policy.responders {
            Some(users) => Roles::Listed(users.clone()),
            None => Roles::Anyone,
        };
        let at = clock::now(ctx);
        ctx.state_mut(|s| s.incident.set_roles(roles, &at));

        // Triage: the card first, so every later update has a thread to go to. A continued run
        // has its card already.
        if ctx.state(|s| s.resumed.is_none()) {
            let card = ctx.state(|s| blocks::card(&s.incident.status, &link));
            let card_ts = notify(ctx, PostMessage::of(&policy.channel, None, card)).await;
            ctx.state_mut(|s| {
                s.incident.status.card = card_ts.clone().map(|ts| MessageRef {
                    channel: policy.channel.clone(),
                    ts,
                });
                s.card_shown = s.incident.card_version;
            });
        }

        let main = async {
            let outcome = Self::respond(ctx, &policy).await;
            // Whatever happened, the other loops drain and stop.
            ctx.state_mut(|s| s.closing = true);
            outcome
        };
        let (outcome, (), ()) =
            temporalio_sdk::workflows::join!(main, Self::outbox(ctx), Self::card_loop(ctx, &link),);
        outcome
    }

    #[signal(name = signals::name::ALERT)]
    pub fn alert(&mut self, ctx: &mut SyncWorkflowContext<Self>, payload: serde_json::Value) {
        self.apply(ctx, signals::ALERT, payload, |i, a: Alert, at| {
            i.alert(&a, at)
        });
    }

    #[signal(name = signals::name::ACKNOWLEDGE)]
    pub fn acknowledge(&mut self, ctx: &mut SyncWorkflowContext<Self>, payload: serde_json::Value) {
        self.apply(
            ctx,
            signals::ACKNOWLEDGE,
            payload,
            |i, a: Acknowledge, at| i.act(Action::Acknowledge(a), at),
        );
    }

    #[signal(name = signals::name::ASSIGN_COMMANDER)]
    pub fn assign_commander(
        &mut self,
        ctx: &mut SyncWorkflowContext<Self>,
        payload: serde_json::Value,
    ) {
        self.apply(
            ctx,
            signals::ASSIGN_COMMANDER,
            payload,
            |i, a: AssignCommander, at| i.act(Action::AssignCommander(a), at),
        );
    }

    #[signal(name = signals::name::CHOOSE_DIAGNOSIS)]
    pub fn choose_diagnosis(
        &mut self,
        ctx: &mut SyncWorkflowContext<Self>,
        payload: serde_json::Value,
    ) {
        self.apply(
            ctx,
            signals::CHOOSE_DIAGNOSIS,
            payload,
            |i, c: ChooseDiagnosis, at| i.act(Action::Choose(c), at),
        );
    }

    #[signal(name = signals::name::ROLLBACK)]
    pub fn rollback(&mut self, ctx: &mut SyncWorkflowContext<Self>, payload: serde_json::Value) {
        self.apply(ctx, signals::ROLLBACK, payload, |i, r: Rollback, at| {
            i.act(Action::Rollback(r), at)
        });
    }

    #[signal(name = signals::name::RESOLVE)]
    pub fn resolve(&mut self, ctx: &mut SyncWorkflowContext<Self>, payload: serde_json::Value) {
        self.apply(ctx, signals::RESOLVE, payload, |i, r: Resolve, at| {
            i.act(Action::Resolve(r), at)
        });
    }

    #[query(name = queries::name::STATUS)]
    pub fn status(&self, _ctx: &WorkflowContextView) -> IncidentStatus {
        self.incident.status.clone()
    }

    #[query(name = queries::name::DIAGNOSES)]
    pub fn diagnoses(&self, _ctx: &WorkflowContextView) -> Diagnoses {
        self.incident.diagnoses_view()
    }

    #[query(name = queries::name::CONSENSUS)]
    pub fn consensus(&self, _ctx: &WorkflowContextView) -> ConsensusReport {
        self.incident.report.clone()
    }

    #[query(name = queries::name::TIMELINE)]
    pub fn timeline(&self, _ctx: &WorkflowContextView) -> Vec<IncidentEvent> {
        self.incident.status.timeline.clone()
    }
}

impl Started for IncidentSwarm {
    fn started(&self) -> SystemTime {
        self.now
    }
}

impl IncidentSwarm {
    /// Applies a signal to the incident; a malformed payload is recorded on the timeline.
    fn apply<T: serde::de::DeserializeOwned>(
        &mut self,
        ctx: &SyncWorkflowContext<Self>,
        signal: Signal<T>,
        payload: serde_json::Value,
        f: impl FnOnce(&mut Incident, T, &str) -> Outcome,
    ) {
        let at = &clock::at(self, ctx);
        let incident = &mut self.incident;
        let Some(p) = decode(signal, payload, |e| {
            incident.event(at, format!("ignored {e}"), None)
        }) else {
            return;
        };
        match f(incident, p, at) {
            Outcome::Applied => {}
            Outcome::Ignored(why) => tracing::debug!(%why, %signal, "incident signal ignored"),
            Outcome::Refused(why) => {
                if !ctx.is_replaying() {
                    tracing::warn!(target: "audit", incident = %incident.status.id, %why, %signal, "incident signal refused");
                }
            }
        }
    }
}
