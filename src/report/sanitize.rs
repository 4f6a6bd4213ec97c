//! Terminal sanitising of text taken from the input (file and member names, log lines, user
//! rule texts, warning messages) before the table and Markdown renderers and the stderr
//! warnings print it. A log line or a file name could otherwise carry terminal escape
//! sequences (colours, cursor moves, OSC 52 clipboard writes, window titles) or a carriage
//! return that overwrites the line already printed, and so forge or hide output.
//!
//! Controls are shown as visible escapes, so the reader still sees that they were there:
//! C0 controls and DEL as `\xNN` (ESC is `\x1b`, CR `\x0d`), C1 controls and the Unicode
//! bidirectional and line-separator controls as `\u{NNNN}`. A backslash itself is left as
//! it is. JSON and NDJSON: serde_json escapes C0 controls itself but writes DEL, C1 and the
//! bidirectional controls raw, so [`json`] writes those as `\uNNNN` escapes (the same JSON
//! value, nothing a terminal acts on).
//!
//! [`inline`] is for one-line texts (a cell, a path, a message): newlines are escaped too.
//! [`block`] is for multi-line texts (a log sample): newlines are kept, a CR before a newline
//! (CRLF line ends) is dropped.

use std::borrow::Cow;
use std::fmt::Write;

/// Whether `c` is shown escaped. Tab is harmless and kept; newline is decided by the caller.
fn is_unsafe(c: char) -> bool {
    matches!(c,
        '\0'..='\x08' | '\x0a'..='\x1f' | '\x7f' | '\u{80}'..='\u{9f}'
        | '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{2028}' | '\u{2029}'
        | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

fn escape_into(out: &mut String, c: char) {
    if (c as u32) < 0x80 {
        let _ = write!(out, "\\x{:02x}", c as u32);
    } else {
        let _ = write!(out, "\\u{{{:04x}}}", c as u32);
    }
}

fn sanitize(text: &str, keep_newlines: bool) -> Cow<'_, str> {
    let needs = |c: char| is_unsafe(c) && !(keep_newlines && c == '\n');
    let Some(first) = text.find(needs) else {
        return Cow::Borrowed(text);
    };
    let mut out = String::with_capacity(text.len() + 16);
    out.push_str(&text[..first]);
    let mut chars = text[first..].chars().peekable();
    while let Some(c) = chars.next() {
        if keep_newlines && c == '\r' && chars.peek() == Some(&'\n') {
            continue;
        }
        if needs(c) {
            escape_into(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `text` safe to print on one line of a terminal: every control but tab shown escaped.
pub fn inline(text: &str) -> Cow<'_, str> {
    sanitize(text, false)
}

/// `text` safe to print on a terminal as several lines: newlines and tabs kept, every other
/// control shown escaped, CRLF line ends turned into LF.
pub fn block(text: &str) -> Cow<'_, str> {
    sanitize(text, true)
}

/// Serialised JSON (as serde_json writes it) with the characters serde_json leaves raw and
/// a terminal may act on (DEL, C1, bidirectional and line-separator controls) written as
/// `\uNNNN` escapes. They can only occur inside JSON strings, where the escape means the same
/// character, so the document's value is unchanged.
pub fn json(text: String) -> String {
    // C0 controls are escaped by serde_json inside strings; outside them they are the
    // document's own whitespace (pretty printing), and stay.
    let raw_in_json = |c: char| c >= '\x7f' && is_unsafe(c);
    if !text.contains(raw_in_json) {
        return text;
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if raw_in_json(c) {
            let _ = write!(out, "\\u{:04x}", c as u32);
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed() {
        for t in [
            "",
            "a.log:12 oauth_problem=x\tand ünïcode → ok",
            "C:\\logs\\a.log",
        ] {
            assert!(matches!(inline(t), Cow::Borrowed(_)), "{t}");
        }
        assert!(matches!(block("two\nlines"), Cow::Borrowed(_)));
    }

    #[test]
    fn escapes_osc52_esc_and_cr() {
        let osc52 = "x\x1b]52;c;ZWNobyBwd25lZA==\x07y";
        assert_eq!(inline(osc52), "x\\x1b]52;c;ZWNobyBwd25lZA==\\x07y");
        assert_eq!(inline("\x1b[2J\x1b[1;31mred"), "\\x1b[2J\\x1b[1;31mred");
        assert_eq!(inline("ok\rforged"), "ok\\x0dforged");
        assert_eq!(inline("a\nb"), "a\\x0ab");
        assert_eq!(inline("del\x7f nul\0"), "del\\x7f nul\\x00");
    }

    #[test]
    fn escapes_c1_and_bidi_controls() {
        assert_eq!(inline("csi\u{9b}31m"), "csi\\u{009b}31m");
        assert_eq!(inline("abc\u{202e}gpj.exe"), "abc\\u{202e}gpj.exe");
        assert_eq!(inline("x\u{2028}y"), "x\\u{2028}y");
    }

    #[test]
    fn block_keeps_lines_and_drops_crlf() {
        assert_eq!(block("a\r\nb\n\tc"), "a\nb\n\tc");
        assert_eq!(
            block("a\rforged\n\x1b]0;title\x07"),
            "a\\x0dforged\n\\x1b]0;title\\x07"
        );
    }

    #[test]
    fn json_keeps_its_value() {
        let value = serde_json::json!({"t": "a\u{9b}31m\x7f\u{202e}\x1b\n\u{2028}é"});
        let text = json(value.to_string());
        assert_eq!(text, r#"{"t":"a\u009b31m\u007f\u202e\u001b\n\u2028é"}"#);
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, value);
        let pretty = serde_json::to_string_pretty(&value).unwrap();
        let text = json(pretty.clone());
        assert_eq!(
            text,
            pretty
                .replace('\u{9b}', "\\u009b")
                .replace('\x7f', "\\u007f")
                .replace('\u{202e}', "\\u202e")
                .replace('\u{2028}', "\\u2028")
        );
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&text).unwrap(),
            value
        );
        let plain = String::from(r#"{"a":"b"}"#);
        assert_eq!(json(plain.clone()), plain);
    }

    #[test]
    fn nothing_unsafe_survives() {
        let all: String = (0u32..0x2070).filter_map(char::from_u32).collect();
        for out in [inline(&all), block(&all)] {
            assert!(!out.chars().any(|c| is_unsafe(c) && c != '\n'), "{out:?}");
        }
        assert!(!inline(&all).contains('\n'));
    }
}
