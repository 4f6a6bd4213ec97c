//! The timeline of the HTML report, drawn as inline SVG: one row per node (per product when
//! no input has a node), the time the logs of that row cover as a grey band, and per cause a
//! coloured bar from its first to its last event, so the reader sees when the link broke,
//! where, and what else happened then.
//!
//! What the report holds decides the precision: with `--group-by node` (or `product`) every
//! finding belongs to one row and its bar is that row's own first and last event. Grouped by
//! cause, a finding spans several nodes and only its overall first and last event are known,
//! so the bar is drawn on every row it was seen on and the page says so. Times without a
//! UTC offset are placed as written (read as UTC), as the rest of the report shows them.

use crate::model::LogTime;
use crate::report::{Finding, GroupBy, Report};
use std::collections::BTreeMap;
use std::fmt::Write;

/// Colours of the causes, in finding order (cycled).
const PALETTE: [&str; 10] = [
    "#c9372c", "#0c66e4", "#b65c02", "#1f845a", "#8b1fa9", "#0e7a8a", "#c2185b", "#5e4db2",
    "#7f5f01", "#44546f",
];

const WIDTH: f64 = 960.0;
const LABEL: f64 = 170.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 28.0;
const LANE: f64 = 9.0;
const ROW_PAD: f64 = 10.0;

fn esc(s: &str) -> String {
    html_escape::encode_text(s).into_owned()
}

/// Seconds since the epoch, offsetless times read as UTC.
fn secs(t: LogTime) -> i64 {
    t.epoch_seconds(Some(jiff::tz::Offset::UTC)).unwrap_or(0)
}

fn label_time(s: i64, span: i64) -> String {
    let Ok(ts) = jiff::Timestamp::from_second(s) else {
        return String::new();
    };
    let fmt = if span > 3 * 86_400 {
        "%m-%d"
    } else {
        "%m-%d %H:%M"
    };
    ts.strftime(fmt).to_string()
}

/// One row of the timeline: a node or a product.
struct Row<'r> {
    name: String,
    /// Time ranges the row's logs cover.
    coverage: Vec<(i64, i64)>,
    /// Findings drawn on this row (index into the report's findings).
    findings: Vec<(usize, &'r Finding)>,
}

/// The rows, whether a finding's bar is its own row's (grouped by node or product), and
/// whether rows are nodes.
fn rows(r: &Report) -> (Vec<Row<'_>>, bool, bool) {
    let by_node =
        r.sources.iter().any(|s| s.node.is_some()) && !matches!(r.group_by, GroupBy::Product);
    let mut map: BTreeMap<String, Row<'_>> = BTreeMap::new();
    for s in &r.sources {
        let key = if by_node {
            s.node.clone().unwrap_or_else(|| "-".into())
        } else {
            s.product.map_or("-", |p| p.name()).to_string()
        };
        let row = map.entry(key.clone()).or_insert_with(|| Row {
            name: key,
            coverage: vec![],
            findings: vec![],
        });
        if let (Some(a), Some(b)) = (s.first_time, s.last_time) {
            row.coverage.push((secs(a), secs(b)));
        }
    }
    let exact = r.group_by != GroupBy::Cause;
    for (i, f) in r.findings.iter().enumerate() {
        let keys: Vec<String> = match (&f.group, by_node) {
            (Some(g), _) if exact => vec![g.clone()],
            (_, true) if !f.nodes.is_empty() => f.nodes.clone(),
            (_, true) => vec!["-".into()],
            (_, false) => f.products.iter().map(|p| p.name().to_string()).collect(),
        };
        for k in keys {
            map.entry(k.clone())
                .or_insert_with(|| Row {
                    name: k,
                    coverage: vec![],
                    findings: vec![],
                })
                .findings
                .push((i, f));
        }
    }
    let rows = map
        .into_values()
        .filter(|r| !r.findings.is_empty() || !r.coverage.is_empty())
        .collect();
    (rows, exact, by_node)
}

/// The timeline as an SVG element followed by its legend and a note on precision; an empty
/// string when no finding has a time.
pub fn svg(r: &Report) -> String {
    let (rows, exact, by_node) = rows(r);
    let times: Vec<i64> = r
        .findings
        .iter()
        .flat_map(|f| [f.first_seen, f.last_seen])
        .flatten()
        .map(secs)
        .collect();
    let (Some(&t0), Some(&t1)) = (times.iter().min(), times.iter().max()) else {
        return "<p class=\"muted\">No finding carries a time, so there is no timeline.</p>\n"
            .to_string();
    };
    // The axis covers the findings with a margin; the log coverage is clipped to it, so
    // where a grey band starts or ends inside the axis the logs start or end there.
    let span = (t1 - t0).max(600);
    let lo = t0 - span / 20;
    let hi = t1 + span / 20;
    let plot = WIDTH - LABEL - RIGHT;
    let x = |t: i64| LABEL + (t - lo) as f64 / (hi - lo) as f64 * plot;

    let row_height = |row: &Row<'_>| ROW_PAD * 2.0 + LANE * row.findings.len().max(1) as f64;
    let height = TOP + rows.iter().map(row_height).sum::<f64>() + 8.0;
    let mut o = String::new();
    let _ = writeln!(
        o,
        "<svg class=\"timeline\" viewBox=\"0 0 {WIDTH} {height:.0}\" role=\"img\" aria-label=\"Causes over time per {}\">",
        if by_node { "node" } else { "product" }
    );
    // Axis: six ticks.
    for k in 0..=5 {
        let t = lo + (hi - lo) * k / 5;
        let tx = x(t);
        let _ = writeln!(
            o,
            "<line x1=\"{tx:.1}\" y1=\"{:.1}\" x2=\"{tx:.1}\" y2=\"{:.1}\" stroke=\"#dfe1e6\"/><text x=\"{tx:.1}\" y=\"14\" text-anchor=\"{}\">{}</text>",
            TOP - 6.0,
            height - 4.0,
            if k == 5 { "end" } else { "middle" },
            esc(&label_time(t, hi - lo))
        );
    }
    let mut y = TOP;
    for row in &rows {
        let h = row_height(row);
        let _ = writeln!(
            o,
            "<g class=\"row\"><line x1=\"0\" y1=\"{y:.1}\" x2=\"{WIDTH}\" y2=\"{y:.1}\" stroke=\"#ebecf0\"/><text x=\"6\" y=\"{:.1}\">{}</text>",
            y + h / 2.0 + 4.0,
            esc(&truncate(&row.name, 26))
        );
        for &(a, b) in &row.coverage {
            if b < lo || a > hi {
                continue;
            }
            let (a, b) = (a.max(lo), b.min(hi));
            let _ = writeln!(
                o,
                "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"#f4f5f7\"><title>logs from {} to {}</title></rect>",
                x(a),
                y + 3.0,
                (x(b) - x(a)).max(1.0),
                h - 6.0,
                esc(&label_time(a, 0)),
                esc(&label_time(b, 0))
            );
        }
        for (lane, &(i, f)) in row.findings.iter().enumerate() {
            let (Some(a), Some(b)) = (f.first_seen, f.last_seen) else {
                continue;
            };
            let colour = PALETTE[i % PALETTE.len()];
            let ly = y + ROW_PAD + LANE * lane as f64 + LANE / 2.0;
            let (xa, xb) = (x(secs(a)), x(secs(b)));
            let _ = writeln!(
                o,
                "<g><title>{}: {} ({} events) {} to {}</title><line x1=\"{xa:.1}\" y1=\"{ly:.1}\" x2=\"{:.1}\" y2=\"{ly:.1}\" stroke=\"{colour}\" stroke-width=\"5\" stroke-linecap=\"round\"/><circle cx=\"{xa:.1}\" cy=\"{ly:.1}\" r=\"3.5\" fill=\"{colour}\"/><circle cx=\"{xb:.1}\" cy=\"{ly:.1}\" r=\"3.5\" fill=\"{colour}\"/></g>",
                i + 1,
                esc(&f.rule),
                f.count,
                esc(&a.to_string()),
                esc(&b.to_string()),
                xb.max(xa + 0.5),
            );
        }
        o.push_str("</g>\n");
        y += h;
    }
    o.push_str("</svg>\n<p class=\"legend\">");
    for (i, f) in r.findings.iter().enumerate() {
        if f.first_seen.is_none() {
            continue;
        }
        let _ = write!(
            o,
            "<span><i style=\"background:{}\"></i>{}. {}</span>",
            PALETTE[i % PALETTE.len()],
            i + 1,
            esc(&f.rule)
        );
    }
    o.push_str("</p>\n");
    let untimed = r.findings.iter().filter(|f| f.first_seen.is_none()).count();
    let mut note = String::from(
        "Grey: the time the logs of each row cover. Bars: from the first to the last event of a cause.",
    );
    if !exact {
        note.push_str(
            " Findings are grouped by cause, so a bar shows the cause's first and last event over all the rows it was seen on; run with --group-by node for each node's own times.",
        );
    }
    if untimed > 0 {
        let _ = write!(
            note,
            " {untimed} finding{} without a time {} not drawn.",
            if untimed == 1 { "" } else { "s" },
            if untimed == 1 { "is" } else { "are" }
        );
    }
    let _ = writeln!(o, "<p class=\"muted\">{}</p>", esc(&note));
    o
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max - 1).collect();
        t.push('\u{2026}');
        t
    }
}
