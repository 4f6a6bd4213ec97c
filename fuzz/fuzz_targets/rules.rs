//! Arbitrary bytes as a user rule file: parsed, compiled into a catalog, and the catalog
//! used to find candidates in, classify and locate the match of fixed events.
#![no_main]

use libfuzzer_sys::fuzz_target;
use linkdoctor::classify::Classifier;
use linkdoctor::rules::Catalog;
use linkdoctor::rules::load::parse_rule_file;

/// Synthetic events (not real log lines) that many rule shapes can match.
const EVENTS: [&str; 2] = [
    "2024-01-02 03:04:05,678 ERROR [http-nio-8080-exec-1] [c.a.o.s.OAuthFilter] \
     oauth_problem=signature_invalid url=https://jira.example.com/rest host=jira.example.com",
    "javax.net.ssl.SSLHandshakeException: PKIX path building failed\n\tat sun.security.ssl.Alert",
];

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let Ok(file) = parse_rule_file("fuzz.yaml", &text) else {
        return;
    };
    let (catalog, _errors) = Catalog::compile(vec![file]);
    for event in EVENTS {
        let _ = catalog.find_candidate(event.as_bytes(), 0);
        if let Some(c) = catalog.classify(event, None) {
            let _ = catalog.match_span(c.rule, event);
        }
    }
});
