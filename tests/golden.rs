//! Golden-file tests of every renderer on the bundled sample logs (and of `check` on a
//! fixture): the table at 80 and 200 columns and piped (plain), Markdown, Jira markup and
//! HTML. The output must equal `tests/golden/<name>` byte for byte; `UPDATE_GOLDEN=1 cargo
//! test --test golden` rewrites the files (review the diff before committing). Each output
//! must also hold every finding's "What to do" steps, so dropping them from a renderer fails
//! here even if the golden files were regenerated.

mod common;

use common::linkdoctor;
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs linkdoctor in the crate root with a fixed zone and width; returns stdout.
fn run(args: &[&str], columns: Option<&str>) -> String {
    let mut cmd = linkdoctor();
    cmd.current_dir(root())
        .env("TZ", "UTC")
        .env_remove("LINKDOCTOR_FORMAT")
        .env_remove("LINKDOCTOR_RULES")
        .args(args);
    match columns {
        Some(c) => cmd.env("COLUMNS", c),
        None => cmd.env_remove("COLUMNS"),
    };
    let out = cmd.output().expect("runs");
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

fn golden(name: &str, actual: &str) {
    let path = root().join("tests/golden").join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (UPDATE_GOLDEN=1 writes it)", path.display()));
    if expected != actual {
        let line = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| expected.lines().count().min(actual.lines().count()));
        panic!(
            "{name} differs from the golden file at line {}:\n  expected: {:?}\n  actual:   {:?}\n(UPDATE_GOLDEN=1 cargo test --test golden rewrites it)",
            line + 1,
            expected.lines().nth(line).unwrap_or("<end>"),
            actual.lines().nth(line).unwrap_or("<end>")
        );
    }
}

/// The first words of every finding's first remediation step, from the JSON report.
fn first_steps(args: &[&str]) -> Vec<String> {
    let mut a = args.to_vec();
    a.extend(["--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&run(&a, None)).unwrap();
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let step = f["remediation"][0].as_str().unwrap();
            step.split_whitespace()
                .take(4)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

fn assert_steps(name: &str, out: &str, steps: &[String]) {
    assert!(
        out.contains("What to do"),
        "{name}: no \"What to do\" heading"
    );
    // Wrapping may break a line anywhere between words: compare with whitespace squeezed.
    let squeezed = out.split_whitespace().collect::<Vec<_>>().join(" ");
    for s in steps {
        assert!(squeezed.contains(s.as_str()), "{name}: step {s:?} missing");
    }
}

const SCAN: &[&str] = &["scan", "sample-logs/", "-q", "--timezone", "UTC"];

#[test]
fn scan_renderers_match_their_golden_files() {
    let steps = first_steps(SCAN);
    assert_eq!(steps.len(), 12);
    for (name, format, columns) in [
        ("scan-table-80.txt", "table", Some("80")),
        ("scan-table-200.txt", "table", Some("200")),
        ("scan-table-plain.txt", "table", None),
        ("scan.md", "markdown", None),
        ("scan.jira.txt", "jira", None),
        ("scan.html", "html", None),
    ] {
        let mut args = SCAN.to_vec();
        args.extend(["--format", format]);
        let out = run(&args, columns);
        assert_steps(name, &out, &steps);
        golden(name, &out);
    }
    // Grouped by remote end: one finding per cause and remote, at 80 columns.
    let mut args = SCAN.to_vec();
    args.extend(["--group-by", "remote"]);
    golden("scan-remote-80.txt", &run(&args, Some("80")));
    // The JSON report whole (timeline lanes and markers included), its scan time fixed.
    let mut args = SCAN.to_vec();
    args.extend(["--format", "json"]);
    let mut cmd = linkdoctor();
    cmd.current_dir(root())
        .env("TZ", "UTC")
        .env("SOURCE_DATE_EPOCH", "1709769600")
        .env_remove("LINKDOCTOR_FORMAT")
        .env_remove("LINKDOCTOR_RULES")
        .args(&args);
    let out = cmd.output().expect("runs");
    golden("scan.json", &String::from_utf8(out.stdout).expect("UTF-8"));
}

#[test]
fn tables_fit_their_width() {
    for columns in [80usize, 200] {
        let out = run(SCAN, Some(&columns.to_string()));
        for line in out.lines() {
            // Addresses are never broken (they stay clickable): only they may overflow.
            let only_address = line.trim_start().starts_with("https://");
            assert!(
                only_address || line.chars().count() <= columns,
                "{columns} columns: {} > {columns}: {line}",
                line.chars().count()
            );
        }
    }
    let plain = run(SCAN, None);
    assert!(!plain.contains('┆'), "piped output has no borders");
    assert!(
        plain.lines().all(|l| l == l.trim_end()),
        "no trailing blanks"
    );
}

#[test]
fn html_is_one_self_contained_escaped_page() {
    let mut args = SCAN.to_vec();
    args.extend(["--format", "html"]);
    let page = run(&args, None);
    assert!(page.contains("content=\"default-src 'none'"));
    for banned in ["<script", "<link", "<img", " src=", "url(", "@import"] {
        assert!(!page.contains(banned), "{banned}");
    }
    assert_eq!(page.matches("<section class=\"finding").count(), 12);
    assert!(page.contains("<svg class=\"timeline\""));
    assert!(page.contains("href=\"https://confluence.atlassian.com/kb/"));
    // Sources read and the links seen from both ends are on the page.
    assert!(page.contains("Sources read (16)"));
    assert!(page.contains("Links seen from both ends"));
}

#[test]
fn html_file_beside_another_format() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("r.html");
    let mut args = SCAN.to_vec();
    args.extend(["--format", "json", "--html", file.to_str().unwrap()]);
    let json = run(&args, None);
    assert!(json.trim_start().starts_with('{'));
    let page = std::fs::read_to_string(&file).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert_eq!(page.matches("<section class=\"finding").count(), 12);
}

const CHECK: &[&str] = &[
    "check",
    "tests/fixtures/check/jira",
    "--base-url",
    "https://jira.example.com",
];

#[test]
fn check_renderers_match_their_golden_files() {
    for (name, format, columns) in [
        ("check-table-80.txt", "table", Some("80")),
        ("check.md", "markdown", None),
        ("check.jira.txt", "jira", None),
        ("check.html", "html", None),
    ] {
        let mut args = CHECK.to_vec();
        args.extend(["--format", format]);
        let out = run(&args, columns);
        golden(name, &out);
    }
}
