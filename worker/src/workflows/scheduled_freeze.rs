//! `ScheduledFreeze`: one occurrence of a freeze calendar entry, started on time by its
//! Temporal Schedule. It engages the emergency stop as the person who scheduled it (who must
//! still be on call), in holding mode: deliveries wait before their next phase, nothing running
//! is stopped. It waits out its duration on a durable timer and releases its own engagement.

use chatops_contract::freeze::{FreezeRequest, ScheduledFreeze as Entry, ScheduledHold};
use chatops_contract::workflows;
use std::time::Duration;
use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::{WorkflowContext, WorkflowContextView, WorkflowResult};

use crate::activities::freeze::{FreezeActivities, ScheduledAsk};
use crate::workflows::clock::{rfc3339, time_or_epoch};
use crate::workflows::options;

/// One scheduled freeze, from engage to release.
#[workflow]
pub struct ScheduledFreeze {
    entry: Entry,
}

#[workflow_methods]
impl ScheduledFreeze {
    #[init]
    pub fn new(_ctx: &WorkflowContextView, entry: Entry) -> Self {
        Self { entry }
    }

    #[run(name = workflows::SCHEDULED_FREEZE)]
    pub async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<String> {
        let entry = ctx.state(|s| s.entry.clone());
        let lasts = Duration::from_millis(entry.duration_ms.max(1000));
        let until = rfc3339(time_or_epoch(ctx) + lasts);
        let req = FreezeRequest {
            user: entry.user.clone(),
            reason: entry.reason.clone(),
            scheduled: Some(ScheduledHold {
                name: entry.name.clone(),
                until: until.clone(),
            }),
        };
        let ask = |engage: bool| ScheduledAsk {
            engage,
            req: req.clone(),
        };
        ctx.execute_activity(FreezeActivities::scheduled, ask(true), options::long())
            .await?;
        ctx.timer(lasts).await;
        ctx.execute_activity(FreezeActivities::scheduled, ask(false), options::long())
            .await?;
        Ok(format!("`{}` held deliveries until {until}", entry.name))
    }
}
