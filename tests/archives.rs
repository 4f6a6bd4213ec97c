//! Support zips and gzips built on the fly: members are read in place and named
//! `x.zip!member:line`, gzip inside zip and zips inside zips work, and every hostile or
//! broken archive (zip and gzip bombs, truncated zip, encrypted member, unsupported method,
//! `../` member name, too deep, too big) is a warning naming the member while the rest of
//! the scan goes on and nothing is written to disk.

mod common;
use common::*;

use assert_cmd::Command;
use serde_json::Value;
use std::io::{Cursor, Write};
use zip::ZipWriter;
use zip::write::SimpleFileOptions;

const PKIX: &str = "2024-03-05 09:30:12,442 ERROR [http-nio-8090-exec-6] [atlassian.applinks.core.DefaultApplicationLinkRequest] execute Unable to connect to https://jira.example.com\n\
com.atlassian.sal.api.net.ResponseException: javax.net.ssl.SSLHandshakeException: PKIX path building failed\n\
\tat com.atlassian.sal.core.net.HttpClientRequest.executeAndReturn(HttpClientRequest.java:102)\n";
const TIMESTAMP_REFUSED: &str = "2024-03-05 09:12:44,614-0600 http-nio-8080-exec-3 WARN anonymous 552x1041x1 - 10.20.1.7 /rest/api/2/search [c.a.oauth.serviceprovider.internal.AuthenticatorImpl] Rejecting OAuth request for url \"https://jira.example.com/rest/api/2/search\" due to invalid timestamp ({oauth_problem=timestamp_refused, oauth_acceptable_timestamps=1709651264-1709651864})\n";
const NOISE: &str = "2024-03-05 09:00:00,000 INFO [main] [c.a.startup] started\n";

/// A zip of `(name, bytes, stored?)` members.
fn make_zip(members: &[(&str, Vec<u8>, bool)]) -> Vec<u8> {
    let mut w = ZipWriter::new(Cursor::new(Vec::new()));
    for (name, data, stored) in members {
        let method = if *stored {
            zip::CompressionMethod::Stored
        } else {
            zip::CompressionMethod::Deflated
        };
        w.start_file(
            *name,
            SimpleFileOptions::default().compression_method(method),
        )
        .unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// Sets a 16-bit field of the local and central headers of member `name`: the general
/// purpose flags (local +6, central +8) or the compression method (local +8, central +10).
fn patch_member(zip: &mut [u8], name: &str, local_at: usize, central_at: usize, value: u16) {
    let name = name.as_bytes();
    let mut i = 0;
    while i + 46 < zip.len() {
        let sig = &zip[i..i + 4];
        let (field, name_at) = if sig == b"PK\x03\x04" {
            (i + local_at, i + 30)
        } else if sig == b"PK\x01\x02" {
            (i + central_at, i + 46)
        } else {
            i += 1;
            continue;
        };
        if zip.len() >= name_at + name.len() && &zip[name_at..name_at + name.len()] == name {
            let old = u16::from_le_bytes([zip[field], zip[field + 1]]);
            let new = if local_at == 6 { old | value } else { value };
            zip[field..field + 2].copy_from_slice(&new.to_le_bytes());
        }
        i += 4;
    }
}

fn scan_json(args: &[&str]) -> (Value, i32) {
    let out = Command::cargo_bin("linkdoctor")
        .unwrap()
        .arg("scan")
        .args(args)
        .args(["--format", "json", "--quiet"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (v, out.status.code().unwrap())
}

fn finding<'a>(v: &'a Value, rule: &str) -> Option<&'a Value> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == rule)
}

fn support_zip(node_xml: Option<&str>) -> Vec<u8> {
    let mut members = vec![
        (
            "application-logs/atlassian-jira.log",
            format!("{NOISE}{NOISE}{TIMESTAMP_REFUSED}").into_bytes(),
            false,
        ),
        (
            "application-logs/atlassian-jira.log.1.gz",
            gz(format!("{NOISE}{TIMESTAMP_REFUSED}").as_bytes()),
            false,
        ),
        (
            "tomcat-logs/catalina.out",
            format!("{NOISE}{PKIX}").into_bytes(),
            true,
        ),
        (
            "healthchecks/healthcheckResults.txt",
            b"Is healthy: false".to_vec(),
            false,
        ),
    ];
    if let Some(xml) = node_xml {
        members.push((
            "application-properties/application.xml",
            xml.as_bytes().to_vec(),
            false,
        ));
    }
    make_zip(&members)
}

#[test]
fn support_zip_is_read_in_place_with_member_names_and_attribution() {
    let dir = tempfile::tempdir().unwrap();
    let zip = write(
        dir.path(),
        "Jira_support_2024-03-05-10-00-00.zip",
        &support_zip(Some(
            "<application><node-id>jira-node-1</node-id><jvm-input-arguments>-Duser.timezone=Europe/Berlin</jvm-input-arguments></application>",
        )),
    );
    let before: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    let (v, code) = scan_json(&[&zip]);
    assert_eq!(code, 1, "{v}");
    assert!(warnings(&v).is_empty(), "{:?}", warnings(&v));
    let ts = finding(&v, "oauth-timestamp-refused").expect("timestamp finding");
    assert_eq!(ts["count"], 2);
    let files = ts["files"].as_array().unwrap();
    assert_eq!(
        files[0]["path"],
        format!("{zip}!application-logs/atlassian-jira.log")
    );
    assert_eq!(files[0]["lines"][0], 3);
    assert_eq!(
        files[1]["path"],
        format!("{zip}!application-logs/atlassian-jira.log.1.gz")
    );
    assert_eq!(ts["nodes"][0], "jira-node-1");
    let pkix = finding(&v, "ssl-untrusted-certificate").expect("pkix finding");
    assert_eq!(
        pkix["products"][0], "jira",
        "catalina.out takes the zip's product"
    );
    let sources = v["sources"].as_array().unwrap();
    assert_eq!(sources.len(), 3);
    let roles: Vec<&str> = sources
        .iter()
        .map(|s| s["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["application", "application", "tomcat"]);
    // Nothing was extracted next to the zip.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), before.len());
}

#[test]
fn zips_inside_a_directory_and_a_zip_of_node_zips() {
    let dir = tempfile::tempdir().unwrap();
    let node1 = support_zip(Some("<a><node-id>node1</node-id></a>"));
    let node2 = support_zip(None);
    let outer = make_zip(&[
        ("Jira_support_2024-03-05_node1.zip", node1, false),
        ("Jira_support_2024-03-05-10-00-00_node2.zip", node2, true),
    ]);
    write(dir.path(), "bundle/cluster.zip", &outer);
    let root = dir.path().display().to_string();
    let (v, _) = scan_json(&[&root, "--group-by", "node"]);
    assert!(warnings(&v).is_empty(), "{:?}", warnings(&v));
    let nodes: Vec<&str> = v["node_summary"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["node"].as_str().unwrap())
        .collect();
    assert_eq!(nodes, ["node1", "node2"]);
    let groups: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["group"].as_str().unwrap())
        .collect();
    assert!(groups.contains(&"node1") && groups.contains(&"node2"));
    // Sources are ordered by path (so shards merge to the same report), not by zip order.
    let paths: Vec<&str> = v["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["path"].as_str().unwrap())
        .collect();
    assert!(
        paths.iter().any(|p| p.ends_with(
            "cluster.zip!Jira_support_2024-03-05_node1.zip!application-logs/atlassian-jira.log"
        )),
        "{paths:?}"
    );
    // Nesting limit; the plain log next to the zip is still scanned.
    write(
        dir.path(),
        "web/atlassian-jira.log",
        TIMESTAMP_REFUSED.as_bytes(),
    );
    let (v, _) = scan_json(&[&root, "--max-depth", "1"]);
    let w = warnings(&v);
    assert!(w.iter().any(|w| w.contains("--max-depth")), "{w:?}");
}

#[test]
fn zip_bomb_stops_that_member_only() {
    let dir = tempfile::tempdir().unwrap();
    let bomb: Vec<u8> = "a"
        .repeat(999)
        .bytes()
        .chain([b'\n'])
        .cycle()
        .take(40 << 20)
        .collect();
    let zip = make_zip(&[
        ("application-logs/atlassian-jira.log.1", bomb.clone(), false),
        (
            "application-logs/atlassian-jira.log",
            TIMESTAMP_REFUSED.as_bytes().to_vec(),
            false,
        ),
    ]);
    let zip = write(dir.path(), "bomb.zip", &zip);
    let gzip = write(dir.path(), "logs/atlassian-confluence.log.2.gz", &gz(&bomb));
    let (v, _) = scan_json(&[&zip, &gzip]);
    let w = warnings(&v);
    assert!(
        w.iter().any(
            |w| w.contains("bomb.zip!application-logs/atlassian-jira.log.1")
                && w.contains("zip member bomb")
        ),
        "{w:?}"
    );
    assert!(
        w.iter()
            .any(|w| w.contains("atlassian-confluence.log.2.gz") && w.contains("gzip stream bomb")),
        "{w:?}"
    );
    assert!(finding(&v, "oauth-timestamp-refused").is_some());
    // Per-member and total limits, with their flags.
    let (v, _) = scan_json(&[
        &zip,
        "--max-member-bytes",
        "100000",
        "--max-ratio",
        "100000",
    ]);
    assert!(
        warnings(&v)
            .iter()
            .any(|w| w.contains("--max-member-bytes"))
    );
    // With a total limit that stops every input before it is scanned, nothing was read:
    // exit 2, naming the limit.
    let out = Command::cargo_bin("linkdoctor")
        .unwrap()
        .args([
            "scan",
            &zip,
            "--max-total-bytes",
            "100K",
            "--max-ratio",
            "100000",
            // The total budget is shared by the members: one thread reads them in order.
            "--threads",
            "1",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("nothing was read") && err.contains("--max-total-bytes"),
        "{err}"
    );
    // Beside a log that is read, the limit is a warning in the report.
    let plain = write(
        dir.path(),
        "atlassian-jira.log",
        TIMESTAMP_REFUSED.as_bytes(),
    );
    let (v, _) = scan_json(&[
        &zip,
        &plain,
        "--max-total-bytes",
        "100K",
        "--max-ratio",
        "100000",
    ]);
    assert!(warnings(&v).iter().any(|w| w.contains("--max-total-bytes")));
}

#[test]
fn broken_and_hostile_zips_are_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let good = write(
        dir.path(),
        "good/atlassian-jira.log",
        TIMESTAMP_REFUSED.as_bytes(),
    );

    let mut truncated = support_zip(None);
    truncated.truncate(truncated.len() / 2);
    let truncated = write(dir.path(), "truncated.zip", &truncated);

    let mut enc = make_zip(&[
        (
            "application-logs/atlassian-jira.log",
            TIMESTAMP_REFUSED.as_bytes().to_vec(),
            true,
        ),
        (
            "application-logs/atlassian-jira.log.1",
            PKIX.as_bytes().to_vec(),
            true,
        ),
    ]);
    patch_member(&mut enc, "application-logs/atlassian-jira.log.1", 6, 8, 1);
    patch_member(&mut enc, "application-logs/atlassian-jira.log", 8, 10, 12);
    let enc = write(dir.path(), "enc.zip", &enc);

    let evil = make_zip(&[
        ("../evil.log", TIMESTAMP_REFUSED.as_bytes().to_vec(), false),
        (
            "/abs/atlassian-jira.log",
            TIMESTAMP_REFUSED.as_bytes().to_vec(),
            false,
        ),
    ]);
    let evil = write(dir.path(), "sub/evil.zip", &evil);

    let (v, code) = scan_json(&[&good, &truncated, &enc, &evil]);
    let w = warnings(&v);
    let has = |path: &str, text: &str| w.iter().any(|w| w.contains(path) && w.contains(text));
    assert!(has("truncated.zip", "zip"), "{w:?}");
    assert!(
        has("enc.zip!application-logs/atlassian-jira.log.1", "encrypted"),
        "{w:?}"
    );
    assert!(
        has(
            "enc.zip!application-logs/atlassian-jira.log",
            "compression method"
        ),
        "{w:?}"
    );
    assert!(has("evil.zip!../evil.log", "`..`"), "{w:?}");
    assert!(has("evil.zip!/abs/atlassian-jira.log", "absolute"), "{w:?}");
    assert!(!dir.path().join("evil.log").exists());
    assert_eq!(code, 1, "the good file's finding still counts");
    assert_eq!(finding(&v, "oauth-timestamp-refused").unwrap()["count"], 1);
}
