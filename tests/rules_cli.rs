//! CLI tests of the rule catalog commands: `rules list|show|test|lint|score`, `explain`, and user
//! rule directories (`--rules DIR`): bad files are warnings naming file, line, column and
//! field while the good files still load and fire, and a user rule overrides a built-in by id.

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn linkdoctor() -> Command {
    let mut c = Command::cargo_bin("linkdoctor").unwrap();
    c.env("NO_COLOR", "1");
    c
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/user-rules")
        .join(name)
}

fn stdout_of(args: &[&str]) -> String {
    let out = linkdoctor().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn list_shows_every_family_with_products() {
    let out = stdout_of(&["rules", "list"]);
    for word in [
        "id",
        "category",
        "severity",
        "products",
        "oauth-timestamp-refused",
        "ssl-untrusted-certificate",
        "network-proxy-error",
        "applinks-duplicate-application-id",
        "auth-trusted-apps-deprecated",
    ] {
        assert!(out.contains(word), "missing {word} in:\n{out}");
    }
    let count: usize = out
        .lines()
        .last()
        .and_then(|l| l.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert!(count >= 45, "{count} rules");
}

#[test]
fn show_prints_cause_steps_and_product_examples() {
    let out = stdout_of(&["rules", "show", "oauth-consumer-key-unknown"]);
    assert!(out.contains("Cause:"), "{out}");
    assert!(out.contains("1. "), "{out}");
    assert!(out.contains("OAuth Troubleshooting Guide"), "{out}");
    assert!(!out.contains("seed 0"), "{out}");
    for p in [
        "[jira]",
        "[confluence]",
        "[bitbucket]",
        "[bamboo]",
        "[crowd]",
        "[fisheye]",
    ] {
        assert!(out.contains(p), "no {p} example in:\n{out}");
    }
    linkdoctor()
        .args(["rules", "show", "no-such-rule"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no-such-rule"));
}

#[test]
fn builtin_examples_pass_and_lint_is_clean() {
    linkdoctor()
        .args(["rules", "test"])
        .assert()
        .success()
        .stdout(predicate::str::contains(" 0 failed"));
    linkdoctor()
        .args(["rules", "lint"])
        .assert()
        .success()
        .stdout(predicate::str::contains("lint: 0 errors, 0 warnings"));
}

#[test]
fn failing_user_example_names_rule_and_example() {
    linkdoctor()
        .args(["rules", "test", "--rules"])
        .arg(fixture("failing-example"))
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "rule site-failing-example examples.match[1] (as bamboo)",
        ))
        .stdout(predicate::str::contains("gateway answered late"))
        .stdout(predicate::str::contains(" 1 failed"));
}

#[test]
fn lint_reports_bad_user_files_as_errors() {
    let out = linkdoctor()
        .args(["rules", "lint", "--rules"])
        .arg(fixture("mixed"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.lines().any(|l| l.starts_with("ERROR - (")
            && l.contains("20-bad-regex.yaml")
            && l.contains("field `rules[0].match.regex`")),
        "{text}"
    );
    assert!(!text.contains("site-gateway-rejected ("), "{text}");
}

#[test]
fn lint_reports_an_override_as_info() {
    linkdoctor()
        .args(["rules", "lint", "--rules"])
        .arg(fixture("override"))
        .assert()
        .success()
        .stdout(predicate::str::contains("INFO oauth-timestamp-refused ("))
        .stdout(predicate::str::contains(
            "overrides the built-in rule of rules/oauth.yaml",
        ));
}

#[test]
fn bad_user_files_warn_with_location_and_good_file_fires() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("atlassian-confluence.log");
    std::fs::write(
        &log,
        "2024-03-05 09:12:44,614 INFO [main] [atlassian.startup] started\n\
         2024-03-05 09:12:45,614 WARN [http-nio-8090-exec-7] [atlassian.applinks.core.DefaultApplicationLinkRequest] execute Request to Jira failed: GW-4711 rejected\n",
    )
    .unwrap();
    let out = linkdoctor()
        .args(["scan", "--format", "json", "--rules"])
        .arg(fixture("mixed"))
        .arg(&log)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let warnings = report["warnings"].as_array().unwrap();
    let warning_for = |file: &str| -> String {
        warnings
            .iter()
            .find(|w| w["path"].as_str().unwrap().ends_with(file))
            .map(|w| format!("{}:{} {}", w["path"], w["line"], w["message"]))
            .unwrap_or_else(|| panic!("no warning for {file}: {warnings:?}"))
    };
    let bad_regex = warning_for("20-bad-regex.yaml");
    assert!(bad_regex.contains(":8 "), "{bad_regex}");
    assert!(bad_regex.contains("column 14"), "{bad_regex}");
    assert!(bad_regex.contains("rules[0].match.regex"), "{bad_regex}");
    let unknown = warning_for("30-unknown-field.yaml");
    assert!(unknown.contains(":3 "), "{unknown}");
    assert!(unknown.contains("column 5"), "{unknown}");
    assert!(unknown.contains("titel"), "{unknown}");
    let huge = warning_for("40-huge-regex.yaml");
    assert!(huge.contains("size limit"), "{huge}");
    assert!(huge.contains("rules[0].match.regex"), "{huge}");
    let not_yaml = warning_for("50-not-yaml.yaml");
    assert!(not_yaml.contains("column"), "{not_yaml}");
    assert!(
        stderr.contains("20-bad-regex.yaml:8: column 14"),
        "{stderr}"
    );
    // The good file of the same directory loaded, and its rule fired.
    let findings = report["findings"].as_array().unwrap();
    assert!(
        findings
            .iter()
            .any(|f| f.to_string().contains("site-gateway-rejected")),
        "{findings:?}"
    );
    assert_eq!(out.status.code(), Some(1), "an error finding: exit 1");
    // With --strict the rule-file warnings make it fatal.
    linkdoctor()
        .args(["scan", "--strict", "--quiet", "--rules"])
        .arg(fixture("mixed"))
        .arg(&log)
        .assert()
        .code(2);
}

#[test]
fn user_rule_overrides_builtin_by_id() {
    let out = stdout_of(&[
        "rules",
        "show",
        "oauth-timestamp-refused",
        "--rules",
        fixture("override").to_str().unwrap(),
    ]);
    assert!(out.contains("Site policy"), "{out}");
    assert!(out.contains("severity: critical"), "{out}");
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("atlassian-jira.log");
    std::fs::write(
        &log,
        "2024-03-05 09:12:44,614-0600 http-nio-8080-exec-3 WARN anonymous 552x1041x1 - 10.20.1.7 /rest/api/2/search [c.a.oauth.serviceprovider.internal.AuthenticatorImpl] Rejecting OAuth request: oauth_problem=timestamp_refused\n",
    )
    .unwrap();
    let out = linkdoctor()
        .args(["scan", "--format", "json", "--rules"])
        .arg(fixture("override"))
        .arg(&log)
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        report["summary"]["highest_severity"], "critical",
        "{report:#}"
    );
}

#[test]
fn explain_oauth_value_rule_id_and_error_text() {
    let out = stdout_of(&["explain", "nonce_used"]);
    assert!(out.contains("oauth-nonce-used"), "{out}");
    assert!(out.contains("What to do:"), "{out}");
    // explain wraps its prose: compare with whitespace squeezed.
    let out = stdout_of(&["explain", "token_revoked"])
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(out.contains("probably not an Atlassian"), "{out}");
    let out = stdout_of(&["explain", "ssl-chain-incomplete"]);
    assert!(out.contains("intermediate"), "{out}");
    let out = stdout_of(&[
        "explain",
        "java.net.NoRouteToHostException: No route to host (Host unreachable)",
    ]);
    assert!(out.contains("network-no-route-to-host"), "{out}");
    linkdoctor()
        .args(["explain", "completely unrelated words"])
        .assert()
        .code(2);
}

/// `rules score DIR`: the per-family table and exit 0 on the repository's field corpus; on a
/// collection with a miss and a false positive, both are listed and the exit code is 1.
#[test]
fn rules_score_prints_families_and_fails_on_misses() {
    let field = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/field");
    let out = stdout_of(&["rules", "score", field.to_str().unwrap()]);
    assert!(out.contains("recall") && out.contains("precision"), "{out}");
    assert!(out.contains("0 misses, 0 false positives"), "{out}");
    for line in out.lines() {
        assert!(line.chars().count() <= 100, "too wide for a pipe: {line}");
    }

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("mine.yaml"),
        "- id: x-1\n  product: jira\n  rule: ssl-untrusted-certificate\n  text: |\n    2024-03-05 10:00:00,000+0000 main INFO [x] all well\n\
         - id: x-2\n  product: confluence\n  rule: benign\n  text: |\n    2024-03-05 14:41:47,937 ERROR [main] [x] download sun.security.validator.ValidatorException: PKIX path building failed: unable to find valid certification path to requested target\n\
         - id: x-3\n  product: bamboo\n  rule: new:http/teapot\n  text: |\n    2024-03-05 10:00:00,000 INFO [main] [x] 418\n",
    )
    .unwrap();
    let out = linkdoctor()
        .args(["rules", "score"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("MISS  x-1 (jira): expected ssl-untrusted-certificate, got no finding"),
        "{text}"
    );
    assert!(
        text.contains("FP    x-2 (confluence): expected benign, got ssl-untrusted-certificate"),
        "{text}"
    );
    assert!(
        text.contains("MISS  x-3 (bamboo): expected new:http/teapot"),
        "{text}"
    );
    assert!(text.contains(" http "), "{text}");
}

#[test]
fn rules_gate_stores_the_keys_a_rules_directory_scans_with() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    std::fs::create_dir(&rules).unwrap();
    std::fs::copy(
        fixture("mixed").join("10-good.yaml"),
        rules.join("10-good.yaml"),
    )
    .unwrap();
    let rules_arg = rules.to_str().unwrap();
    // The built-in catalog's keys are stored with it.
    let builtin = stdout_of(&["rules", "gate"]);
    assert!(
        builtin.contains("stored with the built-in catalog"),
        "{builtin}"
    );
    // With a rule directory of its own, the keys are chosen at start-up until stored.
    let chosen = stdout_of(&["rules", "gate", "--rules", rules_arg]);
    assert!(chosen.contains("chosen at start-up"), "{chosen}");
    let lint = stdout_of(&["rules", "lint", "--rules", rules_arg]);
    assert!(
        lint.contains("the gate's keys are chosen at every start-up"),
        "{lint}"
    );
    let written = stdout_of(&["rules", "gate", "--rules", rules_arg, "--write"]);
    assert!(written.contains("linkdoctor-gate.json"), "{written}");
    let stored = stdout_of(&["rules", "gate", "--rules", rules_arg]);
    assert!(stored.contains("stored in a --rules directory"), "{stored}");
    // The same keys, in the same order, as chosen at start-up.
    let table = |s: &str| s.lines().skip(1).map(str::to_string).collect::<Vec<_>>();
    assert_eq!(table(&chosen), table(&stored));
    let lint = stdout_of(&["rules", "lint", "--rules", rules_arg]);
    assert!(!lint.contains("chosen at every start-up"), "{lint}");
    // A broken file is a warning naming it; the keys are chosen again and scans go on.
    let gate_file = rules.join("linkdoctor-gate.json");
    std::fs::write(&gate_file, "{\"literals\": 1").unwrap();
    let out = linkdoctor()
        .args(["rules", "gate", "--rules", rules_arg])
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("linkdoctor-gate.json") && stderr.contains("stored gate keys not read"),
        "{stderr}"
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("chosen at start-up"));
    // --write needs a directory to write to.
    linkdoctor()
        .args(["rules", "gate", "--write"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--rules DIR"));
}
