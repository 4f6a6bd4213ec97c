//! `rules lint`: static and example-driven checks of a rule catalog (built-in plus user
//! rules). It finds what `rules test` cannot see: duplicate ids across files, rules no
//! example produces, regexes that match none of their own examples or that match text the
//! prefilter would never hand them (none of the rule's literals in it), rules that overlap at
//! equal priority, and anchor literals too short or too common to keep the prefilter fast.
//!
//! Literal frequency is measured against the benign corpus of `tests/benign/`, embedded at
//! build time, so the check needs no files at run time and judges the same text the
//! precision test scans.

use super::examples::scan_example;
use crate::rules::catalog::{Catalog, Rule};
use crate::rules::gate::{self, KeysFrom};
use crate::rules::load::{self, LoadedFile, RuleError};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::PathBuf;

/// Literals shorter than this are flagged: they match too often to be an anchor.
pub const LINT_MIN_LITERAL_LEN: usize = 6;
/// More distinct literals than this and the per-line prefilter grows slow. (The buffer
/// search is the gate's at most 48 keys whatever the literals: `rules::gate`; the literal
/// set is searched only in lines where a key occurs. The limit was 60 before the lifecycle
/// marker rules, which share anchors where they can and add ten.)
pub const MAX_DISTINCT_LITERALS: usize = 80;
/// A literal on more than this share of benign lines (per mille) is too common.
pub const MAX_BENIGN_PER_MILLE: usize = 10;

/// How serious a lint finding is. Only errors make `rules lint` exit 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LintLevel {
    Error,
    Warning,
    Info,
}

impl LintLevel {
    pub fn name(self) -> &'static str {
        match self {
            LintLevel::Error => "ERROR",
            LintLevel::Warning => "WARNING",
            LintLevel::Info => "INFO",
        }
    }
}

/// One thing lint found, about one rule (or `*` for the whole catalog) of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LintFinding {
    pub level: LintLevel,
    pub rule: String,
    pub file: String,
    pub message: String,
}

impl fmt::Display for LintFinding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} ({}): {}",
            self.level.name(),
            self.rule,
            self.file,
            self.message
        )
    }
}

fn finding(level: LintLevel, rule: &Rule, message: String) -> LintFinding {
    LintFinding {
        level,
        rule: rule.id.clone(),
        file: rule.origin.clone(),
        message,
    }
}

/// Lints the built-in catalog plus the user rule directories, as `scan --rules` would load
/// them.
pub fn lint(user_rules: &[PathBuf]) -> Vec<LintFinding> {
    let mut out = Vec::new();
    let mut files = match load::builtin_files(load::Examples::Read) {
        Ok(f) => f,
        Err(e) => {
            out.push(load_error(&e));
            Vec::new()
        }
    };
    let builtin_count = files.len();
    let user = load::user_rules(user_rules);
    files.extend(user.files);
    out.extend(user.errors.iter().map(load_error));
    out.extend(duplicate_ids(&files, builtin_count));
    let (catalog, errors) = Catalog::compile_with(files, &user.stored_keys);
    out.extend(errors.iter().map(load_error));
    out.extend(lint_catalog(&catalog));
    if catalog.gate_keys_from() == KeysFrom::Chosen {
        let stale = if user.stored_keys.is_empty() {
            "no --rules directory stores them"
        } else {
            "the stored ones were chosen for other rules"
        };
        out.push(LintFinding {
            level: LintLevel::Info,
            rule: "*".to_string(),
            file: "catalog".to_string(),
            message: format!(
                "the gate's keys are chosen at every start-up ({stale}); store them with \
                 `linkdoctor rules gate --rules DIR --write`"
            ),
        });
    }
    out
}

/// A file or rule that did not load, as a lint error (rule id `-`: the id may be what broke).
fn load_error(e: &RuleError) -> LintFinding {
    let mut message = String::new();
    if let Some(line) = e.line {
        message.push_str(&format!("line {line}"));
        if let Some(col) = e.column {
            message.push_str(&format!(", column {col}"));
        }
        message.push_str(": ");
    }
    if let Some(field) = &e.field {
        message.push_str(&format!("field `{field}`: "));
    }
    message.push_str(&e.message);
    LintFinding {
        level: LintLevel::Error,
        rule: "-".to_string(),
        file: e.file.clone(),
        message,
    }
}

/// The same id in two files. A user file redefining a built-in id is the documented way to
/// override it (info); two built-in files, or two user files, defining one id is a mistake.
fn duplicate_ids(files: &[LoadedFile], builtin_count: usize) -> Vec<LintFinding> {
    let mut out = Vec::new();
    // id -> the file that defines it last so far (the one that wins).
    let mut first: BTreeMap<&str, (usize, &str)> = BTreeMap::new();
    for (fi, file) in files.iter().enumerate() {
        let mut in_this_file = BTreeSet::new();
        for spec in &file.rules {
            let id = spec.id.value.as_str();
            if !in_this_file.insert(id) {
                continue; // reported by compile as a duplicate within one file
            }
            match first.get(id) {
                None => {
                    first.insert(id, (fi, &file.origin));
                }
                Some(&(prev, prev_origin)) => {
                    let (level, message) = if prev < builtin_count && fi >= builtin_count {
                        (
                            LintLevel::Info,
                            format!("overrides the built-in rule of {prev_origin}"),
                        )
                    } else if fi < builtin_count {
                        (
                            LintLevel::Error,
                            format!("duplicate id: also defined in {prev_origin}"),
                        )
                    } else {
                        (
                            LintLevel::Warning,
                            format!(
                                "duplicate id: also defined in {prev_origin}; this file's rule replaces it"
                            ),
                        )
                    };
                    out.push(LintFinding {
                        level,
                        rule: id.to_string(),
                        file: file.origin.clone(),
                        message,
                    });
                    first.insert(id, (fi, &file.origin));
                }
            }
        }
    }
    out
}

/// Every check that needs the compiled catalog.
pub fn lint_catalog(catalog: &Catalog) -> Vec<LintFinding> {
    let mut out = Vec::new();
    let mut overlaps_seen = BTreeSet::new();
    for (r, rule) in catalog.rules().iter().enumerate() {
        out.extend(examples_produce_rule(catalog, r));
        out.extend(regex_against_examples(rule));
        out.extend(equal_priority_overlaps(catalog, r, &mut overlaps_seen));
        out.extend(unmarked_catch_all(rule));
    }
    out.extend(literal_findings(catalog));
    out
}

/// Rules no example covers, and match examples that do not come out as their rule.
fn examples_produce_rule(catalog: &Catalog, r: usize) -> Vec<LintFinding> {
    let rule = catalog.rule(r);
    if rule.examples_match.is_empty() {
        return vec![finding(
            LintLevel::Error,
            rule,
            "no example covers this rule (examples.match is empty)".to_string(),
        )];
    }
    let mut lost = Vec::new();
    for (i, ex) in rule.examples_match.iter().enumerate() {
        let events = scan_example(catalog, ex, &rule.id);
        if !events.iter().any(|e| e.rule == r) {
            let by = events
                .first()
                .map(|e| format!("classified as {}", catalog.rule(e.rule).id))
                .unwrap_or_else(|| "no rule matched".to_string());
            lost.push(format!("examples.match[{i}] ({by})"));
        }
    }
    if lost.len() == rule.examples_match.len() {
        vec![finding(
            LintLevel::Error,
            rule,
            format!(
                "its examples never produce it: {}; the rule is unreachable as written",
                lost.join(", ")
            ),
        )]
    } else {
        lost.into_iter()
            .map(|l| {
                finding(
                    LintLevel::Error,
                    rule,
                    format!("{l} is not produced by this rule"),
                )
            })
            .collect()
    }
}

/// The regex against the rule's own match examples: it must match at least one, and where
/// it matches, one of the rule's literals must be what it matched on. A regex that still
/// matches once every literal is blanked out can match events without any literal, and the
/// prefilter never shows such events to the rule.
fn regex_against_examples(rule: &Rule) -> Vec<LintFinding> {
    let Some(re) = &rule.regex else {
        return Vec::new();
    };
    if rule.examples_match.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut matched_any = false;
    let mut span_reported = false;
    for (i, ex) in rule.examples_match.iter().enumerate() {
        let text = ex.text.as_str();
        let Some(m) = re.find(text) else {
            continue;
        };
        matched_any = true;
        let in_span = rule.literals.iter().any(|l| {
            text.match_indices(l.as_str())
                .any(|(s, _)| s < m.end() && s + l.len() > m.start())
        });
        if !in_span && !span_reported {
            span_reported = true;
            out.push(finding(
                LintLevel::Warning,
                rule,
                format!(
                    "on examples.match[{i}] the regex matched `{}`, which none of the literals touches: the rule fires there only because a literal occurs elsewhere in the event",
                    truncate(m.as_str(), 60)
                ),
            ));
        }
        let blanked = blank_literals(text, &rule.literals);
        if let Some(b) = re.find(&blanked) {
            out.push(finding(
                LintLevel::Error,
                rule,
                format!(
                    "the regex still matches examples.match[{i}] with every literal removed (at `{}`): events without any of the literals are hidden by the prefilter; add a literal for that alternative",
                    truncate(b.as_str(), 60)
                ),
            ));
        }
    }
    if !matched_any {
        out.push(finding(
            LintLevel::Error,
            rule,
            "the regex matches none of the rule's own match examples; it may never match"
                .to_string(),
        ));
    }
    out
}

/// `text` with every occurrence of every literal replaced by `#` characters.
/// Exceptions that name a symptom, not a cause: the cause is in a `Caused by:` of the same
/// event. A rule anchored only on them must be a catch-all (`catch_all: true`), or it would
/// win over the specific cause below it.
pub const SYMPTOM_LITERALS: &[&str] = &[
    "SSLHandshakeException",
    "SSLException",
    "ResponseException",
    "ManifestNotFoundException",
    "OperationFailedException",
    "CredentialsRequiredException",
    "handshake_failure",
    "Failed to retrieve manifest",
    "oauth_problem",
    "problem was:",
];

/// A rule whose every literal is a symptom (see [`SYMPTOM_LITERALS`]), with no regex to
/// narrow it, but which is not marked `catch_all`: an error, since it would hide the
/// specific cause.
fn unmarked_catch_all(rule: &Rule) -> Vec<LintFinding> {
    let symptom_only = !rule.literals.is_empty()
        && rule.regex.is_none()
        && rule
            .literals
            .iter()
            .all(|l| SYMPTOM_LITERALS.contains(&l.as_str()));
    if symptom_only && !rule.catch_all {
        vec![finding(
            LintLevel::Error,
            rule,
            "every literal names a symptom (an exception whose cause is in a `Caused by:`): mark the rule `catch_all: true` so a specific cause in the same event wins".to_string(),
        )]
    } else {
        Vec::new()
    }
}

fn blank_literals(text: &str, literals: &[String]) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for lit in literals {
        for (s, _) in text.match_indices(lit.as_str()) {
            for b in &mut bytes[s..s + lit.len()] {
                *b = b'#';
            }
        }
    }
    // Only whole literal occurrences (whole UTF-8 sequences) were replaced by ASCII.
    String::from_utf8_lossy(&bytes).into_owned()
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let cut: String = s.chars().take(max).collect();
    format!("{cut}…")
}

/// A match example of this rule also matched by another rule of the same priority: which
/// one wins then depends on where in the event they match, not on an explicit decision.
fn equal_priority_overlaps(
    catalog: &Catalog,
    r: usize,
    seen: &mut BTreeSet<(usize, usize)>,
) -> Vec<LintFinding> {
    let rule = catalog.rule(r);
    let mut out = Vec::new();
    for (i, ex) in rule.examples_match.iter().enumerate() {
        for event in scan_example(catalog, ex, &rule.id) {
            let involved: Vec<usize> = std::iter::once(event.rule)
                .chain(event.also.iter().copied())
                .collect();
            if !involved.contains(&r) {
                continue;
            }
            for &other in &involved {
                let o = catalog.rule(other);
                if other == r || o.priority != rule.priority {
                    continue;
                }
                if !seen.insert((r.min(other), r.max(other))) {
                    continue;
                }
                out.push(finding(
                    LintLevel::Warning,
                    rule,
                    format!(
                        "overlaps with {} (same priority {}) on examples.match[{i}]; give the more specific rule a higher priority",
                        o.id, rule.priority
                    ),
                ));
            }
        }
    }
    out
}

/// The byte strings of `all`, as the automata of `rules::gate` take them.
fn as_bytes(all: &[String]) -> Vec<&[u8]> {
    all.iter().map(|p| p.as_bytes()).collect()
}

/// Anchor literals that are short, common words, or frequent in benign logs, and the size
/// of the whole literal set.
fn literal_findings(catalog: &Catalog) -> Vec<LintFinding> {
    let mut out = Vec::new();
    let (lit_lines, lines) = gate::benign_lines_with(&as_bytes(catalog.literals()));
    for (lit, &hits) in catalog.literals().iter().zip(&lit_lines) {
        let users: Vec<&Rule> = catalog
            .rules()
            .iter()
            .filter(|r| r.literals.contains(lit))
            .collect();
        let Some(first) = users.first() else {
            continue;
        };
        let also = if users.len() > 1 {
            format!(" (also used by {} other rules)", users.len() - 1)
        } else {
            String::new()
        };
        if lit.len() < LINT_MIN_LITERAL_LEN {
            out.push(finding(
                LintLevel::Warning,
                first,
                format!(
                    "literal '{lit}' is shorter than {LINT_MIN_LITERAL_LEN} bytes and will match often{also}"
                ),
            ));
        }
        let lower = lit.trim().to_ascii_lowercase();
        if gate::COMMON_LOG_WORDS.contains(&lower.as_str()) {
            out.push(finding(
                LintLevel::Warning,
                first,
                format!("literal '{lit}' is a common log word and floods the prefilter{also}"),
            ));
        }
        if gate::more_than_per_mille(hits, lines, MAX_BENIGN_PER_MILLE) {
            out.push(finding(
                LintLevel::Warning,
                first,
                format!(
                    "literal '{lit}' occurs on {hits} of {lines} lines of benign log text{also}"
                ),
            ));
        }
    }
    // The literal count no longer matters (the gate searches a bounded set of 4-byte keys);
    // what costs speed is a key that ordinary lines contain (the gate prices such keys high
    // too, so this warns only when a literal has no other key).
    let (key_lines, _) = gate::benign_lines_with(&as_bytes(catalog.gate_keys()));
    for (key, &hits) in catalog.gate_keys().iter().zip(&key_lines) {
        if gate::more_than_per_mille(hits, lines, gate::MAX_KEY_LINES_PER_MILLE) {
            let lits: Vec<&str> = catalog
                .literals()
                .iter()
                .filter(|l| l.contains(key.as_str()))
                .map(String::as_str)
                .take(3)
                .collect();
            out.push(LintFinding {
                level: LintLevel::Warning,
                rule: "*".to_string(),
                file: "catalog".to_string(),
                message: format!(
                    "gate key '{key}' occurs on {hits} of {lines} benign lines: literals such as '{}' have no rarer 4 bytes; give them a rarer anchor",
                    lits.join("', '")
                ),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::load::parse_rule_file;

    fn lint_yaml(yaml: &str) -> Vec<LintFinding> {
        let (catalog, errors) = Catalog::compile(vec![parse_rule_file("t.yaml", yaml).unwrap()]);
        assert!(errors.is_empty(), "{errors:?}");
        lint_catalog(&catalog)
    }

    fn rule_yaml(id: &str, priority: i32, literals: &str, regex: &str, examples: &str) -> String {
        format!(
            "  - id: {id}\n    title: t\n    category: network\n    severity: error\n    priority: {priority}\n    match: {{ literals: {literals}{regex} }}\n    cause: c\n    remediation: [r]\n    examples: {examples}\n"
        )
    }

    #[test]
    fn a_symptom_only_rule_must_be_a_catch_all() {
        let mut rule = crate::rules::test_rule("tls-generic", "SSLHandshakeException");
        assert_eq!(unmarked_catch_all(&rule).len(), 1);
        rule.catch_all = true;
        assert!(unmarked_catch_all(&rule).is_empty());
        let specific = crate::rules::test_rule("tls-pkix", "PKIX path");
        assert!(unmarked_catch_all(&specific).is_empty());
    }

    #[test]
    fn builtin_catalog_has_no_lint_errors_or_warnings() {
        let findings = lint(&[]);
        let bad: Vec<String> = findings
            .iter()
            .filter(|f| f.level != LintLevel::Info)
            .map(|f| f.to_string())
            .collect();
        assert!(bad.is_empty(), "{}", bad.join("\n"));
    }

    #[test]
    fn rule_without_examples_is_an_error() {
        let yaml = format!(
            "rules:\n{}",
            rule_yaml(
                "lonely",
                0,
                "[\"Lonely failure here\"]",
                "",
                "{ match: [], no_match: [] }"
            )
        );
        let f = lint_yaml(&yaml);
        assert!(
            f.iter()
                .any(|f| f.level == LintLevel::Error && f.message.contains("no example covers")),
            "{f:?}"
        );
    }

    #[test]
    fn regex_that_bypasses_its_literals_is_an_error() {
        let yaml = format!(
            "rules:\n{}",
            rule_yaml(
                "bypass",
                0,
                "[\"Broken pipe\"]",
                ", regex: 'Broken pipe|reset by peer'",
                "{ match: ['x Broken pipe', 'y reset by peer Broken pipe'], no_match: [] }"
            )
        );
        let f = lint_yaml(&yaml);
        assert!(
            f.iter().any(
                |f| f.level == LintLevel::Error && f.message.contains("every literal removed")
            ),
            "{f:?}"
        );
    }

    #[test]
    fn regex_matching_none_of_its_examples_is_an_error() {
        let yaml = format!(
            "rules:\n{}",
            rule_yaml(
                "never",
                0,
                "[\"Broken pipe\"]",
                ", regex: 'Broken pipe\\d{3}'",
                "{ match: ['x Broken pipe', 'y Broken pipe'], no_match: [] }"
            )
        );
        let f = lint_yaml(&yaml);
        assert!(
            f.iter().any(|f| f.message.contains("matches none of")),
            "{f:?}"
        );
        assert!(
            f.iter().any(|f| f.message.contains("never produce")),
            "{f:?}"
        );
    }

    #[test]
    fn equal_priority_overlap_is_reported_once() {
        let ex = "{ match: ['a Broken pipe here', 'b Broken pipe there'], no_match: [] }";
        let yaml = format!(
            "rules:\n{}{}",
            rule_yaml("one", 5, "[\"Broken pipe\"]", "", ex),
            rule_yaml("two", 5, "[\"Broken pipe\"]", "", ex)
        );
        let f = lint_yaml(&yaml);
        let overlaps: Vec<_> = f
            .iter()
            .filter(|f| f.message.contains("overlaps"))
            .collect();
        assert_eq!(overlaps.len(), 1, "{f:?}");
        let yaml = format!(
            "rules:\n{}{}",
            rule_yaml("one", 5, "[\"Broken pipe\"]", "", ex),
            rule_yaml("two", 6, "[\"Broken pipe\"]", "", ex)
        );
        assert!(
            !lint_yaml(&yaml)
                .iter()
                .any(|f| f.message.contains("overlaps"))
        );
    }

    #[test]
    fn short_and_common_literals_are_flagged() {
        let yaml = format!(
            "rules:\n{}",
            rule_yaml(
                "noisy",
                0,
                "[\"proxy\", \"Failed\"]",
                "",
                "{ match: ['proxy x', 'Failed y'], no_match: [] }"
            )
        );
        let f = lint_yaml(&yaml);
        assert!(
            f.iter().any(|f| f.message.contains("shorter than")),
            "{f:?}"
        );
        assert!(
            f.iter().any(|f| f.message.contains("common log word")),
            "{f:?}"
        );
        assert!(
            f.iter()
                .any(|f| f.to_string().starts_with("WARNING noisy (t.yaml): literal")),
            "{f:?}"
        );
    }

    #[test]
    fn duplicate_ids_across_files() {
        let yaml = format!(
            "rules:\n{}",
            rule_yaml(
                "dup",
                0,
                "[\"Broken pipe\"]",
                "",
                "{ match: [], no_match: [] }"
            )
        );
        let a = parse_rule_file("rules/a.yaml", &yaml).unwrap();
        let b = parse_rule_file("rules/b.yaml", &yaml).unwrap();
        let c = parse_rule_file("user/c.yaml", &yaml).unwrap();
        let d = parse_rule_file("user/d.yaml", &yaml).unwrap();
        let f = duplicate_ids(&[a, b], 2);
        assert_eq!(f[0].level, LintLevel::Error);
        let a = parse_rule_file("rules/a.yaml", &yaml).unwrap();
        let f = duplicate_ids(&[a, c, d], 1);
        assert_eq!(f[0].level, LintLevel::Info, "{f:?}");
        assert_eq!(f[0].file, "user/c.yaml");
        assert_eq!(f[1].level, LintLevel::Warning, "{f:?}");
        assert!(f[1].message.contains("user/c.yaml"), "{f:?}");
    }
}
