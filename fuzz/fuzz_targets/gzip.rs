//! Arbitrary bytes as one input stream: the decoders chosen by its first bytes (gzip,
//! UTF-16, byte-order marks, CR-only line ends) under small limits, read to the end by the
//! scanner with the built-in catalog. Then the same bytes decoded ahead into windows, with
//! the gzip checksums left to the reading side (`--features isal`; the default backend
//! checks in place): the bytes and the error that ends them must be those read in place.
#![no_main]

use libfuzzer_sys::fuzz_target;
use linkdoctor::scan::{ScanSettings, scan_to_vec};
use linkdoctor::source::ahead::{Framing, fill, with_windows};
use linkdoctor::source::decode::{decode_deferring, decode_limited};

/// Small windows, so that streams of a few KiB span many, cut after their last line feed.
const CAP: usize = 4096;
const GROW_FROM: usize = 1024;

fn after_last_newline(w: &[u8]) -> usize {
    w.iter().rposition(|&b| b == b'\n').map_or(w.len(), |i| i + 1)
}

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

    // In place, read as the scanner reads (one buffer growing from 1 KiB to 4 KiB, cut after
    // its last line feed): every byte, and the error that stopped the reading.
    let limits = linkdoctor_fuzz::small_limits();
    let Ok(mut reader) = decode_limited(Box::new(data), &limits) else {
        return;
    };
    let (mut buf, mut len, mut in_place) = (Vec::new(), 0, Vec::new());
    let in_place_error = loop {
        let before = len;
        let end = fill(&mut reader, &mut buf, &mut len, CAP, GROW_FROM);
        in_place.extend_from_slice(&buf[before..len]);
        match end {
            Ok(false) => {}
            Ok(true) => break None,
            Err(e) => break Some(e.to_string()),
        }
        let cut = after_last_newline(&buf[..len]);
        buf.copy_within(cut..len, 0);
        len -= cut;
    };
    // Ahead, in windows of 4 KiB, the checksums checked as the windows arrive.
    let limits = linkdoctor_fuzz::small_limits();
    let framing = Framing {
        cap: CAP,
        grow_from: GROW_FROM,
        cut: &after_last_newline,
    };
    let ahead = with_windows(
        || decode_deferring(Box::new(data), &limits, true),
        &framing,
        |windows| {
            let mut out = Vec::new();
            while let Some(w) = windows.next_window() {
                out.extend_from_slice(w.added());
                match w.end {
                    Ok(false) => windows.recycle(w.buf),
                    Ok(true) => return (out, None),
                    Err(e) => return (out, Some(e.to_string())),
                }
            }
            (out, None)
        },
    );
    if let Ok(ahead) = ahead {
        assert_eq!(ahead, (in_place, in_place_error));
    }
});
