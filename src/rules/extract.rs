//! Values pulled out of a classified event: the ones every rule gets (oauth_problem,
//! acceptable timestamps, the request's oauth_timestamp, the remote URL and host), the
//! winning rule's named regex captures, and the rule's own `extract` patterns.

use super::catalog::Rule;
use regex::Regex;
use std::collections::BTreeMap;
use std::sync::LazyLock;

static OAUTH_PROBLEM: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"oauth_problem["']?\s*[=:]\s*["']?([A-Za-z_]+)"#).expect("static regex")
});
static ACCEPTABLE_TIMESTAMPS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"oauth_acceptable_timestamps["']?\s*(?:=|:|%3D)\s*["']?(\d{9,11})\s*(?:-|%2D)\s*(\d{9,11})"#)
        .expect("static regex")
});
static OAUTH_TIMESTAMP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"\boauth_timestamp["']?\s*[=:]\s*["']?(\d{9,11})"#).expect("static regex")
});
static URL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"https?://[^\s"'<>()\[\]{},;|\\]+"#).expect("static regex"));

/// Extracts the fields of an event classified as `rule`.
pub fn fields(rule: &Rule, text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    if let Some(c) = OAUTH_PROBLEM.captures(text) {
        out.insert("oauth_problem".to_string(), c[1].to_string());
    }
    if let Some(c) = ACCEPTABLE_TIMESTAMPS.captures(text) {
        out.insert(
            "oauth_acceptable_timestamps".to_string(),
            format!("{}-{}", &c[1], &c[2]),
        );
    }
    if let Some(c) = OAUTH_TIMESTAMP.captures(text) {
        out.insert("oauth_timestamp".to_string(), c[1].to_string());
    }
    if let Some(m) = URL.find(text) {
        let url = m.as_str().trim_end_matches(['.', ':', '"', '\'']);
        out.insert("url".to_string(), url.to_string());
        if let Some(host) = host_of(url) {
            out.insert("host".to_string(), host);
        }
    }
    if let Some(re) = &rule.regex
        && let Some(c) = re.captures(text)
    {
        for name in re.capture_names().flatten() {
            if let Some(m) = c.name(name) {
                out.insert(name.to_string(), m.as_str().to_string());
            }
        }
    }
    for (name, re) in &rule.extract {
        if let Some(m) = re.captures(text).and_then(|c| c.get(1)) {
            out.insert(name.clone(), m.as_str().to_string());
        }
    }
    out
}

/// The host (with port, if any) of an http(s) URL.
pub fn host_of(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = authority.rsplit('@').next()?;
    (!host.is_empty()).then(|| host.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_of_urls() {
        assert_eq!(
            host_of("https://user@jira.example.com:8443/rest/x?y").as_deref(),
            Some("jira.example.com:8443")
        );
        assert_eq!(host_of("http://"), None);
    }

    #[test]
    fn default_fields() {
        let rule = crate::rules::test_rule("x", "oauth_problem");
        let f = fields(
            &rule,
            "Rejecting OAuth request for url \"https://conf.example.com/rest/api\" due to invalid timestamp ({oauth_problem=timestamp_refused, oauth_acceptable_timestamps=1700000000-1700000600})",
        );
        assert_eq!(f["oauth_problem"], "timestamp_refused");
        assert_eq!(f["oauth_acceptable_timestamps"], "1700000000-1700000600");
        assert_eq!(f["url"], "https://conf.example.com/rest/api");
        assert_eq!(f["host"], "conf.example.com");
    }
}
