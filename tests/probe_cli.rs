//! CLI tests of `linkdoctor probe` against servers this test starts on 127.0.0.1 only, with
//! certificates made here (rcgen) under the fixture CA of `tests/fixtures/probe/` (whose JKS
//! and PKCS12 truststores were made with keytool). Names that must not resolve are under
//! `.invalid`. No test reaches any other address.

mod common;

use common::linkdoctor;
use rcgen::{CertificateParams, DnType, Issuer, KeyPair, SanType};
use rustls::ServerConfig;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use serde_json::Value;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/probe")
        .join(name)
}

fn fixture_ca() -> Issuer<'static, KeyPair> {
    let key = KeyPair::from_pem(&std::fs::read_to_string(fixture("ca-key.pem")).unwrap()).unwrap();
    Issuer::from_ca_cert_pem(&std::fs::read_to_string(fixture("ca.pem")).unwrap(), key).unwrap()
}

/// Leaf parameters for `names` (DNS names, or IP addresses), valid now.
fn leaf_params(cn: &str, names: &[&str]) -> CertificateParams {
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.distinguished_name.push(DnType::CommonName, cn);
    for n in names {
        p.subject_alt_names.push(match n.parse() {
            Ok(ip) => SanType::IpAddress(ip),
            Err(_) => SanType::DnsName((*n).try_into().unwrap()),
        });
    }
    p
}

/// A server certificate chain and key.
struct Identity {
    chain: Vec<CertificateDer<'static>>,
    key: Vec<u8>,
}

fn signed_by_ca(params: CertificateParams) -> Identity {
    let key = KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, &fixture_ca()).unwrap();
    Identity {
        chain: vec![cert.der().clone()],
        key: key.serialize_der(),
    }
}

fn tls_config(id: &Identity) -> Arc<ServerConfig> {
    Arc::new(
        ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                id.chain.clone(),
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(id.key.clone())),
            )
            .unwrap(),
    )
}

type Responder = Arc<dyn Fn(&str) -> Vec<u8> + Send + Sync>;

/// Reads a request head (up to the blank line).
fn read_head(s: &mut impl Read) -> Option<String> {
    let mut buf = Vec::new();
    let mut b = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        if s.read(&mut b).ok()? == 0 || buf.len() > 65536 {
            return None;
        }
        buf.push(b[0]);
        // Not HTTP (a TLS ClientHello starts with 0x16): answer 400 as Tomcat does.
        if buf.len() == 1 && !buf[0].is_ascii_uppercase() {
            return Some(String::new());
        }
    }
    Some(String::from_utf8_lossy(&buf).into_owned())
}

/// Starts a server on 127.0.0.1 (TLS when `tls`), answering each request with `respond`
/// (given the request head). It lives as long as the test process.
fn serve(tls: Option<Arc<ServerConfig>>, respond: Responder) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let tls = tls.clone();
            let respond = respond.clone();
            std::thread::spawn(move || {
                let _ = stream.set_read_timeout(Some(Duration::from_secs(20)));
                match tls {
                    Some(cfg) => {
                        let Ok(conn) = rustls::ServerConnection::new(cfg) else {
                            return;
                        };
                        let mut s = rustls::StreamOwned::new(conn, stream);
                        if let Some(head) = read_head(&mut s) {
                            let _ = s.write_all(&respond(&head));
                            s.conn.send_close_notify();
                            let _ = s.flush();
                        }
                    }
                    None => {
                        let mut s = stream;
                        match read_head(&mut s) {
                            Some(head) if head.is_empty() => {
                                let _ = s.write_all(&answer("400 Bad Request", &[], ""));
                            }
                            Some(head) => {
                                let _ = s.write_all(&respond(&head));
                            }
                            None => {}
                        }
                    }
                }
            });
        }
    });
    port
}

fn http_date(offset_secs: i64) -> String {
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
        + offset_secs;
    let ts = jiff::Timestamp::from_second(now).unwrap();
    ts.strftime("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

fn manifest_xml(base_url: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><manifest><id>144880e9-a353-312f-9412-ed028e8166fa</id><name>Test Jira</name><i18nKey>applinks.jira</i18nKey><typeId>jira</typeId><version>9.12.4</version><buildNumber>9120004</buildNumber><applinksVersion>9.1.7</applinksVersion><url>{base_url}</url></manifest>"#
    )
}

fn answer(status: &str, headers: &[(&str, String)], body: &str) -> Vec<u8> {
    let mut r = format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        r.push_str(&format!("{k}: {v}\r\n"));
    }
    r.push_str("\r\n");
    r.push_str(body);
    r.into_bytes()
}

/// A server answering the manifest with `base_url` (`{port}` replaced by its own port) and
/// a Date `skew` seconds off.
fn manifest_server(tls: Option<Arc<ServerConfig>>, base_url: &'static str, skew: i64) -> u16 {
    let port_cell = Arc::new(std::sync::OnceLock::<u16>::new());
    let cell = port_cell.clone();
    let port = serve(
        tls,
        Arc::new(move |head: &str| {
            if !head.starts_with("GET /rest/applinks/1.0/manifest ") {
                return answer(
                    "404 Not Found",
                    &[("Date", http_date(skew))],
                    "<html><title>Not here</title></html>",
                );
            }
            let url = base_url.replace("{port}", &cell.get().copied().unwrap_or(0).to_string());
            answer(
                "200 OK",
                &[
                    ("Content-Type", "application/xml".into()),
                    ("Date", http_date(skew)),
                ],
                &manifest_xml(&url),
            )
        }),
    );
    let _ = port_cell.set(port);
    port
}

fn good_https_server() -> u16 {
    let id = signed_by_ca(leaf_params("localhost", &["localhost", "127.0.0.1"]));
    manifest_server(Some(tls_config(&id)), "https://localhost:{port}", 0)
}

/// Runs `probe` with JSON output; returns the exit code and the report.
fn probe(args: &[&str]) -> (i32, Value, String) {
    let out = linkdoctor()
        .env_remove("HTTPS_PROXY")
        .env_remove("https_proxy")
        .env_remove("HTTP_PROXY")
        .env_remove("http_proxy")
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .arg("probe")
        .args(["--format", "json"])
        .args(if args.contains(&"--timeout") {
            &[][..]
        } else {
            &["--timeout", "10"][..]
        })
        .args(args)
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let v = serde_json::from_str(&stdout).unwrap_or(Value::Null);
    (out.status.code().unwrap_or(-1), v, stderr)
}

fn findings(v: &Value) -> Vec<Value> {
    v["probes"][0]["findings"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn only_finding(v: &Value) -> Value {
    let f = findings(v);
    assert_eq!(f.len(), 1, "{v:#}");
    f[0].clone()
}

fn ca_pem() -> String {
    fixture("ca.pem").display().to_string()
}

#[test]
fn a_clean_link_exits_0_and_shows_the_chain_and_versions() {
    let port = good_https_server();
    let url = format!("https://localhost:{port}");
    let (code, v, err) = probe(&[&url, "--truststore", &ca_pem()]);
    assert_eq!(code, 0, "{v:#} {err}");
    assert!(findings(&v).is_empty(), "{v:#}");
    let p = &v["probes"][0];
    assert_eq!(p["manifest"]["type"], "jira");
    assert_eq!(p["manifest"]["version"], "9.12.4");
    assert_eq!(p["tls"]["chain"][0]["subject"], "CN=localhost");
    assert_eq!(
        p["tls"]["chain"][0]["issuer"],
        "CN=linkdoctor test CA (fixture)"
    );
    assert!(
        p["tls"]["chain"][0]["sans"]
            .as_array()
            .unwrap()
            .contains(&Value::from("DNS:localhost"))
    );
    let versions = p["tls"]["accepted_versions"].as_array().unwrap();
    assert!(
        versions.contains(&Value::from("TLSv1.3")) && versions.contains(&Value::from("TLSv1.2")),
        "{p:#}"
    );
    let steps: Vec<&str> = p["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"].as_str().unwrap())
        .collect();
    assert_eq!(
        steps,
        ["dns", "tcp", "tls", "http", "manifest", "base_url", "clock"]
    );
    assert!(p["clock"]["skew_seconds"].as_f64().unwrap().abs() < 5.0);
}

#[test]
fn jks_and_pkcs12_truststores_made_by_keytool_are_read() {
    let port = good_https_server();
    let url = format!("https://localhost:{port}");
    let jks = fixture("truststore.jks").display().to_string();
    let p12 = fixture("truststore.p12").display().to_string();
    let (code, v, err) = probe(&[&url, "--truststore", &jks]);
    assert_eq!(code, 0, "{v:#} {err}");
    assert!(
        v["summary"]["trust_store"]
            .as_str()
            .unwrap()
            .contains("JKS, 1 certificate"),
        "{v:#}"
    );
    let (code, v, err) = probe(&[
        &url,
        "--truststore",
        &p12,
        "--truststore-password",
        "s3cret-p12",
    ]);
    assert_eq!(code, 0, "{v:#} {err}");
    assert!(
        v["summary"]["trust_store"]
            .as_str()
            .unwrap()
            .contains("PKCS12, 1 certificate"),
        "{v:#}"
    );
    // Wrong passwords are fatal and named.
    let (code, _, err) = probe(&[&url, "--truststore", &jks, "--truststore-password", "wrong"]);
    assert_eq!(code, 2);
    assert!(err.contains("password is wrong"), "{err}");
    let (code, _, err) = probe(&[&url, "--truststore", &p12]);
    assert_eq!(code, 2);
    assert!(err.contains("password is wrong"), "{err}");
    // A server the JVM's store does not trust: the system store is not asked.
    let (code, v, _) = probe(&[
        &url,
        "--truststore",
        &fixture("truststore.jks").display().to_string(),
        "--no-redact",
    ]);
    assert_eq!(code, 0, "{v:#}");
}

#[test]
fn self_signed_certificate_is_untrusted() {
    let key = KeyPair::generate().unwrap();
    let cert = leaf_params("self-signed.localhost", &["localhost"])
        .self_signed(&key)
        .unwrap();
    let id = Identity {
        chain: vec![cert.der().clone()],
        key: key.serialize_der(),
    };
    let port = manifest_server(Some(tls_config(&id)), "https://localhost:{port}", 0);
    let (code, v, _) = probe(&[
        &format!("https://localhost:{port}"),
        "--truststore",
        &ca_pem(),
    ]);
    assert_eq!(code, 1);
    let f = only_finding(&v);
    assert_eq!(f["rule"], "ssl-untrusted-certificate");
    assert_eq!(f["step"], "tls");
    assert_eq!(f["facts"]["subject"], "CN=self-signed.localhost");
    assert_eq!(f["facts"]["issuer"], "CN=self-signed.localhost");
    assert_eq!(f["facts"]["host"], "localhost");
    assert_eq!(f["facts"]["port"], port.to_string());
    assert!(f["message"].as_str().unwrap().contains("self-signed"));
    assert!(!f["remediation"].as_array().unwrap().is_empty());
}

#[test]
fn wrong_san_is_a_hostname_mismatch() {
    let id = signed_by_ca(leaf_params("other.invalid", &["other.invalid"]));
    let port = manifest_server(Some(tls_config(&id)), "https://localhost:{port}", 0);
    let (code, v, _) = probe(&[
        &format!("https://localhost:{port}"),
        "--truststore",
        &ca_pem(),
    ]);
    assert_eq!(code, 1);
    let f = only_finding(&v);
    assert_eq!(f["rule"], "ssl-hostname-mismatch");
    assert_eq!(f["facts"]["sans"], "DNS:other.invalid");
    let m = f["message"].as_str().unwrap();
    assert!(
        m.contains("other.invalid") && m.contains("not for localhost"),
        "{m}"
    );
}

#[test]
fn expired_certificate() {
    let mut p = leaf_params("localhost", &["localhost"]);
    p.not_before = rcgen::date_time_ymd(2019, 1, 1);
    p.not_after = rcgen::date_time_ymd(2020, 1, 1);
    let id = signed_by_ca(p);
    let port = manifest_server(Some(tls_config(&id)), "https://localhost:{port}", 0);
    let (code, v, _) = probe(&[
        &format!("https://localhost:{port}"),
        "--truststore",
        &ca_pem(),
    ]);
    assert_eq!(code, 1);
    let f = only_finding(&v);
    assert_eq!(f["rule"], "ssl-certificate-expired");
    assert_eq!(f["severity"], "error");
    assert_eq!(f["facts"]["not_after"], "2020-01-01T00:00:00Z");
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("expired on 2020-01-01")
    );
}

#[test]
fn certificate_expiring_soon_is_a_warning() {
    let mut p = leaf_params("localhost", &["localhost"]);
    let d = jiff::Timestamp::now()
        .checked_add(jiff::SignedDuration::from_hours(24 * 10))
        .unwrap()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date();
    p.not_after = rcgen::date_time_ymd(i32::from(d.year()), d.month() as u8, d.day() as u8);
    let id = signed_by_ca(p);
    let port = manifest_server(Some(tls_config(&id)), "https://localhost:{port}", 0);
    let (code, v, _) = probe(&[
        &format!("https://localhost:{port}"),
        "--truststore",
        &ca_pem(),
    ]);
    assert_eq!(code, 0, "a warning is below --fail-on error: {v:#}");
    let f = only_finding(&v);
    assert_eq!(f["rule"], "ssl-certificate-expired");
    assert_eq!(f["severity"], "warning");
    let days: i64 = f["facts"]["days_left"].as_str().unwrap().parse().unwrap();
    assert!((9..=10).contains(&days), "{days}");
    let (code, _, _) = probe(&[
        &format!("https://localhost:{port}"),
        "--truststore",
        &ca_pem(),
        "--fail-on",
        "warning",
    ]);
    assert_eq!(code, 1);
}

#[test]
fn incomplete_chain_names_the_missing_intermediate() {
    let int_key = KeyPair::generate().unwrap();
    let mut int_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    int_params
        .distinguished_name
        .push(DnType::CommonName, "linkdoctor test intermediate");
    int_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    int_params.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::DigitalSignature,
    ];
    let _int_cert = int_params.signed_by(&int_key, &fixture_ca()).unwrap();
    let intermediate = Issuer::new(int_params, int_key);
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = leaf_params("localhost", &["localhost"])
        .signed_by(&leaf_key, &intermediate)
        .unwrap();
    // The server sends its own certificate only, not the intermediate's.
    let id = Identity {
        chain: vec![leaf.der().clone()],
        key: leaf_key.serialize_der(),
    };
    let port = manifest_server(Some(tls_config(&id)), "https://localhost:{port}", 0);
    let (code, v, _) = probe(&[
        &format!("https://localhost:{port}"),
        "--truststore",
        &ca_pem(),
    ]);
    assert_eq!(code, 1);
    let f = only_finding(&v);
    assert_eq!(f["rule"], "ssl-chain-incomplete");
    assert_eq!(
        f["facts"]["missing_issuer"],
        "CN=linkdoctor test intermediate"
    );
    assert_eq!(f["facts"]["chain_length"], "1");
    assert_eq!(f["facts"]["subject"], "CN=localhost");
}

#[test]
fn https_url_on_a_plain_http_port() {
    let port = manifest_server(None, "http://localhost:{port}", 0);
    let (code, v, _) = probe(&[
        &format!("https://localhost:{port}"),
        "--truststore",
        &ca_pem(),
    ]);
    assert_eq!(code, 1);
    let f = only_finding(&v);
    assert_eq!(f["rule"], "ssl-https-http-mismatch");
    assert_eq!(f["facts"]["port"], port.to_string());
}

#[test]
fn manifest_base_url_differs() {
    let port = manifest_server(None, "https://jira.invalid/jira", 0);
    let url = format!("http://127.0.0.1:{port}");
    let (code, v, _) = probe(&[&url]);
    assert_eq!(code, 1);
    let f = only_finding(&v);
    assert_eq!(f["rule"], "oauth-signature-invalid");
    assert_eq!(f["step"], "base_url");
    assert_eq!(f["facts"]["differs"], "scheme, host, port, context path");
    assert_eq!(f["facts"]["host"], "127.0.0.1 -> jira.invalid");
    assert_eq!(f["facts"]["port"], format!("{port} -> 443"));
    assert_eq!(f["facts"]["manifest_url"], "https://jira.invalid/jira");
    assert!(f["message"].as_str().unwrap().contains("signature_invalid"));
    assert_eq!(
        v["probes"][0]["base_url"]["differences"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
    // The same server seen from its own side: the base URL it should have.
    let (code, v, _) = probe(&[&url, "--expect-base-url", "https://jira.invalid/jira"]);
    assert_eq!(code, 0, "{v:#}");
    let (code, v, _) = probe(&[&url, "--expect-base-url", "https://jira.invalid"]);
    assert_eq!(code, 1);
    let f = only_finding(&v);
    assert_eq!(f["facts"]["differs"], "context path");
    assert_eq!(f["facts"]["expected_from"], "--expect-base-url");
}

#[test]
fn remote_clock_ten_minutes_ahead() {
    let port = manifest_server(None, "http://127.0.0.1:{port}", 600);
    let (code, v, _) = probe(&[&format!("http://127.0.0.1:{port}")]);
    assert_eq!(code, 1);
    let f = only_finding(&v);
    assert_eq!(f["rule"], "oauth-timestamp-refused");
    assert_eq!(f["step"], "clock");
    let skew: f64 = f["facts"]["skew_seconds"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((595.0..=605.0).contains(&skew), "{skew}");
    assert!(
        f["message"].as_str().unwrap().contains("10m 00s ahead")
            || f["message"].as_str().unwrap().contains("ahead")
    );
    let behind = manifest_server(None, "http://127.0.0.1:{port}", -90);
    let (code, v, _) = probe(&[&format!("http://127.0.0.1:{behind}")]);
    assert_eq!(code, 0);
    let f = only_finding(&v);
    assert_eq!(f["severity"], "warning");
    assert!(f["message"].as_str().unwrap().contains("behind"));
}

#[test]
fn closed_port_is_refused() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let (code, v, _) = probe(&[&format!("https://127.0.0.1:{port}/jira")]);
    assert_eq!(code, 1);
    let f = only_finding(&v);
    assert_eq!(f["rule"], "network-connection-refused");
    assert_eq!(f["facts"]["host"], "127.0.0.1");
    assert_eq!(f["facts"]["port"], port.to_string());
    assert_eq!(f["step"], "tcp");
}

#[test]
fn unknown_host() {
    let (code, v, _) = probe(&["https://nonexistent.invalid/confluence"]);
    assert_eq!(code, 1);
    let f = only_finding(&v);
    assert_eq!(f["rule"], "network-unknown-host");
    assert_eq!(f["facts"]["host"], "nonexistent.invalid");
    assert_eq!(f["step"], "dns");
    assert!(!f["cause"].as_str().unwrap().is_empty());
}

#[test]
fn not_an_atlassian_application_or_a_login_page() {
    let port = serve(
        None,
        Arc::new(|_| {
            answer(
                "404 Not Found",
                &[("Content-Type", "text/html".into())],
                "<html><title>404</title></html>",
            )
        }),
    );
    let (code, v, _) = probe(&[&format!("http://127.0.0.1:{port}/wrong")]);
    assert_eq!(code, 1);
    let f = only_finding(&v);
    assert_eq!(f["rule"], "applinks-manifest-not-found");
    assert_eq!(f["facts"]["status"], "404");
    let port = serve(
        None,
        Arc::new(|head: &str| {
            if head.starts_with("GET /rest/") {
                answer(
                    "302 Found",
                    &[("Location", "/login.jsp?os_password=hunter2".into())],
                    "",
                )
            } else {
                answer(
                    "200 OK",
                    &[("Content-Type", "text/html".into())],
                    "<!DOCTYPE html><html><head><title>Log in</title></head></html>",
                )
            }
        }),
    );
    let (code, v, _) = probe(&[&format!("http://127.0.0.1:{port}")]);
    assert_eq!(code, 1);
    let f = only_finding(&v);
    assert_eq!(f["rule"], "applinks-manifest-not-found");
    assert!(
        f["message"].as_str().unwrap().contains("login or SSO page"),
        "{f:#}"
    );
    assert_eq!(v["probes"][0]["http"]["redirects"][0]["status"], 302);
    let text = v.to_string();
    assert!(!text.contains("hunter2"), "redacted: {text}");
}

/// A CONNECT proxy on 127.0.0.1 that asks for credentials (407) unless they are `u:p`,
/// and then tunnels to 127.0.0.1 or localhost only.
fn connect_proxy() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut client = client;
                let Some(head) = read_head(&mut client) else {
                    return;
                };
                if !head.contains("Proxy-Authorization: Basic dTpw") {
                    let _ = client.write_all(b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"test\"\r\nContent-Length: 0\r\n\r\n");
                    return;
                }
                let target = head.split_whitespace().nth(1).unwrap_or("").to_string();
                let port = target.rsplit_once(':').and_then(|(h, p)| {
                    (h == "localhost" || h == "127.0.0.1")
                        .then(|| p.parse::<u16>().ok())
                        .flatten()
                });
                let Some(port) = port else {
                    let _ = client.write_all(b"HTTP/1.1 403 Forbidden\r\n\r\n");
                    return;
                };
                let Ok(upstream) = TcpStream::connect(("127.0.0.1", port)) else {
                    let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n");
                    return;
                };
                let _ = client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n");
                let (mut c2, mut u2) = (client.try_clone().unwrap(), upstream.try_clone().unwrap());
                let (mut c1, mut u1) = (client, upstream);
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut c2, &mut u2);
                    let _ = u2.shutdown(std::net::Shutdown::Write);
                });
                let _ = std::io::copy(&mut u1, &mut c1);
                let _ = c1.shutdown(std::net::Shutdown::Write);
            });
        }
    });
    port
}

#[test]
fn proxy_tunnel_and_407() {
    let target = good_https_server();
    let proxy = connect_proxy();
    let url = format!("https://localhost:{target}");
    let (code, v, _) = probe(&[
        &url,
        "--truststore",
        &ca_pem(),
        "--proxy",
        &format!("http://127.0.0.1:{proxy}"),
    ]);
    assert_eq!(code, 1);
    let f = only_finding(&v);
    assert_eq!(f["rule"], "network-proxy-error");
    assert_eq!(f["facts"]["status"], "407");
    assert_eq!(f["facts"]["proxy"], format!("127.0.0.1:{proxy}"));
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("407 Proxy Authentication Required")
    );
    // With credentials the tunnel opens and the whole probe passes through it.
    let (code, v, err) = probe(&[
        &url,
        "--truststore",
        &ca_pem(),
        "--proxy",
        &format!("http://u:p@127.0.0.1:{proxy}"),
    ]);
    assert_eq!(code, 0, "{v:#} {err}");
    assert_eq!(v["probes"][0]["proxy"], format!("127.0.0.1:{proxy}"));
    assert!(!v.to_string().contains("u:p@"));
    // The environment says the same; NO_PROXY exempts the host.
    let out = linkdoctor()
        .env("HTTPS_PROXY", format!("http://127.0.0.1:{proxy}"))
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .env_remove("https_proxy")
        .args(["probe", "--format", "json", "--truststore", &ca_pem(), &url])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("network-proxy-error"));
    let out = linkdoctor()
        .env("HTTPS_PROXY", format!("http://127.0.0.1:{proxy}"))
        .env("NO_PROXY", "localhost")
        .env_remove("no_proxy")
        .env_remove("https_proxy")
        .args(["probe", "--format", "json", "--truststore", &ca_pem(), &url])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn several_urls_every_format_and_usage_errors() {
    let good = good_https_server();
    let urls = [
        format!("https://localhost:{good}"),
        "https://nonexistent.invalid".to_string(),
        format!("https://127.0.0.1:{good}"),
    ];
    let mut args: Vec<&str> = urls.iter().map(String::as_str).collect();
    let ca = ca_pem();
    args.extend(["--truststore", &ca]);
    let (code, v, _) = probe(&args);
    assert_eq!(code, 1);
    let probes = v["probes"].as_array().unwrap();
    assert_eq!(probes.len(), 3);
    assert_eq!(probes[0]["findings"].as_array().unwrap().len(), 0);
    assert_eq!(probes[1]["findings"][0]["rule"], "network-unknown-host");
    // The certificate carries IP:127.0.0.1 too, so TLS passes; but the application's base
    // URL names localhost: a link stored with the address would fail its signatures.
    assert_eq!(
        probes[2]["findings"].as_array().unwrap().len(),
        1,
        "{:#}",
        probes[2]
    );
    assert_eq!(probes[2]["findings"][0]["rule"], "oauth-signature-invalid");
    assert_eq!(probes[2]["findings"][0]["facts"]["differs"], "host");
    assert_eq!(probes[2]["tls"]["chain"][0]["sans"][1], "IP:127.0.0.1");
    for format in ["table", "markdown", "ndjson"] {
        let out = linkdoctor()
            .args(["probe", "--format", format, "https://nonexistent.invalid"])
            .env_remove("HTTPS_PROXY")
            .env_remove("https_proxy")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{format}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("network-unknown-host"), "{format}: {text}");
        if format == "ndjson" {
            for line in text.lines() {
                let v: Value = serde_json::from_str(line).unwrap();
                assert!(v["type"].is_string());
            }
        }
    }
    for bad in [
        vec!["ftp://x"],
        vec!["https://x", "--truststore", "/nonexistent/ts.jks"],
        vec!["https://x", "--proxy", "https://p:1"],
    ] {
        let out = linkdoctor().arg("probe").args(&bad).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
        assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
    }
}

#[test]
fn plain_http_through_a_proxy_that_wants_credentials() {
    let proxy = connect_proxy();
    let (code, v, _) = probe(&[
        "http://localhost:8090/confluence",
        "--proxy",
        &format!("127.0.0.1:{proxy}"),
    ]);
    assert_eq!(code, 1);
    let f = only_finding(&v);
    assert_eq!(f["rule"], "network-proxy-error");
    assert_eq!(f["step"], "proxy");
    assert_eq!(f["facts"]["status"], "407");
    assert_eq!(f["facts"]["host"], "localhost");
    assert_eq!(f["facts"]["port"], "8090");
}

#[test]
fn a_server_that_never_answers_is_a_read_timeout_not_a_hang() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in listener.incoming().flatten() {
            held.push(s);
        }
    });
    let started = std::time::Instant::now();
    let (code, v, _) = probe(&[&format!("http://127.0.0.1:{port}"), "--timeout", "1"]);
    assert!(started.elapsed() < Duration::from_secs(30));
    assert_eq!(code, 1);
    let f = only_finding(&v);
    assert_eq!(f["rule"], "network-read-timeout");
    assert_eq!(f["severity"], "error");
    assert_eq!(f["facts"]["port"], port.to_string());
}

#[test]
fn http_to_https_redirect_is_followed_and_reported() {
    let tls_port = good_https_server();
    let port = serve(
        None,
        Arc::new(move |head: &str| {
            let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
            answer(
                "301 Moved Permanently",
                &[("Location", format!("https://localhost:{tls_port}{path}"))],
                "",
            )
        }),
    );
    let (code, v, err) = probe(&[
        &format!("http://localhost:{port}"),
        "--truststore",
        &ca_pem(),
    ]);
    assert_eq!(code, 1, "{v:#} {err}");
    let p = &v["probes"][0];
    assert_eq!(p["http"]["redirects"][0]["status"], 301);
    assert_eq!(
        p["http"]["redirects"][0]["to"],
        format!("https://localhost:{tls_port}/rest/applinks/1.0/manifest")
    );
    assert_eq!(p["http"]["status"], 200);
    assert!(p["steps"].to_string().contains("http to https"), "{p:#}");
    assert_eq!(p["manifest"]["type"], "jira");
    let f = only_finding(&v);
    assert_eq!(f["rule"], "oauth-signature-invalid");
    assert_eq!(f["facts"]["differs"], "scheme, port");
}

#[test]
fn a_redirect_loop_stops_after_five() {
    let port = serve(
        None,
        Arc::new(|_| {
            answer(
                "302 Found",
                &[("Location", "/rest/applinks/1.0/manifest".into())],
                "",
            )
        }),
    );
    let (code, v, _) = probe(&[&format!("http://127.0.0.1:{port}")]);
    assert_eq!(code, 1);
    let f = only_finding(&v);
    assert_eq!(f["rule"], "applinks-manifest-not-found");
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("more than 5 redirects"),
        "{f:#}"
    );
    let redirects = v["probes"][0]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["detail"].as_str().unwrap().contains("redirect from"))
        .count();
    assert_eq!(redirects, 5);
}

/// A listener on 127.0.0.1 whose accept queue is full: Linux drops further SYNs, so a
/// connection attempt times out (the loopback stand-in for a firewall that drops packets).
#[cfg(target_os = "linux")]
fn full_backlog_listener() -> (u16, Vec<TcpStream>, i32) {
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0);
        assert!(fd >= 0);
        let mut addr: libc::sockaddr_in = std::mem::zeroed();
        addr.sin_family = libc::AF_INET as libc::sa_family_t;
        addr.sin_addr.s_addr = u32::from_ne_bytes([127, 0, 0, 1]);
        let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
        assert_eq!(
            libc::bind(fd, &addr as *const _ as *const libc::sockaddr, len),
            0
        );
        assert_eq!(libc::listen(fd, 0), 0);
        let mut bound: libc::sockaddr_in = std::mem::zeroed();
        let mut blen = len;
        libc::getsockname(fd, &mut bound as *mut _ as *mut libc::sockaddr, &mut blen);
        let port = u16::from_be(bound.sin_port);
        let mut held = Vec::new();
        for _ in 0..4 {
            if let Ok(s) = TcpStream::connect_timeout(
                &format!("127.0.0.1:{port}").parse().unwrap(),
                Duration::from_millis(300),
            ) {
                held.push(s);
            }
        }
        (port, held, fd)
    }
}

#[test]
#[cfg(target_os = "linux")]
fn connect_timeout_on_a_full_accept_queue() {
    let (port, _held, fd) = full_backlog_listener();
    let (code, v, _) = probe(&[&format!("http://127.0.0.1:{port}"), "--timeout", "1"]);
    unsafe { libc::close(fd) };
    assert_eq!(code, 1, "{v:#}");
    let f = only_finding(&v);
    assert_eq!(f["rule"], "network-connect-timeout");
    assert_eq!(f["step"], "tcp");
    assert_eq!(f["facts"]["port"], port.to_string());
    assert_eq!(f["facts"]["host"], "127.0.0.1");
}
