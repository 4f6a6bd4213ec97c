//! Build script: records for `--version` the git commit the binary was built from (when
//! built from a git checkout; "unknown" otherwise, as from a crates.io tarball), a digest of
//! the embedded rule files (the catalog version) and the number of built-in rules.

use std::path::Path;
use std::process::Command;

/// 64-bit FNV-1a: a stable digest with no dependency (not a security hash: it only tells
/// two catalogs apart).
fn fnv1a(data: &[u8], mut h: u64) -> u64 {
    for &b in data {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let s = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (!s.is_empty()).then_some(s)
}

fn main() {
    println!("cargo:rerun-if-changed=rules");
    println!("cargo:rerun-if-changed=build.rs");
    let mut files: Vec<_> = std::fs::read_dir("rules")
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    let mut digest = 0xcbf2_9ce4_8422_2325u64;
    let mut rules = 0usize;
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
        let name = f.file_name().map(|n| n.to_string_lossy().into_owned());
        digest = fnv1a(name.unwrap_or_default().as_bytes(), digest);
        if let Ok(text) = std::fs::read(f) {
            digest = fnv1a(&text, digest);
            rules += text
                .split(|&b| b == b'\n')
                .filter(|l| l.starts_with(b"  - id: "))
                .count();
        }
    }
    let commit = git(&["rev-parse", "--short=12", "HEAD"]).unwrap_or_else(|| "unknown".into());
    // Rebuild when HEAD moves (a worktree's git dir is not `.git/`).
    if let Some(dir) = git(&["rev-parse", "--git-dir"]) {
        let head = Path::new(&dir).join("HEAD");
        println!("cargo:rerun-if-changed={}", head.display());
        if let Some(r) = git(&["symbolic-ref", "-q", "HEAD"]) {
            let common = git(&["rev-parse", "--git-common-dir"]).unwrap_or(dir);
            println!(
                "cargo:rerun-if-changed={}",
                Path::new(&common).join(r).display()
            );
        }
    }
    println!("cargo:rustc-env=LINKDOCTOR_COMMIT={commit}");
    println!("cargo:rustc-env=LINKDOCTOR_CATALOG_DIGEST={digest:016x}");
    println!("cargo:rustc-env=LINKDOCTOR_CATALOG_RULES={rules}");
    let inflate = if std::env::var_os("CARGO_FEATURE_ISAL").is_some() {
        "ISA-L"
    } else {
        "zlib-rs"
    };
    println!("cargo:rustc-env=LINKDOCTOR_INFLATE={inflate}");
}
