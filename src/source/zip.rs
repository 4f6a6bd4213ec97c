//! Zip archives read in place with the `zip` crate: nothing is ever extracted to disk.
//! The zip side of the archive stack (`archive` lists and opens members of every format):
//! recognising a zip, listing its entries (every one, by position: two members with the
//! same name are both listed, and names that are not UTF-8 are decoded lossily rather than
//! looked up by name), opening one entry as a stream, and describing zip errors. Encrypted
//! members and compression methods other than stored and deflate are listed with the
//! problem, to become a warning.
//!
//! [`list`] and [`with_member`] keep the older by-name interface for callers outside the
//! scan (configuration checks of support zips).

use super::archive::{self, EntryInfo, Source};
use super::decode::ReadLimits;
use super::limits::{Limits, MemoryGate};
use super::{ArchiveFormat, EntryRef, Found, MemberRef, NestedArchive};
use crate::warning::Warning;
use std::collections::HashSet;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use zip::result::ZipError;
use zip::{CompressionMethod, ZipArchive};

/// Does this head start like a zip (`PK\x03\x04`, or `PK\x05\x06` for an empty zip)?
pub fn is_zip_head(head: &[u8]) -> bool {
    head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06")
}

/// Does this file start like a zip?
pub fn has_zip_magic(path: &Path) -> bool {
    let mut head = [0u8; 4];
    File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok()
        && is_zip_head(&head)
}

/// Is this member name one to refuse: absolute, with a drive letter, or with a `..` part?
pub fn is_unsafe_name(name: &str) -> bool {
    let b = name.as_bytes();
    name.starts_with('/')
        || name.starts_with('\\')
        || (b.len() >= 2 && b[1] == b':' && b[0].is_ascii_alphabetic())
        || name.split(['/', '\\']).any(|c| c == "..")
}

/// A user-facing description of a zip error.
pub fn describe_zip_error(e: &ZipError) -> String {
    match e {
        ZipError::Io(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            "truncated zip (unexpected end of data)".to_string()
        }
        ZipError::Io(io) => format!("cannot read zip: {io}"),
        ZipError::InvalidArchive(m) => format!("corrupt or truncated zip: {m}"),
        ZipError::UnsupportedArchive(m) => format!("unsupported zip: {m}"),
        ZipError::InvalidPassword => "encrypted member; skipped".to_string(),
        ZipError::CompressionMethodNotSupported(m) => {
            format!("unsupported compression method {m}; skipped")
        }
        other => format!("corrupt zip: {other}"),
    }
}

/// One record of the central directory, read by hand: the `zip` crate indexes members by
/// name and keeps one of two members with the same name.
struct CentralRecord {
    name: Vec<u8>,
    encrypted: bool,
    method: u16,
    compressed: u64,
    size: u64,
    header_offset: u64,
}

/// The records of the central directory starting at `start`, as many as parse (`None` if
/// even the first does not: the caller then trusts the crate's index alone).
fn central_records(source: &Source, start: u64, max: usize) -> Option<Vec<CentralRecord>> {
    let mut r = source.clone();
    r.seek(SeekFrom::Start(start)).ok()?;
    let mut out = Vec::new();
    while out.len() < max {
        let mut fixed = [0u8; 46];
        if r.read_exact(&mut fixed).is_err() || fixed[..4] != *b"PK\x01\x02" {
            break;
        }
        let u16_at = |i: usize| u16::from_le_bytes([fixed[i], fixed[i + 1]]);
        let u32_at =
            |i: usize| u32::from_le_bytes([fixed[i], fixed[i + 1], fixed[i + 2], fixed[i + 3]]);
        let flags = u16_at(8);
        let (name_len, extra_len, comment_len) =
            (u16_at(28) as usize, u16_at(30) as usize, u16_at(32) as i64);
        let mut name = vec![0u8; name_len];
        let mut extra = vec![0u8; extra_len];
        if r.read_exact(&mut name).is_err() || r.read_exact(&mut extra).is_err() {
            break;
        }
        r.seek(SeekFrom::Current(comment_len)).ok()?;
        let mut size = u32_at(24) as u64;
        let mut compressed = u32_at(20) as u64;
        let mut header_offset = u32_at(42) as u64;
        // Zip64: the values that overflow 32 bits are in extra field 0x0001, in this order.
        let mut e = &extra[..];
        while e.len() >= 4 {
            let id = u16::from_le_bytes([e[0], e[1]]);
            let len = (u16::from_le_bytes([e[2], e[3]]) as usize).min(e.len() - 4);
            if id == 1 {
                let mut values = e[4..4 + len]
                    .chunks_exact(8)
                    .map(|c| u64::from_le_bytes(c.try_into().unwrap_or([0; 8])));
                for field in [&mut size, &mut compressed, &mut header_offset] {
                    if *field == u32::MAX as u64 {
                        *field = values.next().unwrap_or(*field);
                    }
                }
            }
            e = &e[4 + len..];
        }
        out.push(CentralRecord {
            name,
            encrypted: flags & 1 != 0,
            method: u16_at(10),
            compressed,
            size,
            header_offset,
        });
    }
    (!out.is_empty()).then_some(out)
}

fn problem_of(encrypted: bool, method_ok: bool, method: &dyn std::fmt::Display) -> Option<String> {
    if encrypted {
        Some("encrypted member; skipped (linkdoctor does not decrypt)".to_string())
    } else if !method_ok {
        Some(format!(
            "unsupported compression method {method}; skipped (support zips use deflate)"
        ))
    } else {
        None
    }
}

fn decode_name(raw: &[u8]) -> (String, bool) {
    match std::str::from_utf8(raw) {
        Ok(n) => (n.to_string(), false),
        Err(_) => (String::from_utf8_lossy(raw).into_owned(), true),
    }
}

/// Every entry of a zip, in central-directory order, and problems with entries that
/// cannot be listed. Members are referred to by index (or, for a second member with the
/// same name, by local header offset), never by name.
pub fn entries(zip: &mut ZipArchive<Source>, source: &Source) -> (Vec<EntryInfo>, Vec<String>) {
    // Entries with their local header offset, to be put in the order of the zip.
    let mut out = Vec::with_capacity(zip.len());
    let mut problems = Vec::new();
    let mut kept = HashSet::with_capacity(zip.len());
    for i in 0..zip.len() {
        match zip.by_index_data(i) {
            Ok(e) => {
                kept.insert(e.header_start());
                let at = e.header_start();
                let (name, lossy) = decode_name(e.name_raw());
                // A name the zip marks as CP437 (no UTF-8 flag) that is not valid UTF-8
                // is still only shown: the crate's own decoding is not needed to read it.
                out.push((
                    at,
                    EntryInfo {
                        name,
                        entry: EntryRef::ZipIndex(i),
                        is_dir: e.is_dir(),
                        size: e.size(),
                        compressed: e.compressed_size(),
                        problem: problem_of(
                            e.encrypted(),
                            matches!(
                                e.compression(),
                                CompressionMethod::Stored | CompressionMethod::Deflated
                            ),
                            &e.compression(),
                        ),
                        lossy_name: lossy,
                    },
                ));
            }
            Err(e) => problems.push(describe_zip_error(&e)),
        }
    }
    // Members the crate's by-name index dropped (a second member with the same name).
    let max = zip.len().saturating_mul(2).saturating_add(16);
    if let Some(records) = central_records(source, zip.central_directory_start(), max) {
        for rec in records {
            if kept.contains(&rec.header_offset) {
                continue;
            }
            let (name, lossy) = decode_name(&rec.name);
            out.push((
                rec.header_offset,
                EntryInfo {
                    is_dir: name.ends_with('/'),
                    name,
                    entry: EntryRef::ZipHeaderAt(rec.header_offset),
                    size: rec.size,
                    compressed: rec.compressed,
                    problem: problem_of(rec.encrypted, matches!(rec.method, 0 | 8), &rec.method),
                    lossy_name: lossy,
                },
            ));
        }
        // In the order of the zip: the crate keeps the last of two members with one name
        // where the first was.
        out.sort_by_key(|(at, _)| *at);
    }
    (out.into_iter().map(|(_, e)| e).collect(), problems)
}

/// Opens one entry and hands its decompressed bytes to `f`.
pub fn with_entry<T>(
    zip: &mut ZipArchive<Source>,
    source: &Source,
    entry: EntryRef,
    compressed: u64,
    f: impl FnOnce(&mut dyn Read) -> T,
) -> Result<T, String> {
    match entry {
        EntryRef::ZipIndex(i) => {
            let mut file = zip.by_index(i).map_err(|e| describe_zip_error(&e))?;
            Ok(f(&mut file))
        }
        EntryRef::ZipHeaderAt(offset) => {
            let mut r = source.clone();
            r.seek(SeekFrom::Start(offset))
                .map_err(|e| format!("cannot read zip: {e}"))?;
            match zip::read::read_zipfile_from_stream_with_compressed_size(&mut r, compressed) {
                Ok(Some(mut file)) => Ok(f(&mut file)),
                Ok(None) => Err("corrupt zip: no member at its recorded offset".to_string()),
                Err(e) => Err(describe_zip_error(&e)),
            }
        }
        EntryRef::TarData(_) => Err("not a zip member".to_string()),
    }
}

/// The inputs of a zip on disk, and the problems met listing it (see [`archive::list`]).
pub fn list(archive: &Path, limits: &Limits) -> (Vec<Found>, Vec<Warning>) {
    archive::list(archive, ArchiveFormat::Zip, &ReadLimits::new(*limits))
}

/// Opens a member of a zip on disk by name (through zips nested in it, named outermost
/// first, held in memory under `gate`) and hands its decompressed bytes and its compressed
/// size to `f`. The first member with each name is found.
pub fn with_member<T>(
    archive: &Path,
    nested: &[String],
    member: &str,
    limits: &Limits,
    gate: &MemoryGate,
    f: impl FnOnce(&mut dyn Read, u64) -> T,
) -> Result<T, String> {
    let mut read_limits = ReadLimits::new(*limits);
    read_limits.nested_memory = gate.clone();
    let mut source = Source::open(archive)
        .map_err(|e| format!("cannot read zip: {}", super::discover::describe_io(&e)))?;
    let mut zip = ZipArchive::new(source.clone()).map_err(|e| describe_zip_error(&e))?;
    let mut path = Vec::with_capacity(nested.len());
    for name in nested {
        let m = member_named(&zip, name)?;
        let cap = limits.max_nested_zip_bytes;
        let bytes = with_entry(&mut zip, &source, m.entry, m.compressed, |r| {
            let mut out = Vec::new();
            r.take(cap.saturating_add(1))
                .read_to_end(&mut out)
                .map_err(|e| format!("{name}: cannot read member: {e}"))
                .map(|_| out)
        })??;
        if bytes.len() as u64 > cap {
            return Err(format!(
                "{name}: nested zip larger than {cap} bytes (--max-nested-zip-bytes)"
            ));
        }
        source = Source::memory(std::sync::Arc::new(bytes));
        zip = ZipArchive::new(source.clone()).map_err(|e| describe_zip_error(&e))?;
        path.push(NestedArchive {
            member: m,
            format: ArchiveFormat::Zip,
        });
    }
    let m = member_named(&zip, member)?;
    archive::with_member(
        archive,
        ArchiveFormat::Zip,
        &path,
        &m,
        &read_limits,
        |r, _| f(r, m.compressed),
    )
}

fn member_named(zip: &ZipArchive<Source>, name: &str) -> Result<MemberRef, String> {
    let index = zip
        .index_for_name(name)
        .ok_or_else(|| format!("{name}: not found in the zip"))?;
    let e = zip
        .by_index_data(index)
        .map_err(|e| describe_zip_error(&e))?;
    Ok(MemberRef {
        name: name.to_string(),
        entry: EntryRef::ZipIndex(index),
        size: e.size(),
        compressed: e.compressed_size(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zip_of(members: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (name, data) in members {
            w.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn with_member_by_name_through_a_nested_zip() {
        let inner = zip_of(&[("conf/server.xml", b"<Server/>")]);
        let outer = zip_of(&[("a.log", b"top\n"), ("node1/inner.zip", &inner)]);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.zip");
        std::fs::write(&path, outer).unwrap();
        let limits = Limits::default();
        let gate = MemoryGate::new(limits.max_nested_zip_bytes);
        let read = |nested: &[String], member: &str| {
            with_member(&path, nested, member, &limits, &gate, |r, _| {
                let mut s = String::new();
                r.read_to_string(&mut s).map(|_| s)
            })
        };
        assert_eq!(read(&[], "a.log").unwrap().unwrap(), "top\n");
        assert_eq!(
            read(&["node1/inner.zip".to_string()], "conf/server.xml")
                .unwrap()
                .unwrap(),
            "<Server/>"
        );
        assert!(read(&[], "missing.log").unwrap_err().contains("not found"));
        assert_eq!(gate.in_use(), 0);
    }

    #[test]
    fn unsafe_names() {
        for bad in [
            "../x.log",
            "a/../../x.log",
            "/etc/passwd",
            "C:\\x.log",
            "a\\..\\b",
        ] {
            assert!(is_unsafe_name(bad), "{bad}");
        }
        for ok in ["application-logs/atlassian-jira.log", "a..b.log", "x/.../y"] {
            assert!(!is_unsafe_name(ok), "{ok}");
        }
    }
}
