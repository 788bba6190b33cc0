//! Deploys, health probes and the rollback saga's down-migration, per environment from
//! config.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::time::Duration;
use temporalio_sdk::activities::ActivityError;

use chatops_contract::lifecycle::HealthSample;

use super::{DeliveryActivities, StepReport};
use crate::activities::failure::retryable;
use crate::activities::shell::tail;

/// Longest a deploy or down-migration command may run.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(1800);
/// Longest a deploy webhook may take to answer.
const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(60);
/// Longest a health or metrics endpoint may take to answer.
const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

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
    fn env(&self) -> [(&str, &str); 3] {
        [
            ("CHATOPS_SHA", self.sha.as_str()),
            ("CHATOPS_ENVIRONMENT", self.environment.as_str()),
            ("CHATOPS_FEATURE", self.feature.as_str()),
        ]
    }
}

impl DeliveryActivities {
    /// Deploys through the environment's command, else its webhook; nothing configured is a
    /// success that says so.
    pub(super) async fn deploy_to(&self, req: &DeployRequest) -> Result<StepReport, ActivityError> {
        let target = self.target(&req.environment)?;
        if let Some(cmd) = &target.command {
            return Ok(StepReport::of(
                self.config
                    .shell
                    .run(cmd, &req.env(), None, None, COMMAND_TIMEOUT)
                    .await,
            ));
        }
        if let Some(hook) = &target.webhook {
            let body =
                json!({"environment": req.environment, "sha": req.sha, "feature": req.feature});
            let resp = self
                .http
                .post_json(hook.as_str(), &body, WEBHOOK_TIMEOUT)
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
            });
        }
        Ok(StepReport {
            ok: true,
            output: format!(
                "no {} deploy is configured; nothing was deployed",
                req.environment
            ),
        })
    }

    /// One sample of the environment's health endpoint and, when configured, its metrics.
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

    /// Runs the configured down-migration; none configured is a success that says so.
    pub(super) async fn migrate_down(&self, req: &DeployRequest) -> StepReport {
        let Some(cmd) = &self.config.down_migration else {
            return StepReport {
                ok: true,
                output: "no down-migration configured; skipped".to_owned(),
            };
        };
        StepReport::of(
            self.config
                .shell
                .run(cmd, &req.env(), None, None, COMMAND_TIMEOUT)
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
}
