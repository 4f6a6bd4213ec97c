//! Step 3 (https): the TLS handshake, with the chain checked against the trust store the
//! product's JVM uses. A [`RecordingVerifier`] keeps the chain the server sent and runs the
//! WebPKI verification itself (`rustls`' `WebPkiServerVerifier`), so the failure is named
//! exactly: untrusted (self-signed or unknown CA), chain incomplete (an intermediate the
//! server does not send), host name not in the SANs, expired or not yet valid. A server
//! that answers in plain HTTP is recognised by its first bytes. The protocol versions the
//! server accepts are tried one by one (TLS 1.3, TLS 1.2).

use super::certinfo::{self, CertInfo};
use super::truststore::TrustStore;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::{
    CertificateError, ClientConfig, ClientConnection, DigitallySignedStruct, SignatureScheme,
    StreamOwned,
};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A TCP stream that keeps the first bytes the server sent (to recognise plain HTTP).
#[derive(Debug)]
pub struct RecordingStream {
    inner: TcpStream,
    pub first_bytes: Vec<u8>,
    /// Reads fail once this has passed (the handshake's deadline; lifted after it).
    pub until: Option<Instant>,
}

impl RecordingStream {
    pub fn new(inner: TcpStream) -> Self {
        RecordingStream {
            inner,
            first_bytes: Vec::new(),
            until: None,
        }
    }
}

impl Read for RecordingStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.until.is_some_and(|u| Instant::now() >= u) {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the TLS handshake took longer than the time-out allows",
            ));
        }
        let n = self.inner.read(buf)?;
        let room = 16usize.saturating_sub(self.first_bytes.len());
        self.first_bytes.extend_from_slice(&buf[..n.min(room)]);
        Ok(n)
    }
}

impl Write for RecordingStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// What is wrong with the certificate chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertProblem {
    /// The chain ends at a certificate the trust store does not hold; `self_signed` when the
    /// server's certificate is its own issuer.
    Untrusted {
        self_signed: bool,
    },
    /// The top certificate the server sent is not a root and its issuer is neither sent
    /// nor trusted: an intermediate CA certificate is missing.
    ChainIncomplete {
        missing_issuer: String,
    },
    HostnameMismatch {
        expected: String,
        presented: Vec<String>,
    },
    Expired,
    NotYetValid,
    Other(String),
}

/// Why the handshake failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsFailure {
    Certificate(CertProblem),
    /// The server answered in plain HTTP (an https URL on an http port).
    NotTls,
    /// No protocol version or cipher suite in common.
    ProtocolVersion(String),
    TimedOut,
    Handshake(String),
}

/// A finished handshake.
pub struct TlsSession {
    pub stream: StreamOwned<ClientConnection, RecordingStream>,
    /// `TLSv1.3` or `TLSv1.2`.
    pub version: &'static str,
}

/// The chain a server sent and what the verification said about it.
#[derive(Debug, Default)]
struct Recorded {
    chain: Vec<CertificateDer<'static>>,
    error: Option<CertificateError>,
}

/// Runs the WebPKI verification and records what it saw.
#[derive(Debug)]
struct RecordingVerifier {
    inner: Arc<WebPkiServerVerifier>,
    recorded: Mutex<Recorded>,
}

impl ServerCertVerifier for RecordingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let result =
            self.inner
                .verify_server_cert(end_entity, intermediates, server_name, ocsp, now);
        if let Ok(mut r) = self.recorded.lock() {
            r.chain = std::iter::once(end_entity)
                .chain(intermediates)
                .map(|c| c.clone().into_owned())
                .collect();
            if let Err(rustls::Error::InvalidCertificate(e)) = &result {
                r.error = Some(e.clone());
            }
        }
        result
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// Accepts any certificate (signatures of the handshake are still checked): only for
/// finding which protocol versions a server speaks, never for fetching anything.
#[derive(Debug)]
struct AnyCertificate(WebPkiSupportedAlgorithms);

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_schemes()
    }
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The name the certificate must carry: an IP address literal or a DNS name.
pub fn server_name(host: &str) -> Result<ServerName<'static>, String> {
    ServerName::try_from(host.to_string())
        .map_err(|e| format!("'{host}' is not a valid TLS server name: {e}"))
}

/// Handshakes over `sock` and returns the session, or the failure; the chain the server
/// sent comes back either way (empty when it sent none).
pub fn handshake(
    sock: TcpStream,
    host: &str,
    store: &TrustStore,
    timeout: Duration,
) -> (Result<TlsSession, TlsFailure>, Vec<CertificateDer<'static>>) {
    let inner = match WebPkiServerVerifier::builder_with_provider(
        Arc::new(store.roots.clone()),
        provider(),
    )
    .build()
    {
        Ok(v) => v,
        Err(e) => {
            return (
                Err(TlsFailure::Handshake(format!(
                    "trust store not usable: {e}"
                ))),
                Vec::new(),
            );
        }
    };
    let verifier = Arc::new(RecordingVerifier {
        inner,
        recorded: Mutex::new(Recorded::default()),
    });
    let config = match ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(rustls::ALL_VERSIONS)
    {
        Ok(b) => b
            .dangerous()
            .with_custom_certificate_verifier(verifier.clone())
            .with_no_client_auth(),
        Err(e) => return (Err(TlsFailure::Handshake(e.to_string())), Vec::new()),
    };
    let name = match server_name(host) {
        Ok(n) => n,
        Err(e) => return (Err(TlsFailure::Handshake(e)), Vec::new()),
    };
    let result = run_handshake(Arc::new(config), name, sock, timeout);
    let recorded = verifier
        .recorded
        .lock()
        .map(|mut r| std::mem::take(&mut *r))
        .unwrap_or_default();
    let infos: Vec<CertInfo> = recorded
        .chain
        .iter()
        .filter_map(|c| certinfo::describe(c))
        .collect();
    let result = match result {
        Ok(s) => Ok(s),
        Err((e, first)) => Err(match (&e, recorded.error) {
            (_, Some(cert_error)) => {
                TlsFailure::Certificate(classify_certificate_error(&cert_error, &infos))
            }
            _ => classify_failure(&e, &first),
        }),
    };
    (result, recorded.chain)
}

type HandshakeError = (io::Error, Vec<u8>);

fn run_handshake(
    config: Arc<ClientConfig>,
    name: ServerName<'static>,
    sock: TcpStream,
    timeout: Duration,
) -> Result<TlsSession, HandshakeError> {
    let conn =
        ClientConnection::new(config, name).map_err(|e| (io::Error::other(e), Vec::new()))?;
    let mut stream = StreamOwned::new(conn, RecordingStream::new(sock));
    stream.sock.until = Some(Instant::now() + timeout);
    while stream.conn.is_handshaking() {
        if let Err(e) = stream.conn.complete_io(&mut stream.sock) {
            return Err((e, stream.sock.first_bytes.clone()));
        }
    }
    stream.sock.until = None;
    let version = match stream.conn.protocol_version() {
        Some(rustls::ProtocolVersion::TLSv1_3) => "TLSv1.3",
        Some(rustls::ProtocolVersion::TLSv1_2) => "TLSv1.2",
        _ => "unknown",
    };
    Ok(TlsSession { stream, version })
}

/// Names a certificate error from the verifier, using the chain for the untrusted case.
pub fn classify_certificate_error(e: &CertificateError, chain: &[CertInfo]) -> CertProblem {
    match e {
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => CertProblem::Expired,
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
            CertProblem::NotYetValid
        }
        CertificateError::NotValidForName => CertProblem::HostnameMismatch {
            expected: String::new(),
            presented: Vec::new(),
        },
        CertificateError::NotValidForNameContext {
            expected,
            presented,
        } => CertProblem::HostnameMismatch {
            expected: match expected {
                ServerName::DnsName(d) => d.as_ref().to_string(),
                ServerName::IpAddress(ip) => std::net::IpAddr::from(*ip).to_string(),
                other => format!("{other:?}"),
            },
            presented: presented.clone(),
        },
        CertificateError::UnknownIssuer => match chain {
            [leaf] if leaf.self_issued => CertProblem::Untrusted { self_signed: true },
            [.., top] if !top.self_issued => CertProblem::ChainIncomplete {
                missing_issuer: top.issuer.clone(),
            },
            _ => CertProblem::Untrusted { self_signed: false },
        },
        other => CertProblem::Other(format!("{other:?}")),
    }
}

fn classify_failure(e: &io::Error, first_bytes: &[u8]) -> TlsFailure {
    if first_bytes.starts_with(b"HTTP/") || first_bytes.starts_with(b"<") {
        return TlsFailure::NotTls;
    }
    if matches!(
        e.kind(),
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
    ) {
        return TlsFailure::TimedOut;
    }
    match e.get_ref().and_then(|r| r.downcast_ref::<rustls::Error>()) {
        Some(rustls::Error::AlertReceived(a))
            if matches!(
                a,
                rustls::AlertDescription::ProtocolVersion
                    | rustls::AlertDescription::HandshakeFailure
                    | rustls::AlertDescription::InsufficientSecurity
            ) =>
        {
            TlsFailure::ProtocolVersion(format!("the server sent the alert {a:?}"))
        }
        Some(rustls::Error::PeerIncompatible(p)) => TlsFailure::ProtocolVersion(format!("{p:?}")),
        Some(rustls::Error::InvalidMessage(m)) => TlsFailure::Handshake(format!(
            "the server does not speak TLS on this port ({m:?})"
        )),
        Some(other) => TlsFailure::Handshake(other.to_string()),
        None => TlsFailure::Handshake(e.to_string()),
    }
}

/// The protocol versions (`TLSv1.3`, `TLSv1.2`) the server completes a handshake with, each
/// tried on its own connection from `connect`.
pub fn accepted_versions(
    connect: &mut dyn FnMut() -> Option<TcpStream>,
    host: &str,
    timeout: Duration,
) -> Vec<&'static str> {
    let Ok(name) = server_name(host) else {
        return Vec::new();
    };
    let provider = provider();
    let algorithms = provider.signature_verification_algorithms;
    let mut out = Vec::new();
    for (label, version) in [
        ("TLSv1.3", &rustls::version::TLS13),
        ("TLSv1.2", &rustls::version::TLS12),
    ] {
        let Ok(builder) = ClientConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(&[version])
        else {
            continue;
        };
        let config = builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyCertificate(algorithms)))
            .with_no_client_auth();
        let Some(sock) = connect() else { continue };
        if run_handshake(Arc::new(config), name.clone(), sock, timeout).is_ok() {
            out.push(label);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(subject: &str, issuer: &str) -> CertInfo {
        CertInfo {
            subject: subject.into(),
            issuer: issuer.into(),
            sans: vec![],
            not_before: String::new(),
            not_after: String::new(),
            not_before_epoch: 0,
            not_after_epoch: 0,
            self_issued: subject == issuer,
            serial: String::new(),
        }
    }

    #[test]
    fn unknown_issuer_is_told_apart() {
        let e = CertificateError::UnknownIssuer;
        assert_eq!(
            classify_certificate_error(&e, &[info("CN=a", "CN=a")]),
            CertProblem::Untrusted { self_signed: true }
        );
        assert_eq!(
            classify_certificate_error(&e, &[info("CN=a", "CN=int")]),
            CertProblem::ChainIncomplete {
                missing_issuer: "CN=int".into()
            }
        );
        assert_eq!(
            classify_certificate_error(
                &e,
                &[
                    info("CN=a", "CN=int"),
                    info("CN=int", "CN=root"),
                    info("CN=root", "CN=root")
                ]
            ),
            CertProblem::Untrusted { self_signed: false }
        );
        assert_eq!(
            classify_certificate_error(&CertificateError::Expired, &[]),
            CertProblem::Expired
        );
        assert_eq!(
            classify_failure(&io::Error::other("x"), b"HTTP/1.1 400"),
            TlsFailure::NotTls
        );
        assert_eq!(
            classify_failure(&io::Error::from(io::ErrorKind::TimedOut), b""),
            TlsFailure::TimedOut
        );
    }
}
