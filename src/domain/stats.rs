//! Operator statistics from raw counts: rates and percentiles, the numbers checked each morning.

use serde::Serialize;

/// The value at percentile `p` (0–100) of sorted `values`, nearest rank.
pub fn percentile(sorted: &[i64], p: f64) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Latency {
    pub count: usize,
    pub p50_ms: Option<i64>,
    pub p95_ms: Option<i64>,
    pub p99_ms: Option<i64>,
}

pub fn latency(sorted: &[i64]) -> Latency {
    Latency {
        count: sorted.len(),
        p50_ms: percentile(sorted, 50.0),
        p95_ms: percentile(sorted, 95.0),
        p99_ms: percentile(sorted, 99.0),
    }
}

/// `part / whole` as a fraction, or None when there is nothing to divide.
pub fn rate(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| (part as f64 / whole as f64 * 1000.0).round() / 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<i64> = (1..=100).collect();
        assert_eq!(percentile(&v, 50.0), Some(50));
        assert_eq!(percentile(&v, 95.0), Some(95));
        assert_eq!(percentile(&v, 99.0), Some(99));
        assert_eq!(percentile(&[7], 99.0), Some(7));
        assert_eq!(percentile(&[], 50.0), None);
    }

    #[test]
    fn rates_round_and_refuse_zero() {
        assert_eq!(rate(2, 3), Some(0.667));
        assert_eq!(rate(1, 0), None);
    }
}
