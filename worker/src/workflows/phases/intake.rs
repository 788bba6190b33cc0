//! `RequirementIntake`: the agent's feasibility and ambiguity analysis, before the intake gate.

use chatops_contract::lifecycle::Analysis;
use chatops_contract::workflows;
use serde_json::json;
use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::{WorkflowContext, WorkflowContextView, WorkflowResult};

use super::{PhaseInput, PhaseResult, ask};
use crate::activities::delivery::AgentKind;
use crate::workflows::notes::note;

/// Feasibility and ambiguity analysis of the request, before the intake gate.
#[workflow]
pub struct RequirementIntake {
    input: PhaseInput,
}

#[workflow_methods]
impl RequirementIntake {
    #[init]
    pub fn new(_ctx: &WorkflowContextView, input: PhaseInput) -> Self {
        Self { input }
    }

    #[run(name = workflows::REQUIREMENT_INTAKE)]
    pub async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<PhaseResult> {
        let input = ctx.state(|s| s.input.clone());
        let analysis = if input.policy.has_agent() {
            let asked = json!({
                "request": input.request.request,
                "repository": input.request.repository,
                "clarification": input.feedback,
            });
            match ask(
                ctx,
                &input.policy,
                &input.feature,
                AgentKind::Analysis,
                asked,
            )
            .await
            {
                Ok((v, agent, _)) => {
                    let mut a: Analysis = serde_json::from_value(v).unwrap_or_default();
                    a.agent = agent;
                    a
                }
                Err(failures) => Analysis {
                    feasible: true,
                    summary: format!(
                        "The agents could not analyse the request ({}); people decide from the request as written.",
                        failures.join("; ")
                    ),
                    ambiguities: Vec::new(),
                    agent: "none".to_owned(),
                },
            }
        } else {
            Analysis {
                feasible: true,
                summary: "No agent is configured; people decide from the request as written."
                    .to_owned(),
                ambiguities: Vec::new(),
                agent: "none".to_owned(),
            }
        };
        let mut text = format!(
            "*Analysis* ({}): {}{}",
            analysis.agent,
            if analysis.feasible {
                ""
            } else {
                ":warning: judged not feasible. "
            },
            chatops_blocks::escape(&analysis.summary)
        );
        for q in &analysis.ambiguities {
            text.push_str(&format!("\n• open question: {}", chatops_blocks::escape(q)));
        }
        note(ctx, input.card.as_ref(), ":mag:", &text).await;
        let mut evidence = input.evidence;
        let summary = analysis.summary.clone();
        evidence.analysis = Some(analysis);
        Ok(PhaseResult {
            passed: true,
            summary,
            evidence,
        })
    }
}
