//! Snapshots of the upgrade-sensitive settings and the comparison after an upgrade
//! (checklist item 2: "check that the upgraded server.xml file matches the pre-upgrade
//! server.xml").
//!
//! `snapshot` writes, per product instance, the effective file, its format, every connector
//! setting (secrets masked unless `--no-redact`), the base URL and the JVM time zone, as
//! JSON with a format name and version. `check --baseline` matches instances by product
//! (and location when a product appears more than once) and connectors by port, so a
//! Bitbucket 4 `server.xml` snapshot compares with a Bitbucket 5 `bitbucket.properties`
//! after the upgrade: the canonical settings (`proxyName` ≙ `server.proxy-name`) are
//! compared across formats, other attributes only within one format.

use super::analyze::{assignment, attribute_name};
use super::model::{CheckFinding, ConfigKind, Connector, Instance, key};
use crate::model::{Product, Severity};
use crate::report::redact::MASK;
use serde::{Deserialize, Serialize};

pub const FORMAT_NAME: &str = "linkdoctor-config-snapshot";
pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Snapshot {
    pub format: String,
    pub format_version: u32,
    pub tool_version: String,
    pub instances: Vec<SnapshotInstance>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SnapshotInstance {
    pub product: Product,
    pub product_label: String,
    pub roots: Vec<String>,
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub effective_file: Option<String>,
    #[serde(default)]
    pub kind: Option<ConfigKind>,
    #[serde(default)]
    pub base_url: Option<String>,
    #[serde(default)]
    pub timezone: Option<String>,
    #[serde(default)]
    pub connectors: Vec<Connector>,
}

/// Whether a setting holds a secret (by its canonical or file name).
pub fn is_secret(canonical: &str, name: &str) -> bool {
    let n = format!("{canonical} {name}").to_ascii_lowercase();
    n.contains("pass") || n.contains("secret")
}

/// Connectors with secret values masked.
pub fn masked(connectors: &[Connector]) -> Vec<Connector> {
    let mut out = connectors.to_vec();
    for c in &mut out {
        for (k, s) in c.settings.iter_mut() {
            if is_secret(k, &s.name) {
                s.value = MASK.into();
            }
        }
    }
    out
}

pub fn build(instances: &[Instance], redact: bool) -> Snapshot {
    Snapshot {
        format: FORMAT_NAME.into(),
        format_version: FORMAT_VERSION,
        tool_version: env!("CARGO_PKG_VERSION").into(),
        instances: instances
            .iter()
            .map(|i| {
                let connectors = i
                    .config
                    .as_ref()
                    .map(|c| c.connectors.clone())
                    .unwrap_or_default();
                SnapshotInstance {
                    product: i.product,
                    product_label: i.product_label.clone(),
                    roots: i.roots.clone(),
                    version: i.version.clone(),
                    effective_file: i.effective_file.clone(),
                    kind: i.config.as_ref().map(|c| c.kind),
                    base_url: i.base_url.clone(),
                    timezone: i.timezone.clone(),
                    connectors: if redact {
                        masked(&connectors)
                    } else {
                        connectors
                    },
                }
            })
            .collect(),
    }
}

/// Reads a snapshot file's text; the error says what is wrong.
pub fn parse(text: &str) -> Result<Snapshot, String> {
    let snap: Snapshot = serde_json::from_str(text).map_err(|e| {
        format!(
            "not a linkdoctor snapshot (line {}, column {}): {e}",
            e.line(),
            e.column()
        )
    })?;
    if snap.format != FORMAT_NAME {
        return Err(format!(
            "format is `{}`, expected `{FORMAT_NAME}`",
            snap.format
        ));
    }
    if snap.format_version > FORMAT_VERSION {
        return Err(format!(
            "snapshot format version {} is newer than this linkdoctor understands ({FORMAT_VERSION})",
            snap.format_version
        ));
    }
    Ok(snap)
}

/// Pairs each baseline instance with a current one: same product, and same roots when the
/// product appears more than once.
fn pair<'a>(base: &SnapshotInstance, current: &'a [Instance]) -> Option<&'a Instance> {
    let same: Vec<&Instance> = current
        .iter()
        .filter(|i| i.product == base.product)
        .collect();
    match same.as_slice() {
        [only] => Some(only),
        _ => same
            .iter()
            .find(|i| i.roots.iter().any(|r| base.roots.contains(r)))
            .copied(),
    }
}

/// Findings for everything the upgrade lost or changed; instances of the baseline not found
/// now are returned as messages for warnings.
pub fn compare(
    baseline: &Snapshot,
    current: &[Instance],
    baseline_file: &str,
) -> (Vec<CheckFinding>, Vec<String>) {
    let mut findings = Vec::new();
    let mut missing = Vec::new();
    for b in &baseline.instances {
        let Some(now) = pair(b, current) else {
            missing.push(format!(
                "{} from the baseline ({}) was not found in the paths checked",
                b.product_label,
                b.roots.join(", ")
            ));
            continue;
        };
        compare_instance(b, now, baseline_file, &mut findings);
    }
    (findings, missing)
}

fn compare_instance(
    b: &SnapshotInstance,
    now: &Instance,
    baseline_file: &str,
    out: &mut Vec<CheckFinding>,
) {
    let file = now
        .effective_file
        .clone()
        .unwrap_or_else(|| "(no web-server configuration found)".into());
    let kind = now.config.as_ref().map(|c| c.kind);
    let finding = |severity,
                   id: &str,
                   title: String,
                   line,
                   attribute: Option<String>,
                   current: Option<String>,
                   expected: Option<String>,
                   explanation: String,
                   fix: String| CheckFinding {
        severity,
        id: id.into(),
        product: now.product,
        title,
        file: file.clone(),
        line,
        attribute,
        current,
        expected,
        explanation,
        fix,
    };
    if b.effective_file != now.effective_file && b.kind != kind {
        out.push(finding(
            Severity::Info,
            "baseline-effective-file-changed",
            format!("The effective configuration moved from {} to {}", b.effective_file.as_deref().unwrap_or("(none)"), file),
            None, None,
            Some(file.clone()),
            b.effective_file.clone(),
            "The upgrade changed which file holds the web-server settings; the settings below are compared across the two.".into(),
            "Carry every customisation over to the new file (checklist item 2).".into(),
        ));
    }
    for (label, before, after) in [
        ("base URL", &b.base_url, &now.base_url),
        (
            "JVM time zone (-Duser.timezone)",
            &b.timezone,
            &now.timezone,
        ),
    ] {
        if before.is_some() && after.is_some() && before != after {
            out.push(finding(
                Severity::Warning,
                "baseline-environment-changed",
                format!("The {label} changed since the baseline"),
                None,
                Some(label.into()),
                Some(after.clone().unwrap_or_else(|| "(not found)".into())),
                before.clone(),
                format!("The baseline {baseline_file} recorded {}.", before.as_deref().unwrap_or_default()),
                "Restore it, or update the application links on the other side (checklist items 1, 2 and 9).".into(),
            ));
        }
    }
    let Some(cfg) = &now.config else {
        if !b.connectors.is_empty() {
            out.push(finding(
                Severity::Error,
                "baseline-lost",
                "The web-server configuration of the baseline is gone".into(),
                None, None,
                Some("(not found)".into()),
                b.effective_file.clone(),
                format!("The baseline recorded {} connector(s) in {}; no configuration file was found now.", b.connectors.len(), b.effective_file.as_deref().unwrap_or("?")),
                "Restore the pre-upgrade configuration file (checklist item 2).".into(),
            ));
        }
        return;
    };
    let single = b.connectors.len() == 1 && cfg.connectors.len() == 1;
    for bc in &b.connectors {
        let matched = cfg
            .connectors
            .iter()
            .find(|c| c.identity() == bc.identity())
            .or(if single { cfg.connectors.first() } else { None });
        let Some(cc) = matched else {
            let list: Vec<String> = bc
                .settings
                .values()
                .map(|s| format!("{}=\"{}\"", s.name, s.value))
                .collect();
            out.push(finding(
                Severity::Error,
                "baseline-connector-lost",
                format!("{} of the baseline is gone", bc.label),
                None,
                Some(bc.label.clone()),
                Some("(absent)".into()),
                Some(list.join(" ")),
                format!(
                    "Before the upgrade {} had this connector (baseline {baseline_file}).",
                    b.effective_file.as_deref().unwrap_or("the configuration")
                ),
                format!(
                    "Re-create the connector in {file} with the same settings (checklist item 2)."
                ),
            ));
            continue;
        };
        let same_kind = b.kind == Some(cfg.kind);
        for (k, before) in &bc.settings {
            let canonical = key::LINK_CRITICAL.contains(&k.as_str())
                || k == key::KEYSTORE_PASSWORD
                || k == key::PROTOCOL;
            if !same_kind && !canonical {
                continue;
            }
            let secret = is_secret(k, &before.name);
            let severity = if canonical {
                Severity::Error
            } else {
                Severity::Warning
            };
            let name = attribute_name(cfg.kind, k);
            let name = if same_kind && !canonical {
                before.name.clone()
            } else {
                name
            };
            match cc.setting(k) {
                None => out.push(finding(
                    severity,
                    "baseline-lost",
                    format!("{}: {} was lost in the upgrade", cc.label, name),
                    cc.line,
                    Some(name.clone()),
                    Some("(not set)".into()),
                    Some(before.value.clone()),
                    format!("The baseline {baseline_file} has {}=\"{}\" on {} in {}.", before.name, before.value, bc.label, b.effective_file.as_deref().unwrap_or("?")),
                    format!("Add {} to {} in {} (checklist item 2).", assignment(cfg.kind, &name, &before.value), cc.label, file),
                )),
                Some(after) if !secret && after.value.trim() != before.value.trim() => out.push(finding(
                    severity,
                    "baseline-changed",
                    format!("{}: {} changed in the upgrade", cc.label, name),
                    after.line.or(cc.line),
                    Some(name.clone()),
                    Some(after.value.clone()),
                    Some(before.value.clone()),
                    format!("The baseline {baseline_file} has {}=\"{}\"; now it is \"{}\".", before.name, before.value, after.value),
                    format!("Set {} on {} in {} as before the upgrade, unless the change was intended (checklist item 2).", assignment(cfg.kind, &name, &before.value), cc.label, file),
                )),
                Some(_) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::webconfig::{read_bitbucket_properties, read_server_xml};

    fn instance(cfg: super::super::model::WebConfig) -> Instance {
        Instance {
            product: Product::Bitbucket,
            product_label: "bitbucket".into(),
            roots: vec!["/x".into()],
            version: None,
            version_source: None,
            files_found: vec![cfg.file.clone()],
            effective_file: Some(cfg.file.clone()),
            effective_reason: String::new(),
            base_url: None,
            base_url_source: None,
            timezone: None,
            timezone_source: None,
            config: Some(cfg),
        }
    }

    #[test]
    fn server_xml_to_properties_across_formats() {
        let before = read_server_xml("shared/server.xml", "<Server><Service><Connector port=\"7990\" proxyName=\"bb.example.com\" proxyPort=\"443\" scheme=\"https\" secure=\"true\" keystorePass=\"s3cret\" maxThreads=\"200\"/></Service></Server>").unwrap();
        let snap = build(&[instance(before)], true);
        let text = serde_json::to_string(&snap).unwrap();
        assert!(!text.contains("s3cret"));
        let snap = parse(&text).unwrap();
        let (after, _) = read_bitbucket_properties(
            "shared/bitbucket.properties",
            "server.proxy-name=bb.example.com\nserver.proxy-port=8443\n",
        );
        let (f, missing) = compare(&snap, &[instance(after)], "snap.json");
        assert!(missing.is_empty());
        let got: Vec<(String, String)> = f
            .iter()
            .map(|f| (f.id.clone(), f.attribute.clone().unwrap_or_default()))
            .collect();
        assert!(
            got.contains(&("baseline-changed".into(), "server.proxy-port".into())),
            "{got:?}"
        );
        assert!(
            got.contains(&("baseline-lost".into(), "server.scheme".into())),
            "{got:?}"
        );
        assert!(
            got.contains(&("baseline-lost".into(), "server.secure".into())),
            "{got:?}"
        );
        assert!(
            got.contains(&(
                "baseline-lost".into(),
                "server.ssl.key-store-password".into()
            )),
            "{got:?}"
        );
        assert!(!got.iter().any(|(_, a)| a == "maxThreads"), "{got:?}");
        assert!(
            !got.iter().any(|(_, a)| a == "server.proxy-name"),
            "{got:?}"
        );
    }

    #[test]
    fn bad_snapshots_are_refused() {
        assert!(parse("{}").is_err());
        assert!(parse("[").unwrap_err().contains("line 1"));
        let newer = format!(
            "{{\"format\":\"{FORMAT_NAME}\",\"format_version\":99,\"tool_version\":\"x\",\"instances\":[]}}"
        );
        assert!(parse(&newer).unwrap_err().contains("newer"));
    }
}
