//! JSON (one document) and NDJSON (one object per line) renderers.

use crate::report::{EventRecord, Report};
use serde_json::json;

pub fn render(report: &Report) -> String {
    let mut s = serde_json::to_string_pretty(report).unwrap_or_else(|e| {
        json!({"error": format!("could not serialise the report: {e}")}).to_string()
    });
    s.push('\n');
    s
}

/// Writes the JSON document straight into `out`.
pub fn write(report: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report).map_err(std::io::Error::other)?;
    out.write_all(b"\n")
}

/// The NDJSON object of one event without its opening brace: the writer puts
/// `{"type":"event","line":N,` before it once the line number is known.
pub fn event_body(record: &EventRecord) -> String {
    let json = serde_json::to_string(record).unwrap_or_else(|_| "{}".to_string());
    json.strip_prefix('{').unwrap_or(&json).to_string()
}

/// The NDJSON lines after the events: every warning, then the summary.
pub fn render_ndjson_tail(report: &Report) -> String {
    let mut out = String::new();
    let mut push = |v: serde_json::Value| {
        out.push_str(&v.to_string());
        out.push('\n');
    };
    for w in &report.warnings {
        let mut v = serde_json::to_value(w).unwrap_or_default();
        if let Some(o) = v.as_object_mut() {
            o.insert("type".into(), "warning".into());
        }
        push(v);
    }
    let mut v = serde_json::to_value(&report.summary).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        o.insert("type".into(), "summary".into());
    }
    push(v);
    out
}
