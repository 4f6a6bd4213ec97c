//! A reader for the Java `.properties` format (as `java.util.Properties.load` reads it), used
//! for Bitbucket's `shared/bitbucket.properties`, Stash's `stash-config.properties` and
//! `pom.properties` version markers.
//!
//! Handled: `#` and `!` comment lines; `=`, `:` or whitespace between key and value (the
//! first unescaped one ends the key; whitespace around `=`/`:` is dropped); logical lines
//! continued with an odd number of trailing `\`, with leading whitespace of the continuation
//! dropped; escapes `\t \n \r \f \uXXXX` and `\x` for any other `x`. A malformed `\uXXXX` is
//! the one error Java reports; here it is an error with line and column, and the rest of
//! the file is still read. Later duplicates win, as in Java.

use std::collections::BTreeMap;

/// One property with the line (1-based) where its logical line starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Property {
    pub key: String,
    pub value: String,
    pub line: u64,
}

/// A syntax error: 1-based line and column and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropertiesError {
    pub line: u64,
    pub column: u64,
    pub message: String,
}

/// Everything read from one file: the properties (last definition of each key wins) and the
/// errors met on the way.
#[derive(Debug, Default, Clone)]
pub struct Properties {
    pub entries: BTreeMap<String, Property>,
    pub errors: Vec<PropertiesError>,
}

impl Properties {
    pub fn get(&self, key: &str) -> Option<&Property> {
        self.entries.get(key)
    }
}

/// A logical line: its text with continuations joined, the physical line it starts on, and
/// for each char of `text` the (line, column) it came from.
struct LogicalLine {
    chars: Vec<(char, u64, u64)>,
    first_line: u64,
}

fn ends_with_odd_backslashes(s: &str) -> bool {
    s.chars().rev().take_while(|&c| c == '\\').count() % 2 == 1
}

fn logical_lines(text: &str) -> Vec<LogicalLine> {
    let mut out = Vec::new();
    let mut current: Option<LogicalLine> = None;
    // `lines()` splits on \n and strips a trailing \r; a lone \r also ends a line in Java.
    let physical = text
        .split('\n')
        .flat_map(|l| l.strip_suffix('\r').unwrap_or(l).split('\r'))
        .enumerate();
    for (idx, raw) in physical {
        let line_no = idx as u64 + 1;
        let body = raw.trim_start_matches([' ', '\t', '\x0c']);
        let col_offset = raw[..raw.len() - body.len()].chars().count() as u64;
        // A blank or comment line is skipped unless it continues the previous line.
        if current.is_none() && (body.is_empty() || body.starts_with('#') || body.starts_with('!'))
        {
            continue;
        }
        let continues = ends_with_odd_backslashes(body);
        let kept = if continues {
            &body[..body.len() - 1]
        } else {
            body
        };
        let entry = current.get_or_insert_with(|| LogicalLine {
            chars: Vec::new(),
            first_line: line_no,
        });
        for (i, c) in kept.chars().enumerate() {
            entry.chars.push((c, line_no, col_offset + i as u64 + 1));
        }
        if !continues {
            out.extend(current.take());
        }
    }
    out.extend(current.take());
    out
}

/// Unescapes `chars`; errors name the position of the bad escape.
fn unescape(chars: &[(char, u64, u64)], errors: &mut Vec<PropertiesError>) -> String {
    let mut out = String::with_capacity(chars.len());
    let mut i = 0;
    while i < chars.len() {
        let (c, line, column) = chars[i];
        if c != '\\' {
            out.push(c);
            i += 1;
            continue;
        }
        let Some(&(next, _, _)) = chars.get(i + 1) else {
            i += 1;
            continue;
        };
        i += 2;
        match next {
            't' => out.push('\t'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            'f' => out.push('\x0c'),
            'u' => {
                let hex: String = chars.iter().skip(i).take(4).map(|t| t.0).collect();
                match (hex.len() == 4)
                    .then(|| u32::from_str_radix(&hex, 16).ok())
                    .flatten()
                    .and_then(char::from_u32)
                {
                    Some(ch) => {
                        out.push(ch);
                        i += 4;
                    }
                    None => errors.push(PropertiesError {
                        line,
                        column,
                        message: format!("malformed \\uxxxx escape: \\u{hex}"),
                    }),
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// Parses properties text. Never fails: errors are collected and the rest is read.
pub fn parse(text: &str) -> Properties {
    let mut props = Properties::default();
    for logical in logical_lines(text) {
        let chars = &logical.chars;
        // Find the end of the key: first unescaped '=', ':' or whitespace.
        let mut key_end = chars.len();
        let mut i = 0;
        while i < chars.len() {
            match chars[i].0 {
                '\\' => i += 2,
                '=' | ':' | ' ' | '\t' | '\x0c' => {
                    key_end = i;
                    break;
                }
                _ => i += 1,
            }
        }
        let mut value_start = key_end;
        while value_start < chars.len() && matches!(chars[value_start].0, ' ' | '\t' | '\x0c') {
            value_start += 1;
        }
        if value_start < chars.len() && matches!(chars[value_start].0, '=' | ':') {
            value_start += 1;
            while value_start < chars.len() && matches!(chars[value_start].0, ' ' | '\t' | '\x0c') {
                value_start += 1;
            }
        }
        let key = unescape(&chars[..key_end.min(chars.len())], &mut props.errors);
        let value = unescape(&chars[value_start.min(chars.len())..], &mut props.errors);
        props.entries.insert(
            key.clone(),
            Property {
                key,
                value,
                line: logical.first_line,
            },
        );
    }
    props
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(p: &Properties, k: &str) -> Option<String> {
        p.get(k).map(|p| p.value.clone())
    }

    #[test]
    fn separators_and_comments() {
        let p = parse(
            "# comment\n! also\nserver.port=7990\nserver.scheme : https\nserver.proxy-name bb.example.com\n  \nempty=\nbare\n",
        );
        assert_eq!(value(&p, "server.port").as_deref(), Some("7990"));
        assert_eq!(value(&p, "server.scheme").as_deref(), Some("https"));
        assert_eq!(
            value(&p, "server.proxy-name").as_deref(),
            Some("bb.example.com")
        );
        assert_eq!(value(&p, "empty").as_deref(), Some(""));
        assert_eq!(value(&p, "bare").as_deref(), Some(""));
        assert_eq!(p.get("server.scheme").map(|p| p.line), Some(4));
        assert!(p.errors.is_empty());
    }

    #[test]
    fn continuations_and_escapes() {
        let p = parse("a=one \\\n    two\\\\\nb\\ c=x\\ty\nc=\\u0041\\=\\:\nd=\\\\\\\n  e\n");
        assert_eq!(value(&p, "a").as_deref(), Some("one two\\"));
        assert_eq!(value(&p, "b c").as_deref(), Some("x\ty"));
        assert_eq!(value(&p, "c").as_deref(), Some("A=:"));
        assert_eq!(value(&p, "d").as_deref(), Some("\\e"));
        assert_eq!(p.get("d").map(|p| p.line), Some(5));
    }

    #[test]
    fn crlf_and_later_duplicates_win() {
        let p = parse("k=1\r\nk=2\r\n");
        assert_eq!(value(&p, "k").as_deref(), Some("2"));
        assert_eq!(p.get("k").map(|p| p.line), Some(2));
    }

    #[test]
    fn malformed_unicode_escape_is_located() {
        let p = parse("ok=1\nbad=\\uZZ1\nafter=2\n");
        assert_eq!(p.errors.len(), 1);
        assert_eq!(p.errors[0].line, 2);
        assert_eq!(p.errors[0].column, 5);
        assert_eq!(value(&p, "after").as_deref(), Some("2"));
    }
}
