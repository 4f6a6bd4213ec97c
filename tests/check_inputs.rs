//! CLI tests of what `linkdoctor check` accepts as input, on the input stack `scan` uses:
//! nested support zips under the `--max-*` limits, single configuration files, install
//! folders named only by their path (or `--product`), FIFOs and devices where files are
//! expected, and secrets of an unredacted baseline kept out of the output.

mod common;

use common::{linkdoctor, write};
use serde_json::Value;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

/// A copy of fixture `rel` in a fresh temporary folder, for tests that must not see a
/// product named in the folders above the checkout (a clone under `~/jira-tools/` would
/// otherwise give the product away).
fn fixture_apart(rel: &str) -> (tempfile::TempDir, PathBuf) {
    fn copy(from: &Path, to: &Path) {
        if from.is_dir() {
            fs::create_dir_all(to).unwrap();
            for e in fs::read_dir(from).unwrap() {
                let e = e.unwrap();
                copy(&e.path(), &to.join(e.file_name()));
            }
        } else {
            fs::copy(from, to).unwrap();
        }
    }
    let t = tempfile::tempdir().unwrap();
    let from = fixture(rel);
    let to = t.path().join(from.file_name().unwrap());
    copy(&from, &to);
    (t, to)
}

/// Runs `check ... --format json --quiet`; returns the exit code, the report and stderr.
fn check(paths: &[&Path], extra: &[&str]) -> (i32, Value) {
    let out = linkdoctor()
        .arg("check")
        .args(paths)
        .args(extra)
        .args(["--format", "json", "--quiet"])
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), report)
}

fn ids(report: &Value) -> Vec<String> {
    let mut v: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect();
    v.sort();
    v
}

fn warning_texts(report: &Value) -> Vec<String> {
    common::warnings(report)
}

// ---- install folders and single files -------------------------------------------------

#[test]
fn install_folder_named_only_by_its_path() {
    let jira = fixture("check-paths/opt/atlassian/jira");
    let (code, report) = check(&[&jira], &["--base-url", "https://jira.example.com"]);
    let i = &report["instances"][0];
    assert_eq!(i["product"], "jira", "{report}");
    assert_eq!(i["version"], "9.12.4");
    assert_eq!(i["timezone"], "Europe/Berlin");
    assert!(
        i["effective_file"]
            .as_str()
            .unwrap()
            .ends_with("opt/atlassian/jira/conf/server.xml")
    );
    assert!(
        ids(&report).contains(&"proxy-name-without-port".to_string()),
        "{report}"
    );
    assert_eq!(code, 1);
}

#[test]
fn folder_naming_no_product_needs_product_flag() {
    let (_apart, wiki) = fixture_apart("check-paths/srv/wiki");
    let (code, report) = check(&[&wiki], &[]);
    assert_eq!(code, 2, "{report}");
    assert!(
        report["summary"]["nothing_checked"]
            .as_str()
            .unwrap()
            .contains("no server.xml, bitbucket.properties or config.xml under"),
        "{report}"
    );
    assert!(
        warning_texts(&report)
            .iter()
            .any(|w| w.contains("wiki: holds conf/server.xml") && w.contains("--product")),
        "{report}"
    );
    let (code, report) = check(&[&wiki], &["--product", "confluence"]);
    assert_eq!(report["instances"][0]["product"], "confluence", "{report}");
    assert!(ids(&report).contains(&"proxy-name-without-port".to_string()));
    assert_eq!(code, 1);
    // The walk from a folder above finds the path-named install and, with --product, the
    // other one.
    let (_, report) = check(&[&fixture("check-paths")], &["--product", "confluence"]);
    let products: Vec<&str> = report["instances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["product"].as_str().unwrap())
        .collect();
    assert_eq!(products, ["confluence", "confluence"], "{report}");
    let (_, report) = check(&[&fixture("check-paths")], &[]);
    assert_eq!(report["instances"].as_array().unwrap().len(), 1);
    assert_eq!(report["instances"][0]["product"], "jira");
}

#[test]
fn single_server_xml_takes_its_product_from_product_or_path() {
    let (_apart, lone) = fixture_apart("check-files/server.xml");
    let (code, report) = check(&[&lone], &[]);
    assert_eq!(code, 2, "no product known: {report}");
    assert!(
        warning_texts(&report)
            .iter()
            .any(|w| w.contains("server.xml") && w.contains("pass --product")),
        "{report}"
    );
    let (code, report) = check(&[&lone], &["--product", "confluence"]);
    let i = &report["instances"][0];
    assert_eq!(i["product"], "confluence");
    assert_eq!(i["effective_file"], lone.display().to_string());
    assert!(ids(&report).contains(&"proxy-name-without-port".to_string()));
    assert_eq!(code, 1);
    // Under <install>/conf: the product and version come from the install folder.
    let in_place = fixture("check-paths/opt/atlassian/jira/conf/server.xml");
    let (_, report) = check(&[&in_place], &[]);
    let i = &report["instances"][0];
    assert_eq!(i["product"], "jira", "{report}");
    assert_eq!(i["version"], "9.12.4");
    // --product wins over the path...
    let (_, report) = check(&[&in_place], &["--product", "confluence"]);
    assert_eq!(report["instances"][0]["product"], "confluence");
    // ...not over what the file is.
    let props = fixture("check-files/bitbucket.properties");
    let (_, report) = check(&[&props], &["--product", "jira"]);
    assert_eq!(report["instances"][0]["product"], "bitbucket");
}

#[test]
fn single_bitbucket_properties_and_fisheye_config() {
    let props = fixture("check-files/bitbucket.properties");
    let (code, report) = check(&[&props], &[]);
    let i = &report["instances"][0];
    assert_eq!(i["product"], "bitbucket", "{report}");
    assert_eq!(i["effective_file"], props.display().to_string());
    assert_ne!(code, 2, "{report}");
    assert!(!report.to_string().contains("db-secret"));
    let fisheye = fixture("check-files/fisheye-inst/config.xml");
    let (code, report) = check(&[&fisheye], &[]);
    let i = &report["instances"][0];
    assert_eq!(i["product"], "fisheye", "{report}");
    assert_eq!(i["base_url"], "https://fisheye.example.com");
    assert_ne!(code, 2, "{report}");
    // A config.xml that is not Fisheye's is refused by name.
    let t = tempfile::tempdir().unwrap();
    let other = write(t.path(), "config.xml", b"<config><other/></config>");
    let (code, report) = check(&[Path::new(&other)], &[]);
    assert_eq!(code, 2);
    assert!(
        warning_texts(&report)
            .iter()
            .any(|w| w.contains("no <web-server> element")),
        "{report}"
    );
}

// ---- support zips through the input stack of scan --------------------------------------

fn zip_bytes(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in members {
        z.start_file(*name, opts).unwrap();
        z.write_all(data).unwrap();
    }
    z.finish().unwrap().into_inner()
}

/// Synthetic `application-properties/application.xml` of one Jira node.
fn application_xml(node: &str, zone: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<properties>
  <application-information>
    <Version>9.12.1</Version>
    <Base-URL>https://jira.example.com</Base-URL>
  </application-information>
  <cluster-information>
    <node-id>{node}</node-id>
  </cluster-information>
  <java-runtime-environment>
    <JVM-Input-Arguments>-Xms2g -Xmx2g -Duser.timezone={zone} -Djava.awt.headless=true</JVM-Input-Arguments>
  </java-runtime-environment>
</properties>
"#
    )
}

const NODE_SERVER_XML: &str = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Server port=\"8005\" shutdown=\"SHUTDOWN\">\n    <Service name=\"Catalina\">\n        <Connector port=\"8080\" proxyName=\"jira.example.com\" proxyPort=\"443\" scheme=\"https\" secure=\"true\"\n                   protocol=\"HTTP/1.1\" redirectPort=\"8443\"/>\n    </Service>\n</Server>\n";

/// A zip of two Jira node support zips, as a cluster's support request holds them.
fn cluster_zip(dir: &Path) -> PathBuf {
    let node = |id: &str, zone: &str| {
        zip_bytes(&[
            (
                "application-logs/atlassian-jira.log",
                b"2026-11-23 10:00:00,000+0000 main INFO      [c.a.jira.startup.JiraStartupLogger] started (synthetic)\n",
            ),
            (
                "application-properties/application.xml",
                application_xml(id, zone).as_bytes(),
            ),
            ("tomcat-config/server.xml", NODE_SERVER_XML.as_bytes()),
        ])
    };
    let outer = zip_bytes(&[
        (
            "Jira_support_2026-11-23-10-00-00_node1.zip",
            &node("node1", "Europe/Berlin"),
        ),
        (
            "Jira_support_2026-11-23-10-00-00_node2.zip",
            &node("node2", "UTC"),
        ),
    ]);
    let path = dir.join("cluster-support.zip");
    fs::write(&path, outer).unwrap();
    path
}

#[test]
fn zip_of_node_zips_gives_one_instance_per_node() {
    let t = tempfile::tempdir().unwrap();
    let zip = cluster_zip(t.path());
    let (code, report) = check(&[&zip], &[]);
    let instances = report["instances"].as_array().unwrap();
    assert_eq!(instances.len(), 2, "{report}");
    for (i, node) in instances.iter().zip(["node1", "node2"]) {
        assert_eq!(i["product"], "jira");
        assert_eq!(i["version"], "9.12.1");
        assert_eq!(i["base_url"], "https://jira.example.com");
        let root = i["roots"][0].as_str().unwrap();
        assert!(
            root.ends_with(&format!(
                "cluster-support.zip!Jira_support_2026-11-23-10-00-00_{node}.zip"
            )),
            "{root}"
        );
        assert!(
            i["effective_file"]
                .as_str()
                .unwrap()
                .ends_with(&format!("{node}.zip!tomcat-config/server.xml"))
        );
    }
    // The two nodes run in different JVM time zones.
    assert_eq!(ids(&report), ["timezone-differs", "timezone-differs"]);
    assert_eq!(report["warnings"], serde_json::json!([]));
    assert_eq!(code, 0);
}

#[test]
fn support_zips_are_read_under_the_limits_of_scan() {
    let t = tempfile::tempdir().unwrap();
    let zip = cluster_zip(t.path());
    let (code, report) = check(&[&zip], &["--max-depth", "1"]);
    assert_eq!(code, 2, "nothing read: {report}");
    assert!(
        warning_texts(&report)
            .iter()
            .any(|w| w.contains("node1.zip") && w.contains("--max-depth")),
        "{report}"
    );
    let (code, report) = check(&[&zip], &["--max-nested-zip-bytes", "100"]);
    assert_eq!(code, 2);
    assert!(
        warning_texts(&report)
            .iter()
            .any(|w| w.contains("--max-nested-zip-bytes")),
        "{report}"
    );
    // A member over --max-member-bytes is a warning naming it; the limit holds at every
    // depth, so nested node zips over it are members over it too.
    let (_, report) = check(&[&zip], &["--max-member-bytes", "200"]);
    let w = warning_texts(&report);
    assert!(
        w.iter()
            .any(|w| w.contains("_node1.zip") && w.contains("--max-member-bytes")),
        "{w:?}"
    );
    // Unsafe member names are refused as scan refuses them.
    let hostile = t.path().join("hostile.zip");
    fs::write(
        &hostile,
        zip_bytes(&[
            ("../../conf/server.xml", NODE_SERVER_XML.as_bytes()),
            ("application-logs/atlassian-jira.log", b"x\n"),
        ]),
    )
    .unwrap();
    let (code, report) = check(&[&hostile], &[]);
    assert_eq!(code, 2);
    assert!(
        warning_texts(&report)
            .iter()
            .any(|w| w.contains("contains `..`")),
        "{report}"
    );
}

#[test]
fn corrupt_and_empty_support_zips_are_not_all_clear() {
    let t = tempfile::tempdir().unwrap();
    let mut truncated = fs::read(cluster_zip(t.path())).unwrap();
    truncated.truncate(truncated.len() / 3);
    let broken = t.path().join("Jira_support_broken.zip");
    fs::write(&broken, truncated).unwrap();
    let (code, report) = check(&[&broken], &[]);
    assert_eq!(code, 2, "{report}");
    let w = warning_texts(&report);
    assert_eq!(w.len(), 1, "one warning for one broken zip: {w:?}");
    assert!(w[0].contains("Jira_support_broken.zip"), "{w:?}");
    // A zip holding logs only.
    let logs_only = t.path().join("Jira_support_logs.zip");
    fs::write(
        &logs_only,
        zip_bytes(&[("application-logs/atlassian-jira.log", b"x\n")]),
    )
    .unwrap();
    let (code, report) = check(&[&logs_only], &[]);
    assert_eq!(code, 2);
    assert!(
        report["summary"]["nothing_checked"]
            .as_str()
            .unwrap()
            .contains("support zip"),
        "{report}"
    );
}

// ---- files that are not regular files ---------------------------------------------------

fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let target = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            fs::create_dir_all(&target).unwrap();
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

#[cfg(unix)]
fn mkfifo(path: &Path) -> bool {
    let _ = fs::remove_file(path);
    std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .is_ok_and(|s| s.success())
}

#[cfg(unix)]
#[test]
fn fifo_and_device_files_neither_hang_nor_eat_memory() {
    let t = tempfile::tempdir().unwrap();
    let tree = t.path().join("jira");
    copy_tree(&fixture("check/jira/clean"), &tree);
    let install = tree.join("atlassian-jira-software-9.4.2-standalone");
    if !mkfifo(&install.join("bin/setenv.sh")) {
        eprintln!("mkfifo not available; skipped");
        return;
    }
    std::os::unix::fs::symlink("/dev/zero", install.join("VERSION")).unwrap();
    let (code, report) = check(&[&tree], &["--base-url", "https://jira.example.com"]);
    let w = warning_texts(&report);
    assert!(
        w.iter()
            .any(|w| w.contains("bin/setenv.sh") && w.contains("not a regular file")),
        "{w:?}"
    );
    let i = &report["instances"][0];
    // VERSION is not read; the version comes from the webapp's pom.properties.
    assert_eq!(i["version"], "9.4.2", "{report}");
    assert!(
        i["version_source"]
            .as_str()
            .unwrap()
            .ends_with("pom.properties")
    );
    assert_eq!(code, 0, "{report}");
    // The server.xml itself a FIFO: nothing read, exit 2, no hang.
    assert!(mkfifo(&install.join("conf/server.xml")));
    let (code, report) = check(&[&tree], &[]);
    assert_eq!(code, 2, "{report}");
    // A keystore replaced by a FIFO is reported unreadable, not opened.
    let crowd = t.path().join("crowd");
    copy_tree(&fixture("check/crowd/clean"), &crowd);
    let keystore = walkdir::WalkDir::new(&crowd)
        .into_iter()
        .filter_map(Result::ok)
        .find(|e| e.file_name().to_string_lossy().ends_with(".jks"))
        .map(|e| e.into_path())
        .expect("the Crowd fixture has a keystore");
    let (_, report) = check(&[&crowd], &[]);
    assert!(!ids(&report).contains(&"keystore-unreadable".to_string()));
    assert!(mkfifo(&keystore));
    let (_, report) = check(&[&crowd], &[]);
    assert!(
        ids(&report).contains(&"keystore-unreadable".to_string()),
        "{report}"
    );
    // A FIFO given as a path.
    let fifo = t.path().join("server.xml");
    assert!(mkfifo(&fifo));
    let (code, report) = check(&[&fifo], &["--product", "jira"]);
    assert_eq!(code, 2);
    assert!(
        warning_texts(&report)
            .iter()
            .any(|w| w.contains("not a regular file")),
        "{report}"
    );
}

// ---- secrets of an unredacted baseline --------------------------------------------------

#[test]
fn baseline_taken_without_redaction_prints_no_secret() {
    let t = tempfile::tempdir().unwrap();
    let tree = t.path().join("crowd");
    copy_tree(&fixture("check/crowd/clean"), &tree);
    let snap = t.path().join("before.json");
    linkdoctor()
        .arg("snapshot")
        .arg(&tree)
        .arg("--out")
        .arg(&snap)
        .args(["--quiet", "--no-redact"])
        .assert()
        .success();
    assert!(
        fs::read_to_string(&snap)
            .unwrap()
            .contains("changeit-secret")
    );
    // The "upgrade" drops the HTTPS connector, and with it the keystore password.
    let server_xml = tree.join("atlassian-crowd-5.1.4/apache-tomcat/conf/server.xml");
    let text = fs::read_to_string(&server_xml).unwrap();
    let start = text.find("<Connector port=\"8443\"").unwrap();
    let end = start + text[start..].find("/>").unwrap() + 2;
    fs::write(&server_xml, format!("{}{}", &text[..start], &text[end..])).unwrap();
    for format in ["table", "json", "ndjson", "markdown"] {
        let out = linkdoctor()
            .arg("check")
            .arg(&tree)
            .args(["--baseline", snap.to_str().unwrap()])
            .args(["--format", format, "--color", "never", "--quiet"])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.contains("baseline-connector-lost"),
            "{format}: {stdout}"
        );
        assert!(!stdout.contains("changeit-secret"), "{format}: {stdout}");
        assert!(stdout.contains("keystorePass="), "{format}: {stdout}");
        assert_eq!(out.status.code(), Some(1), "{format}");
    }
    // The expected column names the lost settings, with the password masked.
    let (_, report) = check(&[&tree], &["--baseline", snap.to_str().unwrap()]);
    let lost = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "baseline-connector-lost")
        .unwrap();
    let expected = lost["expected"].as_str().unwrap();
    assert!(
        expected.contains("keystorePass=\"[REDACTED]\"") && expected.contains("port=\"8443\""),
        "{expected}"
    );
}
