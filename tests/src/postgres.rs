//! A throwaway PostgreSQL database on the server these machines run (127.0.0.1:5432, or
//! `CHATOPS_TEST_POSTGRES_URL`), dropped however the test ends.

use sqlx::Connection as _;

const ADMIN_DEFAULT: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A database of its own; dropped with this value.
#[derive(Debug)]
pub struct Throwaway {
    admin: String,
    name: String,
    /// Its URL.
    pub url: String,
}

impl Throwaway {
    /// Creates a fresh database named after `purpose`.
    pub async fn create(purpose: &str) -> anyhow::Result<Self> {
        let admin =
            std::env::var("CHATOPS_TEST_POSTGRES_URL").unwrap_or_else(|_| ADMIN_DEFAULT.into());
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or_default();
        let name = format!("chatops_{purpose}_{}_{nanos}", std::process::id());
        let mut conn = sqlx::PgConnection::connect(&admin).await.map_err(|e| {
            anyhow::anyhow!(
                "PostgreSQL at {admin} (CHATOPS_TEST_POSTGRES_URL) is needed for this test: {e}"
            )
        })?;
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await?;
        conn.close().await?;
        let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
        Ok(Self {
            url: format!("{base}/{name}"),
            admin,
            name,
        })
    }
}

impl Drop for Throwaway {
    fn drop(&mut self) {
        let (admin, name) = (self.admin.clone(), self.name.clone());
        // A runtime of its own: drop may run inside (or outside) the test's runtime.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async {
                if let Ok(mut c) = sqlx::PgConnection::connect(&admin).await {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&mut c)
                        .await;
                }
            });
        })
        .join();
    }
}
