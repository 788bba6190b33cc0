//! `chatops-bot [--as U…] feature|incident|emergency …`: the actions of the Slack commands from
//! a terminal, for when Slack is down. Each runs the same operation in `ops` as its Slack twin
//! (same rules, same workflows, same payloads, audited under `cli.*`). The caller is `--as`,
//! or `CHATOPS__SHELL__USER`; without Slack, people are recognised by id only.

pub mod audit;
mod parse;
mod render;
#[cfg(test)]
mod tests;

use chatops_common::Settings;
use chatops_contract::feature::FeatureRequest;
use std::process::ExitCode;

use crate::ops::{self, Actor};
use crate::store::{AuditEntry, Store, StoreError};
use crate::temporal::Temporal;

pub use parse::{Action, is_action, parse, usage};

/// Runs the action; prints the answer on stdout, a refusal or failure on stderr (exit 1).
#[allow(clippy::print_stdout)] // The answer is the command's output.
pub async fn run(settings: &Settings, args: &[String]) -> ExitCode {
    let (user, action) = match parse(args) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("chatops-bot: {e}\n\nusage:\n{}", usage());
            return ExitCode::from(2);
        }
    };
    let actor = Actor::cli(user.unwrap_or_else(|| settings.shell.user.clone()));
    let temporal = match Temporal::connect(settings).await {
        Ok(t) => t,
        Err(e) => {
            eprintln!("chatops-bot: {e:#}");
            return ExitCode::from(1);
        }
    };
    let cx = Offline { settings, temporal };
    match perform(&cx, &actor, action).await {
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

/// What the operations see from a terminal: the settings and Temporal; people listed by id
/// only (user groups can be read only through Slack); the audit log opened when written to.
struct Offline<'a> {
    settings: &'a Settings,
    temporal: Temporal,
}

impl ops::Roster for Offline<'_> {
    fn settings(&self) -> &Settings {
        self.settings
    }

    async fn member(&self, listed: &[String], user: &str) -> Result<bool, String> {
        Ok(listed.iter().any(|who| who == user))
    }

    /// The CLI runs on a host holding the configuration, for its operator: it shows everything.
    async fn sees(&self, _channel: &str, _user: &str) -> bool {
        true
    }
}

impl ops::Context for Offline<'_> {
    fn temporal(&self) -> &Temporal {
        &self.temporal
    }

    async fn audit(&self, entry: AuditEntry) {
        // A store that cannot be opened does not stop an action taken while things are down
        // (unless CHATOPS__AUDIT__FAIL_CLOSED is on: then the action was refused beforehand).
        if let Err(e) = self.write_audit(entry).await {
            eprintln!("chatops-bot: the audit entry was not written: {e}");
        }
    }

    async fn write_audit(&self, mut entry: AuditEntry) -> Result<(), StoreError> {
        entry.at = crate::store::rfc3339(std::time::SystemTime::now());
        let store = Store::connect(&self.settings.database.url).await?;
        let written = store.audit(&entry).await;
        store.close().await;
        written
    }
}

/// Runs `action` for `actor`: its answer, or the one line saying why it did not happen.
async fn perform(cx: &Offline<'_>, actor: &Actor, action: Action) -> Result<String, String> {
    let settings = cx.settings;
    match action {
        Action::FeatureNew {
            request,
            channel,
            repository,
            priority,
            target,
            key,
            kind,
        } => {
            // The same key (by default: the same minute) starts nothing new on a retry.
            let key = key.unwrap_or_else(|| {
                let minute = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs() / 60);
                format!("minute-{minute}")
            });
            let user = &actor.user;
            let id = ops::feature::workflow_id_for("cli", &format!("{user}:{key}"), &request);
            let channel = channel.unwrap_or_else(|| settings.slack.channel.clone());
            let input = FeatureRequest {
                repository: repository.or_else(|| settings.feature.repository.clone()),
                priority,
                target_environment: target,
                kind,
                ..FeatureRequest::new(request, user.clone(), channel.clone())
            };
            let started = ops::feature::start(cx, actor, &id, &input).await;
            render::started(settings, &id, &channel, started)
        }
        Action::FeatureStatus(id) => {
            let status = ops::feature::status(cx, actor, &id).await;
            render::feature_status(settings, &id, status)
        }
        Action::FeatureList { all } => render::features(ops::feature::list(cx, actor, all).await),
        Action::Approve { id, gate, comment } => {
            let decided = ops::decision::approve(cx, actor, &id, gate.as_str(), comment).await;
            render::decided(&id, gate, decided)
        }
        Action::Reject { id, gate, reason } => {
            let decided = ops::decision::reject(cx, actor, &id, gate.as_str(), reason).await;
            render::decided(&id, gate, decided)
        }
        Action::Pause { id, pause, reason } => {
            let done = if pause {
                ops::feature::pause(cx, actor, &id, reason).await
            } else {
                ops::feature::resume(cx, actor, &id, reason).await
            };
            render::paused(settings, &id, pause, done)
        }
        Action::Skip { id, gate, reason } => {
            let skipped = ops::feature::skip(cx, actor, &id, gate, reason).await;
            render::skipped(settings, actor, &id, gate, skipped)
        }
        Action::PassFreeze { id, reason } => {
            let done = ops::feature::pass_freeze(cx, actor, &id, reason).await;
            render::passing(settings, actor, &id, done)
        }
        Action::OverrideWindow { id, reason } => {
            let done = ops::feature::override_window(cx, actor, &id, reason).await;
            render::overridden(settings, actor, &id, done)
        }
        Action::Cancel { id, reason } => {
            let cancelled = ops::feature::cancel(cx, actor, &id, reason).await;
            render::cancelled(settings, actor, &id, cancelled)
        }
        Action::IncidentList => render::incidents(ops::incident::open_incidents(cx, actor).await),
        Action::IncidentStatus(id) => {
            let status = ops::incident::status(cx, actor, &id).await;
            render::incident_status(settings, &id, status)
        }
        Action::Acknowledge(id) => {
            let done = ops::incident::acknowledge(cx, actor, &id).await;
            render::acknowledged(settings, &id, done)
        }
        Action::Resolve { id, summary } => {
            let done = ops::incident::resolve(cx, actor, &id, summary).await;
            render::resolving(settings, &id, done)
        }
        Action::EmergencyStatus => render::freeze(ops::emergency::status(cx).await),
        Action::Freeze(cmd) => freeze(cx, actor, cmd).await,
        Action::Quality(repo) => render::quality(&repo, cx.temporal.quality_trend(&repo).await),
        Action::Emergency {
            engage: true,
            reason,
        } => render::engaged(actor, ops::emergency::engage(cx, actor, reason).await),
        Action::Emergency {
            engage: false,
            reason,
        } => render::released(actor, ops::emergency::release(cx, actor, reason).await),
    }
}

/// The freeze calendar from the CLI: the same rules as `/freeze`.
async fn freeze(
    cx: &Offline<'_>,
    actor: &Actor,
    cmd: crate::commands::FreezeCommand,
) -> Result<String, String> {
    use crate::commands::FreezeCommand;
    use crate::ops::calendar::{self, Added};
    let text = chatops_blocks::text::mrkdwn_to_text;
    match cmd {
        FreezeCommand::Help => Ok(text(&FreezeCommand::help())),
        FreezeCommand::List => calendar::list(cx)
            .await
            .map(|e| text(&chatops_blocks::freeze::calendar(&e)))
            .map_err(|e| e.to_string()),
        FreezeCommand::Add { name, when, reason } => {
            let words: Vec<&str> = when.iter().map(String::as_str).collect();
            let when = chatops_common::freeze_calendar::parse_now(&words)?;
            match calendar::add(cx, actor, &name, &when, reason).await {
                Ok(Added::Added) => Ok(format!("Scheduled freeze {name}: {}.", when.text)),
                Ok(Added::Exists) => Err(format!(
                    "a freeze named {name} is already scheduled; remove it first to change it"
                )),
                Err(e) => Err(e.to_string()),
            }
        }
        FreezeCommand::Remove { name } => calendar::remove(cx, actor, &name)
            .await
            .map(|()| format!("Removed the scheduled freeze {name}."))
            .map_err(|e| e.to_string()),
    }
}
