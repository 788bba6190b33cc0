//! The phase children: each run to its end with `pause`/`resume` forwarded and, on a stop, a
//! deployment told to roll back; the delivery loop that runs them with the plan and production
//! gates between; and the release notes at the end.

use chatops_blocks::feature as blocks;
use chatops_contract::feature::GateName;
use chatops_contract::feature::{FeatureOutcome, Phase};
use chatops_contract::freeze::FreezeRequest;
use chatops_contract::lifecycle::{Control, TriggerRollback};
use chatops_contract::signals;
use futures::FutureExt as _;
use std::time::Duration;
use temporalio_common::WorkflowDefinition;
use temporalio_sdk::{
    ChildWorkflowOptions, SignalWorkflowOptions, WorkflowContext, WorkflowResult,
};

use super::FeatureDelivery;
use crate::activities::github::{BRANCH_MOVED, CloseIssueSpec, CommentSpec, GitHubActivities};
use crate::activities::policy::{FeaturePolicy, LifecyclePolicy};
use crate::workflows::clock::{self, rfc3339};
use crate::workflows::options;
use crate::workflows::phases::{
    Development, PhaseInput, PhaseResult, ProductionDeployment, ProductionReadiness,
    StagingDeployment, TaskPlanning, Testing,
};
use crate::workflows::signals::by_name;

/// How a phase child ended.
pub(super) enum PhaseRun {
    /// It finished; `passed` says whether the phase passed.
    Done(Box<PhaseResult>),
    /// It could not start or it failed.
    Failed(String),
    /// The emergency stop arrived while it ran (not a deployment: it is left to be
    /// terminated with the parent).
    Stopped,
}

/// Patch: a merge refused because the branch moved sends the feature back to testing.
const RETEST_MOVED_BRANCH: &str = "retest-moved-branch";
/// How many times a moved branch is tested again before the feature fails.
const MAX_RETESTS: u32 = 3;

impl FeatureDelivery {
    /// Runs one phase child to its end, forwarding `pause`/`resume` to it; on the emergency
    /// stop a deployment is told to roll back (and waited for), any other phase is left.
    pub(super) async fn run_phase<WD>(
        ctx: &WorkflowContext<Self>,
        id: &str,
        phase: Phase,
        workflow: WD,
        feedback: Option<String>,
    ) -> PhaseRun
    where
        WD: WorkflowDefinition<Input = PhaseInput, Output = PhaseResult> + 'static,
    {
        let suffix = match phase {
            Phase::Intake => "intake",
            Phase::Planning => "planning",
            Phase::Development => "development",
            Phase::Testing => "testing",
            Phase::Staging => "staging",
            Phase::ProductionReadiness => "readiness",
            Phase::Production => "production",
            _ => "phase",
        };
        let earlier = ctx.state(|s| s.state.children.iter().filter(|c| c.phase == phase).count());
        let child_id = if earlier == 0 {
            format!("{id}/{suffix}")
        } else {
            format!("{id}/{suffix}-{}", earlier + 1)
        };
        let type_name = workflow.name().to_owned();
        let input = ctx.state(|s| PhaseInput {
            feature: id.to_owned(),
            request: s.state.input.clone(),
            policy: s.life.clone().unwrap_or_default(),
            evidence: s.state.evidence.clone(),
            card: s.state.card.clone(),
            feedback,
        });
        ctx.state_mut(|s| s.state.child_started(&child_id, &type_name, phase));
        let started = match ctx
            .start_child_workflow(
                workflow,
                input,
                ChildWorkflowOptions::workflow_id(child_id.clone()),
            )
            .await
        {
            Ok(started) => started,
            Err(e) => {
                ctx.state_mut(|s| s.state.child_ended(&child_id, false));
                return PhaseRun::Failed(format!("could not start {type_name}: {e}"));
            }
        };
        let mut result = std::pin::pin!(started.result());
        let deploys = matches!(phase, Phase::Staging | Phase::Production);
        let forwards = deploys || phase == Phase::Development;
        let mut paused_sent = false;
        let mut stop_sent = false;
        enum Woke {
            Finished(Result<Box<PhaseResult>, String>),
            Pause,
            Stop,
        }
        loop {
            let (ps, ss) = (paused_sent, stop_sent);
            let mut stop_wait = std::pin::pin!(
                async move {
                    if ss {
                        std::future::pending::<()>().await;
                    } else {
                        let _ = ctx.wait_condition(|s: &Self| s.stop.is_some()).await;
                    }
                }
                .fuse()
            );
            let woke = temporalio_sdk::workflows::select! {
                r = result.as_mut() => Woke::Finished(r.map(Box::new).map_err(|e| e.to_string())),
                _ = stop_wait => Woke::Stop,
                _ = ctx.wait_condition(move |s: &Self| s.state.paused != ps) => Woke::Pause,
            };
            match woke {
                Woke::Finished(Ok(r)) => {
                    ctx.state_mut(|s| {
                        s.state.child_ended(&child_id, r.passed);
                        s.state.evidence = r.evidence.clone();
                    });
                    return PhaseRun::Done(r);
                }
                Woke::Finished(Err(e)) => {
                    ctx.state_mut(|s| s.state.child_ended(&child_id, false));
                    return PhaseRun::Failed(format!("{type_name} failed: {e}"));
                }
                Woke::Pause => {
                    paused_sent = !paused_sent;
                    if forwards {
                        let control = if paused_sent {
                            signals::PAUSE
                        } else {
                            signals::RESUME
                        };
                        let parent = Control {
                            user: "parent".to_owned(),
                            reason: None,
                        };
                        let (signal, payload) = by_name(control, &parent);
                        if let Err(e) = ctx
                            .external_workflow(child_id.clone(), None)
                            .signal(signal, payload, SignalWorkflowOptions::default())
                            .await
                        {
                            tracing::warn!(%child_id, error = %e, "could not forward pause/resume");
                        }
                    }
                }
                Woke::Stop => {
                    stop_sent = true;
                    if !deploys {
                        ctx.state_mut(|s| s.state.child_ended(&child_id, false));
                        return PhaseRun::Stopped;
                    }
                    let stop = ctx.state(|s| s.stop.clone()).unwrap_or(FreezeRequest {
                        user: "unknown".into(),
                        reason: String::new(),
                        scheduled: None,
                    });
                    let rollback = TriggerRollback {
                        user: stop.user,
                        reason: format!("emergency stop: {}", stop.reason),
                    };
                    let (signal, payload) = by_name(signals::TRIGGER_ROLLBACK, &rollback);
                    if let Err(e) = ctx
                        .external_workflow(child_id.clone(), None)
                        .signal(signal, payload, SignalWorkflowOptions::default())
                        .await
                    {
                        tracing::warn!(%child_id, error = %e, "could not ask for the rollback");
                    }
                }
            }
        }
    }

    /// The delivery phases after the intake gate, each a child workflow, with the plan and
    /// production gates between them.
    pub(super) async fn deliver(
        ctx: &WorkflowContext<Self>,
        id: &str,
        link: &str,
        policy: &FeaturePolicy,
        life: &LifecyclePolicy,
    ) -> WorkflowResult<FeatureOutcome> {
        let phases = ctx.state(|s| s.state.delivery_phases());
        let mut next = 0;
        let mut retests = 0;
        while let Some(&phase) = phases.get(next) {
            next += 1;
            if let Some(outcome) = Self::transition(ctx, id, link, policy, phase, true).await {
                return Ok(outcome);
            }
            if let Some(outcome) = Self::hold(ctx, id, link, phase).await {
                return Ok(outcome);
            }
            if let Some(outcome) = Self::deploy_window(ctx, id, link, policy, phase).await {
                return Ok(outcome);
            }
            let at = rfc3339(clock::time(ctx));
            ctx.state_mut(|s| s.state.enter(phase, &at, false));
            Self::report(ctx, id, link, blocks::phase_entered(phase, false)).await;
            let run = match phase {
                Phase::Planning => Self::run_phase(ctx, id, phase, TaskPlanning::run, None).await,
                Phase::Development => Self::run_phase(ctx, id, phase, Development::run, None).await,
                Phase::Testing => Self::run_phase(ctx, id, phase, Testing::run, None).await,
                Phase::Staging => {
                    Self::run_phase(ctx, id, phase, StagingDeployment::run, None).await
                }
                Phase::ProductionReadiness => {
                    Self::run_phase(ctx, id, phase, ProductionReadiness::run, None).await
                }
                Phase::Production => {
                    Self::run_phase(ctx, id, phase, ProductionDeployment::run, None).await
                }
                _ => continue,
            };
            match run {
                PhaseRun::Done(r) if r.passed => {}
                PhaseRun::Done(r) => {
                    if let Some(outcome) = Self::halt_if_stopped(ctx, id, link).await {
                        return Ok(outcome);
                    }
                    // The branch moved after it was tested: the new head is tested (and
                    // staged and approved) again rather than merged untested.
                    if phase == Phase::Production
                        && r.summary.contains(BRANCH_MOVED)
                        && retests < MAX_RETESTS
                        && ctx.patched(RETEST_MOVED_BRANCH)
                        && let Some(testing) = phases.iter().position(|p| *p == Phase::Testing)
                    {
                        retests += 1;
                        Self::report(
                            ctx,
                            id,
                            link,
                            blocks::thread_note(
                                ":leftwards_arrow_with_hook:",
                                &format!("{}; the new head goes back to testing.", r.summary),
                            ),
                        )
                        .await;
                        next = testing;
                        continue;
                    }
                    return Ok(Self::fail(ctx, id, link, phase, r.summary).await);
                }
                PhaseRun::Failed(why) => return Ok(Self::fail(ctx, id, link, phase, why).await),
                PhaseRun::Stopped => {
                    if let Some(outcome) = Self::halt_if_stopped(ctx, id, link).await {
                        return Ok(outcome);
                    }
                }
            }
            let gate = match phase {
                Phase::Planning => Some((
                    GateName::Plan,
                    life.plan_timeout_ms,
                    life.plan_escalate_ms,
                    true,
                )),
                Phase::ProductionReadiness => {
                    Some((GateName::Production, life.production_timeout_ms, 0, false))
                }
                _ => None,
            };
            if let Some((name, timeout_ms, escalate_ms, auto_approve)) = gate
                && let Some(outcome) = Self::decide_gate(
                    ctx,
                    id,
                    link,
                    phase,
                    name,
                    Duration::from_millis(timeout_ms.max(1)),
                    escalate_ms,
                    auto_approve,
                )
                .await
            {
                return Ok(outcome);
            }
        }
        if let Some(outcome) = Self::transition(ctx, id, link, policy, Phase::Complete, true).await
        {
            return Ok(outcome);
        }
        let at = rfc3339(clock::time(ctx));
        ctx.state_mut(|s| s.state.enter(Phase::Complete, &at, false));
        let summary = ctx.state(|s| {
            let e = &s.state.evidence;
            let mut parts = vec![format!("Delivered to {}", s.state.input.target_environment)];
            if let Some(pr) = &e.pull_request {
                parts.push(format!(
                    "pull request #{}{}",
                    pr.number,
                    if pr.merged { " merged" } else { " open" }
                ));
            }
            if let Some(q) = &e.quality {
                parts.push(format!("quality score {}", q.score));
            }
            format!("{}.", parts.join(", "))
        });
        Self::report(ctx, id, link, blocks::thread_note(":tada:", &summary)).await;
        // Runs recorded before release notes existed end without them.
        if ctx.patched("release-notes") {
            Self::publish_release_notes(ctx, id, link).await;
        }
        Ok(FeatureOutcome {
            phase: Phase::Complete,
            summary,
        })
    }

    /// Writes the release notes into the evidence and the thread; on GitHub, comments them on
    /// the tracking issue and closes it.
    async fn publish_release_notes(ctx: &WorkflowContext<Self>, id: &str, link: &str) {
        let notes = ctx.state(|s| {
            crate::domain::lifecycle::release_notes(id, &s.state.input.request, &s.state.evidence)
        });
        ctx.state_mut(|s| s.state.evidence.release_notes = Some(notes.clone()));
        Self::report(
            ctx,
            id,
            link,
            blocks::thread_note(
                ":memo:",
                &format!("Release notes:\n{}", chatops_blocks::escape(&notes)),
            ),
        )
        .await;
        let target = ctx.state(|s| {
            let e = &s.state.evidence;
            e.issue
                .zip(e.pull_request.as_ref().map(|p| p.repository.clone()))
        });
        let Some((number, repository)) = target else {
            return;
        };
        let comment = CommentSpec {
            repository: repository.clone(),
            number,
            marker: "release-notes".to_owned(),
            body: notes,
        };
        if let Err(e) = ctx
            .execute_activity(GitHubActivities::comment, comment, options::github())
            .await
        {
            Self::record_failure(ctx, format!("could not post the release notes: {e}"));
            return;
        }
        if let Err(e) = ctx
            .execute_activity(
                GitHubActivities::close_issue,
                CloseIssueSpec { repository, number },
                options::github(),
            )
            .await
        {
            Self::record_failure(ctx, format!("could not close issue #{number}: {e}"));
        }
    }

    /// Runs recorded before the lifecycle walk placeholder phases after the intake gate.
    pub(super) async fn placeholders(
        ctx: &WorkflowContext<Self>,
        id: &str,
        link: &str,
        policy: &FeaturePolicy,
        freeze_checks: bool,
    ) -> FeatureOutcome {
        let phase_time = Duration::from_millis(policy.phase_duration_ms);
        for phase in ctx.state(|s| s.state.delivery_phases()) {
            if let Some(outcome) =
                Self::transition(ctx, id, link, policy, phase, freeze_checks).await
            {
                return outcome;
            }
            let at = rfc3339(clock::time(ctx));
            ctx.state_mut(|s| s.state.enter(phase, &at, true));
            Self::report(ctx, id, link, blocks::phase_entered(phase, true)).await;
            if !phase_time.is_zero() {
                temporalio_sdk::workflows::select! {
                    _ = ctx.timer(phase_time) => {}
                    _ = ctx.wait_condition(|s: &Self| s.stop.is_some()) => {}
                };
            }
        }
        if let Some(outcome) =
            Self::transition(ctx, id, link, policy, Phase::Complete, freeze_checks).await
        {
            return outcome;
        }
        let at = rfc3339(clock::time(ctx));
        ctx.state_mut(|s| s.state.enter(Phase::Complete, &at, false));
        let summary = "Delivered. The phases after intake were placeholders.".to_owned();
        Self::report(ctx, id, link, blocks::thread_note(":tada:", &summary)).await;
        FeatureOutcome {
            phase: Phase::Complete,
            summary,
        }
    }
}
