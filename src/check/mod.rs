//! The configuration pass behind `linkdoctor check` and `linkdoctor snapshot` (issue 6): find
//! each product's effective web-server configuration in install directories, home
//! directories and support zips (Application Links Troubleshooting Guide, checklist item 2), check its connectors against
//! each other and the base URL, compare JVM time zones across the linked servers, spot
//! deprecated authentication, and diff against a pre-upgrade snapshot.
//!
//! Inputs come through the stack `scan` uses: support zips (nested ones too) through
//! [`crate::source::zip`] under the same `--max-*` limits, application.xml and
//! `-Duser.timezone` through [`crate::source::node`], file roles and products through
//! [`crate::source::attribute`]; files on disk through [`disk`] (regular files, capped).
//! A run that read no configuration at all is not "all clear": the report says what was
//! looked at ([`CheckSummary::nothing_checked`]) and `check` exits 2.
//!
//! Flow: [`locate`] (find instances, load files) → [`effective`] (which file is read) →
//! [`webconfig`] (parse it) → [`analyze`] / [`environment`] (findings) → [`baseline`]
//! (snapshot and diff) → [`render`]. Everything is offline and read-only.

pub mod analyze;
pub mod baseline;
pub mod catalog;
pub mod disk;
pub mod effective;
pub mod environment;
pub mod locate;
pub mod model;
pub mod properties;
pub mod render;
pub mod support_zip;
pub mod webconfig;

use crate::model::{Product, Severity};
use crate::report::redact::{MASK, redact};
use crate::source::decode::ReadLimits;
use crate::source::limits::Limits;
use crate::source::node;
use crate::warning::Warning;
use analyze::{BaseUrl, Context};
use environment::DeprecatedAuth;
use locate::{Located, Role};
pub use model::{CheckFinding, CheckReport, CheckSummary, Instance};
use std::path::{Path, PathBuf};

/// What to check.
pub struct CheckOptions<'a> {
    pub paths: &'a [PathBuf],
    /// `URL` for every instance, or `product=URL` for one product.
    pub base_urls: &'a [String],
    pub baseline: Option<&'a Path>,
    pub redact: bool,
    /// The limits support zips are read under (`--max-*`, as for `scan`).
    pub limits: Limits,
    /// `--product`: the product of inputs whose path or contents do not name one.
    pub product: Option<Product>,
}

/// Largest baseline snapshot read.
const MAX_BASELINE_BYTES: u64 = 64 * 1024 * 1024;

/// A `--base-url` value: for one product or for all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrlArg {
    pub product: Option<Product>,
    pub url: String,
}

/// Parses `URL` or `product=URL`; the error is a usage error.
pub fn parse_base_url_arg(s: &str) -> Result<BaseUrlArg, String> {
    let (product, url) = match s.split_once('=') {
        Some((p, u)) if !p.contains(':') && !p.contains('/') => {
            let product = Product::parse(p)
                .ok_or_else(|| format!("--base-url {s}: unknown product `{p}`"))?;
            (Some(product), u)
        }
        _ => (None, s),
    };
    BaseUrl::parse(url).map_err(|e| format!("--base-url: {e}"))?;
    Ok(BaseUrlArg {
        product,
        url: url.trim().to_string(),
    })
}

fn parse_config(
    file: &locate::ConfigFile,
    warnings: &mut Vec<Warning>,
) -> Option<model::WebConfig> {
    let result = match file.role {
        Role::BitbucketProperties => {
            let (cfg, w) = webconfig::read_bitbucket_properties(&file.path, &file.text);
            warnings.extend(w);
            Ok(cfg)
        }
        Role::FisheyeConfig => webconfig::read_fisheye_config(&file.path, &file.text),
        _ => webconfig::read_server_xml(&file.path, &file.text),
    };
    result.map_err(|w| warnings.push(w)).ok()
}

/// The base URL to check against and where it came from: `--base-url` (for this product,
/// else for all), a support zip's application.xml, Fisheye's `site-url`, else the one the
/// baseline snapshot recorded.
fn resolve_base_url(
    l: &Located,
    config: Option<&model::WebConfig>,
    base_urls: &[BaseUrlArg],
    baseline_url: Option<(String, String)>,
) -> (Option<String>, Option<String>) {
    if let Some(b) = base_urls
        .iter()
        .find(|b| b.product == Some(l.product))
        .or_else(|| base_urls.iter().find(|b| b.product.is_none()))
    {
        return (Some(b.url.clone()), Some("--base-url".to_string()));
    }
    if let Some((u, p)) = l.file(Role::ApplicationXml).and_then(|f| {
        node::from_application_xml(&f.text)
            .base_url
            .map(|u| (u, f.path.clone()))
    }) {
        return (Some(u), Some(p));
    }
    if let Some(c) = config
        && let Some(s) = &c.site_url
    {
        return (
            Some(s.value.clone()),
            Some(format!("{} (site-url)", c.file)),
        );
    }
    match baseline_url {
        Some((u, file)) => (Some(u), Some(format!("baseline {file}"))),
        None => (None, None),
    }
}

/// The base URL a baseline recorded for the instance `l`: same product, and same location
/// when the baseline has that product more than once.
fn baseline_url_for(
    l: &Located,
    snap: &baseline::Snapshot,
    file: &Path,
) -> Option<(String, String)> {
    let same: Vec<&baseline::SnapshotInstance> = snap
        .instances
        .iter()
        .filter(|b| b.product == l.product)
        .collect();
    let hit = match same.as_slice() {
        [only] => Some(*only),
        _ => same
            .iter()
            .find(|b| b.roots.iter().any(|r| l.roots.contains(r)))
            .copied(),
    }?;
    hit.base_url
        .clone()
        .map(|u| (u, file.display().to_string()))
}

/// Builds one instance and its own findings.
fn examine(
    l: &Located,
    base_urls: &[BaseUrlArg],
    baseline_url: Option<(String, String)>,
    warnings: &mut Vec<Warning>,
    findings: &mut Vec<CheckFinding>,
) -> Instance {
    let chosen = effective::choose(l);
    let config = chosen.file.and_then(|f| parse_config(f, warnings));
    let (base_url, base_url_source) = resolve_base_url(l, config.as_ref(), base_urls, baseline_url);
    let parsed_base = base_url.as_deref().and_then(|u| match BaseUrl::parse(u) {
        Ok(b) => Some(b),
        Err(e) => {
            warnings.push(Warning::new(
                base_url_source.clone().unwrap_or_default(),
                format!("{e}; base URL checks skipped"),
            ));
            None
        }
    });
    if let Some(cfg) = &config {
        let mut keystore_roots: Vec<PathBuf> = Vec::new();
        if !l.from_zip {
            for r in &l.roots {
                keystore_roots.push(PathBuf::from(r));
                if l.product == Product::Crowd {
                    keystore_roots.push(Path::new(r).join("apache-tomcat"));
                }
            }
        }
        let ctx = Context {
            product: l.product,
            config: cfg,
            base_url: parsed_base
                .as_ref()
                .map(|b| (b, base_url_source.as_deref().unwrap_or("?"))),
            keystore_roots,
        };
        findings.extend(analyze::analyze(&ctx));
    }
    if let Some(ignored) = chosen.ignored_shared_server_xml {
        findings.push(ignored_shared_finding(
            l,
            ignored,
            chosen.file.map(|f| f.path.as_str()),
        ));
    }
    for (kind, at) in environment::deprecated_auth(&l.files, warnings) {
        let (id, what) = match kind {
            DeprecatedAuth::TrustedApplications => {
                ("trusted-applications-configured", "Trusted Applications")
            }
            DeprecatedAuth::Basic => ("basic-auth-configured", "Basic HTTP authentication"),
        };
        findings.push(CheckFinding {
            severity: Severity::Warning,
            id: id.into(),
            product: l.product,
            title: format!("{what} is configured"),
            file: at.file,
            line: at.line,
            attribute: None,
            current: Some(at.value),
            expected: Some("OAuth".into()),
            explanation: format!("{what} is deprecated for application links; Atlassian recommends OAuth, the same on both ends of each link."),
            fix: "Edit each application link to use OAuth (or OAuth with impersonation) for incoming and outgoing authentication on both sides (checklist items 4 and 7).".into(),
        });
    }
    let tz = environment::timezone(&l.files);
    let files_found: Vec<String> = l
        .files
        .iter()
        .filter(|f| f.role.is_web_config())
        .map(|f| f.path.clone())
        .collect();
    Instance {
        product: l.product,
        product_label: if l.stash {
            "stash".into()
        } else {
            l.product.name().into()
        },
        roots: l.roots.clone(),
        version: l.version.as_ref().map(|v| v.0.clone()),
        version_source: l.version.as_ref().map(|v| v.1.clone()),
        files_found,
        effective_file: chosen.file.map(|f| f.path.clone()),
        effective_reason: chosen.reason,
        base_url,
        base_url_source,
        timezone: tz.as_ref().map(|t| t.value.clone()),
        timezone_source: tz.map(|t| match t.line {
            Some(n) => format!("{}:{n}", t.file),
            None => t.file,
        }),
        config,
    }
}

fn ignored_shared_finding(
    l: &Located,
    ignored: &locate::ConfigFile,
    effective: Option<&str>,
) -> CheckFinding {
    let customised = ignored.text.contains("proxyName")
        || ignored.text.contains("SSLEnabled")
        || ignored.text.contains("scheme=");
    let version = l.version.as_ref().map(|v| v.0.as_str()).unwrap_or("?");
    CheckFinding {
        severity: if customised {
            Severity::Error
        } else {
            Severity::Warning
        },
        id: "shared-server-xml-ignored".into(),
        product: l.product,
        title: format!("{} is not read by version {version}", ignored.path),
        file: ignored.path.clone(),
        line: None,
        attribute: None,
        current: Some(ignored.path.clone()),
        expected: effective.map(str::to_string),
        explanation: if customised {
            "This server.xml holds reverse-proxy or HTTPS customisations, but this version reads its web-server settings elsewhere, so they are not in effect.".into()
        } else {
            "This server.xml is not read by this version.".into()
        },
        fix: format!(
            "Move the settings to {} (for Bitbucket 5+: the server.* properties of shared/bitbucket.properties, see Atlassian's \"Migrate server.xml customizations to bitbucket.properties\") (checklist item 2).",
            effective.unwrap_or("the effective configuration file")
        ),
    }
}

/// Different `-Duser.timezone` values among the instances checked together.
fn timezone_findings(instances: &[Instance]) -> Vec<CheckFinding> {
    let set: Vec<&Instance> = instances.iter().filter(|i| i.timezone.is_some()).collect();
    let mut distinct: Vec<&str> = set.iter().filter_map(|i| i.timezone.as_deref()).collect();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < 2 {
        return Vec::new();
    }
    let all: Vec<String> = set
        .iter()
        .map(|i| {
            format!(
                "{} {}",
                i.product_label,
                i.timezone.as_deref().unwrap_or_default()
            )
        })
        .collect();
    set.iter()
        .map(|i| {
            let source = i.timezone_source.clone().unwrap_or_default();
            let (file, line) = match source.rsplit_once(':') {
                Some((f, l)) if l.parse::<u64>().is_ok() => (f.to_string(), l.parse().ok()),
                _ => (source.clone(), None),
            };
            CheckFinding {
                severity: Severity::Warning,
                id: "timezone-differs".into(),
                product: i.product,
                title: format!("JVM time zone {} differs between the linked servers", i.timezone.as_deref().unwrap_or_default()),
                file,
                line,
                attribute: Some("-Duser.timezone".into()),
                current: i.timezone.clone(),
                expected: Some("one time zone setting reviewed for every linked server".into()),
                explanation: format!("The servers checked together set different JVM time zones ({}). OAuth compares timestamps: a wrong or inconsistent time zone on one side breaks authentication.", all.join(", ")),
                fix: "Check that each server's -Duser.timezone is its real zone and its clock is synchronised with NTP (checklist item 9).".into(),
            }
        })
        .collect()
}

/// `name="value"` and `name=value` where the name says it holds a secret (`keystorePass`,
/// `server.ssl.key-store-password`, `truststorePass`...): Tomcat and Bitbucket setting names
/// the evidence patterns of [`redact`] do not know.
static SECRET_SETTING: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r#"(?i)\b([\w.-]*(?:pass|secret)[\w.-]*)(\s*=\s*"?)([^"\s]+)"#)
        .expect("static regex")
});

/// `text` with every secret masked: setting assignments, then [`redact`]'s patterns.
fn redact_text(text: &str) -> String {
    let masked = SECRET_SETTING.replace_all(text, format!("${{1}}${{2}}{MASK}"));
    redact(&masked).into_owned()
}

/// Masks every secret in what the renderers print: findings, instance values, warnings.
fn redact_report(report: &mut CheckReport) {
    report.findings.iter_mut().for_each(redact_finding);
    for i in &mut report.instances {
        for v in [&mut i.base_url, &mut i.timezone, &mut i.version]
            .into_iter()
            .flatten()
        {
            *v = redact_text(v);
        }
    }
    for w in &mut report.warnings {
        w.message = redact_text(&w.message);
    }
    if let Some(n) = &mut report.summary.nothing_checked {
        *n = redact_text(n);
    }
}

fn redact_finding(f: &mut CheckFinding) {
    let secret = f
        .attribute
        .as_deref()
        .is_some_and(|a| baseline::is_secret(a, a));
    for v in [&mut f.current, &mut f.expected].into_iter().flatten() {
        if secret && v != "(not set)" {
            *v = MASK.into();
        } else {
            *v = redact_text(v);
        }
    }
    for t in [&mut f.explanation, &mut f.fix, &mut f.title] {
        *t = redact_text(t);
    }
    if secret {
        // The explanation and fix of a baseline finding quote the old value.
        for t in [&mut f.explanation, &mut f.fix] {
            if let Some(v) = t.split('"').nth(1).map(str::to_string)
                && !v.is_empty()
                && v != MASK
            {
                *t = t.replace(&format!("\"{v}\""), &format!("\"{MASK}\""));
            }
        }
    }
}

/// Runs the whole pass. `Err` is a fatal error (bad `--base-url`, unreadable baseline).
pub fn run(opts: &CheckOptions) -> Result<CheckReport, String> {
    let base_urls = opts
        .base_urls
        .iter()
        .map(|s| parse_base_url_arg(s))
        .collect::<Result<Vec<_>, _>>()?;
    let baseline = match opts.baseline {
        Some(p) => {
            let text = disk::read_text(p, MAX_BASELINE_BYTES)
                .map_err(|e| format!("baseline {}: {e}", p.display()))?;
            Some(baseline::parse(&text).map_err(|e| format!("baseline {}: {e}", p.display()))?)
        }
        None => None,
    };
    let mut warnings = Vec::new();
    let limits = ReadLimits::new(opts.limits);
    let reading = locate::Reading {
        limits: &limits,
        product: opts.product,
    };
    let search = locate::locate(opts.paths, &reading, &mut warnings);
    let located = search.located;
    let mut products: Vec<Product> = located.iter().map(|l| l.product).collect();
    products.sort();
    products.dedup();
    if products.len() > 1
        && let Some(generic) = base_urls.iter().find(|b| b.product.is_none())
    {
        warnings.push(Warning::new(
            "--base-url",
            format!(
                "{} applies to every product checked ({}); give each its own with product=URL",
                generic.url,
                products
                    .iter()
                    .map(|p| p.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    let mut findings = Vec::new();
    let instances: Vec<Instance> = located
        .iter()
        .map(|l| {
            let from_baseline = baseline
                .as_ref()
                .zip(opts.baseline)
                .and_then(|(snap, file)| baseline_url_for(l, snap, file));
            examine(l, &base_urls, from_baseline, &mut warnings, &mut findings)
        })
        .collect();
    findings.extend(timezone_findings(&instances));
    if let (Some(b), Some(p)) = (&baseline, opts.baseline) {
        let shown = p.display().to_string();
        let (diff, missing) = baseline::compare(b, &instances, &shown);
        findings.extend(diff);
        warnings.extend(missing.into_iter().map(|m| Warning::new(&shown, m)));
    }
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.product.cmp(&b.product))
            .then_with(|| a.file.cmp(&b.file))
            .then_with(|| a.line.cmp(&b.line))
            .then_with(|| a.id.cmp(&b.id))
            .then_with(|| a.attribute.cmp(&b.attribute))
    });
    findings.dedup();
    warnings.sort();
    warnings.dedup();
    let nothing_checked = instances.iter().all(|i| i.files_found.is_empty()).then(|| {
        let mut parts = search.looked_at;
        parts.extend(instances.iter().map(|i| {
            format!(
                "{} at {}: no server.xml, bitbucket.properties or config.xml found",
                i.product_label,
                i.roots.join(" + ")
            )
        }));
        format!("no configuration read: {}", parts.join("; "))
    });
    let summary = CheckSummary {
        instances: instances.len(),
        files: instances.iter().map(|i| i.files_found.len()).sum(),
        findings: findings.len(),
        warnings: warnings.len(),
        highest_severity: findings.iter().map(|f| f.severity).max(),
        baseline: opts.baseline.map(|p| p.display().to_string()),
        nothing_checked,
    };
    let mut report = CheckReport {
        summary,
        instances,
        findings,
        warnings,
    };
    if opts.redact {
        redact_report(&mut report);
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_args() {
        assert_eq!(
            parse_base_url_arg("jira=https://j.example.com").unwrap(),
            BaseUrlArg {
                product: Some(Product::Jira),
                url: "https://j.example.com".into()
            }
        );
        assert_eq!(parse_base_url_arg("https://x?a=b").unwrap().product, None);
        assert!(parse_base_url_arg("nope=https://x").is_err());
        assert!(parse_base_url_arg("x.example.com").is_err());
    }

    #[test]
    fn secrets_are_masked_in_findings() {
        let mut f = CheckFinding {
            severity: Severity::Error,
            id: "baseline-changed".into(),
            product: Product::Jira,
            title: "t".into(),
            file: "f".into(),
            line: None,
            attribute: Some("keystorePass".into()),
            current: Some("new".into()),
            expected: Some("old-secret".into()),
            explanation: "The baseline has keystorePass=\"old-secret\".".into(),
            fix: "Add keystorePass=\"old-secret\" to it".into(),
        };
        redact_finding(&mut f);
        let all = format!("{f:?}");
        assert!(!all.contains("old-secret"), "{all}");
        assert!(!all.contains("new\""), "{all}");
    }

    #[test]
    fn secret_settings_in_any_value_are_masked() {
        let t = r#"SSLEnabled="true" keystoreFile="conf/x.jks" keystorePass="changeit-secret" truststorePass=tp1 server.ssl.key-store-password=kp2 port="8443""#;
        let r = redact_text(t);
        for secret in ["changeit-secret", "tp1", "kp2"] {
            assert!(!r.contains(secret), "{secret}: {r}");
        }
        assert!(
            r.contains(r#"port="8443""#) && r.contains("conf/x.jks"),
            "{r}"
        );
    }
}
