//! The same behaviour, proven on a SQLite file and on the PostgreSQL server
//! (`CHATOPS_TEST_POSTGRES_URL`, default `postgres://postgres@127.0.0.1:5432/postgres`) in a
//! database of its own, dropped afterwards.

use super::*;
use sqlx::Connection as _;

const ADMIN_DEFAULT: &str = "postgres://postgres@127.0.0.1:5432/postgres";

fn t(secs: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000 + secs)
}

async fn behaves(store: &Store) -> Result<(), StoreError> {
    // Owed work: fresh claims are not taken, stale ones are, by one claimant, until settled.
    store.owe("feature.start:a", "{\"id\":\"a\"}", t(0)).await?;
    store
        .owe("feature.start:a", "{\"id\":\"again\"}", t(1))
        .await?;
    store.owe("feature.start:b", "{\"id\":\"b\"}", t(2)).await?;
    let stale = Duration::from_secs(15);
    assert!(
        store.claim_owed(stale, t(10)).await?.is_empty(),
        "not stale yet"
    );
    let claimed = store.claim_owed(stale, t(16)).await?;
    assert_eq!(
        claimed,
        [("feature.start:a".to_owned(), "{\"id\":\"a\"}".to_owned())]
    );
    assert!(
        store.claim_owed(stale, t(16)).await?.is_empty(),
        "claimed once"
    );
    store.settle("feature.start:a").await?;
    let later = store.claim_owed(stale, t(40)).await?;
    assert_eq!(later.len(), 1, "only b is left: {later:?}");
    store.settle("feature.start:b").await?;
    assert!(store.claim_owed(stale, t(100)).await?.is_empty());

    // A redelivery is recognised; another key is not; the window forgets old keys.
    assert!(store.first_time("act:T1:111.222", t(0)).await?);
    assert!(!store.first_time("act:T1:111.222", t(5)).await?);
    assert!(store.first_time("act:T1:333.444", t(6)).await?);
    let later = t(DEDUP_WINDOW.as_secs() + 10);
    assert!(
        store.first_time("act:T1:111.222", later).await?,
        "forgotten after the window"
    );

    // The audit log keeps entries in order, with every field.
    for (i, outcome) in [
        "accepted",
        "refused: you are not an approver for the intake gate",
    ]
    .iter()
    .enumerate()
    {
        store
            .audit(&AuditEntry {
                at: rfc3339(t(i as u64)),
                actor: format!("U{i}"),
                action: "approve".into(),
                workflow_id: Some("feature-x-1".into()),
                gate: Some("intake".into()),
                decision: Some("approve".into()),
                outcome: (*outcome).to_owned(),
                slack_team: Some("T1".into()),
                slack_channel: None,
            })
            .await?;
    }
    let entries = store.recent_audit(10).await?;
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0].actor, "U0");
    assert_eq!(
        entries[1].outcome,
        "refused: you are not an approver for the intake gate"
    );
    assert_eq!(entries[1].slack_channel, None);
    assert_eq!(
        store.recent_audit(1).await?[0].actor,
        "U1",
        "the latest, when limited"
    );
    // Since a time: entries at or after it, oldest first; a limit keeps the latest.
    let actors = |entries: Vec<AuditEntry>| -> Vec<String> {
        entries.into_iter().map(|e| e.actor).collect()
    };
    assert_eq!(actors(store.audit_since(t(0), None).await?), ["U0", "U1"]);
    assert_eq!(actors(store.audit_since(t(1), None).await?), ["U1"]);
    assert_eq!(
        actors(
            store
                .audit_since(t(0) + Duration::from_millis(500), None)
                .await?
        ),
        ["U1"],
        "an entry stamped in the second before a fractional time is not after it"
    );
    assert_eq!(actors(store.audit_since(t(0), Some(1)).await?), ["U1"]);
    assert!(store.audit_since(t(2), None).await?.is_empty());
    assert!(!store.server_version().await?.is_empty());

    // User group members are remembered with when they were read, and replaced on refresh.
    assert_eq!(store.cached_group("S1").await?, None);
    store
        .cache_group("S1", &["U1".into(), "U2".into()], t(10))
        .await?;
    store.cache_group("S1", &["U3".into()], t(20)).await?;
    assert_eq!(
        store.cached_group("S1").await?,
        Some((vec!["U3".to_owned()], t(20)))
    );
    Ok(())
}

#[tokio::test]
async fn sqlite_file_store_dedups_and_audits() -> Result<(), StoreError> {
    let dir = std::env::temp_dir().join(format!("chatops-store-{}", std::process::id()));
    let path = dir.join("nested").join("chatops.db");
    let store = Store::connect(&format!("sqlite://{}", path.display())).await?;
    assert_eq!(store.backend(), Backend::Sqlite);
    behaves(&store).await?;
    store.close().await;
    // Reopening migrates nothing twice and keeps the data.
    let again = Store::connect(&format!("sqlite://{}", path.display())).await?;
    assert_eq!(again.recent_audit(10).await?.len(), 2);
    again.close().await;
    let _ = std::fs::remove_dir_all(dir);
    Ok(())
}

/// Drops the throwaway database however the test ends.
struct Throwaway {
    admin: String,
    name: String,
}

impl Drop for Throwaway {
    fn drop(&mut self) {
        let (admin, name) = (self.admin.clone(), self.name.clone());
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            if let Ok(rt) = rt {
                rt.block_on(async {
                    if let Ok(mut c) = sqlx::PgConnection::connect(&admin).await {
                        let _ =
                            sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                                .execute(&mut c)
                                .await;
                    }
                });
            }
        })
        .join();
    }
}

#[tokio::test]
async fn postgres_store_dedups_and_audits() -> Result<(), StoreError> {
    let admin = std::env::var("CHATOPS_TEST_POSTGRES_URL").unwrap_or_else(|_| ADMIN_DEFAULT.into());
    let name = format!(
        "chatops_test_{}_{}",
        std::process::id(),
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or_default()
    );
    sqlx::PgConnection::connect(&admin)
        .await
        .map_err(|e| {
            StoreError::Connect(format!(
                "PostgreSQL at {admin} (CHATOPS_TEST_POSTGRES_URL) is needed for this test: {e}"
            ))
        })?
        .close()
        .await?;
    let _cleanup = Throwaway {
        admin: admin.clone(),
        name: name.clone(),
    };
    let url = match admin.rsplit_once('/') {
        Some((base, _)) => format!("{base}/{name}"),
        None => return Err(StoreError::Connect(format!("no database in {admin}"))),
    };
    // The database does not exist yet: the store creates it, then migrates it.
    let store = Store::connect(&url).await?;
    assert_eq!(store.backend(), Backend::Postgres);
    behaves(&store).await?;
    store.close().await;
    Ok(())
}

#[tokio::test]
async fn other_urls_are_refused_by_name() {
    let err = Store::connect("mysql://localhost/x")
        .await
        .err()
        .map(|e| e.to_string());
    assert_eq!(
        err.as_deref(),
        Some("CHATOPS__DATABASE__URL must start with sqlite: or postgres:, not `mysql`")
    );
}
