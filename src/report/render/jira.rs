//! Jira wiki markup renderer (`--format jira`), for Jira Server and Data Center tickets,
//! whose comment editor does not render Markdown: `h2.` headings, `||header||` tables,
//! `#` numbered steps, `[title|address]` links, `{noformat}` for log samples.
//!
//! Texts from the input and from rules are sanitised for the terminal
//! ([`sanitize`](crate::report::sanitize)) and their wiki-markup characters escaped with a
//! backslash ([`escape`]), so a log line cannot open a macro, a link or a table cell.

use super::{human_bytes, line_list};
use crate::report::Report;
use crate::report::sanitize::{block, inline};
use std::fmt::Write;

/// `s` as plain text in Jira wiki markup, on one line: controls shown escaped, newlines made
/// spaces, the characters that start markup escaped with `\`.
pub fn escape(s: &str) -> String {
    let one_line = s.replace(['\n', '\r'], " ");
    let clean = inline(&one_line);
    let chars: Vec<char> = clean.chars().collect();
    let mut out = String::with_capacity(clean.len() + 8);
    for (i, &c) in chars.iter().enumerate() {
        let at_edge = |j: Option<&char>| j.is_none_or(|c| c.is_whitespace());
        let escape = match c {
            '\\' | '|' | '{' | '}' | '[' | ']' | '*' | '_' | '^' | '~' | '+' | '!' | '?' => true,
            // `-text-` is strikethrough, `--`/`---` dashes: only at a word's edge.
            '-' => {
                at_edge(i.checked_sub(1).and_then(|p| chars.get(p))) || at_edge(chars.get(i + 1))
            }
            _ => false,
        };
        if escape {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `s` as monospace (`{{...}}`).
fn mono(s: &str) -> String {
    format!("{{{{{}}}}}", escape(s))
}

/// A rule reference as a Jira link `[title|address]`, or text when it has no address.
pub fn reference(r: &str) -> String {
    let Some(at) = r.find("https://") else {
        return escape(r);
    };
    let (title, rest) = r.split_at(at);
    let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
    let url = rest[..end].trim_end_matches(['.', ',', ';', ')']);
    let title = title.trim().trim_end_matches([':', '-']).trim();
    // Inside a link, `|` and `]` end it: an address never holds them unescaped.
    let safe_url: String = url
        .chars()
        .filter(|c| !matches!(c, '|' | ']' | '[' | '{' | '}') && !c.is_control())
        .collect();
    if title.is_empty() {
        format!("[{safe_url}]")
    } else {
        format!("[{}|{safe_url}]", escape(title))
    }
}

/// A `{noformat}` block that the text cannot close early.
fn noformat(text: &str) -> String {
    let body = block(text.trim_end()).replace("{noformat}", "{ noformat}");
    format!("{{noformat}}\n{body}\n{{noformat}}")
}

pub fn render(r: &Report) -> String {
    let mut o = String::new();
    let s = &r.summary;
    let _ = writeln!(o, "h2. linkdoctor report\n");
    let _ = writeln!(
        o,
        "*{} findings* ({} events) in {} inputs ({}, {} lines); {} warnings.\n",
        s.findings,
        s.events,
        s.inputs,
        human_bytes(s.bytes),
        s.lines,
        s.warnings
    );
    if !r.findings.is_empty() {
        let group = r.group_by.heading();
        let _ = writeln!(
            o,
            "||#||{}Severity||Cause||Rule||Events||Products||First seen||Last seen||",
            group.map(|g| format!("{g}||")).unwrap_or_default()
        );
        for (i, f) in r.findings.iter().enumerate() {
            let products: Vec<&str> = f.products.iter().map(|p| p.name()).collect();
            let g = if group.is_some() {
                format!("{}|", escape(f.group.as_deref().unwrap_or("-")))
            } else {
                String::new()
            };
            let _ = writeln!(
                o,
                "|{}|{g}{}|{}|{}|{}|{}|{}|{}|",
                i + 1,
                f.severity.name().to_uppercase(),
                escape(&f.title),
                mono(&f.rule),
                f.count,
                escape(&products.join(", ")),
                escape(
                    &f.first_seen
                        .map(|t| t.to_string())
                        .unwrap_or_else(|| "-".into())
                ),
                escape(
                    &f.last_seen
                        .map(|t| t.to_string())
                        .unwrap_or_else(|| "-".into())
                ),
            );
        }
        let _ = writeln!(o);
    }
    if !r.node_summary.is_empty() {
        let _ = writeln!(o, "h3. Per node (node x cause)\n");
        let _ = writeln!(o, "||Node||Products||Events||Causes||");
        for n in &r.node_summary {
            let products: Vec<&str> = n.products.iter().map(|p| p.name()).collect();
            let causes: Vec<String> = n
                .causes
                .iter()
                .map(|(rule, c)| format!("{} ({c})", mono(rule)))
                .collect();
            let _ = writeln!(
                o,
                "|{}|{}|{}|{}|",
                escape(&n.node),
                escape(&products.join(", ")),
                n.events,
                causes.join(", ")
            );
        }
        let _ = writeln!(o);
    }
    for (i, f) in r.findings.iter().enumerate() {
        let group = f
            .group
            .as_deref()
            .map(|g| format!(" \\[{}\\]", escape(g)))
            .unwrap_or_default();
        let _ = writeln!(
            o,
            "h3. {}.{group} {} ({}, {})\n",
            i + 1,
            escape(&f.title),
            mono(&f.rule),
            f.severity
        );
        let _ = writeln!(o, "*Cause:* {}\n", escape(f.cause.trim()));
        if let Some(context) = &f.context {
            let _ = writeln!(o, "*Context:* {}\n", escape(context));
        }
        for fact in &f.facts {
            let _ = writeln!(o, "*Finding:* {}\n", escape(fact));
        }
        if let Some(remotes) = &f.remotes {
            let _ = writeln!(
                o,
                "*{}:* {}",
                super::remote_label(remotes),
                super::remote_ends(remotes, mono)
            );
        }
        for (key, vals) in &f.values {
            let list: Vec<String> = vals
                .iter()
                .map(|(v, n)| format!("{} ({n})", mono(v)))
                .collect();
            let _ = writeln!(o, "*{}:* {}", escape(key), list.join(", "));
        }
        if !f.nodes.is_empty() {
            let _ = writeln!(o, "*Nodes:* {}", escape(&f.nodes.join(", ")));
        }
        let _ = writeln!(o, "\n*What to do:*");
        for step in &f.remediation {
            let _ = writeln!(o, "# {}", escape(step.trim()));
        }
        let _ = writeln!(o, "\n*Evidence:*");
        for file in &f.files {
            let _ = writeln!(
                o,
                "* {} {}",
                mono(&file.path),
                line_list(&file.lines, file.count)
            );
        }
        if !f.also_matched.is_empty() {
            let list: Vec<String> = f
                .also_matched
                .iter()
                .map(|a| format!("{} ({})", mono(&a.rule), a.count))
                .collect();
            let _ = writeln!(o, "\n*Also matched:* {}", list.join(", "));
        }
        if !f.references.is_empty() {
            let _ = writeln!(o, "\n*References:*");
            for rf in &f.references {
                let _ = writeln!(o, "* {}", reference(rf));
            }
        }
        if let Some(sample) = &f.sample {
            let _ = writeln!(
                o,
                "\n*Sample* ({}):\n{}",
                mono(&format!("{}:{}", sample.path, sample.line)),
                noformat(&sample.text)
            );
        }
        let _ = writeln!(o);
    }
    if !r.links.is_empty() {
        let _ = writeln!(o, "h3. Links seen from both ends\n");
        for link in &r.links {
            let (heading, notes) = super::describe_link(link);
            let _ = writeln!(o, "* *{}*", escape(&heading));
            for n in notes {
                let _ = writeln!(o, "** {}", escape(&n));
            }
        }
        let _ = writeln!(o);
    }
    if !r.warnings.is_empty() {
        let _ = writeln!(o, "h3. Warnings\n");
        for w in &r.warnings {
            let _ = writeln!(o, "* {}", mono(&w.to_string()));
        }
        let _ = writeln!(o);
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_characters_are_escaped() {
        assert_eq!(escape("a|b"), "a\\|b");
        assert_eq!(escape("{code}x"), "\\{code\\}x");
        assert_eq!(escape("[evil|https://x]"), "\\[evil\\|https://x\\]");
        assert_eq!(escape("oauth-timestamp-refused"), "oauth-timestamp-refused");
        assert_eq!(escape("a -strike- b"), "a \\-strike\\- b");
        assert_eq!(escape("line\x1b[31m\nnext"), "line\\\\x1b\\[31m next");
    }

    #[test]
    fn references_are_links() {
        assert_eq!(
            reference("Guide, item 9 - https://confluence.atlassian.com/kb/x.html"),
            "[Guide, item 9|https://confluence.atlassian.com/kb/x.html]"
        );
        assert_eq!(reference("no address"), "no address");
    }

    #[test]
    fn noformat_cannot_be_closed_by_the_log() {
        let n = noformat("a {noformat} b");
        assert_eq!(n.matches("{noformat}").count(), 2, "{n}");
    }
}
