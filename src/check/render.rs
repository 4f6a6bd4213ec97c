//! Renders a [`CheckReport`] in the formats `scan` offers: table (comfy-table, in the style of
//! the scan report), one JSON document, NDJSON (one finding per line, then the warnings,
//! then the summary) and Markdown for a ticket. Output depends only on the report.

use super::model::{CheckFinding, CheckReport};
use crate::report::render::{Format, bold, new_table, severity_cell};
use comfy_table::Cell;
use serde_json::json;
use std::fmt::Write;

pub fn render(report: &CheckReport, format: Format, color: bool) -> String {
    match format {
        Format::Table => table(report, color),
        Format::Json => {
            let mut s = serde_json::to_string_pretty(report).unwrap_or_else(|e| {
                json!({"error": format!("could not serialise the report: {e}")}).to_string()
            });
            s.push('\n');
            s
        }
        Format::Ndjson => ndjson(report),
        Format::Markdown => markdown(report),
        Format::Prometheus => metrics(report),
    }
}

/// node_exporter textfile metrics: findings per rule, product and severity, and warnings.
fn metrics(r: &CheckReport) -> String {
    let esc = |v: &str| {
        v.chars()
            .filter(|c| !c.is_control())
            .collect::<String>()
            .replace('\\', "\\\\")
            .replace('"', "\\\"")
    };
    let mut per: std::collections::BTreeMap<(String, &str, &str), usize> = Default::default();
    for f in &r.findings {
        *per.entry((esc(&f.id), f.product.name(), f.severity.name()))
            .or_default() += 1;
    }
    let mut out = String::from(
        "# HELP linkdoctor_check_findings Configuration findings per rule, product and severity.\n# TYPE linkdoctor_check_findings gauge\n",
    );
    for ((rule, product, severity), n) in per {
        let _ = writeln!(
            out,
            "linkdoctor_check_findings{{rule=\"{rule}\",product=\"{product}\",severity=\"{severity}\"}} {n}"
        );
    }
    let _ = writeln!(
        out,
        "# HELP linkdoctor_check_warnings Warnings while checking.\n# TYPE linkdoctor_check_warnings gauge\nlinkdoctor_check_warnings {}",
        r.warnings.len()
    );
    out
}

fn location(f: &CheckFinding) -> String {
    match f.line {
        Some(l) => format!("{}:{l}", f.file),
        None => f.file.clone(),
    }
}

/// `path` relative to the instance root it lies under (`<root>/conf/server.xml`), for the
/// instances table; findings keep full paths.
fn short_path(path: &str, roots: &[String]) -> String {
    roots
        .iter()
        .enumerate()
        .find_map(|(n, r)| path.strip_prefix(r.as_str()).map(|rest| (n, rest)))
        .map(|(n, rest)| (n, rest.trim_start_matches(['/', '\\'])))
        .filter(|(_, rest)| !rest.is_empty())
        .map(|(n, rest)| format!("<root {}>/{rest}", n + 1))
        .unwrap_or_else(|| path.to_string())
}

fn headline(r: &CheckReport) -> String {
    let s = &r.summary;
    let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
    let mut line = format!(
        "linkdoctor check: {} in {}, {} configuration file{} found; {}",
        plural(s.findings, "finding"),
        plural(s.instances, "product instance"),
        s.files,
        if s.files == 1 { "" } else { "s" },
        plural(s.warnings, "warning"),
    );
    if let Some(b) = &s.baseline {
        let _ = write!(line, "; compared with baseline {b}");
    }
    if s.nothing_checked.is_some() {
        line.push_str("; NOTHING CHECKED");
    }
    line
}

fn table(r: &CheckReport, color: bool) -> String {
    let mut o = String::new();
    let bold = |s: &str| bold(s, color);
    let _ = writeln!(o, "{}", bold(&headline(r)));
    if !r.instances.is_empty() {
        let mut t = new_table(color);
        t.set_header([
            "Product",
            "Version",
            "Effective configuration",
            "Files found",
            "Base URL",
            "JVM time zone",
        ]);
        for i in &r.instances {
            let short = |p: &str| short_path(p, &i.roots);
            t.add_row(vec![
                Cell::new(format!("{}\n{}", i.product_label, i.roots.join("\n"))),
                Cell::new(match (&i.version, &i.version_source) {
                    (Some(v), Some(s)) => format!("{v}\n(from {})", short(s)),
                    (Some(v), None) => v.clone(),
                    _ => "unknown".into(),
                }),
                Cell::new(format!(
                    "{}\n{}",
                    i.effective_file
                        .as_deref()
                        .map(short)
                        .unwrap_or_else(|| "(none found)".into()),
                    i.effective_reason
                )),
                Cell::new(if i.files_found.is_empty() {
                    "-".into()
                } else {
                    i.files_found
                        .iter()
                        .map(|f| short(f))
                        .collect::<Vec<_>>()
                        .join("\n")
                }),
                Cell::new(i.base_url.as_deref().unwrap_or("-")),
                Cell::new(i.timezone.as_deref().unwrap_or("-")),
            ]);
        }
        let _ = writeln!(o, "{t}");
    }
    if let Some(why) = &r.summary.nothing_checked {
        let _ = writeln!(
            o,
            "Nothing was checked, so nothing is known to be right: {why}"
        );
    } else if r.findings.is_empty() {
        let _ = writeln!(o, "No configuration problems found.");
    } else {
        let mut t = new_table(color);
        t.set_header([
            "#",
            "Severity",
            "Finding",
            "Where",
            "Attribute",
            "Current",
            "Expected",
        ]);
        for (n, f) in r.findings.iter().enumerate() {
            let sev = severity_cell(f.severity, color);
            t.add_row(vec![
                Cell::new(n + 1),
                sev,
                Cell::new(format!("{}\n{}", f.title, f.id)),
                Cell::new(location(f)),
                Cell::new(f.attribute.as_deref().unwrap_or("-")),
                Cell::new(f.current.as_deref().unwrap_or("-")),
                Cell::new(f.expected.as_deref().unwrap_or("-")),
            ]);
        }
        let _ = writeln!(o, "{t}");
        for (n, f) in r.findings.iter().enumerate() {
            let _ = writeln!(
                o,
                "\n[{}] {} {} ({}, {})",
                n + 1,
                f.severity.name().to_uppercase(),
                bold(&f.title),
                f.id,
                f.product
            );
            let _ = writeln!(o, "    Where: {}", location(f));
            let _ = writeln!(o, "    Why: {}", f.explanation);
            let _ = writeln!(o, "    Fix: {}", f.fix);
        }
    }
    if !r.warnings.is_empty() {
        let _ = writeln!(o, "\n{}", bold("Warnings:"));
        for w in &r.warnings {
            let _ = writeln!(o, "  {w}");
        }
    }
    o
}

fn ndjson(r: &CheckReport) -> String {
    let mut out = String::new();
    let mut push = |kind: &str, v: serde_json::Value| {
        let mut v = v;
        if let Some(obj) = v.as_object_mut() {
            obj.insert("type".into(), kind.into());
        }
        out.push_str(&v.to_string());
        out.push('\n');
    };
    for f in &r.findings {
        push("finding", serde_json::to_value(f).unwrap_or_default());
    }
    for w in &r.warnings {
        push("warning", serde_json::to_value(w).unwrap_or_default());
    }
    let mut summary = serde_json::to_value(&r.summary).unwrap_or_default();
    if let Some(obj) = summary.as_object_mut() {
        obj.insert(
            "instances_found".into(),
            serde_json::to_value(
                r.instances
                    .iter()
                    .map(|i| {
                        json!({
                            "product": i.product_label,
                            "roots": i.roots,
                            "version": i.version,
                            "effective_file": i.effective_file,
                        })
                    })
                    .collect::<Vec<_>>(),
            )
            .unwrap_or_default(),
        );
    }
    push("summary", summary);
    out
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn markdown(r: &CheckReport) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "# linkdoctor configuration check\n\n{}.\n", headline(r));
    if !r.instances.is_empty() {
        let _ = writeln!(
            o,
            "| Product | Version | Effective configuration | Base URL | JVM time zone |"
        );
        let _ = writeln!(o, "|---|---|---|---|---|");
        for i in &r.instances {
            let _ = writeln!(
                o,
                "| {} | {} | `{}` ({}) | {} | {} |",
                cell(&i.product_label),
                cell(i.version.as_deref().unwrap_or("unknown")),
                cell(i.effective_file.as_deref().unwrap_or("(none found)")),
                cell(&i.effective_reason),
                cell(i.base_url.as_deref().unwrap_or("-")),
                cell(i.timezone.as_deref().unwrap_or("-")),
            );
        }
        let _ = writeln!(o);
    }
    if let Some(why) = &r.summary.nothing_checked {
        let _ = writeln!(
            o,
            "**Nothing was checked**, so nothing is known to be right: {}\n",
            cell(why)
        );
    } else if r.findings.is_empty() {
        let _ = writeln!(o, "No configuration problems found.\n");
    } else {
        let _ = writeln!(
            o,
            "| Severity | Finding | Where | Attribute | Current | Expected |"
        );
        let _ = writeln!(o, "|---|---|---|---|---|---|");
        for f in &r.findings {
            let _ = writeln!(
                o,
                "| {} | {} (`{}`) | `{}` | {} | {} | {} |",
                f.severity,
                cell(&f.title),
                f.id,
                cell(&location(f)),
                cell(f.attribute.as_deref().unwrap_or("-")),
                cell(f.current.as_deref().unwrap_or("-")),
                cell(f.expected.as_deref().unwrap_or("-")),
            );
        }
        let _ = writeln!(o);
        for (n, f) in r.findings.iter().enumerate() {
            let _ = writeln!(
                o,
                "## {}. {} (`{}`, {})\n",
                n + 1,
                f.title,
                f.id,
                f.severity
            );
            let _ = writeln!(o, "- Where: `{}`", location(f));
            let _ = writeln!(o, "- Why: {}", f.explanation);
            let _ = writeln!(o, "- Fix: {}\n", f.fix);
        }
    }
    if !r.warnings.is_empty() {
        let _ = writeln!(o, "## Warnings\n");
        for w in &r.warnings {
            let _ = writeln!(o, "- `{w}`");
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::model::CheckSummary;
    use crate::model::{Product, Severity};

    fn report() -> CheckReport {
        CheckReport {
            summary: CheckSummary {
                instances: 0,
                files: 0,
                findings: 1,
                warnings: 0,
                highest_severity: Some(Severity::Error),
                baseline: None,
                nothing_checked: None,
            },
            instances: vec![],
            findings: vec![CheckFinding {
                severity: Severity::Error,
                id: "proxy-name-without-port".into(),
                product: Product::Jira,
                title: "t|x".into(),
                file: "conf/server.xml".into(),
                line: Some(7),
                attribute: Some("proxyPort".into()),
                current: None,
                expected: Some("443".into()),
                explanation: "e".into(),
                fix: "f".into(),
            }],
            warnings: vec![crate::warning::Warning::new("x", "bad")],
        }
    }

    #[test]
    fn every_format_names_file_line_and_attribute() {
        let r = report();
        for format in [
            Format::Table,
            Format::Json,
            Format::Markdown,
            Format::Ndjson,
        ] {
            let out = render(&r, format, false);
            assert!(out.contains("conf/server.xml"), "{format:?}: {out}");
            assert!(out.contains("proxyPort"), "{format:?}: {out}");
        }
        let nd = render(&r, Format::Ndjson, false);
        let kinds: Vec<String> = nd
            .lines()
            .map(|l| {
                serde_json::from_str::<serde_json::Value>(l).unwrap()["type"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        assert_eq!(kinds, ["finding", "warning", "summary"]);
        assert!(render(&r, Format::Markdown, false).contains("t\\|x"));
    }
}
