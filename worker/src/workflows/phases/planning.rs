//! `TaskPlanning`: the task breakdown and effort estimate, before the plan gate.

use chatops_contract::lifecycle::{Plan, PlannedTask};
use chatops_contract::workflows;
use serde_json::json;
use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::{WorkflowContext, WorkflowContextView, WorkflowResult};

use super::{PhaseInput, PhaseResult, ask};
use crate::activities::delivery::AgentKind;
use crate::workflows::notes::{escalate, note};

/// The task breakdown and effort estimate.
#[workflow]
pub struct TaskPlanning {
    input: PhaseInput,
}

#[workflow_methods]
impl TaskPlanning {
    #[init]
    pub fn new(_ctx: &WorkflowContextView, input: PhaseInput) -> Self {
        Self { input }
    }

    #[run(name = workflows::TASK_PLANNING)]
    pub async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<PhaseResult> {
        let input = ctx.state(|s| s.input.clone());
        let plan = if input.policy.has_agent() {
            let asked = json!({
                "request": input.request.request,
                "analysis": input.evidence.analysis,
                "revisions": input.feedback,
            });
            match ask(ctx, &input.policy, &input.feature, AgentKind::Plan, asked).await {
                Ok((v, agent, _)) => match serde_json::from_value::<Plan>(v) {
                    Ok(mut p) => {
                        p.agent = agent;
                        p
                    }
                    Err(e) => {
                        return Ok(PhaseResult {
                            passed: false,
                            summary: format!("the plan could not be read: {e}"),
                            evidence: input.evidence,
                        });
                    }
                },
                Err(failures) => {
                    let summary =
                        format!("planning failed on every agent: {}", failures.join("; "));
                    escalate(
                        ctx,
                        input.card.as_ref(),
                        input.policy.escalation.as_deref(),
                        &summary,
                    )
                    .await;
                    return Ok(PhaseResult {
                        passed: false,
                        summary,
                        evidence: input.evidence,
                    });
                }
            }
        } else {
            Plan {
                tasks: vec![PlannedTask {
                    id: "T1".to_owned(),
                    title: input.request.request.chars().take(120).collect(),
                    depends_on: Vec::new(),
                }],
                estimate_hours: 0.0,
                agent: "none".to_owned(),
            }
        };
        let mut text = format!(
            "*Plan* ({}, {} tasks{}):",
            plan.agent,
            plan.tasks.len(),
            if plan.estimate_hours > 0.0 {
                format!(", about {} h", plan.estimate_hours)
            } else {
                String::new()
            }
        );
        for t in &plan.tasks {
            let after = if t.depends_on.is_empty() {
                String::new()
            } else {
                format!(" (after {})", t.depends_on.join(", "))
            };
            text.push_str(&format!(
                "\n• `{}` {}{after}",
                t.id,
                chatops_blocks::escape(&t.title)
            ));
        }
        note(ctx, input.card.as_ref(), ":clipboard:", &text).await;
        let mut evidence = input.evidence;
        let summary = format!("{} tasks planned", plan.tasks.len());
        evidence.plan = Some(plan);
        Ok(PhaseResult {
            passed: true,
            summary,
            evidence,
        })
    }
}
