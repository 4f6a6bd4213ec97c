//! Reader of Java KeyStore (JKS) files, the format of older `cacerts` and of truststores made
//! with `keytool -storetype JKS`. The format is small and fixed: magic `0xFEEDFEED`, a version
//! (1 or 2), an entry count, then entries (tag 1: private key with its certificate chain; tag
//! 2: trusted certificate), each with an alias and a timestamp, then a SHA-1 over the password
//! (UTF-16BE), the words "Mighty Aphrodite" and everything before the digest. No crate on the
//! registry reads it without pulling a JVM-style keystore framework, so it is parsed here.
//!
//! [`parse_jks`] is a pure function over untrusted bytes (a fuzz target): it never panics,
//! never allocates more than the input can hold, and says exactly what is wrong, a wrong
//! password included.

use std::fmt;

/// The magic number of a JKS file.
pub const JKS_MAGIC: u32 = 0xFEED_FEED;
/// The magic number of a JCEKS file (Sun's JCE keystore), which this reader does not take.
pub const JCEKS_MAGIC: u32 = 0xCECE_CECE;
const DIGEST_LEN: usize = 20;
const WHITENER: &[u8] = b"Mighty Aphrodite";

/// One certificate of a JKS store: the alias of its entry, whether the entry is a trusted
/// certificate entry (as opposed to the chain of a private-key entry), and its DER bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JksCertificate {
    pub alias: String,
    pub trusted_entry: bool,
    pub der: Vec<u8>,
}

/// Why a JKS file could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JksError {
    /// Not a JKS file (the magic number differs); JCEKS is named as such.
    NotJks {
        jceks: bool,
    },
    UnsupportedVersion(u32),
    /// The file ends before the structure it announces (offset where more was needed).
    Truncated {
        offset: usize,
    },
    /// An entry tag other than 1 (private key) or 2 (trusted certificate).
    UnknownEntryTag {
        tag: u32,
        offset: usize,
    },
    /// The integrity digest does not match: the password is wrong or the file was altered.
    WrongPasswordOrCorrupt,
    /// Bytes after the digest.
    TrailingData {
        extra: usize,
    },
}

impl fmt::Display for JksError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JksError::NotJks { jceks: true } => {
                f.write_str("a JCEKS keystore, not JKS: convert it with keytool -importkeystore -deststoretype PKCS12")
            }
            JksError::NotJks { jceks: false } => f.write_str("not a JKS keystore (wrong magic number)"),
            JksError::UnsupportedVersion(v) => write!(f, "JKS version {v} is not supported (1 or 2)"),
            JksError::Truncated { offset } => write!(f, "JKS file truncated at byte {offset}"),
            JksError::UnknownEntryTag { tag, offset } => {
                write!(f, "unknown JKS entry type {tag} at byte {offset}")
            }
            JksError::WrongPasswordOrCorrupt => f.write_str(
                "keystore integrity check failed: the truststore password is wrong (see --truststore-password) or the file is corrupt",
            ),
            JksError::TrailingData { extra } => write!(f, "{extra} unexpected bytes after the JKS digest"),
        }
    }
}

impl std::error::Error for JksError {}

/// A cursor over the input that fails instead of reading past the end.
struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], JksError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.data.len())
            .ok_or(JksError::Truncated { offset: self.pos })?;
        let s = &self.data[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn u16(&mut self) -> Result<u16, JksError> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    fn u32(&mut self) -> Result<u32, JksError> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// Java's `writeUTF`: a u16 length and modified UTF-8 (read lossily: aliases are shown,
    /// never used as keys).
    fn utf(&mut self) -> Result<String, JksError> {
        let n = self.u16()? as usize;
        Ok(String::from_utf8_lossy(self.take(n)?).into_owned())
    }

    /// A u32 length and that many bytes.
    fn blob(&mut self) -> Result<&'a [u8], JksError> {
        let n = self.u32()? as usize;
        self.take(n)
    }
}

/// The digest JKS stores: SHA-1 over the password as UTF-16BE, "Mighty Aphrodite" and `body`.
pub fn jks_digest(password: &str, body: &[u8]) -> [u8; DIGEST_LEN] {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY);
    for unit in password.encode_utf16() {
        ctx.update(&unit.to_be_bytes());
    }
    ctx.update(WHITENER);
    ctx.update(body);
    let mut out = [0u8; DIGEST_LEN];
    out.copy_from_slice(ctx.finish().as_ref());
    out
}

/// Reads every certificate of a JKS keystore after checking its integrity digest with
/// `password`. Certificates of private-key entries are returned too (with
/// `trusted_entry: false`): the JVM trusts only trusted-certificate entries, and callers
/// choose.
pub fn parse_jks(data: &[u8], password: &str) -> Result<Vec<JksCertificate>, JksError> {
    let mut c = Cursor { data, pos: 0 };
    match c.u32()? {
        JKS_MAGIC => {}
        JCEKS_MAGIC => return Err(JksError::NotJks { jceks: true }),
        _ => return Err(JksError::NotJks { jceks: false }),
    }
    let version = c.u32()?;
    if version != 1 && version != 2 {
        return Err(JksError::UnsupportedVersion(version));
    }
    let count = c.u32()?;
    let mut certs = Vec::new();
    for _ in 0..count {
        let at = c.pos;
        let tag = c.u32()?;
        let alias = c.utf()?;
        c.take(8)?; // creation time, milliseconds since the epoch
        let mut read_cert = |c: &mut Cursor<'_>, trusted: bool| -> Result<(), JksError> {
            if version == 2 {
                c.utf()?; // certificate type, "X.509"
            }
            let der = c.blob()?.to_vec();
            certs.push(JksCertificate {
                alias: alias.clone(),
                trusted_entry: trusted,
                der,
            });
            Ok(())
        };
        match tag {
            1 => {
                c.blob()?; // the encrypted private key
                let chain = c.u32()?;
                for _ in 0..chain {
                    read_cert(&mut c, false)?;
                }
            }
            2 => read_cert(&mut c, true)?,
            tag => return Err(JksError::UnknownEntryTag { tag, offset: at }),
        }
    }
    let body_end = c.pos;
    let stored = c.take(DIGEST_LEN)?;
    if jks_digest(password, &data[..body_end]) != stored {
        return Err(JksError::WrongPasswordOrCorrupt);
    }
    if c.pos != data.len() {
        return Err(JksError::TrailingData {
            extra: data.len() - c.pos,
        });
    }
    Ok(certs)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A JKS file built by hand the way `keytool` writes one.
    fn build(version: u32, entries: &[(u32, &str, &[u8])], password: &str) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend(JKS_MAGIC.to_be_bytes());
        b.extend(version.to_be_bytes());
        b.extend((entries.len() as u32).to_be_bytes());
        for (tag, alias, der) in entries {
            b.extend(tag.to_be_bytes());
            b.extend((alias.len() as u16).to_be_bytes());
            b.extend(alias.as_bytes());
            b.extend(1_700_000_000_000u64.to_be_bytes());
            if *tag == 1 {
                b.extend(3u32.to_be_bytes());
                b.extend([1, 2, 3]);
                b.extend(1u32.to_be_bytes());
            }
            if version == 2 {
                b.extend(5u16.to_be_bytes());
                b.extend(b"X.509");
            }
            b.extend((der.len() as u32).to_be_bytes());
            b.extend(*der);
        }
        let d = jks_digest(password, &b);
        b.extend(d);
        b
    }

    #[test]
    fn reads_trusted_and_key_entries() {
        let data = build(2, &[(2, "ca", b"DER1"), (1, "server", b"DER2")], "changeit");
        let certs = parse_jks(&data, "changeit").unwrap();
        assert_eq!(certs.len(), 2);
        assert_eq!(certs[0].alias, "ca");
        assert!(certs[0].trusted_entry);
        assert_eq!(certs[0].der, b"DER1");
        assert!(!certs[1].trusted_entry);
        let v1 = build(1, &[(2, "old", b"X")], "pw");
        assert_eq!(parse_jks(&v1, "pw").unwrap()[0].der, b"X");
    }

    #[test]
    fn wrong_password_and_damage_are_named() {
        let data = build(2, &[(2, "ca", b"DER1")], "changeit");
        assert_eq!(
            parse_jks(&data, "secret"),
            Err(JksError::WrongPasswordOrCorrupt)
        );
        let mut flipped = data.clone();
        flipped[30] ^= 1;
        assert!(parse_jks(&flipped, "changeit").is_err());
        let mut long = data.clone();
        long.push(0);
        assert_eq!(
            parse_jks(&long, "changeit"),
            Err(JksError::TrailingData { extra: 1 })
        );
        assert_eq!(
            parse_jks(&JCEKS_MAGIC.to_be_bytes(), "x"),
            Err(JksError::NotJks { jceks: true })
        );
        assert_eq!(
            parse_jks(b"PK\x03\x04", "x"),
            Err(JksError::NotJks { jceks: false })
        );
    }

    #[test]
    fn every_truncation_is_an_error_not_a_panic() {
        let data = build(2, &[(2, "ca", b"DER1"), (1, "k", b"DER2")], "changeit");
        for n in 0..data.len() {
            assert!(parse_jks(&data[..n], "changeit").is_err(), "prefix {n}");
        }
        // A huge announced count or length fails on the bytes that are missing.
        let mut huge = Vec::new();
        huge.extend(JKS_MAGIC.to_be_bytes());
        huge.extend(2u32.to_be_bytes());
        huge.extend(u32::MAX.to_be_bytes());
        huge.extend(2u32.to_be_bytes());
        huge.extend(0u16.to_be_bytes());
        huge.extend(0u64.to_be_bytes());
        huge.extend(0u16.to_be_bytes());
        huge.extend(u32::MAX.to_be_bytes());
        assert!(matches!(
            parse_jks(&huge, "x"),
            Err(JksError::Truncated { .. })
        ));
        assert!(matches!(
            parse_jks(&[0xFE, 0xED, 0xFE, 0xED, 0, 0, 0, 9], "x"),
            Err(JksError::UnsupportedVersion(9))
        ));
    }
}
