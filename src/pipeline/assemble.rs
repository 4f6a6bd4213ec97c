//! Putting the parts back in order. Parts are scanned in parallel and finish in any order;
//! the assembler takes them in task order, so that the parts of an input join with the right
//! line numbers, NDJSON events are written in input order (byte-identical whatever the
//! thread count), each input is added to the report once all its parts are in, and the
//! `--state` entry of each input is recorded. Finished parts that wait for an earlier one
//! hold only their bounded tally and their spool (which moves to disk when large).

use super::plan::{Part, Plan};
use super::resume::Incremental;
use super::spool::Spool;
use super::{Discovered, Shared};
use crate::report::aggregate::{InputStats, InputTallier, Tallies, add_part_warnings};
use crate::report::{InputTally, ReportBuilder};
use crate::scan::PartStats;
use std::collections::{BTreeMap, HashSet};
use std::io::{self, Write};

/// One scanned part.
pub struct PartDone<'a> {
    pub stats: PartStats,
    pub tally: InputTally,
    pub spool: Option<Spool<'a>>,
}

/// A scanned part, as the assembler takes it: one part of an input, or an input read in one
/// part, already made into what the report adds ([`Assembler::prepare`], on the worker that
/// scanned it, so that the assembler's lock is held only to add it in order).
pub enum Finished<'a> {
    Part(PartDone<'a>),
    Input(PreparedInput<'a>),
}

/// An input read in one part, ready to add.
pub struct PreparedInput<'a> {
    /// What the report adds for it.
    tallies: Tallies,
    /// Its `--state` entry: first offset and line, bytes and lines read (`None`: skipped).
    record: Option<(u64, u64, u64, u64)>,
    /// Its NDJSON events, and the line shift to write them with (`None`: skipped).
    spool: Option<(Spool<'a>, u64)>,
}

/// Which input a task reads, and where the part stands among the input's parts.
#[derive(Debug, Clone, Copy)]
pub struct TaskOf {
    pub input: usize,
    pub first: bool,
    pub last: bool,
}

/// One part to scan, and where it stands.
#[derive(Debug)]
pub struct Task {
    pub of: TaskOf,
    pub part: Part,
}

/// The input whose parts are being joined.
struct Joining {
    stats: InputStats,
    tally: InputTally,
    seen_warnings: HashSet<String>,
    first_line: u64,
    first_offset: u64,
}

impl Joining {
    /// Input `input`, before any of its parts.
    fn start(plans: &[Plan], found: &Discovered, redact: bool, input: usize) -> Joining {
        let plan = &plans[input];
        Joining {
            stats: InputStats::default(),
            tally: InputTally::new(found.inputs[input].product, redact, found.info(input).zone),
            seen_warnings: HashSet::new(),
            first_line: plan.first_line,
            first_offset: plan.first_offset,
        }
    }

    /// Takes the input's next part: its warnings, then (unless the input is skipped) its
    /// events, lines shifted past the parts before. Returns that shift when the part's
    /// events count, for its NDJSON spool.
    fn take(&mut self, first: bool, p: PartStats, tally: InputTally) -> Option<u64> {
        // A binary first part skips the whole input: what later parts found is dropped.
        if self.stats.skipped {
            return None;
        }
        let shift = (self.first_line - 1).saturating_add(self.stats.lines);
        if first && p.skipped {
            self.stats.skipped = true;
        }
        add_part_warnings(
            &mut self.stats.warnings,
            &mut self.seen_warnings,
            p.warnings,
            shift,
        );
        if self.stats.skipped {
            return None;
        }
        self.tally.append(tally, shift);
        self.stats.bytes += p.bytes;
        self.stats.lines += p.lines;
        self.stats.first_time = self.stats.first_time.or(p.first_time);
        self.stats.last_time = p.last_time.or(self.stats.last_time);
        Some(shift)
    }

    /// The input's `--state` entry (`None` when it was skipped).
    fn record(&self) -> Option<(u64, u64, u64, u64)> {
        (!self.stats.skipped).then_some((
            self.first_offset,
            self.first_line,
            self.stats.bytes,
            self.stats.lines,
        ))
    }
}

/// Takes finished parts in task order.
pub struct Assembler<'a, 'c, 'w> {
    tasks: &'a [Task],
    plans: &'a [Plan],
    found: &'a Discovered,
    next: usize,
    waiting: BTreeMap<usize, Finished<'a>>,
    joining: Option<Joining>,
    pub builder: ReportBuilder<'c>,
    pub incremental: Option<Incremental>,
    ndjson: Option<&'a mut (dyn Write + Send + 'w)>,
    /// The first error writing NDJSON; nothing more is written after it.
    pub write_error: Option<io::Error>,
    redact: bool,
}

impl<'a, 'c, 'w> Assembler<'a, 'c, 'w> {
    pub fn new(
        tasks: &'a [Task],
        plans: &'a [Plan],
        found: &'a Discovered,
        builder: ReportBuilder<'c>,
        incremental: Option<Incremental>,
        ndjson: Option<&'a mut (dyn Write + Send + 'w)>,
        redact: bool,
    ) -> Self {
        Assembler {
            tasks,
            plans,
            found,
            next: 0,
            waiting: BTreeMap::new(),
            joining: None,
            builder,
            incremental,
            ndjson,
            write_error: None,
            redact,
        }
    }

    /// Hands in task `i`'s part; every part now in order is joined.
    pub fn done(&mut self, i: usize, mut part: Finished<'a>) {
        if i != self.next {
            let spool = match &mut part {
                Finished::Part(p) => p.spool.as_mut(),
                Finished::Input(p) => p.spool.as_mut().map(|(s, _)| s),
            };
            if let Some(s) = spool {
                s.park();
            }
            self.waiting.insert(i, part);
            return;
        }
        self.join(i, part);
        self.next += 1;
        while let Some(part) = self.waiting.remove(&self.next) {
            self.join(self.next, part);
            self.next += 1;
        }
    }

    /// Makes task `i`'s part, when it is a whole input, into what the report adds for that
    /// input, as joining it would; on the worker that scanned it, outside the assembler's
    /// lock. Other parts are left to [`Assembler::done`].
    pub fn prepare(
        shared: &Shared,
        tallier: &InputTallier,
        i: usize,
        part: PartDone<'a>,
    ) -> Finished<'a> {
        let task = shared.tasks[i].of;
        if !(task.first && task.last) {
            return Finished::Part(part);
        }
        let found = shared.found;
        let mut j = Joining::start(shared.plans, found, shared.job.redact, task.input);
        let shift = j.take(true, part.stats, part.tally);
        let record = j.record();
        let spool = part.spool.zip(shift);
        let tallies = tallier.tallies(&found.info(task.input), j.stats, j.tally);
        Finished::Input(PreparedInput {
            tallies,
            record,
            spool,
        })
    }

    fn write_spool(&mut self, spool: Spool, shift: u64) {
        if let Some(out) = self.ndjson.as_mut()
            && self.write_error.is_none()
            && let Err(e) = spool.write_to(shift, &mut **out)
        {
            self.write_error = Some(e);
        }
    }

    fn record(&mut self, input: usize, record: Option<(u64, u64, u64, u64)>) {
        if let Some(inc) = self.incremental.as_mut()
            && let Some((offset, line, bytes, lines)) = record
        {
            inc.record(input, offset, line, bytes, lines);
        }
    }

    fn join(&mut self, i: usize, part: Finished<'a>) {
        let task = self.tasks[i].of;
        let part = match part {
            Finished::Part(part) => part,
            Finished::Input(p) => {
                if let Some((spool, shift)) = p.spool {
                    self.write_spool(spool, shift);
                }
                self.record(task.input, p.record);
                self.builder.merge(p.tallies);
                return;
            }
        };
        if task.first {
            self.joining = Some(Joining::start(
                self.plans,
                self.found,
                self.redact,
                task.input,
            ));
        }
        let Some(j) = self.joining.as_mut() else {
            return;
        };
        let shift = j.take(task.first, part.stats, part.tally);
        if let (Some(spool), Some(shift)) = (part.spool, shift) {
            self.write_spool(spool, shift);
        }
        if task.last
            && let Some(j) = self.joining.take()
        {
            self.record(task.input, j.record());
            let info = self.found.info(task.input);
            self.builder.add_input(&info, j.stats, j.tally);
        }
    }
}
