//! `Development`: the feature branch, the tracking issue, one `TaskExecution` child per task
//! (dependencies first, a wave at a time), the labelled pull request, then `CodeReview`; and
//! `TaskExecution` itself. Both stay in one file (over 400 lines) because they are one story:
//! the task a wave starts here is the task committed here when it comes back.

use chatops_contract::feature::{FeatureRequest, MessageRef};
use chatops_contract::lifecycle::{PlannedTask, PullInfo, TaskResult};
use chatops_contract::{signals, workflows};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::{
    ChildWorkflowOptions, SyncWorkflowContext, WorkflowContext, WorkflowContextView, WorkflowResult,
};

use super::review::CodeReview;
use super::{PhaseInput, PhaseResult, ask, child_error, fail, hold_while_paused, read_control};
use crate::activities::delivery::AgentKind;
use crate::activities::github::{
    BranchSpec, CommentSpec, CommitSpec, GitHubActivities, IssueSpec, LabelSpec, PullRequestSpec,
    ReviewersSpec,
};
use crate::activities::policy::LifecyclePolicy;
use crate::domain::lifecycle;
use crate::workflows::notes::{child_failure_text, escalate, failure_text, note};
use crate::workflows::options;

/// Patch: code and fix agents work in a checkout of the branch head.
pub(super) const AGENT_WORKSPACE: &str = "agent-workspace";

/// One task for `TaskExecution`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskInput {
    /// The parent feature's workflow id.
    pub feature: String,
    /// The request.
    pub request: FeatureRequest,
    /// The task.
    pub task: PlannedTask,
    /// The feature branch, when GitHub is on.
    pub branch: Option<String>,
    /// The branch's head when the task started: the commit its agent works on.
    #[serde(default)]
    pub head: Option<String>,
    /// The lifecycle policy.
    pub policy: LifecyclePolicy,
    /// The feature's card.
    pub card: Option<MessageRef>,
}

/// The feature branch, one `TaskExecution` per task (dependencies first, at most 4 at once),
/// the pull request, then `CodeReview`.
#[workflow]
pub struct Development {
    input: PhaseInput,
    paused: bool,
}

#[workflow_methods]
impl Development {
    #[init]
    pub fn new(_ctx: &WorkflowContextView, input: PhaseInput) -> Self {
        Self {
            input,
            paused: false,
        }
    }

    #[run(name = workflows::DEVELOPMENT)]
    pub async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<PhaseResult> {
        let ctx: &WorkflowContext<Self> = ctx;
        let input = ctx.state(|s| s.input.clone());
        let feature = input.feature.clone();
        let plan = input.evidence.plan.clone().unwrap_or_default();
        let repository = input.policy.repository.clone();
        let branch_name = lifecycle::branch_name(&feature, &input.request.request);
        let branch = match &repository {
            Some(repo) => {
                let spec = BranchSpec {
                    repository: repo.clone(),
                    branch: branch_name.clone(),
                };
                match ctx
                    .execute_activity(GitHubActivities::prepare_branch, spec, options::github())
                    .await
                {
                    Ok(b) => {
                        note(
                            ctx,
                            input.card.as_ref(),
                            ":seedling:",
                            &format!("Branch `{branch_name}` on {repo}."),
                        )
                        .await;
                        Some(b)
                    }
                    Err(e) => {
                        return Ok(PhaseResult {
                            passed: false,
                            summary: child_error("could not prepare the branch", e),
                            evidence: input.evidence,
                        });
                    }
                }
            }
            None => None,
        };

        // The tracking issue, labelled with the requirement id.
        let mut issue = input.evidence.issue;
        let mut input = input;
        if let (Some(repo), None) = (&repository, issue) {
            let req = lifecycle::req_id(&feature);
            let spec = IssueSpec {
                repository: repo.clone(),
                title: format!(
                    "{req}: {}",
                    input.request.request.chars().take(100).collect::<String>()
                ),
                body: format!(
                    "{}\n\nRequested by Slack user {} · delivered by chatops (`{feature}`).",
                    input.request.request, input.request.requester
                ),
                label: req,
            };
            match ctx
                .execute_activity(GitHubActivities::ensure_issue, spec, options::github())
                .await
            {
                Ok(n) => issue = Some(n),
                Err(e) => tracing::warn!(error = %e, "could not open the tracking issue"),
            }
        }
        // Kept even when a task fails, so the issue is still linked and closed.
        input.evidence.issue = issue;

        // The branch head each wave's agents start from; every commit moves it.
        let mut head = branch.as_ref().map(|b| b.head_sha.clone());
        // Waves of ready tasks, at most MAX_PARALLEL_TASKS at once.
        let mut done: BTreeSet<String> = BTreeSet::new();
        let mut results: Vec<TaskResult> = Vec::new();
        while done.len() < plan.tasks.len() {
            hold_while_paused(ctx, |s: &Self| s.paused).await;
            let ready = lifecycle::ready_tasks(
                &plan,
                &done,
                &BTreeSet::new(),
                lifecycle::MAX_PARALLEL_TASKS,
            );
            if ready.is_empty() {
                return Ok(PhaseResult {
                    passed: false,
                    summary: "the plan's dependencies cannot be met".to_owned(),
                    evidence: input.evidence,
                });
            }
            let mut wave = Vec::new();
            for id in &ready {
                let Some(task) = plan.tasks.iter().find(|t| &t.id == id).cloned() else {
                    continue;
                };
                let child_input = TaskInput {
                    feature: feature.clone(),
                    request: input.request.clone(),
                    task,
                    branch: branch.as_ref().map(|_| branch_name.clone()),
                    head: head.clone(),
                    policy: input.policy.clone(),
                    card: input.card.clone(),
                };
                let options = ChildWorkflowOptions::workflow_id(format!("{feature}/task-{id}"));
                wave.push(async move {
                    let started = ctx
                        .start_child_workflow(TaskExecution::run, child_input, options)
                        .await
                        .map_err(|e| child_error("could not start the task", e))?;
                    started
                        .result()
                        .await
                        .map_err(|e| format!("the task failed: {}", child_failure_text(&e)))
                });
            }
            let outcomes = futures::future::join_all(wave).await;
            for (id, outcome) in ready.iter().zip(outcomes) {
                // Commits go one at a time, in plan order: writes to one branch must not race.
                let outcome = match (outcome, &repository, &branch) {
                    (Ok(mut r), Some(repo), Some(_)) if !r.changes.is_empty() => {
                        let req = lifecycle::req_id(&feature);
                        let spec = CommitSpec {
                            repository: repo.clone(),
                            branch: branch_name.clone(),
                            message: format!(
                                "feat({req}): {}\n\nRequirement: {req}\nTask: {}",
                                r.title, r.id
                            ),
                            files: std::mem::take(&mut r.changes),
                        };
                        ctx.execute_activity(GitHubActivities::commit, spec, options::github())
                            .await
                            .map(|sha| {
                                head = Some(sha);
                                r
                            })
                            .map_err(|e| format!("could not commit: {}", failure_text(&e)))
                    }
                    (Ok(mut r), ..) => {
                        r.changes.clear();
                        Ok(r)
                    }
                    (Err(e), ..) => Err(e),
                };
                match outcome {
                    Ok(r) => {
                        results.push(r);
                        done.insert(id.clone());
                    }
                    Err(e) => {
                        let summary = format!("task {id} failed: {e}");
                        escalate(
                            ctx,
                            input.card.as_ref(),
                            input.policy.escalation.as_deref(),
                            &summary,
                        )
                        .await;
                        let mut evidence = input.evidence;
                        evidence.tasks = results;
                        return Ok(PhaseResult {
                            passed: false,
                            summary,
                            evidence,
                        });
                    }
                }
            }
        }
        let mut evidence = input.evidence.clone();
        evidence.tasks = results;
        evidence.issue = issue;

        // The pull request, labelled.
        if let (Some(repo), Some(b)) = (&repository, &branch) {
            let req = lifecycle::req_id(&feature);
            let spec = PullRequestSpec {
                repository: repo.clone(),
                branch: branch_name.clone(),
                title: format!(
                    "feat({req}): {}",
                    input.request.request.chars().take(72).collect::<String>()
                ),
                body: lifecycle::describe_pull_request(&feature, &input.request.request, &evidence),
                commit_message: String::new(),
                files: Vec::new(),
            };
            let pr = match ctx
                .execute_activity(GitHubActivities::open_pull_request, spec, options::github())
                .await
            {
                Ok(pr) => pr,
                Err(e) => {
                    return Ok(PhaseResult {
                        passed: false,
                        summary: child_error("could not open the pull request", e),
                        evidence,
                    });
                }
            };
            let labels = LabelSpec {
                repository: repo.clone(),
                number: pr.number,
                labels: vec![
                    "chatops".to_owned(),
                    req.clone(),
                    format!(
                        "priority:{}",
                        serde_json::to_value(input.request.priority)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_owned))
                            .unwrap_or_default()
                    ),
                ],
            };
            if let Err(e) = ctx
                .execute_activity(GitHubActivities::label, labels, options::github())
                .await
            {
                tracing::warn!(error = %e, "could not label the pull request");
            }
            if !input.policy.reviewers.is_empty() {
                let spec = ReviewersSpec {
                    repository: repo.clone(),
                    number: pr.number,
                    reviewers: input.policy.reviewers.clone(),
                };
                if let Err(e) = ctx
                    .execute_activity(GitHubActivities::request_reviewers, spec, options::github())
                    .await
                {
                    tracing::warn!(error = %e, "could not request reviewers");
                }
            }
            if let Some(n) = issue {
                let spec = CommentSpec {
                    repository: repo.clone(),
                    number: n,
                    marker: "pull-request".to_owned(),
                    body: format!("Pull request: #{}", pr.number),
                };
                if let Err(e) = ctx
                    .execute_activity(GitHubActivities::comment, spec, options::github())
                    .await
                {
                    tracing::warn!(error = %e, "could not comment on the issue");
                }
            }
            note(
                ctx,
                input.card.as_ref(),
                ":arrow_heading_up:",
                &format!("Pull request <{}|#{}> opened.", pr.url, pr.number),
            )
            .await;
            evidence.pull_request = Some(PullInfo {
                repository: repo.clone(),
                branch: branch_name.clone(),
                number: pr.number,
                url: pr.url,
                head_sha: pr.head_sha,
                base_sha: b.base_sha.clone(),
                merged: false,
            });
        }

        // The review.
        let review_input = PhaseInput {
            evidence: evidence.clone(),
            ..input.clone()
        };
        let review = match ctx
            .start_child_workflow(
                CodeReview::run,
                review_input,
                ChildWorkflowOptions::workflow_id(format!("{feature}/review")),
            )
            .await
        {
            Ok(started) => started.result().await.map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        match review {
            Ok(r) => evidence = r.evidence,
            Err(e) => tracing::warn!(error = %e, "code review failed"),
        }
        let summary = format!("{} tasks done", evidence.tasks.len());
        Ok(PhaseResult {
            passed: true,
            summary,
            evidence,
        })
    }

    #[signal(name = signals::name::PAUSE)]
    pub fn pause(&mut self, _ctx: &mut SyncWorkflowContext<Self>, payload: Value) {
        read_control(signals::PAUSE, payload);
        self.paused = true;
    }

    #[signal(name = signals::name::RESUME)]
    pub fn resume(&mut self, _ctx: &mut SyncWorkflowContext<Self>, payload: Value) {
        read_control(signals::RESUME, payload);
        self.paused = false;
    }
}

/// One task: the agent writes the change (primary, then alternative), it is committed with a
/// conventional message carrying the requirement and task ids.
#[workflow]
pub struct TaskExecution {
    input: TaskInput,
}

#[workflow_methods]
impl TaskExecution {
    #[init]
    pub fn new(_ctx: &WorkflowContextView, input: TaskInput) -> Self {
        Self { input }
    }

    #[run(name = workflows::TASK_EXECUTION)]
    pub async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<TaskResult> {
        let input = ctx.state(|s| s.input.clone());
        let task = input.task.clone();
        if !(input.policy.has_agent()) {
            note(
                ctx,
                input.card.as_ref(),
                ":hammer_and_wrench:",
                &format!(
                    "Task `{}`: no agent is configured, so no code was generated.",
                    task.id
                ),
            )
            .await;
            return Ok(TaskResult {
                id: task.id,
                title: task.title,
                agent: "none".to_owned(),
                files: Vec::new(),
                attempts: Vec::new(),
                changes: Vec::new(),
            });
        }
        let mut asked =
            json!({"request": input.request.request, "task": task, "branch": input.branch});
        // The agent works in a checkout of the branch head.
        if let (Some(repository), Some(head)) = (&input.policy.repository, &input.head)
            && ctx.patched(AGENT_WORKSPACE)
        {
            asked["workspace"] = json!({"repository": repository, "sha": head});
        }
        let (answer, agent, attempts) =
            match ask(ctx, &input.policy, &input.feature, AgentKind::Code, asked).await {
                Ok(ok) => ok,
                Err(failures) => {
                    return Err(fail(format!(
                        "task {} failed on every agent: {}",
                        task.id,
                        failures.join("; ")
                    )));
                }
            };
        #[derive(Deserialize)]
        struct Code {
            changes: Vec<chatops_contract::incident::FileChange>,
        }
        let code: Code = serde_json::from_value(answer)
            .map_err(|e| fail(format!("task {}: unreadable change: {e}", task.id)))?;
        let files: Vec<String> = code.changes.iter().map(|c| c.path.clone()).collect();
        let via = if attempts.is_empty() {
            String::new()
        } else {
            format!(" after {} failed attempt(s)", attempts.len())
        };
        note(
            ctx,
            input.card.as_ref(),
            ":hammer_and_wrench:",
            &format!(
                "Task `{}` done by the {agent} agent{via}: {}",
                task.id,
                files.join(", ")
            ),
        )
        .await;
        Ok(TaskResult {
            id: task.id,
            title: task.title,
            agent,
            files,
            attempts,
            changes: code.changes,
        })
    }
}
