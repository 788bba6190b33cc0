//! Pull requests an incident opens: the hotfix from the consensus (watched until its checks
//! finish) and the postmortem.

use chatops_contract::incident::{Consensus, Diagnosis};
use std::time::Duration;
use temporalio_sdk::WorkflowContext;

use super::IncidentSwarm;
use super::thread::{note, record};
use crate::activities::github::{FileChange, GitHubActivities, PullRequestSpec};
use crate::activities::policy::IncidentPolicy;
use crate::workflows::options;

impl IncidentSwarm {
    /// Opens the hotfix pull request (the agents' change, or the fix proposal when none wrote
    /// one), then waits for its checks, unless the incident is resolved first.
    pub(super) async fn hotfix(
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
                ..FileChange::default()
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
    pub(super) async fn postmortem_pr(
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
                ..FileChange::default()
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
