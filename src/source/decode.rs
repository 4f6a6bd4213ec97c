//! Opening an input as a stream of decoded bytes: the one entry point for plain files,
//! standard input and archive members of every format (`archive`). The decoders are chosen
//! by the first bytes, never by the file name (a rotated `.gz` renamed by a customer still
//! decodes, and a plain file called `.gz` is still read): gzip (magic `1f 8b`), then the
//! text layers of `text` (UTF-16, byte-order marks, CR-only line ends).

use super::ahead::{Framing, Windows};
use super::archive::{self, ArchiveCache};
use super::gzip::{CheckingReader, GzipReader, MemberEnds};
use super::limits::{Budget, Compressed, CountingReader, LimitedReader, Limits, MemoryGate};
use super::{ArchiveFormat, ArchiveMember, Input, Location, text};
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
/// Smallest compressed file inflated on a thread of its own ([`ReadLimits::decode_ahead`]).
pub const DECODE_AHEAD_MIN_BYTES: u64 = 4 * 1024 * 1024;

/// The resource limits an input is read under, and the shared budgets that enforce them.
#[derive(Debug, Clone)]
pub struct ReadLimits {
    pub limits: Limits,
    pub budget: Budget,
    /// Memory of nested zips held at once, over all threads.
    pub nested_memory: MemoryGate,
    /// Parsed zip indexes and tar.gz decoders shared by the threads of one scan.
    pub cache: ArchiveCache,
    /// Inflate a gzip file on a thread of its own, ahead of the scan (when the scan may use
    /// more than one core; see [`super::ahead`]).
    pub decode_ahead: bool,
}

impl ReadLimits {
    pub fn new(limits: Limits) -> Self {
        ReadLimits {
            limits,
            budget: Budget::default(),
            nested_memory: MemoryGate::new(limits.max_nested_zip_bytes),
            cache: ArchiveCache::default(),
            decode_ahead: false,
        }
    }
}

impl Default for ReadLimits {
    fn default() -> Self {
        ReadLimits::new(Limits::default())
    }
}

/// Whether `input` is a gzip file of at least [`DECODE_AHEAD_MIN_BYTES`]: one that is
/// inflated on a thread of its own when the limits allow ([`with_input_framed`]), and is
/// scanned in larger windows either way ([`crate::scan::ScanSettings::for_big_gzip`]), so
/// that one and two threads read it alike. The size the walk saw is used when it is known.
pub fn is_big_gzip_file(input: &Input) -> bool {
    let Location::File(path) = &input.location else {
        return false;
    };
    input
        .size
        .or_else(|| std::fs::metadata(path).ok().map(|m| m.len()))
        .is_some_and(|size| size >= DECODE_AHEAD_MIN_BYTES)
        && is_gzip_file(path)
}

/// Does this stream start with the gzip magic bytes?
pub fn is_gzip_file(path: &std::path::Path) -> bool {
    let mut head = [0u8; 2];
    File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok()
        && head == GZIP_MAGIC
}

/// Does reading this file need a decoder (gzip, UTF-16, a byte-order mark, CR-only line
/// ends)? Such a file is read whole through [`with_input`], never split into byte ranges.
pub fn needs_decoder(path: &std::path::Path) -> bool {
    let mut head = Vec::with_capacity(text::SNIFF_BYTES);
    if File::open(path)
        .and_then(|f| f.take(text::SNIFF_BYTES as u64).read_to_end(&mut head))
        .is_err()
    {
        return false;
    }
    head_needs_decoder(&head)
}

/// [`needs_decoder`], from the file's first bytes (at least [`text::SNIFF_BYTES`] of them,
/// or the whole file).
pub fn head_needs_decoder(head: &[u8]) -> bool {
    let head = &head[..head.len().min(text::SNIFF_BYTES)];
    head.starts_with(&GZIP_MAGIC) || !text::sniff(head).is_plain()
}

/// Opens an input and hands its decoded bytes to `f`. Archive members and gzip streams are
/// read under the limits; plain files and standard input are not (they cost no
/// decompression). Once the scan has passed `--max-total-bytes`, archive members are not
/// opened any more.
pub fn with_input<T>(
    input: &Input,
    limits: &ReadLimits,
    f: impl FnOnce(&mut dyn Read) -> T,
) -> Result<T, String> {
    match &input.location {
        Location::File(path) => {
            let file = File::open(path)
                .map_err(|e| format!("cannot read: {}", super::discover::describe_io(&e)))?;
            let mut reader =
                decode_limited(Box::new(file), limits).map_err(|e| format!("cannot read: {e}"))?;
            Ok(f(&mut reader))
        }
        Location::Stdin => {
            let mut reader = decode_limited(super::stdin::reader(), limits)
                .map_err(|e| format!("cannot read: {e}"))?;
            Ok(f(&mut reader))
        }
        Location::Member(m) => {
            let ArchiveMember {
                archive,
                format,
                nested,
                member,
            } = &**m;
            if limits.budget.used() >= limits.limits.max_total_bytes {
                return Err(format!(
                    "not read: the scan already passed {} decompressed bytes (--max-total-bytes)",
                    limits.limits.max_total_bytes
                ));
            }
            archive::with_member(
                archive,
                *format,
                nested,
                member,
                limits,
                |raw, compressed| {
                    let what = match format {
                        ArchiveFormat::Zip => "zip member",
                        ArchiveFormat::Tar | ArchiveFormat::TarGz => "tar member",
                    };
                    let limited = LimitedReader::new(
                        raw,
                        what,
                        compressed,
                        limits.limits,
                        limits.budget.clone(),
                    );
                    match decode_limited(Box::new(limited), limits) {
                        Ok(mut reader) => Ok(f(&mut reader)),
                        Err(e) => Err(format!("cannot read: {e}")),
                    }
                },
            )
            .and_then(|r| r)
        }
    }
}

/// An input's decoded bytes: a stream, or windows decoded ahead on a second thread.
pub enum Decoded<'a> {
    Stream(&'a mut dyn Read),
    Windows(&'a mut Windows),
}

/// [`with_input`] for a reader that reads in windows framed by `framing`: when
/// [`ReadLimits::decode_ahead`] allows and `big_gzip` says the input is a big gzip file
/// ([`is_big_gzip_file`]), it is decoded on a second thread, straight into the windows
/// ([`super::ahead`]).
pub fn with_input_framed<T>(
    input: &Input,
    limits: &ReadLimits,
    framing: &Framing,
    big_gzip: bool,
    f: impl FnOnce(Decoded) -> T,
) -> Result<T, String> {
    // Only a big stream is worth a thread: for a fleet's many small rotated files, starting
    // one per file cost more than it saved (measured: 2,000 files of 64 KiB took 0.31 s on
    // 2 threads against 0.23 s on one).
    if let Location::File(path) = &input.location
        && limits.decode_ahead
        && big_gzip
    {
        let file = File::open(path)
            .map_err(|e| format!("cannot read: {}", super::discover::describe_io(&e)))?;
        return super::ahead::with_windows(
            || {
                let read = super::prefetch::Prefetched::new(file, super::gzip::INPUT_BYTES)?;
                decode_deferring(Box::new(read), limits, true)
            },
            framing,
            |windows| f(Decoded::Windows(windows)),
        )
        .map_err(|e| format!("cannot read: {e}"));
    }
    with_input(input, limits, |reader| f(Decoded::Stream(reader)))
}

/// Wraps a raw stream in the decoder its first bytes call for; a gzip stream is read under
/// the limits.
pub fn decode_limited<'a>(
    raw: Box<dyn Read + 'a>,
    limits: &ReadLimits,
) -> io::Result<Box<dyn Read + 'a>> {
    decode_deferring(raw, limits, false).map(|(reader, _)| reader)
}

/// [`decode_limited`]; with `defer`, a gzip stream of plain text whose backend can leave its
/// checksums to the reader ([`GzipReader::deferring`]) comes with the queue of its member
/// ends, and the caller must check its bytes with a [`super::gzip::MemberChecker`] (on the
/// thread that scans them, while this one only inflates).
pub fn decode_deferring<'a>(
    raw: Box<dyn Read + 'a>,
    limits: &ReadLimits,
    defer: bool,
) -> io::Result<(Box<dyn Read + 'a>, Option<MemberEnds>)> {
    let mut reader = BufReader::with_capacity(super::gzip::INPUT_BYTES, raw);
    let head = reader.fill_buf()?;
    if head.starts_with(&GZIP_MAGIC) {
        let (counted, count) = CountingReader::new(reader);
        let ends = (defer && super::gzip::DEFERS).then(MemberEnds::default);
        let gz = match ends.clone() {
            Some(ends) => GzipReader::deferring(counted, ends),
            None => GzipReader::new(counted),
        };
        let limited = LimitedReader::new(
            gz,
            "gzip stream",
            Compressed::Counted(count),
            limits.limits,
            limits.budget.clone(),
        );
        let mut decoded = BufReader::with_capacity(64 * 1024, limited);
        let shape = text::sniff(decoded.fill_buf()?);
        Ok(match ends {
            Some(ends) if shape.is_plain() => (Box::new(decoded), Some(ends)),
            // Text to convert first: its members are checked here, before it is converted.
            Some(ends) => (
                text::normalise(Box::new(CheckingReader::new(decoded, ends)), shape),
                None,
            ),
            None if shape.is_plain() => (Box::new(decoded), None),
            None => (text::normalise(Box::new(decoded), shape), None),
        })
    } else {
        let shape = text::sniff(head);
        Ok(if shape.is_plain() {
            (Box::new(reader), None)
        } else {
            (text::normalise(Box::new(reader), shape), None)
        })
    }
}

/// Wraps a raw stream in the decoder its first bytes call for, with the default limits.
pub fn decode<'a>(raw: Box<dyn Read + 'a>) -> io::Result<Box<dyn Read + 'a>> {
    decode_limited(raw, &ReadLimits::default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::{Compression, write::GzEncoder};
    use std::io::Write;

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut e = GzEncoder::new(Vec::new(), Compression::fast());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn read_all(bytes: Vec<u8>) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        decode(Box::new(io::Cursor::new(bytes)))?.read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn gzip_by_magic_and_plain_passthrough() {
        assert_eq!(read_all(gz(b"hello\n")).unwrap(), b"hello\n");
        assert_eq!(read_all(b"plain\n".to_vec()).unwrap(), b"plain\n");
        assert_eq!(read_all(Vec::new()).unwrap(), b"");
    }

    #[test]
    fn utf16_inside_gzip_is_decoded() {
        let mut utf16 = vec![0xFF, 0xFE];
        for u in "oauth_problem=timestamp_refused\r\n".encode_utf16() {
            utf16.extend(u.to_le_bytes());
        }
        assert_eq!(
            read_all(gz(&utf16)).unwrap(),
            b"oauth_problem=timestamp_refused\r\n"
        );
        assert_eq!(read_all(b"a\rb\r".to_vec()).unwrap(), b"a\nb\n");
    }

    #[test]
    fn truncated_gzip_is_an_error() {
        let mut g = gz(&vec![b'a'; 100_000]);
        g.truncate(g.len() / 2);
        let err = read_all(g).unwrap_err();
        assert!(err.to_string().contains("gzip"), "{err}");
    }
}
