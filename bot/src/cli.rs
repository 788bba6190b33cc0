//! `chatops-bot [--as U…] feature|incident|emergency …`: the actions of the Slack commands from
//! a terminal, for when Slack is down. They go to the same workflows with the same payloads, so
//! the workflows apply the same rules (approvals are validated updates). The caller is `--as`,
//! or `CHATOPS__SHELL__USER`. Every action is audited like its Slack twin.

use chatops_common::Settings;
use chatops_contract::feature::{Approve, Reject};
use chatops_contract::freeze::FreezeRequest;
use chatops_contract::lifecycle::Control;
use chatops_contract::{ids, signals, updates};
use std::process::ExitCode;

use crate::store::{AuditEntry, Store};
use crate::temporal::{DecisionError, Temporal};

/// Usage of the action subcommands.
pub const USAGE: &str = "  [--as U…] feature status <id>
  [--as U…] feature list [all]
  [--as U…] feature approve <id> <gate> [comment]
  [--as U…] feature reject <id> <gate> <reason>
  [--as U…] feature pause|resume <id> [reason]
  [--as U…] incident status <id>
  [--as U…] emergency status
  [--as U…] emergency stop <reason>   (on-call users listed by id; groups need Slack)
  [--as U…] emergency release <reason>";

/// A parsed action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Show a feature.
    FeatureStatus(String),
    /// List running features.
    FeatureList {
        /// Everyone's, not only the caller's.
        all: bool,
    },
    /// Approve a gate.
    Approve {
        /// Feature id.
        id: String,
        /// Gate.
        gate: String,
        /// Comment.
        comment: Option<String>,
    },
    /// Reject a gate.
    Reject {
        /// Feature id.
        id: String,
        /// Gate.
        gate: String,
        /// Why.
        reason: String,
    },
    /// Pause (`true`) or resume a feature.
    Pause {
        /// Feature id.
        id: String,
        /// Pause or resume.
        pause: bool,
        /// Why.
        reason: Option<String>,
    },
    /// Show an incident.
    IncidentStatus(String),
    /// Show the emergency stop.
    EmergencyStatus,
    /// Engage (`true`) or release the emergency stop.
    Emergency {
        /// Engage or release.
        engage: bool,
        /// Why.
        reason: String,
    },
}

/// Whether `args` name an action (its first word is `feature`, `incident` or `emergency`,
/// after an optional `--as U…`).
pub fn is_action(args: &[String]) -> bool {
    let rest = strip_as(args).1;
    matches!(
        rest.first().map(String::as_str),
        Some("feature" | "incident" | "emergency")
    )
}

fn strip_as(args: &[String]) -> (Option<String>, &[String]) {
    match args {
        [flag, user, rest @ ..] if flag == "--as" => (Some(user.clone()), rest),
        _ => (None, args),
    }
}

/// Parses the words after `chatops-bot`; the error is the one line the user sees.
pub fn parse(args: &[String]) -> Result<(Option<String>, Action), String> {
    let (user, rest) = strip_as(args);
    if let Some(u) = &user
        && !(u.starts_with('U') || u.starts_with('W'))
    {
        return Err(format!("`--as {u}` must be a Slack user id like U0123ABCD"));
    }
    let words: Vec<&str> = rest.iter().map(String::as_str).collect();
    let feature_id = |id: &str| -> Result<String, String> {
        if ids::is_feature_workflow_id(id) {
            Ok(id.to_owned())
        } else {
            Err(format!(
                "`{id}` is not a feature id; feature ids look like feature-add-login-1a2b3c4d"
            ))
        }
    };
    let gate = |g: &str| -> Result<String, String> {
        match g {
            "intake" | "plan" | "production" => Ok(g.to_owned()),
            other => Err(format!(
                "`{other}` is not a gate; the gates are intake, plan and production"
            )),
        }
    };
    let text = |w: &[&str]| (!w.is_empty()).then(|| w.join(" "));
    let action = match words.as_slice() {
        ["feature", "status", id] => Action::FeatureStatus(feature_id(id)?),
        ["feature", "list"] => Action::FeatureList { all: false },
        ["feature", "list", "all"] => Action::FeatureList { all: true },
        ["feature", "approve", id, g, comment @ ..] => Action::Approve {
            id: feature_id(id)?,
            gate: gate(g)?,
            comment: text(comment),
        },
        ["feature", "reject", id, g, reason @ ..] => Action::Reject {
            id: feature_id(id)?,
            gate: gate(g)?,
            reason: text(reason).ok_or("a rejection needs a reason")?,
        },
        ["feature", verb @ ("pause" | "resume"), id, reason @ ..] => Action::Pause {
            id: feature_id(id)?,
            pause: *verb == "pause",
            reason: text(reason),
        },
        ["incident", "status", id] if ids::is_incident_workflow_id(id) => {
            Action::IncidentStatus((*id).to_owned())
        }
        ["incident", "status", id] => {
            return Err(format!(
                "`{id}` is not an incident id; incident ids look like incident-1a2b3c4d5e"
            ));
        }
        ["emergency", "status"] => Action::EmergencyStatus,
        ["emergency", verb @ ("stop" | "release"), reason @ ..] => Action::Emergency {
            engage: *verb == "stop",
            reason: text(reason).ok_or("the emergency stop needs a reason")?,
        },
        _ => return Err(format!("not an action I know: `{}`", words.join(" "))),
    };
    Ok((user, action))
}

/// Runs the action; prints the answer on stdout, a refusal or failure on stderr (exit 1).
#[allow(clippy::print_stdout)] // The answer is the command's output.
pub async fn run(settings: &Settings, args: &[String]) -> ExitCode {
    let (user, action) = match parse(args) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("chatops-bot: {e}\n\nusage:\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let user = user.unwrap_or_else(|| settings.shell.user.clone());
    let temporal = match Temporal::connect(settings).await {
        Ok(t) => t,
        Err(e) => {
            eprintln!("chatops-bot: {e:#}");
            return ExitCode::from(1);
        }
    };
    let outcome = perform(settings, &temporal, &user, &action).await;
    let (audited, verb) = audit_of(&action);
    if let Some((what, workflow, gate)) = audited
        && let Ok(store) = Store::connect(&settings.database.url).await
    {
        let entry = AuditEntry {
            at: crate::store::rfc3339(std::time::SystemTime::now()),
            actor: user.clone(),
            action: format!("cli.{what}"),
            workflow_id: workflow,
            gate,
            decision: verb,
            outcome: match &outcome {
                Ok(_) => "done".to_owned(),
                Err(e) => format!("refused: {e}"),
            },
            ..AuditEntry::default()
        };
        if let Err(e) = store.audit(&entry).await {
            eprintln!("chatops-bot: the audit entry was not written: {e}");
        }
    }
    match outcome {
        Ok(text) => {
            println!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("chatops-bot: {e}");
            ExitCode::from(1)
        }
    }
}

type Audited = (
    Option<(&'static str, Option<String>, Option<String>)>,
    Option<String>,
);

fn audit_of(action: &Action) -> Audited {
    match action {
        Action::Approve { id, gate, .. } => (
            Some(("decision", Some(id.clone()), Some(gate.clone()))),
            Some("approve".into()),
        ),
        Action::Reject { id, gate, .. } => (
            Some(("decision", Some(id.clone()), Some(gate.clone()))),
            Some("reject".into()),
        ),
        Action::Pause { id, pause, .. } => (
            Some(("control", Some(id.clone()), None)),
            Some(if *pause { "pause" } else { "resume" }.into()),
        ),
        Action::Emergency { engage, .. } => (
            Some(("emergency", None, None)),
            Some(if *engage { "engage" } else { "release" }.into()),
        ),
        _ => (None, None),
    }
}

async fn perform(
    settings: &Settings,
    temporal: &Temporal,
    user: &str,
    action: &Action,
) -> Result<String, String> {
    let shown = |m: chatops_blocks::Message| {
        let blocks = serde_json::to_value(&m.blocks).ok();
        chatops_blocks::text::render(&m.text, blocks.as_ref(), 1).0
    };
    match action {
        Action::FeatureStatus(id) => {
            let s = temporal
                .feature_status(id)
                .await
                .map_err(|e| e.to_string())?;
            Ok(shown(chatops_blocks::feature::status(
                id,
                &s,
                &settings.workflow_url(id),
            )))
        }
        Action::FeatureList { all } => {
            let found = temporal
                .active_features(200)
                .await
                .map_err(|e| e.to_string())?;
            let lines: Vec<String> = found
                .iter()
                .filter(|(_, s)| *all || s.requester == user)
                .map(|(id, s)| {
                    format!(
                        "{id}\t{}\t{}",
                        chatops_blocks::feature::standing(s),
                        s.request
                    )
                })
                .collect();
            Ok(if lines.is_empty() {
                "no running features".to_owned()
            } else {
                lines.join("\n")
            })
        }
        Action::Approve { id, gate, comment } => {
            let a = Approve {
                gate: gate.clone(),
                user: user.to_owned(),
                comment: comment.clone(),
            };
            decided(temporal.update(id, updates::APPROVE, &a).await, id, gate)
        }
        Action::Reject { id, gate, reason } => {
            let r = Reject {
                gate: gate.clone(),
                user: user.to_owned(),
                reason: reason.clone(),
            };
            decided(temporal.update(id, updates::REJECT, &r).await, id, gate)
        }
        Action::Pause { id, pause, reason } => {
            let c = Control {
                user: user.to_owned(),
                reason: reason.clone(),
            };
            let name = if *pause {
                signals::PAUSE
            } else {
                signals::RESUME
            };
            temporal
                .signal(id, name, &c)
                .await
                .map_err(|e| e.to_string())?;
            Ok(format!(
                "{} {id}; its thread says when it holds or goes on. {}",
                if *pause { "Pausing" } else { "Resuming" },
                settings.workflow_url(id)
            ))
        }
        Action::IncidentStatus(id) => {
            let s = temporal
                .incident_status(id)
                .await
                .map_err(|e| e.to_string())?;
            Ok(shown(chatops_blocks::incident::status(
                &s,
                &settings.workflow_url(id),
            )))
        }
        Action::EmergencyStatus => {
            let s = temporal.freeze_status().await.map_err(|e| e.to_string())?;
            Ok(shown(chatops_blocks::freeze::status(&s)))
        }
        Action::Emergency { engage, reason } => {
            // Without Slack, only on-call users listed by id can be recognised.
            if !settings.emergency.oncall.iter().any(|who| who == user) {
                return Err(format!(
                    "{user} is not listed by id in CHATOPS__EMERGENCY__ONCALL (user groups can only be checked through Slack); nothing was changed"
                ));
            }
            let req = FreezeRequest {
                user: user.to_owned(),
                reason: reason.clone(),
            };
            if *engage {
                temporal
                    .engage_freeze(&req)
                    .await
                    .map_err(|e| e.to_string())?;
                Ok("Emergency stop engaged: running deliveries are being halted.".to_owned())
            } else {
                temporal
                    .release_freeze(&req)
                    .await
                    .map_err(|e| e.to_string())?;
                Ok("Emergency stop released.".to_owned())
            }
        }
    }
}

fn decided(
    result: Result<serde_json::Value, DecisionError>,
    id: &str,
    gate: &str,
) -> Result<String, String> {
    match result {
        Ok(v) => Ok(format!(
            "{id}: {gate} gate {}",
            v.as_str().unwrap_or("decided")
        )),
        Err(DecisionError::Refused(why)) => Err(format!("refused: {why}")),
        Err(e) => Err(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn actions_parse_and_mistakes_are_named() {
        assert_eq!(
            parse(&words(
                "--as U0OPS feature approve feature-x-1 intake ship it"
            )),
            Ok((
                Some("U0OPS".into()),
                Action::Approve {
                    id: "feature-x-1".into(),
                    gate: "intake".into(),
                    comment: Some("ship it".into()),
                }
            ))
        );
        assert_eq!(
            parse(&words("feature list all")),
            Ok((None, Action::FeatureList { all: true }))
        );
        let table = [
            ("--as ops feature list", "must be a Slack user id"),
            ("feature approve nope intake", "`nope` is not a feature id"),
            (
                "feature approve feature-x-1 staging",
                "`staging` is not a gate",
            ),
            (
                "feature reject feature-x-1 plan",
                "a rejection needs a reason",
            ),
            ("emergency stop", "the emergency stop needs a reason"),
            ("incident status feature-x-1", "is not an incident id"),
            ("feature frobnicate", "not an action I know"),
        ];
        for (args, want) in table {
            let err = parse(&words(args)).expect_err(args);
            assert!(err.contains(want), "{args}: {err}");
        }
        assert!(is_action(&words("--as U1 feature list")));
        assert!(!is_action(&words("doctor")));
    }
}
