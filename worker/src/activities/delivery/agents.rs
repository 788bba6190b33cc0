//! The delivery agents: one question to the primary or the alternative agent, and the check
//! of its answer against the schema of its kind.
//!
//! Command backend: the request `{"kind", "feature", "input"}` on stdin, with `AGENT_KIND`,
//! `AGENT_ROLE` (`primary` or `alternative`) and `FEATURE` in the environment; the answer, one
//! JSON object, on stdout. HTTP backend: a chat-completions call (`{base}/chat/completions`,
//! `model`, bearer key) whose first choice's content is the JSON answer. A malformed answer is
//! a retryable failure whose message keeps the raw answer.

use chatops_contract::incident::FileChange;
use chatops_contract::lifecycle::{MigrationStep, Plan};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::time::Duration;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

use super::coding::WorkspaceAt;
use super::{AgentEndpoint, DeliveryActivities};
use crate::activities::failure::{by_status, permanent, retryable};
use crate::activities::shell::tail;
use crate::activities::time_left;
use crate::domain::lifecycle;
use crate::domain::repo_path::RepoPath;

/// One agent question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentAsk {
    /// `analysis`, `plan`, `code` or `review` (see [`AgentKind`]).
    pub kind: String,
    /// The feature's workflow id.
    pub feature: String,
    /// Ask the alternative agent instead of the primary.
    pub alternative: bool,
    /// What the agent works from.
    pub input: Value,
}

/// What an agent is asked to do; each kind has its own answer schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentKind {
    /// Is the request feasible, and what is unclear.
    Analysis,
    /// The task breakdown.
    Plan,
    /// File changes for a task.
    Code,
    /// File changes fixing failed checks.
    Fix,
    /// A review of the changes.
    Review,
    /// The steps of a code migration.
    Migration,
}

/// A kind no agent is asked for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown agent step `{0}`")]
pub struct UnknownKind(String);

impl AgentKind {
    /// Every kind.
    pub const ALL: [AgentKind; 6] = [
        AgentKind::Analysis,
        AgentKind::Plan,
        AgentKind::Code,
        AgentKind::Fix,
        AgentKind::Review,
        AgentKind::Migration,
    ];

    /// The wire spelling (`AgentAsk::kind`, `AGENT_KIND`).
    pub const fn as_str(self) -> &'static str {
        match self {
            AgentKind::Analysis => "analysis",
            AgentKind::Plan => "plan",
            AgentKind::Code => "code",
            AgentKind::Fix => "fix",
            AgentKind::Review => "review",
            AgentKind::Migration => "migration",
        }
    }

    /// The answer's shape, as the HTTP backend's system message spells it.
    fn schema(self) -> &'static str {
        match self {
            AgentKind::Analysis => {
                r#"{"feasible": bool, "summary": string, "ambiguities": [string]}"#
            }
            AgentKind::Plan => {
                r#"{"tasks": [{"id": "T1", "title": string, "depends_on": [task id]}], "estimate_hours": number}"#
            }
            AgentKind::Code | AgentKind::Fix => {
                r#"{"changes": [{"path": string, "content": string}], "summary": string}"#
            }
            AgentKind::Review => r#"{"approved": bool, "comments": [string]}"#,
            AgentKind::Migration => {
                r#"{"steps": [{"id": "S1", "description": string, "command": name from input.commands, "validate": name, "rollback": name}]}"#
            }
        }
    }
}

impl std::str::FromStr for AgentKind {
    type Err = UnknownKind;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| UnknownKind(s.to_owned()))
    }
}

/// How often an agent call tells Temporal its worker is alive.
const HEARTBEAT_EVERY: Duration = Duration::from_secs(5);

impl DeliveryActivities {
    /// [`Self::answer`], heartbeating while the agent works, so a lost worker is noticed within
    /// the heartbeat timeout and the agent asked again elsewhere. The beats carry on what the
    /// previous attempt left (why its edits were refused), which a code agent reads.
    pub(super) async fn answer_beating(
        &self,
        ctx: &ActivityContext,
        ask: &AgentAsk,
    ) -> Result<Value, ActivityError> {
        let carried = ctx
            .heartbeat_details()
            .deserialize::<String>()
            .ok()
            .flatten();
        let beat = async {
            loop {
                let _ = match &carried {
                    Some(why) => ctx.record_heartbeat(why.clone()).await,
                    None => ctx.record_heartbeat(()).await,
                };
                tokio::time::sleep(HEARTBEAT_EVERY).await;
            }
        };
        tokio::select! {
            answer = self.answer(ctx, ask) => answer,
            () = beat => unreachable!("the heartbeat loop never ends"),
        }
    }

    /// Asks the agent `ask` names and checks its answer.
    pub(super) async fn answer(
        &self,
        ctx: &ActivityContext,
        ask: &AgentAsk,
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
        if let Some(at) = WorkspaceAt::of(ask) {
            return self
                .answer_in_workspace(ctx, ask, endpoint, role, &at)
                .await;
        }
        let timeout = time_left(ctx, Duration::from_secs(300));
        let request = json!({"kind": ask.kind, "feature": ask.feature, "input": ask.input});
        let raw = match endpoint {
            AgentEndpoint::Command(cmd) => {
                let env = [
                    ("AGENT_KIND", ask.kind.as_str()),
                    ("AGENT_ROLE", role),
                    ("FEATURE", ask.feature.as_str()),
                ];
                let stdin = request.to_string();
                let out = (self.config.shell)
                    .run(cmd, &env, Some(stdin.as_bytes()), None, timeout)
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
                let messages = [
                    json!({"role": "system", "content": instructions(&ask.kind)}),
                    json!({"role": "user", "content": request.to_string()}),
                ];
                self.chat(url, model, key.as_ref(), role, &messages, timeout)
                    .await?
            }
        };
        check_answer(&ask.kind, &raw).map_err(|e| retryable(format!("{role} agent: {e}")))
    }
}

impl DeliveryActivities {
    /// One chat-completions call with `messages`; the first choice's content.
    pub(super) async fn chat(
        &self,
        url: &url::Url,
        model: &str,
        key: Option<&secrecy::SecretString>,
        role: &str,
        messages: &[Value],
        timeout: Duration,
    ) -> Result<String, ActivityError> {
        let body = json!({
            "model": model,
            "response_format": {"type": "json_object"},
            "messages": messages,
        });
        let endpoint = format!("{}/chat/completions", url.as_str().trim_end_matches('/'));
        let auth = key.map(|k| format!("Bearer {}", k.expose_secret()));
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
            return Err(by_status(
                resp.status,
                format!(
                    "{role} agent answered {}: {}",
                    resp.status,
                    tail(&text, 300)
                ),
            ));
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
            })
    }
}

/// What the HTTP backend's system message asks for (an unknown kind is asked for `{}`, and
/// its answer refused by [`check_answer`]).
fn instructions(kind: &str) -> String {
    let schema = kind.parse().map_or("{}", AgentKind::schema);
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
    let typed = kind.parse::<AgentKind>().map_err(|e| e.to_string())?;
    match typed {
        AgentKind::Analysis => {
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
        AgentKind::Plan => {
            let p: Plan = serde_json::from_value(v.clone()).map_err(|e| bad(e.to_string()))?;
            lifecycle::validate_plan(&p).map_err(bad)?;
        }
        AgentKind::Code | AgentKind::Fix => {
            #[derive(Deserialize)]
            struct C {
                changes: Vec<FileChange>,
            }
            let c: C = serde_json::from_value(v.clone()).map_err(|e| bad(e.to_string()))?;
            if c.changes.is_empty() {
                return Err(bad("no changes".into()));
            }
            for ch in &c.changes {
                RepoPath::parse(&ch.path).map_err(bad)?;
            }
        }
        AgentKind::Review => {
            #[derive(Deserialize)]
            #[allow(dead_code)]
            struct R {
                approved: bool,
                #[serde(default)]
                comments: Vec<String>,
            }
            serde_json::from_value::<R>(v.clone()).map_err(|e| bad(e.to_string()))?;
        }
        AgentKind::Migration => {
            #[derive(Deserialize)]
            struct M {
                steps: Vec<MigrationStep>,
            }
            let m: M = serde_json::from_value(v.clone()).map_err(|e| bad(e.to_string()))?;
            lifecycle::validate_steps(&m.steps).map_err(bad)?;
        }
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_and_unknown_ones_are_named() {
        for kind in AgentKind::ALL {
            assert_eq!(kind.as_str().parse::<AgentKind>(), Ok(kind));
        }
        let err = "deploy".parse::<AgentKind>().expect_err("unknown");
        assert_eq!(err.to_string(), "unknown agent step `deploy`");
        assert!(instructions("deploy").ends_with("shaped exactly like: {}"));
        assert!(instructions("fix").contains(r#""changes""#));
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
        assert_eq!(
            check_answer("deploy", "{}").expect_err("unknown kind"),
            "unknown agent step `deploy`"
        );
    }
}
