//! Inflating gzip streams, every member of a multi-member file in turn (as `gzip -dc`
//! does), with one of two backends chosen at build time:
//! - default: zlib-rs through `flate2` (pure Rust, no system package);
//! - cargo feature `isal`: Intel's ISA-L (`igzip`), about twice as fast, through the
//!   `isal-sys` bindings linked to the system's `libisal` (Debian: `libisal-dev` to build,
//!   `libisal2` to run).
//!
//! Both give the same bytes for a valid stream, and the same two errors for a bad one
//! ("truncated gzip data", "corrupt gzip data"), so reports do not depend on the backend.

use std::io::{self, BufRead, Read};

#[cfg(not(feature = "isal"))]
type Backend<R> = flate2::bufread::MultiGzDecoder<R>;
#[cfg(feature = "isal")]
type Backend<R> = isal::Inflater<R>;

/// Which backend this build inflates with (shown by `--version`).
pub const BACKEND: &str = env!("LINKDOCTOR_INFLATE");

/// A gzip stream whose errors say that the gzip data is at fault.
pub struct GzipReader<R: BufRead>(Backend<R>);

/// Compressed bytes handed to the inflater at once. ISA-L saves the last 32 KiB of output
/// as history at the end of every call, so small inputs (a default 8 KiB `BufReader`: about
/// 100 KB of log text per call) made it copy a third of its output again; 256 KiB per call
/// makes that copy about 1 %.
pub const INPUT_BYTES: usize = 256 * 1024;

impl<R: BufRead> GzipReader<R> {
    pub fn new(inner: R) -> Self {
        GzipReader(Backend::new(inner))
    }
}

impl<R: Read> GzipReader<io::BufReader<R>> {
    /// A gzip stream over an unbuffered reader, buffered by [`INPUT_BYTES`].
    pub fn buffered(inner: R) -> Self {
        GzipReader::new(io::BufReader::with_capacity(INPUT_BYTES, inner))
    }
}

impl<R: BufRead> Read for GzipReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf).map_err(|e| {
            let kind = e.kind();
            let what = if kind == io::ErrorKind::UnexpectedEof {
                "truncated gzip data: the stream ends before its end marker"
            } else {
                "corrupt gzip data: not a valid gzip stream, or its checksum does not match"
            };
            io::Error::new(kind, what)
        })
    }
}

#[cfg(feature = "isal")]
mod isal {
    //! A streaming reader over ISA-L's `isal_inflate`, member after member.

    use isal_sys::igzip_lib as ffi;
    use std::io::{self, BufRead, Read};

    pub struct Inflater<R: BufRead> {
        inner: R,
        /// ISA-L's state: large (about 90 KB), so boxed; initialised by `isal_inflate_init`.
        state: Box<ffi::inflate_state>,
    }

    // SAFETY: the raw pointers in the state only ever point into buffers of one `read`
    // call; between calls the state owns no borrowed memory.
    unsafe impl<R: BufRead + Send> Send for Inflater<R> {}

    impl<R: BufRead> Inflater<R> {
        pub fn new(inner: R) -> Self {
            // SAFETY: `inflate_state` is a C struct of integers, arrays and pointers, for
            // which all-zero bytes are a valid value; `isal_inflate_init` then sets it up.
            let mut state: Box<ffi::inflate_state> = Box::new(unsafe { std::mem::zeroed() });
            unsafe { ffi::isal_inflate_init(&mut *state) };
            state.crc_flag = ffi::ISAL_GZIP;
            Inflater { inner, state }
        }

        fn member_finished(&self) -> bool {
            self.state.block_state == ffi::isal_block_state_ISAL_BLOCK_FINISH
        }
    }

    impl<R: BufRead> Read for Inflater<R> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            if out.is_empty() {
                return Ok(0);
            }
            let out_len = out.len().min(u32::MAX as usize);
            let mut idle_rounds = 0;
            loop {
                if self.member_finished() {
                    // Another member may follow, as in `cat a.gz b.gz`.
                    if self.inner.fill_buf()?.is_empty() {
                        return Ok(0);
                    }
                    // SAFETY: the state was initialised in `new`.
                    unsafe { ffi::isal_inflate_reset(&mut *self.state) };
                    self.state.crc_flag = ffi::ISAL_GZIP;
                }
                let input = self.inner.fill_buf()?;
                let in_len = input.len().min(u32::MAX as usize);
                self.state.next_in = input.as_ptr().cast_mut();
                self.state.avail_in = in_len as u32;
                self.state.next_out = out.as_mut_ptr();
                self.state.avail_out = out_len as u32;
                // SAFETY: next_in/avail_in describe `input` (only read by ISA-L) and
                // next_out/avail_out describe `out`; both outlive the call.
                let ret = unsafe { ffi::isal_inflate(&mut *self.state) };
                let consumed = in_len - self.state.avail_in as usize;
                let produced = out_len - self.state.avail_out as usize;
                self.state.next_in = std::ptr::null_mut();
                self.state.next_out = std::ptr::null_mut();
                self.inner.consume(consumed);
                if ret < 0 {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("ISA-L inflate error {ret}"),
                    ));
                }
                if produced > 0 {
                    return Ok(produced);
                }
                if in_len == 0 && !self.member_finished() {
                    return Err(io::ErrorKind::UnexpectedEof.into());
                }
                // No progress with input and room to spare would loop forever: refuse.
                if consumed == 0 && !self.member_finished() {
                    idle_rounds += 1;
                    if idle_rounds > 2 {
                        return Err(io::Error::new(
                            io::ErrorKind::InvalidData,
                            "ISA-L inflate made no progress",
                        ));
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::{Compression, write::GzEncoder};
    use std::io::Write;

    fn gz(data: &[u8], level: u32) -> Vec<u8> {
        let mut e = GzEncoder::new(Vec::new(), Compression::new(level));
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn inflate(bytes: &[u8]) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        GzipReader::new(io::BufReader::with_capacity(1000, bytes)).read_to_end(&mut out)?;
        Ok(out)
    }

    fn text(n: usize) -> Vec<u8> {
        (0..n)
            .flat_map(|i| {
                format!(
                    "2024-01-01 10:00:00,000 INFO line {i} {}\n",
                    i * 7919 % 1000
                )
                .into_bytes()
            })
            .collect()
    }

    #[test]
    fn every_member_in_order() {
        let (a, b) = (text(20_000), b"second member\n".to_vec());
        let mut both = gz(&a, 1);
        both.extend(gz(&b, 9));
        both.extend(gz(b"", 6));
        let mut want = a.clone();
        want.extend(&b);
        assert_eq!(inflate(&both).unwrap(), want);
        assert_eq!(inflate(&gz(b"", 6)).unwrap(), b"");
    }

    #[test]
    fn truncated_and_corrupt_streams_fail_the_same_way_on_every_backend() {
        let good = gz(&text(50_000), 6);
        for cut in [10, good.len() / 2, good.len() - 4] {
            let err = inflate(&good[..cut]).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof, "cut at {cut}");
            assert!(err.to_string().starts_with("truncated gzip data"), "{err}");
        }
        let mut bad = good.clone();
        let n = bad.len();
        bad[n - 6] ^= 0xff; // the CRC
        let err = inflate(&bad).unwrap_err();
        assert!(err.to_string().starts_with("corrupt gzip data"), "{err}");
        let mut trailing = good.clone();
        trailing.extend(b"not gzip");
        assert!(inflate(&trailing).is_err());
    }
}
