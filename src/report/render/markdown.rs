//! Markdown renderer, for pasting into a support ticket. Texts from the input and from user
//! rules go through [`sanitize`](crate::report::sanitize) (Markdown is often viewed in a
//! terminal first).

use super::{human_bytes, line_list};
use crate::report::Report;
use crate::report::sanitize::{block, inline as clean};
use std::fmt::Write;

/// `s` on one line of a table cell or list item: pipes escaped, newlines made spaces,
/// other controls shown escaped.
fn cell(s: &str) -> String {
    clean(&s.replace('|', "\\|").replace('\n', " ")).into_owned()
}

/// Markers listed in Markdown (the JSON report lists every marker kept).
const MAX_LISTED_MARKERS: usize = 20;

/// The restarts and upgrades the logs show, one line each (the HTML timeline draws them).
fn restarts(o: &mut String, r: &Report) {
    let _ = writeln!(o, "## Restarts and upgrades\n");
    for m in r.markers.iter().take(MAX_LISTED_MARKERS) {
        let place = m
            .node
            .as_deref()
            .or(m.product.map(|p| p.name()))
            .unwrap_or("-");
        let version = match (m.fields.get("previous_version"), m.fields.get("version")) {
            (Some(p), Some(v)) => format!(", {} to {}", cell(p), cell(v)),
            (None, Some(v)) => format!(", version {}", cell(v)),
            _ => String::new(),
        };
        let _ = writeln!(
            o,
            "- {} {} at {}: {}{version} (`{}:{}`)",
            cell(place),
            if m.kind == crate::rules::schema::MarkerKind::Upgrade {
                "upgraded"
            } else {
                "restarted"
            },
            m.time,
            cell(&m.title),
            cell(&m.path),
            m.line
        );
    }
    let more = r.markers.len().saturating_sub(MAX_LISTED_MARKERS) + r.markers_left_out;
    if more > 0 {
        let _ = writeln!(o, "- and {more} more");
    }
    let _ = writeln!(o);
}

pub fn render(r: &Report) -> String {
    let mut o = String::new();
    let s = &r.summary;
    let _ = writeln!(o, "# linkdoctor report\n");
    let _ = writeln!(
        o,
        "{} findings ({} events) in {} inputs ({}, {} lines); {} warnings.\n",
        s.findings,
        s.events,
        s.inputs,
        human_bytes(s.bytes),
        s.lines,
        s.warnings
    );
    if !r.findings.is_empty() {
        let heading = r.group_by.heading();
        let _ = writeln!(
            o,
            "| {}Severity | Cause | Rule | Count | Products | First seen | Last seen |",
            heading.map(|h| format!("{h} | ")).unwrap_or_default()
        );
        let _ = writeln!(
            o,
            "|{}---|---|---|---:|---|---|---|",
            if heading.is_some() { "---|" } else { "" }
        );
        for f in &r.findings {
            let products: Vec<&str> = f.products.iter().map(|p| p.name()).collect();
            let group = match heading {
                Some(_) => format!("`{}` | ", cell(f.group.as_deref().unwrap_or("-"))),
                None => String::new(),
            };
            let _ = writeln!(
                o,
                "| {group}{} | {} | `{}` | {} | {} | {} | {} |",
                f.severity,
                cell(&f.title),
                cell(&f.rule),
                f.count,
                products.join(", "),
                f.first_seen.map(|t| t.to_string()).unwrap_or_default(),
                f.last_seen.map(|t| t.to_string()).unwrap_or_default()
            );
        }
        let _ = writeln!(o);
    }
    if !r.findings.is_empty() && !r.markers.is_empty() {
        restarts(&mut o, r);
    }
    if !r.node_summary.is_empty() {
        let _ = writeln!(o, "## Per node (node x cause)\n");
        let _ = writeln!(o, "| Node | Products | Events | Causes |");
        let _ = writeln!(o, "|---|---|---:|---|");
        for n in &r.node_summary {
            let products: Vec<&str> = n.products.iter().map(|p| p.name()).collect();
            let causes: Vec<String> = n
                .causes
                .iter()
                .map(|(rule, count)| format!("`{}` ({count})", cell(rule)))
                .collect();
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} |",
                cell(&n.node),
                products.join(", "),
                n.events,
                causes.join(", ")
            );
        }
        let _ = writeln!(o);
    }
    for (i, f) in r.findings.iter().enumerate() {
        let group = match (r.group_by.heading(), &f.group) {
            (Some(h), Some(g)) => format!(" [{}: {}]", h.to_lowercase(), cell(g)),
            _ => String::new(),
        };
        let _ = writeln!(
            o,
            "## {}.{group} {} (`{}`, {})\n",
            i + 1,
            cell(&f.title),
            cell(&f.rule),
            f.severity
        );
        let _ = writeln!(o, "**Cause.** {}\n", clean(&f.cause));
        if let Some(context) = &f.context {
            let _ = writeln!(o, "**Context.** {}\n", clean(context));
        }
        for fact in &f.facts {
            let _ = writeln!(o, "**Finding.** {}\n", clean(fact));
        }
        if let Some(remotes) = &f.remotes {
            let _ = writeln!(
                o,
                "**{}:** {}\n",
                super::remote_label(remotes),
                super::remote_ends(remotes, |e| format!("`{}`", cell(e)))
            );
        }
        for (key, vals) in &f.values {
            let list: Vec<String> = vals
                .iter()
                .map(|(v, n)| format!("`{}` ({n})", cell(v)))
                .collect();
            let _ = writeln!(o, "**{}:** {}\n", cell(key), list.join(", "));
        }
        if !f.nodes.is_empty() {
            let _ = writeln!(o, "**Nodes:** {}\n", cell(&f.nodes.join(", ")));
        }
        let _ = writeln!(o, "**Evidence:**\n");
        for file in &f.files {
            let _ = writeln!(
                o,
                "- `{}`: {}",
                cell(&file.path),
                line_list(&file.lines, file.count)
            );
        }
        let _ = writeln!(o, "\n**What to do:**\n");
        for (n, step) in f.remediation.iter().enumerate() {
            let _ = writeln!(o, "{}. {}", n + 1, clean(step.trim()));
        }
        if !f.also_matched.is_empty() {
            let list: Vec<String> = f
                .also_matched
                .iter()
                .map(|a| format!("`{}` ({})", cell(&a.rule), a.count))
                .collect();
            let _ = writeln!(o, "\nAlso matched: {}", list.join(", "));
        }
        if !f.references.is_empty() {
            let _ = writeln!(o, "\nReferences: {}", cell(&f.references.join("; ")));
        }
        if let Some(sample) = &f.sample {
            let _ = writeln!(o, "\nSample (`{}:{}`):\n", cell(&sample.path), sample.line);
            let _ = writeln!(o, "```\n{}\n```", block(&sample.text.replace("```", "'''")));
        }
        let _ = writeln!(o);
    }
    if !r.links.is_empty() {
        let _ = writeln!(o, "## Links seen from both ends\n");
        for link in &r.links {
            let (heading, notes) = super::describe_link(link);
            let _ = writeln!(o, "- **{}**", cell(&heading));
            for note in notes {
                let _ = writeln!(o, "  - {}", cell(&note));
            }
        }
        let _ = writeln!(o);
    }
    if !r.warnings.is_empty() {
        let _ = writeln!(o, "## Warnings\n");
        for w in &r.warnings {
            let _ = writeln!(o, "- `{}`", cell(&w.to_string()));
        }
        let _ = writeln!(o);
    }
    o
}
