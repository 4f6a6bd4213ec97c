//! Resource limits on decompression: total decompressed bytes over the whole scan (shared by
//! every worker thread), bytes per archive member or gzip stream, the compression ratio
//! (zip and gzip bombs), nesting depth of archives, and the size of a nested zip read into
//! memory. A reader that passes a limit fails with an error that names the limit and its
//! flag; the scanner turns it into a warning and keeps what it found before that point.

use std::io::{self, BufRead, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};

/// Compression ratios are only judged after this many decompressed bytes, so that tiny,
/// highly repetitive members do not trip the ratio limit.
pub const RATIO_FLOOR_BYTES: u64 = 1024 * 1024;

/// Compressed bytes a decoder may have read ahead (its input buffer and more).
const DECODER_READ_AHEAD: u64 = 64 * 1024;

/// The deepest archive nesting ever read, whatever `--max-depth` says: nothing legitimate
/// nests deeper, and a zip nested in itself must not take the reader down with it.
pub const MAX_DEPTH_CAP: usize = 16;

/// The limits of one scan. Every field has a command-line flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Decompressed bytes over all archive members and gzip streams of the scan.
    pub max_total_bytes: u64,
    /// Decompressed bytes of one archive member or gzip stream.
    pub max_member_bytes: u64,
    /// Decompressed bytes per compressed byte.
    pub max_ratio: u64,
    /// How many archives deep a member may be (a zip in a zip is depth 2).
    pub max_depth: usize,
    /// Largest nested zip read into memory (a zip needs random access).
    pub max_nested_zip_bytes: u64,
}

impl Limits {
    /// `--max-depth`, capped at [`MAX_DEPTH_CAP`].
    pub fn depth_limit(&self) -> usize {
        self.max_depth.min(MAX_DEPTH_CAP)
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_total_bytes: 64 << 30,
            max_member_bytes: 8 << 30,
            max_ratio: 200,
            max_depth: 3,
            max_nested_zip_bytes: 64 << 20,
        }
    }
}

/// The decompressed-bytes budget of a whole scan, shared by all threads.
#[derive(Debug, Clone, Default)]
pub struct Budget {
    used: Arc<AtomicU64>,
}

impl Budget {
    /// Adds `n` bytes; returns the total so far.
    fn spend(&self, n: u64) -> u64 {
        self.used.fetch_add(n, Ordering::Relaxed) + n
    }

    pub fn used(&self) -> u64 {
        self.used.load(Ordering::Relaxed)
    }
}

/// Bounds the memory held by nested zips read into memory across all threads: a thread
/// waits until the bytes it needs fit under the cap. A thread that already holds memory
/// (a zip nested two deep) never waits, so threads cannot wait on each other.
#[derive(Debug, Clone)]
pub struct MemoryGate {
    cap: u64,
    used: Arc<(Mutex<u64>, Condvar)>,
}

/// Memory taken from a [`MemoryGate`], given back on drop.
pub struct GateGuard {
    gate: MemoryGate,
    bytes: u64,
}

impl MemoryGate {
    pub fn new(cap: u64) -> Self {
        MemoryGate {
            cap,
            used: Arc::new((Mutex::new(0), Condvar::new())),
        }
    }

    /// Takes `bytes`, waiting for room unless `already_holding`.
    pub fn acquire(&self, bytes: u64, already_holding: bool) -> GateGuard {
        let (lock, room) = &*self.used;
        let mut used = lock.lock().unwrap_or_else(|e| e.into_inner());
        while !already_holding && *used > 0 && *used + bytes > self.cap {
            used = room.wait(used).unwrap_or_else(|e| e.into_inner());
        }
        *used += bytes;
        GateGuard {
            gate: self.clone(),
            bytes,
        }
    }

    pub fn in_use(&self) -> u64 {
        *self.used.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for GateGuard {
    fn drop(&mut self) {
        let (lock, room) = &*self.gate.used;
        let mut used = lock.lock().unwrap_or_else(|e| e.into_inner());
        *used = used.saturating_sub(self.bytes);
        room.notify_all();
    }
}

/// Counts the bytes that pass through a reader into a shared counter (the compressed side
/// of a decoder, for the ratio limit).
pub struct CountingReader<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> CountingReader<R> {
    pub fn new(inner: R) -> (Self, Arc<AtomicU64>) {
        let count = Arc::new(AtomicU64::new(0));
        (
            CountingReader {
                inner,
                count: count.clone(),
            },
            count,
        )
    }
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Over a buffered reader, bytes are counted as they are consumed, so zlib-rs's gzip decoder
/// reads straight from the input's one buffer (a second 256 KiB buffer per small `.gz` of a
/// fleet cost more in allocation than it saved; ISA-L's reader keeps a 64 KiB input of its
/// own and reads through `Read`, which counts the same bytes).
impl<R: BufRead> BufRead for CountingReader<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }
    fn consume(&mut self, n: usize) {
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        self.inner.consume(n);
    }
}

/// How many compressed bytes stand behind the decompressed ones.
pub enum Compressed {
    /// Known in advance (a zip member's compressed size).
    Known(u64),
    /// Counted while reading (a gzip stream).
    Counted(Arc<AtomicU64>),
    /// Counted while reading, from this count on (a member of a gzip-compressed tar).
    CountedSince(Arc<AtomicU64>, u64),
    /// Not known (a member of a tar being decompressed: the ratio is judged on the whole
    /// gzip stream instead).
    Unknown,
}

impl Compressed {
    fn bytes(&self) -> Option<u64> {
        match self {
            Compressed::Known(n) => Some(*n),
            Compressed::Counted(c) => Some(c.load(Ordering::Relaxed)),
            // The decoder reads ahead of what it hands out: the compressed bytes it holds
            // when a member starts belong to that member too.
            Compressed::CountedSince(c, base) => {
                Some(c.load(Ordering::Relaxed).saturating_sub(*base) + DECODER_READ_AHEAD)
            }
            Compressed::Unknown => None,
        }
    }
}

/// Enforces the per-member, ratio and total limits on a decompressing reader.
pub struct LimitedReader<R> {
    inner: R,
    compressed: Compressed,
    limits: Limits,
    budget: Budget,
    read: u64,
    /// "zip member" or "gzip stream", for the error message.
    what: &'static str,
}

impl<R: Read> LimitedReader<R> {
    pub fn new(
        inner: R,
        what: &'static str,
        compressed: Compressed,
        limits: Limits,
        budget: Budget,
    ) -> Self {
        LimitedReader {
            inner,
            compressed,
            limits,
            budget,
            read: 0,
            what,
        }
    }

    fn check(&self, total: u64) -> io::Result<()> {
        let what = self.what;
        if self.read > self.limits.max_member_bytes {
            return Err(limit_error(format!(
                "{what} larger than {} bytes decompressed (--max-member-bytes); rest not read",
                self.limits.max_member_bytes
            )));
        }
        if total > self.limits.max_total_bytes {
            return Err(limit_error(format!(
                "scan passed {} decompressed bytes in total (--max-total-bytes); rest of this {what} not read",
                self.limits.max_total_bytes
            )));
        }
        let Some(compressed) = self.compressed.bytes() else {
            return Ok(());
        };
        let compressed = compressed.max(1);
        if self.read > RATIO_FLOOR_BYTES && self.read / compressed > self.limits.max_ratio {
            return Err(limit_error(format!(
                "compression ratio over {}:1 ({} bytes from {compressed}; --max-ratio): possible {what} bomb; rest not read",
                self.limits.max_ratio, self.read
            )));
        }
        Ok(())
    }
}

fn limit_error(msg: String) -> io::Error {
    io::Error::other(msg)
}

impl<R: Read> Read for LimitedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        let total = self.budget.spend(n as u64);
        self.check(total)?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(mut r: impl Read) -> (u64, Option<String>) {
        let mut buf = vec![0u8; 64 * 1024];
        let mut total = 0;
        loop {
            match r.read(&mut buf) {
                Ok(0) => return (total, None),
                Ok(n) => total += n as u64,
                Err(e) => return (total, Some(e.to_string())),
            }
        }
    }

    #[test]
    fn member_limit_stops_reading() {
        let limits = Limits {
            max_member_bytes: 100_000,
            ..Default::default()
        };
        let data = vec![b'a'; 1_000_000];
        let r = LimitedReader::new(
            &data[..],
            "zip member",
            Compressed::Known(1_000_000),
            limits,
            Budget::default(),
        );
        let (n, err) = drain(r);
        assert!(n < 200_000);
        assert!(err.unwrap().contains("--max-member-bytes"));
    }

    #[test]
    fn ratio_limit_only_after_the_floor() {
        let limits = Limits {
            max_ratio: 10,
            ..Default::default()
        };
        let small = vec![b'a'; 500_000];
        let r = LimitedReader::new(
            &small[..],
            "gzip stream",
            Compressed::Known(10),
            limits,
            Budget::default(),
        );
        assert_eq!(drain(r).1, None);
        let big = vec![b'a'; 3_000_000];
        let r = LimitedReader::new(
            &big[..],
            "gzip stream",
            Compressed::Known(1000),
            limits,
            Budget::default(),
        );
        assert!(drain(r).1.unwrap().contains("bomb"));
    }

    #[test]
    fn total_budget_is_shared() {
        let limits = Limits {
            max_total_bytes: 150_000,
            ..Default::default()
        };
        let budget = Budget::default();
        let data = vec![b'a'; 100_000];
        let first = LimitedReader::new(
            &data[..],
            "zip member",
            Compressed::Known(100_000),
            limits,
            budget.clone(),
        );
        assert_eq!(drain(first).1, None);
        let second = LimitedReader::new(
            &data[..],
            "zip member",
            Compressed::Known(100_000),
            limits,
            budget.clone(),
        );
        assert!(drain(second).1.unwrap().contains("--max-total-bytes"));
        assert!(budget.used() >= 150_000);
    }

    #[test]
    fn depth_is_capped_and_counted_since_allows_read_ahead() {
        let limits = Limits {
            max_depth: 100_000,
            max_ratio: 10,
            ..Default::default()
        };
        assert_eq!(limits.depth_limit(), MAX_DEPTH_CAP);
        assert_eq!(Limits::default().depth_limit(), 3);
        let count = Arc::new(AtomicU64::new(5_000_000));
        let data = vec![b'a'; 2_000_000];
        // Nothing more counted since the member started, yet 2 MB out of the read-ahead
        // is no bomb at 10:1 only if the read-ahead is allowed for: 2 MB / 64 KiB > 10.
        let r = LimitedReader::new(
            &data[..],
            "tar member",
            Compressed::CountedSince(count.clone(), 5_000_000),
            limits,
            Budget::default(),
        );
        assert!(drain(r).1.unwrap().contains("bomb"));
        let r = LimitedReader::new(
            &data[..200_000],
            "tar member",
            Compressed::CountedSince(count, 5_000_000),
            limits,
            Budget::default(),
        );
        assert_eq!(drain(r).1, None);
    }

    #[test]
    fn memory_gate_waits_for_room() {
        let gate = MemoryGate::new(100);
        let a = gate.acquire(80, false);
        // Nested in a held zip: never waits.
        let b = gate.acquire(80, true);
        assert_eq!(gate.in_use(), 160);
        drop(b);
        let waiter = {
            let gate = gate.clone();
            std::thread::spawn(move || {
                let _g = gate.acquire(50, false);
            })
        };
        std::thread::sleep(std::time::Duration::from_millis(50));
        assert!(!waiter.is_finished());
        drop(a);
        waiter.join().unwrap();
        assert_eq!(gate.in_use(), 0);
    }

    #[test]
    fn counting_reader_counts() {
        let data = vec![1u8; 1234];
        let (r, count) = CountingReader::new(&data[..]);
        assert_eq!(drain(r).0, 1234);
        assert_eq!(count.load(Ordering::Relaxed), 1234);
    }
}
