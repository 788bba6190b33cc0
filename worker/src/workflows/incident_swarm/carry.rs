//! Continue-as-new for a long incident. An incident open for weeks keeps receiving repeats of
//! its alert, escalations and card edits; each run's history is kept near
//! `CHATOPS__INCIDENT__HISTORY_EVENTS` (or the server's own suggestion, if sooner) by continuing
//! as new while it waits, carrying the incident (card, timeline, diagnoses) and the stage it was
//! waiting in.
//!
//! Once the history is long the run drains: the card holds further edits (the next run makes
//! them), the outbox finishes its notes and rollbacks, and when nothing is in flight the run
//! continues. Nothing pending is ever dropped, and a storm of repeats cannot keep it from
//! continuing.

use chatops_contract::incident::IncidentInput;
use temporalio_sdk::{ContinueAsNewOptions, WorkflowContext, WorkflowResult};

use super::IncidentSwarm;
use super::thread::record;
use crate::activities::policy::IncidentPolicy;
use crate::domain::incident_state::Stage;

/// Marks runs that may continue as new; histories recorded before it never do.
const CONTINUE_AS_NEW: &str = "incident-continue-as-new";

impl IncidentSwarm {
    /// Nothing in flight: the outbox is empty and idle, and no card edit is running.
    pub(super) fn quiet(&self) -> bool {
        self.incident.pending.is_empty() && !self.outbox_busy && !self.card_busy
    }

    /// Whether this run's history is long enough to continue as new; the first time it is,
    /// the run starts draining (a history recorded before this existed never does).
    pub(super) fn history_long(ctx: &WorkflowContext<Self>, policy: &IncidentPolicy) -> bool {
        if ctx.state(|s| s.continue_off) {
            return false;
        }
        let long = ctx.continue_as_new_suggested()
            || (policy.history_events > 0 && ctx.history_length() >= policy.history_events);
        if !long {
            return false;
        }
        if !ctx.state(|s| s.draining) {
            if !ctx.patched(CONTINUE_AS_NEW) {
                ctx.state_mut(|s| s.continue_off = true);
                return false;
            }
            ctx.state_mut(|s| s.draining = true);
        }
        true
    }

    /// Continues as new, waiting in `stage`, when the history is long and nothing is in flight;
    /// `Ok` when it does not (yet).
    pub(super) fn continue_if_due(
        ctx: &WorkflowContext<Self>,
        policy: &IncidentPolicy,
        stage: Stage,
    ) -> WorkflowResult<()> {
        if !Self::history_long(ctx, policy) || !ctx.state(Self::quiet) {
            return Ok(());
        }
        let runs = ctx.state(|s| s.runs) + 1;
        let length = ctx.history_length();
        record(
            ctx,
            format!(
                "continued as new after {length} history events (run {})",
                runs + 1
            ),
        );
        let input = ctx.state(|s| {
            let carried = s.incident.carry(stage, runs, s.card_shown);
            IncidentInput {
                carried: serde_json::to_value(carried).ok(),
                ..s.incident.input.clone()
            }
        });
        ctx.state_mut(|s| s.continuing = true);
        tracing::info!(length, runs, "incident continuing as new");
        ctx.continue_as_new(input, ContinueAsNewOptions::default())?;
        Ok(())
    }
}
