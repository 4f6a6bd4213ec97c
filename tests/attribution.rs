//! Product, role and node attribution from the install and home layouts of seed 000, from
//! file names (rotated and gzipped siblings too) and from support zips; `--product`
//! overrides; `--installed` finds the default folders and says which; a support zip's
//! recorded `-Duser.timezone` places its offset-less lines for `--since`.

mod common;
use common::*;

use assert_cmd::Command;
use serde_json::Value;
use std::io::{Cursor, Write};
use std::path::Path;

const PKIX: &str = "2024-03-05 09:30:12,442 ERROR [http-nio-8090-exec-6] [atlassian.applinks.core.DefaultApplicationLinkRequest] execute Unable to connect\n\
com.atlassian.sal.api.net.ResponseException: javax.net.ssl.SSLHandshakeException: PKIX path building failed\n";

fn json(args: &[&str]) -> (Value, String) {
    let out = Command::cargo_bin("linkdoctor")
        .unwrap()
        .arg("scan")
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let v = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    (v, String::from_utf8_lossy(&out.stderr).into_owned())
}

/// `(path suffix, product, role)` of every source.
fn sources(v: &Value) -> Vec<(String, String, String)> {
    v["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let path = s["path"].as_str().unwrap();
            let short = path
                .rsplit_once("/root/")
                .map_or(path, |(_, rest)| rest)
                .to_string();
            (
                short,
                s["product"].as_str().unwrap_or("-").to_string(),
                s["role"].as_str().unwrap_or("-").to_string(),
            )
        })
        .collect()
}

fn layout(root: &Path) {
    let log = PKIX.as_bytes();
    write(root, "opt/atlassian/jira/logs/catalina.out", log);
    write(
        root,
        "var/atlassian/application-data/jira/log/atlassian-jira.log.1",
        log,
    );
    write(
        root,
        "opt/atlassian/crowd/apache-tomcat/logs/catalina.2024-03-05.log",
        log,
    );
    write(
        root,
        "var/atlassian/application-data/crowd/logs/atlassian-crowd.log",
        log,
    );
    write(
        root,
        "opt/atlassian/fecru/var/log/atlassian-fisheye-2024-03-05.log",
        log,
    );
    write(
        root,
        "opt/atlassian/fecru/var/log/fisheye-debug.log.2024-03-05",
        log,
    );
    write(
        root,
        "var/atlassian/application-data/bitbucket/log/atlassian-bitbucket.log.2.gz",
        &gz(log),
    );
    write(root, "opt/atlassian/confluence/logs/catalina.out", log);
}

#[test]
fn products_and_roles_from_install_and_home_layouts() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    layout(&root);
    let (v, _) = json(&[&root.display().to_string(), "--quiet"]);
    let got = sources(&v);
    let want = [
        (
            "opt/atlassian/confluence/logs/catalina.out",
            "confluence",
            "tomcat",
        ),
        (
            "opt/atlassian/crowd/apache-tomcat/logs/catalina.2024-03-05.log",
            "crowd",
            "tomcat",
        ),
        (
            "opt/atlassian/fecru/var/log/atlassian-fisheye-2024-03-05.log",
            "fisheye",
            "application",
        ),
        (
            "opt/atlassian/fecru/var/log/fisheye-debug.log.2024-03-05",
            "fisheye",
            "application",
        ),
        ("opt/atlassian/jira/logs/catalina.out", "jira", "tomcat"),
        (
            "var/atlassian/application-data/bitbucket/log/atlassian-bitbucket.log.2.gz",
            "bitbucket",
            "application",
        ),
        (
            "var/atlassian/application-data/crowd/logs/atlassian-crowd.log",
            "crowd",
            "application",
        ),
        (
            "var/atlassian/application-data/jira/log/atlassian-jira.log.1",
            "jira",
            "application",
        ),
    ];
    let want: Vec<(String, String, String)> = want
        .iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect();
    assert_eq!(got, want);
    // --product overrides every input.
    let (v, _) = json(&[&root.display().to_string(), "--quiet", "--product", "stash"]);
    assert!(sources(&v).iter().all(|(_, p, _)| p == "bitbucket"));
}

#[test]
fn installed_finds_default_folders_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    layout(&root);
    let r = root.display().to_string();
    let (v, stderr) = json(&["--installed", "--installed-root", &r]);
    for said in [
        "found jira install",
        "found jira home",
        "found crowd install",
        "found fisheye install",
        "found bitbucket home",
    ] {
        assert!(stderr.contains(said), "{said}: {stderr}");
    }
    assert_eq!(v["summary"]["inputs"], 8);
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let out = Command::cargo_bin("linkdoctor")
        .unwrap()
        .args(["scan", "--installed", "--installed-root"])
        .arg(&empty)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no product found"));
}

#[test]
fn support_zip_time_zone_places_offsetless_lines() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default();
    w.start_file("application-logs/atlassian-confluence.log", opts)
        .unwrap();
    w.write_all(PKIX.as_bytes()).unwrap();
    w.start_file("application-properties/application.xml", opts)
        .unwrap();
    w.write_all(b"<confluence><server-name>wiki1</server-name><jvm>-Duser.timezone=Asia/Tokyo</jvm></confluence>")
        .unwrap();
    let zip = dir.path().join("Confluence_support_2024-03-05.zip");
    std::fs::write(&zip, w.finish().unwrap().into_inner()).unwrap();
    let z = zip.display().to_string();
    // 09:30 in Tokyo is 00:30 UTC: before the bound, although --timezone says UTC.
    let (v, _) = json(&[
        &z,
        "--quiet",
        "--timezone",
        "UTC",
        "--since",
        "2024-03-05T09:00:00Z",
    ]);
    assert_eq!(v["summary"]["events"], 0);
    let (v, _) = json(&[
        &z,
        "--quiet",
        "--timezone",
        "UTC",
        "--since",
        "2024-03-05T00:00:00Z",
    ]);
    assert_eq!(v["summary"]["events"], 1);
    assert_eq!(v["sources"][0]["node"], "wiki1");
    assert_eq!(v["sources"][0]["product"], "confluence");
}
