//! What the report's timeline is drawn from, kept in bounded memory and merged in any order
//! to the same result: per lane (a cause on one node, or on one product when the node is
//! unknown) the exact first and last time, the number of events and their counts in time
//! buckets ([`Buckets`]); and per node the lifecycle markers (restarts and upgrades: events
//! of rules with `marker:` in the catalog, never findings), of which the first and the last
//! [`MAX_MARKERS`] are kept ([`MarkerSet`]).
//!
//! Buckets are aligned on the Unix epoch and [`BASE_BUCKET_SECONDS`] wide; when a lane has
//! more than [`MAX_BUCKETS`] of them, their width doubles until it has no more. Widths are
//! the base times a power of two, so buckets nest: the width of a lane is the smallest such
//! width at which its events fit in the cap, whichever order they (or the parts of a scan)
//! come in, and every count is exact for its bucket.

use super::bounded::{BoundedMap, entries};
use crate::model::{LogTime, Product};
use crate::rules::schema::MarkerKind;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::collections::BTreeMap;

/// The narrowest bucket: one hour.
pub const BASE_BUCKET_SECONDS: i64 = 3600;
/// The most buckets a lane keeps (the width doubles beyond).
pub const MAX_BUCKETS: usize = 96;
/// Markers kept per node at each end (the first and the last this many).
pub const MAX_MARKERS: usize = 16;
/// Longest extracted value a marker keeps (a version).
const MAX_FIELD_CHARS: usize = 64;

/// Event counts in epoch-aligned time buckets, at most [`MAX_BUCKETS`] of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Buckets {
    /// Seconds: [`BASE_BUCKET_SECONDS`] times a power of two.
    width: i64,
    /// Start of the bucket (epoch seconds, a multiple of `width`) → events.
    #[serde(with = "entries")]
    counts: BTreeMap<i64, u64>,
}

impl Default for Buckets {
    fn default() -> Self {
        Buckets {
            width: BASE_BUCKET_SECONDS,
            counts: BTreeMap::new(),
        }
    }
}

impl Buckets {
    /// Counts `n` events at `secs` (epoch seconds).
    pub fn add(&mut self, secs: i64, n: u64) {
        *self
            .counts
            .entry(secs.div_euclid(self.width) * self.width)
            .or_default() += n;
        self.fit();
    }

    /// Re-buckets at `width` (not narrower than now).
    fn coarsen_to(&mut self, width: i64) {
        if width <= self.width {
            return;
        }
        let old = std::mem::take(&mut self.counts);
        for (start, n) in old {
            *self
                .counts
                .entry(start.div_euclid(width) * width)
                .or_default() += n;
        }
        self.width = width;
    }

    /// Doubles the width until the buckets fit in the cap.
    fn fit(&mut self) {
        while self.counts.len() > MAX_BUCKETS {
            let wider = self.width.saturating_mul(2);
            if wider == self.width {
                break;
            }
            self.coarsen_to(wider);
        }
    }

    /// Adds `other` into `self`: both at the wider width, then as wide as the cap needs.
    pub fn merge(&mut self, mut other: Buckets) {
        let width = self.width.max(other.width);
        self.coarsen_to(width);
        other.coarsen_to(width);
        for (start, n) in other.counts {
            *self.counts.entry(start).or_default() += n;
        }
        self.fit();
    }

    /// Width of a bucket, in seconds.
    pub fn width(&self) -> i64 {
        self.width
    }

    /// (start in epoch seconds, events), in time order.
    pub fn iter(&self) -> impl Iterator<Item = (i64, u64)> + '_ {
        self.counts.iter().map(|(&s, &n)| (s, n))
    }

    /// Is this what a scan could have made (as a deserialised one must be)?
    pub fn is_valid(&self) -> bool {
        let steps = self.width / BASE_BUCKET_SECONDS;
        self.width >= BASE_BUCKET_SECONDS
            && self.width % BASE_BUCKET_SECONDS == 0
            && (steps as u64).is_power_of_two()
            && self.counts.len() <= MAX_BUCKETS
            && self.counts.keys().all(|s| s.rem_euclid(self.width) == 0)
    }
}

/// What the events of one cause on one lane show.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LaneTally {
    /// Events with a time (the others cannot be placed).
    pub events: u64,
    pub first: Option<LogTime>,
    pub last: Option<LogTime>,
    pub buckets: Buckets,
}

impl LaneTally {
    pub fn merge(&mut self, other: LaneTally) {
        self.events += other.events;
        self.first = super::aggregate::earliest(self.first, other.first);
        self.last = super::aggregate::latest(self.last, other.last);
        self.buckets.merge(other.buckets);
    }
}

/// Milliseconds since the epoch of a time that has its offset (times without one are read
/// as UTC, as the report shows them).
pub fn epoch_millis(t: &LogTime) -> i64 {
    let off = t.offset.unwrap_or(jiff::tz::Offset::UTC);
    off.to_timestamp(t.civil)
        .map(|ts| ts.as_millisecond())
        .unwrap_or(0)
}

/// One lifecycle event, ordered by time, then where it was logged.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct MarkerRecord {
    pub at_ms: i64,
    /// The input it was logged in (empty until the input is added to the report).
    pub path: String,
    pub line: u64,
    pub rule: String,
    pub kind: MarkerKind,
    pub time: LogTime,
    /// Values the rule extracted (a version), capped.
    pub fields: BTreeMap<String, String>,
}

impl MarkerRecord {
    pub fn new(
        time: LogTime,
        line: u64,
        rule: &str,
        kind: MarkerKind,
        fields: &BTreeMap<String, String>,
    ) -> Self {
        MarkerRecord {
            at_ms: epoch_millis(&time),
            path: String::new(),
            line,
            rule: rule.to_string(),
            kind,
            time,
            fields: fields
                .iter()
                .map(|(k, v)| (k.clone(), v.chars().take(MAX_FIELD_CHARS).collect()))
                .collect(),
        }
    }
}

/// A record ordered latest first, so that a [`BoundedMap`] (which keeps its smallest keys)
/// keeps the last markers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Later(pub MarkerRecord);

impl Ord for Later {
    fn cmp(&self, other: &Self) -> Ordering {
        other.0.cmp(&self.0)
    }
}

impl PartialOrd for Later {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The markers of one node: the first and the last [`MAX_MARKERS`], and how many there were.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MarkerSet {
    first: BoundedMap<MarkerRecord, ()>,
    last: BoundedMap<Later, ()>,
    total: u64,
}

impl Default for MarkerSet {
    fn default() -> Self {
        MarkerSet {
            first: BoundedMap::new(MAX_MARKERS),
            last: BoundedMap::new(MAX_MARKERS),
            total: 0,
        }
    }
}

impl MarkerSet {
    pub fn add(&mut self, m: MarkerRecord) {
        self.total += 1;
        self.last.entry(Later(m.clone()));
        self.first.entry(m);
    }

    pub fn merge(&mut self, other: MarkerSet) {
        self.total += other.total;
        self.first.merge(other.first, |_, _| {});
        self.last.merge(other.last, |_, _| {});
    }

    /// The same markers changed by `f`, which must keep their order (it sets the path, or
    /// shifts every line of a later part of an input by the same amount).
    pub fn map(self, f: impl Fn(MarkerRecord) -> MarkerRecord) -> MarkerSet {
        let mut out = MarkerSet {
            total: self.total,
            ..MarkerSet::default()
        };
        for m in self.first.into_map().into_keys() {
            out.first.entry(f(m));
        }
        for Later(m) in self.last.into_map().into_keys() {
            out.last.entry(Later(f(m)));
        }
        out
    }

    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// Does this hold what a scan keeps (as a deserialised one must): the caps of a scan,
    /// and every marker of a rule `known`?
    pub fn is_valid(&self, known: impl Fn(&str) -> bool) -> bool {
        self.first.cap() == MAX_MARKERS
            && self.last.cap() == MAX_MARKERS
            && self.first.is_within_cap()
            && self.last.is_within_cap()
            && self.first.map().keys().all(|m| known(&m.rule))
            && self.last.map().keys().all(|m| known(&m.0.rule))
    }

    /// The kept markers in time order, and how many were left out.
    pub fn into_sorted(self) -> (Vec<MarkerRecord>, u64) {
        let mut all: Vec<MarkerRecord> = self.first.into_map().into_keys().collect();
        all.extend(self.last.into_map().into_keys().map(|Later(m)| m));
        all.sort();
        all.dedup();
        let left_out = self.total.saturating_sub(all.len() as u64);
        (all, left_out)
    }
}

/// A lane of the timeline: one cause on one node (or product when the node is unknown).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimelineLane {
    /// The node, when the inputs name one.
    pub node: Option<String>,
    pub product: Option<Product>,
    pub rule: String,
    /// Events with a time on this lane.
    pub events: usize,
    pub first: LogTime,
    pub last: LogTime,
    /// Width of a bucket: one hour, doubled as often as needed to keep at most
    /// [`MAX_BUCKETS`] buckets.
    pub bucket_seconds: i64,
    /// Buckets that hold events, in time order.
    pub buckets: Vec<Bucket>,
}

/// One time bucket of a lane.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bucket {
    /// Start of the bucket (UTC).
    pub start: LogTime,
    pub events: usize,
}

/// A restart or upgrade of a node, from a lifecycle marker rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Marker {
    pub node: Option<String>,
    pub product: Option<Product>,
    pub kind: MarkerKind,
    pub time: LogTime,
    /// The marker rule that matched.
    pub rule: String,
    /// The marker rule's title.
    pub title: String,
    pub path: String,
    pub line: u64,
    /// Values the rule extracted (`version`), and `previous_version` when this start runs
    /// another version than the node's start before it (the start is then an upgrade).
    pub fields: BTreeMap<String, String>,
}

/// The lane of `node`/`product` for a rule, from its tally; `None` without a timed event.
pub fn lane(
    (node, product, rule): (Option<String>, Option<Product>, String),
    t: LaneTally,
) -> Option<TimelineLane> {
    let (first, last) = (t.first?, t.last?);
    let to_usize = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
    let buckets = t
        .buckets
        .iter()
        .filter_map(|(start, n)| {
            let ts = jiff::Timestamp::from_second(start).ok()?;
            Some(Bucket {
                start: LogTime {
                    civil: jiff::tz::Offset::UTC.to_datetime(ts),
                    offset: Some(jiff::tz::Offset::UTC),
                },
                events: to_usize(n),
            })
        })
        .collect();
    Some(TimelineLane {
        node,
        product,
        rule,
        events: to_usize(t.events),
        first,
        last,
        bucket_seconds: t.buckets.width(),
        buckets,
    })
}

/// The markers of one node in time order, a start whose version differs from the node's
/// start before it turned into an upgrade (with `previous_version`).
pub fn node_markers(
    node: Option<String>,
    product: Option<Product>,
    records: Vec<MarkerRecord>,
    title: impl Fn(&str) -> String,
) -> Vec<Marker> {
    let mut version: Option<String> = None;
    records
        .into_iter()
        .map(|r| {
            let mut kind = r.kind;
            let mut fields = r.fields;
            if r.kind == MarkerKind::Restart
                && let Some(v) = fields.get("version").cloned()
            {
                if let Some(prev) = version.replace(v.clone())
                    && prev != v
                {
                    kind = MarkerKind::Upgrade;
                    fields.insert("previous_version".to_string(), prev);
                }
            } else if r.kind == MarkerKind::Upgrade
                && let Some(v) = fields.get("version")
            {
                version = Some(v.clone());
            }
            Marker {
                node: node.clone(),
                product,
                kind,
                time: r.time,
                title: title(&r.rule),
                rule: r.rule,
                path: r.path,
                line: r.line,
                fields,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spread(secs: &[i64]) -> Buckets {
        let mut b = Buckets::default();
        for &s in secs {
            b.add(s, 1);
        }
        b
    }

    #[test]
    fn buckets_are_hours_and_exact() {
        let b = spread(&[0, 10, 3599, 3600, -1]);
        assert_eq!(b.width(), 3600);
        assert_eq!(
            b.iter().collect::<Vec<_>>(),
            [(-3600, 1), (0, 3), (3600, 1)]
        );
        assert!(b.is_valid());
    }

    #[test]
    fn many_buckets_coarsen_to_the_cap() {
        // 1000 hours: 1000 distinct hourly buckets → 16 h wide (63 buckets).
        let secs: Vec<i64> = (0..1000).map(|h| h * 3600 + 5).collect();
        let b = spread(&secs);
        assert!(b.iter().count() <= MAX_BUCKETS);
        assert_eq!(b.width(), 16 * 3600);
        assert_eq!(b.iter().map(|(_, n)| n).sum::<u64>(), 1000);
        assert!(b.is_valid());
    }

    #[test]
    fn buckets_merge_to_the_same_whatever_the_order_or_split() {
        let secs: Vec<i64> = (0..700)
            .map(|i| (i * 7919) % 400_000 * 10 - 50_000)
            .collect();
        let whole = spread(&secs);
        for parts in [2usize, 3, 7] {
            let mut shards: Vec<Buckets> = (0..parts).map(|_| Buckets::default()).collect();
            for (i, &s) in secs.iter().enumerate() {
                shards[(i * 31 + i / 5) % parts].add(s, 1);
            }
            let mut forward = Buckets::default();
            for s in shards.iter().cloned() {
                forward.merge(s);
            }
            let mut backward = Buckets::default();
            for s in shards.into_iter().rev() {
                backward.merge(s);
            }
            assert_eq!(forward, whole, "{parts} parts");
            assert_eq!(backward, whole, "{parts} parts, reversed");
        }
    }

    fn record(at: &str, line: u64) -> MarkerRecord {
        MarkerRecord::new(
            LogTime::parse(at).unwrap(),
            line,
            "lifecycle-tomcat-started",
            MarkerKind::Restart,
            &BTreeMap::new(),
        )
    }

    #[test]
    fn markers_keep_the_first_and_last_whatever_the_order() {
        let records: Vec<MarkerRecord> = (0..100)
            .map(|i| {
                record(
                    &format!("2024-03-05T{:02}:{:02}:00+00:00", i / 60, i % 60),
                    i,
                )
            })
            .collect();
        let mut forward = MarkerSet::default();
        for r in records.iter().cloned() {
            forward.add(r);
        }
        let (mut a, mut b) = (MarkerSet::default(), MarkerSet::default());
        for (i, r) in records.iter().cloned().enumerate().rev() {
            if i % 3 == 0 { &mut a } else { &mut b }.add(r);
        }
        b.merge(a);
        assert_eq!(forward.clone().into_sorted(), b.into_sorted());
        let (kept, left_out) = forward.into_sorted();
        assert_eq!(kept.len(), 2 * MAX_MARKERS);
        assert_eq!(left_out, 100 - 2 * MAX_MARKERS as u64);
        assert_eq!(kept[0].line, 0);
        assert_eq!(kept.last().unwrap().line, 99);
    }

    #[test]
    fn a_new_version_at_start_is_an_upgrade() {
        let start = |at: &str, v: &str| {
            let mut r = record(at, 1);
            r.fields.insert("version".into(), v.into());
            r
        };
        let m = node_markers(
            Some("n1".into()),
            Some(Product::Confluence),
            vec![
                start("2024-03-05T01:00:00+00:00", "8.5.4"),
                start("2024-03-05T02:00:00+00:00", "8.5.4"),
                start("2024-03-05T03:00:00+00:00", "8.5.6"),
            ],
            |r| r.to_uppercase(),
        );
        let kinds: Vec<MarkerKind> = m.iter().map(|m| m.kind).collect();
        assert_eq!(
            kinds,
            [
                MarkerKind::Restart,
                MarkerKind::Restart,
                MarkerKind::Upgrade
            ]
        );
        assert_eq!(m[2].fields["previous_version"], "8.5.4");
        assert_eq!(m[0].title, "LIFECYCLE-TOMCAT-STARTED");
    }
}
