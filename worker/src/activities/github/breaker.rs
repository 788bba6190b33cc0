//! The circuit breaker in front of GitHub.

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};
use temporalio_sdk::activities::ActivityError;

use crate::activities::failure::retry_after;

/// Consecutive transient failures after which GitHub is left alone for [`BREAKER_OPEN`].
const BREAKER_TRIP: u32 = 5;
/// How long the circuit stays open.
const BREAKER_OPEN: Duration = Duration::from_secs(30);

/// A circuit breaker in front of GitHub: after [`BREAKER_TRIP`] transient failures in a row
/// (5xx, 429, timeouts), calls fail at once for [`BREAKER_OPEN`], telling Temporal to retry
/// when it closes, instead of hammering a service that is down. Permanent answers (401, 404,
/// 422) and successes reset the count: GitHub is up.
#[derive(Debug, Default)]
pub struct Breaker {
    /// Transient failures in a row, and until when the circuit is open.
    state: Mutex<(u32, Option<Instant>)>,
}

impl Breaker {
    /// Runs `work` unless the circuit is open; counts how it went.
    pub async fn guard<T>(
        &self,
        work: impl Future<Output = Result<T, ActivityError>>,
    ) -> Result<T, ActivityError> {
        self.check()?;
        let result = work.await;
        let transient = match &result {
            Err(ActivityError::Application(f)) => !f.is_non_retryable(),
            _ => false,
        };
        self.record(transient);
        result
    }

    /// Whether calls are being refused now.
    pub fn is_open(&self) -> bool {
        let guard = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        guard.1.is_some_and(|u| u > Instant::now())
    }

    fn check(&self) -> Result<(), ActivityError> {
        let guard = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        match guard.1 {
            Some(until) if until > Instant::now() => {
                let wait = until - Instant::now();
                Err(retry_after(
                    format!(
                        "GitHub failed {BREAKER_TRIP} times in a row; not calling it for {}s",
                        wait.as_secs().max(1)
                    ),
                    wait,
                ))
            }
            _ => Ok(()),
        }
    }

    fn record(&self, transient_failure: bool) {
        let mut guard = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if !transient_failure {
            *guard = (0, None);
            return;
        }
        guard.0 += 1;
        if guard.0 >= BREAKER_TRIP {
            guard.0 = 0;
            guard.1 = Some(Instant::now() + BREAKER_OPEN);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activities::failure::{permanent, retryable};

    #[tokio::test]
    async fn the_breaker_opens_after_five_transient_failures_and_permanent_ones_reset_it() {
        let b = Breaker::default();
        for _ in 0..4 {
            let r: Result<(), _> = b.guard(async { Err(retryable("502")) }).await;
            assert!(r.is_err());
        }
        // A permanent answer means GitHub is up: the count starts again.
        let _: Result<(), _> = b.guard(async { Err(permanent("404")) }).await;
        for _ in 0..4 {
            let _: Result<(), _> = b.guard(async { Err(retryable("502")) }).await;
        }
        assert!(!b.is_open());
        let _: Result<(), _> = b.guard(async { Err(retryable("503")) }).await;
        assert!(b.is_open());
        // Open: the work is not even started, and Temporal is told when to come back.
        let called = std::sync::atomic::AtomicBool::new(false);
        let r = b
            .guard(async {
                called.store(true, std::sync::atomic::Ordering::SeqCst);
                Ok(())
            })
            .await;
        assert!(!called.load(std::sync::atomic::Ordering::SeqCst));
        match r {
            Err(ActivityError::Application(f)) => {
                assert!(!f.is_non_retryable());
                assert!(f.next_retry_delay().is_some_and(|d| d <= BREAKER_OPEN));
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
    }
}
