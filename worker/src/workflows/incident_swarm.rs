//! `IncidentSwarm`: one incident from alert to postmortem.
//!
//! Triage posts the card; context sources are fetched in parallel; N diagnostic agents run in
//! parallel; the consensus activity decides. A confident verdict stands at once; otherwise the
//! commander picks from the candidates, with escalations while nobody does. Signals
//! (acknowledge, assign, choose, rollback, resolve) are served all along; `resolve` ends it with
//! a postmortem in the thread and tells the monitor.
//!
//! Three loops run side by side: the main flow, the outbox (work signals leave: thread notes and
//! rollbacks) and the card (one edit at a time, always the latest state).

use chatops_blocks::{Message, feature::thread_note, incident as blocks};
use chatops_contract::feature::MessageRef;
use chatops_contract::incident::{
    Acknowledge, Alert, AssignCommander, ChooseDiagnosis, Consensus, ConsensusReport, Diagnoses,
    Diagnosis, IncidentClosed, IncidentEvent, IncidentInput, IncidentOutcome, IncidentState,
    IncidentStatus, Resolve, Rollback,
};
use chatops_contract::{Signal, queries, signals, workflows};
use std::time::{Duration, SystemTime};
use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::{
    SignalWorkflowOptions, SyncWorkflowContext, WorkflowContext, WorkflowContextView,
    WorkflowResult,
};

use crate::activities::github::{FileChange, GitHubActivities, PullRequestSpec};
use crate::activities::incident::{
    AgentRequest, ContextItem, ContextRequest, DecideRequest, IncidentActivities, RollbackRequest,
};
use crate::activities::policy::{IncidentPolicy, PolicyActivities};
use crate::activities::slack::{PostMessage, SlackActivities, UpdateMessage};
use crate::incident_state::{Incident, Outcome, Pending};
use crate::workflows::clock::{self, Started, now, rfc3339};
use crate::workflows::notes::{mention, ui_link};
use crate::workflows::options;
use crate::workflows::signals::{by_name, decode};

/// One incident.
#[workflow]
pub struct IncidentSwarm {
    incident: Incident,
    now: SystemTime,
    /// Set when the main flow is done; the other loops drain and stop.
    closing: bool,
    /// Card version shown in Slack.
    card_shown: u64,
}

#[workflow_methods]
impl IncidentSwarm {
    #[init]
    pub fn new(ctx: &WorkflowContextView, input: IncidentInput) -> Self {
        let now = ctx.start_time().unwrap_or(SystemTime::UNIX_EPOCH);
        Self {
            incident: Incident::new(ctx.workflow_id(), input, &rfc3339(now)),
            now,
            closing: false,
            card_shown: 0,
        }
    }

    #[run(name = workflows::INCIDENT_SWARM)]
    pub async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<IncidentOutcome> {
        let policy: IncidentPolicy = ctx
            .execute_activity(PolicyActivities::incident, (), options::slack())
            .await?;
        let link = ui_link(&policy.ui_url, &policy.namespace, ctx.workflow_id());

        // Triage: the card first, so every later update has a thread to go to.
        let card = ctx.state(|s| blocks::card(&s.incident.status, &link));
        let card_ts = notify(ctx, PostMessage::of(&policy.channel, None, card)).await;
        ctx.state_mut(|s| {
            s.incident.status.card = card_ts.clone().map(|ts| MessageRef {
                channel: policy.channel.clone(),
                ts,
            });
            s.card_shown = s.incident.card_version;
        });

        let main = async {
            let outcome = Self::respond(ctx, &policy).await;
            // Whatever happened, the other loops drain and stop.
            ctx.state_mut(|s| s.closing = true);
            outcome
        };
        let (outcome, (), ()) =
            temporalio_sdk::workflows::join!(main, Self::outbox(ctx), Self::card_loop(ctx, &link),);
        outcome
    }

    #[signal(name = signals::name::ALERT)]
    pub fn alert(&mut self, ctx: &mut SyncWorkflowContext<Self>, payload: serde_json::Value) {
        self.apply(ctx, signals::ALERT, payload, |i, a: Alert, at| {
            i.alert(&a, at)
        });
    }

    #[signal(name = signals::name::ACKNOWLEDGE)]
    pub fn acknowledge(&mut self, ctx: &mut SyncWorkflowContext<Self>, payload: serde_json::Value) {
        self.apply(
            ctx,
            signals::ACKNOWLEDGE,
            payload,
            |i, a: Acknowledge, at| i.acknowledge(&a, at),
        );
    }

    #[signal(name = signals::name::ASSIGN_COMMANDER)]
    pub fn assign_commander(
        &mut self,
        ctx: &mut SyncWorkflowContext<Self>,
        payload: serde_json::Value,
    ) {
        self.apply(
            ctx,
            signals::ASSIGN_COMMANDER,
            payload,
            |i, a: AssignCommander, at| i.assign_commander(&a, at),
        );
    }

    #[signal(name = signals::name::CHOOSE_DIAGNOSIS)]
    pub fn choose_diagnosis(
        &mut self,
        ctx: &mut SyncWorkflowContext<Self>,
        payload: serde_json::Value,
    ) {
        self.apply(
            ctx,
            signals::CHOOSE_DIAGNOSIS,
            payload,
            |i, c: ChooseDiagnosis, at| i.choose(&c, at),
        );
    }

    #[signal(name = signals::name::ROLLBACK)]
    pub fn rollback(&mut self, ctx: &mut SyncWorkflowContext<Self>, payload: serde_json::Value) {
        self.apply(ctx, signals::ROLLBACK, payload, |i, r: Rollback, at| {
            i.rollback(&r, at)
        });
    }

    #[signal(name = signals::name::RESOLVE)]
    pub fn resolve(&mut self, ctx: &mut SyncWorkflowContext<Self>, payload: serde_json::Value) {
        self.apply(ctx, signals::RESOLVE, payload, |i, r: Resolve, at| {
            i.resolve(&r, at)
        });
    }

    #[query(name = queries::name::STATUS)]
    pub fn status(&self, _ctx: &WorkflowContextView) -> IncidentStatus {
        self.incident.status.clone()
    }

    #[query(name = queries::name::DIAGNOSES)]
    pub fn diagnoses(&self, _ctx: &WorkflowContextView) -> Diagnoses {
        self.incident.diagnoses_view()
    }

    #[query(name = queries::name::CONSENSUS)]
    pub fn consensus(&self, _ctx: &WorkflowContextView) -> ConsensusReport {
        self.incident.report.clone()
    }

    #[query(name = queries::name::TIMELINE)]
    pub fn timeline(&self, _ctx: &WorkflowContextView) -> Vec<IncidentEvent> {
        self.incident.status.timeline.clone()
    }
}

impl Started for IncidentSwarm {
    fn started(&self) -> SystemTime {
        self.now
    }
}

impl IncidentSwarm {
    /// Applies a signal to the incident; a malformed payload is recorded on the timeline.
    fn apply<T: serde::de::DeserializeOwned>(
        &mut self,
        ctx: &SyncWorkflowContext<Self>,
        signal: Signal<T>,
        payload: serde_json::Value,
        f: impl FnOnce(&mut Incident, T, &str) -> Outcome,
    ) {
        let at = &clock::at(self, ctx);
        let incident = &mut self.incident;
        let Some(p) = decode(signal, payload, |e| {
            incident.event(at, format!("ignored {e}"), None)
        }) else {
            return;
        };
        if let Outcome::Ignored(why) = f(incident, p, at) {
            tracing::debug!(%why, %signal, "incident signal ignored");
        }
    }

    /// The main flow: diagnose, decide, wait for a resolution, write the postmortem.
    async fn respond(
        ctx: &WorkflowContext<Self>,
        policy: &IncidentPolicy,
    ) -> WorkflowResult<IncidentOutcome> {
        let id = ctx.workflow_id().to_owned();
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
                options::attempts(Duration::from_millis(policy.agent_timeout_ms), 3),
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
            _ => Self::await_choice(ctx, policy, &id).await,
        }

        ctx.wait_condition(|s: &Self| s.incident.is_resolved())
            .await?;
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

    /// Opens the hotfix pull request (the agents' change, or the fix proposal when none wrote
    /// one), then waits for its checks, unless the incident is resolved first.
    async fn hotfix(
        ctx: &WorkflowContext<Self>,
        policy: &IncidentPolicy,
        repository: &str,
        verdict: &Consensus,
        winners: &[Diagnosis],
        fix: &str,
    ) {
        let (id, service) = ctx.state(|s| {
            (
                s.incident.status.id.clone(),
                s.incident.status.service.clone(),
            )
        });
        let cause = &verdict.best.root_cause;
        let proposal = fix_proposal(&id, &service, verdict, winners, fix);
        let changes: Vec<FileChange> = winners
            .iter()
            .find(|d| !d.changes.is_empty())
            .map(|d| d.changes.clone())
            .unwrap_or_default();
        let from_agent = !changes.is_empty();
        let files = if from_agent {
            changes
        } else {
            vec![FileChange {
                path: format!("hotfixes/{id}.md"),
                content: proposal.clone(),
            }]
        };
        let spec = PullRequestSpec {
            repository: repository.to_owned(),
            branch: format!("hotfix/{id}"),
            title: format!("fix({service}): {cause} [{id}]"),
            body: proposal,
            commit_message: format!(
                "fix({service}): {cause}\n\nIncident: {id}\nConsensus: {:.2}",
                verdict.confidence
            ),
            files,
        };
        let pr = match ctx
            .execute_activity(
                GitHubActivities::open_pull_request,
                spec,
                options::attempts(Duration::from_secs(60), 5),
            )
            .await
        {
            Ok(pr) => pr,
            Err(e) => {
                record(ctx, format!("hotfix pull request not opened: {e}"));
                note(
                    ctx,
                    ":x:",
                    &format!(
                        "Could not open the hotfix pull request: {}. Suggested fix: {}.",
                        chatops_blocks::escape(&e.to_string()),
                        chatops_blocks::escape(fix)
                    ),
                )
                .await;
                return;
            }
        };
        record(
            ctx,
            format!("hotfix pull request #{} opened: {}", pr.number, pr.url),
        );
        let what = if from_agent {
            "with the agents' change"
        } else {
            "with the fix proposal (no agent wrote the change itself)"
        };
        note(
            ctx,
            ":hammer_and_wrench:",
            &format!(
                "Hotfix pull request <{}|#{}> opened on {repository} {what}. Suggested fix: {}. Waiting for its checks.",
                pr.url,
                pr.number,
                chatops_blocks::escape(fix)
            ),
        )
        .await;

        let interval = Duration::from_millis(policy.checks_interval_ms.max(1000));
        let timeout = Duration::from_millis(policy.checks_timeout_ms);
        let mut waited = Duration::ZERO;
        loop {
            let checks = match ctx
                .execute_activity(GitHubActivities::checks, pr.clone(), options::slack())
                .await
            {
                Ok(c) => c,
                Err(e) => {
                    record(ctx, format!("checks of #{} unreadable: {e}", pr.number));
                    return;
                }
            };
            let verdict = match checks.state.as_str() {
                "success" => Some((
                    ":white_check_mark:",
                    format!(
                        "Checks passed on #{} ({} of {}).",
                        pr.number, checks.total, checks.total
                    ),
                )),
                "failure" | "error" => Some((
                    ":x:",
                    format!(
                        "Checks failed on #{}: {}. The fix needs another look before it merges.",
                        pr.number,
                        chatops_blocks::escape(&checks.failed.join(", "))
                    ),
                )),
                _ if waited >= timeout => Some((
                    ":hourglass:",
                    format!(
                        "No check result on #{} within {} (state: {}).",
                        pr.number,
                        chatops_contract::human_duration(timeout),
                        checks.state
                    ),
                )),
                _ => None,
            };
            if let Some((emoji, text)) = verdict {
                record(ctx, text.clone());
                note(ctx, emoji, &text).await;
                return;
            }
            let resolved = temporalio_sdk::workflows::select! {
                _ = ctx.timer(interval) => false,
                _ = ctx.wait_condition(|s: &Self| s.incident.is_resolved()) => true,
            };
            if resolved {
                return;
            }
            waited += interval;
        }
    }

    /// Opens a pull request adding the postmortem under `folder`.
    async fn postmortem_pr(
        ctx: &WorkflowContext<Self>,
        repository: &str,
        folder: &str,
        postmortem: &str,
    ) {
        let (id, service) = ctx.state(|s| {
            (
                s.incident.status.id.clone(),
                s.incident.status.service.clone(),
            )
        });
        let spec = PullRequestSpec {
            repository: repository.to_owned(),
            branch: format!("postmortem/{id}"),
            title: format!("docs: postmortem of {id} ({service})"),
            body: format!("The postmortem of `{id}`, as posted in its Slack thread."),
            commit_message: format!("docs: postmortem of {id}\n\nIncident: {id}"),
            files: vec![FileChange {
                path: format!("{folder}/{id}.md"),
                content: postmortem.to_owned(),
            }],
        };
        match ctx
            .execute_activity(
                GitHubActivities::open_pull_request,
                spec,
                options::attempts(Duration::from_secs(60), 5),
            )
            .await
        {
            Ok(pr) => {
                record(
                    ctx,
                    format!("postmortem pull request #{} opened", pr.number),
                );
                note(
                    ctx,
                    ":memo:",
                    &format!(
                        "Postmortem pull request <{}|#{}> opened on {repository}.",
                        pr.url, pr.number
                    ),
                )
                .await;
            }
            Err(e) => record(ctx, format!("postmortem pull request not opened: {e}")),
        }
    }

    /// Below the threshold: offer the candidates and escalate until someone picks one or the
    /// incident is resolved.
    async fn await_choice(ctx: &WorkflowContext<Self>, policy: &IncidentPolicy, id: &str) {
        let candidates = ctx.state(|s| s.incident.candidates().to_vec());
        if !candidates.is_empty() {
            enter(ctx, IncidentState::AwaitingChoice);
        }
        let mention = policy
            .escalation
            .as_deref()
            .map(mention)
            .unwrap_or_else(|| "the incident commander".to_owned());
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
            return;
        }
        let mut escalations = 0u32;
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
    }

    /// Posts what signals left behind and runs requested rollbacks, one at a time, until the
    /// incident closes.
    async fn outbox(ctx: &WorkflowContext<Self>) {
        loop {
            let ready = ctx
                .wait_condition(|s: &Self| !s.incident.pending.is_empty() || s.closing)
                .await;
            if ready.is_err() {
                return; // cancelled
            }
            let Some(work) = ctx.state_mut(|s| s.incident.pending.pop_front()) else {
                return;
            };
            match work {
                Pending::Note(emoji, text) => note(ctx, emoji, &text).await,
                Pending::Rollback(r) => Self::run_rollback(ctx, r).await,
            }
        }
    }

    async fn run_rollback(ctx: &WorkflowContext<Self>, r: Rollback) {
        let (id, service) = ctx.state(|s| {
            (
                s.incident.status.id.clone(),
                s.incident.status.service.clone(),
            )
        });
        note(
            ctx,
            ":rewind:",
            &format!(
                "<@{}> started a rollback of {}: {}",
                r.user,
                chatops_blocks::escape(&service),
                chatops_blocks::escape(&r.reason)
            ),
        )
        .await;
        let req = RollbackRequest {
            incident: id,
            service,
            user: r.user.clone(),
            reason: r.reason,
        };
        let report = ctx
            .execute_activity(
                IncidentActivities::rollback,
                req,
                options::attempts(Duration::from_secs(660), 1),
            )
            .await;
        let at = now(ctx);
        let (emoji, text) = match report {
            Ok(rep) if rep.ok => {
                ctx.state_mut(|s| {
                    s.incident
                        .event(&at, "rollback succeeded", Some(r.user.clone()));
                    if s.incident.status.mitigated_at.is_none() {
                        s.incident.status.mitigated_at = Some(at.clone());
                    }
                    s.incident.touch();
                });
                (
                    ":white_check_mark:",
                    format!(
                        "Rollback succeeded. ```{}```",
                        chatops_blocks::escape(&rep.output)
                    ),
                )
            }
            Ok(rep) => {
                ctx.state_mut(|s| {
                    s.incident
                        .event(&at, format!("rollback failed: {}", rep.output), None)
                });
                (
                    ":x:",
                    format!(
                        "Rollback failed: ```{}```",
                        chatops_blocks::escape(&rep.output)
                    ),
                )
            }
            Err(e) => {
                ctx.state_mut(|s| s.incident.event(&at, format!("rollback failed: {e}"), None));
                (
                    ":x:",
                    format!(
                        "Rollback failed: {}",
                        chatops_blocks::escape(&e.to_string())
                    ),
                )
            }
        };
        note(ctx, emoji, &text).await;
    }

    /// Keeps the card showing the latest state: one edit in flight at a time, so an older
    /// version can never land after a newer one.
    async fn card_loop(ctx: &WorkflowContext<Self>, link: &str) {
        loop {
            let ready = ctx
                .wait_condition(|s: &Self| s.incident.card_version > s.card_shown || s.closing)
                .await;
            if ready.is_err() {
                return; // cancelled
            }
            let (version, card, msg) = ctx.state(|s| {
                (
                    s.incident.card_version,
                    s.incident.status.card.clone(),
                    blocks::card(&s.incident.status, link),
                )
            });
            if version > ctx.state(|s| s.card_shown)
                && let Some(card) = card
            {
                edit(ctx, UpdateMessage::of(&card.channel, &card.ts, msg)).await;
            }
            ctx.state_mut(|s| s.card_shown = version);
            if ctx.state(|s| s.closing && s.incident.card_version == s.card_shown) {
                return;
            }
        }
    }
}

fn enter(ctx: &WorkflowContext<IncidentSwarm>, state: IncidentState) {
    let at = now(ctx);
    ctx.state_mut(|s| s.incident.enter(state, &at));
}

fn record(ctx: &WorkflowContext<IncidentSwarm>, what: String) {
    let at = now(ctx);
    ctx.state_mut(|s| s.incident.event(&at, what, None));
}

async fn note(ctx: &WorkflowContext<IncidentSwarm>, emoji: &str, text: &str) {
    notify_thread(ctx, thread_note(emoji, text)).await;
}

/// Posts in the incident's thread; returns the message's ts.
async fn notify_thread(ctx: &WorkflowContext<IncidentSwarm>, m: Message) -> Option<String> {
    let card = ctx.state(|s| s.incident.status.card.clone())?;
    notify(ctx, PostMessage::of(&card.channel, Some(&card.ts), m)).await
}

/// A notification Slack refuses for good is recorded on the timeline, never fatal.
async fn notify(ctx: &WorkflowContext<IncidentSwarm>, msg: PostMessage) -> Option<String> {
    match ctx
        .execute_activity(SlackActivities::post_message, msg, options::slack())
        .await
    {
        Ok(ts) => Some(ts),
        Err(e) => {
            record(ctx, format!("could not post to Slack: {e}"));
            None
        }
    }
}

async fn edit(ctx: &WorkflowContext<IncidentSwarm>, msg: UpdateMessage) {
    if let Err(e) = ctx
        .execute_activity(SlackActivities::update_message, msg, options::slack())
        .await
    {
        record(ctx, format!("could not update a Slack message: {e}"));
    }
}

/// The pull request description (and, without an agent's change, the committed proposal).
fn fix_proposal(
    id: &str,
    service: &str,
    verdict: &Consensus,
    winners: &[Diagnosis],
    fix: &str,
) -> String {
    let mut out = format!(
        "# Hotfix for {id} ({service})\n\nRoot cause (consensus {:.2} from {} of {} agents): {} ({})\n\nSuggested fix: {fix}\n\n## Evidence\n\n",
        verdict.confidence,
        verdict.best.agents.len(),
        verdict.groups.iter().map(|g| g.agents.len()).sum::<usize>(),
        verdict.best.root_cause,
        verdict.best.category
    );
    for d in winners {
        out.push_str(&format!(
            "- {} ({:.2}): {}\n",
            d.agent, d.confidence, d.root_cause
        ));
        for e in &d.evidence {
            out.push_str(&format!("  - {e}\n"));
        }
    }
    out.push_str("\nOpened by chatops from the incident's consensus; review before merging.\n");
    out
}
