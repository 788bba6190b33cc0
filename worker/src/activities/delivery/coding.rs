//! Code and fix steps on the repository itself: a command agent edits a checkout of the branch
//! head in place; an HTTP agent is shown the code and answers edits that must apply. Either way
//! the change is what the checkout holds afterwards, read back by git.

use chatops_contract::incident::FileChange;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::time::Duration;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

use super::agents::{AgentAsk, AgentKind, check_answer};
use super::{AgentEndpoint, DeliveryActivities};
use crate::activities::failure::{permanent, retryable};
use crate::activities::shell::tail;
use crate::activities::time_left;

/// The checkout a code or fix step works in: `input.workspace` of the question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkspaceAt {
    /// `owner/name`.
    pub repository: String,
    /// The commit the agent starts from (the branch head).
    pub sha: String,
}

impl WorkspaceAt {
    /// The checkout `ask` names, for the kinds that change code.
    pub(super) fn of(ask: &AgentAsk) -> Option<Self> {
        let kind = ask.kind.parse::<AgentKind>().ok()?;
        if !matches!(kind, AgentKind::Code | AgentKind::Fix) {
            return None;
        }
        serde_json::from_value(ask.input.get("workspace")?.clone()).ok()
    }
}

impl DeliveryActivities {
    /// A code or fix step in a checkout of the branch head: a command agent runs there and
    /// edits it in place (the request on stdin, the task in `CHATOPS_TASK_PROMPT`); an HTTP
    /// agent's files are written there. Either way the change is what the checkout holds
    /// afterwards, read back by git, and refused whole when it breaks a guard rail.
    pub(super) async fn answer_in_workspace(
        &self,
        ctx: &ActivityContext,
        ask: &AgentAsk,
        endpoint: &AgentEndpoint,
        role: &str,
        at: &WorkspaceAt,
    ) -> Result<Value, ActivityError> {
        let Some(workspaces) = &self.config.workspaces else {
            return Err(permanent("this worker keeps no workspaces"));
        };
        let ws = workspaces
            .checkout(&at.repository, &at.sha)
            .await
            .map_err(|e| retryable(format!("{role} agent's workspace: {e}")))?;
        let timeout = time_left(ctx, Duration::from_secs(300));
        let request = json!({"kind": ask.kind, "feature": ask.feature, "input": ask.input});
        let summary = match endpoint {
            AgentEndpoint::Command(cmd) => {
                let prompt = prompt(ask);
                let dir = ws.dir().to_string_lossy().into_owned();
                let env = [
                    ("AGENT_KIND", ask.kind.as_str()),
                    ("AGENT_ROLE", role),
                    ("FEATURE", ask.feature.as_str()),
                    ("CHATOPS_FEATURE", ask.feature.as_str()),
                    ("CHATOPS_REPOSITORY", at.repository.as_str()),
                    ("CHATOPS_SHA", at.sha.as_str()),
                    ("CHATOPS_WORKSPACE", dir.as_str()),
                    ("CHATOPS_TASK_PROMPT", prompt.as_str()),
                ];
                let stdin = request.to_string();
                let out = (self.config.shell)
                    .run(cmd, &env, Some(stdin.as_bytes()), Some(ws.dir()), timeout)
                    .await
                    .map_err(|e| retryable(format!("{role} agent: {e}")))?;
                if !out.ok {
                    return Err(retryable(format!(
                        "{role} agent command failed: {}",
                        out.output
                    )));
                }
                let said = String::from_utf8_lossy(&out.stdout).into_owned();
                // An agent may also answer files as JSON; they are written into the checkout.
                match serde_json::from_str::<Value>(said.trim()) {
                    Ok(v) if v.get("changes").is_some() => {
                        let files = check_answer(&ask.kind, said.trim())
                            .map_err(|e| retryable(format!("{role} agent: {e}")))?;
                        self.write_answer(&ws, &files, role)?;
                        v["summary"].as_str().unwrap_or_default().to_owned()
                    }
                    Ok(v) => v["summary"]
                        .as_str()
                        .map_or_else(|| tail(said.trim(), 300), str::to_owned),
                    Err(_) => tail(said.trim(), 300),
                }
            }
            AgentEndpoint::Http { url, model, key } => {
                let chat = Chat {
                    url,
                    model,
                    key: key.as_ref(),
                    role,
                    timeout,
                };
                self.edit_over_http(ctx, ask, at, &ws, &chat).await?
            }
        };
        let changes = workspaces
            .changes(&ws)
            .await
            .map_err(|e| permanent(format!("{role} agent's change refused: {e}")))?;
        if changes.is_empty() {
            let said = if summary.trim().is_empty() {
                String::new()
            } else {
                format!("; it said: {}", tail(summary.trim(), 300))
            };
            return Err(retryable(format!(
                "{role} agent changed nothing in the checkout of {}{said}",
                at.sha
            )));
        }
        Ok(json!({"changes": changes, "summary": summary}))
    }

    /// The HTTP agent's conversation about the checkout: the file tree and the files the
    /// task names; one round where it may ask for more files; then edits that must apply to
    /// the files as they are. Edits that do not apply are sent back with the reasons, up to
    /// [`CORRECTIONS`] times; then the attempt fails, and the next attempt is told why. The
    /// edits are written into the checkout; returns the agent's summary.
    async fn edit_over_http(
        &self,
        ctx: &ActivityContext,
        ask: &AgentAsk,
        at: &WorkspaceAt,
        ws: &crate::activities::workspace::Workspace,
        chat: &Chat<'_>,
    ) -> Result<String, ActivityError> {
        let Some(workspaces) = &self.config.workspaces else {
            return Err(permanent("this worker keeps no workspaces"));
        };
        let role = chat.role;
        let tree = workspaces
            .files(ws, MAX_TREE)
            .await
            .map_err(|e| retryable(format!("{role} agent's workspace: {e}")))?;
        let mut budget = MAX_CONTEXT_BYTES;
        let words = format!("{} {}", ask.input["request"], ask.input["task"]);
        let named: Vec<&String> = tree
            .iter()
            .filter(|p| words.contains(p.as_str()))
            .take(MAX_FILES)
            .collect();
        let files = read_within(
            workspaces,
            ws,
            named.into_iter().map(String::as_str),
            &mut budget,
        );
        let mut input = ask.input.clone();
        if let Some(o) = input.as_object_mut() {
            o.remove("workspace");
        }
        let mut messages = vec![
            json!({"role": "system", "content": edit_instructions(&ask.kind)}),
            json!({"role": "user", "content": json!({
                "kind": ask.kind,
                "feature": ask.feature,
                "input": input,
                "repository": at.repository,
                "commit": at.sha,
                "tree": tree,
                "files": files,
            }).to_string()}),
        ];
        // What the previous attempt was refused for, when this is a retry.
        if let Ok(Some(why)) = ctx.heartbeat_details().deserialize::<String>() {
            messages.push(json!({"role": "user", "content": format!(
                "Your previous attempt was refused: {why}. Send edits that apply to the files as they are."
            )}));
        }
        let mut asked_for_files = false;
        let mut corrections = 0;
        loop {
            let raw = self
                .chat(
                    chat.url,
                    chat.model,
                    chat.key,
                    role,
                    &messages,
                    chat.timeout,
                )
                .await?;
            messages.push(json!({"role": "assistant", "content": raw}));
            let answer: Value = serde_json::from_str(raw.trim()).unwrap_or(Value::Null);
            if let (Some(need), false) = (answer["need"].as_array(), asked_for_files) {
                asked_for_files = true;
                let wanted = need.iter().filter_map(Value::as_str).take(MAX_FILES);
                let more = read_within(workspaces, ws, wanted, &mut budget);
                messages.push(json!({"role": "user", "content": json!({
                    "files": more,
                    "note": "These are the files you asked for (a file that is missing, not text, or over the budget is left out). Now answer with the edits.",
                }).to_string()}));
                continue;
            }
            let problems = match parse_edits(&answer) {
                Err(why) => vec![why],
                Ok(edits) => match crate::domain::edits::apply(&edits, |p| {
                    workspaces.read(ws, p, MAX_CHANGE_FILE)
                }) {
                    Ok(changes) => {
                        workspaces.apply(ws, &changes).map_err(|e| {
                            permanent(format!("{role} agent's change refused: {e}"))
                        })?;
                        return Ok(answer["summary"].as_str().unwrap_or_default().to_owned());
                    }
                    Err(problems) => problems,
                },
            };
            let why = problems.join("; ");
            corrections += 1;
            if corrections > CORRECTIONS {
                let _ = ctx.record_heartbeat(why.clone()).await;
                return Err(retryable(format!(
                    "{role} agent's edits did not apply: {why}"
                )));
            }
            messages.push(json!({"role": "user", "content": format!(
                "Your edits did not apply, so nothing was changed: {why}. Send every edit again, each search text copied exactly from the files as they are."
            )}));
        }
    }

    /// Writes the files of a checked answer into the checkout.
    fn write_answer(
        &self,
        ws: &crate::activities::workspace::Workspace,
        answer: &Value,
        role: &str,
    ) -> Result<(), ActivityError> {
        let files: Vec<FileChange> =
            serde_json::from_value(answer["changes"].clone()).unwrap_or_default();
        let Some(workspaces) = &self.config.workspaces else {
            return Err(permanent("this worker keeps no workspaces"));
        };
        workspaces
            .apply(ws, &files)
            .map_err(|e| permanent(format!("{role} agent's change refused: {e}")))
    }
}

/// Where an HTTP agent is reached.
struct Chat<'a> {
    url: &'a url::Url,
    model: &'a str,
    key: Option<&'a secrecy::SecretString>,
    role: &'a str,
    timeout: Duration,
}

/// Most paths of the file tree an HTTP agent is shown.
const MAX_TREE: usize = 2000;
/// Most files an HTTP agent is shown at once.
const MAX_FILES: usize = 12;
/// Most bytes of file content an HTTP agent is shown in all.
const MAX_CONTEXT_BYTES: usize = 200 << 10;
/// Largest file an HTTP agent is shown or may edit.
const MAX_CHANGE_FILE: usize = 256 << 10;
/// How many times edits that do not apply are sent back within one attempt.
const CORRECTIONS: u32 = 2;

/// The files among `paths` that are text, within what is left of `budget`.
fn read_within<'p>(
    workspaces: &crate::activities::workspace::Workspaces,
    ws: &crate::activities::workspace::Workspace,
    paths: impl Iterator<Item = &'p str>,
    budget: &mut usize,
) -> serde_json::Map<String, Value> {
    let mut files = serde_json::Map::new();
    for path in paths {
        if let Some((text, _)) = workspaces.read(ws, path, MAX_CHANGE_FILE)
            && text.len() <= *budget
        {
            *budget -= text.len();
            files.insert(path.to_owned(), Value::String(text));
        }
    }
    files
}

/// The edits of an answer: `edits`, or `changes` (whole files, for new files).
fn parse_edits(answer: &Value) -> Result<Vec<crate::domain::edits::Edit>, String> {
    let list = answer
        .get("edits")
        .or_else(|| answer.get("changes"))
        .ok_or_else(|| {
            "the answer is not one JSON object with `edits` (or `need` to ask for files)".to_owned()
        })?;
    let edits: Vec<crate::domain::edits::Edit> = serde_json::from_value(list.clone())
        .map_err(|e| format!("the edits are malformed ({e})"))?;
    if edits.is_empty() {
        return Err("the answer has no edits".to_owned());
    }
    Ok(edits)
}

/// The system message of an HTTP agent working on the code.
fn edit_instructions(kind: &str) -> String {
    format!(
        "You are a software delivery agent doing the `{kind}` step on the repository described in the user message (its file tree, and the content of some files). \
Answer with one JSON object only. To see more files first, answer {{\"need\": [paths]}} (once). Otherwise answer \
{{\"edits\": [{{\"path\": string, \"search\": exact text that occurs once in the file, \"replace\": string}} | {{\"path\": string, \"content\": whole content of a new file}} | {{\"path\": string, \"delete\": true}}], \"summary\": string}}. \
Existing files are changed only with search/replace; whole content is for new files."
    )
}

/// The task in words, for a command-line coding agent (`CHATOPS_TASK_PROMPT`).
fn prompt(ask: &AgentAsk) -> String {
    let input = &ask.input;
    let request = input["request"].as_str().unwrap_or_default();
    match ask.kind.parse::<AgentKind>() {
        Ok(AgentKind::Fix) => format!(
            "The quality check `{}` failed on this commit of the repository in the current folder. Its output:\n{}\n\nChange the code so the check passes. The feature being delivered: {request}\nEdit the files in place; do not commit or push.",
            input["check"].as_str().unwrap_or_default(),
            input["output"].as_str().unwrap_or_default()
        ),
        _ => format!(
            "Feature request: {request}\n\nYour task ({}): {}\n\nMake the change in the repository in the current folder. Edit the files in place; do not commit or push.",
            input["task"]["id"].as_str().unwrap_or_default(),
            input["task"]["title"].as_str().unwrap_or_default()
        ),
    }
}
