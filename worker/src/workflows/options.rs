//! Activity-option presets: how long each kind of call may take and how often it is retried.
//!
//! They are part of what a workflow schedules, so a preset changes only with a reason.

use std::time::Duration;
use temporalio_common::RetryPolicy;
use temporalio_sdk::{ActivityCloseTimeouts, ActivityOptions};

/// Slack posts and edits by the orchestrators, policy reads, the freeze check: they answer in
/// well under a second, so a call still open after 15 s is treated as lost and retried (by a
/// live worker, if this one died), until it succeeds or fails for good.
pub(crate) fn slack() -> ActivityOptions {
    ActivityOptions::start_to_close_timeout(Duration::from_secs(15))
}

/// Thread notes of phase children and migrations, health probes: 30 s a try, retried until
/// they succeed or fail for good.
pub(crate) fn short() -> ActivityOptions {
    ActivityOptions::start_to_close_timeout(Duration::from_secs(30))
}

/// Listing and signalling every delivery may take a while on a busy cluster.
pub(crate) fn long() -> ActivityOptions {
    ActivityOptions::start_to_close_timeout(Duration::from_secs(120))
}

/// How long GitHub may keep failing (5xx, rate limits, lost answers) before the step that
/// needs it fails.
pub(crate) const GITHUB_PATIENCE: Duration = Duration::from_secs(3600);

/// GitHub calls: a minute a try; transient failures retried with backoff, at most 30 s apart,
/// for up to [`GITHUB_PATIENCE`], so a storm of errors is waited out instead of failing the
/// delivery. Refusals that no retry mends (a bad token, a missing repository) fail at once.
pub(crate) fn github() -> ActivityOptions {
    ActivityOptions::with_close_timeouts(ActivityCloseTimeouts::ScheduleAndStartToClose {
        schedule_to_close: GITHUB_PATIENCE,
        start_to_close: Duration::from_secs(60),
    })
    .retry_policy(
        RetryPolicy::builder()
            .initial_interval(Duration::from_millis(500))
            .maximum_interval(Duration::from_secs(30))
            .build(),
    )
    .build()
}

/// How long a deploy may go without a heartbeat (it beats every 5 s) before Temporal counts
/// its worker lost and retries it on another, with the same deploy id.
const DEPLOY_HEARTBEAT: Duration = Duration::from_secs(30);

/// A deploy (or the redeploy of a rollback): a long command, tried at most three times.
pub(crate) fn deploy() -> ActivityOptions {
    ActivityOptions::with_start_to_close_timeout(Duration::from_secs(1900))
        .heartbeat_timeout(DEPLOY_HEARTBEAT)
        .retry_policy(RetryPolicy::builder().maximum_attempts(3).build())
        .build()
}

/// How long an agent call may go without a heartbeat (it beats every 5 s) before Temporal
/// counts its worker lost and asks again on another.
const AGENT_HEARTBEAT: Duration = Duration::from_secs(30);

/// An agent asked by a phase child or an incident: `attempts` tries of `timeout` each, the first retry after
/// 500 ms, before the next agent on the ladder is asked; a lost worker is noticed within
/// [`AGENT_HEARTBEAT`], not after the whole timeout.
pub(crate) fn agent(timeout: Duration, attempts: u32) -> ActivityOptions {
    ActivityOptions::with_start_to_close_timeout(timeout)
        .heartbeat_timeout(AGENT_HEARTBEAT)
        .retry_policy(
            RetryPolicy::builder()
                .maximum_attempts(attempts)
                .initial_interval(Duration::from_millis(500))
                .build(),
        )
        .build()
}

/// Calls that must not be retried forever: at most `attempts` tries of `timeout` each.
pub(crate) fn attempts(timeout: Duration, attempts: u32) -> ActivityOptions {
    ActivityOptions::with_start_to_close_timeout(timeout)
        .retry_policy(RetryPolicy::builder().maximum_attempts(attempts).build())
        .build()
}
