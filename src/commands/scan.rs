//! `linkdoctor scan`: turn the options into a scan job (limits, time window, state,
//! `--installed` folders, shard, where nodes are), run it, print the report (or write the
//! partial report of `--out`, and the metrics of `--metrics`), then save the state.

use super::{catalog_with_warnings, exit_code, print_warnings, stdout_written, use_color};
use crate::cli::ScanArgs;
use crate::pipeline::{self, Fatal, ScanJob};
use crate::report::render::{self, Format, json, prometheus};
use crate::report::{Partial, Settings, sanitize};
use crate::rules::Examples;
use crate::scan::ScanSettings;
use crate::scan::event::EventLimits;
use crate::scan::window::{TimeWindow, parse_bound, zone_named};
use crate::source::installed;
use crate::source::limits::Limits;
use crate::source::node::NodeFrom;
use crate::source::shard::Shard;
use crate::source::state::State;
use std::io::{BufWriter, IsTerminal, Write};
use std::path::Path;

/// The `--since` / `--until` window, with bounds read in `--timezone`.
fn time_window(args: &ScanArgs) -> Result<TimeWindow, Fatal> {
    let zone = zone_named(args.timezone.as_deref()).map_err(Fatal)?;
    let now = jiff::Timestamp::now();
    let bound = |s: &Option<String>, flag: &str| -> Result<_, Fatal> {
        s.as_deref()
            .map(|v| parse_bound(v, now, &zone).map_err(|e| Fatal(format!("{flag}: {e}"))))
            .transpose()
    };
    let since = bound(&args.since, "--since")?;
    let until = bound(&args.until, "--until")?;
    if let (Some(s), Some(u)) = (since, until)
        && s >= u
    {
        return Err(Fatal(format!(
            "--since ({s}) is not before --until ({u}): nothing could match"
        )));
    }
    Ok(TimeWindow { since, until, zone })
}

/// The paths to scan: the arguments, plus the log folders of `--installed`.
fn scan_paths(args: &ScanArgs, quiet: bool) -> Result<Vec<String>, Fatal> {
    let mut paths = args.paths.clone();
    if args.installed {
        let root = args
            .installed_root
            .clone()
            .unwrap_or_else(|| Path::new("/").to_path_buf());
        let found = installed::find(&root);
        if found.is_empty() {
            let msg = format!(
                "--installed: no product found in the default folders ({})",
                installed::searched(&root).join(", ")
            );
            if paths.is_empty() {
                return Err(Fatal(msg));
            }
            if !quiet {
                eprintln!("linkdoctor: {}", sanitize::inline(&msg));
            }
        }
        for f in &found {
            if !quiet {
                eprintln!(
                    "linkdoctor: --installed: found {}",
                    sanitize::inline(&f.describe())
                );
            }
            paths.extend(f.log_dirs.iter().map(|d| d.display().to_string()));
        }
        if paths.is_empty() {
            return Err(Fatal(
                "--installed: products found, but none has a log folder".to_string(),
            ));
        }
    }
    Ok(paths)
}

/// `--shard I/N` or `--shard auto` (with `--shards N`).
fn shard_of(args: &ScanArgs) -> Result<Option<Shard>, Fatal> {
    match args.shard.as_deref() {
        None => Ok(None),
        Some("auto") => Shard::from_env(args.shards, &|k| std::env::var(k).ok())
            .map(Some)
            .map_err(Fatal),
        Some(text) => {
            let shard = Shard::parse(text).map_err(Fatal)?;
            match args.shards {
                Some(n) if n != shard.count => Err(Fatal(format!(
                    "--shard {text} names {} shards but --shards says {n}",
                    shard.count
                ))),
                _ => Ok(Some(shard)),
            }
        }
    }
}

/// `--node-from` / `--fleet-root`.
fn node_from(args: &ScanArgs) -> Result<NodeFrom, Fatal> {
    if let Some(p) = &args.node_from {
        return NodeFrom::pattern(p).map_err(Fatal);
    }
    if let Some(root) = &args.fleet_root {
        if !root.is_dir() {
            return Err(Fatal(format!(
                "--fleet-root {}: not a folder",
                root.display()
            )));
        }
        return Ok(NodeFrom::FleetRoot(root.clone()));
    }
    Ok(NodeFrom::Detect)
}

/// Writes a JSON value to `path` atomically (temporary file, then rename).
pub fn write_json_file(path: &Path, value: &impl serde::Serialize) -> Result<(), Fatal> {
    let mut buf = Vec::new();
    json::write_compact(value, &mut buf)
        .map_err(|e| Fatal(format!("cannot serialise {}: {e}", path.display())))?;
    buf.push(b'\n');
    let text = String::from_utf8(buf)
        .map_err(|e| Fatal(format!("cannot serialise {}: {e}", path.display())))?;
    prometheus::write_atomically(path, &text)
        .map_err(|e| Fatal(format!("cannot write {}: {e}", path.display())))
}

/// Writes the metrics file of `--metrics`.
pub fn write_metrics(
    path: &Path,
    report: &crate::report::Report,
    duration: Option<f64>,
) -> Result<(), Fatal> {
    prometheus::write_atomically(path, &prometheus::render(report, duration))
        .map_err(|e| Fatal(format!("--metrics: cannot write {}: {e}", path.display())))
}

pub fn run(args: &ScanArgs) -> Result<u8, Fatal> {
    let clock = std::time::Instant::now();
    let shard = shard_of(args)?;
    let node_from = node_from(args)?;
    let out = &args.output;
    let window = time_window(args)?;
    let paths = scan_paths(args, out.quiet)?;
    let l = &args.limits;
    let limits = Limits {
        max_total_bytes: l.max_total_bytes,
        max_member_bytes: l.max_member_bytes,
        max_ratio: l.max_ratio.max(1),
        max_depth: l.max_depth.max(1),
        max_nested_zip_bytes: l.max_nested_zip_bytes,
    };
    let load = || catalog_with_warnings(&args.rules, Examples::Skip);
    // A `--state` run waits for its lock first, so its files are found after the wait.
    let ((catalog, warnings), discovered) = if args.state.is_some() {
        (load(), None)
    } else {
        pipeline::discover_while(&paths, &limits, &node_from, args.threads, load)
    };
    let settings = ScanSettings {
        event: EventLimits {
            max_bytes: usize::try_from(l.max_event_bytes)
                .unwrap_or(usize::MAX)
                .max(1024),
            ..EventLimits::default()
        },
        window,
        ..ScanSettings::default()
    };
    // One run at a time per state file, held until the state is saved.
    let _state_lock = args
        .state
        .as_deref()
        .map(State::lock)
        .transpose()
        .map_err(Fatal)?;
    let mut stdout = BufWriter::new(std::io::stdout());
    let stream_events = out.format() == Format::Ndjson && args.out.is_none();
    let job = ScanJob {
        warnings,
        threads: args.threads,
        redact: !out.no_redact,
        progress: !out.quiet && std::io::stderr().is_terminal(),
        settings,
        limits,
        product: args.product,
        chunk_bytes: l.chunk_bytes.max(64 * 1024),
        state: args.state.clone(),
        mmap: args.mmap,
        group_by: args.group_by.into(),
        shard,
        node_from,
        undated: args.undated.into(),
        discovered,
        ..ScanJob::new(&paths, &catalog)
    };
    let meta = job.meta();
    if let Some(part) = &args.out {
        return write_partial(args, job, part, shard);
    }
    if stream_events {
        let header = json::render_ndjson_header(&meta);
        stdout_written(stdout.write_all(header.as_bytes()))?;
    }
    let (report, outcome) = pipeline::run_incremental(
        job,
        stream_events.then_some(&mut stdout as &mut (dyn Write + Send)),
    )?;
    print_warnings(&report.warnings, out.quiet);
    let duration = clock.elapsed().as_secs_f64();
    if let Some(path) = &args.metrics {
        write_metrics(path, &report, Some(duration))?;
    }
    let written = match out.format() {
        Format::Prometheus => stdout
            .write_all(prometheus::render(&report, Some(duration)).as_bytes())
            .and_then(|()| stdout.flush()),
        _ => render::write(&report, out.format(), use_color(out.color), &mut stdout)
            .and_then(|()| stdout.flush()),
    };
    // The state advances only once the whole report (the streamed events too) is written
    // and flushed: events not delivered are read again next time.
    let written = stdout_written(outcome.write_error.map_or(written, Err))?;
    if let Some(path) = &out.html {
        render::write_html_file(&report, path).map_err(Fatal)?;
    }
    if written && let Some(state) = outcome.state {
        state.save()?;
    }
    Ok(exit_code(
        report.summary.highest_severity,
        report.warnings.len(),
        out,
    ))
}

/// `scan --out FILE`: scans this shard and writes its partial report; the state (with
/// `--state`) is saved once the file is in place. An empty shard writes an empty part.
fn write_partial(
    args: &ScanArgs,
    job: ScanJob,
    path: &Path,
    shard: Option<Shard>,
) -> Result<u8, Fatal> {
    let meta = job.meta();
    let settings = Settings {
        group_by: job.group_by,
        redacted: job.redact,
    };
    let (builder, outcome) = pipeline::run_collect(job, None)?;
    let tallies = builder.into_tallies();
    if !args.output.quiet {
        eprintln!(
            "linkdoctor: {}: {} input(s) read{}",
            sanitize::inline(&path.display().to_string()),
            tallies.inputs_read(),
            shard.map_or(String::new(), |s| format!(" (shard {s})"))
        );
    }
    let part = Partial::new(meta, settings, shard.map(|s| s.to_string()), tallies);
    write_json_file(path, &part)?;
    if let Some(state) = outcome.state {
        state.save()?;
    }
    Ok(super::exit::OK)
}
