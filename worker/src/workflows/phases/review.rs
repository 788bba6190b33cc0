//! `CodeReview`: the agent's review of the change, posted on the pull request.

use chatops_contract::lifecycle::Review;
use chatops_contract::workflows;
use serde_json::json;
use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::{WorkflowContext, WorkflowContextView, WorkflowResult};

use super::{PhaseInput, PhaseResult, ask};
use crate::activities::delivery::AgentKind;
use crate::activities::github::{CommentSpec, GitHubActivities};
use crate::workflows::notes::note;
use crate::workflows::options;

/// The agent's review of the change, posted on the pull request.
/// Patch: the review agent is given the pull request's diff.
const REVIEW_DIFF: &str = "review-diff";

#[workflow]
pub struct CodeReview {
    input: PhaseInput,
}

#[workflow_methods]
impl CodeReview {
    #[init]
    pub fn new(_ctx: &WorkflowContextView, input: PhaseInput) -> Self {
        Self { input }
    }

    #[run(name = workflows::CODE_REVIEW)]
    pub async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<PhaseResult> {
        let input = ctx.state(|s| s.input.clone());
        let mut evidence = input.evidence.clone();
        if !(input.policy.has_agent()) {
            evidence.review = Some(Review {
                approved: false,
                comments: vec!["no agent is configured; review it in the pull request".into()],
                agent: "none".to_owned(),
            });
            return Ok(PhaseResult {
                passed: true,
                summary: "no agent review".to_owned(),
                evidence,
            });
        }
        let mut asked = json!({
            "request": input.request.request,
            "tasks": evidence.tasks,
            "pull_request": evidence.pull_request,
        });
        // The reviewer reads the pull request's real diff (made by the worker, not kept here).
        if let Some(pr) = &evidence.pull_request
            && !pr.base_sha.is_empty()
            && !pr.head_sha.is_empty()
            && ctx.patched(REVIEW_DIFF)
        {
            asked["workspace"] =
                json!({"repository": pr.repository, "sha": pr.head_sha, "base": pr.base_sha});
        }
        let review = match ask(ctx, &input.policy, &input.feature, AgentKind::Review, asked).await {
            Ok((v, agent, _)) => {
                let mut r: Review = serde_json::from_value(v).unwrap_or_default();
                r.agent = agent;
                r
            }
            Err(failures) => Review {
                approved: false,
                comments: failures,
                agent: "none".to_owned(),
            },
        };
        let verdict = if review.approved {
            "approves"
        } else {
            "does not approve"
        };
        let mut body = format!("**Code review** ({} agent) {verdict}.\n", review.agent);
        for c in &review.comments {
            body.push_str(&format!("\n- {c}"));
        }
        if let Some(pr) = &evidence.pull_request {
            let spec = CommentSpec {
                repository: pr.repository.clone(),
                number: pr.number,
                marker: "review".to_owned(),
                body: body.clone(),
            };
            if let Err(e) = ctx
                .execute_activity(GitHubActivities::comment, spec, options::github())
                .await
            {
                tracing::warn!(error = %e, "could not post the review");
            }
        }
        note(
            ctx,
            input.card.as_ref(),
            ":eyes:",
            &format!(
                "Code review: the {} agent {verdict} ({} comments).",
                review.agent,
                review.comments.len()
            ),
        )
        .await;
        evidence.review = Some(review);
        Ok(PhaseResult {
            passed: true,
            summary: format!("review {verdict}"),
            evidence,
        })
    }
}
