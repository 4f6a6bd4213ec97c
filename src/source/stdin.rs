//! Standard input (`-`), recognised by its first bytes like any file. A plain or gzip log
//! streams (the bytes read to recognise it are replayed first). An archive needs random
//! access (zip) or a listing before its members are read (tar), so it is spooled into
//! memory, under `--max-nested-zip-bytes` like a nested zip, and listed like an archive on
//! disk named `-`. Memory rather than a temporary file: nothing of a customer's support zip
//! is left on disk if the process is killed, and no writable temporary folder is needed;
//! an archive over the limit is refused with a message that says to pass its path instead.
//! A gzip-compressed tar is decompressed while spooling (under the same limit).

use super::ArchiveFormat;
use super::archive;
use super::limits::Limits;
use std::io::{self, Cursor, Read};
use std::sync::{Arc, Mutex, OnceLock};

/// Bytes read from standard input to recognise it, to be read again first.
static HEAD: Mutex<Vec<u8>> = Mutex::new(Vec::new());
/// Standard input spooled as an archive (a tar.gz decompressed).
static SPOOL: OnceLock<Arc<Vec<u8>>> = OnceLock::new();

/// What standard input holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StdinKind {
    /// A log stream (plain or gzip): read it with [`reader`].
    Stream,
    /// An archive, spooled: list it as the archive `-` in this format.
    Archive(ArchiveFormat),
}

/// Compressed bytes read at most to find out whether a gzip holds a tar.
const GZIP_SNIFF_BYTES: usize = 1024 * 1024;

/// Reads the start of standard input to recognise it, and spools it if it is an archive.
pub fn recognise(limits: &Limits) -> Result<StdinKind, String> {
    recognise_from(&mut io::stdin().lock(), limits)
}

fn read_up_to(r: &mut dyn Read, head: &mut Vec<u8>, want: usize) -> io::Result<()> {
    if head.len() < want {
        r.take((want - head.len()) as u64).read_to_end(head)?;
    }
    Ok(())
}

fn recognise_from(input: &mut dyn Read, limits: &Limits) -> Result<StdinKind, String> {
    let fail = |e: io::Error| format!("cannot read standard input: {e}");
    let mut head = std::mem::take(&mut *HEAD.lock().unwrap_or_else(|e| e.into_inner()));
    read_up_to(input, &mut head, 512).map_err(fail)?;
    let mut format = archive::format_of(&head);
    // A gzip is a tar if its decoded stream starts with a tar header: read more of it
    // until 512 bytes decode, the input ends, or the sniffing budget is spent.
    let mut want = 512;
    while format.is_none()
        && head.starts_with(&[0x1f, 0x8b])
        && head.len() == want
        && want < GZIP_SNIFF_BYTES
        && super::tar::gunzip_head(&head).len() < 512
    {
        want *= 4;
        read_up_to(input, &mut head, want).map_err(fail)?;
        format = archive::format_of(&head);
    }
    let Some(format) = format else {
        *HEAD.lock().unwrap_or_else(|e| e.into_inner()) = head;
        return Ok(StdinKind::Stream);
    };
    let cap = limits.max_nested_zip_bytes;
    let too_big = || {
        format!(
            "standard input holds a {} larger than {cap} bytes (--max-nested-zip-bytes): an archive on standard input is held in memory; pass its path instead, or raise the limit",
            format.name()
        )
    };
    let whole = Cursor::new(head).chain(input);
    let mut spooled = Vec::new();
    let stored = if format == ArchiveFormat::TarGz {
        let mut gz = super::gzip::GzipReader::new(io::BufReader::new(whole));
        (&mut gz)
            .take(cap.saturating_add(1))
            .read_to_end(&mut spooled)
            .map_err(fail)?;
        ArchiveFormat::Tar
    } else {
        whole
            .take(cap.saturating_add(1))
            .read_to_end(&mut spooled)
            .map_err(fail)?;
        format
    };
    if spooled.len() as u64 > cap {
        return Err(too_big());
    }
    SPOOL
        .set(Arc::new(spooled))
        .map_err(|_| "standard input given twice".to_string())?;
    Ok(StdinKind::Archive(stored))
}

/// Standard input spooled as an archive, if it was one.
pub fn spooled() -> Option<Arc<Vec<u8>>> {
    SPOOL.get().cloned()
}

/// Standard input as a stream, starting with the bytes read to recognise it.
pub fn reader() -> Box<dyn Read> {
    let head = std::mem::take(&mut *HEAD.lock().unwrap_or_else(|e| e.into_inner()));
    Box::new(Cursor::new(head).chain(io::stdin()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tar_gz_whose_gzip_header_is_longer_than_512_bytes() {
        let mut b = ::tar::Builder::new(Vec::new());
        let mut h = ::tar::Header::new_ustar();
        h.set_size(6);
        h.set_cksum();
        b.append_data(&mut h, "logs/atlassian-jira.log", &b"hello\n"[..])
            .unwrap();
        // A long original file name in the gzip header: the first 512 bytes decode to
        // nothing, and more must be read to see the tar.
        let mut gz = flate2::GzBuilder::new()
            .filename("x".repeat(3000))
            .write(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, &b.into_inner().unwrap()).unwrap();
        let bytes = gz.finish().unwrap();
        assert!(super::super::tar::gunzip_head(&bytes[..512]).is_empty());
        let mut input: &[u8] = &bytes;
        let kind = recognise_from(&mut input, &Limits::default()).unwrap();
        assert_eq!(kind, StdinKind::Archive(ArchiveFormat::Tar));
        assert!(spooled().is_some_and(|s| s.len() >= 1024));
    }

    #[test]
    fn a_plain_stream_is_not_spooled() {
        let limits = Limits::default();
        let mut data: &[u8] = b"2024-01-01 plain line\n";
        assert_eq!(
            recognise_from(&mut data, &limits).unwrap(),
            StdinKind::Stream
        );
        let head = std::mem::take(&mut *HEAD.lock().unwrap());
        assert_eq!(head, b"2024-01-01 plain line\n");
    }
}
