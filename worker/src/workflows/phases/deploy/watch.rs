//! The deploy and the health watch of a deployment child: merge (production, when enabled),
//! deploy, sample health until the window closes, and hand over to the rollback saga when the
//! deploy fails, health turns bad or someone asks.

use chatops_contract::feature::Environment;
use chatops_contract::lifecycle::{Evidence, HealthSample, TriggerRollback};
use std::time::Duration;
use temporalio_sdk::WorkflowContext;

use super::rollback::rollback_saga;
use super::{Watch, set_report, short_sha};
use crate::activities::delivery::{DeliveryActivities, DeployRequest, StepReport};
use crate::activities::github::{DeploymentSpec, GitHubActivities, LiveSpec, MergeSpec};
use crate::activities::quality::{QualityActivities, QualityAsk};
use crate::domain::lifecycle::{self, Baseline, HealthRules};
use crate::workflows::clock;
use crate::workflows::notes::note;
use crate::workflows::options;
use crate::workflows::phases::{PhaseInput, PhaseResult, hold_while_paused};
use chatops_contract::feature::MessageRef;
use chatops_contract::quality::QualityCheck;

/// Patch: a merge asks the watch of the repository's default branch to look again.
const QUALITY_AFTER_MERGE: &str = "quality-after-merge";

/// Thread notes go to an outbox beside the watch (runs recorded before it post in line).
const OUTBOX: &str = "deploy-notes-outbox";

/// Where a deployment child's thread notes go: queued for the outbox, so that neither the
/// health watch nor the rollback ever waits for Slack, or posted in line as runs recorded
/// before the outbox did.
pub(super) struct Notes<'a, W> {
    card: Option<&'a MessageRef>,
    queued: bool,
    watch_mut: fn(&mut W) -> &mut Watch,
}

impl<W> Notes<'_, W> {
    /// Says `text` in the feature's thread.
    pub(super) async fn say(&self, ctx: &WorkflowContext<W>, emoji: &'static str, text: String) {
        if self.queued {
            let watch_mut = self.watch_mut;
            ctx.state_mut(|s| watch_mut(s).notes.push_back((emoji, text)));
        } else {
            note(ctx, self.card, emoji, &text).await;
        }
    }
}

/// A deployment child: deploy, watch and roll back, with the thread notes posted beside them;
/// it ends once every note is out.
pub(super) async fn run<W>(
    ctx: &WorkflowContext<W>,
    input: &PhaseInput,
    environment: Environment,
    watch: fn(&W) -> &Watch,
    watch_mut: fn(&mut W) -> &mut Watch,
) -> PhaseResult {
    let card = input.card.as_ref();
    let queued = ctx.patched(OUTBOX);
    let notes = Notes {
        card,
        queued,
        watch_mut,
    };
    if !queued {
        return deploy_and_watch(ctx, input, environment, watch, watch_mut, &notes).await;
    }
    let main = async {
        let result = deploy_and_watch(ctx, input, environment, watch, watch_mut, &notes).await;
        ctx.state_mut(|s| watch_mut(s).closing = true);
        result
    };
    let (result, ()) = temporalio_sdk::workflows::join!(main, outbox(ctx, card, watch, watch_mut));
    result
}

/// Posts queued notes one at a time, in order, until the child is done and none is left.
async fn outbox<W>(
    ctx: &WorkflowContext<W>,
    card: Option<&MessageRef>,
    watch: fn(&W) -> &Watch,
    watch_mut: fn(&mut W) -> &mut Watch,
) {
    loop {
        let ready = ctx
            .wait_condition(move |s: &W| !watch(s).notes.is_empty() || watch(s).closing)
            .await;
        if ready.is_err() {
            return; // cancelled
        }
        let Some((emoji, text)) = ctx.state_mut(|s| watch_mut(s).notes.pop_front()) else {
            return;
        };
        note(ctx, card, emoji, &text).await;
    }
}

/// Deploy, watch, and roll back when sick; shared by staging and production.
async fn deploy_and_watch<W>(
    ctx: &WorkflowContext<W>,
    input: &PhaseInput,
    environment: Environment,
    watch: fn(&W) -> &Watch,
    watch_mut: fn(&mut W) -> &mut Watch,
    notes: &Notes<'_, W>,
) -> PhaseResult {
    let policy = &input.policy;
    let (target, label) = match environment {
        Environment::Production => (&policy.production, "Production"),
        Environment::Staging => (&policy.staging, "Staging"),
    };
    let mut evidence = input.evidence.clone();
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
        return not_deployed(environment, &t, evidence);
    }

    // Production merges first when allowed, and deploys the merge commit.
    if environment == Environment::Production
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
            // Only the commit that passed the gates is merged.
            sha: Some(pr.head_sha.clone()).filter(|s| !s.is_empty()),
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
                notes
                    .say(
                        ctx,
                        ":twisted_rightwards_arrows:",
                        format!("Pull request #{} squash-merged.", pr.number),
                    )
                    .await;
                // A watched default branch is checked again now that chatops merged into it
                // (runs recorded before did not ask).
                if ctx.patched(QUALITY_AFTER_MERGE) {
                    let ask = QualityAsk {
                        repository: pr.repository.clone(),
                        check: QualityCheck {
                            reason: format!("merge of {}", input.feature),
                            sha: Some(sha.clone()),
                        },
                    };
                    if let Err(e) = ctx
                        .execute_activity(QualityActivities::ask, ask, options::slack())
                        .await
                    {
                        tracing::warn!(error = %e, "could not ask for a quality check after the merge");
                    }
                }
            }
            Err(e) => {
                return PhaseResult {
                    passed: false,
                    summary: format!(
                        "could not merge the pull request: {}",
                        crate::workflows::notes::failure_text(&e)
                    ),
                    evidence,
                };
            }
        }
    }

    if !target.deploy && !target.health {
        let summary = format!(
            "No {environment} deploy or health check is configured, so nothing was deployed or watched."
        );
        notes.say(ctx, ":warning:", summary.clone()).await;
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
        return not_deployed(environment, &t, evidence);
    }
    // What runs there now is what a rollback redeploys.
    let live = ctx.patched(LIVE_COMMIT);
    let record = input.policy.repository.clone().filter(|_| live);
    let mut previous = previous;
    if live {
        match live_before(ctx, input, environment).await {
            Some((live, source)) => {
                previous = live;
                notes
                    .say(
                        ctx,
                        ":bookmark:",
                        format!(
                            "{label} runs `{}` before this deploy ({source}); a rollback redeploys it.",
                            short_sha(&previous)
                        ),
                    )
                    .await;
            }
            None => {
                notes
                    .say(
                        ctx,
                        ":warning:",
                        format!(
                            "No commit is known to run on {environment} yet (no CHATOPS__DEPLOY__{}_VERSION_URL, and no earlier successful deploy recorded on GitHub); a rollback would redeploy the branch's base `{}`.",
                            environment.as_str().to_uppercase(),
                            short_sha(&previous)
                        ),
                    )
                    .await;
            }
        }
    }
    let request = DeployRequest {
        environment: environment.to_string(),
        sha: sha.clone(),
        feature: input.feature.clone(),
    };
    ctx.state_mut(|s| {
        let r = &mut watch_mut(s).report;
        r.environment = environment.to_string();
        r.sha = sha.clone();
    });
    let baseline = if target.metrics {
        match ctx
            .execute_activity(
                DeliveryActivities::probe,
                environment.to_string(),
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
            changes: Vec::new(),
        });
    notes
        .say(
            ctx,
            if deployed.ok { ":rocket:" } else { ":boom:" },
            format!(
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
            notes.say(ctx, ":eyes:", format!(
                    "Watching {environment} longer: {extended}s added in all (last asked by <@{by}>)."
                )).await;
        }
        let window = Duration::from_millis(target.window_ms) + ctx.state(|s| watch(s).extra);
        if notes.queued {
            // The window is counted in probes taken, so time lost to a stalled worker or
            // server never counts as healthy.
            let needed = window.as_millis().div_ceil(interval.as_millis()).max(1);
            let taken = ctx.state(|s| watch(s).report.samples.len()) as u128;
            if taken >= needed {
                break;
            }
        } else {
            let elapsed = ctx
                .workflow_time()
                .and_then(|t| t.duration_since(started).ok())
                .unwrap_or_default();
            if elapsed >= window {
                break;
            }
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
                environment.to_string(),
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
            notes
                .say(
                    ctx,
                    ":warning:",
                    format!(
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
        let steps = rollback_saga(ctx, input, environment, &previous, &why, notes).await;
        if let Some(repository) = &record {
            record_deploy(ctx, input, repository, environment, &sha, "failure", &why).await;
        }
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
    if let Some(repository) = &record {
        let how = format!("healthy for {} checks", report.samples.len());
        record_deploy(ctx, input, repository, environment, &sha, "success", &how).await;
    }
    let summary = format!("{environment} healthy for {} checks", report.samples.len());
    notes
        .say(
            ctx,
            ":white_check_mark:",
            format!("{label} stayed healthy ({} checks).", report.samples.len()),
        )
        .await;
    set_report(&mut evidence, environment, report);
    PhaseResult {
        passed: true,
        summary,
        evidence,
    }
}

/// Patch: the commit that runs before a deploy is read (version URL, else GitHub's last
/// successful deployment) and is what a rollback redeploys; each deploy is recorded on GitHub.
const LIVE_COMMIT: &str = "live-commit";

/// The commit the environment runs now, and where that was read.
async fn live_before<W>(
    ctx: &WorkflowContext<W>,
    input: &PhaseInput,
    environment: Environment,
) -> Option<(String, &'static str)> {
    match ctx
        .execute_activity(
            DeliveryActivities::live_commit,
            environment.to_string(),
            options::short(),
        )
        .await
    {
        Ok(Some(sha)) => return Some((sha, "from its version URL")),
        Ok(None) => {}
        Err(e) => tracing::warn!(error = %e, "could not read the version URL"),
    }
    let repository = input.policy.repository.clone()?;
    let spec = LiveSpec {
        repository,
        environment: environment.to_string(),
    };
    match ctx
        .execute_activity(GitHubActivities::live_deployment, spec, options::github())
        .await
    {
        Ok(Some(sha)) => Some((sha, "its last successful deploy, as recorded on GitHub")),
        Ok(None) => None,
        Err(e) => {
            tracing::warn!(error = %e, "could not read the deployments on GitHub");
            None
        }
    }
}

/// Records the deploy of `sha` and how it went on GitHub; a failure is only logged.
async fn record_deploy<W>(
    ctx: &WorkflowContext<W>,
    input: &PhaseInput,
    repository: &str,
    environment: Environment,
    sha: &str,
    state: &str,
    how: &str,
) {
    let spec = DeploymentSpec {
        repository: repository.to_owned(),
        environment: environment.to_string(),
        sha: sha.to_owned(),
        feature: input.feature.clone(),
        state: state.to_owned(),
        description: how.to_owned(),
    };
    if let Err(e) = ctx
        .execute_activity(GitHubActivities::record_deployment, spec, options::github())
        .await
    {
        tracing::warn!(error = %e, "could not record the deployment on GitHub");
    }
}

/// The result of a deployment stopped before it deployed anything.
fn not_deployed(
    environment: Environment,
    why: &TriggerRollback,
    evidence: Evidence,
) -> PhaseResult {
    PhaseResult {
        passed: false,
        summary: format!(
            "{environment} was not deployed: {} (asked by {})",
            why.reason, why.user
        ),
        evidence,
    }
}
