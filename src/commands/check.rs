//! `linkdoctor check` (configuration findings, optionally against a pre-upgrade baseline)
//! and `linkdoctor snapshot` (save the settings an upgrade may lose). A run that read no
//! configuration exits 2 and says what it looked at: nothing read is not "all clear".

use super::{exit, exit_code, print_stdout, print_warnings, stdout_written, use_color};
use crate::check::{self, CheckOptions, baseline, render::render};
use crate::cli::{CheckArgs, SnapshotArgs};
use crate::pipeline::Fatal;
use crate::report::sanitize;

pub fn run(args: &CheckArgs) -> Result<u8, Fatal> {
    let out = &args.output;
    let report = check::run(&CheckOptions {
        paths: &args.paths,
        base_urls: &args.base_url,
        baseline: args.baseline.as_deref(),
        redact: !out.no_redact,
        limits: args.limits.limits(),
        product: args.product,
    })
    .map_err(Fatal)?;
    print_warnings(&report.warnings, out.quiet);
    stdout_written(print_stdout(&render(
        &report,
        out.format(),
        use_color(out.color),
    )))?;
    if let Some(path) = &out.html {
        crate::check::render::write_html_file(&report, path).map_err(Fatal)?;
    }
    if let Some(why) = &report.summary.nothing_checked {
        eprintln!(
            "linkdoctor: error: nothing checked: {}",
            sanitize::inline(why)
        );
        return Ok(exit::FATAL);
    }
    Ok(exit_code(
        report.summary.highest_severity,
        report.warnings.len(),
        out,
    ))
}

pub fn snapshot(args: &SnapshotArgs) -> Result<u8, Fatal> {
    // Checked first, and again when writing: a baseline is never replaced by mistake.
    if !args.force && args.out.exists() {
        return Err(Fatal(refuse_overwrite(&args.out)));
    }
    let report = check::run(&CheckOptions {
        paths: &args.paths,
        base_urls: &args.base_url,
        baseline: None,
        redact: !args.no_redact,
        limits: args.limits.limits(),
        product: args.product,
    })
    .map_err(Fatal)?;
    print_warnings(&report.warnings, args.quiet);
    if let Some(why) = &report.summary.nothing_checked {
        return Err(Fatal(format!("nothing to snapshot: {why}")));
    }
    let snap = baseline::build(&report.instances, !args.no_redact);
    let mut text = serde_json::to_string_pretty(&snap)
        .map_err(|e| Fatal(format!("could not serialise the snapshot: {e}")))?;
    text.push('\n');
    write_snapshot(&args.out, &text, args.force)?;
    if !args.quiet {
        for i in &report.instances {
            eprintln!(
                "linkdoctor: saved {} {} ({} connector{}) from {}",
                i.product_label,
                i.version.as_deref().unwrap_or("(version unknown)"),
                i.config.as_ref().map_or(0, |c| c.connectors.len()),
                if i.config.as_ref().map_or(0, |c| c.connectors.len()) == 1 {
                    ""
                } else {
                    "s"
                },
                i.effective_file
                    .as_deref()
                    .unwrap_or("(no configuration file)")
            );
        }
        eprintln!("linkdoctor: snapshot written to {}", args.out.display());
    }
    Ok(if args.strict && !report.warnings.is_empty() {
        exit::FATAL
    } else {
        exit::OK
    })
}

fn refuse_overwrite(path: &std::path::Path) -> String {
    format!(
        "{} exists: a snapshot is the baseline `check --baseline` compares with, so it is not replaced; pass --force to overwrite it",
        sanitize::inline(&path.display().to_string())
    )
}

/// Writes the snapshot: without `force`, only if no file is there (checked atomically with
/// `create_new`); with it, replacing the file by a rename, so a reader never sees half.
fn write_snapshot(path: &std::path::Path, text: &str, force: bool) -> Result<(), Fatal> {
    use std::io::Write;
    let cannot = |e: std::io::Error| Fatal(format!("cannot write {}: {e}", path.display()));
    if force {
        return crate::report::render::prometheus::write_atomically(path, text).map_err(cannot);
    }
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                Fatal(refuse_overwrite(path))
            } else {
                cannot(e)
            }
        })?;
    f.write_all(text.as_bytes()).map_err(cannot)
}
