//! The work the bot owes: every task spawned for an envelope it has acknowledged (a start, a
//! decision, an answer) is tracked here, so a stopping bot carries them out before it exits.
//!
//! Slack does not deliver an acknowledged envelope again, so a task dropped on the way out is a
//! command lost for good. On SIGTERM the bot stops taking envelopes, then [`drain`] waits for
//! these tasks, up to `CHATOPS__SLACK__SHUTDOWN_GRACE`.

use std::future::Future;
use std::sync::OnceLock;
use std::time::Duration;
use tokio_util::task::TaskTracker;

fn tracker() -> &'static TaskTracker {
    static TASKS: OnceLock<TaskTracker> = OnceLock::new();
    TASKS.get_or_init(TaskTracker::new)
}

/// Runs `work` in a task of its own that [`drain`] waits for.
pub fn spawn<F>(work: F)
where
    F: Future<Output = ()> + Send + 'static,
{
    tracker().spawn(work);
}

/// Tasks still running.
pub fn in_flight() -> usize {
    tracker().len()
}

/// Waits up to `grace` for every task to finish; returns how many were still running when it
/// gave up (0 when all finished).
pub async fn drain(grace: Duration) -> usize {
    let tasks = tracker();
    tasks.close();
    let left = tasks.len();
    if left > 0 {
        tracing::info!(tasks = left, "finishing acknowledged work before stopping");
    }
    let finished = tokio::time::timeout(grace, tasks.wait()).await.is_ok();
    tasks.reopen();
    if finished { 0 } else { tasks.len() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn drain_waits_for_tracked_work_and_gives_up_after_the_grace() {
        let done = Arc::new(AtomicUsize::new(0));
        for delay in [10, 50] {
            let done = done.clone();
            spawn(async move {
                tokio::time::sleep(Duration::from_millis(delay)).await;
                done.fetch_add(1, Ordering::SeqCst);
            });
        }
        assert_eq!(drain(Duration::from_secs(5)).await, 0);
        assert_eq!(done.load(Ordering::SeqCst), 2);

        spawn(tokio::time::sleep(Duration::from_secs(60)));
        assert_eq!(drain(Duration::from_millis(20)).await, 1);
    }
}
