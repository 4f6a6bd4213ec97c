//! `linkdoctor scan`: turn the options into a scan job (limits, time window, state,
//! `--installed` folders), run it, print the report, then save the state.

use super::{catalog_with_warnings, exit_code, print_warnings, stdout_written, use_color};
use crate::cli::ScanArgs;
use crate::pipeline::{self, Fatal, ScanJob};
use crate::report::render::{self, Format};
use crate::report::sanitize;
use crate::scan::ScanSettings;
use crate::scan::event::EventLimits;
use crate::scan::window::{TimeWindow, parse_bound, zone_named};
use crate::source::installed;
use crate::source::limits::Limits;
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

pub fn run(args: &ScanArgs) -> Result<u8, Fatal> {
    let (catalog, warnings) = catalog_with_warnings(&args.rules);
    let out = &args.output;
    let window = time_window(args)?;
    let paths = scan_paths(args, out.quiet)?;
    let l = &args.limits;
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
    let stream_events = out.format == Format::Ndjson;
    let job = ScanJob {
        warnings,
        threads: args.threads,
        redact: !out.no_redact,
        progress: !out.quiet && std::io::stderr().is_terminal(),
        settings,
        limits: Limits {
            max_total_bytes: l.max_total_bytes,
            max_member_bytes: l.max_member_bytes,
            max_ratio: l.max_ratio.max(1),
            max_depth: l.max_depth.max(1),
            max_nested_zip_bytes: l.max_nested_zip_bytes,
        },
        product: args.product,
        chunk_bytes: l.chunk_bytes.max(64 * 1024),
        state: args.state.clone(),
        group_by: args.group_by,
        ..ScanJob::new(&paths, &catalog)
    };
    let (report, outcome) = pipeline::run_incremental(
        job,
        stream_events.then_some(&mut stdout as &mut (dyn Write + Send)),
    )?;
    print_warnings(&report.warnings, out.quiet);
    let written = render::write(&report, out.format, use_color(out.color), &mut stdout)
        .and_then(|()| stdout.flush());
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
