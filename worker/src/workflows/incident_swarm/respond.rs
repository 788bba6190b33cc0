//! The main flow of an incident: triage, context, diagnoses, consensus, the pick when the
//! consensus is not confident, and the end: resolution, postmortem, the monitor told.

use chatops_blocks::incident as blocks;
use chatops_contract::incident::{
    ConsensusReport, Diagnosis, IncidentClosed, IncidentOutcome, IncidentState, Resolve,
};
use chatops_contract::signals;
use std::time::Duration;
use temporalio_sdk::{SignalWorkflowOptions, WorkflowContext, WorkflowResult};

use super::IncidentSwarm;
use super::thread::{edit, enter, note, notify_thread, record};
use crate::activities::incident::{
    AgentRequest, ContextItem, ContextRequest, DecideRequest, IncidentActivities,
};
use crate::activities::policy::IncidentPolicy;
use crate::activities::slack::UpdateMessage;
use crate::domain::incident_state::Stage;
use crate::workflows::clock::now;
use crate::workflows::notes::mention;
use crate::workflows::options;
use crate::workflows::signals::by_name;

impl IncidentSwarm {
    /// The main flow: diagnose, decide, wait for a resolution, write the postmortem.
    pub(super) async fn respond(
        ctx: &WorkflowContext<Self>,
        policy: &IncidentPolicy,
    ) -> WorkflowResult<IncidentOutcome> {
        let id = ctx.workflow_id().to_owned();
        match ctx.state(|s| s.resumed.clone()) {
            None => Self::diagnose(ctx, policy, &id).await?,
            Some(Stage::AwaitingChoice { escalations, asked }) => {
                Self::escalate(ctx, policy, asked, escalations).await?;
            }
            Some(Stage::AwaitingResolution) => {}
        }
        Self::conclude(ctx, policy, &id).await
    }

    /// From the alert to a decision: context, agents, consensus, then acting on a confident
    /// verdict or waiting for a pick.
    async fn diagnose(
        ctx: &WorkflowContext<Self>,
        policy: &IncidentPolicy,
        id: &str,
    ) -> WorkflowResult<()> {
        let id = id.to_owned();
        let (severity, alert) =
            ctx.state(|s| (s.incident.status.severity, s.incident.input.alert.clone()));
        let agents = policy.agents;
        let plan = if agents == 0 {
            "No diagnostic agents are configured, so this one is for humans.".to_owned()
        } else {
            format!("{agents} diagnostic agents are on it.")
        };
        note(
            ctx,
            ":rotating_light:",
            &format!(
                "Incident opened ({}), triaged as {severity:?}. {plan} Acknowledge to take command.",
                alert.source
            ),
        )
        .await;
        enter(ctx, IncidentState::Diagnosing);

        // Context, then agents, all in parallel within each step.
        let fetches = policy.context_urls.iter().map(|url| {
            ctx.execute_activity(
                IncidentActivities::fetch_context,
                ContextRequest {
                    url: url.clone(),
                    service: alert.service.clone(),
                },
                options::attempts(Duration::from_secs(15), 2),
            )
        });
        let mut context: Vec<ContextItem> = Vec::new();
        for (url, r) in policy
            .context_urls
            .iter()
            .zip(temporalio_sdk::workflows::join_all(fetches).await)
        {
            match r {
                Ok(item) => context.push(item),
                Err(e) => record(ctx, format!("context from {url} unavailable: {e}")),
            }
        }
        let asks = (1..=agents).map(|n| {
            ctx.execute_activity(
                IncidentActivities::diagnose,
                AgentRequest {
                    agent: format!("agent-{n}"),
                    incident: id.clone(),
                    alert: alert.clone(),
                    context: context.clone(),
                },
                options::agent(Duration::from_millis(policy.agent_timeout_ms), 3),
            )
        });
        let mut diagnoses = Vec::new();
        for (n, r) in (1..=agents).zip(temporalio_sdk::workflows::join_all(asks).await) {
            match r {
                Ok(d) => diagnoses.push(d),
                Err(e) => record(ctx, format!("agent-{n} gave no diagnosis: {e}")),
            }
        }

        // Consensus: an activity, so its input and verdict are both in history.
        let report = if diagnoses.is_empty() {
            ConsensusReport {
                policy: policy.consensus,
                verdict: None,
                error: Some(if agents == 0 {
                    "no diagnostic agents are configured".into()
                } else {
                    "no agent returned a diagnosis".into()
                }),
            }
        } else {
            ctx.execute_activity(
                IncidentActivities::decide,
                DecideRequest {
                    diagnoses: diagnoses.clone(),
                    policy: policy.consensus,
                },
                options::slack(),
            )
            .await?
        };
        let verdict = report
            .verdict
            .clone()
            .ok_or_else(|| report.error.clone().unwrap_or_default());
        let at = now(ctx);
        ctx.state_mut(|s| {
            s.incident
                .decided(diagnoses.clone(), policy.consensus, verdict, &at)
        });
        notify_thread(ctx, blocks::consensus(&report, diagnoses.len())).await;

        match &report.verdict {
            Some(v) if v.auto_fix => {
                let at = now(ctx);
                ctx.state_mut(|s| {
                    s.incident.status.chosen = Some(0);
                    s.incident
                        .event(&at, "consensus stands: acting without a human pick", None);
                    s.incident.enter(IncidentState::Mitigating, &at);
                });
                let winners: Vec<Diagnosis> = v
                    .groups
                    .first()
                    .map(|g| {
                        diagnoses
                            .iter()
                            .filter(|d| g.agents.contains(&d.agent))
                            .cloned()
                            .collect()
                    })
                    .unwrap_or_default();
                let fix = winners
                    .iter()
                    .find_map(|d| d.suggested_fix.clone())
                    .unwrap_or_else(|| "no agent suggested one".into());
                match &policy.repository {
                    Some(repository) => {
                        Self::hotfix(ctx, policy, repository, v, &winners, &fix).await;
                    }
                    None => {
                        note(
                            ctx,
                            ":wrench:",
                            &format!(
                                "Acting on the consensus. Suggested fix: {}. No hotfix pull request: set CHATOPS__GITHUB__TOKEN and CHATOPS__INCIDENT__REPOSITORY to have one opened. Apply the fix by hand, or press *Roll back*.",
                                chatops_blocks::escape(&fix)
                            ),
                        )
                        .await;
                    }
                }
            }
            _ => Self::await_choice(ctx, policy, &id).await?,
        }
        Ok(())
    }

    /// Waits for the resolution (continuing as new while the wait grows long), then writes the
    /// postmortem and tells the monitor.
    async fn conclude(
        ctx: &WorkflowContext<Self>,
        policy: &IncidentPolicy,
        id: &str,
    ) -> WorkflowResult<IncidentOutcome> {
        let id = id.to_owned();
        loop {
            // Wake on any change; once the history is long, also when nothing is in flight.
            let seen = ctx.state(|s| s.incident.card_version);
            let long = Self::history_long(ctx, policy);
            ctx.wait_condition(move |s: &Self| {
                s.incident.is_resolved() || s.incident.card_version != seen || (long && s.quiet())
            })
            .await?;
            if ctx.state(|s| s.incident.is_resolved()) {
                // The card shows the ending, whatever was held for a next run.
                ctx.state_mut(|s| s.draining = false);
                break;
            }
            Self::continue_if_due(ctx, policy, Stage::AwaitingResolution)?;
        }
        let (postmortem, resolution) =
            ctx.state(|s| (s.incident.postmortem(), s.incident.resolution.clone()));
        let resolution = resolution.unwrap_or(Resolve {
            user: "unknown".into(),
            summary: String::new(),
        });
        note(
            ctx,
            ":white_check_mark:",
            &format!(
                "Resolved by <@{}>: {}",
                resolution.user,
                chatops_blocks::escape(&resolution.summary)
            ),
        )
        .await;
        notify_thread(ctx, blocks::postmortem(&postmortem)).await;
        if let (Some(repository), Some(folder)) = (&policy.repository, &policy.postmortem_path) {
            Self::postmortem_pr(ctx, repository, folder, &postmortem).await;
        }
        if let Some(monitor) = ctx.state(|s| s.incident.input.monitor.clone()) {
            // By name: the monitor starts incidents, so it is the one that knows this type.
            let (signal, closed) =
                by_name(signals::INCIDENT_CLOSED, &IncidentClosed { id: id.clone() });
            if let Err(e) = ctx
                .external_workflow(monitor.clone(), None)
                .signal(signal, closed, SignalWorkflowOptions::default())
                .await
            {
                record(
                    ctx,
                    format!("could not tell {monitor} this incident closed: {e}"),
                );
            }
        }
        Ok(IncidentOutcome {
            resolved_by: resolution.user,
            summary: resolution.summary,
            postmortem,
        })
    }

    /// Below the threshold: offer the candidates and escalate until someone picks one or the
    /// incident is resolved.
    async fn await_choice(
        ctx: &WorkflowContext<Self>,
        policy: &IncidentPolicy,
        id: &str,
    ) -> WorkflowResult<()> {
        let candidates = ctx.state(|s| s.incident.candidates().to_vec());
        if !candidates.is_empty() {
            enter(ctx, IncidentState::AwaitingChoice);
        }
        let mention = escalation_mention(policy);
        let wait = Duration::from_millis(policy.choose_timeout_ms);
        let asked = if candidates.is_empty() {
            note(
                ctx,
                ":sos:",
                &format!("No diagnosis to act on: {mention}, please investigate."),
            )
            .await;
            None
        } else {
            let escalates = format!(
                "Without a pick, {mention} is paged in {}.",
                chatops_contract::human_duration(wait)
            );
            notify_thread(ctx, blocks::candidates(id, &candidates, &escalates)).await
        };
        if candidates.is_empty() {
            return Ok(());
        }
        Self::escalate(ctx, policy, asked, 0).await
    }

    /// Escalates every `choose_timeout` until someone picks a candidate or resolves the
    /// incident (continuing as new between escalations when the history grows long), then marks
    /// the candidates message decided.
    async fn escalate(
        ctx: &WorkflowContext<Self>,
        policy: &IncidentPolicy,
        asked: Option<String>,
        mut escalations: u32,
    ) -> WorkflowResult<()> {
        let candidates = ctx.state(|s| s.incident.candidates().to_vec());
        let mention = escalation_mention(policy);
        let wait = Duration::from_millis(policy.choose_timeout_ms);
        loop {
            let decided = temporalio_sdk::workflows::select! {
                _ = ctx.wait_condition(|s: &Self| s.incident.status.chosen.is_some() || s.incident.is_resolved()) => true,
                _ = ctx.timer(wait) => false,
            };
            if decided {
                break;
            }
            escalations += 1;
            record(
                ctx,
                format!("escalation {escalations}: no diagnosis picked"),
            );
            note(
                ctx,
                ":rotating_light:",
                &format!(
                    "Escalation {escalations}: nobody has picked a diagnosis for {}. {mention}, please take a look.",
                    chatops_contract::human_duration(wait * escalations)
                ),
            )
            .await;
            if Self::history_long(ctx, policy) {
                ctx.wait_condition(|s: &Self| s.quiet()).await?;
                Self::continue_if_due(
                    ctx,
                    policy,
                    Stage::AwaitingChoice {
                        escalations,
                        asked: asked.clone(),
                    },
                )?;
            }
        }
        let chosen = ctx.state(|s| {
            s.incident.status.chosen.map(|i| {
                let by = s
                    .incident
                    .status
                    .timeline
                    .iter()
                    .rev()
                    .find(|e| e.event.starts_with("diagnosis "))
                    .and_then(|e| e.by.clone())
                    .unwrap_or_default();
                (i, by)
            })
        });
        if let (Some(ts), Some((index, by)), Some(card)) =
            (asked, chosen, ctx.state(|s| s.incident.status.card.clone()))
        {
            edit(
                ctx,
                UpdateMessage::of(
                    &card.channel,
                    &ts,
                    blocks::candidates_decided(&candidates, index, &by),
                ),
            )
            .await;
        }
        Ok(())
    }
}

/// Who escalations page: the configured user or group, else the commander.
fn escalation_mention(policy: &IncidentPolicy) -> String {
    policy
        .escalation
        .as_deref()
        .map(mention)
        .unwrap_or_else(|| "the incident commander".to_owned())
}
