//! What a certificate says, for the reader: subject, subject alternative names, issuer,
//! validity, and whether it is self-issued. Parsed with `x509-parser`; a certificate it cannot
//! read is described as such, never a panic.

use serde::Serialize;
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::{FromDer, X509Certificate};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CertInfo {
    pub subject: String,
    pub issuer: String,
    /// `DNS:jira.example.com`, `IP:10.0.0.5`.
    pub sans: Vec<String>,
    /// RFC 3339, UTC.
    pub not_before: String,
    pub not_after: String,
    #[serde(skip)]
    pub not_before_epoch: i64,
    #[serde(skip)]
    pub not_after_epoch: i64,
    /// Subject and issuer are the same name (a root, or a self-signed server certificate).
    pub self_issued: bool,
    pub serial: String,
}

/// Describes a DER certificate; `None` when it cannot be parsed.
pub fn describe(der: &[u8]) -> Option<CertInfo> {
    let (_, cert) = X509Certificate::from_der(der).ok()?;
    let sans = match cert.subject_alternative_name() {
        Ok(Some(ext)) => ext
            .value
            .general_names
            .iter()
            .filter_map(|n| match n {
                GeneralName::DNSName(d) => Some(format!("DNS:{d}")),
                GeneralName::IPAddress(b) => ip_text(b).map(|ip| format!("IP:{ip}")),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    let v = cert.validity();
    let subject = cert.subject().to_string();
    let issuer = cert.issuer().to_string();
    Some(CertInfo {
        self_issued: cert.subject().as_raw() == cert.issuer().as_raw(),
        subject,
        issuer,
        sans,
        not_before: super::clock::rfc3339(v.not_before.timestamp() as f64),
        not_after: super::clock::rfc3339(v.not_after.timestamp() as f64),
        not_before_epoch: v.not_before.timestamp(),
        not_after_epoch: v.not_after.timestamp(),
        serial: cert.raw_serial_as_string(),
    })
}

fn ip_text(b: &[u8]) -> Option<String> {
    match b.len() {
        4 => Some(std::net::Ipv4Addr::new(b[0], b[1], b[2], b[3]).to_string()),
        16 => {
            let mut a = [0u8; 16];
            a.copy_from_slice(b);
            Some(std::net::Ipv6Addr::from(a).to_string())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_none() {
        assert_eq!(describe(b""), None);
        assert_eq!(describe(&[0x30, 0x82, 0xff, 0xff]), None);
        assert_eq!(ip_text(&[127, 0, 0, 1]).as_deref(), Some("127.0.0.1"));
        assert_eq!(ip_text(&[1, 2]), None);
    }
}
