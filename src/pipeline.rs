//! The scan pipeline in one direction: discover inputs, open and decode each, scan them in
//! parallel (rayon, one task per input), aggregate in input order. Used by `scan` and by
//! tests; it prints nothing itself.

use crate::report::{self, Report};
use crate::rules::Catalog;
use crate::scan::{self, InputScan, ScanSettings};
use crate::source::decode::{self, ReadLimits};
use crate::source::{self, Input};
use crate::warning::Warning;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;

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
}

/// Fatal problems: the scan cannot run at all.
#[derive(Debug)]
pub struct Fatal(pub String);

impl std::fmt::Display for Fatal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
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

/// Scans one input end to end; problems opening it become warnings.
pub fn scan_input(
    input: &Input,
    catalog: &Catalog,
    settings: &ScanSettings,
    limits: &ReadLimits,
    progress: &(dyn Fn(u64) + Sync),
) -> InputScan {
    let scanned = decode::with_input(input, limits, |reader| {
        scan::scan_reader(
            reader,
            &input.display,
            input.product,
            catalog,
            settings,
            progress,
        )
    });
    scanned.unwrap_or_else(|msg| InputScan {
        warnings: vec![Warning::new(input.display.as_str(), msg)],
        skipped: true,
        ..Default::default()
    })
}

pub fn run(job: ScanJob) -> Result<Report, Fatal> {
    let read_limits = ReadLimits::default();
    let found = source::discover::discover(job.paths, &read_limits.limits);
    let mut warnings = job.warnings;
    warnings.extend(found.warnings);
    let inputs: Vec<Input> = found.inputs.into_iter().map(|f| f.input).collect();
    if inputs.is_empty() && !warnings.is_empty() {
        let list: Vec<String> = warnings.iter().map(|w| w.to_string()).collect();
        return Err(Fatal(format!("nothing to scan: {}", list.join("; "))));
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(job.threads.unwrap_or(0))
        .build()
        .map_err(|e| Fatal(format!("cannot start worker threads: {e}")))?;
    let bar = progress_bar(&inputs, job.progress);
    let tick = |n: u64| bar.inc(n);
    let scans: Vec<InputScan> = pool.install(|| {
        inputs
            .par_iter()
            .map(|input| scan_input(input, job.catalog, &job.settings, &read_limits, &tick))
            .collect()
    });
    bar.finish_and_clear();
    Ok(report::aggregate(
        job.catalog,
        &inputs,
        scans,
        warnings,
        job.redact,
    ))
}
