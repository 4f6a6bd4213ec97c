//! CLI tests on `sample-logs/`: the six products' logs in their real layouts, telling one
//! story (see `sample-logs/README.md`). They pin the exact causes, counts and products the
//! story was written to produce, the clock difference, redaction, exit codes, rotated and
//! gzipped inputs, and that every format gives the same bytes whatever the thread count.

use assert_cmd::Command;
use serde_json::Value;
use std::collections::BTreeMap;

/// Every finding the story produces: rule id, events, products (sorted as the report sorts them).
const EXPECTED: [(&str, u64, &[&str]); 12] = [
    ("oauth-timestamp-refused", 21, &["jira", "confluence"]),
    ("oauth-signature-invalid", 14, &["jira", "confluence"]),
    ("oauth-consumer-key-unknown", 8, &["jira", "bitbucket"]),
    ("ssl-untrusted-certificate", 8, &["bitbucket"]),
    ("network-unknown-host", 7, &["bamboo"]),
    ("ssl-hostname-mismatch", 5, &["fisheye"]),
    ("network-connect-timeout", 3, &["crowd"]),
    ("network-connection-refused", 3, &["bamboo"]),
    ("ssl-handshake-failure", 1, &["jira"]),
    ("network-read-timeout", 4, &["jira", "crowd"]),
    ("applinks-manifest-not-found", 2, &["fisheye"]),
    ("oauth-token-rejected", 2, &["crowd"]),
];

/// Confluence's clock runs this many seconds ahead of Jira's after its reboot.
const DESIGNED_SKEW_SECONDS: i64 = 421;

/// Secrets planted in the samples: OAuth tokens, signatures and a nonce in Jira's provider
/// lines, a signature in Confluence's, an `Authorization: OAuth` header in Crowd's.
const SECRETS: [&str; 7] = [
    "Q9vR2mX7kLp4TzA1bWc8NdE3fHy6JuGs",
    "Fm2Kd8Lq4Xz7Rb1Tn9Vc3Wy6Hs0Pj5Ga",
    "kT3n%2BqZ8vYx1Lw4RcB7mPd0sJf6hNa9E%3D",
    "4471093526618250193",
    "Nq7Lk2Xp%2FZr4Tb8Wm1Vc6Hd3Js0Fa9Ge%3D",
    "Hq3LxZ8wNc5Rm1Tv7Kb4Pd0Ys2Gj9FeA",
    "Wd5Kq%2Fn8Rz1Lm4Xc7Tb0Vh3Pj6Ys9Ea2Gu%3D",
];

/// Every log file of the samples, with the product it belongs to and whether its lines
/// carry evidence.
const SOURCES: [(&str, &str, bool); 16] = [
    ("bamboo-install/logs/atlassian-bamboo.log", "bamboo", true),
    (
        "bamboo-install/logs/atlassian-bamboo.log.1",
        "bamboo",
        false,
    ),
    (
        "bitbucket-home/log/atlassian-bitbucket.log",
        "bitbucket",
        true,
    ),
    (
        "bitbucket-home/log/atlassian-bitbucket.log.1",
        "bitbucket",
        true,
    ),
    (
        "bitbucket-home/log/atlassian-bitbucket.log.2024-03-04.gz",
        "bitbucket",
        true,
    ),
    ("bitbucket-install/logs/catalina.out", "bitbucket", false),
    (
        "confluence-home/logs/atlassian-confluence.log",
        "confluence",
        true,
    ),
    ("confluence-install/logs/catalina.out", "confluence", false),
    ("crowd-home/logs/atlassian-crowd.log", "crowd", true),
    (
        "crowd-install/apache-tomcat/logs/catalina.out",
        "crowd",
        false,
    ),
    (
        "fisheye-inst/var/log/atlassian-fisheye-2024-03-05.log",
        "fisheye",
        true,
    ),
    ("fisheye-inst/var/log/fisheye-debug.log.1", "fisheye", true),
    ("jira-home/log/atlassian-jira.log", "jira", true),
    ("jira-home/log/atlassian-jira.log.1", "jira", true),
    ("jira-home/log/atlassian-jira.log.2.gz", "jira", true),
    ("jira-install/logs/catalina.out", "jira", true),
];

/// Runs `linkdoctor scan sample-logs <extra>` from the crate root: (stdout, exit code).
fn scan(extra: &[&str]) -> (String, i32) {
    let out = Command::cargo_bin("linkdoctor")
        .expect("binary is built")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        // The scan time is part of JSON and NDJSON: fixed, so two runs compare byte for byte.
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .args(["scan", "sample-logs", "--quiet"])
        .args(extra)
        .output()
        .expect("linkdoctor runs");
    let code = out.status.code().expect("exit code");
    (String::from_utf8(out.stdout).expect("UTF-8 stdout"), code)
}

fn scan_json(extra: &[&str]) -> Value {
    let mut args = vec!["--format", "json"];
    args.extend_from_slice(extra);
    let (out, _) = scan(&args);
    serde_json::from_str(&out).expect("stdout is one JSON document")
}

fn findings(report: &Value) -> &Vec<Value> {
    report["findings"].as_array().expect("findings array")
}

fn finding<'a>(report: &'a Value, rule: &str) -> &'a Value {
    findings(report)
        .iter()
        .find(|f| f["rule"] == rule)
        .unwrap_or_else(|| panic!("no finding {rule}"))
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|s| s.as_str().expect("string").to_string())
        .collect()
}

#[test]
fn findings_are_exactly_the_story() {
    let report = scan_json(&[]);
    let got: BTreeMap<String, u64> = findings(&report)
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().expect("rule id").to_string(),
                f["count"].as_u64().expect("count"),
            )
        })
        .collect();
    let want: BTreeMap<String, u64> = EXPECTED
        .iter()
        .map(|(id, n, _)| (id.to_string(), *n))
        .collect();
    assert_eq!(got, want);
    for (id, _, products) in EXPECTED {
        assert_eq!(
            strings(&finding(&report, id)["products"]),
            products.to_vec(),
            "products of {id}"
        );
    }
    let total: u64 = EXPECTED.iter().map(|(_, n, _)| n).sum();
    assert_eq!(report["summary"]["events"].as_u64(), Some(total));
    assert_eq!(report["summary"]["findings"].as_u64(), Some(12));
    assert_eq!(report["summary"]["inputs"].as_u64(), Some(16));
    assert_eq!(report["summary"]["warnings"].as_u64(), Some(0));
}

#[test]
fn clock_skew_is_the_designed_seven_minutes() {
    let report = scan_json(&[]);
    let skew = &finding(&report, "oauth-timestamp-refused")["clock_skew"];
    let seconds = skew["seconds"].as_i64().expect("clock_skew.seconds");
    assert!(
        (seconds - DESIGNED_SKEW_SECONDS).abs() <= 2,
        "skew {seconds}s, designed {DESIGNED_SKEW_SECONDS}s"
    );
    assert_eq!(skew["basis"], "request_timestamp");
    assert_eq!(skew["samples"].as_u64(), Some(3));
    let facts = strings(&finding(&report, "oauth-timestamp-refused")["facts"]).join(" ");
    assert!(facts.contains("7m 01s ahead of"), "{facts}");
}

#[test]
fn the_signature_finding_shows_both_urls() {
    let report = scan_json(&[]);
    let hosts = &finding(&report, "oauth-signature-invalid")["values"]["host"];
    assert_eq!(hosts["confluence.example.com"].as_u64(), Some(7));
    assert_eq!(hosts["confluence-01.internal:8090"].as_u64(), Some(7));
    let hosts = &finding(&report, "network-unknown-host")["values"]["host"];
    assert_eq!(hosts["stash.example.com:7990"].as_u64(), Some(7));
}

#[test]
fn secrets_are_redacted_unless_asked() {
    for format in ["json", "ndjson", "markdown", "table"] {
        let (out, _) = scan(&["--format", format]);
        for secret in SECRETS {
            assert!(!out.contains(secret), "{secret} leaked in {format} output");
        }
        assert!(out.contains("[REDACTED]"), "{format} shows no mask");
    }
    let (json, _) = scan(&["--format", "json", "--no-redact"]);
    let (ndjson, _) = scan(&["--format", "ndjson", "--no-redact"]);
    for secret in SECRETS {
        assert!(
            json.contains(secret) || ndjson.contains(secret),
            "{secret} missing with --no-redact"
        );
    }
}

#[test]
fn exit_codes_follow_fail_on() {
    assert_eq!(scan(&["--format", "json"]).1, 1);
    assert_eq!(scan(&["--format", "json", "--fail-on", "critical"]).1, 0);
    assert_eq!(scan(&["--format", "json", "--fail-on", "warning"]).1, 1);
}

#[test]
fn rotated_and_gzipped_files_are_scanned() {
    let report = scan_json(&[]);
    let sources = report["sources"].as_array().expect("sources");
    assert_eq!(sources.len(), SOURCES.len());
    for (file, product, has_events) in SOURCES {
        let path = format!("sample-logs/{file}");
        let source = sources
            .iter()
            .find(|s| s["path"].as_str().is_some_and(|p| p.ends_with(&path)))
            .unwrap_or_else(|| panic!("{path} not in sources"));
        assert_eq!(source["product"], product, "{path}");
        assert!(source["lines"].as_u64().unwrap_or(0) > 0, "{path} read");
        let events = source["events"].as_u64().unwrap_or(0);
        assert_eq!(events > 0, has_events, "{path}: {events} events");
    }
    // The gzipped files are real gzip, read through the decoder.
    for gz in [
        "sample-logs/jira-home/log/atlassian-jira.log.2.gz",
        "sample-logs/bitbucket-home/log/atlassian-bitbucket.log.2024-03-04.gz",
    ] {
        let bytes = std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(gz))
            .expect("sample exists");
        assert_eq!(&bytes[..2], &[0x1f, 0x8b], "{gz} is gzip");
    }
    // Findings name the rotated files they come from.
    let files: Vec<String> = finding(&report, "ssl-untrusted-certificate")["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| f["path"].as_str().expect("path").to_string())
        .collect();
    assert!(files.iter().any(|p| p.ends_with(".log.2024-03-04.gz")));
    assert!(files.iter().any(|p| p.ends_with(".log.1")));
}

#[test]
fn ndjson_has_one_line_per_event() {
    let (out, code) = scan(&["--format", "ndjson"]);
    assert_eq!(code, 1);
    let lines: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    let events: Vec<&Value> = lines.iter().filter(|v| v["type"] == "event").collect();
    let summary = lines
        .iter()
        .find(|v| v["type"] == "summary")
        .expect("summary line");
    assert_eq!(Some(events.len() as u64), summary["events"].as_u64());
    let total: u64 = EXPECTED.iter().map(|(_, n, _)| n).sum();
    assert_eq!(events.len() as u64, total);
    for (id, n, _) in EXPECTED {
        let count = events.iter().filter(|e| e["rule"] == id).count() as u64;
        assert_eq!(count, n, "ndjson events of {id}");
    }
}

#[test]
fn markdown_and_table_name_every_finding() {
    for format in ["markdown", "table"] {
        let (out, code) = scan(&["--format", format, "--color", "never"]);
        assert_eq!(code, 1);
        for (id, _, _) in EXPECTED {
            assert!(out.contains(id), "{id} missing from {format}");
        }
    }
}

#[test]
fn same_bytes_with_one_or_two_threads() {
    for format in ["json", "ndjson", "markdown", "table"] {
        let one = scan(&["--format", format, "--threads", "1"]);
        let two = scan(&["--format", format, "--threads", "2"]);
        assert_eq!(one, two, "{format} differs between 1 and 2 threads");
    }
}

/// The samples keep each product's real line layout: every line is a head line in that
/// product's format or continues one (stack trace, Confluence's ` -- url:` line), and the
/// times of head lines never go backwards within a file.
#[test]
fn sample_lines_keep_each_products_layout() {
    let ts = r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3}";
    let layouts = [
        (
            "jira-home/log/atlassian-jira.log",
            format!(r"^{ts}\+0000 \S.* (INFO|WARN|ERROR) .*\[[\w.]+\] \S"),
        ),
        (
            "jira-home/log/atlassian-jira.log.1",
            format!(r"^{ts}\+0000 \S.* (INFO|WARN|ERROR) .*\[[\w.]+\] \S"),
        ),
        (
            "confluence-home/logs/atlassian-confluence.log",
            format!(r"^{ts} (INFO|WARN|ERROR) \[[^\]]+\] \[[\w.]+\] \w+ \S"),
        ),
        (
            "bitbucket-home/log/atlassian-bitbucket.log",
            format!(r"^{ts} (INFO |WARN |ERROR) \[[^\]]+\] +\S+ \S"),
        ),
        (
            "bamboo-install/logs/atlassian-bamboo.log",
            format!(r"^{ts} (INFO|WARN|ERROR) \[[^\]]+\] \[\w+\] \S"),
        ),
        (
            "crowd-home/logs/atlassian-crowd.log",
            format!(r"^{ts} (INFO|WARN|ERROR) \[[^\]]+\] \[[\w.]+\] \w+ \S"),
        ),
        (
            "fisheye-inst/var/log/atlassian-fisheye-2024-03-05.log",
            format!(r"^{ts} (INFO |WARN |ERROR|DEBUG) \[[^\]]+ \] fisheye \w+-\w+ - \S"),
        ),
        (
            "fisheye-inst/var/log/fisheye-debug.log.1",
            format!(r"^{ts} (INFO |WARN |ERROR|DEBUG) \[[^\]]+ \] fisheye \w+-\w+ - \S"),
        ),
    ];
    let continuation =
        regex::Regex::new(r"^(\t|Caused by: | -- url: |[a-z][\w.$]*\.\w+(Exception|Error)(: |$))")
            .expect("regex");
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-logs");
    for (file, layout) in layouts {
        let head = regex::Regex::new(&layout).expect("regex");
        let text = std::fs::read_to_string(root.join(file)).expect("sample exists");
        let mut heads = 0;
        let mut last_time = "";
        for (i, line) in text.lines().enumerate() {
            if head.is_match(line) {
                heads += 1;
                let time = &line[..23];
                assert!(time >= last_time, "{file}:{}: time goes backwards", i + 1);
                last_time = time;
            } else {
                assert!(
                    i > 0 && continuation.is_match(line),
                    "{file}:{}: not in the product's layout: {line}",
                    i + 1
                );
            }
        }
        assert!(heads >= 100, "{file}: only {heads} log lines");
    }
}

/// Jira and Confluence logs were scanned together: the report pairs the two ends of the link
/// and shows that Confluence rebuilt the signed URL without its proxy.
#[test]
fn both_ends_of_the_jira_confluence_link_are_paired() {
    let report = scan_json(&[]);
    let links = report["links"].as_array().expect("links array");
    let jc = links
        .iter()
        .find(|l| l["consumer"]["product"] == "jira" && l["provider"]["product"] == "confluence")
        .expect("a jira -> confluence pair");
    assert_eq!(jc["provider"]["rules"]["oauth-signature-invalid"], 7);
    let notes = strings(&jc["notes"]).join("\n");
    assert!(notes.contains("https://confluence.example.com"), "{notes}");
    assert!(
        notes.contains("http://confluence-01.internal:8090"),
        "{notes}"
    );
    let (table, _) = scan(&["--format", "table", "--color", "never"]);
    assert!(table.contains("Links seen from both ends"));
    // Confluence's logs alone cannot be paired with anything.
    let out = assert_cmd::Command::cargo_bin("linkdoctor")
        .unwrap()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "scan",
            "sample-logs/confluence-home",
            "--format",
            "json",
            "-q",
        ])
        .output()
        .unwrap();
    let alone: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(alone["links"].as_array().unwrap().is_empty());
}
