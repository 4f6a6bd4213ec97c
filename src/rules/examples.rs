//! Running the examples every rule carries (Sigma/Semgrep style): each `match` example must
//! be classified as that rule by the real scan engine (event assembly included), and no
//! event of a `no_match` example may match the rule at all.

use super::Catalog;
use crate::scan::{ScanSettings, scan_reader};

/// One example that did not behave as its rule says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExampleFailure {
    pub rule: String,
    pub origin: String,
    /// `match` or `no_match`.
    pub kind: &'static str,
    /// 0-based index in the rule's list.
    pub index: usize,
    pub example: String,
    pub detail: String,
}

impl std::fmt::Display for ExampleFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let first = self.example.lines().next().unwrap_or("");
        write!(
            f,
            "{}: rule {} examples.{}[{}]: {}\n    example: {}",
            self.origin, self.rule, self.kind, self.index, self.detail, first
        )
    }
}

/// Runs every example of every rule. Returns how many ran and the failures.
pub fn run_all(catalog: &Catalog) -> (usize, Vec<ExampleFailure>) {
    let settings = ScanSettings::default();
    let mut ran = 0;
    let mut failures = Vec::new();
    for (r, rule) in catalog.rules().iter().enumerate() {
        let fail = |kind, index, example: &str, detail: String| ExampleFailure {
            rule: rule.id.clone(),
            origin: rule.origin.clone(),
            kind,
            index,
            example: example.to_string(),
            detail,
        };
        for (i, ex) in rule.examples_match.iter().enumerate() {
            ran += 1;
            let scan = scan_reader(ex.as_bytes(), &rule.id, None, catalog, &settings, &|_| {});
            if scan.events.iter().any(|e| e.rule == r) {
                continue;
            }
            let detail = match scan.events.first() {
                Some(e) => format!(
                    "classified as {} instead (this rule {})",
                    catalog.rule(e.rule).id,
                    if e.also.contains(&r) {
                        "matched but lost on priority/specificity"
                    } else {
                        "did not match"
                    }
                ),
                None => "no rule matched".to_string(),
            };
            failures.push(fail("match", i, ex, detail));
        }
        for (i, ex) in rule.examples_no_match.iter().enumerate() {
            ran += 1;
            let scan = scan_reader(ex.as_bytes(), &rule.id, None, catalog, &settings, &|_| {});
            if scan
                .events
                .iter()
                .any(|e| e.rule == r || e.also.contains(&r))
            {
                failures.push(fail("no_match", i, ex, "the rule matched".to_string()));
            }
        }
    }
    (ran, failures)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::load_catalog;

    /// Every built-in rule's examples hold, and every rule carries at least two examples that
    /// must match and one that must not.
    #[test]
    fn builtin_examples_pass() {
        let (catalog, errors) = load_catalog(&[]);
        assert!(errors.is_empty(), "{errors:?}");
        for rule in catalog.rules() {
            assert!(
                rule.examples_match.len() >= 2,
                "{} has < 2 match examples",
                rule.id
            );
            assert!(
                !rule.examples_no_match.is_empty(),
                "{} has no no_match example",
                rule.id
            );
        }
        let (ran, failures) = run_all(&catalog);
        let text: Vec<String> = failures.iter().map(|f| f.to_string()).collect();
        assert!(failures.is_empty(), "{}", text.join("\n"));
        assert!(ran >= 3 * catalog.rules().len());
    }
}
