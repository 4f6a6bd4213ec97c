//! Reading a small configuration-like file whole (`--rules`, `--state`, `VERSION`,
//! `setenv.sh`), safely: only regular files are read (a FIFO, a device, a socket or a
//! directory is refused with a clear message, judged from metadata before opening, and
//! the file is opened non-blocking on unix so a file swapped for a FIFO in between cannot
//! hang the read), and never more than a size cap.

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// Why a file could not be read.
#[derive(Debug)]
pub enum ReadError {
    /// The path does not exist, cannot be opened or failed while reading.
    Io { path: PathBuf, error: io::Error },
    /// The path is a directory, FIFO, socket or device.
    NotRegular { path: PathBuf, kind: &'static str },
    /// The file holds more than the cap.
    TooLarge { path: PathBuf, cap: u64 },
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::Io { path, error } => write!(
                f,
                "{}: cannot read: {}",
                path.display(),
                super::discover::describe_io(error)
            ),
            ReadError::NotRegular { path, kind } => write!(
                f,
                "{}: is a {kind}, not a regular file; not read",
                path.display()
            ),
            ReadError::TooLarge { path, cap } => {
                write!(f, "{}: larger than {cap} bytes; not read", path.display())
            }
        }
    }
}

impl std::error::Error for ReadError {}

fn kind_of(ft: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_fifo() {
            return "FIFO (named pipe)";
        }
        if ft.is_socket() {
            return "socket";
        }
        if ft.is_block_device() || ft.is_char_device() {
            return "device";
        }
    }
    if ft.is_dir() {
        "directory"
    } else {
        "special file"
    }
}

fn open_nonblocking(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // O_NONBLOCK: opening a FIFO without a writer would otherwise block forever.
        const O_NONBLOCK: i32 = if cfg!(any(target_os = "macos", target_os = "ios")) {
            0x0004
        } else {
            0o4000
        };
        options.custom_flags(O_NONBLOCK);
    }
    options.open(path)
}

/// Reads the regular file at `path` whole, refusing anything that is not a regular file
/// (symbolic links are followed) and any file larger than `cap` bytes.
pub fn read_regular_capped(path: &Path, cap: u64) -> Result<Vec<u8>, ReadError> {
    let io_err = |error| ReadError::Io {
        path: path.to_path_buf(),
        error,
    };
    let meta = std::fs::metadata(path).map_err(io_err)?;
    if !meta.is_file() {
        return Err(ReadError::NotRegular {
            path: path.to_path_buf(),
            kind: kind_of(&meta.file_type()),
        });
    }
    if meta.len() > cap {
        return Err(ReadError::TooLarge {
            path: path.to_path_buf(),
            cap,
        });
    }
    let file = open_nonblocking(path).map_err(io_err)?;
    // Checked again on the open file: the path may have been replaced in between.
    let opened = file.metadata().map_err(io_err)?;
    if !opened.is_file() {
        return Err(ReadError::NotRegular {
            path: path.to_path_buf(),
            kind: kind_of(&opened.file_type()),
        });
    }
    let mut out = Vec::with_capacity(opened.len().min(cap) as usize);
    file.take(cap.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(io_err)?;
    if out.len() as u64 > cap {
        return Err(ReadError::TooLarge {
            path: path.to_path_buf(),
            cap,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_regular_files_under_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("VERSION");
        std::fs::write(&p, b"9.12.0\n").unwrap();
        assert_eq!(read_regular_capped(&p, 100).unwrap(), b"9.12.0\n");
        assert_eq!(read_regular_capped(&p, 7).unwrap(), b"9.12.0\n");
        let err = read_regular_capped(&p, 6).unwrap_err();
        assert!(matches!(err, ReadError::TooLarge { cap: 6, .. }), "{err}");
        assert!(err.to_string().contains("larger than 6 bytes"), "{err}");
    }

    #[test]
    fn refuses_directories_and_missing_files() {
        let dir = tempfile::tempdir().unwrap();
        let err = read_regular_capped(dir.path(), 100).unwrap_err();
        assert!(err.to_string().contains("is a directory"), "{err}");
        let err = read_regular_capped(&dir.path().join("gone"), 100).unwrap_err();
        assert!(err.to_string().contains("no such file"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn refuses_a_fifo_without_hanging() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("state.json");
        let c = std::ffi::CString::new(p.to_str().unwrap()).unwrap();
        // SAFETY: mkfifo on a valid, NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let err = read_regular_capped(&p, 100).unwrap_err();
        assert!(err.to_string().contains("FIFO"), "{err}");
        let dev = read_regular_capped(Path::new("/dev/null"), 100).unwrap_err();
        assert!(dev.to_string().contains("device"), "{dev}");
    }
}
