//! `chatops-bot doctor`: checks the whole installation and prints a pass/fail table with a
//! remedy for every failure. Config, Slack (both tokens, the bot token's scopes), Temporal (the
//! namespace, workers polling the task queue), the store (and PostgreSQL's version), GitHub,
//! and an end-to-end `Canary` workflow on the live cluster.

use chatops_common::Settings;
use chatops_common::http::Http;
use chatops_common::temporal::ConnectError;
use secrecy::ExposeSecret;
use serde_json::Value;
use std::time::Duration;

use crate::store::{Backend, Store};
use crate::temporal::Temporal;

mod slack;

use slack::slack;

/// Scopes the bot cannot work without. The worker reads channel and thread history (public
/// `channels:history`, private `groups:history`) to find a post whose answer it lost before
/// posting it again; without them a lost answer can show a card or note twice. The bot tells
/// public channels from private ones and reads a private channel's members (`channels:read`,
/// `groups:read`) to show its features only to them.
pub const REQUIRED_SCOPES: &[&str] = &[
    "commands",
    "chat:write",
    "usergroups:read",
    "channels:history",
    "groups:history",
    "channels:read",
    "groups:read",
];
/// When set, doctor judges this PostgreSQL version instead of the server's own: the
/// compatibility matrix can be rehearsed (and tested) without an old server.
pub const REHEARSE_POSTGRES_VERSION: &str = "CHATOPS_DOCTOR_POSTGRES_VERSION";

/// PostgreSQL major versions the store is tested with.
pub const POSTGRES_SUPPORTED: std::ops::RangeInclusive<u32> = 13..=16;

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Fine.
    Pass,
    /// Works, but look at it.
    Warn,
    /// Broken: the remedy says what to do.
    Fail,
    /// Not configured or not possible to check.
    Skip,
}

impl Status {
    fn word(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Warn => "warn",
            Self::Fail => "FAIL",
            Self::Skip => "skip",
        }
    }
}

/// One row of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// What was checked.
    pub name: &'static str,
    /// How it came out.
    pub status: Status,
    /// What was found.
    pub detail: String,
    /// What to do about a failure or warning.
    pub remedy: Option<String>,
}

impl Check {
    fn pass(name: &'static str, detail: impl Into<String>) -> Self {
        Self {
            name,
            status: Status::Pass,
            detail: detail.into(),
            remedy: None,
        }
    }

    fn fail(name: &'static str, detail: impl Into<String>, remedy: impl Into<String>) -> Self {
        Self {
            name,
            status: Status::Fail,
            detail: detail.into(),
            remedy: Some(remedy.into()),
        }
    }

    fn with(mut self, status: Status) -> Self {
        self.status = status;
        self
    }
}

/// Runs every check. `force` accepts a PostgreSQL older than the supported range.
pub async fn run(settings: &Settings, force: bool) -> Vec<Check> {
    let mut checks = vec![Check::pass(
        "config",
        "every key valid (defaults < chatops.toml < CHATOPS__ env)",
    )];
    let http = Http::new();
    checks.extend(slack(settings, &http).await);
    let workers = match Temporal::connect(settings).await {
        Ok(t) => {
            let (rows, workers) = temporal(settings, &t).await;
            checks.extend(rows);
            Some((t, workers))
        }
        Err(e) => {
            let remedy = match e.downcast_ref::<ConnectError>() {
                Some(ConnectError::Tls { .. } | ConnectError::ClosedAfterTls { .. }) => {
                    "fix the TLS settings named above, or the server's certificate"
                }
                _ => {
                    "start Temporal (scripts/run starts a dev server) or fix CHATOPS__TEMPORAL__ADDRESS"
                }
            };
            checks.push(Check::fail("temporal", format!("{e:#}"), remedy));
            None
        }
    };
    checks.push(database(settings, force).await);
    checks.push(codec(settings));
    checks.push(github(settings, &http).await);
    checks.push(match workers {
        Some((t, n)) if n > 0 => match t.run_canary(Duration::from_secs(60)).await {
            Ok(summary) => Check::pass("canary workflow", summary),
            Err(e) => Check::fail(
                "canary workflow",
                e.to_string(),
                "read the worker's log; the Canary's history is in the Temporal UI",
            ),
        },
        _ => Check {
            name: "canary workflow",
            status: Status::Skip,
            detail: "needs Temporal and a polling worker".into(),
            remedy: None,
        },
    });
    checks
}

/// Whether payloads are encrypted, with which key, whether the keys work (a payload sealed and
/// opened again), and whether the Temporal UI and CLI can read them.
fn codec(settings: &Settings) -> Check {
    const NAME: &str = "payload codec";
    let Some(keys) = &settings.codec.keys else {
        return Check {
            name: NAME,
            status: Status::Skip,
            detail:
                "payloads are plain JSON in Temporal (set CHATOPS__CODEC__KEYS to encrypt them)"
                    .into(),
            remedy: None,
        };
    };
    let codec = chatops_common::codec::EncryptionCodec::new(keys.clone());
    let probe = chatops_common::payload::json(&"doctor").map(|mut p| p.payloads.remove(0));
    let round_trip = probe.ok().and_then(|p| {
        let sealed = codec.seal(&p).ok()?;
        (codec.open(sealed).ok()? == p).then_some(())
    });
    if round_trip.is_none() {
        return Check::fail(
            NAME,
            "a payload sealed with the current key does not open again",
            "check CHATOPS__CODEC__KEYS: each key is `id=` and 32 bytes in base64",
        );
    }
    let ids = codec.key_ids();
    let held = ids.join(", ");
    let current = ids.first().cloned().unwrap_or_default();
    match settings.codec.server_token {
        Some(_) => Check::pass(
            NAME,
            format!(
                "AES-256-GCM, encrypting with `{current}` (keys held: {held}); codec server at http://{}/codec",
                settings.alerts.listen
            ),
        ),
        None => Check {
            name: NAME,
            status: Status::Warn,
            detail: format!(
                "AES-256-GCM, encrypting with `{current}` (keys held: {held}); no codec server"
            ),
            remedy: Some(
                "set CHATOPS__CODEC__SERVER_TOKEN so the Temporal UI and `temporal --codec-endpoint` can read payloads"
                    .into(),
            ),
        },
    }
}

/// The table, one row per check, remedies indented under failures and warnings.
pub fn render(checks: &[Check]) -> String {
    let width = checks.iter().map(|c| c.name.len()).max().unwrap_or(0);
    let mut out = String::new();
    for c in checks {
        out.push_str(&format!(
            "{:<width$}  {:<4}  {}\n",
            c.name,
            c.status.word(),
            c.detail
        ));
        if let Some(r) = &c.remedy {
            out.push_str(&format!("{:<width$}        → {r}\n", ""));
        }
    }
    let failed = checks.iter().filter(|c| c.status == Status::Fail).count();
    out.push_str(&match failed {
        0 => "All checks passed.\n".to_owned(),
        1 => "1 check failed.\n".to_owned(),
        n => format!("{n} checks failed.\n"),
    });
    out
}

/// Whether every check passed, warned or was skipped.
pub fn healthy(checks: &[Check]) -> bool {
    checks.iter().all(|c| c.status != Status::Fail)
}

async fn temporal(settings: &Settings, t: &Temporal) -> (Vec<Check>, usize) {
    let ns = &settings.temporal.namespace;
    let mut out = Vec::new();
    match t.describe_namespace(ns).await {
        Ok(()) => out.push(Check::pass(
            "temporal",
            format!("namespace {ns} at {}", settings.temporal.address),
        )),
        Err(e) => {
            out.push(Check::fail(
                "temporal",
                e.to_string(),
                "start Temporal or fix CHATOPS__TEMPORAL__ADDRESS / CHATOPS__TEMPORAL__NAMESPACE",
            ));
            return (out, 0);
        }
    }
    let queue = &settings.temporal.task_queue;
    let workers = match t.pollers(ns).await {
        Ok(p) if !p.is_empty() => {
            out.push(Check::pass(
                "workers",
                format!("{} polling {queue}: {}", p.len(), p.join(", ")),
            ));
            p.len()
        }
        Ok(_) => {
            out.push(Check::fail(
                "workers",
                format!("no worker polls task queue {queue}"),
                "start chatops-worker with the same CHATOPS__TEMPORAL__TASK_QUEUE",
            ));
            0
        }
        Err(e) => {
            out.push(Check::fail(
                "workers",
                e.to_string(),
                "check Temporal's health",
            ));
            0
        }
    };
    (out, workers)
}

async fn database(settings: &Settings, force: bool) -> Check {
    let store = match Store::connect(&settings.database.url).await {
        Ok(s) => s,
        Err(e) => {
            return Check::fail(
                "database",
                e.to_string(),
                "fix CHATOPS__DATABASE__URL or start the database",
            );
        }
    };
    let version = store.server_version().await;
    store.close().await;
    let version = match version {
        Ok(v) => v,
        Err(e) => return Check::fail("database", e.to_string(), "check the database's health"),
    };
    match store.backend() {
        Backend::Sqlite => Check::pass("database", format!("SQLite {version}, migrated")),
        Backend::Postgres => match std::env::var(REHEARSE_POSTGRES_VERSION) {
            // Judge another version against the matrix, to rehearse an upgrade (or a test).
            Ok(pretend) if !pretend.trim().is_empty() => {
                let mut check = postgres_verdict(pretend.trim(), force);
                check.detail = format!("{} (rehearsed; the server runs {version})", check.detail);
                check
            }
            _ => postgres_verdict(&version, force),
        },
    }
}

/// The compatibility matrix: 13–16 supported; older needs `--force` (and then warns); newer or
/// unreadable versions warn.
pub fn postgres_verdict(version: &str, force: bool) -> Check {
    let major = version
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .and_then(|m| m.parse::<u32>().ok());
    let (lo, hi) = (POSTGRES_SUPPORTED.start(), POSTGRES_SUPPORTED.end());
    let detail = format!("PostgreSQL {version}, migrated");
    match major {
        Some(m) if POSTGRES_SUPPORTED.contains(&m) => Check::pass("database", detail),
        Some(m) if m < *lo && force => Check::fail(
            "database",
            detail,
            format!("PostgreSQL {m} is older than the supported {lo}–{hi}; accepted with --force"),
        )
        .with(Status::Warn),
        Some(m) if m < *lo => Check::fail(
            "database",
            detail,
            format!(
                "PostgreSQL {m} is older than the supported {lo}–{hi}: upgrade it, or run doctor --force to accept it"
            ),
        ),
        Some(m) => Check::fail(
            "database",
            detail,
            format!("PostgreSQL {m} is newer than the tested {lo}–{hi}; it will probably work"),
        )
        .with(Status::Warn),
        None => Check::fail(
            "database",
            detail,
            format!("cannot read the version; the tested versions are {lo}–{hi}"),
        )
        .with(Status::Warn),
    }
}

async fn github(settings: &Settings, http: &Http) -> Check {
    let Some(token) = settings.github.token.as_ref() else {
        return Check {
            name: "github",
            status: Status::Skip,
            detail:
                "not configured (CHATOPS__GITHUB__TOKEN): no hotfix or postmortem pull requests"
                    .into(),
            remedy: None,
        };
    };
    let api = settings.github.api_url.as_str().trim_end_matches('/');
    let auth = format!("Bearer {}", token.expose_secret());
    match http
        .get_with(
            &format!("{api}/user"),
            &[("authorization", &auth), ("user-agent", "chatops-doctor")],
            Duration::from_secs(10),
        )
        .await
    {
        Ok(r) if r.status == 200 => {
            let body: Value = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
            Check::pass(
                "github",
                format!("token valid for {}", body["login"].as_str().unwrap_or("?")),
            )
        }
        Ok(r) => Check::fail(
            "github",
            format!("GitHub at {api} answered {}", r.status),
            "set CHATOPS__GITHUB__TOKEN to a valid token with repo access",
        ),
        Err(e) => Check::fail(
            "github",
            format!("GitHub at {api} unreachable: {e}"),
            "check CHATOPS__GITHUB__API_URL and the network",
        ),
    }
}

#[cfg(test)]
mod tests;
