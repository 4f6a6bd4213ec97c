//! The streaming core seen from the command line: NDJSON events come out in input order and
//! byte-identical whatever the thread count and however big files are cut into chunks; the
//! JSON report agrees with the stream; a flood of events is counted exactly while only the
//! first line numbers are listed; and a scan that read nothing says so and exits 2.
//! All log lines here are synthetic, in the products' layouts.

mod common;

use common::{linkdoctor, write};
use serde_json::Value;
use tempfile::TempDir;

const NOISE: &str = "2024-03-01 10:00:00,000+0000 INFO [main] [c.a.j.Foo] ordinary line\n";
const REFUSED: &str = "2024-03-01 10:00:01,000+0000 WARN [Caesium-1-4] [c.a.applinks.core.DefaultApplicationLinkRequest] Request to http://bitbucket.example.com:7990 failed: Connect to bitbucket.example.com:7990 failed: Connection refused\n";
const PKIX: &str = "2024-03-01 10:00:02,000+0000 ERROR [http-nio-8080-exec-6] [c.a.applinks.core.DefaultApplicationLinkRequest] Unable to connect to https://confluence.example.com\njavax.net.ssl.SSLHandshakeException: PKIX path building failed: unable to find valid certification path to requested target\n\tat sun.security.ssl.Alert.createSSLException(Alert.java:131)\n";

fn run(args: &[&str]) -> (String, String, i32) {
    let out = linkdoctor().args(args).output().expect("runs");
    (
        String::from_utf8(out.stdout).expect("utf-8 stdout"),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().expect("exit code"),
    )
}

/// A tree whose big file is cut into many chunks with a small `--chunk-bytes`.
fn tree() -> TempDir {
    let d = TempDir::new().unwrap();
    let mut big = String::new();
    for i in 0..6000 {
        big.push_str(NOISE);
        if i % 7 == 0 {
            big.push_str(REFUSED);
        }
        if i % 501 == 0 {
            big.push_str(PKIX);
        }
    }
    write(d.path(), "a/atlassian-jira.log", big.as_bytes());
    for i in 0..5 {
        let body = format!("{NOISE}{}{PKIX}", REFUSED.repeat(i + 1));
        write(
            d.path(),
            &format!("b{i}/atlassian-confluence.log"),
            body.as_bytes(),
        );
    }
    d
}

#[test]
fn ndjson_is_in_input_order_and_identical_whatever_threads_and_chunks() {
    let d = tree();
    let p = d.path().to_str().unwrap();
    let base = ["scan", p, "--format", "ndjson", "--quiet"];
    let (one, _, code) = run(&[&base[..], &["--threads", "1"]].concat());
    assert_eq!(code, 1);
    for extra in [
        &["--threads", "2"][..],
        &["--threads", "2", "--chunk-bytes", "64K"][..],
        &["--threads", "3", "--chunk-bytes", "70000"][..],
        &["--threads", "1", "--chunk-bytes", "64K"][..],
    ] {
        let (other, _, _) = run(&[&base[..], extra].concat());
        assert_eq!(one, other, "differs with {extra:?}");
    }
    // Events come in input order: by path, then by line within a path.
    let events: Vec<Value> = one
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("JSON line"))
        .filter(|v| v["type"] == "event")
        .collect();
    let keys: Vec<(String, u64)> = events
        .iter()
        .map(|e| {
            (
                e["path"].as_str().unwrap().to_string(),
                e["line"].as_u64().unwrap(),
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    // Line numbers are the real ones, also in chunks read after the first.
    let text = std::fs::read_to_string(d.path().join("a/atlassian-jira.log")).unwrap();
    let one_line_events = events.iter().filter(|e| {
        e["path"].as_str().unwrap().contains("/a/") && e["rule"] == "network-connection-refused"
    });
    let mut checked = 0;
    for e in one_line_events {
        let line = e["line"].as_u64().unwrap() as usize;
        assert_eq!(
            e["evidence"],
            text.lines().nth(line - 1).unwrap(),
            "line {line}"
        );
        checked += 1;
    }
    assert_eq!(checked, 858);
    // The summary line counts exactly the events streamed.
    let summary: Value = serde_json::from_str(one.lines().last().unwrap()).unwrap();
    assert_eq!(summary["type"], "summary");
    assert_eq!(summary["events"].as_u64().unwrap(), events.len() as u64);
}

#[test]
fn json_report_agrees_with_the_stream_and_caps_line_lists() {
    let d = tree();
    let p = d.path().to_str().unwrap();
    let (json, _, _) = run(&[
        "scan",
        p,
        "--format",
        "json",
        "--quiet",
        "--chunk-bytes",
        "64K",
    ]);
    let v: Value = serde_json::from_str(&json).unwrap();
    let refused = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "network-connection-refused")
        .expect("connection refused finding");
    let big = refused["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"].as_str().unwrap().contains("/a/"))
        .unwrap();
    // 6000 / 7 rounded up events in the big file; only the first 50 lines are listed.
    assert_eq!(big["count"].as_u64().unwrap(), 858);
    let lines = big["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 50);
    assert_eq!(lines[0].as_u64().unwrap(), 2);
    let (unchunked, _, _) = run(&["scan", p, "--format", "json", "--quiet"]);
    assert_eq!(json, unchunked, "chunking changes nothing in the report");
    let (nd, _, _) = run(&["scan", p, "--format", "ndjson", "--quiet"]);
    let streamed = nd
        .lines()
        .filter(|l| l.contains("\"type\":\"event\""))
        .count() as u64;
    assert_eq!(v["summary"]["events"].as_u64().unwrap(), streamed);
}

#[test]
fn a_scan_that_read_nothing_exits_2_and_says_why() {
    let d = TempDir::new().unwrap();
    // An empty folder.
    let empty = d.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let (out, err, code) = run(&["scan", empty.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty(), "no report, no 'all clear': {out}");
    assert!(
        err.contains("nothing was read") && err.contains("empty"),
        "{err}"
    );
    // Only files that are not logs.
    let other = d.path().join("other");
    write(&other, "notes.txt", b"hello\n");
    write(&other, "image.png", b"\x89PNG\r\n");
    let (_, err, code) = run(&["scan", other.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no log file found"), "{err}");
    // A single unreadable input: a dangling link named like a log.
    let gone = d.path().join("atlassian-jira.log");
    std::os::unix::fs::symlink(d.path().join("nowhere"), &gone).unwrap();
    let (_, err, code) = run(&["scan", gone.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("nothing was read") && err.contains("atlassian-jira.log"),
        "{err}"
    );
    // Only binary logs: each was looked at and skipped.
    let bin = d.path().join("bin");
    write(&bin, "atlassian-jira.log", b"\x7fELF\x00\x00\x00binary");
    let (_, err, code) = run(&["scan", bin.to_str().unwrap(), "--format", "json"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("binary"), "{err}");
    // An empty log file was read: it is a log with nothing in it, not nothing read.
    let quiet = d.path().join("quiet");
    write(&quiet, "atlassian-jira.log", b"");
    let (_, err, code) = run(&["scan", quiet.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
}
