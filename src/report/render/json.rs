//! JSON (one document) and NDJSON (one object per line) renderers. serde_json escapes C0
//! controls; the few others a terminal acts on are escaped by [`sanitize::json`].

use crate::report::Report;
use crate::report::sanitize;
use serde_json::json;

pub fn render(report: &Report) -> String {
    let mut s = serde_json::to_string_pretty(report).unwrap_or_else(|e| {
        json!({"error": format!("could not serialise the report: {e}")}).to_string()
    });
    s.push('\n');
    sanitize::json(s)
}

pub fn render_ndjson(report: &Report) -> String {
    let mut out = String::new();
    let mut push = |v: serde_json::Value| {
        out.push_str(&v.to_string());
        out.push('\n');
    };
    for e in &report.events {
        let mut v = serde_json::to_value(e).unwrap_or_default();
        if let Some(o) = v.as_object_mut() {
            o.insert("type".into(), "event".into());
        }
        push(v);
    }
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
    sanitize::json(out)
}
