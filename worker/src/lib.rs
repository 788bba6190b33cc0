//! The chatops worker: hosts every workflow and activity.
//!
//! `main.rs` loads settings and calls [`run`]; tests and benchmarks run the same binary.

pub mod activities;
pub mod domain;
mod operations;
pub mod workflows;

use anyhow::Context as _;
use chatops_common::{Settings, telemetry::SharedSubscriber};
use std::future::Future;
use temporalio_client::Client;
use temporalio_common::telemetry::TelemetryOptions;
use temporalio_sdk::runtime::worker_tuner::{FixedSizeSlotSupplier, TunerHolder};
use temporalio_sdk::{Runtime, Worker, WorkerOptions, runtime::RuntimeOptions};

use activities::delivery::{DeliveryActivities, DeliveryConfig, DeployConfig};
use activities::freeze::FreezeActivities;
use activities::github::GitHubActivities;
use activities::incident::IncidentActivities;
use activities::policy::{DeployTarget, LifecyclePolicy, RepositoryPolicy};
use activities::policy::{FeaturePolicy, IncidentPolicy, PolicyActivities};
use activities::quality::QualityActivities;
use activities::slack::SlackActivities;
use chatops_common::settings::AgentBackend;
use chatops_common::settings::DeployEnvSettings;
use chatops_contract::incident::ConsensusPolicy;
use workflows::canary::{Canary, CanaryActivities, CanaryChild};
use workflows::continuous_monitoring::ContinuousMonitoring;
use workflows::emergency_freeze::EmergencyFreeze;
use workflows::feature_delivery::FeatureDelivery;
use workflows::incident_swarm::IncidentSwarm;
use workflows::phases::{
    CodeReview, Development, ProductionDeployment, ProductionReadiness, QualityGate,
    RequirementIntake, StagingDeployment, TaskExecution, TaskPlanning, Testing,
};

/// Connects to Temporal, registers every workflow and activity, and polls until `shutdown`
/// completes; then finishes in-flight tasks and returns.
pub async fn run(
    settings: Settings,
    subscriber: SharedSubscriber,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    // The commands the worker runs share its user; keep its tokens out of their reach.
    if let Err(e) = activities::shell::guard_worker() {
        tracing::warn!(error = %e, "could not make the worker non-dumpable; commands of its user can read its environment");
    }
    let bot_token = settings.bot_token()?.clone();
    let sdk_metrics =
        operations::SdkMetrics::start(&settings.temporal.namespace, &settings.temporal.task_queue)?;
    let telemetry = TelemetryOptions::builder()
        .subscriber_override(subscriber)
        .metrics(sdk_metrics.meter.clone())
        .build();
    let runtime_options = RuntimeOptions::builder()
        .telemetry_options(telemetry)
        .build()
        .map_err(anyhow::Error::msg)?;
    let runtime = Runtime::from_current_tokio(runtime_options)
        .context("failed to start the Temporal runtime")?;

    let connection = chatops_common::temporal::connect(&settings.temporal, identity()).await?;
    let client = Client::new(
        connection,
        chatops_common::temporal::client_options(&settings),
    )
    .context("failed to create the Temporal client")?;

    let slack = chatops_common::slack::client(&settings.slack.api_url);
    let shell = activities::shell::Shell::new(settings.worker.child_env.clone());
    if !shell.leashed() {
        tracing::warn!(
            "setpriv (util-linux) is not on PATH: a command the worker runs keeps running if the worker is killed outright"
        );
    }
    let policy = FeaturePolicy {
        intake_timeout_ms: millis(settings.feature.intake_timeout),
        phase_duration_ms: millis(settings.feature.phase_duration),
        ui_url: settings.temporal.ui_url.to_string(),
        namespace: settings.temporal.namespace.clone(),
        channel: settings.slack.channel.clone(),
        freeze_recheck_ms: millis(settings.emergency.recheck),
        freeze_recheck_max_ms: millis(
            settings
                .emergency
                .recheck_max
                .max(settings.emergency.recheck),
        ),
        check_controls: true,
        oncall: Some(settings.emergency.oncall.clone()),
        approvers: None,
        required_approvals: settings.approvals.required,
        no_self_approval: settings.approvals.no_self_approval.clone(),
        gates: settings
            .approvals
            .gates
            .iter()
            .map(|(gate, rule)| {
                let policy = activities::policy::GatePolicy {
                    approvers: rule.approvers.clone(),
                    required: rule.required,
                };
                (gate.clone(), policy)
            })
            .collect(),
    };
    let inc = &settings.incident;
    let incident_policy = IncidentPolicy {
        channel: inc.channel.clone(),
        agents: if inc.agent_backend == AgentBackend::None {
            0
        } else {
            inc.agents
        },
        agent_timeout_ms: millis(inc.agent_timeout),
        consensus: ConsensusPolicy {
            similarity: inc.similarity,
            threshold: inc.threshold,
        },
        choose_timeout_ms: millis(inc.choose_timeout),
        escalation: inc.escalation.clone(),
        context_urls: inc.context_urls.clone(),
        responders: Some(
            inc.responders
                .iter()
                .chain(&settings.emergency.oncall)
                .cloned()
                .collect(),
        ),
        rollback_configured: inc.rollback_command.is_some(),
        monitor_events: inc.monitor_events,
        history_events: inc.history_events,
        // Pull requests need both a token and a repository.
        repository: inc
            .repository
            .clone()
            .filter(|_| settings.github.token.is_some()),
        postmortem_path: inc.postmortem_path.clone(),
        checks_timeout_ms: millis(inc.checks_timeout),
        checks_interval_ms: millis(inc.checks_interval),
        ui_url: settings.temporal.ui_url.to_string(),
        namespace: settings.temporal.namespace.clone(),
    };
    let w = &settings.worker;
    let slots = |n: u32| FixedSizeSlotSupplier::new(usize::try_from(n).unwrap_or(usize::MAX));
    let tuner = TunerHolder::builder()
        .workflow_task_slot_supplier(slots(w.workflow_tasks))
        .activity_task_slot_supplier(slots(w.activities))
        .local_activity_task_slot_supplier(slots(w.activities))
        .nexus_task_slot_supplier(slots(1))
        .build();
    let options = WorkerOptions::new(settings.temporal.task_queue.clone())
        .max_cached_workflows(usize::try_from(w.max_cached_workflows).unwrap_or(usize::MAX))
        .tuner(tuner)
        .graceful_shutdown_period(w.shutdown_grace)
        .register_workflow::<FeatureDelivery>()?
        .register_workflow::<IncidentSwarm>()?
        .register_workflow::<ContinuousMonitoring>()?
        .register_workflow::<EmergencyFreeze>()?
        .register_workflow::<Canary>()?
        .register_workflow::<CanaryChild>()?
        .register_workflow::<RequirementIntake>()?
        .register_workflow::<TaskPlanning>()?
        .register_workflow::<Development>()?
        .register_workflow::<TaskExecution>()?
        .register_workflow::<CodeReview>()?
        .register_workflow::<Testing>()?
        .register_workflow::<QualityGate>()?
        .register_workflow::<StagingDeployment>()?
        .register_workflow::<ProductionReadiness>()?
        .register_workflow::<ProductionDeployment>()?
        .register_workflow::<workflows::code_migration::CodeMigration>()?
        .register_workflow::<workflows::continuous_quality::ContinuousQuality>()?
        .register_workflow::<workflows::scheduled_freeze::ScheduledFreeze>()?
        .register_activities(DeliveryActivities::new(delivery_config(
            &settings,
            shell.clone(),
        )))
        .register_activities(CanaryActivities)
        .register_activities(SlackActivities::new(
            slack.clone(),
            &bot_token,
            settings.slack.channel_burst,
        ))
        .register_activities(
            PolicyActivities::new(
                policy,
                incident_policy,
                settings.approvals.approvers.clone(),
                slack,
                &bot_token,
            )
            .with_lifecycle(
                lifecycle_policy(&settings),
                repositories(&settings),
                settings.github.token.is_some(),
            ),
        )
        .register_activities(GitHubActivities::new(
            &settings.github.api_url,
            settings.github.token.as_ref(),
        )?)
        .register_activities(FreezeActivities::new(
            client.clone(),
            settings.temporal.task_queue.clone(),
        ))
        .register_activities(QualityActivities::new(
            client.clone(),
            settings.temporal.task_queue.clone(),
            settings.feature.watch.clone(),
        ))
        .register_activities(IncidentActivities::new(
            inc.agent_backend.clone(),
            inc.rollback_command.clone(),
            shell.clone(),
            &inc.context_urls,
        ))
        .build();
    let ready = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let endpoint = chatops_common::metrics::Endpoint::start(
        settings.worker.listen,
        "CHATOPS__WORKER__LISTEN",
        chatops_common::metrics::router(ready.clone(), sdk_metrics.route()),
    )
    .await?;
    let readiness = tokio::spawn(operations::watch_readiness(
        client.clone(),
        settings.temporal.namespace.clone(),
        settings.temporal.task_queue.clone(),
        identity(),
        ready.clone(),
    ));
    // The watched repositories' watchers look at their default branch once this worker is up
    // (and start when they never ran).
    let watchers = QualityActivities::new(
        client.clone(),
        settings.temporal.task_queue.clone(),
        settings.feature.watch.clone(),
    );
    tokio::spawn(async move { watchers.wake_all().await });
    let mut worker =
        Worker::new(&runtime, client, options).context("failed to create the worker")?;
    let stop = worker.shutdown_handle();
    tracing::info!(
        task_queue = %settings.temporal.task_queue,
        namespace = %settings.temporal.namespace,
        temporal = %settings.temporal.address,
        tls = settings.temporal.tls.is_some(),
        slack_api = %settings.slack.api_url,
        ops = %endpoint.addr,
        "worker polling"
    );
    // The worker future is !Send: drive it here, next to the shutdown signal.
    let mut run = std::pin::pin!(worker.run());
    tokio::select! {
        res = &mut run => return res.context("worker stopped unexpectedly"),
        () = shutdown => {
            tracing::info!("finishing in-flight tasks");
            readiness.abort();
            ready.store(false, std::sync::atomic::Ordering::SeqCst);
            stop();
        }
    }
    run.await.context("worker failed while shutting down")?;
    endpoint.stop().await;
    tracing::info!("worker stopped");
    Ok(())
}

/// The lifecycle policy from settings (per-repository overrides are applied per feature).
fn lifecycle_policy(settings: &Settings) -> LifecyclePolicy {
    let f = &settings.feature;
    let d = &settings.deploy;
    let target = |e: &DeployEnvSettings| DeployTarget {
        interval_ms: millis(e.interval),
        window_ms: millis(e.window),
        metrics: e.metrics_url.is_some(),
        deploy: e.command.is_some() || e.webhook.is_some(),
        health: e.health_url.is_some(),
    };
    LifecyclePolicy {
        repository: f.repository.clone(),
        agent: settings.agent.primary.is_some(),
        alternative_agent: settings.agent.alternative.is_some(),
        agent_timeout_ms: millis(settings.agent.timeout),
        agent_attempts: settings.agent.attempts,
        escalation: f.escalation.clone(),
        intake_escalate_ms: millis(f.intake_escalation),
        plan_escalate_ms: millis(f.plan_escalation),
        plan_timeout_ms: millis(f.plan_timeout),
        production_timeout_ms: millis(f.production_timeout),
        admins: f.admins.clone(),
        checks: f.checks.clone(),
        threshold: f.quality_threshold,
        min_coverage: f.min_coverage,
        staging: target(&d.staging),
        production: target(&d.production),
        max_failures: d.max_failures,
        error_rate_factor: d.error_rate_factor,
        latency_factor: d.latency_factor,
        auto_merge: f.auto_merge,
        reviewers: f.reviewers.clone(),
        quality_watch_ms: millis(f.watch_interval),
    }
}

/// Per-repository overrides, already checked when settings loaded.
fn repositories(settings: &Settings) -> std::collections::BTreeMap<String, RepositoryPolicy> {
    settings
        .feature
        .repositories
        .iter()
        .filter_map(|(k, v)| {
            serde_json::from_value::<RepositoryPolicy>(v.clone())
                .ok()
                .map(|p| (k.clone(), p))
        })
        .collect()
}

fn delivery_config(settings: &Settings, shell: activities::shell::Shell) -> DeliveryConfig {
    let env = |e: &DeployEnvSettings| DeployConfig {
        command: e.command.clone(),
        webhook: e.webhook.clone(),
        health_url: e.health_url.clone(),
        version_url: e.version_url.clone(),
        metrics_url: e.metrics_url.clone(),
        windows: e.windows.clone(),
    };
    DeliveryConfig {
        agent: settings.agent.primary.clone(),
        alternative: settings.agent.alternative.clone(),
        workdir: Some(settings.feature.workdir.clone()),
        workspaces: Some({
            let w = &settings.workspace;
            let workspaces = activities::workspace::Workspaces::new(
                w.dir.clone(),
                w.max_bytes,
                w.protected.clone(),
                settings.github.git_url.clone(),
                settings.github.token.clone(),
            );
            workspaces.sweep_stale();
            workspaces
        }),
        staging: env(&settings.deploy.staging),
        production: env(&settings.deploy.production),
        down_migration: settings.deploy.down_migration_command.clone(),
        migration_commands: settings.feature.migration_commands.clone(),
        shell,
        checks: activities::delivery::CheckBook::new(
            settings.feature.checks.clone(),
            repositories(settings)
                .into_iter()
                .filter_map(|(repo, policy)| policy.checks.map(|c| (repo, c)))
                .collect(),
        ),
    }
}

fn identity() -> String {
    format!("chatops-worker@{}", std::process::id())
}

fn millis(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
