//! What a probe reports: per URL the steps taken and what each saw (addresses, certificate
//! chain, HTTP answer, manifest, clock), and the findings, each under the rule id a log
//! finding of the same cause carries, with that rule's cause, remediation and references
//! taken from the loaded catalog (one catalog, two sources of evidence). Texts from the
//! remote side are redacted here, once, when asked.

use super::certinfo::CertInfo;
use super::clock::ClockReading;
use super::manifest::Manifest;
use crate::model::Severity;
use crate::report::redact::redact;
use crate::rules::Catalog;
use crate::warning::Warning;
use serde::Serialize;
use std::collections::BTreeMap;

/// The probe steps, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    Dns,
    Tcp,
    Proxy,
    Tls,
    Http,
    Manifest,
    BaseUrl,
    Clock,
}

impl Step {
    pub fn name(self) -> &'static str {
        match self {
            Step::Dns => "dns",
            Step::Tcp => "tcp",
            Step::Proxy => "proxy",
            Step::Tls => "tls",
            Step::Http => "http",
            Step::Manifest => "manifest",
            Step::BaseUrl => "base_url",
            Step::Clock => "clock",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    Ok,
    Warning,
    Failed,
}

/// One step taken and what it saw.
#[derive(Debug, Clone, Serialize)]
pub struct StepRecord {
    pub step: Step,
    pub status: StepStatus,
    pub detail: String,
}

/// A cause found by a probe.
#[derive(Debug, Clone, Serialize)]
pub struct ProbeFinding {
    pub severity: Severity,
    /// The rule id log findings of the same cause carry.
    pub rule: String,
    pub title: String,
    pub step: Step,
    pub url: String,
    /// What the probe saw, in one sentence.
    pub message: String,
    /// The facts behind it: host, port, certificate fields, skew...
    pub facts: BTreeMap<String, String>,
    pub cause: String,
    pub remediation: Vec<String>,
    pub references: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct TlsReport {
    /// The version of the main handshake, when it completed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The versions the server completed a handshake with, each tried alone.
    pub accepted_versions: Vec<String>,
    /// The chain as the server sent it, its own certificate first.
    pub chain: Vec<CertInfo>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Redirect {
    pub status: u16,
    pub from: String,
    pub to: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct HttpReport {
    pub request: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    pub redirects: Vec<Redirect>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub round_trip_ms: Option<u64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct BaseUrlReport {
    pub expected: String,
    /// `probed URL` or `--expect-base-url`.
    pub expected_from: String,
    pub manifest: String,
    pub differences: Vec<super::baseurl::Difference>,
}

/// Everything one URL's probe found.
#[derive(Debug, Clone, Serialize)]
pub struct UrlProbe {
    pub url: String,
    pub host: String,
    pub port: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proxy: Option<String>,
    pub addresses: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connected_to: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http: Option<HttpReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manifest: Option<Manifest>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_url: Option<BaseUrlReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clock: Option<ClockReading>,
    pub steps: Vec<StepRecord>,
    pub findings: Vec<ProbeFinding>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ProbeSummary {
    pub urls: usize,
    pub findings: usize,
    pub warnings: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub highest_severity: Option<Severity>,
    pub trust_store: String,
}

/// Everything `linkdoctor probe` prints.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ProbeReport {
    pub summary: ProbeSummary,
    pub probes: Vec<UrlProbe>,
    pub warnings: Vec<Warning>,
}

impl ProbeReport {
    pub fn new(probes: Vec<UrlProbe>, warnings: Vec<Warning>, trust_store: String) -> Self {
        let all = probes.iter().flat_map(|p| &p.findings);
        ProbeReport {
            summary: ProbeSummary {
                urls: probes.len(),
                findings: all.clone().count(),
                warnings: warnings.len(),
                highest_severity: all.map(|f| f.severity).max(),
                trust_store,
            },
            probes,
            warnings,
        }
    }
}

/// Builds findings from the catalog, redacting remote texts when asked.
pub struct FindingMaker<'a> {
    pub catalog: &'a Catalog,
    pub redact: bool,
}

impl FindingMaker<'_> {
    /// Redacts `text` when redaction is on.
    pub fn clean(&self, text: &str) -> String {
        if self.redact {
            redact(text).into_owned()
        } else {
            text.to_string()
        }
    }

    /// A finding under `rule` (severity: the rule's, unless `severity` says otherwise).
    pub fn make(
        &self,
        rule: &str,
        severity: Option<Severity>,
        step: Step,
        url: &str,
        message: &str,
        facts: &[(&str, String)],
    ) -> ProbeFinding {
        let found = self.catalog.find(rule).map(|i| self.catalog.rule(i));
        ProbeFinding {
            severity: severity
                .or(found.map(|r| r.severity))
                .unwrap_or(Severity::Error),
            rule: rule.to_string(),
            title: found.map_or_else(|| rule.to_string(), |r| r.title.clone()),
            step,
            url: url.to_string(),
            message: self.clean(message),
            facts: facts
                .iter()
                .map(|(k, v)| (k.to_string(), self.clean(v)))
                .collect(),
            cause: found.map_or_else(
                || "(rule not in the loaded catalog)".to_string(),
                |r| r.cause.trim().to_string(),
            ),
            remediation: found.map(|r| r.remediation.clone()).unwrap_or_default(),
            references: found.map(|r| r.references.clone()).unwrap_or_default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn findings_take_the_catalog_texts_and_are_redacted() {
        let (catalog, errors) = crate::rules::load_catalog(&[]);
        assert!(errors.is_empty());
        let m = FindingMaker {
            catalog: &catalog,
            redact: true,
        };
        let f = m.make(
            "network-unknown-host",
            None,
            Step::Dns,
            "https://x.invalid",
            "no such host; password=hunter2",
            &[("host", "x.invalid".into())],
        );
        assert_eq!(f.severity, Severity::Error);
        assert_eq!(
            f.title,
            catalog
                .rule(catalog.find("network-unknown-host").unwrap())
                .title
        );
        assert!(!f.remediation.is_empty());
        assert!(!f.message.contains("hunter2"), "{}", f.message);
        let w = m.make(
            "ssl-certificate-expired",
            Some(Severity::Warning),
            Step::Tls,
            "u",
            "m",
            &[],
        );
        assert_eq!(w.severity, Severity::Warning);
    }
}
