//! Step 5: the remote application's base URL (from its manifest) against the URL the link
//! uses. OAuth 1.0a signs the request URL: when scheme, host, port or context path differ
//! between what the sender signs and what the receiver reconstructs from its base URL, every
//! signature fails (`signature_invalid`). Each differing part is named with what to change.

use super::target::Target;
use serde::Serialize;

/// One part of the URL that differs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    /// `scheme`, `host`, `port` or `context path`.
    pub part: &'static str,
    /// In the URL probed (or `--expect-base-url`).
    pub expected: String,
    /// In the remote application's manifest.
    pub manifest: String,
}

/// The parts of `manifest_url` that differ from `expected`; an unparsable manifest URL is
/// an error.
pub fn compare(expected: &Target, manifest_url: &str) -> Result<Vec<Difference>, String> {
    let actual = Target::parse(manifest_url)
        .map_err(|e| format!("the manifest's base URL is not usable: {e}"))?;
    let mut out = Vec::new();
    let mut diff = |part, e: String, a: String| {
        if e != a {
            out.push(Difference {
                part,
                expected: e,
                manifest: a,
            });
        }
    };
    diff(
        "scheme",
        expected.scheme.name().into(),
        actual.scheme.name().into(),
    );
    diff("host", expected.host.clone(), actual.host.clone());
    diff("port", expected.port.to_string(), actual.port.to_string());
    let path = |p: &str| {
        if p.is_empty() {
            "/".to_string()
        } else {
            p.to_string()
        }
    };
    diff("context path", path(&expected.path), path(&actual.path));
    Ok(out)
}

/// What to change, given the differing parts: one sentence for the reader.
pub fn advice(diffs: &[Difference], local_side: bool) -> String {
    let parts: Vec<&str> = diffs.iter().map(|d| d.part).collect();
    let list = parts.join(", ");
    if local_side {
        return format!(
            "This application's own base URL differs from --expect-base-url in {list}: set the base URL (General configuration) to the address users and linked applications use, or fix the proxy settings (proxyName, proxyPort, scheme, secure in server.xml) so the round trip through the proxy arrives at it."
        );
    }
    let proxy_hint = if parts.iter().any(|p| *p == "scheme" || *p == "port") {
        " A scheme or port difference usually means a reverse proxy or load balancer terminates TLS and the remote's connector lacks proxyName/proxyPort/scheme/secure."
    } else {
        ""
    };
    format!(
        "The link's application URL and the remote application's base URL differ in {list}: change the link's application URL (Application links > Edit) to the remote base URL if that is the right address, or correct the remote application's base URL and proxy settings.{proxy_hint}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_each_part() {
        let e = Target::parse("https://jira.example.com").unwrap();
        assert!(
            compare(&e, "https://JIRA.example.com:443/")
                .unwrap()
                .is_empty()
        );
        let d = compare(&e, "http://jira-internal:8080/jira").unwrap();
        let parts: Vec<_> = d.iter().map(|d| d.part).collect();
        assert_eq!(parts, ["scheme", "host", "port", "context path"]);
        assert_eq!(d[3].expected, "/");
        assert_eq!(d[3].manifest, "/jira");
        assert!(compare(&e, "not a url").is_err());
        assert!(advice(&d, false).contains("proxyName"));
        assert!(advice(&d, true).contains("--expect-base-url"));
    }
}
