//! `CodeMigration`: analysis → an ordered plan of steps → incremental (validate each, stop at
//! the first failure) or batch execution → rollback of what ran, newest first, on failure →
//! a report. `pause_migration` / `resume_migration` hold it between steps; `progress` shows
//! every step.

use chatops_blocks::feature as blocks;
use chatops_contract::feature::MessageRef;
use chatops_contract::feature::{Approve, Reject};
use chatops_contract::lifecycle::{
    MigrationMode, MigrationProgress, MigrationRequest, MigrationStep, StepProgress, StepStatus,
};
use chatops_contract::{queries, signals, updates, workflows};
use serde_json::json;
use std::time::Duration;
use temporalio_common::RetryPolicy;
use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::{
    ActivityOptions, SyncWorkflowContext, WorkflowContext, WorkflowContextView, WorkflowResult,
};

use crate::activities::delivery::{
    AgentAsk, AgentKind, CommandRun, DeliveryActivities, StepReport, WorkspaceAt,
};
use crate::activities::github::{BranchSpec, GitHubActivities};
use crate::activities::slack::{PostMessage, SlackActivities};
use crate::domain::lifecycle;
use crate::workflows::notes::{self, failure_text};
use crate::workflows::options;
use crate::workflows::signals::decode;

mod branch;
mod plan_gate;

use branch::{Branch, MIGRATION_WORKSPACE, at};
use plan_gate::{PLAN_GATE, PlanGate};

/// Seconds one step command, validation or rollback may run.
const STEP_TIMEOUT_SECS: u64 = 1800;

/// The migration workflow.
#[workflow]
pub struct CodeMigration {
    input: MigrationRequest,
    progress: MigrationProgress,
    card: Option<MessageRef>,
    /// The approval an agent's plan waits for.
    plan_gate: PlanGate,
}

#[workflow_methods]
impl CodeMigration {
    #[init]
    pub fn new(_ctx: &WorkflowContextView, input: MigrationRequest) -> Self {
        Self {
            input,
            progress: MigrationProgress {
                stage: "analysis".to_owned(),
                ..MigrationProgress::default()
            },
            card: None,
            plan_gate: PlanGate::default(),
        }
    }

    #[run(name = workflows::CODE_MIGRATION)]
    pub async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<MigrationProgress> {
        let ctx: &WorkflowContext<Self> = ctx;
        let input = ctx.state(|s| s.input.clone());
        let id = ctx.workflow_id().to_owned();
        if let Some(channel) = &input.channel {
            let root = blocks::thread_note(
                ":building_construction:",
                &format!(
                    "*Migration* `{id}`: {} (asked by <@{}>, {} mode)",
                    chatops_blocks::escape(&input.description),
                    input.requester,
                    match input.mode {
                        MigrationMode::Incremental => "incremental",
                        MigrationMode::Batch => "batch",
                    }
                ),
            );
            if let Ok(ts) = ctx
                .execute_activity(
                    SlackActivities::post_message,
                    PostMessage::of(channel, None, root),
                    options::short(),
                )
                .await
            {
                ctx.state_mut(|s| {
                    s.card = Some(MessageRef {
                        channel: channel.clone(),
                        ts,
                    })
                });
            }
        }

        // Analysis and plan: the steps given, or the agent's.
        let mut command_lines = serde_json::Map::new();
        let steps = if input.steps.is_empty() {
            let asked = AgentAsk {
                kind: AgentKind::Migration.as_str().to_owned(),
                feature: id.clone(),
                alternative: false,
                input: json!({"description": input.description, "repository": input.repository}),
            };
            match ctx
                .execute_activity(
                    DeliveryActivities::ask_agent,
                    asked,
                    ActivityOptions::with_start_to_close_timeout(Duration::from_secs(300))
                        .retry_policy(RetryPolicy::builder().maximum_attempts(3).build())
                        .build(),
                )
                .await
            {
                Ok(v) => {
                    command_lines = v["command_lines"].as_object().cloned().unwrap_or_default();
                    serde_json::from_value::<Vec<MigrationStep>>(v["steps"].clone())
                        .unwrap_or_default()
                }
                Err(e) => {
                    let why = format!(
                        "no steps were given and the agent could not plan them: {}",
                        failure_text(&e)
                    );
                    return Ok(Self::finish(ctx, "failed", why).await);
                }
            }
        } else {
            input.steps.clone()
        };
        if let Err(why) = lifecycle::validate_steps(&steps) {
            return Ok(Self::finish(ctx, "failed", why).await);
        }
        ctx.state_mut(|s| {
            s.progress.steps = steps
                .iter()
                .map(|st| StepProgress {
                    id: st.id.clone(),
                    description: st.description.clone(),
                    status: StepStatus::Pending,
                    output: Vec::new(),
                })
                .collect();
            s.progress.stage = "executing".to_owned();
        });
        let plan: Vec<String> = steps
            .iter()
            .map(|st| format!("• `{}` {}", st.id, chatops_blocks::escape(&st.description)))
            .collect();
        Self::note(
            ctx,
            ":clipboard:",
            &format!("Plan, {} steps:\n{}", steps.len(), plan.join("\n")),
        )
        .await;
        // An agent's plan runs only after a person has seen its command lines and approved.
        if input.steps.is_empty()
            && ctx.patched(PLAN_GATE)
            && let Err(why) = Self::plan_approved(ctx, &input, &steps, &command_lines).await
        {
            return Ok(Self::finish(ctx, "failed", why).await);
        }

        // With a repository, the steps run in checkouts of a migration branch, each step's
        // change committed there, and the branch becomes a pull request.
        let mut branch = match &input.repository {
            Some(repository) if ctx.patched(MIGRATION_WORKSPACE) => {
                let name = format!("migration/{}", id.rsplit('-').next().unwrap_or(&id));
                let spec = BranchSpec {
                    repository: repository.clone(),
                    branch: name.clone(),
                };
                match ctx
                    .execute_activity(GitHubActivities::prepare_branch, spec, options::github())
                    .await
                {
                    Ok(b) => {
                        Self::note(
                            ctx,
                            ":seedling:",
                            &format!("Branch `{name}` on {repository}."),
                        )
                        .await;
                        Some(Branch {
                            repository: repository.clone(),
                            name,
                            head: b.head_sha,
                        })
                    }
                    Err(e) => {
                        let why = format!(
                            "could not prepare the migration branch: {}",
                            failure_text(&e)
                        );
                        return Ok(Self::finish(ctx, "failed", why).await);
                    }
                }
            }
            _ => None,
        };

        // Execution.
        let env = vec![
            ("CHATOPS_MIGRATION".to_owned(), id.clone()),
            (
                "CHATOPS_REPOSITORY".to_owned(),
                input.repository.clone().unwrap_or_default(),
            ),
        ];
        let mut ran: Vec<usize> = Vec::new();
        let mut failure: Option<String> = None;
        for (i, step) in steps.iter().enumerate() {
            if ctx.state(|s| s.progress.paused) {
                let stage = ctx
                    .state_mut(|s| std::mem::replace(&mut s.progress.stage, "paused".to_owned()));
                Self::note(
                    ctx,
                    ":double_vertical_bar:",
                    &format!("Paused before `{}`.", step.id),
                )
                .await;
                let _ = ctx.wait_condition(|s: &Self| !s.progress.paused).await;
                ctx.state_mut(|s| s.progress.stage = stage);
                Self::note(ctx, ":arrow_forward:", "Resumed.").await;
            }
            Self::set(ctx, i, StepStatus::Running, None);
            let done = Self::command(ctx, &step.command, &env, at(&branch)).await;
            ran.push(i);
            if !done.ok {
                Self::set(ctx, i, StepStatus::Failed, Some(done.output.clone()));
                failure = Some(format!("step {} failed: {}", step.id, done.output));
                break;
            }
            if let Err(why) =
                Self::commit(ctx, &mut branch, &id, step, "chore", done.changes.clone()).await
            {
                Self::set(ctx, i, StepStatus::Failed, Some(why.clone()));
                failure = Some(format!("step {} failed: {why}", step.id));
                break;
            }
            Self::set(ctx, i, StepStatus::Done, Some(done.output));
            if input.mode == MigrationMode::Incremental
                && let Some(why) = Self::validate(ctx, i, step, &env, at(&branch)).await
            {
                failure = Some(why);
                break;
            }
            Self::note(ctx, ":white_check_mark:", &format!("`{}` done.", step.id)).await;
        }
        if failure.is_none() && input.mode == MigrationMode::Batch {
            ctx.state_mut(|s| s.progress.stage = "validating".to_owned());
            for (i, step) in steps.iter().enumerate() {
                if let Some(why) = Self::validate(ctx, i, step, &env, at(&branch)).await {
                    failure = Some(why);
                    break;
                }
            }
        }

        // Rollback of everything that ran, newest first.
        if let Some(why) = failure {
            ctx.state_mut(|s| s.progress.stage = "rolling_back".to_owned());
            Self::note(
                ctx,
                ":rewind:",
                &format!(
                    "{}; rolling back {} step(s).",
                    chatops_blocks::escape(&why),
                    ran.len()
                ),
            )
            .await;
            for &i in ran.iter().rev() {
                let step = &steps[i];
                let Some(cmd) = &step.rollback else {
                    Self::append(ctx, i, "no rollback command; left as is".to_owned());
                    continue;
                };
                let undone = Self::command(ctx, cmd, &env, at(&branch)).await;
                let committed = if undone.ok {
                    Self::commit(
                        ctx,
                        &mut branch,
                        &id,
                        step,
                        "revert",
                        undone.changes.clone(),
                    )
                    .await
                } else {
                    Ok(())
                };
                if let Err(why) = committed {
                    Self::append(ctx, i, format!("rollback not committed: {why}"));
                } else if undone.ok {
                    Self::set(ctx, i, StepStatus::RolledBack, Some(undone.output));
                } else {
                    Self::append(ctx, i, format!("rollback failed: {}", undone.output));
                }
            }
            return Ok(Self::finish(ctx, "failed", why).await);
        }
        if let Some(b) = &branch {
            Self::open_pull_request(ctx, b, &input.description).await;
        }
        Ok(Self::finish(
            ctx,
            "done",
            format!("all {} steps done and validated", steps.len()),
        )
        .await)
    }

    #[signal(name = signals::name::PAUSE_MIGRATION)]
    pub fn pause_migration(
        &mut self,
        _ctx: &mut SyncWorkflowContext<Self>,
        payload: serde_json::Value,
    ) {
        if decode(signals::PAUSE_MIGRATION, payload, ignored).is_some() {
            self.progress.paused = true;
        }
    }

    #[signal(name = signals::name::RESUME_MIGRATION)]
    pub fn resume_migration(
        &mut self,
        _ctx: &mut SyncWorkflowContext<Self>,
        payload: serde_json::Value,
    ) {
        if decode(signals::RESUME_MIGRATION, payload, ignored).is_some() {
            self.progress.paused = false;
        }
    }

    #[signal(name = signals::name::APPROVE)]
    pub fn approve(&mut self, _ctx: &mut SyncWorkflowContext<Self>, payload: serde_json::Value) {
        if let Some(a) = decode(signals::APPROVE, payload, ignored) {
            match self.plan_gate.check(&a.gate, &a.user, true) {
                Ok(()) => self
                    .plan_gate
                    .decide(true, &a.user, a.comment.unwrap_or_default()),
                Err(why) => tracing::info!(user = %a.user, %why, "plan approval refused"),
            }
        }
    }

    #[signal(name = signals::name::REJECT)]
    pub fn reject(&mut self, _ctx: &mut SyncWorkflowContext<Self>, payload: serde_json::Value) {
        if let Some(r) = decode(signals::REJECT, payload, ignored) {
            match self.plan_gate.check(&r.gate, &r.user, false) {
                Ok(()) => self.plan_gate.decide(false, &r.user, r.reason),
                Err(why) => tracing::info!(user = %r.user, %why, "plan rejection refused"),
            }
        }
    }

    #[update_validator(approve_update)]
    fn validate_approve(
        &self,
        _ctx: &WorkflowContextView,
        a: &Approve,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        self.plan_gate
            .check(&a.gate, &a.user, true)
            .map_err(Into::into)
    }

    /// The `approve` update on the agent's plan: validated, then applied.
    #[update(name = updates::name::APPROVE)]
    pub fn approve_update(&mut self, _ctx: &mut SyncWorkflowContext<Self>, a: Approve) -> String {
        self.plan_gate
            .decide(true, &a.user, a.comment.unwrap_or_default());
        "approved".to_owned()
    }

    #[update_validator(reject_update)]
    fn validate_reject(
        &self,
        _ctx: &WorkflowContextView,
        r: &Reject,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        self.plan_gate
            .check(&r.gate, &r.user, false)
            .map_err(Into::into)
    }

    /// The `reject` update on the agent's plan: validated, then applied.
    #[update(name = updates::name::REJECT)]
    pub fn reject_update(&mut self, _ctx: &mut SyncWorkflowContext<Self>, r: Reject) -> String {
        self.plan_gate.decide(false, &r.user, r.reason);
        "rejected".to_owned()
    }

    #[query(name = queries::name::PROGRESS)]
    pub fn progress(&self, _ctx: &WorkflowContextView) -> MigrationProgress {
        self.progress.clone()
    }
}

impl CodeMigration {
    /// Runs a configured command once, in a checkout of `at` when given.
    async fn command(
        ctx: &WorkflowContext<Self>,
        command: &str,
        env: &[(String, String)],
        at: Option<WorkspaceAt>,
    ) -> StepReport {
        Self::run_command(ctx, command, env, at, false).await
    }

    /// Runs a configured command once, in a checkout of `at` when given; `read_only` drops
    /// what it leaves in the checkout.
    async fn run_command(
        ctx: &WorkflowContext<Self>,
        command: &str,
        env: &[(String, String)],
        at: Option<WorkspaceAt>,
        read_only: bool,
    ) -> StepReport {
        let run = CommandRun {
            command: command.to_owned(),
            env: env.to_vec(),
            timeout_secs: STEP_TIMEOUT_SECS,
            workspace: at,
            read_only,
        };
        // Run once: a step is not assumed safe to repeat.
        let options = ActivityOptions::with_start_to_close_timeout(Duration::from_secs(
            STEP_TIMEOUT_SECS + 60,
        ))
        .retry_policy(RetryPolicy::builder().maximum_attempts(1).build())
        .build();
        ctx.execute_activity(DeliveryActivities::run_command, run, options)
            .await
            .unwrap_or_else(|e| StepReport {
                ok: false,
                output: failure_text(&e),
                changes: Vec::new(),
            })
    }

    /// Runs the step's validation (in a checkout of the branch head, when there is one);
    /// `Some(why)` when it fails.
    async fn validate(
        ctx: &WorkflowContext<Self>,
        i: usize,
        step: &MigrationStep,
        env: &[(String, String)],
        at: Option<WorkspaceAt>,
    ) -> Option<String> {
        let cmd = step.validate.as_ref()?;
        let checked = Self::run_command(ctx, cmd, env, at, true).await;
        if checked.ok {
            Self::append(ctx, i, format!("validated: {}", checked.output));
            None
        } else {
            Self::set(
                ctx,
                i,
                StepStatus::Failed,
                Some(format!("validation failed: {}", checked.output)),
            );
            Some(format!(
                "step {} did not validate: {}",
                step.id, checked.output
            ))
        }
    }

    fn set(ctx: &WorkflowContext<Self>, i: usize, status: StepStatus, output: Option<String>) {
        ctx.state_mut(|s| {
            if let Some(p) = s.progress.steps.get_mut(i) {
                p.status = status;
                p.output.extend(output);
            }
        });
    }

    fn append(ctx: &WorkflowContext<Self>, i: usize, output: String) {
        ctx.state_mut(|s| {
            if let Some(p) = s.progress.steps.get_mut(i) {
                p.output.push(output);
            }
        });
    }

    async fn note(ctx: &WorkflowContext<Self>, emoji: &str, text: &str) {
        let card = ctx.state(|s| s.card.clone());
        notes::note(ctx, card.as_ref(), emoji, text).await;
    }

    /// Writes the report, posts it and returns the final progress.
    async fn finish(
        ctx: &WorkflowContext<Self>,
        stage: &str,
        summary: String,
    ) -> MigrationProgress {
        let report = ctx.state(|s| {
            let mut r = format!(
                "# Migration {}\n\n{}\n\nOutcome: **{stage}**: {summary}\n\n| step | status | last output |\n| --- | --- | --- |\n",
                ctx.workflow_id(),
                s.input.description
            );
            for st in &s.progress.steps {
                let status = serde_json::to_value(st.status)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default();
                let last = st
                    .output
                    .last()
                    .map(|o| o.replace('|', "\\|").replace('\n', " "))
                    .unwrap_or_default();
                r.push_str(&format!("| {} | {status} | {last} |\n", st.id));
            }
            r
        });
        ctx.state_mut(|s| {
            s.progress.stage = stage.to_owned();
            s.progress.report = Some(report.clone());
        });
        let emoji = if stage == "done" {
            ":tada:"
        } else {
            ":no_entry:"
        };
        Self::note(
            ctx,
            emoji,
            &format!("Migration {stage}: {}", chatops_blocks::escape(&summary)),
        )
        .await;
        ctx.state(|s| s.progress.clone())
    }
}

/// A pause or resume that does not decode changes nothing; the log says why.
fn ignored(e: chatops_contract::MalformedPayload) {
    tracing::warn!(error = %e, "migration signal ignored");
}
