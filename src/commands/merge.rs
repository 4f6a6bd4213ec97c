//! `linkdoctor merge PARTS...`: reads the partial reports of shards (`scan --out`), checks
//! that they were scanned alike (versions, rule catalog, grouping, redaction, time window),
//! merges them and prints the report one scan of all their inputs would print (byte for
//! byte in JSON), or writes the merged partial report (`--out`, to merge again later).
//! NDJSON prints the header, warnings and summary: the events themselves stay with the
//! shards (`scan --format ndjson` per shard streams them).

use super::scan::{write_json_file, write_metrics};
use super::{catalog_with_warnings, exit_code, print_warnings, stdout_written, use_color};
use crate::cli::MergeArgs;
use crate::pipeline::Fatal;
use crate::report::render::{self, Format, json};
use crate::report::{Partial, ReportBuilder, partial, sanitize};
use crate::rules::Examples;
use std::io::{BufWriter, Read, Write};

/// Largest partial report read (its size is bounded by the report a scan keeps).
const MAX_PART_BYTES: u64 = 4 << 30;

pub fn run(args: &MergeArgs) -> Result<u8, Fatal> {
    let (catalog, rule_warnings) = catalog_with_warnings(&args.rules, Examples::Skip);
    let mut parts = Vec::with_capacity(args.parts.len());
    for path in &args.parts {
        let name = sanitize::inline(&path.display().to_string()).into_owned();
        let mut text = String::new();
        std::fs::File::open(path)
            .and_then(|f| f.take(MAX_PART_BYTES).read_to_string(&mut text))
            .map_err(|e| Fatal(format!("{name}: cannot read: {e}")))?;
        let part = Partial::from_json(&name, &text, &catalog).map_err(Fatal)?;
        parts.push((name, part));
    }
    let merged = partial::merge(parts).map_err(Fatal)?;
    if let Some(out) = &args.out {
        write_json_file(out, &merged)?;
        return Ok(super::exit::OK);
    }
    // Rule-file problems met here are the scans' too: they are in the parts already.
    drop(rule_warnings);
    let builder = ReportBuilder::from_tallies(&catalog, merged.settings.group_by, merged.tallies);
    if builder.inputs_read() == 0 {
        return Err(Fatal(
            "nothing was read by any shard, so nothing can be said about the links".into(),
        ));
    }
    let report = builder.finish(merged.meta);
    let out = &args.output;
    print_warnings(&report.warnings, out.quiet);
    if let Some(path) = &args.metrics {
        write_metrics(path, &report, None)?;
    }
    let mut stdout = BufWriter::new(std::io::stdout());
    let written = match out.format() {
        Format::Ndjson => stdout
            .write_all(json::render_ndjson_header(&report.meta).as_bytes())
            .and_then(|()| render::write(&report, out.format(), false, &mut stdout)),
        _ => render::write(&report, out.format(), use_color(out.color), &mut stdout),
    }
    .and_then(|()| stdout.flush());
    stdout_written(written)?;
    Ok(exit_code(
        report.summary.highest_severity,
        report.warnings.len(),
        out,
    ))
}
