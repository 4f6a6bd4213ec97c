//! CLI tests of `linkdoctor scan` on files made on the fly: every kind of bad input becomes a
//! warning naming the path (in every output format) while the scan goes on, exit codes follow
//! --fail-on and --strict, every format parses back, and output does not depend on --threads.

mod common;
use common::*;

use serde_json::Value;
use std::path::Path;
use tempfile::TempDir;

const TIMESTAMP_REFUSED: &str = "2024-03-05 09:12:44,614-0600 http-nio-8080-exec-3 WARN anonymous 552x1041x1 - 10.20.1.7 /rest/api/2/search [c.a.oauth.serviceprovider.internal.AuthenticatorImpl] Rejecting OAuth request for url \"https://jira.example.com/rest/api/2/search?oauth_token=SECRETTOKEN42\" due to invalid timestamp ({oauth_problem=timestamp_refused, oauth_acceptable_timestamps=1709651264-1709651864})\n";
const PKIX: &str = "2024-03-05 09:30:12,442 ERROR [http-nio-8090-exec-6] [atlassian.applinks.core.DefaultApplicationLinkRequest] execute Unable to connect to https://jira.example.com\n\
com.atlassian.sal.api.net.ResponseException: javax.net.ssl.SSLHandshakeException: PKIX path building failed\n\
\tat com.atlassian.sal.core.net.HttpClientRequest.executeAndReturn(HttpClientRequest.java:102)\n\
Caused by: javax.net.ssl.SSLHandshakeException: PKIX path building failed: unable to find valid certification path to requested target\n\
\tat sun.security.ssl.Alert.createSSLException(Alert.java:131)\n";
const NOISE: &str =
    "2024-03-05 09:00:00,000 INFO [main] [c.a.startup] Application started in 42 s\n";

fn json(dir: &Path, extra: &[&str]) -> (Value, i32, String) {
    let out = linkdoctor()
        .arg("scan")
        .arg(dir)
        .args(["--format", "json", "--quiet"])
        .args(extra)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    (
        v,
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn finding_counts(v: &Value) -> Vec<(String, u64)> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["count"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// A directory with one good log and every kind of bad input next to it.
fn bad_inputs() -> TempDir {
    let d = TempDir::new().unwrap();
    let good = format!("{NOISE}{TIMESTAMP_REFUSED}{NOISE}");
    write(d.path(), "good/atlassian-jira.log", good.as_bytes());
    write(d.path(), "empty/atlassian-jira.log", b"");
    write(
        d.path(),
        "binary/atlassian-jira.log",
        b"\x7fELF\x02\x01\x01\x00\x00\x00binary",
    );
    let mut latin1 = NOISE.as_bytes().to_vec();
    latin1.extend_from_slice(b"2024-03-05 09:00:01,000 INFO [main] [c.a.x] caf\xe9 cr\xe8me\n");
    // Invalid UTF-8 in an event is decoded lossily and warned about (elsewhere it is never
    // decoded, so never looked for).
    let pkix = PKIX.as_bytes();
    let eol = pkix.iter().position(|&b| b == b'\n').unwrap();
    latin1.extend_from_slice(&pkix[..eol]);
    latin1.extend_from_slice(b" caf\xe9");
    latin1.extend_from_slice(&pkix[eol..]);
    write(d.path(), "latin1/atlassian-confluence.log", &latin1);
    let mut truncated = gz(format!("{NOISE}{TIMESTAMP_REFUSED}")
        .repeat(2000)
        .as_bytes());
    truncated.truncate(truncated.len() / 2);
    write(d.path(), "truncated/atlassian-jira.log.1.gz", &truncated);
    let mut corrupt = gz(NOISE.repeat(100).as_bytes());
    let mid = corrupt.len() / 2;
    for b in &mut corrupt[mid..mid + 16] {
        *b ^= 0xff;
    }
    write(d.path(), "corrupt/atlassian-jira.log.2.gz", &corrupt);
    let mut long = NOISE.as_bytes().to_vec();
    long.extend(std::iter::repeat_n(b'x', 50 * 1024 * 1024));
    long.extend_from_slice(b" oauth_problem=signature_invalid\n");
    long.extend_from_slice(NOISE.as_bytes());
    write(d.path(), "long/atlassian-jira.log", &long);
    d
}

#[test]
fn bad_inputs_are_warnings_and_the_scan_goes_on() {
    let d = bad_inputs();
    let (v, code, stderr) = json(d.path(), &[]);
    assert_eq!(code, 1, "findings at error level give exit 1");
    let warnings: Vec<String> = v["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            format!(
                "{}: {}",
                w["path"].as_str().unwrap(),
                w["message"].as_str().unwrap()
            )
        })
        .collect();
    let has = |path_part: &str, msg_part: &str| {
        warnings
            .iter()
            .any(|w| w.contains(path_part) && w.contains(msg_part))
    };
    assert!(has("empty/", "empty"), "{warnings:#?}");
    assert!(has("binary/", "binary"), "{warnings:#?}");
    assert!(has("latin1/", "UTF-8"), "{warnings:#?}");
    assert!(has("truncated/", "gzip"), "{warnings:#?}");
    assert!(has("corrupt/", "gzip"), "{warnings:#?}");
    assert!(has("long/", "longer than"), "{warnings:#?}");
    // --quiet keeps stderr clean; the warnings are in the report.
    assert!(stderr.is_empty(), "{stderr}");
    let counts = finding_counts(&v);
    let get = |id: &str| counts.iter().find(|(r, _)| r == id).map(|(_, n)| *n);
    assert_eq!(get("ssl-untrusted-certificate"), Some(1), "{counts:?}");
    assert_eq!(get("oauth-signature-invalid"), Some(1), "{counts:?}");
    // The good file plus whatever the truncated gzip yielded before the cut.
    assert!(get("oauth-timestamp-refused").unwrap() >= 2, "{counts:?}");
}

#[test]
fn warnings_go_to_stderr_and_strict_makes_them_fatal() {
    let d = bad_inputs();
    let out = linkdoctor()
        .arg("scan")
        .arg(d.path())
        .args(["--fail-on", "critical"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("linkdoctor: warning:") && stderr.contains("binary"),
        "{stderr}"
    );
    let out = linkdoctor()
        .arg("scan")
        .arg(d.path())
        .args(["--fail-on", "critical", "--strict", "--quiet"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn every_format_shows_warnings_and_parses_back() {
    let d = bad_inputs();
    for format in ["table", "markdown"] {
        let out = linkdoctor()
            .arg("scan")
            .arg(d.path())
            .args(["--format", format, "--quiet", "--color", "never"])
            .output()
            .unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains("binary"), "{format}: {text}");
        assert!(text.contains("oauth-timestamp-refused"), "{format}");
        assert!(
            !text.contains('\x1b'),
            "{format} has colour with --color never"
        );
    }
    let out = linkdoctor()
        .arg("scan")
        .arg(d.path())
        .args(["--format", "ndjson", "--quiet"])
        .output()
        .unwrap();
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    let kinds = |k: &str| lines.iter().filter(|v| v["type"] == k).count();
    let summary = lines.last().unwrap();
    assert_eq!(summary["type"], "summary");
    assert_eq!(kinds("event") as u64, summary["events"].as_u64().unwrap());
    assert_eq!(
        kinds("warning") as u64,
        summary["warnings"].as_u64().unwrap()
    );
    assert!(kinds("warning") >= 6);
}

#[test]
fn output_is_identical_whatever_the_thread_count() {
    let d = TempDir::new().unwrap();
    for i in 0..12 {
        let body = format!(
            "{NOISE}{}{PKIX}{NOISE}",
            TIMESTAMP_REFUSED.repeat(i % 3 + 1)
        );
        write(
            d.path(),
            &format!("n{i}/atlassian-jira.log"),
            body.as_bytes(),
        );
    }
    for (format, group) in [
        ("table", "cause"),
        ("json", "cause"),
        ("ndjson", "cause"),
        ("markdown", "cause"),
        ("json", "remote"),
    ] {
        let run = |threads: &str| {
            linkdoctor()
                .arg("scan")
                .arg(d.path())
                .args(["--format", format, "--threads", threads, "--quiet"])
                .args(["--group-by", group])
                .output()
                .unwrap()
                .stdout
        };
        let one = run("1");
        assert!(!one.is_empty());
        assert_eq!(one, run("2"), "{format}");
        assert_eq!(one, run("4"), "{format}");
    }
}

#[test]
fn evidence_is_redacted_unless_asked() {
    let d = TempDir::new().unwrap();
    write(d.path(), "atlassian-jira.log", TIMESTAMP_REFUSED.as_bytes());
    for format in ["table", "json", "ndjson", "markdown"] {
        let out = linkdoctor()
            .arg("scan")
            .arg(d.path())
            .args(["--format", format, "--quiet"])
            .output()
            .unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(!text.contains("SECRETTOKEN42"), "{format} leaks the token");
        assert!(text.contains("[REDACTED]"), "{format}");
    }
    let out = linkdoctor()
        .arg("scan")
        .arg(d.path())
        .args(["--format", "json", "--no-redact", "--quiet"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .contains("SECRETTOKEN42")
    );
}

#[test]
fn stdin_and_gzip_by_magic() {
    let out = linkdoctor()
        .args(["scan", "-", "--format", "json", "--quiet"])
        .write_stdin(gz(format!("{NOISE}{PKIX}").as_bytes()))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        finding_counts(&v),
        vec![("ssl-untrusted-certificate".to_string(), 1)]
    );
    assert_eq!(v["findings"][0]["files"][0]["path"], "<stdin>");
    // A plain file named .gz is still read as plain text.
    let d = TempDir::new().unwrap();
    write(d.path(), "atlassian-jira.log.gz", PKIX.as_bytes());
    let (v, _, _) = json(d.path(), &[]);
    assert_eq!(
        finding_counts(&v),
        vec![("ssl-untrusted-certificate".to_string(), 1)]
    );
    assert_eq!(v["findings"][0]["files"][0]["lines"][0], 1);
}

#[test]
fn exit_codes_follow_fail_on() {
    let d = TempDir::new().unwrap();
    write(d.path(), "atlassian-jira.log", NOISE.as_bytes());
    linkdoctor().arg("scan").arg(d.path()).assert().code(0);
    write(d.path(), "atlassian-confluence.log", PKIX.as_bytes());
    linkdoctor()
        .arg("scan")
        .arg(d.path())
        .arg("-q")
        .assert()
        .code(1);
    linkdoctor()
        .arg("scan")
        .arg(d.path())
        .args(["-q", "--fail-on", "critical"])
        .assert()
        .code(0);
    linkdoctor()
        .args(["scan", "/nonexistent/path/for/linkdoctor"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "/nonexistent/path/for/linkdoctor",
        ));
    linkdoctor()
        .args(["scan", "--format", "yaml", "x"])
        .assert()
        .code(2);
}

#[test]
fn colour_follows_the_flags_and_no_color() {
    let d = TempDir::new().unwrap();
    write(d.path(), "atlassian-jira.log", PKIX.as_bytes());
    let out = linkdoctor()
        .arg("scan")
        .arg(d.path())
        .args(["--color", "always", "-q"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains('\x1b'));
    // auto: stdout is a pipe here, so no colour.
    let out = linkdoctor()
        .arg("scan")
        .arg(d.path())
        .arg("-q")
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&out.stdout).contains('\x1b'));
}

#[cfg(unix)]
#[test]
fn unreadable_file_is_a_warning() {
    // A log whose target is gone cannot be opened, even by root (permission bits do not stop
    // root, so they cannot be used to make this test meaningful in CI).
    let d = TempDir::new().unwrap();
    write(d.path(), "ok/atlassian-jira.log", PKIX.as_bytes());
    std::fs::create_dir_all(d.path().join("gone")).unwrap();
    std::os::unix::fs::symlink(
        d.path().join("gone/rotated-away.log"),
        d.path().join("gone/atlassian-jira.log"),
    )
    .unwrap();
    let (v, code, _) = json(d.path(), &[]);
    assert_eq!(code, 1);
    let w = v["warnings"].to_string();
    assert!(w.contains("gone/atlassian-jira.log"), "{w}");
    assert_eq!(
        finding_counts(&v),
        vec![("ssl-untrusted-certificate".to_string(), 1)]
    );
    // Named directly on the command line it is a warning too, and the other path still scans.
    let out = linkdoctor()
        .arg("scan")
        .arg(d.path().join("gone/atlassian-jira.log"))
        .arg(d.path().join("ok"))
        .args(["--format", "json", "-q"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["warnings"].to_string().contains("no such file"), "{v}");
    assert_eq!(v["summary"]["findings"], 1);
}

/// Synthetic events naming their remote end in the forms the catalog knows (labelled
/// synthetic: written for this test in the layout of Jira's log).
const REFUSED_PORT: &str = "2024-03-05 12:00:01,000-0600 Caesium-1-3 ERROR ServiceRunner [c.a.applinks.core.DefaultApplicationLinkRequest] Unable to reach Bamboo\njava.net.ConnectException: Connection refused\nCaused by: org.apache.http.conn.HttpHostConnectException: Connect to bamboo.example.com:8085 [bamboo.example.com/10.0.0.9] failed: Connection refused\n";
const REFUSED_NO_HOST: &str = "2024-03-05 12:00:02,000-0600 Caesium-1-3 ERROR ServiceRunner [c.a.applinks.core.DefaultApplicationLinkRequest] Unable to reach the remote application\njava.net.ConnectException: Connection refused (Connection refused)\n";

#[test]
fn group_by_remote_splits_findings_per_remote_end() {
    let d = TempDir::new().unwrap();
    let log = format!(
        "{NOISE}{PKIX}{TIMESTAMP_REFUSED}{REFUSED_PORT}{REFUSED_PORT}{REFUSED_NO_HOST}{NOISE}"
    );
    write(d.path(), "jira-home/log/atlassian-jira.log", log.as_bytes());

    // By cause: each finding lists its remote ends, with counts and kind.
    let (v, _, _) = json(d.path(), &[]);
    let findings = v["findings"].as_array().unwrap();
    let refused = findings
        .iter()
        .find(|f| f["rule"] == "network-connection-refused")
        .expect("connection refused");
    assert_eq!(refused["count"], 3);
    assert_eq!(refused["remotes"]["kind"], "applink");
    assert_eq!(
        refused["remotes"]["ends"],
        serde_json::json!([{"remote": "bamboo.example.com:8085", "count": 2}])
    );
    assert_eq!(refused["remotes"]["not_named"], 1);
    assert_eq!(refused["remotes"]["not_listed"], 0);
    assert!(refused.get("group").is_none());

    // By remote end: one finding per cause and remote, `-` for events that name none.
    let (v, _, _) = json(d.path(), &["--group-by", "remote"]);
    assert_eq!(v["group_by"], "remote");
    let mut groups: Vec<(String, String, u64)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["group"].as_str().unwrap().to_string(),
                f["rule"].as_str().unwrap().to_string(),
                f["count"].as_u64().unwrap(),
            )
        })
        .collect();
    groups.sort();
    assert_eq!(
        groups,
        [
            ("-".into(), "network-connection-refused".into(), 1),
            (
                "bamboo.example.com:8085".into(),
                "network-connection-refused".into(),
                2
            ),
            (
                "jira.example.com".into(),
                "oauth-timestamp-refused".into(),
                1
            ),
            (
                "jira.example.com".into(),
                "ssl-untrusted-certificate".into(),
                1
            ),
        ]
    );
    // Every group still has a sample: the event itself, or its matching line.
    assert!(
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["sample"]["line"].as_u64().is_some())
    );

    // The table names the group column and the remote of each finding.
    let out = linkdoctor()
        .arg("scan")
        .arg(d.path())
        .args(["--group-by", "remote", "--quiet", "--color", "never"])
        .env("COLUMNS", "80")
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Remote"), "{text}");
    assert!(text.contains("[bamboo.example.com:8085]"), "{text}");
    assert!(
        text.contains("Remote (application link): bamboo.example.com:8085 (2)"),
        "{text}"
    );
    assert!(
        text.contains("Remote (application link): not named in the events"),
        "{text}"
    );
    let md = linkdoctor()
        .arg("scan")
        .arg(d.path())
        .args(["--group-by", "remote", "--quiet", "--format", "markdown"])
        .output()
        .unwrap();
    let md = String::from_utf8(md.stdout).unwrap();
    assert!(md.contains("| Remote | Severity |"), "{md}");
    assert!(md.contains("| `bamboo.example.com:8085` | error |"), "{md}");
    // Addresses stay whole; everything else fits.
    for line in text.lines().filter(|l| !l.contains("://")) {
        assert!(line.chars().count() <= 80, "wider than 80: {line}");
    }
}

#[test]
fn the_symptom_stays_visible_as_context() {
    let d = TempDir::new().unwrap();
    write(
        d.path(),
        "jira-home/log/atlassian-jira.log",
        format!("{NOISE}{PKIX}").as_bytes(),
    );
    let (v, _, _) = json(d.path(), &[]);
    let f = &v["findings"][0];
    assert_eq!(f["rule"], "ssl-untrusted-certificate");
    let symptoms = f["symptoms"].as_array().unwrap();
    assert!(
        symptoms
            .iter()
            .any(|s| s["rule"] == "ssl-handshake-failure"),
        "{symptoms:?}"
    );
    let context = f["context"].as_str().unwrap();
    assert!(context.contains(", because: "), "{context}");
    assert!(context.ends_with(f["title"].as_str().unwrap()), "{context}");
    for format in ["table", "markdown", "jira", "html"] {
        let out = linkdoctor()
            .arg("scan")
            .arg(d.path())
            .args(["--format", format, "--quiet", "--color", "never"])
            .env("COLUMNS", "200")
            .output()
            .unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains("Context"), "{format}: {text}");
        assert!(text.contains("because:"), "{format}: {text}");
    }
}
