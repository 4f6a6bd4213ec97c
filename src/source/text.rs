//! Text encodings and line endings of logs written on Windows, normalised before scanning:
//! UTF-16 LE and BE (with a byte-order mark, or without one when the NUL bytes of ASCII
//! text show the byte order) are decoded to UTF-8, a UTF-8 byte-order mark is dropped, and
//! old Mac line endings (lone `\r`, when the first chunk has CRs and no LF) become `\n`.
//! Each is a reader layer, judged from the first bytes of the (decompressed) stream.

use std::io::{self, Read};

/// What the first bytes of a stream say about its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextShape {
    pub encoding: Encoding,
    /// Bytes of byte-order mark to skip.
    pub bom: usize,
    /// Lines end with a lone `\r`.
    pub cr_only: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf16Le,
    Utf16Be,
}

impl TextShape {
    /// Nothing to change: the stream is read as it is.
    pub fn is_plain(&self) -> bool {
        self.encoding == Encoding::Utf8 && self.bom == 0 && !self.cr_only
    }
}

/// How many leading bytes are looked at.
pub const SNIFF_BYTES: usize = 4096;

/// Judges a stream from its first bytes.
pub fn sniff(head: &[u8]) -> TextShape {
    let head = &head[..head.len().min(SNIFF_BYTES)];
    let (encoding, bom) = if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
        (Encoding::Utf8, 3)
    } else if head.starts_with(&[0xFF, 0xFE]) {
        (Encoding::Utf16Le, 2)
    } else if head.starts_with(&[0xFE, 0xFF]) {
        (Encoding::Utf16Be, 2)
    } else {
        (utf16_by_nuls(head).unwrap_or(Encoding::Utf8), 0)
    };
    // Line endings are judged on the text as decoded (ASCII, for UTF-16: the low bytes).
    let (has_cr, has_lf) = match encoding {
        Encoding::Utf8 => (head.contains(&b'\r'), head.contains(&b'\n')),
        Encoding::Utf16Le | Encoding::Utf16Be => {
            let units = head[bom..].chunks_exact(2).map(|p| match encoding {
                Encoding::Utf16Le => u16::from_le_bytes([p[0], p[1]]),
                _ => u16::from_be_bytes([p[0], p[1]]),
            });
            let mut cr = false;
            let mut lf = false;
            for u in units {
                cr |= u == 0x0D;
                lf |= u == 0x0A;
            }
            (cr, lf)
        }
    };
    TextShape {
        encoding,
        bom,
        cr_only: has_cr && !has_lf,
    }
}

/// UTF-16 without a byte-order mark: ASCII text shows as a NUL in every other byte.
fn utf16_by_nuls(head: &[u8]) -> Option<Encoding> {
    let pairs = head.len() / 2;
    // Text with no NUL at all (nearly every log) needs no count.
    if pairs < 8 || memchr::memchr(0, head).is_none() {
        return None;
    }
    let (mut le, mut be) = (0usize, 0usize);
    for p in head.chunks_exact(2) {
        if p[1] == 0 && p[0] != 0 {
            le += 1;
        } else if p[0] == 0 && p[1] != 0 {
            be += 1;
        }
    }
    // At least 90 % of the units look like ASCII in one byte order.
    if le * 10 >= pairs * 9 {
        Some(Encoding::Utf16Le)
    } else if be * 10 >= pairs * 9 {
        Some(Encoding::Utf16Be)
    } else {
        None
    }
}

/// Wraps `inner` (positioned at the first byte, the byte-order mark included) in the
/// layers `shape` calls for.
pub fn normalise<'a>(inner: Box<dyn Read + 'a>, shape: TextShape) -> Box<dyn Read + 'a> {
    let mut reader = inner;
    if shape.bom > 0 {
        reader = Box::new(SkipBytes {
            inner: reader,
            left: shape.bom,
        });
    }
    if shape.encoding != Encoding::Utf8 {
        reader = Box::new(Utf16Reader::new(
            reader,
            shape.encoding == Encoding::Utf16Be,
        ));
    }
    if shape.cr_only {
        reader = Box::new(CrToLf {
            inner: reader,
            after_cr: false,
        });
    }
    reader
}

struct SkipBytes<R> {
    inner: R,
    left: usize,
}

impl<R: Read> Read for SkipBytes<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.left > 0 {
            let mut skip = [0u8; 4];
            let n = self.inner.read(&mut skip[..self.left])?;
            if n == 0 {
                return Ok(0);
            }
            self.left -= n;
        }
        self.inner.read(buf)
    }
}

/// Decodes UTF-16 to UTF-8; unpaired surrogates and a dangling odd byte become U+FFFD.
pub struct Utf16Reader<R> {
    inner: R,
    big_endian: bool,
    /// Raw bytes read but not yet decoded (an odd byte, a high surrogate).
    pending: Vec<u8>,
    /// Decoded UTF-8 not yet handed out, from `out_pos`.
    out: Vec<u8>,
    out_pos: usize,
    eof: bool,
}

impl<R: Read> Utf16Reader<R> {
    pub fn new(inner: R, big_endian: bool) -> Self {
        Utf16Reader {
            inner,
            big_endian,
            pending: Vec::new(),
            out: Vec::new(),
            out_pos: 0,
            eof: false,
        }
    }

    fn unit(&self, p: &[u8]) -> u16 {
        if self.big_endian {
            u16::from_be_bytes([p[0], p[1]])
        } else {
            u16::from_le_bytes([p[0], p[1]])
        }
    }

    fn refill(&mut self) -> io::Result<()> {
        self.out.clear();
        self.out_pos = 0;
        while self.out.is_empty() && !self.eof {
            let mut raw = [0u8; 64 * 1024];
            let n = self.inner.read(&mut raw)?;
            if n == 0 {
                self.eof = true;
            }
            self.pending.extend_from_slice(&raw[..n]);
            let mut usable = self.pending.len() & !1;
            // Keep a trailing high surrogate for its pair, unless the stream ended.
            if !self.eof && usable >= 2 {
                let last = self.unit(&self.pending[usable - 2..usable]);
                if (0xD800..0xDC00).contains(&last) {
                    usable -= 2;
                }
            }
            let units: Vec<u16> = self.pending[..usable]
                .chunks_exact(2)
                .map(|p| self.unit(p))
                .collect();
            let mut text = String::with_capacity(units.len());
            text.extend(
                char::decode_utf16(units).map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER)),
            );
            self.pending.drain(..usable);
            if self.eof && !self.pending.is_empty() {
                self.pending.clear();
                text.push(char::REPLACEMENT_CHARACTER);
            }
            self.out = text.into_bytes();
        }
        Ok(())
    }
}

impl<R: Read> Read for Utf16Reader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.out_pos >= self.out.len() {
            self.refill()?;
        }
        let n = buf.len().min(self.out.len() - self.out_pos);
        buf[..n].copy_from_slice(&self.out[self.out_pos..self.out_pos + n]);
        self.out_pos += n;
        Ok(n)
    }
}

/// Turns lone `\r` line endings into `\n` (a `\r\n` stays one line end).
pub struct CrToLf<R> {
    inner: R,
    after_cr: bool,
}

impl<R: Read> Read for CrToLf<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let n = self.inner.read(buf)?;
            if n == 0 {
                return Ok(0);
            }
            let mut w = 0;
            for r in 0..n {
                let b = buf[r];
                if b == b'\n' && self.after_cr {
                    // The `\n` of a `\r\n`: the `\r` already ended the line.
                    self.after_cr = false;
                    continue;
                }
                self.after_cr = b == b'\r';
                buf[w] = if b == b'\r' { b'\n' } else { b };
                w += 1;
            }
            if w > 0 {
                return Ok(w);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn through(data: &[u8]) -> String {
        let shape = sniff(data);
        let mut out = Vec::new();
        normalise(Box::new(data), shape)
            .read_to_end(&mut out)
            .unwrap();
        String::from_utf8(out).unwrap()
    }

    fn utf16(text: &str, big: bool, bom: bool) -> Vec<u8> {
        let mut v = Vec::new();
        if bom {
            v.extend(if big { [0xFE, 0xFF] } else { [0xFF, 0xFE] });
        }
        for u in text.encode_utf16() {
            v.extend(if big {
                u.to_be_bytes()
            } else {
                u.to_le_bytes()
            });
        }
        v
    }

    #[test]
    fn utf16_with_and_without_bom() {
        let text = "2024-01-01 10:00:00 ERROR oauth_problem=timestamp_refused é 𝄞\r\nnext line\r\n";
        for big in [false, true] {
            for bom in [false, true] {
                assert_eq!(through(&utf16(text, big, bom)), text, "big={big} bom={bom}");
            }
        }
    }

    #[test]
    fn utf16_split_across_reads() {
        // A surrogate pair and an odd byte split over tiny reads.
        struct Dribble<'a>(&'a [u8]);
        impl Read for Dribble<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let n = buf.len().min(self.0.len()).min(3);
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let text = "a𝄞b𝄞c\n";
        let bytes = utf16(text, false, true);
        let mut out = String::new();
        Utf16Reader::new(Dribble(&bytes[2..]), false)
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(out, text);
    }

    #[test]
    fn utf8_bom_is_dropped_and_plain_text_untouched() {
        assert_eq!(through(b"\xEF\xBB\xBFline\n"), "line\n");
        assert!(sniff(b"plain text\nline\n").is_plain());
        assert!(sniff(b"").is_plain());
        // Binary with scattered NULs is not taken for UTF-16.
        assert_eq!(
            sniff(&[0u8, 0, 0, 0, 1, 2, 3, 0, 0, 9, 9, 9, 0, 0, 0, 0, 7, 7, 0, 0]).encoding,
            Encoding::Utf8
        );
    }

    #[test]
    fn cr_only_line_endings() {
        assert_eq!(through(b"one\rtwo\rthree"), "one\ntwo\nthree");
        // CRLF files are left alone.
        assert_eq!(through(b"one\r\ntwo\r\n"), "one\r\ntwo\r\n");
        // A CR-only file with a CRLF further on: one line end, not two.
        let mut r = CrToLf {
            inner: &b"a\rb\r\nc"[..],
            after_cr: false,
        };
        let mut s = String::new();
        r.read_to_string(&mut s).unwrap();
        assert_eq!(s, "a\nb\nc");
        assert_eq!(through(&utf16("x\ry\r", false, true)), "x\ny\n");
    }
}
