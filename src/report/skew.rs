//! Clock difference estimated from `oauth_problem=timestamp_refused` events. The provider
//! answers with `oauth_acceptable_timestamps=min-max`, a window centred on its own clock
//! (epoch seconds, UTC). Against the request's `oauth_timestamp`, when the log shows it, that
//! gives the skew between the two servers; otherwise it is compared with the log line's own
//! time, which includes the writing server's UTC offset when the line does not state it.
//!
//! The per-event differences are kept as counts per distinct value (bounded), so a finding's
//! estimate costs the same memory for ten events or ten million, and estimates from parts of
//! the input merge exactly.

use super::Observation;
use super::bounded::{BoundedCounts, BoundedMap, count, merge_counts};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Distinct clock differences remembered per basis.
const MAX_DISTINCT_SKEWS: usize = 4096;

/// How an estimate was obtained, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SkewBasis {
    /// Request's `oauth_timestamp` against the provider's window: the real clock difference.
    RequestTimestamp,
    /// Log line with an explicit UTC offset against the provider's window.
    LogTimeWithOffset,
    /// Log line in unknown local time, read as UTC: includes the server's UTC offset.
    LogTimeLocal,
}

/// A clock-difference estimate over the events of one finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SkewEstimate {
    /// Median of the per-event differences, in seconds: positive means the clock that wrote
    /// the request or the log line is ahead of the provider's.
    pub seconds: i64,
    pub basis: SkewBasis,
    pub samples: usize,
}

/// Per-event difference and its basis.
fn event_skew(e: &Observation) -> Option<(i64, SkewBasis)> {
    let window = e.fields.get("oauth_acceptable_timestamps")?;
    let (lo, hi) = window.split_once('-')?;
    let (lo, hi): (i64, i64) = (lo.parse().ok()?, hi.parse().ok()?);
    let provider = (lo + hi) / 2;
    if let Some(ts) = e
        .fields
        .get("oauth_timestamp")
        .and_then(|t| t.parse::<i64>().ok())
    {
        return Some((ts - provider, SkewBasis::RequestTimestamp));
    }
    let t = e.time?;
    match t.epoch_seconds(None) {
        // The provider's own line (the end that refused the request, per the rule's `side`
        // metadata): the window is centred on the very clock that wrote it.
        Some(_) if e.side == crate::model::Side::Provider => None,
        Some(s) => Some((s - provider, SkewBasis::LogTimeWithOffset)),
        None => t
            .epoch_seconds(Some(jiff::tz::Offset::UTC))
            .map(|s| (s - provider, SkewBasis::LogTimeLocal)),
    }
}

/// The clock differences seen in a finding's events, per basis (serialised whole in a
/// partial report, so that estimates merge exactly across shards).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkewObservations {
    #[serde(with = "super::bounded::entries")]
    by_basis: BTreeMap<SkewBasis, BoundedCounts<i64>>,
}

impl SkewObservations {
    /// Records the difference an event shows, if it shows one.
    pub fn observe(&mut self, e: &Observation) {
        if let Some((seconds, basis)) = event_skew(e) {
            let counts = self
                .by_basis
                .entry(basis)
                .or_insert_with(|| BoundedMap::new(MAX_DISTINCT_SKEWS));
            count(counts, seconds, 1);
        }
    }

    pub fn merge(&mut self, other: SkewObservations) {
        for (basis, counts) in other.by_basis {
            match self.by_basis.get_mut(&basis) {
                Some(mine) => merge_counts(mine, counts),
                None => {
                    self.by_basis.insert(basis, counts);
                }
            }
        }
    }

    /// The estimate from the best basis seen: the median of its differences.
    pub fn estimate(&self) -> Option<SkewEstimate> {
        let (basis, counts) = self.by_basis.iter().find(|(_, c)| !c.is_empty())?;
        let samples: u64 = counts.map().values().sum();
        let middle = samples / 2;
        let mut seen = 0;
        let seconds = counts.map().iter().find_map(|(s, n)| {
            seen += n;
            (seen > middle).then_some(*s)
        })?;
        Some(SkewEstimate {
            seconds,
            basis: *basis,
            samples: usize::try_from(samples).unwrap_or(usize::MAX),
        })
    }
}

/// `5025` -> `1h 23m 45s`, with a sign for negative values.
pub fn human_duration(seconds: i64) -> String {
    let sign = if seconds < 0 { "-" } else { "" };
    let s = seconds.unsigned_abs();
    let (h, m, sec) = (s / 3600, (s % 3600) / 60, s % 60);
    match (h, m) {
        (0, 0) => format!("{sign}{sec}s"),
        (0, _) => format!("{sign}{m}m {sec:02}s"),
        _ => format!("{sign}{h}h {m:02}m {sec:02}s"),
    }
}

/// One sentence a reader can act on.
pub fn describe(est: &SkewEstimate) -> String {
    let d = human_duration(est.seconds.abs());
    let dir = if est.seconds >= 0 {
        "ahead of"
    } else {
        "behind"
    };
    let tz_like = est.seconds.abs() >= 1800
        && (est.seconds.abs() % 1800 < 300 || est.seconds.abs() % 1800 > 1500);
    let mut s = match est.basis {
        SkewBasis::RequestTimestamp => format!(
            "the requesting server's clock is {d} {dir} the provider's (from the request's oauth_timestamp, median of {} events); OAuth accepts at most 5 minutes",
            est.samples
        ),
        SkewBasis::LogTimeWithOffset => format!(
            "the clock that wrote this log is {d} {dir} the provider's (log time with UTC offset against oauth_acceptable_timestamps, median of {} events); OAuth accepts at most 5 minutes",
            est.samples
        ),
        SkewBasis::LogTimeLocal => format!(
            "this log's local time is {d} {dir} the provider's UTC clock (median of {} events); the log states no UTC offset, so this includes the server's time zone",
            est.samples
        ),
    };
    if tz_like {
        s.push_str("; a difference close to a whole number of half hours points to a wrong time zone rather than a drifting clock");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::timestamp::parse_line_start;

    fn estimate<'a>(events: impl Iterator<Item = &'a Observation>) -> Option<SkewEstimate> {
        let mut obs = SkewObservations::default();
        events.for_each(|e| obs.observe(e));
        obs.estimate()
    }

    fn ev(fields: &[(&str, &str)], line: &str) -> Observation {
        Observation {
            line: 1,
            time: parse_line_start(line.as_bytes()),
            rule: 0,
            also: vec![],
            fields: fields
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<BTreeMap<_, _>>(),
            side: crate::model::Side::Consumer,
            evidence: String::new(),
            text: None,
            dated_by_mtime: false,
        }
    }

    #[test]
    fn request_timestamp_is_preferred() {
        let a = ev(
            &[
                ("oauth_acceptable_timestamps", "1000-1600"),
                ("oauth_timestamp", "2300"),
            ],
            "2024-01-01 00:00:00,000+0000 x",
        );
        let est = estimate([a].iter()).unwrap();
        assert_eq!(est.seconds, 1000);
        assert_eq!(est.basis, SkewBasis::RequestTimestamp);
    }

    #[test]
    fn log_time_with_offset() {
        // 2024-01-01T00:00:00Z = 1704067200; provider middle 1704067200 - 600.
        let a = ev(
            &[("oauth_acceptable_timestamps", "1704066300-1704066900")],
            "2024-01-01 00:00:00,000+0000 x",
        );
        let est = estimate([a].iter()).unwrap();
        assert_eq!(
            (est.seconds, est.basis),
            (600, SkewBasis::LogTimeWithOffset)
        );
        assert!(describe(&est).contains("10m 00s ahead of"));
    }

    #[test]
    fn provider_line_with_offset_says_nothing() {
        let mut a = ev(
            &[("oauth_acceptable_timestamps", "1704066900-1704067500")],
            "2024-01-01 00:00:00,000+0000 x",
        );
        a.evidence = "Rejecting OAuth request for url x due to invalid timestamp".into();
        a.side = crate::model::Side::Provider;
        assert!(estimate([a].iter()).is_none());
    }

    #[test]
    fn median_from_counts_matches_the_median_of_values() {
        let window = "1704066900-1704067500";
        let events: Vec<Observation> = [1, 5, 5, 9, 30]
            .iter()
            .map(|ahead| {
                ev(
                    &[
                        ("oauth_acceptable_timestamps", window),
                        ("oauth_timestamp", &(1704067200 + ahead).to_string()),
                    ],
                    "x",
                )
            })
            .collect();
        let est = estimate(events.iter()).unwrap();
        assert_eq!((est.seconds, est.samples), (5, 5));
        // Split in two and merged: the same estimate.
        let (mut a, mut b) = (SkewObservations::default(), SkewObservations::default());
        events[..2].iter().for_each(|e| a.observe(e));
        events[2..].iter().for_each(|e| b.observe(e));
        b.merge(a);
        assert_eq!(b.estimate(), Some(est));
    }

    #[test]
    fn local_time_hints_at_time_zone() {
        let a = ev(
            &[("oauth_acceptable_timestamps", "1704066900-1704067500")],
            "2024-01-01 01:00:00,000 x",
        );
        let est = estimate([a].iter()).unwrap();
        assert_eq!((est.seconds, est.basis), (3600, SkewBasis::LogTimeLocal));
        assert!(describe(&est).contains("time zone"));
        assert_eq!(human_duration(-65), "-1m 05s");
    }
}
