//! Deploys, health probes and the rollback saga's down-migration, per environment from
//! config.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use std::time::Duration;
use temporalio_sdk::activities::{ActivityContext, ActivityError, ActivityInfo};

use chatops_contract::lifecycle::HealthSample;

use super::{DeliveryActivities, StepReport};
use crate::activities::failure::{permanent, retryable};
use crate::activities::shell::tail;

/// Longest a deploy or down-migration command may run.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(1800);
/// Longest a deploy webhook may take to answer.
const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(60);
/// Longest a health or metrics endpoint may take to answer.
const PROBE_TIMEOUT: Duration = Duration::from_secs(10);
/// How often a running deploy tells Temporal it is alive (its heartbeat timeout is 30 s).
const HEARTBEAT_EVERY: Duration = Duration::from_secs(5);

/// A deploy (or a redeploy of an earlier commit).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeployRequest {
    /// `staging` or `production`, read as a [`chatops_contract::feature::Environment`] where
    /// it is used.
    pub environment: String,
    /// The commit to deploy.
    pub sha: String,
    /// Feature workflow id.
    pub feature: String,
}

impl DeployRequest {
    /// What a deploy or down-migration command gets in its environment.
    fn env<'a>(&'a self, deploy_id: &'a str) -> [(&'a str, &'a str); 4] {
        [
            ("CHATOPS_SHA", self.sha.as_str()),
            ("CHATOPS_ENVIRONMENT", self.environment.as_str()),
            ("CHATOPS_FEATURE", self.feature.as_str()),
            ("CHATOPS_DEPLOY_ID", deploy_id),
        ]
    }

    /// The id of this deploy as scheduled by `info`'s workflow: the same for every attempt of
    /// one scheduled deploy (a retry, or the same deploy picked up by another worker after a
    /// crash), different for another deploy, even of the same commit to the same environment
    /// (a second rollback to the same commit is a deploy of its own). The workflow run and
    /// the activity id are both fixed when the workflow schedules the deploy.
    pub fn deploy_id(&self, info: &ActivityInfo) -> String {
        deploy_id(
            self,
            info.workflow_id.as_deref(),
            info.workflow_run_id.as_deref(),
            &info.activity_id,
        )
    }
}

/// `<environment>-<first 12 of sha>-<16 hex of a digest>` over the request and where it was
/// scheduled; without a workflow (a standalone activity) the request alone names it.
fn deploy_id(
    req: &DeployRequest,
    workflow_id: Option<&str>,
    run_id: Option<&str>,
    activity_id: &str,
) -> String {
    let mut digest = Sha256::new();
    let scheduled = workflow_id.map(|w| [w, run_id.unwrap_or_default(), activity_id]);
    for part in [
        req.feature.as_str(),
        req.environment.as_str(),
        req.sha.as_str(),
    ]
    .into_iter()
    .chain(scheduled.into_iter().flatten())
    {
        // Length-prefixed, so no two different lists of parts hash alike.
        digest.update((part.len() as u64).to_be_bytes());
        digest.update(part.as_bytes());
    }
    let hex: String = digest.finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let sha: String = req
        .sha
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(12)
        .collect();
    let environment: String = req
        .environment
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    format!("{environment}-{sha}-{hex}")
}

impl DeliveryActivities {
    /// Deploys, heartbeating while the command or webhook runs, so a lost worker is noticed
    /// within the heartbeat timeout and the deploy retried elsewhere under the same id.
    pub(super) async fn deploy_beating(
        &self,
        ctx: &ActivityContext,
        req: &DeployRequest,
    ) -> Result<StepReport, ActivityError> {
        let id = req.deploy_id(ctx.info());
        tracing::info!(deploy_id = %id, attempt = ctx.info().attempt, "deploying");
        let beat = async {
            loop {
                let _ = ctx.record_heartbeat(id.clone()).await;
                tokio::time::sleep(HEARTBEAT_EVERY).await;
            }
        };
        // A cancel reaches a deploy through its heartbeats; dropping the work stops the
        // command and everything it started.
        tokio::select! {
            out = self.deploy_to(req, &id) => out,
            () = ctx.cancelled() => Ok(StepReport {
                ok: false,
                output: "cancelled: the deploy and what it started were stopped".to_owned(),
                changes: Vec::new(),
            }),
            () = beat => unreachable!("the heartbeat loop never ends"),
        }
    }

    /// Deploys through the environment's command, else its webhook; nothing configured is a
    /// success that says so. `id` goes with it: `CHATOPS_DEPLOY_ID` for a command, the
    /// `Idempotency-Key` header and `deploy_id` for a webhook.
    async fn deploy_to(&self, req: &DeployRequest, id: &str) -> Result<StepReport, ActivityError> {
        let target = self.target(&req.environment)?;
        if let Some(cmd) = &target.command {
            return Ok(StepReport::of(
                self.config
                    .shell
                    .run(cmd, &req.env(id), None, None, COMMAND_TIMEOUT)
                    .await,
            ));
        }
        if let Some(hook) = &target.webhook {
            let body = json!({
                "environment": req.environment,
                "sha": req.sha,
                "feature": req.feature,
                "deploy_id": id,
            });
            let bytes = serde_json::to_vec(&body).unwrap_or_default();
            let resp = self
                .http
                .post(
                    hook.as_str(),
                    &[
                        ("content-type", "application/json"),
                        ("idempotency-key", id),
                    ],
                    bytes.into(),
                    WEBHOOK_TIMEOUT,
                )
                .await
                .map_err(|e| retryable(format!("deploy webhook {}: {e}", shown(hook))))?;
            if resp.status >= 500 || resp.status == 429 {
                return Err(retryable(format!(
                    "deploy webhook answered {}",
                    resp.status
                )));
            }
            return Ok(StepReport {
                ok: resp.status < 300,
                output: format!(
                    "webhook answered {}: {}",
                    resp.status,
                    tail(&String::from_utf8_lossy(&resp.body), 300)
                ),
                changes: Vec::new(),
            });
        }
        Ok(StepReport {
            ok: true,
            output: format!(
                "no {} deploy is configured; nothing was deployed",
                req.environment
            ),
            changes: Vec::new(),
        })
    }

    /// One sample of the environment's health endpoint and, when configured, its metrics.
    /// What the version URL says the environment runs: the sha as text, or JSON with `sha`,
    /// `commit` or `version`.
    pub(super) async fn version(&self, environment: &str) -> Result<Option<String>, ActivityError> {
        let target = self.target(environment)?;
        let Some(url) = &target.version_url else {
            return Ok(None);
        };
        let answer = self
            .http
            .get(url.as_str(), PROBE_TIMEOUT)
            .await
            .map_err(|e| retryable(format!("{environment} version URL {url}: {e}")))?;
        if answer.status >= 300 {
            return Err(retryable(format!(
                "{environment} version URL {url} answered {}",
                answer.status
            )));
        }
        let text = String::from_utf8_lossy(&answer.body).trim().to_owned();
        let sha = match serde_json::from_str::<Value>(&text) {
            Ok(v) if v.is_object() => ["sha", "commit", "version"]
                .iter()
                .find_map(|k| v[*k].as_str().map(str::to_owned))
                .unwrap_or_default(),
            Ok(Value::String(s)) => s,
            _ => text,
        };
        let sha = sha.trim().to_owned();
        if sha.len() < 7 || sha.len() > 64 || !sha.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(permanent(format!(
                "{environment} version URL {url} answered `{}`, which is not a commit sha",
                tail(&sha, 80)
            )));
        }
        Ok(Some(sha))
    }

    pub(super) async fn sample(&self, environment: &str) -> Result<HealthSample, ActivityError> {
        let target = self.target(environment)?;
        let mut detail = Vec::new();
        let healthy = match &target.health_url {
            None => {
                detail.push("no health URL configured".to_owned());
                true
            }
            Some(u) => match self.http.get(u.as_str(), PROBE_TIMEOUT).await {
                Ok(r) => {
                    detail.push(format!("health {}", r.status));
                    (200..300).contains(&r.status)
                }
                Err(e) => {
                    detail.push(format!("health unreachable: {e}"));
                    false
                }
            },
        };
        let (mut error_rate, mut latency_ms) = (None, None);
        if let Some(u) = &target.metrics_url {
            match self.http.get(u.as_str(), PROBE_TIMEOUT).await {
                Ok(r) if r.status < 300 => {
                    let v: Value = serde_json::from_slice(&r.body).unwrap_or_default();
                    error_rate = v["error_rate"].as_f64();
                    latency_ms = v["latency_ms"].as_f64();
                    detail.push(format!(
                        "error rate {}, latency {} ms",
                        error_rate.map_or("?".to_owned(), |x| x.to_string()),
                        latency_ms.map_or("?".to_owned(), |x| x.to_string())
                    ));
                }
                Ok(r) => detail.push(format!("metrics {}", r.status)),
                Err(e) => detail.push(format!("metrics unreachable: {e}")),
            }
        }
        Ok(HealthSample {
            at: String::new(),
            healthy,
            error_rate,
            latency_ms,
            detail: detail.join("; "),
        })
    }

    /// Runs the configured down-migration; none configured is a success that says so. It gets
    /// an id of its own as `CHATOPS_DEPLOY_ID` (it runs once, but may be tried by hand again).
    pub(super) async fn migrate_down(&self, req: &DeployRequest, id: &str) -> StepReport {
        let Some(cmd) = &self.config.down_migration else {
            return StepReport {
                ok: true,
                output: "no down-migration configured; skipped".to_owned(),
                changes: Vec::new(),
            };
        };
        StepReport::of(
            self.config
                .shell
                .run(cmd, &req.env(id), None, None, COMMAND_TIMEOUT)
                .await,
        )
    }
}

/// A URL as it may be shown: scheme, host and path; no credentials, no query (webhook URLs
/// often carry their token there).
fn shown(url: &url::Url) -> String {
    format!(
        "{}://{}{}",
        url.scheme(),
        url.host_str().unwrap_or_default(),
        url.path()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_urls_are_shown_without_their_secrets() {
        let u =
            url::Url::parse("https://user:pw@deploy.example/hooks/x?token=s3cret").expect("url");
        assert_eq!(shown(&u), "https://deploy.example/hooks/x");
    }

    fn request(sha: &str) -> DeployRequest {
        DeployRequest {
            environment: "production".to_owned(),
            sha: sha.to_owned(),
            feature: "feature-42".to_owned(),
        }
    }

    #[test]
    fn a_deploy_id_is_the_same_for_every_attempt_of_one_scheduled_deploy() {
        let req = request("0123456789abcdef0123");
        let first = deploy_id(&req, Some("feature-42/deploy"), Some("run-1"), "7");
        let again = deploy_id(&req, Some("feature-42/deploy"), Some("run-1"), "7");
        assert_eq!(first, again);
        assert!(first.starts_with("production-0123456789ab-"), "{first}");
        assert_eq!(first.len(), "production-0123456789ab-".len() + 16);
    }

    #[test]
    fn deploys_differ_by_commit_environment_feature_run_and_activity() {
        let req = request("abc");
        let base = deploy_id(&req, Some("w"), Some("r"), "1");
        let others = [
            deploy_id(&request("abd"), Some("w"), Some("r"), "1"),
            deploy_id(
                &DeployRequest {
                    environment: "staging".to_owned(),
                    ..req.clone()
                },
                Some("w"),
                Some("r"),
                "1",
            ),
            deploy_id(
                &DeployRequest {
                    feature: "feature-43".to_owned(),
                    ..req.clone()
                },
                Some("w"),
                Some("r"),
                "1",
            ),
            // A second rollback to the same commit is scheduled as another activity.
            deploy_id(&req, Some("w"), Some("r"), "2"),
            deploy_id(&req, Some("w"), Some("r2"), "1"),
            deploy_id(&req, None, None, "1"),
        ];
        for other in others {
            assert_ne!(base, other);
        }
    }

    #[test]
    fn parts_cannot_run_into_each_other() {
        let a = deploy_id(&request("ab"), Some("c"), Some(""), "1");
        let b = deploy_id(&request("a"), Some("bc"), Some(""), "1");
        assert_ne!(a, b);
    }

    #[test]
    fn without_a_workflow_the_request_alone_names_the_deploy() {
        let req = request("abc");
        assert_eq!(
            deploy_id(&req, None, None, "1"),
            deploy_id(&req, None, None, "9")
        );
    }

    #[test]
    fn odd_characters_stay_out_of_the_readable_part() {
        let req = DeployRequest {
            environment: "prod uction".to_owned(),
            sha: "$(x)".to_owned(),
            feature: "f".to_owned(),
        };
        let id = deploy_id(&req, None, None, "1");
        assert!(id.starts_with("production-x-"), "{id}");
    }
}
