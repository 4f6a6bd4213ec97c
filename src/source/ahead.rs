//! Decoding ahead on a second thread: the thread that scans a gzip stream would otherwise
//! spend most of its time inflating, with the other core idle while only one big `.gz` is
//! left. [`with_windows`] runs the decoder on its own thread, a few windows ahead of the
//! scanner.
//!
//! The decoding thread does all the copying: it decodes straight into the buffers the
//! scanner reads (a window of up to `cap` bytes), cuts each where the scanner will cut it
//! ([`Framing::cut`], the scanner's own rule), and copies the few bytes after the cut to
//! the front of the next window. So the scanner's thread reads every byte in place, once,
//! and sees exactly the windows it would have read itself: the output does not change.
//! When the inflater leaves its checksums to the reader ([`super::decode::decode_deferring`]),
//! they are checked on the scanner's thread too, as windows arrive ([`Windows::next_window`]),
//! which keeps the two threads' work about even (inflating alone is ISA-L's whole time).
//!
//! The decoder stack is built on the new thread (it need not be `Send`): building it may
//! fail (a bad gzip header), and that error is returned exactly as when the stack is built
//! in place, before any byte is read.

use super::gzip::{MemberChecker, MemberEnd, MemberEnds};
use std::io::{self, Read};
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};

/// Windows the decoder may run ahead of the scanner. With windows of 512 KiB, one was as
/// fast as any more (the 1 GiB benchmark `.gz`, 2 threads, 2026-12-04: 0.400 s with 1, 0.403
/// with 2, 0.404 with 4, 0.412 with 8, 0.413 with 16): a window the scanner reads soon after
/// it was decoded is still in cache. The decoder waits mostly while the scanner meets its
/// first events and builds the patterns they need (8-20 ms in all on that file); building
/// them ahead on another thread saved no time end to end, and cost a fleet scan 5 ms for the
/// redaction patterns it never needed. The scanner now builds the patterns every event needs
/// (field extraction, redaction) itself while it waits for its first window
/// ([`crate::scan::scan_windows`]): on the benchmark `.gz` (2026-12-05, AMD EPYC VM) the
/// decoder's waits fell from 12-14 ms to 7-11 ms in all. Two windows ahead then gave 6-25 ms
/// of waits in the same host's noise: one is kept.
const AHEAD: usize = 1;

/// How the scanner reads a stream, for the decoding thread to cut it the same way.
pub struct Framing<'a> {
    /// Bytes a window is filled to before it is scanned (at most `cap`).
    pub fill: usize,
    /// Bytes per window at most: a window that holds no line end is filled further, doubling,
    /// up to this ([`Framing::fill_with`]); a longer line is scanned in pieces.
    pub cap: usize,
    /// The size the scanner's buffer starts at, doubling up to `cap` as it fills (see
    /// [`fill`]): the decoding thread grows its buffers alike, so the stream is read in the
    /// same requests as by the scanner itself, and a limit that is checked per read (the
    /// compression ratio) stops it at the same byte.
    pub grow_from: usize,
    /// Where the scanner cuts a full window that is not the last (`None`: the window holds
    /// no line end): the bytes after the cut start the next window.
    pub cut: &'a (dyn Fn(&[u8]) -> Option<usize> + Sync),
}

impl Framing<'_> {
    /// Fills a window the way the scanner does: to `fill` bytes, then on (doubling, up to
    /// `cap`) while the window holds no line end and the input goes on. `extend(target)`
    /// makes the window up to `target` bytes long and tells its length, whether the input
    /// ended, and whether the window holds a cut ([`Framing::cut`]). Returns whether the
    /// input ended. Every feed fills through this one rule, so they all see the same windows.
    pub fn fill_with<E>(
        &self,
        mut extend: impl FnMut(usize) -> Result<(usize, bool, bool), E>,
    ) -> Result<bool, E> {
        let mut target = self.fill.min(self.cap);
        loop {
            let (len, ended, has_cut) = extend(target)?;
            if ended || has_cut || len >= self.cap {
                return Ok(ended);
            }
            target = (target.max(len) * 2).min(self.cap);
        }
    }
}

/// One window of the stream, as the scanner would have filled its buffer.
pub struct Window {
    /// The window is `buf[..len]`.
    pub buf: Vec<u8>,
    pub len: usize,
    /// Bytes at the window's start carried over from the previous window (after its cut).
    pub carry: usize,
    /// `Ok(true)` when the stream ended with this window, the error that ended it, or
    /// `Ok(false)`.
    pub end: io::Result<bool>,
    /// Member ends the decoder reached up to this window's end, not yet checked.
    ends: Vec<MemberEnd>,
}

impl Window {
    /// The bytes read into this window (after its carry).
    pub fn added(&self) -> &[u8] {
        &self.buf[self.carry..self.len]
    }
}

/// Reads until `buf[..*len]` holds `cap` bytes or the input ends, and returns whether it
/// ended. `buf` grows as it fills (doubling from `min_grow`, up to `cap`), so a small file
/// does not cost a whole buffer's memset; a buffer that is kept stays initialised, so it is
/// read into as a slice (reading into a `Vec`'s spare capacity zeroes it first for any
/// reader that is not a file or a `BufReader`). Bytes read before an error stay in
/// `buf[..*len]`.
pub fn fill<R: Read + ?Sized>(
    reader: &mut R,
    buf: &mut Vec<u8>,
    len: &mut usize,
    cap: usize,
    min_grow: usize,
) -> io::Result<bool> {
    while *len < cap {
        if *len == buf.len() {
            let grown = (buf.len() * 2).clamp(min_grow.min(cap), cap);
            buf.resize(grown, 0);
        }
        match reader.read(&mut buf[*len..]) {
            Ok(0) => return Ok(true),
            Ok(n) => *len += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(false)
}

/// Builds a reader with `open` on a second thread, which decodes it into windows framed by
/// `framing`, and calls `f` with the windows. `open` also gives the queue of member ends
/// when the stream's checksums are left to the reader: [`Windows::next_window`] checks them.
/// Returns `open`'s error, if any, without calling `f`.
pub fn with_windows<T, R: Read>(
    open: impl FnOnce() -> io::Result<(R, Option<MemberEnds>)> + Send,
    framing: &Framing,
    f: impl FnOnce(&mut Windows) -> T,
) -> io::Result<T> {
    std::thread::scope(|scope| {
        let (ready_tx, ready_rx) = mpsc::sync_channel::<io::Result<bool>>(1);
        let (full_tx, full_rx) = mpsc::sync_channel::<Window>(AHEAD);
        let (free_tx, free_rx) = mpsc::channel::<Vec<u8>>();
        scope.spawn(move || match open() {
            Ok((reader, ends)) => {
                if ready_tx.send(Ok(ends.is_some())).is_ok() {
                    decode_into(reader, ends, framing, &full_tx, &free_rx);
                }
            }
            Err(e) => {
                let _ = ready_tx.send(Err(e));
            }
        });
        let deferred = match ready_rx.recv() {
            Ok(Ok(deferred)) => deferred,
            Ok(Err(e)) => return Err(e),
            Err(_) => return Err(io::Error::other("the decoding thread ended early")),
        };
        let mut windows = Windows {
            full: full_rx,
            free: free_tx,
            checker: deferred.then(|| MemberChecker::new(MemberEnds::default())),
        };
        let out = f(&mut windows);
        // Dropping the receiver stops a decoder that is still running (the scanner may stop
        // early, at a binary file for one).
        drop(windows);
        Ok(out)
    })
}

/// The decoding thread: fills windows and sends them, each with the member ends it
/// reached, until the input ends or fails, or until the scanner goes away.
fn decode_into<R: Read>(
    mut reader: R,
    ends: Option<MemberEnds>,
    framing: &Framing,
    full: &SyncSender<Window>,
    free: &Receiver<Vec<u8>>,
) {
    let mut offset: u64 = 0;
    let mut buf = Vec::new();
    let mut carry = 0;
    loop {
        let mut len = carry;
        let end = fill_window(&mut reader, &mut buf, &mut len, framing);
        offset += (len - carry) as u64;
        // Ends past these bytes (a buffered layer may have read ahead) wait for later ones.
        let reached: Vec<MemberEnd> = ends.as_ref().map_or_else(Vec::new, |queue| {
            let mut queue = super::gzip::lock(queue);
            let n = queue.iter().take_while(|e| e.at <= offset).count();
            queue.drain(..n).collect()
        });
        let last = !matches!(end, Ok(false));
        let cut = if last {
            len
        } else {
            (framing.cut)(&buf[..len]).unwrap_or(len)
        };
        // The next window starts with the bytes after the cut.
        let next = (!last).then(|| {
            let mut next = free.try_recv().unwrap_or_default();
            // As large as this one: the scanner's one buffer never shrinks.
            let size = (len - cut).max(buf.len());
            if next.len() < size {
                next.resize(size, 0);
            }
            next[..len - cut].copy_from_slice(&buf[cut..len]);
            next
        });
        let window = Window {
            buf,
            len,
            carry,
            end,
            ends: reached,
        };
        if full.send(window).is_err() {
            return;
        }
        let Some(next) = next else { return };
        buf = next;
        carry = len - cut;
    }
}

/// Fills a window of `reader`'s bytes as the scanner does ([`Framing::fill_with`]). Returns
/// whether the input ended; bytes read before an error stay in `buf[..*len]`.
pub fn fill_window<R: Read + ?Sized>(
    reader: &mut R,
    buf: &mut Vec<u8>,
    len: &mut usize,
    framing: &Framing,
) -> io::Result<bool> {
    framing.fill_with(|target| {
        let ended = fill(reader, buf, len, target, framing.grow_from)?;
        Ok((*len, ended, (framing.cut)(&buf[..*len]).is_some()))
    })
}

/// The scanner's side of [`with_windows`].
pub struct Windows {
    full: Receiver<Window>,
    free: Sender<Vec<u8>>,
    checker: Option<MemberChecker>,
}

impl Windows {
    /// The next window, its new bytes checked when the checks were left to the reader: if
    /// a member fails, the window ends at that member's end, with the error. `None` after
    /// the last window.
    pub fn next_window(&mut self) -> Option<Window> {
        let mut window = self.full.recv().ok()?;
        if let Some(checker) = &mut self.checker {
            super::gzip::lock(checker.ends()).extend(window.ends.drain(..));
            let failed = match checker.before_more() {
                Err(e) => Some((0, e)),
                Ok(()) => match checker.pass(window.added()) {
                    (_, None) => None,
                    (good, Some(e)) => Some((good, e)),
                },
            };
            if let Some((good, e)) = failed {
                window.len = window.carry + good;
                window.end = Err(e);
            }
        }
        Some(window)
    }

    /// Gives a window's buffer back to the decoder, for a later window.
    pub fn recycle(&self, buf: Vec<u8>) {
        let _ = self.free.send(buf);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Yields `data`, then fails with `error` (if any).
    struct Failing {
        data: io::Cursor<Vec<u8>>,
        error: Option<&'static str>,
    }

    impl Read for Failing {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.data.read(buf)?;
            if n == 0
                && let Some(e) = self.error.take()
            {
                return Err(io::Error::other(e));
            }
            Ok(n)
        }
    }

    /// Windows of 4 MiB cut after their last newline, as a scanner would.
    const CAP: usize = 4 * 1024 * 1024;
    fn after_last_newline(w: &[u8]) -> Option<usize> {
        memchr::memrchr(b'\n', w).map(|i| i + 1)
    }
    const FRAMING: Framing = Framing {
        fill: CAP,
        cap: CAP,
        grow_from: 64 * 1024,
        cut: &after_last_newline,
    };

    /// Reads every window: the stream's bytes, and the error that ended it. Checks that each
    /// window starts with the bytes after the previous one's cut and is at most `CAP` long.
    fn collect(windows: &mut Windows) -> (Vec<u8>, Option<String>) {
        let mut out = Vec::new();
        let mut rest: Vec<u8> = Vec::new();
        while let Some(w) = windows.next_window() {
            assert!(w.len <= CAP);
            assert_eq!(&w.buf[..w.carry], &rest[..]);
            out.extend(w.added());
            match w.end {
                Ok(false) => {}
                Ok(true) => return (out, None),
                Err(e) => return (out, Some(e.to_string())),
            }
            let cut = after_last_newline(&w.buf[..w.len]).unwrap_or(w.len);
            rest = w.buf[cut..w.len].to_vec();
            windows.recycle(w.buf);
        }
        panic!("no last window");
    }

    #[test]
    fn same_bytes_in_the_same_order() {
        let mut data: Vec<u8> = (0..3 * CAP + 12345).map(|i| (i % 251) as u8).collect();
        // A stretch without any newline longer than a window.
        data[CAP / 2..CAP * 2].fill(b'x');
        let copy = data.clone();
        let out = with_windows(|| Ok((io::Cursor::new(copy), None)), &FRAMING, collect).unwrap();
        assert_eq!(out, (data, None));
    }

    fn gz(data: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    /// Reads `bytes` as [`super::super::decode::with_input`] does: in place, or ahead on a
    /// second thread with the checksums checked on this one. Gives the bytes read and the
    /// error that stopped the reading.
    fn read_both_ways(bytes: &[u8]) -> [(Vec<u8>, Option<String>); 2] {
        use super::super::decode::{ReadLimits, decode_deferring, decode_limited};
        // In place, read as the scanner reads (its buffer, its requests, its cuts).
        let limits = ReadLimits::default();
        let mut reader = decode_limited(Box::new(bytes), &limits).unwrap();
        let (mut buf, mut len, mut out) = (Vec::new(), 0, Vec::new());
        let in_place = loop {
            let before = len;
            let end = fill_window(&mut reader, &mut buf, &mut len, &FRAMING);
            out.extend(&buf[before..len]);
            match end {
                Ok(false) => {}
                Ok(true) => break (out, None),
                Err(e) => break (out, Some(e.to_string())),
            }
            let cut = after_last_newline(&buf[..len]).unwrap_or(len);
            buf.copy_within(cut..len, 0);
            len -= cut;
        };
        let limits = ReadLimits::default();
        let ahead = with_windows(
            || decode_deferring(Box::new(bytes), &limits, true),
            &FRAMING,
            collect,
        )
        .unwrap();
        [in_place, ahead]
    }

    /// Checksums left to the reading thread fail at the same byte as when the inflater
    /// checks them: members ending inside a hand-over, exactly at its end, and last.
    #[test]
    fn deferred_checksums_fail_where_checks_in_place_fail() {
        let line = |i: usize| format!("2024-01-01 10:00:00,000 INFO line {i} {}\n", i * 7919);
        let text = |from: usize, bytes: usize| {
            let mut t = String::new();
            let mut i = from;
            while t.len() < bytes {
                t.push_str(&line(i));
                i += 1;
            }
            t.truncate(bytes);
            t.into_bytes()
        };
        // Members of 4 MiB exactly (ending where a hand-over ends), less, and more.
        let members = [text(0, CAP), text(1, 1_000_000), text(2, CAP + 123_457)];
        let packed: Vec<Vec<u8>> = members.iter().map(|m| gz(m)).collect();
        let whole: Vec<u8> = packed.concat();
        let [in_place, ahead] = read_both_ways(&whole);
        assert_eq!(in_place.1, None);
        assert_eq!(in_place.0, members.concat());
        assert_eq!(ahead, in_place);
        for bad in 0..members.len() {
            let mut broken = packed.clone();
            let n = broken[bad].len();
            broken[bad][n - 6] ^= 0x55; // the CRC
            let [in_place, ahead] = read_both_ways(&broken.concat());
            let upto: usize = members[..=bad].iter().map(Vec::len).sum();
            assert_eq!(in_place.0.len(), upto, "member {bad}");
            assert!(in_place.1.as_deref().unwrap().starts_with("corrupt gzip"));
            assert_eq!(ahead, in_place, "member {bad}");
        }
        // Cut inside the last member's trailer, and garbage after the last member.
        let [in_place, ahead] = read_both_ways(&whole[..whole.len() - 3]);
        assert!(in_place.1.as_deref().unwrap().starts_with("truncated gzip"));
        assert_eq!(ahead, in_place);
        let mut trailing = whole.clone();
        trailing.extend(b"not gzip at all");
        let [in_place, ahead] = read_both_ways(&trailing);
        assert!(in_place.1.is_some());
        assert_eq!(ahead, in_place);
        // A limit checked on every read (here the compression ratio) stops both at the same
        // byte: the decoding thread reads in the scanner's requests.
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        std::io::Write::write_all(&mut e, &vec![b'a'; 40 << 20]).unwrap();
        let [in_place, ahead] = read_both_ways(&e.finish().unwrap());
        assert!(in_place.1.as_deref().unwrap().contains("compression ratio"));
        assert_eq!(ahead, in_place);
    }

    /// UTF-16 text is converted before the scan sees it: its checksums are then checked
    /// before the conversion, on the decoding thread, and still fail at the same point.
    #[test]
    fn converted_text_is_checked_before_its_conversion() {
        let mut utf16 = vec![0xFF, 0xFE];
        for u in "oauth_problem=timestamp_refused\r\n"
            .repeat(2000)
            .encode_utf16()
        {
            utf16.extend(u.to_le_bytes());
        }
        let mut packed = gz(&utf16);
        let [in_place, ahead] = read_both_ways(&packed);
        assert_eq!(in_place.1, None);
        assert_eq!(ahead, in_place);
        let n = packed.len();
        packed[n - 6] ^= 1;
        let [in_place, ahead] = read_both_ways(&packed);
        assert!(in_place.1.is_some());
        assert_eq!(ahead, in_place);
    }

    #[test]
    fn errors_come_after_the_bytes_before_them() {
        let failing = || {
            Ok((
                Failing {
                    data: io::Cursor::new(b"abc".to_vec()),
                    error: Some("corrupt gzip data"),
                },
                None,
            ))
        };
        let res = with_windows(failing, &FRAMING, collect).unwrap();
        assert_eq!(
            res,
            (b"abc".to_vec(), Some("corrupt gzip data".to_string()))
        );
    }

    #[test]
    fn open_errors_are_returned_and_f_not_called() {
        let res = with_windows(
            || Err::<(io::Empty, _), _>(io::Error::other("bad header")),
            &FRAMING,
            |_| unreachable!(),
        );
        assert_eq!(res.unwrap_err().to_string(), "bad header");
    }

    #[test]
    fn a_reader_that_stops_early_ends_the_decoder() {
        let out = with_windows(
            || Ok((io::repeat(b'x'), None)),
            &FRAMING,
            |w| w.next_window().unwrap().added()[..10].to_vec(),
        )
        .unwrap();
        assert_eq!(out, [b'x'; 10]);
    }
}
