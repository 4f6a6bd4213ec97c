//! Inflating gzip streams, every member of a multi-member file in turn (as `gzip -dc`
//! does), with one of two backends chosen at build time:
//! - default: zlib-rs through `flate2` (pure Rust, no system package);
//! - cargo feature `isal`: Intel's ISA-L (`igzip`), about twice as fast, through the
//!   `isal-sys` bindings linked to the system's `libisal` (Debian: `libisal-dev` to build,
//!   `libisal2` to run).
//!
//! Both give the same bytes for a valid stream, and the same two errors for a bad one
//! ("truncated gzip data", "corrupt gzip data"), so reports do not depend on the backend.
//!
//! Each member's CRC-32 and size are checked against its trailer in place, or, with ISA-L
//! and [`GzipReader::deferring`], by the reader of the decoded bytes ([`MemberChecker`], on
//! the scanning thread of [`super::ahead`]), which fails at the same byte.

use std::collections::VecDeque;
use std::io::{self, BufRead, Read};
use std::sync::{Arc, Mutex};

#[cfg(not(feature = "isal"))]
type Backend<R> = flate2::bufread::MultiGzDecoder<R>;
#[cfg(feature = "isal")]
type Backend<R> = isal::Inflater<R>;

/// Which backend this build inflates with (shown by `--version`).
pub const BACKEND: &str = env!("LINKDOCTOR_INFLATE");

/// Whether this build's backend can leave its checks to the reader
/// ([`GzipReader::deferring`]).
pub const DEFERS: bool = cfg!(feature = "isal");

/// A gzip stream whose errors say that the gzip data is at fault.
pub struct GzipReader<R: BufRead>(Backend<R>);

/// Compressed bytes read ahead of the inflater (as one buffer of an input, also for sniffing
/// its first bytes).
pub const INPUT_BYTES: usize = 256 * 1024;

impl<R: BufRead> GzipReader<R> {
    pub fn new(inner: R) -> Self {
        GzipReader(Backend::new(inner))
    }

    /// A stream whose members' checksums are not checked here but recorded in `ends`, for
    /// the reader of the decoded bytes to check with [`MemberCheck`] (on another thread).
    /// Only the ISA-L backend can leave them: zlib-rs checks them itself and records none.
    pub fn deferring(inner: R, ends: MemberEnds) -> Self {
        #[cfg(feature = "isal")]
        return GzipReader(Backend::deferring(inner, ends));
        #[cfg(not(feature = "isal"))]
        {
            drop(ends);
            GzipReader::new(inner)
        }
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
                TRUNCATED
            } else {
                CORRUPT
            };
            io::Error::new(kind, what)
        })
    }
}

/// Where a gzip member ended in the decoded stream, with what its trailer says of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemberEnd {
    /// Decoded bytes before the member's end, counted from the stream's start.
    pub at: u64,
    /// The trailer's CRC-32 of the member's bytes.
    pub crc: u32,
    /// The trailer's size of the member, modulo 2^32.
    pub size: u32,
}

/// Member ends not yet checked, recorded by an inflater whose checks are left to the reader
/// of its bytes (see [`GzipReader::deferring`]).
pub type MemberEnds = Arc<Mutex<VecDeque<MemberEnd>>>;

/// The running check of one member's bytes against its trailer.
#[derive(Default)]
pub struct MemberCheck {
    crc: crc32fast::Hasher,
    size: u32,
}

impl MemberCheck {
    pub fn update(&mut self, bytes: &[u8]) {
        self.crc.update(bytes);
        self.size = self.size.wrapping_add(bytes.len() as u32);
    }

    /// Compares the bytes seen since the last end with `end`'s trailer, and starts over.
    pub fn finish(&mut self, end: &MemberEnd) -> io::Result<()> {
        let seen = std::mem::take(self);
        if seen.crc.finalize() == end.crc && seen.size == end.size {
            Ok(())
        } else {
            Err(io::Error::new(io::ErrorKind::InvalidData, CORRUPT))
        }
    }
}

/// Checks the decoded bytes of a deferring gzip stream member by member as they pass, in
/// order: a member's bytes all pass, then, if its trailer does not match them, the stream
/// fails there (where the inflater fails when it checks in place, so the same bytes reach
/// the scan either way). `ends` is filled by whoever learns where members end, no later
/// than the bytes after an end are passed.
pub struct MemberChecker {
    ends: MemberEnds,
    check: MemberCheck,
    /// Decoded bytes passed so far.
    offset: u64,
}

impl MemberChecker {
    pub fn new(ends: MemberEnds) -> Self {
        MemberChecker {
            ends,
            check: MemberCheck::default(),
            offset: 0,
        }
    }

    /// The queue the ends go to.
    pub fn ends(&self) -> &MemberEnds {
        &self.ends
    }

    /// The next member end at or before `upto`, taken from the queue.
    fn end_upto(&self, upto: u64) -> Option<MemberEnd> {
        let mut ends = lock(&self.ends);
        ends.front()
            .is_some_and(|e| e.at <= upto)
            .then(|| ends.pop_front())
            .flatten()
    }

    /// Checks the members that ended before the next bytes.
    pub fn before_more(&mut self) -> io::Result<()> {
        while let Some(end) = self.end_upto(self.offset) {
            self.check.finish(&end)?;
        }
        Ok(())
    }

    /// Passes the next bytes (after [`MemberChecker::before_more`]). Returns how many of
    /// them are good: all, or those up to the end of a member that fails its check, with
    /// the error.
    pub fn pass(&mut self, bytes: &[u8]) -> (usize, Option<io::Error>) {
        let base = self.offset;
        let mut done = 0;
        while let Some(end) = self.end_upto(base + bytes.len() as u64) {
            let upto = (end.at - base) as usize;
            self.check.update(&bytes[done..upto]);
            done = upto;
            if let Err(e) = self.check.finish(&end) {
                self.offset = end.at;
                return (upto, Some(e));
            }
        }
        self.check.update(&bytes[done..]);
        self.offset += bytes.len() as u64;
        (bytes.len(), None)
    }
}

/// A reader of a deferring gzip stream's decoded bytes that checks them with a
/// [`MemberChecker`] (for text that is converted after decoding, checked before).
pub struct CheckingReader<R> {
    inner: R,
    checker: MemberChecker,
    failed: Option<io::Error>,
}

impl<R: Read> CheckingReader<R> {
    pub fn new(inner: R, ends: MemberEnds) -> Self {
        CheckingReader {
            inner,
            checker: MemberChecker::new(ends),
            failed: None,
        }
    }
}

impl<R: Read> Read for CheckingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(e) = self.failed.take() {
            return Err(e);
        }
        let result = self.inner.read(buf);
        // A member that ended before these bytes is checked before anything else, an
        // error of the stream after it included.
        self.checker.before_more()?;
        let n = result?;
        let (good, failed) = self.checker.pass(&buf[..n]);
        self.failed = failed;
        Ok(good)
    }
}

const CORRUPT: &str = "corrupt gzip data: not a valid gzip stream, or its checksum does not match";
const TRUNCATED: &str = "truncated gzip data: the stream ends before its end marker";

#[cfg(feature = "isal")]
mod isal {
    //! A streaming reader over ISA-L's `isal_inflate`, member after member. ISA-L inflates
    //! raw deflate data only: the gzip header and trailer are read here, and the trailer is
    //! checked here ([`super::MemberCheck`]) or, when deferred, recorded for the reader of
    //! the bytes to check on its own thread (the CRC was a sixth of the inflating thread's
    //! time).

    use super::{MemberCheck, MemberEnd, MemberEnds};
    use isal_sys::igzip_lib as ffi;
    use std::io::{self, BufRead, Read};

    enum Phase {
        /// Before a member's header (or the end of the stream).
        Header,
        /// Inside a member's deflate data.
        Body,
        /// After a member's deflate data: its 8-byte trailer, of which ISA-L may already
        /// have taken up to 8 bytes into its bit buffer (`held`).
        Trailer { held: [u8; 8], count: usize },
        /// The end of the stream.
        Done,
    }

    /// Bytes kept in front of the input still to read: the last bytes already handed to
    /// ISA-L. When a stored block starts, ISA-L gives back the whole bytes of its 64-bit bit
    /// buffer by stepping `next_in` back, into bytes an earlier call took: they must still
    /// be there (with the input read straight from a `BufReader`, a refill had replaced
    /// them, and ISA-L read before the buffer: found by fuzzing).
    const GUARD: usize = 8;
    /// Compressed bytes read at once at first. ISA-L saves the last 32 KiB of output as
    /// history at the end of every call: 64 KiB of input (about 800 KB of log text) make that
    /// copy 4 % (a third with 8 KiB), and a block this size comes from the heap's free lists,
    /// not a mapping of its own per file (a fleet of small `.gz`).
    const FIRST_CALL_INPUT_BYTES: usize = 64 * 1024;
    /// Compressed bytes read at once once a stream is longer than the first read: a call then
    /// mostly ends at the end of the output window instead (see
    /// [`crate::scan::BIG_GZIP_FILL_BYTES`] for what it saved); the size of the buffered
    /// reader below ([`super::INPUT_BYTES`]).
    const CALL_INPUT_BYTES: usize = super::INPUT_BYTES;

    pub struct Inflater<R: BufRead> {
        inner: R,
        /// `input[start..end]` is read and not yet used; `GUARD` bytes before `start` hold
        /// the input used just before.
        input: Box<[u8]>,
        start: usize,
        end: usize,
        /// ISA-L's state: large (about 90 KB), so boxed; initialised by `isal_inflate_init`.
        state: Box<ffi::inflate_state>,
        phase: Phase,
        /// Members read so far: a stream is at least one member.
        members: u64,
        /// Decoded bytes so far.
        total: u64,
        /// Checks in place, or records for the reader of the bytes.
        check: Result<MemberCheck, MemberEnds>,
    }

    // SAFETY: the raw pointers in the state only ever point into buffers of one `read`
    // call; between calls the state owns no borrowed memory.
    unsafe impl<R: BufRead + Send> Send for Inflater<R> {}

    impl<R: BufRead> Inflater<R> {
        pub fn new(inner: R) -> Self {
            Self::with_checks(inner, Ok(MemberCheck::default()))
        }

        pub fn deferring(inner: R, ends: MemberEnds) -> Self {
            Self::with_checks(inner, Err(ends))
        }

        fn with_checks(inner: R, check: Result<MemberCheck, MemberEnds>) -> Self {
            // SAFETY: `inflate_state` is a C struct of integers, arrays and pointers, for
            // which all-zero bytes are a valid value; `isal_inflate_init` then sets it up.
            let mut state: Box<ffi::inflate_state> = Box::new(unsafe { std::mem::zeroed() });
            unsafe { ffi::isal_inflate_init(&mut *state) };
            Inflater {
                inner,
                input: vec![0; GUARD + FIRST_CALL_INPUT_BYTES].into_boxed_slice(),
                start: GUARD,
                end: GUARD,
                state,
                phase: Phase::Header,
                members: 0,
                total: 0,
                check,
            }
        }

        /// Reads more input once all is used, keeping the last `GUARD` bytes used in front.
        /// Returns the bytes read: 0 at the end of the input.
        fn refill(&mut self) -> io::Result<usize> {
            let keep = self.start.min(GUARD);
            if self.end == self.input.len() && self.input.len() < GUARD + CALL_INPUT_BYTES {
                // The last read filled the buffer: a long stream, read in larger calls.
                let mut grown = vec![0; GUARD + CALL_INPUT_BYTES].into_boxed_slice();
                grown[GUARD - keep..GUARD]
                    .copy_from_slice(&self.input[self.start - keep..self.start]);
                self.input = grown;
            } else {
                self.input
                    .copy_within(self.start - keep..self.start, GUARD - keep);
            }
            self.start = GUARD;
            self.end = GUARD;
            loop {
                match self.inner.read(&mut self.input[GUARD..]) {
                    Ok(n) => {
                        self.end = GUARD + n;
                        return Ok(n);
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
        }

        /// Whether the input has ended (nothing left to use, nothing more to read).
        fn input_ended(&mut self) -> io::Result<bool> {
            Ok(self.start == self.end && self.refill()? == 0)
        }

        fn byte(&mut self) -> io::Result<u8> {
            if self.input_ended()? {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    super::TRUNCATED,
                ));
            }
            self.start += 1;
            Ok(self.input[self.start - 1])
        }

        fn skip_past_nul(&mut self) -> io::Result<()> {
            while self.byte()? != 0 {}
            Ok(())
        }

        /// Reads a member's header (RFC 1952, 2.3). Returns false at the end of the stream.
        fn header(&mut self) -> io::Result<bool> {
            if self.members > 0 && self.input_ended()? {
                return Ok(false);
            }
            let mut fixed = [0u8; 10];
            for b in &mut fixed {
                *b = self.byte()?;
            }
            let flags = fixed[3];
            if fixed[..3] != [0x1f, 0x8b, 8] || flags & 0xe0 != 0 {
                return Err(io::Error::new(io::ErrorKind::InvalidData, super::CORRUPT));
            }
            if flags & 0x04 != 0 {
                let len = u16::from_le_bytes([self.byte()?, self.byte()?]);
                for _ in 0..len {
                    self.byte()?;
                }
            }
            if flags & 0x08 != 0 {
                self.skip_past_nul()?;
            }
            if flags & 0x10 != 0 {
                self.skip_past_nul()?;
            }
            if flags & 0x02 != 0 {
                self.byte()?;
                self.byte()?;
            }
            self.members += 1;
            // SAFETY: the state was initialised in `new`.
            unsafe { ffi::isal_inflate_reset(&mut *self.state) };
            self.state.crc_flag = ffi::ISAL_DEFLATE;
            Ok(true)
        }

        /// Reads the rest of the trailer and checks it, or records it.
        fn trailer(&mut self, mut held: [u8; 8], mut count: usize) -> io::Result<()> {
            while count < 8 {
                held[count] = self.byte()?;
                count += 1;
            }
            let end = MemberEnd {
                at: self.total,
                crc: u32::from_le_bytes([held[0], held[1], held[2], held[3]]),
                size: u32::from_le_bytes([held[4], held[5], held[6], held[7]]),
            };
            match &mut self.check {
                Ok(check) => check.finish(&end),
                Err(ends) => {
                    super::lock(ends).push_back(end);
                    Ok(())
                }
            }
        }

        /// Inflates into `out`; returns the bytes written, 0 once the member's data ended.
        fn body(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let out_len = out.len().min(u32::MAX as usize);
            let mut idle_rounds = 0;
            loop {
                if self.start == self.end {
                    self.refill()?;
                }
                let in_len = self.end - self.start;
                let base = self.input.as_mut_ptr();
                // SAFETY: `start <= end <= input.len()`.
                self.state.next_in = unsafe { base.add(self.start) };
                self.state.avail_in = in_len as u32;
                self.state.next_out = out.as_mut_ptr();
                self.state.avail_out = out_len as u32;
                // SAFETY: next_in/avail_in describe `input[start..end]` (only read by ISA-L,
                // which may step back into the `GUARD` bytes before it) and
                // next_out/avail_out describe `out`; both outlive the call.
                let ret = unsafe { ffi::isal_inflate(&mut *self.state) };
                let at = (self.state.next_in as usize).wrapping_sub(base as usize);
                let produced = out_len - self.state.avail_out as usize;
                self.state.next_in = std::ptr::null_mut();
                self.state.next_out = std::ptr::null_mut();
                if at > self.end || at + GUARD < self.start {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "ISA-L left its input out of range",
                    ));
                }
                let consumed = at > self.start;
                self.start = at;
                if ret < 0 {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("ISA-L inflate error {ret}"),
                    ));
                }
                if let Ok(check) = &mut self.check {
                    check.update(&out[..produced]);
                }
                self.total += produced as u64;
                if self.state.block_state == ffi::isal_block_state_ISAL_BLOCK_FINISH {
                    // The bytes after the deflate data that ISA-L already took in: whole
                    // bytes of its bit buffer, lowest first.
                    let bits = self.state.read_in_length.max(0) as u32;
                    let count = (bits / 8).min(8) as usize;
                    let aligned = self.state.read_in >> (bits % 8);
                    self.phase = Phase::Trailer {
                        held: aligned.to_le_bytes(),
                        count,
                    };
                    return Ok(produced);
                }
                if produced > 0 {
                    return Ok(produced);
                }
                if in_len == 0 {
                    return Err(io::ErrorKind::UnexpectedEof.into());
                }
                // No progress with input and room to spare would loop forever: refuse.
                if !consumed {
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

    impl<R: BufRead> Read for Inflater<R> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            if out.is_empty() {
                return Ok(0);
            }
            loop {
                match std::mem::replace(&mut self.phase, Phase::Done) {
                    Phase::Done => return Ok(0),
                    Phase::Header => {
                        if self.header()? {
                            self.phase = Phase::Body;
                        }
                    }
                    Phase::Body => {
                        self.phase = Phase::Body;
                        let n = self.body(out)?;
                        if n > 0 {
                            return Ok(n);
                        }
                    }
                    Phase::Trailer { held, count } => {
                        self.trailer(held, count)?;
                        self.phase = Phase::Header;
                    }
                }
            }
        }
    }
}

pub(super) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
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

    /// A stream longer than the first input buffer is read on in larger calls (ISA-L); the
    /// bytes ISA-L may step back into are kept across the switch: stored blocks (level 0)
    /// and compressed ones, each read through buffered readers that hand out a whole first
    /// buffer and in pieces.
    #[test]
    fn a_long_stream_read_in_larger_calls_is_whole() {
        let data = text(60_000);
        for level in [0, 1, 6] {
            let packed = gz(&data, level);
            assert!(
                packed.len() > 3 * 64 * 1024 || level > 0,
                "{}",
                packed.len()
            );
            for chunk in [1000, 65_536, 1 << 20] {
                let mut out = Vec::new();
                GzipReader::new(io::BufReader::with_capacity(chunk, &packed[..]))
                    .read_to_end(&mut out)
                    .unwrap();
                assert!(out == data, "level {level}, chunk {chunk}");
            }
        }
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

    /// Found by fuzzing the ISA-L backend: a stored block whose header ISA-L reads with bytes
    /// of an earlier call still in its bit buffer, so it steps back before the input it was
    /// given. It must stay in bounds and end in the same way however its input is cut.
    #[test]
    fn a_stored_block_after_a_refill_is_read_in_bounds() {
        let bytes = include_bytes!("../../tests/fixtures/fuzz/gzip-isal-steps-back.gz");
        let mut both = Vec::new();
        for chunk in [1000, 8, 65_536] {
            let mut out = Vec::new();
            let res = GzipReader::new(io::BufReader::with_capacity(chunk, &bytes[..]))
                .read_to_end(&mut out);
            both.push((out, res.map_err(|e| e.to_string())));
        }
        // The same end whatever the input's pieces; with ISA-L also the same bytes before it
        // (zlib-rs hands out a corrupt stream's last good bytes in pieces of its own).
        let ends: Vec<_> = both.iter().map(|b| &b.1).collect();
        assert!(ends.windows(2).all(|w| w[0] == w[1]), "{ends:?}");
        if cfg!(feature = "isal") {
            assert!(both.windows(2).all(|w| w[0].0 == w[1].0));
        }
    }

    #[test]
    fn headers_with_name_comment_and_extra_fields() {
        let data = text(3_000);
        let mut e = flate2::GzBuilder::new()
            .filename("atlassian-jira.log.1")
            .comment("rotated")
            .extra(vec![1, 2, 3, 4])
            .write(Vec::new(), Compression::new(6));
        e.write_all(&data).unwrap();
        let mut both = e.finish().unwrap();
        both.extend(gz(b"tail\n", 1));
        let mut want = data.clone();
        want.extend(b"tail\n");
        assert_eq!(inflate(&both).unwrap(), want);
    }

    /// A deferring reader records each member's end and trailer instead of checking it, even
    /// when the checksum is wrong; [`MemberCheck`] then finds exactly the bad member.
    #[test]
    fn deferred_checks_record_every_member_end() {
        let (a, b) = (text(20_000), text(100));
        let mut both = gz(&a, 1);
        let first_len = both.len();
        both.extend(gz(&b, 9));
        both[first_len - 6] ^= 0xff; // the first member's CRC
        let ends = MemberEnds::default();
        let mut out = Vec::new();
        let read =
            GzipReader::deferring(io::BufReader::with_capacity(1000, &both[..]), ends.clone())
                .read_to_end(&mut out);
        let ends: Vec<MemberEnd> = lock(&ends).drain(..).collect();
        if cfg!(feature = "isal") {
            read.unwrap();
            assert_eq!(out.len(), a.len() + b.len());
            assert_eq!(
                ends.iter().map(|e| (e.at, e.size)).collect::<Vec<_>>(),
                [
                    (a.len() as u64, a.len() as u32),
                    ((a.len() + b.len()) as u64, b.len() as u32)
                ]
            );
            let mut check = MemberCheck::default();
            check.update(&out[..a.len()]);
            assert!(check.finish(&ends[0]).is_err());
            check.update(&out[a.len()..]);
            check.finish(&ends[1]).unwrap();
        } else {
            // zlib-rs checks in place and records nothing.
            assert!(read.is_err());
            assert!(ends.is_empty());
        }
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
