//! Arbitrary bytes as a plain log, scanned with the built-in catalog: event assembly,
//! timestamps, classification and extraction. The first byte picks the log's product (or
//! none), and stays part of the log.
#![no_main]

use libfuzzer_sys::fuzz_target;
use linkdoctor::model::Product;
use linkdoctor::scan::{ScanSettings, scan_to_vec};

fuzz_target!(|data: &[u8]| {
    let product = data.first().and_then(|b| {
        Product::ALL
            .get(*b as usize % (Product::ALL.len() + 1))
            .copied()
    });
    let catalog = linkdoctor_fuzz::catalog();
    let _ = scan_to_vec(data, "fuzz.log", product, catalog, &ScanSettings::default());
});
