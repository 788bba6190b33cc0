//! The intake gate: it opens with the card, the agent's analysis runs, the request is posted,
//! and the decision is shown on the request, in the thread and on the card.

use chatops_blocks::feature as blocks;
use chatops_contract::feature::{Approve, FeatureOutcome, GateName, GateState, Phase};
use std::time::Duration;
use temporalio_sdk::{ApplicationFailure, WorkflowContext, WorkflowResult};

use super::FeatureDelivery;
use super::gates::GateWait;
use crate::activities::policy::{FeaturePolicy, LifecyclePolicy};
use crate::activities::slack::{PostMessage, UpdateMessage};
use crate::workflows::clock::{self, rfc3339};
use crate::workflows::phases::RequirementIntake;

impl FeatureDelivery {
    /// Runs the intake gate to its decision; `Some` when the delivery ends there (rejected,
    /// timed out, stopped).
    pub(super) async fn intake(
        ctx: &WorkflowContext<Self>,
        id: &str,
        link: &str,
        policy: &FeaturePolicy,
        life: Option<&LifecyclePolicy>,
    ) -> WorkflowResult<Option<FeatureOutcome>> {
        // Intake gate first, so the card shows it from its first version.
        let timeout = Duration::from_millis(policy.intake_timeout_ms);
        let now = clock::time(ctx);
        ctx.state_mut(|s| {
            s.state.open_gate(
                GateName::Intake.as_str(),
                &rfc3339(now),
                &rfc3339(now + timeout),
            )
        });
        let card_ts = Self::post_card(ctx, id, link).await;
        let channel = ctx.state(|s| s.state.input.channel.clone());

        if life.is_some() {
            // Whatever the analysis says, people decide at the gate.
            let _ = Self::run_phase(ctx, id, Phase::Intake, RequirementIntake::run, None).await;
        }

        let request = ctx.state(|s| {
            blocks::approval_request(&blocks::ApprovalView {
                workflow_id: id,
                gate: GateName::Intake.as_str(),
                request: &s.state.input.request,
                requester: &s.state.input.requester,
                timeout: &format!("in {}", chatops_contract::human_duration(timeout)),
                on_timeout: "rejected",
                detail: None,
            })
        });
        let approval_ts = match &card_ts {
            Some(ts) => Self::notify(ctx, PostMessage::of(&channel, Some(ts), request)).await,
            None => None,
        };
        if ctx.state(|s| s.state.input.auto_approve) {
            let at = rfc3339(now);
            ctx.state_mut(|s| {
                s.state.approve(
                    &Approve {
                        gate: GateName::Intake.to_string(),
                        user: "auto".into(),
                        comment: Some("auto_approve requested".into()),
                    },
                    &at,
                )
            });
        }
        // Wait for the decision; with N-of-M approvals, announce each vote as it comes.
        let escalate = life
            .map(|l| l.intake_escalate_ms)
            .filter(|ms| *ms > 0)
            .map(|ms| (now + Duration::from_millis(ms), Duration::from_millis(ms)));
        while let GateWait::Feedback(note) = Self::await_gate(
            ctx,
            id,
            link,
            GateName::Intake,
            (now + timeout, timeout),
            escalate,
            false,
        )
        .await
        {
            let _ =
                Self::run_phase(ctx, id, Phase::Intake, RequirementIntake::run, Some(note)).await;
        }
        if let Some(outcome) = Self::halt_if_stopped(ctx, id, link).await {
            return Ok(Some(outcome));
        }
        let gate = ctx.state(|s| s.state.gate(GateName::Intake.as_str()).cloned());
        let Some(gate) = gate else {
            return Err(ApplicationFailure::non_retryable(std::io::Error::other(
                "intake gate vanished",
            ))
            .into());
        };
        // The decision is shown in three places at once: the request (buttons gone), the thread
        // and the card. One workflow task schedules all three, so none waits for another.
        let decided = approval_ts
            .map(|ts| UpdateMessage::of(&channel, &ts, blocks::approval_decided(id, &gate)));
        let (note, outcome) = if gate.state == GateState::Approved {
            let by = gate.decided_by.clone().unwrap_or_default();
            (
                blocks::thread_note(
                    ":white_check_mark:",
                    &format!("Intake approved by <@{by}>."),
                ),
                None,
            )
        } else if gate.state == GateState::Skipped {
            let by = gate.decided_by.clone().unwrap_or_default();
            let why = chatops_blocks::escape(gate.note.as_deref().unwrap_or_default());
            (
                blocks::thread_note(
                    ":fast_forward:",
                    &format!("Intake gate skipped by <@{by}>: {why}"),
                ),
                None,
            )
        } else {
            let at = rfc3339(clock::time(ctx));
            ctx.state_mut(|s| s.state.enter(Phase::Rejected, &at, false));
            let why = match gate.state {
                GateState::TimedOut => format!(
                    "Rejected: nobody decided the intake gate within {}.",
                    chatops_contract::human_duration(timeout)
                ),
                _ => format!(
                    "Rejected by <@{}>: {}",
                    gate.decided_by.clone().unwrap_or_default(),
                    gate.note
                        .clone()
                        .unwrap_or_else(|| "no reason given".into())
                ),
            };
            let note = blocks::thread_note(":no_entry:", &why);
            (
                note,
                Some(FeatureOutcome {
                    phase: Phase::Rejected,
                    summary: why,
                }),
            )
        };
        temporalio_sdk::workflows::join!(
            Self::edit_if(ctx, decided),
            Self::report(ctx, id, link, note)
        );
        Ok(outcome)
    }
}
