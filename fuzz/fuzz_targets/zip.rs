//! Arbitrary bytes as a support zip: listed (nested archives too), every member read to the end.
#![no_main]

use libfuzzer_sys::fuzz_target;
use linkdoctor::source::ArchiveFormat;

fuzz_target!(|data: &[u8]| {
    linkdoctor_fuzz::list_and_read(data, ArchiveFormat::Zip);
});
