//! The scan pipeline in one direction, as named steps: discover the inputs, plan the parts
//! to read (`plan`, with `--state` in `resume`), scan the parts on worker threads, each part
//! pushing its events into its own sink (a bounded tally, and a spool for NDJSON), and
//! assemble the parts in input order into the report (`assemble`). Used by `scan` and by
//! tests; it prints nothing itself, except the NDJSON events it is handed a writer for.
//!
//! Parallelism: every part of every input is one task, taken in order by the workers from a
//! shared counter. A big plain file is split into chunks at event heads (`source::chunk`),
//! so one 5 GB `catalina.out` keeps every core busy, while many small files are spread over
//! the workers as they are. Taking tasks in order keeps the parts waiting for an earlier one
//! few, and the assembler joins them in task order, so output is the same whatever the
//! thread count.
//!
//! With `--state`, plain files are read from where the last run stopped up to their last
//! complete line; compressed files and support-zip members are decoded and the part read
//! before is skipped. The new state is handed back, to be saved only once the report is out.

mod assemble;
mod plan;
mod resume;
mod spool;

use crate::model::{Product, Role};
use crate::report::{self, InputInfo, InputTally, Observation, Report, ReportBuilder};
use crate::rules::Catalog;
use crate::scan::{self, PartContext, PartStart, PartStats, ScanSettings};
use crate::source::chunk::DEFAULT_CHUNK_BYTES;
use crate::source::decode::{self, Decoded, ReadLimits};
use crate::source::discover::Discovery;
use crate::source::limits::Limits;
use crate::source::state::State;
use crate::source::{self, Input};
use crate::warning::Warning;
use assemble::{Assembler, PartDone, Task, TaskOf};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use jiff::tz::TimeZone;
use plan::{Part, Plan};
use resume::Incremental;
use spool::{SpillArea, Spool};
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// What to scan and how.
pub struct ScanJob<'a> {
    pub paths: &'a [String],
    pub catalog: &'a Catalog,
    /// Warnings met before the scan (rule loading); they go into the report.
    pub warnings: Vec<Warning>,
    pub threads: Option<usize>,
    pub redact: bool,
    pub progress: bool,
    pub settings: ScanSettings,
    /// Decompression limits (`--max-*`).
    pub limits: Limits,
    /// `--product`: overrides the product of every input.
    pub product: Option<Product>,
    /// Plain files over two chunks are split into chunks of about this many bytes.
    pub chunk_bytes: u64,
    /// `--state FILE`: read only what is new since the last run.
    pub state: Option<PathBuf>,
    /// Memory-map big, quiet plain files (`--mmap`; never with a state, whose files are
    /// live).
    pub mmap: bool,
    /// `--group-by`.
    pub group_by: report::GroupBy,
    /// `--shard I/N`: scan only this shard's share of the inputs.
    pub shard: Option<source::shard::Shard>,
    /// `--node-from` / `--fleet-root`.
    pub node_from: source::node::NodeFrom,
    /// `--undated`: what a time window does with events without a time.
    pub undated: report::Undated,
    /// When the scan started (the report's `scanned_at`).
    pub started: jiff::Timestamp,
    /// The inputs, when they were found before the job was made (see [`discover_while`]).
    pub discovered: Option<FoundAhead>,
}

/// Inputs found before the scan job was made, and the worker pool that found them, which
/// the scan goes on with (see [`discover_while`]).
pub struct FoundAhead {
    discovery: Discovery,
    pool: rayon::ThreadPool,
}

impl<'a> ScanJob<'a> {
    /// A job with default limits, chunking and no state.
    pub fn new(paths: &'a [String], catalog: &'a Catalog) -> Self {
        ScanJob {
            paths,
            catalog,
            warnings: Vec::new(),
            threads: None,
            redact: true,
            progress: false,
            settings: ScanSettings::default(),
            limits: Limits::default(),
            product: None,
            chunk_bytes: DEFAULT_CHUNK_BYTES,
            state: None,
            mmap: false,
            group_by: report::GroupBy::Cause,
            shard: None,
            node_from: source::node::NodeFrom::Detect,
            undated: report::Undated::default(),
            started: report::partial::scan_time(),
            discovered: None,
        }
    }

    /// The report's header for this job.
    pub fn meta(&self) -> report::ReportMeta {
        let w = &self.settings.window;
        report::ReportMeta::new(
            self.catalog,
            self.started,
            &w.zone,
            (w.since, w.until),
            self.undated,
        )
    }
}

/// Fatal problems: the scan cannot run at all.
#[derive(Debug)]
pub struct Fatal(pub String);

impl std::fmt::Display for Fatal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The state to save once the report is out.
#[derive(Debug)]
pub struct PendingState {
    pub path: PathBuf,
    pub state: State,
}

impl PendingState {
    pub fn save(&self) -> Result<(), Fatal> {
        self.state.save(&self.path).map_err(|e| {
            Fatal(format!(
                "cannot write state file {}: {e}",
                self.path.display()
            ))
        })
    }
}

fn progress_bar(inputs: &[Input], enabled: bool) -> ProgressBar {
    if !enabled {
        return ProgressBar::hidden();
    }
    let total: u64 = inputs.iter().filter_map(|i| i.size).sum();
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} ({bytes_per_sec})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

/// What one part's events go to: the input's bounded tally and, for NDJSON, its spool.
struct PartSink<'a> {
    catalog: &'a Catalog,
    input: InputInfo<'a>,
    redact: bool,
    tally: InputTally,
    spool: Option<Spool<'a>>,
    /// With a time window: what to do with events without a time, and the window.
    undated: Option<(report::Undated, &'a scan::window::TimeWindow)>,
    /// The input's modification time, for `--undated file-mtime`.
    mtime: Option<crate::model::LogTime>,
}

impl scan::Sink for PartSink<'_> {
    fn prepare(&mut self) {
        if self.redact {
            report::redact::prepare();
        }
    }

    fn event(&mut self, mut e: scan::Event) {
        let mut dated_by_mtime = false;
        if self.catalog.rule(e.rule).marker.is_some() {
            // A restart or upgrade: a marker on the timeline, never an event of the
            // report or of the NDJSON stream (markers without a time are dropped).
            self.tally.observe(
                self.catalog,
                &Observation {
                    dated_by_mtime,
                    line: e.line,
                    time: e.time,
                    rule: e.rule,
                    also: vec![],
                    fields: e.fields,
                    side: e.side,
                    evidence: String::new(),
                    text: None,
                },
            );
            return;
        }
        if e.time.is_none()
            && let Some((policy, window)) = self.undated
        {
            match (policy, self.mtime) {
                (report::Undated::Kept, _) => {}
                (report::Undated::FileMtime, Some(t)) if window.keeps(&t, None) => {
                    e.time = Some(t);
                    dated_by_mtime = true;
                }
                _ => {
                    self.tally.leave_out_undated();
                    return;
                }
            }
        }
        let obs = Observation {
            dated_by_mtime,
            line: e.line,
            time: e.time,
            rule: e.rule,
            also: e.also,
            fields: e.fields,
            side: e.side,
            evidence: e.evidence,
            text: e.text,
        };
        if let Some(spool) = self.spool.as_mut() {
            let record = report::EventRecord::new(self.catalog, &self.input, &obs, self.redact);
            spool.push(obs.line, &report::render::json::event_body(&record));
        }
        self.tally.observe(self.catalog, &obs);
    }
}

/// A part that read nothing, with the reason.
fn unread(name: &str, msg: String) -> PartStats {
    PartStats {
        warnings: vec![Warning::new(name, msg)],
        skipped: true,
        ..Default::default()
    }
}

/// Scans a whole input through its decoder, first skipping `skip` decoded bytes.
fn scan_whole(
    input: &Input,
    ctx: &PartContext,
    skip: u64,
    sh: &Shared,
    progress: &(dyn Fn(u64) + Sync),
    sink: &mut dyn scan::Sink,
) -> PartStats {
    let catalog = sh.job.catalog;
    let big_gzip = decode::is_big_gzip_file(input);
    let gzip_settings;
    let settings = if big_gzip {
        gzip_settings = sh.job.settings.for_big_gzip();
        &gzip_settings
    } else {
        &sh.job.settings
    };
    if skip == 0 {
        let cut = scan::framing_cut(settings);
        let framing = scan::window_framing(settings, &cut);
        let scanned =
            decode::with_input_framed(
                input,
                sh.limits,
                &framing,
                big_gzip,
                |decoded| match decoded {
                    Decoded::Stream(reader) => {
                        sh.scan_stream(reader, settings, ctx, progress, sink)
                    }
                    Decoded::Windows(windows) => {
                        scan::scan_windows(windows, ctx, catalog, settings, progress, sink)
                    }
                },
            );
        return scanned.unwrap_or_else(|msg| unread(&input.display, msg));
    }
    let scanned = decode::with_input(input, sh.limits, |reader| {
        match io::copy(&mut reader.take(skip), &mut io::sink()) {
            Ok(n) if n == skip => {}
            Ok(n) => {
                return PartStats {
                    warnings: vec![Warning::new(
                        ctx.name,
                        format!(
                            "shorter ({n} bytes) than when last read ({skip}); nothing new read"
                        ),
                    )],
                    ..Default::default()
                };
            }
            Err(e) => return unread(ctx.name, format!("cannot read: {e}")),
        }
        sh.scan_stream(reader, settings, ctx, progress, sink)
    });
    scanned.unwrap_or_else(|msg| unread(&input.display, msg))
}

/// Scans bytes `[start, end)` of a plain file: memory-mapped when `map` allows it and the
/// file is safe to map (see [`source::mapped`]), read otherwise.
#[allow(clippy::too_many_arguments)]
fn scan_range(
    path: &Path,
    (start, end): (u64, u64),
    map: bool,
    ctx: &PartContext,
    catalog: &Catalog,
    settings: &ScanSettings,
    progress: &(dyn Fn(u64) + Sync),
    sink: &mut dyn scan::Sink,
) -> PartStats {
    let cannot_read = |e: io::Error| {
        unread(
            ctx.name,
            format!("cannot read: {}", source::discover::describe_io(&e)),
        )
    };
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) => return cannot_read(e),
    };
    if map && let Some(mapped) = source::mapped::map_range(&file, start, end) {
        let release = |upto| source::mapped::release_before(&mapped, upto);
        return scan::scan_slice(&mapped, &release, ctx, catalog, settings, progress, sink);
    }
    // A file just opened is read from its start.
    if start > 0
        && let Err(e) = file.seek(SeekFrom::Start(start))
    {
        return cannot_read(e);
    }
    let mut stats = scan::scan_part(
        file.take(end - start),
        scan::ReadBuffer::Kept,
        ctx,
        catalog,
        settings,
        progress,
        sink,
    );
    if stats.bytes < end - start {
        stats.warnings.push(Warning::new(
            ctx.name,
            format!(
                "file shrank while being read (truncated or replaced?): read {} of {} bytes from offset {start}",
                stats.bytes,
                end - start
            ),
        ));
    }
    stats
}

/// Everything the workers share.
struct Shared<'a> {
    job: &'a ScanJob<'a>,
    found: &'a Discovered,
    plans: &'a [Plan],
    tasks: &'a [Task],
    limits: &'a ReadLimits,
    spill: &'a SpillArea,
    ndjson: bool,
}

impl Shared<'_> {
    /// Scans a decoded stream into a buffer of its own ([`scan::ReadBuffer::Own`]).
    fn scan_stream(
        &self,
        reader: impl Read,
        settings: &ScanSettings,
        ctx: &PartContext,
        progress: &(dyn Fn(u64) + Sync),
        sink: &mut dyn scan::Sink,
    ) -> PartStats {
        scan::scan_part(
            reader,
            scan::ReadBuffer::Own,
            ctx,
            self.job.catalog,
            settings,
            progress,
            sink,
        )
    }
}

/// Scans one part into its own sink.
fn run_part<'a>(
    sh: &Shared<'a>,
    task: TaskOf,
    part: &Part,
    tick: &(dyn Fn(u64) + Sync),
) -> PartDone<'a> {
    let i = task.input;
    let input = &sh.found.inputs[i];
    let plan = &sh.plans[i];
    let window = &sh.job.settings.window;
    let undated = window.is_bounded().then_some((sh.job.undated, window));
    let mut sink = PartSink {
        catalog: sh.job.catalog,
        input: sh.found.info(i),
        redact: sh.job.redact,
        tally: InputTally::new(input.product, sh.job.redact, sh.found.info(i).zone),
        spool: sh.ndjson.then(|| Spool::new(sh.spill)),
        undated,
        mtime: undated
            .filter(|(u, _)| *u == report::Undated::FileMtime)
            .and_then(|_| modified_time(input, &window.zone)),
    };
    let ctx = |start: PartStart| PartContext {
        name: &input.display,
        product: input.product,
        zone: sh.found.zones[i].as_ref(),
        start,
    };
    let (catalog, settings) = (sh.job.catalog, &sh.job.settings);
    let stats = match part {
        Part::Whole => scan_whole(input, &ctx(PartStart::INPUT_START), 0, sh, tick, &mut sink),
        Part::SkipDecoded { skip } => scan_whole(
            input,
            &ctx(PartStart {
                offset: plan.first_offset,
                line: 1,
                at_input_start: false,
            }),
            *skip,
            sh,
            tick,
            &mut sink,
        ),
        Part::Range {
            start,
            end,
            at_input_start,
        } => match &input.location {
            source::Location::File(path) => scan_range(
                path,
                (*start, *end),
                sh.job.mmap && sh.job.state.is_none(),
                &ctx(PartStart {
                    offset: *start,
                    line: 1,
                    at_input_start: *at_input_start,
                }),
                catalog,
                settings,
                tick,
                &mut sink,
            ),
            // Plans cut only files on disk into ranges.
            _ => unread(&input.display, "cannot read a byte range of it".into()),
        },
        Part::Unreadable(w) => PartStats {
            warnings: vec![(**w).clone()],
            skipped: true,
            ..Default::default()
        },
    };
    PartDone {
        stats,
        tally: sink.tally,
        spool: sink.spool,
    }
}

/// When the file of `input` (the archive, for a member) was last modified, in `zone`.
fn modified_time(input: &Input, zone: &TimeZone) -> Option<crate::model::LogTime> {
    let path: &Path = match &input.location {
        source::Location::File(p) => p,
        source::Location::Member(m) => &m.archive,
        source::Location::Stdin => return None,
    };
    let modified = std::fs::metadata(path).ok()?.modified().ok()?;
    let ts = jiff::Timestamp::try_from(modified).ok()?;
    let offset = zone.to_offset(ts);
    Some(crate::model::LogTime {
        civil: offset.to_datetime(ts),
        offset: Some(offset),
    })
}

/// The worker threads to use: `--threads`, or one per core.
fn worker_count(threads: Option<usize>) -> usize {
    threads
        .filter(|&n| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// Runs a scan; see [`run_incremental`] for `--state`.
pub fn run(job: ScanJob) -> Result<Report, Fatal> {
    run_incremental(job, None).map(|(report, _)| report)
}

/// What a scan produced besides the report.
pub struct Outcome {
    /// With `--state`: the state to save once the report is out.
    pub state: Option<PendingState>,
    /// Writing the NDJSON events failed (closed pipe, full disk): the state must not be saved.
    pub write_error: Option<io::Error>,
}

/// Runs `load` while the inputs under `paths` are discovered, both in a pool of the scan's
/// worker count, when the scan may use more than one: on a fleet share of small files,
/// loading the catalog and walking the share are a large part of the run and need nothing
/// of each other. They are joined in the pool (`rayon::join`) rather than given a thread
/// each, so that once the catalog is loaded its worker helps with the walk, and no third
/// thread competes for the cores. With one worker, nothing is discovered ahead (`None`).
pub fn discover_while<T: Send>(
    paths: &[String],
    limits: &Limits,
    node_from: &source::node::NodeFrom,
    threads: Option<usize>,
    load: impl FnOnce() -> T + Send,
) -> (T, Option<FoundAhead>) {
    let workers = worker_count(threads);
    if workers < 2 {
        return (load(), None);
    }
    // A failed pool leaves discovery to the scan itself.
    let Ok(pool) = worker_pool(workers) else {
        return (load(), None);
    };
    let (loaded, discovery) = pool.install(|| {
        rayon::join(load, || {
            source::discover::discover_nodes(paths, limits, node_from)
        })
    });
    (loaded, Some(FoundAhead { discovery, pool }))
}

fn worker_pool(workers: usize) -> Result<rayon::ThreadPool, Fatal> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(workers)
        .build()
        .map_err(|e| Fatal(format!("cannot start worker threads: {e}")))
}

/// Discovers the inputs (unless they were found ahead); every one gets its report name,
/// product, node and role.
fn discover_inputs(job: &ScanJob, found: Option<Discovery>) -> Result<Discovered, Fatal> {
    let found = match found {
        Some(found) => found,
        None => source::discover::discover_nodes(job.paths, &job.limits, &job.node_from),
    };
    let mut warnings = job.warnings.clone();
    warnings.extend(found.warnings);
    if found.inputs.is_empty() {
        return Err(nothing_read(job.paths, &warnings));
    }
    let found_inputs = match &job.shard {
        Some(shard) => shard.select(found.inputs, &found.relative),
        None => found.inputs,
    };
    let zones = found_inputs
        .iter()
        .map(|f| f.time_zone.as_deref().and_then(|z| TimeZone::get(z).ok()))
        .collect();
    let mut inputs: Vec<Input> = Vec::with_capacity(found_inputs.len());
    let mut roles = Vec::with_capacity(found_inputs.len());
    for f in found_inputs {
        let mut input = f.input;
        if let Some(p) = job.product {
            input.product = Some(p);
        }
        roles.push(f.role);
        inputs.push(input);
    }
    Ok(Discovered {
        inputs,
        roles,
        zones,
        default_zone: job.settings.window.zone.clone(),
        warnings,
    })
}

/// The inputs found, with what the report and the scan need to know of each.
struct Discovered {
    inputs: Vec<Input>,
    roles: Vec<Option<Role>>,
    zones: Vec<Option<TimeZone>>,
    /// The zone of inputs that do not record theirs (`--timezone`, else this machine's).
    default_zone: TimeZone,
    warnings: Vec<Warning>,
}

impl Discovered {
    /// Input `i` as the report names it.
    fn info(&self, i: usize) -> InputInfo<'_> {
        let input = &self.inputs[i];
        InputInfo {
            path: &input.display,
            product: input.product,
            node: input.node.as_deref(),
            role: self.roles[i],
            zone: self.zones[i].as_ref().unwrap_or(&self.default_zone),
        }
    }
}

/// The error of a scan that read no log at all: what it looked at and why nothing was read.
fn nothing_read(paths: &[String], warnings: &[Warning]) -> Fatal {
    let looked = if paths.is_empty() {
        "no path given".to_string()
    } else {
        paths.join(", ")
    };
    let why: Vec<String> = warnings.iter().map(|w| w.to_string()).collect();
    let why = if why.is_empty() {
        "no log file found there (logs are *.log, *.log.N, *.log.DATE, catalina.out, their .gz, and support zips)".to_string()
    } else {
        why.join("; ")
    };
    Fatal(format!(
        "nothing was read, so nothing can be said about the links: looked at {looked}: {why}"
    ))
}

/// Runs a scan and returns the report and what else it produced. With `ndjson`, every
/// event is written to it as it is found, in input order (the caller writes the rest).
pub fn run_incremental(
    job: ScanJob,
    ndjson: Option<&mut (dyn Write + Send)>,
) -> Result<(Report, Outcome), Fatal> {
    let (meta, paths, shard) = (job.meta(), job.paths, job.shard);
    let (builder, outcome) = run_collect(job, ndjson)?;
    if builder.inputs_read() == 0 {
        let report = builder.finish(meta);
        if let Some(s) = shard
            && report.sources.is_empty()
        {
            return Err(Fatal(format!(
                "shard {s} holds none of the inputs found under {}: nothing to report (with --out, an empty partial report is written for `merge`)",
                paths.join(", ")
            )));
        }
        return Err(nothing_read(paths, &report.warnings));
    }
    Ok((builder.finish(meta), outcome))
}

/// Runs a scan and returns what the report is built from (for a partial report, `scan
/// --out`), even when nothing was read (an empty shard).
pub fn run_collect<'a>(
    job: ScanJob<'a>,
    ndjson: Option<&mut (dyn Write + Send)>,
) -> Result<(ReportBuilder<'a>, Outcome), Fatal> {
    let threads = worker_count(job.threads);
    let limits = ReadLimits {
        decode_ahead: threads > 1,
        ..ReadLimits::new(job.limits)
    };
    let mut job = job;
    let (pool, ahead) = match job.discovered.take() {
        Some(FoundAhead { discovery, pool }) => (pool, Some(discovery)),
        None => (worker_pool(threads)?, None),
    };
    let found = pool.install(|| discover_inputs(&job, ahead))?;
    let inputs = &found.inputs;
    let old_state = match &job.state {
        Some(path) => Some(State::load(path).map_err(Fatal)?),
        None => None,
    };

    // Plan: probe inputs for the state, then cut each input into parts.
    let incremental = old_state
        .as_ref()
        .map(|old| pool.install(|| Incremental::prepare(old, inputs, &limits)));
    let planned: Vec<(Plan, Vec<Part>)> = pool.install(|| {
        use rayon::prelude::*;
        inputs
            .par_iter()
            .enumerate()
            .map(|(i, input)| {
                plan::plan_input(
                    input,
                    incremental.as_ref().and_then(|inc| inc.resumed(i)),
                    job.state.is_some(),
                    job.chunk_bytes,
                )
            })
            .collect()
    });
    let mut plans = Vec::with_capacity(planned.len());
    let mut tasks = Vec::with_capacity(planned.len());
    for (i, (plan, parts)) in planned.into_iter().enumerate() {
        let n = parts.len();
        tasks.extend(parts.into_iter().enumerate().map(|(k, part)| Task {
            of: TaskOf {
                input: i,
                first: k == 0,
                last: k + 1 == n,
            },
            part,
        }));
        plans.push(plan);
    }

    // Scan: workers take tasks in order and hand each finished part to the assembler.
    let mut builder = ReportBuilder::new(job.catalog, job.group_by);
    builder.add_warnings(found.warnings.iter().cloned());
    let tallier = builder.tallier();
    let spill = SpillArea::default();
    let shared = Shared {
        job: &job,
        found: &found,
        plans: &plans,
        tasks: &tasks,
        limits: &limits,
        spill: &spill,
        ndjson: ndjson.is_some(),
    };
    let assembler = Mutex::new(Assembler::new(
        &tasks,
        &plans,
        &found,
        builder,
        incremental,
        ndjson,
        job.redact,
    ));
    let bar = progress_bar(inputs, job.progress);
    let tick = |n: u64| bar.inc(n);
    let next = AtomicUsize::new(0);
    // Every thread of the pool (already started: it found the inputs) takes tasks until
    // none is left.
    pool.broadcast(|_| {
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(task) = shared.tasks.get(i) else {
                break;
            };
            let done = run_part(&shared, task.of, &task.part, &tick);
            // A whole input is made into its tallies here, beside the other workers; the
            // lock is held only to add it in order.
            let done = Assembler::prepare(&shared, &tallier, i, done);
            match assembler.lock() {
                Ok(mut a) => a.done(i, done),
                // Another worker panicked while assembling: stop; its panic is reported
                // once every thread is done.
                Err(_) => break,
            }
        }
    });
    bar.finish_and_clear();
    let assembler = assembler
        .into_inner()
        .map_err(|_| Fatal("a worker thread failed while assembling the report".into()))?;
    let state = job
        .state
        .clone()
        .zip(assembler.incremental)
        .map(|(path, inc)| PendingState {
            path,
            state: inc.into_state(),
        });
    Ok((
        assembler.builder,
        Outcome {
            state,
            write_error: assembler.write_error,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::load_catalog;

    #[test]
    fn shrinking_and_vanished_files_warn() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.log");
        std::fs::write(&path, b"one\ntwo\nthree-partial").unwrap();
        // Planned for 100 bytes, the file holds fewer when read: a warning, not a crash.
        let (catalog, _) = load_catalog(&[]);
        let ctx = PartContext {
            name: "a.log",
            product: None,
            zone: None,
            start: PartStart::INPUT_START,
        };
        let mut events = Vec::new();
        let stats = scan_range(
            &path,
            (0, 100),
            true,
            &ctx,
            &catalog,
            &ScanSettings::default(),
            &|_| {},
            &mut events,
        );
        assert_eq!(stats.bytes, 21);
        assert!(
            stats.warnings.iter().any(|w| w.message.contains("shrank")),
            "{:?}",
            stats.warnings
        );
        let gone = scan_range(
            &dir.path().join("gone.log"),
            (0, 10),
            true,
            &ctx,
            &catalog,
            &ScanSettings::default(),
            &|_| {},
            &mut events,
        );
        assert!(gone.skipped);
    }
}
