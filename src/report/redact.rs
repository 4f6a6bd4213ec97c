//! Redaction of secrets in evidence before it is shown: OAuth tokens, signatures, nonces and
//! verifiers, passwords, `Authorization:` headers, session ids and cookies. On by default;
//! `--no-redact` turns it off.

use regex::Regex;
use std::borrow::Cow;
use std::sync::LazyLock;

pub const MASK: &str = "[REDACTED]";

static SECRETS: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    [
        // key=value and key="value" forms, also JSON-ish "key": "value" and percent-encoded '='.
        r#"(?i)\b(oauth_token|oauth_signature|oauth_nonce|oauth_verifier|oauth_token_secret|oauth_session_handle|password|passwd|pwd|secret|jsessionid|session_?id|atl\.xsrf\.token|seraph\.rememberme\.cookie|api_?key|access_token)("?\s*(?:=|:|%3D)\s*"?)([^\s"&,;}\]<>']+)"#,
        // Authorization / Proxy-Authorization headers: everything after the scheme.
        r#"(?i)\b((?:proxy-)?authorization)(\s*[:=]\s*(?:(?:OAuth|Basic|Bearer|Digest|NTLM|Negotiate)\s+)?)([^\r\n]+)"#,
        // Cookie headers.
        r#"(?i)\b(cookie|set-cookie)(\s*[:=]\s*)([^\r\n]+)"#,
    ]
    .iter()
    .map(|p| Regex::new(p).expect("static regex"))
    .collect()
});

/// `text` with every secret value replaced by [`MASK`].
pub fn redact(text: &str) -> Cow<'_, str> {
    let mut out = Cow::Borrowed(text);
    for re in SECRETS.iter() {
        if re.is_match(&out) {
            out = Cow::Owned(
                re.replace_all(&out, format!("${{1}}${{2}}{MASK}"))
                    .into_owned(),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let t = "oauth_problem=timestamp_refused oauth_acceptable_timestamps=1-2";
        assert!(matches!(redact(t), Cow::Borrowed(_)));
    }
}
