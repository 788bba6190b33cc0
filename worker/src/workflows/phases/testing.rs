//! `Testing` and its child `QualityGate`: the configured checks in parallel, auto-fixes by the
//! agent, the weighted score and merge verdict, commit statuses and a pull request comment.

use chatops_contract::lifecycle::QualityReport;
use chatops_contract::workflows;
use serde::Deserialize;
use serde_json::json;
use std::time::Duration;
use temporalio_common::RetryPolicy;
use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::{
    ActivityOptions, ChildWorkflowOptions, WorkflowContext, WorkflowContextView, WorkflowResult,
};

use super::development::AGENT_WORKSPACE;
use super::{PhaseInput, PhaseResult, ask, child_error, fail};
use crate::activities::delivery::AgentKind;
use crate::activities::delivery::{CheckRun, DeliveryActivities};
use crate::activities::github::{
    BranchSpec, CommentSpec, CommitSpec, GitHubActivities, StatusSpec,
};
use crate::domain::lifecycle;
use crate::workflows::notes::{failure_text, note};
use crate::workflows::options;

/// Patch: the quality gate tests the branch's current head.
const TEST_CURRENT_HEAD: &str = "test-current-head";

/// Patch: after an auto-fix commit every check runs again on the new head.
const RECHECK_AFTER_FIX: &str = "recheck-after-fix";

/// Runs `QualityGate` and turns its verdict into evidence, commit statuses and a comment.
#[workflow]
pub struct Testing {
    input: PhaseInput,
}

#[workflow_methods]
impl Testing {
    #[init]
    pub fn new(_ctx: &WorkflowContextView, input: PhaseInput) -> Self {
        Self { input }
    }

    #[run(name = workflows::TESTING)]
    pub async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<PhaseResult> {
        let ctx: &WorkflowContext<Self> = ctx;
        let input = ctx.state(|s| s.input.clone());
        let feature = input.feature.clone();
        if input.policy.checks.is_empty() {
            let summary = "No quality checks are configured (CHATOPS__FEATURE__CHECKS), so nothing was tested; the readiness score counts that.".to_owned();
            note(ctx, input.card.as_ref(), ":warning:", &summary).await;
            return Ok(PhaseResult {
                passed: true,
                summary,
                evidence: input.evidence,
            });
        }
        let report = ctx
            .start_child_workflow(
                QualityGate::run,
                input.clone(),
                ChildWorkflowOptions::workflow_id(format!("{feature}/quality")),
            )
            .await
            .map_err(|e| fail(child_error("could not start the quality gate", e)))?
            .result()
            .await
            .map_err(|e| fail(child_error("the quality gate failed", e)))?;
        let mut evidence = input.evidence.clone();
        if let (Some(pr), Some(head)) = (evidence.pull_request.as_mut(), &report.head_sha) {
            // Auto-fixes moved the branch: later phases deploy the new head.
            pr.head_sha = head.clone();
        }
        if let Some(pr) = &evidence.pull_request {
            let mut table = format!(
                "**Quality gate**: score {} (threshold {}): {}\n\n| check | result | score |\n| --- | --- | --- |\n",
                report.score,
                report.threshold,
                if report.can_merge {
                    "can merge"
                } else {
                    "blocks merge"
                }
            );
            for c in &report.checks {
                table.push_str(&format!(
                    "| {} | {}{} | {} |\n",
                    c.name,
                    if c.passed { "pass" } else { "fail" },
                    if c.fixed { " (after auto-fix)" } else { "" },
                    c.score
                ));
            }
            for b in &report.blocking {
                table.push_str(&format!("\n- {b}"));
            }
            let mut statuses: Vec<StatusSpec> = report
                .checks
                .iter()
                .map(|c| StatusSpec {
                    repository: pr.repository.clone(),
                    sha: pr.head_sha.clone(),
                    state: if c.passed { "success" } else { "failure" }.to_owned(),
                    context: format!("chatops/{}", c.name),
                    description: format!("score {}", c.score),
                })
                .collect();
            statuses.push(StatusSpec {
                repository: pr.repository.clone(),
                sha: pr.head_sha.clone(),
                state: if report.can_merge {
                    "success"
                } else {
                    "failure"
                }
                .to_owned(),
                context: "chatops/quality-gate".to_owned(),
                description: format!("score {} of {}", report.score, report.threshold),
            });
            let posts = statuses.into_iter().map(|st| async move {
                ctx.execute_activity(GitHubActivities::status, st, options::github())
                    .await
            });
            for r in futures::future::join_all(posts).await {
                if let Err(e) = r {
                    tracing::warn!(error = %e, "could not set a commit status");
                }
            }
            let spec = CommentSpec {
                repository: pr.repository.clone(),
                number: pr.number,
                marker: "quality-gate".to_owned(),
                body: table,
            };
            if let Err(e) = ctx
                .execute_activity(GitHubActivities::comment, spec, options::github())
                .await
            {
                tracing::warn!(error = %e, "could not comment the quality gate");
            }
        }
        let summary = if report.can_merge {
            format!("quality gate passed with score {}", report.score)
        } else {
            format!(
                "quality gate blocked the merge: {}",
                report.blocking.join("; ")
            )
        };
        let icon = if report.can_merge {
            ":white_check_mark:"
        } else {
            ":no_entry:"
        };
        let lines: Vec<String> = report
            .checks
            .iter()
            .map(|c| {
                format!(
                    "• {} {}: {}",
                    if c.passed {
                        ":white_check_mark:"
                    } else {
                        ":x:"
                    },
                    c.name,
                    c.score
                )
            })
            .collect();
        note(
            ctx,
            input.card.as_ref(),
            icon,
            &format!("{}\n{}", chatops_blocks::escape(&summary), lines.join("\n")),
        )
        .await;
        let passed = report.can_merge;
        evidence.quality = Some(report);
        Ok(PhaseResult {
            passed,
            summary,
            evidence,
        })
    }
}

/// The configured checks, in parallel (at most 8 at once), and the merge verdict.
#[workflow]
pub struct QualityGate {
    input: PhaseInput,
}

#[workflow_methods]
impl QualityGate {
    #[init]
    pub fn new(_ctx: &WorkflowContextView, input: PhaseInput) -> Self {
        Self { input }
    }

    #[run(name = workflows::QUALITY_GATE)]
    pub async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<QualityReport> {
        let ctx: &WorkflowContext<Self> = ctx;
        let input = ctx.state(|s| s.input.clone());
        let pr = input.evidence.pull_request.clone();
        let branch = pr
            .as_ref()
            .map(|p| p.branch.clone())
            .unwrap_or_else(|| lifecycle::branch_name(&input.feature, &input.request.request));
        let mut sha = pr.as_ref().map(|p| p.head_sha.clone()).unwrap_or_default();
        // The checks test what the branch holds now (it may have moved since development).
        if let Some(p) = &pr
            && ctx.patched(TEST_CURRENT_HEAD)
        {
            let spec = BranchSpec {
                repository: p.repository.clone(),
                branch: branch.clone(),
            };
            match ctx
                .execute_activity(GitHubActivities::prepare_branch, spec, options::github())
                .await
            {
                Ok(b) if !b.head_sha.is_empty() => sha = b.head_sha,
                Ok(_) => {}
                Err(e) => {
                    return Err(fail(child_error(
                        "could not read the branch head to test",
                        e,
                    )));
                }
            }
        }
        let mut results = Vec::new();
        for chunk in input.policy.checks.chunks(lifecycle::MAX_PARALLEL_CHECKS) {
            let runs = chunk
                .iter()
                .map(|check| Self::check(ctx, &input, check, &branch, &sha));
            results.extend(futures::future::join_all(runs).await);
        }

        // Auto-fix hooks: a failed check marked `autofix` goes to the agent, whose change is
        // committed on the branch; the check then runs once more on the new head.
        let agents = input.policy.has_agent();
        let mut fixed: Vec<String> = Vec::new();
        let every_check_again = agents && pr.is_some() && ctx.patched(RECHECK_AFTER_FIX);
        if let (true, Some(pr)) = (agents, &pr) {
            for result in results.iter_mut() {
                let Some(check) = input
                    .policy
                    .checks
                    .iter()
                    .find(|c| c.name == result.name && c.autofix)
                else {
                    continue;
                };
                if result.passed {
                    continue;
                }
                let mut asked = json!({
                    "request": input.request.request,
                    "check": check.name,
                    "output": result.output,
                    "branch": branch,
                });
                // The fixing agent works in a checkout of the commit that failed.
                if !sha.is_empty() && ctx.patched(AGENT_WORKSPACE) {
                    asked["workspace"] = json!({"repository": pr.repository, "sha": sha});
                }
                let Ok((answer, agent, _)) =
                    ask(ctx, &input.policy, &input.feature, AgentKind::Fix, asked).await
                else {
                    continue;
                };
                #[derive(Deserialize)]
                struct Fix {
                    changes: Vec<chatops_contract::incident::FileChange>,
                }
                let Ok(fix) = serde_json::from_value::<Fix>(answer) else {
                    continue;
                };
                let spec = CommitSpec {
                    repository: pr.repository.clone(),
                    branch: branch.clone(),
                    message: format!(
                        "fix({}): {} (auto-fix by the {agent} agent)",
                        lifecycle::req_id(&input.feature),
                        check.name
                    ),
                    files: fix.changes,
                };
                match ctx
                    .execute_activity(GitHubActivities::commit, spec, options::github())
                    .await
                {
                    Ok(head) => sha = head,
                    Err(e) => {
                        tracing::warn!(error = %e, "could not commit an auto-fix");
                        continue;
                    }
                }
                fixed.push(check.name.clone());
                if every_check_again {
                    continue;
                }
                let mut again = Self::check(ctx, &input, check, &branch, &sha).await;
                again.fixed = true;
                *result = again;
            }
        }
        // A fix made a new commit: every check runs again on it, so each verdict is about the
        // commit that would merge.
        if every_check_again && !fixed.is_empty() {
            results.clear();
            for chunk in input.policy.checks.chunks(lifecycle::MAX_PARALLEL_CHECKS) {
                let runs = chunk
                    .iter()
                    .map(|check| Self::check(ctx, &input, check, &branch, &sha));
                results.extend(futures::future::join_all(runs).await);
            }
            for r in results.iter_mut() {
                r.fixed = fixed.contains(&r.name);
            }
        }
        let mut report =
            lifecycle::quality_verdict(results, input.policy.threshold, input.policy.min_coverage);
        report.head_sha = Some(sha).filter(|s| !s.is_empty());
        Ok(report)
    }
}

impl QualityGate {
    /// Runs one check; a check that could not run at all counts as failed.
    async fn check(
        ctx: &WorkflowContext<Self>,
        input: &PhaseInput,
        check: &chatops_contract::lifecycle::CheckSpec,
        branch: &str,
        sha: &str,
    ) -> chatops_contract::lifecycle::CheckResult {
        let run = CheckRun {
            check: check.clone(),
            feature: input.feature.clone(),
            repository: input.policy.repository.clone(),
            branch: branch.to_owned(),
            sha: sha.to_owned(),
        };
        run_check(ctx, run).await
    }
}

/// Runs one check for any workflow; a check that could not run at all counts as failed.
pub(crate) async fn run_check<W>(
    ctx: &WorkflowContext<W>,
    run: CheckRun,
) -> chatops_contract::lifecycle::CheckResult {
    let check = run.check.clone();
    let options = ActivityOptions::with_start_to_close_timeout(Duration::from_secs(
        check.timeout_secs.max(1) + 30,
    ))
    .heartbeat_timeout(Duration::from_secs(20))
    .retry_policy(RetryPolicy::builder().maximum_attempts(2).build())
    .build();
    match ctx
        .execute_activity(DeliveryActivities::run_check, run, options)
        .await
    {
        Ok(c) => c,
        Err(e) => chatops_contract::lifecycle::CheckResult {
            name: check.name.clone(),
            passed: false,
            required: check.required,
            weight: check.weight,
            score: 0.0,
            critical: None,
            output: failure_text(&e),
            fixed: false,
        },
    }
}
