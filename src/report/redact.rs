//! Redaction of secrets in evidence before it is shown: OAuth tokens, signatures, nonces and
//! verifiers, passwords (JVM `-D...Password=`, `keystorePass=`, quoted, JSON and escaped-JSON
//! forms), client secrets, refresh and access tokens, passphrases, LDAP bind credentials,
//! Crowd and XSRF tokens, API keys, session ids and cookies, `Authorization:` headers,
//! passwords in URLs and Oracle JDBC URLs, AWS access key ids, and PEM private-key blocks.
//! On by default; `--no-redact` turns it off.
//!
//! One table of patterns; each names the part to mask with a `secret` group (or one of
//! several alternative groups), the rest of the match (the key, the quotes) is kept so the
//! reader still sees what was there. A case-insensitive literal pre-check skips the table for
//! text that cannot hold a secret, which is nearly all of it.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use regex::{Captures, Regex};
use std::borrow::Cow;
use std::sync::LazyLock;

pub const MASK: &str = "[REDACTED]";

/// Keys whose value is a secret, as one regex alternation (matched case-insensitively, except
/// where `(?-i:...)` says otherwise). A key may carry a prefix (`-Djavax.net.ssl.trustStore`,
/// `db`, `ldap.bind.`): the leading `[\w.-]*` takes it.
///
/// Keys are ASCII, so the alternation is matched without Unicode (`(?-u:`): its word classes
/// are ASCII ones. With Unicode word classes this one pattern took 4 ms to build, the first
/// time evidence needed redacting, against 0.4 ms; a key behind a non-ASCII letter is still
/// found (the prefix is optional), and the value after it is matched as before.
const SECRET_KEYS: &str = concat!(
    r"(?-u:",
    // Anything ending in password / passwd / passphrase: password, dbPassword,
    // -Djavax.net.ssl.trustStorePassword, keyStorePassword, key_passphrase.
    r"[\w.-]*(?:password|passwd|passphrase)",
    // camelCase `...Pass`: keystorePass, truststorePass, bindPass (not `bypass`).
    r"|[\w.-]*[a-z0-9](?-i:Pass)|\b(?:pwd|pass)",
    // Secrets and tokens: client_secret, sharedSecret, oauth_token(_secret), refresh_token...
    r"|[\w.-]*secret|oauth_token|oauth_signature|oauth_nonce|oauth_verifier|oauth_session_handle",
    r"|[\w.-]*(?:access|refresh|id|auth|bearer|session)_?token|token_key",
    r"|atl(?:assian)?\.xsrf\.token|seraph\.rememberme\.cookie",
    // Session ids: JSESSIONID, BITBUCKETSESSIONID, session_id.
    r"|[\w.]*session_?id",
    // API and cloud keys: X-API-Key, api_key, aws_secret_access_key.
    r"|[\w.-]*api[_-]?key|[\w.-]*secret_?access_?key",
    // Dotted credential properties: ldap.bind.credentials.
    r"|[\w-]*(?:\.[\w-]+)*\.credentials",
    r")"
);

/// The literals (lower case) one of which every secret pattern contains: the pre-check.
const TRIGGERS: &[&str] = &[
    "pass",
    "pwd",
    "secret",
    "token",
    "oauth_",
    "session",
    "cookie",
    "api",
    "credentials",
    "authorization",
    "private key",
    "://",
    "jdbc:",
    "akia",
    "asia",
    "agpa",
    "aida",
    "aroa",
    "anpa",
    "anva",
    "aipa",
];

static TRIGGER: LazyLock<AhoCorasick> = LazyLock::new(|| {
    AhoCorasickBuilder::new()
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::LeftmostFirst)
        .build(TRIGGERS)
        .expect("static literals")
});

static SECRETS: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    let key_value = format!(
        r#"(?im){SECRET_KEYS}\\?["']?\s*(?:=>|=|:|%3D)\s*(?:\\"(?P<esc>.*?)(?:\\"|$)|"(?P<dq>(?:[^"\\\n]|\\.)*)"?|'(?P<sq>[^'\n]*)'?|(?P<bare>[^\s"'&,;}}\]<>\\]+))"#
    );
    [
        // PEM private keys: the body between BEGIN and END (or to the end, when cut off).
        r"(?s)-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----(?P<secret>.*?)(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|\z)",
        // Authorization / Proxy-Authorization headers: everything after the scheme.
        r#"(?i)\b(?:proxy-)?authorization\s*[:=]\s*(?:(?:OAuth|Basic|Bearer|Digest|NTLM|Negotiate)\s+)?(?P<secret>[^\r\n]+)"#,
        // Cookie headers.
        r#"(?i)\b(?:cookie|set-cookie)\s*[:=]\s*(?P<secret>[^\r\n]+)"#,
        // key=value, key="value", key='value', "key":"value", \"key\":\"value\", key: value.
        key_value.as_str(),
        // XML elements: <password>x</password>, <ldap.bind.credentials>x</...>.
        r"(?i)<[\w.:-]*(?:password|passwd|passphrase|secret|credentials)>(?P<secret>[^<]*)</",
        // Oracle JDBC: jdbc:oracle:thin:user/password@host.
        r#"(?i)\bjdbc:oracle:[a-z0-9]+:[^/\s:@"'<>]*/(?P<secret>[^\s"'<>]+)@"#,
        // user:password@ in any URL (http, ldap, jdbc:postgresql, ...).
        r#"(?i)\b[a-z][a-z0-9+.-]*://[^/?#\s:@"'<>]*:(?P<secret>[^/?#\s"'<>]+)@"#,
        // AWS access key ids.
        r"\b(?P<secret>(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[0-9A-Z]{16})\b",
    ]
    .iter()
    .map(|p| Regex::new(p).expect("static regex"))
    .collect()
});

/// The groups a pattern may mask, whichever took part in the match.
const SECRET_GROUPS: [&str; 5] = ["secret", "esc", "dq", "sq", "bare"];

/// The match with its secret part replaced by [`MASK`].
fn mask(caps: &Captures<'_>) -> String {
    let whole = caps.get(0).expect("group 0 always matches");
    let Some(secret) = SECRET_GROUPS.iter().find_map(|g| caps.name(g)) else {
        return whole.as_str().to_string();
    };
    let text = whole.as_str();
    let (from, to) = (secret.start() - whole.start(), secret.end() - whole.start());
    format!("{}{MASK}{}", &text[..from], &text[to..])
}

/// Compiles the patterns [`redact`] uses (otherwise compiled at its first use).
pub fn prepare() {
    LazyLock::force(&TRIGGER);
    LazyLock::force(&SECRETS);
}

/// `text` with every secret value replaced by [`MASK`].
pub fn redact(text: &str) -> Cow<'_, str> {
    if !TRIGGER.is_match(text) {
        return Cow::Borrowed(text);
    }
    let mut out = Cow::Borrowed(text);
    for re in SECRETS.iter() {
        if let Cow::Owned(changed) = re.replace_all(&out, mask) {
            out = Cow::Owned(changed);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Asserts that redacting `text` removes `secret` and keeps `kept`.
    fn hides(text: &str, secret: &str, kept: &str) {
        let r = redact(text);
        assert!(!r.contains(secret), "{secret:?} leaked: {r}");
        assert!(r.contains(MASK), "no mask in {r}");
        assert!(r.contains(kept), "{kept:?} lost: {r}");
    }

    #[test]
    fn secrets_are_masked() {
        let t = r#"GET /plugins/servlet/oauth?oauth_token=abc123&oauth_nonce=n1 oauth_signature="c2lnbmF0dXJl" password=hunter2 Authorization: OAuth oauth_consumer_key="jira", realm="x" JSESSIONID=ABCDEF"#;
        let r = redact(t);
        for secret in ["abc123", "n1", "c2lnbmF0dXJl", "hunter2", "ABCDEF", "realm"] {
            assert!(!r.contains(secret), "{secret} leaked: {r}");
        }
        assert!(r.contains("oauth_token=[REDACTED]"), "{r}");
    }

    #[test]
    fn plain_text_is_untouched() {
        for t in [
            "oauth_problem=timestamp_refused oauth_acceptable_timestamps=1-2",
            "javax.net.ssl.SSLHandshakeException: PKIX path building failed",
            "oauth_problem=token_rejected for consumer jira:1234",
            "Bypass=true compass=north",
            "https://jira.example.com:8443/rest/api/2/issue@x",
        ] {
            assert!(
                matches!(redact(t), Cow::Borrowed(_)),
                "{t} -> {}",
                redact(t)
            );
        }
    }

    #[test]
    fn jvm_store_passwords() {
        hides(
            "-Djavax.net.ssl.trustStorePassword=tsSecret1 -Xmx2g",
            "tsSecret1",
            "trustStorePassword=[REDACTED] -Xmx2g",
        );
        hides(
            "-Djavax.net.ssl.keyStorePassword=ksSecret2",
            "ksSecret2",
            "keyStorePassword=",
        );
    }

    /// The keys are matched as ASCII: a key behind a non-ASCII letter is still found, and a
    /// non-ASCII value is masked whole.
    #[test]
    fn keys_next_to_non_ascii_text() {
        hides(
            "Überprüfung.password=geheim1",
            "geheim1",
            "password=[REDACTED]",
        );
        hides(
            "password=pässwörd€2 next",
            "pässwörd€2",
            "password=[REDACTED] next",
        );
        hides(
            r#"{"clientSecret":"sécret3"}"#,
            "sécret3",
            r#""clientSecret":"[REDACTED]""#,
        );
    }

    #[test]
    fn keystore_pass_attribute() {
        hides(
            r#"<Connector port="8443" keystorePass="kpSecret3" SSLEnabled="true"/>"#,
            "kpSecret3",
            r#"keystorePass="[REDACTED]" SSLEnabled="true""#,
        );
        hides("keystorePass=kpSecret3b", "kpSecret3b", "keystorePass=");
    }

    #[test]
    fn single_quoted_password() {
        hides("password='sqSecret4' user='bob'", "sqSecret4", "user='bob'");
    }

    #[test]
    fn json_and_escaped_json_password() {
        hides(
            r#"{"user":"bob","password":"jsSecret5"}"#,
            "jsSecret5",
            r#""user":"bob""#,
        );
        hides(
            r#"body="{\"user\":\"bob\",\"password\":\"esSecret6\"}""#,
            "esSecret6",
            r#"\"user\":\"bob\""#,
        );
        hides(
            r#"{"password": "with \"quote\" inside"}"#,
            "inside",
            "password",
        );
    }

    #[test]
    fn db_password() {
        hides("dbPassword=dbSecret7;", "dbSecret7", "dbPassword=");
    }

    #[test]
    fn oracle_jdbc_url() {
        hides(
            "url=jdbc:oracle:thin:scott/orSecret8@db.example.com:1521:ORCL",
            "orSecret8",
            "jdbc:oracle:thin:scott/[REDACTED]@db.example.com",
        );
    }

    #[test]
    fn password_in_url() {
        hides(
            "fetching https://admin:urlSecret9@jira.example.com/rest done",
            "urlSecret9",
            "https://admin:[REDACTED]@jira.example.com/rest done",
        );
        hides(
            "jdbc:postgresql://jira:pgSecret@db:5432/jira",
            "pgSecret",
            "@db:5432/jira",
        );
    }

    #[test]
    fn bitbucket_session_id() {
        hides(
            "Cookie-less: BITBUCKETSESSIONID=bbSecret10 path=/",
            "bbSecret10",
            "path=/",
        );
    }

    #[test]
    fn crowd_token_key() {
        hides(
            "crowd.token_key=ctSecret11",
            "ctSecret11",
            "crowd.token_key=",
        );
    }

    #[test]
    fn client_secret_and_refresh_token() {
        hides(
            "grant_type=refresh_token&client_id=app&client_secret=csSecret12&refresh_token=rtSecret13",
            "csSecret12",
            "client_id=app",
        );
        hides("refresh_token=rtSecret13", "rtSecret13", "refresh_token=");
    }

    #[test]
    fn passphrase() {
        hides(
            "key passphrase: ppSecret14",
            "ppSecret14",
            "passphrase: [REDACTED]",
        );
    }

    #[test]
    fn ldap_bind_credentials() {
        hides(
            "ldap.bind.credentials = lbSecret15",
            "lbSecret15",
            "ldap.bind.credentials = [REDACTED]",
        );
    }

    #[test]
    fn api_key_header() {
        hides(
            "X-API-Key: akSecret16 Accept: */*",
            "akSecret16",
            "Accept: */*",
        );
    }

    #[test]
    fn atlassian_xsrf_token() {
        hides(
            "atlassian.xsrf.token=BWP3-NZB2-6EDY-6C7K|xsSecret17|lin",
            "xsSecret17",
            "atlassian.xsrf.token=",
        );
    }

    #[test]
    fn aws_keys() {
        hides(
            "aws_access_key_id=AKIAIOSFODNN7EXAMPLE region=us-east-1",
            "AKIAIOSFODNN7EXAMPLE",
            "region=us-east-1",
        );
        hides(
            "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "wJalrXUtnFEMI",
            "aws_secret_access_key=",
        );
    }

    #[test]
    fn pem_private_key_block() {
        let t = "2024-03-05 loading key\n-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA7pemSecret18\nAbCdEf==\n-----END RSA PRIVATE KEY-----\nat com.example.Foo";
        let r = redact(t);
        assert!(!r.contains("pemSecret18") && !r.contains("AbCdEf"), "{r}");
        assert!(r.contains("-----BEGIN RSA PRIVATE KEY-----[REDACTED]-----END RSA PRIVATE KEY-----\nat com.example.Foo"), "{r}");
        // Cut off before its end: masked to the end.
        let r = redact("-----BEGIN PRIVATE KEY-----\nMIIEvQpemCut");
        assert!(!r.contains("pemCut"), "{r}");
    }

    #[test]
    fn a_whole_event_full_of_keys_stays_quick() {
        // 64 KiB (the largest event kept) of keys, half with secrets, half near misses.
        let unit = "a.b.c.dbPassword=x1 keystore.bypass=1 session_idle=2 https://h:1/p@q ";
        let text = unit.repeat(64 * 1024 / unit.len());
        let start = std::time::Instant::now();
        let r = redact(&text);
        assert!(!r.contains("=x1"));
        assert!(r.contains("keystore.bypass=1 session_idle=2 https://h:1/p@q"));
        let took = start.elapsed();
        assert!(took.as_secs() < 5, "took {took:?}");
    }

    #[test]
    fn xml_elements() {
        hides(
            "<user>bob</user><password>xmlSecret</password>",
            "xmlSecret",
            "<password>[REDACTED]</password>",
        );
    }

    #[test]
    fn unclosed_quote_is_masked_to_the_end() {
        hides(r#"password="unclosedSecret"#, "unclosedSecret", "password=");
    }
}
