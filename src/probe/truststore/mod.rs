//! The trust store a probe checks certificate chains against: the one the product's JVM uses
//! (`--truststore FILE`: a Java keystore in JKS or PKCS12 format, or a PEM bundle), else this
//! host's system store. The format is recognised by the file's contents, not its name.

pub mod jks;

use rustls::RootCertStore;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use std::path::Path;

/// The format a trust store was read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreFormat {
    Jks,
    Pkcs12,
    Pem,
    System,
}

impl StoreFormat {
    pub fn name(self) -> &'static str {
        match self {
            StoreFormat::Jks => "JKS",
            StoreFormat::Pkcs12 => "PKCS12",
            StoreFormat::Pem => "PEM",
            StoreFormat::System => "system",
        }
    }
}

/// Trust anchors and where they came from.
#[derive(Debug, Clone)]
pub struct TrustStore {
    pub roots: RootCertStore,
    pub format: StoreFormat,
    /// `/path/truststore.jks (JKS, 2 certificates)` or `system store (146 certificates)`.
    pub description: String,
    /// Certificates of the file that could not be used as anchors (not X.509, bad encoding).
    pub skipped: usize,
}

/// Largest trust store file read (a JVM `cacerts` is about 200 KB).
pub const MAX_STORE_BYTES: u64 = 16 << 20;

/// Reads a trust store file: JKS (magic `FEEDFEED`), PKCS12 (a DER sequence) or PEM. Errors
/// name the file and say what is wrong (a wrong password as such).
pub fn load_file(path: &Path, password: &str) -> Result<TrustStore, String> {
    let shown = path.display();
    let meta =
        std::fs::metadata(path).map_err(|e| format!("cannot read truststore {shown}: {e}"))?;
    if !meta.is_file() {
        return Err(format!("truststore {shown} is not a regular file"));
    }
    if meta.len() > MAX_STORE_BYTES {
        return Err(format!(
            "truststore {shown} is {} bytes, more than a trust store holds ({} MiB at most)",
            meta.len(),
            MAX_STORE_BYTES >> 20
        ));
    }
    let data = std::fs::read(path).map_err(|e| format!("cannot read truststore {shown}: {e}"))?;
    let (format, ders) =
        decode_store(&data, password).map_err(|e| format!("truststore {shown}: {e}"))?;
    let (roots, skipped) = anchors(ders);
    if roots.is_empty() {
        return Err(format!(
            "truststore {shown} ({}) holds no usable trusted certificate",
            format.name()
        ));
    }
    Ok(TrustStore {
        description: format!(
            "{shown} ({}, {} certificate{})",
            format.name(),
            roots.len(),
            if roots.len() == 1 { "" } else { "s" }
        ),
        roots,
        format,
        skipped,
    })
}

/// The certificates of a trust store file, with the format it was read in. Pure: the bytes
/// and password in, DER certificates out.
pub fn decode_store(data: &[u8], password: &str) -> Result<(StoreFormat, Vec<Vec<u8>>), String> {
    if data.starts_with(&jks::JKS_MAGIC.to_be_bytes())
        || data.starts_with(&jks::JCEKS_MAGIC.to_be_bytes())
    {
        let certs = jks::parse_jks(data, password).map_err(|e| e.to_string())?;
        // The JVM trusts trusted-certificate entries only.
        let ders = certs
            .into_iter()
            .filter(|c| c.trusted_entry)
            .map(|c| c.der)
            .collect();
        return Ok((StoreFormat::Jks, ders));
    }
    if data.first() == Some(&0x30) {
        return decode_pkcs12(data, password).map(|d| (StoreFormat::Pkcs12, d));
    }
    let mut ders = Vec::new();
    for item in CertificateDer::pem_slice_iter(data) {
        match item {
            Ok(c) => ders.push(c.as_ref().to_vec()),
            Err(e) => return Err(format!("not a JKS, PKCS12 or PEM trust store ({e})")),
        }
    }
    if ders.is_empty() {
        return Err("not a JKS, PKCS12 or PEM trust store (no certificate found)".into());
    }
    Ok((StoreFormat::Pem, ders))
}

/// The trusted certificates of a PKCS12 store (those `keytool -importcert` marks trusted;
/// when none is marked, every certificate, as a bundle made by other tools holds them so).
fn decode_pkcs12(data: &[u8], password: &str) -> Result<Vec<Vec<u8>>, String> {
    use p12_keystore::Pkcs12Archive;
    use p12_keystore::error::Error;
    let archive = Pkcs12Archive::from_pkcs12(data, password).map_err(|e| match e {
        Error::MacError(_) => "PKCS12 integrity check failed: the truststore password is wrong (see --truststore-password) or the file is corrupt".to_string(),
        other => format!("not a readable PKCS12 keystore: {other}"),
    })?;
    let any_trusted = archive.certs.iter().any(|c| c.trusted);
    Ok(archive
        .certs
        .into_iter()
        .filter(|c| c.trusted || !any_trusted)
        .map(|c| c.cert.as_der().to_vec())
        .collect())
}

fn anchors(ders: Vec<Vec<u8>>) -> (RootCertStore, usize) {
    let mut roots = RootCertStore::empty();
    let (_added, skipped) =
        roots.add_parsable_certificates(ders.into_iter().map(CertificateDer::from));
    (roots, skipped)
}

/// This host's trust store (the operating system's certificates, as OpenSSL finds them);
/// when it has none, the Mozilla roots compiled in, said as such.
pub fn system() -> TrustStore {
    let found = rustls_native_certs::load_native_certs();
    let mut roots = RootCertStore::empty();
    let (_, skipped) = roots.add_parsable_certificates(found.certs);
    if roots.is_empty() {
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        return TrustStore {
            description: format!(
                "Mozilla roots built in ({} certificates; this host's store is empty or unreadable)",
                roots.len()
            ),
            roots,
            format: StoreFormat::System,
            skipped,
        };
    }
    TrustStore {
        description: format!("this host's system store ({} certificates)", roots.len()),
        roots,
        format: StoreFormat::System,
        skipped,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const JKS: &[u8] = include_bytes!("../../../tests/fixtures/probe/truststore.jks");
    const P12: &[u8] = include_bytes!("../../../tests/fixtures/probe/truststore.p12");
    const PEM: &[u8] = include_bytes!("../../../tests/fixtures/probe/ca.pem");

    #[test]
    fn keytool_stores_hold_the_fixture_ca() {
        let pem = decode_store(PEM, "").unwrap();
        assert_eq!(pem.0, StoreFormat::Pem);
        let jks = decode_store(JKS, "changeit").unwrap();
        assert_eq!(jks, (StoreFormat::Jks, pem.1.clone()));
        let p12 = decode_store(P12, "s3cret-p12").unwrap();
        assert_eq!(p12, (StoreFormat::Pkcs12, pem.1.clone()));
        assert!(
            decode_store(JKS, "changeme")
                .unwrap_err()
                .contains("password is wrong")
        );
        assert!(
            decode_store(P12, "changeit")
                .unwrap_err()
                .contains("password is wrong")
        );
    }

    #[test]
    fn damaged_stores_are_errors_not_panics() {
        for store in [JKS, P12] {
            for n in 0..store.len() {
                assert!(decode_store(&store[..n], "changeit").is_err());
            }
            for i in 0..store.len() {
                let mut d = store.to_vec();
                d[i] ^= 0x41;
                let _ = decode_store(&d, "changeit");
            }
        }
    }

    #[test]
    fn formats_are_told_apart_by_content() {
        assert!(decode_store(b"", "x").is_err());
        assert!(
            decode_store(b"hello", "x")
                .unwrap_err()
                .contains("not a JKS, PKCS12 or PEM")
        );
        let e = decode_store(&[0x30, 0x03, 0x02, 0x01, 0x00], "x").unwrap_err();
        assert!(e.contains("PKCS12"), "{e}");
        let e = decode_store(&jks::JKS_MAGIC.to_be_bytes(), "x").unwrap_err();
        assert!(e.contains("truncated"), "{e}");
    }
}
