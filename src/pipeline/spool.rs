//! NDJSON events of one part of an input, held until every part before it has been written.
//! Parts are scanned in parallel but their events must come out in input order, and a flood
//! of events must not fill memory: each part's spool keeps its lines in memory up to a small
//! limit and moves them to one shared anonymous temporary file beyond it (and when a finished
//! part has to wait while the spools in memory are already large). Lines are kept with the
//! line number relative to the part's start; the number is fixed when the part is written,
//! once the lines of the parts before it are known.

use std::fs::File;
use std::io::{self, Write};
use std::os::unix::fs::FileExt;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A running part moves its lines to disk beyond this many bytes.
const SPOOL_BYTES: usize = 4 << 20;
/// A finished part that has to wait moves its lines to disk when all spools together hold
/// more than this.
const PARKED_BYTES: usize = 8 << 20;

/// The temporary file every spool moves lines to, and the bytes spools hold in memory.
#[derive(Default)]
pub struct SpillArea {
    /// The file, created on first use, and its length.
    file: Mutex<Option<(File, u64)>>,
    in_memory: AtomicUsize,
}

impl SpillArea {
    /// Appends `bytes` and returns where they went.
    fn append(&self, bytes: &[u8]) -> io::Result<(u64, u64)> {
        let mut guard = self
            .file
            .lock()
            .map_err(|_| io::Error::other("spill file lock poisoned"))?;
        if guard.is_none() {
            *guard = Some((tempfile::tempfile()?, 0));
        }
        let Some((file, len)) = guard.as_mut() else {
            return Err(io::Error::other("no spill file"));
        };
        file.write_all_at(bytes, *len)?;
        let at = *len;
        *len += bytes.len() as u64;
        Ok((at, bytes.len() as u64))
    }

    fn read(&self, at: u64, len: u64) -> io::Result<Vec<u8>> {
        let guard = self
            .file
            .lock()
            .map_err(|_| io::Error::other("spill file lock poisoned"))?;
        let Some((file, _)) = guard.as_ref() else {
            return Err(io::Error::other("no spill file"));
        };
        let mut buf = vec![0u8; usize::try_from(len).map_err(io::Error::other)?];
        file.read_exact_at(&mut buf, at)?;
        Ok(buf)
    }
}

/// The NDJSON lines of one part: `relative line \t body \n` records.
pub struct Spool<'a> {
    area: &'a SpillArea,
    buf: Vec<u8>,
    /// Where earlier records went in the spill file, in order.
    spilled: Vec<(u64, u64)>,
}

impl<'a> Spool<'a> {
    pub fn new(area: &'a SpillArea) -> Self {
        Spool {
            area,
            buf: Vec::new(),
            spilled: Vec::new(),
        }
    }

    /// Keeps one event: `body` is its JSON object without the opening brace and line number.
    pub fn push(&mut self, line: u64, body: &str) {
        let before = self.buf.len();
        let _ = writeln!(self.buf, "{line}\t{body}");
        self.area
            .in_memory
            .fetch_add(self.buf.len() - before, Ordering::Relaxed);
        if self.buf.len() >= SPOOL_BYTES {
            self.spill();
        }
    }

    /// The part is done but must wait for earlier parts: move its lines to disk when the
    /// spools in memory are already large.
    pub fn park(&mut self) {
        if !self.buf.is_empty() && self.area.in_memory.load(Ordering::Relaxed) > PARKED_BYTES {
            self.spill();
        }
    }

    /// Moves the lines in memory to the spill file. When the file cannot be written (full
    /// disk), they stay in memory: nothing is lost.
    fn spill(&mut self) {
        if let Ok(seg) = self.area.append(&self.buf) {
            self.spilled.push(seg);
            self.area
                .in_memory
                .fetch_sub(self.buf.len(), Ordering::Relaxed);
            self.buf = Vec::new();
        }
    }

    /// Writes every event in order, as `{"type":"event","line":N,...}` with N shifted by
    /// `shift`.
    pub fn write_to(self, shift: u64, out: &mut dyn Write) -> io::Result<()> {
        for (at, len) in &self.spilled {
            let bytes = self.area.read(*at, *len)?;
            write_records(&bytes, shift, out)?;
        }
        let result = write_records(&self.buf, shift, out);
        self.area
            .in_memory
            .fetch_sub(self.buf.len(), Ordering::Relaxed);
        result
    }
}

fn write_records(bytes: &[u8], shift: u64, out: &mut dyn Write) -> io::Result<()> {
    for record in bytes.split(|&b| b == b'\n').filter(|r| !r.is_empty()) {
        let tab = memchr::memchr(b'\t', record).ok_or_else(|| io::Error::other("bad spool"))?;
        let line: u64 = std::str::from_utf8(&record[..tab])
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| io::Error::other("bad spool line number"))?;
        write!(
            out,
            "{{\"type\":\"event\",\"line\":{},",
            line.saturating_add(shift)
        )?;
        out.write_all(&record[tab + 1..])?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_come_back_in_order_with_shifted_lines_from_memory_and_disk() {
        let area = SpillArea::default();
        let mut spool = Spool::new(&area);
        spool.push(1, "\"a\":1}");
        spool.spill();
        spool.push(7, "\"b\":2}");
        let mut out = Vec::new();
        spool.write_to(10, &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\"type\":\"event\",\"line\":11,\"a\":1}\n{\"type\":\"event\",\"line\":17,\"b\":2}\n"
        );
        assert_eq!(area.in_memory.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn a_flood_goes_to_disk() {
        let area = SpillArea::default();
        let mut spool = Spool::new(&area);
        let body = format!("\"x\":\"{}\"}}", "y".repeat(1000));
        for i in 0..10_000 {
            spool.push(i, &body);
        }
        assert!(area.in_memory.load(Ordering::Relaxed) < SPOOL_BYTES);
        assert!(!spool.spilled.is_empty());
        let mut out = Vec::new();
        spool.write_to(0, &mut out).unwrap();
        assert_eq!(out.iter().filter(|&&b| b == b'\n').count(), 10_000);
    }
}
