//! CLI tests of `linkdoctor check` and `linkdoctor snapshot` on the fixture trees under
//! `tests/fixtures/check/`: one defective and one clean tree per product/version row of seed
//! 000's server.xml table, several connectors, a malformed server.xml, a support zip built
//! on the fly, and snapshot → upgrade → `check --baseline` round trips.

use assert_cmd::Command;
use serde_json::Value;
use std::fs;
use std::path::{Path, PathBuf};

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/check")
        .join(rel)
}

fn linkdoctor() -> Command {
    Command::cargo_bin("linkdoctor").unwrap()
}

/// Runs `check ... --format json`; returns the exit code and the report.
fn check(paths: &[&Path], extra: &[&str]) -> (i32, Value) {
    let out = linkdoctor()
        .arg("check")
        .args(paths)
        .args(extra)
        .args(["--format", "json", "--quiet"])
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

/// `(id, attribute, file suffix)` of every finding, sorted.
fn findings(report: &Value) -> Vec<(String, String, String)> {
    let mut v: Vec<(String, String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let file = f["file"].as_str().unwrap().replace('\\', "/");
            let suffix = file
                .rsplit_once("/check/")
                .map(|(_, s)| s.to_string())
                .unwrap_or(file.clone());
            (
                f["rule"].as_str().unwrap().to_string(),
                f["attribute"].as_str().unwrap_or("").to_string(),
                suffix,
            )
        })
        .collect();
    v.sort();
    v
}

fn effective(report: &Value) -> Vec<String> {
    report["instances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let f = i["effective_file"]
                .as_str()
                .unwrap_or("")
                .replace('\\', "/");
            f.rsplit_once("/check/")
                .map(|(_, s)| s.to_string())
                .unwrap_or(f)
        })
        .collect()
}

struct Row {
    dir: &'static str,
    base_url: Option<&'static str>,
    effective_defect: &'static str,
    expected: &'static [(&'static str, &'static str, &'static str)],
}

/// Every product/version row of seed 000's table, with the findings its defective tree must
/// produce. The clean tree next to it must produce none.
const ROWS: &[Row] = &[
    Row {
        dir: "jira",
        base_url: Some("https://jira.example.com"),
        effective_defect: "jira/defect/atlassian-jira-software-9.4.2-standalone/conf/server.xml",
        expected: &[
            (
                "scheme-secure-mismatch",
                "secure",
                "jira/defect/atlassian-jira-software-9.4.2-standalone/conf/server.xml",
            ),
            (
                "trusted-applications-configured",
                "",
                "jira/defect/atlassian-jira-software-9.4.2-standalone/atlassian-jira/WEB-INF/classes/seraph-config.xml",
            ),
        ],
    },
    Row {
        dir: "confluence",
        base_url: Some("https://wiki.example.com/wiki"),
        effective_defect: "confluence/defect/atlassian-confluence-8.5.4/conf/server.xml",
        expected: &[(
            "proxy-name-without-port",
            "proxyPort",
            "confluence/defect/atlassian-confluence-8.5.4/conf/server.xml",
        )],
    },
    Row {
        dir: "bamboo",
        base_url: Some("https://bamboo.example.com"),
        effective_defect: "bamboo/defect/atlassian-bamboo-9.2.1/conf/server.xml",
        // The base URL asks for the same fix: merged into this finding.
        expected: &[(
            "proxy-port-scheme-mismatch",
            "scheme",
            "bamboo/defect/atlassian-bamboo-9.2.1/conf/server.xml",
        )],
    },
    Row {
        dir: "crowd",
        base_url: Some("https://crowd.example.com:8443/crowd"),
        effective_defect: "crowd/defect/atlassian-crowd-5.1.4/apache-tomcat/conf/server.xml",
        expected: &[(
            "keystore-unreadable",
            "keystoreFile",
            "crowd/defect/atlassian-crowd-5.1.4/apache-tomcat/conf/server.xml",
        )],
    },
    Row {
        dir: "bitbucket5",
        base_url: Some("https://bitbucket.example.com"),
        effective_defect: "bitbucket5/defect/bitbucket-home/shared/bitbucket.properties",
        expected: &[
            (
                "scheme-secure-mismatch",
                "server.secure",
                "bitbucket5/defect/bitbucket-home/shared/bitbucket.properties",
            ),
            (
                "shared-server-xml-ignored",
                "",
                "bitbucket5/defect/bitbucket-home/shared/server.xml",
            ),
        ],
    },
    Row {
        dir: "bitbucket4",
        base_url: Some("https://git.example.com"),
        effective_defect: "bitbucket4/defect/bitbucket-home/shared/server.xml",
        expected: &[(
            "base-url-mismatch",
            "proxyPort",
            "bitbucket4/defect/bitbucket-home/shared/server.xml",
        )],
    },
    Row {
        dir: "stash38-shared",
        base_url: Some("https://stash.example.com"),
        effective_defect: "stash38-shared/defect/stash-home/shared/server.xml",
        expected: &[(
            "scheme-secure-mismatch",
            "scheme",
            "stash38-shared/defect/stash-home/shared/server.xml",
        )],
    },
    Row {
        dir: "stash38-fallback",
        base_url: Some("https://stash.example.com"),
        effective_defect: "stash38-fallback/defect/atlassian-stash-3.11.0/conf/server.xml",
        expected: &[(
            "base-url-no-connector",
            "proxyName",
            "stash38-fallback/defect/atlassian-stash-3.11.0/conf/server.xml",
        )],
    },
    Row {
        dir: "stash37",
        base_url: Some("https://stash.example.com"),
        effective_defect: "stash37/defect/atlassian-stash-3.7.1/conf/server.xml",
        expected: &[
            (
                "proxy-name-without-port",
                "proxyPort",
                "stash37/defect/atlassian-stash-3.7.1/conf/server.xml",
            ),
            (
                "shared-server-xml-ignored",
                "",
                "stash37/defect/stash-home/shared/server.xml",
            ),
        ],
    },
    Row {
        dir: "fisheye",
        base_url: None, // config.xml's site-url is the base URL
        effective_defect: "fisheye/defect/fecru-4.8.12/config.xml",
        expected: &[(
            "base-url-no-connector",
            "proxy-host",
            "fisheye/defect/fecru-4.8.12/config.xml",
        )],
    },
];

fn base_args(row: &Row) -> Vec<&'static str> {
    row.base_url
        .map(|u| vec!["--base-url", u])
        .unwrap_or_default()
}

#[test]
fn defective_trees_produce_their_findings() {
    for row in ROWS {
        let (code, report) = check(&[&fixture(&format!("{}/defect", row.dir))], &base_args(row));
        let mut expected: Vec<(String, String, String)> = row
            .expected
            .iter()
            .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
            .collect();
        expected.sort();
        assert_eq!(findings(&report), expected, "{}", row.dir);
        assert_eq!(effective(&report), [row.effective_defect], "{}", row.dir);
        assert_eq!(code, 1, "{}: errors must exit 1", row.dir);
        assert_eq!(
            report["warnings"].as_array().unwrap().len(),
            0,
            "{}: {report}",
            row.dir
        );
    }
}

#[test]
fn clean_trees_produce_no_findings() {
    for row in ROWS {
        let (code, report) = check(&[&fixture(&format!("{}/clean", row.dir))], &base_args(row));
        assert_eq!(findings(&report), vec![], "{}", row.dir);
        assert_eq!(code, 0, "{}", row.dir);
        assert_eq!(report["warnings"], serde_json::json!([]), "{}", row.dir);
        assert_eq!(
            report["instances"].as_array().unwrap().len(),
            1,
            "{}",
            row.dir
        );
    }
}

#[test]
fn versions_and_effective_files_follow_seed_000() {
    let cases = [
        ("jira/clean", "jira", "9.4.2", "conf/server.xml"),
        (
            "crowd/clean",
            "crowd",
            "5.1.4",
            "apache-tomcat/conf/server.xml",
        ),
        (
            "bitbucket5/clean",
            "bitbucket",
            "7.21.0",
            "shared/bitbucket.properties",
        ),
        (
            "bitbucket4/clean",
            "bitbucket",
            "4.14.3",
            "bitbucket-home/shared/server.xml",
        ),
        (
            "stash38-fallback/clean",
            "stash",
            "3.11.0",
            "atlassian-stash-3.11.0/conf/server.xml",
        ),
        (
            "stash37/clean",
            "stash",
            "3.7.1",
            "atlassian-stash-3.7.1/conf/server.xml",
        ),
        (
            "fisheye/clean",
            "fisheye",
            "4.8.12",
            "fecru-4.8.12/config.xml",
        ),
    ];
    for (dir, product, version, file) in cases {
        let (_, report) = check(&[&fixture(dir)], &[]);
        let i = &report["instances"][0];
        assert_eq!(i["product_label"], product, "{dir}");
        assert_eq!(i["version"], version, "{dir}");
        assert!(
            i["effective_file"].as_str().unwrap().ends_with(file),
            "{dir}: {i}"
        );
    }
    // Bitbucket 4: both server.xml files are reported, the shared one is in effect.
    let (_, report) = check(&[&fixture("bitbucket4/clean")], &[]);
    assert_eq!(
        report["instances"][0]["files_found"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
}

#[test]
fn several_connectors_where_the_proxied_one_is_not_reached() {
    let (code, report) = check(
        &[&fixture("jira-several-connectors/defect")],
        &["--base-url", "http://jira-internal.example.com:8080"],
    );
    let f = findings(&report);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].0, "proxied-connector-not-reached");
    assert_eq!(report["findings"][0]["line"], 8);
    assert_eq!(code, 0, "a warning is below the default --fail-on error");
    let out = linkdoctor()
        .args([
            "check",
            "--fail-on",
            "warning",
            "--base-url",
            "http://jira-internal.example.com:8080",
        ])
        .arg(fixture("jira-several-connectors/defect"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn malformed_xml_is_a_located_warning_and_other_checks_run() {
    let out = linkdoctor()
        .arg("check")
        .arg(fixture("jira-malformed"))
        .arg(fixture("confluence/clean"))
        .args(["--format", "json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("conf/server.xml:4: column 25: malformed XML"),
        "{stderr}"
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["warnings"][0]["line"], 4);
    let ids: Vec<String> = findings(&report).into_iter().map(|f| f.0).collect();
    assert_eq!(
        ids,
        [
            "timezone-differs",
            "timezone-differs",
            "trusted-applications-configured"
        ],
        "the other checks still run"
    );
    assert_eq!(out.status.code(), Some(0));
    let strict = linkdoctor()
        .arg("check")
        .arg(fixture("jira-malformed"))
        .args(["--strict", "--quiet"])
        .output()
        .unwrap();
    assert_eq!(strict.status.code(), Some(2));
}

#[test]
fn time_zones_differing_between_linked_servers() {
    let (_, report) = check(&[&fixture("jira/clean"), &fixture("confluence/clean")], &[]);
    let tz: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "timezone-differs")
        .collect();
    assert_eq!(tz.len(), 2);
    let zones: Vec<&str> = tz.iter().map(|f| f["current"].as_str().unwrap()).collect();
    assert!(
        zones.contains(&"Europe/Berlin") && zones.contains(&"UTC"),
        "{zones:?}"
    );
    assert!(tz[0]["file"].as_str().unwrap().ends_with("bin/setenv.sh"));
}

#[test]
fn every_format_renders() {
    let dir = fixture("bitbucket5/defect");
    for (format, needle) in [
        ("table", "server.secure"),
        ("markdown", "| error |"),
        ("ndjson", "\"type\":\"summary\""),
    ] {
        let out = linkdoctor()
            .args([
                "check",
                "--format",
                format,
                "--base-url",
                "https://bitbucket.example.com",
            ])
            .arg(&dir)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains(needle), "{format}: {text}");
        assert!(!text.contains("db-secret"), "{format} leaks a password");
    }
    let out = linkdoctor()
        .args(["check", "--format", "ndjson"])
        .arg(&dir)
        .output()
        .unwrap();
    let kinds: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["type"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(kinds.last().map(String::as_str), Some("summary"));
    assert!(
        kinds.iter().all(|k| k == "finding" || k == "summary"),
        "{kinds:?}"
    );
}

#[test]
fn bad_base_url_is_a_usage_error() {
    linkdoctor()
        .args(["check", "--base-url", "jira.example.com"])
        .arg(fixture("jira/clean"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("no scheme"));
}

#[test]
fn paths_without_installations_are_warnings_and_not_all_clear() {
    let empty = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(empty.path().join("stuff/more")).unwrap();
    let (code, report) = check(&[empty.path()], &[]);
    assert_eq!(code, 2, "nothing read is not all clear: {report}");
    assert!(
        report["warnings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("no Atlassian install")
    );
    let why = report["summary"]["nothing_checked"].as_str().unwrap();
    let shown = empty.path().display().to_string();
    assert!(
        why.contains(&format!(
            "no server.xml, bitbucket.properties or config.xml under {shown}; looked at: {shown}"
        )),
        "{why}"
    );
    assert!(why.contains("stuff"), "{why}");
    // The table says so too, instead of "no problems".
    let out = linkdoctor()
        .arg("check")
        .arg(empty.path())
        .args(["--color", "never"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        !stdout.contains("No configuration problems found"),
        "{stdout}"
    );
    assert!(stdout.contains("Nothing was checked"), "{stdout}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("nothing checked: no configuration read"),
        "{stderr}"
    );
}

#[test]
fn every_path_unreadable_is_exit_2() {
    let t = tempfile::tempdir().unwrap();
    let missing = t.path().join("nope");
    let (code, report) = check(&[&missing], &[]);
    assert_eq!(code, 2);
    let why = report["summary"]["nothing_checked"].as_str().unwrap();
    assert!(why.contains("nope: no such file or directory"), "{why}");
    // A file that is none of the configuration files check reads.
    let other = t.path().join("notes.txt");
    fs::write(&other, "hello").unwrap();
    let (code, report) = check(&[&other, &missing], &[]);
    assert_eq!(code, 2);
    let warnings: Vec<String> = report["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["message"].as_str().unwrap().to_string())
        .collect();
    assert!(
        warnings.iter().any(|w| w.contains("nor a server.xml")),
        "{warnings:?}"
    );
    // A Jira install whose server.xml is missing: found, but nothing read.
    let jira = t.path().join("opt/atlassian/jira");
    fs::create_dir_all(jira.join("atlassian-jira")).unwrap();
    let (code, report) = check(&[&jira], &[]);
    assert_eq!(code, 2, "{report}");
    assert!(
        report["summary"]["nothing_checked"]
            .as_str()
            .unwrap()
            .contains("jira at "),
        "{report}"
    );
}

fn support_zip(dir: &Path, name: &str, members: &[(&str, &str)]) -> PathBuf {
    use std::io::Write;
    let path = dir.join(name);
    let mut z = zip::ZipWriter::new(fs::File::create(&path).unwrap());
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (member, text) in members {
        z.start_file(*member, opts).unwrap();
        z.write_all(text.as_bytes()).unwrap();
    }
    z.finish().unwrap();
    path
}

const APPLICATION_XML: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<properties>
  <application-information>
    <Version>9.12.1</Version>
    <Base-URL>https://jira.example.com</Base-URL>
  </application-information>
  <java-runtime-environment>
    <JVM-Input-Arguments>-Xms2g -Xmx2g -Duser.timezone=Australia/Sydney -Djava.awt.headless=true</JVM-Input-Arguments>
  </java-runtime-environment>
</properties>
"#;

#[test]
fn support_zip_is_read_in_place() {
    let t = tempfile::tempdir().unwrap();
    let zip = support_zip(
        t.path(),
        "Jira_support_2026-11-23.zip",
        &[
            (
                "application-logs/atlassian-jira.log",
                "2026-11-23 10:00:00,000 INFO [main] started\n",
            ),
            ("application-properties/application.xml", APPLICATION_XML),
            (
                "application-config/applinks-export.json",
                "{\n  \"name\": \"Confluence\",\n  \"outgoing\": \"com.atlassian.applinks.api.auth.types.BasicAuthenticationProvider\"\n}\n",
            ),
            (
                "tomcat-config/server.xml",
                "<Server>\n  <Service name=\"Catalina\">\n    <Connector port=\"8080\" protocol=\"HTTP/1.1\" keystorePass=\"zip-secret\"/>\n  </Service>\n</Server>\n",
            ),
        ],
    );
    let (code, report) = check(&[&zip], &[]);
    let i = &report["instances"][0];
    assert_eq!(i["product"], "jira");
    assert_eq!(i["version"], "9.12.1");
    assert_eq!(i["base_url"], "https://jira.example.com");
    assert_eq!(i["timezone"], "Australia/Sydney");
    assert!(
        i["effective_file"]
            .as_str()
            .unwrap()
            .ends_with(".zip!tomcat-config/server.xml")
    );
    let f = findings(&report);
    assert_eq!(f.len(), 2, "{f:?}");
    assert_eq!(f[0].0, "base-url-no-connector");
    assert_eq!(f[1].0, "basic-auth-configured");
    assert!(
        f[1].2
            .ends_with(".zip!application-config/applinks-export.json"),
        "{f:?}"
    );
    assert_eq!(report["findings"][1]["line"], 3);
    assert_eq!(code, 1);
    assert!(!report.to_string().contains("zip-secret"));
}

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

#[test]
fn snapshot_then_upgrade_then_baseline_lists_lost_customisations() {
    let t = tempfile::tempdir().unwrap();
    let tree = t.path().join("jira");
    copy_tree(&fixture("jira/clean"), &tree);
    let snap = t.path().join("before.json");
    linkdoctor()
        .arg("snapshot")
        .arg(&tree)
        .arg("--out")
        .arg(&snap)
        .args(["--base-url", "https://jira.example.com"])
        .assert()
        .success();
    let saved: Value = serde_json::from_str(&fs::read_to_string(&snap).unwrap()).unwrap();
    assert_eq!(saved["format"], "linkdoctor-config-snapshot");
    assert_eq!(saved["format_version"], 1);
    // Unchanged: nothing lost.
    let (code, report) = check(&[&tree], &["--baseline", snap.to_str().unwrap()]);
    assert_eq!(findings(&report), vec![], "{report}");
    assert_eq!(code, 0);
    // The "upgrade" writes the stock server.xml over the customised one.
    let server_xml = tree.join("atlassian-jira-software-9.4.2-standalone/conf/server.xml");
    fs::write(
        &server_xml,
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Server port=\"8005\" shutdown=\"SHUTDOWN\">\n    <Service name=\"Catalina\">\n        <Connector port=\"8080\" maxThreads=\"150\" minSpareThreads=\"25\" connectionTimeout=\"20000\" enableLookups=\"false\"\n                   protocol=\"HTTP/1.1\" redirectPort=\"8443\" acceptCount=\"100\" bindOnInit=\"false\" maxHttpHeaderSize=\"8192\"/>\n        <Engine name=\"Catalina\" defaultHost=\"localhost\"><Host name=\"localhost\" appBase=\"webapps\"><Context path=\"\" docBase=\"x\"/></Host></Engine>\n    </Service>\n</Server>\n",
    )
    .unwrap();
    let (code, report) = check(&[&tree], &["--baseline", snap.to_str().unwrap()]);
    let lost: Vec<(String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "baseline-lost")
        .map(|f| {
            (
                f["attribute"].as_str().unwrap().to_string(),
                f["expected"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    for want in [
        ("proxyName", "jira.example.com"),
        ("proxyPort", "443"),
        ("scheme", "https"),
        ("secure", "true"),
        ("relaxedPathChars", "[]|"),
    ] {
        assert!(
            lost.contains(&(want.0.into(), want.1.into())),
            "{want:?} not in {lost:?}"
        );
    }
    // The base URL the snapshot recorded is checked too.
    let no_connector = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "base-url-no-connector")
        .unwrap_or_else(|| panic!("{report}"));
    assert!(
        no_connector["explanation"]
            .as_str()
            .unwrap()
            .contains("baseline")
    );
    let fix = report["findings"][0]["fix"].as_str().unwrap();
    assert!(fix.contains("checklist item 2"), "{fix}");
    assert_eq!(code, 1);
}

#[test]
fn bitbucket_4_to_5_upgrade_is_compared_across_formats() {
    let t = tempfile::tempdir().unwrap();
    let tree = t.path().join("bb");
    copy_tree(&fixture("bitbucket4/clean"), &tree);
    let snap = t.path().join("bb4.json");
    linkdoctor()
        .arg("snapshot")
        .arg(&tree)
        .arg("-o")
        .arg(&snap)
        .arg("--quiet")
        .assert()
        .success();
    // Upgrade to 7.x: new install directory; shared/server.xml is left behind, and
    // bitbucket.properties only has what the database migration wrote.
    fs::remove_dir_all(tree.join("atlassian-bitbucket-4.14.3")).unwrap();
    fs::create_dir_all(tree.join("atlassian-bitbucket-7.21.0/app")).unwrap();
    fs::create_dir_all(tree.join("atlassian-bitbucket-7.21.0/bin")).unwrap();
    fs::write(
        tree.join("atlassian-bitbucket-7.21.0/bin/start-bitbucket.sh"),
        "#!/bin/sh\n",
    )
    .unwrap();
    let (code, report) = check(&[&tree], &["--baseline", snap.to_str().unwrap()]);
    let f = findings(&report);
    for attr in [
        "server.proxy-name",
        "server.proxy-port",
        "server.scheme",
        "server.secure",
    ] {
        assert!(
            f.iter()
                .any(|(id, a, _)| id == "baseline-lost" && a == attr),
            "{attr} not reported lost: {f:?}"
        );
    }
    assert!(
        f.iter().any(|(id, _, _)| id == "shared-server-xml-ignored"),
        "{f:?}"
    );
    assert!(
        f.iter()
            .any(|(id, _, _)| id == "baseline-effective-file-changed"),
        "{f:?}"
    );
    assert_eq!(code, 1);
}

#[test]
fn snapshot_masks_passwords_unless_asked() {
    let t = tempfile::tempdir().unwrap();
    let snap = t.path().join("s.json");
    linkdoctor()
        .arg("snapshot")
        .arg(fixture("crowd/clean"))
        .arg("--out")
        .arg(&snap)
        .arg("--quiet")
        .assert()
        .success();
    let text = fs::read_to_string(&snap).unwrap();
    assert!(!text.contains("changeit-secret"), "{text}");
    assert!(text.contains("keystorePass"));
    linkdoctor()
        .arg("snapshot")
        .arg(fixture("crowd/clean"))
        .arg("--out")
        .arg(&snap)
        .args(["--quiet", "--no-redact", "--force"])
        .assert()
        .success();
    assert!(
        fs::read_to_string(&snap)
            .unwrap()
            .contains("changeit-secret")
    );
}

#[test]
fn bad_baseline_and_empty_snapshot_are_fatal() {
    let t = tempfile::tempdir().unwrap();
    let bad = t.path().join("bad.json");
    fs::write(&bad, "{\"format\": \"something-else\"}").unwrap();
    linkdoctor()
        .arg("check")
        .arg(fixture("jira/clean"))
        .arg("--baseline")
        .arg(&bad)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("bad.json"));
    linkdoctor()
        .arg("snapshot")
        .arg(t.path())
        .arg("--out")
        .arg(t.path().join("s.json"))
        .arg("--quiet")
        .assert()
        .code(2)
        .stderr(predicates::str::contains("nothing to snapshot"));
}

#[test]
fn one_base_url_for_several_products_is_a_warning() {
    let (_, report) = check(
        &[&fixture("jira/clean"), &fixture("confluence/clean")],
        &["--base-url", "https://jira.example.com"],
    );
    let warnings = report["warnings"].as_array().unwrap();
    assert!(
        warnings
            .iter()
            .any(|w| w["message"].as_str().unwrap().contains("product=URL")),
        "{warnings:?}"
    );
    let (_, report) = check(
        &[&fixture("jira/clean"), &fixture("confluence/clean")],
        &[
            "--base-url",
            "jira=https://jira.example.com",
            "--base-url",
            "confluence=https://wiki.example.com/wiki",
        ],
    );
    assert_eq!(report["warnings"], serde_json::json!([]));
    let ids: Vec<String> = findings(&report).into_iter().map(|f| f.0).collect();
    assert_eq!(ids, ["timezone-differs", "timezone-differs"]);
}

#[test]
fn a_folder_of_many_installs_pairs_each_install_with_its_home() {
    let (_, report) = check(&[&fixture("")], &[]);
    let instances = report["instances"].as_array().unwrap();
    // 10 rows x (defect + clean), the several-connectors tree and the malformed one.
    assert_eq!(instances.len(), 22);
    for i in instances {
        let label = i["product_label"].as_str().unwrap();
        if label == "bitbucket" || label == "stash" {
            assert_eq!(i["roots"].as_array().unwrap().len(), 2, "{i}");
        }
    }
    let warnings = report["warnings"].as_array().unwrap();
    assert_eq!(
        warnings.len(),
        1,
        "only the malformed server.xml: {warnings:?}"
    );
    // Same input, same bytes.
    let (_, again) = check(&[&fixture("")], &[]);
    assert_eq!(report, again);
}
