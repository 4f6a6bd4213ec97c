//! The connector checks on one product's effective web-server configuration: scheme versus
//! `secure`, `proxyName` without `proxyPort`, a proxy port that contradicts the scheme,
//! the base URL against the connector it reaches (scheme, host, port, context path), several
//! connectors where the proxied one is not the one the base URL reaches, and HTTPS
//! connectors with a missing or unreadable keystore. Each finding names the file, line and
//! attribute, the value found, the value expected and the fix, citing the Application Links Troubleshooting Guide's checklist.

use super::model::{CheckFinding, ConfigKind, Connector, WebConfig, key};
use super::webconfig::{bitbucket_property_for, fisheye_attribute_for};
use crate::model::{Product, Severity};
use std::path::{Path, PathBuf};

/// The name a file format gives a canonical setting.
pub fn attribute_name(kind: ConfigKind, canonical: &str) -> String {
    let named = match kind {
        ConfigKind::ServerXml => None,
        ConfigKind::BitbucketProperties => bitbucket_property_for(canonical),
        ConfigKind::FisheyeConfig => fisheye_attribute_for(canonical),
    };
    named.unwrap_or(canonical).to_string()
}

/// How to write `name=value` in the file format.
pub fn assignment(kind: ConfigKind, name: &str, value: &str) -> String {
    match kind {
        ConfigKind::BitbucketProperties => format!("{name}={value}"),
        _ => format!("{name}=\"{value}\""),
    }
}

/// A parsed base URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl {
    pub scheme: String,
    pub host: String,
    pub port: u16,
    pub path: String,
}

impl BaseUrl {
    /// Parses `scheme://host[:port][/path]`; only http and https.
    pub fn parse(url: &str) -> Result<BaseUrl, String> {
        let url = url.trim();
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| format!("base URL `{url}` has no scheme (http:// or https://)"))?;
        let scheme = scheme.to_ascii_lowercase();
        let default_port = match scheme.as_str() {
            "http" => 80,
            "https" => 443,
            _ => return Err(format!("base URL `{url}`: scheme must be http or https")),
        };
        let (authority, path) = match rest.find(['/', '?', '#']) {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        let authority = authority.rsplit('@').next().unwrap_or(authority);
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (h, after) = v6
                .split_once(']')
                .ok_or_else(|| format!("base URL `{url}`: unclosed IPv6 address"))?;
            (format!("[{h}]"), after.strip_prefix(':'))
        } else {
            match authority.split_once(':') {
                Some((h, p)) => (h.to_string(), Some(p)),
                None => (authority.to_string(), None),
            }
        };
        if host.is_empty() {
            return Err(format!("base URL `{url}` has no host"));
        }
        let port = match port {
            Some(p) if !p.is_empty() => p
                .parse()
                .map_err(|_| format!("base URL `{url}`: bad port `{p}`"))?,
            _ => default_port,
        };
        let path = path.split(['?', '#']).next().unwrap_or("");
        Ok(BaseUrl {
            scheme,
            host: host.to_ascii_lowercase(),
            port,
            path: path.trim_end_matches('/').to_string(),
        })
    }
}

/// What the checks know about the instance besides its configuration file.
pub struct Context<'a> {
    pub product: Product,
    pub config: &'a WebConfig,
    pub base_url: Option<(&'a BaseUrl, &'a str)>,
    /// Directories a relative keystore path may be relative to; empty for a support zip
    /// (whose keystores cannot be checked).
    pub keystore_roots: Vec<PathBuf>,
}

impl Context<'_> {
    fn name(&self, canonical: &str) -> String {
        attribute_name(self.config.kind, canonical)
    }

    #[allow(clippy::too_many_arguments)]
    fn finding(
        &self,
        severity: Severity,
        id: &str,
        title: String,
        line: Option<u64>,
        attribute: Option<String>,
        current: Option<String>,
        expected: Option<String>,
        explanation: String,
        fix: String,
    ) -> CheckFinding {
        CheckFinding {
            severity,
            id: id.into(),
            product: self.product,
            title,
            file: self.config.file.clone(),
            line,
            attribute,
            current,
            expected,
            explanation,
            fix,
        }
    }
}

fn value_or_unset(c: &Connector, k: &str) -> String {
    c.value(k)
        .map(str::to_string)
        .unwrap_or_else(|| "(not set)".into())
}

fn line_of(c: &Connector, k: &str) -> Option<u64> {
    c.setting(k).and_then(|s| s.line).or(c.line)
}

/// All findings for one configuration.
pub fn analyze(ctx: &Context) -> Vec<CheckFinding> {
    let mut out = Vec::new();
    for c in &ctx.config.connectors {
        scheme_and_secure(ctx, c, &mut out);
        proxy_settings(ctx, c, &mut out);
        keystore(ctx, c, &mut out);
    }
    if let Some((base, source)) = ctx.base_url {
        base_url(ctx, base, source, &mut out);
    }
    merge_same_fix(out)
}

/// One finding per attribute and expected value: when several checks ask for the same
/// change (scheme https because secure is true, because proxy port is 443, because the base
/// URL is https), the first, most specific one is kept and names the others.
fn merge_same_fix(findings: Vec<CheckFinding>) -> Vec<CheckFinding> {
    let mut out: Vec<CheckFinding> = Vec::new();
    for f in findings {
        let same = out.iter_mut().find(|o| {
            o.attribute.is_some()
                && o.file == f.file
                && o.line == f.line
                && o.attribute == f.attribute
                && o.expected == f.expected
        });
        match same {
            Some(o) => {
                o.severity = o.severity.max(f.severity);
                o.explanation
                    .push_str(&format!(" Also found by {}: {}", f.id, f.explanation));
            }
            None => out.push(f),
        }
    }
    out
}

fn scheme_and_secure(ctx: &Context, c: &Connector, out: &mut Vec<CheckFinding>) {
    if ctx.config.kind == ConfigKind::FisheyeConfig {
        return; // Fisheye has no separate `secure` switch.
    }
    let https = c.scheme() == "https";
    let secure = c.is_true(key::SECURE);
    if https && !secure {
        let attr = ctx.name(key::SECURE);
        out.push(ctx.finding(
            Severity::Error,
            "scheme-secure-mismatch",
            format!("{}: scheme is https but secure is not true", c.label),
            line_of(c, key::SECURE),
            Some(attr.clone()),
            Some(value_or_unset(c, key::SECURE)),
            Some("true".into()),
            "The product builds https URLs but treats requests as insecure: OAuth signatures are computed over the wrong URL and secure cookies are not set, so links fail with signature_invalid or login loops.".into(),
            format!("Set {} on {} in {} (checklist item 2; item 11 for HTTPS).", assignment(ctx.config.kind, &attr, "true"), c.label, ctx.config.file),
        ));
    } else if secure && !https {
        let attr = ctx.name(key::SCHEME);
        out.push(ctx.finding(
            Severity::Error,
            "scheme-secure-mismatch",
            format!("{}: secure is true but scheme is {}", c.label, c.scheme()),
            line_of(c, key::SCHEME),
            Some(attr.clone()),
            Some(value_or_unset(c, key::SCHEME)),
            Some("https".into()),
            "The connector claims requests are secure while building http URLs: the URLs the product hands to linked applications do not match the ones they call.".into(),
            format!("Set {} (or secure to false if the site is plain http) on {} in {} (checklist item 2).", assignment(ctx.config.kind, &attr, "https"), c.label, ctx.config.file),
        ));
    }
    if c.terminates_tls() && !https {
        let attr = ctx.name(key::SCHEME);
        out.push(ctx.finding(
            Severity::Error,
            "tls-connector-not-https",
            format!("{}: TLS is enabled but scheme is {}", c.label, c.scheme()),
            line_of(c, key::SCHEME),
            Some(attr.clone()),
            Some(value_or_unset(c, key::SCHEME)),
            Some("https".into()),
            "The connector serves HTTPS but tells the product requests are plain http, so the URLs it generates (and OAuth signs) start with http://.".into(),
            format!("Set {} and {} on {} in {} (checklist items 2 and 11).", assignment(ctx.config.kind, &attr, "https"), assignment(ctx.config.kind, &ctx.name(key::SECURE), "true"), c.label, ctx.config.file),
        ));
    }
}

fn proxy_settings(ctx: &Context, c: &Connector, out: &mut Vec<CheckFinding>) {
    if c.is_ajp() {
        return; // AJP carries the proxy's host and port itself.
    }
    let scheme = c.scheme();
    if c.proxy_name().is_some() && c.value(key::PROXY_PORT).is_none() {
        let attr = ctx.name(key::PROXY_PORT);
        let expected = ctx
            .base_url
            .map(|(b, _)| b.port)
            .unwrap_or(if scheme == "https" { 443 } else { 80 })
            .to_string();
        out.push(ctx.finding(
            Severity::Error,
            "proxy-name-without-port",
            format!("{}: proxyName is set but proxyPort is not", c.label),
            line_of(c, key::PROXY_NAME),
            Some(attr.clone()),
            Some("(not set)".into()),
            Some(expected.clone()),
            format!("Without a proxy port the product puts its own port ({}) into the URLs it generates, behind a proxy that listens on another one.", value_or_unset(c, key::PORT)),
            format!("Add {} next to {} in {} (checklist items 2 and 6).", assignment(ctx.config.kind, &attr, &expected), ctx.name(key::PROXY_NAME), ctx.config.file),
        ));
    }
    if let Some(pp) = c.proxy_port() {
        let contradiction = match (pp, scheme.as_str()) {
            (443, "http") => Some("https"),
            (80, "https") => Some("http"),
            _ => None,
        };
        if let Some(expected) = contradiction {
            let attr = ctx.name(key::SCHEME);
            out.push(ctx.finding(
                Severity::Error,
                "proxy-port-scheme-mismatch",
                format!("{}: proxy port {pp} does not match scheme {scheme}", c.label),
                line_of(c, key::SCHEME),
                Some(attr.clone()),
                Some(value_or_unset(c, key::SCHEME)),
                Some(expected.into()),
                format!("Port {pp} is the {expected} port, but the connector builds {scheme} URLs: linked applications are sent to {scheme}://...:{pp}, which the proxy does not serve."),
                format!("Set {} (and secure to match) on {} in {}, or correct {} (checklist items 2 and 6).", assignment(ctx.config.kind, &attr, expected), c.label, ctx.config.file, ctx.name(key::PROXY_PORT)),
            ));
        }
    }
}

fn keystore(ctx: &Context, c: &Connector, out: &mut Vec<CheckFinding>) {
    if !c.terminates_tls() {
        return;
    }
    let attr = ctx.name(key::KEYSTORE);
    let Some(path) = c.value(key::KEYSTORE).filter(|p| !p.is_empty()) else {
        let (severity, what) = match ctx.config.kind {
            ConfigKind::ServerXml => (
                Severity::Warning,
                "Tomcat falls back to .keystore in the home directory of the user running the product, which an upgrade or a new service account does not carry over.",
            ),
            _ => (
                Severity::Error,
                "An HTTPS listener without a keystore cannot start, or starts without the certificate linked applications trust.",
            ),
        };
        out.push(ctx.finding(
            severity,
            "keystore-missing",
            format!("{}: HTTPS connector without a keystore", c.label),
            c.line,
            Some(attr.clone()),
            Some("(not set)".into()),
            Some("path to the keystore holding the server certificate".into()),
            what.into(),
            format!(
                "Set {} on {} in {} to the keystore path (checklist items 2 and 11).",
                attr, c.label, ctx.config.file
            ),
        ));
        return;
    };
    if ctx.keystore_roots.is_empty() || path.contains("${") {
        return; // Support zip, or a path made of variables: cannot be checked offline.
    }
    let candidates: Vec<PathBuf> = if Path::new(path).is_absolute() {
        vec![PathBuf::from(path)]
    } else {
        ctx.keystore_roots.iter().map(|r| r.join(path)).collect()
    };
    // A regular, non-empty file that opens; the type is looked at first, so a FIFO in its
    // place is never opened (opening one blocks).
    let readable = candidates.iter().any(|p| {
        std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.len() > 0)
            && std::fs::File::open(p).is_ok()
    });
    if !readable {
        let tried: Vec<String> = candidates.iter().map(|p| p.display().to_string()).collect();
        out.push(ctx.finding(
            Severity::Error,
            "keystore-unreadable",
            format!("{}: keystore {path} is missing or unreadable", c.label),
            line_of(c, key::KEYSTORE),
            Some(attr.clone()),
            Some(path.to_string()),
            Some("a readable, non-empty keystore file".into()),
            format!("The HTTPS connector cannot load its certificate (looked at: {}). Upgrades that install into a new directory leave keystores kept under the old one behind.", tried.join(", ")),
            format!("Copy the keystore back or point {} in {} at it; keep keystores outside the install directory (checklist items 2 and 11).", attr, ctx.config.file),
        ));
    }
}

fn eq_host(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

fn normalized_path(p: &str) -> String {
    let t = p.trim().trim_end_matches('/');
    if t.is_empty() || t.starts_with('/') {
        t.to_string()
    } else {
        format!("/{t}")
    }
}

fn base_url(ctx: &Context, base: &BaseUrl, source: &str, out: &mut Vec<CheckFinding>) {
    let conns: Vec<&Connector> = ctx
        .config
        .connectors
        .iter()
        .filter(|c| !c.is_ajp())
        .collect();
    let Some(first) = conns.first() else {
        return;
    };
    let url = format!("{}://{}:{}{}", base.scheme, base.host, base.port, base.path);
    let mismatch = |c: &Connector, k: &str, current: String, expected: String, why: String| {
        let attr = ctx.name(k);
        ctx.finding(
            Severity::Error,
            "base-url-mismatch",
            format!("{}: {} disagrees with the base URL {url}", c.label, attr),
            line_of(c, k),
            Some(attr.clone()),
            Some(current),
            Some(expected.clone()),
            format!("{why} (base URL from {source})."),
            format!("Set {} on {} in {}, or correct the base URL if it is the one that is wrong; then recreate the application links (checklist items 2, 6 and 13).", assignment(ctx.config.kind, &attr, &expected), c.label, ctx.config.file),
        )
    };
    let proxied: Vec<&&Connector> = conns.iter().filter(|c| c.proxy_name().is_some()).collect();
    if let Some(c) = proxied
        .iter()
        .find(|c| c.proxy_name().is_some_and(|n| eq_host(n, &base.host)))
    {
        if c.scheme() != base.scheme {
            out.push(mismatch(
                c,
                key::SCHEME,
                value_or_unset(c, key::SCHEME),
                base.scheme.clone(),
                format!(
                    "The base URL is {} but the connector builds {} URLs",
                    base.scheme,
                    c.scheme()
                ),
            ));
        }
        let public_port = c.proxy_port().or(c.port());
        if public_port != Some(base.port) {
            out.push(mismatch(
                c,
                key::PROXY_PORT,
                value_or_unset(c, key::PROXY_PORT),
                base.port.to_string(),
                format!(
                    "The base URL uses port {} but the connector advertises port {}",
                    base.port,
                    public_port.map_or("?".into(), |p| p.to_string())
                ),
            ));
        }
        context_path(ctx, c, base, source, out);
        return;
    }
    let direct = conns.iter().find(|c| {
        c.proxy_name().is_none() && c.port() == Some(base.port) && c.scheme() == base.scheme
    });
    if let Some(d) = direct {
        if let Some(p) = proxied.first() {
            let attr = ctx.name(key::PROXY_NAME);
            out.push(ctx.finding(
                Severity::Warning,
                "proxied-connector-not-reached",
                format!("Base URL {url} reaches {} directly, not the proxied {}", d.label, p.label),
                line_of(p, key::PROXY_NAME),
                Some(attr),
                Some(value_or_unset(p, key::PROXY_NAME)),
                Some(base.host.clone()),
                format!("There are several connectors; the reverse-proxy settings are on {} (proxy name {}), but the base URL from {source} names host {} and port {}, which only {} serves. Links built from the base URL bypass the proxy.", p.label, value_or_unset(p, key::PROXY_NAME), base.host, base.port, d.label),
                format!("Make the base URL the proxy's public URL, or move the proxy settings to the connector the proxy forwards to, in {} (checklist item 6).", ctx.config.file),
            ));
        }
        context_path(ctx, d, base, source, out);
        return;
    }
    if let Some(p) = proxied.first() {
        out.push(mismatch(
            p,
            key::PROXY_NAME,
            value_or_unset(p, key::PROXY_NAME),
            base.host.clone(),
            format!(
                "The base URL names host {} but the connector's proxy name is {}",
                base.host,
                value_or_unset(p, key::PROXY_NAME)
            ),
        ));
        return;
    }
    let attr = ctx.name(key::PROXY_NAME);
    let mut settings = vec![
        assignment(ctx.config.kind, &attr, &base.host),
        assignment(
            ctx.config.kind,
            &ctx.name(key::PROXY_PORT),
            &base.port.to_string(),
        ),
        assignment(ctx.config.kind, &ctx.name(key::SCHEME), &base.scheme),
    ];
    if base.scheme == "https" && ctx.config.kind != ConfigKind::FisheyeConfig {
        settings.push(assignment(ctx.config.kind, &ctx.name(key::SECURE), "true"));
    }
    let ports: Vec<String> = conns
        .iter()
        .map(|c| format!("{} {}", c.scheme(), value_or_unset(c, key::PORT)))
        .collect();
    out.push(ctx.finding(
        Severity::Error,
        "base-url-no-connector",
        format!("No connector serves the base URL {url}"),
        first.line,
        Some(attr.clone()),
        Some("(not set)".into()),
        Some(base.host.clone()),
        format!("The base URL (from {source}) uses {} on port {}, but the connectors are {} and none has reverse-proxy settings: the proxy customisation is missing, as happens when an upgrade overwrites it.", base.scheme, base.port, ports.join(", ")),
        format!("On {} in {} set {}, as before the upgrade (checklist item 2).",
            first.label, ctx.config.file, settings.join(" ")),
    ));
}

fn context_path(
    ctx: &Context,
    c: &Connector,
    base: &BaseUrl,
    source: &str,
    out: &mut Vec<CheckFinding>,
) {
    let Some(current) = c.value(key::CONTEXT_PATH) else {
        return; // Not stated in this file: nothing to compare.
    };
    if normalized_path(current) != normalized_path(&base.path) {
        let attr = ctx.name(key::CONTEXT_PATH);
        let expected = normalized_path(&base.path);
        out.push(ctx.finding(
            Severity::Error,
            "base-url-mismatch",
            format!("{}: context path {current:?} disagrees with the base URL path {:?}", c.label, base.path),
            line_of(c, key::CONTEXT_PATH),
            Some(attr.clone()),
            Some(current.to_string()),
            Some(expected.clone()),
            format!("Requests to the base URL (from {source}) land outside the application's context path."),
            format!("Set {} in {} or correct the base URL (checklist items 2 and 6).", assignment(ctx.config.kind, &attr, &expected), ctx.config.file),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::webconfig::{read_bitbucket_properties, read_server_xml};

    fn ids(xml: &str, base: Option<&str>) -> Vec<String> {
        let cfg = read_server_xml("server.xml", xml).unwrap();
        let parsed = base.map(|b| BaseUrl::parse(b).unwrap());
        let ctx = Context {
            product: Product::Jira,
            config: &cfg,
            base_url: parsed.as_ref().map(|b| (b, "--base-url")),
            keystore_roots: vec![],
        };
        analyze(&ctx).into_iter().map(|f| f.id).collect()
    }

    #[test]
    fn base_url_parsing() {
        let b = BaseUrl::parse("HTTPS://Jira.Example.com/jira/").unwrap();
        assert_eq!(
            (b.scheme.as_str(), b.host.as_str(), b.port, b.path.as_str()),
            ("https", "jira.example.com", 443, "/jira")
        );
        assert_eq!(BaseUrl::parse("http://h:8080").unwrap().port, 8080);
        assert_eq!(BaseUrl::parse("http://[::1]:81/x").unwrap().host, "[::1]");
        assert!(BaseUrl::parse("jira.example.com").is_err());
        assert!(BaseUrl::parse("ftp://x").is_err());
        assert!(BaseUrl::parse("http://h:99999").is_err());
    }

    #[test]
    fn connector_rules() {
        let s = |attrs: &str| {
            format!("<Server><Service><Connector port=\"8080\" {attrs}/></Service></Server>")
        };
        assert_eq!(
            ids(
                &s("scheme=\"https\" proxyName=\"j\" proxyPort=\"443\""),
                None
            ),
            ["scheme-secure-mismatch"]
        );
        assert_eq!(ids(&s("secure=\"true\""), None), ["scheme-secure-mismatch"]);
        assert_eq!(
            ids(&s("proxyName=\"j\""), None),
            ["proxy-name-without-port"]
        );
        assert_eq!(
            ids(&s("proxyName=\"j\" proxyPort=\"443\""), None),
            ["proxy-port-scheme-mismatch"]
        );
        assert!(
            ids(
                &s("proxyName=\"j\" proxyPort=\"443\" scheme=\"https\" secure=\"true\""),
                Some("https://j")
            )
            .is_empty()
        );
        assert_eq!(ids(&s(""), Some("https://j")), ["base-url-no-connector"]);
        assert!(ids(&s(""), Some("http://j:8080")).is_empty());
        assert_eq!(
            ids(
                &s("proxyName=\"old\" proxyPort=\"443\" scheme=\"https\" secure=\"true\""),
                Some("https://new")
            ),
            ["base-url-mismatch"]
        );
        assert_eq!(
            ids(
                &s("proxyName=\"j\" proxyPort=\"8443\" scheme=\"https\" secure=\"true\""),
                Some("https://j")
            ),
            ["base-url-mismatch"]
        );
    }

    #[test]
    fn several_connectors_and_keystores() {
        let xml = "<Server><Service><Connector port=\"8080\"/><Connector port=\"8081\" proxyName=\"j\" proxyPort=\"443\" scheme=\"https\" secure=\"true\"/><Connector port=\"8443\" SSLEnabled=\"true\" scheme=\"https\" secure=\"true\"/></Service></Server>";
        assert_eq!(
            ids(xml, Some("http://jira-internal:8080")),
            ["keystore-missing", "proxied-connector-not-reached"]
        );
        // Host j is the proxied connector's: its scheme and port are what disagree.
        assert_eq!(
            ids(xml, Some("http://j:8080")),
            ["keystore-missing", "base-url-mismatch", "base-url-mismatch"]
        );
        // Three checks asking for scheme="https" are one finding.
        let tls = "<Server><Service><Connector port=\"8443\" SSLEnabled=\"true\" keystoreFile=\"/k\"/></Service></Server>";
        assert_eq!(ids(tls, None), ["tls-connector-not-https"]);
        let one = "<Server><Service><Connector port=\"8080\" proxyName=\"j\" proxyPort=\"443\" secure=\"true\"/></Service></Server>";
        assert_eq!(ids(one, Some("https://j")), ["scheme-secure-mismatch"]);
        let (cfg, _) = read_bitbucket_properties(
            "bitbucket.properties",
            "server.ssl.enabled=true\nserver.ssl.key-store=missing.jks\nserver.scheme=https\nserver.secure=true\n",
        );
        let ctx = Context {
            product: Product::Bitbucket,
            config: &cfg,
            base_url: None,
            keystore_roots: vec![std::env::temp_dir()],
        };
        let f = analyze(&ctx);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].id, "keystore-unreadable");
        assert_eq!(f[0].attribute.as_deref(), Some("server.ssl.key-store"));
        assert_eq!(f[0].line, Some(2));
    }
}
