//! Memory-mapping a byte range of a plain log file (`scan --mmap`), so the scanner searches
//! the page cache in place instead of copying every byte through `read` (ripgrep does the
//! same for single large files). Not the default: on the machine it was measured on, reading
//! the mapping through 4 KiB pages cost the scan more user time than the kernel's copy into a
//! small buffer costs system time (README, Design). Only files that are safe to map are
//! mapped: regular files of at least [`MIN_MAP_BYTES`] in the range that have not been
//! modified for [`QUIET_SECS`] seconds.
//!
//! Why the quiet period: if a mapped file is truncated while it is being read (logrotate's
//! `copytruncate`, an administrator emptying `catalina.out`), touching a page past the new
//! end raises `SIGBUS` and ends the process. Rotated and old logs are not written to; a
//! file written in the last minute is probably live and is read with `read` instead, which
//! simply sees the file end early (and the scan warns that the file shrank). The remaining
//! risk (a quiet file truncated during the scan) is one more reason mapping is opt-in.

use memmap2::{Advice, Mmap, MmapOptions};
use std::fs::File;
use std::time::{Duration, SystemTime};

/// Ranges smaller than this are read: mapping costs system calls and page faults that a
/// small read does not.
pub const MIN_MAP_BYTES: u64 = 16 * 1024 * 1024;
/// A file modified less than this many seconds ago may be live, and is not mapped.
pub const QUIET_SECS: u64 = 60;

/// Maps bytes `[start, end)` of `file`, or `None` when the file is not safe or worth
/// mapping (the caller then reads it).
pub fn map_range(file: &File, start: u64, end: u64) -> Option<Mmap> {
    let len = end.checked_sub(start)?;
    if len < MIN_MAP_BYTES {
        return None;
    }
    let meta = file.metadata().ok()?;
    let quiet = meta
        .modified()
        .ok()
        .and_then(|m| SystemTime::now().duration_since(m).ok())
        .is_some_and(|age| age >= Duration::from_secs(QUIET_SECS));
    if !meta.is_file() || meta.len() < end || !quiet {
        return None;
    }
    // SAFETY: the mapping is only read, the file is a regular file that covers the whole
    // range and has been quiet for a minute (see the module comment for the SIGBUS risk
    // that remains, and why mapping is only done with `--mmap`).
    let map = unsafe {
        MmapOptions::new()
            .offset(start)
            .len(usize::try_from(len).ok()?)
            .map(file)
    }
    .ok()?;
    // Advice only: the kernel reads ahead more eagerly. Failing to advise changes nothing.
    let _ = map.advise(Advice::Sequential);
    Some(map)
}

/// Gives back the pages of `map` wholly before byte `upto` (already scanned), so the
/// process's resident memory stays one buffer's worth however big the mapped range: the
/// pages stay in the page cache, and touching them again would read them back from it.
pub fn release_before(map: &Mmap, upto: usize) {
    let page = 4096;
    let len = upto.min(map.len()) / page * page;
    if len == 0 {
        return;
    }
    // SAFETY: MADV_DONTNEED on a private, read-only file mapping only drops this process's
    // page-table entries: the bytes seen afterwards are the file's, as before; no reference
    // into the range is used after this point by the scanner (it moved past it).
    #[cfg(unix)]
    let _ = unsafe { map.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, 0, len) };
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn maps_only_big_quiet_ranges() {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        let data = vec![b'x'; (MIN_MAP_BYTES + 10) as usize];
        f.write_all(&data).unwrap();
        f.flush().unwrap();
        let file = f.as_file();
        // Just written: not quiet.
        assert!(map_range(file, 0, data.len() as u64).is_none());
        let old = SystemTime::now() - Duration::from_secs(2 * QUIET_SECS);
        file.set_modified(old).unwrap();
        let map = map_range(file, 5, data.len() as u64).unwrap();
        assert_eq!(map.len(), data.len() - 5);
        // Too small, or past the end of the file.
        assert!(map_range(file, 0, 100).is_none());
        assert!(map_range(file, 0, data.len() as u64 + 1).is_none());
    }
}
