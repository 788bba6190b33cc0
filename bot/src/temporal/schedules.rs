//! The freeze calendar: one Temporal Schedule per entry (`chatops-freeze-<name>`), starting
//! `ScheduledFreeze` on time. What people wrote is kept in the Schedule's note.

use chatops_common::freeze_calendar::FreezeWhen;
use chatops_contract::freeze::{
    FREEZE_SCHEDULE_PREFIX, FreezeEntry, ScheduledFreeze, freeze_schedule_id,
};
use chatops_contract::workflows;
use futures::StreamExt as _;
use temporalio_client::UntypedWorkflow;
use temporalio_client::schedules::{
    CreateScheduleOptions, DeleteScheduleOptions, ListSchedulesOptions, ScheduleAction,
    ScheduleError, ScheduleOverlapPolicy,
};

use super::{Temporal, TemporalError, json, rpc};

/// How many schedules a listing reads at most.
const LIST_LIMIT: usize = 200;

fn schedule_error(e: ScheduleError) -> TemporalError {
    match e {
        ScheduleError::Rpc(status) => rpc(status),
        other => TemporalError::Other(other.to_string()),
    }
}

impl Temporal {
    /// Adds freeze `entry` to the calendar, starting as `when` says; `Ok(false)` when an entry
    /// of that name exists already.
    pub async fn add_freeze(
        &self,
        entry: &ScheduledFreeze,
        when: &FreezeWhen,
    ) -> Result<bool, TemporalError> {
        let id = freeze_schedule_id(&entry.name, &self.task_queue);
        let listed = FreezeEntry {
            name: entry.name.clone(),
            when: when.text.clone(),
            reason: entry.reason.clone(),
            user: entry.user.clone(),
            next: Vec::new(),
        };
        let note =
            serde_json::to_string(&listed).map_err(|e| TemporalError::Other(e.to_string()))?;
        let action = ScheduleAction::start_workflow(
            UntypedWorkflow::new(workflows::SCHEDULED_FREEZE),
            json(entry)?,
            self.task_queue.clone(),
            format!("{id}-run"),
        );
        let options = CreateScheduleOptions::builder()
            .action(action)
            .spec(when.spec.clone())
            .overlap_policy(ScheduleOverlapPolicy::Skip)
            .note(note)
            .build();
        match self.client.create_schedule(id, options).await {
            Ok(_) => Ok(true),
            Err(ScheduleError::Rpc(s))
                if s.code() == temporalio_client::tonic::Code::AlreadyExists =>
            {
                Ok(false)
            }
            Err(e) => Err(schedule_error(e)),
        }
    }

    /// Removes freeze `name` from the calendar (an occurrence under way runs to its end);
    /// `NotFound` when there is none.
    pub async fn remove_freeze(&self, name: &str) -> Result<(), TemporalError> {
        let id = freeze_schedule_id(name, &self.task_queue);
        self.client
            .get_schedule_handle(id)
            .delete(DeleteScheduleOptions::default())
            .await
            .map_err(schedule_error)
    }

    /// The freeze calendar of this task queue, by name, each with its next starts.
    pub async fn freezes(&self) -> Result<Vec<FreezeEntry>, TemporalError> {
        let mut ids = Vec::new();
        let mut stream = self.client.list_schedules(ListSchedulesOptions::default());
        while let Some(found) = stream.next().await {
            let found = found.map_err(schedule_error)?;
            let id = found.schedule_id().to_owned();
            let Some(name) = id.strip_prefix(FREEZE_SCHEDULE_PREFIX) else {
                continue;
            };
            if freeze_schedule_id(name.split('@').next().unwrap_or(name), &self.task_queue) == id {
                ids.push(id);
            }
            if ids.len() >= LIST_LIMIT {
                break;
            }
        }
        let mut entries = Vec::new();
        for id in ids {
            let described = match self
                .client
                .get_schedule_handle(id.clone())
                .describe(Default::default())
                .await
            {
                Ok(d) => d,
                // Removed since it was listed.
                Err(ScheduleError::Rpc(s))
                    if s.code() == temporalio_client::tonic::Code::NotFound =>
                {
                    continue;
                }
                Err(e) => return Err(schedule_error(e)),
            };
            let mut entry: FreezeEntry = described
                .note()
                .and_then(|n| serde_json::from_str(n).ok())
                .unwrap_or_default();
            if entry.name.is_empty() {
                entry.name = id.trim_start_matches(FREEZE_SCHEDULE_PREFIX).to_owned();
            }
            entry.next = described
                .future_action_times()
                .into_iter()
                .take(3)
                .map(|t| humantime::format_rfc3339_seconds(t).to_string())
                .collect();
            entries.push(entry);
        }
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(entries)
    }
}
