//! Bad weather on the REST API, for tests: one call in `one_in`, drawn at random from a seed, is
//! struck, in turn answered `503`, refused with GitHub's rate-limit answer (`429`,
//! `Retry-After`), or carried out with its answer lost (a `502` the caller cannot tell from a
//! failure). Git's own protocol is spared.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};
use std::sync::Arc;

use super::Forge;
use super::api::message;

/// A storm: which calls it strikes, and what it did so far.
#[derive(Debug, Clone, Default)]
pub struct Storm {
    /// One REST call in this many is struck (0: none).
    pub one_in: u64,
    /// The state of the draw (xorshift64).
    pub draw: u64,
    /// Calls struck so far.
    pub strikes: u32,
    /// `METHOD path` and the status of every call struck.
    pub struck: Vec<(String, u16)>,
}

/// What the storm does to one call.
enum Strike {
    Unavailable,
    RateLimited,
    Lost,
}

impl Storm {
    /// A storm striking one call in `one_in`, drawn from `seed`.
    pub fn one_in(one_in: u64, seed: u64) -> Self {
        Self {
            one_in,
            draw: seed | 1,
            ..Self::default()
        }
    }

    fn strike(&mut self, call: &str) -> Option<Strike> {
        if self.one_in == 0 {
            return None;
        }
        self.draw ^= self.draw << 13;
        self.draw ^= self.draw >> 7;
        self.draw ^= self.draw << 17;
        if !self.draw.is_multiple_of(self.one_in) {
            return None;
        }
        self.strikes += 1;
        let (strike, status) = match self.strikes % 3 {
            0 => (Strike::Unavailable, 503),
            1 => (Strike::RateLimited, 429),
            _ => (Strike::Lost, 502),
        };
        self.struck.push((call.to_owned(), status));
        Some(strike)
    }
}

/// The middleware: passes a call on, or strikes it.
pub async fn weather(State(forge): State<Arc<Forge>>, req: Request, next: Next) -> Response {
    let call = format!("{} {}", req.method(), req.uri().path());
    let strike = if req.uri().path().starts_with("/repos/") {
        forge.state().storm.as_mut().and_then(|s| s.strike(&call))
    } else {
        None
    };
    match strike {
        None => next.run(req).await,
        Some(Strike::Unavailable) => {
            message(StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable").into_response()
        }
        Some(Strike::RateLimited) => {
            let mut answer = message(
                StatusCode::TOO_MANY_REQUESTS,
                "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
            )
            .into_response();
            let headers = answer.headers_mut();
            headers.insert("retry-after", HeaderValue::from_static("1"));
            headers.insert("x-ratelimit-remaining", HeaderValue::from_static("0"));
            answer
        }
        Some(Strike::Lost) => {
            let _carried_out = next.run(req).await;
            message(StatusCode::BAD_GATEWAY, "Bad Gateway").into_response()
        }
    }
}
