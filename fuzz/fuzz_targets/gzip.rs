//! Arbitrary bytes as one input stream: the decoders chosen by its first bytes (gzip,
//! UTF-16, byte-order marks, CR-only line ends) under small limits, read to the end by the
//! scanner with the built-in catalog.
#![no_main]

use libfuzzer_sys::fuzz_target;
use linkdoctor::scan::{ScanSettings, scan_to_vec};
use linkdoctor::source::decode::decode_limited;

fuzz_target!(|data: &[u8]| {
    let limits = linkdoctor_fuzz::small_limits();
    let Ok(reader) = decode_limited(Box::new(data), &limits) else {
        return;
    };
    let catalog = linkdoctor_fuzz::catalog();
    let _ = scan_to_vec(
        reader,
        "fuzz.log.gz",
        None,
        catalog,
        &ScanSettings::default(),
    );
});
