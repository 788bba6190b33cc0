//! The bot's store: what Temporal can't hold. The audit log (append-only), processed Slack
//! envelopes (so a redelivery is handled once), message references, role caches, and the work
//! acknowledged but not yet done (`owed.rs`).
//!
//! SQLite (a file, the default) or PostgreSQL, chosen by `CHATOPS__DATABASE__URL`; the same
//! queries run on both through sqlx's `Any` driver, and each backend's migrations are embedded
//! and applied at start.

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, Row};
use std::time::{Duration, SystemTime};

static SQLITE: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES: Migrator = sqlx::migrate!("./migrations/postgres");

/// How long a processed envelope is remembered; Slack retries within minutes.
pub const DEDUP_WINDOW: Duration = Duration::from_secs(3600);

/// Why the store could not do something.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The URL is neither `sqlite:` nor `postgres:`.
    #[error("CHATOPS__DATABASE__URL must start with sqlite: or postgres:, not `{0}`")]
    Scheme(String),
    /// Connecting failed.
    #[error("cannot open the database (CHATOPS__DATABASE__URL): {0}")]
    Connect(String),
    /// Migrating failed.
    #[error("cannot migrate the database: {0}")]
    Migrate(String),
    /// A query failed.
    #[error("database error: {0}")]
    Query(#[from] sqlx::Error),
}

/// Which database it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

/// One audit record. Serialized (`chatops-bot audit --json`) with these field names, absent
/// ones as `null`.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct AuditEntry {
    /// RFC 3339 UTC.
    pub at: String,
    /// Slack user id (or `cli:<name>`).
    pub actor: String,
    /// What was attempted, e.g. `approve`, `emergency_stop.engage`.
    pub action: String,
    /// The workflow it concerned.
    pub workflow_id: Option<String>,
    /// The gate, for gate decisions.
    pub gate: Option<String>,
    /// The decision asked for, e.g. `approve`.
    pub decision: Option<String>,
    /// What came of it: `accepted`, `refused: …`, `failed: …`.
    pub outcome: String,
    /// Slack team id.
    pub slack_team: Option<String>,
    /// Slack channel id.
    pub slack_channel: Option<String>,
}

/// A connected, migrated store.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

impl Store {
    /// Opens `url` (creating a SQLite file and its folder when missing) and migrates it.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(StoreError::Scheme(
                url.split(':').next().unwrap_or_default().to_owned(),
            ));
        };
        let mut url = url.to_owned();
        if backend == Backend::Sqlite {
            let path = url
                .trim_start_matches("sqlite:")
                .trim_start_matches("//")
                .split('?')
                .next()
                .unwrap_or_default()
                .to_owned();
            if let Some(dir) = std::path::Path::new(&path)
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
            {
                std::fs::create_dir_all(dir)
                    .map_err(|e| StoreError::Connect(format!("{}: {e}", dir.display())))?;
            }
            if !url.contains("mode=") && path != ":memory:" {
                url.push_str(if url.contains('?') {
                    "&mode=rwc"
                } else {
                    "?mode=rwc"
                });
            }
        }
        if backend == Backend::Postgres {
            // A database of its own, created on first start.
            use sqlx::migrate::MigrateDatabase as _;
            let exists = sqlx::Any::database_exists(&url)
                .await
                .map_err(|e| StoreError::Connect(e.to_string()))?;
            if !exists {
                sqlx::Any::create_database(&url)
                    .await
                    .map_err(|e| StoreError::Connect(format!("cannot create the database: {e}")))?;
            }
        }
        let sqlite = backend == Backend::Sqlite;
        let pool = AnyPoolOptions::new()
            .max_connections(if sqlite { 1 } else { 5 })
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if sqlite {
                        // Write-ahead log, synced at checkpoints: a commit survives the process
                        // being killed (what an acknowledged command must), without an fsync on
                        // every acknowledgement.
                        sqlx::query("PRAGMA journal_mode = WAL")
                            .execute(&mut *conn)
                            .await?;
                        sqlx::query("PRAGMA synchronous = NORMAL")
                            .execute(&mut *conn)
                            .await?;
                    }
                    Ok(())
                })
            })
            .connect(&url)
            .await
            .map_err(|e| StoreError::Connect(e.to_string()))?;
        let migrator = match backend {
            Backend::Sqlite => &SQLITE,
            Backend::Postgres => &POSTGRES,
        };
        migrator
            .run(&pool)
            .await
            .map_err(|e| StoreError::Migrate(e.to_string()))?;
        Ok(Self { pool, backend })
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Records `key` (an envelope's identity) as processed; `true` the first time within
    /// [`DEDUP_WINDOW`], `false` for a redelivery.
    pub async fn first_time(&self, key: &str, now: SystemTime) -> Result<bool, StoreError> {
        let cutoff = rfc3339(now.checked_sub(DEDUP_WINDOW).unwrap_or(now));
        sqlx::query("DELETE FROM processed_envelopes WHERE received_at < $1")
            .bind(cutoff)
            .execute(&self.pool)
            .await?;
        let inserted = sqlx::query(
            "INSERT INTO processed_envelopes (key, received_at) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
        )
        .bind(key.to_owned())
        .bind(rfc3339(now))
        .execute(&self.pool)
        .await?;
        Ok(inserted.rows_affected() == 1)
    }

    /// Appends to the audit log.
    pub async fn audit(&self, e: &AuditEntry) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO audit_log (at, actor, action, workflow_id, gate, decision, outcome, slack_team, slack_channel) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(e.at.clone())
        .bind(e.actor.clone())
        .bind(e.action.clone())
        .bind(e.workflow_id.clone())
        .bind(e.gate.clone())
        .bind(e.decision.clone())
        .bind(e.outcome.clone())
        .bind(e.slack_team.clone())
        .bind(e.slack_channel.clone())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The latest `limit` audit entries, oldest first.
    pub async fn recent_audit(&self, limit: i64) -> Result<Vec<AuditEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT at, actor, action, workflow_id, gate, decision, outcome, slack_team, slack_channel \
             FROM audit_log ORDER BY id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(oldest_first(&rows))
    }

    /// The audit entries stamped at or after `since`, oldest first; with `limit`, only the
    /// latest `limit` of them.
    pub async fn audit_since(
        &self,
        since: SystemTime,
        limit: Option<i64>,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        // Entries are stamped in whole seconds, so `since` rounds up to the next one.
        let whole = match since.duration_since(SystemTime::UNIX_EPOCH) {
            Ok(d) if d.subsec_nanos() > 0 => since + Duration::from_secs(1),
            _ => since,
        };
        let whole = whole.clamp(SystemTime::UNIX_EPOCH, last_time());
        // Every stamp has the same fixed-width form (`rfc3339`), so text order is time order.
        let rows = sqlx::query(
            "SELECT at, actor, action, workflow_id, gate, decision, outcome, slack_team, slack_channel \
             FROM audit_log WHERE at >= $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(rfc3339(whole))
        .bind(limit.unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await?;
        Ok(oldest_first(&rows))
    }

    /// The members of user group `group` as last read from Slack, with when they were read;
    /// `None` if never.
    pub async fn cached_group(
        &self,
        group: &str,
    ) -> Result<Option<(Vec<String>, SystemTime)>, StoreError> {
        let row = sqlx::query("SELECT members, fetched_at FROM role_cache WHERE group_id = $1")
            .bind(group.to_owned())
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let members: String = row.try_get("members")?;
        let fetched: String = row.try_get("fetched_at")?;
        // An entry that cannot be read is as good as none: Slack is asked again.
        let members: Option<Vec<String>> = serde_json::from_str(&members).ok();
        let fetched = humantime::parse_rfc3339(&fetched).ok();
        Ok(members.zip(fetched))
    }

    /// Remembers the members of user group `group`, read from Slack at `now`.
    pub async fn cache_group(
        &self,
        group: &str,
        members: &[String],
        now: SystemTime,
    ) -> Result<(), StoreError> {
        let members = serde_json::to_string(members).unwrap_or_else(|_| "[]".into());
        sqlx::query(
            "INSERT INTO role_cache (group_id, members, fetched_at) VALUES ($1, $2, $3) \
             ON CONFLICT (group_id) DO UPDATE SET members = excluded.members, fetched_at = excluded.fetched_at",
        )
        .bind(group.to_owned())
        .bind(members)
        .bind(rfc3339(now))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The server's version string (`SELECT version()` on PostgreSQL, `sqlite_version()`).
    pub async fn server_version(&self) -> Result<String, StoreError> {
        let sql = match self.backend {
            Backend::Sqlite => "SELECT sqlite_version()",
            Backend::Postgres => "SHOW server_version",
        };
        let row = sqlx::query(sql).fetch_one(&self.pool).await?;
        Ok(row.try_get::<String, _>(0)?)
    }

    /// Closes the pool.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Audit rows read newest first, as entries oldest first.
fn oldest_first(rows: &[sqlx::any::AnyRow]) -> Vec<AuditEntry> {
    rows.iter()
        .rev()
        .map(|r| AuditEntry {
            at: r.try_get("at").unwrap_or_default(),
            actor: r.try_get("actor").unwrap_or_default(),
            action: r.try_get("action").unwrap_or_default(),
            workflow_id: r.try_get("workflow_id").ok().flatten(),
            gate: r.try_get("gate").ok().flatten(),
            decision: r.try_get("decision").ok().flatten(),
            outcome: r.try_get("outcome").unwrap_or_default(),
            slack_team: r.try_get("slack_team").ok().flatten(),
            slack_channel: r.try_get("slack_channel").ok().flatten(),
        })
        .collect()
}

impl AuditEntry {
    /// One line for people: `at actor action workflow gate decision → outcome`.
    pub fn line(&self) -> String {
        let mut parts = vec![self.at.clone(), self.actor.clone(), self.action.clone()];
        parts.extend(self.workflow_id.clone());
        parts.extend(self.gate.clone().map(|g| format!("gate={g}")));
        parts.extend(self.decision.clone().map(|d| format!("decision={d}")));
        format!("{} → {}", parts.join(" "), self.outcome)
    }
}

/// The last second a stamp can hold (RFC 3339 has four-digit years): 9999-12-31T23:59:59Z.
pub fn last_time() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(253_402_300_799)
}

/// RFC 3339 UTC, seconds.
pub fn rfc3339(t: SystemTime) -> String {
    humantime::format_rfc3339_seconds(t).to_string()
}

mod owed;
#[cfg(test)]
mod tests;
