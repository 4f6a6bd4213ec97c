//! The `--since` / `--until` time window. Bounds are instants: absolute (`2024-03-05`,
//! `2024-03-05 09:00`, `2024-03-05T09:00:00+01:00`, `...Z`) or relative to now (`90m`, `24h`,
//! `7d`, `2w`). A log line that carries a UTC offset (Jira 7+) is placed on the time line
//! exactly; a line without one (Confluence, Bitbucket, Bamboo, Crowd, Tomcat) is in the
//! server's local time, taken from the input when it records it (`-Duser.timezone` in a
//! support zip), else from `--timezone` (default: this machine's zone).

use super::timestamp::LogTime;
use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

/// Which events a scan keeps, by time. Events without a timestamp are always kept.
#[derive(Debug, Clone)]
pub struct TimeWindow {
    /// Keep events at or after this instant...
    pub since: Option<Timestamp>,
    /// ...and strictly before this one.
    pub until: Option<Timestamp>,
    /// Zone of log lines without a UTC offset, when the input does not say.
    pub zone: TimeZone,
}

impl Default for TimeWindow {
    fn default() -> Self {
        TimeWindow {
            since: None,
            until: None,
            zone: TimeZone::UTC,
        }
    }
}

impl TimeWindow {
    /// Is there a bound at all?
    pub fn is_bounded(&self) -> bool {
        self.since.is_some() || self.until.is_some()
    }

    /// The instant of a log time: its own offset, else the input's zone, else the window's.
    pub fn instant(&self, t: &LogTime, input_zone: Option<&TimeZone>) -> Option<Timestamp> {
        match t.offset {
            Some(off) => off.to_timestamp(t.civil).ok(),
            None => input_zone
                .unwrap_or(&self.zone)
                .to_ambiguous_timestamp(t.civil)
                .compatible()
                .ok(),
        }
    }

    /// Does the window keep an event at `t`?
    pub fn keeps(&self, t: &LogTime, input_zone: Option<&TimeZone>) -> bool {
        if !self.is_bounded() {
            return true;
        }
        let Some(at) = self.instant(t, input_zone) else {
            return true;
        };
        self.since.is_none_or(|s| at >= s) && self.until.is_none_or(|u| at < u)
    }
}

/// Parses one bound as users type it; civil times are in `zone`.
pub fn parse_bound(s: &str, now: Timestamp, zone: &TimeZone) -> Result<Timestamp, String> {
    let s = s.trim();
    if let Some(d) = parse_relative(s) {
        return now
            .checked_sub(d)
            .map_err(|e| format!("`{s}` reaches too far back: {e}"));
    }
    if let Ok(ts) = s.parse::<Timestamp>() {
        return Ok(ts);
    }
    let civil = s
        .parse::<DateTime>()
        .or_else(|_| s.parse::<jiff::civil::Date>().map(|d| d.to_datetime(jiff::civil::Time::midnight())))
        .map_err(|_| {
            format!(
                "cannot read time `{s}`: use 24h, 90m, 7d, 2w, 2024-03-05, 2024-03-05 09:00 or 2024-03-05T09:00:00+01:00"
            )
        })?;
    zone.to_ambiguous_timestamp(civil)
        .compatible()
        .map_err(|e| format!("time `{s}` does not exist in the time zone: {e}"))
}

/// `90s`, `90m`, `24h`, `7d`, `2w` as a duration.
fn parse_relative(s: &str) -> Option<SignedDuration> {
    let unit = s.chars().last()?;
    let n: i64 = s[..s.len() - unit.len_utf8()].parse().ok()?;
    if n < 0 {
        return None;
    }
    let secs = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        'w' => 604_800,
        _ => return None,
    };
    Some(SignedDuration::from_secs(n.checked_mul(secs)?))
}

/// The zone named by `--timezone`, or this machine's zone.
pub fn zone_named(name: Option<&str>) -> Result<TimeZone, String> {
    match name {
        Some(n) => TimeZone::get(n).map_err(|e| format!("unknown time zone `{n}`: {e}")),
        None => Ok(
            local_zone_file().unwrap_or_else(|| TimeZone::try_system().unwrap_or(TimeZone::UTC))
        ),
    }
}

/// This machine's zone in the usual case: no `TZ`, and `/etc/localtime` a link into a
/// zoneinfo folder. The zone is then the file the link points to, under the name after
/// `zoneinfo/`, which is what `TimeZone::try_system` finds as well; but that first lists
/// the whole zoneinfo database (some twenty folders, half a millisecond before any scan
/// can start). `None` otherwise, and jiff decides.
#[cfg(unix)]
fn local_zone_file() -> Option<TimeZone> {
    const LOCALTIME: &str = "/etc/localtime";
    if std::env::var_os("TZ").is_some() {
        return None;
    }
    let target = std::fs::read_link(LOCALTIME).ok()?;
    let target = target.to_str()?;
    let name = &target[target.rfind("zoneinfo/")? + "zoneinfo/".len()..];
    if name.eq_ignore_ascii_case("UTC") {
        // jiff's own `UTC`, as a lookup of the name gives.
        return Some(TimeZone::UTC);
    }
    TimeZone::tzif(name, &std::fs::read(LOCALTIME).ok()?).ok()
}

#[cfg(not(unix))]
fn local_zone_file() -> Option<TimeZone> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::timestamp::parse_line_start;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn the_local_zone_file_is_the_zone_jiff_finds() {
        let Some(local) = local_zone_file() else {
            return;
        };
        let system = TimeZone::try_system().expect("a system zone");
        assert_eq!(local.iana_name(), system.iana_name());
        for t in [
            "1999-07-01T12:00:00Z",
            "2024-01-15T03:00:00Z",
            "2031-10-27T01:30:00Z",
        ] {
            assert_eq!(local.to_offset(ts(t)), system.to_offset(ts(t)), "{t}");
        }
    }

    #[test]
    fn relative_and_absolute_bounds() {
        let now = ts("2024-03-05T12:00:00Z");
        let utc = TimeZone::UTC;
        assert_eq!(
            parse_bound("24h", now, &utc).unwrap(),
            ts("2024-03-04T12:00:00Z")
        );
        assert_eq!(
            parse_bound("90m", now, &utc).unwrap(),
            ts("2024-03-05T10:30:00Z")
        );
        assert_eq!(
            parse_bound("7d", now, &utc).unwrap(),
            ts("2024-02-27T12:00:00Z")
        );
        let berlin = TimeZone::get("Europe/Berlin").unwrap();
        assert_eq!(
            parse_bound("2024-03-05 09:00", now, &berlin).unwrap(),
            ts("2024-03-05T08:00:00Z")
        );
        assert_eq!(
            parse_bound("2024-03-05", now, &utc).unwrap(),
            ts("2024-03-05T00:00:00Z")
        );
        assert_eq!(
            parse_bound("2024-03-05T09:00:00+01:00", now, &utc).unwrap(),
            ts("2024-03-05T08:00:00Z")
        );
        assert!(parse_bound("yesterday", now, &utc).is_err());
        assert!(parse_bound("-5h", now, &utc).is_err());
    }

    #[test]
    fn lines_with_and_without_offsets() {
        let w = TimeWindow {
            since: Some(ts("2024-03-05T08:00:00Z")),
            until: None,
            zone: TimeZone::get("Europe/Berlin").unwrap(),
        };
        // Jira with offset: 07:30 UTC, before the bound.
        let jira = parse_line_start(b"2024-03-05 09:30:00,000+0200 x").unwrap();
        assert!(!w.keeps(&jira, None));
        // Confluence in Berlin local time: 08:30 UTC, kept.
        let conf = parse_line_start(b"2024-03-05 09:30:00,000 ERROR").unwrap();
        assert!(w.keeps(&conf, None));
        // The same line from a server recorded as UTC: 09:30 UTC, kept; from New York, kept.
        let ny = TimeZone::get("America/New_York").unwrap();
        assert!(w.keeps(&conf, Some(&ny)));
        let tokyo = TimeZone::get("Asia/Tokyo").unwrap();
        assert!(!w.keeps(&conf, Some(&tokyo)));
    }
}
