//! The hot loop. Reads an input in large buffers and searches each whole buffer for the
//! classifier's candidates (the catalog's literal prefilter); only around a hit are line and
//! event boundaries found and the event classified. Each classified event is pushed into a
//! [`Sink`] (the push model of ripgrep's `grep-searcher::Sink`): the scanner keeps none, so its
//! memory is one buffer per input being read, whatever the input holds. It depends only on
//! the narrow [`Classifier`] interface, never on the rule catalog itself.

pub mod event;
pub mod timestamp;
pub mod window;

use crate::classify::{CauseIndex, Classifier};
use crate::model::Product;
use crate::source::ahead::{self, Framing, Window, Windows};
use crate::warning::Warning;
use event::{EventLimits, event_bounds, line_start, safe_cut};
use jiff::tz::TimeZone;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::Read;
use timestamp::{LogTime, parse_line_start};
use window::TimeWindow;

/// Largest window: a line longer than this is scanned in pieces (with a warning).
pub const DEFAULT_BUFFER_BYTES: usize = 8 * 1024 * 1024;
/// Bytes a window is filled to before it is scanned; it grows (doubling, up to
/// [`DEFAULT_BUFFER_BYTES`]) only while it holds no line end.
///
/// Why this small: the scan passes over each window more than once (the key search, then the
/// line count and the events), and a window this size is still in the CPU's cache for the
/// later passes. Measured 2026-12-04 on the 1 GiB benchmark log, one thread, read with
/// `read` (Intel Xeon VM): 8 MiB windows 0.73 s, 1 MiB 0.64 s, 512 KiB 0.60 s, 256 KiB 0.59 s,
/// 128 KiB 0.60 s.
pub const DEFAULT_FILL_BYTES: usize = 512 * 1024;
/// Bytes a window of a big gzip file is filled to ([`ScanSettings::for_big_gzip`]).
///
/// Why larger: ISA-L saves the last 32 KiB of its output as history at the end of every
/// call, and a call ends at least once a window; and a window decoded ahead wakes the
/// scanning thread, which waits for each. On two threads the inflating thread sets the
/// speed, so both are its time. Measured 2026-12-05 on the benchmark's 1 GiB `.gz` (AMD
/// EPYC VM, 2 threads, `hyperfine`, medians of 30): 340.6 ms in windows of 512 KiB, 331.3 ms
/// with 256 KiB of input a call, 319.5 ms with that and windows of 2 MiB (`igzip -dc` alone
/// 313.0 ms); one thread 490.7 and 487.5 ms, the output the same.
pub const BIG_GZIP_FILL_BYTES: usize = 2 * 1024 * 1024;
/// How much of an input's start is checked for NUL bytes to tell binary files apart.
const BINARY_SNIFF_BYTES: usize = 8 * 1024;
/// Longest evidence line kept per event.
const MAX_EVIDENCE_LINE: usize = 1024;

/// Settings of one scan that every input shares.
#[derive(Debug, Clone)]
pub struct ScanSettings {
    /// Largest window (a longer line is scanned in pieces).
    pub buffer_bytes: usize,
    /// Bytes a window is filled to before it is scanned (at most `buffer_bytes`).
    pub fill_bytes: usize,
    pub event: EventLimits,
    /// Only events inside this window (`--since`, `--until`) are kept.
    pub window: TimeWindow,
}

impl ScanSettings {
    /// These settings for a big gzip file ([`crate::source::decode::is_big_gzip_file`]):
    /// windows filled to [`BIG_GZIP_FILL_BYTES`] (at most the largest window), whether the
    /// file is decoded ahead on another thread or on the scanning one, so that both read it
    /// in the same requests. The events do not depend on the window size.
    pub fn for_big_gzip(&self) -> ScanSettings {
        ScanSettings {
            fill_bytes: self.fill_bytes.max(BIG_GZIP_FILL_BYTES),
            ..self.clone()
        }
    }
}

impl Default for ScanSettings {
    fn default() -> Self {
        ScanSettings {
            buffer_bytes: DEFAULT_BUFFER_BYTES,
            fill_bytes: DEFAULT_FILL_BYTES,
            event: EventLimits::default(),
            window: TimeWindow::default(),
        }
    }
}

/// Where a part of an input starts: the whole input, a chunk of a big file, or the point
/// where an earlier run stopped (`--state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartStart {
    /// Byte offset of the part in the decoded input.
    pub offset: u64,
    /// Line number of the part's first line.
    pub line: u64,
    /// Is this the start of the input (binary sniffing, empty-input warning)?
    pub at_input_start: bool,
}

impl PartStart {
    pub const INPUT_START: PartStart = PartStart {
        offset: 0,
        line: 1,
        at_input_start: true,
    };
}

/// What a scan of one part knows about its input.
#[derive(Debug, Clone, Copy)]
pub struct PartContext<'a> {
    /// How warnings name the input.
    pub name: &'a str,
    /// Filters rules by product.
    pub product: Option<Product>,
    /// The server's zone, for lines without a UTC offset, when the input records it.
    pub zone: Option<&'a TimeZone>,
    pub start: PartStart,
}

/// One classified event.
#[derive(Debug, Clone)]
pub struct Event {
    /// 1-based line number of the event's first line.
    pub line: u64,
    /// Byte offset of the event's first line in the (decoded) input.
    pub offset: u64,
    pub time: Option<LogTime>,
    /// Winning cause (index into the classifier).
    pub rule: CauseIndex,
    /// Other causes that matched, most specific first.
    pub also: Vec<CauseIndex>,
    pub fields: BTreeMap<String, String>,
    /// Which end of a link wrote the event (from the winning rule's metadata).
    pub side: crate::model::Side,
    /// The line that carries the winning match (capped), for evidence.
    pub evidence: String,
    /// The whole event text (capped by the event limits); kept only for the first event of
    /// each rule in an input, as the sample.
    pub text: Option<String>,
}

/// Receives the events of a scan as they are found, in input order.
pub trait Sink {
    fn event(&mut self, event: Event);

    /// Builds now what taking the first event would otherwise build then (see
    /// [`Classifier::prepare`]).
    fn prepare(&mut self) {}
}

/// A sink that keeps every event: for tests and the rule examples, never for whole logs.
impl Sink for Vec<Event> {
    fn event(&mut self, event: Event) {
        self.push(event);
    }
}

/// What scanning one part of an input showed besides its events.
#[derive(Debug, Default, Clone)]
pub struct PartStats {
    /// Events pushed into the sink.
    pub events: u64,
    pub bytes: u64,
    pub lines: u64,
    pub first_time: Option<LogTime>,
    pub last_time: Option<LogTime>,
    pub warnings: Vec<Warning>,
    /// True when the input was skipped (binary).
    pub skipped: bool,
}

/// Scans one whole input in memory and returns its events with the statistics: for rule
/// examples and tests. `name` is how warnings name it; `product` filters rules.
pub fn scan_to_vec<C: Classifier>(
    reader: impl Read,
    name: &str,
    product: Option<Product>,
    classifier: &C,
    settings: &ScanSettings,
) -> (Vec<Event>, PartStats) {
    let ctx = PartContext {
        name,
        product,
        zone: None,
        start: PartStart::INPUT_START,
    };
    let mut events = Vec::new();
    let stats = scan_part(
        reader,
        ReadBuffer::Own,
        &ctx,
        classifier,
        settings,
        &|_| {},
        &mut events,
    );
    (events, stats)
}

/// What [`scan_part`] reads into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadBuffer {
    /// A buffer of the part's own, grown from empty as the reads need it, so the reads are
    /// the same whatever ran before: a decoder checks its ratio limit per read, and the
    /// thread that decodes a big `.gz` ahead frames its windows the same way.
    Own,
    /// The buffer this thread keeps from part to part: a fleet share of thousands of small
    /// files would otherwise allocate and zero one per file. Only for plain files, where
    /// the size of the first reads (the kept buffer's) does not matter.
    Kept,
}

/// Scans one part of an input (all of it, a chunk, or the rest after an earlier run) and
/// pushes its events into `sink`. Line numbers and offsets count from `ctx.start`;
/// `progress` is called with the number of bytes consumed after each buffer.
pub fn scan_part<R: Read, C: Classifier>(
    reader: R,
    buffer: ReadBuffer,
    ctx: &PartContext,
    classifier: &C,
    settings: &ScanSettings,
    progress: &(dyn Fn(u64) + Sync),
    sink: &mut dyn Sink,
) -> PartStats {
    thread_local! {
        static KEPT: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
    }
    let buf = match buffer {
        ReadBuffer::Own => Vec::new(),
        ReadBuffer::Kept => KEPT.take(),
    };
    let mut feed = ReadFeed {
        reader,
        buf,
        len: 0,
    };
    let stats = scan_feed(&mut feed, ctx, classifier, settings, progress, sink);
    if buffer == ReadBuffer::Kept {
        KEPT.set(feed.buf);
    }
    stats
}

/// Scans one part that is already in memory (a memory-mapped file): the same scan as
/// [`scan_part`], event for event, without copying the bytes into a buffer first.
/// `release(n)` is called as the scan moves on: the first `n` bytes will not be read again.
pub fn scan_slice<C: Classifier>(
    data: &[u8],
    release: &dyn Fn(usize),
    ctx: &PartContext,
    classifier: &C,
    settings: &ScanSettings,
    progress: &(dyn Fn(u64) + Sync),
    sink: &mut dyn Sink,
) -> PartStats {
    let mut feed = SliceFeed {
        data,
        start: 0,
        end: 0,
        release,
        released: 0,
    };
    scan_feed(&mut feed, ctx, classifier, settings, progress, sink)
}

/// Scans one whole input decoded ahead into windows ([`crate::source::ahead`]): the same
/// scan as [`scan_part`] of the same bytes, event for event, with no copy on this thread.
pub fn scan_windows<C: Classifier>(
    windows: &mut Windows,
    ctx: &PartContext,
    classifier: &C,
    settings: &ScanSettings,
    progress: &(dyn Fn(u64) + Sync),
    sink: &mut dyn Sink,
) -> PartStats {
    // The decoding thread is filling the first window: the patterns every event needs are
    // compiled meanwhile, rather than at the first event while the decoder waits for this
    // thread (3-4.5 ms at the benchmark `.gz`'s first event, before).
    classifier.prepare();
    sink.prepare();
    let mut feed = WindowFeed {
        windows,
        current: None,
        start: 0,
    };
    scan_feed(&mut feed, ctx, classifier, settings, progress, sink)
}

/// Smallest buffer the scanner works with, whatever `buffer_bytes` says.
const MIN_BUFFER_BYTES: usize = 64 * 1024;

/// Where the scanner's bytes come from: a window over the input that grows at the back
/// ([`Feed::fill`]) and shrinks at the front ([`Feed::consume`]).
trait Feed {
    /// Makes bytes available in the window as `framing` says ([`Framing::fill_with`]).
    /// Returns how many bytes were added and whether the input ended; bytes added before an
    /// error stay in the window.
    fn fill(&mut self, framing: &Framing) -> (u64, std::io::Result<bool>);
    fn window(&self) -> &[u8];
    fn consume(&mut self, n: usize);
}

/// A reader copied into one reusable buffer. The buffer is zeroed once, when it is first
/// grown, and stays initialised: reading into a `Vec`'s spare capacity instead (through
/// `read_to_end`) zeroes it before every read for any reader that is not a file or a
/// `BufReader` (a gzip stream, a zip member, a limit), and that memset was a tenth of a
/// `.gz` scan's time.
struct ReadFeed<R> {
    reader: R,
    buf: Vec<u8>,
    /// Bytes of `buf` that hold input not yet consumed.
    len: usize,
}

impl<R: Read> Feed for ReadFeed<R> {
    fn fill(&mut self, framing: &Framing) -> (u64, std::io::Result<bool>) {
        let before = self.len;
        let ended = ahead::fill_window(&mut self.reader, &mut self.buf, &mut self.len, framing);
        ((self.len - before) as u64, ended)
    }
    fn window(&self) -> &[u8] {
        &self.buf[..self.len]
    }
    fn consume(&mut self, n: usize) {
        self.buf.copy_within(n..self.len, 0);
        self.len -= n;
    }
}

/// Windows decoded ahead on another thread, framed as a [`ReadFeed`] would fill its buffer
/// ([`window_framing`]): each is read in place. A window starts with the bytes after the
/// previous one's cut; should the scanner ever cut elsewhere than the framing did, the
/// window is rebuilt from the bytes left (a copy, never a different scan).
struct WindowFeed<'a> {
    windows: &'a mut Windows,
    current: Option<Window>,
    start: usize,
}

impl Feed for WindowFeed<'_> {
    fn fill(&mut self, _framing: &Framing) -> (u64, std::io::Result<bool>) {
        let Some(mut next) = self.windows.next_window() else {
            return (0, Ok(true));
        };
        let added = (next.len - next.carry) as u64;
        if let Some(used) = self.current.take() {
            let left = &used.buf[self.start..used.len];
            if left != &next.buf[..next.carry] {
                let mut rebuilt = left.to_vec();
                rebuilt.extend_from_slice(next.added());
                next.carry = left.len();
                next.len = rebuilt.len();
                next.buf = rebuilt;
            }
            self.windows.recycle(used.buf);
        }
        let end = std::mem::replace(&mut next.end, Ok(false));
        self.current = Some(next);
        self.start = 0;
        (added, end)
    }
    fn window(&self) -> &[u8] {
        self.current
            .as_ref()
            .map_or(&[], |w| &w.buf[self.start..w.len])
    }
    fn consume(&mut self, n: usize) {
        self.start += n;
    }
}

/// Bytes already in memory: the window is a sub-slice, nothing is copied.
struct SliceFeed<'a> {
    data: &'a [u8],
    start: usize,
    end: usize,
    /// Told every [`RELEASE_STEP`] bytes how far the scan has moved on.
    release: &'a dyn Fn(usize),
    released: usize,
}

/// How far a [`SliceFeed`] moves between two calls of its `release`.
const RELEASE_STEP: usize = 8 * 1024 * 1024;

impl Feed for SliceFeed<'_> {
    fn fill(&mut self, framing: &Framing) -> (u64, std::io::Result<bool>) {
        let before = self.end;
        let ended = framing.fill_with(|target| {
            self.end = self
                .data
                .len()
                .min(self.start.saturating_add(target))
                .max(self.end);
            let has_cut = (framing.cut)(self.window()).is_some();
            std::io::Result::Ok((self.end - self.start, self.end == self.data.len(), has_cut))
        });
        ((self.end - before) as u64, ended)
    }
    fn window(&self) -> &[u8] {
        &self.data[self.start..self.end]
    }
    fn consume(&mut self, n: usize) {
        self.start += n;
        if self.start - self.released >= RELEASE_STEP {
            (self.release)(self.start);
            self.released = self.start;
        }
    }
}

fn scan_feed<C: Classifier>(
    feed: &mut dyn Feed,
    ctx: &PartContext,
    classifier: &C,
    settings: &ScanSettings,
    progress: &(dyn Fn(u64) + Sync),
    sink: &mut dyn Sink,
) -> PartStats {
    let name = ctx.name;
    let mut out = PartStats::default();
    let cut = framing_cut(settings);
    let framing = window_framing(settings, &cut);
    let cap = framing.cap;
    let mut base_line: u64 = ctx.start.line;
    let mut base_offset: u64 = ctx.start.offset;
    let mut eof = false;
    let mut first_buffer = true;
    let mut utf8_warned = false;
    let mut long_line_warned = false;
    let mut last_byte: Option<u8> = None;
    let mut seen_rules: Vec<bool> = vec![false; classifier.cause_count()];
    while !eof || !feed.window().is_empty() {
        if !eof {
            let (read, ended) = feed.fill(&framing);
            match ended {
                Ok(reached_eof) => eof = reached_eof,
                Err(e) => {
                    let at = base_offset + feed.window().len() as u64;
                    out.warnings.push(Warning::new(
                        name,
                        format!("stopped reading after {at} bytes: {e}; findings before that point are kept"),
                    ));
                    eof = true;
                }
            }
            out.bytes += read;
            progress(read);
        }
        let buf = feed.window();
        if first_buffer {
            first_buffer = false;
            if !ctx.start.at_input_start {
                // A chunk or a resumed read: the input's start was judged elsewhere.
            } else if buf.is_empty() {
                if out.warnings.is_empty() {
                    out.warnings
                        .push(Warning::new(name, "empty input (0 bytes)"));
                }
                return out;
            } else if let Some(at) = memchr::memchr(0, &buf[..buf.len().min(BINARY_SNIFF_BYTES)]) {
                out.warnings.push(Warning::new(
                    name,
                    format!("binary data (NUL byte at offset {at}); not a log file, skipped"),
                ));
                out.skipped = true;
                return out;
            }
        }
        let cut = if eof {
            buf.len()
        } else {
            match window_cut(buf, settings) {
                Some(c) => c,
                None => {
                    if !long_line_warned {
                        long_line_warned = true;
                        out.warnings.push(Warning::at_line(
                            name,
                            base_line,
                            format!("line longer than {cap} bytes; it was scanned in pieces"),
                        ));
                    }
                    buf.len()
                }
            }
        };
        let region = &buf[..cut];
        let counted = scan_region(
            region,
            Position {
                line: base_line,
                offset: base_offset,
            },
            ctx,
            classifier,
            settings,
            &mut seen_rules,
            &mut utf8_warned,
            &mut out,
            sink,
        );
        // The region's lines: those counted up to its last event, and the rest.
        let region_lines = counted.line - base_line + count_lines(&region[counted.upto..]);
        base_line += region_lines;
        out.lines += region_lines;
        base_offset += cut as u64;
        if cut > 0 {
            last_byte = Some(buf[cut - 1]);
        }
        feed.consume(cut);
    }
    // A last line without its newline is a line too.
    if last_byte.is_some_and(|b| b != b'\n') {
        out.lines += 1;
    }
    out
}

/// Where a window that is not the input's last is cut: [`safe_cut`], or the whole window when
/// it holds no line end (a line longer than the window, scanned in pieces).
fn window_cut(buf: &[u8], settings: &ScanSettings) -> Option<usize> {
    safe_cut(buf, settings.event)
}

/// How [`scan_part`] reads its input, for a decoder that fills windows for
/// [`scan_windows`]: the window size and the cut, as the scanner's own.
pub fn window_framing<'a>(
    settings: &ScanSettings,
    cut: &'a (dyn Fn(&[u8]) -> Option<usize> + Sync),
) -> Framing<'a> {
    let cap = settings.buffer_bytes.max(MIN_BUFFER_BYTES);
    Framing {
        fill: settings.fill_bytes.clamp(MIN_BUFFER_BYTES, cap),
        cap,
        grow_from: MIN_BUFFER_BYTES,
        cut,
    }
}

/// The cut of [`window_framing`]: where the scanner cuts a full window.
pub fn framing_cut(settings: &ScanSettings) -> impl Fn(&[u8]) -> Option<usize> + Sync + '_ {
    |buf| window_cut(buf, settings)
}

/// Line feeds in `b` (SIMD byte counting: faster than iterating `memchr` hits on logs,
/// whose lines are short).
pub fn count_lines(b: &[u8]) -> u64 {
    bytecount::count(b, b'\n') as u64
}

/// Where a region starts in the input.
#[derive(Debug, Clone, Copy)]
struct Position {
    line: u64,
    offset: u64,
}

/// How far [`scan_region`] counted lines, so that its caller counts only the rest of the
/// region (counting every byte twice was a tenth of a scan's time): the line that starts at
/// byte `upto` of the region is line `line`.
struct CountedTo {
    upto: usize,
    line: u64,
}

#[allow(clippy::too_many_arguments)]
fn scan_region<C: Classifier>(
    region: &[u8],
    at: Position,
    ctx: &PartContext,
    classifier: &C,
    settings: &ScanSettings,
    seen_rules: &mut [bool],
    utf8_warned: &mut bool,
    out: &mut PartStats,
    sink: &mut dyn Sink,
) -> CountedTo {
    track_time_range(region, out);
    let mut from = 0usize;
    let mut line_cursor = (0usize, at.line);
    while let Some((hit_start, hit_end)) = classifier.find_candidate(region, from) {
        let (start, end) = event_bounds(region, hit_start, settings.event);
        from = end.max(hit_end);
        let text = String::from_utf8_lossy(&region[start..end]);
        // Only the bytes of candidate events are decoded: invalid UTF-8 elsewhere is never
        // shown and cannot change a match (literals are matched on bytes), so it is not
        // looked for (validating every byte cost about a sixth of the scan).
        if matches!(text, Cow::Owned(_)) && !*utf8_warned {
            *utf8_warned = true;
            let line = line_cursor.1 + count_lines(&region[line_cursor.0..start]);
            out.warnings.push(Warning::at_line(
                ctx.name,
                line,
                "invalid UTF-8 in a log event; decoded lossily (bad bytes shown as U+FFFD)",
            ));
        }
        let Some(class) = classifier.classify(&text, ctx.product) else {
            continue;
        };
        let time = parse_line_start(&region[start..]);
        if let Some(t) = &time
            && !settings.window.keeps(t, ctx.zone)
        {
            continue;
        }
        line_cursor.1 += count_lines(&region[line_cursor.0..start]);
        line_cursor.0 = start;
        let evidence = evidence_line(classifier, class.rule, &text);
        let first_of_rule = !seen_rules[class.rule];
        seen_rules[class.rule] = true;
        out.events += 1;
        sink.event(Event {
            line: line_cursor.1,
            offset: at.offset + start as u64,
            time,
            rule: class.rule,
            also: class.also,
            fields: class.fields,
            side: class.side,
            evidence,
            text: first_of_rule.then(|| text.into_owned()),
        });
    }
    CountedTo {
        upto: line_cursor.0,
        line: line_cursor.1,
    }
}

/// The line of the event on which the winning rule matched, capped in length.
fn evidence_line<C: Classifier>(classifier: &C, rule: CauseIndex, text: &str) -> String {
    let at = classifier.match_span(rule, text).map_or(0, |(s, _)| s);
    let s = line_start(text.as_bytes(), at);
    let e = text[at..].find('\n').map_or(text.len(), |i| at + i);
    let line = text[s..e].trim_end_matches('\r');
    truncate_chars(line, MAX_EVIDENCE_LINE)
}

/// `s` cut to at most `max` bytes on a character boundary, with an ellipsis when cut.
pub fn truncate_chars(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

/// Updates the first and last timestamps seen in an input, from the first and last
/// timestamped lines of a region (a bounded look at each end).
fn track_time_range(region: &[u8], out: &mut PartStats) {
    const LOOK: usize = 64;
    if out.first_time.is_none() {
        let mut pos = 0;
        for _ in 0..LOOK {
            if pos >= region.len() {
                break;
            }
            if let Some(t) = parse_line_start(&region[pos..]) {
                out.first_time = Some(t);
                break;
            }
            pos = event::line_end(region, pos) + 1;
        }
    }
    let mut end = region.len();
    for _ in 0..LOOK {
        if end == 0 {
            break;
        }
        let start = line_start(region, end - 1);
        if let Some(t) = parse_line_start(&region[start..]) {
            out.last_time = Some(t);
            break;
        }
        end = start;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::load_catalog;

    struct Scanned {
        events: Vec<Event>,
        lines: u64,
        skipped: bool,
        warnings: Vec<Warning>,
    }

    fn scan(text: &[u8], buffer: usize) -> Scanned {
        let (cat, errs) = load_catalog(&[]);
        assert!(errs.is_empty(), "{errs:?}");
        let settings = ScanSettings {
            buffer_bytes: buffer,
            ..Default::default()
        };
        let (events, stats) = scan_to_vec(text, "t.log", None, &cat, &settings);
        assert_eq!(stats.events, events.len() as u64);
        Scanned {
            events,
            lines: stats.lines,
            skipped: stats.skipped,
            warnings: stats.warnings,
        }
    }

    fn corpus() -> String {
        let mut s = String::new();
        for i in 0..5000 {
            s.push_str(&format!(
                "2024-01-01 10:00:00,{:03} INFO [main] [c.a.j.Foo] ordinary line {i}\n",
                i % 1000
            ));
            if i % 700 == 0 {
                s.push_str("2024-01-01 10:00:01,000 WARN [http-nio-8080-exec-1] [c.a.o.s.OAuthFilter] Problem encountered authenticating OAuth client for url \"https://jira.example.com/rest/api/2/issue\", error was \"timestamp_refused\", with parameters \"{oauth_problem=timestamp_refused, oauth_acceptable_timestamps=1704103200-1704103800}\"\n");
                s.push_str("java.net.SocketTimeoutException: Read timed out\n\tat java.net.SocketInputStream.read(SocketInputStream.java:1)\n");
            }
        }
        s
    }

    #[test]
    fn same_events_whatever_the_buffer_size() {
        let text = corpus();
        let big = scan(text.as_bytes(), 1 << 24);
        assert!(!big.events.is_empty());
        for size in [64 * 1024, 100_000, 300_000] {
            let small = scan(text.as_bytes(), size);
            let key = |s: &Scanned| {
                s.events
                    .iter()
                    .map(|e| (e.line, e.rule, e.evidence.clone()))
                    .collect::<Vec<_>>()
            };
            assert_eq!(key(&big), key(&small), "buffer {size}");
            assert_eq!(big.lines, small.lines);
        }
        assert_eq!(big.lines, text.lines().count() as u64);
    }

    #[test]
    fn a_slice_and_windows_scan_like_a_reader() {
        // The corpus, then a line longer than the smaller buffers, then the corpus again.
        let text = format!("{}{}\n{}", corpus(), "y".repeat(150_000), corpus());
        let (cat, _) = load_catalog(&[]);
        let ctx = PartContext {
            name: "t.log",
            product: None,
            zone: None,
            start: PartStart::INPUT_START,
        };
        // Windows filled to 64 KiB that grow to hold the long line (up to 256 KiB), and
        // windows too small for it.
        let sizes = [
            (64 * 1024, 64 * 1024),
            (100_000, 100_000),
            (64 * 1024, 256 * 1024),
            (DEFAULT_FILL_BYTES, 1 << 24),
        ];
        for (fill, size) in sizes {
            let settings = ScanSettings {
                buffer_bytes: size,
                fill_bytes: fill,
                ..Default::default()
            };
            let (mut read, mut mapped, mut framed) = (Vec::new(), Vec::new(), Vec::new());
            // The thread's kept buffer, as the previous sizes (and the first of these two
            // scans) left it: its size must not change what is found.
            let kept: Vec<(Vec<Event>, PartStats)> = (0..2)
                .map(|_| {
                    let mut events = Vec::new();
                    let stats = scan_part(
                        text.as_bytes(),
                        ReadBuffer::Kept,
                        &ctx,
                        &cat,
                        &settings,
                        &|_| {},
                        &mut events,
                    );
                    (events, stats)
                })
                .collect();
            let a = scan_part(
                text.as_bytes(),
                ReadBuffer::Own,
                &ctx,
                &cat,
                &settings,
                &|_| {},
                &mut read,
            );
            let b = scan_slice(
                text.as_bytes(),
                &|_| {},
                &ctx,
                &cat,
                &settings,
                &|_| {},
                &mut mapped,
            );
            let cut = framing_cut(&settings);
            let c = crate::source::ahead::with_windows(
                || Ok((text.as_bytes(), None)),
                &window_framing(&settings, &cut),
                |w| scan_windows(w, &ctx, &cat, &settings, &|_| {}, &mut framed),
            )
            .unwrap();
            let key = |v: &Vec<Event>| {
                v.iter()
                    .map(|e| (e.line, e.offset, e.rule, e.evidence.clone(), e.text.clone()))
                    .collect::<Vec<_>>()
            };
            assert!(!read.is_empty());
            let others = [(&mapped, &b), (&framed, &c)]
                .into_iter()
                .chain(kept.iter().map(|(events, stats)| (events, stats)));
            for (other, stats) in others {
                assert_eq!(key(&read), key(other), "buffer {size}");
                assert_eq!((a.lines, a.bytes), (stats.lines, stats.bytes));
                assert_eq!(
                    (a.first_time, a.last_time),
                    (stats.first_time, stats.last_time)
                );
                let says =
                    |s: &PartStats| s.warnings.iter().map(|w| w.to_string()).collect::<Vec<_>>();
                assert_eq!(says(&a), says(stats), "buffer {size}");
            }
            assert_eq!(
                a.warnings.len(),
                usize::from(size < 150_000),
                "buffer {size}"
            );
        }
    }

    /// A classifier and a sink that record when they were asked to prepare.
    struct Preparing<'a> {
        catalog: &'a crate::rules::Catalog,
        prepared: std::sync::atomic::AtomicUsize,
    }

    impl Classifier for Preparing<'_> {
        fn find_candidate(&self, haystack: &[u8], from: usize) -> Option<(usize, usize)> {
            self.catalog.find_candidate(haystack, from)
        }
        fn classify(
            &self,
            event: &str,
            product: Option<Product>,
        ) -> Option<crate::classify::Classification> {
            Classifier::classify(self.catalog, event, product)
        }
        fn match_span(&self, rule: CauseIndex, event: &str) -> Option<(usize, usize)> {
            Classifier::match_span(self.catalog, rule, event)
        }
        fn cause_count(&self) -> usize {
            self.catalog.cause_count()
        }
        fn prepare(&self) {
            self.prepared
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    }

    /// Events, each with how many times the sink had prepared when it came.
    #[derive(Default)]
    struct PreparedSink {
        prepared: usize,
        events: Vec<(usize, Event)>,
    }

    impl Sink for PreparedSink {
        fn prepare(&mut self) {
            self.prepared += 1;
        }
        fn event(&mut self, event: Event) {
            self.events.push((self.prepared, event));
        }
    }

    #[test]
    fn windows_decoded_ahead_are_scanned_by_a_prepared_classifier_and_sink() {
        let text = corpus();
        let (catalog, _) = load_catalog(&[]);
        let classifier = Preparing {
            catalog: &catalog,
            prepared: Default::default(),
        };
        let ctx = PartContext {
            name: "t.log",
            product: None,
            zone: None,
            start: PartStart::INPUT_START,
        };
        let settings = ScanSettings::default();
        let cut = framing_cut(&settings);
        let mut sink = PreparedSink::default();
        crate::source::ahead::with_windows(
            || Ok((text.as_bytes(), None)),
            &window_framing(&settings, &cut),
            |w| scan_windows(w, &ctx, &classifier, &settings, &|_| {}, &mut sink),
        )
        .unwrap();
        assert_eq!(
            classifier
                .prepared
                .load(std::sync::atomic::Ordering::Relaxed),
            1
        );
        assert!(!sink.events.is_empty());
        assert!(sink.events.iter().all(|(prepared, _)| *prepared == 1));
        // Preparing changes nothing found.
        let (events, _) = scan_to_vec(text.as_bytes(), "t.log", None, &catalog, &settings);
        let key = |e: &Event| (e.line, e.rule, e.evidence.clone());
        assert_eq!(
            sink.events.iter().map(|(_, e)| key(e)).collect::<Vec<_>>(),
            events.iter().map(key).collect::<Vec<_>>()
        );
    }

    #[test]
    fn line_numbers_are_right() {
        let text = "2024-01-01 10:00:00,000 INFO a\n2024-01-01 10:00:00,000 INFO b\n2024-01-01 10:00:00,000 ERROR x oauth_problem=signature_invalid\n";
        let s = scan(text.as_bytes(), 1 << 20);
        assert_eq!(s.events.len(), 1);
        assert_eq!(s.events[0].line, 3);
        assert_eq!(s.lines, 3);
        let s = scan(text.trim_end().as_bytes(), 1 << 20);
        assert_eq!(s.lines, 3, "a last line without newline counts");
    }

    #[test]
    fn binary_and_empty_inputs_warn() {
        let s = scan(b"\x7fELF\x00\x00binary", 1 << 20);
        assert!(s.skipped);
        assert!(s.warnings[0].message.contains("binary"));
        let s = scan(b"", 1 << 20);
        assert!(s.warnings[0].message.contains("empty"));
    }

    #[test]
    fn invalid_utf8_in_an_event_warns_and_goes_on() {
        let mut t = b"2024-01-01 10:00:00,000 INFO caf\xe9\n".to_vec();
        t.extend_from_slice(
            b"2024-01-01 10:00:00,000 ERROR caf\xe9 oauth_problem=signature_invalid\n",
        );
        t.extend_from_slice(
            b"2024-01-01 10:00:01,000 ERROR cr\xe8me oauth_problem=signature_invalid\n",
        );
        let s = scan(&t, 1 << 20);
        assert_eq!(s.events.len(), 2);
        assert_eq!(s.warnings.len(), 1);
        assert_eq!(s.warnings[0].line, Some(2));
        assert!(s.events[0].evidence.contains("caf\u{fffd}"));
    }

    #[test]
    fn invalid_utf8_outside_events_is_not_looked_for() {
        let mut t = b"2024-01-01 10:00:00,000 INFO caf\xe9\n".to_vec();
        t.extend_from_slice(b"2024-01-01 10:00:00,000 ERROR oauth_problem=signature_invalid\n");
        let s = scan(&t, 1 << 20);
        assert_eq!(s.events.len(), 1);
        assert!(s.warnings.is_empty(), "{:?}", s.warnings);
    }

    #[test]
    fn huge_line_warns_and_scans() {
        let mut t = vec![b'x'; 300_000];
        t.extend_from_slice(b" oauth_problem=signature_invalid\n");
        let s = scan(&t, 64 * 1024);
        assert!(s.warnings.iter().any(|w| w.message.contains("longer than")));
        assert_eq!(s.events.len(), 1);
    }
}
