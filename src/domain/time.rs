//! Time: epoch-millisecond conventions, `--since` durations, business days and send windows.

use jiff::civil::{Time, Weekday};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};

/// Now, in epoch milliseconds (the store's convention for every time column).
pub fn now_ms() -> i64 {
    Timestamp::now().as_millisecond()
}

/// RFC 3339 in UTC with millisecond precision, the form JSON output uses.
pub fn rfc3339(ms: i64) -> String {
    match Timestamp::from_millisecond(ms) {
        Ok(ts) => format!("{ts:.3}"),
        Err(_) => ms.to_string(),
    }
}

/// The UTC calendar day of an instant, ISO 8601 (`2026-11-30`): the day usage is counted on.
pub fn utc_day(ms: i64) -> String {
    match Timestamp::from_millisecond(ms) {
        Ok(ts) => ts.strftime("%Y-%m-%d").to_string(),
        Err(_) => "1970-01-01".to_string(),
    }
}

/// The first and last UTC day (ISO 8601, both inclusive) of a month given as `YYYY-MM`.
pub fn month_days(value: &str) -> Result<(String, String), String> {
    let bad = || format!("{value:?} is not a month; use YYYY-MM, e.g. 2026-11");
    let v = value.trim();
    let (year, month) = v.split_once('-').ok_or_else(bad)?;
    if year.len() != 4 || month.len() != 2 {
        return Err(bad());
    }
    let year: i16 = year.parse().map_err(|_| bad())?;
    let month: i8 = month.parse().map_err(|_| bad())?;
    let first = jiff::civil::Date::new(year, month, 1).map_err(|_| bad())?;
    let last = first.last_of_month();
    Ok((first.to_string(), last.to_string()))
}

/// A compact UTC time for tables: `2026-11-29 13:40:05`.
pub fn short(ms: i64) -> String {
    match Timestamp::from_millisecond(ms) {
        Ok(ts) => ts.strftime("%Y-%m-%d %H:%M:%S").to_string(),
        Err(_) => ms.to_string(),
    }
}

/// `short` of an RFC 3339 time that was already rendered (reports carry them as text); text that
/// is not one is shown as it is.
pub fn short_rfc3339(text: &str) -> String {
    text.parse::<Timestamp>()
        .map(|ts| short(ts.as_millisecond()))
        .unwrap_or_else(|_| text.to_string())
}

/// Parses a `--since` value: a duration back from now (`90s`, `30m`, `24h`, `7d`, `2w`), an RFC 3339
/// time, or a date (`2026-11-01`, midnight UTC). Returns epoch milliseconds.
pub fn parse_since(value: &str, now: i64) -> Result<i64, String> {
    let v = value.trim();
    if let Some(ms) = parse_duration_ms(v) {
        return Ok(now - ms);
    }
    if let Ok(ts) = v.parse::<Timestamp>() {
        return Ok(ts.as_millisecond());
    }
    if let Ok(date) = v.parse::<jiff::civil::Date>()
        && let Ok(zoned) = date.to_zoned_datetime(TimeZone::UTC)
    {
        return Ok(zoned.timestamp().as_millisecond());
    }
    Err(format!(
        "{value:?} is not a duration or a date; use e.g. 30m, 24h, 7d, 2026-11-01 or 2026-11-01T08:00:00Z"
    ))
}

/// `90s`, `30m`, `24h`, `7d`, `2w` (or `500ms`) as milliseconds.
pub fn parse_duration_ms(v: &str) -> Option<i64> {
    let split = v.find(|c: char| !c.is_ascii_digit())?;
    let (n, unit) = v.split_at(split);
    let n: i64 = n.parse().ok()?;
    let unit_ms = match unit {
        "ms" => 1,
        "s" => 1_000,
        "m" | "min" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        "w" => 7 * 86_400_000,
        _ => return None,
    };
    n.checked_mul(unit_ms)
}

/// The time `days` business days (Monday to Friday) after `from_ms`, at the same time of day, UTC.
pub fn add_business_days(from_ms: i64, days: u32) -> i64 {
    let Ok(ts) = Timestamp::from_millisecond(from_ms) else {
        return from_ms;
    };
    let mut zoned = ts.to_zoned_datetime(TimeZone::UTC);
    let mut left = days;
    while left > 0 {
        zoned = match zoned.checked_add(1.day()) {
            Ok(z) => z,
            Err(_) => return from_ms,
        };
        if !matches!(zoned.weekday(), Weekday::Saturday | Weekday::Sunday) {
            left -= 1;
        }
    }
    zoned.timestamp().as_millisecond()
}

/// A daily window in a time zone, e.g. `08:00-18:00 Europe/Berlin`, in which sends may happen.
#[derive(Clone, Debug)]
pub struct SendWindow {
    pub start: Time,
    pub end: Time,
    pub tz: TimeZone,
}

impl SendWindow {
    pub fn parse(text: &str) -> Result<SendWindow, String> {
        let bad = || {
            format!(
                "{text:?} is not a send window; write it as HH:MM-HH:MM Area/City, e.g. 08:00-18:00 Europe/Berlin"
            )
        };
        let mut parts = text.split_whitespace();
        let range = parts.next().ok_or_else(bad)?;
        let zone = parts.next().unwrap_or("UTC");
        if parts.next().is_some() {
            return Err(bad());
        }
        let (a, b) = range.split_once('-').ok_or_else(bad)?;
        let start: Time = a.parse().map_err(|_| bad())?;
        let end: Time = b.parse().map_err(|_| bad())?;
        if start >= end {
            return Err(format!("{text:?}: the window must start before it ends"));
        }
        let tz =
            TimeZone::get(zone).map_err(|_| format!("{text:?}: unknown time zone {zone:?}"))?;
        Ok(SendWindow { start, end, tz })
    }

    pub fn contains(&self, at_ms: i64) -> bool {
        let Ok(ts) = Timestamp::from_millisecond(at_ms) else {
            return false;
        };
        let time = ts.to_zoned_datetime(self.tz.clone()).time();
        time >= self.start && time < self.end
    }
}

/// A duration for people: "850 ms", "6.7 s", "1m 6.7s", "2h 5m", "3d 4h".
pub fn human_duration(ms: i64) -> String {
    let ms = ms.max(0);
    let secs = ms / 1000;
    match ms {
        0..1_000 => format!("{ms} ms"),
        1_000..60_000 => format!("{:.1} s", ms as f64 / 1000.0),
        60_000..3_600_000 => format!("{}m {:.1}s", secs / 60, (ms % 60_000) as f64 / 1000.0),
        3_600_000..86_400_000 => format!("{}h {}m", secs / 3600, secs % 3600 / 60),
        _ => format!("{}d {}h", secs / 86_400, secs % 86_400 / 3600),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_days_and_months_are_utc_calendar_dates() {
        assert_eq!(utc_day(0), "1970-01-01");
        assert_eq!(utc_day(1_796_083_199_999), "2026-11-30");
        assert_eq!(
            month_days("2026-11").unwrap(),
            ("2026-11-01".to_string(), "2026-11-30".to_string())
        );
        assert_eq!(month_days("2028-02").unwrap().1, "2028-02-29");
        for bad in ["2026-13", "2026-1", "26-11", "november", "2026-11-01", ""] {
            assert!(month_days(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn durations_read_like_a_person_would_say_them() {
        for (ms, text) in [
            (0, "0 ms"),
            (850, "850 ms"),
            (6_700, "6.7 s"),
            (66_689, "1m 6.7s"),
            (7_500_000, "2h 5m"),
            (273_600_000, "3d 4h"),
        ] {
            assert_eq!(human_duration(ms), text);
        }
    }

    #[test]
    fn since_accepts_durations_and_dates() {
        let now = 1_764_412_800_000;
        assert_eq!(parse_since("24h", now), Ok(now - 86_400_000));
        assert_eq!(parse_since("30m", now), Ok(now - 1_800_000));
        assert_eq!(parse_since("2025-11-29", now), Ok(1_764_374_400_000));
        assert_eq!(parse_since("2025-11-29T10:40:00Z", now), Ok(now));
        assert!(
            parse_since("yesterday", now)
                .unwrap_err()
                .contains("e.g. 30m")
        );
    }

    #[test]
    fn business_days_skip_weekends() {
        // Friday 2025-11-28 12:00 UTC + 2 business days = Tuesday 2025-12-02 12:00 UTC.
        let friday = 1_764_331_200_000;
        let due = add_business_days(friday, 2);
        assert_eq!(rfc3339(due), "2025-12-02T12:00:00.000Z");
    }

    #[test]
    fn send_windows_follow_their_zone() {
        let w = SendWindow::parse("08:00-18:00 Europe/Berlin").unwrap();
        // 2025-11-29 06:30 UTC = 07:30 in Berlin: outside; 07:30 UTC = 08:30: inside.
        assert!(!w.contains(1_764_397_800_000));
        assert!(w.contains(1_764_401_400_000));
        assert!(SendWindow::parse("18:00-08:00 UTC").is_err());
        assert!(SendWindow::parse("8am to 6pm").is_err());
        assert!(
            SendWindow::parse("08:00-18:00 Mars/Olympus")
                .unwrap_err()
                .contains("unknown time zone")
        );
    }
}
