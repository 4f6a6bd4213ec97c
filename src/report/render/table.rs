//! The default, human-readable renderer: a summary table of causes (comfy-table), then one
//! section per cause with what it means, where it was seen, what to do and a sample. Every
//! text that comes from the input or from user rules goes through [`sanitize`] first, so no
//! terminal escape from a log line or file name reaches the terminal.
//!
//! The [`Layout`] sets the width: tables shrink to it (below [`WIDE`] columns the first and
//! last times share one column, to the minute) and prose wraps to it. Piped output is plain:
//! no borders, 80 columns.
//!
//! [`sanitize`]: crate::report::sanitize

use super::layout::{reference, wrap};
use super::{Layout, human_bytes, line_list, severity_cell, table_for};
use crate::model::{LogTime, Severity};
use crate::report::Report;
use crate::report::sanitize::inline as clean;
use comfy_table::Cell;
use std::fmt::Write;

/// From this width on, first and last seen get a column each, with full precision.
const WIDE: usize = 150;

/// `2024-03-05 10:05` (the minute is enough to read a table; sections give full times).
fn short_time(t: Option<LogTime>) -> String {
    t.map(|t| t.civil.strftime("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|| "-".into())
}

struct Style {
    color: bool,
}

impl Style {
    fn bold(&self, s: &str) -> String {
        super::bold(s, self.color)
    }
    fn dim(&self, s: &str) -> String {
        if self.color {
            format!("\x1b[2m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    fn severity(&self, s: Severity) -> String {
        let label = s.name().to_uppercase();
        if !self.color {
            return label;
        }
        let code = match s {
            Severity::Critical => "35",
            Severity::Error => "31",
            Severity::Warning => "33",
            Severity::Info => "34",
        };
        format!("\x1b[1;{code}m{label}\x1b[0m")
    }
}

/// A table's lines without trailing blanks (the borderless layout pads every cell).
pub(crate) fn push_table(o: &mut String, t: &comfy_table::Table) {
    for line in t.to_string().lines() {
        o.push_str(line.trim_end());
        o.push('\n');
    }
}

pub fn render(r: &Report, color: bool, layout: Layout) -> String {
    let st = Style { color };
    let prose = layout.prose_width();
    let wide = layout.width() >= WIDE;
    let mut o = String::new();
    let s = &r.summary;
    let headline = format!(
        "{} {} finding{} ({} events) in {} input{} ({}, {} lines); {} warning{}",
        st.bold("linkdoctor:"),
        s.findings,
        if s.findings == 1 { "" } else { "s" },
        s.events,
        s.inputs,
        if s.inputs == 1 { "" } else { "s" },
        human_bytes(s.bytes),
        s.lines,
        s.warnings,
        if s.warnings == 1 { "" } else { "s" },
    );
    let _ = writeln!(o, "{}", wrap(&headline, layout.width(), "", "  "));
    if r.findings.is_empty() {
        let _ = writeln!(o, "No application-link problems found.");
    } else {
        let mut t = table_for(color, layout);
        let heading = r.group_by.heading();
        // Narrow: the group goes under the cause rather than into a column of its own, so
        // host names and rule ids are not broken mid-word.
        let group = heading.filter(|_| wide);
        let mut header = if wide {
            vec![
                "#",
                "Severity",
                "Cause",
                "Count",
                "Products",
                "First seen",
                "Last seen",
            ]
        } else {
            // Narrow: products go under the cause, the two times share a column.
            vec!["#", "Severity", "Cause", "Count", "First / last seen"]
        };
        if let Some(g) = group {
            header.insert(1, g);
        }
        t.set_header(header);
        // Every column but the cause (and the group) keeps its width; the cause wraps.
        let fixed: &[usize] = match (wide, group.is_some()) {
            (true, false) => &[0, 1, 3, 5, 6],
            (true, true) => &[0, 2, 4, 6, 7],
            (false, false) => &[0, 1, 3, 4],
            (false, true) => &[0, 2, 4, 5],
        };
        for &c in fixed {
            if let Some(col) = t.column_mut(c) {
                col.set_constraint(comfy_table::ColumnConstraint::ContentWidth);
            }
        }
        for (i, f) in r.findings.iter().enumerate() {
            let products: Vec<&str> = f.products.iter().map(|p| p.name()).collect();
            let sev = severity_cell(f.severity, color);
            let mut row = vec![Cell::new(i + 1)];
            if group.is_some() {
                row.push(Cell::new(clean(f.group.as_deref().unwrap_or("-"))));
            }
            if wide {
                row.extend([
                    sev,
                    Cell::new(format!("{}\n{}", clean(&f.title), clean(&f.rule))),
                    Cell::new(f.count),
                    Cell::new(products.join(", ")),
                    Cell::new(
                        f.first_seen
                            .map(|t| t.to_string())
                            .unwrap_or_else(|| "-".into()),
                    ),
                    Cell::new(
                        f.last_seen
                            .map(|t| t.to_string())
                            .unwrap_or_else(|| "-".into()),
                    ),
                ]);
            } else {
                let mut cause = format!(
                    "{}\n{}\n{}",
                    clean(&f.title),
                    clean(&f.rule),
                    products.join(", ")
                );
                if let Some(h) = heading {
                    let _ = write!(
                        cause,
                        "\n{}: {}",
                        h.to_lowercase(),
                        clean(f.group.as_deref().unwrap_or("-"))
                    );
                }
                row.extend([
                    sev,
                    Cell::new(cause),
                    Cell::new(f.count),
                    Cell::new(format!(
                        "{}\n{}",
                        short_time(f.first_seen),
                        short_time(f.last_seen)
                    )),
                ]);
            }
            t.add_row(row);
        }
        push_table(&mut o, &t);
    }
    if !r.node_summary.is_empty() {
        let mut t = table_for(false, layout);
        t.set_header(["Node", "Products", "Events", "Causes"]);
        for n in &r.node_summary {
            let products: Vec<&str> = n.products.iter().map(|p| p.name()).collect();
            let causes: Vec<String> = n
                .causes
                .iter()
                .map(|(rule, count)| format!("{} ({count})", clean(rule)))
                .collect();
            t.add_row(vec![
                Cell::new(clean(&n.node)),
                Cell::new(products.join(", ")),
                Cell::new(n.events),
                Cell::new(causes.join("\n")),
            ]);
        }
        let _ = writeln!(o, "\n{}", st.bold("Per node (node x cause):"));
        push_table(&mut o, &t);
    }
    for (i, f) in r.findings.iter().enumerate() {
        let group = f
            .group
            .as_ref()
            .map(|g| format!(" [{}]", clean(g)))
            .unwrap_or_default();
        let heading = format!(
            "[{}]{group} {} {} ({}) - {} event{}",
            i + 1,
            st.severity(f.severity),
            st.bold(&clean(&f.title)),
            clean(&f.rule),
            f.count,
            if f.count == 1 { "" } else { "s" }
        );
        let _ = writeln!(o, "\n{}", wrap(&heading, prose, "", "    "));
        let _ = writeln!(
            o,
            "{}",
            wrap(&clean(f.cause.trim()), prose, "    Cause: ", "      ")
        );
        if let Some(context) = &f.context {
            let _ = writeln!(
                o,
                "{}",
                wrap(&clean(context), prose, "    Context: ", "      ")
            );
        }
        for fact in &f.facts {
            let _ = writeln!(
                o,
                "{}",
                wrap(&clean(fact), prose, "    Finding: ", "      ")
            );
        }
        if let Some(remotes) = &f.remotes {
            let _ = writeln!(
                o,
                "{}",
                wrap(
                    &super::remote_ends(remotes, |e| clean(e).into_owned()),
                    prose,
                    &format!("    {}: ", super::remote_label(remotes)),
                    "      "
                )
            );
        }
        for (key, vals) in &f.values {
            let list: Vec<String> = vals
                .iter()
                .map(|(v, n)| format!("{} ({n})", clean(v)))
                .collect();
            let _ = writeln!(
                o,
                "{}",
                wrap(
                    &format!("{}: {}", clean(key), list.join(", ")),
                    prose,
                    "    ",
                    "      "
                )
            );
        }
        if !f.nodes.is_empty() {
            let _ = writeln!(
                o,
                "{}",
                wrap(&clean(&f.nodes.join(", ")), prose, "    Nodes: ", "      ")
            );
        }
        let _ = writeln!(o, "    Seen in:");
        for file in &f.files {
            let _ = writeln!(
                o,
                "{}",
                wrap(
                    &format!(
                        "{} {}",
                        clean(&file.path),
                        line_list(&file.lines, file.count)
                    ),
                    prose,
                    "      ",
                    "        "
                )
            );
        }
        let _ = writeln!(o, "    {}", st.bold("What to do:"));
        for (n, step) in f.remediation.iter().enumerate() {
            let first = format!("      {}. ", n + 1);
            let rest = " ".repeat(first.len());
            let _ = writeln!(o, "{}", wrap(&clean(step.trim()), prose, &first, &rest));
        }
        if !f.also_matched.is_empty() {
            let list: Vec<String> = f
                .also_matched
                .iter()
                .map(|a| format!("{} ({})", clean(&a.rule), a.count))
                .collect();
            let _ = writeln!(
                o,
                "{}",
                wrap(&list.join(", "), prose, "    Also matched: ", "      ")
            );
        }
        if !f.references.is_empty() {
            let _ = writeln!(o, "    References:");
            for rf in &f.references {
                let _ = writeln!(
                    o,
                    "{}",
                    reference(&clean(rf), prose, "      - ", "        ")
                );
            }
        }
        if let Some(sample) = &f.sample {
            let _ = writeln!(
                o,
                "{}",
                wrap(
                    &format!("Sample ({}:{}):", clean(&sample.path), sample.line),
                    prose,
                    "    ",
                    "      "
                )
            );
            // Evidence wraps at the full width (not the prose width), broken anywhere,
            // so nothing of it is lost on a narrow terminal.
            let evidence_width = layout.width();
            for line in sample.text.lines().take(12) {
                let line = clean(&line.replace('\t', "    ")).into_owned();
                for part in wrap(&line, evidence_width, "      | ", "      |   ").lines() {
                    let _ = writeln!(o, "{}", st.dim(part));
                }
            }
            let n = sample.text.lines().count();
            if n > 12 {
                let _ = writeln!(
                    o,
                    "      {}",
                    st.dim(&format!("| ... ({} more lines)", n - 12))
                );
            }
        }
    }
    if !r.links.is_empty() {
        let _ = writeln!(o, "\n{}", st.bold("Links seen from both ends:"));
        for link in &r.links {
            let (heading, notes) = super::describe_link(link);
            let _ = writeln!(o, "{}", wrap(&clean(&heading), prose, "  ", "    "));
            for note in notes {
                let _ = writeln!(o, "{}", wrap(&clean(&note), prose, "    - ", "      "));
            }
        }
    }
    if !r.warnings.is_empty() {
        let _ = writeln!(o, "\n{}", st.bold("Warnings:"));
        for w in &r.warnings {
            let _ = writeln!(o, "{}", wrap(&clean(&w.to_string()), prose, "  ", "    "));
        }
    }
    o
}
