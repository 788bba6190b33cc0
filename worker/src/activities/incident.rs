//! Incident activities: context gathering, diagnostic agents (HTTP or command backends), the
//! consensus verdict and the configured rollback.
//!
//! Agent protocol, both backends: the request is [`AgentRequest`] as JSON (POST body, or stdin
//! of the command, which also gets `AGENT` and `INCIDENT` in its environment); the answer is one
//! [`Diagnosis`] as JSON (`agent` may be omitted; it is filled in).

use chatops_common::http::Http;
use chatops_common::settings::AgentBackend;
use chatops_contract::incident::{Alert, ConsensusPolicy, ConsensusReport, Diagnosis};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

use crate::activities::context_url::{ContextHosts, context_url};
use crate::activities::failure::{by_status, permanent, retryable};
use crate::activities::shell::{Shell, tail};
use crate::activities::time_left;
use crate::domain::consensus;

/// Longest context excerpt handed to agents, in characters.
const MAX_CONTEXT: usize = 4000;

/// One fetched context source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContextItem {
    /// The URL fetched.
    pub source: String,
    /// Its body (truncated).
    pub text: String,
}

/// What a diagnostic agent is asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentRequest {
    /// The agent's name, `agent-1` … `agent-N`.
    pub agent: String,
    /// Incident workflow id.
    pub incident: String,
    /// The alert that opened it.
    pub alert: Alert,
    /// Metrics and logs gathered so far.
    pub context: Vec<ContextItem>,
}

/// A context source to fetch for a service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContextRequest {
    /// URL template; `{service}` is replaced by the service, percent-encoded.
    pub url: String,
    /// The affected service.
    pub service: String,
}

/// The consensus step's input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecideRequest {
    /// Every agent's answer.
    pub diagnoses: Vec<Diagnosis>,
    /// The policy to decide under.
    pub policy: ConsensusPolicy,
}

/// A rollback to run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RollbackRequest {
    /// Incident workflow id.
    pub incident: String,
    /// The affected service.
    pub service: String,
    /// Who asked.
    pub user: String,
    /// Why.
    pub reason: String,
}

/// How a rollback went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RollbackReport {
    /// Whether the command exited 0.
    pub ok: bool,
    /// The end of its output.
    pub output: String,
}

/// Incident activities, with the configured backends.
#[derive(Debug)]
pub struct IncidentActivities {
    http: Http,
    backend: AgentBackend,
    rollback_command: Option<String>,
    shell: Shell,
    context_hosts: ContextHosts,
}

impl IncidentActivities {
    /// Activities using `backend` for agents and `rollback_command` for rollbacks, both run
    /// by `shell`, fetching context only from the hosts of `context_urls` (the configured
    /// templates).
    pub fn new(
        backend: AgentBackend,
        rollback_command: Option<String>,
        shell: Shell,
        context_urls: &[String],
    ) -> Self {
        Self {
            http: Http::new(),
            backend,
            rollback_command,
            shell,
            context_hosts: ContextHosts::of(context_urls),
        }
    }
}

#[activities]
impl IncidentActivities {
    /// Fetches one context source; a URL off the configured hosts fails for good.
    #[activity(name = "incident.fetch_context")]
    #[tracing::instrument(name = "incident.fetch_context", skip_all, fields(service = %req.service))]
    pub async fn fetch_context(
        self: Arc<Self>,
        _ctx: ActivityContext,
        req: ContextRequest,
    ) -> Result<ContextItem, ActivityError> {
        let url = context_url(&req.url, &req.service, &self.context_hosts).map_err(permanent)?;
        let url = url.as_str();
        let resp = self
            .http
            .get(url, Duration::from_secs(10))
            .await
            .map_err(|e| retryable(format!("GET {url}: {e}")))?;
        if resp.status >= 400 {
            return Err(by_status(
                resp.status,
                format!("GET {url} answered {}", resp.status),
            ));
        }
        let text: String = String::from_utf8_lossy(&resp.body)
            .chars()
            .take(MAX_CONTEXT)
            .collect();
        Ok(ContextItem {
            source: url.to_owned(),
            text,
        })
    }

    /// Asks one diagnostic agent.
    #[activity(name = "incident.diagnose")]
    #[tracing::instrument(
        name = "incident.diagnose",
        skip_all,
        fields(incident = %req.incident, agent = %req.agent)
    )]
    pub async fn diagnose(
        self: Arc<Self>,
        ctx: ActivityContext,
        req: AgentRequest,
    ) -> Result<Diagnosis, ActivityError> {
        // Heartbeats while the agent works, so a lost worker is noticed within the heartbeat
        // timeout and the agent asked again on another.
        let beat = async {
            loop {
                let _ = ctx.record_heartbeat(()).await;
                tokio::time::sleep(Duration::from_secs(5)).await;
            }
        };
        tokio::select! {
            diagnosis = self.ask(&ctx, &req) => diagnosis,
            () = beat => unreachable!("the heartbeat loop never ends"),
        }
    }

    /// Asks `req`'s agent through the configured backend and reads its diagnosis.
    async fn ask(
        &self,
        ctx: &ActivityContext,
        req: &AgentRequest,
    ) -> Result<Diagnosis, ActivityError> {
        let timeout = time_left(ctx, Duration::from_secs(120));
        let body = serde_json::to_value(req).map_err(|e| permanent(e.to_string()))?;
        let raw = match &self.backend {
            AgentBackend::None => {
                return Err(permanent(
                    "no agent backend is configured (CHATOPS__INCIDENT__AGENT_URL or CHATOPS__INCIDENT__AGENT_COMMAND)",
                ));
            }
            AgentBackend::Http(url) => {
                let resp = self
                    .http
                    .post_json(url.as_str(), &body, timeout)
                    .await
                    .map_err(|e| retryable(format!("agent {} at {url}: {e}", req.agent)))?;
                if resp.status >= 300 {
                    let text = String::from_utf8_lossy(&resp.body);
                    return Err(by_status(
                        resp.status,
                        format!(
                            "agent {} answered {}: {}",
                            req.agent,
                            resp.status,
                            tail(&text, 300)
                        ),
                    ));
                }
                resp.body.to_vec()
            }
            AgentBackend::Command(cmd) => {
                let out = self
                    .shell
                    .run(
                        cmd,
                        &[
                            ("AGENT", req.agent.as_str()),
                            ("INCIDENT", req.incident.as_str()),
                        ],
                        Some(body.to_string().as_bytes()),
                        None,
                        timeout,
                    )
                    .await
                    .map_err(|e| retryable(format!("agent {}: {e}", req.agent)))?;
                if !out.ok {
                    return Err(retryable(format!(
                        "agent {} command failed: {}",
                        req.agent, out.output
                    )));
                }
                out.stdout
            }
        };
        parse_diagnosis(&req.agent, &raw).map_err(permanent)
    }

    /// Decides the consensus; the input and the verdict are both recorded in history, so a
    /// verdict can be re-scored offline.
    #[activity(name = "incident.decide")]
    #[tracing::instrument(name = "incident.decide", skip_all, fields(diagnoses = req.diagnoses.len()))]
    pub async fn decide(
        self: Arc<Self>,
        _ctx: ActivityContext,
        req: DecideRequest,
    ) -> Result<ConsensusReport, ActivityError> {
        Ok(match consensus::decide(&req.diagnoses, &req.policy) {
            Ok(v) => ConsensusReport {
                policy: req.policy,
                verdict: Some(v),
                error: None,
            },
            Err(e) => ConsensusReport {
                policy: req.policy,
                verdict: None,
                error: Some(e.to_string()),
            },
        })
    }

    /// Runs the configured rollback command once; a failure is reported, not retried: whether
    /// to try again is a human's call.
    #[activity(name = "incident.rollback")]
    #[tracing::instrument(
        name = "incident.rollback",
        skip_all,
        fields(incident = %req.incident, service = %req.service, user = %req.user)
    )]
    pub async fn rollback(
        self: Arc<Self>,
        _ctx: ActivityContext,
        req: RollbackRequest,
    ) -> Result<RollbackReport, ActivityError> {
        let Some(cmd) = &self.rollback_command else {
            return Ok(RollbackReport {
                ok: false,
                output: "no rollback is configured (CHATOPS__INCIDENT__ROLLBACK_COMMAND)".into(),
            });
        };
        let env = [
            ("SERVICE", req.service.as_str()),
            ("INCIDENT", req.incident.as_str()),
            ("REQUESTED_BY", req.user.as_str()),
            ("REASON", req.reason.as_str()),
        ];
        match self
            .shell
            .run(cmd, &env, None, None, Duration::from_secs(600))
            .await
        {
            Ok(out) => Ok(RollbackReport {
                ok: out.ok,
                output: out.output,
            }),
            Err(e) => Ok(RollbackReport {
                ok: false,
                output: e,
            }),
        }
    }
}

/// Reads an agent's answer, naming what is wrong with it.
pub fn parse_diagnosis(agent: &str, raw: &[u8]) -> Result<Diagnosis, String> {
    #[derive(Deserialize)]
    struct Answer {
        #[serde(default)]
        agent: Option<String>,
        root_cause: String,
        category: String,
        confidence: f64,
        #[serde(default)]
        evidence: Vec<String>,
        #[serde(default)]
        suggested_fix: Option<String>,
        #[serde(default)]
        changes: Vec<chatops_contract::incident::FileChange>,
    }
    let a: Answer = serde_json::from_slice(raw).map_err(|e| {
        format!(
            "agent {agent} answered something that is not a diagnosis ({e}): {}",
            tail(&String::from_utf8_lossy(raw), 200)
        )
    })?;
    if !(0.0..=1.0).contains(&a.confidence) {
        return Err(format!(
            "agent {agent} answered confidence {}, which is not between 0 and 1",
            a.confidence
        ));
    }
    if a.root_cause.trim().is_empty() || a.category.trim().is_empty() {
        return Err(format!(
            "agent {agent} answered an empty root_cause or category"
        ));
    }
    Ok(Diagnosis {
        agent: a
            .agent
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| agent.to_owned()),
        root_cause: a.root_cause.trim().to_owned(),
        category: a.category.trim().to_ascii_lowercase(),
        confidence: a.confidence,
        evidence: a.evidence,
        suggested_fix: a.suggested_fix,
        changes: a.changes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_checked_and_named() {
        let ok = parse_diagnosis(
            "agent-1",
            br#"{"root_cause":" pool exhausted ","category":"Database","confidence":0.8}"#,
        )
        .expect("valid");
        assert_eq!(
            (
                ok.agent.as_str(),
                ok.category.as_str(),
                ok.root_cause.as_str()
            ),
            ("agent-1", "database", "pool exhausted")
        );
        let table: &[(&[u8], &str)] = &[
            (
                b"oops",
                "agent-2 answered something that is not a diagnosis",
            ),
            (
                br#"{"root_cause":"x","category":"y","confidence":1.5}"#,
                "confidence 1.5, which is not between 0 and 1",
            ),
            (
                br#"{"root_cause":"","category":"y","confidence":0.5}"#,
                "empty root_cause",
            ),
            (
                br#"{"category":"y","confidence":0.5}"#,
                "missing field `root_cause`",
            ),
        ];
        for (raw, want) in table {
            let err = parse_diagnosis("agent-2", raw).expect_err("invalid");
            assert!(err.contains(want), "{err}");
        }
    }
}
