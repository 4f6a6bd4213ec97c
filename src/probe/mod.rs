//! `linkdoctor probe`: the live diagnostics of the App Links screen, from the command line.
//! For each URL, in order, stopping at the first failure that makes the next step
//! meaningless: DNS ([`dns`]), TCP ([`tcp`]), the proxy tunnel ([`proxy`]), TLS ([`tls`],
//! against the JVM's trust store from [`truststore`]), `GET /rest/applinks/1.0/manifest`
//! ([`http`], [`manifest`]), base URL ([`baseurl`]) and clock ([`clock`]). Findings carry
//! the rule ids of log findings ([`findings`]). A probe only sends `GET` and `CONNECT`: it
//! never changes anything on the remote side. Several URLs run concurrently (bounded).
//!
//! The HTTP client is hand-written over the probe's own stream rather than taken from a
//! crate (`ureq`): each step (resolution, connection, tunnel, handshake with a recording
//! certificate verifier, request) must be seen and named on its own, which a client that
//! hides them behind one call cannot give.

pub mod baseurl;
pub mod certinfo;
pub mod clock;
pub mod dns;
pub mod findings;
pub mod http;
pub mod manifest;
pub mod proxy;
pub mod render;
pub mod target;
pub mod tcp;
pub mod tls;
pub mod truststore;

use crate::model::Severity;
use findings::{
    BaseUrlReport, FindingMaker, HttpReport, ProbeFinding, Redirect, Step, StepRecord, StepStatus,
    TlsReport, UrlProbe,
};
use proxy::{ProxySettings, TunnelError};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use target::{Scheme, Target};
use tcp::ConnectFailure;
use tls::{CertProblem, TlsFailure};
use truststore::TrustStore;

/// The manifest every Atlassian application serves anonymously.
pub const MANIFEST_PATH: &str = "/rest/applinks/1.0/manifest";
/// Redirects followed before giving up.
pub const MAX_REDIRECTS: usize = 5;
/// A certificate expiring within this many days is a warning.
pub const EXPIRY_WARNING_DAYS: i64 = 30;

/// Everything a probe run needs.
pub struct ProbeOptions<'a> {
    pub timeout: Duration,
    pub proxies: ProxySettings,
    pub trust: TrustStore,
    /// This host's own base URL, when probing the local side (`--expect-base-url`).
    pub expect_base_url: Option<Target>,
    pub findings: FindingMaker<'a>,
    /// URLs probed at the same time.
    pub concurrency: usize,
}

/// Probes every target, `concurrency` at a time; results in the order given.
pub fn probe_all(targets: &[Target], opts: &ProbeOptions<'_>) -> Vec<UrlProbe> {
    let next = AtomicUsize::new(0);
    let workers = opts.concurrency.clamp(1, 64).min(targets.len().max(1));
    let mut results: Vec<Option<UrlProbe>> = vec![None; targets.len()];
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                s.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(t) = targets.get(i) else { break };
                        done.push((i, probe_one(t, opts)));
                    }
                    done
                })
            })
            .collect();
        for h in handles {
            if let Ok(done) = h.join() {
                for (i, p) in done {
                    results[i] = Some(p);
                }
            }
        }
    });
    results
        .into_iter()
        .zip(targets)
        .map(|(r, t)| r.unwrap_or_else(|| empty_probe(t)))
        .collect()
}

fn empty_probe(t: &Target) -> UrlProbe {
    UrlProbe {
        url: t.to_string(),
        host: t.host.clone(),
        port: t.port,
        proxy: None,
        addresses: Vec::new(),
        connected_to: None,
        tls: None,
        http: None,
        manifest: None,
        base_url: None,
        clock: None,
        steps: Vec::new(),
        findings: Vec::new(),
    }
}

/// A failure of one fetch: the finding to report.
type Failure = Box<ProbeFinding>;

/// One URL's probe, in progress.
struct Run<'o, 'a> {
    opts: &'o ProbeOptions<'a>,
    probe: UrlProbe,
}

/// An open connection to the origin, ready for a request.
enum Conn {
    Plain(TcpStream),
    Tls(Box<tls::TlsSession>),
}

impl Conn {
    fn io(&mut self) -> &mut dyn ReadWrite {
        match self {
            Conn::Plain(s) => s,
            Conn::Tls(s) => &mut s.stream,
        }
    }
}

trait ReadWrite: Read + Write {}
impl<T: Read + Write> ReadWrite for T {}

impl Run<'_, '_> {
    fn step(&mut self, step: Step, status: StepStatus, detail: impl Into<String>) {
        let detail = self.opts.findings.clean(&detail.into());
        self.probe.steps.push(StepRecord {
            step,
            status,
            detail,
        });
    }

    fn fail(
        &mut self,
        rule: &str,
        severity: Option<Severity>,
        step: Step,
        message: &str,
        facts: &[(&str, String)],
    ) -> Failure {
        // The step table shows the first sentence; the finding keeps all of it.
        let short = message.split(". ").next().unwrap_or(message);
        self.step(
            step,
            if severity == Some(Severity::Warning) {
                StepStatus::Warning
            } else {
                StepStatus::Failed
            },
            short,
        );
        Box::new(
            self.opts
                .findings
                .make(rule, severity, step, &self.probe.url, message, facts),
        )
    }

    /// Resolves, connects and opens the proxy tunnel for `t`: a TCP stream to the origin
    /// (or to the proxy, for plain http through one). `record` fills the probe's details.
    fn open(&mut self, t: &Target, record: bool) -> Result<TcpStream, Failure> {
        let opts = self.opts;
        let proxy = opts.proxies.for_target(t).cloned();
        let (host, port) = match &proxy {
            Some(p) => (p.host.clone(), p.port),
            None => (t.host.clone(), t.port),
        };
        let via = proxy
            .as_ref()
            .map(|p| format!(" (the proxy {})", p.display()))
            .unwrap_or_default();
        if record {
            self.probe.proxy = proxy.as_ref().map(|p| p.display());
        }
        let addrs = match dns::resolve(&host, port, opts.timeout) {
            Ok(a) => a,
            Err(e) => {
                let why = match e {
                    dns::DnsError::Unknown(m) => m,
                    dns::DnsError::TimedOut => format!(
                        "no answer from the resolver within {} s",
                        opts.timeout.as_secs()
                    ),
                };
                return Err(self.fail(
                    "network-unknown-host",
                    None,
                    Step::Dns,
                    &format!("{host}{via} does not resolve: {why}"),
                    &[("host", host.clone()), ("port", port.to_string())],
                ));
            }
        };
        if record {
            self.probe.addresses = addrs.iter().map(|a| a.ip().to_string()).collect();
            let shown = self.probe.addresses.join(", ");
            self.step(
                Step::Dns,
                StepStatus::Ok,
                format!("{host}{via} resolves to {shown}"),
            );
        }
        let (mut sock, addr) = match tcp::connect(&addrs, opts.timeout) {
            Ok(c) => c,
            Err(e) => {
                let (rule, what) = match &e.failure {
                    ConnectFailure::Refused => (
                        "network-connection-refused",
                        "refused the connection".to_string(),
                    ),
                    ConnectFailure::TimedOut => (
                        "network-connect-timeout",
                        format!("did not answer within {} s", opts.timeout.as_secs()),
                    ),
                    ConnectFailure::NoRoute => (
                        "network-no-route-to-host",
                        "is unreachable (no route to host)".to_string(),
                    ),
                    ConnectFailure::Other(m) => (
                        "network-no-route-to-host",
                        format!("could not be reached: {m}"),
                    ),
                };
                return Err(self.fail(
                    rule,
                    None,
                    Step::Tcp,
                    &format!("{host}:{port}{via} ({}) {what}", e.addr.ip()),
                    &[
                        ("host", host.clone()),
                        ("port", port.to_string()),
                        ("address", e.addr.to_string()),
                    ],
                ));
            }
        };
        if record {
            self.probe.connected_to = Some(addr.to_string());
            self.step(
                Step::Tcp,
                StepStatus::Ok,
                format!("connected to {addr}{via}"),
            );
        }
        if let (Some(p), Scheme::Https) = (&proxy, t.scheme) {
            let mut bounded = http::Deadline {
                inner: &mut sock,
                until: Instant::now() + opts.timeout,
            };
            match proxy::connect_tunnel(&mut bounded, p, t) {
                Ok(()) => {
                    if record {
                        self.step(
                            Step::Proxy,
                            StepStatus::Ok,
                            format!(
                                "the proxy {} opened a tunnel to {}",
                                p.display(),
                                t.authority()
                            ),
                        );
                    }
                }
                Err(e) => {
                    let facts = |status: String| {
                        vec![
                            ("proxy", p.display()),
                            ("host", t.host.clone()),
                            ("port", t.port.to_string()),
                            ("status", status),
                        ]
                    };
                    return Err(match e {
                        TunnelError::AuthRequired { challenge } => self.fail(
                            "network-proxy-error",
                            None,
                            Step::Proxy,
                            &format!(
                                "the proxy {} answered 407 Proxy Authentication Required to CONNECT {}{}: give the proxy credentials (http.proxyUser / http.proxyPassword for the product's JVM, user:password@ in --proxy for this probe)",
                                p.display(),
                                t.authority(),
                                challenge.map(|c| format!(" (it asks for {c})")).unwrap_or_default()
                            ),
                            &facts("407".into()),
                        ),
                        TunnelError::Refused { status, line } => self.fail(
                            "network-proxy-error",
                            None,
                            Step::Proxy,
                            &format!("the proxy {} refused CONNECT {}: {line}", p.display(), t.authority()),
                            &facts(status.to_string()),
                        ),
                        TunnelError::Broken(m) => self.fail(
                            "network-proxy-error",
                            None,
                            Step::Proxy,
                            &format!("the proxy {} did not open a tunnel to {}: {m}", p.display(), t.authority()),
                            &facts("-".into()),
                        ),
                    });
                }
            }
        }
        Ok(sock)
    }

    /// Opens `t` through TLS when https; records chain and versions when `record`.
    fn connect(&mut self, t: &Target, record: bool) -> Result<Conn, Failure> {
        let sock = self.open(t, record)?;
        if t.scheme == Scheme::Http {
            return Ok(Conn::Plain(sock));
        }
        let (result, chain) = tls::handshake(sock, &t.host, &self.opts.trust, self.opts.timeout);
        let infos: Vec<_> = chain.iter().filter_map(|c| certinfo::describe(c)).collect();
        if record {
            let mut versions = Vec::new();
            let mut again = || self.open_quiet(t);
            for v in tls::accepted_versions(&mut again, &t.host, self.opts.timeout) {
                versions.push(v.to_string());
            }
            self.probe.tls = Some(TlsReport {
                version: result.as_ref().ok().map(|s| s.version.to_string()),
                accepted_versions: versions,
                chain: infos.clone(),
            });
        }
        let leaf = infos.first();
        let mut facts = vec![("host", t.host.clone()), ("port", t.port.to_string())];
        if let Some(l) = leaf {
            facts.push(("subject", l.subject.clone()));
            facts.push(("issuer", l.issuer.clone()));
            facts.push(("sans", l.sans.join(", ")));
            facts.push(("not_before", l.not_before.clone()));
            facts.push(("not_after", l.not_after.clone()));
        }
        facts.push(("trust_store", self.opts.trust.description.clone()));
        let subject = leaf.map_or("(none)".to_string(), |l| l.subject.clone());
        match result {
            Ok(session) => {
                if record {
                    let now = SystemTime::now()
                        .duration_since(UNIX_EPOCH)
                        .map_or(0, |d| d.as_secs() as i64);
                    let detail = format!(
                        "{} handshake; certificate {subject} issued by {} trusted by {}",
                        session.version,
                        leaf.map_or("-", |l| l.issuer.as_str()),
                        self.opts.trust.description
                    );
                    match leaf.map(|l| (l.not_after_epoch - now) / 86_400) {
                        Some(days) if days < EXPIRY_WARNING_DAYS => {
                            facts.push(("days_left", days.to_string()));
                            let f = self.fail(
                                "ssl-certificate-expired",
                                Some(Severity::Warning),
                                Step::Tls,
                                &format!("the certificate {subject} expires in {days} days ({}): renew it before it does", leaf.map_or("", |l| l.not_after.as_str())),
                                &facts,
                            );
                            self.probe.findings.push(*f);
                        }
                        _ => self.step(Step::Tls, StepStatus::Ok, detail),
                    }
                }
                Ok(Conn::Tls(Box::new(session)))
            }
            Err(failure) => {
                let (rule, message) = match failure {
                    TlsFailure::Certificate(CertProblem::Untrusted { self_signed: true }) => (
                        "ssl-untrusted-certificate",
                        format!(
                            "the certificate {subject} is self-signed and not in the trust store {} (PKIX path building failed)",
                            self.opts.trust.description
                        ),
                    ),
                    TlsFailure::Certificate(CertProblem::Untrusted { self_signed: false }) => (
                        "ssl-untrusted-certificate",
                        format!(
                            "the certificate {subject} chains to {}, which is not in the trust store {} (PKIX path building failed)",
                            infos.last().map_or("an unknown CA", |c| c.subject.as_str()),
                            self.opts.trust.description
                        ),
                    ),
                    TlsFailure::Certificate(CertProblem::ChainIncomplete { missing_issuer }) => {
                        facts.push(("missing_issuer", missing_issuer.clone()));
                        facts.push(("chain_length", infos.len().to_string()));
                        (
                            "ssl-chain-incomplete",
                            format!(
                                "the server sends {} certificate{} and not the one of its issuer {missing_issuer}, which the trust store does not hold either: add the intermediate CA certificate to the server's chain",
                                infos.len(),
                                if infos.len() == 1 { "" } else { "s" }
                            ),
                        )
                    }
                    TlsFailure::Certificate(CertProblem::HostnameMismatch {
                        expected,
                        presented,
                    }) => {
                        let names = if presented.is_empty() {
                            leaf.map(|l| l.sans.join(", ")).unwrap_or_default()
                        } else {
                            presented.join(", ")
                        };
                        (
                            "ssl-hostname-mismatch",
                            format!(
                                "the certificate {subject} is for {names}, not for {}",
                                if expected.is_empty() {
                                    &t.host
                                } else {
                                    &expected
                                }
                            ),
                        )
                    }
                    TlsFailure::Certificate(CertProblem::Expired) => (
                        "ssl-certificate-expired",
                        format!(
                            "the certificate {subject} expired on {}",
                            leaf.map_or("-", |l| l.not_after.as_str())
                        ),
                    ),
                    TlsFailure::Certificate(CertProblem::NotYetValid) => (
                        "ssl-certificate-expired",
                        format!(
                            "the certificate {subject} is not valid before {} (or this host's clock is behind)",
                            leaf.map_or("-", |l| l.not_before.as_str())
                        ),
                    ),
                    TlsFailure::Certificate(CertProblem::Other(m)) => (
                        "ssl-handshake-failure",
                        format!("the certificate {subject} was rejected: {m}"),
                    ),
                    TlsFailure::NotTls => (
                        "ssl-https-http-mismatch",
                        format!(
                            "{} answers in plain HTTP, not TLS: the URL says https but the port speaks http",
                            t.authority()
                        ),
                    ),
                    TlsFailure::ProtocolVersion(m) => (
                        "ssl-protocol-version",
                        format!(
                            "no TLS version or cipher suite in common with {}: {m}",
                            t.authority()
                        ),
                    ),
                    TlsFailure::TimedOut => (
                        "network-read-timeout",
                        format!(
                            "the TLS handshake with {} did not finish within {} s",
                            t.authority(),
                            self.opts.timeout.as_secs()
                        ),
                    ),
                    TlsFailure::Handshake(m) => (
                        "ssl-handshake-failure",
                        format!("the TLS handshake with {} failed: {m}", t.authority()),
                    ),
                };
                // A handshake that never finishes fails the link as surely as a refusal.
                Err(self.fail(rule, Some(Severity::Error), Step::Tls, &message, &facts))
            }
        }
    }

    /// A TCP stream (through the tunnel if any) without recording anything: for the
    /// protocol-version handshakes.
    fn open_quiet(&self, t: &Target) -> Option<TcpStream> {
        let proxy = self.opts.proxies.for_target(t);
        let (host, port) = proxy.map_or((t.host.as_str(), t.port), |p| (p.host.as_str(), p.port));
        let addrs = dns::resolve(host, port, self.opts.timeout).ok()?;
        let (mut sock, _) = tcp::connect(&addrs, self.opts.timeout).ok()?;
        if let Some(p) = proxy {
            let mut bounded = http::Deadline {
                inner: &mut sock,
                until: Instant::now() + self.opts.timeout,
            };
            proxy::connect_tunnel(&mut bounded, p, t).ok()?;
        }
        Some(sock)
    }

    /// GETs the manifest of `start`, following redirects; the final answer.
    fn fetch_manifest(&mut self, start: &Target) -> Result<http::Response, Failure> {
        let mut t = start.clone();
        let mut path = start.join(MANIFEST_PATH);
        let mut redirects = Vec::new();
        // Each pass either follows a redirect (at most MAX_REDIRECTS) or returns.
        let mut hop = 0;
        loop {
            let first = hop == 0;
            let mut conn = self.connect(&t, first).map_err(|mut f| {
                if !first {
                    f.message = format!("while following the redirect to {t}: {}", f.message);
                }
                f
            })?;
            let proxy = self.opts.proxies.for_target(&t).cloned();
            let (request_target, extra) = match (&proxy, t.scheme) {
                (Some(p), Scheme::Http) => {
                    (format!("http://{}{path}", t.host_header()), p.auth_header())
                }
                _ => (path.clone(), String::new()),
            };
            let url_now = format!("{}://{}{path}", t.scheme.name(), t.host_header());
            let mut bounded = http::Deadline {
                inner: conn.io(),
                until: Instant::now() + self.opts.timeout * 2,
            };
            let answer = http::get(&mut bounded, &request_target, &t.host_header(), &extra);
            let resp = match answer {
                Ok(r) => r,
                Err(e) => {
                    let timed_out = matches!(
                        e.kind(),
                        std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
                    );
                    let (rule, what) = if timed_out {
                        (
                            "network-read-timeout",
                            format!("no answer within {} s", self.opts.timeout.as_secs()),
                        )
                    } else {
                        ("network-connection-reset", e.to_string())
                    };
                    // In a log a slow answer may be sporadic; here the one request the
                    // probe makes got none: the link fails.
                    return Err(self.fail(
                        rule,
                        Some(Severity::Error),
                        Step::Http,
                        &format!("GET {url_now}: {what}"),
                        &[("host", t.host.clone()), ("port", t.port.to_string())],
                    ));
                }
            };
            let status = resp.head.status;
            if self.probe.http.is_none() {
                self.probe.http = Some(HttpReport {
                    request: format!("GET {url_now}"),
                    ..HttpReport::default()
                });
            }
            if status == 407 {
                let p = proxy
                    .map(|p| p.display())
                    .unwrap_or_else(|| "(none configured)".into());
                return Err(self.fail(
                    "network-proxy-error",
                    None,
                    Step::Proxy,
                    &format!(
                        "407 Proxy Authentication Required from the proxy {p} for GET {url_now}"
                    ),
                    &[
                        ("proxy", p.clone()),
                        ("status", "407".into()),
                        ("host", t.host.clone()),
                        ("port", t.port.to_string()),
                    ],
                ));
            }
            let location = resp.head.header("location").map(str::to_string);
            match (status, location) {
                (301 | 302 | 303 | 307 | 308, Some(loc)) if hop < MAX_REDIRECTS => {
                    let next = t.resolve_location(&loc).map_err(|e| {
                        self.fail(
                            "applinks-manifest-not-found",
                            Some(Severity::Error),
                            Step::Http,
                            &format!(
                                "GET {url_now} redirects to an unusable Location '{loc}': {e}"
                            ),
                            &[("status", status.to_string())],
                        )
                    })?;
                    let next_path = loc_path(&loc, &next);
                    let to = format!("{}://{}{next_path}", next.scheme.name(), next.host_header());
                    redirects.push(Redirect {
                        status,
                        from: url_now.clone(),
                        to: self.opts.findings.clean(&to),
                    });
                    self.step(
                        Step::Http,
                        StepStatus::Ok,
                        format!(
                            "{status} redirect from {url_now} to {to}{}",
                            if t.scheme == Scheme::Http && next.scheme == Scheme::Https {
                                " (http to https: the link's application URL should be the https one)"
                            } else {
                                ""
                            }
                        ),
                    );
                    t = next;
                    path = next_path;
                    hop += 1;
                }
                (301 | 302 | 303 | 307 | 308, _) => {
                    return Err(self.fail(
                        "applinks-manifest-not-found",
                        Some(Severity::Error),
                        Step::Http,
                        &format!("GET {url_now}: {status} redirect without a usable Location, or more than {MAX_REDIRECTS} redirects"),
                        &[("status", status.to_string())],
                    ));
                }
                _ => {
                    if let Some(h) = self.probe.http.as_mut() {
                        h.status = Some(status);
                        h.content_type = resp.head.header("content-type").map(str::to_string);
                        h.redirects = redirects;
                        h.round_trip_ms = Some(resp.round_trip.as_millis() as u64);
                    }
                    self.step(
                        Step::Http,
                        StepStatus::Ok,
                        format!("GET {url_now}: {}", resp.head.status_line),
                    );
                    return Ok(resp);
                }
            }
        }
    }

    /// Steps 4 to 6 on an answer.
    fn examine(&mut self, start: &Target, resp: &http::Response) {
        let final_hop = self
            .probe
            .http
            .as_ref()
            .and_then(|h| h.redirects.last().map(|r| r.to.clone()));
        let text = String::from_utf8_lossy(&resp.body);
        let status = resp.head.status;
        let facts_http = |extra: Vec<(&'static str, String)>| {
            let mut f = vec![
                ("status", status.to_string()),
                ("host", start.host.clone()),
                ("port", start.port.to_string()),
            ];
            f.extend(extra);
            f
        };
        let manifest = match status {
            200 => match manifest::parse_manifest(&text) {
                Ok(m) => Some(m),
                Err(e) => {
                    let login = matches!(e, manifest::ManifestError::Html { .. })
                        && final_hop.as_deref().is_some_and(looks_like_login);
                    let message = match (&e, &final_hop) {
                        (manifest::ManifestError::Html { .. }, Some(to)) if login => format!(
                            "the manifest request was redirected to a login or SSO page ({to}): {e}; the manifest must be reachable anonymously (exclude /rest/applinks/ from SSO)"
                        ),
                        (manifest::ManifestError::Html { .. }, _) => format!(
                            "{e}: the address is not an Atlassian application or its context path is wrong"
                        ),
                        _ => format!(
                            "{e}: the address is not an Atlassian application or its context path is wrong"
                        ),
                    };
                    let mut extra = vec![];
                    if let Some(to) = &final_hop {
                        extra.push(("redirected_to", to.clone()));
                    }
                    let f = self.fail(
                        "applinks-manifest-not-found",
                        Some(Severity::Error),
                        Step::Manifest,
                        &message,
                        &facts_http(extra),
                    );
                    self.probe.findings.push(*f);
                    None
                }
            },
            404 => {
                let f = self.fail(
                    "applinks-manifest-not-found",
                    Some(Severity::Error),
                    Step::Manifest,
                    &format!("404 Not Found for {}{MANIFEST_PATH}: the address is not an Atlassian application or the context path is wrong", start),
                    &facts_http(vec![]),
                );
                self.probe.findings.push(*f);
                None
            }
            _ => {
                let f = self.fail(
                    "applinks-remote-http-error",
                    None,
                    Step::Manifest,
                    &format!("the manifest request got {} (the manifest is served anonymously: a proxy, SSO or firewall in front answers instead)", resp.head.status_line),
                    &facts_http(vec![]),
                );
                self.probe.findings.push(*f);
                None
            }
        };
        if let Some(m) = manifest {
            self.step(
                Step::Manifest,
                StepStatus::Ok,
                format!(
                    "{} {} ({}), base URL {}",
                    m.type_id.as_deref().unwrap_or("application"),
                    m.version.as_deref().unwrap_or("(version unknown)"),
                    m.name.as_deref().unwrap_or("unnamed"),
                    m.url.as_deref().unwrap_or("-")
                ),
            );
            self.base_url(start, &m);
            self.probe.manifest = Some(m);
        }
        // The clock step needs only an answer: it runs whatever the manifest step said.
        if let Some(f) = self.clock(resp) {
            self.probe.findings.push(*f);
        }
    }

    fn base_url(&mut self, start: &Target, m: &manifest::Manifest) {
        let Some(url) = m.url.as_deref() else { return };
        let (expected, from, local) = match &self.opts.expect_base_url {
            Some(e) => (e.clone(), "--expect-base-url", true),
            None => (start.clone(), "probed URL", false),
        };
        match baseurl::compare(&expected, url) {
            Ok(diffs) if diffs.is_empty() => {
                self.step(
                    Step::BaseUrl,
                    StepStatus::Ok,
                    format!("the manifest's base URL {url} matches the {from} {expected}"),
                );
            }
            Ok(diffs) => {
                let list: Vec<String> = diffs
                    .iter()
                    .map(|d| format!("{} {} vs {}", d.part, d.expected, d.manifest))
                    .collect();
                let mut facts = vec![
                    ("expected", expected.to_string()),
                    ("expected_from", from.to_string()),
                    ("manifest_url", url.to_string()),
                    (
                        "differs",
                        diffs.iter().map(|d| d.part).collect::<Vec<_>>().join(", "),
                    ),
                ];
                for d in &diffs {
                    facts.push((d.part, format!("{} -> {}", d.expected, d.manifest)));
                }
                let message = format!(
                    "the remote application's base URL {url} differs from the {from} {expected} ({}); OAuth signatures will fail (signature_invalid). {}",
                    list.join("; "),
                    baseurl::advice(&diffs, local)
                );
                let f = self.fail(
                    "oauth-signature-invalid",
                    None,
                    Step::BaseUrl,
                    &message,
                    &facts,
                );
                self.probe.findings.push(*f);
                self.probe.base_url = Some(BaseUrlReport {
                    expected: expected.to_string(),
                    expected_from: from.into(),
                    manifest: url.into(),
                    differences: diffs,
                });
                return;
            }
            Err(e) => {
                let f = self.fail(
                    "oauth-signature-invalid",
                    None,
                    Step::BaseUrl,
                    &e,
                    &[("manifest_url", url.to_string())],
                );
                self.probe.findings.push(*f);
                return;
            }
        }
        self.probe.base_url = Some(BaseUrlReport {
            expected: expected.to_string(),
            expected_from: from.into(),
            manifest: url.into(),
            differences: Vec::new(),
        });
    }

    fn clock(&mut self, resp: &http::Response) -> Option<Failure> {
        let Some(date) = resp.head.header("date") else {
            self.step(
                Step::Clock,
                StepStatus::Warning,
                "the answer has no Date header: the remote clock cannot be compared",
            );
            return None;
        };
        let Some(reading) = clock::read(date, resp.sent_at, resp.round_trip) else {
            self.step(
                Step::Clock,
                StepStatus::Warning,
                format!("the Date header '{date}' is not an HTTP date"),
            );
            return None;
        };
        let skew = reading.skew_seconds;
        let described = clock::describe_skew(skew);
        let facts = vec![
            ("remote_date", reading.remote_date.clone()),
            ("local_time", reading.local_time.clone()),
            ("skew_seconds", format!("{skew:.1}")),
            (
                "uncertainty_seconds",
                format!("{:.1}", reading.uncertainty_seconds),
            ),
        ];
        let result = if skew.abs() >= clock::ERROR_SECONDS {
            Some(self.fail(
                "oauth-timestamp-refused",
                Some(Severity::Error),
                Step::Clock,
                &format!("the remote clock is {described} of this host's (±{:.1} s); OAuth accepts at most 5 minutes: requests will be refused (timestamp_refused)", reading.uncertainty_seconds),
                &facts,
            ))
        } else if skew.abs() >= clock::WARNING_SECONDS {
            Some(self.fail(
                "oauth-timestamp-refused",
                Some(Severity::Warning),
                Step::Clock,
                &format!("the remote clock is {described} of this host's (±{:.1} s); OAuth fails from 5 minutes on: synchronise both with NTP", reading.uncertainty_seconds),
                &facts,
            ))
        } else {
            self.step(
                Step::Clock,
                StepStatus::Ok,
                format!(
                    "the remote clock is {described} of this host's (±{:.1} s)",
                    reading.uncertainty_seconds
                ),
            );
            None
        };
        self.probe.clock = Some(reading);
        result
    }
}

/// The path (and query) a `Location` names, for the next request.
fn loc_path(location: &str, next: &Target) -> String {
    let loc = location.trim();
    let after_authority = if let Some((_, rest)) = loc.split_once("://") {
        rest.find('/').map_or("/", |i| &rest[i..])
    } else if let Some(rest) = loc.strip_prefix("//") {
        rest.find('/').map_or("/", |i| &rest[i..])
    } else if loc.starts_with('/') {
        loc
    } else {
        return format!("{}/{loc}", next.path);
    };
    after_authority.split('#').next().unwrap_or("/").to_string()
}

/// A redirect target that is a login or single sign-on page.
fn looks_like_login(url: &str) -> bool {
    let u = url.to_ascii_lowercase();
    [
        "login",
        "signin",
        "sign-in",
        "sso",
        "saml",
        "oauth2/authorize",
        "openid",
        "adfs",
        "auth/realms",
        "cas/",
    ]
    .iter()
    .any(|k| u.contains(k))
}

/// Probes one URL through every step.
pub fn probe_one(t: &Target, opts: &ProbeOptions<'_>) -> UrlProbe {
    let mut run = Run {
        opts,
        probe: empty_probe(t),
    };
    match run.fetch_manifest(t) {
        Ok(resp) => run.examine(t, &resp),
        Err(f) => run.probe.findings.push(*f),
    }
    run.probe
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_paths_and_login_pages() {
        let t = Target::parse("https://h/ctx").unwrap();
        assert_eq!(
            loc_path("https://h/login.jsp?os_destination=x#f", &t),
            "/login.jsp?os_destination=x"
        );
        assert_eq!(loc_path("/a/b", &t), "/a/b");
        assert_eq!(loc_path("rel", &t), "/ctx/rel");
        assert_eq!(loc_path("https://h", &t), "/");
        assert!(looks_like_login(
            "https://idp.example.com/adfs/ls/?SAMLRequest=x"
        ));
        assert!(looks_like_login("https://jira/login.jsp"));
        assert!(!looks_like_login("https://jira/rest/applinks/1.0/manifest"));
    }
}
