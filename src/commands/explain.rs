//! `linkdoctor explain QUERY`: what something from a log or a report means and what to do,
//! offline, from the same catalogs the scanner and `check` use.
//!
//! A query is tried, in this order, as: a rule id; a `check` finding id (their own catalog,
//! [`crate::check::catalog`]); a pasted log text (`-` reads standard input; a multi-line
//! text or a whole stack trace is scanned like a log, and each event classified); an
//! `oauth_problem` value; an exception class or error text the rules match; a keyword
//! (`PKIX`, `timeout`, `proxy`, `certificate`, `DNS`) searched in the rules' titles,
//! anchors, causes and steps. The catch-all rule (`oauth-problem-other`) answers only when
//! nothing more specific does. Nothing found: "did you mean" over ids, `oauth_problem`
//! values and exception names within a small edit distance (strsim).
//!
//! The answer is short (cause, what to do, references); `--verbose` adds the rule's
//! internals. Rule texts may come from user rule files: they are sanitised for the terminal.

use super::{catalog_with_warnings, exit, print_stdout, print_warnings, stdout_written};
use crate::check::catalog::{self as check_catalog, CheckKind};
use crate::cli::ExplainArgs;
use crate::model::Product;
use crate::pipeline::Fatal;
use crate::report::render::Layout;
use crate::report::render::layout::wrap;
use crate::report::sanitize::inline as clean;
use crate::rules::{Catalog, Examples, Rule};
use crate::scan::{ScanSettings, scan_to_vec};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::io::Read;

/// The rule that answers only when nothing more specific does.
const CATCH_ALL: &str = "oauth-problem-other";
/// Most bytes read from standard input.
const MAX_STDIN: u64 = 4 * 1024 * 1024;

/// Keywords and the words they stand for in rule texts.
const SYNONYMS: &[(&str, &[&str])] = &[
    ("dns", &["dns", "unknownhost", "resolve"]),
    ("timeout", &["timeout", "timed out", "time-out"]),
    ("certificate", &["certificate", "pkix", "truststore"]),
    ("cert", &["certificate", "pkix"]),
    ("ssl", &["ssl", "tls", "handshake"]),
    ("tls", &["tls", "ssl", "handshake"]),
    ("clock", &["clock", "timestamp"]),
    ("proxy", &["proxy"]),
    ("firewall", &["firewall", "refused", "reset"]),
];

/// What a query turned out to be.
#[derive(Debug)]
pub enum Answer {
    /// Rules (catalog indexes), best first.
    Rules(Vec<usize>),
    /// A `check` finding kind.
    Check(&'static CheckKind),
    /// Events found in a pasted text: (line, rule) in text order.
    Events(Vec<(u64, usize)>),
    /// Nothing; close spellings of known names.
    Nothing(Vec<String>),
}

/// Rules that a text classifies to, best first, without the catch-all unless it is alone.
fn classified(catalog: &Catalog, text: &str, product: Option<Product>) -> Vec<usize> {
    let Some(c) = catalog.classify(text, product) else {
        return vec![];
    };
    let mut v = vec![c.rule];
    v.extend(c.also);
    v
}

fn is_catch_all(catalog: &Catalog, rules: &[usize]) -> bool {
    rules
        .first()
        .is_some_and(|&r| catalog.rule(r).id == CATCH_ALL)
}

/// Rules whose texts mention `query` (or what it stands for), best first.
fn keyword_search(catalog: &Catalog, query: &str) -> Vec<usize> {
    let q = query.to_lowercase();
    let words: Vec<&str> = SYNONYMS
        .iter()
        .find(|(k, _)| *k == q)
        .map_or_else(|| vec![q.as_str()], |(_, w)| w.to_vec());
    let mut scored: Vec<(usize, usize)> = catalog
        .rules()
        .iter()
        .enumerate()
        .filter(|(_, r)| r.id != CATCH_ALL)
        .filter_map(|(i, r)| {
            let mut score = 0;
            for w in &words {
                let hit = |s: &str| s.to_lowercase().contains(w);
                score += 6 * usize::from(hit(&r.id) || hit(&r.title));
                score += 4 * usize::from(r.literals.iter().any(|l| hit(l)));
                score += 2 * usize::from(hit(&r.cause));
                score += usize::from(r.remediation.iter().any(|s| hit(s)));
            }
            (score > 0).then_some((i, score))
        })
        .collect();
    scored.sort_by(|a, b| {
        b.1.cmp(&a.1)
            .then_with(|| catalog.rule(b.0).severity.cmp(&catalog.rule(a.0).severity))
            .then(a.0.cmp(&b.0))
    });
    scored.into_iter().map(|(i, _)| i).collect()
}

/// Names a query may have misspelt: rule and check ids, oauth_problem values and exception
/// names from the rules' anchors and regexes.
fn known_names(catalog: &Catalog) -> Vec<String> {
    let mut names: Vec<String> = catalog.rules().iter().map(|r| r.id.clone()).collect();
    names.extend(check_catalog::KINDS.iter().map(|k| k.id.to_string()));
    names.extend(SYNONYMS.iter().map(|(k, _)| k.to_string()));
    for r in catalog.rules() {
        let texts = r
            .literals
            .iter()
            .map(String::as_str)
            .chain(r.regex.as_ref().map(|re| re.as_str()));
        for t in texts {
            for w in t.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
                if w.len() >= 5 && (w.contains('_') || w.ends_with("Exception")) {
                    names.push(w.to_string());
                }
            }
        }
    }
    names.sort();
    names.dedup();
    names
}

/// Up to three known names close to `query`.
pub fn did_you_mean(catalog: &Catalog, query: &str) -> Vec<String> {
    let q = query.to_lowercase();
    let mut close: Vec<(f64, String)> = known_names(catalog)
        .into_iter()
        .map(|n| {
            (
                strsim::normalized_damerau_levenshtein(&q, &n.to_lowercase()),
                n,
            )
        })
        .filter(|(s, _)| *s >= 0.75)
        .collect();
    close.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    close.into_iter().take(3).map(|(_, n)| n).collect()
}

/// What `query` is, against `catalog`. `product` is the log a pasted text comes from.
pub fn answer(catalog: &Catalog, query: &str, product: Option<Product>) -> Answer {
    let q = query.trim();
    if q.is_empty() {
        return Answer::Nothing(vec![]);
    }
    if let Some(r) = catalog.find(q) {
        return Answer::Rules(vec![r]);
    }
    if let Some(k) = check_catalog::find(q) {
        return Answer::Check(k);
    }
    // A pasted log text: scanned as a log, so a stack trace is one event.
    if q.contains('\n') || q.len() > 80 {
        let (events, _) = scan_to_vec(
            q.as_bytes(),
            "(pasted text)",
            product,
            catalog,
            &ScanSettings::default(),
        );
        if !events.is_empty() {
            return Answer::Events(events.iter().map(|e| (e.line, e.rule)).collect());
        }
    }
    let mut fallback = vec![];
    let word = q.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if word && q.contains('_') {
        let rules = classified(catalog, &format!("oauth_problem={q}"), product);
        if !rules.is_empty() && !is_catch_all(catalog, &rules) {
            return Answer::Rules(rules);
        }
        fallback = rules;
    }
    let rules = classified(catalog, q, product);
    if !rules.is_empty() && !is_catch_all(catalog, &rules) {
        return Answer::Rules(rules);
    }
    if fallback.is_empty() {
        fallback = rules;
    }
    let found = keyword_search(catalog, q);
    if !found.is_empty() {
        return Answer::Rules(found);
    }
    // Only the catch-all matched: a close spelling of a known value is the likelier intent.
    let close = did_you_mean(catalog, q);
    if !fallback.is_empty() && close.is_empty() {
        return Answer::Rules(fallback);
    }
    Answer::Nothing(close)
}

/// Cause, what to do and references, wrapped to `width`.
fn explain_parts(
    o: &mut String,
    width: usize,
    cause: &str,
    steps: &[impl AsRef<str>],
    references: &[impl AsRef<str>],
) {
    let _ = writeln!(
        o,
        "\nCause:\n{}",
        wrap(&clean(cause.trim()), width, "  ", "  ")
    );
    if steps.is_empty() {
        // A lifecycle marker rule: nothing to do, it only marks the timeline.
        let _ = writeln!(
            o,
            "\nNot a failure: a lifecycle marker (restart or upgrade) on the report's timeline."
        );
    } else {
        let _ = writeln!(o, "\nWhat to do:");
    }
    for (i, s) in steps.iter().enumerate() {
        let first = format!("  {}. ", i + 1);
        let rest = " ".repeat(first.len());
        let _ = writeln!(
            o,
            "{}",
            wrap(&clean(s.as_ref().trim()), width, &first, &rest)
        );
    }
    if !references.is_empty() {
        let _ = writeln!(o, "\nReferences:");
        for r in references {
            let _ = writeln!(o, "{}", wrap(&clean(r.as_ref()), width, "  - ", "    "));
        }
    }
}

/// The short explanation of a rule; with `verbose`, its internals too.
pub fn explain_rule(r: &Rule, width: usize, verbose: bool) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "{}",
        wrap(
            &format!("{} ({}, {})", clean(&r.title), clean(&r.id), r.severity),
            width,
            "",
            "  "
        )
    );
    explain_parts(&mut o, width, &r.cause, &r.remediation, &r.references);
    if verbose {
        let _ = writeln!(o, "\nInternals:");
        let _ = writeln!(
            o,
            "  category: {}   severity: {}   priority: {}   from: {}",
            r.category.name(),
            r.severity,
            r.priority,
            clean(&r.origin)
        );
        let products: Vec<&str> = r.products.iter().map(|p| p.name()).collect();
        let _ = writeln!(
            o,
            "  products: {}",
            if products.is_empty() {
                "all".to_string()
            } else {
                products.join(", ")
            }
        );
        let _ = writeln!(o, "  literals: {}", clean(&r.literals.join(", ")));
        if let Some(re) = &r.regex {
            let _ = writeln!(o, "  regex: {}", clean(re.as_str()));
        }
        if let Some(re) = &r.unless {
            let _ = writeln!(o, "  unless: {}", clean(re.as_str()));
        }
        for (name, re) in &r.extract {
            let _ = writeln!(o, "  extract {}: {}", clean(name), clean(re.as_str()));
        }
        let _ = writeln!(o, "  examples that match:");
        for ex in &r.examples_match {
            let first = ex.text.lines().next().unwrap_or("");
            let tag = ex.product.map(|p| format!("[{p}] ")).unwrap_or_default();
            let _ = writeln!(o, "    | {tag}{}", clean(first));
        }
    } else {
        let _ = writeln!(o, "\nMore: linkdoctor explain {} --verbose", clean(&r.id));
    }
    o
}

fn explain_check(k: &CheckKind, width: usize) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "{}",
        wrap(
            &format!("{} ({}, a `linkdoctor check` finding)", k.title, k.id),
            width,
            "",
            "  "
        )
    );
    explain_parts(&mut o, width, k.cause, k.remediation, k.references);
    o
}

fn also(catalog: &Catalog, rules: &[usize]) -> String {
    let ids: Vec<String> = rules
        .iter()
        .map(|&r| clean(&catalog.rule(r).id).into_owned())
        .collect();
    format!("\nAlso related: {}\n", ids.join(", "))
}

/// The text of the answer, or the error message when nothing explains the query.
pub fn render(
    catalog: &Catalog,
    query: &str,
    answer: &Answer,
    width: usize,
    verbose: bool,
) -> Result<String, String> {
    match answer {
        Answer::Rules(rules) => {
            let (&first, others) = rules.split_first().ok_or("no rule")?;
            let mut o = explain_rule(catalog.rule(first), width, verbose);
            if !others.is_empty() {
                o.push_str(&also(catalog, &others[..others.len().min(8)]));
            }
            Ok(o)
        }
        Answer::Check(k) => Ok(explain_check(k, width)),
        Answer::Events(events) => {
            let mut by_rule: BTreeMap<usize, Vec<u64>> = BTreeMap::new();
            for &(line, rule) in events {
                by_rule.entry(rule).or_default().push(line);
            }
            let mut order: Vec<(usize, Vec<u64>)> = by_rule.into_iter().collect();
            order.sort_by(|a, b| {
                catalog
                    .rule(b.0)
                    .severity
                    .cmp(&catalog.rule(a.0).severity)
                    .then(b.1.len().cmp(&a.1.len()))
                    .then(a.1[0].cmp(&b.1[0]))
            });
            let mut o = format!(
                "The pasted text holds {} event{} of {} cause{}:\n",
                events.len(),
                if events.len() == 1 { "" } else { "s" },
                order.len(),
                if order.len() == 1 { "" } else { "s" }
            );
            for (rule, lines) in &order {
                let shown: Vec<String> = lines.iter().take(8).map(u64::to_string).collect();
                let _ = writeln!(
                    o,
                    "  {} (line{} {})",
                    clean(&catalog.rule(*rule).id),
                    if lines.len() == 1 { "" } else { "s" },
                    shown.join(", ")
                );
            }
            for (rule, _) in &order {
                let _ = writeln!(o, "\n{}", "-".repeat(width.min(72)));
                o.push_str(&explain_rule(catalog.rule(*rule), width, verbose));
            }
            Ok(o)
        }
        Answer::Nothing(close) => {
            let shown = clean(query.trim());
            let shown: String = shown.chars().take(80).collect();
            let mut msg = format!("nothing in the catalog explains '{shown}'");
            if !close.is_empty() {
                let _ = write!(msg, "; did you mean {}?", close.join(", "));
            } else {
                msg.push_str(
                    "; try an oauth_problem value (timestamp_refused), a rule id (linkdoctor rules list), a check finding id, an exception class, a keyword (PKIX, timeout, proxy, certificate, DNS) or a log line (`linkdoctor explain -` reads one pasted on standard input)",
                );
            }
            Err(msg)
        }
    }
}

/// The query: the arguments joined by spaces, or standard input for `-`.
fn query(args: &ExplainArgs) -> Result<String, Fatal> {
    if args.value.len() == 1 && args.value[0] == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .take(MAX_STDIN)
            .read_to_end(&mut buf)
            .map_err(|e| Fatal(format!("cannot read standard input: {e}")))?;
        return Ok(String::from_utf8_lossy(&buf).into_owned());
    }
    Ok(args.value.join(" "))
}

pub fn run(args: &ExplainArgs) -> Result<u8, Fatal> {
    let (catalog, warnings) = catalog_with_warnings(&args.rules.rules, Examples::Read);
    print_warnings(&warnings, false);
    let q = query(args)?;
    let found = answer(&catalog, &q, args.product);
    let width = Layout::detect().prose_width();
    let out = render(&catalog, &q, &found, width, args.verbose).map_err(Fatal)?;
    stdout_written(print_stdout(&out))?;
    Ok(exit::OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cat() -> Catalog {
        crate::rules::load_catalog(&[]).0
    }

    fn first_id(c: &Catalog, q: &str) -> String {
        match answer(c, q, None) {
            Answer::Rules(r) => c.rule(r[0]).id.clone(),
            Answer::Check(k) => k.id.to_string(),
            Answer::Events(e) => c.rule(e[0].1).id.clone(),
            Answer::Nothing(d) => format!("nothing {d:?}"),
        }
    }

    #[test]
    fn keywords_do_not_fall_to_the_catch_all() {
        let c = cat();
        for (q, want) in [
            ("PKIX", "ssl"),
            ("timeout", "timeout"),
            ("certificate", "ssl"),
            ("DNS", "unknown-host"),
            ("proxy", ""),
        ] {
            let id = first_id(&c, q);
            assert_ne!(id, CATCH_ALL, "{q}");
            assert!(!id.starts_with("nothing"), "{q}: {id}");
            assert!(id.contains(want), "{q}: {id}");
        }
    }

    #[test]
    fn values_ids_classes_and_check_ids() {
        let c = cat();
        assert_eq!(first_id(&c, "timestamp_refused"), "oauth-timestamp-refused");
        assert_eq!(
            first_id(&c, "oauth-signature-invalid"),
            "oauth-signature-invalid"
        );
        assert_eq!(first_id(&c, "UnknownHostException"), "network-unknown-host");
        assert_eq!(first_id(&c, "baseline-lost"), "baseline-lost");
    }

    #[test]
    fn misspellings_get_suggestions() {
        let c = cat();
        match answer(&c, "timestamp_refussed", None) {
            Answer::Nothing(d) => assert!(d.contains(&"timestamp_refused".to_string()), "{d:?}"),
            // A classification through the value is fine too, as long as it is the right one.
            other => panic!("{other:?}"),
        }
        match answer(&c, "oauth-timestamp-refsued", None) {
            Answer::Nothing(d) => {
                assert!(d.contains(&"oauth-timestamp-refused".to_string()), "{d:?}")
            }
            other => panic!("{other:?}"),
        }
        let err = render(&c, "zzqqxx", &answer(&c, "zzqqxx", None), 80, false).unwrap_err();
        assert!(err.contains("nothing in the catalog explains"), "{err}");
    }

    #[test]
    fn pasted_stack_trace_is_classified() {
        let c = cat();
        let trace = "2024-03-05 08:00:00,200-0600 http-nio-8080-exec-1 ERROR admin 1140x1600x1 1mq0zvd 10.20.1.2 /rest/applinks/3.0/status/8d2e [c.a.applinks.core.manifest.AppLinksManifestDownloader] Failed to retrieve manifest from http://jira-old.internal:8080\njava.net.UnknownHostException: jira-old.internal\n\tat java.net.InetAddress.getAllByName0(InetAddress.java:1281)\n";
        match answer(&c, trace, Some(Product::Jira)) {
            Answer::Events(e) => {
                assert_eq!(e.len(), 1);
                assert_eq!(c.rule(e[0].1).id, "network-unknown-host");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn short_answer_has_cause_steps_and_addresses() {
        let c = cat();
        let a = answer(&c, "timestamp_refused", None);
        let text = render(&c, "timestamp_refused", &a, 80, false).unwrap();
        assert!(
            text.contains("Cause:") && text.contains("What to do:"),
            "{text}"
        );
        assert!(text.contains("https://confluence.atlassian.com/"), "{text}");
        assert!(!text.contains("literals:"), "{text}");
        assert!(!text.to_lowercase().contains("seed 0"), "{text}");
        assert!(text.lines().all(|l| l.chars().count() <= 80), "{text}");
        let verbose = render(&c, "timestamp_refused", &a, 80, true).unwrap();
        assert!(verbose.contains("literals:"), "{verbose}");
    }
}
