//! What the fuzz targets share: small read limits (so a decompression bomb ends fast), the
//! built-in catalog compiled once, and running arbitrary bytes through the archive stack
//! (listed, then every member read to the end) the way a scan reads a support zip.

use linkdoctor::rules::Catalog;
use linkdoctor::source::ArchiveFormat;
use linkdoctor::source::archive;
use linkdoctor::source::decode::{ReadLimits, with_input};
use linkdoctor::source::limits::Limits;
use std::io::Read;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// Limits a few MiB wide: big enough for every seed, small enough that a bomb stops at once.
pub fn small_limits() -> ReadLimits {
    ReadLimits::new(Limits {
        max_total_bytes: 4 << 20,
        max_member_bytes: 1 << 20,
        max_ratio: 200,
        max_depth: 3,
        max_nested_zip_bytes: 1 << 20,
    })
}

/// The built-in catalog, compiled once per fuzzing process.
pub fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| {
        let (catalog, errors) = linkdoctor::rules::load_catalog(&[]);
        assert!(errors.is_empty(), "built-in catalog: {errors:?}");
        catalog
    })
}

/// Reads a stream to its end (or its first error), keeping nothing.
pub fn drain(r: &mut dyn Read) -> u64 {
    let mut buf = [0u8; 64 * 1024];
    let mut total = 0u64;
    loop {
        match r.read(&mut buf) {
            Ok(0) | Err(_) => return total,
            Ok(n) => total += n as u64,
        }
    }
}

/// A file on tmpfs holding one input; removed when dropped. Each input gets a new name, so
/// nothing cached by path (parsed zip indexes, the nested archive a thread keeps) outlives it.
pub struct TempArchive(pub PathBuf);

impl TempArchive {
    pub fn new(bytes: &[u8], ext: &str) -> TempArchive {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let dir = if std::path::Path::new("/dev/shm").is_dir() {
            PathBuf::from("/dev/shm")
        } else {
            std::env::temp_dir()
        };
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = dir.join(format!("linkdoctor-fuzz-{}-{n}.{ext}", std::process::id()));
        std::fs::write(&path, bytes).expect("write the fuzz input to tmpfs");
        TempArchive(path)
    }
}

impl Drop for TempArchive {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Lists `bytes` as an archive of `format` (every member, not only logs) and reads every
/// listed member to the end through the one input stack, under [`small_limits`].
pub fn list_and_read(bytes: &[u8], format: ArchiveFormat) {
    let ext = match format {
        ArchiveFormat::Zip => "zip",
        ArchiveFormat::Tar => "tar",
        ArchiveFormat::TarGz => "tar.gz",
    };
    let file = TempArchive::new(bytes, ext);
    let limits = small_limits();
    let (found, _warnings) = archive::list_with(&file.0, format, &limits, |_| true);
    for f in &found {
        let _ = with_input(&f.input, &limits, drain);
    }
}
