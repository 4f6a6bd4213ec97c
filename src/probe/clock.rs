//! Step 6: the remote server's clock, from the `Date` header of its answer, against this
//! host's clock, corrected for the round trip (the header is stamped about half-way). OAuth
//! accepts timestamps within five minutes: from 5 minutes on the link fails
//! (`timestamp_refused`), from 1 minute it is drifting.

use serde::Serialize;
use std::time::{SystemTime, UNIX_EPOCH};

/// From this difference on, OAuth requests are refused.
pub const ERROR_SECONDS: f64 = 300.0;
/// From this difference on, a warning: the clocks are drifting.
pub const WARNING_SECONDS: f64 = 60.0;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClockReading {
    /// The `Date` header as sent.
    pub remote_date: String,
    /// This host's clock half-way through the exchange (RFC 3339, UTC).
    pub local_time: String,
    /// Remote minus local, in seconds: positive when the remote clock is ahead.
    pub skew_seconds: f64,
    /// How far the estimate may be off: half the round trip plus the header's one-second
    /// resolution.
    pub uncertainty_seconds: f64,
}

/// Parses an HTTP date (`Sun, 06 Nov 1994 08:49:37 GMT`, RFC 9110 IMF-fixdate; the weekday is
/// not checked) to seconds since the epoch. Pure.
pub fn parse_http_date(s: &str) -> Option<i64> {
    let mut parts = s.split_whitespace();
    let first = parts.next()?;
    let day_text = if first.ends_with(',') {
        parts.next()?
    } else {
        first
    };
    let day: u32 = day_text.parse().ok()?;
    let month = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ]
    .iter()
    .position(|m| {
        parts
            .clone()
            .next()
            .is_some_and(|t| t.eq_ignore_ascii_case(m))
    })? as u32
        + 1;
    parts.next();
    let year: i64 = parts.next()?.parse().ok()?;
    let mut hms = parts.next()?.split(':').map(|x| x.parse::<u32>().ok());
    let (h, mi, sec) = (hms.next()??, hms.next()??, hms.next()??);
    let zone = parts.next()?;
    if !(zone.eq_ignore_ascii_case("GMT") || zone.eq_ignore_ascii_case("UTC"))
        || parts.next().is_some()
    {
        return None;
    }
    if !(1..=31).contains(&day) || h > 23 || mi > 59 || sec > 60 || !(1970..=9999).contains(&year) {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400 + i64::from(h * 3600 + mi * 60 + sec))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// RFC 3339 in UTC for seconds since the epoch.
pub fn rfc3339(epoch: f64) -> String {
    jiff::Timestamp::from_second(epoch.floor() as i64)
        .map(|t| t.to_string())
        .unwrap_or_else(|_| format!("{epoch:.0} s since 1970"))
}

fn epoch_f64(t: SystemTime) -> f64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs_f64(),
        Err(e) => -e.duration().as_secs_f64(),
    }
}

/// The reading for an answer whose `Date` is `date`, sent at `sent_at` and whose head
/// arrived after `round_trip`.
pub fn read(
    date: &str,
    sent_at: SystemTime,
    round_trip: std::time::Duration,
) -> Option<ClockReading> {
    let remote = parse_http_date(date)? as f64 + 0.5;
    let half = round_trip.as_secs_f64() / 2.0;
    let local = epoch_f64(sent_at) + half;
    let skew = ((remote - local) * 10.0).round() / 10.0;
    Some(ClockReading {
        remote_date: date.chars().take(64).collect(),
        local_time: rfc3339(local),
        skew_seconds: skew,
        uncertainty_seconds: ((half + 0.5) * 10.0).round() / 10.0,
    })
}

/// `7m 01s ahead` / `12s behind`.
pub fn describe_skew(skew: f64) -> String {
    let s = skew.abs().round() as u64;
    let amount = if s >= 60 {
        format!("{}m {:02}s", s / 60, s % 60)
    } else {
        format!("{s}s")
    };
    format!("{amount} {}", if skew >= 0.0 { "ahead" } else { "behind" })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn http_dates() {
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784_111_777)
        );
        assert_eq!(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(
            parse_http_date("Tue, 29 Feb 2028 23:59:59 GMT"),
            Some(1_835_481_599)
        );
        for bad in [
            "",
            "Sun, 06 Nov 1994 08:49:37 CET",
            "Sun, 32 Nov 1994 08:49:37 GMT",
            "Sun, 06 Foo 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 25:00:00 GMT",
            "06 Nov",
        ] {
            assert_eq!(parse_http_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn skew_is_corrected_for_the_round_trip() {
        let sent = UNIX_EPOCH + Duration::from_secs(784_111_777 - 600);
        let r = read(
            "Sun, 06 Nov 1994 08:49:37 GMT",
            sent,
            Duration::from_secs(2),
        )
        .unwrap();
        assert_eq!(r.skew_seconds, 599.5);
        assert_eq!(r.uncertainty_seconds, 1.5);
        assert_eq!(describe_skew(r.skew_seconds), "10m 00s ahead");
        assert_eq!(describe_skew(-12.2), "12s behind");
        assert_eq!(rfc3339(0.0), "1970-01-01T00:00:00Z");
    }
}
