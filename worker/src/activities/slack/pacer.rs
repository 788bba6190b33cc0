//! Per-channel pacing of Slack writes.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Keeps writes to one channel near Slack's ~1 message per second: a token bucket per channel
/// (refilling one per second, holding `burst`), so short bursts go at once and a long one is
/// spread out instead of drawing 429s.
#[derive(Debug)]
pub struct Pacer {
    burst: f64,
    buckets: HashMap<String, (f64, Instant)>,
}

impl Pacer {
    /// A pacer allowing `burst` posts at once per channel.
    pub fn new(burst: u32) -> Self {
        Self {
            burst: f64::from(burst.max(1)),
            buckets: HashMap::new(),
        }
    }

    /// Gives back a token taken for a post that will not be made now.
    pub fn refund(&mut self, channel: &str) {
        if let Some((tokens, _)) = self.buckets.get_mut(channel) {
            *tokens += 1.0;
        }
    }

    /// Empties `channel`'s bucket so that the next token is free only `after` from `now`.
    pub fn hold(&mut self, channel: &str, after: Duration, now: Instant) {
        let burst = self.burst;
        let (tokens, at) = self
            .buckets
            .entry(channel.to_owned())
            .or_insert((burst, now));
        let refilled = (*tokens + now.saturating_duration_since(*at).as_secs_f64()).min(burst);
        *tokens = refilled.min(1.0 - after.as_secs_f64());
        *at = now;
    }

    /// Takes a token for `channel` at `now`; returns how long to wait before posting.
    pub fn take(&mut self, channel: &str, now: Instant) -> Duration {
        let (tokens, at) = self
            .buckets
            .entry(channel.to_owned())
            .or_insert((self.burst, now));
        let refilled = (*tokens + now.saturating_duration_since(*at).as_secs_f64()).min(self.burst);
        let left = refilled - 1.0;
        *tokens = left;
        *at = now;
        if left >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-left)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Pacer;
    use std::time::{Duration, Instant};

    #[test]
    fn a_burst_goes_at_once_then_posts_are_spread_a_second_apart() {
        let mut p = Pacer::new(3);
        let t0 = Instant::now();
        let waits: Vec<Duration> = (0..5).map(|_| p.take("C1", t0)).collect();
        assert_eq!(&waits[..3], &[Duration::ZERO; 3]);
        assert_eq!(waits[3], Duration::from_secs(1));
        assert_eq!(waits[4], Duration::from_secs(2));
        // Another channel has its own bucket.
        assert_eq!(p.take("C2", t0), Duration::ZERO);
        // A refunded slot is free again.
        p.refund("C1");
        assert_eq!(p.take("C1", t0), Duration::from_secs(2));
        // A 429's Retry-After holds the channel that long.
        let mut h = Pacer::new(5);
        h.hold("C1", Duration::from_secs(3), t0);
        assert_eq!(h.take("C1", t0), Duration::from_secs(3));
        assert_eq!(h.take("C2", t0), Duration::ZERO);
        // Time refills the bucket.
        let mut q = Pacer::new(1);
        assert_eq!(q.take("C1", t0), Duration::ZERO);
        assert_eq!(q.take("C1", t0 + Duration::from_secs(1)), Duration::ZERO);
    }
}
