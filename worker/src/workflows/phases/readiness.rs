//! `ProductionReadiness`: the readiness score from the evidence, before the production gate.

use chatops_contract::lifecycle::Readiness;
use chatops_contract::{queries, workflows};
use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::{WorkflowContext, WorkflowContextView, WorkflowResult};

use super::{PhaseInput, PhaseResult};
use crate::domain::lifecycle;
use crate::workflows::notes::note;

/// The readiness score from the evidence, before the production gate.
#[workflow]
pub struct ProductionReadiness {
    input: PhaseInput,
    readiness: Readiness,
}

#[workflow_methods]
impl ProductionReadiness {
    #[init]
    pub fn new(_ctx: &WorkflowContextView, input: PhaseInput) -> Self {
        Self {
            input,
            readiness: Readiness::default(),
        }
    }

    #[run(name = workflows::PRODUCTION_READINESS)]
    pub async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<PhaseResult> {
        let input = ctx.state(|s| s.input.clone());
        let readiness = lifecycle::readiness(&input.evidence);
        ctx.state_mut(|s| s.readiness = readiness.clone());
        let lines: Vec<String> = readiness
            .findings
            .iter()
            .map(|f| format!("• {}", chatops_blocks::escape(f)))
            .collect();
        let asked = input
            .feedback
            .as_deref()
            .map(|f| format!("\nAsked for: {}", chatops_blocks::escape(f)))
            .unwrap_or_default();
        note(
            ctx,
            input.card.as_ref(),
            ":bar_chart:",
            &format!(
                "*Readiness score {} of 100*{asked}\n{}",
                readiness.score,
                lines.join("\n")
            ),
        )
        .await;
        let mut evidence = input.evidence;
        let summary = format!("readiness {} of 100", readiness.score);
        evidence.readiness = Some(readiness);
        Ok(PhaseResult {
            passed: true,
            summary,
            evidence,
        })
    }

    #[query(name = queries::name::GET_READINESS_SCORE)]
    pub fn get_readiness_score(&self, _ctx: &WorkflowContextView) -> Readiness {
        self.readiness.clone()
    }
}
