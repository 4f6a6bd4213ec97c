//! Aggregation in bounded memory. The scanner's events are observed one at a time into an
//! [`InputTally`] (the aggregation sink of one input, or of one part of it) that keeps, per
//! rule, counts, first and last times, the first line numbers, counted values, the other
//! rules that matched, clock-difference observations and one sample, and nothing per event.
//! The parts of an input are appended in order, then each input is added to the
//! [`ReportBuilder`], which turns everything into the [`Report`] once the scan is over.
//! Memory is bounded by the report (causes × inputs, capped lists), never by the number of
//! events.
//!
//! What the builder holds is [`Tallies`]: plain data keyed by rule id (not catalog index),
//! serialisable, and merged by an operation that is associative and commutative. Adding an
//! input is merging the tallies of that one input; a partial report (`scan --out`) is the
//! builder's tallies, and `merge` merges the tallies of several. Everything that depends on
//! an order (sources, files per finding, the sample) is ordered at [`ReportBuilder::finish`]
//! by the inputs' paths ([`path_order`]), never by the order inputs were added: one scan
//! and any merge of shards of it give the same report, byte for byte.

use super::bounded::{BoundedCounts, BoundedMap, count, merge_counts};
use super::pairing::LinkObservations;
use super::skew::SkewObservations;
use super::timeline::{self, Buckets, LaneTally, MarkerRecord, MarkerSet};
use super::{
    AlsoMatched, FileHits, Finding, GroupBy, InputInfo, NodeCauses, Observation, REMOTE_NOT_NAMED,
    REMOTES_LEFT_OUT, RemoteCount, Remotes, Report, ReportMeta, Sample, SourceReport, Summary,
    Symptom, scrub, skew,
};
use crate::model::{LogTime, Product, Severity};
use crate::rules::Catalog;
use crate::rules::schema::RemoteKind;
use crate::warning::Warning;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashSet};

/// Line numbers listed per file and finding; the count says how many there were in all.
pub const MAX_LINES_PER_FILE: usize = 50;
/// Distinct values of a counted field remembered per finding.
const MAX_DISTINCT_VALUES: usize = 64;
/// Fields whose distinct values are counted per finding.
const COUNTED_FIELDS: [&str; 2] = ["oauth_problem", "host"];
/// Remote ends kept per rule and input (the smallest; the events of others are counted
/// together), and per finding.
pub const MAX_REMOTES: usize = 64;

/// A total order on times: by instant (or wall clock when an offset is missing), then by
/// wall clock and offset, so that the earliest of equal instants is the same whatever
/// order they are met in.
fn time_order(a: &LogTime, b: &LogTime) -> Ordering {
    a.cmp(b).then_with(|| a.civil.cmp(&b.civil)).then_with(|| {
        a.offset
            .map(|o| o.seconds())
            .cmp(&b.offset.map(|o| o.seconds()))
    })
}

pub(super) fn earliest(a: Option<LogTime>, b: Option<LogTime>) -> Option<LogTime> {
    match (a, b) {
        (Some(a), Some(b)) => Some(if time_order(&b, &a).is_lt() { b } else { a }),
        (a, b) => a.or(b),
    }
}

pub(super) fn latest(a: Option<LogTime>, b: Option<LogTime>) -> Option<LogTime> {
    match (a, b) {
        (Some(a), Some(b)) => Some(if time_order(&b, &a).is_gt() { b } else { a }),
        (a, b) => a.or(b),
    }
}

fn to_usize(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

/// The order of inputs in a report: by path, compared folder by folder (`/`, `\` and the
/// `!` between an archive and its member separate parts), so a walk's order (file names
/// sorted in each folder) is kept, and one scan and a merge of shards agree.
pub fn path_order(a: &str, b: &str) -> Ordering {
    fn parts(s: &str) -> impl Iterator<Item = &str> {
        s.split(['/', '\\', '!']).filter(|p| !p.is_empty())
    }
    parts(a).cmp(parts(b)).then_with(|| a.cmp(b))
}

/// Counted values per field, bounded.
type Values = BTreeMap<String, BoundedCounts<String>>;

fn merge_values(into: &mut Values, other: Values) {
    for (field, counts) in other {
        match into.get_mut(&field) {
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
    /// Events without a time of their own (kept, or dated by the file's modification time).
    undated: u64,
    first: Option<LogTime>,
    last: Option<LogTime>,
    /// The first line numbers, at most [`MAX_LINES_PER_FILE`].
    lines: Vec<u64>,
    values: Values,
    also: BTreeMap<usize, u64>,
    skew: SkewObservations,
    /// Line and (redacted) evidence line of the first event.
    evidence: Option<(u64, String)>,
    /// Events with a time, counted per time bucket (for the timeline).
    timed: u64,
    buckets: Buckets,
}

impl RuleTally {
    /// Shifts the line numbers by `shift` (a later part of the same input).
    fn shifted(mut self, shift: u64) -> RuleTally {
        for l in &mut self.lines {
            *l = l.saturating_add(shift);
        }
        if let Some((l, _)) = &mut self.evidence {
            *l = l.saturating_add(shift);
        }
        self
    }

    /// Adds `other`, of the same input and line numbering. Commutative: the first lines and
    /// the first evidence are the smallest of both, so whatever order the remote ends of an
    /// input are folded in, the result is the same.
    fn absorb(&mut self, other: RuleTally) {
        self.count += other.count;
        self.undated += other.undated;
        self.first = earliest(self.first, other.first);
        self.last = latest(self.last, other.last);
        self.lines.extend(other.lines);
        self.lines.sort_unstable();
        self.lines.dedup();
        self.lines.truncate(MAX_LINES_PER_FILE);
        merge_values(&mut self.values, other.values);
        for (r, n) in other.also {
            *self.also.entry(r).or_default() += n;
        }
        self.skew.merge(other.skew);
        self.evidence = match (self.evidence.take(), other.evidence) {
            (Some(a), Some(b)) => Some(if b.0 < a.0 { b } else { a }),
            (a, b) => a.or(b),
        };
        self.timed += other.timed;
        self.buckets.merge(other.buckets);
    }
}

/// Where the events of one rule in one input are tallied: under the remote end they name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Slot {
    /// `host` or `host:port`.
    Named(String),
    /// The event names no remote end.
    NotNamed,
    /// A remote end beyond the [`MAX_REMOTES`] smallest of the input and rule.
    LeftOut,
}

impl Slot {
    fn of(fields: &BTreeMap<String, String>) -> Slot {
        super::remote_key(fields).map_or(Slot::NotNamed, Slot::Named)
    }

    /// The group a finding of this slot is in, with `--group-by remote`.
    fn group(&self) -> String {
        match self {
            Slot::Named(k) => k.clone(),
            Slot::NotNamed => super::REMOTE_NOT_NAMED.to_string(),
            Slot::LeftOut => super::REMOTES_LEFT_OUT.to_string(),
        }
    }
}

/// The events of one rule in one input, per remote end (at most [`MAX_REMOTES`] named
/// ones: the smallest, so parts append to the same set in any order), and the rule's
/// sample: the first event's whole text.
#[derive(Debug, Clone, Default)]
struct RuleSlots {
    slots: BTreeMap<Slot, RuleTally>,
    /// Line and (redacted) text of the first event that carried its text.
    sample: Option<(u64, String)>,
}

impl RuleSlots {
    /// The slot `slot` is tallied in: itself, or [`Slot::LeftOut`] when [`MAX_REMOTES`]
    /// smaller remote ends are kept (a larger kept one is moved there to make room).
    fn make_room(&mut self, slot: Slot) -> Slot {
        if !matches!(slot, Slot::Named(_)) || self.slots.contains_key(&slot) {
            return slot;
        }
        // Named slots sort before the others.
        let named = self.slots.len()
            - usize::from(self.slots.contains_key(&Slot::NotNamed))
            - usize::from(self.slots.contains_key(&Slot::LeftOut));
        if named < MAX_REMOTES {
            return slot;
        }
        let Some(largest) = self
            .slots
            .range(..Slot::NotNamed)
            .next_back()
            .map(|(k, _)| k)
        else {
            return slot;
        };
        if slot > *largest {
            return Slot::LeftOut;
        }
        let largest = largest.clone();
        if let Some(evicted) = self.slots.remove(&largest) {
            self.slots.entry(Slot::LeftOut).or_default().absorb(evicted);
        }
        slot
    }

    fn slot(&mut self, slot: Slot) -> &mut RuleTally {
        let slot = self.make_room(slot);
        self.slots.entry(slot).or_default()
    }

    /// Adds a later part of the same input, whose line numbers are shifted by `shift`.
    fn append(&mut self, later: RuleSlots, shift: u64) {
        for (slot, t) in later.slots {
            self.slot(slot).absorb(t.shifted(shift));
        }
        if self.sample.is_none() {
            self.sample = later.sample.map(|(l, t)| (l.saturating_add(shift), t));
        }
    }

    /// Every remote end's events together.
    fn total(&self) -> RuleTally {
        let mut all = RuleTally::default();
        for t in self.slots.values() {
            all.absorb(t.clone());
        }
        all
    }
}

/// The aggregation sink of one input (or one part of it): what its events show, bounded.
#[derive(Debug, Clone)]
pub struct InputTally {
    product: Option<Product>,
    redact: bool,
    /// The input's zone, to place times without an offset on the timeline.
    zone: TimeZone,
    /// Restarts and upgrades (events of marker rules), bounded; not events.
    markers: MarkerSet,
    rules: BTreeMap<usize, RuleSlots>,
    links: LinkObservations,
    events: u64,
    /// Events left out because they carry no time and a time window was asked for.
    left_out_undated: u64,
}

impl InputTally {
    /// An empty tally for an input of `product` whose times without an offset are in
    /// `zone`; `redact` scrubs secrets from what it keeps.
    pub fn new(product: Option<Product>, redact: bool, zone: &TimeZone) -> Self {
        InputTally {
            product,
            redact,
            zone: zone.clone(),
            markers: MarkerSet::default(),
            rules: BTreeMap::new(),
            links: LinkObservations::default(),
            events: 0,
            left_out_undated: 0,
        }
    }

    /// How many events were observed.
    pub fn events(&self) -> u64 {
        self.events
    }

    /// Counts an event left out because it has no time (`--since`/`--until`).
    pub fn leave_out_undated(&mut self) {
        self.left_out_undated += 1;
    }

    /// Observes one event. An event of a lifecycle marker rule is a marker, not an event:
    /// kept (bounded) when it has a time of its own, else dropped.
    pub fn observe(&mut self, catalog: &Catalog, e: &Observation) {
        let rule = catalog.rule(e.rule);
        if let Some(kind) = rule.marker {
            if let (Some(t), false) = (e.time, e.dated_by_mtime) {
                self.markers.add(MarkerRecord::new(
                    t.resolved(&self.zone),
                    e.line,
                    &rule.id,
                    kind,
                    &e.fields,
                ));
            }
            return;
        }
        self.events += 1;
        let slots = self.rules.entry(e.rule).or_default();
        if slots.sample.is_none()
            && let Some(text) = &e.text
        {
            slots.sample = Some((e.line, scrub(text, self.redact)));
        }
        let t = slots.slot(Slot::of(&e.fields));
        if t.evidence.is_none() {
            t.evidence = Some((e.line, scrub(&e.evidence, self.redact)));
        }
        if let Some(time) = e.time {
            t.timed += 1;
            t.buckets.add(
                timeline::epoch_millis(&time.resolved(&self.zone)).div_euclid(1000),
                1,
            );
        }
        t.count += 1;
        if e.time.is_none() || e.dated_by_mtime {
            t.undated += 1;
        }
        t.first = earliest(t.first, e.time);
        t.last = latest(t.last, e.time);
        if t.lines.len() < MAX_LINES_PER_FILE {
            t.lines.push(e.line);
        }
        for key in COUNTED_FIELDS {
            if let Some(v) = e.fields.get(key) {
                let counts = t
                    .values
                    .entry(key.to_string())
                    .or_insert_with(|| BoundedMap::new(MAX_DISTINCT_VALUES));
                count(counts, scrub(v, self.redact), 1);
            }
        }
        for &a in &e.also {
            *t.also.entry(a).or_default() += 1;
        }
        if e.dated_by_mtime {
            // A file's modification time says nothing about clocks.
            let mut undated = e.clone();
            undated.time = None;
            t.skew.observe(&undated);
        } else {
            t.skew.observe(e);
        }
        self.links
            .observe(self.product, &catalog.rule(e.rule).id, e);
    }

    /// Adds the tally of the next part of the same input, whose line numbers count from its
    /// own start: they are shifted by `shift` (the lines of the parts before).
    pub fn append(&mut self, later: InputTally, shift: u64) {
        self.events += later.events;
        self.left_out_undated += later.left_out_undated;
        self.markers.merge(later.markers.map(|mut m| {
            m.line = m.line.saturating_add(shift);
            m
        }));
        for (r, t) in later.rules {
            self.rules.entry(r).or_default().append(t, shift);
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
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FindingTally {
    count: u64,
    undated: u64,
    first: Option<LogTime>,
    last: Option<LogTime>,
    files: Vec<FileHits>,
    products: BTreeSet<Product>,
    nodes: BTreeSet<String>,
    values: Values,
    /// Other rules that matched, by rule id.
    also: BTreeMap<String, u64>,
    skew: SkewObservations,
    /// The sample of the first file (in [`path_order`]) that has one.
    sample: Option<Sample>,
    /// Events per remote end (`host` or `host:port`), the smallest [`MAX_REMOTES`].
    remotes: BoundedCounts<String>,
    /// Events that name no remote end.
    remote_not_named: u64,
}

impl Default for FindingTally {
    fn default() -> Self {
        FindingTally {
            count: 0,
            undated: 0,
            first: None,
            last: None,
            files: Vec::new(),
            products: BTreeSet::new(),
            nodes: BTreeSet::new(),
            values: Values::new(),
            also: BTreeMap::new(),
            skew: SkewObservations::default(),
            sample: None,
            remotes: BoundedMap::new(MAX_REMOTES),
            remote_not_named: 0,
        }
    }
}

impl FindingTally {
    fn merge(&mut self, other: FindingTally) {
        self.count += other.count;
        self.undated += other.undated;
        self.first = earliest(self.first, other.first);
        self.last = latest(self.last, other.last);
        self.files.extend(other.files);
        self.products.extend(other.products);
        self.nodes.extend(other.nodes);
        merge_values(&mut self.values, other.values);
        for (a, n) in other.also {
            *self.also.entry(a).or_default() += n;
        }
        self.skew.merge(other.skew);
        self.sample = match (self.sample.take(), other.sample) {
            (Some(a), Some(b)) => Some(
                if path_order(&b.path, &a.path)
                    .then(b.line.cmp(&a.line))
                    .is_lt()
                {
                    b
                } else {
                    a
                },
            ),
            (a, b) => a.or(b),
        };
        merge_counts(&mut self.remotes, other.remotes);
        self.remote_not_named += other.remote_not_named;
    }

    fn is_within_caps(&self) -> bool {
        self.remotes.is_within_cap()
            && self.remotes.cap() == MAX_REMOTES
            && self.values.values().all(BoundedMap::is_within_cap)
            && self
                .files
                .iter()
                .all(|f| f.lines.len() <= MAX_LINES_PER_FILE)
    }
}

/// Everything a report is built from: findings per (group, rule id), sources, node rows,
/// link observations, warnings and counts. Merging is associative and commutative; the
/// order-dependent parts are ordered when the report is made.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Tallies {
    /// Per (group, rule id).
    #[serde(with = "super::bounded::entries")]
    findings: BTreeMap<(Option<String>, String), FindingTally>,
    sources: Vec<SourceReport>,
    /// Node × cause rows; `-` for inputs without a node.
    nodes: BTreeMap<String, NodeCauses>,
    any_node: bool,
    /// Findings are grouped per remote end (`--group-by remote`): at most [`MAX_REMOTES`]
    /// named remote ends per rule are kept as groups (the smallest), the others' events are
    /// counted in the group [`REMOTES_LEFT_OUT`].
    by_remote: bool,
    /// Events per product and rule id (`-`: no product), for the metrics.
    products: BTreeMap<String, BTreeMap<String, usize>>,
    links: LinkObservations,
    events: u64,
    bytes: u64,
    lines: u64,
    by_severity: BTreeMap<Severity, usize>,
    warnings: Vec<Warning>,
    /// Inputs that were read (not skipped).
    read: usize,
    /// Events left out for having no time while a time window was asked for.
    left_out_undated: u64,
    /// Timeline lanes per (node, product, rule id).
    #[serde(with = "super::bounded::entries")]
    timeline: BTreeMap<(Option<String>, Option<Product>, String), LaneTally>,
    /// Lifecycle markers per (node, product).
    #[serde(with = "super::bounded::entries")]
    markers: BTreeMap<(Option<String>, Option<Product>), MarkerSet>,
}

impl Tallies {
    /// Adds `other` into `self`.
    pub fn merge(&mut self, other: Tallies) {
        for (key, f) in other.findings {
            match self.findings.get_mut(&key) {
                Some(mine) => mine.merge(f),
                None => {
                    self.findings.insert(key, f);
                }
            }
        }
        self.sources.extend(other.sources);
        for (node, row) in other.nodes {
            match self.nodes.get_mut(&node) {
                Some(mine) => {
                    mine.events += row.events;
                    for p in row.products {
                        if !mine.products.contains(&p) {
                            mine.products.push(p);
                        }
                    }
                    mine.products.sort();
                    for (r, n) in row.causes {
                        *mine.causes.entry(r).or_default() += n;
                    }
                }
                None => {
                    self.nodes.insert(node, row);
                }
            }
        }
        self.any_node |= other.any_node;
        self.by_remote |= other.by_remote;
        for (product, causes) in other.products {
            let mine = self.products.entry(product).or_default();
            for (r, n) in causes {
                *mine.entry(r).or_default() += n;
            }
        }
        self.links.merge(other.links);
        self.events += other.events;
        self.bytes += other.bytes;
        self.lines += other.lines;
        for (s, n) in other.by_severity {
            *self.by_severity.entry(s).or_default() += n;
        }
        self.warnings.extend(other.warnings);
        self.read += other.read;
        self.left_out_undated += other.left_out_undated;
        for (key, lane) in other.timeline {
            match self.timeline.get_mut(&key) {
                Some(mine) => mine.merge(lane),
                None => {
                    self.timeline.insert(key, lane);
                }
            }
        }
        for (key, set) in other.markers {
            match self.markers.get_mut(&key) {
                Some(mine) => mine.merge(set),
                None => {
                    self.markers.insert(key, set);
                }
            }
        }
        if self.by_remote {
            self.cap_remote_groups();
        }
    }

    /// Keeps, per rule, the [`MAX_REMOTES`] smallest named remote ends as groups and moves
    /// the others into the [`REMOTES_LEFT_OUT`] group. A remote end kept in the end is among
    /// the smallest of every tally that saw it, so its group is complete whatever the order
    /// tallies are merged in.
    fn cap_remote_groups(&mut self) {
        let mut named: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (group, rule) in self.findings.keys() {
            if let Some(g) = group
                && g != REMOTE_NOT_NAMED
                && g != REMOTES_LEFT_OUT
            {
                named.entry(rule.as_str()).or_default().push(g.as_str());
            }
        }
        let evict: Vec<(String, String)> = named
            .into_iter()
            .flat_map(|(rule, groups)| {
                groups
                    .into_iter()
                    .skip(MAX_REMOTES)
                    .map(move |g| (g.to_string(), rule.to_string()))
            })
            .collect();
        for (group, rule) in evict {
            if let Some(mut f) = self.findings.remove(&(Some(group), rule.clone())) {
                f.remotes = BoundedMap::new(MAX_REMOTES);
                self.findings
                    .entry((Some(REMOTES_LEFT_OUT.to_string()), rule))
                    .or_default()
                    .merge(f);
            }
        }
    }

    /// How many inputs were read (not skipped).
    pub fn inputs_read(&self) -> usize {
        self.read
    }

    /// Puts what order does not matter for in a canonical order (warnings sorted, once
    /// each), as a partial report is written.
    pub fn normalize(&mut self) {
        self.warnings.sort();
        self.warnings.dedup();
    }

    /// Checks what a partial report file holds against the bounds a scan keeps, and the
    /// rule ids against the catalog: `Err` names the first problem.
    pub fn check(&self, catalog: &Catalog) -> Result<(), String> {
        for ((_, rule), f) in &self.findings {
            if catalog.find(rule).is_none() {
                return Err(format!("finding of unknown rule `{rule}`"));
            }
            if let Some(a) = f.also.keys().find(|a| catalog.find(a).is_none()) {
                return Err(format!("`also matched` names unknown rule `{a}`"));
            }
            if !f.is_within_caps() {
                return Err(format!("finding `{rule}` holds more than a scan keeps"));
            }
        }
        if !self.links.is_within_caps() {
            return Err("link observations hold more than a scan keeps".into());
        }
        for ((_, _, rule), lane) in &self.timeline {
            if catalog.find(rule).is_none() {
                return Err(format!("timeline of unknown rule `{rule}`"));
            }
            if !lane.buckets.is_valid() {
                return Err(format!(
                    "timeline of `{rule}` holds buckets a scan does not make"
                ));
            }
        }
        for set in self.markers.values() {
            if !set.is_valid(|r| catalog.find(r).is_some()) {
                return Err(
                    "lifecycle markers hold more than a scan keeps, or an unknown rule".into(),
                );
            }
        }
        Ok(())
    }
}

/// Makes one input's tallies, with what they depend on of the report (its catalog and
/// grouping) and nothing else: a worker makes them for the input it scanned, and the
/// report only merges them, in input order ([`ReportBuilder::add_input`]).
#[derive(Clone, Copy)]
pub struct InputTallier<'c> {
    catalog: &'c Catalog,
    group_by: GroupBy,
}

impl InputTallier<'_> {
    /// The group key of an input under `--group-by` (`-` without a node or product).
    fn group_key(&self, input: &InputInfo) -> Option<String> {
        match self.group_by {
            GroupBy::Cause => None,
            GroupBy::Node => Some(input.node.unwrap_or("-").to_string()),
            GroupBy::Product => Some(input.product.map_or("-", |p| p.name()).to_string()),
            // Per event: see `add_input`.
            GroupBy::Remote => None,
        }
    }

    /// One input's tallies, to merge into the report's: what reading it showed and the
    /// tally of its events. Times without an offset get the one of the input's zone.
    pub fn tallies(&self, input: &InputInfo, stats: InputStats, tally: InputTally) -> Tallies {
        let zone = input.zone;
        let resolve = |t: Option<LogTime>| t.map(|t| t.resolved(zone));
        let mut one = Tallies {
            bytes: stats.bytes,
            lines: stats.lines,
            events: tally.events,
            read: usize::from(!stats.skipped),
            warnings: stats.warnings,
            left_out_undated: tally.left_out_undated,
            any_node: input.node.is_some(),
            by_remote: self.group_by == GroupBy::Remote,
            links: tally.links,
            ..Tallies::default()
        };
        let place = (input.node.map(str::to_string), input.product);
        if !tally.markers.is_empty() {
            let path = input.path.to_string();
            one.markers.insert(
                place.clone(),
                tally.markers.map(|mut m| {
                    m.path.clone_from(&path);
                    m
                }),
            );
        }
        one.sources.push(SourceReport {
            path: input.path.to_string(),
            product: input.product,
            role: input.role,
            node: input.node.map(str::to_string),
            bytes: stats.bytes,
            lines: stats.lines,
            events: to_usize(tally.events),
            first_time: resolve(stats.first_time),
            last_time: resolve(stats.last_time),
            skipped: stats.skipped,
        });
        let group = self.group_key(input);
        let node = input.node.unwrap_or("-").to_string();
        let mut row = NodeCauses {
            node: node.clone(),
            products: input.product.into_iter().collect(),
            events: to_usize(tally.events),
            causes: BTreeMap::new(),
        };
        for (r, slots) in tally.rules {
            let rule = self.catalog.rule(r);
            let t = slots.total();
            *row.causes.entry(rule.id.clone()).or_default() += to_usize(t.count);
            *one.products
                .entry(input.product.map_or("-", |p| p.name()).to_string())
                .or_default()
                .entry(rule.id.clone())
                .or_default() += to_usize(t.count);
            *one.by_severity.entry(rule.severity).or_default() += to_usize(t.count);
            if t.timed > 0 {
                one.timeline.insert(
                    (place.0.clone(), place.1, rule.id.clone()),
                    LaneTally {
                        events: t.timed,
                        first: resolve(t.first),
                        last: resolve(t.last),
                        buckets: t.buckets.clone(),
                    },
                );
            }
            let finding = |t: RuleTally, sample: Option<(u64, String)>| {
                let mut f = FindingTally {
                    count: t.count,
                    undated: t.undated,
                    first: resolve(t.first),
                    last: resolve(t.last),
                    files: vec![FileHits {
                        path: input.path.to_string(),
                        count: to_usize(t.count),
                        lines: t.lines,
                    }],
                    products: input.product.into_iter().collect(),
                    nodes: input.node.map(str::to_string).into_iter().collect(),
                    values: t.values,
                    also: t
                        .also
                        .into_iter()
                        .map(|(a, n)| (self.catalog.rule(a).id.clone(), n))
                        .collect(),
                    skew: t.skew,
                    sample: sample.map(|(line, text)| Sample {
                        path: input.path.to_string(),
                        line,
                        text,
                    }),
                    ..FindingTally::default()
                };
                for (slot, st) in &slots.slots {
                    match slot {
                        Slot::Named(k) => count(&mut f.remotes, k.clone(), st.count),
                        Slot::NotNamed => f.remote_not_named += st.count,
                        Slot::LeftOut => {}
                    }
                }
                f
            };
            if self.group_by == GroupBy::Remote {
                for (slot, st) in &slots.slots {
                    // The rule's sample when it is this remote end's first event, else the
                    // line that carries the match of that first event.
                    let sample = match (&slots.sample, &st.evidence) {
                        (Some(s), Some(e)) if s.0 == e.0 => Some(s.clone()),
                        (_, e) => e.clone(),
                    };
                    let mut f = finding(st.clone(), sample);
                    f.remotes = BoundedMap::new(MAX_REMOTES);
                    f.remote_not_named = 0;
                    match slot {
                        Slot::Named(k) => count(&mut f.remotes, k.clone(), st.count),
                        Slot::NotNamed => f.remote_not_named = st.count,
                        Slot::LeftOut => {}
                    }
                    one.findings
                        .insert((Some(slot.group()), rule.id.clone()), f);
                }
            } else {
                let f = finding(t, slots.sample.clone());
                one.findings.insert((group.clone(), rule.id.clone()), f);
            }
        }
        one.nodes.insert(node, row);
        one
    }
}

/// Builds the report from the inputs, added in any order.
pub struct ReportBuilder<'c> {
    catalog: &'c Catalog,
    group_by: GroupBy,
    tallies: Tallies,
}

impl<'c> ReportBuilder<'c> {
    pub fn new(catalog: &'c Catalog, group_by: GroupBy) -> Self {
        ReportBuilder {
            catalog,
            group_by,
            tallies: Tallies::default(),
        }
    }

    /// A builder holding `tallies` (from partial reports).
    pub fn from_tallies(catalog: &'c Catalog, group_by: GroupBy, tallies: Tallies) -> Self {
        ReportBuilder {
            catalog,
            group_by,
            tallies,
        }
    }

    /// Warnings that belong to no input (discovery, rule loading).
    pub fn add_warnings(&mut self, warnings: impl IntoIterator<Item = Warning>) {
        self.tallies.warnings.extend(warnings);
    }

    /// How many inputs were read so far (not skipped).
    pub fn inputs_read(&self) -> usize {
        self.tallies.read
    }

    /// What the builder holds, for a partial report.
    pub fn into_tallies(self) -> Tallies {
        let mut t = self.tallies;
        t.normalize();
        t
    }

    /// What makes an input's tallies for this builder (see [`InputTallier`]).
    pub fn tallier(&self) -> InputTallier<'c> {
        InputTallier {
            catalog: self.catalog,
            group_by: self.group_by,
        }
    }

    /// Adds one input: what reading it showed and the tally of its events. Times without
    /// an offset get the one of the input's zone.
    pub fn add_input(&mut self, input: &InputInfo, stats: InputStats, tally: InputTally) {
        let one = self.tallier().tallies(input, stats, tally);
        self.tallies.merge(one);
    }

    /// Merges the tallies of a partial report in.
    pub fn merge(&mut self, tallies: Tallies) {
        self.tallies.merge(tallies);
    }

    /// The report, with `meta` on top.
    pub fn finish(self, meta: ReportMeta) -> Report {
        let catalog = self.catalog;
        let t = self.tallies;
        let mut findings: Vec<Finding> = t
            .findings
            .into_iter()
            .filter_map(|((group, r), f)| build_finding(catalog, group, &r, f))
            .collect();
        findings.sort_by(|a, b| {
            a.group
                .cmp(&b.group)
                .then(b.severity.cmp(&a.severity))
                .then(b.count.cmp(&a.count))
                .then(a.rule.cmp(&b.rule))
        });
        let mut warnings = t.warnings;
        warnings.sort();
        warnings.dedup();
        let mut sources = t.sources;
        sources.sort_by(|a, b| path_order(&a.path, &b.path));
        let summary = Summary {
            inputs: sources.len(),
            bytes: t.bytes,
            lines: t.lines,
            events: to_usize(t.events),
            undated_events: findings.iter().map(|f| f.undated_events).sum(),
            undated_left_out: to_usize(t.left_out_undated),
            findings: findings.len(),
            warnings: warnings.len(),
            by_severity: t.by_severity,
            highest_severity: findings.iter().map(|f| f.severity).max(),
        };
        let timeline = t
            .timeline
            .into_iter()
            .filter(|((_, _, rule), _)| catalog.find(rule).is_some())
            .filter_map(|(key, lane)| timeline::lane(key, lane))
            .collect();
        let mut markers = Vec::new();
        let mut markers_left_out = 0;
        for ((node, product), set) in t.markers {
            let (records, left_out) = set.into_sorted();
            markers_left_out += to_usize(left_out);
            markers.extend(timeline::node_markers(node, product, records, |id| {
                catalog
                    .find(id)
                    .map_or_else(|| id.to_string(), |r| catalog.rule(r).title.clone())
            }));
        }
        Report {
            meta,
            summary,
            timeline,
            markers,
            markers_left_out,
            findings,
            sources,
            links: t.links.pairs(),
            node_summary: if t.any_node {
                t.nodes.into_values().collect()
            } else {
                Vec::new()
            },
            group_by: self.group_by,
            warnings,
            product_causes: t.products,
        }
    }
}

fn build_finding(
    catalog: &Catalog,
    group: Option<String>,
    id: &str,
    f: FindingTally,
) -> Option<Finding> {
    let rule = catalog.rule(catalog.find(id)?);
    let clock_skew = f.skew.estimate();
    let mut facts = Vec::new();
    if let Some(est) = &clock_skew {
        facts.push(format!("Clock difference: {}.", skew::describe(est)));
    }
    if f.undated > 0 {
        facts.push(if f.undated == f.count {
            "No event carries a time of its own: first and last seen are unknown.".to_string()
        } else {
            format!(
                "{} of {} events carry no time of their own: first and last seen cover the others.",
                f.undated, f.count
            )
        });
    }
    let mut also_matched: Vec<AlsoMatched> = f
        .also
        .into_iter()
        .map(|(rule, count)| AlsoMatched {
            rule,
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
            (k, map)
        })
        .collect();
    let mut files = f.files;
    files.sort_by(|a, b| path_order(&a.path, &b.path));
    // One entry per file: with `--group-by remote`, the events of one file can reach the
    // group of remote ends left out from several groups.
    files.dedup_by(|later, kept| {
        if later.path != kept.path {
            return false;
        }
        kept.count += later.count;
        kept.lines.append(&mut later.lines);
        kept.lines.sort_unstable();
        kept.lines.dedup();
        kept.lines.truncate(MAX_LINES_PER_FILE);
        true
    });
    let symptoms: Vec<Symptom> = also_matched
        .iter()
        .filter_map(|a| {
            let r = catalog.rule(catalog.find(&a.rule)?);
            r.catch_all.then(|| Symptom {
                rule: r.id.clone(),
                title: r.title.clone(),
                count: a.count,
            })
        })
        .collect();
    let context = (!symptoms.is_empty() && !rule.catch_all).then(|| {
        let titles: Vec<&str> = symptoms.iter().map(|s| s.title.as_str()).collect();
        format!("{}, because: {}", titles.join("; "), rule.title)
    });
    let remotes = (rule.remote != RemoteKind::None).then(|| {
        let mut ends: Vec<RemoteCount> = f
            .remotes
            .into_map()
            .into_iter()
            .map(|(remote, n)| RemoteCount {
                remote,
                count: to_usize(n),
            })
            .collect();
        ends.sort_by(|a, b| b.count.cmp(&a.count).then(a.remote.cmp(&b.remote)));
        let listed: u64 = ends.iter().map(|e| e.count as u64).sum();
        Remotes {
            kind: rule.remote.name(),
            ends,
            not_listed: to_usize(f.count.saturating_sub(listed + f.remote_not_named)),
            not_named: to_usize(f.remote_not_named),
        }
    });
    Some(Finding {
        group,
        rule: rule.id.clone(),
        title: rule.title.clone(),
        category: rule.category.name(),
        severity: rule.severity,
        count: to_usize(f.count),
        first_seen: f.first,
        last_seen: f.last,
        undated_events: to_usize(f.undated),
        products: f.products.into_iter().collect(),
        nodes: f.nodes.into_iter().collect(),
        files,
        values,
        clock_skew,
        facts,
        cause: rule.cause.clone(),
        remediation: rule.remediation.clone(),
        references: rule.references.clone(),
        also_matched,
        remotes,
        symptoms,
        context,
        sample: f.sample,
    })
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::partial::ReportMeta;

    /// Report metadata for tests: scanned at the epoch, no time window, undated left out.
    fn meta_at_epoch(catalog: &Catalog, zone: &TimeZone) -> ReportMeta {
        ReportMeta::new(
            catalog,
            jiff::Timestamp::from_second(0).unwrap(),
            zone,
            (None, None),
            super::super::Undated::LeftOut,
        )
    }

    #[test]
    fn paths_order_folder_by_folder() {
        assert!(path_order("a/b.log", "a-x/c.log").is_lt());
        assert!(path_order("x.zip!a/b.log", "x.zip!b.log").is_lt());
        assert!(path_order("a/b.log", "a/b.log").is_eq());
    }

    #[test]
    fn markers_are_not_events_and_lanes_are_per_node() {
        let (catalog, errors) = crate::rules::load_catalog(&[]);
        assert!(errors.is_empty(), "{errors:?}");
        let marker = catalog.find("lifecycle-tomcat-started").unwrap();
        let failure = catalog.find("network-connection-refused").unwrap();
        let zone = TimeZone::UTC;
        let obs = |line, at: &str, rule| Observation {
            line,
            time: LogTime::parse(at),
            rule,
            also: vec![],
            fields: BTreeMap::new(),
            side: crate::model::Side::default(),
            evidence: "x".into(),
            text: None,
            dated_by_mtime: false,
        };
        let mut b = ReportBuilder::new(&catalog, GroupBy::Cause);
        for (path, node, first) in [
            ("b.log", "n2", "2024-03-05T12:30:00"),
            ("a.log", "n1", "2024-03-05T10:05:00"),
        ] {
            let mut t = InputTally::new(Some(Product::Jira), true, &zone);
            t.observe(&catalog, &obs(1, "2024-03-05T10:00:00", marker));
            t.observe(&catalog, &obs(2, first, failure));
            t.observe(&catalog, &obs(3, "2024-03-05T13:00:00", failure));
            // A marker without a time cannot be placed: dropped.
            t.observe(&catalog, &obs(4, "not a time", marker));
            let info = InputInfo {
                path,
                product: Some(Product::Jira),
                node: Some(node),
                role: None,
                zone: &zone,
            };
            b.add_input(&info, InputStats::default(), t);
        }
        let r = b.finish(meta_at_epoch(&catalog, &zone));
        assert_eq!(r.summary.events, 4, "markers are not events");
        assert_eq!(r.findings.len(), 1);
        assert_eq!(r.markers.len(), 2);
        assert_eq!(r.markers[0].node.as_deref(), Some("n1"));
        assert_eq!(r.markers[0].path, "a.log");
        assert_eq!(r.timeline.len(), 2);
        let n1 = &r.timeline[0];
        assert_eq!(n1.node.as_deref(), Some("n1"));
        assert_eq!(n1.first.to_string(), "2024-03-05T10:05:00.000+00:00");
        assert_eq!(
            r.timeline[1].first.to_string(),
            "2024-03-05T12:30:00.000+00:00"
        );
        let buckets: Vec<(String, usize)> = n1
            .buckets
            .iter()
            .map(|b| (b.start.to_string(), b.events))
            .collect();
        assert_eq!(
            buckets,
            [
                ("2024-03-05T10:00:00.000+00:00".to_string(), 1),
                ("2024-03-05T13:00:00.000+00:00".to_string(), 1)
            ]
        );
    }

    /// One input of 150 events at 100 remote ends (more than are kept), observed whole or
    /// in parts appended in order: the same findings, by cause and by remote.
    #[test]
    fn remote_ends_are_the_same_whatever_the_parts() {
        let (catalog, errors) = crate::rules::load_catalog(&[]);
        assert!(errors.is_empty(), "{errors:?}");
        let rule = catalog.find("network-connection-refused").unwrap();
        let zone = TimeZone::UTC;
        let obs = |line: u64| {
            let mut fields = BTreeMap::new();
            // Remote ends in a scrambled order; every tenth event names none.
            if !line.is_multiple_of(10) {
                fields.insert(
                    "remote_host".to_string(),
                    format!("h{:03}.example.com", (line * 37) % 100),
                );
                fields.insert("remote_port".to_string(), "443".to_string());
            }
            Observation {
                line,
                time: LogTime::parse("2024-03-05T10:00:00"),
                rule,
                also: vec![],
                fields,
                side: crate::model::Side::default(),
                evidence: format!("evidence {line}"),
                text: (line == 1).then(|| "whole event 1".to_string()),
                dated_by_mtime: false,
            }
        };
        let report = |cuts: &[u64], group_by: GroupBy| {
            let mut whole: Option<InputTally> = None;
            let mut bounds = vec![0u64];
            bounds.extend_from_slice(cuts);
            bounds.push(150);
            for w in bounds.windows(2) {
                let mut part = InputTally::new(Some(Product::Jira), true, &zone);
                for line in w[0] + 1..=w[1] {
                    let mut e = obs(line);
                    e.line -= w[0];
                    if line != w[0] + 1 {
                        e.text = None;
                    }
                    part.observe(&catalog, &e);
                }
                match whole.as_mut() {
                    None => whole = Some(part),
                    Some(t) => t.append(part, w[0]),
                }
            }
            let info = InputInfo {
                path: "a.log",
                product: Some(Product::Jira),
                node: None,
                role: None,
                zone: &zone,
            };
            let mut b = ReportBuilder::new(&catalog, group_by);
            b.add_input(&info, InputStats::default(), whole.unwrap());
            let r = b.finish(meta_at_epoch(&catalog, &zone));
            serde_json::to_string(&r.findings).unwrap()
        };
        for group_by in [GroupBy::Cause, GroupBy::Remote] {
            let one = report(&[], group_by);
            for cuts in [&[75u64][..], &[10, 20, 140], &[1, 2, 3, 149]] {
                assert_eq!(one, report(cuts, group_by), "{group_by:?} cut at {cuts:?}");
            }
        }
        let by_cause: serde_json::Value =
            serde_json::from_str(&report(&[], GroupBy::Cause)).unwrap();
        let remotes = &by_cause[0]["remotes"];
        assert_eq!(remotes["kind"], "applink");
        assert_eq!(remotes["not_named"], 15);
        assert_eq!(remotes["ends"].as_array().unwrap().len(), MAX_REMOTES);
        assert_eq!(
            remotes["not_listed"].as_u64().unwrap()
                + remotes["ends"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| e["count"].as_u64().unwrap())
                    .sum::<u64>(),
            135
        );
        let by_remote: serde_json::Value =
            serde_json::from_str(&report(&[], GroupBy::Remote)).unwrap();
        let groups: Vec<&str> = by_remote
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["group"].as_str().unwrap())
            .collect();
        assert_eq!(groups.len(), MAX_REMOTES + 2);
        assert!(groups.contains(&"-") && groups.contains(&"(other remote ends)"));
        assert!(groups.contains(&"h001.example.com:443"));
        // The first event keeps its whole text; other groups show their first matching line.
        let first = by_remote
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["sample"]["line"] == 1)
            .unwrap();
        assert_eq!(first["sample"]["text"], "whole event 1");
    }

    #[test]
    fn equal_instants_pick_the_same_time_whatever_the_order() {
        let a = LogTime::parse("2024-01-01T01:00:00.000+01:00").unwrap();
        let b = LogTime::parse("2024-01-01T00:00:00.000+00:00").unwrap();
        assert_eq!(earliest(Some(a), Some(b)), earliest(Some(b), Some(a)));
        assert_eq!(latest(Some(a), Some(b)), latest(Some(b), Some(a)));
    }
}
