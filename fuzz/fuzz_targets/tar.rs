//! Arbitrary bytes as a tar and as a tar.gz: listed, every member read to the end. Bytes that
//! are not gzip are also compressed and read as a tar.gz, so the tar parser behind the
//! gzip decoder (and its member-to-member cursor) sees every input too.
#![no_main]

use flate2::Compression;
use flate2::write::GzEncoder;
use libfuzzer_sys::fuzz_target;
use linkdoctor::source::ArchiveFormat;
use std::io::Write;

fuzz_target!(|data: &[u8]| {
    if data.starts_with(&[0x1f, 0x8b]) {
        linkdoctor_fuzz::list_and_read(data, ArchiveFormat::TarGz);
        return;
    }
    linkdoctor_fuzz::list_and_read(data, ArchiveFormat::Tar);
    let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
    gz.write_all(data).expect("compress in memory");
    let compressed = gz.finish().expect("compress in memory");
    linkdoctor_fuzz::list_and_read(&compressed, ArchiveFormat::TarGz);
});
