//! The application-links manifest (`GET <base>/rest/applinks/1.0/manifest`): what an
//! Atlassian application says about itself (id, name, type, version, base URL). An HTML page
//! or another document in its place means the address is not an Atlassian application or
//! its context path is wrong.
//!
//! [`parse_manifest`] is a pure function over untrusted text (a fuzz target).

use serde::Serialize;

/// Largest manifest parsed (they are under 2 KiB).
pub const MAX_MANIFEST_BYTES: usize = 256 * 1024;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Manifest {
    pub id: Option<String>,
    pub name: Option<String>,
    /// `jira`, `confluence`, `stash`, `bamboo`, `crowd`, `fecru`, ...
    #[serde(rename = "type")]
    pub type_id: Option<String>,
    pub version: Option<String>,
    pub build_number: Option<String>,
    pub applinks_version: Option<String>,
    /// The remote application's own base URL.
    pub url: Option<String>,
}

/// Why a document is not a manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ManifestError {
    /// An HTML page (a login or SSO page, a proxy's error page, another web site).
    Html { title: Option<String> },
    /// Well-formed XML whose root is not `<manifest>`.
    WrongRoot(String),
    /// Not XML, or too large.
    NotXml(String),
    /// A manifest without the base URL.
    NoUrl,
}

impl std::fmt::Display for ManifestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ManifestError::Html { title: Some(t) } => {
                write!(f, "an HTML page titled '{t}' instead of the manifest")
            }
            ManifestError::Html { title: None } => {
                f.write_str("an HTML page instead of the manifest")
            }
            ManifestError::WrongRoot(r) => write!(f, "an XML document <{r}> instead of <manifest>"),
            ManifestError::NotXml(e) => write!(f, "not a manifest (not XML: {e})"),
            ManifestError::NoUrl => f.write_str("a manifest without <url> (the base URL)"),
        }
    }
}

/// The `<title>` of an HTML page, if it has one (first 120 characters).
pub fn html_title(text: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    let start = lower.find("<title")?;
    let open_end = start + lower[start..].find('>')? + 1;
    let close = open_end + lower[open_end..].find("</title")?;
    let t: String = text
        .get(open_end..close)?
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    (!t.is_empty()).then(|| t.chars().take(120).collect())
}

/// Whether `text` looks like an HTML page rather than XML data.
pub fn looks_like_html(text: &str) -> bool {
    let head: String = text
        .trim_start()
        .chars()
        .take(512)
        .collect::<String>()
        .to_ascii_lowercase();
    head.starts_with("<!doctype html")
        || head.starts_with("<html")
        || (head.contains("<html") && !head.starts_with("<?xml"))
}

/// Parses a manifest document.
pub fn parse_manifest(text: &str) -> Result<Manifest, ManifestError> {
    if text.len() > MAX_MANIFEST_BYTES {
        return Err(ManifestError::NotXml(format!(
            "larger than {} KiB",
            MAX_MANIFEST_BYTES / 1024
        )));
    }
    if looks_like_html(text) {
        return Err(ManifestError::Html {
            title: html_title(text),
        });
    }
    let doc = roxmltree::Document::parse(text.trim_start_matches('\u{feff}'))
        .map_err(|e| ManifestError::NotXml(e.to_string()))?;
    let root = doc.root_element();
    let root_name = root.tag_name().name();
    if root_name.eq_ignore_ascii_case("html") {
        return Err(ManifestError::Html {
            title: html_title(text),
        });
    }
    if root_name != "manifest" {
        return Err(ManifestError::WrongRoot(
            root_name.chars().take(60).collect(),
        ));
    }
    let field = |names: &[&str]| {
        root.children()
            .filter(|n| n.is_element() && names.contains(&n.tag_name().name()))
            .find_map(|n| n.text())
            .map(|t| t.trim().chars().take(2048).collect::<String>())
            .filter(|t| !t.is_empty())
    };
    let m = Manifest {
        id: field(&["id"]),
        name: field(&["name"]),
        type_id: field(&["typeId", "type"]),
        version: field(&["version"]),
        build_number: field(&["buildNumber"]),
        applinks_version: field(&["applinksVersion"]),
        url: field(&["url"]),
    };
    if m.url.is_none() {
        return Err(ManifestError::NoUrl);
    }
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    const JIRA: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<manifest><id>144880e9-a353-312f-9412-ed028e8166fa</id><name>Example Jira</name><i18nKey>applinks.jira</i18nKey><typeId>jira</typeId><version>9.12.4</version><buildNumber>9120004</buildNumber><applinksVersion>9.1.7</applinksVersion><publicSignup>false</publicSignup><url>https://jira.example.com</url></manifest>"#;

    #[test]
    fn reads_a_manifest() {
        let m = parse_manifest(JIRA).unwrap();
        assert_eq!(
            m.id.as_deref(),
            Some("144880e9-a353-312f-9412-ed028e8166fa")
        );
        assert_eq!(m.type_id.as_deref(), Some("jira"));
        assert_eq!(m.version.as_deref(), Some("9.12.4"));
        assert_eq!(m.url.as_deref(), Some("https://jira.example.com"));
    }

    #[test]
    fn other_documents_are_named() {
        let login =
            "<!DOCTYPE html>\n<html><head><title>Log in - SSO</title></head><body></body></html>";
        assert_eq!(
            parse_manifest(login),
            Err(ManifestError::Html {
                title: Some("Log in - SSO".into())
            })
        );
        assert_eq!(
            parse_manifest("<status><code>404</code></status>"),
            Err(ManifestError::WrongRoot("status".into()))
        );
        assert!(matches!(
            parse_manifest("{\"json\":1}"),
            Err(ManifestError::NotXml(_))
        ));
        assert!(matches!(parse_manifest(""), Err(ManifestError::NotXml(_))));
        assert_eq!(
            parse_manifest("<manifest><id>x</id></manifest>"),
            Err(ManifestError::NoUrl)
        );
        // Entity expansion is bounded by roxmltree; a billion laughs is an error, not a hang.
        let bomb = format!(
            "<!DOCTYPE m [<!ENTITY a \"{}\">{}]><manifest>&e;</manifest>",
            "x".repeat(10),
            (b'b'..=b'e')
                .map(|c| format!(
                    "<!ENTITY {} \"{}\">",
                    c as char,
                    format!("&{};", (c - 1) as char).repeat(10)
                ))
                .collect::<String>()
        );
        assert!(parse_manifest(&bomb).is_err());
        assert_eq!(html_title("<title>\n a \n b </title>"), Some("a b".into()));
    }
}
