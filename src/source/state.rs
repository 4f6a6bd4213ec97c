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

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fs;
use std::io::{self, Write};
use std::path::Path;

/// Bytes of a file's start that make its fingerprint.
pub const FINGERPRINT_BYTES: usize = 4096;
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

/// The whole state file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    pub version: u32,
    /// Keyed by path as given on the command line or found by the walk.
    pub files: BTreeMap<String, FileState>,
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
    /// Reads a state file; a missing file is an empty state, an unreadable or corrupt one is
    /// an error (scanning everything again would count events twice).
    pub fn load(path: &Path) -> Result<State, String> {
        match fs::read(path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(State::default()),
            Err(e) => Err(format!("cannot read state file {}: {e}", path.display())),
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                format!(
                    "state file {} is corrupt ({e}); move it away to start afresh",
                    path.display()
                )
            }),
        }
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
        s.files.insert("x".into(), entry(1, b"hello", 5));
        s.save(&path).unwrap();
        assert_eq!(State::load(&path).unwrap(), s);
        fs::write(&path, b"{not json").unwrap();
        assert!(State::load(&path).unwrap_err().contains("corrupt"));
    }
}
