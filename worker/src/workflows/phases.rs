//! The delivery phases, one child workflow each, started by `FeatureDelivery` with ids derived
//! from its own (`<parent>/<phase>`). Every child takes a [`PhaseInput`] (the request, the
//! policy, the evidence so far) and answers a [`PhaseResult`] (passed or not, why, the
//! evidence with its own findings added). Each posts its steps in the feature's thread.

use chatops_contract::feature::{FeatureRequest, MessageRef};
use chatops_contract::lifecycle::{
    Analysis, Control, DeployReport, Evidence, HealthSample, Plan, PlannedTask, PullInfo,
    QualityReport, Readiness, Review, TaskResult, TriggerRollback,
};
use chatops_contract::{Signal, queries, signals, workflows};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::time::Duration;
use temporalio_common::RetryPolicy;
use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::{
    ActivityOptions, ApplicationFailure, ChildWorkflowOptions, SyncWorkflowContext,
    WorkflowContext, WorkflowContextView, WorkflowResult,
};

use crate::activities::delivery::{
    AgentAsk, CheckRun, DeliveryActivities, DeployRequest, StepReport,
};
use crate::activities::github::{
    BranchSpec, CommentSpec, CommitSpec, GitHubActivities, IssueSpec, LabelSpec, MergeSpec,
    PullRequestSpec, ReviewersSpec, StatusSpec,
};
use crate::activities::policy::LifecyclePolicy;
use crate::lifecycle::{self, Baseline, HealthRules};
use crate::workflows::clock;
use crate::workflows::notes::{failure_text, mention_first, note};
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
    /// The lifecycle policy.
    pub policy: LifecyclePolicy,
    /// The feature's card.
    pub card: Option<MessageRef>,
}

// ---------------------------------------------------------------------------------------------
// Shared steps

/// Asks the agent for `kind`, climbing the escalation ladder: the primary agent (retried), then
/// the alternative. `Ok` carries the answer, which agent gave it and the failed attempts;
/// `Err` lists every failure (the raw answers included) for the human the caller escalates to.
async fn ask<W>(
    ctx: &WorkflowContext<W>,
    policy: &LifecyclePolicy,
    feature: &str,
    kind: &str,
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
            kind: kind.to_owned(),
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
        tracing::warn!(error = %e, "obeyed anyway");
    });
}

fn child_error(what: &str, e: impl std::fmt::Display) -> String {
    format!("{what}: {e}")
}

fn fail(text: String) -> temporalio_workflow::WorkflowTermination {
    ApplicationFailure::non_retryable(std::io::Error::other(text)).into()
}

// ---------------------------------------------------------------------------------------------
// RequirementIntake

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
            match ask(ctx, &input.policy, &input.feature, "analysis", asked).await {
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

// ---------------------------------------------------------------------------------------------
// TaskPlanning

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
            match ask(ctx, &input.policy, &input.feature, "plan", asked).await {
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
                    note(
                        ctx,
                        input.card.as_ref(),
                        ":sos:",
                        &format!(
                            "{}{}",
                            mention_first(input.policy.escalation.as_deref()),
                            chatops_blocks::escape(&summary)
                        ),
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

// ---------------------------------------------------------------------------------------------
// Development

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
                        .map_err(|e| child_error("the task failed", e))
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
                            .map(|_| r)
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
                        note(
                            ctx,
                            input.card.as_ref(),
                            ":sos:",
                            &format!(
                                "{}{}",
                                mention_first(input.policy.escalation.as_deref()),
                                chatops_blocks::escape(&summary)
                            ),
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
        let asked = json!({"request": input.request.request, "task": task, "branch": input.branch});
        let (answer, agent, attempts) =
            match ask(ctx, &input.policy, &input.feature, "code", asked).await {
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

/// The agent's review of the change, posted on the pull request.
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
        let asked = json!({
            "request": input.request.request,
            "tasks": evidence.tasks,
            "pull_request": evidence.pull_request,
        });
        let review = match ask(ctx, &input.policy, &input.feature, "review", asked).await {
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

// ---------------------------------------------------------------------------------------------
// Testing and QualityGate

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
                let asked = json!({
                    "request": input.request.request,
                    "check": check.name,
                    "output": result.output,
                    "branch": branch,
                });
                let Ok((answer, agent, _)) =
                    ask(ctx, &input.policy, &input.feature, "fix", asked).await
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
                let mut again = Self::check(ctx, &input, check, &branch, &sha).await;
                again.fixed = true;
                *result = again;
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
}

// ---------------------------------------------------------------------------------------------
// Deployments

/// What a deployment child holds between steps.
#[derive(Debug, Clone, Default)]
struct Watch {
    paused: bool,
    rollback: Option<TriggerRollback>,
    extra: Duration,
    report: DeployReport,
}

/// Deploy, watch, and roll back when sick; shared by staging and production.
async fn deploy_and_watch<W>(
    ctx: &WorkflowContext<W>,
    input: &PhaseInput,
    environment: &str,
    watch: fn(&W) -> &Watch,
    watch_mut: fn(&mut W) -> &mut Watch,
) -> PhaseResult {
    let policy = &input.policy;
    let target = if environment == "production" {
        &policy.production
    } else {
        &policy.staging
    };
    let mut evidence = input.evidence.clone();
    let label = if environment == "production" {
        "Production"
    } else {
        "Staging"
    };
    let mut sha = evidence
        .pull_request
        .as_ref()
        .map(|p| p.head_sha.clone())
        .unwrap_or_else(|| "unknown".to_owned());
    let previous = evidence
        .pull_request
        .as_ref()
        .map(|p| p.base_sha.clone())
        .unwrap_or_default();

    // Stopped before anything happened: nothing to deploy or roll back.
    if let Some(t) = ctx.state(|s| watch(s).rollback.clone()) {
        return PhaseResult {
            passed: false,
            summary: format!(
                "{environment} was not deployed: {} (asked by {})",
                t.reason, t.user
            ),
            evidence,
        };
    }

    // Production merges first when allowed, and deploys the merge commit.
    if environment == "production"
        && policy.auto_merge
        && let Some(pr) = evidence.pull_request.clone()
    {
        let spec = MergeSpec {
            repository: pr.repository.clone(),
            number: pr.number,
            title: format!(
                "feat({}): {} (#{})",
                lifecycle::req_id(&input.feature),
                input.request.request.chars().take(60).collect::<String>(),
                pr.number
            ),
        };
        match ctx
            .execute_activity(GitHubActivities::merge, spec, options::github())
            .await
        {
            Ok(merged) => {
                if !merged.is_empty() {
                    sha = merged;
                }
                if let Some(p) = evidence.pull_request.as_mut() {
                    p.merged = true;
                }
                note(
                    ctx,
                    input.card.as_ref(),
                    ":twisted_rightwards_arrows:",
                    &format!("Pull request #{} squash-merged.", pr.number),
                )
                .await;
            }
            Err(e) => {
                return PhaseResult {
                    passed: false,
                    summary: child_error("could not merge the pull request", e),
                    evidence,
                };
            }
        }
    }

    if !target.deploy && !target.health {
        let summary = format!(
            "No {environment} deploy or health check is configured, so nothing was deployed or watched."
        );
        note(ctx, input.card.as_ref(), ":warning:", &summary).await;
        return PhaseResult {
            passed: true,
            summary,
            evidence,
        };
    }
    // Paused before deploying; a rollback request ends the wait (and the deploy).
    hold_while_paused(ctx, move |s: &W| {
        watch(s).paused && watch(s).rollback.is_none()
    })
    .await;
    if let Some(t) = ctx.state(|s| watch(s).rollback.clone()) {
        return PhaseResult {
            passed: false,
            summary: format!(
                "{environment} was not deployed: {} (asked by {})",
                t.reason, t.user
            ),
            evidence,
        };
    }
    let request = DeployRequest {
        environment: environment.to_owned(),
        sha: sha.clone(),
        feature: input.feature.clone(),
    };
    ctx.state_mut(|s| {
        let r = &mut watch_mut(s).report;
        r.environment = environment.to_owned();
        r.sha = sha.clone();
    });
    let baseline = if target.metrics {
        match ctx
            .execute_activity(
                DeliveryActivities::probe,
                environment.to_owned(),
                options::short(),
            )
            .await
        {
            Ok(b) => Baseline {
                error_rate: b.error_rate,
                latency_ms: b.latency_ms,
            },
            Err(_) => Baseline::default(),
        }
    } else {
        Baseline::default()
    };
    let deployed = ctx
        .execute_activity(
            DeliveryActivities::deploy,
            request.clone(),
            options::deploy(),
        )
        .await
        .unwrap_or_else(|e| StepReport {
            ok: false,
            output: e.to_string(),
        });
    note(
        ctx,
        input.card.as_ref(),
        if deployed.ok { ":rocket:" } else { ":boom:" },
        &format!(
            "{label} deploy of `{}`: {}",
            short_sha(&sha),
            chatops_blocks::escape(&deployed.output)
        ),
    )
    .await;

    let rules = HealthRules {
        max_failures: policy.max_failures,
        error_rate_factor: policy.error_rate_factor,
        latency_factor: policy.latency_factor,
        sustain: 2,
    };
    let interval = Duration::from_millis(target.interval_ms.max(100));
    let mut reason: Option<String> = (!deployed.ok).then(|| "the deploy failed".to_owned());
    let started = clock::time_or_epoch(ctx);
    let mut failing_noted = false;
    let mut extension_noted = 0;
    while reason.is_none() {
        let (extended, by) = ctx.state(|s| {
            let r = &watch(s).report;
            (
                r.extended_secs,
                r.extended_by.last().cloned().unwrap_or_default(),
            )
        });
        if extended > extension_noted {
            extension_noted = extended;
            note(
                ctx,
                input.card.as_ref(),
                ":eyes:",
                &format!(
                    "Watching {environment} longer: {extended}s added in all (last asked by <@{by}>)."
                ),
            )
            .await;
        }
        let window = Duration::from_millis(target.window_ms) + ctx.state(|s| watch(s).extra);
        let elapsed = ctx
            .workflow_time()
            .and_then(|t| t.duration_since(started).ok())
            .unwrap_or_default();
        if elapsed >= window {
            break;
        }
        temporalio_sdk::workflows::select! {
            _ = ctx.timer(interval) => {}
            _ = ctx.wait_condition(move |s: &W| watch(s).rollback.is_some()) => {}
        };
        if let Some(t) = ctx.state(|s| watch(s).rollback.clone()) {
            reason = Some(format!("{} (asked by {})", t.reason, t.user));
            break;
        }
        hold_while_paused(ctx, move |s: &W| {
            watch(s).paused && watch(s).rollback.is_none()
        })
        .await;
        if let Some(t) = ctx.state(|s| watch(s).rollback.clone()) {
            reason = Some(format!("{} (asked by {})", t.reason, t.user));
            break;
        }
        let mut sample = match ctx
            .execute_activity(
                DeliveryActivities::probe,
                environment.to_owned(),
                options::short(),
            )
            .await
        {
            Ok(s) => s,
            Err(e) => HealthSample {
                at: String::new(),
                healthy: false,
                error_rate: None,
                latency_ms: None,
                detail: e.to_string(),
            },
        };
        sample.at = clock::now_or_epoch(ctx);
        if !sample.healthy && !failing_noted {
            failing_noted = true;
            note(
                ctx,
                input.card.as_ref(),
                ":warning:",
                &format!(
                    "{label} health check failed: {}",
                    chatops_blocks::escape(&sample.detail)
                ),
            )
            .await;
        }
        let samples = ctx.state_mut(|s| {
            let r = &mut watch_mut(s).report;
            r.samples.push(sample);
            r.samples.clone()
        });
        reason = lifecycle::judge(&samples, baseline, rules);
    }

    // A rollback asked for while the last check ran still counts.
    if reason.is_none()
        && let Some(t) = ctx.state(|s| watch(s).rollback.clone())
    {
        reason = Some(format!("{} (asked by {})", t.reason, t.user));
    }
    if let Some(why) = reason {
        let steps = rollback_saga(ctx, input, environment, &previous, &why).await;
        ctx.state_mut(|s| {
            let r = &mut watch_mut(s).report;
            r.healthy = false;
            r.rolled_back = Some(why.clone());
            r.rollback_steps = steps;
        });
        let report = ctx.state(|s| watch(s).report.clone());
        set_report(&mut evidence, environment, report);
        return PhaseResult {
            passed: false,
            summary: format!("{environment} rolled back: {why}"),
            evidence,
        };
    }
    ctx.state_mut(|s| watch_mut(s).report.healthy = true);
    let report = ctx.state(|s| watch(s).report.clone());
    let summary = format!("{environment} healthy for {} checks", report.samples.len());
    note(
        ctx,
        input.card.as_ref(),
        ":white_check_mark:",
        &format!("{label} stayed healthy ({} checks).", report.samples.len()),
    )
    .await;
    set_report(&mut evidence, environment, report);
    PhaseResult {
        passed: true,
        summary,
        evidence,
    }
}

/// The rollback saga: down-migration → redeploy the previous commit → verify → notify; every
/// step's outcome is recorded, and a failing step does not stop the ones after it.
async fn rollback_saga<W>(
    ctx: &WorkflowContext<W>,
    input: &PhaseInput,
    environment: &str,
    previous: &str,
    why: &str,
) -> Vec<String> {
    let card = input.card.as_ref();
    note(
        ctx,
        card,
        ":rewind:",
        &format!(
            "Rolling back {environment}: {}",
            chatops_blocks::escape(why)
        ),
    )
    .await;
    let mut steps = Vec::new();
    let request = DeployRequest {
        environment: environment.to_owned(),
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
        });
    steps.push(format!("down-migration: {}", step_word(&down)));
    let redeploy = if previous.is_empty() {
        StepReport {
            ok: false,
            output: "no previous commit is known; nothing to redeploy".to_owned(),
        }
    } else {
        ctx.execute_activity(DeliveryActivities::deploy, request, options::deploy())
            .await
            .unwrap_or_else(|e| StepReport {
                ok: false,
                output: e.to_string(),
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
            environment.to_owned(),
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
    note(
        ctx,
        card,
        ":leftwards_arrow_with_hook:",
        &format!(
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

fn set_report(e: &mut Evidence, environment: &str, report: DeployReport) {
    if environment == "production" {
        e.production = Some(report);
    } else {
        e.staging = Some(report);
    }
}

fn short_sha(sha: &str) -> &str {
    sha.get(..7).unwrap_or(sha)
}

macro_rules! deployment {
    ($name:ident, $type_name:expr, $env:literal) => {
        /// Deploys, watches health, and rolls back when sick. Signals `trigger_rollback`,
        /// `extend_monitoring`, `pause`, `resume`; query `status` (the deploy report so far).
        #[workflow]
        pub struct $name {
            input: PhaseInput,
            watch: Watch,
        }

        #[workflow_methods]
        impl $name {
            #[init]
            pub fn new(_ctx: &WorkflowContextView, input: PhaseInput) -> Self {
                Self {
                    input,
                    watch: Watch::default(),
                }
            }

            #[run(name = $type_name)]
            pub async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<PhaseResult> {
                let input = ctx.state(|s| s.input.clone());
                Ok(deploy_and_watch(
                    ctx,
                    &input,
                    $env,
                    |s: &Self| &s.watch,
                    |s: &mut Self| &mut s.watch,
                )
                .await)
            }

            #[signal(name = signals::name::TRIGGER_ROLLBACK)]
            pub fn trigger_rollback(
                &mut self,
                _ctx: &mut SyncWorkflowContext<Self>,
                payload: Value,
            ) {
                if self.watch.rollback.is_some() {
                    return;
                }
                // A rollback asked for is a rollback, even when its payload does not decode.
                let asked = decode(signals::TRIGGER_ROLLBACK, payload, |e| {
                    tracing::warn!(error = %e, "rolling back on a malformed trigger_rollback")
                });
                self.watch.rollback = Some(asked.unwrap_or_else(|| TriggerRollback {
                    user: "unknown".to_owned(),
                    reason: "rollback requested".to_owned(),
                }));
            }

            #[signal(name = signals::name::EXTEND_MONITORING)]
            pub fn extend_monitoring(
                &mut self,
                _ctx: &mut SyncWorkflowContext<Self>,
                payload: Value,
            ) {
                let Some(x) = decode(signals::EXTEND_MONITORING, payload, |e| {
                    tracing::warn!(error = %e, "extend_monitoring ignored")
                }) else {
                    return;
                };
                let secs = x.seconds.min(86_400);
                self.watch.extra += Duration::from_secs(secs);
                self.watch.report.extended_secs += secs;
                self.watch.report.extended_by.push(x.user);
            }

            #[signal(name = signals::name::PAUSE)]
            pub fn pause(&mut self, _ctx: &mut SyncWorkflowContext<Self>, payload: Value) {
                read_control(signals::PAUSE, payload);
                self.watch.paused = true;
                self.watch.report.paused = true;
            }

            #[signal(name = signals::name::RESUME)]
            pub fn resume(&mut self, _ctx: &mut SyncWorkflowContext<Self>, payload: Value) {
                read_control(signals::RESUME, payload);
                self.watch.paused = false;
                self.watch.report.paused = false;
            }

            #[query(name = queries::name::STATUS)]
            pub fn status(&self, _ctx: &WorkflowContextView) -> DeployReport {
                self.watch.report.clone()
            }
        }
    };
}

deployment!(StagingDeployment, workflows::STAGING_DEPLOYMENT, "staging");
deployment!(
    ProductionDeployment,
    workflows::PRODUCTION_DEPLOYMENT,
    "production"
);

// ---------------------------------------------------------------------------------------------
// ProductionReadiness

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
