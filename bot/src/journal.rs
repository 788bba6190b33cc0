//! What an acknowledgement promises. A `/feature new` (or the form) is recorded in the store as
//! owed before Slack gets its acknowledgement, and the record is removed once the feature has
//! started (or its requester has been told why it could not). Slack never delivers an
//! acknowledged envelope again, so a bot killed in between would otherwise lose the request for
//! good: every bot sweeps the store and carries out owed starts whose bot went quiet. The
//! start is idempotent (the workflow id comes from the envelope), so a start carried out twice
//! starts one feature.

use chatops_contract::feature::FeatureRequest;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::ops::{self, Actor};
use crate::{AnswerTo, App, Reply};

/// How often a bot looks for owed work of a bot that stopped.
const SWEEP_EVERY: Duration = Duration::from_secs(5);
/// A claim this old belongs to a bot that stopped: a start takes well under a second.
const STALE: Duration = Duration::from_secs(15);

/// A feature start the bot has acknowledged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OwedStart {
    /// Who asked, and in which channel.
    pub user: String,
    pub channel: Option<String>,
    /// The workflow id, derived from the envelope.
    pub id: String,
    pub input: FeatureRequest,
    /// Where a failure to start is told.
    pub answer: AnswerTo,
}

impl OwedStart {
    fn key(&self) -> String {
        format!("feature.start:{}", self.id)
    }
}

/// Records `owed` in the store, starts it in a task, and returns the acknowledgement to give.
/// Must be awaited before the envelope is acknowledged.
pub async fn start(app: &Arc<App>, owed: OwedStart) -> Reply {
    let reply = Reply::starting(&owed.id, &app.workflow_url(&owed.id));
    match serde_json::to_string(&owed) {
        Ok(body) => {
            if let Err(e) = app.store.owe(&owed.key(), &body, SystemTime::now()).await {
                // The start still goes ahead; only a crash in the next second could lose it.
                tracing::warn!(error = %e, workflow_id = %owed.id, "could not record an acknowledged start as owed");
            }
        }
        Err(e) => tracing::error!(error = %e, "an owed start cannot be written down"),
    }
    let app = app.clone();
    crate::tasks::spawn(async move { carry_out(&app, owed).await });
    reply
}

/// Starts the feature (a second start of the same id starts nothing), tells the requester when
/// it cannot, and settles the debt either way.
async fn carry_out(app: &Arc<App>, owed: OwedStart) {
    let actor = Actor::slack(owed.user.clone(), owed.channel.clone());
    if let Err(e) = ops::feature::start(&**app, &actor, &owed.id, &owed.input).await {
        app.answer(&owed.answer, Reply::from_op("start the feature", &e))
            .await;
    }
    if let Err(e) = app.store.settle(&owed.key()).await {
        tracing::warn!(error = %e, workflow_id = %owed.id, "could not settle an owed start; another bot may start it again, which starts nothing");
    }
}

/// Carries out owed starts whose bot stopped before finishing them; runs until the process
/// ends.
pub async fn sweep(app: Arc<App>) {
    loop {
        match app.store.claim_owed(STALE, SystemTime::now()).await {
            Ok(claimed) => {
                for (key, body) in claimed {
                    match serde_json::from_str::<OwedStart>(&body) {
                        Ok(owed) => {
                            tracing::info!(workflow_id = %owed.id, "carrying out a start another bot acknowledged");
                            let app = app.clone();
                            crate::tasks::spawn(async move { carry_out(&app, owed).await });
                        }
                        Err(e) => {
                            tracing::error!(error = %e, %key, "unreadable owed work dropped");
                            let _ = app.store.settle(&key).await;
                        }
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot read owed work"),
        }
        tokio::time::sleep(SWEEP_EVERY).await;
    }
}
