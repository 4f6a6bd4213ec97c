//! Tar archives (support bundles and log archives, plain or gzip-compressed) read in place
//! with the `tar` crate: recognised by `ustar` at offset 257 (for a gzip, of its decoded
//! stream), listed front to back with each member's data offset, so a member can later be
//! read at its offset without reading the others. Only regular files are members; links,
//! devices and sparse files are passed over.

use super::EntryRef;
use super::archive::EntryInfo;
use flate2::read::MultiGzDecoder;
use std::io::{Read, Seek};

/// Does this block start a tar (POSIX `ustar` or GNU `ustar  ` magic at offset 257)?
pub fn is_tar_head(head: &[u8]) -> bool {
    head.len() >= 262 && &head[257..262] == b"ustar"
}

/// The first decoded bytes of a gzip stream (as many as `head` yields, up to one tar
/// header block).
pub fn gunzip_head(head: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(512);
    // An error (truncated head) just ends the sample.
    let _ = MultiGzDecoder::new(head).take(512).read_to_end(&mut out);
    out
}

/// Calls `f` with every regular-file member of the tar read from `reader`, and a reader of
/// its data. A broken archive ends the listing with an error (members before it are kept).
pub fn for_each_entry(
    reader: Box<dyn Read + '_>,
    f: impl FnMut(EntryInfo, &mut dyn Read),
) -> Result<(), String> {
    let mut archive = ::tar::Archive::new(reader);
    let entries = archive.entries().map_err(|e| describe(&e))?;
    visit(entries, f)
}

/// [`for_each_entry`] on a tar that can seek: the data of members `f` does not read is
/// skipped by seeking, not read.
pub fn for_each_entry_seekable<R: Read + Seek>(
    reader: R,
    f: impl FnMut(EntryInfo, &mut dyn Read),
) -> Result<(), String> {
    let mut archive = ::tar::Archive::new(reader);
    let entries = archive.entries_with_seek().map_err(|e| describe(&e))?;
    visit(entries, f)
}

fn visit<R: Read>(
    entries: ::tar::Entries<'_, R>,
    mut f: impl FnMut(EntryInfo, &mut dyn Read),
) -> Result<(), String> {
    for entry in entries {
        let mut entry = entry.map_err(|e| describe(&e))?;
        let kind = entry.header().entry_type();
        let is_dir = kind.is_dir();
        if !is_dir && !kind.is_file() {
            continue;
        }
        let raw = entry.path_bytes().into_owned();
        let (name, lossy_name) = match String::from_utf8(raw) {
            Ok(n) => (n, false),
            Err(e) => (String::from_utf8_lossy(e.as_bytes()).into_owned(), true),
        };
        let size = entry.size();
        let info = EntryInfo {
            name,
            entry: EntryRef::TarData(entry.raw_file_position()),
            is_dir,
            size,
            compressed: size,
            problem: None,
            lossy_name,
        };
        f(info, &mut entry);
    }
    Ok(())
}

fn describe(e: &std::io::Error) -> String {
    let msg = e.to_string();
    // Limit errors from the decoder below say what they are; keep them as they are.
    if msg.contains("--max-") || msg.contains("gzip") {
        msg
    } else {
        format!("corrupt or truncated tar: {msg}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tar_of(members: &[(&str, &[u8])]) -> Vec<u8> {
        let mut b = ::tar::Builder::new(Vec::new());
        for (name, data) in members {
            let mut h = ::tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            b.append_data(&mut h, name, *data).unwrap();
        }
        b.into_inner().unwrap()
    }

    #[test]
    fn lists_members_with_data_offsets() {
        let bytes = tar_of(&[("logs/a.log", b"alpha\n"), ("logs/b.log", b"beta\n")]);
        assert!(is_tar_head(&bytes));
        assert!(!is_tar_head(b"2024-01-01 plain log"));
        let mut seen = Vec::new();
        for_each_entry(Box::new(&bytes[..]), |e, data| {
            let mut body = String::new();
            data.read_to_string(&mut body).unwrap();
            let EntryRef::TarData(at) = e.entry else {
                panic!("tar entry")
            };
            let at = at as usize;
            assert_eq!(&bytes[at..at + e.size as usize], body.as_bytes());
            seen.push(e.name);
        })
        .unwrap();
        assert_eq!(seen, ["logs/a.log", "logs/b.log"]);
    }

    #[test]
    fn seekable_listing_skips_data_it_does_not_read() {
        let bytes = tar_of(&[("a.log", &[b'a'; 3000]), ("b.log", b"beta\n")]);
        let mut names = Vec::new();
        for_each_entry_seekable(std::io::Cursor::new(&bytes), |e, data| {
            if e.name == "b.log" {
                let mut body = String::new();
                data.read_to_string(&mut body).unwrap();
                assert_eq!(body, "beta\n");
            }
            names.push(e.name);
        })
        .unwrap();
        assert_eq!(names, ["a.log", "b.log"]);
    }

    #[test]
    fn truncated_tar_is_an_error() {
        let mut bytes = tar_of(&[("a.log", &[b'x'; 5000])]);
        bytes.truncate(1000);
        let err = for_each_entry(Box::new(&bytes[..]), |_, data| {
            let _ = std::io::copy(data, &mut std::io::sink());
        });
        // Either the entry's data or the next header is missing.
        assert!(err.is_err());
    }
}
