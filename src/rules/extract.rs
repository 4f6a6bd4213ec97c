//! Values pulled out of a classified event: the ones every rule gets (oauth_problem,
//! acceptable timestamps, the request's oauth_timestamp, the remote URL and host), the
//! winning rule's named regex captures, and the rule's own `extract` patterns.
//!
//! The remote end of the event (`remote_host`, and `remote_port` where the log names one)
//! comes, most trusted first, from the rule's own `extract` of `remote` (`host:port`),
//! `host` or `url`; then from the generic forms a failed connection is logged in
//! (`Patterns::connection`: `UnknownHostException: <host>`, Apache HttpClient's `Connect to
//! <host>:<port> [...] failed`, curl's and git's `connect to <host> port <port>`,
//! `connect to <host>:<port>`, JNDI's `CommunicationException: <host>:<port>`,
//! `Connection refused: <host>/<address>:<port>`, okhttp's `connect to <host>/<address>
//! (port <port>)`); then from the first `http(s)://`, `ldap(s)://` URL that is not a
//! `referer:` (the page the user came from is this application, not the remote one).
//! The port is only ever the one logged: a URL without a port gives none (the scheme's
//! default is not assumed).

use super::catalog::Rule;
use regex::Regex;
use std::collections::BTreeMap;
use std::sync::LazyLock;

/// The patterns every event's fields are looked for with. They are built together, at the
/// first use or ahead of it by [`prepare`], since every event needs them.
struct Patterns {
    oauth_problem: Regex,
    acceptable_timestamps: Regex,
    oauth_timestamp: Regex,
    url: Regex,
    /// The forms a failed connection names its remote end in, one alternation so the
    /// leftmost wins. Host groups are `h1`..`h7`, port groups `p1`..`p7`.
    connection: Regex,
    remote_url: Regex,
}

static PATTERNS: LazyLock<Patterns> = LazyLock::new(|| {
    const HOST: &str = r"(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9][A-Za-z0-9._-]*)";
    let connection = [
        // java.net.UnknownHostException: jira.example.com[: Name or service not known]
        format!(r"UnknownHostException: (?P<h1>{HOST})(?P<p1>)"),
        // Apache HttpClient 4: Connect to jira.example.com:443 [jira.example.com/10.0.0.5] failed
        // (HttpClient 5 puts the scheme first: Connect to https://jira.example.com:443 [...])
        format!(r"\b[Cc]onnect to (?:[a-z]+://)?(?P<h2>{HOST}):(?P<p2>[0-9]{{1,5}})\b"),
        // curl, git: Failed to connect to bitbucket.example.com port 7990: Connection refused
        format!(r"\bconnect to (?P<h3>{HOST}) port (?P<p3>[0-9]{{1,5}})\b"),
        // okhttp: failed to connect to jira.example.com/10.0.0.5 (port 443) after 10000ms
        format!(r"\bconnect to (?P<h4>{HOST})/[0-9A-Fa-f:.]+ \(port (?P<p4>[0-9]{{1,5}})\)"),
        // JNDI: javax.naming.CommunicationException: ldap.example.com:389 [Root exception is ...]
        format!(r"CommunicationException: (?P<h5>{HOST}):(?P<p5>[0-9]{{1,5}})\b"),
        // Netty and others: Connection refused: jira.example.com/10.0.0.5:443
        format!(r"Connection refused: (?P<h6>{HOST})(?:/[0-9A-Fa-f:.]+)?:(?P<p6>[0-9]{{1,5}})\b"),
        // SocketTimeoutException / ConnectException naming the address: ... to jira.example.com:443
        format!(
            r"(?:SocketTimeoutException|ConnectException):[^\n]*?\bto (?P<h7>{HOST}):(?P<p7>[0-9]{{1,5}})\b"
        ),
    ]
    .join("|");
    let re = |pattern: &str| Regex::new(pattern).expect("static regex");
    Patterns {
        oauth_problem: re(r#"oauth_problem["']?\s*[=:]\s*["']?([A-Za-z_]+)"#),
        acceptable_timestamps: re(
            r#"oauth_acceptable_timestamps["']?\s*(?:=|:|%3D)\s*["']?([0-9]{9,11})\s*(?:-|%2D)\s*([0-9]{9,11})"#,
        ),
        oauth_timestamp: re(r#"\boauth_timestamp["']?\s*[=:]\s*["']?([0-9]{9,11})"#),
        url: re(r#"https?://[^\s"'<>()\[\]{},;|\\]+"#),
        connection: re(&connection),
        remote_url: re(r#"(?i)(?:https?|ldaps?)://(?:\[[0-9a-f:.]+\])?[^\s"'<>()\[\]{},;|\\]*"#),
    }
});

/// Compiles the patterns [`fields`] uses (otherwise compiled at its first use), for a
/// scanner with idle time before its first event ([`crate::classify::Classifier::prepare`]).
pub fn prepare() {
    LazyLock::force(&PATTERNS);
}

/// Extracts the fields of an event classified as `rule`.
pub fn fields(rule: &Rule, text: &str) -> BTreeMap<String, String> {
    let patterns = &*PATTERNS;
    let mut out = BTreeMap::new();
    if let Some(c) = patterns.oauth_problem.captures(text) {
        out.insert("oauth_problem".to_string(), c[1].to_string());
    }
    if let Some(c) = patterns.acceptable_timestamps.captures(text) {
        out.insert(
            "oauth_acceptable_timestamps".to_string(),
            format!("{}-{}", &c[1], &c[2]),
        );
    }
    if let Some(c) = patterns.oauth_timestamp.captures(text) {
        out.insert("oauth_timestamp".to_string(), c[1].to_string());
    }
    if let Some(m) = patterns.url.find(text) {
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
    let mut own = BTreeMap::new();
    for (name, re) in &rule.extract {
        if let Some(m) = re.captures(text).and_then(|c| c.get(1)) {
            own.insert(name.as_str(), m.as_str().to_string());
            out.insert(name.clone(), m.as_str().to_string());
        }
    }
    if let Some((host, port)) = remote_end(&own, text) {
        out.insert("remote_host".to_string(), host);
        if let Some(port) = port {
            out.insert("remote_port".to_string(), port.to_string());
        }
    }
    out
}

/// The remote end `text` names (see the module's documentation for where it is looked
/// for); `own` holds the values of the rule's own `extract` patterns.
pub fn remote_end(own: &BTreeMap<&str, String>, text: &str) -> Option<(String, Option<u16>)> {
    let from_rule = own
        .get("remote")
        .and_then(|v| authority(v))
        .or_else(|| own.get("host").and_then(|v| authority(v)))
        .or_else(|| own.get("url").and_then(|v| url_authority(v)));
    if from_rule.is_some() {
        return from_rule;
    }
    let patterns = &*PATTERNS;
    let urls = || {
        patterns
            .remote_url
            .find_iter(text)
            .filter(|m| !after_referer(&text[..m.start()]))
            .filter_map(|m| url_authority(m.as_str()))
    };
    // The fast search finds where; captures run from there only.
    if let Some(c) = patterns
        .connection
        .find(text)
        .and_then(|m| patterns.connection.captures_at(text, m.start()))
    {
        for i in 1..=7 {
            if let Some(h) = c.name(&format!("h{i}")) {
                let host = h.as_str().to_ascii_lowercase();
                // A form without the port (UnknownHostException): the port of a URL of the
                // same host in the event, if one names it.
                let port = c
                    .name(&format!("p{i}"))
                    .and_then(|p| port(p.as_str()))
                    .or_else(|| urls().find(|(h, p)| *h == host && p.is_some())?.1);
                return Some((host, port));
            }
        }
    }
    urls().next()
}

/// Does `before` end with `referer:` or `referer=` (and blanks)?
fn after_referer(before: &str) -> bool {
    let b = before.trim_end().as_bytes();
    b.len() >= 8 && {
        let tail = &b[b.len() - 8..];
        tail[..7].eq_ignore_ascii_case(b"referer") && matches!(tail[7], b':' | b'=')
    }
}

/// A port number as logged (1-65535).
fn port(s: &str) -> Option<u16> {
    s.parse::<u16>().ok().filter(|&p| p > 0)
}

/// Host and port of a URL's authority (after any `user:password@`).
fn url_authority(url: &str) -> Option<(String, Option<u16>)> {
    let rest = url.split_once("://")?.1;
    let auth = rest.split(['/', '?', '#']).next()?;
    authority(auth.rsplit('@').next()?)
}

/// `host`, `host:port`, `[v6]` or `[v6]:port` (lower-cased host); `None` when the host is
/// empty or holds characters no host name has.
fn authority(s: &str) -> Option<(String, Option<u16>)> {
    let s = s.trim().trim_end_matches(['.', ':', '"', '\'']);
    let (host, port_text) = if let Some(rest) = s.strip_prefix('[') {
        let (inside, after) = rest.split_once(']')?;
        (format!("[{inside}]"), after.strip_prefix(':'))
    } else {
        match s.rsplit_once(':') {
            Some((h, p)) if !h.contains(':') => (h.to_string(), Some(p)),
            _ => (s.to_string(), None),
        }
    };
    let ok = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '[' | ']' | ':');
    // A host name starts with a letter or digit (or is a bracketed IPv6 address).
    let starts_well = host.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '[');
    if !starts_well || !host.chars().all(ok) {
        return None;
    }
    let port = match port_text {
        Some(p) => Some(port(p)?),
        None => None,
    };
    Some((host.to_ascii_lowercase(), port))
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

    fn remote(text: &str) -> Option<(String, Option<u16>)> {
        remote_end(&BTreeMap::new(), text)
    }

    fn at(host: &str, port: Option<u16>) -> Option<(String, Option<u16>)> {
        Some((host.to_string(), port))
    }

    #[test]
    fn numbers_are_ascii_digits_only() {
        // Synthetic: digits of another script are no epoch seconds and no port.
        let arabic = "oauth_timestamp=\u{661}\u{667}\u{660}\u{669}\u{666}\u{665}\u{661}\u{662}\u{666}\u{664} oauth_problem=timestamp_refused";
        assert!(PATTERNS.oauth_timestamp.captures(arabic).is_none());
        let ascii = "oauth_timestamp=1709651264 oauth_problem=timestamp_refused";
        assert_eq!(
            &PATTERNS.oauth_timestamp.captures(ascii).unwrap()[1],
            "1709651264"
        );
        assert_eq!(
            remote(
                "java.net.ConnectException: Connection refused: jira.example.com/10.0.0.5:\u{664}\u{664}\u{663}"
            ),
            None
        );
        assert_eq!(
            remote("java.net.ConnectException: Connection refused: jira.example.com/10.0.0.5:443"),
            at("jira.example.com", Some(443))
        );
    }

    #[test]
    fn remote_end_of_real_lines() {
        // tests/field/bamboo.yaml bamboo-010 (its source is cited there).
        let bamboo = "error\t28-Jul-2015 10:37:11\tjava.lang.RuntimeException: Failed while invoking URL http://bamboom1:8085/plugins/servlet/artifactoryAdminConfigServlet?planKey=WARE-PCL-CA to get Bamboo variables. Software caused connection abort: recv failed";
        assert_eq!(remote(bamboo), at("bamboom1", Some(8085)));
        // tests/field/jira.yaml jira-026.
        let webhook = "2017-06-13 10:35:05,112 httpclient-callbacks:thread-96 WARN anonymous     [c.a.webhooks.plugin.PublishTaskFactoryImpl$PublishTaskImpl] Server error - 500 when posting to web hook at 'http://iob0283:3000/hooks/f6jk4rbzs7gf5yedt93cc5r66r'";
        assert_eq!(remote(webhook), at("iob0283", Some(3000)));
        // tests/field/bitbucket.yaml bitbucket-014: the URL names no port, so none is given.
        let jenkins = "2016-08-17 18:30:46,313 ERROR [http-nio-7991-exec-10] MitchTalmadge @1HXM8URx1110x6033x0 4q0cf4 0.0.0.0,172.68.34.150,66.11.122.212 \"POST /rest/jenkins/latest/projects/EX/repos/example/test HTTP/1.1\" com.nerdwin15.stash.webhook.Notifier Error triggering jenkins with url 'https://example.com/jenkins/git/notifyCommit?url=ssh%3A%2F%2Fgit%40example.com%3A22%2Fex%2Fexample.git&branches=master&sha1=4b3152b6c8ae527460025cd2d16ee49defc1a318'";
        assert_eq!(remote(jenkins), at("example.com", None));
        // tests/field/confluence.yaml confluence-001: the only URL is the referer, which is
        // this Confluence, not a remote.
        let referer = "2017-03-06 20:57:24,369 WARN [AtlassianEvent::CustomizableThreadFactory-3] [applinks.internal.capabilities.DefaultRemoteCapabilitiesService] getApplinkSafe Exception trying to get Applink for manifest with ID 3ffde444-4275-38f8-961b-91837ea4f27a\n-- url: /rest/applinks/3.0/applicationlinkForm/manifest.json | traceId: b803eeff136826b6 | userName: <user_name> | referer: http://172.30.200.9:8086/plugins/servlet/applinks/listApplicationLinks";
        assert_eq!(remote(referer), None);
        // tests/field/jira.yaml jira-017: a host without a port in a form no generic pattern
        // knows (a rule that needs it names it with `extract: host:`).
        let smtp = "2023-01-01 00:00:00,000+0000 https-jsse-nio-8443-exec-1 ERROR admin 123x456789x0 abcdef 10.0.0.1 /secure/admin/VerifySmtpServerConnection!update.jspa [c.a.j.p.mail.webwork.VerifyMailServer] Unable to connect to the server at host.domain.com due to the following exception: javax.net.ssl.SSLException: Unsupported or unrecognized SSL message";
        assert_eq!(remote(smtp), None);
    }

    #[test]
    fn remote_end_of_connection_failures() {
        // Synthetic lines in the forms the JVM, HttpClient, curl, okhttp and JNDI print.
        let cases = [
            (
                "Caused by: java.net.UnknownHostException: Stash.Example.com: Name or service not known",
                at("stash.example.com", None),
            ),
            (
                "Unable to reach http://stash.example.com:7990/rest/x\nCaused by: java.net.UnknownHostException: stash.example.com",
                at("stash.example.com", Some(7990)),
            ),
            (
                "org.apache.http.conn.HttpHostConnectException: Connect to jira.example.com:443 [jira.example.com/10.0.0.5] failed: Connection refused",
                at("jira.example.com", Some(443)),
            ),
            (
                "org.apache.hc.client5.http.HttpHostConnectException: Connect to https://jira.example.com:8443 [jira.example.com/10.0.0.5] failed: Connection timed out",
                at("jira.example.com", Some(8443)),
            ),
            (
                "fatal: unable to access 'http://bitbucket.example.com:7990/scm/p/r.git/': Failed to connect to bitbucket.example.com port 7990: Connection refused",
                at("bitbucket.example.com", Some(7990)),
            ),
            (
                "java.net.SocketTimeoutException: failed to connect to api.example.com/10.1.2.3 (port 443) from /10.0.0.2 (port 51234) after 10000ms",
                at("api.example.com", Some(443)),
            ),
            (
                "javax.naming.CommunicationException: ldap.example.com:636 [Root exception is java.net.ConnectException: Connection refused]",
                at("ldap.example.com", Some(636)),
            ),
            (
                "io.netty.channel.AbstractChannel$AnnotatedConnectException: Connection refused: synchrony.internal/10.0.0.7:8091",
                at("synchrony.internal", Some(8091)),
            ),
            (
                "Directory sync failed: ldaps://dc1.corp.example.com:3269/DC=corp,DC=example,DC=com",
                at("dc1.corp.example.com", Some(3269)),
            ),
            (
                "Crowd server URL https://admin:secret@crowd.example.com/crowd is not reachable",
                at("crowd.example.com", None),
            ),
            (
                "http://[2001:db8::1]:8090/rest",
                at("[2001:db8::1]", Some(8090)),
            ),
            ("http://jira.example.com:99999/x", None),
        ];
        for (text, want) in cases {
            assert_eq!(remote(text), want, "{text}");
        }
    }

    #[test]
    fn a_rule_names_its_own_remote() {
        let mut own = BTreeMap::new();
        own.insert("url", "https://other.example.com:8443/x".to_string());
        let text = "Connect to jira.example.com:443 failed";
        assert_eq!(remote_end(&own, text), at("other.example.com", Some(8443)));
        own.insert("host", "Host.Example.com".to_string());
        assert_eq!(remote_end(&own, text), at("host.example.com", None));
        own.insert("remote", "node3:8080".to_string());
        assert_eq!(remote_end(&own, text), at("node3", Some(8080)));
        // Not a host name: the next source is tried.
        own.insert("remote", "-".to_string());
        assert_eq!(remote_end(&own, text), at("host.example.com", None));
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
        assert_eq!(f["remote_host"], "conf.example.com");
        assert!(!f.contains_key("remote_port"));
    }
}
