//! Commands run in the checkout: the quality checks, and one-off steps (a migration's
//! command, its validation, its rollback).

use chatops_contract::lifecycle::{CheckResult, CheckSpec};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use temporalio_sdk::activities::ActivityContext;

use super::{DeliveryActivities, StepReport};
use crate::activities::failure::retryable;
use crate::domain::lifecycle;
use temporalio_sdk::activities::ActivityError;

/// How often a running check tells Temporal it is alive.
const HEARTBEAT_EVERY: Duration = Duration::from_secs(2);

/// One quality check to run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckRun {
    /// The check.
    pub check: CheckSpec,
    /// Feature workflow id.
    pub feature: String,
    /// `owner/name`, when known.
    pub repository: Option<String>,
    /// The branch under test.
    pub branch: String,
    /// Its head commit.
    pub sha: String,
}

/// The quality checks configured on this worker: the global list, and each repository's own
/// list where it has one (which replaces the global one, as in the lifecycle policy).
#[derive(Debug, Clone, Default)]
pub struct CheckBook {
    global: Vec<CheckSpec>,
    repositories: std::collections::BTreeMap<String, Vec<CheckSpec>>,
}

impl CheckBook {
    /// A book of the `global` checks and the `repositories`' own lists.
    pub fn new(
        global: Vec<CheckSpec>,
        repositories: std::collections::BTreeMap<String, Vec<CheckSpec>>,
    ) -> Self {
        Self {
            global,
            repositories,
        }
    }

    /// The check named `name` for `repository`, as configured here.
    pub fn find(&self, repository: Option<&str>, name: &str) -> Option<&CheckSpec> {
        repository
            .and_then(|r| self.repositories.get(r))
            .unwrap_or(&self.global)
            .iter()
            .find(|c| c.name == name)
    }
}

/// A command to run once (a migration step, its validation or its rollback).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandRun {
    /// The name of a command configured on the worker (`CHATOPS__MIGRATION__COMMANDS`).
    pub command: String,
    /// Extra environment.
    pub env: Vec<(String, String)>,
    /// Seconds it may run.
    pub timeout_secs: u64,
    /// Run it in a checkout of this commit, and answer the change it made there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace: Option<super::WorkspaceAt>,
    /// Only run it there (a validation): what it leaves in the checkout is not a change.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub read_only: bool,
}

impl DeliveryActivities {
    /// Runs the check in a clean workspace of its own at the exact commit (the configured
    /// folder only when no repository is known), heartbeating while it runs. A check that is
    /// not configured fails; a checkout that fails is retried.
    pub(super) async fn check(
        &self,
        ctx: &ActivityContext,
        req: &CheckRun,
    ) -> Result<CheckResult, ActivityError> {
        let Some(spec) = self
            .config
            .checks
            .find(req.repository.as_deref(), &req.check.name)
        else {
            tracing::warn!(check = %req.check.name, repository = ?req.repository, "a check that is not configured was asked for");
            return Ok(CheckResult {
                name: req.check.name.clone(),
                passed: false,
                required: req.check.required,
                weight: req.check.weight,
                score: 0.0,
                critical: None,
                output: format!(
                    "check `{}` is not configured on this worker (CHATOPS__FEATURE__CHECKS or the repository's checks in CHATOPS__FEATURE__REPOSITORIES); nothing ran",
                    req.check.name
                ),
                fixed: false,
            });
        };
        let workspace = match (&req.repository, &self.config.workspaces) {
            (Some(repository), Some(workspaces)) if !req.sha.is_empty() => Some(
                workspaces
                    .checkout(repository, &req.sha)
                    .await
                    .map_err(|e| retryable(format!("check `{}`: {e}", req.check.name)))?,
            ),
            _ => None,
        };
        let dir = workspace
            .as_ref()
            .map(|w| w.dir())
            .or(self.config.workdir.as_deref());
        let env = [
            ("CHATOPS_CHECK", req.check.name.as_str()),
            ("CHATOPS_FEATURE", req.feature.as_str()),
            (
                "CHATOPS_REPOSITORY",
                req.repository.as_deref().unwrap_or(""),
            ),
            ("CHATOPS_BRANCH", req.branch.as_str()),
            ("CHATOPS_SHA", req.sha.as_str()),
        ];
        let timeout = Duration::from_secs(spec.timeout_secs.max(1));
        let beat = async {
            loop {
                tokio::time::sleep(HEARTBEAT_EVERY).await;
                let _ = ctx.record_heartbeat(req.check.name.clone()).await;
            }
        };
        let work = self
            .config
            .shell
            .run(&spec.command, &env, None, dir, timeout);
        // A cancel reaches a check through its heartbeats; dropping `work` stops the command
        // and everything it started.
        let out = tokio::select! {
            out = work => out,
            () = ctx.cancelled() => Err("cancelled: the check and what it started were stopped".to_owned()),
            () = beat => unreachable!("the heartbeat loop never ends"),
        };
        let (passed, output, stdout) = match out {
            Ok(o) => (
                o.ok,
                o.output,
                String::from_utf8_lossy(&o.stdout).into_owned(),
            ),
            Err(e) => (false, e, String::new()),
        };
        let (score, critical) = lifecycle::parse_check_output(&stdout);
        Ok(CheckResult {
            name: req.check.name.clone(),
            passed,
            required: spec.required,
            weight: spec.weight,
            score: score.unwrap_or(if passed { 100.0 } else { 0.0 }),
            critical,
            output,
            fixed: false,
        })
    }

    /// Runs one command in the checkout and reports how it went.
    pub(super) async fn command(&self, req: &CommandRun) -> StepReport {
        let Some(command) = self.config.migration_commands.get(req.command.trim()) else {
            let known: Vec<&str> = self
                .config
                .migration_commands
                .keys()
                .map(String::as_str)
                .collect();
            let known = if known.is_empty() {
                "none are".to_owned()
            } else {
                format!("the worker knows {}", known.join(", "))
            };
            return StepReport {
                ok: false,
                output: format!(
                    "no migration command named `{}` is configured on the worker ({known}; CHATOPS__MIGRATION__COMMANDS), so nothing was run",
                    req.command
                ),
                changes: Vec::new(),
            };
        };
        let env: Vec<(&str, &str)> = req
            .env
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let timeout = Duration::from_secs(req.timeout_secs.max(1));
        let (Some(at), Some(workspaces)) = (&req.workspace, &self.config.workspaces) else {
            return StepReport::of(
                self.config
                    .shell
                    .run(command, &env, None, self.config.workdir.as_deref(), timeout)
                    .await,
            );
        };
        // In a checkout of the commit: the change the command made there is the step's.
        let ws = match workspaces.checkout(&at.repository, &at.sha).await {
            Ok(ws) => ws,
            Err(e) => {
                return StepReport {
                    ok: false,
                    output: format!("could not check out {}: {e}; nothing was run", at.sha),
                    changes: Vec::new(),
                };
            }
        };
        let mut env = env;
        env.push(("CHATOPS_SHA", at.sha.as_str()));
        let mut report = StepReport::of(
            self.config
                .shell
                .run(command, &env, None, Some(ws.dir()), timeout)
                .await,
        );
        if report.ok && !req.read_only {
            match workspaces.changes(&ws).await {
                Ok(changes) => report.changes = changes,
                Err(e) => {
                    report.ok = false;
                    report.output = format!("its change was refused: {e}");
                }
            }
        }
        report
    }
}

#[cfg(test)]
mod tests {
    use super::CheckBook;
    use chatops_contract::lifecycle::CheckSpec;

    fn check(name: &str, command: &str) -> CheckSpec {
        serde_json::from_value(serde_json::json!({"name": name, "command": command}))
            .expect("a check")
    }

    #[test]
    fn checks_are_found_by_name_in_the_repositorys_list_or_the_global_one() {
        let book = CheckBook::new(
            vec![check("unit_tests", "cargo test")],
            [("acme/web".to_owned(), vec![check("unit_tests", "npm test")])].into(),
        );
        let command =
            |repo: Option<&str>, name: &str| book.find(repo, name).map(|c| c.command.clone());
        assert_eq!(command(None, "unit_tests").as_deref(), Some("cargo test"));
        assert_eq!(
            command(Some("acme/api"), "unit_tests").as_deref(),
            Some("cargo test")
        );
        assert_eq!(
            command(Some("acme/web"), "unit_tests").as_deref(),
            Some("npm test")
        );
        assert_eq!(command(None, "exfiltrate"), None);
    }
}
