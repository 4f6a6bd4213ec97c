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

/// The gate prices its keys against `tests/field/background.log` (src/rules/gate.rs): it must
/// be exactly the ordinary text of this corpus, the lines of its benign events and the stack
/// frames of its failures, none reconstructed (`validate.py --background` writes it).
#[test]
fn gate_background_is_the_corpus_ordinary_text() {
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/field"));
    let (events, errors) = load_corpus(dir);
    assert!(errors.is_empty(), "{errors:?}");
    let is_frame = |line: &str| {
        let t = line.trim_start();
        t.starts_with("at ")
            || t.strip_prefix("... ")
                .and_then(|r| r.strip_suffix(" more"))
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    };
    let mut want: Vec<&str> = events
        .iter()
        .filter(|e| !e.reconstructed)
        .flat_map(|e| {
            let benign = e.rule.as_deref() == Some("benign");
            e.text.lines().filter(move |l| benign || is_frame(l))
        })
        .collect();
    let file = std::fs::read_to_string(dir.join("background.log")).unwrap();
    let mut got: Vec<&str> = file.lines().collect();
    want.sort_unstable();
    got.sort_unstable();
    assert!(got.len() > 300, "{} lines", got.len());
    assert!(
        want == got,
        "tests/field/background.log is out of date: run python3 tests/field/validate.py --background"
    );
}
