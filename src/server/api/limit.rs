//! Per-key rate limits: one token bucket per API key (default 10 requests/s, burst 50; each key
//! may set its own). In memory, per process.
//!
//! Not `governor`: its keyed limiter has one quota for every key, so per-key quotas would still
//! need a map of limiters, and it brings a handful of crates for what is 30 lines here.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

pub const DEFAULT_RATE_PER_SEC: f64 = 10.0;
pub const DEFAULT_BURST: u32 = 50;

/// Buckets idle this long are full again, so they are forgotten (the map stays small).
const FORGET_AFTER_SECS: f64 = 600.0;

#[derive(Clone, Copy, Debug)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// The outcome of one request against a key's bucket.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Verdict {
    pub allowed: bool,
    pub limit: u32,
    pub remaining: u32,
    /// Seconds until the bucket is full again (`RateLimit-Reset`).
    pub reset_secs: u64,
    /// Seconds until one request is allowed again (`Retry-After` of a 429).
    pub retry_after_secs: u64,
}

#[derive(Default)]
pub struct Limiter {
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl Limiter {
    /// Takes one token from `key`'s bucket if it has one.
    pub fn check(&self, key: &str, rate: f64, burst: u32, now: Instant) -> Verdict {
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() > 10_000 {
            buckets.retain(|_, b| now.duration_since(b.at).as_secs_f64() < FORGET_AFTER_SECS);
        }
        let full = f64::from(burst);
        let bucket = buckets.entry(key.to_string()).or_insert(Bucket {
            tokens: full,
            at: now,
        });
        let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * rate).min(full);
        bucket.at = now;
        let allowed = bucket.tokens >= 1.0;
        if allowed {
            bucket.tokens -= 1.0;
        }
        let secs = |missing: f64| (missing.max(0.0) / rate).ceil() as u64;
        Verdict {
            allowed,
            limit: burst,
            remaining: bucket.tokens.floor() as u32,
            reset_secs: secs(full - bucket.tokens),
            retry_after_secs: secs(1.0 - bucket.tokens).max(u64::from(!allowed)),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_burst_then_refusal_then_recovery() {
        let limiter = Limiter::default();
        let t0 = Instant::now();
        for i in 0..5 {
            let v = limiter.check("k", 2.0, 5, t0);
            assert!(v.allowed, "request {i}");
            assert_eq!(v.remaining, 4 - i);
        }
        let refused = limiter.check("k", 2.0, 5, t0);
        assert!(!refused.allowed);
        assert_eq!(refused.retry_after_secs, 1);
        assert!(
            limiter.check("other", 2.0, 5, t0).allowed,
            "keys are separate"
        );
        let later = limiter.check("k", 2.0, 5, t0 + Duration::from_millis(600));
        assert!(later.allowed, "a token came back after 0.5 s");
        assert!(
            !limiter
                .check("k", 2.0, 5, t0 + Duration::from_millis(600))
                .allowed
        );
        let full = limiter.check("k", 2.0, 5, t0 + Duration::from_secs(10));
        assert_eq!(full.remaining, 4);
    }
}
