//! Putting the parts back in order. Parts are scanned in parallel and finish in any order;
//! the assembler takes them in task order, so that the parts of an input join with the right
//! line numbers, NDJSON events are written in input order (byte-identical whatever the
//! thread count), each input is added to the report once all its parts are in, and the
//! `--state` entry of each input is recorded. Finished parts that wait for an earlier one
//! hold only their bounded tally and their spool (which moves to disk when large).

use super::Discovered;
use super::plan::{Part, Plan};
use super::resume::Incremental;
use super::spool::Spool;
use crate::report::aggregate::{InputStats, add_part_warnings};
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

/// Takes finished parts in task order.
pub struct Assembler<'a, 'c, 'w> {
    tasks: &'a [Task],
    plans: &'a [Plan],
    found: &'a Discovered,
    next: usize,
    waiting: BTreeMap<usize, PartDone<'a>>,
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
    pub fn done(&mut self, i: usize, mut part: PartDone<'a>) {
        if i != self.next {
            if let Some(s) = part.spool.as_mut() {
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

    fn join(&mut self, i: usize, part: PartDone<'a>) {
        let task = self.tasks[i].of;
        let plan = &self.plans[task.input];
        if task.first {
            self.joining = Some(Joining {
                stats: InputStats::default(),
                tally: InputTally::new(
                    self.found.inputs[task.input].product,
                    self.redact,
                    self.found.info(task.input).zone,
                ),
                seen_warnings: HashSet::new(),
                first_line: plan.first_line,
                first_offset: plan.first_offset,
            });
        }
        let Some(j) = self.joining.as_mut() else {
            return;
        };
        // A binary first part skips the whole input: what later parts found is dropped.
        if !j.stats.skipped {
            let shift = (j.first_line - 1).saturating_add(j.stats.lines);
            let p = part.stats;
            if task.first && p.skipped {
                j.stats.skipped = true;
            }
            add_part_warnings(
                &mut j.stats.warnings,
                &mut j.seen_warnings,
                p.warnings,
                shift,
            );
            if !j.stats.skipped {
                if let Some(spool) = part.spool
                    && let Some(out) = self.ndjson.as_mut()
                    && self.write_error.is_none()
                    && let Err(e) = spool.write_to(shift, &mut **out)
                {
                    self.write_error = Some(e);
                }
                j.tally.append(part.tally, shift);
                j.stats.bytes += p.bytes;
                j.stats.lines += p.lines;
                j.stats.first_time = j.stats.first_time.or(p.first_time);
                j.stats.last_time = p.last_time.or(j.stats.last_time);
            }
        }
        if task.last
            && let Some(j) = self.joining.take()
        {
            if let Some(inc) = self.incremental.as_mut()
                && !j.stats.skipped
            {
                inc.record(
                    task.input,
                    j.first_offset,
                    j.first_line,
                    j.stats.bytes,
                    j.stats.lines,
                );
            }
            let info = self.found.info(task.input);
            self.builder.add_input(&info, j.stats, j.tally);
        }
    }
}
