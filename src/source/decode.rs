//! Opening an input as a stream of decoded bytes. The decoder is chosen by the first bytes
//! (gzip magic `1f 8b`), never by the file name: a rotated `.gz` renamed by a customer still
//! decodes, and a plain file called `.gz` is still read.

use super::{Input, Location};
use flate2::read::MultiGzDecoder;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Opens an input for reading.
pub fn open(input: &Input) -> io::Result<Box<dyn Read + Send>> {
    let raw: Box<dyn Read + Send> = match &input.location {
        Location::File(path) => Box::new(File::open(path)?),
        Location::Stdin => Box::new(io::stdin()),
    };
    decode(raw)
}

/// Wraps a raw stream in the decoder its first bytes call for.
pub fn decode(raw: Box<dyn Read + Send>) -> io::Result<Box<dyn Read + Send>> {
    let mut reader = BufReader::with_capacity(256 * 1024, raw);
    let head = reader.fill_buf()?;
    if head.starts_with(&GZIP_MAGIC) {
        Ok(Box::new(GzipReader(MultiGzDecoder::new(reader))))
    } else {
        Ok(Box::new(reader))
    }
}

/// A gzip stream whose errors say that the gzip data is at fault.
struct GzipReader<R: BufRead>(MultiGzDecoder<R>);

impl<R: BufRead> Read for GzipReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf).map_err(|e| {
            let kind = e.kind();
            let what = if kind == io::ErrorKind::UnexpectedEof {
                "truncated gzip data"
            } else {
                "corrupt gzip data"
            };
            io::Error::new(kind, format!("{what} ({e})"))
        })
    }
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
    fn truncated_gzip_is_an_error() {
        let mut g = gz(&vec![b'a'; 100_000]);
        g.truncate(g.len() / 2);
        let err = read_all(g).unwrap_err();
        assert!(err.to_string().contains("gzip"), "{err}");
    }
}
