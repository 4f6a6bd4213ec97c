//! CLI tests of what a new user meets first: `explain` (keywords, values, ids, pasted text
//! on stdin, "did you mean", `--verbose`, `check` finding ids), `completions`, `man`,
//! `--version`, grouped help, and references by document title and address (no "seed").

mod common;

use common::linkdoctor;
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn explain(args: &[&str]) -> (i32, String, String) {
    let out = linkdoctor()
        .env("COLUMNS", "80")
        .env_remove("LINKDOCTOR_RULES")
        .arg("explain")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn keywords_get_their_own_answers() {
    for (q, want) in [
        ("PKIX", "ssl-untrusted-certificate"),
        ("timeout", "timeout"),
        ("certificate", "ssl-"),
        ("DNS", "network-unknown-host"),
        ("proxy", "("),
        ("timestamp_refused", "oauth-timestamp-refused"),
        ("SSLHandshakeException", "ssl-"),
    ] {
        let (code, out, err) = explain(&[q]);
        assert_eq!(code, 0, "{q}: {err}");
        let first = out.split("\n\nCause:").next().unwrap_or("");
        assert!(!first.contains("Other OAuth problem"), "{q}: {first}");
        assert!(first.contains(want), "{q}: {first}");
        assert!(
            out.contains("What to do:") && out.contains("https://"),
            "{q}: {out}"
        );
    }
}

#[test]
fn short_by_default_internals_with_verbose() {
    let (_, short, _) = explain(&["oauth-signature-invalid"]);
    assert!(!short.contains("regex:"));
    assert!(short.contains("--verbose"));
    let (_, long, _) = explain(&["oauth-signature-invalid", "--verbose"]);
    assert!(long.contains("regex:") && long.contains("examples that match:"));
}

#[test]
fn misspelling_gets_did_you_mean() {
    let (code, out, err) = explain(&["oauth-timestamp-refsued"]);
    assert_eq!(code, 2, "{out}");
    assert!(
        err.contains("did you mean oauth-timestamp-refused"),
        "{err}"
    );
    let (code, out, err) = explain(&["timestamp_refussed"]);
    assert_eq!(code, 2, "{out}");
    assert!(err.contains("timestamp_refused"), "{err}");
}

#[test]
fn stack_trace_on_stdin_is_classified() {
    let trace = "2024-03-05 08:02:14,474 ERROR [http-nio-7990-exec-3] admin @1ABCDEx1142x602x0 1y2z8 10.20.1.4 \"GET /plugins/servlet/applinks/listApplicationLinks HTTP/1.1\" c.a.applinks.core.manifest.AppLinksManifestDownloader Failed to retrieve manifest from http://jira-old.internal:8080\njava.net.UnknownHostException: jira-old.internal\n\tat java.net.InetAddress.getAllByName0(InetAddress.java:1281)\n";
    let out = linkdoctor()
        .env("COLUMNS", "80")
        .args(["explain", "-", "--product", "bitbucket"])
        .write_stdin(trace)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("1 event of 1 cause"), "{text}");
    assert!(text.contains("network-unknown-host (line 1)"), "{text}");
}

#[test]
fn every_check_finding_id_is_explained() {
    let fixtures = root().join("tests/fixtures/check");
    let mut ids = std::collections::BTreeSet::new();
    for entry in std::fs::read_dir(&fixtures).unwrap() {
        let path = entry.unwrap().path();
        let out = linkdoctor()
            .args(["check", "--format", "json", "-q"])
            .arg(&path)
            .args(["--base-url", "https://example.com"])
            .output()
            .unwrap();
        if let Ok(v) = serde_json::from_slice::<serde_json::Value>(&out.stdout) {
            for f in v["findings"].as_array().into_iter().flatten() {
                ids.insert(f["rule"].as_str().unwrap().to_string());
            }
        }
    }
    assert!(ids.len() >= 3, "{ids:?}");
    for id in &ids {
        let (code, out, err) = explain(&[id]);
        assert_eq!(code, 0, "{id}: {err}");
        let squeezed = out.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            squeezed.contains("check` finding") && out.contains("https://"),
            "{id}: {out}"
        );
    }
}

#[test]
fn no_user_facing_text_cites_seed_files() {
    let out = linkdoctor().args(["rules", "list"]).output().unwrap();
    let list = String::from_utf8_lossy(&out.stdout);
    let ids: Vec<&str> = list
        .lines()
        .filter_map(|l| l.split(['│', '┆']).map(str::trim).find(|c| !c.is_empty()))
        .filter(|w| w.contains('-') && w.chars().all(|c| c.is_ascii_lowercase() || c == '-'))
        .collect();
    assert!(ids.len() > 40, "{list}");
    for id in ids {
        let (_, text, _) = explain(&[id]);
        assert!(!text.to_lowercase().contains("seed 0"), "{id}: {text}");
        assert!(text.contains("https://"), "{id} has no reference address");
    }
}

#[test]
fn completions_man_and_version() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let out = linkdoctor().args(["completions", shell]).output().unwrap();
        assert!(out.status.success());
        let s = String::from_utf8_lossy(&out.stdout);
        assert!(s.contains("group-by"), "{shell}");
    }
    let man = linkdoctor().arg("man").output().unwrap();
    assert!(man.status.success());
    assert!(String::from_utf8_lossy(&man.stdout).starts_with(".ie"));
    let v = linkdoctor().arg("--version").output().unwrap();
    let v = String::from_utf8_lossy(&v.stdout);
    assert!(
        v.starts_with(concat!("linkdoctor ", env!("CARGO_PKG_VERSION"))),
        "{v}"
    );
    assert!(
        v.contains("commit ") && v.contains("catalog ") && v.contains(" rules, gzip by "),
        "{v}"
    );
    let rules = linkdoctor().args(["rules", "list"]).output().unwrap();
    let n = String::from_utf8_lossy(&rules.stdout)
        .lines()
        .filter(|l| l.contains("-") && !l.starts_with(' '))
        .count();
    assert!(n > 0);
}

#[test]
fn help_is_grouped_with_examples() {
    let out = linkdoctor()
        .env("COLUMNS", "80")
        .args(["scan", "--help"])
        .output()
        .unwrap();
    let h = String::from_utf8_lossy(&out.stdout);
    for heading in [
        "Input:",
        "Time:",
        "Output:",
        "Limits:",
        "Rules:",
        "Examples:",
    ] {
        assert!(h.contains(heading), "{heading}");
    }
    assert!(
        h.contains("[possible values: info, warning, error, critical]"),
        "{h}"
    );
    assert!(h.contains("LINKDOCTOR_RULES"));
    assert!(h.lines().all(|l| l.chars().count() <= 100), "{h}");
    let top = linkdoctor().arg("--help").output().unwrap();
    let top = String::from_utf8_lossy(&top.stdout);
    assert!(
        top.contains("Support engineer") && top.contains("upgrade"),
        "{top}"
    );
}
