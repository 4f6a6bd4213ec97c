//! `--state`: everything incremental scans need, in one place. Before the scan, each input
//! is probed (identity and first bytes) and matched against the saved state to learn where
//! to resume; after it, the new state is built from what each input's parts read. The state
//! file's format, matching and atomic saving are `source::state`'s.

use crate::source::decode::{self, ReadLimits};
use crate::source::state::{self, FINGERPRINT_BYTES, FileState, Probe, State};
use crate::source::{Input, Location};
use rayon::prelude::*;
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

/// Where an earlier run stopped in an input, and the input's identity now.
#[derive(Debug, Clone)]
pub struct Resumed {
    /// Decoded bytes already read.
    pub offset: u64,
    /// Line number at `offset`.
    pub line: u64,
}

/// What the state knows about the inputs of this run.
pub struct Incremental {
    /// Per input: its probe (`None` for inputs the state does not track: standard input,
    /// files that could not be probed).
    probes: Vec<Option<Probe>>,
    /// Per input: where to resume.
    resumes: Vec<Option<Resumed>>,
    new_state: State,
}

impl Incremental {
    /// Probes every input (in parallel) and matches it against `old`.
    pub fn prepare(old: &State, inputs: &[Input], limits: &ReadLimits) -> Incremental {
        let probes: Vec<Option<Probe>> = inputs
            .par_iter()
            .map(|input| match &input.location {
                Location::File(path) => probe_file(path, &input.display, limits).ok(),
                Location::Member(m) => probe_member(input, &m.archive, limits),
                Location::Stdin => None,
            })
            .collect();
        let present: Vec<Probe> = probes.iter().flatten().cloned().collect();
        let mut found = old.resume_all(&present).into_iter();
        let resumes = probes
            .iter()
            .map(|p| {
                p.as_ref().and_then(|_| {
                    found.next().flatten().map(|r| Resumed {
                        offset: r.offset,
                        line: r.line,
                    })
                })
            })
            .collect();
        Incremental {
            probes,
            resumes,
            new_state: State::default(),
        }
    }

    /// Where input `i` resumes, if an earlier run read part of it.
    pub fn resumed(&self, i: usize) -> Option<&Resumed> {
        self.resumes[i].as_ref()
    }

    /// Records that input `i`, read from `start` (line `first_line`), was read for `bytes`
    /// more decoded bytes and `lines` more lines.
    pub fn record(&mut self, i: usize, start: u64, first_line: u64, bytes: u64, lines: u64) {
        let Some(probe) = self.probes[i].take() else {
            return;
        };
        self.new_state.files.insert(
            probe.path.clone(),
            FileState::read_to(&probe, start, bytes, first_line, lines),
        );
    }

    /// The state to save once the report is out.
    pub fn into_state(self) -> State {
        self.new_state
    }
}

/// Identity and first decoded bytes of a zip member, for the state: the zip's device and
/// inode, and the member's own first bytes.
fn probe_member(input: &Input, archive: &Path, limits: &ReadLimits) -> Option<Probe> {
    let meta = std::fs::metadata(archive).ok()?;
    let (device, inode) = state::identity(&meta);
    let head = decode::with_input(input, limits, |reader| {
        let mut head = Vec::with_capacity(FINGERPRINT_BYTES);
        reader
            .take(FINGERPRINT_BYTES as u64)
            .read_to_end(&mut head)
            .map(|_| head)
    })
    .ok()?
    .ok()?;
    Some(Probe {
        path: input.display.clone(),
        device,
        inode,
        decoded_size: None,
        head,
    })
}

/// Identity and first decoded bytes of a file, for the state.
fn probe_file(path: &Path, display: &str, limits: &ReadLimits) -> io::Result<Probe> {
    let meta = std::fs::metadata(path)?;
    let (device, inode) = state::identity(&meta);
    let gz = decode::needs_decoder(path);
    let mut head = Vec::with_capacity(FINGERPRINT_BYTES);
    let reader = decode::decode_limited(Box::new(File::open(path)?), limits)?;
    reader
        .take(FINGERPRINT_BYTES as u64)
        .read_to_end(&mut head)?;
    Ok(Probe {
        path: display.to_string(),
        device,
        inode,
        decoded_size: (!gz).then_some(meta.len()),
        head,
    })
}
