//! `CHATOPS__AUDIT__FAIL_CLOSED`, proven on a SQLite store whose audit log refuses writes and a
//! Temporal that records every call: on, every state-changing action is refused before anything
//! reaches Temporal; off, actions go ahead and the audit log reads as it always has.

use chatops_common::Settings;
use chatops_contract::feature::{FeatureRequest, GateName};
use chatops_contract::incident::Severity;
use sqlx::Connection as _;

use crate::ops::{self, Actor, Context, OpError, Refusal, Roster};
use crate::store::{AuditEntry, Store, StoreError};
use crate::temporal::Temporal;
use crate::temporal::fake::Calls;

const ME: &str = "U0ME";
const FEATURE: &str = "feature-add-csv-export-0a1b2c3d";
const INCIDENT: &str = "incident-checkout-1";

/// The bot, as far as the operations can tell: settings, a recording Temporal, a real store
/// in a folder of its own (removed with it).
struct Bot {
    settings: Settings,
    temporal: Temporal,
    store: Store,
    dir: std::path::PathBuf,
}

impl Drop for Bot {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Roster for Bot {
    fn settings(&self) -> &Settings {
        &self.settings
    }

    async fn member(&self, listed: &[String], user: &str) -> Result<bool, String> {
        Ok(listed.iter().any(|who| who == user))
    }

    async fn sees(&self, _channel: &str, _user: &str) -> bool {
        true
    }
}

impl Context for Bot {
    fn temporal(&self) -> &Temporal {
        &self.temporal
    }

    async fn audit(&self, entry: AuditEntry) {
        let _lost = self.write_audit(entry).await;
    }

    async fn write_audit(&self, mut entry: AuditEntry) -> Result<(), StoreError> {
        entry.at = crate::store::rfc3339(std::time::SystemTime::now());
        self.store.audit(&entry).await
    }
}

/// A bot in a folder of its own, where `ME` is an admin and on call; with `writable` false its
/// audit log refuses every insert (as a full or read-only disk would), reads still work.
async fn bot(name: &str, fail_closed: bool, writable: bool) -> (Bot, Calls) {
    let dir =
        std::env::temp_dir().join(format!("chatops-fail-closed-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let url = format!("sqlite://{}", dir.join("chatops.db").display());
    let vars = [
        ("CHATOPS__DATABASE__URL", url.as_str()),
        (
            "CHATOPS__AUDIT__FAIL_CLOSED",
            if fail_closed { "true" } else { "false" },
        ),
        ("CHATOPS__APPROVALS__ADMINS", ME),
        ("CHATOPS__EMERGENCY__ONCALL", ME),
    ];
    let settings = Settings::from_env_map(
        vars.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    )
    .expect("test settings");
    let store = Store::connect(&url).await.expect("store");
    if !writable {
        let mut raw = sqlx::SqliteConnection::connect(&format!("{url}?mode=rw"))
            .await
            .expect("second connection");
        sqlx::query(
            "CREATE TRIGGER audit_log_unwritable BEFORE INSERT ON audit_log \
             BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END",
        )
        .execute(&mut raw)
        .await
        .expect("trigger");
        raw.close().await.expect("close");
    }
    let (temporal, calls) = Temporal::recording(&settings).await;
    let bot = Bot {
        settings,
        temporal,
        store,
        dir,
    };
    (bot, calls)
}

/// Every state-changing action, by name, with what came of it.
async fn every_action(cx: &Bot) -> Vec<(&'static str, Result<(), OpError>)> {
    let me = Actor::cli(ME);
    let request = FeatureRequest::new("Add CSV export", ME, "C0DELIVERY");
    let alert =
        ops::incident::manual_alert("T1:1", &me, "C0INC", "checkout", Severity::High, "5xx");
    let gate = GateName::Intake.as_str();
    vec![
        (
            "feature new",
            ops::feature::start(cx, &me, FEATURE, &request)
                .await
                .map(|_| ()),
        ),
        (
            "approve",
            ops::decision::approve(cx, &me, FEATURE, gate, None)
                .await
                .map(|_| ()),
        ),
        (
            "reject",
            ops::decision::reject(cx, &me, FEATURE, gate, "no".into())
                .await
                .map(|_| ()),
        ),
        ("pause", ops::feature::pause(cx, &me, FEATURE, None).await),
        (
            "skip",
            ops::feature::skip(cx, &me, FEATURE, GateName::Intake, "urgent".into()).await,
        ),
        ("incident new", ops::incident::open(cx, &me, &alert).await),
        (
            "acknowledge",
            ops::incident::acknowledge(cx, &me, INCIDENT).await,
        ),
        (
            "resolve",
            ops::incident::resolve(cx, &me, INCIDENT, "fixed".into()).await,
        ),
        (
            "engage",
            ops::emergency::engage(cx, &me, "bad deploy".into()).await,
        ),
        (
            "release",
            ops::emergency::release(cx, &me, "fixed".into())
                .await
                .map(|_| ()),
        ),
    ]
}

#[tokio::test]
async fn fail_closed_refuses_every_action_before_anything_reaches_temporal() {
    let (cx, calls) = bot("refuses", true, false).await;

    for (action, result) in every_action(&cx).await {
        let Err(OpError::Refused(refusal @ Refusal::AuditUnavailable(_))) = result else {
            panic!("{action}: expected the audit refusal, got {result:?}");
        };
        let said = refusal.to_string();
        assert!(
            said.starts_with("The audit log cannot be written (")
                && said.contains("database or disk is full")
                && said.contains("CHATOPS__AUDIT__FAIL_CLOSED is on, so nothing was done."),
            "{action}: {said}"
        );
    }
    assert_eq!(
        calls.made(),
        Vec::<String>::new(),
        "nothing may reach Temporal"
    );
    assert!(
        cx.store
            .recent_audit(10)
            .await
            .expect("readable")
            .is_empty()
    );
}

#[tokio::test]
async fn fail_open_goes_ahead_when_the_audit_log_cannot_be_written() {
    let (cx, calls) = bot("goes-ahead", false, false).await;
    let me = Actor::cli(ME);

    let acknowledged = ops::incident::acknowledge(&cx, &me, INCIDENT).await;
    let paused = ops::feature::pause(&cx, &me, FEATURE, None).await;

    assert!(acknowledged.is_ok(), "{acknowledged:?}");
    assert!(paused.is_ok(), "{paused:?}");
    assert_eq!(
        calls.made(),
        ["SignalWorkflowExecution", "SignalWorkflowExecution"]
    );
}

#[tokio::test]
async fn fail_closed_writes_the_attempt_before_acting_and_the_outcome_after() {
    let (closed, closed_calls) = bot("attempt-first", true, true).await;
    let (open, _) = bot("outcome-only", false, true).await;
    let me = Actor::cli(ME);

    for cx in [&closed, &open] {
        ops::incident::acknowledge(cx, &me, INCIDENT)
            .await
            .expect("acknowledged");
    }

    let lines = |entries: Vec<AuditEntry>| -> Vec<String> {
        entries
            .iter()
            .map(|e| {
                format!(
                    "{} {} {}",
                    e.action,
                    e.workflow_id.as_deref().unwrap_or("-"),
                    e.outcome
                )
            })
            .collect()
    };
    let written = closed.store.recent_audit(10).await.expect("readable");
    assert_eq!(
        lines(written),
        [
            format!("cli.incident.acknowledge {INCIDENT} attempted"),
            format!("cli.incident.acknowledge {INCIDENT} accepted"),
        ]
    );
    assert_eq!(closed_calls.made(), ["SignalWorkflowExecution"]);
    // Off, the log holds the outcome alone, as it always has.
    let written = open.store.recent_audit(10).await.expect("readable");
    assert_eq!(
        lines(written),
        [format!("cli.incident.acknowledge {INCIDENT} accepted")]
    );
}
