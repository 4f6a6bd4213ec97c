//! Timestamps at the start of Atlassian log lines. Recognises the main-log layout of all six
//! products (`yyyy-MM-dd HH:mm:ss,SSS`, with Jira 7+'s numeric UTC offset appended) and
//! Tomcat JULI's `dd-MMM-yyyy HH:mm:ss.SSS` in `catalina.out`. Only head lines of events are
//! parsed, so this is off the hot path.

use jiff::civil::DateTime;
use jiff::tz::Offset;

pub use crate::model::LogTime;

fn digits(b: &[u8]) -> Option<i32> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0i32, |acc, d| acc * 10 + i32::from(d - b'0')))
}

const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

/// Cheap test used when assembling events: does the line start with a known timestamp?
pub fn starts_with_timestamp(line: &[u8]) -> bool {
    iso_shape(line) || juli_shape(line)
}

fn iso_shape(l: &[u8]) -> bool {
    l.len() >= 19
        && l[4] == b'-'
        && l[7] == b'-'
        && (l[10] == b' ' || l[10] == b'T')
        && l[13] == b':'
        && l[16] == b':'
        && l[0].is_ascii_digit()
        && l[3].is_ascii_digit()
        && l[18].is_ascii_digit()
}

fn juli_shape(l: &[u8]) -> bool {
    l.len() >= 20
        && l[2] == b'-'
        && l[6] == b'-'
        && l[11] == b' '
        && l[14] == b':'
        && l[17] == b':'
        && l[0].is_ascii_digit()
        && l[3].is_ascii_uppercase()
}

/// Parses the timestamp at the start of a log line, if there is one.
pub fn parse_line_start(l: &[u8]) -> Option<LogTime> {
    let (y, mo, d, rest_at) = if iso_shape(l) {
        (digits(&l[0..4])?, digits(&l[5..7])?, digits(&l[8..10])?, 11)
    } else if juli_shape(l) {
        let m = MONTHS.iter().position(|m| &l[3..6] == *m)? as i32 + 1;
        (digits(&l[7..11])?, m, digits(&l[0..2])?, 12)
    } else {
        return None;
    };
    let h = digits(&l[rest_at..rest_at + 2])?;
    let mi = digits(&l[rest_at + 3..rest_at + 5])?;
    let s = digits(&l[rest_at + 6..rest_at + 8])?;
    let mut i = rest_at + 8;
    let mut nanos = 0i32;
    if i < l.len() && (l[i] == b',' || l[i] == b'.') {
        let start = i + 1;
        let mut end = start;
        while end < l.len() && end < start + 9 && l[end].is_ascii_digit() {
            end += 1;
        }
        if end > start {
            let frac = digits(&l[start..end])?;
            nanos = frac * 10i32.pow(9 - (end - start) as u32);
        }
        i = end;
    }
    let civil = DateTime::new(
        i16::try_from(y).ok()?,
        i8::try_from(mo).ok()?,
        i8::try_from(d).ok()?,
        i8::try_from(h).ok()?,
        i8::try_from(mi).ok()?,
        i8::try_from(s).ok()?,
        nanos,
    )
    .ok()?;
    let offset = parse_offset(&l[i.min(l.len())..]);
    Some(LogTime { civil, offset })
}

fn parse_offset(l: &[u8]) -> Option<Offset> {
    if l.len() >= 5 && (l[0] == b'+' || l[0] == b'-') {
        let hh = digits(&l[1..3])?;
        let mm = digits(&l[3..5])?;
        let secs = (hh * 3600 + mm * 60) * if l[0] == b'-' { -1 } else { 1 };
        return Offset::from_seconds(secs).ok();
    }
    if l.first() == Some(&b'Z') {
        return Some(Offset::UTC);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jira_with_offset() {
        let t =
            parse_line_start(b"2024-03-05 09:12:44,614-0600 http-nio-8080-exec-3 ERROR").unwrap();
        assert_eq!(t.to_string(), "2024-03-05T09:12:44.614-06:00");
        assert_eq!(t.epoch_seconds(None), Some(1709651564));
    }

    #[test]
    fn confluence_without_offset() {
        let t = parse_line_start(b"2024-03-05 09:12:44,614 ERROR [http-nio]").unwrap();
        assert_eq!(t.offset, None);
        assert_eq!(t.epoch_seconds(None), None);
        assert_eq!(t.to_string(), "2024-03-05T09:12:44.614");
    }

    #[test]
    fn tomcat_juli() {
        let t = parse_line_start(b"05-Mar-2024 09:12:44.614 SEVERE [main] x").unwrap();
        assert_eq!(t.to_string(), "2024-03-05T09:12:44.614");
    }

    #[test]
    fn garbage_is_none_not_panic() {
        for l in [
            &b"2024-13-45 99:99:99,000 x"[..],
            b"99-Xyz-2024 00:00:00.000",
            b"short",
            b"",
            b"2024-02-30 10:00:00,000",
        ] {
            assert!(
                parse_line_start(l).is_none(),
                "{:?}",
                String::from_utf8_lossy(l)
            );
        }
    }
}
