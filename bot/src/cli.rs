//! `chatops-bot [--as U…] feature|incident|emergency …`: the actions of the Slack commands from
//! a terminal, for when Slack is down. They go to the same workflows with the same payloads, so
//! the workflows apply the same rules (approvals are validated updates). The caller is `--as`,
//! or `CHATOPS__SHELL__USER`. Every action is audited like its Slack twin.

use chatops_common::Settings;
use chatops_contract::feature::{Approve, Environment, FeatureRequest, Priority, Reject};
use chatops_contract::freeze::FreezeRequest;
use chatops_contract::incident::{Acknowledge, Resolve};
use chatops_contract::lifecycle::{Control, SkipGate};
use chatops_contract::{Signal, ids, signals, updates};
use std::process::ExitCode;

use crate::store::{AuditEntry, Store};
use crate::temporal::{DecisionError, Started, Temporal};

/// Usage of the action subcommands.
pub const USAGE: &str = "  [--as U…] feature new [--channel C…] [--repo owner/name] [--priority low|medium|high|critical]
                       [--target staging|production] [--key K] <request>
  [--as U…] feature status <id>
  [--as U…] feature list [all]
  [--as U…] feature approve <id> <gate> [comment]
  [--as U…] feature reject <id> <gate> <reason>
  [--as U…] feature pause|resume <id> [reason]
  [--as U…] feature skip <id> <gate> <reason>   (admins listed by id)
  [--as U…] feature cancel <id> <reason>        (its requester, or an admin listed by id)
  [--as U…] incident list
  [--as U…] incident status <id>
  [--as U…] incident acknowledge <id>
  [--as U…] incident resolve <id> <summary>
  [--as U…] emergency status
  [--as U…] emergency stop <reason>   (on-call users listed by id; groups need Slack)
  [--as U…] emergency release <reason>";

/// A parsed action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Start a feature.
    FeatureNew {
        /// What to build.
        request: String,
        /// Where its card goes; `CHATOPS__SLACK__CHANNEL` when `None`.
        channel: Option<String>,
        /// `owner/name`.
        repository: Option<String>,
        /// How urgent.
        priority: Priority,
        /// Where it goes.
        target: Environment,
        /// Idempotency key: the same key (and caller) is one feature; the current minute when
        /// `None`.
        key: Option<String>,
    },
    /// Pass a pending gate without approvals (admins).
    Skip {
        /// Feature id.
        id: String,
        /// Gate.
        gate: String,
        /// Why.
        reason: String,
    },
    /// Stop a feature for good.
    Cancel {
        /// Feature id.
        id: String,
        /// Why.
        reason: String,
    },
    /// The open incidents.
    IncidentList,
    /// Take command of an incident.
    Acknowledge(String),
    /// Resolve an incident.
    Resolve {
        /// Incident id.
        id: String,
        /// What fixed it.
        summary: String,
    },
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
    let incident_id = |id: &str| -> Result<String, String> {
        if ids::is_incident_workflow_id(id) {
            Ok(id.to_owned())
        } else {
            Err(format!(
                "`{id}` is not an incident id; incident ids look like incident-1a2b3c4d5e"
            ))
        }
    };
    let action = match words.as_slice() {
        ["feature", "new", rest @ ..] => feature_new(rest)?,
        ["feature", "skip", id, g, reason @ ..] => Action::Skip {
            id: feature_id(id)?,
            gate: gate(g)?,
            reason: text(reason).ok_or("skipping a gate needs a reason")?,
        },
        ["feature", "cancel", id, reason @ ..] => Action::Cancel {
            id: feature_id(id)?,
            reason: text(reason).ok_or("cancelling needs a reason")?,
        },
        ["incident", "list"] => Action::IncidentList,
        ["incident", "acknowledge" | "ack", id] => Action::Acknowledge(incident_id(id)?),
        ["incident", "resolve", id, summary @ ..] => Action::Resolve {
            id: incident_id(id)?,
            summary: text(summary).ok_or("resolving needs a summary of what fixed it")?,
        },
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
        ["incident", "status", id] => Action::IncidentStatus(incident_id(id)?),
        ["emergency", "status"] => Action::EmergencyStatus,
        ["emergency", verb @ ("stop" | "release"), reason @ ..] => Action::Emergency {
            engage: *verb == "stop",
            reason: text(reason).ok_or("the emergency stop needs a reason")?,
        },
        _ => return Err(format!("not an action I know: `{}`", words.join(" "))),
    };
    Ok((user, action))
}

/// `feature new [--channel C…] [--repo owner/name] [--priority p] [--target t] <request>`.
fn feature_new(words: &[&str]) -> Result<Action, String> {
    let (mut channel, mut repository) = (None, None);
    let (mut priority, mut target) = (Priority::default(), Environment::default());
    let mut key = None;
    let mut rest = words;
    while let [flag, value, tail @ ..] = rest
        && flag.starts_with("--")
    {
        match *flag {
            "--channel" if value.starts_with(['C', 'G', 'D']) => {
                channel = Some((*value).to_owned())
            }
            "--channel" => {
                return Err(format!(
                    "`--channel {value}` must be a channel id like C0123ABCD"
                ));
            }
            "--repo" if ids::is_repository(value) => repository = Some((*value).to_owned()),
            "--repo" => return Err(format!("`--repo {value}` must look like owner/name")),
            "--priority" => {
                priority = serde_json::from_value(serde_json::json!(value)).map_err(|_| {
                    format!("`--priority {value}` must be low, medium, high or critical")
                })?;
            }
            "--key" => key = Some((*value).to_owned()),
            "--target" => {
                target = serde_json::from_value(serde_json::json!(value))
                    .map_err(|_| format!("`--target {value}` must be staging or production"))?;
            }
            other => return Err(format!("`{other}` is not an option of feature new")),
        }
        rest = tail;
    }
    if rest.first().is_some_and(|w| w.starts_with("--")) {
        return Err(format!("`{}` needs a value", rest[0]));
    }
    let request = rest.join(" ");
    if request.trim().is_empty() {
        return Err("feature new needs the request text".to_owned());
    }
    if request.chars().count() > crate::commands::MAX_REQUEST_LEN {
        return Err(format!(
            "the request is {} characters long; keep it under {}",
            request.chars().count(),
            crate::commands::MAX_REQUEST_LEN
        ));
    }
    Ok(Action::FeatureNew {
        request,
        channel,
        repository,
        priority,
        target,
        key,
    })
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
        Action::FeatureNew { .. } => (Some(("feature.new", None, None)), None),
        Action::Skip { id, gate, .. } => (
            Some(("skip_gate", Some(id.clone()), Some(gate.clone()))),
            Some("skip".into()),
        ),
        Action::Cancel { id, .. } => (Some(("cancel", Some(id.clone()), None)), None),
        Action::Acknowledge(id) => (Some(("incident.acknowledge", Some(id.clone()), None)), None),
        Action::Resolve { id, .. } => (Some(("incident.resolve", Some(id.clone()), None)), None),
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
    let listed = |who: &[String]| who.iter().any(|w| w == user);
    match action {
        Action::FeatureNew {
            request,
            channel,
            repository,
            priority,
            target,
            key,
        } => {
            // The same key (by default: the same minute) starts nothing new on a retry.
            let key = key.clone().unwrap_or_else(|| {
                let minute = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs() / 60);
                format!("minute-{minute}")
            });
            let id = crate::ops::feature::workflow_id_for("cli", &format!("{user}:{key}"), request);
            let channel = channel
                .clone()
                .unwrap_or_else(|| settings.slack.channel.clone());
            let input = FeatureRequest {
                repository: repository
                    .clone()
                    .or_else(|| settings.feature.repository.clone()),
                priority: *priority,
                target_environment: *target,
                ..FeatureRequest::new(request.clone(), user.to_owned(), channel.clone())
            };
            match temporal.start_feature(&id, &input).await {
                Ok(Started::New) => Ok(format!(
                    "Started {id}: its card goes to {channel}. {}",
                    settings.workflow_url(&id)
                )),
                Ok(Started::AlreadyExisted) => Ok(format!(
                    "{id} was already started by the same request (same key, or same minute without --key); nothing new started. {}",
                    settings.workflow_url(&id)
                )),
                Err(e) => Err(e.to_string()),
            }
        }
        Action::Skip { id, gate, reason } => {
            if !listed(&settings.feature.admins) {
                return Err(format!(
                    "{user} is not listed by id in CHATOPS__APPROVALS__ADMINS (user groups can only be checked through Slack); nothing was skipped"
                ));
            }
            let payload = SkipGate {
                gate: gate.clone(),
                user: user.to_owned(),
                reason: reason.clone(),
            };
            let said = format!(
                "Skipping the {gate} gate of {id}; its thread and timeline say so. {}",
                settings.workflow_url(id)
            );
            signalled(temporal, id, signals::SKIP_GATE, &payload, said).await
        }
        Action::Cancel { id, reason } => {
            let s = temporal
                .feature_status(id)
                .await
                .map_err(|e| e.to_string())?;
            if s.requester != user && !listed(&settings.feature.admins) {
                return Err(format!(
                    "only the requester ({}) or an admin listed by id in CHATOPS__APPROVALS__ADMINS may cancel {id}; nothing was changed",
                    s.requester
                ));
            }
            if s.phase.is_terminal() {
                return Err(format!("{id} has already finished ({})", s.phase.label()));
            }
            let payload = Control {
                user: user.to_owned(),
                reason: Some(reason.clone()),
            };
            let said = format!(
                "Cancelling {id}; its thread will say where it stopped. {}",
                settings.workflow_url(id)
            );
            signalled(temporal, id, signals::CANCEL, &payload, said).await
        }
        Action::IncidentList => {
            let open = temporal
                .monitor_stats()
                .await
                .map_err(|e| e.to_string())?
                .map(|s| s.open)
                .unwrap_or_default();
            Ok(shown(chatops_blocks::incident::list(&open, &[])))
        }
        Action::Acknowledge(id) => {
            let payload = Acknowledge {
                user: user.to_owned(),
            };
            let said = format!(
                "Acknowledged {id}: you are its commander. {}",
                settings.workflow_url(id)
            );
            signalled(temporal, id, signals::ACKNOWLEDGE, &payload, said).await
        }
        Action::Resolve { id, summary } => {
            let payload = Resolve {
                user: user.to_owned(),
                summary: summary.clone(),
            };
            let said = format!(
                "Resolving {id}; the postmortem goes to its thread. {}",
                settings.workflow_url(id)
            );
            signalled(temporal, id, signals::RESOLVE, &payload, said).await
        }
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
            let said = format!(
                "{} {id}; its thread says when it holds or goes on. {}",
                if *pause { "Pausing" } else { "Resuming" },
                settings.workflow_url(id)
            );
            signalled(temporal, id, name, &c, said).await
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

/// Sends signal `name` to `id`; `said` is the answer once it is sent.
async fn signalled<T: serde::Serialize>(
    temporal: &Temporal,
    id: &str,
    signal: Signal<T>,
    payload: &T,
    said: String,
) -> Result<String, String> {
    temporal
        .signal(id, signal, payload)
        .await
        .map_err(|e| e.to_string())?;
    Ok(said)
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
            ("feature new", "needs the request text"),
            (
                "feature new --repo nope Add x",
                "`--repo nope` must look like owner/name",
            ),
            (
                "feature new --priority urgent Add x",
                "must be low, medium, high or critical",
            ),
            (
                "feature new --colour red Add x",
                "`--colour` is not an option",
            ),
            ("feature skip feature-x-1 plan", "needs a reason"),
            ("feature cancel feature-x-1", "cancelling needs a reason"),
            ("incident resolve incident-1 ", "needs a summary"),
            ("incident acknowledge nope", "is not an incident id"),
        ];
        for (args, want) in table {
            let err = parse(&words(args)).expect_err(args);
            assert!(err.contains(want), "{args}: {err}");
        }
        assert_eq!(
            parse(&words(
                "feature new --channel C0OPS --repo acme/web --priority high --target staging --key T-42 Add SSO login"
            )),
            Ok((
                None,
                Action::FeatureNew {
                    request: "Add SSO login".into(),
                    channel: Some("C0OPS".into()),
                    repository: Some("acme/web".into()),
                    priority: Priority::High,
                    target: Environment::Staging,
                    key: Some("T-42".into()),
                }
            ))
        );
        assert!(is_action(&words("--as U1 feature list")));
        assert!(!is_action(&words("doctor")));
    }
}
