//! Shards and merge: partial reports of any split of the inputs (by `--shard I/N`, by
//! explicit subsets of files or host folders) merge into the JSON one scan prints, byte for
//! byte, in any order and when merged parts are merged again; parts scanned differently are
//! refused. Also the machine contract (every JSON and NDJSON output validates against
//! `schema/report.schema.json`, the Prometheus text format), `--since` with undated events,
//! host folders named with product words, `--node-from`/`--fleet-root`, and the recipes in
//! `docs/recipes` run as their engines would run them. All logs here are synthetic.

mod common;

use common::{gz, linkdoctor, write};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Fixed scan time and zone: outputs of different runs compare byte for byte.
const EPOCH: &str = "1700000000";

fn ld() -> assert_cmd::Command {
    let mut c = linkdoctor();
    c.env("SOURCE_DATE_EPOCH", EPOCH);
    for v in [
        "JOB_COMPLETION_INDEX",
        "JOB_COMPLETIONS",
        "SLURM_ARRAY_TASK_ID",
        "SLURM_ARRAY_TASK_MIN",
        "SLURM_ARRAY_TASK_COUNT",
    ] {
        c.env_remove(v);
    }
    c
}

/// Runs linkdoctor; returns stdout, stderr and the exit code.
fn run(args: &[&str]) -> (Vec<u8>, String, i32) {
    let out = ld().args(args).output().expect("runs");
    (
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

/// `scan ARGS --format json` (UTC, quiet), as bytes.
fn scan_json(args: &[&str]) -> Vec<u8> {
    let mut a = vec!["scan"];
    a.extend_from_slice(args);
    a.extend(["--format", "json", "--timezone", "UTC", "--quiet"]);
    let (out, err, code) = run(&a);
    assert!(code == 0 || code == 1, "exit {code}: {err}");
    out
}

/// `scan ARGS --out PART` (UTC, quiet).
fn scan_part(args: &[&str], part: &Path) {
    let p = part.display().to_string();
    let mut a = vec!["scan"];
    a.extend_from_slice(args);
    a.extend(["--out", &p, "--timezone", "UTC", "--quiet"]);
    let (_, err, code) = run(&a);
    assert_eq!(code, 0, "{err}");
}

/// `merge PARTS --format json`.
fn merge_json(parts: &[PathBuf]) -> Vec<u8> {
    let names: Vec<String> = parts.iter().map(|p| p.display().to_string()).collect();
    let mut a = vec!["merge"];
    a.extend(names.iter().map(String::as_str));
    a.extend(["--format", "json", "--quiet"]);
    let (out, err, code) = run(&a);
    assert!(code == 0 || code == 1, "exit {code}: {err}");
    out
}

fn same(a: &[u8], b: &[u8], what: &str) {
    if a != b {
        let (a, b) = (String::from_utf8_lossy(a), String::from_utf8_lossy(b));
        let at = a
            .lines()
            .zip(b.lines())
            .position(|(x, y)| x != y)
            .unwrap_or(0);
        panic!(
            "{what}: merged report differs from one scan at line {at}:\n{}\n---\n{}",
            a.lines().nth(at).unwrap_or(""),
            b.lines().nth(at).unwrap_or("")
        );
    }
}

const PROVIDER: &str = "2024-03-05 09:12:44,614-0600 http-nio-8080-exec-3 WARN anonymous 552x1041x1 - 10.20.1.7 /rest/api/2/search [c.a.oauth.serviceprovider.internal.AuthenticatorImpl] Rejecting OAuth request for url \"https://HOST/rest/api/2/search\" due to invalid timestamp ({oauth_problem=timestamp_refused, oauth_acceptable_timestamps=1709651264-1709651864})\n";
const PKIX: &str = "2024-03-05 09:30:12,442 ERROR [http-nio-8090-exec-6] [atlassian.applinks.core.DefaultApplicationLinkRequest] execute Unable to connect to https://jira.example.com\n\
com.atlassian.sal.api.net.ResponseException: javax.net.ssl.SSLHandshakeException: boom\n\
\tat com.atlassian.sal.core.net.HttpClientRequest.executeAndReturn(HttpClientRequest.java:102)\n\
Caused by: javax.net.ssl.SSLHandshakeException: PKIX path building failed: unable to find valid certification path to requested target\n";
/// A Tomcat line without a time: an undated event.
const UNDATED: &str = "javax.net.ssl.SSLHandshakeException: PKIX path building failed: sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid certification path to requested target\n";

/// Host folders of the generated fleet: several carry a product word.
const HOSTS: [&str; 8] = [
    "jira01.example.com",
    "jira02.example.com",
    "jira-dc-node1",
    "jira-dc-node2",
    "wiki03.example.com",
    "confluence-a1",
    "bitbucket-prod-1",
    "web7",
];

/// A synthetic fleet share `<root>/<host>/<product>-home/log/...`: many events per file
/// (over the 50 listed line numbers), over 64 distinct remote hosts per cause (over the
/// bounded value counts), rotated gzip logs, undated events and a log with no event.
fn fleet(root: &Path) {
    for (h, host) in HOSTS.iter().enumerate() {
        let product = if host.contains("wiki") || host.contains("confluence") {
            "confluence"
        } else if host.contains("bitbucket") {
            "bitbucket"
        } else {
            "jira"
        };
        let mut log = String::new();
        for i in 0..(40 + 9 * h) {
            log.push_str(&format!(
                "2024-03-05 09:{:02}:{:02},000+0000 INFO [main] ordinary line {i}\n",
                i % 60,
                (i * 7) % 60
            ));
            if i % 2 == 0 {
                log.push_str(
                    &PROVIDER.replace("HOST", &format!("jira{}.example.com", (h * 13 + i) % 90)),
                );
            }
            if i % 7 == 3 {
                log.push_str(PKIX);
            }
        }
        write(
            root,
            &format!("{host}/{product}-home/log/atlassian-{product}.log"),
            log.as_bytes(),
        );
        write(
            root,
            &format!("{host}/{product}-home/log/atlassian-{product}.log.1.gz"),
            &gz(PKIX.repeat(h + 1).as_bytes()),
        );
        write(
            root,
            &format!("{host}/{product}-install/logs/catalina.out"),
            format!("{UNDATED}{}", "INFO: server started\n".repeat(h)).as_bytes(),
        );
    }
    write(root, "web7/empty/logs/quiet.log", b"nothing to see\n");
}

/// The paths of the inputs one scan reports.
fn source_paths(report: &[u8]) -> Vec<String> {
    let v: Value = serde_json::from_slice(report).expect("json");
    v["sources"]
        .as_array()
        .expect("sources")
        .iter()
        .map(|s| s["path"].as_str().expect("path").to_string())
        .collect()
}

#[test]
fn shards_of_the_sample_logs_merge_to_one_scan() {
    let one = scan_json(&["sample-logs"]);
    let dir = tempfile::tempdir().unwrap();
    for n in [1u32, 2, 3, 5, 8] {
        let mut parts = Vec::new();
        for i in 0..n {
            let p = dir.path().join(format!("s{n}-{i}.json"));
            scan_part(&["sample-logs", "--shard", &format!("{i}/{n}")], &p);
            parts.push(p);
        }
        same(&one, &merge_json(&parts), &format!("{n} shards"));
        parts.reverse();
        same(&one, &merge_json(&parts), &format!("{n} shards, reversed"));
    }
    // Explicit subsets of the files, split in several ways (file i to group (i*k+j) % g).
    let files = source_paths(&one);
    assert!(files.len() > 10, "{files:?}");
    for (g, k) in [(2usize, 1usize), (3, 2), (4, 3), (files.len(), 1)] {
        let mut parts = Vec::new();
        for j in 0..g {
            let group: Vec<&str> = files
                .iter()
                .enumerate()
                .filter(|(i, _)| (i * k + j) % g == 0)
                .map(|(_, f)| f.as_str())
                .collect();
            if group.is_empty() {
                continue;
            }
            let p = dir.path().join(format!("f{g}-{k}-{j}.json"));
            scan_part(&group, &p);
            parts.push(p);
        }
        same(&one, &merge_json(&parts), &format!("{g} file groups"));
    }
}

#[test]
fn shards_of_a_fleet_merge_to_one_scan_and_merges_are_associative() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("fleet");
    fleet(&root);
    let r = root.display().to_string();
    let one = scan_json(&[&r]);
    let v: Value = serde_json::from_slice(&one).unwrap();
    // Host folders with product words keep their node.
    let nodes: Vec<&str> = v["node_summary"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["node"].as_str().unwrap())
        .collect();
    let mut hosts = HOSTS.to_vec();
    hosts.sort();
    assert_eq!(nodes, hosts);
    // The caps are reached, so the merge of bounded tallies is exercised.
    let text = String::from_utf8_lossy(&one);
    assert!(text.contains("more than 64 distinct values"), "{text}");
    assert!(v["summary"]["undated_events"].as_u64().unwrap() >= 8);

    let parts_dir = dir.path().join("parts");
    std::fs::create_dir_all(&parts_dir).unwrap();
    for n in [2u32, 3, 4, 7] {
        let parts: Vec<PathBuf> = (0..n)
            .map(|i| {
                let p = parts_dir.join(format!("{n}-{i}.json"));
                scan_part(&[&r, "--shard", &format!("{i}/{n}")], &p);
                p
            })
            .collect();
        same(&one, &merge_json(&parts), &format!("fleet in {n} shards"));
        // Merge the first two, then the rest with it: the same.
        let m = parts_dir.join(format!("{n}-merged.json"));
        let (_, err, code) = run(&[
            "merge",
            &parts[0].display().to_string(),
            &parts[1].display().to_string(),
            "--out",
            &m.display().to_string(),
        ]);
        assert_eq!(code, 0, "{err}");
        let mut again = vec![m];
        again.extend(parts[2..].iter().rev().cloned());
        same(
            &one,
            &merge_json(&again),
            &format!("fleet in {n} shards, merged twice"),
        );
    }
    // Host folders scanned apart, nodes placed by --fleet-root: the same report.
    let parts: Vec<PathBuf> = HOSTS
        .chunks(3)
        .enumerate()
        .map(|(k, hs)| {
            let paths: Vec<String> = hs
                .iter()
                .map(|h| root.join(h).display().to_string())
                .collect();
            let mut args: Vec<&str> = paths.iter().map(String::as_str).collect();
            args.extend(["--fleet-root", &r]);
            let p = parts_dir.join(format!("hosts-{k}.json"));
            scan_part(&args, &p);
            p
        })
        .collect();
    same(
        &one,
        &merge_json(&parts),
        "host folders apart with --fleet-root",
    );
}

#[test]
fn shards_grouped_by_remote_merge_to_one_scan() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("fleet");
    fleet(&root);
    let r = root.display().to_string();
    for input in ["sample-logs", r.as_str()] {
        let one = scan_json(&[input, "--group-by", "remote"]);
        let v: Value = serde_json::from_slice(&one).unwrap();
        assert_eq!(v["group_by"], "remote");
        assert!(
            v["findings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["group"] != "-"),
            "some finding names its remote end"
        );
        if input != "sample-logs" {
            // 90 remote ends over the fleet: the 64 smallest are groups, the rest one group.
            let groups: Vec<&str> = v["findings"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|f| f["rule"] == "oauth-timestamp-refused")
                .map(|f| f["group"].as_str().unwrap())
                .collect();
            assert_eq!(groups.len(), 65, "{groups:?}");
            assert!(groups.contains(&"(other remote ends)"), "{groups:?}");
        }
        for n in [2u32, 5] {
            let mut parts: Vec<PathBuf> = (0..n)
                .map(|i| {
                    let p = dir.path().join(format!("remote-{n}-{i}.json"));
                    scan_part(
                        &[
                            input,
                            "--group-by",
                            "remote",
                            "--shard",
                            &format!("{i}/{n}"),
                        ],
                        &p,
                    );
                    p
                })
                .collect();
            same(
                &one,
                &merge_json(&parts),
                &format!("{input} by remote in {n}"),
            );
            parts.reverse();
            same(
                &one,
                &merge_json(&parts),
                &format!("{input} by remote, reversed"),
            );
        }
    }
}

#[test]
fn parts_scanned_differently_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.json");
    let b = dir.path().join("b.json");
    let c = dir.path().join("c.json");
    scan_part(&["sample-logs", "--shard", "0/2"], &a);
    scan_part(&["sample-logs", "--shard", "1/2", "--group-by", "node"], &b);
    scan_part(&["sample-logs", "--shard", "1/2", "--no-redact"], &c);
    let (a, b, c) = (
        a.display().to_string(),
        b.display().to_string(),
        c.display().to_string(),
    );
    let (_, err, code) = run(&["merge", &a, &b]);
    assert_eq!(code, 2);
    assert!(err.contains("--group-by"), "{err}");
    let (_, err, code) = run(&["merge", &a, &c]);
    assert_eq!(code, 2);
    assert!(err.contains("redaction"), "{err}");
    // Not a partial report; broken JSON; a catalog of other rules.
    let report = write(dir.path(), "report.json", &scan_json(&["sample-logs"]));
    let (_, err, code) = run(&["merge", &report]);
    assert_eq!(code, 2);
    assert!(err.contains("not a partial report"), "{err}");
    let broken = write(
        dir.path(),
        "broken.json",
        b"{\"format\":\"linkdoctor-partial-report\",",
    );
    let (_, err, code) = run(&["merge", &broken]);
    assert_eq!(code, 2);
    assert!(err.contains("broken.json"), "{err}");
    // The same rules with one title changed: another catalog version.
    let changed = std::fs::read_to_string("rules/network.yaml")
        .unwrap()
        .replace("Remote host name does not resolve (DNS)", "Changed title");
    let rules = write(dir.path(), "rules/network.yaml", changed.as_bytes());
    let (_, err, code) = run(&["merge", &a, "--rules", &rules]);
    assert_eq!(code, 2);
    assert!(err.contains("--rules"), "{err}");
    // A shard index out of range, and --shard auto without an engine.
    let (_, err, code) = run(&["scan", "sample-logs", "--shard", "4/4"]);
    assert_eq!(code, 2);
    assert!(err.contains("not below"), "{err}");
    let (_, err, code) = run(&["scan", "sample-logs", "--shard", "auto"]);
    assert_eq!(code, 2);
    assert!(err.contains("JOB_COMPLETION_INDEX"), "{err}");
}

fn schema() -> jsonschema::Validator {
    let text = std::fs::read_to_string("schema/report.schema.json").expect("schema file");
    let schema: Value = serde_json::from_str(&text).expect("schema is JSON");
    jsonschema::validator_for(&schema).expect("a valid JSON Schema")
}

fn assert_valid(v: &jsonschema::Validator, doc: &Value, what: &str) {
    let errors: Vec<String> = v
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{what}: {errors:#?}\n{doc}");
}

#[test]
fn every_json_output_validates_against_the_schema() {
    let v = schema();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("fleet");
    fleet(&root);
    let r = root.display().to_string();
    let runs: Vec<Vec<&str>> = vec![
        vec!["scan", "sample-logs"],
        vec!["scan", &r, "--group-by", "node"],
        vec!["scan", &r, "--group-by", "remote"],
        vec!["scan", "sample-logs", "--group-by", "remote"],
        vec![
            "scan",
            &r,
            "--since",
            "2024-03-01",
            "--undated",
            "file-mtime",
        ],
        vec![
            "scan",
            &r,
            "--since",
            "2024-03-01",
            "--timezone",
            "Asia/Kolkata",
        ],
    ];
    for args in &runs {
        for format in ["json", "ndjson"] {
            let mut a = args.clone();
            a.extend(["--format", format, "--quiet"]);
            let (out, err, code) = run(&a);
            assert!(code <= 1, "{a:?}: {err}");
            let text = String::from_utf8(out).unwrap();
            if format == "json" {
                let doc: Value = serde_json::from_str(&text).unwrap();
                assert_valid(&v, &doc, &format!("{a:?}"));
            } else {
                let lines: Vec<Value> = text
                    .lines()
                    .map(|l| serde_json::from_str(l).unwrap())
                    .collect();
                assert_eq!(lines[0]["type"], "header", "{a:?}");
                assert_eq!(lines.last().unwrap()["type"], "summary", "{a:?}");
                assert!(lines.iter().any(|l| l["type"] == "event"), "{a:?}");
                for l in &lines {
                    assert_valid(&v, l, &format!("{a:?} ndjson"));
                }
            }
        }
    }
    // Merged output too.
    let p = dir.path().join("p.json");
    scan_part(&[&r], &p);
    let ps = p.display().to_string();
    for format in ["json", "ndjson"] {
        let (out, err, code) = run(&["merge", &ps, "--format", format, "--quiet"]);
        assert!(code <= 1, "{err}");
        for l in String::from_utf8(out)
            .unwrap()
            .split_terminator(if format == "json" { "\u{0}" } else { "\n" })
        {
            assert_valid(&v, &serde_json::from_str(l).unwrap(), "merge");
        }
    }
    // The schema is strict: a renamed field fails.
    let mut doc: Value = serde_json::from_slice(&scan_json(&["sample-logs"])).unwrap();
    doc["findings"][0]["id"] = doc["findings"][0]["rule"].take();
    assert!(v.iter_errors(&doc).next().is_some());
}

/// Checks the text exposition format: HELP and TYPE before each family's samples, every
/// sample `name{labels} value` with a number.
fn check_exposition(text: &str) -> Vec<(String, String, f64)> {
    let sample = regex::Regex::new(
        r#"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*\})? (\S+)$"#,
    )
    .unwrap();
    let mut typed = std::collections::HashSet::new();
    let mut out = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let name = rest.split(' ').next().unwrap();
            assert!(typed.insert(name.to_string()), "TYPE twice: {line}");
            continue;
        }
        if line.starts_with("# HELP ") {
            continue;
        }
        let c = sample
            .captures(line)
            .unwrap_or_else(|| panic!("bad line: {line}"));
        let name = c[1].to_string();
        assert!(typed.contains(&name), "sample before TYPE: {line}");
        let value: f64 = c[3].parse().unwrap_or_else(|_| panic!("bad value: {line}"));
        out.push((name, c.get(2).map_or("", |m| m.as_str()).to_string(), value));
    }
    out
}

#[test]
fn prometheus_metrics_in_the_textfile_format() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("fleet");
    fleet(&root);
    let r = root.display().to_string();
    let prom = dir.path().join("linkdoctor.prom");
    let (out, err, code) = run(&[
        "scan",
        &r,
        "--format",
        "prometheus",
        "--metrics",
        &prom.display().to_string(),
        "--quiet",
    ]);
    assert!(code <= 1, "{err}");
    let text = String::from_utf8(out).unwrap();
    let samples = check_exposition(&text);
    let file = std::fs::read_to_string(&prom).unwrap();
    check_exposition(&file);
    // The file is the same metrics (the duration may differ by a millisecond).
    let strip = |t: &str| {
        t.lines()
            .filter(|l| !l.starts_with("linkdoctor_scan_duration_seconds"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(strip(&text), strip(&file));
    let value = |name: &str, label: &str| {
        samples
            .iter()
            .filter(|(n, l, _)| n == name && l.contains(label))
            .map(|(_, _, v)| *v)
            .sum::<f64>()
    };
    let report: Value = serde_json::from_slice(&scan_json(&[&r])).unwrap();
    let events = |rule: &str| {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule"] == rule)
            .map(|f| f["count"].as_f64().unwrap())
            .sum::<f64>()
    };
    assert!(events("oauth-timestamp-refused") > 0.0);
    assert_eq!(
        value("linkdoctor_events", "rule=\"oauth-timestamp-refused\""),
        events("oauth-timestamp-refused")
    );
    assert_eq!(
        value("linkdoctor_node_events", "rule=\"oauth-timestamp-refused\""),
        events("oauth-timestamp-refused")
    );
    assert!(value("linkdoctor_product_events", "product=\"confluence\"") > 0.0);
    assert!(value("linkdoctor_remote_events", "remote=\"jira1.example.com\"") > 0.0);
    // The remote ends are the findings' own, with their kind: the JSON's and the metric's
    // counts agree.
    let remote_events: f64 = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "oauth-timestamp-refused")
        .map(|f| {
            let r = &f["remotes"];
            let listed: f64 = r["ends"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["count"].as_f64().unwrap())
                .sum();
            listed + r["not_listed"].as_f64().unwrap()
        })
        .sum();
    assert!(remote_events > 0.0);
    assert_eq!(
        value(
            "linkdoctor_remote_events",
            "rule=\"oauth-timestamp-refused\",remote="
        ),
        remote_events
    );
    assert!(value("linkdoctor_remote_events", "kind=\"applink\"") > 0.0);
    assert!(
        value(
            "linkdoctor_last_seen_timestamp_seconds",
            "oauth-timestamp-refused"
        ) > 1.7e9
    );
    assert_eq!(
        value("linkdoctor_inputs", ""),
        report["summary"]["inputs"].as_f64().unwrap()
    );
    assert!(value("linkdoctor_read_bytes", "") > 0.0);
    assert!(
        samples
            .iter()
            .any(|(n, _, _)| n == "linkdoctor_scan_duration_seconds")
    );
    assert!(samples.iter().any(|(n, _, _)| n == "linkdoctor_warnings"));
    // Only the metrics file is left in the folder's listing besides the fleet (no temp file).
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

#[test]
fn since_leaves_undated_events_out_or_dates_them_by_mtime() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "catalina.out", UNDATED.as_bytes());
    write(
        dir.path(),
        "atlassian-jira.log",
        PROVIDER.replace("HOST", "jira.example.com").as_bytes(),
    );
    let d = dir.path().display().to_string();
    let get = |extra: &[&str]| -> Value {
        let mut a = vec![d.as_str()];
        a.extend_from_slice(extra);
        serde_json::from_slice(&scan_json(&a)).unwrap()
    };
    // Without a window, the undated event is kept and said to be undated.
    let all = get(&[]);
    assert_eq!(all["summary"]["events"], 2);
    assert_eq!(all["summary"]["undated_events"], 1);
    let f = all["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["undated_events"] == 1)
        .unwrap();
    assert!(f["first_seen"].is_null());
    assert!(f["facts"].to_string().contains("No event carries a time"));
    // --since 2024-01-01 (before the dated one): the undated one is left out, and counted.
    let since = get(&["--since", "2024-01-01"]);
    assert_eq!(since["summary"]["events"], 1);
    assert_eq!(since["summary"]["undated_left_out"], 1);
    assert_eq!(since["undated"], "left_out");
    // Dated by the file's modification time (now): kept by --since 1d.
    let mtime = get(&["--since", "1d", "--undated", "file-mtime"]);
    assert_eq!(mtime["summary"]["events"], 1);
    assert_eq!(mtime["summary"]["undated_events"], 1);
    assert_eq!(mtime["undated"], "file_mtime");
    let (out, _, _) = run(&[
        "scan",
        &d,
        "--since",
        "1d",
        "--undated",
        "file-mtime",
        "--format",
        "ndjson",
    ]);
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("\"time_basis\":\"file_mtime\""), "{text}");
    let kept = get(&["--since", "2024-01-01", "--undated", "kept"]);
    assert_eq!(kept["summary"]["events"], 2);
}

#[test]
fn times_carry_the_offset_of_the_zone() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "atlassian-confluence.log", PKIX.as_bytes());
    let d = dir.path().display().to_string();
    let (out, _, _) = run(&[
        "scan",
        &d,
        "--timezone",
        "America/New_York",
        "--format",
        "json",
        "--quiet",
    ]);
    let v: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(
        v["findings"][0]["first_seen"],
        "2024-03-05T09:30:12.442-05:00"
    );
    assert_eq!(
        v["sources"][0]["first_time"],
        "2024-03-05T09:30:12.442-05:00"
    );
}

#[test]
fn users_say_where_the_hosts_are() {
    let dir = tempfile::tempdir().unwrap();
    // One host only: not a fleet by detection, but --fleet-root says it is.
    write(
        dir.path(),
        "share/jira-dc-node7/jira-home/log/atlassian-jira.log",
        PROVIDER.replace("HOST", "jira.example.com").as_bytes(),
    );
    let share = dir.path().join("share").display().to_string();
    let nodes = |extra: &[&str]| -> Value {
        let mut a = vec![share.as_str()];
        a.extend_from_slice(extra);
        let v: Value = serde_json::from_slice(&scan_json(&a)).unwrap();
        v["sources"][0]["node"].clone()
    };
    assert!(nodes(&[]).is_null());
    assert_eq!(nodes(&["--fleet-root", &share]), "jira-dc-node7");
    assert_eq!(
        nodes(&["--node-from", r"share/(?P<node>[^/]+)/"]),
        "jira-dc-node7"
    );
    assert_eq!(nodes(&["--node-from", r"(node\d+)"]), "node7");
    let (_, err, code) = run(&["scan", &share, "--node-from", "("]);
    assert_eq!(code, 2);
    assert!(err.contains("--node-from"), "{err}");
    let (out, _, _) = run(&[
        "scan",
        &share,
        "--node-from",
        "nomatch-(x)",
        "--format",
        "json",
    ]);
    assert!(String::from_utf8_lossy(&out).contains("matches no input"));
}

/// The YAML of the Kubernetes manifest.
fn manifest() -> Value {
    let text = std::fs::read_to_string("docs/recipes/k8s-indexed-job.yaml").unwrap();
    serde_saphyr::from_str(&text).expect("the manifest is YAML")
}

#[test]
fn kubernetes_indexed_job_runs_as_written() {
    let m = manifest();
    assert_eq!(m["kind"], "Job");
    let spec = &m["spec"];
    assert_eq!(spec["completionMode"], "Indexed");
    let completions = spec["completions"].as_u64().unwrap();
    let c = &spec["template"]["spec"]["containers"][0];
    let env: Vec<(&str, &str)> = c["env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["name"].as_str().unwrap(), e["value"].as_str().unwrap()))
        .collect();
    assert!(env.contains(&("JOB_COMPLETIONS", completions.to_string().as_str())));
    let mounts = c["volumeMounts"].as_array().unwrap();
    let logs = mounts.iter().find(|v| v["name"] == "logs").unwrap();
    assert_eq!(logs["readOnly"], true);
    // Run every index's command locally, mounts mapped to folders, as Kubernetes would.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("fleet");
    fleet(&root);
    let parts = dir.path().join("parts");
    std::fs::create_dir_all(&parts).unwrap();
    let map = |arg: &str, index: u64| {
        arg.replace("$(JOB_COMPLETION_INDEX)", &index.to_string())
            .replace(
                logs["mountPath"].as_str().unwrap(),
                &root.display().to_string(),
            )
            .replace("/parts", &parts.display().to_string())
    };
    assert_eq!(c["command"][0], "linkdoctor");
    for index in 0..completions {
        let args: Vec<String> = c["args"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| map(a.as_str().unwrap(), index))
            .collect();
        let mut cmd = ld();
        cmd.args(&args).args(["--timezone", "UTC"]);
        cmd.env("JOB_COMPLETION_INDEX", index.to_string());
        for (k, v) in &env {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let files: Vec<PathBuf> = (0..completions)
        .map(|i| parts.join(format!("part-{i}.json")))
        .collect();
    same(
        &scan_json(&[&root.display().to_string()]),
        &merge_json(&files),
        "Kubernetes shards",
    );
}

#[cfg(unix)]
#[test]
fn slurm_array_script_runs_as_written() {
    let script = std::fs::read_to_string("docs/recipes/slurm-array.sh").unwrap();
    assert!(script.contains("#SBATCH"), "a Slurm batch script");
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("fleet");
    fleet(&root);
    let parts = dir.path().join("parts");
    let bin = assert_cmd::cargo::cargo_bin("linkdoctor");
    let count = 3;
    // Array 1-3, as `sbatch --array=1-3` numbers its tasks.
    for id in 1..=count {
        let out = std::process::Command::new("bash")
            .arg("docs/recipes/slurm-array.sh")
            .arg(&root)
            .arg(&parts)
            .env("LINKDOCTOR", &bin)
            .env("SOURCE_DATE_EPOCH", EPOCH)
            .env("SCAN_OPTS", "--timezone UTC")
            .env("SLURM_ARRAY_TASK_ID", id.to_string())
            .env("SLURM_ARRAY_TASK_MIN", "1")
            .env("SLURM_ARRAY_TASK_COUNT", count.to_string())
            .env_remove("JOB_COMPLETION_INDEX")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let files: Vec<PathBuf> = (1..=count)
        .map(|i| parts.join(format!("part-{i}.json")))
        .collect();
    same(
        &scan_json(&[&root.display().to_string()]),
        &merge_json(&files),
        "Slurm array",
    );
}

#[test]
fn check_findings_are_named_rule_like_scan_findings() {
    let (out, err, code) = run(&[
        "check",
        "tests/fixtures/check",
        "--format",
        "json",
        "--quiet",
    ]);
    assert!(code <= 2, "{err}");
    let v: Value = serde_json::from_slice(&out).unwrap();
    let findings = v["findings"].as_array().unwrap();
    assert!(!findings.is_empty());
    assert!(
        findings
            .iter()
            .all(|f| f["rule"].is_string() && f.get("id").is_none())
    );
}

#[test]
fn snapshot_does_not_overwrite_a_baseline_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("baseline.json");
    let s = snap.display().to_string();
    let tree = "tests/fixtures/check/jira/clean";
    let (_, err, code) = run(&["snapshot", tree, "--out", &s, "--quiet"]);
    assert_eq!(code, 0, "{err}");
    let before = std::fs::read(&snap).unwrap();
    std::fs::write(&snap, b"{\"kept\": true}").unwrap();
    let (_, err, code) = run(&["snapshot", tree, "--out", &s, "--quiet"]);
    assert_eq!(code, 2);
    assert!(err.contains("--force"), "{err}");
    assert_eq!(std::fs::read(&snap).unwrap(), b"{\"kept\": true}");
    let (_, err, code) = run(&["snapshot", tree, "--out", &s, "--force", "--quiet"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(std::fs::read(&snap).unwrap(), before);
}

#[test]
fn an_empty_shard_writes_an_empty_part() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "atlassian-jira.log",
        PROVIDER.replace("HOST", "jira.example.com").as_bytes(),
    );
    let d = dir.path().display().to_string();
    // One input, 3 shards: two shards are empty.
    let owner = (0..3)
        .find(|i| {
            let (_, _, code) = run(&["scan", &d, "--shard", &format!("{i}/3"), "--quiet"]);
            code != 2
        })
        .expect("one shard holds the input");
    let empty = (owner + 1) % 3;
    let (_, err, code) = run(&["scan", &d, "--shard", &format!("{empty}/3")]);
    assert_eq!(code, 2);
    assert!(err.contains("holds none of the inputs"), "{err}");
    let parts: Vec<PathBuf> = (0..3)
        .map(|i| {
            let p = dir.path().join(format!("p{i}.json"));
            scan_part(&[&d, "--shard", &format!("{i}/3")], &p);
            p
        })
        .collect();
    same(&scan_json(&[&d]), &merge_json(&parts), "with empty shards");
}
