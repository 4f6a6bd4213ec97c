//! Aggregation in bounded memory. The scanner's events are observed one at a time into an
//! [`InputTally`] (the aggregation sink of one input, or of one part of it) that keeps, per
//! rule, counts, first and last times, the first line numbers, counted values, the other
//! rules that matched, clock-difference observations and one sample, and nothing per event.
//! The parts of an input are appended in order, then each input is added to the
//! [`ReportBuilder`], which turns everything into the [`Report`] once the scan is over.
//! Memory is bounded by the report (causes × inputs, capped lists), never by the number of
//! events.

use super::bounded::{BoundedCounts, BoundedMap, count, merge_counts};
use super::pairing::LinkObservations;
use super::skew::SkewObservations;
use super::{
    AlsoMatched, FileHits, Finding, GroupBy, InputInfo, NodeCauses, Observation, Report, Sample,
    SourceReport, Summary, scrub, skew,
};
use crate::model::{LogTime, Product};
use crate::rules::Catalog;
use crate::warning::Warning;
use std::collections::{BTreeMap, BTreeSet, HashSet};

/// Line numbers listed per file and finding; the count says how many there were in all.
pub const MAX_LINES_PER_FILE: usize = 50;
/// Distinct values of a counted field remembered per finding.
const MAX_DISTINCT_VALUES: usize = 64;
/// Fields whose distinct values are counted per finding.
const COUNTED_FIELDS: [&str; 2] = ["oauth_problem", "host"];

fn earliest(a: Option<LogTime>, b: Option<LogTime>) -> Option<LogTime> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn latest(a: Option<LogTime>, b: Option<LogTime>) -> Option<LogTime> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

fn to_usize(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

/// Counted values per field, bounded.
type Values = BTreeMap<&'static str, BoundedCounts<String>>;

fn merge_values(into: &mut Values, other: Values) {
    for (field, counts) in other {
        match into.get_mut(field) {
            Some(mine) => merge_counts(mine, counts),
            None => {
                into.insert(field, counts);
            }
        }
    }
}

/// What one input's events of one rule show.
#[derive(Debug, Clone, Default)]
struct RuleTally {
    count: u64,
    first: Option<LogTime>,
    last: Option<LogTime>,
    /// The first line numbers, at most [`MAX_LINES_PER_FILE`].
    lines: Vec<u64>,
    values: Values,
    also: BTreeMap<usize, u64>,
    skew: SkewObservations,
    /// Line and (redacted) text of the first event that carried its text.
    sample: Option<(u64, String)>,
}

impl RuleTally {
    /// Adds a later part of the same input, whose line numbers are shifted by `shift`.
    fn append(&mut self, later: RuleTally, shift: u64) {
        self.count += later.count;
        self.first = earliest(self.first, later.first);
        self.last = latest(self.last, later.last);
        let room = MAX_LINES_PER_FILE.saturating_sub(self.lines.len());
        self.lines.extend(
            later
                .lines
                .into_iter()
                .take(room)
                .map(|l| l.saturating_add(shift)),
        );
        merge_values(&mut self.values, later.values);
        for (r, n) in later.also {
            *self.also.entry(r).or_default() += n;
        }
        self.skew.merge(later.skew);
        if self.sample.is_none() {
            self.sample = later.sample.map(|(l, t)| (l.saturating_add(shift), t));
        }
    }
}

/// The aggregation sink of one input (or one part of it): what its events show, bounded.
#[derive(Debug, Clone)]
pub struct InputTally {
    product: Option<Product>,
    redact: bool,
    rules: BTreeMap<usize, RuleTally>,
    links: LinkObservations,
    events: u64,
}

impl InputTally {
    /// An empty tally for an input of `product`; `redact` scrubs secrets from what it keeps.
    pub fn new(product: Option<Product>, redact: bool) -> Self {
        InputTally {
            product,
            redact,
            rules: BTreeMap::new(),
            links: LinkObservations::default(),
            events: 0,
        }
    }

    /// How many events were observed.
    pub fn events(&self) -> u64 {
        self.events
    }

    /// Observes one event.
    pub fn observe(&mut self, catalog: &Catalog, e: &Observation) {
        self.events += 1;
        let t = self.rules.entry(e.rule).or_default();
        t.count += 1;
        t.first = earliest(t.first, e.time);
        t.last = latest(t.last, e.time);
        if t.lines.len() < MAX_LINES_PER_FILE {
            t.lines.push(e.line);
        }
        for key in COUNTED_FIELDS {
            if let Some(v) = e.fields.get(key) {
                let counts = t
                    .values
                    .entry(key)
                    .or_insert_with(|| BoundedMap::new(MAX_DISTINCT_VALUES));
                count(counts, scrub(v, self.redact), 1);
            }
        }
        for &a in &e.also {
            *t.also.entry(a).or_default() += 1;
        }
        t.skew.observe(e);
        if t.sample.is_none()
            && let Some(text) = &e.text
        {
            t.sample = Some((e.line, scrub(text, self.redact)));
        }
        self.links
            .observe(self.product, &catalog.rule(e.rule).id, e);
    }

    /// Adds the tally of the next part of the same input, whose line numbers count from its
    /// own start: they are shifted by `shift` (the lines of the parts before).
    pub fn append(&mut self, later: InputTally, shift: u64) {
        self.events += later.events;
        for (r, t) in later.rules {
            match self.rules.get_mut(&r) {
                Some(mine) => mine.append(t, shift),
                None => {
                    let mut fresh = RuleTally::default();
                    fresh.append(t, shift);
                    self.rules.insert(r, fresh);
                }
            }
        }
        self.links.merge(later.links);
    }
}

/// What reading one input showed besides its events.
#[derive(Debug, Clone, Default)]
pub struct InputStats {
    pub bytes: u64,
    pub lines: u64,
    pub first_time: Option<LogTime>,
    pub last_time: Option<LogTime>,
    /// The input was not read (unreadable, binary, over a limit).
    pub skipped: bool,
    pub warnings: Vec<Warning>,
}

/// Everything the report says about one cause (in one group).
#[derive(Debug, Default)]
struct FindingTally {
    count: u64,
    first: Option<LogTime>,
    last: Option<LogTime>,
    files: Vec<FileHits>,
    products: BTreeSet<Product>,
    nodes: BTreeSet<String>,
    values: Values,
    also: BTreeMap<usize, u64>,
    skew: SkewObservations,
    sample: Option<Sample>,
}

/// Builds the report from the inputs, added in input order.
pub struct ReportBuilder<'c> {
    catalog: &'c Catalog,
    group_by: GroupBy,
    findings: BTreeMap<(Option<String>, usize), FindingTally>,
    sources: Vec<SourceReport>,
    /// Node × cause rows; `-` for inputs without a node.
    nodes: BTreeMap<String, NodeCauses>,
    any_node: bool,
    links: LinkObservations,
    events: u64,
    bytes: u64,
    lines: u64,
    by_severity: BTreeMap<crate::model::Severity, usize>,
    warnings: Vec<Warning>,
    /// Inputs that were read (not skipped).
    read: usize,
}

impl<'c> ReportBuilder<'c> {
    pub fn new(catalog: &'c Catalog, group_by: GroupBy) -> Self {
        ReportBuilder {
            catalog,
            group_by,
            findings: BTreeMap::new(),
            sources: Vec::new(),
            nodes: BTreeMap::new(),
            any_node: false,
            links: LinkObservations::default(),
            events: 0,
            bytes: 0,
            lines: 0,
            by_severity: BTreeMap::new(),
            warnings: Vec::new(),
            read: 0,
        }
    }

    /// Warnings that belong to no input (discovery, rule loading).
    pub fn add_warnings(&mut self, warnings: impl IntoIterator<Item = Warning>) {
        self.warnings.extend(warnings);
    }

    /// How many inputs were read so far (not skipped).
    pub fn inputs_read(&self) -> usize {
        self.read
    }

    /// The group key of an input under `--group-by` (`-` without a node or product).
    fn group_key(&self, input: &InputInfo) -> Option<String> {
        match self.group_by {
            GroupBy::Cause => None,
            GroupBy::Node => Some(input.node.unwrap_or("-").to_string()),
            GroupBy::Product => Some(input.product.map_or("-", |p| p.name()).to_string()),
        }
    }

    /// Adds one input: what reading it showed and the tally of its events.
    pub fn add_input(&mut self, input: &InputInfo, stats: InputStats, tally: InputTally) {
        self.bytes += stats.bytes;
        self.lines += stats.lines;
        self.events += tally.events;
        if !stats.skipped {
            self.read += 1;
        }
        self.warnings.extend(stats.warnings);
        self.sources.push(SourceReport {
            path: input.path.to_string(),
            product: input.product,
            role: input.role,
            node: input.node.map(str::to_string),
            bytes: stats.bytes,
            lines: stats.lines,
            events: to_usize(tally.events),
            first_time: stats.first_time,
            last_time: stats.last_time,
            skipped: stats.skipped,
        });
        self.any_node |= input.node.is_some();
        let group = self.group_key(input);
        let node = input.node.unwrap_or("-").to_string();
        let row = self
            .nodes
            .entry(node.clone())
            .or_insert_with(|| NodeCauses {
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
        row.events += to_usize(tally.events);
        self.links.merge(tally.links);
        for (r, t) in tally.rules {
            let rule = self.catalog.rule(r);
            *row.causes.entry(rule.id.clone()).or_default() += to_usize(t.count);
            *self.by_severity.entry(rule.severity).or_default() += to_usize(t.count);
            let f = self.findings.entry((group.clone(), r)).or_default();
            f.count += t.count;
            f.first = earliest(f.first, t.first);
            f.last = latest(f.last, t.last);
            f.files.push(FileHits {
                path: input.path.to_string(),
                count: to_usize(t.count),
                lines: t.lines,
            });
            f.products.extend(input.product);
            f.nodes.extend(input.node.map(str::to_string));
            merge_values(&mut f.values, t.values);
            for (a, n) in t.also {
                *f.also.entry(a).or_default() += n;
            }
            f.skew.merge(t.skew);
            if f.sample.is_none() {
                f.sample = t.sample.map(|(line, text)| Sample {
                    path: input.path.to_string(),
                    line,
                    text,
                });
            }
        }
    }

    /// The report.
    pub fn finish(self) -> Report {
        let catalog = self.catalog;
        let mut findings: Vec<Finding> = self
            .findings
            .into_iter()
            .map(|((group, r), f)| build_finding(catalog, group, r, f))
            .collect();
        findings.sort_by(|a, b| {
            a.group
                .cmp(&b.group)
                .then(b.severity.cmp(&a.severity))
                .then(b.count.cmp(&a.count))
                .then(a.rule.cmp(&b.rule))
        });
        let mut warnings = self.warnings;
        warnings.sort();
        warnings.dedup();
        let summary = Summary {
            inputs: self.sources.len(),
            bytes: self.bytes,
            lines: self.lines,
            events: to_usize(self.events),
            findings: findings.len(),
            warnings: warnings.len(),
            by_severity: self.by_severity,
            highest_severity: findings.iter().map(|f| f.severity).max(),
        };
        Report {
            summary,
            findings,
            sources: self.sources,
            links: self.links.pairs(),
            node_summary: if self.any_node {
                self.nodes.into_values().collect()
            } else {
                Vec::new()
            },
            group_by: self.group_by,
            warnings,
        }
    }
}

fn build_finding(catalog: &Catalog, group: Option<String>, r: usize, f: FindingTally) -> Finding {
    let rule = catalog.rule(r);
    let clock_skew = f.skew.estimate();
    let mut facts = Vec::new();
    if let Some(est) = &clock_skew {
        facts.push(format!("Clock difference: {}.", skew::describe(est)));
    }
    let mut also_matched: Vec<AlsoMatched> = f
        .also
        .into_iter()
        .map(|(a, count)| AlsoMatched {
            rule: catalog.rule(a).id.clone(),
            count: to_usize(count),
        })
        .collect();
    also_matched.sort_by(|a, b| b.count.cmp(&a.count).then(a.rule.cmp(&b.rule)));
    let values = f
        .values
        .into_iter()
        .map(|(k, counts)| {
            let dropped = counts.dropped();
            let mut map: BTreeMap<String, usize> = counts
                .into_map()
                .into_iter()
                .map(|(v, n)| (v, to_usize(n)))
                .collect();
            if dropped > 0 {
                map.insert(
                    format!("(more than {MAX_DISTINCT_VALUES} distinct values; not all listed)"),
                    0,
                );
            }
            (k.to_string(), map)
        })
        .collect();
    Finding {
        group,
        rule: rule.id.clone(),
        title: rule.title.clone(),
        category: rule.category.name(),
        severity: rule.severity,
        count: to_usize(f.count),
        first_seen: f.first,
        last_seen: f.last,
        products: f.products.into_iter().collect(),
        nodes: f.nodes.into_iter().collect(),
        files: f.files,
        values,
        clock_skew,
        facts,
        cause: rule.cause.clone(),
        remediation: rule.remediation.clone(),
        references: rule.references.clone(),
        also_matched,
        sample: f.sample,
    }
}

/// Keeps each warning message once per input, shifting its line by `shift`.
pub fn add_part_warnings(
    into: &mut Vec<Warning>,
    seen: &mut HashSet<String>,
    part: Vec<Warning>,
    shift: u64,
) {
    for mut w in part {
        if !seen.insert(w.message.clone()) {
            continue;
        }
        if let Some(l) = w.line.as_mut() {
            *l = l.saturating_add(shift);
        }
        into.push(w);
    }
}
