//! The report: one finding per cause with its count, first and last seen, products, nodes,
//! files and line numbers, a redacted sample, other rules that also matched, and derived
//! facts such as the clock difference. `aggregate` builds it from classified events in
//! bounded memory; the renderers in `render` turn a [`Report`] into table, JSON, NDJSON or
//! Markdown. The report has its own event and input types ([`Observation`], [`InputInfo`]):
//! it depends on neither the scanner's nor the source's.

pub mod aggregate;
pub mod bounded;
pub mod pairing;
pub mod partial;
pub mod redact;
pub mod render;
pub mod sanitize;
pub mod skew;
pub mod timeline;

use crate::model::{LogTime, Product, Role, Severity};
use crate::warning::Warning;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use skew::SkewEstimate;
use std::collections::BTreeMap;

pub use aggregate::{InputTally, ReportBuilder, Tallies};
pub use partial::{Partial, ReportMeta, Settings};

/// Version of the JSON report's layout (`schema/report.schema.json`): raised when a field
/// is removed or changes meaning; new fields may appear within a version.
pub const SCHEMA_VERSION: u32 = 2;

/// What happens to events without a time of their own when `--since`/`--until` is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Undated {
    /// Left out, and counted (`summary.undated_left_out`): the default with a time window.
    #[default]
    LeftOut,
    /// Dated by the file's modification time (in the archive's for archive members), then
    /// kept or left out by the window; their `time_basis` is `file_mtime`.
    FileMtime,
    /// Kept whatever the window (their `time` is null, `time_basis` `undated`).
    Kept,
}

/// A classified event as the report sees it.
#[derive(Debug, Clone)]
pub struct Observation {
    /// 1-based line number of the event's first line.
    pub line: u64,
    pub time: Option<LogTime>,
    /// Winning rule (index into the catalog).
    pub rule: usize,
    /// Other rules that matched, most specific first.
    pub also: Vec<usize>,
    pub fields: BTreeMap<String, String>,
    /// Which end of a link wrote the event (from the winning rule's metadata).
    pub side: crate::model::Side,
    /// The line that carries the winning match (capped).
    pub evidence: String,
    /// The whole event, on the first event of each rule in an input (the sample).
    pub text: Option<String>,
    /// `time` is the file's modification time: the event has none of its own
    /// (`--undated file-mtime`).
    pub dated_by_mtime: bool,
}

/// An input as the report names it (borrowed from whoever keeps the inputs, so that a
/// scan of a hundred thousand files does not hold their names twice).
#[derive(Debug, Clone, Copy)]
pub struct InputInfo<'a> {
    pub path: &'a str,
    pub product: Option<Product>,
    pub node: Option<&'a str>,
    pub role: Option<Role>,
    /// The zone of the input's times without an offset: the server's (`-Duser.timezone`
    /// in a support zip), else `--timezone`, else this machine's.
    pub zone: &'a TimeZone,
}

#[derive(Debug, Serialize)]
pub struct Report {
    /// Schema and tool versions, catalog version and time of the scan.
    #[serde(flatten)]
    pub meta: ReportMeta,
    pub summary: Summary,
    pub findings: Vec<Finding>,
    pub sources: Vec<SourceReport>,
    /// Links whose two ends both left evidence in the scanned logs.
    pub links: Vec<pairing::LinkPair>,
    /// Causes over time: per cause and node (or product where the node is unknown), the
    /// first and last event, and event counts per time bucket.
    pub timeline: Vec<timeline::TimelineLane>,
    /// Restarts and upgrades per node (from lifecycle marker rules; never findings), in time
    /// order per node: the first and last [`timeline::MAX_MARKERS`] of each node.
    pub markers: Vec<timeline::Marker>,
    /// Markers not listed because a node had more than the report keeps.
    pub markers_left_out: usize,
    /// Events per node and cause (`node × cause`), nodes sorted by name; inputs without a
    /// node are counted under `-`. Empty when no input has a node.
    pub node_summary: Vec<NodeCauses>,
    /// How findings are split (`--group-by`).
    pub group_by: GroupBy,
    pub warnings: Vec<Warning>,
    /// Events per product (`-`: unknown) and rule id, for the metrics (not in JSON: the
    /// findings' `products` say which products each cause was seen in).
    #[serde(skip)]
    pub product_causes: BTreeMap<String, BTreeMap<String, usize>>,
}

#[derive(Debug, Serialize)]
pub struct Summary {
    pub inputs: usize,
    pub bytes: u64,
    pub lines: u64,
    pub events: usize,
    /// Events reported without a time of their own (kept, or dated by file modification
    /// time with `--undated file-mtime`).
    pub undated_events: usize,
    /// Events left out because they carry no time and `--since`/`--until` was given.
    pub undated_left_out: usize,
    pub findings: usize,
    pub warnings: usize,
    /// Number of events per severity.
    pub by_severity: BTreeMap<Severity, usize>,
    pub highest_severity: Option<Severity>,
}

/// How findings are split: one per cause (default), or one per cause within each node or
/// product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GroupBy {
    #[default]
    Cause,
    Node,
    Product,
    /// Per remote end an event names (`host` or `host:port`); [`REMOTE_NOT_NAMED`] for
    /// events that name none.
    Remote,
}

impl GroupBy {
    /// Heading of the group column: `None` when findings are not grouped.
    pub fn heading(self) -> Option<&'static str> {
        match self {
            GroupBy::Cause => None,
            GroupBy::Node => Some("Node"),
            GroupBy::Product => Some("Product"),
            GroupBy::Remote => Some("Remote"),
        }
    }
}

/// The group of events that name no remote end, with `--group-by remote`.
pub const REMOTE_NOT_NAMED: &str = "-";
/// The group of events whose remote end is beyond the ones kept per input and rule
/// ([`aggregate::MAX_REMOTES`]), with `--group-by remote`.
pub const REMOTES_LEFT_OUT: &str = "(other remote ends)";

/// The remote end an event names, as the report keys it: `host` or `host:port`, from the
/// `remote_host` and `remote_port` fields the catalog extracts.
pub fn remote_key(fields: &BTreeMap<String, String>) -> Option<String> {
    let host = fields.get("remote_host")?;
    Some(match fields.get("remote_port") {
        Some(port) => format!("{host}:{port}"),
        None => host.clone(),
    })
}

/// Events of a finding at one remote end.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RemoteCount {
    /// `host` or `host:port` (the port only where the log names one).
    pub remote: String,
    pub count: usize,
}

/// The remote ends of a finding: what kind of remote the rule is about and, per remote end
/// its events name, how many.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Remotes {
    /// `applink`, `directory` or `integration` (rule metadata: the rule's `remote:`, or
    /// its category's default).
    pub kind: &'static str,
    /// Most events first, at most [`aggregate::MAX_REMOTES`].
    pub ends: Vec<RemoteCount>,
    /// Events at remote ends not listed (beyond the ones kept).
    pub not_listed: usize,
    /// Events that name no remote end.
    pub not_named: usize,
}

/// A generic symptom (a catch-all rule) the events of a finding also matched: the finding
/// is its cause.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Symptom {
    pub rule: String,
    pub title: String,
    /// Events of the finding that also matched it.
    pub count: usize,
}

/// One row of the node × cause summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeCauses {
    pub node: String,
    pub products: Vec<Product>,
    pub events: usize,
    /// Events per rule id.
    pub causes: BTreeMap<String, usize>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceReport {
    pub path: String,
    pub product: Option<Product>,
    /// What the file is for (application or Tomcat log), when its name or folder says so.
    pub role: Option<Role>,
    pub node: Option<String>,
    pub bytes: u64,
    pub lines: u64,
    pub events: usize,
    pub first_time: Option<LogTime>,
    pub last_time: Option<LogTime>,
    pub skipped: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileHits {
    pub path: String,
    pub count: usize,
    /// The first line numbers (at most 50).
    pub lines: Vec<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    pub path: String,
    pub line: u64,
    pub text: String,
}

#[derive(Debug, Serialize)]
pub struct AlsoMatched {
    pub rule: String,
    pub count: usize,
}

#[derive(Debug, Serialize)]
pub struct Finding {
    /// The node or product this finding is about, with `--group-by node|product`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    pub rule: String,
    pub title: String,
    pub category: &'static str,
    pub severity: Severity,
    pub count: usize,
    /// Over the events that carry a time; null when none does (see `undated_events`).
    pub first_seen: Option<LogTime>,
    pub last_seen: Option<LogTime>,
    /// Events without a time of their own.
    pub undated_events: usize,
    pub products: Vec<Product>,
    pub nodes: Vec<String>,
    pub files: Vec<FileHits>,
    /// Distinct values of notable extracted fields (oauth_problem, host), with counts.
    pub values: BTreeMap<String, BTreeMap<String, usize>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clock_skew: Option<SkewEstimate>,
    /// Facts derived from the events, in sentences.
    pub facts: Vec<String>,
    pub cause: String,
    pub remediation: Vec<String>,
    pub references: Vec<String>,
    pub also_matched: Vec<AlsoMatched>,
    /// The remote end(s) the events name; null for rules about no remote (`remote: none`).
    pub remotes: Option<Remotes>,
    /// The generic symptoms (catch-all rules) this cause explains, most events first.
    pub symptoms: Vec<Symptom>,
    /// The symptom as context, in one sentence: "<symptom>, because: <cause>"; null when
    /// the events matched no catch-all rule.
    pub context: Option<String>,
    pub sample: Option<Sample>,
}

/// One event as NDJSON emits it (its line number is added when it is written: see
/// `render::json::event_body`).
#[derive(Debug, Serialize)]
pub struct EventRecord {
    pub rule: String,
    pub severity: Severity,
    pub path: String,
    /// RFC 3339 with offset; null when the event has no time (see `time_basis`).
    pub time: Option<LogTime>,
    /// Where `time` comes from.
    pub time_basis: TimeBasis,
    pub product: Option<Product>,
    pub node: Option<String>,
    pub fields: BTreeMap<String, String>,
    pub also_matched: Vec<String>,
    pub evidence: String,
}

impl EventRecord {
    /// The record of one event of `input`, redacted when `redact`.
    pub fn new(
        catalog: &crate::rules::Catalog,
        input: &InputInfo,
        e: &Observation,
        redact: bool,
    ) -> Self {
        let rule = catalog.rule(e.rule);
        EventRecord {
            rule: rule.id.clone(),
            severity: rule.severity,
            path: input.path.to_string(),
            time: e.time.map(|t| t.resolved(input.zone)),
            time_basis: TimeBasis::of(e),
            product: input.product,
            node: input.node.map(str::to_string),
            fields: e
                .fields
                .iter()
                .map(|(k, v)| (k.clone(), scrub(v, redact)))
                .collect(),
            also_matched: e.also.iter().map(|&r| catalog.rule(r).id.clone()).collect(),
            evidence: scrub(&e.evidence, redact),
        }
    }
}

/// Where an event's time comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeBasis {
    /// The log line, with its UTC offset.
    LoggedOffset,
    /// The log line's wall-clock time, in the input's zone (see [`InputInfo::zone`]).
    TimeZone,
    /// The file's modification time: the event has no time of its own.
    FileMtime,
    /// None: the event has no time of its own.
    Undated,
}

impl TimeBasis {
    pub fn of(e: &Observation) -> TimeBasis {
        match e.time {
            _ if e.dated_by_mtime => TimeBasis::FileMtime,
            None => TimeBasis::Undated,
            Some(t) if t.offset.is_some() => TimeBasis::LoggedOffset,
            Some(_) => TimeBasis::TimeZone,
        }
    }
}

/// `text`, redacted when `redact`.
pub fn scrub(text: &str, redact: bool) -> String {
    if redact {
        redact::redact(text).into_owned()
    } else {
        text.to_string()
    }
}

/// The scheme://host[:port] part of a URL, without any user name or password in it.
pub fn extract_host_origin(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    (!host.is_empty()).then(|| format!("{scheme}://{host}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_leave_credentials_out() {
        assert_eq!(
            extract_host_origin("https://admin:s3cret@jira.example.com:8443/rest/x").as_deref(),
            Some("https://jira.example.com:8443")
        );
        assert_eq!(
            extract_host_origin("http://confluence:8090").as_deref(),
            Some("http://confluence:8090")
        );
        assert_eq!(extract_host_origin("https://user@/x"), None);
    }
}
