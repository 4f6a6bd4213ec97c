//! The machine contract's header and the partial report. [`ReportMeta`] heads every JSON
//! and NDJSON report: schema and tool versions, the catalog version (a digest of the rule
//! set, [`Catalog::version`]), the time of the scan and the time window. A [`Partial`] is
//! what `scan --out` writes and `merge` reads: the builder's [`Tallies`] and the
//! [`Settings`] every part of one report must share; [`merge`] refuses parts that disagree.

use super::aggregate::Tallies;
use super::{GroupBy, SCHEMA_VERSION, Undated};
use crate::rules::Catalog;
use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

/// The `format` of a partial report file.
pub const PARTIAL_FORMAT: &str = "linkdoctor-partial-report";
/// Raised whenever what a partial report holds changes.
pub const PARTIAL_FORMAT_VERSION: u32 = 3;

/// The header of every JSON and NDJSON report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportMeta {
    pub schema_version: u32,
    pub tool_version: String,
    /// `sha256:` and the digest of every rule's id and definition ([`Catalog::version`]).
    pub catalog_version: String,
    /// When the scan started (RFC 3339 with offset); for a merge, the earliest part's.
    /// `SOURCE_DATE_EPOCH` (seconds) fixes it, for reproducible output.
    pub scanned_at: String,
    /// `--since`, RFC 3339 with offset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    /// `--until`, RFC 3339 with offset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
    /// With a time window: what happened to events without a time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undated: Option<Undated>,
}

/// An instant as RFC 3339 with the offset `zone` has then.
pub fn rfc3339(ts: Timestamp, zone: &TimeZone) -> String {
    let offset = zone.to_offset(ts);
    let civil = offset.to_datetime(ts);
    let secs = offset.seconds();
    let (sign, a) = (if secs < 0 { '-' } else { '+' }, secs.unsigned_abs());
    format!(
        "{}{sign}{:02}:{:02}",
        civil.strftime("%Y-%m-%dT%H:%M:%S"),
        a / 3600,
        (a % 3600) / 60
    )
}

/// Now, or `SOURCE_DATE_EPOCH` when set (reproducible builds' convention), so that tests and
/// CI can compare reports byte for byte.
pub fn scan_time() -> Timestamp {
    std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .and_then(|s| Timestamp::from_second(s).ok())
        .unwrap_or_else(Timestamp::now)
}

impl ReportMeta {
    /// The header of a scan of `catalog` started at `scanned_at`, with its time window.
    pub fn new(
        catalog: &Catalog,
        scanned_at: Timestamp,
        zone: &TimeZone,
        window: (Option<Timestamp>, Option<Timestamp>),
        undated: Undated,
    ) -> Self {
        let bounded = window.0.is_some() || window.1.is_some();
        ReportMeta {
            schema_version: SCHEMA_VERSION,
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            catalog_version: catalog.version().to_string(),
            scanned_at: rfc3339(scanned_at, zone),
            since: window.0.map(|t| rfc3339(t, zone)),
            until: window.1.map(|t| rfc3339(t, zone)),
            undated: bounded.then_some(undated),
        }
    }
}

/// The settings every part of one report must share.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    pub group_by: GroupBy,
    /// Secrets were redacted from what the part keeps.
    pub redacted: bool,
}

/// A partial report: what one shard's scan holds, to be merged.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Partial {
    pub format: String,
    pub format_version: u32,
    pub meta: ReportMeta,
    pub settings: Settings,
    /// `I/N` when the part is a shard.
    #[serde(default)]
    pub shard: Option<String>,
    pub tallies: Tallies,
}

impl Partial {
    pub fn new(meta: ReportMeta, settings: Settings, shard: Option<String>, t: Tallies) -> Self {
        Partial {
            format: PARTIAL_FORMAT.to_string(),
            format_version: PARTIAL_FORMAT_VERSION,
            meta,
            settings,
            shard,
            tallies: t,
        }
    }

    /// Reads a partial report; `name` names it in errors. The format, its version and the
    /// catalog version must be those of this program and `catalog`.
    pub fn from_json(name: &str, text: &str, catalog: &Catalog) -> Result<Partial, String> {
        let head: serde_json::Value =
            serde_json::from_str(text).map_err(|e| format!("{name}: not JSON: {e}"))?;
        if head.get("format").and_then(|f| f.as_str()) != Some(PARTIAL_FORMAT) {
            return Err(format!(
                "{name}: not a partial report (write one with `linkdoctor scan --out FILE`)"
            ));
        }
        let p: Partial = serde_json::from_value(head)
            .map_err(|e| format!("{name}: malformed partial report: {e}"))?;
        if p.format_version != PARTIAL_FORMAT_VERSION {
            return Err(format!(
                "{name}: partial report format version {} (this linkdoctor reads version {PARTIAL_FORMAT_VERSION})",
                p.format_version
            ));
        }
        let mine = catalog.version();
        if p.meta.catalog_version != mine {
            return Err(format!(
                "{name}: scanned with another rule catalog ({}) than the one loaded here ({mine}): pass `merge` the same --rules as the scans, and use the same linkdoctor version",
                p.meta.catalog_version
            ));
        }
        p.tallies
            .check(catalog)
            .map_err(|e| format!("{name}: {e}"))?;
        Ok(p)
    }
}

/// Merges parts into one (associative: merging merged parts gives the same result). Parts
/// whose versions or settings differ are refused, naming the setting.
pub fn merge(parts: Vec<(String, Partial)>) -> Result<Partial, String> {
    let mut iter = parts.into_iter();
    let Some((first_name, mut acc)) = iter.next() else {
        return Err("no partial report to merge".to_string());
    };
    for (name, p) in iter {
        let a = &acc.meta;
        let b = &p.meta;
        let differs = |what: &str, x: String, y: String| {
            Err(format!(
                "cannot merge {name} with {first_name}: they differ in {what} ({y} and {x}); scan every shard with the same linkdoctor, rules and options"
            ))
        };
        if a.schema_version != b.schema_version || a.tool_version != b.tool_version {
            return differs(
                "linkdoctor version",
                format!("{} schema {}", a.tool_version, a.schema_version),
                format!("{} schema {}", b.tool_version, b.schema_version),
            );
        }
        if a.catalog_version != b.catalog_version {
            return differs(
                "rule catalog",
                a.catalog_version.clone(),
                b.catalog_version.clone(),
            );
        }
        if acc.settings.group_by != p.settings.group_by {
            return differs(
                "--group-by",
                format!("{:?}", acc.settings.group_by).to_lowercase(),
                format!("{:?}", p.settings.group_by).to_lowercase(),
            );
        }
        if acc.settings.redacted != p.settings.redacted {
            let r = |x: bool| if x { "redacted" } else { "--no-redact" }.to_string();
            return differs(
                "redaction",
                r(acc.settings.redacted),
                r(p.settings.redacted),
            );
        }
        if (&a.since, &a.until, a.undated) != (&b.since, &b.until, b.undated) {
            let w = |m: &ReportMeta| {
                format!(
                    "since {} until {} undated {:?}",
                    m.since.as_deref().unwrap_or("-"),
                    m.until.as_deref().unwrap_or("-"),
                    m.undated
                )
            };
            return differs("time window", w(a), w(b));
        }
        let earlier = |s: &str| s.parse::<Timestamp>().ok();
        // The earliest start; of equal instants, the smaller text (any order gives it).
        if let (Some(x), Some(y)) = (earlier(&a.scanned_at), earlier(&b.scanned_at))
            && (y, &b.scanned_at) < (x, &a.scanned_at)
        {
            acc.meta.scanned_at = b.scanned_at.clone();
        }
        acc.shard = None;
        acc.tallies.merge(p.tallies);
    }
    acc.shard = None;
    acc.tallies.normalize();
    Ok(acc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Product;
    use crate::report::aggregate::InputStats;
    use crate::report::{InputInfo, InputTally, Observation, ReportBuilder};
    use crate::rules::load_catalog;

    fn tallies(catalog: &Catalog, inputs: &[(&str, u64)], zone: &TimeZone) -> Tallies {
        let mut b = ReportBuilder::new(catalog, GroupBy::Cause);
        for (path, events) in inputs {
            let mut t = InputTally::new(Some(Product::Jira), true, zone);
            for line in 1..=*events {
                t.observe(
                    catalog,
                    &Observation {
                        line,
                        time: None,
                        rule: line as usize % 3,
                        also: vec![],
                        fields: [("host".to_string(), format!("h{line}.example.com"))].into(),
                        side: crate::model::Side::Consumer,
                        evidence: "x".into(),
                        text: Some(format!("event {line} of {path}")),
                        dated_by_mtime: false,
                    },
                );
            }
            let info = InputInfo {
                path,
                product: Some(Product::Jira),
                node: Some("n1"),
                role: None,
                zone,
            };
            b.add_input(&info, InputStats::default(), t);
        }
        b.into_tallies()
    }

    fn meta(catalog: &Catalog) -> ReportMeta {
        ReportMeta::new(
            catalog,
            Timestamp::from_second(1_700_000_000).unwrap(),
            &TimeZone::UTC,
            (None, None),
            Undated::LeftOut,
        )
    }

    fn settings() -> Settings {
        Settings {
            group_by: GroupBy::Cause,
            redacted: true,
        }
    }

    #[test]
    fn parts_round_trip_and_merge_in_any_order() {
        let (catalog, _) = load_catalog(&[]);
        let zone = TimeZone::UTC;
        let whole = tallies(
            &catalog,
            &[("a.log", 70), ("b/c.log", 5), ("b.log", 90)],
            &zone,
        );
        let a = tallies(&catalog, &[("b.log", 90)], &zone);
        let b = tallies(&catalog, &[("a.log", 70), ("b/c.log", 5)], &zone);
        let part = |t: Tallies| Partial::new(meta(&catalog), settings(), None, t);
        // Through JSON and back: the same tallies.
        let text = serde_json::to_string(&part(a.clone())).unwrap();
        let back = Partial::from_json("a.json", &text, &catalog).unwrap();
        assert_eq!(back.tallies, a);
        let report = |t: Tallies| {
            let r = ReportBuilder::from_tallies(&catalog, GroupBy::Cause, t).finish(meta(&catalog));
            crate::report::render::json::render(&r)
        };
        let ab = merge(vec![
            ("a".into(), part(a.clone())),
            ("b".into(), part(b.clone())),
        ])
        .unwrap();
        let ba = merge(vec![("b".into(), part(b)), ("a".into(), part(a))]).unwrap();
        assert_eq!(report(ab.tallies), report(whole.clone()));
        assert_eq!(report(ba.tallies), report(whole));
    }

    #[test]
    fn parts_that_disagree_are_refused() {
        let (catalog, _) = load_catalog(&[]);
        let p = Partial::new(meta(&catalog), settings(), None, Tallies::default());
        let mut window = p.clone();
        window.meta.since = Some("2024-01-01T00:00:00+00:00".into());
        window.meta.undated = Some(Undated::LeftOut);
        let e = merge(vec![("a".into(), p.clone()), ("b".into(), window)]).unwrap_err();
        assert!(e.contains("time window"), "{e}");
        let mut other = p.clone();
        other.meta.catalog_version = "sha256:00".into();
        let e = merge(vec![("a".into(), p.clone()), ("b".into(), other.clone())]).unwrap_err();
        assert!(e.contains("rule catalog"), "{e}");
        let text = serde_json::to_string(&other).unwrap();
        assert!(
            Partial::from_json("o.json", &text, &catalog)
                .unwrap_err()
                .contains("--rules")
        );
        assert!(merge(vec![]).is_err());
    }
}
