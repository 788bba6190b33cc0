//! `ContinuousQuality`: one per watched repository. It runs the quality checks on the default
//! branch's head on a schedule and whenever it is asked (`check`: after a merge chatops made,
//! when a worker starts), keeps the score history, and posts to the delivery channel when the
//! score drops or a required check starts failing, naming the commit. A commit already checked
//! is not checked again; continue-as-new keeps the history bounded.

use chatops_contract::quality::{
    KEPT_POINTS, QualityCheck, QualityPoint, QualityTrend, QualityWatch,
};
use chatops_contract::{queries, signals, workflows};
use std::collections::VecDeque;
use std::time::{Duration, SystemTime};
use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::{
    ContinueAsNewOptions, SyncWorkflowContext, WorkflowContext, WorkflowContextView, WorkflowResult,
};

use crate::activities::delivery::CheckRun;
use crate::activities::github::GitHubActivities;
use crate::activities::policy::{PolicyActivities, QualityPolicy};
use crate::activities::slack::{PostMessage, SlackActivities};
use crate::domain::lifecycle;
use crate::workflows::clock::{self, Started, rfc3339};
use crate::workflows::options;
use crate::workflows::phases::run_check;
use crate::workflows::signals::decode;

/// Looks per run before the history continues as new.
const LOOKS_PER_RUN: u32 = 50;
/// Between scheduled looks when the policy does not say.
const DEFAULT_INTERVAL: Duration = Duration::from_secs(6 * 3600);
/// `check` signals kept waiting at most; more are one look anyway.
const MAX_ASKED: usize = 20;

/// The watcher of one repository's default branch.
#[workflow]
pub struct ContinuousQuality {
    watch: QualityWatch,
    /// `check` signals not looked at yet, oldest first.
    asked: VecDeque<QualityCheck>,
    now: SystemTime,
}

#[workflow_methods]
impl ContinuousQuality {
    #[init]
    pub fn new(ctx: &WorkflowContextView, watch: QualityWatch) -> Self {
        Self {
            watch,
            asked: VecDeque::new(),
            now: ctx.start_time().unwrap_or(SystemTime::UNIX_EPOCH),
        }
    }

    #[run(name = workflows::CONTINUOUS_QUALITY)]
    pub async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<QualityTrend> {
        let repository = ctx.state(|s| s.watch.repository.clone());
        let policy: QualityPolicy = ctx
            .execute_activity(
                PolicyActivities::quality,
                repository.clone(),
                options::slack(),
            )
            .await?;
        let interval = match policy.interval_ms {
            0 => DEFAULT_INTERVAL,
            ms => Duration::from_millis(ms),
        };
        let mut looks = 0;
        loop {
            let asked = ctx.state_mut(|s| s.asked.pop_front());
            let trigger = match asked {
                Some(c) => c.reason,
                None => {
                    temporalio_sdk::workflows::select! {
                        _ = ctx.timer(interval) => {}
                        _ = ctx.wait_condition(|s: &Self| !s.asked.is_empty()) => {}
                    };
                    match ctx.state_mut(|s| s.asked.pop_front()) {
                        Some(c) => c.reason,
                        None => "schedule".to_owned(),
                    }
                }
            };
            Self::look(ctx, &repository, &policy, trigger).await;
            looks += 1;
            if looks >= LOOKS_PER_RUN && ctx.state(|s| s.asked.is_empty()) {
                let carried = ctx.state(|s| s.watch.clone());
                ctx.continue_as_new(carried, ContinueAsNewOptions::default())?;
            }
        }
    }

    /// Look at the default branch now.
    #[signal(name = signals::name::CHECK)]
    pub fn check(&mut self, _ctx: &mut SyncWorkflowContext<Self>, payload: serde_json::Value) {
        let Some(c) = decode(
            signals::CHECK,
            payload,
            |e| tracing::warn!(error = %e.reason, "malformed check signal ignored"),
        ) else {
            return;
        };
        if self.asked.len() < MAX_ASKED {
            self.asked.push_back(c);
        }
    }

    #[query(name = queries::name::TREND)]
    pub fn trend(&self, _ctx: &WorkflowContextView) -> QualityTrend {
        QualityTrend {
            repository: self.watch.repository.clone(),
            points: self.watch.points.clone(),
            looks: self.watch.looks,
        }
    }
}

impl Started for ContinuousQuality {
    fn started(&self) -> SystemTime {
        self.now
    }
}

impl ContinuousQuality {
    /// One look: the default branch's head, checked unless it already was, compared with the
    /// last point, and any regression posted.
    async fn look(
        ctx: &WorkflowContext<Self>,
        repository: &str,
        policy: &QualityPolicy,
        trigger: String,
    ) {
        ctx.state_mut(|s| s.watch.looks += 1);
        let head = match ctx
            .execute_activity(
                GitHubActivities::default_head,
                repository.to_owned(),
                options::github(),
            )
            .await
        {
            Ok(h) => h,
            Err(e) => {
                tracing::warn!(%repository, error = %e, "could not read the default branch");
                return;
            }
        };
        let before = ctx.state(|s| s.watch.points.last().cloned());
        if before.as_ref().is_some_and(|b| b.sha == head.sha) || policy.checks.is_empty() {
            return;
        }
        let me = ctx.workflow_id().to_owned();
        let mut results = Vec::new();
        for chunk in policy.checks.chunks(lifecycle::MAX_PARALLEL_CHECKS) {
            let runs = chunk.iter().map(|check| {
                let run = CheckRun {
                    check: check.clone(),
                    feature: me.clone(),
                    repository: Some(repository.to_owned()),
                    branch: head.branch.clone(),
                    sha: head.sha.clone(),
                };
                run_check(ctx, run)
            });
            results.extend(futures::future::join_all(runs).await);
        }
        let failing = results
            .iter()
            .filter(|c| c.required && !c.passed)
            .map(|c| c.name.clone())
            .collect();
        let report = lifecycle::quality_verdict(results, policy.threshold, policy.min_coverage);
        let point = QualityPoint {
            at: rfc3339(clock::time(ctx)),
            branch: head.branch,
            sha: head.sha,
            score: report.score,
            failing,
            trigger,
        };
        ctx.state_mut(|s| {
            s.watch.points.push(point.clone());
            let over = s.watch.points.len().saturating_sub(KEPT_POINTS);
            s.watch.points.drain(..over);
        });
        let Some(why) = before.and_then(|b| lifecycle::regression(&b, &point)) else {
            return;
        };
        let text = format!(
            "Quality of `{repository}` on `{}` got worse at `{}` ({}): {why}. `/quality {repository}` shows the trend.",
            point.branch,
            point.sha.get(..12).unwrap_or(&point.sha),
            chatops_blocks::escape(&point.trigger),
        );
        let note = chatops_blocks::feature::thread_note(":chart_with_downwards_trend:", &text);
        let msg = PostMessage::of(&policy.channel, None, note);
        if let Err(e) = ctx
            .execute_activity(SlackActivities::post_message, msg, options::slack())
            .await
        {
            tracing::warn!(%repository, error = %e, "could not post a quality regression");
        }
    }
}
