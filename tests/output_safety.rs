//! Output safety, end to end: secrets never reach any output format, terminal escapes from
//! file names and log lines never reach a terminal raw, `--state` is locked, checked and
//! advanced only once the report is written, `--threads` is capped, and `rules test` and
//! `--rules` refuse broken, FIFO and device files without hanging.
//!
//! Every log line here is synthetic (made up for these tests, in the Jira 7+ log layout).

mod common;

use common::{linkdoctor, write};
use std::path::Path;
use std::time::Duration;

const FORMATS: [&str; 4] = ["table", "json", "ndjson", "markdown"];

/// A synthetic Jira log holding `secret_text` twice: on a line the catalog classifies
/// (`oauth_problem=signature_invalid`), and in the stack trace under another
/// (`javax.net.ssl.SSLHandshakeException`).
fn leaky_log(secret_text: &str) -> String {
    format!(
        "2024-03-05 07:52:10,144+0000 http-nio-8443-exec-19 WARN admin 472x1x2 abc 10.0.0.1 /browse/X-1 [c.a.j.p.issuelink.Renderer] Unable to retrieve page from https://confluence.example.com/rest/api/content/1 {secret_text}: oauth_problem=signature_invalid\n\
         2024-03-05 07:53:10,144+0000 http-nio-8443-exec-20 ERROR admin 473x1x2 abc 10.0.0.1 /rest/x [c.a.a.core.Client] Request failed\n\
         com.atlassian.sal.api.net.ResponseException: javax.net.ssl.SSLHandshakeException: PKIX path building failed\n\
         \tcontext: {secret_text}\n\
         \tat com.example.Client.call(Client.java:42)\n"
    )
}

/// stdout and stderr of `scan` over `dir` in `format`, with `extra` options.
fn scan(dir: &Path, format: &str, extra: &[&str]) -> (String, String) {
    let out = linkdoctor()
        .arg("scan")
        .arg(dir)
        .args(["--format", format, "--color", "never"])
        .args(extra)
        .timeout(Duration::from_secs(60))
        .output()
        .expect("run linkdoctor");
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{format}: {:?}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Scans a log holding `secret_text` in every format: `secret` must be in the output with
/// `--no-redact` (so the test can fail) and nowhere in stdout or stderr without it.
fn assert_redacted_everywhere(secret_text: &str, secret: &str) {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "atlassian-jira.log",
        leaky_log(secret_text).as_bytes(),
    );
    let (shown, _) = scan(dir.path(), "json", &["--no-redact"]);
    assert!(
        shown.contains(secret) || shown.contains(&secret.replace('"', "\\\"")),
        "the fixture does not put {secret:?} in the evidence:\n{shown}"
    );
    assert!(
        shown.contains("signature_invalid"),
        "not classified:\n{shown}"
    );
    for format in FORMATS {
        let (stdout, stderr) = scan(dir.path(), format, &[]);
        assert!(
            stdout.contains("[REDACTED]"),
            "{format}: no mask in\n{stdout}"
        );
        for (name, text) in [("stdout", &stdout), ("stderr", &stderr)] {
            assert!(
                !text.contains(secret),
                "{format} {name} shows {secret:?}:\n{text}"
            );
        }
    }
}

macro_rules! secret_form {
    ($name:ident, $text:expr, $secret:expr) => {
        #[test]
        fn $name() {
            assert_redacted_everywhere($text, $secret);
        }
    };
}

secret_form!(
    jvm_trust_store_password,
    "-Djavax.net.ssl.trustStorePassword=tsLeak01",
    "tsLeak01"
);
secret_form!(
    jvm_key_store_password,
    "-Djavax.net.ssl.keyStorePassword=ksLeak02",
    "ksLeak02"
);
secret_form!(keystore_pass, "keystorePass=kpLeak03", "kpLeak03");
secret_form!(single_quoted_password, "password='sqLeak04'", "sqLeak04");
secret_form!(json_password, r#"{"password":"jsLeak05"}"#, "jsLeak05");
secret_form!(
    escaped_json_password,
    r#"body="{\"password\":\"esLeak06\"}""#,
    "esLeak06"
);
secret_form!(db_password, "dbPassword=dbLeak07", "dbLeak07");
secret_form!(
    oracle_jdbc_password,
    "jdbc:oracle:thin:scott/orLeak08@db.example.com:1521:ORCL",
    "orLeak08"
);
secret_form!(
    url_password,
    "via https://svc:urLeak09@proxy.example.com/x",
    "urLeak09"
);
secret_form!(
    bitbucket_session_id,
    "BITBUCKETSESSIONID=bbLeak10",
    "bbLeak10"
);
secret_form!(crowd_token_key, "crowd.token_key=ctLeak11", "ctLeak11");
secret_form!(client_secret, "client_secret=csLeak12", "csLeak12");
secret_form!(refresh_token, "refresh_token=rtLeak13", "rtLeak13");
secret_form!(passphrase, "passphrase=ppLeak14", "ppLeak14");
secret_form!(
    ldap_bind_credentials,
    "ldap.bind.credentials=lbLeak15",
    "lbLeak15"
);
secret_form!(api_key_header, "X-API-Key: akLeak16", "akLeak16");
secret_form!(
    atlassian_xsrf_token,
    "atlassian.xsrf.token=BWP3-NZB2|xsLeak17|lin",
    "xsLeak17"
);
secret_form!(
    aws_access_key_id,
    "key AKIAIOSFODNN7LEAK018 used",
    "AKIAIOSFODNN7LEAK018"
);
secret_form!(
    aws_secret_access_key,
    "aws_secret_access_key=wJalrXUtnFEMI/awLeak19",
    "awLeak19"
);

/// A PEM private key in the stack trace of a classified event (multi-line sample; indented,
/// as a logger writes a multi-line message, so the lines belong to the event).
#[test]
fn pem_private_key_block() {
    let dir = tempfile::tempdir().unwrap();
    let log = "2024-03-05 07:53:10,144+0000 http-nio-8443-exec-20 ERROR admin 473x1x2 abc 10.0.0.1 /rest/x [c.a.a.core.Client] Request failed\n\
        com.atlassian.sal.api.net.ResponseException: javax.net.ssl.SSLHandshakeException: PKIX path building failed\n\
        \tkey material: -----BEGIN RSA PRIVATE KEY-----\n\
        \tMIIEpAIBAAKCAQEApemLeak20line1\n\
        \tpemLeak20line2AbCdEf==\n\
        \t-----END RSA PRIVATE KEY-----\n\
        \tat com.example.Client.call(Client.java:42)\n";
    write(dir.path(), "atlassian-jira.log", log.as_bytes());
    let (shown, _) = scan(dir.path(), "json", &["--no-redact"]);
    assert!(
        shown.contains("pemLeak20line2"),
        "not in the sample:\n{shown}"
    );
    for format in FORMATS {
        let (stdout, stderr) = scan(dir.path(), format, &[]);
        // NDJSON carries the event's head line only, not the sample.
        if format != "ndjson" {
            assert!(stdout.contains("[REDACTED]"), "{format}:\n{stdout}");
        }
        for text in [&stdout, &stderr] {
            assert!(
                !text.contains("pemLeak20"),
                "{format} shows the key:\n{text}"
            );
        }
    }
}

/// Passwords in the URLs of the two ends of a link: "Links seen from both ends" (table,
/// Markdown) and JSON `links` show the URLs each side named, which must not carry them.
#[test]
fn url_passwords_in_links_seen_from_both_ends() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "jira-home/log/atlassian-jira.log",
        b"2024-03-05 07:52:10,144+0000 http-nio-8443-exec-19 WARN admin 472x1x2 abc 10.0.0.1 /browse/X-1 [c.a.j.p.viewissue.issuelink.ConfluenceRemoteIssueLinkRenderer] Unable to retrieve Confluence page 1 for remote issue link 2 from https://svc:consLeak21@confluence.example.com/rest/api/content/1?expand=space: oauth_problem=signature_invalid\n",
    );
    write(
        dir.path(),
        "confluence-home/logs/atlassian-confluence.log",
        b"2024-03-05 07:52:10,205 WARN [http-nio-8090-exec-14] [oauth.serviceprovider.internal.OAuthProblemUtils] logOAuthProblem Problem encountered authenticating OAuth client for url \"http://admin:provLeak22@confluence-01.internal:8090/rest/api/content/1\", error was \"signature_invalid\", with parameters \"{oauth_problem=signature_invalid}\"\n",
    );
    let (events, _) = scan(dir.path(), "ndjson", &["--no-redact"]);
    assert!(
        events.contains("consLeak21") && events.contains("provLeak22"),
        "{events}"
    );
    let (shown, _) = scan(dir.path(), "json", &["--no-redact"]);
    let v: serde_json::Value = serde_json::from_str(&shown).unwrap();
    let links = v["links"].to_string();
    assert!(
        links.contains("confluence.example.com") && links.contains("confluence-01.internal"),
        "the fixture makes no link pair with both URLs:\n{shown}"
    );
    for format in FORMATS {
        let (stdout, stderr) = scan(dir.path(), format, &[]);
        for text in [&stdout, &stderr] {
            for secret in ["consLeak21", "provLeak22"] {
                assert!(!text.contains(secret), "{format} shows {secret}:\n{text}");
            }
        }
    }
}

/// Control characters a rendered terminal text must not carry: C0 but newline and tab, DEL,
/// C1, and the bidirectional override.
fn raw_controls(text: &str) -> Vec<char> {
    text.chars()
        .filter(|&c| (c.is_control() && c != '\n' && c != '\t') || c == '\u{202e}')
        .collect()
}

#[test]
fn terminal_escapes_in_file_names_and_lines_are_shown_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let osc52 = "\x1b]52;c;ZWNobyBwd25lZA==\x07";
    let name = format!("atlassian-jira{osc52}\x1b[2J\rX.log");
    let line = format!(
        "2024-03-05 07:52:10,144+0000 http-nio-8443-exec-19 WARN admin 472x1x2 abc 10.0.0.1 /browse/X-1 [c.a.j.Renderer] {osc52}\x1b[1;32mALL GOOD\x1b[0m\rforged \u{9b}2J\x7f\u{202e}: oauth_problem=signature_invalid\n"
    );
    write(dir.path(), &name, line.as_bytes());
    // A corrupt gzip with an escape in its name: a warning, printed on stderr.
    write(
        dir.path(),
        "bad\x1b[31m\r.log.gz",
        b"\x1f\x8b\x08\x00garbage, not deflate",
    );
    for format in ["table", "markdown"] {
        let (stdout, stderr) = scan(dir.path(), format, &[]);
        assert!(stdout.contains("signature_invalid"), "{format}:\n{stdout}");
        assert!(
            stdout.contains("\\x1b]52;c;"),
            "{format}: no visible escape\n{stdout}"
        );
        assert!(
            stdout.contains("\\x0dforged"),
            "{format}: CR not shown\n{stdout}"
        );
        assert!(
            stderr.contains("bad\\x1b[31m\\x0d.log.gz"),
            "{format}: {stderr}"
        );
        assert_eq!(raw_controls(&stdout), Vec::<char>::new(), "{format} stdout");
        assert_eq!(raw_controls(&stderr), Vec::<char>::new(), "{format} stderr");
    }
    // JSON and NDJSON escape control characters, and still parse.
    for format in ["json", "ndjson"] {
        let (stdout, _) = scan(dir.path(), format, &[]);
        assert!(stdout.contains("\\u001b]52;c;"), "{format}:\n{stdout}");
        assert!(
            stdout.contains("\\u009b2J\\u007f\\u202e"),
            "{format}:\n{stdout}"
        );
        let lines: Vec<&str> = stdout.lines().collect();
        assert_eq!(
            raw_controls(&lines.join(" ")),
            Vec::<char>::new(),
            "{format}"
        );
        let documents: Vec<&str> = if format == "json" {
            vec![stdout.as_str()]
        } else {
            lines
        };
        for d in documents {
            serde_json::from_str::<serde_json::Value>(d).expect("output parses");
        }
    }
}

#[test]
fn colour_codes_are_still_the_renderers_own() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "atlassian-jira.log",
        leaky_log("\x1b[5mblink").as_bytes(),
    );
    let out = linkdoctor()
        .arg("scan")
        .arg(dir.path())
        .args(["--color", "always"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("\x1b[1m"), "no colour:\n{stdout}");
    assert!(
        !stdout.contains("\x1b[5m"),
        "the log's escape got through:\n{stdout}"
    );
    assert!(stdout.contains("\\x1b[5mblink"), "{stdout}");
}

// --- state file ---------------------------------------------------------------------------

fn one_finding_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "logs/atlassian-jira.log",
        leaky_log("plain").as_bytes(),
    );
    dir
}

#[test]
fn a_held_state_lock_fails_fast_naming_the_file() {
    let dir = one_finding_dir();
    let state = dir.path().join("state.json");
    let lock = std::fs::File::create(dir.path().join("state.json.lock")).unwrap();
    lock.try_lock().unwrap();
    let out = linkdoctor()
        .arg("scan")
        .arg(dir.path().join("logs"))
        .arg("--state")
        .arg(&state)
        .timeout(Duration::from_secs(30))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("another linkdoctor run") && stderr.contains("state.json"),
        "{stderr}"
    );
    assert!(!state.exists());
    drop(lock);
    linkdoctor()
        .arg("scan")
        .arg(dir.path().join("logs"))
        .arg("--state")
        .arg(&state)
        .assert()
        .code(1);
    assert!(state.exists());
}

#[test]
fn two_concurrent_runs_never_both_report_the_same_events() {
    let dir = one_finding_dir();
    let state = dir.path().join("state.json");
    let run = || {
        let logs = dir.path().join("logs");
        let state = state.clone();
        std::thread::spawn(move || {
            linkdoctor()
                .arg("scan")
                .arg(&logs)
                .args(["--format", "json", "--quiet", "--state"])
                .arg(&state)
                .timeout(Duration::from_secs(60))
                .output()
                .unwrap()
        })
    };
    let runs: Vec<_> = (0..4).map(|_| run()).collect();
    let mut reported = 0;
    for r in runs {
        let out = r.join().unwrap();
        match out.status.code() {
            Some(2) => assert!(
                String::from_utf8_lossy(&out.stderr).contains("another linkdoctor run"),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            ),
            _ => {
                let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
                reported += v["summary"]["events"].as_u64().unwrap();
            }
        }
    }
    assert_eq!(reported, 2, "each event reported once over all runs");
}

#[test]
fn a_state_file_of_another_version_is_refused() {
    let dir = one_finding_dir();
    let state = write(dir.path(), "state.json", br#"{"version": 99, "files": {}}"#);
    let out = linkdoctor()
        .arg("scan")
        .arg(dir.path().join("logs"))
        .args(["--state", &state])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("format version 99") && stderr.contains("state.json"),
        "{stderr}"
    );
}

#[test]
fn absurd_line_numbers_in_a_state_file_are_refused() {
    let dir = one_finding_dir();
    let state = write(
        dir.path(),
        "state.json",
        br#"{"version": 1, "files": {"x.log": {"device": 1, "inode": 2, "size": 10,
            "offset": 10, "line": 18446744073709551615, "fingerprint": "0", "fingerprint_len": 5}}}"#,
    );
    let out = linkdoctor()
        .arg("scan")
        .arg(dir.path().join("logs"))
        .args(["--state", &state])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("past its offset"), "{stderr}");
}

#[cfg(unix)]
fn mkfifo(path: &Path) {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
}

#[cfg(unix)]
#[test]
fn a_fifo_or_device_as_state_file_is_refused_without_hanging() {
    let dir = one_finding_dir();
    let fifo = dir.path().join("state.fifo");
    mkfifo(&fifo);
    for state in [fifo.as_path(), Path::new("/dev/zero")] {
        let out = linkdoctor()
            .arg("scan")
            .arg(dir.path().join("logs"))
            .arg("--state")
            .arg(state)
            .timeout(Duration::from_secs(20))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{state:?}: {stderr}");
        assert!(stderr.contains("not a regular file"), "{stderr}");
    }
}

#[cfg(target_os = "linux")]
#[test]
fn the_state_is_not_advanced_when_the_report_cannot_be_written() {
    let dir = one_finding_dir();
    let state = dir.path().join("state.json");
    let bin = assert_cmd::cargo::cargo_bin("linkdoctor");
    // A full disk: the write fails, the run fails, the state is not written.
    let out = std::process::Command::new(&bin)
        .arg("scan")
        .arg(dir.path().join("logs"))
        .arg("--state")
        .arg(&state)
        .stdout(std::fs::File::create("/dev/full").unwrap())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("cannot write the report"), "{stderr}");
    assert!(!state.exists(), "state saved though the report was lost");
    // A closed pipe: quiet, but the state is not written either.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = std::process::Command::new(&bin)
        .arg("scan")
        .arg(dir.path().join("logs"))
        .arg("--state")
        .arg(&state)
        .stdout(writer)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("error"), "{stderr}");
    assert!(!state.exists(), "state saved though nobody read the report");
    // Written: the state is saved, and the next run has nothing new.
    let (stdout, _) = scan(
        &dir.path().join("logs"),
        "json",
        &["--state", state.to_str().unwrap()],
    );
    assert!(stdout.contains("signature_invalid"));
    assert!(state.exists());
    let (stdout, _) = scan(
        &dir.path().join("logs"),
        "json",
        &["--state", state.to_str().unwrap()],
    );
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["summary"]["events"], 0, "{stdout}");
}

// --- threads ------------------------------------------------------------------------------

#[test]
fn absurd_thread_counts_are_capped_with_a_note() {
    let dir = one_finding_dir();
    let out = linkdoctor()
        .arg("scan")
        .arg(dir.path().join("logs"))
        .args(["--threads", "100000", "--format", "json"])
        .timeout(Duration::from_secs(30))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(
        stderr.matches("--threads 100000 is more than").count(),
        1,
        "{stderr}"
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["summary"]["events"], 2);
    linkdoctor()
        .arg("scan")
        .arg(dir.path().join("logs"))
        .args(["--threads", "lots"])
        .assert()
        .code(2);
}

// --- rule files ---------------------------------------------------------------------------

#[test]
fn rules_test_fails_on_a_rule_file_that_does_not_load() {
    let dir = tempfile::tempdir().unwrap();
    let bad = write(
        dir.path(),
        "site.yaml",
        b"rules:\n  - id: site-rule\n    titel: misspelt field\n",
    );
    let out = linkdoctor()
        .args(["rules", "test", "--rules"])
        .arg(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains(&format!("FAIL {bad}:3")), "{stdout}");
    assert!(stdout.contains("1 rule file error(s)"), "{stdout}");
}

#[cfg(unix)]
#[test]
fn rule_files_that_are_fifos_or_devices_are_refused_without_hanging() {
    let dir = tempfile::tempdir().unwrap();
    let rules_dir = dir.path().join("rules");
    std::fs::create_dir(&rules_dir).unwrap();
    mkfifo(&rules_dir.join("pipe.yaml"));
    let fifo = rules_dir.join("pipe.yaml");
    for rules in [rules_dir.as_path(), fifo.as_path(), Path::new("/dev/zero")] {
        let out = linkdoctor()
            .args(["rules", "test", "--rules"])
            .arg(rules)
            .timeout(Duration::from_secs(20))
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "{rules:?}: {stdout}");
        assert!(stdout.contains("not a regular file"), "{stdout}");
        // A scan goes on without the file, with a warning.
        let logs = one_finding_dir();
        let out = linkdoctor()
            .arg("scan")
            .arg(logs.path().join("logs"))
            .arg("--rules")
            .arg(rules)
            .timeout(Duration::from_secs(20))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{rules:?}: {stderr}");
        assert!(stderr.contains("not a regular file"), "{stderr}");
    }
}
