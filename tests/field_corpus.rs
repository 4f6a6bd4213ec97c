//! The field corpus (tests/field/*.yaml: real log events from public sources, each with the
//! rule it should give or `benign`) scored through the real scanner, each event alone at its
//! product's log path. Any miss, false positive or unscorable event fails, and so does an
//! event still waiting for its rule (`rule: new:<family>/<slug>`).

use linkdoctor::rulecheck::field::{load_corpus, score};
use linkdoctor::rules::load_catalog;
use std::path::Path;

#[test]
fn field_corpus_scores_without_miss_or_false_positive() {
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/field"));
    let (events, errors) = load_corpus(dir);
    assert!(errors.is_empty(), "{errors:?}");
    assert!(events.len() >= 60, "only {} events", events.len());
    let (catalog, rule_errors) = load_catalog(&[]);
    assert!(rule_errors.is_empty(), "{rule_errors:?}");
    let s = score(&catalog, &events);
    let mut problems: Vec<String> = s.errors.clone();
    problems.extend(s.misses().map(|o| format!("MISS {o}")));
    problems.extend(
        s.with_false_positives()
            .filter(|o| !o.miss())
            .map(|o| format!("FP   {o}")),
    );
    assert!(
        problems.is_empty(),
        "{} of {} scored events fail:\n{}",
        problems.len(),
        s.outcomes.len() + s.errors.len(),
        problems.join("\n")
    );
}
