//! Delivery activities: the agents (an OpenAI-compatible HTTP endpoint or a local command),
//! quality checks, deploys, health probes and rollback steps, all from config.
//!
//! Agent protocol. Command backend: the request `{"kind", "feature", "input"}` on stdin, with
//! `AGENT_KIND`, `AGENT_ROLE` (`primary` or `alternative`) and `FEATURE` in the environment;
//! the answer, one JSON object, on stdout. HTTP backend: a chat-completions call
//! (`{base}/chat/completions`, `model`, bearer key) whose first choice's content is the JSON
//! answer. Each kind's answer is schema-checked here; a malformed one is a retryable failure
//! whose message keeps the raw answer.

use chatops_common::http::Http;
use chatops_contract::incident::FileChange;
use chatops_contract::lifecycle::{CheckResult, CheckSpec, HealthSample, Plan};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use temporalio_common::error::ApplicationFailure;
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

use crate::activities::shell::{CommandOutput, run, tail};
use crate::lifecycle;

/// Where an agent runs (from `[agent]`).
pub use chatops_common::settings::AgentEndpointSettings as AgentEndpoint;

/// How one environment is deployed and watched.
#[derive(Debug, Clone, Default)]
pub struct DeployConfig {
    /// Shell command; gets `CHATOPS_SHA`, `CHATOPS_ENVIRONMENT`, `CHATOPS_FEATURE`.
    pub command: Option<String>,
    /// Webhook POSTed `{environment, sha, feature}`.
    pub webhook: Option<url::Url>,
    /// Health endpoint; 2xx is healthy.
    pub health_url: Option<url::Url>,
    /// Metrics source answering `{"error_rate": f, "latency_ms": f}`.
    pub metrics_url: Option<url::Url>,
}

/// Everything the delivery activities read from config.
#[derive(Debug, Clone, Default)]
pub struct DeliveryConfig {
    /// The agent asked first.
    pub agent: Option<AgentEndpoint>,
    /// The agent asked when the first keeps failing.
    pub alternative: Option<AgentEndpoint>,
    /// Folder the quality checks run in (the checkout).
    pub workdir: Option<std::path::PathBuf>,
    /// Staging.
    pub staging: DeployConfig,
    /// Production.
    pub production: DeployConfig,
    /// Run before redeploying the previous commit, when set.
    pub down_migration: Option<String>,
}

/// One agent question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentAsk {
    /// `analysis`, `plan`, `code` or `review`.
    pub kind: String,
    /// The feature's workflow id.
    pub feature: String,
    /// Ask the alternative agent instead of the primary.
    pub alternative: bool,
    /// What the agent works from.
    pub input: Value,
}

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

/// A deploy (or a redeploy of an earlier commit).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeployRequest {
    /// `staging` or `production`.
    pub environment: String,
    /// The commit to deploy.
    pub sha: String,
    /// Feature workflow id.
    pub feature: String,
}

/// A command to run once (a migration step, its validation or its rollback).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandRun {
    /// Shell command.
    pub command: String,
    /// Extra environment.
    pub env: Vec<(String, String)>,
    /// Seconds it may run.
    pub timeout_secs: u64,
}

/// How a command or webhook went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepReport {
    /// Whether it succeeded.
    pub ok: bool,
    /// What it said.
    pub output: String,
}

impl StepReport {
    /// What a command run says, success or not.
    fn of(run: Result<CommandOutput, String>) -> Self {
        match run {
            Ok(o) => Self {
                ok: o.ok,
                output: o.output,
            },
            Err(e) => Self {
                ok: false,
                output: e,
            },
        }
    }
}

/// Delivery activities.
#[derive(Debug)]
pub struct DeliveryActivities {
    http: Http,
    config: DeliveryConfig,
}

impl DeliveryActivities {
    /// Activities over `config`.
    pub fn new(config: DeliveryConfig) -> Self {
        Self {
            http: Http::new(),
            config,
        }
    }

    fn env(&self, environment: &str) -> Result<&DeployConfig, ActivityError> {
        match environment {
            "staging" => Ok(&self.config.staging),
            "production" => Ok(&self.config.production),
            other => Err(permanent(format!("unknown environment `{other}`"))),
        }
    }
}

#[activities]
impl DeliveryActivities {
    /// Asks an agent; the answer is schema-checked for its kind.
    #[activity(name = "delivery.ask_agent")]
    pub async fn ask_agent(
        self: Arc<Self>,
        ctx: ActivityContext,
        ask: AgentAsk,
    ) -> Result<Value, ActivityError> {
        let (endpoint, role, key) = if ask.alternative {
            (
                &self.config.alternative,
                "alternative",
                "CHATOPS__AGENT__ALTERNATIVE_COMMAND or CHATOPS__AGENT__ALTERNATIVE_URL",
            )
        } else {
            (
                &self.config.agent,
                "primary",
                "CHATOPS__AGENT__COMMAND or CHATOPS__AGENT__URL",
            )
        };
        let Some(endpoint) = endpoint else {
            return Err(permanent(format!("no {role} agent is configured ({key})")));
        };
        let timeout = ctx
            .info()
            .deadline
            .and_then(|d| d.duration_since(std::time::SystemTime::now()).ok())
            .unwrap_or(Duration::from_secs(300));
        let request = json!({"kind": ask.kind, "feature": ask.feature, "input": ask.input});
        let raw = match endpoint {
            AgentEndpoint::Command(cmd) => {
                let out = run(
                    cmd,
                    &[
                        ("AGENT_KIND", ask.kind.as_str()),
                        ("AGENT_ROLE", role),
                        ("FEATURE", ask.feature.as_str()),
                    ],
                    Some(request.to_string().as_bytes()),
                    None,
                    timeout,
                )
                .await
                .map_err(|e| retryable(format!("{role} agent: {e}")))?;
                if !out.ok {
                    return Err(retryable(format!(
                        "{role} agent command failed: {}",
                        out.output
                    )));
                }
                String::from_utf8_lossy(&out.stdout).into_owned()
            }
            AgentEndpoint::Http { url, model, key } => {
                let body = json!({
                    "model": model,
                    "response_format": {"type": "json_object"},
                    "messages": [
                        {"role": "system", "content": instructions(&ask.kind)},
                        {"role": "user", "content": request.to_string()},
                    ],
                });
                let endpoint = format!("{}/chat/completions", url.as_str().trim_end_matches('/'));
                let auth = key
                    .as_ref()
                    .map(|k| format!("Bearer {}", k.expose_secret()));
                let mut headers = vec![("content-type", "application/json")];
                if let Some(a) = &auth {
                    headers.push(("authorization", a.as_str()));
                }
                let resp = self
                    .http
                    .post(
                        &endpoint,
                        &headers,
                        body.to_string().into_bytes().into(),
                        timeout,
                    )
                    .await
                    .map_err(|e| retryable(format!("{role} agent at {endpoint}: {e}")))?;
                let text = String::from_utf8_lossy(&resp.body).into_owned();
                if resp.status >= 300 {
                    let msg = format!(
                        "{role} agent answered {}: {}",
                        resp.status,
                        tail(&text, 300)
                    );
                    return Err(
                        if resp.status == 408 || resp.status == 429 || resp.status >= 500 {
                            retryable(msg)
                        } else {
                            permanent(msg)
                        },
                    );
                }
                let v: Value = serde_json::from_str(&text).map_err(|e| {
                    retryable(format!(
                        "{role} agent answered non-JSON ({e}): {}",
                        tail(&text, 300)
                    ))
                })?;
                v["choices"][0]["message"]["content"]
                    .as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| {
                        retryable(format!(
                            "{role} agent answer has no choices[0].message.content: {}",
                            tail(&text, 300)
                        ))
                    })?
            }
        };
        check_answer(&ask.kind, &raw).map_err(|e| retryable(format!("{role} agent: {e}")))
    }

    /// Runs one quality check in the checkout, heartbeating while it runs.
    #[activity(name = "delivery.run_check")]
    pub async fn run_check(
        self: Arc<Self>,
        ctx: ActivityContext,
        req: CheckRun,
    ) -> Result<CheckResult, ActivityError> {
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
        let timeout = Duration::from_secs(req.check.timeout_secs.max(1));
        let beat = async {
            loop {
                tokio::time::sleep(Duration::from_secs(2)).await;
                let _ = ctx.record_heartbeat(req.check.name.clone()).await;
            }
        };
        let work = run(
            &req.check.command,
            &env,
            None,
            self.config.workdir.as_deref(),
            timeout,
        );
        let out = tokio::select! {
            out = work => out,
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
            required: req.check.required,
            weight: req.check.weight,
            score: score.unwrap_or(if passed { 100.0 } else { 0.0 }),
            critical,
            output,
            fixed: false,
        })
    }

    /// Deploys `sha` to the environment through its command or webhook.
    #[activity(name = "delivery.deploy")]
    pub async fn deploy(
        self: Arc<Self>,
        _ctx: ActivityContext,
        req: DeployRequest,
    ) -> Result<StepReport, ActivityError> {
        let target = self.env(&req.environment)?;
        if let Some(cmd) = &target.command {
            let env = [
                ("CHATOPS_SHA", req.sha.as_str()),
                ("CHATOPS_ENVIRONMENT", req.environment.as_str()),
                ("CHATOPS_FEATURE", req.feature.as_str()),
            ];
            return Ok(StepReport::of(
                run(cmd, &env, None, None, Duration::from_secs(1800)).await,
            ));
        }
        if let Some(hook) = &target.webhook {
            let body =
                json!({"environment": req.environment, "sha": req.sha, "feature": req.feature});
            let resp = self
                .http
                .post_json(hook.as_str(), &body, Duration::from_secs(60))
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

    /// One health probe: the health endpoint, and the metrics source when configured.
    #[activity(name = "delivery.probe")]
    pub async fn probe(
        self: Arc<Self>,
        _ctx: ActivityContext,
        environment: String,
    ) -> Result<HealthSample, ActivityError> {
        let target = self.env(&environment)?;
        let mut detail = Vec::new();
        let healthy = match &target.health_url {
            None => {
                detail.push("no health URL configured".to_owned());
                true
            }
            Some(u) => match self.http.get(u.as_str(), Duration::from_secs(10)).await {
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
            match self.http.get(u.as_str(), Duration::from_secs(10)).await {
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

    /// Runs one command in the checkout; its failure is reported, not retried (a migration
    /// step is not assumed safe to run twice).
    #[activity(name = "delivery.run_command")]
    pub async fn run_command(
        self: Arc<Self>,
        _ctx: ActivityContext,
        req: CommandRun,
    ) -> Result<StepReport, ActivityError> {
        let env: Vec<(&str, &str)> = req
            .env
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let timeout = Duration::from_secs(req.timeout_secs.max(1));
        Ok(StepReport::of(
            run(
                &req.command,
                &env,
                None,
                self.config.workdir.as_deref(),
                timeout,
            )
            .await,
        ))
    }

    /// The rollback saga's first step: the configured down-migration.
    #[activity(name = "delivery.down_migration")]
    pub async fn down_migration(
        self: Arc<Self>,
        _ctx: ActivityContext,
        req: DeployRequest,
    ) -> Result<StepReport, ActivityError> {
        let Some(cmd) = &self.config.down_migration else {
            return Ok(StepReport {
                ok: true,
                output: "no down-migration configured; skipped".to_owned(),
            });
        };
        let env = [
            ("CHATOPS_SHA", req.sha.as_str()),
            ("CHATOPS_ENVIRONMENT", req.environment.as_str()),
            ("CHATOPS_FEATURE", req.feature.as_str()),
        ];
        Ok(StepReport::of(
            run(cmd, &env, None, None, Duration::from_secs(1800)).await,
        ))
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

/// What the HTTP backend's system message asks for, per kind.
fn instructions(kind: &str) -> String {
    let schema = match kind {
        "analysis" => r#"{"feasible": bool, "summary": string, "ambiguities": [string]}"#,
        "plan" => {
            r#"{"tasks": [{"id": "T1", "title": string, "depends_on": [task id]}], "estimate_hours": number}"#
        }
        "code" | "fix" => {
            r#"{"changes": [{"path": string, "content": string}], "summary": string}"#
        }
        "review" => r#"{"approved": bool, "comments": [string]}"#,
        "migration" => {
            r#"{"steps": [{"id": "S1", "description": string, "command": string, "validate": string, "rollback": string}]}"#
        }
        _ => "{}",
    };
    format!(
        "You are a software delivery agent doing the `{kind}` step for the feature in the user message. Answer with one JSON object only, shaped exactly like: {schema}"
    )
}

/// Checks an agent's answer against its kind's schema; the error keeps the raw answer.
pub fn check_answer(kind: &str, raw: &str) -> Result<Value, String> {
    let bad = |why: String| {
        format!(
            "malformed {kind} answer ({why}); raw answer: {}",
            tail(raw.trim(), 500)
        )
    };
    let v: Value = serde_json::from_str(raw.trim()).map_err(|e| bad(e.to_string()))?;
    match kind {
        "analysis" => {
            #[derive(Deserialize)]
            #[allow(dead_code)]
            struct A {
                feasible: bool,
                summary: String,
                #[serde(default)]
                ambiguities: Vec<String>,
            }
            let a: A = serde_json::from_value(v.clone()).map_err(|e| bad(e.to_string()))?;
            if a.summary.trim().is_empty() {
                return Err(bad("empty summary".into()));
            }
        }
        "plan" => {
            let p: Plan = serde_json::from_value(v.clone()).map_err(|e| bad(e.to_string()))?;
            lifecycle::validate_plan(&p).map_err(bad)?;
        }
        "code" | "fix" => {
            #[derive(Deserialize)]
            struct C {
                changes: Vec<FileChange>,
            }
            let c: C = serde_json::from_value(v.clone()).map_err(|e| bad(e.to_string()))?;
            if c.changes.is_empty() {
                return Err(bad("no changes".into()));
            }
            for ch in &c.changes {
                let p = ch.path.as_str();
                if p.is_empty()
                    || p.starts_with('/')
                    || p.split('/').any(|s| s == ".." || s.is_empty())
                {
                    return Err(bad(format!("path `{p}` must be relative, without `..`")));
                }
            }
        }
        "review" => {
            #[derive(Deserialize)]
            #[allow(dead_code)]
            struct R {
                approved: bool,
                #[serde(default)]
                comments: Vec<String>,
            }
            serde_json::from_value::<R>(v.clone()).map_err(|e| bad(e.to_string()))?;
        }
        "migration" => {
            #[derive(Deserialize)]
            struct M {
                steps: Vec<chatops_contract::lifecycle::MigrationStep>,
            }
            let m: M = serde_json::from_value(v.clone()).map_err(|e| bad(e.to_string()))?;
            lifecycle::validate_steps(&m.steps).map_err(bad)?;
        }
        other => return Err(format!("unknown agent step `{other}`")),
    }
    Ok(v)
}

fn retryable(text: String) -> ActivityError {
    tracing::warn!(%text, "delivery activity failed; Temporal will retry");
    ActivityError::application(ApplicationFailure::new(std::io::Error::other(text)))
}

fn permanent(text: String) -> ActivityError {
    tracing::error!(%text, "delivery activity failed for good");
    ActivityError::application(ApplicationFailure::non_retryable(std::io::Error::other(
        text,
    )))
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

    #[test]
    fn agent_answers_are_schema_checked_and_keep_the_raw_answer() {
        assert!(check_answer("analysis", r#"{"feasible":true,"summary":"ok"}"#).is_ok());
        assert!(
            check_answer(
                "plan",
                r#"{"tasks":[{"id":"T1","title":"a"},{"id":"T2","title":"b","depends_on":["T1"]}]}"#
            )
            .is_ok()
        );
        let table = [
            ("analysis", "I think so", "malformed analysis answer"),
            (
                "analysis",
                r#"{"feasible":true}"#,
                "missing field `summary`",
            ),
            ("plan", r#"{"tasks":[]}"#, "the plan has no tasks"),
            ("code", r#"{"changes":[]}"#, "no changes"),
            (
                "code",
                r#"{"changes":[{"path":"../etc/passwd","content":"x"}]}"#,
                "must be relative",
            ),
            ("review", r#"{"comments":[]}"#, "missing field `approved`"),
            ("migration", r#"{"steps":[]}"#, "the migration has no steps"),
            (
                "migration",
                r#"{"steps":[{"id":"S1","description":"x","command":" "}]}"#,
                "step `S1` has no command",
            ),
        ];
        for (kind, raw, want) in table {
            let err = check_answer(kind, raw).expect_err(raw);
            assert!(err.contains(want), "{err}");
            assert!(err.contains("raw answer"), "{err}");
        }
    }
}
