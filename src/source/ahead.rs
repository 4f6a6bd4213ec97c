//! Decoding ahead on a second thread: the thread that scans a gzip stream would otherwise
//! spend most of its time inflating, with the other core idle while only one big `.gz` is
//! left. [`with_read_ahead`] runs the decoder on its own thread, a few buffers ahead of the
//! scanner, and hands the scanner a plain reader of the same bytes in the same order, so
//! the output does not change.
//!
//! The decoder stack is built on the new thread (it need not be `Send`): building it may
//! fail (a bad gzip header), and that error is returned exactly as when the stack is built
//! in place, before any byte is read.

use std::io::{self, Read};
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};

/// Bytes decoded per hand-over.
const CHUNK_BYTES: usize = 4 * 1024 * 1024;
/// Buffers the decoder may run ahead of the scanner.
const AHEAD: usize = 2;

/// Builds a reader with `open` on a second thread and calls `f` with a reader of its bytes.
/// Returns `open`'s error, if any, without calling `f`.
pub fn with_read_ahead<T, R: Read>(
    open: impl FnOnce() -> io::Result<R> + Send,
    f: impl FnOnce(&mut dyn Read) -> T,
) -> io::Result<T> {
    std::thread::scope(|scope| {
        let (ready_tx, ready_rx) = mpsc::sync_channel::<io::Result<()>>(1);
        let (full_tx, full_rx) = mpsc::sync_channel::<io::Result<Vec<u8>>>(AHEAD);
        let (free_tx, free_rx) = mpsc::channel::<Vec<u8>>();
        scope.spawn(move || match open() {
            Ok(reader) => {
                if ready_tx.send(Ok(())).is_ok() {
                    decode_into(reader, &full_tx, &free_rx);
                }
            }
            Err(e) => {
                let _ = ready_tx.send(Err(e));
            }
        });
        match ready_rx.recv() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(e),
            Err(_) => return Err(io::Error::other("the decoding thread ended early")),
        }
        let mut ahead = AheadReader {
            full: full_rx,
            free: free_tx,
            current: Vec::new(),
            pos: 0,
        };
        let out = f(&mut ahead);
        // Dropping the receiver stops a decoder that is still running (the scanner may stop
        // early, at a binary file for one).
        drop(ahead);
        Ok(out)
    })
}

/// The decoding thread: fills buffers and sends them until the input ends or fails, or
/// until the scanner goes away. A buffer comes back from the scanner still initialised, so
/// it is read into as a slice: reading into a `Vec`'s spare capacity would zero it first.
fn decode_into<R: Read>(
    mut reader: R,
    full: &SyncSender<io::Result<Vec<u8>>>,
    free: &Receiver<Vec<u8>>,
) {
    loop {
        let mut buf = free.try_recv().unwrap_or_default();
        // Only a buffer new or cut short by the input's end has bytes to zero here.
        buf.resize(CHUNK_BYTES, 0);
        let mut filled = 0;
        // Bytes read before an error stay in `buf` and are sent before the error.
        let result = loop {
            if filled == buf.len() {
                break Ok(());
            }
            match reader.read(&mut buf[filled..]) {
                Ok(0) => break Ok(()),
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => break Err(e),
            }
        };
        buf.truncate(filled);
        let read_any = filled > 0;
        if read_any && full.send(Ok(buf)).is_err() {
            return;
        }
        match result {
            Ok(()) if read_any => {}
            Ok(()) => return,
            Err(e) => {
                let _ = full.send(Err(e));
                return;
            }
        }
    }
}

/// The scanner's side: reads the decoded buffers in order and gives them back for reuse.
struct AheadReader {
    full: Receiver<io::Result<Vec<u8>>>,
    free: Sender<Vec<u8>>,
    current: Vec<u8>,
    pos: usize,
}

impl Read for AheadReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        while self.pos == self.current.len() {
            match self.full.recv() {
                Ok(Ok(next)) => {
                    let used = std::mem::replace(&mut self.current, next);
                    let _ = self.free.send(used);
                    self.pos = 0;
                }
                Ok(Err(e)) => return Err(e),
                // The decoder finished: end of input.
                Err(_) => return Ok(0),
            }
        }
        let n = out.len().min(self.current.len() - self.pos);
        out[..n].copy_from_slice(&self.current[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Yields `data`, then fails with `error` (if any).
    struct Failing {
        data: io::Cursor<Vec<u8>>,
        error: Option<&'static str>,
    }

    impl Read for Failing {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.data.read(buf)?;
            if n == 0
                && let Some(e) = self.error.take()
            {
                return Err(io::Error::other(e));
            }
            Ok(n)
        }
    }

    #[test]
    fn same_bytes_in_the_same_order() {
        let data: Vec<u8> = (0..3 * CHUNK_BYTES + 12345)
            .map(|i| (i % 251) as u8)
            .collect();
        let copy = data.clone();
        let out = with_read_ahead(
            || Ok(io::Cursor::new(copy)),
            |r| {
                let mut v = Vec::new();
                r.read_to_end(&mut v).unwrap();
                v
            },
        )
        .unwrap();
        assert_eq!(out, data);
    }

    #[test]
    fn errors_come_after_the_bytes_before_them() {
        let res = with_read_ahead(
            || {
                Ok(Failing {
                    data: io::Cursor::new(b"abc".to_vec()),
                    error: Some("corrupt gzip data"),
                })
            },
            |r| {
                let mut v = Vec::new();
                let e = r.read_to_end(&mut v).unwrap_err();
                (v, e.to_string())
            },
        )
        .unwrap();
        assert_eq!(res, (b"abc".to_vec(), "corrupt gzip data".to_string()));
    }

    #[test]
    fn open_errors_are_returned_and_f_not_called() {
        let res = with_read_ahead(
            || Err::<io::Empty, _>(io::Error::other("bad header")),
            |_| unreachable!(),
        );
        assert_eq!(res.unwrap_err().to_string(), "bad header");
    }

    #[test]
    fn a_reader_that_stops_early_ends_the_decoder() {
        let out = with_read_ahead(
            || Ok(io::repeat(b'x')),
            |r| {
                let mut b = [0u8; 10];
                r.read_exact(&mut b).unwrap();
                b
            },
        )
        .unwrap();
        assert_eq!(out, [b'x'; 10]);
    }
}
