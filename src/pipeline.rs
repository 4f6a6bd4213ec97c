//! The scan pipeline in one direction: discover inputs, plan the parts to read, scan the
//! parts in parallel, merge each input's parts, aggregate in input order. Used by `scan`
//! and by tests; it prints nothing itself.
//!
//! Parallelism: every part of every input is one rayon task. A big plain file is split into
//! chunks at event heads (`source::chunk`), so one 5 GB `catalina.out` keeps every core busy,
//! while many small files are spread over the pool as they are. Inputs are sorted by
//! discovery and `collect` keeps task order, so output is the same whatever the thread count.
//!
//! With `--state`, plain files are read from where the last run stopped up to their last
//! complete line; compressed files and support-zip members are decoded and the part read
//! before is skipped. The new state is handed back, to be saved only once the report is out.

use crate::model::Product;
use crate::report::{self, Report};
use crate::rules::Catalog;
use crate::scan::{self, InputScan, PartContext, PartStart, ScanSettings};
use crate::source::chunk::{self, DEFAULT_CHUNK_BYTES};
use crate::source::decode::{self, ReadLimits};
use crate::source::limits::Limits;
use crate::source::state::{self, FINGERPRINT_BYTES, FileState, Probe, Resume, State};
use crate::source::{self, Input, Location};
use crate::warning::Warning;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use jiff::tz::TimeZone;
use rayon::prelude::*;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

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
    /// `--group-by`.
    pub group_by: report::GroupBy,
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
            group_by: report::GroupBy::Cause,
        }
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

/// One piece of work: a part of one input.
#[derive(Debug, Clone)]
enum Part {
    /// The whole input, through its decoder.
    Whole,
    /// Bytes `[start, end)` of a plain file.
    Range {
        path: PathBuf,
        start: u64,
        end: u64,
        at_input_start: bool,
    },
    /// A compressed file, skipping the first `skip` decoded bytes (read by an earlier run).
    SkipDecoded { skip: u64 },
}

/// How one input is read.
struct Plan {
    parts: Vec<Part>,
    /// Line number of the first part's first line.
    first_line: u64,
    /// Offset of the first part's first byte.
    first_offset: u64,
    /// The file's identity and head, when its reading is remembered in the state.
    probe: Option<(Probe, u64)>,
}

/// Scans one input end to end; problems opening it become warnings.
pub fn scan_input(
    input: &Input,
    catalog: &Catalog,
    settings: &ScanSettings,
    limits: &ReadLimits,
    progress: &(dyn Fn(u64) + Sync),
) -> InputScan {
    let ctx = PartContext {
        name: &input.display,
        product: input.product,
        zone: None,
        start: PartStart::INPUT_START,
    };
    scan_whole(input, &ctx, 0, catalog, settings, limits, progress)
}

fn scan_whole(
    input: &Input,
    ctx: &PartContext,
    skip: u64,
    catalog: &Catalog,
    settings: &ScanSettings,
    limits: &ReadLimits,
    progress: &(dyn Fn(u64) + Sync),
) -> InputScan {
    let scanned = decode::with_input(input, limits, |reader| {
        if skip > 0 {
            match io::copy(&mut reader.take(skip), &mut io::sink()) {
                Ok(n) if n == skip => {}
                Ok(n) => {
                    return InputScan {
                        warnings: vec![Warning::new(
                            ctx.name,
                            format!(
                                "shorter ({n} bytes) than when last read ({skip}); nothing new read"
                            ),
                        )],
                        ..Default::default()
                    };
                }
                Err(e) => {
                    return InputScan {
                        warnings: vec![Warning::new(ctx.name, format!("cannot read: {e}"))],
                        skipped: true,
                        ..Default::default()
                    };
                }
            }
        }
        scan::scan_part(reader, ctx, catalog, settings, progress)
    });
    scanned.unwrap_or_else(|msg| InputScan {
        warnings: vec![Warning::new(input.display.as_str(), msg)],
        skipped: true,
        ..Default::default()
    })
}

fn scan_range(
    path: &Path,
    start: u64,
    end: u64,
    ctx: &PartContext,
    catalog: &Catalog,
    settings: &ScanSettings,
    progress: &(dyn Fn(u64) + Sync),
) -> InputScan {
    let opened = File::open(path).and_then(|mut f| {
        f.seek(SeekFrom::Start(start))?;
        Ok(f)
    });
    let file = match opened {
        Ok(f) => f,
        Err(e) => {
            return InputScan {
                warnings: vec![Warning::new(
                    ctx.name,
                    format!("cannot read: {}", source::discover::describe_io(&e)),
                )],
                skipped: true,
                ..Default::default()
            };
        }
    };
    let mut scan = scan::scan_part(file.take(end - start), ctx, catalog, settings, progress);
    if scan.bytes < end - start {
        scan.warnings.push(Warning::new(
            ctx.name,
            format!(
                "file shrank while being read (truncated or replaced?): read {} of {} bytes from offset {start}",
                scan.bytes,
                end - start
            ),
        ));
    }
    scan
}

/// The end of the last complete line in `[start, end)` of a file (`start` if none).
fn last_line_end(path: &Path, start: u64, end: u64) -> io::Result<u64> {
    let mut f = File::open(path)?;
    let mut pos = end;
    let mut buf = vec![0u8; 64 * 1024];
    while pos > start {
        let from = pos.saturating_sub(buf.len() as u64).max(start);
        let len = (pos - from) as usize;
        f.seek(SeekFrom::Start(from))?;
        f.read_exact(&mut buf[..len])?;
        if let Some(i) = memchr::memrchr(b'\n', &buf[..len]) {
            return Ok(from + i as u64 + 1);
        }
        pos = from;
    }
    Ok(start)
}

/// Identity and first decoded bytes of a zip member, for the state: the zip's device and
/// inode, and the member's own first bytes.
fn probe_member(input: &Input, archive: &Path, limits: &ReadLimits) -> Option<Probe> {
    let meta = std::fs::metadata(archive).ok()?;
    let (device, inode) = state::identity(&meta);
    let head = decode::with_input(input, limits, |reader| {
        let mut head = Vec::with_capacity(FINGERPRINT_BYTES);
        reader
            .take(FINGERPRINT_BYTES as u64)
            .read_to_end(&mut head)
            .map(|_| head)
    })
    .ok()?
    .ok()?;
    Some(Probe {
        path: input.display.clone(),
        device,
        inode,
        decoded_size: None,
        head,
    })
}

/// Identity and first decoded bytes of a file, for the state.
fn probe_file(path: &Path, display: &str, limits: &ReadLimits) -> io::Result<Probe> {
    let meta = std::fs::metadata(path)?;
    let (device, inode) = state::identity(&meta);
    let gz = decode::needs_decoder(path);
    let mut head = Vec::with_capacity(FINGERPRINT_BYTES);
    let reader = decode::decode_limited(Box::new(File::open(path)?), limits)?;
    reader
        .take(FINGERPRINT_BYTES as u64)
        .read_to_end(&mut head)?;
    Ok(Probe {
        path: display.to_string(),
        device,
        inode,
        decoded_size: (!gz).then_some(meta.len()),
        head,
    })
}

fn plan_input(
    input: &Input,
    resume: Option<Resume>,
    probe: Option<Probe>,
    job: &ScanJob,
) -> Result<Plan, Warning> {
    let whole = |probe: Option<Probe>| Plan {
        parts: vec![Part::Whole],
        first_line: 1,
        first_offset: 0,
        probe: probe.map(|p| (p, 0)),
    };
    let start = resume.map_or(0, |r| r.offset);
    let first_line = resume.map_or(1, |r| r.line);
    // A compressed stream can only be resumed by decoding and skipping what was read before.
    let decoded_from = |start: u64, probe: Option<Probe>| Plan {
        parts: vec![if start > 0 {
            Part::SkipDecoded { skip: start }
        } else {
            Part::Whole
        }],
        first_line,
        first_offset: start,
        probe: probe.map(|p| (p, start)),
    };
    let path = match &input.location {
        Location::File(path) => path,
        // Support zips do not grow: a member read before is skipped to its end.
        Location::Member(_) if probe.is_some() => return Ok(decoded_from(start, probe)),
        _ => return Ok(whole(None)),
    };
    if decode::needs_decoder(path) {
        return Ok(decoded_from(start, probe));
    }
    let fail = |e: io::Error| {
        Warning::new(
            input.display.as_str(),
            format!("cannot read: {}", source::discover::describe_io(&e)),
        )
    };
    let size = std::fs::metadata(path).map_err(fail)?.len();
    let end = if job.state.is_some() {
        last_line_end(path, start, size).map_err(fail)?
    } else {
        size
    };
    let ranges = chunk::plan(path, start, end, job.chunk_bytes).map_err(fail)?;
    let parts = ranges
        .into_iter()
        .enumerate()
        .map(|(i, (s, e))| Part::Range {
            path: path.clone(),
            start: s,
            end: e,
            at_input_start: i == 0 && start == 0,
        })
        .collect();
    Ok(Plan {
        parts,
        first_line,
        first_offset: start,
        probe: probe.map(|p| (p, start)),
    })
}

/// Runs a scan; see [`run_incremental`] for `--state`.
pub fn run(job: ScanJob) -> Result<Report, Fatal> {
    run_incremental(job).map(|(report, _)| report)
}

/// Runs a scan and returns the report and, with `--state`, the state to save after it.
pub fn run_incremental(job: ScanJob) -> Result<(Report, Option<PendingState>), Fatal> {
    let read_limits = ReadLimits::new(job.limits);
    let found = source::discover::discover(job.paths, &read_limits.limits);
    let mut warnings = job.warnings.clone();
    warnings.extend(found.warnings);
    if found.inputs.is_empty() && !warnings.is_empty() {
        let list: Vec<String> = warnings.iter().map(|w| w.to_string()).collect();
        return Err(Fatal(format!("nothing to scan: {}", list.join("; "))));
    }
    let zones: Vec<Option<TimeZone>> = found
        .inputs
        .iter()
        .map(|f| f.time_zone.as_deref().and_then(|z| TimeZone::get(z).ok()))
        .collect();
    let roles: Vec<_> = found.inputs.iter().map(|f| f.role).collect();
    let mut inputs: Vec<Input> = found.inputs.into_iter().map(|f| f.input).collect();
    if let Some(p) = job.product {
        for input in &mut inputs {
            input.product = Some(p);
        }
    }
    let old_state = match &job.state {
        Some(path) => Some(State::load(path).map_err(Fatal)?),
        None => None,
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(job.threads.unwrap_or(0))
        .build()
        .map_err(|e| Fatal(format!("cannot start worker threads: {e}")))?;

    // Plan: probe files for the state, then cut each input into parts.
    let probes: Vec<Option<Probe>> = match &old_state {
        Some(_) => pool.install(|| {
            inputs
                .par_iter()
                .map(|input| match &input.location {
                    Location::File(path) => probe_file(path, &input.display, &read_limits).ok(),
                    Location::Member(m) => probe_member(input, &m.archive, &read_limits),
                    Location::Stdin => None,
                })
                .collect()
        }),
        None => vec![None; inputs.len()],
    };
    let resumes: Vec<Option<Resume>> = match &old_state {
        Some(st) => {
            let present: Vec<Probe> = probes.iter().flatten().cloned().collect();
            let mut found = st.resume_all(&present).into_iter();
            probes
                .iter()
                .map(|p| p.as_ref().and_then(|_| found.next().flatten()))
                .collect()
        }
        None => vec![None; inputs.len()],
    };
    let plans: Vec<Result<Plan, Warning>> = pool.install(|| {
        inputs
            .par_iter()
            .zip(resumes.par_iter())
            .zip(probes.into_par_iter())
            .map(|((input, resume), probe)| plan_input(input, *resume, probe, &job))
            .collect()
    });
    let tasks: Vec<(usize, &Part)> = plans
        .iter()
        .enumerate()
        .filter_map(|(i, p)| p.as_ref().ok().map(|p| (i, p)))
        .flat_map(|(i, plan)| plan.parts.iter().map(move |part| (i, part)))
        .collect();

    // Scan every part of every input in parallel; `collect` keeps task order.
    let bar = progress_bar(&inputs, job.progress);
    let tick = |n: u64| bar.inc(n);
    let part_scans: Vec<InputScan> = pool.install(|| {
        tasks
            .par_iter()
            .map(|&(i, part)| {
                let input = &inputs[i];
                let plan = plans[i].as_ref().ok();
                let first_offset = plan.map_or(0, |p| p.first_offset);
                let ctx = |start: PartStart| PartContext {
                    name: &input.display,
                    product: input.product,
                    zone: zones[i].as_ref(),
                    start,
                };
                match part {
                    Part::Whole => scan_whole(
                        input,
                        &ctx(PartStart::INPUT_START),
                        0,
                        job.catalog,
                        &job.settings,
                        &read_limits,
                        &tick,
                    ),
                    Part::SkipDecoded { skip } => scan_whole(
                        input,
                        &ctx(PartStart {
                            offset: first_offset,
                            line: 1,
                            at_input_start: false,
                        }),
                        *skip,
                        job.catalog,
                        &job.settings,
                        &read_limits,
                        &tick,
                    ),
                    Part::Range {
                        path,
                        start,
                        end,
                        at_input_start,
                    } => scan_range(
                        path,
                        *start,
                        *end,
                        &ctx(PartStart {
                            offset: *start,
                            line: 1,
                            at_input_start: *at_input_start,
                        }),
                        job.catalog,
                        &job.settings,
                        &tick,
                    ),
                }
            })
            .collect()
    });
    bar.finish_and_clear();

    // Merge each input's parts, in order.
    let mut part_scans = part_scans.into_iter();
    let mut scans = Vec::with_capacity(inputs.len());
    let mut new_state = State {
        version: 1,
        ..Default::default()
    };
    for plan in plans {
        match plan {
            Err(w) => scans.push(InputScan {
                warnings: vec![w],
                skipped: true,
                ..Default::default()
            }),
            Ok(plan) => {
                let parts: Vec<InputScan> = part_scans.by_ref().take(plan.parts.len()).collect();
                let merged = scan::merge_parts(parts, plan.first_line);
                if let Some((probe, start)) = plan.probe {
                    let offset = start + merged.bytes;
                    let len = probe.head.len().min(offset as usize);
                    new_state.files.insert(
                        probe.path.clone(),
                        FileState {
                            device: probe.device,
                            inode: probe.inode,
                            size: probe.decoded_size.unwrap_or(offset),
                            offset,
                            line: plan.first_line + merged.lines,
                            fingerprint: state::fingerprint(&probe.head[..len]),
                            fingerprint_len: len as u64,
                        },
                    );
                }
                scans.push(merged);
            }
        }
    }
    let mut report = report::aggregate_grouped(
        job.catalog,
        &inputs,
        scans,
        warnings,
        job.redact,
        job.group_by,
    );
    for (source, role) in report.sources.iter_mut().zip(roles) {
        source.role = role;
    }
    let pending = job.state.clone().map(|path| PendingState {
        path,
        state: new_state,
    });
    Ok((report, pending))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::load_catalog;

    #[test]
    fn last_complete_line_and_shrinking_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.log");
        std::fs::write(&path, b"one\ntwo\nthree-partial").unwrap();
        assert_eq!(last_line_end(&path, 0, 21).unwrap(), 8);
        assert_eq!(last_line_end(&path, 8, 21).unwrap(), 8);
        assert_eq!(last_line_end(&path, 0, 3).unwrap(), 0);

        // Planned for 100 bytes, the file holds fewer when read: a warning, not a crash.
        let (catalog, _) = load_catalog(&[]);
        let ctx = PartContext {
            name: "a.log",
            product: None,
            zone: None,
            start: PartStart::INPUT_START,
        };
        let scan = scan_range(
            &path,
            0,
            100,
            &ctx,
            &catalog,
            &ScanSettings::default(),
            &|_| {},
        );
        assert_eq!(scan.bytes, 21);
        assert!(
            scan.warnings.iter().any(|w| w.message.contains("shrank")),
            "{:?}",
            scan.warnings
        );
        let gone = scan_range(
            &dir.path().join("gone.log"),
            0,
            10,
            &ctx,
            &catalog,
            &ScanSettings::default(),
            &|_| {},
        );
        assert!(gone.skipped);
    }
}
