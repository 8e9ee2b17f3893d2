//! The one retry policy: what a failure of a given class means for the next attempt ([`decide`]),
//! and the one backoff with jitter between attempts ([`backoff`]). The worker uses it for job
//! attempts and `connectors::http` for repeats of one call, so the two never disagree. Pure.

use std::time::Duration;

use crate::error::ErrorClass;

/// How many attempts, and how far apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// The wait before the second attempt; it doubles after each further failure.
    pub base: Duration,
    /// No wait is longer than this.
    pub max: Duration,
}

/// What to do after attempt `attempt` failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Try again after this long.
    Retry(Duration),
    /// No attempt will succeed (exhausted, configuration, an inconsistency): dead letter.
    Dead,
    /// Bad input: stop for the operator, without a dead letter.
    Cancel,
}

/// The verdict for a failure of `class` on attempt `attempt` (1-based). A service's own
/// `Retry-After` wins over the backoff. `unit` in [0, 1] picks the point in the jitter band.
pub fn decide(
    class: ErrorClass,
    attempt: u32,
    retry_after: Option<Duration>,
    policy: &Policy,
    unit: f64,
) -> Verdict {
    match class {
        ErrorClass::InvalidInput => Verdict::Cancel,
        ErrorClass::Configuration | ErrorClass::Internal => Verdict::Dead,
        _ if attempt >= policy.max_attempts => Verdict::Dead,
        _ => Verdict::Retry(
            retry_after.unwrap_or_else(|| backoff(class, attempt, policy.base, policy.max, unit)),
        ),
    }
}

/// The wait after failed attempt `attempt` (1-based): `base * 2^(attempt-1)`, four times that for
/// an external service that is down, ±20% by `unit` in [0, 1], capped at `max`.
pub fn backoff(
    class: ErrorClass,
    attempt: u32,
    base: Duration,
    max: Duration,
    unit: f64,
) -> Duration {
    let mut delay = base.saturating_mul(1u32 << attempt.saturating_sub(1).min(20));
    if class == ErrorClass::ExternalService {
        delay = delay.saturating_mul(4);
    }
    let jittered = delay.as_secs_f64() * (0.8 + 0.4 * unit.clamp(0.0, 1.0));
    Duration::try_from_secs_f64(jittered).map_or(max, |d| d.min(max))
}

/// A random number in [0, 1) for jitter, from the standard library's per-process random keys.
pub fn jitter_unit() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::hash::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos(),
    );
    (h.finish() >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: Duration = Duration::from_secs(3600);

    fn policy(max_attempts: u32) -> Policy {
        Policy {
            max_attempts,
            base: Duration::from_secs(1),
            max: HOUR,
        }
    }

    #[test]
    fn backoff_doubles_with_twenty_percent_jitter_and_is_capped() {
        let base = Duration::from_secs(1);
        for (attempt, secs) in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0)] {
            let low = backoff(ErrorClass::Transient, attempt, base, HOUR, 0.0).as_secs_f64();
            let high = backoff(ErrorClass::Transient, attempt, base, HOUR, 1.0).as_secs_f64();
            let mid = backoff(ErrorClass::Transient, attempt, base, HOUR, 0.5).as_secs_f64();
            assert!((low - secs * 0.8).abs() < 1e-6, "{attempt}: {low}");
            assert!((high - secs * 1.2).abs() < 1e-6, "{attempt}: {high}");
            assert!((mid - secs).abs() < 1e-6, "{attempt}: {mid}");
        }
        assert!(backoff(ErrorClass::ExternalService, 1, base, HOUR, 0.5) >= Duration::from_secs(4));
        assert_eq!(backoff(ErrorClass::Transient, 60, base, HOUR, 1.0), HOUR);
        assert_eq!(
            backoff(ErrorClass::Transient, u32::MAX, Duration::MAX, HOUR, 1.0),
            HOUR
        );
        for _ in 0..1000 {
            assert!((0.0..1.0).contains(&jitter_unit()));
        }
    }

    #[test]
    fn classes_decide_and_retry_after_wins() {
        let after = Some(Duration::from_secs(7));
        assert_eq!(
            decide(ErrorClass::Transient, 1, after, &policy(5), 0.5),
            Verdict::Retry(Duration::from_secs(7))
        );
        assert_eq!(
            decide(ErrorClass::Transient, 5, None, &policy(5), 0.5),
            Verdict::Dead
        );
        assert_eq!(
            decide(ErrorClass::Configuration, 1, None, &policy(5), 0.5),
            Verdict::Dead
        );
        assert_eq!(
            decide(ErrorClass::Internal, 1, None, &policy(5), 0.5),
            Verdict::Dead
        );
        assert_eq!(
            decide(ErrorClass::InvalidInput, 1, None, &policy(5), 0.5),
            Verdict::Cancel
        );
        assert_eq!(
            decide(ErrorClass::Recoverable, 2, None, &policy(5), 0.5),
            Verdict::Retry(Duration::from_secs(2))
        );
    }
}
