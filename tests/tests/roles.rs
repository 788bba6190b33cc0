//! R5: every state-changing action, on every path it has (slash command, button, the CLI, a raw
//! `temporal workflow signal`), tried by someone with no role: each is refused, changes nothing,
//! and is audited (the bot's audit log for the bot's paths, the workflow's timeline and the
//! worker's `audit` log target for raw signals). Who *may* act is proved by the tests that
//! drive features and incidents to their end.

use chatops_contract::{queries, signals};
use chatops_e2e::stack::{APPROVER_GROUP, ONCALL_GROUP, alertmanager};
use chatops_e2e::{Stack, StackOptions};
use serde_json::{Value, json};
use std::fmt::Write as _;
use std::time::Duration;

const STRANGER: &str = "U0STRANGER";

/// One attempt and what came of it.
struct Tried {
    action: &'static str,
    path: &'static str,
    refused: bool,
    audited: bool,
}

/// Polls `probe` until it holds, for up to ten seconds; whether it did.
async fn eventually(mut probe: impl FnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        if probe() {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Lines of the bot's audit log about the stranger being refused.
fn bot_refusals(stack: &Stack) -> usize {
    stack
        .audit_log()
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains(STRANGER) && l.contains("refused"))
        .count()
}

/// Lines of the worker's `audit` log target about the stranger.
fn worker_refusals(stack: &Stack) -> usize {
    stack
        .worker
        .as_ref()
        .map(|w| w.output())
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains("audit") && l.contains(STRANGER))
        .count()
}

/// Timeline entries naming the stranger, in `status` (a feature's or an incident's) or a
/// freeze's history.
fn mentions(v: &Value) -> usize {
    ["timeline", "history"]
        .iter()
        .filter_map(|k| v[*k].as_array())
        .flatten()
        .filter(|e| e.to_string().contains(STRANGER))
        .count()
}

/// The words of a refusal, as people are told.
fn says_no(text: &str) -> bool {
    let text = text.to_lowercase();
    [
        "only",
        "may not",
        "nothing was",
        "refused",
        "not allowed",
        "not listed",
        "you are not",
    ]
    .iter()
    .any(|w| text.contains(w))
}

impl Matrix<'_> {
    /// A slash command: the person is told no, and the bot audits it.
    async fn slash(
        &mut self,
        action: &'static str,
        command: &str,
        text: &str,
    ) -> anyhow::Result<()> {
        let (told, audited) = (
            self.stack.recorded().ephemerals.len(),
            bot_refusals(self.stack),
        );
        self.stack.command_as(STRANGER, command, text).await?;
        let refused = eventually(|| {
            self.stack.recorded().ephemerals[told..]
                .iter()
                .any(|e| says_no(&e.text))
        })
        .await;
        let audited = eventually(|| bot_refusals(self.stack) > audited).await;
        self.tried.push(Tried {
            action,
            path: "slash command",
            refused,
            audited,
        });
        Ok(())
    }

    /// A button on `message` labelled `label`.
    async fn button(
        &mut self,
        action: &'static str,
        message: &chatops_bot::shell::local_slack::PostedMessage,
        label: &str,
    ) -> anyhow::Result<()> {
        let (told, audited) = (
            self.stack.recorded().ephemerals.len(),
            bot_refusals(self.stack),
        );
        self.stack.press_as(STRANGER, message, label)?;
        let refused = eventually(|| {
            self.stack.recorded().ephemerals[told..]
                .iter()
                .any(|e| says_no(&e.text))
        })
        .await;
        let audited = eventually(|| bot_refusals(self.stack) > audited).await;
        self.tried.push(Tried {
            action,
            path: "button",
            refused,
            audited,
        });
        Ok(())
    }

    /// `chatops-bot --as U0STRANGER <words>`: a non-zero exit saying why, audited.
    async fn cli(&mut self, action: &'static str, words: &[&str]) -> anyhow::Result<()> {
        let audited = bot_refusals(self.stack);
        let mut args = vec!["--as", STRANGER];
        args.extend_from_slice(words);
        let (code, out, err) = self.stack.cli(&args)?;
        let refused = code != 0 && says_no(&format!("{out}{err}"));
        if !refused {
            eprintln!("{action} through the CLI: exit {code}: {out}{err}");
        }
        let audited = eventually(|| bot_refusals(self.stack) > audited).await;
        self.tried.push(Tried {
            action,
            path: "CLI",
            refused,
            audited,
        });
        Ok(())
    }

    /// A raw signal to workflow `id`: refused on its timeline (read with `look`) and audited by
    /// the worker.
    async fn raw(
        &mut self,
        action: &'static str,
        id: &str,
        signal: &str,
        payload: Value,
        look: &dyn Fn(&Stack) -> Value,
    ) -> anyhow::Result<()> {
        self.raw_started(action, id, None, signal, payload, look)
            .await
    }

    /// A raw update to workflow `id` (`temporal workflow update execute`): the workflow's
    /// validator refuses it, the caller is told why, and the worker audits it.
    async fn raw_update(
        &mut self,
        action: &'static str,
        id: &str,
        update: &str,
        payload: Value,
    ) -> anyhow::Result<()> {
        let audited = worker_refusals(self.stack);
        let answer = self.stack.temporal(&[
            "workflow",
            "update",
            "execute",
            "-w",
            id,
            "--name",
            update,
            "--input",
            &payload.to_string(),
        ]);
        let refused = match answer {
            Ok(out) => {
                eprintln!("{action} by a raw update was accepted: {out}");
                false
            }
            Err(e) => {
                let said = format!("{e:#}");
                if !says_no(&said) {
                    eprintln!("{action} by a raw update: {said}");
                }
                says_no(&said)
            }
        };
        let audited = eventually(|| worker_refusals(self.stack) > audited).await;
        self.tried.push(Tried {
            action,
            path: "raw update",
            refused,
            audited,
        });
        Ok(())
    }

    /// [`Self::raw`], starting workflow `id` of type `start` with the signal (`temporal
    /// workflow signal-with-start`) when `start` is given, as the bot starts `EmergencyFreeze`.
    async fn raw_started(
        &mut self,
        action: &'static str,
        id: &str,
        start: Option<(&str, Value)>,
        signal: &str,
        payload: Value,
        look: &dyn Fn(&Stack) -> Value,
    ) -> anyhow::Result<()> {
        let (seen, audited) = (mentions(&look(self.stack)), worker_refusals(self.stack));
        match start {
            None => self.stack.signal(id, signal, &payload.to_string())?,
            Some((kind, input)) => {
                self.stack.temporal(&[
                    "workflow",
                    "signal-with-start",
                    "--workflow-id",
                    id,
                    "--type",
                    kind,
                    "--task-queue",
                    &self.stack.task_queue,
                    "--input",
                    &input.to_string(),
                    "--signal-name",
                    signal,
                    "--signal-input",
                    &payload.to_string(),
                ])?;
            }
        }
        let refused = eventually(|| mentions(&look(self.stack)) > seen).await;
        let audited = eventually(|| worker_refusals(self.stack) > audited).await;
        self.tried.push(Tried {
            action,
            path: "raw signal",
            refused,
            audited,
        });
        Ok(())
    }
}

struct Matrix<'a> {
    stack: &'a Stack,
    tried: Vec<Tried>,
}

#[tokio::test(flavor = "multi_thread")]
async fn every_action_on_every_path_is_refused_to_someone_without_a_role_and_audited()
-> anyhow::Result<()> {
    let stack = Stack::start(
        "roles-matrix",
        StackOptions {
            env: vec![
                (
                    "CHATOPS__APPROVALS__APPROVERS".into(),
                    APPROVER_GROUP.into(),
                ),
                ("CHATOPS__APPROVALS__ADMINS".into(), "U0ADMIN".into()),
                ("CHATOPS__INCIDENT__RESPONDERS".into(), ONCALL_GROUP.into()),
                (
                    "CHATOPS__INCIDENT__ROLLBACK_COMMAND".into(),
                    "echo rolled back".into(),
                ),
            ],
            ..StackOptions::default()
        },
    )
    .await?;
    let (feature, _card, request) = stack.feature_at_intake("Add a login page").await?;
    stack
        .send_alert(&alertmanager("fp-matrix", "payments", "firing"))
        .await?;
    let (incident_card, incident) = stack.incident_card("payments").await?;
    let freeze = chatops_contract::freeze::freeze_workflow_id(&stack.task_queue);
    let feature_status = {
        let id = feature.clone();
        move |s: &Stack| s.status(&id).unwrap_or_default()
    };
    let incident_status = {
        let id = incident.clone();
        move |s: &Stack| s.query(&id, queries::STATUS).unwrap_or_default()
    };
    let freeze_status = {
        let id = freeze.clone();
        move |s: &Stack| s.query(&id, queries::FREEZE).unwrap_or_default()
    };
    let mut m = Matrix {
        stack: &stack,
        tried: Vec::new(),
    };
    let (f, i) = (feature.as_str(), incident.as_str());
    let who = |extra: Value| {
        let mut v = json!({"user": STRANGER, "reason": "matrix"});
        if let (Some(v), Value::Object(extra)) = (v.as_object_mut(), extra) {
            v.extend(extra);
        }
        v
    };

    // A feature, at its intake gate.
    m.slash("pause", "/feature", &format!("pause {f} mine now"))
        .await?;
    m.slash("resume", "/feature", &format!("resume {f}"))
        .await?;
    m.slash("priority", "/feature", &format!("priority {f} critical"))
        .await?;
    m.slash("block", "/feature", &format!("block {f} B1 waiting"))
        .await?;
    m.slash("unblock", "/feature", &format!("unblock {f} B1"))
        .await?;
    m.slash(
        "skip a gate",
        "/feature",
        &format!("skip {f} intake no time"),
    )
    .await?;
    m.slash(
        "deploy outside the windows",
        "/feature",
        &format!("override-window {f} no time"),
    )
    .await?;
    m.slash(
        "let a hotfix pass a freeze",
        "/feature",
        &format!("pass-freeze {f} urgent"),
    )
    .await?;
    m.slash("cancel", "/feature", &format!("cancel {f} not wanted"))
        .await?;
    m.button("approve a gate", &request, "Approve").await?;
    m.button("reject a gate", &request, "Reject").await?;
    m.cli("pause", &["feature", "pause", f, "mine"]).await?;
    m.cli("resume", &["feature", "resume", f]).await?;
    m.cli(
        "skip a gate",
        &["feature", "skip", f, "intake", "no", "time"],
    )
    .await?;
    m.cli(
        "deploy outside the windows",
        &["feature", "override-window", f, "no", "time"],
    )
    .await?;
    m.cli(
        "let a hotfix pass a freeze",
        &["feature", "pass-freeze", f, "urgent"],
    )
    .await?;
    m.cli("cancel", &["feature", "cancel", f, "not", "wanted"])
        .await?;
    m.cli("approve a gate", &["feature", "approve", f, "intake"])
        .await?;
    m.cli("reject a gate", &["feature", "reject", f, "intake", "no"])
        .await?;
    m.raw(
        "pause",
        f,
        signals::name::PAUSE,
        who(json!({})),
        &feature_status,
    )
    .await?;
    m.raw(
        "resume",
        f,
        signals::name::RESUME,
        who(json!({})),
        &feature_status,
    )
    .await?;
    m.raw(
        "priority",
        f,
        signals::name::UPDATE_PRIORITY,
        who(json!({"priority": "critical"})),
        &feature_status,
    )
    .await?;
    m.raw(
        "block",
        f,
        signals::name::ADD_BLOCKER,
        who(json!({"id": "B1"})),
        &feature_status,
    )
    .await?;
    m.raw(
        "unblock",
        f,
        signals::name::REMOVE_BLOCKER,
        who(json!({"id": "B1"})),
        &feature_status,
    )
    .await?;
    m.raw(
        "ask for more",
        f,
        signals::name::REQUEST_CLARIFICATION,
        who(json!({"note": "why"})),
        &feature_status,
    )
    .await?;
    m.raw(
        "skip a gate",
        f,
        signals::name::SKIP_GATE,
        who(json!({"gate": "intake"})),
        &feature_status,
    )
    .await?;
    m.raw(
        "deploy outside the windows",
        f,
        signals::name::OVERRIDE_WINDOW,
        who(json!({})),
        &feature_status,
    )
    .await?;
    m.raw(
        "let a hotfix pass a freeze",
        f,
        signals::name::PASS_FREEZE,
        who(json!({})),
        &feature_status,
    )
    .await?;
    m.raw(
        "cancel",
        f,
        signals::name::CANCEL,
        who(json!({})),
        &feature_status,
    )
    .await?;
    m.raw(
        "approve a gate",
        f,
        signals::name::APPROVE,
        who(json!({"gate": "intake"})),
        &feature_status,
    )
    .await?;
    m.raw(
        "reject a gate",
        f,
        signals::name::REJECT,
        who(json!({"gate": "intake"})),
        &feature_status,
    )
    .await?;

    m.raw_update(
        "approve a gate",
        f,
        chatops_contract::updates::name::APPROVE,
        who(json!({"gate": "intake"})),
    )
    .await?;
    m.raw_update(
        "reject a gate",
        f,
        chatops_contract::updates::name::REJECT,
        who(json!({"gate": "intake"})),
    )
    .await?;

    // An incident, firing.
    m.button("acknowledge", &incident_card, "Acknowledge")
        .await?;
    m.button("resolve", &incident_card, "Resolve").await?;
    m.slash(
        "hand over command",
        "/incident",
        &format!("commander {i} <@{STRANGER}>"),
    )
    .await?;
    m.slash("resolve", "/incident", &format!("resolve {i} fixed it"))
        .await?;
    m.cli("acknowledge", &["incident", "ack", i]).await?;
    m.cli("resolve", &["incident", "resolve", i, "fixed"])
        .await?;
    m.raw(
        "acknowledge",
        i,
        signals::name::ACKNOWLEDGE,
        who(json!({})),
        &incident_status,
    )
    .await?;
    m.raw(
        "roll back",
        i,
        signals::name::ROLLBACK,
        who(json!({})),
        &incident_status,
    )
    .await?;
    m.raw(
        "resolve",
        i,
        signals::name::RESOLVE,
        who(json!({"summary": "fixed"})),
        &incident_status,
    )
    .await?;
    m.raw(
        "hand over command",
        i,
        signals::name::ASSIGN_COMMANDER,
        who(json!({"commander": STRANGER})),
        &incident_status,
    )
    .await?;
    m.raw(
        "choose a diagnosis",
        i,
        signals::name::CHOOSE_DIAGNOSIS,
        who(json!({"index": 0})),
        &incident_status,
    )
    .await?;

    // The emergency stop, released.
    m.slash("engage the emergency stop", "/emergency-stop", "bad deploy")
        .await?;
    m.cli(
        "engage the emergency stop",
        &["emergency", "stop", "bad", "deploy"],
    )
    .await?;
    m.slash(
        "change the freeze calendar",
        "/freeze",
        "add sneaky Fri 15:00 for 1h no reason",
    )
    .await?;
    m.slash("change the freeze calendar", "/freeze", "remove sneaky")
        .await?;
    m.cli(
        "change the freeze calendar",
        &[
            "freeze", "add", "sneaky", "Fri", "15:00", "for", "1h", "no", "reason",
        ],
    )
    .await?;
    let never_engaged = serde_json::to_value(chatops_contract::freeze::FreezeStatus::default())?;
    m.raw_started(
        "engage the emergency stop",
        &freeze,
        Some((chatops_contract::workflows::EMERGENCY_FREEZE, never_engaged)),
        signals::name::ENGAGE,
        who(json!({})),
        &freeze_status,
    )
    .await?;
    m.raw(
        "release the emergency stop",
        &freeze,
        signals::name::RELEASE,
        who(json!({})),
        &freeze_status,
    )
    .await?;

    let mut table = String::from("| action | path | refused | audited |\n|---|---|---|---|\n");
    for t in &m.tried {
        let _ = writeln!(
            table,
            "| {} | {} | {} | {} |",
            t.action, t.path, t.refused, t.audited
        );
    }
    let refused = m.tried.iter().filter(|t| t.refused).count();
    let audited = m.tried.iter().filter(|t| t.audited).count();
    eprintln!(
        "{table}\n{refused} of {} refused, {audited} audited",
        m.tried.len()
    );
    assert_eq!(refused, m.tried.len(), "not refused:\n{table}");
    assert_eq!(audited, m.tried.len(), "not audited:\n{table}");

    // And nothing changed.
    let status = feature_status(&stack);
    assert_eq!(status["phase"], "intake", "{status}");
    assert_eq!(status["paused"], false, "{status}");
    assert_ne!(status["priority"], "critical", "{status}");
    let incident = incident_status(&stack);
    assert!(incident["acknowledged_by"].is_null(), "{incident}");
    assert_ne!(incident["commander"], STRANGER, "{incident}");
    assert_ne!(incident["phase"], "resolved", "{incident}");
    assert_eq!(freeze_status(&stack)["engaged"], false);
    Ok(())
}
