//! Event boundaries inside a buffer. An event is a head line (one that starts with a
//! timestamp, or any line that does not continue another) plus the lines that continue it:
//! a Java stack trace (`\tat ...`, `Caused by: ...`, `... 12 more`, the exception line
//! itself, JavaMail's `nested exception is:`) and Confluence's ` -- url: ...` request line.
//! Lines copied from `docker compose logs` carry the service's name before a bar
//! (`jira_1  | `), and a product run from the Atlassian Plugin SDK prints through Maven with
//! `[INFO] [talledLocalContainer] ` before each line; those prefixes are looked past.
//! Boundaries are only computed around prefilter hits, and every search is bounded by the
//! event size limits.

use super::timestamp::starts_with_timestamp;
use memchr::{memchr, memrchr};

/// Caps on one event, so that a missing newline or an endless trace cannot grow an event
/// without bound.
#[derive(Debug, Clone, Copy)]
pub struct EventLimits {
    pub max_bytes: usize,
    pub max_lines: usize,
}

impl Default for EventLimits {
    fn default() -> Self {
        EventLimits {
            max_bytes: 64 * 1024,
            max_lines: 400,
        }
    }
}

/// Start of the line containing `pos`.
pub fn line_start(buf: &[u8], pos: usize) -> usize {
    memrchr(b'\n', &buf[..pos]).map_or(0, |i| i + 1)
}

/// End of the line containing `pos` (the index of its `\n`, or the buffer end).
pub fn line_end(buf: &[u8], pos: usize) -> usize {
    memchr(b'\n', &buf[pos..]).map_or(buf.len(), |i| pos + i)
}

/// Does this line continue the event above it?
pub fn is_continuation(line: &[u8]) -> bool {
    let line = without_console_prefix(line);
    match line.first() {
        None => false,
        Some(b' ') | Some(b'\t') => !line.iter().all(|b| b.is_ascii_whitespace()),
        Some(_) => {
            if starts_with_timestamp(line) {
                return false;
            }
            line.starts_with(b"Caused by:")
                || line.starts_with(b"Suppressed:")
                || line.starts_with(b"nested exception is")
                || line.starts_with(b"... ")
                || is_exception_line(line)
                || is_unindented_frame(line)
        }
    }
}

/// The line without the prefix a console put before each line of the product's output:
/// `docker compose logs`'s service name, one or more spaces, a bar and (unless the line is
/// empty) one space (`jira_1  | `, `confluence-1  | `), or the Plugin SDK's Maven container
/// output (`[INFO] [talledLocalContainer] `). Any other line is returned whole.
fn without_console_prefix(line: &[u8]) -> &[u8] {
    const SDK_CONTAINER: &[u8] = b"[talledLocalContainer] ";
    for level in [&b"[INFO] "[..], b"[WARNING] ", b"[ERROR] "] {
        if let Some(rest) = line.strip_prefix(level)
            && let Some(rest) = rest.strip_prefix(SDK_CONTAINER)
        {
            return rest;
        }
    }
    let name_end = line
        .iter()
        .position(|&b| !(b.is_ascii_alphanumeric() || b"_.-".contains(&b)))
        .unwrap_or(line.len());
    if name_end == 0 || !line[0].is_ascii_alphanumeric() {
        return line;
    }
    let rest = &line[name_end..];
    let spaces = rest.iter().take_while(|&&b| b == b' ').count();
    if spaces == 0 || rest.get(spaces) != Some(&b'|') {
        return line;
    }
    match &rest[spaces + 1..] {
        [] => &[],
        [b' ', after @ ..] => after,
        _ => line,
    }
}

/// `at com.example.Foo.bar(Foo.java:12)` without its leading tab: stack frames as web pages,
/// mail and some log forwarders render them.
fn is_unindented_frame(line: &[u8]) -> bool {
    let Some(rest) = line.strip_prefix(b"at ") else {
        return false;
    };
    let name_end = rest
        .iter()
        .position(|&b| !(b.is_ascii_alphanumeric() || b"._$<>/".contains(&b)))
        .unwrap_or(rest.len());
    let name = &rest[..name_end];
    name.contains(&b'.')
        && name.first().is_some_and(u8::is_ascii_alphabetic)
        && rest.get(name_end) == Some(&b'(')
}

/// `java.net.ConnectException: Connection refused` and friends: a dotted class name whose
/// last part names an exception or error, followed by `:` or the end of the line.
fn is_exception_line(line: &[u8]) -> bool {
    let name_end = line
        .iter()
        .position(|&b| !(b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'$'))
        .unwrap_or(line.len());
    let name = &line[..name_end];
    if !name.contains(&b'.') || !name[0].is_ascii_alphabetic() {
        return false;
    }
    let last = name.rsplit(|&b| b == b'.').next().unwrap_or(b"");
    let ends_like_exception = last.ends_with(b"Exception")
        || last.ends_with(b"Error")
        || last.ends_with(b"Throwable")
        || last.ends_with(b"Fault");
    ends_like_exception && (name_end == line.len() || line[name_end] == b':')
}

fn trim_cr(buf: &[u8], start: usize, end: usize) -> &[u8] {
    let l = &buf[start..end];
    l.strip_suffix(b"\r").unwrap_or(l)
}

/// The bounds `[start, end)` of the event around `hit` (end excludes the final newline).
pub fn event_bounds(buf: &[u8], hit: usize, limits: EventLimits) -> (usize, usize) {
    let hit_start = line_start(buf, hit);
    let hit_end = line_end(buf, hit);
    if hit_end - hit_start > limits.max_bytes {
        // One enormous line: keep a window around the hit.
        let half = limits.max_bytes / 2;
        let start = hit.saturating_sub(half).max(hit_start);
        return (start, (start + limits.max_bytes).min(hit_end));
    }
    // Walk back to the head line.
    let mut start = hit_start;
    let mut lines = 1;
    while is_continuation(trim_cr(buf, start, line_end(buf, start))) && start > 0 {
        let prev = line_start(buf, start - 1);
        if hit_end - prev > limits.max_bytes || lines >= limits.max_lines {
            break;
        }
        start = prev;
        lines += 1;
    }
    // Walk forward over the continuation lines.
    let mut end = hit_end;
    while end < buf.len() && lines < limits.max_lines {
        let next = end + 1;
        let next_end = line_end(buf, next);
        if next_end - start > limits.max_bytes || !is_continuation(trim_cr(buf, next, next_end)) {
            break;
        }
        end = next_end;
        lines += 1;
    }
    (start, end)
}

/// Where to cut a buffer that is not the end of its input, so that no event is split: the
/// start of the last event in it (which, with its continuation lines, moves to the next
/// buffer), or after the last newline when that event is over the size limit. `None` when
/// the buffer holds no newline at all.
pub fn safe_cut(buf: &[u8], limits: EventLimits) -> Option<usize> {
    let last_nl = memrchr(b'\n', buf)?;
    let tail = last_nl + 1;
    let mut cut = tail;
    loop {
        if cut == 0 {
            return Some(tail);
        }
        let start = line_start(buf, cut - 1);
        if tail - start > limits.max_bytes {
            return Some(tail);
        }
        cut = start;
        if !is_continuation(trim_cr(buf, start, tail.min(line_end(buf, start)))) {
            return Some(if cut == 0 { tail } else { cut });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TRACE: &str = "2024-01-01 10:00:00,000 INFO [main] noise\n\
2024-01-01 10:00:01,000 ERROR [http-nio-8080-exec-1] [c.a.applinks] Unable to retrieve manifest\n\
com.atlassian.sal.api.net.ResponseException: javax.net.ssl.SSLHandshakeException: boom\n\
\tat com.atlassian.X.y(X.java:1)\n\
\t... 12 more\n\
Caused by: javax.net.ssl.SSLHandshakeException: PKIX path building failed\n\
\tat sun.security.Z(Z.java:2)\n\
2024-01-01 10:00:02,000 INFO [main] after\n";

    #[test]
    fn stack_trace_joins_its_head() {
        let b = TRACE.as_bytes();
        let hit = TRACE.find("PKIX").unwrap();
        let (s, e) = event_bounds(b, hit, EventLimits::default());
        let ev = &TRACE[s..e];
        assert!(ev.starts_with("2024-01-01 10:00:01,000 ERROR"), "{ev}");
        assert!(ev.ends_with("(Z.java:2)"), "{ev}");
    }

    #[test]
    fn unindented_frames_continue_the_event() {
        let t = "2024-01-01 10:00:01,000 WARN [x] head\njava.lang.Throwable\nat java.net.SocketInputStream.socketRead0(Native Method)\nat sun.security.ssl.SSLSocketImpl.startHandshake(SSLSocketImpl.java:1413)\nat last sentence of a paragraph.\n";
        let (s, e) = event_bounds(t.as_bytes(), 5, EventLimits::default());
        assert!(
            t[s..e].ends_with("(SSLSocketImpl.java:1413)"),
            "{}",
            &t[s..e]
        );
        assert!(!is_continuation(b"at noon (UTC) the job ran"));
        assert!(!is_continuation(b"at last sentence of a paragraph."));
    }

    #[test]
    fn head_hit_takes_following_trace() {
        let b = TRACE.as_bytes();
        let hit = TRACE.find("Unable").unwrap();
        let (s, e) = event_bounds(b, hit, EventLimits::default());
        assert!(TRACE[s..e].contains("Caused by"));
    }

    #[test]
    fn limits_cap_events() {
        let mut big = String::from("2024-01-01 10:00:01,000 ERROR head\n");
        for _ in 0..1000 {
            big.push_str("\tat a.b.C.d(C.java:1)\n");
        }
        big.push_str("Caused by: java.net.UnknownHostException: x\n");
        let hit = big.find("Unknown").unwrap();
        let lim = EventLimits {
            max_bytes: 4096,
            max_lines: 100,
        };
        let (s, e) = event_bounds(big.as_bytes(), hit, lim);
        assert!(e - s <= 4096);
        assert!(big[s..e].contains("UnknownHost"));
    }

    #[test]
    fn huge_line_gets_a_window() {
        let line = format!(
            "{}oauth_problem=x{}",
            "a".repeat(100_000),
            "b".repeat(100_000)
        );
        let hit = line.find("oauth").unwrap();
        let (s, e) = event_bounds(line.as_bytes(), hit, EventLimits::default());
        assert!(s <= hit && hit < e && e - s <= 64 * 1024);
    }

    #[test]
    fn cut_keeps_last_event_whole() {
        let partial = &TRACE[..TRACE.find("\tat sun").unwrap()];
        let cut = safe_cut(partial.as_bytes(), EventLimits::default()).unwrap();
        assert!(partial[cut..].starts_with("2024-01-01 10:00:01,000 ERROR"));
        assert_eq!(safe_cut(b"no newline", EventLimits::default()), None);
    }

    #[test]
    fn exception_lines() {
        assert!(is_continuation(
            b"java.net.ConnectException: Connection refused"
        ));
        assert!(is_continuation(b"javax.net.ssl.SSLHandshakeException"));
        assert!(!is_continuation(b"java.util.List is not an exception"));
        assert!(!is_continuation(b"2024-01-01 10:00:00,000 at the start"));
        assert!(!is_continuation(b"   "));
        assert!(is_continuation(b" -- url: /rest/x | traceId: 1"));
    }

    #[test]
    fn console_prefixes_are_looked_past() {
        assert!(is_continuation(
            b"jira_1  | \tat java.net.Socket.connect(Socket.java:1)"
        ));
        assert!(is_continuation(
            b"jira           | Caused by: java.net.ConnectException: Connection refused"
        ));
        assert!(!is_continuation(
            b"jira-1  | 2024-01-01 10:00:00,000 ERROR [main] head"
        ));
        assert!(!is_continuation(b"jira           |"));
        assert!(!is_continuation(b"Name|Value"));
        assert!(is_continuation(
            b"[INFO] [talledLocalContainer] java.net.SocketException: Network is unreachable"
        ));
        assert!(!is_continuation(
            b"[INFO] [talledLocalContainer] 2013-05-02 10:00:00,000 INFO [main] started"
        ));
        assert!(is_continuation(b"nested exception is:"));
        // Synthetic, in the layout `docker compose logs` prints: the trace stays one event.
        let t = "jira_1  | 2024-01-01 10:00:01,000 ERROR [main] head\n\
jira_1  | java.net.ConnectException: Connection refused\n\
jira_1  | \tat java.net.Socket.connect(Socket.java:1)\n\
jira_1  | Caused by: java.net.UnknownHostException: db\n\
jira_1  | 2024-01-01 10:00:02,000 INFO [main] next\n";
        let (s, e) = event_bounds(
            t.as_bytes(),
            t.find("Unknown").unwrap(),
            EventLimits::default(),
        );
        assert!(t[s..e].starts_with("jira_1  | 2024-01-01 10:00:01,000 ERROR"));
        assert!(t[s..e].ends_with("UnknownHostException: db"));
    }
}
