//! Activity failures as Temporal should see them: retried with its backoff, retried when the
//! service said, or not retried at all. Each is logged once, inside the activity's span.

use std::time::Duration;
use temporalio_common::error::ApplicationFailure;
use temporalio_sdk::activities::ActivityError;

/// A failure worth another attempt (5xx, a timeout, a malformed answer).
pub fn retryable(text: impl Into<String>) -> ActivityError {
    let text = text.into();
    tracing::warn!(%text, "activity failed; Temporal will retry");
    ActivityError::application(ApplicationFailure::new(std::io::Error::other(text)))
}

/// A failure that would happen again however often it is tried (bad config, 4xx).
pub fn permanent(text: impl Into<String>) -> ActivityError {
    let text = text.into();
    tracing::error!(%text, "activity failed for good");
    ActivityError::application(ApplicationFailure::non_retryable(std::io::Error::other(
        text,
    )))
}

/// A failure to retry no sooner than `delay` (a circuit open, a service asking to wait).
pub fn retry_after(text: impl Into<String>, delay: Duration) -> ActivityError {
    let text = text.into();
    tracing::warn!(%text, ?delay, "activity failed; Temporal will retry after the delay");
    ActivityError::application(
        ApplicationFailure::builder(std::io::Error::other(text))
            .next_retry_delay(delay)
            .build(),
    )
}

/// An HTTP answer's failure: 408, 429 and 5xx are worth retrying; any other status will be
/// answered the same way again.
pub fn by_status(status: u16, text: impl Into<String>) -> ActivityError {
    if status == 408 || status == 429 || status >= 500 {
        retryable(text)
    } else {
        permanent(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn non_retryable(e: &ActivityError) -> bool {
        matches!(e, ActivityError::Application(f) if f.is_non_retryable())
    }

    #[test]
    fn statuses_worth_retrying_are_told_apart_from_the_rest() {
        for (status, retried) in [
            (400, false),
            (401, false),
            (404, false),
            (408, true),
            (422, false),
            (429, true),
            (500, true),
            (503, true),
        ] {
            assert_eq!(!non_retryable(&by_status(status, "x")), retried, "{status}");
        }
        match retry_after("open", Duration::from_secs(3)) {
            ActivityError::Application(f) => {
                assert!(!f.is_non_retryable());
                assert_eq!(f.next_retry_delay(), Some(Duration::from_secs(3)));
            }
            other => panic!("expected an application failure, got {other:?}"),
        }
    }
}
