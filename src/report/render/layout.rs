//! How wide text output may be: the terminal's width (or `COLUMNS`) when writing to a
//! terminal, a plain 80-column layout without borders when piped (a cron mail, a file).
//! Tables shrink to the width and prose wraps to it (at most [`MAX_PROSE`] columns, which
//! reads better than a full-width line on a wide screen).

use std::io::IsTerminal;

/// Width of plain (piped) output.
pub const PLAIN_WIDTH: usize = 80;
/// Longest prose line, whatever the width.
pub const MAX_PROSE: usize = 110;
/// Narrowest width laid out for (a narrower `COLUMNS` is raised to it).
pub const MIN_WIDTH: usize = 40;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// A terminal of this many columns.
    Width(usize),
    /// Piped: no borders, [`PLAIN_WIDTH`] columns.
    Plain,
}

impl Layout {
    /// `COLUMNS` when set to a number; else the width of the terminal on standard output;
    /// else (piped, redirected) [`Layout::Plain`].
    pub fn detect() -> Layout {
        if let Some(w) = std::env::var("COLUMNS")
            .ok()
            .and_then(|v| v.trim().parse::<usize>().ok())
            .filter(|&w| w > 0)
        {
            return Layout::Width(w);
        }
        if std::io::stdout().is_terminal()
            && let Some((terminal_size::Width(w), _)) = terminal_size::terminal_size()
        {
            return Layout::Width(usize::from(w));
        }
        Layout::Plain
    }

    /// Columns the output may use.
    pub fn width(self) -> usize {
        match self {
            Layout::Width(w) => w.clamp(MIN_WIDTH, 1000),
            Layout::Plain => PLAIN_WIDTH,
        }
    }

    /// Columns prose wraps at.
    pub fn prose_width(self) -> usize {
        self.width().min(MAX_PROSE)
    }
}

/// `text` wrapped to `width` columns, the first line after `first` and the others after
/// `rest` (both counted in the width); words longer than a line are broken.
pub fn wrap(text: &str, width: usize, first: &str, rest: &str) -> String {
    let opts = textwrap::Options::new(width.max(first.len() + 10))
        .initial_indent(first)
        .subsequent_indent(rest)
        .break_words(true)
        .word_splitter(textwrap::WordSplitter::NoHyphenation);
    let filled = textwrap::fill(text, &opts);
    // A label whose text moved to the next line would keep a trailing blank.
    let filled = if filled.lines().any(|l| l.ends_with(' ')) {
        filled
            .lines()
            .map(str::trim_end)
            .collect::<Vec<_>>()
            .join("\n")
    } else {
        filled
    };
    // textwrap gives leading whitespace inside the text no width; cut what still overflows
    // (an indented stack-trace line), so no line ever passes the width.
    let width = opts.width;
    // (Display width: ANSI styling in a heading takes no room.)
    if filled
        .lines()
        .all(|l| textwrap::core::display_width(l) <= width)
    {
        return filled;
    }
    let mut out = String::with_capacity(filled.len() + 16);
    for line in filled.lines() {
        let mut chars: Vec<char> = line.chars().collect();
        let mut prefix = "";
        while prefix.chars().count() + chars.len() > width {
            let room = width.saturating_sub(prefix.chars().count()).max(1);
            let head: String = chars.drain(..room).collect();
            out.push_str(prefix);
            out.push_str(&head);
            out.push('\n');
            prefix = rest;
        }
        out.push_str(prefix);
        out.extend(chars);
        out.push('\n');
    }
    out.pop();
    out
}

/// A reference (`Title, section - https://...`) for a terminal: the title wrapped after
/// `first`, the address on a line of its own after `rest`, never broken (so it stays
/// clickable).
pub fn reference(text: &str, width: usize, first: &str, rest: &str) -> String {
    let Some(at) = text.find("https://").or_else(|| text.find("http://")) else {
        return wrap(text, width, first, rest);
    };
    let (title, url) = text.split_at(at);
    let title = title.trim().trim_end_matches([':', '-']).trim();
    if title.is_empty() {
        return format!("{first}{url}");
    }
    format!("{}\n{rest}{url}", wrap(title, width, first, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_with_indents_within_the_width() {
        let text = "Check that the remote application's base URL is exactly the application URL stored in the link.";
        let w = wrap(text, 40, "  1. ", "     ");
        assert!(w.lines().count() > 1, "{w}");
        assert!(w.lines().all(|l| l.chars().count() <= 40), "{w}");
        assert!(w.starts_with("  1. Check"));
        assert!(w.lines().skip(1).all(|l| l.starts_with("     ")));
    }

    #[test]
    fn indented_text_is_cut_to_the_width() {
        let line = format!("    at {}", "x.".repeat(60));
        let w = wrap(&line, 40, "  | ", "  |   ");
        assert!(w.lines().all(|l| l.chars().count() <= 40), "{w}");
        let kept: String = w
            .lines()
            .map(|l| l.trim_start_matches("  |   ").trim_start_matches("  | "))
            .collect::<String>()
            .split_whitespace()
            .collect();
        let want: String = line.split_whitespace().collect();
        assert_eq!(kept, want, "nothing of the text is lost");
    }

    #[test]
    fn references_keep_the_address_whole() {
        let r = reference(
            "Application Links Troubleshooting Guide, checklist item 9 - https://confluence.atlassian.com/kb/application-links-troubleshooting-guide-718668765.html",
            40,
            "  - ",
            "    ",
        );
        let last = r.lines().last().unwrap();
        assert_eq!(
            last,
            "    https://confluence.atlassian.com/kb/application-links-troubleshooting-guide-718668765.html"
        );
        assert!(
            r.lines().rev().skip(1).all(|l| l.chars().count() <= 40),
            "{r}"
        );
    }

    #[test]
    fn widths() {
        assert_eq!(Layout::Plain.width(), PLAIN_WIDTH);
        assert_eq!(Layout::Width(10).width(), MIN_WIDTH);
        assert_eq!(Layout::Width(200).prose_width(), MAX_PROSE);
    }
}
