//! Fleet runs: a big file split into chunks gives the same bytes out as one read, whatever
//! the thread count; `--state` reads only what is new, across appends, rename rotation and
//! copytruncate, and is left untouched when a run fails; a `<root>/<host>/...` share gives
//! per-host nodes; FIFOs and symlink loops are warnings; `--since`/`--until` filter by time.

use assert_cmd::Command;
use serde_json::Value;
use std::io::Write;
use std::path::Path;

const TIMESTAMP_REFUSED: &str = "2024-03-05 09:12:44,614-0600 http-nio-8080-exec-3 WARN anonymous 552x1041x1 - 10.20.1.7 /rest/api/2/search [c.a.oauth.serviceprovider.internal.AuthenticatorImpl] Rejecting OAuth request for url \"https://jira.example.com/rest/api/2/search\" due to invalid timestamp ({oauth_problem=timestamp_refused, oauth_acceptable_timestamps=1709651264-1709651864})\n";
const PKIX_TRACE: &str = "2024-03-05 09:30:12,442 ERROR [http-nio-8090-exec-6] [atlassian.applinks.core.DefaultApplicationLinkRequest] execute Unable to connect to https://jira.example.com\n\
com.atlassian.sal.api.net.ResponseException: javax.net.ssl.SSLHandshakeException: boom\n\
\tat com.atlassian.sal.core.net.HttpClientRequest.executeAndReturn(HttpClientRequest.java:102)\n\
Caused by: javax.net.ssl.SSLHandshakeException: PKIX path building failed: unable to find valid certification path to requested target\n\
\tat sun.security.ssl.Alert.createSSLException(Alert.java:131)\n";

fn run(args: &[&str]) -> (Vec<u8>, i32) {
    let out = Command::cargo_bin("linkdoctor")
        .unwrap()
        // A fixed scan time: runs compare byte for byte.
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .arg("scan")
        .args(args)
        .args(["--quiet"])
        .output()
        .unwrap();
    (out.stdout, out.status.code().unwrap())
}

fn json(args: &[&str]) -> Value {
    let mut a = args.to_vec();
    a.extend(["--format", "json"]);
    let (out, _) = run(&a);
    serde_json::from_slice(&out)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out)))
}

fn events(v: &Value) -> u64 {
    v["summary"]["events"].as_u64().unwrap()
}

fn lines_of(v: &Value, rule: &str) -> Vec<u64> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == rule)
        .flat_map(|f| f["files"].as_array().unwrap().iter())
        .flat_map(|f| {
            f["lines"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| l.as_u64().unwrap())
        })
        .collect()
}

fn big_log() -> String {
    let mut s = String::new();
    for i in 0..30_000 {
        s.push_str(&format!(
            "2024-03-05 09:{:02}:{:02},000 INFO [main] [c.a.j.Foo] ordinary line {i}\n",
            (i / 60) % 60,
            i % 60
        ));
        if i % 997 == 0 {
            s.push_str(PKIX_TRACE);
        }
        if i % 1499 == 0 {
            s.push_str(TIMESTAMP_REFUSED);
        }
    }
    s
}

#[test]
fn chunked_scan_is_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("catalina.out");
    std::fs::write(&path, big_log()).unwrap();
    let p = path.display().to_string();
    for format in ["json", "ndjson"] {
        let (whole, _) = run(&[&p, "--format", format, "-j", "1"]);
        let (chunked, _) = run(&[&p, "--format", format, "--chunk-bytes", "65536", "-j", "2"]);
        let (chunked1, _) = run(&[&p, "--format", format, "--chunk-bytes", "100000", "-j", "1"]);
        assert!(!whole.is_empty());
        assert_eq!(
            whole, chunked,
            "{format}: 64 KiB chunks differ from one read"
        );
        assert_eq!(whole, chunked1, "{format}: 100 kB chunks differ");
    }
}

fn append(path: &Path, text: &str) {
    let mut f = std::fs::OpenOptions::new().append(true).open(path).unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

#[test]
fn state_reads_only_new_lines_across_rotation_and_truncation() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    let log = logs.join("atlassian-jira.log");
    let state = dir.path().join("state.json");
    let (l, s) = (logs.display().to_string(), state.display().to_string());
    let header = "2024-03-05 09:00:00,000 INFO [main] [c.a.startup] Jira starting, a long first line that makes the fingerprint\n";

    std::fs::write(
        &log,
        format!("{header}{TIMESTAMP_REFUSED}{TIMESTAMP_REFUSED}"),
    )
    .unwrap();
    let v = json(&[&l, "--state", &s]);
    assert_eq!(events(&v), 2);
    assert!(state.exists());

    // Nothing new: nothing found, no warning.
    let v = json(&[&l, "--state", &s]);
    assert_eq!(events(&v), 0);
    assert_eq!(v["summary"]["warnings"], 0, "{v}");

    // Appended, with an incomplete last line left for later; line numbers go on.
    append(&log, TIMESTAMP_REFUSED);
    append(
        &log,
        "2024-03-05 09:13:00,000 WARN partial line without newl",
    );
    let v = json(&[&l, "--state", &s]);
    assert_eq!(events(&v), 1);
    assert_eq!(lines_of(&v, "oauth-timestamp-refused"), [4]);
    append(&log, "ine\n");

    // Rename rotation: the old file's rest and the new file are read, nothing twice.
    append(&log, TIMESTAMP_REFUSED);
    std::fs::rename(&log, logs.join("atlassian-jira.log.1")).unwrap();
    std::fs::write(&log, format!("{header}{TIMESTAMP_REFUSED}")).unwrap();
    let v = json(&[&l, "--state", &s]);
    assert_eq!(events(&v), 2, "{v}");
    let v = json(&[&l, "--state", &s]);
    assert_eq!(events(&v), 0);

    // Copytruncate: the copy is recognised, the truncated file is read from its start.
    std::fs::copy(&log, logs.join("atlassian-jira.log.2")).unwrap();
    std::fs::write(&log, format!("{header}{TIMESTAMP_REFUSED}")).unwrap();
    append(&log, "2024-03-05 09:14:00,000 INFO x\n");
    let v = json(&[&l, "--state", &s]);
    assert_eq!(events(&v), 1, "only the truncated file's new event: {v}");

    // A failing run (bad --since) leaves the state as it was.
    let before = std::fs::read(&state).unwrap();
    append(&log, TIMESTAMP_REFUSED);
    let (_, code) = run(&[&l, "--state", &s, "--since", "not-a-time"]);
    assert_eq!(code, 2);
    assert_eq!(std::fs::read(&state).unwrap(), before);
    let v = json(&[&l, "--state", &s]);
    assert_eq!(
        events(&v),
        1,
        "the event appended before the failed run is read once"
    );

    // A corrupt state file is fatal, not a silent full re-read.
    std::fs::write(&state, b"{broken").unwrap();
    let (_, code) = run(&[&l, "--state", &s]);
    assert_eq!(code, 2);
}

#[test]
fn state_remembers_support_zips_and_gzips() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("share");
    std::fs::create_dir(&logs).unwrap();
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    w.start_file(
        "application-logs/atlassian-jira.log",
        zip::write::SimpleFileOptions::default(),
    )
    .unwrap();
    w.write_all(format!("{TIMESTAMP_REFUSED}{TIMESTAMP_REFUSED}").as_bytes())
        .unwrap();
    std::fs::write(logs.join("support.zip"), w.finish().unwrap().into_inner()).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(PKIX_TRACE.as_bytes()).unwrap();
    std::fs::write(logs.join("catalina.out.1.gz"), gz.finish().unwrap()).unwrap();
    let state = dir.path().join("state.json");
    let (l, s) = (logs.display().to_string(), state.display().to_string());
    assert_eq!(events(&json(&[&l, "--state", &s])), 3);
    assert_eq!(events(&json(&[&l, "--state", &s])), 0);
    // Without the state, everything again.
    assert_eq!(events(&json(&[&l])), 3);
}

#[test]
fn fleet_share_groups_by_host() {
    let dir = tempfile::tempdir().unwrap();
    for host in ["web1", "web2"] {
        let d = dir.path().join(host).join("jira/log");
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("atlassian-jira.log"), TIMESTAMP_REFUSED).unwrap();
    }
    let d = dir.path().join("web2/confluence/logs");
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join("atlassian-confluence.log"), PKIX_TRACE).unwrap();
    let root = dir.path().display().to_string();
    let v = json(&[&root, "--group-by", "node"]);
    let summary = v["node_summary"].as_array().unwrap();
    assert_eq!(summary.len(), 2);
    assert_eq!(summary[0]["node"], "web1");
    assert_eq!(
        summary[1]["products"],
        serde_json::json!(["jira", "confluence"])
    );
    assert_eq!(summary[1]["events"], 2);
    let (table, _) = run(&[&root, "--group-by", "node", "--color", "never"]);
    let table = String::from_utf8(table).unwrap();
    assert!(table.contains("Per node"), "{table}");
    let v = json(&[&root, "--group-by", "product"]);
    let groups: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["group"].as_str().unwrap())
        .collect();
    assert_eq!(groups, ["confluence", "jira"]);
}

#[cfg(unix)]
#[test]
fn fifos_and_symlink_loops_are_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("atlassian-jira.log"), TIMESTAMP_REFUSED).unwrap();
    let fifo = d.join("catalina.out");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    std::fs::create_dir(d.join("sub")).unwrap();
    std::os::unix::fs::symlink(d, d.join("sub/loop")).unwrap();
    // A link to the root from the root itself, and one to its own folder: the folders under
    // the root are walked apart, and each loop is still seen.
    std::os::unix::fs::symlink(d, d.join("top-loop")).unwrap();
    std::os::unix::fs::symlink("../sub", d.join("sub/self")).unwrap();
    let root = d.display().to_string();
    let v = json(&[&root]);
    let w = v["warnings"].to_string();
    assert!(w.contains("FIFO"), "{w}");
    assert_eq!(w.matches("symbolic link loop").count(), 3, "{w}");
    assert_eq!(events(&v), 1);
    let v = json(&[&root, &fifo.display().to_string()]);
    assert!(v["warnings"].to_string().contains("not a regular file"));
}

#[test]
fn since_and_until_filter_by_event_time() {
    let dir = tempfile::tempdir().unwrap();
    // Jira with offsets: 09:12:44-0600 is 15:12:44 UTC.
    let jira = dir.path().join("atlassian-jira.log");
    std::fs::write(&jira, TIMESTAMP_REFUSED).unwrap();
    // Confluence without offset: 09:30:12 local time.
    let conf = dir.path().join("atlassian-confluence.log");
    std::fs::write(&conf, PKIX_TRACE).unwrap();
    let root = dir.path().display().to_string();
    let count = |extra: &[&str]| {
        let mut a = vec![root.as_str(), "--timezone", "UTC"];
        a.extend_from_slice(extra);
        events(&json(&a))
    };
    assert_eq!(count(&[]), 2);
    assert_eq!(count(&["--since", "2024-03-05T15:00:00Z"]), 1);
    assert_eq!(
        count(&["--since", "2024-03-05 09:00", "--until", "2024-03-05 10:00"]),
        1
    );
    assert_eq!(count(&["--until", "2024-03-05T15:12:45Z"]), 2);
    // In Tokyo, 09:30 local is 00:30 UTC: before 09:00 UTC.
    let v = json(&[
        &root,
        "--timezone",
        "Asia/Tokyo",
        "--since",
        "2024-03-05T09:00:00Z",
    ]);
    assert_eq!(events(&v), 1);
    assert_eq!(count(&["--since", "24h"]), 0);
}
