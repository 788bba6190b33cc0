//! A migration on a repository: its branch, one commit per step, and the pull request at the
//! end.

use chatops_contract::lifecycle::MigrationStep;
use temporalio_sdk::WorkflowContext;

use super::CodeMigration;
use crate::activities::delivery::WorkspaceAt;
use crate::activities::github::{CommitSpec, GitHubActivities, PullRequestSpec};
use crate::workflows::notes::failure_text;
use crate::workflows::options;

/// Patch: with a repository, steps run in checkouts of a migration branch and are committed.
pub(super) const MIGRATION_WORKSPACE: &str = "migration-workspace";

/// The migration branch and its head.
pub(super) struct Branch {
    pub(super) repository: String,
    pub(super) name: String,
    pub(super) head: String,
}

/// The checkout a command runs in: the branch head, when there is a branch.
pub(super) fn at(branch: &Option<Branch>) -> Option<WorkspaceAt> {
    branch.as_ref().map(|b| WorkspaceAt {
        repository: b.repository.clone(),
        sha: b.head.clone(),
    })
}

impl CodeMigration {
    /// Commits what a step (or its rollback) changed on the migration branch, moving its
    /// head; nothing without a branch or a change.
    pub(super) async fn commit(
        ctx: &WorkflowContext<Self>,
        branch: &mut Option<Branch>,
        id: &str,
        step: &MigrationStep,
        kind: &str,
        changes: Vec<chatops_contract::incident::FileChange>,
    ) -> Result<(), String> {
        let Some(b) = branch.as_mut() else {
            return Ok(());
        };
        if changes.is_empty() {
            return Ok(());
        }
        let files = changes.len();
        let spec = CommitSpec {
            repository: b.repository.clone(),
            branch: b.name.clone(),
            message: format!(
                "{kind}(migration): {}\n\nMigration: {id}\nStep: {}",
                step.description, step.id
            ),
            files: changes,
        };
        let sha = ctx
            .execute_activity(GitHubActivities::commit, spec, options::github())
            .await
            .map_err(|e| format!("could not commit its change: {}", failure_text(&e)))?;
        Self::note(
            ctx,
            ":pushpin:",
            &format!(
                "`{}`{}: {files} file(s) committed as `{}`.",
                step.id,
                if kind == "revert" { " rolled back" } else { "" },
                sha.chars().take(7).collect::<String>()
            ),
        )
        .await;
        b.head = sha;
        Ok(())
    }

    /// Opens the migration branch's pull request and says so; a failure is only noted.
    pub(super) async fn open_pull_request(
        ctx: &WorkflowContext<Self>,
        b: &Branch,
        description: &str,
    ) {
        let report = ctx.state(|s| {
            s.progress
                .steps
                .iter()
                .map(|st| format!("- `{}` {}", st.id, st.description))
                .collect::<Vec<_>>()
                .join("\n")
        });
        let spec = PullRequestSpec {
            repository: b.repository.clone(),
            branch: b.name.clone(),
            title: format!(
                "chore(migration): {}",
                description.chars().take(72).collect::<String>()
            ),
            body: format!(
                "A migration run by chatops (`{}`); every step validated.\n\n{report}",
                ctx.workflow_id()
            ),
            commit_message: String::new(),
            files: Vec::new(),
        };
        match ctx
            .execute_activity(GitHubActivities::open_pull_request, spec, options::github())
            .await
        {
            Ok(pr) => {
                Self::note(
                    ctx,
                    ":arrow_heading_up:",
                    &format!("Pull request <{}|#{}> opened.", pr.url, pr.number),
                )
                .await;
            }
            Err(e) => {
                Self::note(
                    ctx,
                    ":warning:",
                    &format!(
                        "Could not open the pull request: {}",
                        chatops_blocks::escape(&failure_text(&e))
                    ),
                )
                .await;
            }
        }
    }
}
