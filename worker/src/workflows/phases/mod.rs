//! The delivery phases, one child workflow each, started by `FeatureDelivery` with ids derived
//! from its own (`<parent>/<phase>`). Every child takes a [`PhaseInput`] (the request, the
//! policy, the evidence so far) and answers a [`PhaseResult`] (passed or not, why, the
//! evidence with its own findings added). Each posts its steps in the feature's thread.
//!
//! This module holds what the phases share: their input and result, the agent ladder and the
//! safe point where a paused phase waits.

mod deploy;
mod development;
mod intake;
mod planning;
mod readiness;
mod review;
mod testing;

pub use deploy::{ProductionDeployment, StagingDeployment};
pub use development::{Development, TaskExecution, TaskInput};
pub use intake::RequirementIntake;
pub use planning::TaskPlanning;
pub use readiness::ProductionReadiness;
pub use review::CodeReview;
pub(crate) use testing::run_check;
pub use testing::{QualityGate, Testing};

use chatops_contract::Signal;
use chatops_contract::feature::{FeatureRequest, MessageRef};
use chatops_contract::lifecycle::{Control, Evidence};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::time::Duration;
use temporalio_sdk::{ApplicationFailure, WorkflowContext};

use crate::activities::delivery::{AgentAsk, AgentKind, DeliveryActivities};
use crate::activities::policy::LifecyclePolicy;
use crate::workflows::notes::failure_text;
use crate::workflows::options;
use crate::workflows::signals::decode;

/// What every phase child starts from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhaseInput {
    /// The parent's workflow id.
    pub feature: String,
    /// The request.
    pub request: FeatureRequest,
    /// The lifecycle policy, as read when the feature started.
    pub policy: LifecyclePolicy,
    /// Everything collected so far.
    pub evidence: Evidence,
    /// The feature's card, for threaded updates.
    pub card: Option<MessageRef>,
    /// A note asking the phase to redo its work (clarification, revisions, more evidence).
    #[serde(default)]
    pub feedback: Option<String>,
}

/// What a phase child answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhaseResult {
    /// Whether the phase passed.
    pub passed: bool,
    /// One line on how it went.
    pub summary: String,
    /// The evidence, with this phase's findings added.
    pub evidence: Evidence,
}

/// Asks the agent for `kind`, climbing the escalation ladder: the primary agent (retried), then
/// the alternative. `Ok` carries the answer, which agent gave it and the failed attempts;
/// `Err` lists every failure (the raw answers included) for the human the caller escalates to.
async fn ask<W>(
    ctx: &WorkflowContext<W>,
    policy: &LifecyclePolicy,
    feature: &str,
    kind: AgentKind,
    input: Value,
) -> Result<(Value, String, Vec<String>), Vec<String>> {
    let mut failures = Vec::new();
    for (alternative, configured) in [(false, policy.agent), (true, policy.alternative_agent)] {
        if !configured {
            continue;
        }
        let role = if alternative {
            "alternative"
        } else {
            "primary"
        };
        let asked = AgentAsk {
            kind: kind.as_str().to_owned(),
            feature: feature.to_owned(),
            alternative,
            input: input.clone(),
        };
        match ctx
            .execute_activity(
                DeliveryActivities::ask_agent,
                asked,
                options::agent(
                    Duration::from_millis(policy.agent_timeout_ms.max(1000)),
                    policy.agent_attempts.max(1),
                ),
            )
            .await
        {
            Ok(v) => return Ok((v, role.to_owned(), failures)),
            Err(e) => failures.push(format!("{role}: {}", failure_text(&e))),
        }
    }
    Err(failures)
}

/// Waits while `paused` says so (a safe point).
async fn hold_while_paused<W>(ctx: &WorkflowContext<W>, paused: impl Fn(&W) -> bool + Copy) {
    if ctx.state(paused) {
        let _ = ctx.wait_condition(move |s: &W| !paused(s)).await;
    }
}

/// Reads a `pause` or `resume` the parent forwarded. It holds or frees the child whatever its
/// payload (a phase must never miss one), so a malformed payload is only logged.
fn read_control(signal: Signal<Control>, payload: Value) {
    let _ = decode(signal, payload, |e| {
        tracing::warn!(error = %e, "obeyed whatever its payload");
    });
}

fn child_error(what: &str, e: impl std::fmt::Display) -> String {
    format!("{what}: {e}")
}

fn fail(text: String) -> temporalio_workflow::WorkflowTermination {
    ApplicationFailure::non_retryable(std::io::Error::other(text)).into()
}
