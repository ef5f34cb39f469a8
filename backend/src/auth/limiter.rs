//! Fixed-window failure counter for login brute force (per IP + email), and a simple per-key request-rate
//! limiter for the kiosk. In memory, per instance (documented for multi-instance deployments).
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct FailureLimiter {
    max_failures: u32,
    window: Duration,
    state: Mutex<HashMap<String, (u32, Instant)>>,
}

impl FailureLimiter {
    pub fn new(max_failures: u32, window: Duration) -> Self {
        FailureLimiter { max_failures, window, state: Mutex::new(HashMap::new()) }
    }

    /// Seconds until the key may try again, if it is locked out now.
    pub fn locked_for(&self, key: &str, now: Instant) -> Option<u64> {
        let mut map = self.state.lock().unwrap();
        match map.get(key) {
            Some((n, start)) if now.duration_since(*start) < self.window => {
                if *n >= self.max_failures {
                    Some((self.window - now.duration_since(*start)).as_secs().max(1))
                } else {
                    None
                }
            }
            Some(_) => {
                map.remove(key);
                None
            }
            None => None,
        }
    }

    pub fn record_failure(&self, key: &str, now: Instant) {
        let mut map = self.state.lock().unwrap();
        if map.len() > 100_000 {
            let window = self.window;
            map.retain(|_, (_, start)| now.duration_since(*start) < window);
        }
        let entry = map.entry(key.to_string()).or_insert((0, now));
        if now.duration_since(entry.1) >= self.window {
            *entry = (0, now);
        }
        entry.0 += 1;
    }

    pub fn reset(&self, key: &str) {
        self.state.lock().unwrap().remove(key);
    }
}

/// At most `per_window` requests per key in each window.
pub struct RateLimiter {
    per_window: u32,
    window: Duration,
    state: Mutex<HashMap<String, (u32, Instant)>>,
}

impl RateLimiter {
    pub fn new(per_window: u32, window: Duration) -> Self {
        RateLimiter { per_window, window, state: Mutex::new(HashMap::new()) }
    }

    /// `true` if the request is allowed (and counts it).
    pub fn allow(&self, key: &str, now: Instant) -> bool {
        let mut map = self.state.lock().unwrap();
        if map.len() > 100_000 {
            let window = self.window;
            map.retain(|_, (_, start)| now.duration_since(*start) < window);
        }
        let entry = map.entry(key.to_string()).or_insert((0, now));
        if now.duration_since(entry.1) >= self.window {
            *entry = (0, now);
        }
        if entry.0 >= self.per_window {
            return false;
        }
        entry.0 += 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_after_max_failures_until_window_ends() {
        let l = FailureLimiter::new(3, Duration::from_secs(60));
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(l.locked_for("ip|a", t0).is_none());
            l.record_failure("ip|a", t0);
        }
        assert!(l.locked_for("ip|a", t0).is_some());
        assert!(l.locked_for("ip|b", t0).is_none(), "other keys unaffected");
        assert!(l.locked_for("ip|a", t0 + Duration::from_secs(61)).is_none());
        l.record_failure("ip|c", t0);
        l.reset("ip|c");
        assert!(l.locked_for("ip|c", t0).is_none());
    }

    #[test]
    fn rate_limiter_counts_per_window() {
        let r = RateLimiter::new(2, Duration::from_secs(60));
        let t0 = Instant::now();
        assert!(r.allow("k", t0));
        assert!(r.allow("k", t0));
        assert!(!r.allow("k", t0));
        assert!(r.allow("k", t0 + Duration::from_secs(60)));
    }
}
