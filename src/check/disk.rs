//! The one way `check` reads a file from disk (configuration files, `VERSION`, start
//! scripts, `pom.properties`, `MANIFEST.MF`, the baseline snapshot): regular files only (a
//! FIFO named `setenv.sh` would block, `/dev/zero` linked as `VERSION` never ends), and never
//! more than a cap. Every read in `check` goes through [`read_regular_capped`], so moving to
//! the shared reader of `source` is a one-line change.

use std::fs::File;
use std::io::Read;
use std::path::Path;

/// Largest configuration file read (on disk or in a zip): far above any real one.
pub const MAX_CONFIG_BYTES: u64 = 8 * 1024 * 1024;

/// The bytes of the regular file at `path` (symbolic links followed), at most `cap` of
/// them. The error says why nothing was read, for a warning naming the file.
pub fn read_regular_capped(path: &Path, cap: u64) -> Result<Vec<u8>, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read: {e}"))?;
    if !meta.is_file() {
        let what = if meta.is_dir() {
            "a directory"
        } else {
            "not a regular file (a device, FIFO or socket)"
        };
        return Err(format!("{what}; not read"));
    }
    if meta.len() > cap {
        return Err(format!(
            "{} bytes is more than the {cap}-byte limit for this file; not read",
            meta.len()
        ));
    }
    let file = File::open(path).map_err(|e| format!("cannot read: {e}"))?;
    // The file was regular when looked at; `open` follows the same link, but the file may
    // have been replaced in between: the `take` keeps the cap whatever it became.
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read: {e}"))?;
    if bytes.len() as u64 > cap {
        return Err(format!(
            "grew past the {cap}-byte limit for this file while being read; not read"
        ));
    }
    Ok(bytes)
}

/// [`read_regular_capped`] as text: UTF-8 (a byte-order mark dropped), else ISO-8859-1
/// (what `java.util.Properties` assumes), so no byte is lost or refused.
pub fn read_text(path: &Path, cap: u64) -> Result<String, String> {
    read_regular_capped(path, cap).map(bytes_to_text)
}

/// Bytes as text: UTF-8 without a byte-order mark, else ISO-8859-1.
pub fn bytes_to_text(bytes: Vec<u8>) -> String {
    match String::from_utf8(bytes) {
        Ok(s) => s.strip_prefix('\u{feff}').map(str::to_string).unwrap_or(s),
        Err(e) => e.into_bytes().iter().map(|&b| char::from(b)).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regular_files_within_the_cap_only() {
        let t = tempfile::tempdir().unwrap();
        let f = t.path().join("VERSION");
        std::fs::write(&f, "9.4.2\n").unwrap();
        assert_eq!(read_text(&f, 100).unwrap(), "9.4.2\n");
        assert!(read_regular_capped(&f, 3).unwrap_err().contains("limit"));
        assert!(
            read_regular_capped(t.path(), 100)
                .unwrap_err()
                .contains("directory")
        );
        assert!(
            read_regular_capped(&t.path().join("nope"), 100)
                .unwrap_err()
                .contains("cannot read")
        );
    }

    #[cfg(unix)]
    #[test]
    fn devices_and_fifos_are_not_read() {
        let t = tempfile::tempdir().unwrap();
        let zero = t.path().join("VERSION");
        std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
        assert!(
            read_regular_capped(&zero, 1 << 20)
                .unwrap_err()
                .contains("not a regular file")
        );
        let fifo = t.path().join("setenv.sh");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if made.is_ok_and(|s| s.success()) {
            assert!(
                read_regular_capped(&fifo, 1 << 20)
                    .unwrap_err()
                    .contains("not a regular file")
            );
        }
    }

    #[test]
    fn latin1_fallback() {
        assert_eq!(bytes_to_text(vec![b'a', 0xe9]), "aé");
        assert_eq!(bytes_to_text("\u{feff}x".as_bytes().to_vec()), "x");
    }
}
