//! The data of the configuration pass: web-server settings read from a file (connectors and
//! their settings under one vocabulary whatever the file format), the product instances
//! found, the findings and the whole [`CheckReport`] that every renderer reads.

use crate::model::{Product, Severity};
use crate::warning::Warning;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The format of a web-server configuration file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConfigKind {
    /// Tomcat `server.xml` (`<Connector>` attributes).
    ServerXml,
    /// Bitbucket 5+ `shared/bitbucket.properties` (`server.*` properties).
    BitbucketProperties,
    /// Fisheye/Crucible `config.xml` (`<web-server>` with `<http>` and `<ssl>`).
    FisheyeConfig,
}

/// The settings the checks reason about, under one name whatever the file calls them.
pub mod key {
    pub const PORT: &str = "port";
    pub const PROTOCOL: &str = "protocol";
    pub const SCHEME: &str = "scheme";
    pub const SECURE: &str = "secure";
    pub const PROXY_NAME: &str = "proxyName";
    pub const PROXY_PORT: &str = "proxyPort";
    pub const SSL_ENABLED: &str = "SSLEnabled";
    pub const KEYSTORE: &str = "keystoreFile";
    pub const KEYSTORE_PASSWORD: &str = "keystorePass";
    pub const CONTEXT_PATH: &str = "contextPath";

    /// Settings whose loss after an upgrade breaks application links (checklist item 2).
    pub const LINK_CRITICAL: [&str; 8] = [
        PORT,
        SCHEME,
        SECURE,
        PROXY_NAME,
        PROXY_PORT,
        SSL_ENABLED,
        KEYSTORE,
        CONTEXT_PATH,
    ];
}

/// One setting: the name the file uses (`proxyName`, `server.proxy-name`, `proxy-host`), its
/// value and the line it is on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Setting {
    pub name: String,
    pub value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
}

/// A listening endpoint: a Tomcat `<Connector>`, Bitbucket's main or additional connector,
/// or Fisheye's `<http>` / `<ssl>` element. `settings` is keyed by the names in [`key`] for
/// the settings the checks know, and by the file's own name for the others.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Connector {
    /// How the report names it: `Connector port="8080"`, `server.*`, `<ssl>`.
    pub label: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    pub settings: BTreeMap<String, Setting>,
}

impl Connector {
    pub fn value(&self, key: &str) -> Option<&str> {
        self.settings.get(key).map(|s| s.value.trim())
    }

    pub fn setting(&self, key: &str) -> Option<&Setting> {
        self.settings.get(key)
    }

    /// `http` unless the connector says otherwise (Tomcat's default).
    pub fn scheme(&self) -> String {
        self.value(key::SCHEME)
            .filter(|s| !s.is_empty())
            .unwrap_or("http")
            .to_ascii_lowercase()
    }

    pub fn is_true(&self, key: &str) -> bool {
        self.value(key)
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    }

    pub fn port(&self) -> Option<u16> {
        self.value(key::PORT).and_then(|p| p.parse().ok())
    }

    pub fn proxy_port(&self) -> Option<u16> {
        self.value(key::PROXY_PORT).and_then(|p| p.parse().ok())
    }

    pub fn proxy_name(&self) -> Option<&str> {
        self.value(key::PROXY_NAME).filter(|s| !s.is_empty())
    }

    pub fn is_ajp(&self) -> bool {
        self.value(key::PROTOCOL)
            .is_some_and(|p| p.to_ascii_uppercase().starts_with("AJP"))
    }

    /// Terminates TLS itself (as opposed to being told the proxy in front does).
    pub fn terminates_tls(&self) -> bool {
        self.is_true(key::SSL_ENABLED)
    }

    /// Identity used to match a connector before and after an upgrade: its port, else label.
    pub fn identity(&self) -> String {
        match self.value(key::PORT) {
            Some(p) if !p.is_empty() => format!("port {p}"),
            _ => self.label.clone(),
        }
    }
}

/// The web-server configuration read from one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebConfig {
    pub kind: ConfigKind,
    pub file: String,
    pub connectors: Vec<Connector>,
    /// Fisheye's `site-url`, the product's own idea of its base URL, when the file has it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site_url: Option<Setting>,
}

/// One product installation (install dir, home dir or both, or a support zip) and what was
/// found for it.
#[derive(Debug, Clone, Serialize)]
pub struct Instance {
    pub product: Product,
    /// `stash` for Stash versions, else the product name.
    pub product_label: String,
    /// Where it was found: the directories or the support zip.
    pub roots: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_source: Option<String>,
    /// Every web-server configuration file found, effective or not.
    pub files_found: Vec<String>,
    /// The file the product reads, per the Application Links Troubleshooting Guide's table.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effective_file: Option<String>,
    /// Why that file is the effective one.
    pub effective_reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_url_source: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timezone_source: Option<String>,
    /// The effective configuration, parsed (absent when not found or unreadable).
    #[serde(skip)]
    pub config: Option<WebConfig>,
}

/// One configuration problem, located to the file, line and attribute, with the fix.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct CheckFinding {
    pub severity: Severity,
    /// Stable kebab-case id: `scheme-secure-mismatch`, `baseline-lost`, ... Named `rule` in
    /// JSON, as in `scan`'s findings.
    #[serde(rename = "rule", alias = "id")]
    pub id: String,
    pub product: Product,
    pub title: String,
    pub file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attribute: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    pub explanation: String,
    /// What to do, citing the Application Links Troubleshooting Guide checklist item.
    pub fix: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct CheckSummary {
    pub instances: usize,
    pub files: usize,
    pub findings: usize,
    pub warnings: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub highest_severity: Option<Severity>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<String>,
    /// Set when no configuration file at all was read: why, and what was looked at. Such a
    /// run is not "all clear" (`check` exits 2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nothing_checked: Option<String>,
}

/// Everything `linkdoctor check` prints.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CheckReport {
    pub summary: CheckSummary,
    pub instances: Vec<Instance>,
    pub findings: Vec<CheckFinding>,
    pub warnings: Vec<Warning>,
}
