//! Cutting each input into parts to scan: the whole input through its decoder, byte ranges
//! of a big plain file split at event heads (so one 5 GB `catalina.out` keeps every core
//! busy), or a compressed stream whose first bytes were read by an earlier run.

use super::resume::Resumed;
use crate::source::chunk;
use crate::source::decode;
use crate::source::{Input, Location};
use crate::warning::Warning;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

/// One piece of work: a part of one input.
#[derive(Debug, Clone)]
pub enum Part {
    /// The whole input, through its decoder.
    Whole,
    /// Bytes `[start, end)` of a plain file (the input's own file).
    Range {
        start: u64,
        end: u64,
        at_input_start: bool,
    },
    /// A compressed stream, skipping the first `skip` decoded bytes (read by an earlier run).
    SkipDecoded { skip: u64 },
    /// The input could not be planned (it vanished, cannot be read): only a warning.
    Unreadable(Box<Warning>),
}

/// Where reading one input starts.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// Line number of the first part's first line.
    pub first_line: u64,
    /// Offset of the first part's first byte.
    pub first_offset: u64,
}

/// Plans one input. `resumed` says where an earlier run stopped (`--state`); with a state,
/// a plain file is read only up to its last complete line (the rest is read next time).
pub fn plan_input(
    input: &Input,
    resumed: Option<&Resumed>,
    with_state: bool,
    chunk_bytes: u64,
) -> (Plan, Vec<Part>) {
    let start = resumed.map_or(0, |r| r.offset);
    let first_line = resumed.map_or(1, |r| r.line);
    // A compressed stream can only be resumed by decoding and skipping what was read before.
    let plan = Plan {
        first_line,
        first_offset: start,
    };
    let decoded_from = |start: u64| {
        let part = if start > 0 {
            Part::SkipDecoded { skip: start }
        } else {
            Part::Whole
        };
        (plan, vec![part])
    };
    let path = match &input.location {
        Location::File(path) => path,
        _ => return decoded_from(start),
    };
    if input
        .plain
        .map_or_else(|| decode::needs_decoder(path), |plain| !plain)
    {
        return decoded_from(start);
    }
    // The size the walk saw when it opened the file (a fleet share's files are not stat'ed
    // twice); a file that changes after that is read as far as it was planned (a shrunk
    // or vanished one is reported when it is read).
    let size = input
        .size
        .map_or_else(|| std::fs::metadata(path).map(|meta| meta.len()), Ok);
    let planned = size.and_then(|size| {
        let end = if with_state {
            last_line_end(path, start, size)?
        } else {
            size
        };
        chunk::plan(path, start, end, chunk_bytes)
    });
    match planned {
        Ok(ranges) => (
            plan,
            ranges
                .into_iter()
                .enumerate()
                .map(|(i, (s, e))| Part::Range {
                    start: s,
                    end: e,
                    at_input_start: i == 0 && start == 0,
                })
                .collect(),
        ),
        Err(e) => (
            plan,
            vec![Part::Unreadable(Box::new(Warning::new(
                input.display.as_str(),
                format!("cannot read: {}", crate::source::discover::describe_io(&e)),
            )))],
        ),
    }
}

/// The end of the last complete line in `[start, end)` of a file (`start` if none).
pub fn last_line_end(path: &Path, start: u64, end: u64) -> io::Result<u64> {
    let mut f = File::open(path)?;
    let mut pos = end;
    let mut buf = vec![0u8; 64 * 1024];
    while pos > start {
        let from = pos.saturating_sub(buf.len() as u64).max(start);
        let len = (pos - from) as usize;
        f.seek(SeekFrom::Start(from))?;
        f.read_exact(&mut buf[..len])?;
        if let Some(i) = memchr::memrchr(b'\n', &buf[..len]) {
            return Ok(from + i as u64 + 1);
        }
        pos = from;
    }
    Ok(start)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_complete_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.log");
        std::fs::write(&path, b"one\ntwo\nthree-partial").unwrap();
        assert_eq!(last_line_end(&path, 0, 21).unwrap(), 8);
        assert_eq!(last_line_end(&path, 8, 21).unwrap(), 8);
        assert_eq!(last_line_end(&path, 0, 3).unwrap(), 0);
    }
}
