//! Input formats beyond plain files and zips, built on the fly: tar and tar.gz support
//! bundles read in place (members named `x.tar.gz!dir/a.log:line`, attributed like zip
//! members, nested zips and gzips inside, every limit holding), archives and gzip on
//! standard input, Windows logs (UTF-16 LE/BE, UTF-8 with a byte-order mark, CR-only line
//! ends), and hostile zips (many members, nested in itself, nested inflation, duplicate
//! and non-UTF-8 member names). All log lines here are synthetic.

mod common;
use common::*;

use serde_json::Value;
use std::io::{Cursor, Write};
use std::time::Instant;
use zip::ZipWriter;
use zip::write::SimpleFileOptions;

/// Synthetic Jira line (the shape of `AuthenticatorImpl`'s timestamp rejection).
const TIMESTAMP_REFUSED: &str = "2024-03-05 09:12:44,614-0600 http-nio-8080-exec-3 WARN anonymous 552x1041x1 - 10.20.1.7 /rest/api/2/search [c.a.oauth.serviceprovider.internal.AuthenticatorImpl] Rejecting OAuth request for url \"https://jira.example.com/rest/api/2/search\" due to invalid timestamp ({oauth_problem=timestamp_refused, oauth_acceptable_timestamps=1709651264-1709651864})\n";
/// Synthetic Confluence line with a PKIX failure.
const PKIX: &str = "2024-03-05 09:30:12,442 ERROR [http-nio-8090-exec-6] [atlassian.applinks.core.DefaultApplicationLinkRequest] execute Unable to connect to https://jira.example.com\n\
com.atlassian.sal.api.net.ResponseException: javax.net.ssl.SSLHandshakeException: PKIX path building failed\n\
\tat com.atlassian.sal.core.net.HttpClientRequest.executeAndReturn(HttpClientRequest.java:102)\n";
const NOISE: &str = "2024-03-05 09:00:00,000 INFO [main] [c.a.startup] started\n";

fn make_zip(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = ZipWriter::new(Cursor::new(Vec::new()));
    for (name, data) in members {
        w.start_file(*name, SimpleFileOptions::default()).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn stored_zip(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = ZipWriter::new(Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, data) in members {
        w.start_file(*name, opts).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn make_tar(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in members {
        let mut h = tar::Header::new_ustar();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, name, *data).unwrap();
    }
    b.into_inner().unwrap()
}

fn scan(args: &[&str], stdin: Option<Vec<u8>>) -> (Value, i32, String) {
    let mut c = linkdoctor();
    c.arg("scan")
        .args(args)
        .args(["--format", "json", "--quiet"]);
    if let Some(data) = stdin {
        c.write_stdin(data);
    }
    let out = c.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (v, out.status.code().unwrap_or(-1), stderr)
}

fn finding<'a>(v: &'a Value, rule: &str) -> Option<&'a Value> {
    v["findings"].as_array()?.iter().find(|f| f["rule"] == rule)
}

/// `path:line` of every file a finding cites.
fn cited(v: &Value, rule: &str) -> Vec<String> {
    finding(v, rule)
        .map(|f| {
            f["files"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| format!("{}:{}", x["path"].as_str().unwrap(), x["lines"][0]))
                .collect()
        })
        .unwrap_or_default()
}

fn bundle_members() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        (
            "application-logs/atlassian-jira.log",
            format!("{NOISE}{NOISE}{TIMESTAMP_REFUSED}").into_bytes(),
        ),
        (
            "application-logs/atlassian-jira.log.1.gz",
            gz(format!("{NOISE}{TIMESTAMP_REFUSED}").as_bytes()),
        ),
        (
            "tomcat-logs/catalina.out",
            format!("{NOISE}{PKIX}").into_bytes(),
        ),
        (
            "application-properties/application.xml",
            b"<application><node-id>jira-node-7</node-id></application>".to_vec(),
        ),
        ("healthchecks/healthcheckResults.txt", b"ok".to_vec()),
    ]
}

fn as_refs<'a>(m: &'a [(&'static str, Vec<u8>)]) -> Vec<(&'static str, &'a [u8])> {
    m.iter().map(|(n, d)| (*n, d.as_slice())).collect()
}

#[test]
fn tar_and_tar_gz_bundles_are_read_in_place_like_zips() {
    let dir = tempfile::tempdir().unwrap();
    let members = bundle_members();
    let tar = make_tar(&as_refs(&members));
    // Names say nothing: the format is found by magic bytes.
    let plain = write(dir.path(), "bundle-one.bin", &tar);
    let packed = write(dir.path(), "Jira_support_2024-03-05.tgz", &gz(&tar));
    for archive in [&plain, &packed] {
        let before = std::fs::read_dir(dir.path()).unwrap().count();
        let (v, code, stderr) = scan(&[archive], None);
        assert_eq!(code, 1, "{stderr}");
        assert!(warnings(&v).is_empty(), "{:?}", warnings(&v));
        assert_eq!(
            cited(&v, "oauth-timestamp-refused"),
            [
                format!("{archive}!application-logs/atlassian-jira.log:3"),
                format!("{archive}!application-logs/atlassian-jira.log.1.gz:2"),
            ]
        );
        let ts = finding(&v, "oauth-timestamp-refused").unwrap();
        assert_eq!(ts["nodes"][0], "jira-node-7", "node from application.xml");
        let pkix = finding(&v, "ssl-untrusted-certificate").expect("pkix");
        assert_eq!(
            pkix["products"][0], "jira",
            "catalina.out takes the product"
        );
        let roles: Vec<&str> = v["sources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["role"].as_str().unwrap())
            .collect();
        assert_eq!(roles, ["application", "application", "tomcat"]);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), before);
    }
}

#[test]
fn tar_gz_in_a_walked_folder_and_archives_nested_in_tar() {
    let dir = tempfile::tempdir().unwrap();
    let inner_zip = make_zip(&[("application-logs/atlassian-confluence.log", PKIX.as_bytes())]);
    let inner_tgz = gz(&make_tar(&[(
        "logs/atlassian-jira.log",
        TIMESTAMP_REFUSED.as_bytes(),
    )]));
    let gz_log = gz(TIMESTAMP_REFUSED.as_bytes());
    let outer = make_tar(&[
        ("node1/Confluence_support.zip", &inner_zip),
        ("node2/jira-logs.tar.gz", &inner_tgz),
        ("logs/atlassian-jira.log.2.gz", &gz_log),
    ]);
    write(dir.path(), "fleet/host-a/logs.tar.gz", &gz(&outer));
    let root = dir.path().join("fleet").display().to_string();
    let (v, code, stderr) = scan(&[&root], None);
    assert_eq!(code, 1, "{stderr}");
    assert!(warnings(&v).is_empty(), "{:?}", warnings(&v));
    let t = format!("{root}/host-a/logs.tar.gz");
    assert_eq!(
        cited(&v, "oauth-timestamp-refused"),
        [
            // In path order (so shards merge to the same report), not the tar's order.
            format!("{t}!logs/atlassian-jira.log.2.gz:1"),
            format!("{t}!node2/jira-logs.tar.gz!logs/atlassian-jira.log:1"),
        ]
    );
    assert_eq!(
        cited(&v, "ssl-untrusted-certificate"),
        [format!(
            "{t}!node1/Confluence_support.zip!application-logs/atlassian-confluence.log:1"
        )]
    );
    let pkix = finding(&v, "ssl-untrusted-certificate").unwrap();
    assert_eq!(pkix["products"][0], "confluence");

    // A file named like an archive that is none is a warning, not a silent skip.
    let other = tempfile::tempdir().unwrap();
    write(other.path(), "h/notes.tgz", &gz(b"just text\n"));
    write(
        other.path(),
        "h/atlassian-jira.log",
        TIMESTAMP_REFUSED.as_bytes(),
    );
    let (v, _, _) = scan(&[&other.path().display().to_string()], None);
    let w = warnings(&v);
    assert!(
        w.iter()
            .any(|w| w.contains("notes.tgz") && w.contains("not a zip or tar")),
        "{w:?}"
    );

    // The depth limit holds across formats: tar > zip is 2 deep.
    let (v, _, _) = scan(&[&root, "--max-depth", "1"], None);
    let w = warnings(&v);
    assert!(
        w.iter()
            .any(|w| w.contains("node1/Confluence_support.zip") && w.contains("--max-depth")),
        "{w:?}"
    );
    assert!(cited(&v, "ssl-untrusted-certificate").is_empty());
}

#[test]
fn tar_gz_member_limits_hold() {
    let dir = tempfile::tempdir().unwrap();
    let bomb: Vec<u8> = "a"
        .repeat(999)
        .bytes()
        .chain([b'\n'])
        .cycle()
        .take(20 << 20)
        .collect();
    let tar = make_tar(&[
        ("a/atlassian-jira.log", &bomb),
        ("b/atlassian-jira.log", TIMESTAMP_REFUSED.as_bytes()),
    ]);
    let path = write(dir.path(), "logs.tar.gz", &gz(&tar));
    // The data is a bomb by its ratio too; here the member limit is what is tested.
    let (v, code, _) = scan(
        &[&path, "--max-member-bytes", "1M", "--max-ratio", "100000"],
        None,
    );
    let w = warnings(&v);
    assert!(
        w.iter()
            .any(|w| w.contains("logs.tar.gz!a/atlassian-jira.log")
                && w.contains("--max-member-bytes")),
        "{w:?}"
    );
    // The member after the stopped one is still read.
    assert_eq!(code, 1);
    assert_eq!(
        cited(&v, "oauth-timestamp-refused"),
        [format!("{path}!b/atlassian-jira.log:1")]
    );
}

#[test]
fn zip_tar_and_gzip_on_standard_input() {
    let members = bundle_members();
    let zip = make_zip(&as_refs(&members));
    let (v, code, stderr) = scan(&["-"], Some(zip.clone()));
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        cited(&v, "oauth-timestamp-refused"),
        [
            "<stdin>!application-logs/atlassian-jira.log:3",
            "<stdin>!application-logs/atlassian-jira.log.1.gz:2"
        ]
    );
    let tgz = gz(&make_tar(&as_refs(&members)));
    let (v, code, _) = scan(&["-"], Some(tgz));
    assert_eq!(code, 1);
    assert_eq!(cited(&v, "oauth-timestamp-refused").len(), 2);
    // A gzip log streams, and --product applies to standard input.
    let (v, code, _) = scan(
        &["-", "--product", "confluence"],
        Some(gz(format!("{NOISE}{PKIX}").as_bytes())),
    );
    assert_eq!(code, 1);
    assert_eq!(cited(&v, "ssl-untrusted-certificate"), ["<stdin>:2"]);
    let pkix = finding(&v, "ssl-untrusted-certificate").unwrap();
    assert_eq!(pkix["products"][0], "confluence");
    // A zip over the in-memory limit is a clear error, not a hang or a crash.
    let (_, code, stderr) = scan(&["-", "--max-nested-zip-bytes", "1K"], Some(zip));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("larger than 1024 bytes") && stderr.contains("pass its path"),
        "{stderr}"
    );
}

fn utf16(text: &str, big_endian: bool, bom: bool) -> Vec<u8> {
    let mut v = Vec::new();
    if bom {
        v.extend(if big_endian {
            [0xFE, 0xFF]
        } else {
            [0xFF, 0xFE]
        });
    }
    for u in text.encode_utf16() {
        v.extend(if big_endian {
            u.to_be_bytes()
        } else {
            u.to_le_bytes()
        });
    }
    v
}

#[test]
fn windows_encodings_and_line_endings_are_decoded() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!("{NOISE}{NOISE}{TIMESTAMP_REFUSED}").replace('\n', "\r\n");
    let mut bom8 = vec![0xEF, 0xBB, 0xBF];
    bom8.extend(text.as_bytes());
    let files = [
        ("le-bom.log", utf16(&text, false, true)),
        ("be-bom.log", utf16(&text, true, true)),
        ("le-nobom.log", utf16(&text, false, false)),
        ("be-nobom.log", utf16(&text, true, false)),
        ("utf8-bom.log", bom8),
        ("mac.log", text.replace("\r\n", "\r").into_bytes()),
        ("le-gz.log.gz", gz(&utf16(&text, false, true))),
    ];
    let mut paths = Vec::new();
    for (name, data) in &files {
        paths.push(write(dir.path(), name, data));
    }
    let args: Vec<&str> = paths.iter().map(|s| s.as_str()).collect();
    let (v, code, stderr) = scan(&args, None);
    assert_eq!(code, 1, "{stderr}");
    assert!(warnings(&v).is_empty(), "{:?}", warnings(&v));
    let mut got = cited(&v, "oauth-timestamp-refused");
    got.sort();
    let mut want: Vec<String> = paths.iter().map(|p| format!("{p}:3")).collect();
    want.sort();
    assert_eq!(got, want);
}

/// A zip of `n` members, each a small log; one member holds a finding.
fn many_member_zip(path: &std::path::Path, n: usize) {
    let file = std::fs::File::create(path).unwrap();
    let mut w = ZipWriter::new(std::io::BufWriter::new(file));
    let opts = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for i in 0..n {
        w.start_file(format!("application-logs/n{i:06}.log"), opts)
            .unwrap();
        if i == n / 2 {
            w.write_all(TIMESTAMP_REFUSED.as_bytes()).unwrap();
        } else {
            w.write_all(NOISE.as_bytes()).unwrap();
        }
    }
    w.finish().unwrap();
}

#[test]
fn a_zip_of_many_members_takes_time_linear_in_members() {
    let dir = tempfile::tempdir().unwrap();
    let timed = |n: usize| {
        let path = dir.path().join(format!("many-{n}.zip"));
        many_member_zip(&path, n);
        let p = path.display().to_string();
        let start = Instant::now();
        let (v, code, stderr) = scan(&[&p], None);
        assert_eq!(code, 1, "{stderr}");
        assert_eq!(v["sources"].as_array().unwrap().len(), n);
        start.elapsed().as_secs_f64()
    };
    let small = timed(5_000);
    let large = timed(40_000);
    // 8 times the members: about 8 times the time if linear, 64 if quadratic. The bound is
    // loose (process start-up makes the small run relatively slower, never faster).
    assert!(
        large < small * 24.0,
        "5k members: {small:.2}s, 40k members: {large:.2}s"
    );
}

#[test]
fn a_zip_nested_in_itself_thousands_deep_is_refused_without_overflow() {
    let dir = tempfile::tempdir().unwrap();
    let mut z = stored_zip(&[("deep/atlassian-jira.log", TIMESTAMP_REFUSED.as_bytes())]);
    for _ in 0..3000 {
        z = stored_zip(&[("n.zip", &z)]);
    }
    let path = write(dir.path(), "deep.zip", &z);
    let (_, code, stderr) = scan(&[&path, "--max-depth", "100000"], None);
    assert!(!stderr.contains("overflow"), "{stderr}");
    // Nothing but nesting: nothing to scan (exit 2), with both reasons said.
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("16 deep at most"), "{stderr}");
    assert!(stderr.contains("nested more than 16 deep"), "{stderr}");
}

#[test]
fn nested_inflation_stops_at_the_total_limit() {
    let dir = tempfile::tempdir().unwrap();
    // Each inner zip holds 8 MiB of log lines compressed to a few KiB; the outer zip holds
    // 64 of them: about 512 MiB decompressed from well under 1 MiB.
    let line = NOISE.as_bytes();
    let big: Vec<u8> = line.iter().copied().cycle().take(8 << 20).collect();
    let inner = make_zip(&[("atlassian-jira.log", &big)]);
    let names: Vec<String> = (0..64).map(|i| format!("n{i:02}.zip")).collect();
    let members: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &inner[..])).collect();
    let outer = make_zip(&members);
    assert!(outer.len() < 2 << 20);
    let path = write(dir.path(), "inflate.zip", &outer);
    let (v, _, stderr) = scan(
        &[&path, "--max-total-bytes", "40M", "--max-ratio", "100000"],
        None,
    );
    let w = warnings(&v);
    assert!(
        w.iter().any(|w| w.contains("--max-total-bytes")),
        "{w:?} {stderr}"
    );
    let read: u64 = v["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["bytes"].as_u64().unwrap_or(0))
        .sum();
    assert!(read <= 48 << 20, "read {read} bytes past a 40M limit");
}

#[test]
fn a_nested_zip_is_inflated_once_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    // A nested zip of 2,000 small logs and 16 MiB of stored padding, deflated to little in
    // the outer zip: read again for every member, it inflated 32 GB that no limit counted.
    let names: Vec<String> = (0..2000).map(|i| format!("logs/n{i:04}.log")).collect();
    let padding = vec![0u8; 16 << 20];
    let mut members: Vec<(&str, &[u8])> = vec![("padding.bin", &padding)];
    members.extend(names.iter().map(|n| (n.as_str(), NOISE.as_bytes())));
    members.push(("logs/z.log", TIMESTAMP_REFUSED.as_bytes()));
    let inner = stored_zip(&members);
    let outer = make_zip(&[("node1.zip", &inner)]);
    assert!(outer.len() < 1 << 20);
    let path = write(dir.path(), "outer.zip", &outer);

    let (v, code, stderr) = scan(&[&path, "--max-ratio", "100000"], None);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(v["sources"].as_array().unwrap().len(), 2001);
    assert_eq!(
        cited(&v, "oauth-timestamp-refused"),
        [format!("{path}!node1.zip!logs/z.log:1")]
    );

    // Reading the nested zip counts against the total (here already when listing it):
    // nothing of it is read, and the reason is said.
    let (v, code, stderr) = scan(
        &[&path, "--max-ratio", "100000", "--max-total-bytes", "8M"],
        None,
    );
    assert_eq!(code, 2, "{v} {stderr}");
    assert!(
        stderr.contains("node1.zip") && stderr.contains("--max-total-bytes"),
        "{stderr}"
    );
}

/// Rewrites every occurrence of `from` with `to` (same length) in the zip's headers.
fn rename_in_place(zip: &mut [u8], from: &[u8], to: &[u8]) {
    assert_eq!(from.len(), to.len());
    let mut i = 0;
    while i + from.len() <= zip.len() {
        if &zip[i..i + from.len()] == from {
            zip[i..i + from.len()].copy_from_slice(to);
        }
        i += 1;
    }
}

#[test]
fn duplicate_and_non_utf8_member_names_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let mut z = stored_zip(&[
        ("application-logs/a.log", NOISE.as_bytes()),
        ("application-logs/b.log", TIMESTAMP_REFUSED.as_bytes()),
        ("application-logs/caf_.log", TIMESTAMP_REFUSED.as_bytes()),
    ]);
    rename_in_place(&mut z, b"application-logs/b.log", b"application-logs/a.log");
    // 0x82 is "é" in code page 437: not UTF-8.
    rename_in_place(&mut z, b"caf_.log", b"caf\x82.log");
    let path = write(dir.path(), "names.zip", &z);
    let (v, code, stderr) = scan(&[&path], None);
    assert_eq!(code, 1, "{stderr}");
    let got = cited(&v, "oauth-timestamp-refused");
    assert_eq!(
        got,
        [
            format!("{path}!application-logs/a.log#2:1"),
            format!("{path}!application-logs/caf\u{FFFD}.log:1"),
        ]
    );
    let w = warnings(&v);
    assert!(w.iter().any(|w| w.contains("same name")), "{w:?}");
    assert!(w.iter().any(|w| w.contains("not UTF-8")), "{w:?}");
    assert!(!w.iter().any(|w| w.contains("not found")), "{w:?}");
}
