//! `linkdoctor scan`: scan logs and print the report.

use super::{catalog_with_warnings, exit_code, print_stdout, print_warnings, use_color};
use crate::cli::ScanArgs;
use crate::pipeline::{self, Fatal, ScanJob};
use crate::report::render::render;
use crate::scan::ScanSettings;
use std::io::IsTerminal;

pub fn run(args: &ScanArgs) -> Result<u8, Fatal> {
    let (catalog, warnings) = catalog_with_warnings(&args.rules);
    let out = &args.output;
    let report = pipeline::run(ScanJob {
        paths: &args.paths,
        catalog: &catalog,
        warnings,
        threads: args.threads,
        redact: !out.no_redact,
        progress: !out.quiet && std::io::stderr().is_terminal(),
        settings: ScanSettings::default(),
    })?;
    print_warnings(&report.warnings, out.quiet);
    print_stdout(&render(&report, out.format, use_color(out.color)));
    Ok(exit_code(
        report.summary.highest_severity,
        report.warnings.len(),
        out,
    ))
}
