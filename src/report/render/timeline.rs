//! The timeline of the HTML report, drawn as inline SVG: one row per node (per product for
//! inputs without a node, or with `--group-by product`), the time the logs of that row
//! cover as a grey band, one lane per cause seen on that row with its events per time
//! bucket (darker: more) between the cause's own first and last event on that row, and the
//! restarts and upgrades of that row as vertical ticks. The reader sees when the link broke,
//! on which node, and whether it began with a restart or an upgrade.
//!
//! Everything drawn comes from the report's `timeline` lanes and `markers` (exact first and
//! last times, bounded buckets), never from a finding's overall span. Times without a UTC
//! offset are placed as written (read as UTC), as the rest of the report shows them. Every
//! mark has a `<title>` (the browser's tooltip); there is no script.

use crate::model::{LogTime, Product};
use crate::report::timeline::{Marker, TimelineLane};
use crate::report::{GroupBy, Report};
use crate::rules::schema::MarkerKind;
use std::collections::BTreeMap;
use std::fmt::Write;

/// Colours of the causes, in finding order (cycled).
const PALETTE: [&str; 10] = [
    "#c9372c", "#0c66e4", "#b65c02", "#1f845a", "#8b1fa9", "#0e7a8a", "#c2185b", "#5e4db2",
    "#7f5f01", "#44546f",
];
/// Colour of the lifecycle markers (every hue is taken by the causes): a restart is a dashed
/// tick under a triangle, an upgrade a solid, thicker tick under a diamond.
const MARKER_COLOUR: &str = "#172b4d";
/// A marker's label is written beside its tick when the next tick is this far (pixels).
const LABEL_ROOM: f64 = 44.0;

const WIDTH: f64 = 960.0;
const LABEL: f64 = 170.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 28.0;
const LANE: f64 = 10.0;
const ROW_PAD: f64 = 10.0;
/// Markers closer than this (pixels) on one row are drawn as one tick.
const MERGE_PX: f64 = 4.0;

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

fn duration(secs: i64) -> String {
    match secs {
        s if s % 86_400 == 0 => format!("{} d", s / 86_400),
        s if s % 3600 == 0 => format!("{} h", s / 3600),
        s => format!("{s} s"),
    }
}

/// One row of the timeline: a node or a product.
#[derive(Default)]
struct Row<'r> {
    /// Time ranges the row's logs cover.
    coverage: Vec<(i64, i64)>,
    lanes: Vec<&'r TimelineLane>,
    markers: Vec<&'r Marker>,
}

/// The row a node or product belongs to: the node when rows are nodes and it has one, else
/// the product (`-`: unknown).
fn row_name(by_node: bool, node: Option<&str>, product: Option<Product>) -> String {
    match node {
        Some(n) if by_node => n.to_string(),
        _ => product.map_or("-", |p| p.name()).to_string(),
    }
}

/// The rows by name, and whether rows are nodes.
fn rows(r: &Report) -> (BTreeMap<String, Row<'_>>, bool) {
    let by_node = r.group_by != GroupBy::Product
        && (r.sources.iter().any(|s| s.node.is_some())
            || r.timeline.iter().any(|l| l.node.is_some()));
    let mut map: BTreeMap<String, Row<'_>> = BTreeMap::new();
    for s in &r.sources {
        let row = map
            .entry(row_name(by_node, s.node.as_deref(), s.product))
            .or_default();
        if let (Some(a), Some(b)) = (s.first_time, s.last_time) {
            row.coverage.push((secs(a), secs(b)));
        }
    }
    for l in &r.timeline {
        map.entry(row_name(by_node, l.node.as_deref(), l.product))
            .or_default()
            .lanes
            .push(l);
    }
    for m in &r.markers {
        map.entry(row_name(by_node, m.node.as_deref(), m.product))
            .or_default()
            .markers
            .push(m);
    }
    // Lanes of one rule from several products on one node are drawn as one lane each.
    for row in map.values_mut() {
        row.lanes
            .sort_by(|a, b| a.rule.cmp(&b.rule).then(a.first.cmp(&b.first)));
        row.markers.sort_by_key(|m| secs(m.time));
    }
    map.retain(|_, row| !row.lanes.is_empty() || !row.coverage.is_empty());
    (map, by_node)
}

/// A marker's tooltip line.
fn marker_text(m: &Marker) -> String {
    let mut t = format!(
        "{}: {} at {} ({}:{})",
        match m.kind {
            MarkerKind::Restart => "Restart",
            MarkerKind::Upgrade => "Upgrade",
        },
        m.title,
        m.time,
        m.path,
        m.line
    );
    match (m.fields.get("previous_version"), m.fields.get("version")) {
        (Some(p), Some(v)) => {
            let _ = write!(t, ", version {p} \u{2192} {v}");
        }
        (None, Some(v)) => {
            let _ = write!(t, ", version {v}");
        }
        _ => {}
    }
    t
}

/// The timeline as an SVG element followed by its legend and a note on what is drawn; a
/// note instead when no finding has a time.
pub fn svg(r: &Report) -> String {
    let (rows, by_node) = rows(r);
    let times: Vec<i64> = r
        .timeline
        .iter()
        .flat_map(|l| [secs(l.first), secs(l.last)])
        .collect();
    let (Some(&t0), Some(&t1)) = (times.iter().min(), times.iter().max()) else {
        return "<p class=\"muted\">No finding carries a time, so there is no timeline.</p>\n"
            .to_string();
    };
    // The axis covers the findings with a margin; the log coverage and the markers are
    // clipped to it.
    let span = (t1 - t0).max(600);
    let lo = t0 - span / 20;
    let hi = t1 + span / 20;
    let plot = WIDTH - LABEL - RIGHT;
    let x = |t: i64| LABEL + (t.clamp(lo, hi) - lo) as f64 / (hi - lo) as f64 * plot;
    // Colour of a rule: that of its first finding.
    let mut colour: BTreeMap<&str, (usize, &str)> = BTreeMap::new();
    for (i, f) in r.findings.iter().enumerate() {
        colour
            .entry(f.rule.as_str())
            .or_insert((i + 1, PALETTE[i % PALETTE.len()]));
    }

    let row_height = |row: &Row<'_>| ROW_PAD * 2.0 + LANE * row.lanes.len().max(1) as f64;
    let height = TOP + rows.values().map(row_height).sum::<f64>() + 8.0;
    let mut o = String::new();
    let _ = writeln!(
        o,
        "<svg class=\"timeline\" viewBox=\"0 0 {WIDTH} {height:.0}\" role=\"img\" aria-label=\"Causes over time per {}, with restarts and upgrades\">",
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
    let mut outside = 0usize;
    for (name, row) in &rows {
        let h = row_height(row);
        let _ = writeln!(
            o,
            "<g class=\"row\" data-row=\"{}\"><line x1=\"0\" y1=\"{y:.1}\" x2=\"{WIDTH}\" y2=\"{y:.1}\" stroke=\"#ebecf0\"/><text x=\"6\" y=\"{:.1}\">{}</text>",
            html_escape::encode_double_quoted_attribute(name),
            y + h / 2.0 + 4.0,
            esc(&truncate(name, 26))
        );
        for &(a, b) in &row.coverage {
            if b < lo || a > hi {
                continue;
            }
            let _ = writeln!(
                o,
                "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"#f4f5f7\"><title>logs from {} to {}</title></rect>",
                x(a),
                y + 3.0,
                (x(b) - x(a)).max(1.0),
                h - 6.0,
                esc(&label_time(a.max(lo), 0)),
                esc(&label_time(b.min(hi), 0))
            );
        }
        for (k, lane) in row.lanes.iter().enumerate() {
            let (n, c) = colour
                .get(lane.rule.as_str())
                .copied()
                .unwrap_or((0, PALETTE[PALETTE.len() - 1]));
            let ly = y + ROW_PAD + LANE * k as f64;
            let mid = ly + LANE / 2.0;
            let (fa, fb) = (secs(lane.first), secs(lane.last));
            let (xa, xb) = (x(fa), x(fb));
            let busiest = lane
                .buckets
                .iter()
                .map(|b| b.events)
                .max()
                .unwrap_or(1)
                .max(1);
            let _ = write!(
                o,
                "<g class=\"lane\" data-rule=\"{}\"><title>{}{}: {} event{} on {}, {} to {} (marks: events per {})</title><line x1=\"{xa:.1}\" y1=\"{mid:.1}\" x2=\"{:.1}\" y2=\"{mid:.1}\" stroke=\"{c}\" stroke-width=\"1.5\" stroke-opacity=\"0.6\"/>",
                html_escape::encode_double_quoted_attribute(&lane.rule),
                if n > 0 {
                    format!("{n}. ")
                } else {
                    String::new()
                },
                esc(&lane.rule),
                lane.events,
                if lane.events == 1 { "" } else { "s" },
                esc(name),
                esc(&lane.first.to_string()),
                esc(&lane.last.to_string()),
                duration(lane.bucket_seconds),
                xb.max(xa + 0.5),
            );
            for b in &lane.buckets {
                // The bucket, clipped to the lane's exact first and last event.
                let s = secs(b.start);
                let (ba, bb) = (s.max(fa), (s + lane.bucket_seconds).min(fb));
                let (bx, bw) = (x(ba), (x(bb) - x(ba)).max(2.0));
                let _ = write!(
                    o,
                    "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{bw:.1}\" height=\"{:.1}\" fill=\"{c}\" fill-opacity=\"{:.2}\"><title>{}: {} event{} from {}</title></rect>",
                    bx - if bw <= 2.0 { 1.0 } else { 0.0 },
                    ly + 1.5,
                    LANE - 3.0,
                    0.35 + 0.65 * b.events as f64 / busiest as f64,
                    esc(&lane.rule),
                    b.events,
                    if b.events == 1 { "" } else { "s" },
                    esc(&b.start.to_string()),
                );
            }
            let _ = writeln!(
                o,
                "<circle cx=\"{xa:.1}\" cy=\"{mid:.1}\" r=\"3\" fill=\"{c}\"/><circle cx=\"{xb:.1}\" cy=\"{mid:.1}\" r=\"3\" fill=\"{c}\"/></g>"
            );
        }
        // Markers: one tick per cluster of markers a few pixels apart.
        let mut clusters: Vec<(f64, Vec<&Marker>)> = Vec::new();
        for m in &row.markers {
            let t = secs(m.time);
            if t < lo || t > hi {
                outside += 1;
                continue;
            }
            let mx = x(t);
            match clusters.last_mut() {
                Some((cx, ms)) if mx - *cx < MERGE_PX => ms.push(m),
                _ => clusters.push((mx, vec![m])),
            }
        }
        let next: Vec<f64> = clusters
            .iter()
            .skip(1)
            .map(|(x, _)| *x)
            .chain([f64::INFINITY])
            .collect();
        for ((mx, ms), next_x) in clusters.into_iter().zip(next) {
            let upgrade = ms.iter().any(|m| m.kind == MarkerKind::Upgrade);
            let c = MARKER_COLOUR;
            let kind = if upgrade { "upgrade" } else { "restart" };
            let label = if next_x - mx >= LABEL_ROOM && mx + LABEL_ROOM <= WIDTH {
                format!(
                    "<text x=\"{:.1}\" y=\"{:.1}\" class=\"mk\">{kind}</text>",
                    mx + 5.0,
                    y + 9.0
                )
            } else {
                String::new()
            };
            let text: Vec<String> = ms.iter().map(|m| marker_text(m)).collect();
            let (top, bottom) = (y + 2.0, y + h - 2.0);
            let shape = if upgrade {
                format!(
                    "<path d=\"M{mx:.1} {:.1}l4 4l-4 4l-4 -4z\" fill=\"{c}\"/>",
                    top - 1.0
                )
            } else {
                format!(
                    "<path d=\"M{:.1} {top:.1}h8l-4 6z\" fill=\"{c}\"/>",
                    mx - 4.0
                )
            };
            let mut rules: Vec<&str> = ms.iter().map(|m| m.rule.as_str()).collect();
            rules.sort_unstable();
            rules.dedup();
            let _ = writeln!(
                o,
                "<g class=\"marker {kind}\" data-rules=\"{}\"><title>{}</title><line x1=\"{mx:.1}\" y1=\"{top:.1}\" x2=\"{mx:.1}\" y2=\"{bottom:.1}\" stroke=\"{c}\"{}/>{shape}{label}</g>",
                html_escape::encode_double_quoted_attribute(&rules.join(" ")),
                esc(&text.join("\n")),
                if upgrade {
                    " stroke-width=\"2.5\""
                } else {
                    " stroke-width=\"1.5\" stroke-dasharray=\"3 2\""
                },
            );
        }
        o.push_str("</g>\n");
        y += h;
    }
    o.push_str("</svg>\n<p class=\"legend\">");
    let mut listed: Vec<&str> = Vec::new();
    for (i, f) in r.findings.iter().enumerate() {
        if f.first_seen.is_none() || listed.contains(&f.rule.as_str()) {
            continue;
        }
        listed.push(&f.rule);
        let _ = write!(
            o,
            "<span><i style=\"background:{}\"></i>{}. {}</span>",
            PALETTE[i % PALETTE.len()],
            i + 1,
            esc(&f.rule)
        );
    }
    let drawn = r.markers.len() - outside.min(r.markers.len());
    if drawn > 0 {
        let _ = write!(
            o,
            "<span><svg class=\"key\" viewBox=\"0 0 10 14\" aria-hidden=\"true\"><path d=\"M1 0h8l-4 6z\" fill=\"{MARKER_COLOUR}\"/><line x1=\"5\" y1=\"5\" x2=\"5\" y2=\"14\" stroke=\"{MARKER_COLOUR}\" stroke-width=\"1.5\" stroke-dasharray=\"3 2\"/></svg>restart</span><span><svg class=\"key\" viewBox=\"0 0 10 14\" aria-hidden=\"true\"><path d=\"M5 0l4 4l-4 4l-4 -4z\" fill=\"{MARKER_COLOUR}\"/><line x1=\"5\" y1=\"6\" x2=\"5\" y2=\"14\" stroke=\"{MARKER_COLOUR}\" stroke-width=\"2.5\"/></svg>upgrade (hover a tick for what was logged)</span>"
        );
    }
    o.push_str("</p>\n");
    let untimed = r.findings.iter().filter(|f| f.first_seen.is_none()).count();
    let mut note = String::from(
        "Grey: the time the logs of each row cover. Coloured marks: the events of a cause on that row per time bucket (darker: more), from its first to its last event there; hover for counts.",
    );
    note.push_str(if r.markers.is_empty() {
        " No restart or upgrade was found in these logs."
    } else {
        " Ticks: restarts (dashed, triangle) and upgrades (solid, diamond) logged on that row."
    });
    if outside > 0 {
        let _ = write!(
            note,
            " {outside} restart{} or upgrade{} outside the time shown {} not drawn.",
            if outside == 1 { "" } else { "s" },
            if outside == 1 { "" } else { "s" },
            if outside == 1 { "is" } else { "are" }
        );
    }
    if r.markers_left_out > 0 {
        let _ = write!(
            note,
            " {} more restarts or upgrades are not kept (a node keeps its first and last {}).",
            r.markers_left_out,
            crate::report::timeline::MAX_MARKERS
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
