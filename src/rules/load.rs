//! Loading rule files: the built-in catalog embedded from `rules/*.yaml`, and user rule
//! directories given with `--rules DIR`. User files are untrusted input: their size is
//! limited, YAML parsing runs under a budget, and every error names the file, line, column
//! and field. A bad user file is reported and skipped; the other files still load.

use super::gate::{STORED_KEYS_FILE, StoredKeys};
use super::schema::{Located, RuleFile, RuleSpec};
use std::fmt;
use std::path::{Path, PathBuf};

/// The built-in rule files, embedded in the binary. A test checks that every file in
/// `rules/` is listed here.
pub const BUILTIN_FILES: &[(&str, &str)] = &[
    ("rules/oauth.yaml", include_str!("../../rules/oauth.yaml")),
    ("rules/ssl.yaml", include_str!("../../rules/ssl.yaml")),
    (
        "rules/network.yaml",
        include_str!("../../rules/network.yaml"),
    ),
    (
        "rules/applinks.yaml",
        include_str!("../../rules/applinks.yaml"),
    ),
    ("rules/auth.yaml", include_str!("../../rules/auth.yaml")),
    ("rules/http.yaml", include_str!("../../rules/http.yaml")),
    ("rules/hung.yaml", include_str!("../../rules/hung.yaml")),
    (
        "rules/integration.yaml",
        include_str!("../../rules/integration.yaml"),
    ),
    (
        "rules/lifecycle.yaml",
        include_str!("../../rules/lifecycle.yaml"),
    ),
];

/// Largest user rule file accepted.
pub const MAX_RULE_FILE_BYTES: u64 = 1024 * 1024;

/// A rule loading or validation error, located as precisely as the input allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    pub file: String,
    pub line: Option<u64>,
    pub column: Option<u64>,
    /// Dotted path of the offending field, e.g. `rules[3].match.regex`.
    pub field: Option<String>,
    pub message: String,
}

impl RuleError {
    pub fn at(file: &str, loc: &Located, field: String, message: impl Into<String>) -> Self {
        let l = &loc.referenced;
        RuleError {
            file: file.to_string(),
            line: (l.line() > 0).then(|| l.line()),
            column: (l.column() > 0).then(|| l.column()),
            field: Some(field),
            message: message.into(),
        }
    }

    pub fn file(file: &str, message: impl Into<String>) -> Self {
        RuleError {
            file: file.to_string(),
            line: None,
            column: None,
            field: None,
            message: message.into(),
        }
    }
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(col) = self.column {
                write!(f, ":{col}")?;
            }
        }
        if let Some(field) = &self.field {
            write!(f, ": field `{field}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Rules parsed from one file, with the file's display name.
pub struct LoadedFile {
    pub origin: String,
    pub rules: Vec<RuleSpec>,
    /// A built-in file (part of the program, tested by `cargo test`): its regexes are
    /// compiled on first use.
    pub builtin: bool,
}

/// Parses one rule file's text. `origin` names the file in errors.
pub fn parse_rule_file(origin: &str, text: &str) -> Result<LoadedFile, RuleError> {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_depth = 32;
    budget.max_nodes = 200_000;
    budget.max_total_scalar_bytes = 4 * 1024 * 1024;
    budget.max_aliases = 0;
    budget.max_anchors = 0;
    let options = serde_saphyr::options! {
        budget: Some(budget),
    };
    match serde_saphyr::from_str_with_options::<RuleFile>(text, options) {
        Ok(file) => Ok(LoadedFile {
            origin: origin.to_string(),
            rules: file.rules,
            builtin: false,
        }),
        Err(e) => {
            let loc = e.location();
            // The error's own text carries a snippet; keep its first line as the message.
            let message = e.to_string();
            let message = strip_location_prefix(message.lines().next().unwrap_or("invalid YAML"));
            Err(RuleError {
                file: origin.to_string(),
                line: loc.map(|l| l.line()).filter(|&n| n > 0),
                column: loc.map(|l| l.column()).filter(|&n| n > 0),
                field: None,
                message,
            })
        }
    }
}

/// The parser's message without its own `error: line N column M: ` prefix (the location is
/// kept in the error's fields and printed once).
fn strip_location_prefix(message: &str) -> String {
    let m = message.strip_prefix("error: ").unwrap_or(message);
    if let Some(rest) = m.strip_prefix("line ")
        && let Some((loc, text)) = rest.split_once(": ")
        && loc
            .split(' ')
            .all(|w| w == "column" || w.bytes().all(|b| b.is_ascii_digit()))
    {
        return text.to_string();
    }
    m.to_string()
}

/// Whether the built-in rules are read with their examples. Scanning does not use them,
/// and they are more than half of the embedded YAML: reading a catalog without them halves
/// the start-up's parse, which counts on a fleet of small files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Examples {
    Read,
    Skip,
}

/// Loads the embedded catalog. Built-in files are part of the program: an error here is a
/// bug caught by `cargo test`, but it is still reported, never a panic.
///
/// Inside a pool of more than one thread (a scan's, where the catalog is loaded beside the
/// walk) the files are parsed in parallel, in order: a single big `.gz` has nothing to walk,
/// and its decoder starts once the catalog is loaded.
pub fn builtin_files(examples: Examples) -> Result<Vec<LoadedFile>, RuleError> {
    let parse = |(name, text): &(&str, &str)| {
        let parsed = match examples {
            Examples::Read => parse_rule_file(name, text),
            Examples::Skip => parse_rule_file(name, &without_examples(text)),
        };
        parsed.map(|file| LoadedFile {
            builtin: true,
            ..file
        })
    };
    if rayon::current_thread_index().is_some() && rayon::current_num_threads() > 1 {
        use rayon::prelude::*;
        BUILTIN_FILES.par_iter().map(parse).collect()
    } else {
        BUILTIN_FILES.iter().map(parse).collect()
    }
}

/// A built-in rule file with every rule's `examples:` block blanked out, line for line (so
/// lines keep their numbers). The built-in files are laid out one way (a test holds them
/// to it): a rule's keys are indented four spaces and what its `examples:` holds deeper, so
/// the block ends at the first line that is not blank and is indented four spaces or less.
fn without_examples(text: &str) -> String {
    let mut out = String::with_capacity(text.len() / 2);
    let mut in_examples = false;
    for line in text.split_inclusive('\n') {
        let content = line.trim_end();
        if in_examples && (content.is_empty() || line.starts_with("      ")) {
            out.push('\n');
            continue;
        }
        in_examples = content == "    examples:";
        if in_examples {
            out.push_str("    examples: {match: [], no_match: []}\n");
        } else {
            out.push_str(line);
        }
    }
    out
}

/// What the `--rules` paths hold: their rule files, the gate keys stored in their
/// directories, and what did not load.
#[derive(Default)]
pub struct UserRules {
    pub files: Vec<LoadedFile>,
    pub stored_keys: Vec<StoredKeys>,
    pub errors: Vec<RuleError>,
}

/// Loads every `--rules` path in order: its rule files ([`user_files`]) and, for a
/// directory, the gate keys stored in it ([`stored_keys`]).
pub fn user_rules(paths: &[PathBuf]) -> UserRules {
    let mut out = UserRules::default();
    for path in paths {
        let (files, errors) = user_files(path);
        out.files.extend(files);
        out.errors.extend(errors);
        match stored_keys(path) {
            Ok(Some(keys)) => out.stored_keys.push(keys),
            Ok(None) => {}
            Err(e) => out.errors.push(e),
        }
    }
    out
}

/// The gate keys stored in a `--rules` directory ([`STORED_KEYS_FILE`]), if it has them. A
/// file that does not parse is an error naming it (the keys are then chosen at start-up).
pub fn stored_keys(path: &Path) -> Result<Option<StoredKeys>, RuleError> {
    let file = path.join(STORED_KEYS_FILE);
    if !path.is_dir() || !file.exists() {
        return Ok(None);
    }
    let text = read_limited_as(&file, "the stored gate keys")?;
    StoredKeys::parse(&text).map(Some).map_err(|e| {
        RuleError::file(
            &file.display().to_string(),
            format!("stored gate keys not read ({e}); they are chosen at start-up"),
        )
    })
}

/// Loads every `*.yaml` / `*.yml` file of a user rule directory (or a single file), in name
/// order. Files that fail are returned as errors next to the files that loaded.
pub fn user_files(path: &Path) -> (Vec<LoadedFile>, Vec<RuleError>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    let shown = path.display().to_string();
    let paths: Vec<PathBuf> = if path.is_dir() {
        match std::fs::read_dir(path) {
            Ok(entries) => {
                let mut v: Vec<PathBuf> = entries
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| {
                        matches!(
                            p.extension().and_then(|e| e.to_str()),
                            Some("yaml") | Some("yml")
                        )
                    })
                    .collect();
                v.sort();
                v
            }
            Err(e) => {
                errors.push(RuleError::file(
                    &shown,
                    format!("cannot read directory: {e}"),
                ));
                return (files, errors);
            }
        }
    } else {
        vec![path.to_path_buf()]
    };
    for p in paths {
        let name = p.display().to_string();
        match read_limited(&p) {
            Ok(text) => match parse_rule_file(&name, &text) {
                Ok(f) => files.push(f),
                Err(e) => errors.push(e),
            },
            Err(e) => errors.push(e),
        }
    }
    (files, errors)
}

/// A user rule file's text: only a regular file (a FIFO is refused, not waited on; a device
/// such as `/dev/zero` is refused, not read until memory runs out) of at most
/// [`MAX_RULE_FILE_BYTES`], in UTF-8.
fn read_limited(p: &Path) -> Result<String, RuleError> {
    read_limited_as(p, "rule file")
}

/// [`read_limited`] for a file of the `--rules` paths that the error calls `what`.
fn read_limited_as(p: &Path, what: &str) -> Result<String, RuleError> {
    let name = p.display().to_string();
    let bytes = crate::source::state::read_regular_file(p, MAX_RULE_FILE_BYTES)
        .map_err(|e| RuleError::file(&name, format!("cannot read {what}: {e}")))?;
    String::from_utf8(bytes).map_err(|e| {
        RuleError::file(
            &name,
            format!(
                "not UTF-8 text (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_file_is_embedded() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
        for entry in std::fs::read_dir(dir).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().to_string();
            if name.ends_with(".yaml") {
                let rel = format!("rules/{name}");
                assert!(
                    BUILTIN_FILES.iter().any(|(n, _)| *n == rel),
                    "{rel} is not listed in BUILTIN_FILES"
                );
            }
        }
    }

    #[test]
    fn builtin_files_parse() {
        builtin_files(Examples::Read).unwrap();
    }

    /// Read without examples, the built-in files give the same rules, only without
    /// examples: the blanking follows the files' layout.
    #[test]
    fn builtin_files_without_examples_are_the_same_rules() {
        let with = builtin_files(Examples::Read).unwrap();
        let without = builtin_files(Examples::Skip).unwrap();
        assert_eq!(with.len(), without.len());
        let mut examples = 0;
        // Lines and columns are kept; byte offsets shrink with the blanked text.
        let bytes = regex::Regex::new(r"offset: \d+|byte_info: \(\d+, \d+\)").unwrap();
        let shown = |r: &RuleSpec| bytes.replace_all(&format!("{r:?}"), "").into_owned();
        for (w, o) in with.into_iter().zip(without) {
            assert_eq!(w.rules.len(), o.rules.len(), "{}", w.origin);
            for (mut w, o) in w.rules.into_iter().zip(o.rules) {
                examples += w.examples.matching.len() + w.examples.not_matching.len();
                assert!(o.examples.matching.is_empty() && o.examples.not_matching.is_empty());
                assert_eq!(w.id.referenced.line(), o.id.referenced.line());
                w.examples = crate::rules::schema::Examples {
                    matching: vec![],
                    not_matching: vec![],
                };
                assert_eq!(shown(&w), shown(&o), "{}", w.id.value);
            }
        }
        assert!(examples > 500, "{examples}");
    }

    #[test]
    fn unknown_field_is_located() {
        let text = "rules:\n  - id: x\n    titel: oops\n";
        let err = parse_rule_file("user.yaml", text).err().unwrap();
        assert_eq!(err.file, "user.yaml");
        assert_eq!(err.line, Some(3));
        assert!(err.message.contains("titel"), "{}", err.message);
        assert!(err.message.starts_with("unknown field"), "{}", err.message);
    }

    #[test]
    fn malformed_yaml_is_an_error_not_a_panic() {
        for text in ["rules: [", "rules:\n  - id: [1, 2\n", "\u{0}", "rules: *a"] {
            assert!(parse_rule_file("bad.yaml", text).is_err());
        }
    }
}
