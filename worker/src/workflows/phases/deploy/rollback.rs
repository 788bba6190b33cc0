//! The rollback saga of a deployment child.

use chatops_contract::feature::Environment;
use std::time::Duration;
use temporalio_common::RetryPolicy;
use temporalio_sdk::{ActivityOptions, WorkflowContext};

use super::short_sha;
use super::watch::Notes;
use crate::activities::delivery::{DeliveryActivities, DeployRequest, StepReport};
use crate::workflows::notes::mention_first;
use crate::workflows::options;
use crate::workflows::phases::PhaseInput;

/// The rollback saga: down-migration → redeploy the previous commit → verify → notify; every
/// step's outcome is recorded, and a failing step does not stop the ones after it.
pub(super) async fn rollback_saga<W>(
    ctx: &WorkflowContext<W>,
    input: &PhaseInput,
    environment: Environment,
    previous: &str,
    why: &str,
    notes: &Notes<'_, W>,
) -> Vec<String> {
    notes
        .say(
            ctx,
            ":rewind:",
            format!(
                "Rolling back {environment}: {}",
                chatops_blocks::escape(why)
            ),
        )
        .await;
    let mut steps = Vec::new();
    let request = DeployRequest {
        environment: environment.to_string(),
        sha: previous.to_owned(),
        feature: input.feature.clone(),
    };
    // Run once: a down-migration is not assumed safe to repeat.
    let once = ActivityOptions::with_start_to_close_timeout(Duration::from_secs(1900))
        .retry_policy(RetryPolicy::builder().maximum_attempts(1).build())
        .build();
    let down = ctx
        .execute_activity(DeliveryActivities::down_migration, request.clone(), once)
        .await
        .unwrap_or_else(|e| StepReport {
            ok: false,
            output: e.to_string(),
            changes: Vec::new(),
        });
    steps.push(format!("down-migration: {}", step_word(&down)));
    let redeploy = if previous.is_empty() {
        StepReport {
            ok: false,
            output: "no previous commit is known; nothing to redeploy".to_owned(),
            changes: Vec::new(),
        }
    } else {
        ctx.execute_activity(DeliveryActivities::deploy, request, options::deploy())
            .await
            .unwrap_or_else(|e| StepReport {
                ok: false,
                output: e.to_string(),
                changes: Vec::new(),
            })
    };
    steps.push(format!(
        "redeploy {}: {}",
        short_sha(previous),
        step_word(&redeploy)
    ));
    let verify = ctx
        .execute_activity(
            DeliveryActivities::probe,
            environment.to_string(),
            options::short(),
        )
        .await;
    steps.push(match verify {
        Ok(s) if s.healthy => format!("verify: healthy ({})", s.detail),
        Ok(s) => format!("verify: still unhealthy ({})", s.detail),
        Err(e) => format!("verify: could not probe ({e})"),
    });
    steps.push("notify: posted in the feature's thread".to_owned());
    let text = steps
        .iter()
        .map(|s| format!("• {}", chatops_blocks::escape(s)))
        .collect::<Vec<_>>()
        .join("\n");
    notes
        .say(
            ctx,
            ":leftwards_arrow_with_hook:",
            format!(
                "{}Rolled back {environment} to `{}`.\n{text}",
                mention_first(input.policy.escalation.as_deref()),
                short_sha(previous)
            ),
        )
        .await;
    steps
}

fn step_word(r: &StepReport) -> String {
    format!("{} ({})", if r.ok { "ok" } else { "FAILED" }, r.output)
}
