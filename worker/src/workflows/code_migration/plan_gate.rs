//! The gate an agent-planned migration waits on: its exact command lines shown, decided by
//! someone other than the requester before anything runs.

use chatops_blocks::feature as blocks;
use chatops_contract::lifecycle::{MigrationRequest, MigrationStep};
use std::time::Duration;
use temporalio_sdk::WorkflowContext;

use super::CodeMigration;
use crate::activities::policy::PolicyActivities;
use crate::activities::slack::{PostMessage, SlackActivities};
use crate::workflows::feature_delivery::gate_rules_of;
use crate::workflows::notes::failure_text;
use crate::workflows::options;

/// Patch: an agent's plan waits for a person's approval before anything runs.
pub(super) const PLAN_GATE: &str = "migration-plan-gate";
/// The gate an agent's plan waits on.
pub(super) const PLAN_GATE_NAME: &str = "migration";
/// How long an agent's plan waits for a decision before it is rejected.
pub(super) const PLAN_TIMEOUT: Duration = Duration::from_secs(72 * 3600);

/// The approval an agent's migration plan waits for.
#[derive(Debug, Clone, Default)]
pub(super) struct PlanGate {
    /// Whether it waits for a decision now.
    pub(super) open: bool,
    /// Who may approve; `None` lets anyone but the requester.
    pub(super) eligible: Option<std::collections::BTreeSet<String>>,
    /// Who asked for the migration (may reject, may not approve).
    pub(super) requester: String,
    pub(super) decision: Option<PlanDecision>,
}

#[derive(Debug, Clone)]
pub(super) struct PlanDecision {
    pub(super) approved: bool,
    pub(super) user: String,
    pub(super) note: String,
}

impl PlanGate {
    /// Whether `user` may decide `gate` now; the refusal is what they are told.
    pub(super) fn check(&self, gate: &str, user: &str, approving: bool) -> Result<(), String> {
        if gate != PLAN_GATE_NAME {
            return Err(format!(
                "this migration has no `{gate}` gate; an agent's plan waits on the `{PLAN_GATE_NAME}` gate"
            ));
        }
        if !self.open {
            return Err("the migration's plan is not waiting for a decision".to_owned());
        }
        if let Some(d) = &self.decision {
            let word = if d.approved { "approved" } else { "rejected" };
            return Err(format!("the plan was already {word} by <@{}>", d.user));
        }
        if approving && user == self.requester {
            return Err(
                "you asked for this migration; someone else must approve the agent's plan"
                    .to_owned(),
            );
        }
        let allowed = self
            .eligible
            .as_ref()
            .is_none_or(|e| e.contains(user) || (!approving && user == self.requester));
        if !allowed {
            return Err("you are not among the approvers of the `migration` gate (CHATOPS__APPROVALS__APPROVERS, or its own in CHATOPS__APPROVALS__GATES)".to_owned());
        }
        Ok(())
    }

    pub(super) fn decide(&mut self, approved: bool, user: &str, note: String) {
        if self.decision.is_none() {
            self.decision = Some(PlanDecision {
                approved,
                user: user.to_owned(),
                note,
            });
        }
    }
}

impl CodeMigration {
    /// Shows the agent's plan with the exact command lines on the `migration` gate and waits
    /// for a decision; `Err` says why the plan does not run (rejected, or nobody decided).
    pub(super) async fn plan_approved(
        ctx: &WorkflowContext<Self>,
        input: &MigrationRequest,
        steps: &[MigrationStep],
        command_lines: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<(), String> {
        let policy = ctx
            .execute_activity(PolicyActivities::feature, (), options::short())
            .await
            .map_err(|e| {
                format!(
                    "could not read who may approve the plan: {}",
                    failure_text(&e)
                )
            })?;
        let eligible = gate_rules_of(&policy).eligible_for(PLAN_GATE_NAME).cloned();
        ctx.state_mut(|s| {
            s.plan_gate = PlanGate {
                open: true,
                eligible,
                requester: input.requester.clone(),
                decision: None,
            };
            s.progress.stage = "awaiting_approval".to_owned();
        });
        let line = |name: &str| {
            command_lines
                .get(name)
                .and_then(|v| v.as_str())
                .map_or_else(
                    || "(not configured on this worker)".to_owned(),
                    str::to_owned,
                )
        };
        let mut detail = String::from(
            "The agent planned these commands; nothing runs until someone else approves:",
        );
        for st in steps {
            detail.push_str(&format!(
                "\n• `{}` {}: `{}` → `{}`",
                st.id,
                chatops_blocks::escape(&st.description),
                st.command,
                chatops_blocks::escape(&line(&st.command))
            ));
            for (what, name) in [("validate", &st.validate), ("rollback", &st.rollback)] {
                if let Some(name) = name {
                    detail.push_str(&format!(
                        "; {what} `{name}` → `{}`",
                        chatops_blocks::escape(&line(name))
                    ));
                }
            }
        }
        let id = ctx.workflow_id().to_owned();
        let card = ctx.state(|s| s.card.clone());
        if let Some(c) = &card {
            let ask = blocks::approval_request(&blocks::ApprovalView {
                workflow_id: &id,
                gate: PLAN_GATE_NAME,
                request: &input.description,
                requester: &input.requester,
                timeout: &format!("in {}", chatops_contract::human_duration(PLAN_TIMEOUT)),
                on_timeout: "rejected",
                detail: Some(&detail),
            });
            let _ = ctx
                .execute_activity(
                    SlackActivities::post_message,
                    PostMessage::of(&c.channel, Some(&c.ts), ask),
                    options::short(),
                )
                .await;
        }
        let decided = temporalio_sdk::workflows::select! {
            _ = ctx.wait_condition(|s: &Self| s.plan_gate.decision.is_some()) => true,
            _ = ctx.timer(PLAN_TIMEOUT) => false,
        };
        let decision = ctx.state_mut(|s| {
            s.plan_gate.open = false;
            s.plan_gate.decision.clone()
        });
        match decision {
            Some(d) if decided && d.approved => {
                Self::note(
                    ctx,
                    ":white_check_mark:",
                    &format!("Plan approved by <@{}>.", d.user),
                )
                .await;
                ctx.state_mut(|s| s.progress.stage = "executing".to_owned());
                Ok(())
            }
            Some(d) => Err(format!(
                "the agent's plan was rejected by <@{}>: {}",
                d.user, d.note
            )),
            None => Err(format!(
                "nobody approved the agent's plan within {}, so nothing ran",
                chatops_contract::human_duration(PLAN_TIMEOUT)
            )),
        }
    }
}
