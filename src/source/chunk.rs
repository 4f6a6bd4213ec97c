//! Splitting a big plain file into chunks that can be scanned in parallel and give exactly
//! the events of one scan of the whole. A chunk starts at the first event head at or after
//! its nominal offset (a line that does not continue the event above it, see
//! [`is_continuation`]), so no event, stack trace included, is ever split between two
//! chunks. Only a small window around each nominal offset is read to plan.

use crate::scan::event::is_continuation;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

/// Default chunk size: big enough that per-chunk overhead vanishes, small enough that a
/// multi-gigabyte file keeps every core busy.
pub const DEFAULT_CHUNK_BYTES: u64 = 64 * 1024 * 1024;
/// How far past a nominal offset an event head is looked for; a longer stack trace keeps the
/// chunk boundary at the next line start after this window.
const SEARCH_WINDOW: usize = 1024 * 1024;

/// Byte ranges `[start, end)` covering `[from, to)` of the file, cut at event heads every
/// `chunk_bytes` or so. A range shorter than two chunks is not split.
pub fn plan(path: &Path, from: u64, to: u64, chunk_bytes: u64) -> io::Result<Vec<(u64, u64)>> {
    let chunk_bytes = chunk_bytes.max(1);
    if to.saturating_sub(from) < 2 * chunk_bytes {
        return Ok(vec![(from, to)]);
    }
    let mut file = File::open(path)?;
    let mut cuts = vec![from];
    let mut nominal = from + chunk_bytes;
    while nominal < to {
        let last = *cuts.last().unwrap_or(&from);
        if let Some(cut) = head_at_or_after(&mut file, nominal.max(last + 1), to)?
            && cut > last
            && cut < to
        {
            cuts.push(cut);
        }
        nominal += chunk_bytes;
    }
    cuts.push(to);
    Ok(cuts.windows(2).map(|w| (w[0], w[1])).collect())
}

/// The offset of the first event head that starts at or after `at` (and before `to`).
fn head_at_or_after(file: &mut File, at: u64, to: u64) -> io::Result<Option<u64>> {
    // Read from one byte before, to know whether `at` itself starts a line.
    let begin = at - 1;
    file.seek(SeekFrom::Start(begin))?;
    let want = (to - begin).min(SEARCH_WINDOW as u64) as usize;
    let mut window = Vec::with_capacity(want);
    file.by_ref().take(want as u64).read_to_end(&mut window)?;
    let mut first_line_start = None;
    let mut pos = 0;
    while let Some(nl) = memchr::memchr(b'\n', &window[pos..]) {
        let line_start = pos + nl + 1;
        if line_start >= window.len() {
            break;
        }
        let line_end =
            memchr::memchr(b'\n', &window[line_start..]).map_or(window.len(), |i| line_start + i);
        let line = &window[line_start..line_end];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        first_line_start.get_or_insert(line_start);
        if !is_continuation(line) {
            return Ok(Some(begin + line_start as u64));
        }
        pos = line_start;
    }
    Ok(first_line_start.map(|s| begin + s as u64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn cuts_fall_on_event_heads() {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        let mut text = String::new();
        for i in 0..400 {
            text.push_str(&format!("2024-01-01 10:00:00,000 ERROR head {i}\n"));
            text.push_str("java.net.ConnectException: refused\n\tat a.B.c(B.java:1)\n");
        }
        f.write_all(text.as_bytes()).unwrap();
        let size = text.len() as u64;
        let ranges = plan(f.path(), 0, size, 1000).unwrap();
        assert!(ranges.len() > 10);
        assert_eq!(ranges[0].0, 0);
        assert_eq!(ranges.last().unwrap().1, size);
        for w in ranges.windows(2) {
            assert_eq!(w[0].1, w[1].0);
            assert!(text[w[1].0 as usize..].starts_with("2024-01-01"));
        }
        assert_eq!(plan(f.path(), 0, size, size).unwrap(), vec![(0, size)]);
    }
}
