//! The default, human-readable renderer: a summary table of causes (comfy-table), then one
//! section per cause with what it means, where it was seen, what to do and a sample. Every
//! text that comes from the input or from user rules goes through [`sanitize`] first, so no
//! terminal escape from a log line or file name reaches the terminal.

use super::{human_bytes, line_list, new_table, severity_cell};
use crate::model::Severity;
use crate::report::Report;
use crate::report::sanitize::inline as clean;
use comfy_table::Cell;
use std::fmt::Write;

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

pub fn render(r: &Report, color: bool) -> String {
    let st = Style { color };
    let mut o = String::new();
    let s = &r.summary;
    let _ = writeln!(
        o,
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
    if r.findings.is_empty() {
        let _ = writeln!(o, "No application-link problems found.");
    } else {
        let mut t = new_table(color);
        let group = r.group_by.heading();
        let mut header = vec![
            "#",
            "Severity",
            "Cause",
            "Count",
            "Products",
            "First seen",
            "Last seen",
        ];
        if let Some(g) = group {
            header.insert(1, g);
        }
        t.set_header(header);
        for (i, f) in r.findings.iter().enumerate() {
            let products: Vec<&str> = f.products.iter().map(|p| p.name()).collect();
            let sev = severity_cell(f.severity, color);
            let mut row = vec![Cell::new(i + 1)];
            if group.is_some() {
                row.push(Cell::new(clean(f.group.as_deref().unwrap_or("-"))));
            }
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
            t.add_row(row);
        }
        let _ = writeln!(o, "{t}");
    }
    if !r.node_summary.is_empty() {
        let mut t = new_table(false);
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
        let _ = writeln!(o, "\n{}\n{t}", st.bold("Per node (node x cause):"));
    }
    for (i, f) in r.findings.iter().enumerate() {
        let group = f
            .group
            .as_ref()
            .map(|g| format!(" [{}]", clean(g)))
            .unwrap_or_default();
        let _ = writeln!(
            o,
            "\n[{}]{group} {} {} ({}) - {} event{}",
            i + 1,
            st.severity(f.severity),
            st.bold(&clean(&f.title)),
            clean(&f.rule),
            f.count,
            if f.count == 1 { "" } else { "s" }
        );
        let _ = writeln!(o, "    Cause: {}", clean(&f.cause));
        for fact in &f.facts {
            let _ = writeln!(o, "    Finding: {}", clean(fact));
        }
        for (key, vals) in &f.values {
            let list: Vec<String> = vals
                .iter()
                .map(|(v, n)| format!("{} ({n})", clean(v)))
                .collect();
            let _ = writeln!(o, "    {}: {}", clean(key), list.join(", "));
        }
        if !f.nodes.is_empty() {
            let _ = writeln!(o, "    Nodes: {}", clean(&f.nodes.join(", ")));
        }
        let _ = writeln!(o, "    Seen in:");
        for file in &f.files {
            let _ = writeln!(
                o,
                "      {} {}",
                clean(&file.path),
                line_list(&file.lines, file.count)
            );
        }
        let _ = writeln!(o, "    What to do:");
        for (n, step) in f.remediation.iter().enumerate() {
            let _ = writeln!(o, "      {}. {}", n + 1, clean(step.trim()));
        }
        if !f.also_matched.is_empty() {
            let list: Vec<String> = f
                .also_matched
                .iter()
                .map(|a| format!("{} ({})", clean(&a.rule), a.count))
                .collect();
            let _ = writeln!(o, "    Also matched: {}", list.join(", "));
        }
        if let Some(sample) = &f.sample {
            let _ = writeln!(o, "    Sample ({}:{}):", clean(&sample.path), sample.line);
            for line in sample.text.lines().take(12) {
                let _ = writeln!(o, "      {}", st.dim(&format!("| {}", clean(line))));
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
            let _ = writeln!(o, "  {}", clean(&heading));
            for note in notes {
                let _ = writeln!(o, "    - {}", clean(&note));
            }
        }
    }
    if !r.warnings.is_empty() {
        let _ = writeln!(o, "\n{}", st.bold("Warnings:"));
        for w in &r.warnings {
            let _ = writeln!(o, "  {}", clean(&w.to_string()));
        }
    }
    o
}
