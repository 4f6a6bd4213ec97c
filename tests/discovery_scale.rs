//! Memory of discovery on a big tree, measured by hand (ignored by default):
//! `LINKDOCTOR_TREE=/tmp/tree cargo test --test discovery_scale -- --ignored --nocapture`
//! prints how many inputs were found and the process's peak resident memory before and
//! after discovery (Linux `getrusage`), so discovery's own share can be told apart from
//! the scan's. Run under `/usr/bin/time -v` for the whole process.

use linkdoctor::source::discover::discover;
use linkdoctor::source::limits::Limits;

fn peak_rss_kb() -> i64 {
    // SAFETY: getrusage fills the struct it is given.
    unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage.ru_maxrss
    }
}

#[test]
#[ignore = "needs a generated tree in LINKDOCTOR_TREE"]
fn discovery_memory_on_a_big_tree() {
    let Ok(tree) = std::env::var("LINKDOCTOR_TREE") else {
        return;
    };
    let before = peak_rss_kb();
    let found = discover(&[tree], &Limits::default());
    let after = peak_rss_kb();
    println!(
        "size of Found: {} bytes, of Location: {} bytes",
        std::mem::size_of::<linkdoctor::source::Found>(),
        std::mem::size_of::<linkdoctor::source::Location>()
    );
    println!(
        "inputs: {}, warnings: {}, peak RSS before: {before} KB, after: {after} KB",
        found.inputs.len(),
        found.warnings.len()
    );
    assert!(!found.inputs.is_empty());
}
