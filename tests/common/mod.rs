//! Helpers shared by the CLI test files: the binary under test, files and gzip data made on
//! the fly, and reading warnings out of a JSON report. Each test file uses some of them.
#![allow(dead_code)]

use assert_cmd::Command;
use flate2::{Compression, write::GzEncoder};
use serde_json::Value;
use std::io::Write;
use std::path::Path;

/// The `linkdoctor` binary, with the caller's NO_COLOR removed so colour tests are exact,
/// and the scan time fixed (`SOURCE_DATE_EPOCH`), so outputs of two runs compare byte for
/// byte.
pub fn linkdoctor() -> Command {
    let mut c = Command::cargo_bin("linkdoctor").expect("binary is built");
    c.env_remove("NO_COLOR");
    c.env("SOURCE_DATE_EPOCH", "1700000000");
    c
}

/// Writes `data` to `dir/name`, creating folders; returns the path as text.
pub fn write(dir: &Path, name: &str, data: &[u8]) -> String {
    let p = dir.join(name);
    std::fs::create_dir_all(p.parent().expect("a parent folder")).expect("create folders");
    std::fs::write(&p, data).expect("write file");
    p.display().to_string()
}

/// `data` gzip-compressed.
pub fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::best());
    e.write_all(data).expect("compress");
    e.finish().expect("finish gzip")
}

/// The warnings of a JSON report as `path: message` lines.
pub fn warnings(v: &Value) -> Vec<String> {
    v["warnings"]
        .as_array()
        .expect("warnings array")
        .iter()
        .map(|w| {
            format!(
                "{}: {}",
                w["path"].as_str().unwrap_or(""),
                w["message"].as_str().unwrap_or("")
            )
        })
        .collect()
}
