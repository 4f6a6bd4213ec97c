//! Which node (server) an input comes from. Three sources, most trusted first:
//! - what a support zip records: `application-properties/application.xml` (any
//!   `application.xml` in the zip) and Jira Data Center's `cluster.properties`. The layout of
//!   application.xml is not documented, so the reader is tolerant: it takes the first element
//!   whose name says node id (`node-id`, `nodeId`, `jira.node.id`, `cluster-node-name`...),
//!   else host name, and also reads `-Djira.node.id=`, `-Dconfluence.cluster.node.name=` and
//!   `-Duser.timezone=` out of JVM argument text. The same reader gives `check` the product
//!   version and base URL (`<Version>`, `<Base-URL>`, `<jira.baseurl>`...), and
//!   [`jvm_time_zone`] is the one `-Duser.timezone=` parser (scan and check, application.xml
//!   and start scripts);
//! - a fleet share laid out as `<root>/<host>/...` when the user passes the root;
//! - the name of the support zip (`<product>_support_<date>_<node>.zip`, else its stem).
//!
//! A host folder may carry a product word (`jira01.example.com`, `jira-dc-node1`): a folder
//! is taken for a layout folder only when every word of its name is a layout or product
//! word (`jira`, `jira-home`, `atlassian-jira-software-9.4.0-standalone`). Where that
//! guess is not enough the user says where the hosts are ([`NodeFrom`]), which wins over
//! every other source.

use super::attribute::product_from_word;
use super::{Found, Location};
use crate::model::Product;
use crate::warning::Warning;
use regex::Regex;
use std::path::{Path, PathBuf};

/// Where the user says nodes come from.
#[derive(Debug, Clone, Default)]
pub enum NodeFrom {
    /// Support zips, fleet folders and zip names, as described above.
    #[default]
    Detect,
    /// `--node-from PATTERN`: a regex over the input's path (as reported); the group named
    /// `node`, else the first group, else the whole match, is the node.
    Pattern(Regex),
    /// `--fleet-root DIR`: the first folder under DIR is the host, whatever its name.
    FleetRoot(PathBuf),
}

impl NodeFrom {
    /// `--node-from PATTERN`, checked: it must compile and its node group must exist.
    pub fn pattern(text: &str) -> Result<NodeFrom, String> {
        let re = regex::RegexBuilder::new(text)
            .size_limit(1 << 20)
            .build()
            .map_err(|e| format!("--node-from: not a valid pattern: {e}"))?;
        Ok(NodeFrom::Pattern(re))
    }
}

/// The node `pattern` finds in `path`.
fn node_by_pattern(re: &Regex, path: &str) -> Option<String> {
    let caps = re.captures(path)?;
    let m = caps
        .name("node")
        .or_else(|| caps.get(1))
        .or_else(|| caps.get(0))?;
    clean_value(m.as_str())
}

/// The host folder under `root` of `path`: its first folder, when `path` is at least one
/// folder down.
fn node_under_root(root: &Path, path: &Path) -> Option<String> {
    // As given, else both resolved (`--fleet-root ./fleet` with `/abs/fleet/...` inputs).
    let rel: PathBuf = match path.strip_prefix(root) {
        Ok(rel) => rel.to_path_buf(),
        Err(_) => {
            let (r, p) = (root.canonicalize().ok()?, path.canonicalize().ok()?);
            p.strip_prefix(&r).ok()?.to_path_buf()
        }
    };
    let mut parts = rel.components();
    match (parts.next(), parts.next()) {
        (Some(top), Some(_)) => clean_value(&top.as_os_str().to_string_lossy()),
        _ => None,
    }
}

/// Applies `--node-from` / `--fleet-root` to every input they place. A root that places
/// no input is a warning (a mistyped root would otherwise go unnoticed).
pub fn assign_user_nodes(inputs: &mut [Found], nodes: &NodeFrom) -> Result<(), Warning> {
    let mut placed = 0usize;
    for f in inputs.iter_mut() {
        let node = match nodes {
            NodeFrom::Detect => return Ok(()),
            NodeFrom::Pattern(re) => node_by_pattern(re, &f.input.display),
            NodeFrom::FleetRoot(root) => match &f.input.location {
                Location::File(p) => node_under_root(root, p),
                Location::Member(m) => node_under_root(root, &m.archive),
                Location::Stdin => None,
            },
        };
        if node.is_some() {
            placed += 1;
            f.input.node = node;
        }
    }
    match nodes {
        NodeFrom::Pattern(re) if placed == 0 && !inputs.is_empty() => Err(Warning::new(
            "--node-from",
            format!(
                "`{}` matches no input's path: no node taken from it",
                re.as_str()
            ),
        )),
        NodeFrom::FleetRoot(root) if placed == 0 && !inputs.is_empty() => Err(Warning::new(
            "--fleet-root",
            format!(
                "no input lies in a folder under {}: no node taken from it",
                root.display()
            ),
        )),
        _ => Ok(()),
    }
}

/// What a support zip's properties say about the node.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct NodeInfo {
    pub node: Option<String>,
    pub product: Option<Product>,
    /// IANA time-zone name of the JVM (`-Duser.timezone`), when valid.
    pub time_zone: Option<String>,
    /// The product version application.xml records (`<Version>`).
    pub version: Option<String>,
    /// The base URL application.xml records (any element whose name ends in `baseurl`).
    pub base_url: Option<String>,
}

impl NodeInfo {
    /// Fills what `self` lacks from `other`.
    pub fn merge(&mut self, other: NodeInfo) {
        self.node = self.node.take().or(other.node);
        self.product = self.product.or(other.product);
        self.time_zone = self.time_zone.take().or(other.time_zone);
        self.version = self.version.take().or(other.version);
        self.base_url = self.base_url.take().or(other.base_url);
    }
}

/// Element or property names that carry a node id, normalised (lower case, no `-_.`).
const NODE_ID_KEYS: [&str; 8] = [
    "nodeid",
    "jiranodeid",
    "clusternodeid",
    "clusternodename",
    "confluenceclusternodename",
    "bitbucketnodeid",
    "nodename",
    "localnodeid",
];
/// ...and those that carry a host name, used when no node id is given.
const HOST_KEYS: [&str; 4] = ["hostname", "servername", "localhostname", "host"];
const ZONE_KEYS: [&str; 4] = ["usertimezone", "timezone", "servertimezone", "jvmtimezone"];
const PRODUCT_KEYS: [&str; 5] = [
    "productname",
    "applicationname",
    "product",
    "application",
    "appname",
];

/// A key or element name reduced to lower-case ASCII letters and digits (`Base-URL`,
/// `jira.baseurl` and `base_url` all end in `baseurl`).
fn normalise_key(k: &str) -> String {
    k.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// An element's trimmed text, when it has any.
fn text_value(v: &str) -> Option<String> {
    let v = v.trim();
    (!v.is_empty()).then(|| v.to_string())
}

/// A plausible node id or host name: short, one token, printable.
fn clean_value(v: &str) -> Option<String> {
    let v = v.trim().trim_matches('"');
    let ok = !v.is_empty()
        && v.len() <= 128
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'));
    ok.then(|| v.to_string())
}

fn valid_zone(v: &str) -> Option<String> {
    let v = v.trim();
    jiff::tz::TimeZone::get(v).ok().map(|_| v.to_string())
}

/// A `-Dkey=value` found in text, and the byte offset of its `-D`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemProperty {
    pub value: String,
    pub offset: usize,
}

/// The first `-Dkey=value` in JVM argument text (application.xml's JVM arguments, a
/// `setenv.sh` line). The value ends at white space, a quote, `<`, `>`, `,`, `;` or `$`, so
/// `JVM_SUPPORT_RECOMMENDED_ARGS="-Duser.timezone=UTC"` gives `UTC`. An empty value is none.
pub fn system_property(text: &str, key: &str) -> Option<SystemProperty> {
    let pat = format!("-D{key}=");
    let offset = text.find(&pat)?;
    let rest = &text[offset + pat.len()..];
    let end = rest
        .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>' | ',' | ';' | '$'))
        .unwrap_or(rest.len());
    (end > 0).then(|| SystemProperty {
        value: rest[..end].to_string(),
        offset,
    })
}

/// The JVM's `-Duser.timezone=` in `text`, as written (not checked against the zone
/// database: `check` reports a misspelt zone too).
pub fn jvm_time_zone(text: &str) -> Option<SystemProperty> {
    system_property(text, "user.timezone")
}

fn from_jvm_text(text: &str) -> NodeInfo {
    let node = [
        "jira.node.id",
        "confluence.cluster.node.name",
        "cluster.node.name",
    ]
    .iter()
    .find_map(|k| system_property(text, k).and_then(|p| clean_value(&p.value)));
    let time_zone = jvm_time_zone(text).and_then(|p| valid_zone(&p.value));
    NodeInfo {
        node,
        time_zone,
        ..NodeInfo::default()
    }
}

/// Reads a support zip's `application.xml`: node, product, JVM time zone, version and base
/// URL. Malformed XML yields what the JVM argument text gives, never an error.
pub fn from_application_xml(text: &str) -> NodeInfo {
    let mut info = NodeInfo::default();
    let opts = roxmltree::ParsingOptions {
        allow_dtd: false,
        nodes_limit: 200_000,
        entity_resolver: None,
    };
    if let Ok(doc) = roxmltree::Document::parse_with_options(text, opts) {
        let mut host = None;
        for el in doc.descendants().filter(|n| n.is_element()) {
            let key = normalise_key(el.tag_name().name());
            let value = el.text().unwrap_or("");
            if info.node.is_none() && NODE_ID_KEYS.contains(&key.as_str()) {
                info.node = clean_value(value);
            } else if host.is_none() && HOST_KEYS.contains(&key.as_str()) {
                host = clean_value(value);
            } else if info.time_zone.is_none() && ZONE_KEYS.contains(&key.as_str()) {
                info.time_zone = valid_zone(value);
            } else if info.product.is_none() && PRODUCT_KEYS.contains(&key.as_str()) {
                info.product = product_from_word(value);
            } else if info.version.is_none() && key == "version" {
                info.version = text_value(value);
            } else if info.base_url.is_none() && key.ends_with("baseurl") {
                info.base_url = text_value(value);
            }
        }
        if info.product.is_none() {
            info.product = product_from_word(doc.root_element().tag_name().name());
        }
        info.node = info.node.or(host);
    }
    info.merge(from_jvm_text(text));
    info
}

/// Reads `key=value` properties (`cluster.properties`: `jira.node.id = node1`).
pub fn from_properties(text: &str) -> NodeInfo {
    let mut info = NodeInfo::default();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') || line.starts_with('!') {
            continue;
        }
        let Some((k, v)) = line.split_once(['=', ':']) else {
            continue;
        };
        let key = normalise_key(k);
        if info.node.is_none() && NODE_ID_KEYS.contains(&key.as_str()) {
            info.node = clean_value(v);
            if key.starts_with("jira") {
                info.product = Some(Product::Jira);
            }
        }
    }
    info
}

/// The node part of a support zip's name: `Jira_support_2024-01-05-10-22-33_node2` gives
/// `node2`. `None` when the name has no part after the date.
pub fn from_zip_name(stem: &str) -> Option<String> {
    let lower = stem.to_ascii_lowercase();
    let at = lower.find("_support_")? + "_support_".len();
    let rest = &stem[at..];
    // The date is digits and dashes; the node follows the next underscore.
    let after_date = rest.trim_start_matches(|c: char| c.is_ascii_digit() || c == '-');
    let node = after_date.strip_prefix('_')?;
    clean_value(node)
}

/// Words of install and home folder names besides product names
/// (`atlassian-jira-software-9.4.0-standalone`, `confluence-home`, `jira_data`).
const LAYOUT_TOKENS: [&str; 22] = [
    "atlassian",
    "software",
    "standalone",
    "service",
    "servicedesk",
    "management",
    "core",
    "server",
    "datacenter",
    "dc",
    "home",
    "install",
    "installation",
    "data",
    "app",
    "application",
    "log",
    "logs",
    "shared",
    "current",
    "latest",
    "tomcat",
];

/// Folder names that belong to install or home layouts, never host names. A name with a
/// product word is a layout folder only when all its words (letters between digits and
/// separators) are product or layout words: `jira-home` is, `jira01.example.com` and
/// `jira-dc-node1` are hosts.
fn is_layout_word(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    if product_from_word(&n).is_some() {
        return n
            .split(|c: char| !c.is_ascii_alphabetic())
            .filter(|w| !w.is_empty())
            .all(|w| {
                LAYOUT_TOKENS.contains(&w)
                    || Product::parse(w).is_some()
                    || matches!(w, "fecru" | "apache")
            });
    }
    const LAYOUT: [&str; 14] = [
        "log",
        "logs",
        "var",
        "conf",
        "apache-tomcat",
        "application-logs",
        "tomcat-logs",
        "application-data",
        "atlassian",
        "shared",
        "home",
        "install",
        "data",
        "opt",
    ];
    LAYOUT.contains(&n.as_str())
}

/// Host names of a fleet share: given, for each input found under `root`, its path relative
/// to `root`, returns the host (first folder) of each, when the root is laid out as
/// `<root>/<host>/...`: every input lies in a sub-folder, there are at least two of them,
/// and none is named like a layout folder (`logs`, `jira`, ...).
pub fn fleet_hosts(relative_paths: &[Vec<String>]) -> Option<Vec<String>> {
    let mut hosts = Vec::with_capacity(relative_paths.len());
    for parts in relative_paths {
        if parts.len() < 2 {
            return None;
        }
        hosts.push(parts[0].clone());
    }
    let mut distinct: Vec<&String> = hosts.iter().collect();
    distinct.sort();
    distinct.dedup();
    if distinct.len() < 2 || distinct.iter().any(|h| is_layout_word(h)) {
        return None;
    }
    Some(hosts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn application_xml_node_and_zone() {
        let xml = r#"<?xml version="1.0"?>
<jira-application-properties>
  <product-name>JIRA Software</product-name>
  <node-id>jira-node-2</node-id>
  <hostname>ip-10-0-0-12</hostname>
  <jvm-input-arguments>-Xmx2g -Duser.timezone=Europe/Berlin -Datlassian.x=y</jvm-input-arguments>
</jira-application-properties>"#;
        let info = from_application_xml(xml);
        assert_eq!(info.node.as_deref(), Some("jira-node-2"));
        assert_eq!(info.product, Some(Product::Jira));
        assert_eq!(info.time_zone.as_deref(), Some("Europe/Berlin"));
    }

    #[test]
    fn application_xml_host_and_garbage() {
        let xml = "<confluence><server-name>wiki01.example.com</server-name></confluence>";
        let info = from_application_xml(xml);
        assert_eq!(info.node.as_deref(), Some("wiki01.example.com"));
        assert_eq!(info.product, Some(Product::Confluence));
        let bad = from_application_xml("<a><b>not closed");
        assert_eq!(bad, NodeInfo::default());
        let jvm = from_application_xml("<x -Djira.node.id=n7");
        assert_eq!(jvm.node.as_deref(), Some("n7"));
    }

    #[test]
    fn application_xml_version_and_base_url() {
        let x = "<properties><application-information><Version>9.4.2</Version><Base-URL>https://jira.example.com</Base-URL></application-information><java-runtime-environment><JVM-Input-Arguments>-Xmx2g -Duser.timezone=Europe/Berlin</JVM-Input-Arguments><java-version>17</java-version></java-runtime-environment></properties>";
        let info = from_application_xml(x);
        assert_eq!(info.version.as_deref(), Some("9.4.2"));
        assert_eq!(info.base_url.as_deref(), Some("https://jira.example.com"));
        assert_eq!(info.time_zone.as_deref(), Some("Europe/Berlin"));
        let dotted =
            from_application_xml("<p><jira.baseurl> https://j.example.com/x </jira.baseurl></p>");
        assert_eq!(dotted.base_url.as_deref(), Some("https://j.example.com/x"));
    }

    #[test]
    fn one_timezone_parser_for_xml_and_scripts() {
        let line = "JVM_SUPPORT_RECOMMENDED_ARGS=\"-Xmx1g -Duser.timezone=America/New_York\"";
        let p = jvm_time_zone(line).unwrap();
        assert_eq!(p.value, "America/New_York");
        assert_eq!(&line[p.offset..p.offset + 2], "-D");
        assert_eq!(
            jvm_time_zone("<a>-Duser.timezone=UTC</a>").unwrap().value,
            "UTC"
        );
        assert_eq!(jvm_time_zone("-Duser.timezone=$TZ").map(|p| p.value), None);
        // Written as is; validity is a separate question.
        assert_eq!(
            jvm_time_zone("-Duser.timezone=Europe/Berln").unwrap().value,
            "Europe/Berln"
        );
        // An invalid zone is not the node's zone.
        assert_eq!(
            from_application_xml("<x>-Duser.timezone=Nowhere/X</x>").time_zone,
            None
        );
    }

    #[test]
    fn properties_and_zip_names() {
        let p = from_properties("# c\njira.node.id = node1\njira.shared.home=/x\n");
        assert_eq!(p.node.as_deref(), Some("node1"));
        assert_eq!(
            from_zip_name("Jira_support_2024-01-05-10-22-33_node2").as_deref(),
            Some("node2")
        );
        assert_eq!(
            from_zip_name("Confluence_support_2024-01-05-10-22-33"),
            None
        );
        assert_eq!(from_zip_name("random"), None);
    }

    #[test]
    fn fleet_layout() {
        let p = |s: &str| s.split('/').map(String::from).collect::<Vec<_>>();
        assert_eq!(
            fleet_hosts(&[p("web1/jira/log/a.log"), p("web2/a.log")]),
            Some(vec!["web1".to_string(), "web2".to_string()])
        );
        assert_eq!(fleet_hosts(&[p("web1/a.log"), p("a.log")]), None);
        assert_eq!(fleet_hosts(&[p("web1/a.log"), p("web1/b.log")]), None);
        assert_eq!(fleet_hosts(&[p("jira/a.log"), p("confluence/b.log")]), None);
        // Host names with product words are hosts; install and home names are not.
        assert_eq!(
            fleet_hosts(&[p("jira01.example.com/a.log"), p("jira02.example.com/a.log")]),
            Some(vec![
                "jira01.example.com".to_string(),
                "jira02.example.com".to_string()
            ])
        );
        assert!(fleet_hosts(&[p("jira-dc-node1/a.log"), p("jira-dc-node2/a.log")]).is_some());
        for layout in [
            "jira-home",
            "atlassian-jira-software-9.4.0-standalone",
            "confluence_data",
            "jira",
            "logs",
        ] {
            assert!(is_layout_word(layout), "{layout}");
        }
        for host in [
            "jira01.example.com",
            "jira-dc-node1",
            "web1",
            "bitbucket-prod-a",
        ] {
            assert!(!is_layout_word(host), "{host}");
        }
    }

    #[test]
    fn user_says_where_nodes_are() {
        assert_eq!(
            node_by_pattern(
                &Regex::new(r"fleet/(?P<node>[^/]+)/").unwrap(),
                "/mnt/fleet/jira01/logs/a.log"
            )
            .as_deref(),
            Some("jira01")
        );
        assert_eq!(
            node_under_root(Path::new("/mnt/f"), Path::new("/mnt/f/jira-home/log/a.log"))
                .as_deref(),
            Some("jira-home")
        );
        assert_eq!(
            node_under_root(Path::new("/mnt/f"), Path::new("/mnt/f/a.log")),
            None
        );
        assert!(NodeFrom::pattern("(").is_err());
    }
}
