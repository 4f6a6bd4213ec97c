//! Step 4's transport: a small HTTP/1.1 client over the probe's own stream (plain TCP, a
//! proxy tunnel or TLS), so each step before it is seen and named separately. It sends one
//! `GET` (a probe never changes anything on the remote side), reads the head and a bounded
//! body (`Content-Length`, chunked, or up to the close), and times the exchange for the clock
//! step.

use std::io::{self, Read, Write};
use std::time::{Duration, Instant, SystemTime};

/// Largest response head read (status line and headers).
pub const MAX_HEAD_BYTES: usize = 64 * 1024;
/// Largest body read: a manifest is a few hundred bytes; a login page is cut here.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// A response head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub status: u16,
    pub status_line: String,
    /// Names in lower case, in the order received.
    pub headers: Vec<(String, String)>,
}

impl Head {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A whole response and when it was exchanged.
#[derive(Debug, Clone)]
pub struct Response {
    pub head: Head,
    pub body: Vec<u8>,
    /// Whether the body was cut at [`MAX_BODY_BYTES`].
    pub truncated: bool,
    /// This host's clock when the request was sent and the time until the head arrived.
    pub sent_at: SystemTime,
    pub round_trip: Duration,
}

/// A stream that fails with [`io::ErrorKind::TimedOut`] once a deadline has passed: the
/// socket's time-out bounds each read, this bounds the whole exchange, so a server that
/// drips a byte at a time cannot hold a probe.
pub struct Deadline<'a, S: ?Sized> {
    pub inner: &'a mut S,
    pub until: Instant,
}

impl<S: Read + ?Sized> Read for Deadline<'_, S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if Instant::now() >= self.until {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the answer took longer than the time-out allows",
            ));
        }
        self.inner.read(buf)
    }
}

impl<S: Write + ?Sized> Write for Deadline<'_, S> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if Instant::now() >= self.until {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the request took longer than the time-out allows",
            ));
        }
        self.inner.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Parses a response head (without the blank line). Pure: a fuzz-friendly function of the
/// bytes.
pub fn parse_head(bytes: &[u8]) -> Result<Head, String> {
    let text = String::from_utf8_lossy(bytes);
    let mut lines = text.split("\r\n").flat_map(|l| l.split('\n'));
    let status_line = lines.next().unwrap_or("").trim().to_string();
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or("");
    if !version.starts_with("HTTP/") {
        return Err(format!(
            "not an HTTP answer: '{}'",
            status_line.chars().take(60).collect::<String>()
        ));
    }
    let status = parts
        .next()
        .and_then(|s| s.parse::<u16>().ok())
        .filter(|s| (100..=999).contains(s))
        .ok_or_else(|| {
            format!(
                "bad HTTP status line: '{}'",
                status_line.chars().take(60).collect::<String>()
            )
        })?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Ok(Head {
        status,
        status_line,
        headers,
    })
}

/// Reads up to the blank line ending a head, byte by byte (so nothing of the body or a
/// tunnelled TLS stream is consumed), and parses it.
pub fn read_head<S: Read + ?Sized>(stream: &mut S) -> io::Result<Head> {
    let mut buf = Vec::with_capacity(1024);
    let mut byte = [0u8; 1];
    loop {
        match stream.read(&mut byte) {
            Ok(0) => {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    if buf.is_empty() {
                        "the connection was closed without an answer".to_string()
                    } else {
                        "the connection was closed in the middle of the answer".to_string()
                    },
                ));
            }
            Ok(_) => buf.push(byte[0]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
        if buf.ends_with(b"\r\n\r\n") || buf.ends_with(b"\n\n") {
            break;
        }
        if buf.len() > MAX_HEAD_BYTES {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "response head larger than 64 KiB",
            ));
        }
    }
    parse_head(&buf).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

/// Sends `GET request_target` and reads the answer. `request_target` is a path, or an
/// absolute URL when talking to a plain-HTTP proxy; `extra_headers` end in CRLF.
pub fn get<S: Read + Write + ?Sized>(
    stream: &mut S,
    request_target: &str,
    host: &str,
    extra_headers: &str,
) -> io::Result<Response> {
    let req = format!(
        "GET {request_target} HTTP/1.1\r\nHost: {host}\r\nAccept: application/xml, text/xml;q=0.9, */*;q=0.1\r\nUser-Agent: linkdoctor/{}\r\n{extra_headers}Connection: close\r\n\r\n",
        env!("CARGO_PKG_VERSION")
    );
    let sent_at = SystemTime::now();
    let started = Instant::now();
    stream.write_all(req.as_bytes())?;
    stream.flush()?;
    let head = read_head(stream)?;
    let round_trip = started.elapsed();
    let (body, truncated) = read_body(stream, &head)?;
    Ok(Response {
        head,
        body,
        truncated,
        sent_at,
        round_trip,
    })
}

fn read_body<S: Read + ?Sized>(stream: &mut S, head: &Head) -> io::Result<(Vec<u8>, bool)> {
    if head.status == 204 || head.status == 304 || (100..200).contains(&head.status) {
        return Ok((Vec::new(), false));
    }
    let chunked = head
        .header("transfer-encoding")
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    let mut raw = Vec::new();
    let limit = match head
        .header("content-length")
        .and_then(|v| v.parse::<u64>().ok())
    {
        Some(n) if !chunked => n.min(MAX_BODY_BYTES as u64 + 1),
        _ => MAX_BODY_BYTES as u64 * 2 + 1,
    };
    let mut limited = stream.take(limit);
    let mut buf = [0u8; 8192];
    loop {
        match limited.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            // A TLS peer that closes without close_notify, after sending everything.
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof && !raw.is_empty() => break,
            Err(e) => return Err(e),
        }
        // A chunked body ends with its last chunk, whether or not the server closes.
        if chunked && (raw.ends_with(b"\r\n0\r\n\r\n") || raw == b"0\r\n\r\n") {
            break;
        }
    }
    let mut body = if chunked { dechunk(&raw) } else { raw };
    let truncated = body.len() > MAX_BODY_BYTES;
    body.truncate(MAX_BODY_BYTES);
    Ok((body, truncated))
}

/// Decodes a chunked body, as much of it as is well formed. Pure.
pub fn dechunk(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut rest = raw;
    while let Some(eol) = rest.windows(2).position(|w| w == b"\r\n") {
        let size_text = String::from_utf8_lossy(&rest[..eol]);
        let Ok(size) = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
        else {
            break;
        };
        let start = eol + 2;
        if size == 0 || start >= rest.len() {
            break;
        }
        let end = start.saturating_add(size).min(rest.len());
        out.extend_from_slice(&rest[start..end]);
        rest = rest.get(end + 2..).unwrap_or(&[]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_passed_deadline_stops_reading() {
        let mut s: &[u8] = b"HTTP/1.1 200 OK\r\n\r\n";
        let mut d = Deadline {
            inner: &mut s,
            until: Instant::now(),
        };
        assert_eq!(
            read_head(&mut d).unwrap_err().kind(),
            io::ErrorKind::TimedOut
        );
    }

    #[test]
    fn heads_and_bodies() {
        let mut s: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nContent-Length: 5\r\n\r\nhelloEXTRA";
        let head = read_head(&mut s).unwrap();
        assert_eq!(
            (head.status, head.header("content-type")),
            (200, Some("application/xml"))
        );
        let (body, cut) = read_body(&mut s, &head).unwrap();
        assert_eq!((body.as_slice(), cut), (&b"hello"[..], false));
        assert_eq!(dechunk(b"3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n"), b"abcde");
        assert_eq!(dechunk(b"zz\r\n"), b"");
        assert_eq!(dechunk(b"ffffffffffffffff\r\nab"), b"ab");
        assert!(parse_head(b"SSH-2.0-OpenSSH").is_err());
        assert!(parse_head(b"HTTP/1.1 abc").is_err());
        let mut empty: &[u8] = b"";
        assert_eq!(
            read_head(&mut empty).unwrap_err().kind(),
            io::ErrorKind::UnexpectedEof
        );
    }
}
