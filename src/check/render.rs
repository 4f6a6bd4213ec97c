//! Renders a [`CheckReport`] in the formats `scan` offers: table (comfy-table, in the style of
//! the scan report, fitted to the terminal), one JSON document, NDJSON (one finding per line,
//! then the warnings, then the summary), Markdown and Jira wiki markup for a ticket, and a
//! self-contained HTML page. Output depends only on the report (and the table's layout).
//! Texts from configuration files are sanitised for the terminal in the text formats and
//! escaped in HTML and Jira markup.

use super::model::{CheckFinding, CheckReport};
use crate::report::render::layout::{reference, wrap};
use crate::report::render::push_table;
use crate::report::render::{Format, Layout, bold, html, jira, severity_cell, table_for};
use crate::report::sanitize::inline as clean;
use comfy_table::Cell;
use serde_json::json;
use std::fmt::Write;

/// Renders `report` in `format`, the table laid out for standard output.
pub fn render(report: &CheckReport, format: Format, color: bool) -> String {
    render_in(report, format, color, Layout::detect())
}

/// Renders `report` in `format`, the table laid out as `layout` says.
pub fn render_in(report: &CheckReport, format: Format, color: bool, layout: Layout) -> String {
    match format {
        Format::Table => table(report, color, layout),
        Format::Jira => jira_markup(report),
        Format::Html => html_page(report),
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

/// The documents behind a finding, from the check catalog.
fn references(f: &CheckFinding) -> &'static [&'static str] {
    super::catalog::find(&f.id).map_or(&[], |k| k.references)
}

/// From this width on, instances and findings are tables with a column per field.
const WIDE: usize = 150;

/// `attribute: current -> expected`, sanitised.
fn change(f: &CheckFinding) -> String {
    format!(
        "{}: {} -> {}",
        clean(f.attribute.as_deref().unwrap_or("-")),
        clean(f.current.as_deref().unwrap_or("-")),
        clean(f.expected.as_deref().unwrap_or("-"))
    )
}

/// The "What to do" steps of a finding: its fix, located to the file and attribute (the
/// catalog's general advice is one `linkdoctor explain ID` away).
fn steps(f: &CheckFinding) -> Vec<String> {
    vec![f.fix.clone()]
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

fn table(r: &CheckReport, color: bool, layout: Layout) -> String {
    let mut o = String::new();
    let bold = |s: &str| bold(s, color);
    let prose = layout.prose_width();
    let _ = writeln!(
        o,
        "{}",
        wrap(&bold(&clean(&headline(r))), layout.width(), "", "  ")
    );
    let wide = layout.width() >= WIDE;
    if !r.instances.is_empty() && !wide {
        // Narrow: one stanza per instance instead of a six-column table.
        for i in &r.instances {
            let short = |p: &str| clean(&short_path(p, &i.roots)).into_owned();
            let version = match (&i.version, &i.version_source) {
                (Some(v), Some(s)) => format!("{} (from {})", clean(v), short(s)),
                (Some(v), None) => clean(v).into_owned(),
                _ => "version unknown".into(),
            };
            let _ = writeln!(
                o,
                "\n{}",
                wrap(
                    &format!("{} {version}", bold(&clean(&i.product_label))),
                    prose,
                    "",
                    "    "
                )
            );
            for root in &i.roots {
                let _ = writeln!(o, "{}", wrap(&clean(root), prose, "  root: ", "    "));
            }
            let effective = format!(
                "{} - {}",
                i.effective_file
                    .as_deref()
                    .map(short)
                    .unwrap_or_else(|| "(none found)".into()),
                clean(&i.effective_reason)
            );
            let _ = writeln!(o, "{}", wrap(&effective, prose, "  in effect: ", "    "));
            if !i.files_found.is_empty() {
                let files: Vec<String> = i.files_found.iter().map(|f| short(f)).collect();
                let _ = writeln!(
                    o,
                    "{}",
                    wrap(&files.join(", "), prose, "  files found: ", "    ")
                );
            }
            let _ = writeln!(
                o,
                "{}",
                wrap(
                    &format!(
                        "base URL {}; JVM time zone {}",
                        clean(i.base_url.as_deref().unwrap_or("-")),
                        clean(i.timezone.as_deref().unwrap_or("-"))
                    ),
                    prose,
                    "  ",
                    "    "
                )
            );
        }
        o.push('\n');
    }
    if !r.instances.is_empty() && wide {
        let mut t = table_for(color, layout);
        t.set_header([
            "Product",
            "Version",
            "Effective configuration",
            "Files found",
            "Base URL",
            "JVM time zone",
        ]);
        for i in &r.instances {
            let short = |p: &str| clean(&short_path(p, &i.roots)).into_owned();
            t.add_row(vec![
                Cell::new(
                    std::iter::once(&i.product_label)
                        .chain(&i.roots)
                        .map(|s| clean(s).into_owned())
                        .collect::<Vec<_>>()
                        .join("\n"),
                ),
                Cell::new(match (&i.version, &i.version_source) {
                    (Some(v), Some(s)) => format!("{}\n(from {})", clean(v), short(s)),
                    (Some(v), None) => clean(v).into_owned(),
                    _ => "unknown".into(),
                }),
                Cell::new(format!(
                    "{}\n{}",
                    i.effective_file
                        .as_deref()
                        .map(short)
                        .unwrap_or_else(|| "(none found)".into()),
                    clean(&i.effective_reason)
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
                Cell::new(clean(i.base_url.as_deref().unwrap_or("-"))),
                Cell::new(clean(i.timezone.as_deref().unwrap_or("-"))),
            ]);
        }
        push_table(&mut o, &t);
    }
    if let Some(why) = &r.summary.nothing_checked {
        let _ = writeln!(
            o,
            "{}",
            wrap(
                &clean(&format!(
                    "Nothing was checked, so nothing is known to be right: {why}"
                )),
                prose,
                "",
                "  "
            )
        );
    } else if r.findings.is_empty() {
        let _ = writeln!(o, "No configuration problems found.");
    } else {
        let mut t = table_for(color, layout);
        if wide {
            t.set_header([
                "#",
                "Severity",
                "Finding",
                "Where",
                "Attribute",
                "Current",
                "Expected",
            ]);
        } else {
            t.set_header(["#", "Severity", "Finding", "Attribute: current -> expected"]);
        }
        for (n, f) in r.findings.iter().enumerate() {
            let sev = severity_cell(f.severity, color);
            let finding = Cell::new(format!("{}\n{}", clean(&f.title), clean(&f.id)));
            if wide {
                t.add_row(vec![
                    Cell::new(n + 1),
                    sev,
                    finding,
                    Cell::new(clean(&location(f))),
                    Cell::new(clean(f.attribute.as_deref().unwrap_or("-"))),
                    Cell::new(clean(f.current.as_deref().unwrap_or("-"))),
                    Cell::new(clean(f.expected.as_deref().unwrap_or("-"))),
                ]);
            } else {
                t.add_row(vec![Cell::new(n + 1), sev, finding, Cell::new(change(f))]);
            }
        }
        push_table(&mut o, &t);
        for (n, f) in r.findings.iter().enumerate() {
            let heading = format!(
                "[{}] {} {} ({}, {})",
                n + 1,
                f.severity.name().to_uppercase(),
                bold(&clean(&f.title)),
                clean(&f.id),
                f.product
            );
            let _ = writeln!(o, "\n{}", wrap(&heading, prose, "", "    "));
            let _ = writeln!(
                o,
                "{}",
                wrap(&clean(&location(f)), prose, "    Where: ", "      ")
            );
            let _ = writeln!(
                o,
                "{}",
                wrap(&clean(&f.explanation), prose, "    Why: ", "      ")
            );
            let _ = writeln!(o, "    {}", bold("What to do:"));
            for (k, step) in steps(f).iter().enumerate() {
                let first = format!("      {}. ", k + 1);
                let rest = " ".repeat(first.len());
                let _ = writeln!(o, "{}", wrap(&clean(step), prose, &first, &rest));
            }
            let refs = references(f);
            if !refs.is_empty() {
                let _ = writeln!(o, "    References:");
                for rf in refs {
                    let _ = writeln!(o, "{}", reference(rf, prose, "      - ", "        "));
                }
            }
            let _ = writeln!(o, "    More: linkdoctor explain {}", clean(&f.id));
        }
    }
    if !r.warnings.is_empty() {
        let _ = writeln!(o, "\n{}", bold("Warnings:"));
        for w in &r.warnings {
            let _ = writeln!(o, "{}", wrap(&clean(&w.to_string()), prose, "  ", "    "));
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
    clean(&s.replace('|', "\\|").replace('\n', " ")).into_owned()
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
            let _ = writeln!(o, "- Where: `{}`", cell(&location(f)));
            let _ = writeln!(o, "- Why: {}", cell(&f.explanation));
            let _ = writeln!(o, "\n**What to do:**\n");
            for (k, step) in steps(f).iter().enumerate() {
                let _ = writeln!(o, "{}. {}", k + 1, cell(step));
            }
            if !references(f).is_empty() {
                let _ = writeln!(o, "\nReferences: {}", cell(&references(f).join("; ")));
            }
            let _ = writeln!(o);
        }
    }
    if !r.warnings.is_empty() {
        let _ = writeln!(o, "## Warnings\n");
        for w in &r.warnings {
            let _ = writeln!(o, "- `{}`", cell(&w.to_string()));
        }
    }
    o
}

/// Writes the HTML page of `report` to `path` (`check --html FILE`), atomically.
pub fn write_html_file(report: &CheckReport, path: &std::path::Path) -> Result<(), String> {
    crate::report::render::write_atomically(path, &html_page(report))
        .map_err(|e| format!("cannot write the HTML report {}: {e}", path.display()))
}

/// Jira wiki markup of the check report.
fn jira_markup(r: &CheckReport) -> String {
    let e = jira::escape;
    let mut o = String::new();
    let _ = writeln!(
        o,
        "h2. linkdoctor configuration check\n\n{}.\n",
        e(&headline(r))
    );
    if !r.instances.is_empty() {
        let _ = writeln!(
            o,
            "||Product||Version||Effective configuration||Base URL||JVM time zone||"
        );
        for i in &r.instances {
            let _ = writeln!(
                o,
                "|{}|{}|{} ({})|{}|{}|",
                e(&i.product_label),
                e(i.version.as_deref().unwrap_or("unknown")),
                e(i.effective_file.as_deref().unwrap_or("(none found)")),
                e(&i.effective_reason),
                e(i.base_url.as_deref().unwrap_or("-")),
                e(i.timezone.as_deref().unwrap_or("-")),
            );
        }
        let _ = writeln!(o);
    }
    if let Some(why) = &r.summary.nothing_checked {
        let _ = writeln!(
            o,
            "*Nothing was checked*, so nothing is known to be right: {}\n",
            e(why)
        );
    } else if r.findings.is_empty() {
        let _ = writeln!(o, "No configuration problems found.\n");
    } else {
        let _ = writeln!(
            o,
            "||Severity||Finding||Where||Attribute||Current||Expected||"
        );
        for f in &r.findings {
            let _ = writeln!(
                o,
                "|{}|{} ({})|{}|{}|{}|{}|",
                f.severity,
                e(&f.title),
                e(&f.id),
                e(&location(f)),
                e(f.attribute.as_deref().unwrap_or("-")),
                e(f.current.as_deref().unwrap_or("-")),
                e(f.expected.as_deref().unwrap_or("-")),
            );
        }
        for (n, f) in r.findings.iter().enumerate() {
            let _ = writeln!(
                o,
                "\nh3. {}. {} ({}, {})\n",
                n + 1,
                e(&f.title),
                e(&f.id),
                f.severity
            );
            let _ = writeln!(o, "*Where:* {}", e(&location(f)));
            let _ = writeln!(o, "*Why:* {}\n\n*What to do:*", e(&f.explanation));
            for step in steps(f) {
                let _ = writeln!(o, "# {}", e(&step));
            }
            for rf in references(f) {
                let _ = writeln!(o, "* {}", jira::reference(rf));
            }
        }
        let _ = writeln!(o);
    }
    if !r.warnings.is_empty() {
        let _ = writeln!(o, "h3. Warnings\n");
        for w in &r.warnings {
            let _ = writeln!(o, "* {}", e(&w.to_string()));
        }
    }
    o
}

/// The check report as one self-contained HTML page: instances, findings (the baseline
/// differences apart), warnings.
fn html_page(r: &CheckReport) -> String {
    let t = html::text;
    let mut o = String::new();
    html::page_head(&mut o, "linkdoctor configuration check");
    let _ = writeln!(
        o,
        "<header><h1>linkdoctor configuration check</h1><p class=\"muted\">{}.</p></header>",
        t(&headline(r))
    );
    if !r.instances.is_empty() {
        o.push_str("<h2>Instances</h2>\n<table><thead><tr><th>Product</th><th>Version</th><th>Effective configuration</th><th>Files found</th><th>Base URL</th><th>JVM time zone</th></tr></thead><tbody>\n");
        for i in &r.instances {
            let files: Vec<String> = i
                .files_found
                .iter()
                .map(|f| format!("<code>{}</code>", t(f)))
                .collect();
            let _ = writeln!(
                o,
                "<tr><td>{}<br><span class=\"muted\">{}</span></td><td>{}</td><td><code>{}</code><br><span class=\"muted\">{}</span></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                t(&i.product_label),
                t(&i.roots.join(", ")),
                t(i.version.as_deref().unwrap_or("unknown")),
                t(i.effective_file.as_deref().unwrap_or("(none found)")),
                t(&i.effective_reason),
                files.join("<br>"),
                t(i.base_url.as_deref().unwrap_or("-")),
                t(i.timezone.as_deref().unwrap_or("-")),
            );
        }
        o.push_str("</tbody></table>\n");
    }
    if let Some(why) = &r.summary.nothing_checked {
        let _ = writeln!(
            o,
            "<p><strong>Nothing was checked</strong>, so nothing is known to be right: {}</p>",
            t(why)
        );
    } else if r.findings.is_empty() {
        o.push_str("<p>No configuration problems found.</p>\n");
    }
    let (diff, config): (Vec<_>, Vec<_>) = r
        .findings
        .iter()
        .enumerate()
        .partition(|(_, f)| f.id.starts_with("baseline-"));
    for (title, list) in [
        ("Configuration findings", config),
        ("Changes since the baseline", diff),
    ] {
        if list.is_empty() {
            continue;
        }
        let _ = writeln!(o, "<h2>{}</h2>", t(title));
        for (n, f) in list {
            let _ = writeln!(
                o,
                "<section class=\"finding\" id=\"finding-{}\" data-rule=\"{}\"><h3>{}. {} {}</h3>\n<p class=\"muted\"><code>{}</code> &middot; {}</p>\n<dl><dt>Where</dt><dd><code>{}</code></dd><dt>Attribute</dt><dd><code>{}</code></dd><dt>Current</dt><dd><code>{}</code></dd><dt>Expected</dt><dd><code>{}</code></dd></dl>\n<p><strong>Why.</strong> {}</p>",
                n + 1,
                t(&f.id),
                n + 1,
                html::severity_chip(f.severity),
                t(&f.title),
                t(&f.id),
                t(f.product.name()),
                t(&location(f)),
                t(f.attribute.as_deref().unwrap_or("-")),
                t(f.current.as_deref().unwrap_or("-")),
                t(f.expected.as_deref().unwrap_or("-")),
                t(&f.explanation),
            );
            html::what_to_do(&mut o, &steps(f));
            html::references(&mut o, references(f));
            o.push_str("</section>\n");
        }
    }
    if !r.warnings.is_empty() {
        o.push_str("<h2>Warnings</h2>\n<ul>\n");
        for w in &r.warnings {
            let _ = writeln!(o, "<li><code>{}</code></li>", t(&w.to_string()));
        }
        o.push_str("</ul>\n");
    }
    html::page_foot(&mut o);
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
