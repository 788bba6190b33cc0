//! Work the bot owes: commands it acknowledged and has not yet carried out. A row is written
//! before the acknowledgement and removed when the work is done; a row whose claim has gone
//! stale (its bot died) is claimed by another bot, which does the work.

use std::time::{Duration, SystemTime};

use super::{Store, StoreError, rfc3339};

/// Rows claimed at most per sweep.
const CLAIM_BATCH: i64 = 100;

impl Store {
    /// Records work `key` (its description in `body`) as owed and claimed now.
    pub async fn owe(&self, key: &str, body: &str, now: SystemTime) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO owed (key, body, created_at, claimed_at) VALUES ($1, $2, $3, $3) \
             ON CONFLICT (key) DO NOTHING",
        )
        .bind(key.to_owned())
        .bind(body.to_owned())
        .bind(rfc3339(now))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Work `key` is done (or answered as impossible): no one owes it any more.
    pub async fn settle(&self, key: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM owed WHERE key = $1")
            .bind(key.to_owned())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Claims owed work whose last claim is older than `stale` (its bot stopped before doing it),
    /// oldest first; each row goes to one claimant even when several bots sweep at once.
    pub async fn claim_owed(
        &self,
        stale: Duration,
        now: SystemTime,
    ) -> Result<Vec<(String, String)>, StoreError> {
        let cutoff = rfc3339(now.checked_sub(stale).unwrap_or(now));
        let rows = sqlx::query(
            "SELECT key, body, claimed_at FROM owed WHERE claimed_at < $1 \
             ORDER BY created_at LIMIT $2",
        )
        .bind(cutoff)
        .bind(CLAIM_BATCH)
        .fetch_all(&self.pool)
        .await?;
        let mut claimed = Vec::new();
        for row in rows {
            use sqlx::Row as _;
            let key: String = row.try_get("key")?;
            let body: String = row.try_get("body")?;
            let was: String = row.try_get("claimed_at")?;
            // Compare-and-set: a row another bot claimed in between is left to it.
            let taken =
                sqlx::query("UPDATE owed SET claimed_at = $1 WHERE key = $2 AND claimed_at = $3")
                    .bind(rfc3339(now))
                    .bind(key.clone())
                    .bind(was)
                    .execute(&self.pool)
                    .await?;
            if taken.rows_affected() == 1 {
                claimed.push((key, body));
            }
        }
        Ok(claimed)
    }
}
