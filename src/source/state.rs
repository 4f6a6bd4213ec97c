//! `--state FILE`: incremental scans for cron. The state remembers, per file, how far it was
//! read: device and inode, size, the offset read up to (always the end of a complete line),
//! the line number there, and a fingerprint (hash of the first bytes, up to 4 KiB) that
//! tells the same content from a new file.
//!
//! Matching a file found now against the state, in order:
//! 1. same device and inode, same fingerprint, not shorter than the offset: the same file,
//!    grown (or a file renamed by rotation, `a.log` → `a.log.1`): resume at the offset;
//! 2. another inode with the same fingerprint and not shorter (a copy made by
//!    copytruncate rotation, or a rotated file compressed to `.gz`): resume at the offset;
//! 3. anything else (new file, truncated file, rewritten file): read from the start.
//!
//! Each state entry is claimed by one file at most. The new state is written only after the
//! report was produced, to a temporary file in the same folder renamed over the old one, so a
//! crash mid-scan leaves the old state: the next run reads the same bytes again and reports
//! each event once.
//!
//! A state file is trusted no more than any input: it is read only when it is a regular file
//! of at most [`MAX_STATE_BYTES`] (a FIFO or `/dev/zero` given by mistake is refused, not
//! waited on or read forever), its format version must be [`STATE_VERSION`], and entries with
//! impossible numbers (a line number past the offset, an offset past `i64::MAX`) are
//! rejected, so the arithmetic of a resumed scan cannot overflow.
//!
//! Two runs with the same state file would both read the same new bytes and both report
//! them: [`State::lock`] takes an exclusive lock on `FILE.lock` beside it for the whole run,
//! and a second run fails at once. The lock file is left in place (removing it would let a
//! third run lock a new file while the second still holds the old one); the lock itself goes
//! with the process.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

/// Bytes of a file's start that make its fingerprint.
pub const FINGERPRINT_BYTES: usize = 4096;
/// The state file format this program reads and writes.
pub const STATE_VERSION: u32 = 1;
/// Largest state file read (about 250,000 files' entries).
pub const MAX_STATE_BYTES: u64 = 64 * 1024 * 1024;
/// Largest offset accepted in a loaded state: what a seek can reach.
const MAX_OFFSET: u64 = i64::MAX as u64;
/// A fingerprint of fewer bytes than this does not identify a file moved to another inode.
const MIN_FINGERPRINT_FOR_COPIES: u64 = 64;

/// How far one file was read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileState {
    pub device: u64,
    pub inode: u64,
    /// Size on disk when it was read.
    pub size: u64,
    /// Decoded bytes read up to (the end of a complete line).
    pub offset: u64,
    /// Line number of the line that starts at `offset`.
    pub line: u64,
    /// FNV-1a hash (hex) of the first `fingerprint_len` decoded bytes.
    pub fingerprint: String,
    pub fingerprint_len: u64,
}

impl FileState {
    /// The entry for a file read from `start` (at line `first_line`) for `bytes` bytes and
    /// `lines` lines. The sums saturate rather than wrap.
    pub fn read_to(probe: &Probe, start: u64, bytes: u64, first_line: u64, lines: u64) -> Self {
        let offset = start.saturating_add(bytes);
        let len = probe
            .head
            .len()
            .min(usize::try_from(offset).unwrap_or(usize::MAX));
        FileState {
            device: probe.device,
            inode: probe.inode,
            size: probe.decoded_size.unwrap_or(offset),
            offset,
            line: first_line.saturating_add(lines),
            fingerprint: fingerprint(&probe.head[..len]),
            fingerprint_len: len as u64,
        }
    }

    /// Why this entry cannot have been written by a real run, if it cannot.
    fn implausible(&self) -> Option<String> {
        if self.offset > MAX_OFFSET {
            Some(format!(
                "an offset ({}) past the largest file size",
                self.offset
            ))
        } else if self.line == 0 {
            Some("line number 0 (lines count from 1)".to_string())
        } else if self.line - 1 > self.offset {
            Some(format!(
                "a line number ({}) past its offset ({}): every line before it takes a byte at least",
                self.line, self.offset
            ))
        } else if self.fingerprint_len > FINGERPRINT_BYTES as u64 {
            Some(format!(
                "a fingerprint of {} bytes (at most {FINGERPRINT_BYTES})",
                self.fingerprint_len
            ))
        } else {
            None
        }
    }
}

/// The whole state file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    pub version: u32,
    /// Keyed by path as given on the command line or found by the walk.
    pub files: BTreeMap<String, FileState>,
}

impl Default for State {
    /// An empty state of the current format version.
    fn default() -> Self {
        State {
            version: STATE_VERSION,
            files: BTreeMap::new(),
        }
    }
}

/// The exclusive lock on a state file, held until dropped: see [`State::lock`].
#[derive(Debug)]
pub struct StateLock {
    _file: fs::File,
    path: PathBuf,
}

impl StateLock {
    /// The lock file (`FILE.lock`).
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// The lock file of a state file: `FILE.lock` in the same folder.
pub fn lock_path(state: &Path) -> PathBuf {
    let mut name = state
        .file_name()
        .map_or_else(|| "state".into(), |n| n.to_os_string());
    name.push(".lock");
    state.with_file_name(name)
}

/// Opens `path` without blocking on a FIFO (`O_NONBLOCK`: a FIFO with no writer opens at
/// once instead of waiting for one; it is then refused as not a regular file).
fn open_nonblocking(path: &Path, options: &mut fs::OpenOptions) -> io::Result<fs::File> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    options.open(path)
}

/// The bytes of `path` if it is a regular file of at most `max` bytes. Never blocks on a FIFO
/// and never reads a device: anything but a regular file is an error, as is a larger file
/// (also one that grows past `max` while read). A missing file is [`io::ErrorKind::NotFound`].
///
/// (A shared reader for every small input file is planned in `source::read`; this one is to
/// be replaced by it.)
pub fn read_regular_file(path: &Path, max: u64) -> io::Result<Vec<u8>> {
    let file = open_nonblocking(path, fs::OpenOptions::new().read(true))?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
    let too_big = |n: u64| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("larger than the {max} byte limit ({n} bytes or more)"),
        )
    };
    if meta.len() > max {
        return Err(too_big(meta.len()));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(max.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(too_big(bytes.len() as u64));
    }
    Ok(bytes)
}

/// Identity and first bytes of a file found now.
#[derive(Debug, Clone)]
pub struct Probe {
    pub path: String,
    pub device: u64,
    pub inode: u64,
    /// Size on disk; `None` for compressed files, whose decoded size is unknown.
    pub decoded_size: Option<u64>,
    /// The first decoded bytes (up to [`FINGERPRINT_BYTES`]).
    pub head: Vec<u8>,
}

/// Where to resume reading a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resume {
    pub offset: u64,
    pub line: u64,
}

pub fn fingerprint(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// Device and inode of a file (zeros where the platform has none).
pub fn identity(meta: &fs::Metadata) -> (u64, u64) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        (meta.dev(), meta.ino())
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        (0, 0)
    }
}

impl State {
    /// Takes the exclusive lock on the state file `path` for this run (on `FILE.lock` beside
    /// it, created if missing), or fails at once, naming the file, when another run holds it.
    /// Hold the returned guard until the state is saved.
    pub fn lock(path: &Path) -> Result<StateLock, String> {
        let lock = lock_path(path);
        let shown = path.display();
        let file = open_nonblocking(
            &lock,
            fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false),
        )
        .map_err(|e| {
            format!(
                "cannot open the lock file {} of state file {shown}: {e}",
                lock.display()
            )
        })?;
        match file.metadata() {
            Ok(m) if m.is_file() => {}
            Ok(_) => {
                return Err(format!(
                    "the lock file {} of state file {shown} is not a regular file",
                    lock.display()
                ));
            }
            Err(e) => return Err(format!("cannot read the lock file {}: {e}", lock.display())),
        }
        match file.try_lock() {
            Ok(()) => {
                // The holder's pid, for the message a second run prints.
                let _ = file.set_len(0);
                let _ = (&file).write_all(format!("{}\n", std::process::id()).as_bytes());
                Ok(StateLock {
                    _file: file,
                    path: lock,
                })
            }
            Err(fs::TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = (&file).take(32).read_to_string(&mut holder);
                let holder = holder.trim();
                let pid = if !holder.is_empty() && holder.bytes().all(|b| b.is_ascii_digit()) {
                    format!(" (pid {holder})")
                } else {
                    String::new()
                };
                Err(format!(
                    "another linkdoctor run{pid} holds the state file {shown} (lock {}); try again when it has finished",
                    lock.display()
                ))
            }
            Err(fs::TryLockError::Error(e)) => Err(format!(
                "cannot lock state file {shown} (lock {}): {e}",
                lock.display()
            )),
        }
    }

    /// Reads a state file; a missing file is an empty state, an unreadable, corrupt, foreign
    /// or implausible one is an error (scanning everything again would count events twice).
    pub fn load(path: &Path) -> Result<State, String> {
        let shown = path.display();
        let bytes = match read_regular_file(path, MAX_STATE_BYTES) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(State::default()),
            Err(e) => return Err(format!("cannot read state file {shown}: {e}")),
            Ok(bytes) => bytes,
        };
        let afresh = "move it away to start afresh";
        // The version first, so a future format is named as such rather than as corrupt.
        #[derive(Deserialize)]
        struct Version {
            version: Option<serde_json::Value>,
        }
        match serde_json::from_slice::<Version>(&bytes) {
            Ok(Version { version: Some(v) }) if v != serde_json::json!(STATE_VERSION) => {
                return Err(format!(
                    "state file {shown} has format version {v}, but this linkdoctor reads version {STATE_VERSION} (written by another linkdoctor?); {afresh}"
                ));
            }
            Ok(Version { version: None }) => {
                return Err(format!(
                    "state file {shown} has no format version: not a linkdoctor state file?; {afresh}"
                ));
            }
            _ => {}
        }
        let state: State = serde_json::from_slice(&bytes)
            .map_err(|e| format!("state file {shown} is corrupt ({e}); {afresh}"))?;
        for (key, entry) in &state.files {
            if let Some(why) = entry.implausible() {
                return Err(format!(
                    "state file {shown} is corrupt: the entry for {key:?} has {why}; {afresh}"
                ));
            }
        }
        Ok(state)
    }

    /// Writes the state atomically: a temporary file in the same folder, synced, then renamed.
    pub fn save(&self, path: &Path) -> io::Result<()> {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let name = path
            .file_name()
            .map_or_else(|| "state".into(), |n| n.to_string_lossy().into_owned());
        let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
        let json = serde_json::to_vec_pretty(self).map_err(io::Error::other)?;
        let written = (|| {
            let mut f = fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .open(&tmp)?;
            f.write_all(&json)?;
            f.sync_all()?;
            fs::rename(&tmp, path)
        })();
        if written.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        written
    }

    /// Where each probed file resumes, in probe order (`None`: from the start). Entries are
    /// indexed by inode and by fingerprint, so a fleet of thousands of files stays cheap.
    pub fn resume_all(&self, probes: &[Probe]) -> Vec<Option<Resume>> {
        let mut claimed: HashSet<&str> = HashSet::new();
        let mut out: Vec<Option<Resume>> = vec![None; probes.len()];
        let resume = |e: &FileState| Resume {
            offset: e.offset,
            line: e.line,
        };
        // Pass 1: same inode (the same file, maybe renamed); the same path first.
        let mut by_inode: HashMap<(u64, u64), Vec<&str>> = HashMap::new();
        for (key, e) in &self.files {
            if e.inode != 0 {
                by_inode.entry((e.device, e.inode)).or_default().push(key);
            }
        }
        for (i, p) in probes.iter().enumerate() {
            let Some(keys) = by_inode.get(&(p.device, p.inode)) else {
                continue;
            };
            let same_path = keys.iter().filter(|k| **k == p.path);
            let others = keys.iter().filter(|k| **k != p.path);
            for key in same_path.chain(others) {
                let e = &self.files[*key];
                if !claimed.contains(key) && same_content(e, p) {
                    claimed.insert(key);
                    out[i] = Some(resume(e));
                    break;
                }
            }
        }
        // Pass 2: same content under another inode (copytruncate, compressed rotation).
        let mut by_print: HashMap<(u64, &str), Vec<&str>> = HashMap::new();
        let mut lengths: BTreeSet<u64> = BTreeSet::new();
        for (key, e) in &self.files {
            if e.fingerprint_len >= MIN_FINGERPRINT_FOR_COPIES && !claimed.contains(key.as_str()) {
                by_print
                    .entry((e.fingerprint_len, e.fingerprint.as_str()))
                    .or_default()
                    .push(key);
                lengths.insert(e.fingerprint_len);
            }
        }
        for (i, p) in probes.iter().enumerate() {
            if out[i].is_some() {
                continue;
            }
            'lengths: for &len in lengths.iter().filter(|&&l| l as usize <= p.head.len()) {
                let print = fingerprint(&p.head[..len as usize]);
                for key in by_print.get(&(len, print.as_str())).into_iter().flatten() {
                    let e = &self.files[*key];
                    if !claimed.contains(key) && same_content(e, p) {
                        claimed.insert(key);
                        out[i] = Some(resume(e));
                        break 'lengths;
                    }
                }
            }
        }
        out
    }
}

/// Does the probed file start with the bytes the entry was fingerprinted on, and is it at
/// least as long as what was read?
fn same_content(e: &FileState, p: &Probe) -> bool {
    let len = e.fingerprint_len as usize;
    p.head.len() >= len
        && fingerprint(&p.head[..len]) == e.fingerprint
        && p.decoded_size.is_none_or(|s| s >= e.offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(inode: u64, head: &[u8], offset: u64) -> FileState {
        let len = head.len().min(FINGERPRINT_BYTES);
        FileState {
            device: 1,
            inode,
            size: offset,
            offset,
            line: 10,
            fingerprint: fingerprint(&head[..len]),
            fingerprint_len: len as u64,
        }
    }

    fn probe(path: &str, inode: u64, head: &[u8], size: u64) -> Probe {
        Probe {
            path: path.into(),
            device: 1,
            inode,
            decoded_size: Some(size),
            head: head[..head.len().min(FINGERPRINT_BYTES)].to_vec(),
        }
    }

    #[test]
    fn grown_rotated_truncated_and_copied() {
        let old = vec![b'a'; 5000];
        let new = vec![b'b'; 5000];
        let mut state = State::default();
        state.files.insert("a.log".into(), entry(7, &old, 1000));
        // Grown in place.
        let r = state.resume_all(&[probe("a.log", 7, &old, 2000)]);
        assert_eq!(r[0].map(|r| r.offset), Some(1000));
        // Renamed to a.log.1, new a.log created.
        let r = state.resume_all(&[probe("a.log", 8, &new, 10), probe("a.log.1", 7, &old, 1500)]);
        assert_eq!(r[0], None);
        assert_eq!(r[1].map(|r| r.line), Some(10));
        // Truncated in place (copytruncate): the copy resumes, the original starts afresh.
        let r = state.resume_all(&[
            probe("a.log", 7, &new, 100),
            probe("a.log.1", 9, &old, 1000),
        ]);
        assert_eq!(r[0], None);
        assert_eq!(r[1].map(|r| r.offset), Some(1000));
        // Shorter than what was read: not the same file.
        let r = state.resume_all(&[probe("a.log", 7, &old, 500)]);
        assert_eq!(r[0], None);
    }

    #[test]
    fn save_is_atomic_and_load_checks() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        assert_eq!(State::load(&path).unwrap(), State::default());
        let mut s = State::default();
        s.files.insert("x".into(), entry(1, b"hello", 50));
        s.save(&path).unwrap();
        assert_eq!(State::load(&path).unwrap(), s);
        fs::write(&path, b"{not json").unwrap();
        assert!(State::load(&path).unwrap_err().contains("corrupt"));
    }

    #[test]
    fn unknown_version_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        fs::write(&path, br#"{"version": 7, "files": {}, "more": 1}"#).unwrap();
        let e = State::load(&path).unwrap_err();
        assert!(
            e.contains("format version 7") && e.contains("state.json"),
            "{e}"
        );
        fs::write(&path, br#"{"files": {}}"#).unwrap();
        assert!(
            State::load(&path)
                .unwrap_err()
                .contains("no format version")
        );
        fs::write(&path, br#"{"version": "1", "files": {}}"#).unwrap();
        assert!(
            State::load(&path)
                .unwrap_err()
                .contains("format version \"1\"")
        );
        fs::write(&path, br#"{"version": 1, "files": {}}"#).unwrap();
        assert_eq!(State::load(&path).unwrap(), State::default());
    }

    #[test]
    fn implausible_entries_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let good = entry(1, b"hello", 50);
        let cases = [
            (
                FileState {
                    line: u64::MAX,
                    ..good.clone()
                },
                "past its offset",
            ),
            (
                FileState {
                    line: 0,
                    ..good.clone()
                },
                "line number 0",
            ),
            (
                FileState {
                    offset: u64::MAX,
                    line: 1,
                    ..good.clone()
                },
                "largest file size",
            ),
            (
                FileState {
                    fingerprint_len: u64::MAX,
                    ..good.clone()
                },
                "fingerprint of",
            ),
        ];
        for (bad, why) in cases {
            let mut s = State::default();
            s.files.insert("a.log".into(), bad);
            s.save(&path).unwrap();
            let e = State::load(&path).unwrap_err();
            assert!(e.contains(why) && e.contains("\"a.log\""), "{why}: {e}");
        }
    }

    #[test]
    fn read_to_saturates() {
        let p = probe("a.log", 1, b"abc", 3);
        let e = FileState::read_to(&p, u64::MAX - 1, 10, u64::MAX - 1, 10);
        assert_eq!(
            (e.offset, e.line, e.fingerprint_len),
            (u64::MAX, u64::MAX, 3)
        );
        let e = FileState::read_to(&p, 0, 2, 1, 1);
        assert_eq!((e.offset, e.line, e.fingerprint_len), (2, 2, 2));
        assert_eq!(e.fingerprint, fingerprint(b"ab"));
    }

    #[test]
    fn only_small_regular_files_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let small = dir.path().join("small");
        fs::write(&small, b"12345").unwrap();
        assert_eq!(read_regular_file(&small, 5).unwrap(), b"12345");
        assert!(
            read_regular_file(&small, 4)
                .unwrap_err()
                .to_string()
                .contains("limit")
        );
        assert!(
            read_regular_file(dir.path(), 5)
                .unwrap_err()
                .to_string()
                .contains("regular")
        );
        assert_eq!(
            read_regular_file(&dir.path().join("missing"), 5)
                .unwrap_err()
                .kind(),
            io::ErrorKind::NotFound
        );
        #[cfg(unix)]
        {
            let e = read_regular_file(Path::new("/dev/zero"), 5).unwrap_err();
            assert!(e.to_string().contains("regular"), "{e}");
            let fifo = dir.path().join("fifo");
            let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
            // SAFETY: a valid NUL-terminated path.
            assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
            let e = read_regular_file(&fifo, 5).unwrap_err();
            assert!(e.to_string().contains("regular"), "{e}");
            let e = State::load(&fifo).unwrap_err();
            assert!(e.contains("fifo") && e.contains("regular"), "{e}");
        }
    }

    #[test]
    fn a_second_lock_fails_and_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let held = State::lock(&path).unwrap();
        assert_eq!(held.path(), dir.path().join("state.json.lock"));
        let e = State::lock(&path).unwrap_err();
        assert!(
            e.contains("another linkdoctor run") && e.contains("state.json"),
            "{e}"
        );
        assert!(e.contains(&format!("pid {}", std::process::id())), "{e}");
        drop(held);
        State::lock(&path).unwrap();
    }
}
