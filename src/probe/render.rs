//! Renders a [`ProbeReport`] in the formats `scan` and `check` offer: table (per URL the
//! steps, the certificate chain and the findings with cause and remediation), one JSON
//! document, NDJSON (a line per finding, per URL, per warning, then the summary) and
//! Markdown. Texts from the remote side go through the terminal sanitiser in table and
//! Markdown, and through the JSON sanitiser in JSON and NDJSON.

use super::findings::{ProbeFinding, ProbeReport, StepStatus, UrlProbe};
use crate::report::render::{Format, bold, new_table, severity_cell};
use crate::report::sanitize;
use comfy_table::Cell;
use serde_json::json;
use std::fmt::Write;

pub fn render(report: &ProbeReport, format: Format, color: bool) -> String {
    match format {
        Format::Table => table(report, color),
        Format::Json => {
            let s = serde_json::to_string_pretty(report).unwrap_or_else(|e| {
                json!({"error": format!("could not serialise the report: {e}")}).to_string()
            });
            let mut s = sanitize::json(s);
            s.push('\n');
            s
        }
        Format::Ndjson => ndjson(report),
        Format::Jira => jira(report),
        // Refused by the command before probing; Markdown is the nearest.
        Format::Markdown | Format::Html | Format::Prometheus => markdown(report),
    }
}

fn s(text: &str) -> String {
    sanitize::inline(text).into_owned()
}

fn headline(r: &ProbeReport) -> String {
    let n = &r.summary;
    let plural = |k: usize, w: &str| format!("{k} {w}{}", if k == 1 { "" } else { "s" });
    format!(
        "linkdoctor probe: {} in {}; {}; trust store: {}",
        plural(n.findings, "finding"),
        plural(n.urls, "URL"),
        plural(n.warnings, "warning"),
        n.trust_store
    )
}

fn status_text(s: StepStatus) -> &'static str {
    match s {
        StepStatus::Ok => "ok",
        StepStatus::Warning => "WARNING",
        StepStatus::Failed => "FAILED",
    }
}

fn finding_text(o: &mut String, n: usize, f: &ProbeFinding, color: bool) {
    let _ = writeln!(
        o,
        "\n[{n}] {} {} ({}) - step {}",
        f.severity.name().to_uppercase(),
        bold(&s(&f.title), color),
        f.rule,
        f.step.name()
    );
    let _ = writeln!(o, "    Finding: {}", s(&f.message));
    for (k, v) in &f.facts {
        let _ = writeln!(o, "    {k}: {}", s(v));
    }
    let _ = writeln!(o, "    Cause: {}", s(&f.cause));
    if !f.remediation.is_empty() {
        let _ = writeln!(o, "    What to do:");
        for (i, r) in f.remediation.iter().enumerate() {
            let _ = writeln!(o, "      {}. {}", i + 1, s(r));
        }
    }
    if !f.references.is_empty() {
        let _ = writeln!(o, "    References: {}", s(&f.references.join("; ")));
    }
}

fn url_table(o: &mut String, p: &UrlProbe, color: bool) {
    let _ = writeln!(
        o,
        "\n{}",
        bold(
            &format!(
                "{} ({}:{}{})",
                s(&p.url),
                s(&p.host),
                p.port,
                p.proxy
                    .as_ref()
                    .map(|x| format!(", proxy {}", s(x)))
                    .unwrap_or_default()
            ),
            color
        )
    );
    let mut t = new_table(color);
    t.set_header(["Step", "Result", "Detail"]);
    for st in &p.steps {
        t.add_row(vec![
            Cell::new(st.step.name()),
            Cell::new(status_text(st.status)),
            Cell::new(s(&st.detail)),
        ]);
    }
    let _ = writeln!(o, "{t}");
    if let Some(tls) = &p.tls {
        if !tls.chain.is_empty() {
            let mut t = new_table(color);
            t.set_header([
                "#",
                "Subject",
                "Issuer",
                "SANs",
                "Valid from",
                "Valid until",
            ]);
            for (i, c) in tls.chain.iter().enumerate() {
                t.add_row(vec![
                    Cell::new(i),
                    Cell::new(s(&c.subject)),
                    Cell::new(s(&c.issuer)),
                    Cell::new(s(&c.sans.join(", "))),
                    Cell::new(&c.not_before),
                    Cell::new(&c.not_after),
                ]);
            }
            let _ = writeln!(o, "Certificate chain sent by the server:\n{t}");
        }
        let _ = writeln!(
            o,
            "TLS versions accepted: {}",
            if tls.accepted_versions.is_empty() {
                "none of TLSv1.3, TLSv1.2".to_string()
            } else {
                tls.accepted_versions.join(", ")
            }
        );
    }
}

fn table(r: &ProbeReport, color: bool) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "{}", bold(&s(&headline(r)), color));
    for p in &r.probes {
        url_table(&mut o, p, color);
    }
    let all: Vec<&ProbeFinding> = r.probes.iter().flat_map(|p| &p.findings).collect();
    if all.is_empty() {
        let _ = writeln!(o, "\nNo problems found: every step passed.");
    } else {
        let mut t = new_table(color);
        t.set_header(["#", "Severity", "Cause", "URL", "Step"]);
        for (i, f) in all.iter().enumerate() {
            t.add_row(vec![
                Cell::new(i + 1),
                severity_cell(f.severity, color),
                Cell::new(format!("{}\n{}", s(&f.title), f.rule)),
                Cell::new(s(&f.url)),
                Cell::new(f.step.name()),
            ]);
        }
        let _ = writeln!(o, "\n{t}");
        for (i, f) in all.iter().enumerate() {
            finding_text(&mut o, i + 1, f, color);
        }
    }
    if !r.warnings.is_empty() {
        let _ = writeln!(o, "\n{}", bold("Warnings:", color));
        for w in &r.warnings {
            let _ = writeln!(o, "  {}", s(&w.to_string()));
        }
    }
    o
}

fn ndjson(r: &ProbeReport) -> String {
    let mut out = String::new();
    let mut push = |kind: &str, v: serde_json::Value| {
        let mut v = v;
        if let Some(obj) = v.as_object_mut() {
            obj.insert("type".into(), kind.into());
        }
        out.push_str(&sanitize::json(v.to_string()));
        out.push('\n');
    };
    for p in &r.probes {
        for f in &p.findings {
            push("finding", serde_json::to_value(f).unwrap_or_default());
        }
    }
    for p in &r.probes {
        let mut v = serde_json::to_value(p).unwrap_or_default();
        if let Some(obj) = v.as_object_mut() {
            obj.remove("findings");
        }
        push("probe", v);
    }
    for w in &r.warnings {
        push("warning", serde_json::to_value(w).unwrap_or_default());
    }
    push(
        "summary",
        serde_json::to_value(&r.summary).unwrap_or_default(),
    );
    out
}

fn cell(text: &str) -> String {
    s(text).replace('|', "\\|")
}

/// Jira wiki markup for Jira Server/Data Center tickets, with the escaping of the scan's
/// Jira renderer (`report::render::jira::escape`).
fn jira(r: &ProbeReport) -> String {
    use crate::report::render::jira::{escape, reference};
    let mut o = String::new();
    let _ = writeln!(o, "h1. linkdoctor probe\n\n{}.\n", escape(&headline(r)));
    for p in &r.probes {
        let _ = writeln!(o, "h2. {}\n", escape(&p.url));
        let _ = writeln!(o, "||Step||Result||Detail||");
        for st in &p.steps {
            let _ = writeln!(
                o,
                "|{}|{}|{}|",
                st.step.name(),
                status_text(st.status),
                escape(&st.detail)
            );
        }
        if let Some(tls) = &p.tls {
            for (i, c) in tls.chain.iter().enumerate() {
                let _ = writeln!(
                    o,
                    "* certificate {i}: subject {}, issuer {}, SANs {}, valid {} to {}",
                    escape(&c.subject),
                    escape(&c.issuer),
                    escape(&c.sans.join(", ")),
                    escape(&c.not_before.to_string()),
                    escape(&c.not_after.to_string())
                );
            }
            let _ = writeln!(
                o,
                "* TLS versions accepted: {}",
                escape(&tls.accepted_versions.join(", "))
            );
        }
        for f in &p.findings {
            let _ = writeln!(
                o,
                "\nh3. {} {} ({}, step {})\n",
                f.severity.name().to_uppercase(),
                escape(&f.title),
                escape(&f.rule),
                f.step.name()
            );
            let _ = writeln!(o, "*Finding.* {}", escape(&f.message));
            for (k, v) in &f.facts {
                let _ = writeln!(o, "* {}: {}", escape(k), escape(v));
            }
            let _ = writeln!(o, "*Cause.* {}\n*What to do*", escape(&f.cause));
            for step in &f.remediation {
                let _ = writeln!(o, "# {}", escape(step));
            }
            for r in &f.references {
                let _ = writeln!(o, "* {}", reference(r));
            }
        }
        let _ = writeln!(o);
    }
    if !r.warnings.is_empty() {
        let _ = writeln!(o, "h2. Warnings\n");
        for w in &r.warnings {
            let _ = writeln!(o, "* {}", escape(&w.to_string()));
        }
    }
    o
}

fn markdown(r: &ProbeReport) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "# linkdoctor probe\n\n{}.\n", cell(&headline(r)));
    for p in &r.probes {
        let _ = writeln!(o, "## {}\n", cell(&p.url));
        let _ = writeln!(o, "| Step | Result | Detail |\n|---|---|---|");
        for st in &p.steps {
            let _ = writeln!(
                o,
                "| {} | {} | {} |",
                st.step.name(),
                status_text(st.status),
                cell(&st.detail)
            );
        }
        if let Some(tls) = &p.tls {
            for (i, c) in tls.chain.iter().enumerate() {
                let _ = writeln!(
                    o,
                    "\n- certificate {i}: subject `{}`, issuer `{}`, SANs {}, valid {} to {}",
                    cell(&c.subject),
                    cell(&c.issuer),
                    cell(&c.sans.join(", ")),
                    c.not_before,
                    c.not_after
                );
            }
            let _ = writeln!(
                o,
                "- TLS versions accepted: {}",
                tls.accepted_versions.join(", ")
            );
        }
        for f in &p.findings {
            let _ = writeln!(
                o,
                "\n### {} {} (`{}`, step {})\n",
                f.severity,
                cell(&f.title),
                f.rule,
                f.step.name()
            );
            let _ = writeln!(o, "- Finding: {}", cell(&f.message));
            for (k, v) in &f.facts {
                let _ = writeln!(o, "- {k}: `{}`", cell(v).replace('`', "'"));
            }
            let _ = writeln!(o, "- Cause: {}", cell(&f.cause));
            for (i, step) in f.remediation.iter().enumerate() {
                let _ = writeln!(o, "  {}. {}", i + 1, cell(step));
            }
        }
        let _ = writeln!(o);
    }
    if !r.warnings.is_empty() {
        let _ = writeln!(o, "## Warnings\n");
        for w in &r.warnings {
            let _ = writeln!(o, "- `{}`", cell(&w.to_string()));
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::findings::{FindingMaker, Step, StepRecord};

    #[test]
    fn every_format_carries_rule_and_facts_and_no_raw_escapes() {
        let (catalog, _) = crate::rules::load_catalog(&[]);
        let m = FindingMaker {
            catalog: &catalog,
            redact: true,
        };
        let f = m.make(
            "network-unknown-host",
            None,
            Step::Dns,
            "https://x.invalid",
            "bad \x1b]52;c;x\x07 host",
            &[("host", "x.invalid".into())],
        );
        let probe = UrlProbe {
            url: "https://x.invalid".into(),
            host: "x.invalid".into(),
            port: 443,
            proxy: None,
            addresses: vec![],
            connected_to: None,
            tls: None,
            http: None,
            manifest: None,
            base_url: None,
            clock: None,
            steps: vec![StepRecord {
                step: Step::Dns,
                status: StepStatus::Failed,
                detail: "\x1b[31mred".into(),
            }],
            findings: vec![f],
        };
        let r = ProbeReport::new(vec![probe], vec![], "system".into());
        for format in [
            Format::Table,
            Format::Json,
            Format::Ndjson,
            Format::Markdown,
            Format::Jira,
        ] {
            let out = render(&r, format, false);
            assert!(out.contains("network-unknown-host"), "{format:?}");
            assert!(out.contains("x.invalid"), "{format:?}");
            assert!(!out.contains('\x1b'), "{format:?}: {out}");
        }
        let jira = render(&r, Format::Jira, false);
        assert!(jira.contains("||Step||Result||Detail||"), "{jira}");
        assert!(jira.contains("*What to do*\n# "), "{jira}");
        assert!(
            !jira.contains("| --- |"),
            "Markdown is not Jira markup: {jira}"
        );
    }
}
