//! The CLI's words into an [`Action`]: a pure parser whose mistakes are one line each.

use chatops_contract::feature::{DeliveryKind, Environment, GateName, Priority};
use chatops_contract::ids;

/// Usage of the action subcommands; `{TARGETS}` stands for the environments.
const USAGE: &str = "  [--as U…] feature new [--channel C…] [--repo owner/name] [--priority low|medium|high|critical]
                       [--target {TARGETS}] [--key K] <request>
  [--as U…] feature patch [--channel C…] [--repo owner/name] [--priority …] [--target …] [--key K] <request>
                       (one task, no intake or plan gate; the production gate decides)
  [--as U…] feature hotfix [same options] <request>   (a patch that on call may let pass a freeze)
  [--as U…] feature pass-freeze <id> <reason>   (a hotfix, past a freeze; on-call users listed by id)
  [--as U…] feature status <id>
  [--as U…] feature list [all]
  [--as U…] feature approve <id> <gate> [comment]
  [--as U…] feature reject <id> <gate> <reason>
  [--as U…] feature pause|resume <id> [reason]
  [--as U…] feature skip <id> <gate> <reason>   (admins listed by id)
  [--as U…] feature override-window <id> <reason>   (deploy outside the deploy windows; admins listed by id)
  [--as U…] feature cancel <id> <reason>        (its requester, or an admin listed by id)
  [--as U…] incident list
  [--as U…] incident status <id>
  [--as U…] incident acknowledge <id>
  [--as U…] incident resolve <id> <summary>
  [--as U…] emergency status
  [--as U…] emergency stop <reason>   (on-call users listed by id; groups need Slack)
  [--as U…] emergency release <reason>
  quality <owner/name>                 (a watched repository's quality trend)
  freeze list
  [--as U…] freeze add <name> <YYYY-MM-DD HH:MM | days HH:MM> for <duration> [<time zone>] <reason>
  [--as U…] freeze remove <name>       (on-call users listed by id)";

/// Usage of the action subcommands.
pub fn usage() -> String {
    USAGE.replace(
        "{TARGETS}",
        &Environment::ALL.map(Environment::as_str).join("|"),
    )
}

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
        /// A feature, or a patch (`feature patch`).
        kind: DeliveryKind,
    },
    /// Pass a pending gate without approvals (admins).
    Skip {
        /// Feature id.
        id: String,
        /// Gate.
        gate: GateName,
        /// Why.
        reason: String,
    },
    /// Let a hotfix go on while a freeze holds deliveries (on call).
    PassFreeze {
        /// Feature id.
        id: String,
        /// Why.
        reason: String,
    },
    /// Let a feature deploy outside the deploy windows (admins).
    OverrideWindow {
        /// Feature id.
        id: String,
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
        gate: GateName,
        /// Comment.
        comment: Option<String>,
    },
    /// Reject a gate.
    Reject {
        /// Feature id.
        id: String,
        /// Gate.
        gate: GateName,
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
    /// Show a watched repository's quality trend.
    Quality(String),
    /// Read or change the freeze calendar.
    Freeze(crate::commands::FreezeCommand),
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
        Some("feature" | "incident" | "emergency" | "quality" | "freeze")
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
    let gate = |g: &str| -> Result<GateName, String> {
        g.parse::<GateName>()
            .map_err(|_| format!("`{g}` is not a gate; the gates are {}", gate_names()))
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
        ["feature", "new", rest @ ..] => feature_new(rest, DeliveryKind::Feature)?,
        ["feature", "patch", rest @ ..] => feature_new(rest, DeliveryKind::Patch)?,
        ["feature", "hotfix", rest @ ..] => feature_new(rest, DeliveryKind::Hotfix)?,
        ["feature", "pass-freeze", id, reason @ ..] => Action::PassFreeze {
            id: feature_id(id)?,
            reason: text(reason).ok_or("passing a freeze needs a reason")?,
        },
        ["feature", "skip", id, g, reason @ ..] => Action::Skip {
            id: feature_id(id)?,
            gate: gate(g)?,
            reason: text(reason).ok_or("skipping a gate needs a reason")?,
        },
        ["feature", "override-window", id, reason @ ..] => Action::OverrideWindow {
            id: feature_id(id)?,
            reason: text(reason).ok_or("deploying outside the deploy windows needs a reason")?,
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
        ["quality", repo] if ids::is_repository(repo) => Action::Quality((*repo).to_owned()),
        ["freeze", rest @ ..] => Action::Freeze(
            crate::commands::freeze::parse(&rest.join(" "))
                .map_err(|e| chatops_blocks::text::mrkdwn_to_text(&e.to_string()))?,
        ),
        ["quality", other, ..] => {
            return Err(format!(
                "`{other}` is not a repository; write it as owner/name"
            ));
        }
        ["emergency", verb @ ("stop" | "release"), reason @ ..] => Action::Emergency {
            engage: *verb == "stop",
            reason: text(reason).ok_or("the emergency stop needs a reason")?,
        },
        _ => return Err(format!("not an action I know: `{}`", words.join(" "))),
    };
    Ok((user, action))
}

/// `feature new [--channel C…] [--repo owner/name] [--priority p] [--target t] <request>`.
fn feature_new(words: &[&str], kind: DeliveryKind) -> Result<Action, String> {
    let sub = match kind {
        DeliveryKind::Feature => "feature new",
        DeliveryKind::Patch => "feature patch",
        DeliveryKind::Hotfix => "feature hotfix",
    };
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
                target = value.parse().map_err(|_| {
                    let targets = Environment::ALL.map(Environment::as_str).join(" or ");
                    format!("`--target {value}` must be {targets}")
                })?;
            }
            other => return Err(format!("`{other}` is not an option of {sub}")),
        }
        rest = tail;
    }
    if rest.first().is_some_and(|w| w.starts_with("--")) {
        return Err(format!("`{}` needs a value", rest[0]));
    }
    let request = rest.join(" ");
    if request.trim().is_empty() {
        return Err(format!("{sub} needs the request text"));
    }
    if request.chars().count() > chatops_blocks::views::MAX_REQUEST_LEN {
        return Err(format!(
            "the request is {} characters long; keep it under {}",
            request.chars().count(),
            chatops_blocks::views::MAX_REQUEST_LEN
        ));
    }
    Ok(Action::FeatureNew {
        request,
        channel,
        repository,
        priority,
        target,
        key,
        kind,
    })
}

/// The gates as a mistake lists them: `intake, plan and production`.
fn gate_names() -> String {
    let names = GateName::ALL.map(GateName::as_str);
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => names.concat(),
    }
}
