//! Every way of reading the same bytes gives the same report, byte for byte: a plain file
//! read (the default) or memory-mapped (`--mmap`), whole or cut into chunks, and the same log
//! gzipped, inflated in place (1 thread) or ahead of the scan on a second thread (2 threads).

mod common;
use common::linkdoctor;
use flate2::{Compression, write::GzEncoder};
use std::io::Write;
use std::path::Path;
use std::time::{Duration, SystemTime};

/// About 40 MiB of the bundled Jira sample log, repeated: big enough to be mapped
/// (`source::mapped::MIN_MAP_BYTES` is 16 MiB) and to be cut into chunks.
fn big_log() -> Vec<u8> {
    let sample = std::fs::read("sample-logs/jira-home/log/atlassian-jira.log").unwrap();
    let mut out = Vec::with_capacity(41 << 20);
    while out.len() < 40 << 20 {
        out.extend_from_slice(&sample);
    }
    out
}

/// Writes `data` as `dir/atlassian-jira.log`, dated two hours back (quiet, so mappable).
fn write_old(dir: &Path, data: &[u8]) {
    let path = dir.join("atlassian-jira.log");
    std::fs::write(&path, data).unwrap();
    let f = std::fs::File::options().write(true).open(&path).unwrap();
    f.set_modified(SystemTime::now() - Duration::from_secs(7200))
        .unwrap();
}

/// The JSON report of a scan run inside `dir`, so inputs have the same names everywhere.
fn scan_in(dir: &Path, args: &[&str]) -> String {
    let out = linkdoctor()
        .current_dir(dir)
        .args(["scan", "--format", "json", "--quiet", "--timezone", "UTC"])
        .args(args)
        .arg("atlassian-jira.log")
        .output()
        .unwrap();
    assert!(out.status.code().is_some_and(|c| c <= 1), "{out:?}");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn mapped_read_chunked_and_gzipped_reports_are_identical() {
    let text = big_log();
    let plain = tempfile::tempdir().unwrap();
    write_old(plain.path(), &text);
    let mapped = scan_in(plain.path(), &["-j", "1", "--mmap"]);
    assert!(mapped.contains("\"findings\""), "{mapped}");
    assert_eq!(mapped, scan_in(plain.path(), &["-j", "1"]));
    assert_eq!(mapped, scan_in(plain.path(), &["-j", "1", "--no-mmap"]));
    for j in ["1", "2"] {
        let chunked = scan_in(plain.path(), &["-j", j, "--chunk-bytes", "16M"]);
        assert_eq!(mapped, chunked, "chunked, {j} thread(s)");
    }

    let mut e = GzEncoder::new(Vec::new(), Compression::fast());
    e.write_all(&text).unwrap();
    let gz = e.finish().unwrap();
    assert!(gz.len() as u64 >= linkdoctor::source::decode::DECODE_AHEAD_MIN_BYTES);
    let packed = tempfile::tempdir().unwrap();
    write_old(packed.path(), &gz);
    let in_place = scan_in(packed.path(), &["-j", "1"]);
    let ahead = scan_in(packed.path(), &["-j", "2"]);
    assert_eq!(in_place, ahead, "gzip inflated in place and ahead");
    // The gzip report differs from the plain one only where it says how big the file is.
    let findings = |r: &str| {
        let v: serde_json::Value = serde_json::from_str(r).unwrap();
        v["findings"].clone()
    };
    assert_eq!(findings(&mapped), findings(&in_place));
}

#[test]
fn a_broken_gzip_reads_the_same_with_and_without_a_second_thread() {
    let text = big_log();
    let mut e = GzEncoder::new(Vec::new(), Compression::fast());
    e.write_all(&text).unwrap();
    let mut packed = e.finish().unwrap();
    // Cut past 4 MiB, so that 2 threads still inflate it ahead (DECODE_AHEAD_MIN_BYTES).
    packed.truncate(packed.len() * 4 / 5);
    assert!(packed.len() as u64 >= linkdoctor::source::decode::DECODE_AHEAD_MIN_BYTES);
    let dir = tempfile::tempdir().unwrap();
    write_old(dir.path(), &packed);
    let one = scan_in(dir.path(), &["-j", "1"]);
    assert!(one.contains("truncated gzip data"), "{one}");
    assert_eq!(one, scan_in(dir.path(), &["-j", "2"]));
}
