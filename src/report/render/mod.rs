//! Renderers: one module per output format, all reading the same [`Report`]. Output depends
//! only on the report (and, for the text table, the [`Layout`]), so the same input gives the
//! same bytes whatever the thread count.

pub mod html;
pub mod jira;
pub mod json;
pub mod layout;
mod markdown;
pub mod prometheus;
mod table;
mod timeline;

pub use layout::Layout;
pub(crate) use table::push_table;

use super::Report;
use crate::model::Severity;
use comfy_table::{Attribute, Cell, Color, ContentArrangement, Table, presets};

/// The formats a report is rendered in (the command line's `--format`: `cli::FormatArg`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Human-readable tables and sections (default).
    Table,
    /// One JSON document: summary, findings, sources, warnings.
    Json,
    /// One JSON object per line: every event as it is found (in input order), then every
    /// warning, then the summary.
    Ndjson,
    /// Markdown to paste into a ticket (GitHub, GitLab, Jira Cloud, Confluence).
    Markdown,
    /// Jira wiki markup, for Jira Server and Data Center tickets.
    Jira,
    /// One self-contained HTML page (timeline, findings, evidence, sources); loads nothing.
    Html,
    /// Prometheus node_exporter textfile metrics.
    Prometheus,
}

/// Renders `report` in `format`, laid out for standard output (see [`Layout::detect`]).
/// `color` adds ANSI styling to the table format only. For NDJSON, the events were streamed
/// during the scan: this renders what follows them.
pub fn render(report: &Report, format: Format, color: bool) -> String {
    render_in(report, format, color, Layout::detect())
}

/// Renders `report` in `format` with the table laid out as `layout` says.
pub fn render_in(report: &Report, format: Format, color: bool, layout: Layout) -> String {
    match format {
        Format::Table => table::render(report, color, layout),
        Format::Json => json::render(report),
        Format::Ndjson => json::render_ndjson_tail(report),
        Format::Markdown => markdown::render(report),
        Format::Jira => jira::render(report),
        Format::Html => html::render(report),
        Format::Prometheus => prometheus::render(report, None),
    }
}

/// Writes the HTML page of `report` to `path` (`--html FILE`), atomically.
pub fn write_html_file(report: &Report, path: &std::path::Path) -> Result<(), String> {
    write_atomically(path, &html::render(report))
        .map_err(|e| format!("cannot write the HTML report {}: {e}", path.display()))
}

/// Writes `text` to `path` atomically, so a reader (a collector, a browser) never sees half a
/// file: into a temporary file in the same folder (named `.linkdoctor-*.tmp`, which
/// node_exporter ignores: it reads `*.prom` only), synced, readable by others (0644: the
/// collector runs as another user), then renamed over `path`.
pub fn write_atomically(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => std::path::Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".linkdoctor-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    tmp.write_all(text.as_bytes())?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Writes `report` in `format` to `out`. JSON is serialised straight into the writer, so a
/// report of a hundred thousand inputs is not held twice in memory.
pub fn write(
    report: &Report,
    format: Format,
    color: bool,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    match format {
        Format::Json => json::write(report, out),
        _ => out.write_all(render(report, format, color).as_bytes()),
    }
}

/// A table in the house style of every report: condensed UTF-8 borders, no wrapping (so
/// output does not depend on the terminal); ANSI styling only when `color`.
pub fn new_table(color: bool) -> Table {
    let mut t = Table::new();
    t.load_style(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled)
        .force_no_tty();
    if color {
        t.enforce_styling();
    }
    t
}

/// A table laid out for `layout`: its columns shrink and their cells wrap so the table fits
/// the width; plain (piped) output gets no borders, for a cron mail.
pub fn table_for(color: bool, layout: Layout) -> Table {
    let mut t = new_table(color);
    if layout == Layout::Plain {
        t.load_style(presets::NOTHING);
    }
    t.set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(u16::try_from(layout.width()).unwrap_or(u16::MAX));
    t
}

/// The colour a severity is shown in.
pub fn severity_color(s: Severity) -> Color {
    match s {
        Severity::Critical => Color::Magenta,
        Severity::Error => Color::Red,
        Severity::Warning => Color::Yellow,
        Severity::Info => Color::Blue,
    }
}

/// A table cell with the severity in capitals, coloured and bold when `color`.
pub fn severity_cell(s: Severity, color: bool) -> Cell {
    let cell = Cell::new(s.name().to_uppercase());
    if color {
        cell.fg(severity_color(s)).add_attribute(Attribute::Bold)
    } else {
        cell
    }
}

/// `s` in bold when `color`.
pub fn bold(s: &str, color: bool) -> String {
    if color {
        format!("\x1b[1m{s}\x1b[0m")
    } else {
        s.to_string()
    }
}

/// One link seen from both ends, as a heading and its notes, for the text renderers.
pub fn describe_link(l: &crate::report::pairing::LinkPair) -> (String, Vec<String>) {
    let side = |s: &crate::report::pairing::LinkSide| {
        if s.rules.is_empty() {
            format!("{} (no matching errors)", s.product)
        } else {
            let rules: Vec<String> = s.rules.iter().map(|(r, n)| format!("{r} {n}")).collect();
            format!("{} ({})", s.product, rules.join(", "))
        }
    };
    (
        format!("{} -> {}", side(&l.consumer), side(&l.provider)),
        l.notes.clone(),
    )
}

/// The label of a finding's remote ends: `Remote (application link)`, `Remote
/// (directory)`, `Remote (integration)`.
pub fn remote_label(r: &crate::report::Remotes) -> String {
    let kind = match r.kind {
        "applink" => "application link",
        other => other,
    };
    format!("Remote ({kind})")
}

/// The remote ends of a finding in words, each end through `end` (for a renderer's
/// escaping): `jira.example.com:8443 (5), bamboo (2); 3 events name none`.
pub fn remote_ends(r: &crate::report::Remotes, end: impl Fn(&str) -> String) -> String {
    let mut parts: Vec<String> = r
        .ends
        .iter()
        .map(|e| format!("{} ({})", end(&e.remote), e.count))
        .collect();
    if r.not_listed > 0 {
        parts.push(format!(
            "{} more event{} at other remote ends",
            r.not_listed,
            if r.not_listed == 1 { "" } else { "s" }
        ));
    }
    let mut text = parts.join(", ");
    if r.not_named > 0 {
        if text.is_empty() {
            text = "not named in the events".to_string();
        } else {
            let _ = std::fmt::Write::write_fmt(
                &mut text,
                format_args!(
                    "; {} event{} name{} none",
                    r.not_named,
                    if r.not_named == 1 { "" } else { "s" },
                    if r.not_named == 1 { "s" } else { "" }
                ),
            );
        }
    }
    text
}

/// `1234567` -> `1.2 MB` (decimal units, as throughput figures are given).
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1000.0 && u < UNITS.len() - 1 {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// `lines 3, 17, 40 (+12 more)` for a file's hits.
pub fn line_list(lines: &[u64], count: usize) -> String {
    let shown: Vec<String> = lines.iter().take(10).map(u64::to_string).collect();
    let more = count.saturating_sub(shown.len());
    let word = if count == 1 { "line" } else { "lines" };
    if more > 0 {
        format!("{word} {} (+{more} more)", shown.join(", "))
    } else {
        format!("{word} {}", shown.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers() {
        assert_eq!(human_bytes(999), "999 B");
        assert_eq!(human_bytes(1_234_567), "1.2 MB");
        assert_eq!(line_list(&[1, 2], 2), "lines 1, 2");
        assert_eq!(line_list(&[7], 1), "line 7");
        let many: Vec<u64> = (1..=50).collect();
        assert_eq!(
            line_list(&many, 60),
            "lines 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 (+50 more)"
        );
    }
}
