//! Running the examples every rule carries (Sigma/Semgrep style): each `match` example must
//! be classified as that rule by the real scan engine (event assembly included), and no
//! event of a `no_match` example may match the rule at all. A product-tagged example is
//! scanned as that product's log, so the rule's `products` filter is exercised too.

use crate::rules::Catalog;
use crate::rules::schema::ExampleSpec;
use crate::scan::{Event, ScanSettings, scan_to_vec};

/// One example that did not behave as its rule says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExampleFailure {
    pub rule: String,
    pub origin: String,
    /// `match` or `no_match`.
    pub kind: &'static str,
    /// 0-based index in the rule's list.
    pub index: usize,
    pub example: ExampleSpec,
    pub detail: String,
}

impl std::fmt::Display for ExampleFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let first = self.example.text.lines().next().unwrap_or("");
        let product = self
            .example
            .product
            .map(|p| format!(" (as {p})"))
            .unwrap_or_default();
        write!(
            f,
            "{}: rule {} examples.{}[{}]{}: {}\n    example: {}",
            self.origin, self.rule, self.kind, self.index, product, self.detail, first
        )
    }
}

/// The events the real scanner finds in one example, scanned as its product's log.
pub fn scan_example(catalog: &Catalog, example: &ExampleSpec, name: &str) -> Vec<Event> {
    let settings = ScanSettings::default();
    scan_to_vec(
        example.text.as_bytes(),
        name,
        example.product,
        catalog,
        &settings,
    )
    .0
}

/// Runs every example of every rule. Returns how many ran and the failures.
pub fn run_all(catalog: &Catalog) -> (usize, Vec<ExampleFailure>) {
    let mut ran = 0;
    let mut failures = Vec::new();
    for (r, rule) in catalog.rules().iter().enumerate() {
        let fail = |kind, index, example: &ExampleSpec, detail: String| ExampleFailure {
            rule: rule.id.clone(),
            origin: rule.origin.clone(),
            kind,
            index,
            example: example.clone(),
            detail,
        };
        for (i, ex) in rule.examples_match.iter().enumerate() {
            ran += 1;
            let events = scan_example(catalog, ex, &rule.id);
            if events.iter().any(|e| e.rule == r) {
                continue;
            }
            let detail = match events.first() {
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
            let events = scan_example(catalog, ex, &rule.id);
            if events.iter().any(|e| e.rule == r || e.also.contains(&r)) {
                failures.push(fail("no_match", i, ex, "the rule matched".to_string()));
            }
        }
    }
    (ran, failures)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Product;
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

    /// Every built-in rule carries, for each product it applies to (all six when its
    /// `products` list is empty), a match example tagged with that product, written in that
    /// product's log line layout.
    #[test]
    fn builtin_rules_have_a_tagged_example_per_product() {
        let (catalog, _) = load_catalog(&[]);
        let mut missing = Vec::new();
        for rule in catalog.rules() {
            let products: &[Product] = if rule.products.is_empty() {
                &Product::ALL
            } else {
                &rule.products
            };
            for &p in products {
                if !rule.examples_match.iter().any(|e| e.product == Some(p)) {
                    missing.push(format!("{} has no match example for {p}", rule.id));
                }
            }
        }
        assert!(missing.is_empty(), "{}", missing.join("\n"));
    }

    /// A tagged example runs with its product, so a rule limited to another product does not
    /// fire on it.
    #[test]
    fn tagged_examples_use_the_product_filter() {
        let yaml = r#"
rules:
  - id: jira-only
    title: t
    category: applinks
    severity: error
    products: [jira]
    match: { literals: ["remote thing broke"] }
    cause: c
    remediation: [r]
    examples:
      match:
        - {product: confluence, text: "remote thing broke"}
        - {product: jira, text: "remote thing broke"}
      no_match: []
"#;
        let file = crate::rules::load::parse_rule_file("t.yaml", yaml).unwrap();
        let (catalog, errors) = Catalog::compile(vec![file]);
        assert!(errors.is_empty(), "{errors:?}");
        let (_, failures) = run_all(&catalog);
        assert_eq!(failures.len(), 1, "{failures:?}");
        assert_eq!(failures[0].index, 0);
        assert!(failures[0].to_string().contains("(as confluence)"));
    }
}
