//! The 1-3-5 countdowns of my tasks in words: how long is left before a deadline, or how long
//! it has been overdue (时限倒计时).

use chrono::DateTime;

/// Milliseconds since the epoch of an RFC 3339 time (`None` if it does not parse).
pub fn unix_ms(text: &str) -> Option<f64> {
    DateTime::parse_from_rfc3339(text).ok().map(|t| t.timestamp_millis() as f64)
}

/// `剩余 2天3小时`, `剩余 5小时10分`, `剩余 12分钟`, or `已超期 1天2小时` — from `now_ms` to the
/// deadline at `deadline_ms`.
pub fn countdown(deadline_ms: f64, now_ms: f64) -> String {
    let left = deadline_ms - now_ms;
    let span = span(left.abs());
    if left >= 0.0 {
        format!("剩余 {span}")
    } else {
        format!("已超期 {span}")
    }
}

/// A span in days and hours, hours and minutes, or minutes.
fn span(ms: f64) -> String {
    let minutes = (ms / 60_000.0).floor() as i64;
    let (days, hours, mins) = (minutes / 1440, minutes % 1440 / 60, minutes % 60);
    if days > 0 {
        format!("{days}天{hours}小时")
    } else if hours > 0 {
        format!("{hours}小时{mins}分")
    } else {
        format!("{mins}分钟")
    }
}

/// Whether a deadline is near (under 4 hours left) or past: the task is shown in red.
pub fn urgent(deadline_ms: f64, now_ms: f64) -> bool {
    deadline_ms - now_ms < 4.0 * 3_600_000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: f64 = 3_600_000.0;

    #[test]
    fn time_left_and_overdue_read_in_chinese() {
        let now = 1_000.0 * HOUR;
        assert_eq!(countdown(now + 51.0 * HOUR, now), "剩余 2天3小时");
        assert_eq!(countdown(now + 5.0 * HOUR + 10.0 * 60_000.0, now), "剩余 5小时10分");
        assert_eq!(countdown(now + 12.5 * 60_000.0, now), "剩余 12分钟");
        assert_eq!(countdown(now - 26.0 * HOUR, now), "已超期 1天2小时");
        assert!(urgent(now + HOUR, now) && urgent(now - HOUR, now) && !urgent(now + 5.0 * HOUR, now));
    }

    #[test]
    fn deadlines_parse_from_the_event_view() {
        assert_eq!(unix_ms("1970-01-01T00:00:01.000Z"), Some(1000.0));
        assert_eq!(unix_ms("2025-03-03T24:00"), None);
    }
}
