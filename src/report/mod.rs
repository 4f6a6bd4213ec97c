//! Aggregation of classified events into the report: one finding per cause with its count,
//! first and last seen, products, nodes, files and line numbers, a redacted sample, other
//! rules that also matched, and derived facts such as the clock difference. The renderers
//! in `render` turn a [`Report`] into table, JSON, NDJSON or Markdown.

pub mod pairing;
pub mod redact;
pub mod render;
pub mod sanitize;
pub mod skew;

use crate::model::{Product, Severity};
use crate::rules::Catalog;
use crate::scan::timestamp::LogTime;
use crate::scan::{Event, InputScan};
use crate::source::Input;
use crate::warning::Warning;
use serde::Serialize;
use skew::SkewEstimate;
use std::collections::BTreeMap;

/// Line numbers listed per file and finding; the count says how many there were in all.
const MAX_LINES_PER_FILE: usize = 50;

#[derive(Debug, Serialize)]
pub struct Report {
    pub summary: Summary,
    pub findings: Vec<Finding>,
    pub sources: Vec<SourceReport>,
    /// Links whose two ends both left evidence in the scanned logs.
    pub links: Vec<pairing::LinkPair>,
    /// Events per node and cause (`node × cause`), nodes sorted by name; inputs without a
    /// node are counted under `-`. Empty when no input has a node.
    pub node_summary: Vec<NodeCauses>,
    /// How findings are split (`--group-by`).
    pub group_by: GroupBy,
    pub warnings: Vec<Warning>,
    /// Every event, for NDJSON output (not part of the JSON document).
    #[serde(skip)]
    pub events: Vec<EventRecord>,
}

#[derive(Debug, Serialize)]
pub struct Summary {
    pub inputs: usize,
    pub bytes: u64,
    pub lines: u64,
    pub events: usize,
    pub findings: usize,
    pub warnings: usize,
    /// Number of events per severity.
    pub by_severity: BTreeMap<Severity, usize>,
    pub highest_severity: Option<Severity>,
}

/// How findings are split: one per cause (default), or one per cause within each node or
/// product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum GroupBy {
    #[default]
    Cause,
    Node,
    Product,
}

impl GroupBy {
    /// Heading of the group column: `None` when findings are not grouped.
    pub fn heading(self) -> Option<&'static str> {
        match self {
            GroupBy::Cause => None,
            GroupBy::Node => Some("Node"),
            GroupBy::Product => Some("Product"),
        }
    }
}

/// One row of the node × cause summary.
#[derive(Debug, Serialize)]
pub struct NodeCauses {
    pub node: String,
    pub products: Vec<Product>,
    pub events: usize,
    /// Events per rule id.
    pub causes: BTreeMap<String, usize>,
}

#[derive(Debug, Serialize)]
pub struct SourceReport {
    pub path: String,
    pub product: Option<Product>,
    /// What the file is for (application or Tomcat log), when its name or folder says so.
    pub role: Option<crate::source::Role>,
    pub node: Option<String>,
    pub bytes: u64,
    pub lines: u64,
    pub events: usize,
    pub first_time: Option<LogTime>,
    pub last_time: Option<LogTime>,
    pub skipped: bool,
}

#[derive(Debug, Serialize)]
pub struct FileHits {
    pub path: String,
    pub count: usize,
    /// The first line numbers (at most 50).
    pub lines: Vec<u64>,
}

#[derive(Debug, Serialize)]
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
    pub first_seen: Option<LogTime>,
    pub last_seen: Option<LogTime>,
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
    pub sample: Option<Sample>,
}

/// One event as NDJSON emits it.
#[derive(Debug, Serialize)]
pub struct EventRecord {
    pub rule: String,
    pub severity: Severity,
    pub path: String,
    pub line: u64,
    pub time: Option<LogTime>,
    pub product: Option<Product>,
    pub node: Option<String>,
    pub fields: BTreeMap<String, String>,
    pub also_matched: Vec<String>,
    pub evidence: String,
}

/// Fields whose distinct values are counted per finding.
const COUNTED_FIELDS: [&str; 2] = ["oauth_problem", "host"];

fn scrub(text: &str, redact: bool) -> String {
    if redact {
        redact::redact(text).into_owned()
    } else {
        text.to_string()
    }
}

/// Builds the report from the scanned inputs (in input order) and the warnings met before
/// scanning (discovery, rule loading).
pub fn aggregate(
    catalog: &Catalog,
    inputs: &[Input],
    scans: Vec<InputScan>,
    warnings: Vec<Warning>,
    redact: bool,
) -> Report {
    aggregate_grouped(catalog, inputs, scans, warnings, redact, GroupBy::Cause)
}

/// The group key of an input under `--group-by` (`-` when the input has no node or product).
fn group_key(input: &Input, group_by: GroupBy) -> Option<String> {
    match group_by {
        GroupBy::Cause => None,
        GroupBy::Node => Some(input.node.clone().unwrap_or_else(|| "-".to_string())),
        GroupBy::Product => Some(input.product.map_or("-", |p| p.name()).to_string()),
    }
}

/// The node × cause summary; empty when no input has a node.
fn node_summary(catalog: &Catalog, inputs: &[Input], scans: &[InputScan]) -> Vec<NodeCauses> {
    if inputs.iter().all(|i| i.node.is_none()) {
        return Vec::new();
    }
    let mut rows: BTreeMap<String, NodeCauses> = BTreeMap::new();
    for (input, scan) in inputs.iter().zip(scans) {
        let node = input.node.clone().unwrap_or_else(|| "-".to_string());
        let row = rows.entry(node.clone()).or_insert_with(|| NodeCauses {
            node,
            products: Vec::new(),
            events: 0,
            causes: BTreeMap::new(),
        });
        if let Some(p) = input.product
            && !row.products.contains(&p)
        {
            row.products.push(p);
            row.products.sort();
        }
        row.events += scan.events.len();
        for e in &scan.events {
            *row.causes
                .entry(catalog.rule(e.rule).id.clone())
                .or_default() += 1;
        }
    }
    rows.into_values().collect()
}

/// [`aggregate`] with findings split by node or product (`--group-by`).
pub fn aggregate_grouped(
    catalog: &Catalog,
    inputs: &[Input],
    scans: Vec<InputScan>,
    mut warnings: Vec<Warning>,
    redact: bool,
    group_by: GroupBy,
) -> Report {
    struct Acc<'a> {
        events: Vec<(&'a Input, &'a Event)>,
    }
    let mut per_rule: BTreeMap<(Option<String>, usize), Acc> = BTreeMap::new();
    let mut sources = Vec::with_capacity(inputs.len());
    let mut event_records = Vec::new();
    let mut summary = Summary {
        inputs: inputs.len(),
        bytes: 0,
        lines: 0,
        events: 0,
        findings: 0,
        warnings: 0,
        by_severity: BTreeMap::new(),
        highest_severity: None,
    };
    for (input, scan) in inputs.iter().zip(scans.iter()) {
        summary.bytes += scan.bytes;
        summary.lines += scan.lines;
        summary.events += scan.events.len();
        warnings.extend(scan.warnings.iter().cloned());
        sources.push(SourceReport {
            path: input.display.clone(),
            product: input.product,
            role: None,
            node: input.node.clone(),
            bytes: scan.bytes,
            lines: scan.lines,
            events: scan.events.len(),
            first_time: scan.first_time,
            last_time: scan.last_time,
            skipped: scan.skipped,
        });
        for e in &scan.events {
            let rule = catalog.rule(e.rule);
            *summary.by_severity.entry(rule.severity).or_default() += 1;
            per_rule
                .entry((group_key(input, group_by), e.rule))
                .or_insert_with(|| Acc { events: Vec::new() })
                .events
                .push((input, e));
            event_records.push(EventRecord {
                rule: rule.id.clone(),
                severity: rule.severity,
                path: input.display.clone(),
                line: e.line,
                time: e.time,
                product: input.product,
                node: input.node.clone(),
                fields: e
                    .fields
                    .iter()
                    .map(|(k, v)| (k.clone(), scrub(v, redact)))
                    .collect(),
                also_matched: e.also.iter().map(|&r| catalog.rule(r).id.clone()).collect(),
                evidence: scrub(&e.evidence, redact),
            });
        }
    }
    let links = link_pairs(catalog, inputs, &scans);
    let node_summary = node_summary(catalog, inputs, &scans);
    let mut findings: Vec<Finding> = per_rule
        .into_iter()
        .map(|((group, r), acc)| Finding {
            group,
            ..build_finding(catalog, r, &acc.events, redact)
        })
        .collect();
    findings.sort_by(|a, b| {
        a.group
            .cmp(&b.group)
            .then(b.severity.cmp(&a.severity))
            .then(b.count.cmp(&a.count))
            .then(a.rule.cmp(&b.rule))
    });
    warnings.sort();
    warnings.dedup();
    summary.findings = findings.len();
    summary.warnings = warnings.len();
    summary.highest_severity = findings.iter().map(|f| f.severity).max();
    Report {
        summary,
        findings,
        sources,
        links,
        node_summary,
        group_by,
        warnings,
        events: event_records,
    }
}

/// The scheme://host[:port] part of a URL.
pub fn extract_host_origin(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    (!authority.is_empty()).then(|| format!("{scheme}://{authority}"))
}

fn link_pairs(catalog: &Catalog, inputs: &[Input], scans: &[InputScan]) -> Vec<pairing::LinkPair> {
    let events: Vec<(&Input, &Event, &str)> = inputs
        .iter()
        .zip(scans)
        .flat_map(|(i, s)| {
            s.events
                .iter()
                .map(move |e| (i, e, catalog.rule(e.rule).id.as_str()))
        })
        .collect();
    pairing::pair(&events)
}

fn build_finding(
    catalog: &Catalog,
    r: usize,
    events: &[(&Input, &Event)],
    redact: bool,
) -> Finding {
    let rule = catalog.rule(r);
    let mut files: Vec<FileHits> = Vec::new();
    let mut products = Vec::new();
    let mut nodes = Vec::new();
    let mut values: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    let mut also: BTreeMap<usize, usize> = BTreeMap::new();
    let mut first: Option<LogTime> = None;
    let mut last: Option<LogTime> = None;
    for (input, e) in events {
        match files.last_mut() {
            Some(f) if f.path == input.display => {
                f.count += 1;
                if f.lines.len() < MAX_LINES_PER_FILE {
                    f.lines.push(e.line);
                }
            }
            _ => files.push(FileHits {
                path: input.display.clone(),
                count: 1,
                lines: vec![e.line],
            }),
        }
        if let Some(p) = input.product
            && !products.contains(&p)
        {
            products.push(p);
        }
        if let Some(n) = &input.node
            && !nodes.contains(n)
        {
            nodes.push(n.clone());
        }
        for key in COUNTED_FIELDS {
            if let Some(v) = e.fields.get(key) {
                *values
                    .entry(key.to_string())
                    .or_default()
                    .entry(scrub(v, redact))
                    .or_default() += 1;
            }
        }
        for &a in &e.also {
            *also.entry(a).or_default() += 1;
        }
        if let Some(t) = e.time {
            first = Some(first.map_or(t, |f| f.min(t)));
            last = Some(last.map_or(t, |l| l.max(t)));
        }
    }
    products.sort();
    nodes.sort();
    let clock_skew = skew::estimate(events.iter().map(|(_, e)| *e));
    let mut facts = Vec::new();
    if let Some(est) = &clock_skew {
        facts.push(format!("Clock difference: {}.", skew::describe(est)));
    }
    let sample = events.iter().find_map(|(input, e)| {
        e.text.as_ref().map(|t| Sample {
            path: input.display.clone(),
            line: e.line,
            text: scrub(t, redact),
        })
    });
    let mut also_matched: Vec<AlsoMatched> = also
        .into_iter()
        .map(|(a, count)| AlsoMatched {
            rule: catalog.rule(a).id.clone(),
            count,
        })
        .collect();
    also_matched.sort_by(|a, b| b.count.cmp(&a.count).then(a.rule.cmp(&b.rule)));
    Finding {
        group: None,
        rule: rule.id.clone(),
        title: rule.title.clone(),
        category: rule.category.name(),
        severity: rule.severity,
        count: events.len(),
        first_seen: first,
        last_seen: last,
        products,
        nodes,
        files,
        values,
        clock_skew,
        facts,
        cause: rule.cause.clone(),
        remediation: rule.remediation.clone(),
        references: rule.references.clone(),
        also_matched,
        sample,
    }
}
