//! The Prometheus text exposition format, as node_exporter's textfile collector reads it
//! (`--format prometheus`, `--metrics FILE`): events per cause, per product, per node and
//! per remote end (the findings' remote ends, with their kind), last-seen times, warnings,
//! inputs, bytes and lines read, and the scan's duration and time. Label values come from logs: they are escaped as the format requires
//! (`\\`, `\"`, `\n`) and other control characters are dropped. [`write_atomically`] puts
//! the file in place by a rename, so a collector never reads half of it.

use crate::report::Report;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// A label value as the exposition format needs it.
fn label(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Writes one metric family: its help, type and samples (labels, value).
fn family(out: &mut String, name: &str, kind: &str, help: &str, samples: &[(String, String)]) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
    for (labels, value) in samples {
        if labels.is_empty() {
            let _ = writeln!(out, "{name} {value}");
        } else {
            let _ = writeln!(out, "{name}{{{labels}}} {value}");
        }
    }
}

fn labels(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}=\"{}\"", label(v)))
        .collect::<Vec<_>>()
        .join(",")
}

/// The metrics of `report`; `duration` is the scan's, in seconds, when known (a merge
/// leaves it out: the shards' durations are theirs).
pub fn render(report: &Report, duration: Option<f64>) -> String {
    let mut out = String::new();
    let m = &report.meta;
    family(
        &mut out,
        "linkdoctor_info",
        "gauge",
        "Versions of the report's schema, of linkdoctor and of the rule catalog.",
        &[(
            labels(&[
                ("schema_version", &m.schema_version.to_string()),
                ("tool_version", &m.tool_version),
                ("catalog_version", &m.catalog_version),
            ]),
            "1".into(),
        )],
    );
    // Per cause: findings of several groups (--group-by) add up.
    let mut per_rule: BTreeMap<(&str, &str, &str), usize> = BTreeMap::new();
    let mut last_seen: BTreeMap<&str, i64> = BTreeMap::new();
    let mut remotes: BTreeMap<(&str, &str, &str), usize> = BTreeMap::new();
    for f in &report.findings {
        *per_rule
            .entry((f.rule.as_str(), f.severity.name(), f.category))
            .or_default() += f.count;
        if let Some(t) = f.last_seen.and_then(|t| t.epoch_seconds(None)) {
            let e = last_seen.entry(f.rule.as_str()).or_insert(t);
            *e = (*e).max(t);
        }
        if let Some(r) = &f.remotes {
            let listed = r.ends.iter().map(|e| (e.remote.as_str(), e.count));
            let left_out =
                (r.not_listed > 0).then_some((crate::report::REMOTES_LEFT_OUT, r.not_listed));
            for (end, n) in listed.chain(left_out) {
                *remotes.entry((f.rule.as_str(), end, r.kind)).or_default() += n;
            }
        }
    }
    let samples: Vec<_> = per_rule
        .iter()
        .map(|((r, s, c), n)| {
            (
                labels(&[("rule", r), ("severity", s), ("category", c)]),
                n.to_string(),
            )
        })
        .collect();
    family(
        &mut out,
        "linkdoctor_events",
        "gauge",
        "Events per cause (rule) in the scanned logs.",
        &samples,
    );
    let samples: Vec<_> = report
        .product_causes
        .iter()
        .flat_map(|(p, causes)| {
            causes
                .iter()
                .map(move |(r, n)| (labels(&[("product", p), ("rule", r)]), n.to_string()))
        })
        .collect();
    family(
        &mut out,
        "linkdoctor_product_events",
        "gauge",
        "Events per product (- when unknown) and cause.",
        &samples,
    );
    let samples: Vec<_> = report
        .node_summary
        .iter()
        .flat_map(|row| {
            row.causes
                .iter()
                .map(move |(r, n)| (labels(&[("node", &row.node), ("rule", r)]), n.to_string()))
        })
        .collect();
    family(
        &mut out,
        "linkdoctor_node_events",
        "gauge",
        "Events per node (- when unknown) and cause; empty when no input has a node.",
        &samples,
    );
    let samples: Vec<_> = remotes
        .iter()
        .map(|((r, h, k), n)| {
            (
                labels(&[("rule", r), ("remote", h), ("kind", k)]),
                n.to_string(),
            )
        })
        .collect();
    family(
        &mut out,
        "linkdoctor_remote_events",
        "gauge",
        "Events per cause and remote end (host, or host:port where the log names the port; kind: applink, directory or integration); the ends past 64 per finding add up under \"(other remote ends)\".",
        &samples,
    );
    let samples: Vec<_> = last_seen
        .iter()
        .map(|(r, t)| (labels(&[("rule", r)]), t.to_string()))
        .collect();
    family(
        &mut out,
        "linkdoctor_last_seen_timestamp_seconds",
        "gauge",
        "Time of the latest event per cause, in seconds since the Unix epoch.",
        &samples,
    );
    let s = &report.summary;
    let scalar = |out: &mut String, name: &str, help: &str, v: String| {
        family(out, name, "gauge", help, &[(String::new(), v)]);
    };
    scalar(
        &mut out,
        "linkdoctor_warnings",
        "Warnings (unreadable files, corrupt archives, bad rule files).",
        s.warnings.to_string(),
    );
    scalar(
        &mut out,
        "linkdoctor_inputs",
        "Inputs (files and archive members) found.",
        s.inputs.to_string(),
    );
    scalar(
        &mut out,
        "linkdoctor_read_bytes",
        "Bytes read (decompressed).",
        s.bytes.to_string(),
    );
    scalar(
        &mut out,
        "linkdoctor_read_lines",
        "Lines read.",
        s.lines.to_string(),
    );
    scalar(
        &mut out,
        "linkdoctor_undated_left_out_events",
        "Events left out by --since/--until for having no time.",
        s.undated_left_out.to_string(),
    );
    if let Ok(ts) = m.scanned_at.parse::<jiff::Timestamp>() {
        scalar(
            &mut out,
            "linkdoctor_scan_timestamp_seconds",
            "When the scan started, in seconds since the Unix epoch.",
            ts.as_second().to_string(),
        );
    }
    if let Some(d) = duration {
        scalar(
            &mut out,
            "linkdoctor_scan_duration_seconds",
            "How long the scan took.",
            format!("{d:.3}"),
        );
    }
    out
}

pub use super::write_atomically;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(label("a\"b\\c\nd\x1b[31m"), "a\\\"b\\\\c\\nd[31m");
    }

    #[test]
    fn files_are_replaced_whole() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("linkdoctor.prom");
        write_atomically(&p, "a 1\n").unwrap();
        write_atomically(&p, "b 2\n").unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "b 2\n");
        // Nothing else is left in the folder.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
