//! Reading a file ahead on a thread of its own, for the thread that inflates a big `.gz`
//! ahead of the scan ([`super::ahead`]). That thread sets the speed of the whole scan (the
//! scanner waits for it), and the kernel's copy of the compressed file into its buffers was
//! a few per cent of its time; this thread makes the `read` calls instead, on the core the
//! scanner leaves idle a third of the time, and the inflating thread copies each chunk from
//! memory that is already in cache.
//!
//! Each chunk is one `read` of the size the buffered reader above asks for, so it sees the
//! same reads, of the same lengths, as from the file itself: the limits that are checked per
//! read (the compression ratio) stop at the same byte.

use std::fs::File;
use std::io::{self, Read};
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};

/// Chunks read ahead at most, besides the one being read from.
const DEPTH: usize = 4;

/// A file read ahead by a thread of its own, in chunks.
pub struct Prefetched {
    full: Receiver<io::Result<Vec<u8>>>,
    free: Sender<Vec<u8>>,
    current: Vec<u8>,
    at: usize,
    /// The file ended, or its error was returned: nothing more comes.
    done: bool,
    /// The reading thread, joined when this reader is dropped (it then ends at once, or
    /// after the one `read` call it is in).
    reader: Option<std::thread::JoinHandle<()>>,
}

impl Prefetched {
    /// Starts reading `file` on a new thread, in reads of `chunk` bytes. The thread ends at
    /// the end of the file, at an error, or once this reader is dropped.
    pub fn new(mut file: File, chunk: usize) -> io::Result<Prefetched> {
        let (full_tx, full_rx) = mpsc::sync_channel::<io::Result<Vec<u8>>>(DEPTH);
        let (free_tx, free_rx) = mpsc::channel::<Vec<u8>>();
        let reader = std::thread::Builder::new()
            .name("linkdoctor-read".into())
            .spawn(move || read_into(&mut file, chunk, &full_tx, &free_rx))?;
        Ok(Prefetched {
            full: full_rx,
            free: free_tx,
            current: Vec::new(),
            at: 0,
            done: false,
            reader: Some(reader),
        })
    }
}

/// The reading thread: one `read` call per chunk, each chunk sent as it comes back (an
/// empty chunk at the end of the file).
fn read_into(
    file: &mut File,
    chunk: usize,
    full: &SyncSender<io::Result<Vec<u8>>>,
    free: &Receiver<Vec<u8>>,
) {
    loop {
        let mut buf = free.try_recv().unwrap_or_default();
        buf.resize(chunk, 0);
        let read = loop {
            match file.read(&mut buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                other => break other,
            }
        };
        let last = !matches!(read, Ok(n) if n > 0);
        let sent = read.map(|n| {
            buf.truncate(n);
            buf
        });
        if full.send(sent).is_err() || last {
            return;
        }
    }
}

impl Drop for Prefetched {
    fn drop(&mut self) {
        // Closing the queue makes the thread's next `send` fail, which ends it.
        let (_, closed) = mpsc::sync_channel(0);
        drop(std::mem::replace(&mut self.full, closed));
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
    }
}

impl Read for Prefetched {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        while self.at == self.current.len() {
            if self.done {
                return Ok(0);
            }
            match self.full.recv() {
                Ok(Ok(next)) => {
                    let used = std::mem::replace(&mut self.current, next);
                    self.at = 0;
                    if self.current.is_empty() {
                        self.done = true;
                    }
                    let _ = self.free.send(used);
                }
                Ok(Err(e)) => {
                    self.done = true;
                    return Err(e);
                }
                Err(_) => {
                    self.done = true;
                    return Err(io::Error::other("the reading thread ended early"));
                }
            }
        }
        let n = out.len().min(self.current.len() - self.at);
        out[..n].copy_from_slice(&self.current[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn file_of(bytes: &[u8]) -> (tempfile::NamedTempFile, File) {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(bytes).unwrap();
        let file = File::open(f.path()).unwrap();
        (f, file)
    }

    #[test]
    fn reads_the_whole_file_in_the_reads_of_the_file_itself() {
        let bytes: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let (_keep, file) = file_of(&bytes);
        let mut read = Prefetched::new(file, 4096).unwrap();
        // A request as large as a chunk gets the whole chunk, as from the file; a larger
        // one gets one chunk (one `read` of the file); smaller ones split it.
        let mut out = Vec::new();
        let mut lens = Vec::new();
        let mut buf = vec![0; 10_000];
        for want in [4096, 10_000, 1000, 3096, 10_000] {
            let n = read.read(&mut buf[..want]).unwrap();
            lens.push(n);
            out.extend_from_slice(&buf[..n]);
        }
        assert_eq!(lens, [4096, 4096, 1000, 3096, 4096]);
        read.read_to_end(&mut out).unwrap();
        assert_eq!(out, bytes);
        assert_eq!(read.read(&mut buf).unwrap(), 0);
    }

    #[test]
    fn an_empty_file_ends_at_once() {
        let (_keep, file) = file_of(b"");
        let mut read = Prefetched::new(file, 4096).unwrap();
        assert_eq!(read.read(&mut [0; 16]).unwrap(), 0);
        assert_eq!(read.read(&mut [0; 16]).unwrap(), 0);
    }

    #[test]
    fn a_read_error_is_returned_as_the_file_gave_it() {
        let dir = tempfile::tempdir().unwrap();
        let direct = File::open(dir.path())
            .unwrap()
            .read(&mut [0; 16])
            .unwrap_err();
        let mut read = Prefetched::new(File::open(dir.path()).unwrap(), 4096).unwrap();
        let e = read.read(&mut [0; 16]).unwrap_err();
        assert_eq!(e.kind(), direct.kind());
        assert_eq!(e.to_string(), direct.to_string());
    }

    #[test]
    fn dropping_the_reader_ends_its_thread() {
        let bytes = vec![b'x'; 1 << 20];
        let (_keep, file) = file_of(&bytes);
        let mut read = Prefetched::new(file, 4096).unwrap();
        assert_eq!(read.read(&mut [0; 10]).unwrap(), 10);
        // The thread is blocked on a full queue, far from the file's end: the drop joins it,
        // so it returns only once the thread has ended.
        let (done_tx, done_rx) = mpsc::channel();
        std::thread::spawn(move || {
            drop(read);
            done_tx.send(()).unwrap();
        });
        done_rx
            .recv_timeout(std::time::Duration::from_secs(20))
            .expect("the reading thread did not end when its reader was dropped");
    }
}
