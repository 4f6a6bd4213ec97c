//! Precision: the benign corpus of `tests/benign/` (INFO/DEBUG lines of the six products that
//! mention OAuth, TLS, certificates, application links, proxies and time-outs without being
//! failures) must produce no finding at all, and must stay big enough to mean something.

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;

const PRODUCTS: [&str; 6] = [
    "jira",
    "confluence",
    "bitbucket",
    "bamboo",
    "crowd",
    "fisheye",
];

fn benign_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/benign"))
}

#[test]
fn benign_corpus_is_non_trivial() {
    let mut total = 0;
    for p in PRODUCTS {
        let text = std::fs::read_to_string(benign_dir().join(format!("{p}.log"))).unwrap();
        let lines = text.lines().count();
        assert!(lines >= 40, "{p}.log has only {lines} lines");
        total += lines;
    }
    assert!(total >= 300, "benign corpus has only {total} lines");
}

#[test]
fn benign_corpus_produces_no_findings() {
    let out = Command::cargo_bin("linkdoctor")
        .unwrap()
        .args(["scan", "--format", "json", "--fail-on", "info"])
        .arg(benign_dir())
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("no JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!(
        report["summary"]["findings"], 0,
        "benign lines classified as failures: {:#}",
        report["findings"]
    );
    assert_eq!(report["summary"]["inputs"], PRODUCTS.len());
    assert!(report["summary"]["lines"].as_u64().unwrap() >= 300);
    assert_eq!(out.status.code(), Some(0));
}
