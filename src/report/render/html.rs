//! HTML renderer: one self-contained page (inline CSS and SVG, no script, no font, no
//! request of any kind: a `Content-Security-Policy: default-src 'none'` meta tag forbids
//! them), to attach to a support ticket and open from there.
//!
//! Every text that comes from the input, the rules or the command line goes through
//! [`Html::text`] / [`Html::attr`] (the `html-escape` crate), never into the page raw; the
//! only unescaped strings are the literals of this module. Links (`<a href>`) are made only
//! from `https://` addresses in rule references, and escaped as attributes too.
//!
//! The page has a [timeline](super::timeline) of causes per node (or product), the findings
//! with cause, what to do, references and redacted evidence, the links seen from both ends,
//! the sources read and the warnings.

use super::timeline;
use super::{human_bytes, line_list};
use crate::model::Severity;
use crate::report::Report;
use std::fmt::Write;

/// The page's style sheet (inline: the page loads nothing).
const STYLE: &str = "
:root{--fg:#172b4d;--muted:#5e6c84;--line:#dfe1e6;--bg:#fff;--panel:#f4f5f7;
--critical:#8b1fa9;--error:#c9372c;--warning:#b65c02;--info:#0c66e4}
*{box-sizing:border-box}
body{font:14px/1.5 -apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif;
color:var(--fg);background:var(--bg);margin:0 auto;max-width:1200px;padding:24px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:32px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}
h3{font-size:16px;margin:0}
.muted{color:var(--muted)}
.chips{margin:8px 0 16px}.chip{display:inline-block;border-radius:3px;padding:1px 8px;margin-right:6px;font-weight:600;font-size:12px;color:#fff}
.sev-critical{background:var(--critical)}.sev-error{background:var(--error)}.sev-warning{background:var(--warning)}.sev-info{background:var(--info)}
table{border-collapse:collapse;width:100%;margin:8px 0}th,td{text-align:left;vertical-align:top;padding:4px 8px;border-bottom:1px solid var(--line)}
th{background:var(--panel);font-weight:600}td.num,th.num{text-align:right}td.t{white-space:nowrap;font-size:12px}
code,pre{font:12px/1.45 SFMono-Regular,Consolas,'Liberation Mono',Menlo,monospace}
pre{background:var(--panel);padding:8px;overflow-x:auto;white-space:pre-wrap;word-break:break-all;border-radius:3px}
section.finding{border:1px solid var(--line);border-left:4px solid var(--muted);border-radius:3px;padding:12px 16px;margin:12px 0}
section.finding.sev-critical-border{border-left-color:var(--critical)}section.finding.sev-error-border{border-left-color:var(--error)}
section.finding.sev-warning-border{border-left-color:var(--warning)}section.finding.sev-info-border{border-left-color:var(--info)}
.todo{background:#e9f2ff;border-radius:3px;padding:8px 12px 8px 8px;margin:8px 0}.todo ol{margin:4px 0}
dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:8px 0}dt{color:var(--muted)}dd{margin:0}
details>summary{cursor:pointer;color:var(--muted)}
svg.timeline{width:100%;height:auto;border:1px solid var(--line);border-radius:3px;background:#fff}
svg text{font:11px sans-serif;fill:#172b4d}
.legend span{display:inline-block;margin-right:12px}.legend i{display:inline-block;width:10px;height:10px;margin-right:4px;border-radius:2px}
.legend svg.key{width:10px;height:14px;margin-right:4px;vertical-align:middle}
svg text.mk{font-size:9px;fill:#172b4d;paint-order:stroke;stroke:#fff;stroke-width:3px}
a{color:#0c66e4}
";

/// Text escaping for the page: every string not written by this module goes through it.
struct Html;

impl Html {
    /// `s` as HTML text content.
    fn text(s: &str) -> String {
        html_escape::encode_text(s).into_owned()
    }
    /// `s` as a double-quoted attribute value.
    fn attr(s: &str) -> String {
        html_escape::encode_double_quoted_attribute(s).into_owned()
    }
}

/// The page's `<head>`: charset, the CSP that forbids every load, the title and the style.
pub(super) fn head(o: &mut String, title: &str) {
    o.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    o.push_str(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'\">\n",
    );
    o.push_str("<meta name=\"referrer\" content=\"no-referrer\">\n");
    o.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = writeln!(o, "<title>{}</title>", Html::text(title));
    let _ = writeln!(o, "<style>{STYLE}</style>\n</head>\n<body>");
}

fn severity_class(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "sev-critical",
        Severity::Error => "sev-error",
        Severity::Warning => "sev-warning",
        Severity::Info => "sev-info",
    }
}

/// A severity chip.
fn chip(s: Severity, label: &str) -> String {
    format!(
        "<span class=\"chip {}\">{}</span>",
        severity_class(s),
        Html::text(label)
    )
}

/// A rule reference (`Title, section - https://...`) as HTML: the address becomes a link
/// (only `https://` and `http://` addresses; anything else stays text).
pub(super) fn reference(r: &str) -> String {
    let Some(at) = r.find("https://").or_else(|| r.find("http://")) else {
        return Html::text(r);
    };
    let (title, rest) = r.split_at(at);
    let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
    let url = rest[..end].trim_end_matches(['.', ',', ';', ')']);
    let tail = &rest[url.len()..];
    let title = title.trim().trim_end_matches([':', '-', '\u{2013}']).trim();
    let label = if title.is_empty() { url } else { title };
    format!(
        "<a href=\"{}\" rel=\"noreferrer noopener\">{}</a> <span class=\"muted\">{}</span>{}",
        Html::attr(url),
        Html::text(label),
        Html::text(url),
        Html::text(tail)
    )
}

/// `lines` of text as `<ol>` items (the "What to do" steps).
pub(super) fn steps(o: &mut String, steps: &[String]) {
    o.push_str("<div class=\"todo\"><strong>What to do</strong>\n<ol>\n");
    for s in steps {
        let _ = writeln!(o, "<li>{}</li>", Html::text(s.trim()));
    }
    o.push_str("</ol></div>\n");
}

pub fn render(r: &Report) -> String {
    let mut o = String::with_capacity(64 * 1024);
    head(&mut o, "linkdoctor report");
    let s = &r.summary;
    o.push_str("<header>\n<h1>linkdoctor report</h1>\n");
    let _ = writeln!(
        o,
        "<p class=\"muted\">{} finding{} ({} events) in {} input{} ({}, {} lines); {} warning{}.</p>",
        s.findings,
        if s.findings == 1 { "" } else { "s" },
        s.events,
        s.inputs,
        if s.inputs == 1 { "" } else { "s" },
        Html::text(&human_bytes(s.bytes)),
        s.lines,
        s.warnings,
        if s.warnings == 1 { "" } else { "s" },
    );
    o.push_str("<div class=\"chips\">");
    for (sev, n) in s.by_severity.iter().rev() {
        o.push_str(&chip(*sev, &format!("{n} {}", sev.name())));
    }
    o.push_str("</div>\n</header>\n");

    if r.findings.is_empty() {
        o.push_str("<p>No application-link problems found.</p>\n");
    } else {
        o.push_str("<h2 id=\"timeline\">Timeline</h2>\n");
        o.push_str(&timeline::svg(r));
        o.push_str("<h2 id=\"summary\">Findings</h2>\n<table>\n<thead><tr><th>#</th>");
        if let Some(g) = r.group_by.heading() {
            let _ = write!(o, "<th>{}</th>", Html::text(g));
        }
        o.push_str("<th>Severity</th><th>Cause</th><th class=\"num\">Events</th><th>Products</th><th>First seen</th><th>Last seen</th></tr></thead>\n<tbody>\n");
        for (i, f) in r.findings.iter().enumerate() {
            let _ = write!(
                o,
                "<tr><td><a href=\"#finding-{}\">{}</a></td>",
                i + 1,
                i + 1
            );
            if r.group_by.heading().is_some() {
                let _ = write!(
                    o,
                    "<td>{}</td>",
                    Html::text(f.group.as_deref().unwrap_or("-"))
                );
            }
            let products: Vec<&str> = f.products.iter().map(|p| p.name()).collect();
            let _ = writeln!(
                o,
                "<td>{}</td><td>{}<br><code>{}</code></td><td class=\"num\">{}</td><td>{}</td><td class=\"t\">{}</td><td class=\"t\">{}</td></tr>",
                chip(f.severity, &f.severity.name().to_uppercase()),
                Html::text(&f.title),
                Html::text(&f.rule),
                f.count,
                Html::text(&products.join(", ")),
                Html::text(
                    &f.first_seen
                        .map(|t| t.to_string())
                        .unwrap_or_else(|| "-".into())
                ),
                Html::text(
                    &f.last_seen
                        .map(|t| t.to_string())
                        .unwrap_or_else(|| "-".into())
                ),
            );
        }
        o.push_str("</tbody>\n</table>\n");
    }

    if !r.node_summary.is_empty() {
        o.push_str("<h2 id=\"nodes\">Per node (node &times; cause)</h2>\n<table>\n<thead><tr><th>Node</th><th>Products</th><th class=\"num\">Events</th><th>Causes</th></tr></thead>\n<tbody>\n");
        for n in &r.node_summary {
            let products: Vec<&str> = n.products.iter().map(|p| p.name()).collect();
            let causes: Vec<String> = n
                .causes
                .iter()
                .map(|(rule, c)| format!("<code>{}</code> ({c})", Html::text(rule)))
                .collect();
            let _ = writeln!(
                o,
                "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
                Html::text(&n.node),
                Html::text(&products.join(", ")),
                n.events,
                causes.join("<br>")
            );
        }
        o.push_str("</tbody>\n</table>\n");
    }

    if !r.findings.is_empty() {
        o.push_str("<h2 id=\"details\">What was found and what to do</h2>\n");
    }
    for (i, f) in r.findings.iter().enumerate() {
        let _ = writeln!(
            o,
            "<section class=\"finding {}-border\" id=\"finding-{}\" data-rule=\"{}\">",
            severity_class(f.severity),
            i + 1,
            Html::attr(&f.rule)
        );
        let group = f
            .group
            .as_deref()
            .map(|g| format!(" <span class=\"muted\">[{}]</span>", Html::text(g)))
            .unwrap_or_default();
        let _ = writeln!(
            o,
            "<h3>{}. {} {}{group}</h3>\n<p class=\"muted\"><code>{}</code> &middot; {} event{}</p>",
            i + 1,
            chip(f.severity, &f.severity.name().to_uppercase()),
            Html::text(&f.title),
            Html::text(&f.rule),
            f.count,
            if f.count == 1 { "" } else { "s" }
        );
        let _ = writeln!(
            o,
            "<p><strong>Cause.</strong> {}</p>",
            Html::text(f.cause.trim())
        );
        if let Some(context) = &f.context {
            let _ = writeln!(
                o,
                "<p><strong>Context.</strong> {}</p>",
                Html::text(context)
            );
        }
        for fact in &f.facts {
            let _ = writeln!(o, "<p><strong>Finding.</strong> {}</p>", Html::text(fact));
        }
        steps(&mut o, &f.remediation);
        o.push_str("<dl>\n");
        for (key, vals) in &f.values {
            let list: Vec<String> = vals
                .iter()
                .map(|(v, n)| format!("<code>{}</code> ({n})", Html::text(v)))
                .collect();
            let _ = writeln!(
                o,
                "<dt>{}</dt><dd>{}</dd>",
                Html::text(key),
                list.join(", ")
            );
        }
        if let Some(remotes) = &f.remotes {
            let _ = writeln!(
                o,
                "<dt>{}</dt><dd>{}</dd>",
                Html::text(&super::remote_label(remotes)),
                super::remote_ends(remotes, |e| format!("<code>{}</code>", Html::text(e)))
            );
        }
        if !f.nodes.is_empty() {
            let _ = writeln!(
                o,
                "<dt>Nodes</dt><dd>{}</dd>",
                Html::text(&f.nodes.join(", "))
            );
        }
        if let (Some(a), Some(b)) = (f.first_seen, f.last_seen) {
            let _ = writeln!(
                o,
                "<dt>Seen</dt><dd>{} &ndash; {}</dd>",
                Html::text(&a.to_string()),
                Html::text(&b.to_string())
            );
        }
        if !f.also_matched.is_empty() {
            let list: Vec<String> = f
                .also_matched
                .iter()
                .map(|a| format!("<code>{}</code> ({})", Html::text(&a.rule), a.count))
                .collect();
            let _ = writeln!(o, "<dt>Also matched</dt><dd>{}</dd>", list.join(", "));
        }
        o.push_str(
            "</dl>\n<p><strong>Evidence</strong> (redacted unless --no-redact):</p>\n<ul>\n",
        );
        for file in &f.files {
            let _ = writeln!(
                o,
                "<li><code>{}</code> {}</li>",
                Html::text(&file.path),
                Html::text(&line_list(&file.lines, file.count))
            );
        }
        o.push_str("</ul>\n");
        if let Some(sample) = &f.sample {
            let _ = writeln!(
                o,
                "<details open><summary>Sample <code>{}:{}</code></summary>\n<pre>{}</pre></details>",
                Html::text(&sample.path),
                sample.line,
                Html::text(sample.text.trim_end())
            );
        }
        references(&mut o, &f.references);
        o.push_str("</section>\n");
    }

    if !r.links.is_empty() {
        o.push_str("<h2 id=\"links\">Links seen from both ends</h2>\n<ul>\n");
        for link in &r.links {
            let (heading, notes) = super::describe_link(link);
            let _ = writeln!(o, "<li><strong>{}</strong>", Html::text(&heading));
            if !notes.is_empty() {
                o.push_str("<ul>\n");
                for n in notes {
                    let _ = writeln!(o, "<li>{}</li>", Html::text(&n));
                }
                o.push_str("</ul>\n");
            }
            o.push_str("</li>\n");
        }
        o.push_str("</ul>\n");
    }

    sources(&mut o, r);

    if !r.warnings.is_empty() {
        let _ = writeln!(
            o,
            "<h2 id=\"warnings\">Warnings ({})</h2>\n<ul>",
            r.warnings.len()
        );
        for w in &r.warnings {
            let _ = writeln!(o, "<li><code>{}</code></li>", Html::text(&w.to_string()));
        }
        o.push_str("</ul>\n");
    }
    footer(&mut o);
    o
}

/// The table of inputs read.
fn sources(o: &mut String, r: &Report) {
    if r.sources.is_empty() {
        return;
    }
    let _ = writeln!(
        o,
        "<h2 id=\"sources\">Sources read ({})</h2>\n<details><summary>Show the {} inputs</summary>\n<table>\n<thead><tr><th>Path</th><th>Product</th><th>Role</th><th>Node</th><th class=\"num\">Size</th><th class=\"num\">Lines</th><th class=\"num\">Events</th><th>From</th><th>To</th></tr></thead>\n<tbody>",
        r.sources.len(),
        r.sources.len()
    );
    for src in &r.sources {
        let opt = |v: Option<&str>| Html::text(v.unwrap_or("-"));
        let _ = writeln!(
            o,
            "<tr><td><code>{}</code>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td></tr>",
            Html::text(&src.path),
            if src.skipped {
                " <em>(skipped)</em>"
            } else {
                ""
            },
            opt(src.product.map(|p| p.name())),
            opt(src.role.map(|p| p.name())),
            opt(src.node.as_deref()),
            Html::text(&human_bytes(src.bytes)),
            src.lines,
            src.events,
            opt(src.first_time.map(|t| t.to_string()).as_deref()),
            opt(src.last_time.map(|t| t.to_string()).as_deref()),
        );
    }
    o.push_str("</tbody>\n</table>\n</details>\n");
}

pub(super) fn footer(o: &mut String) {
    let _ = writeln!(
        o,
        "<footer><p class=\"muted\">Written by linkdoctor {}. This page loads nothing from the network.</p></footer>\n</body>\n</html>",
        Html::text(env!("CARGO_PKG_VERSION"))
    );
}

/// Escapes for other modules that write HTML (the check report).
pub(crate) fn text(s: &str) -> String {
    Html::text(s)
}

/// The page head for other modules that write HTML.
pub(crate) fn page_head(o: &mut String, title: &str) {
    head(o, title)
}

/// The page foot for other modules that write HTML.
pub(crate) fn page_foot(o: &mut String) {
    footer(o)
}

/// The "What to do" list for other modules that write HTML.
pub(crate) fn what_to_do(o: &mut String, list: &[String]) {
    steps(o, list)
}

/// A "References" list, each address a link; nothing when `refs` is empty.
pub(crate) fn references(o: &mut String, refs: &[impl AsRef<str>]) {
    if refs.is_empty() {
        return;
    }
    o.push_str("<p><strong>References</strong></p>\n<ul>\n");
    for rf in refs {
        let _ = writeln!(o, "<li>{}</li>", reference(rf.as_ref()));
    }
    o.push_str("</ul>\n");
}

/// A severity chip for other modules that write HTML.
pub(crate) fn severity_chip(s: Severity) -> String {
    chip(s, &s.name().to_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_become_links_and_text_is_escaped() {
        let r = reference("Guide, item 5 - https://example.com/a?b=1&c=<x>");
        assert!(
            r.starts_with("<a href=\"https://example.com/a?b=1&amp;c=&lt;x&gt;\""),
            "{r}"
        );
        assert!(r.contains(">Guide, item 5</a>"), "{r}");
        assert_eq!(reference("no address <b>"), "no address &lt;b&gt;");
        // A javascript: address never becomes a link.
        assert!(!reference("x javascript:alert(1)").contains("<a"));
    }

    #[test]
    fn escaping_covers_attribute_quotes() {
        assert_eq!(Html::attr("a\"b"), "a&quot;b");
        assert_eq!(Html::text("<script>"), "&lt;script&gt;");
    }
}
