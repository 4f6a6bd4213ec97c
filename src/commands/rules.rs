//! `linkdoctor rules list|show|test|lint`: the catalog as a user sees it. `rules test` fails
//! when a `--rules` file does not load (as well as when an example fails): passing on the
//! built-in rules alone would hide the broken file. Rule texts may come from user files, so
//! what is printed goes through [`sanitize`].

use super::{catalog_with_warnings, exit, print_stdout, print_warnings, stdout_written};
use crate::cli::{RulesArgs, RulesCommand};
use crate::pipeline::Fatal;
use crate::report::render::layout::Layout;
use crate::report::render::new_table;
use crate::report::render::table_for;
use crate::report::sanitize;
use crate::rulecheck::examples;
use crate::rulecheck::field::{self, FamilyScore, Score};
use crate::rulecheck::lint::{self, LintLevel};
use crate::rules::gate::{KeysFrom, STORED_KEYS_FILE, StoredKeys};
use crate::rules::schema::ExampleSpec;
use crate::rules::{Catalog, Examples, Rule};
use std::fmt::Write;
use std::path::PathBuf;

pub fn run(cmd: &RulesCommand) -> Result<u8, Fatal> {
    match cmd {
        RulesCommand::List(args) => {
            let catalog = load(args);
            stdout_written(print_stdout(&list(&catalog)))?;
            Ok(exit::OK)
        }
        RulesCommand::Show { id, rules } => {
            let catalog = load(rules);
            match catalog.find(id) {
                Some(r) => {
                    stdout_written(print_stdout(&show(catalog.rule(r))))?;
                    Ok(exit::OK)
                }
                None => Err(Fatal(format!(
                    "no rule with id '{}' (see `linkdoctor rules list`)",
                    sanitize::inline(id)
                ))),
            }
        }
        RulesCommand::Test(args) => {
            let (catalog, load_errors) = catalog_with_warnings(&args.rules, Examples::Read);
            let (ran, failures) = examples::run_all(&catalog);
            let mut out = String::new();
            for w in &load_errors {
                let _ = writeln!(out, "FAIL {}", sanitize::inline(&w.to_string()));
            }
            for f in &failures {
                let _ = writeln!(out, "FAIL {}", sanitize::block(&f.to_string()));
            }
            let _ = write!(
                out,
                "{} rules, {} examples: {} passed, {} failed",
                catalog.rules().len(),
                ran,
                ran - failures.len(),
                failures.len()
            );
            if !load_errors.is_empty() {
                let _ = write!(out, "; {} rule file error(s)", load_errors.len());
            }
            out.push('\n');
            stdout_written(print_stdout(&out))?;
            Ok(if failures.is_empty() && load_errors.is_empty() {
                exit::OK
            } else {
                exit::FINDINGS
            })
        }
        RulesCommand::Score { dir, rules } => {
            let (catalog, load_errors) = catalog_with_warnings(&rules.rules, Examples::Read);
            print_warnings(&load_errors, false);
            let (events, corpus_errors) = field::load_corpus(dir);
            if events.is_empty() && !corpus_errors.is_empty() {
                return Err(Fatal(format!(
                    "cannot read the corpus: {}",
                    sanitize::inline(&corpus_errors[0].to_string())
                )));
            }
            let score = field::score(&catalog, &events);
            let out = score_text(&score, &corpus_errors, Layout::detect());
            stdout_written(print_stdout(&out))?;
            Ok(
                if score.clean() && corpus_errors.is_empty() && load_errors.is_empty() {
                    exit::OK
                } else {
                    exit::FINDINGS
                },
            )
        }
        RulesCommand::Gate { rules, write } => {
            let catalog = load(rules);
            let mut out = gate_text(&catalog);
            if *write {
                let path = store_gate_keys(&catalog, &rules.rules)?;
                let _ = writeln!(
                    out,
                    "stored the keys chosen for these {} literals in {}",
                    catalog.literals().len(),
                    sanitize::inline(&path.display().to_string())
                );
            }
            stdout_written(print_stdout(&out))?;
            Ok(exit::OK)
        }
        RulesCommand::Lint(args) => {
            let findings = lint::lint(&args.rules);
            let mut out = String::new();
            for f in &findings {
                let _ = writeln!(out, "{}", sanitize::block(&f.to_string()));
            }
            let count = |level| findings.iter().filter(|f| f.level == level).count();
            let errors = count(LintLevel::Error);
            let _ = writeln!(
                out,
                "lint: {errors} errors, {} warnings, {} info",
                count(LintLevel::Warning),
                count(LintLevel::Info)
            );
            stdout_written(print_stdout(&out))?;
            Ok(if errors == 0 {
                exit::OK
            } else {
                exit::FINDINGS
            })
        }
    }
}

fn percent(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_string(), |v| format!("{:.0}%", v * 100.0))
}

fn score_row(name: &str, f: &FamilyScore) -> Vec<String> {
    vec![
        name.to_string(),
        f.events.to_string(),
        f.hits.to_string(),
        f.misses.to_string(),
        f.false_positives.to_string(),
        percent(f.recall()),
        percent(f.precision()),
    ]
}

/// `rules score`: the per-family table (fitted to `layout` like the scan tables), then every
/// miss and false positive, then a summary line.
pub fn score_text(score: &Score, corpus_errors: &[field::CorpusError], layout: Layout) -> String {
    let mut t = table_for(false, layout);
    t.set_header([
        "family",
        "failures",
        "hits",
        "misses",
        "false pos.",
        "recall",
        "precision",
    ]);
    for (name, f) in &score.families {
        t.add_row(score_row(&sanitize::inline(name), f));
    }
    t.add_row(score_row("all", &score.total()));
    let mut o = format!("{t}\n");
    for e in corpus_errors {
        let _ = writeln!(o, "ERROR {}", sanitize::inline(&e.to_string()));
    }
    for e in &score.errors {
        let _ = writeln!(o, "ERROR {}", sanitize::inline(e));
    }
    for m in score.misses() {
        let _ = writeln!(o, "MISS  {}", sanitize::inline(&m.to_string()));
    }
    for m in score.with_false_positives() {
        if !m.miss() {
            let _ = writeln!(o, "FP    {}", sanitize::inline(&m.to_string()));
        }
    }
    let total = score.total();
    let _ = writeln!(
        o,
        "{} events scored ({} failures, {} benign), {} reconstructed left out: {} misses, {} false positives",
        score.outcomes.len(),
        total.events,
        score.benign,
        score.skipped,
        total.misses,
        total.false_positives
    );
    o
}

fn load(args: &RulesArgs) -> Catalog {
    let (catalog, warnings) = catalog_with_warnings(&args.rules, Examples::Read);
    print_warnings(&warnings, false);
    catalog
}

/// `rules gate`: where the keys came from, then each key with how many literals hold it and
/// one of them.
fn gate_text(catalog: &Catalog) -> String {
    let keys = catalog.gate_keys();
    let from = match catalog.gate_keys_from() {
        KeysFrom::Builtin => "stored with the built-in catalog".to_string(),
        KeysFrom::Stored => format!("stored in a --rules directory ({STORED_KEYS_FILE})"),
        KeysFrom::Chosen => "chosen at start-up: `--write` stores them".to_string(),
    };
    let mut out = format!(
        "{} keys for {} literals, {from}\n",
        keys.len(),
        catalog.literals().len()
    );
    let mut t = new_table(false);
    t.set_header(["key", "literals", "for instance"]);
    for key in keys {
        let mut holding = catalog
            .literals()
            .iter()
            .filter(|l| l.contains(key.as_str()));
        let first = holding.next().map_or("", String::as_str);
        t.add_row([
            format!("\"{}\"", sanitize::inline(key)),
            (1 + holding.count()).to_string(),
            sanitize::inline(first).into_owned(),
        ]);
    }
    let _ = writeln!(out, "{t}");
    out
}

/// Stores the keys chosen for `catalog` in the last directory of `paths`, and returns the
/// file written.
fn store_gate_keys(catalog: &Catalog, paths: &[PathBuf]) -> Result<PathBuf, Fatal> {
    let dir = paths.iter().rev().find(|p| p.is_dir()).ok_or_else(|| {
        Fatal("--write stores the keys in a --rules directory: give one with --rules DIR".into())
    })?;
    let path = dir.join(STORED_KEYS_FILE);
    std::fs::write(&path, StoredKeys::choose(catalog.literals()).to_json()).map_err(|e| {
        Fatal(format!(
            "cannot write {}: {e}",
            sanitize::inline(&path.display().to_string())
        ))
    })?;
    Ok(path)
}

fn list(catalog: &Catalog) -> String {
    let mut t = new_table(false);
    t.set_header(["id", "category", "severity", "products", "title"]);
    let mut rules: Vec<&Rule> = catalog.rules().iter().collect();
    rules.sort_by(|a, b| a.category.cmp(&b.category).then(a.id.cmp(&b.id)));
    for r in rules {
        let products = if r.products.is_empty() {
            "all".to_string()
        } else {
            r.products
                .iter()
                .map(|p| p.name())
                .collect::<Vec<_>>()
                .join(", ")
        };
        t.add_row(vec![
            sanitize::inline(&r.id).into_owned(),
            r.category.name().to_string(),
            r.severity.name().to_string(),
            products,
            sanitize::inline(&r.title).into_owned(),
        ]);
    }
    format!("{t}\n{} rules\n", catalog.rules().len())
}

/// A rule in full, as `rules show` and `explain` print it; terminal controls in the rule's
/// texts are shown escaped.
pub fn show(r: &Rule) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "{} ({})", r.title, r.id);
    let _ = writeln!(
        o,
        "  category: {}   severity: {}   priority: {}   from: {}",
        r.category.name(),
        r.severity,
        r.priority,
        r.origin
    );
    if r.catch_all || r.side != crate::rules::schema::RuleSide::Consumer {
        let _ = writeln!(
            o,
            "  side: {}{}",
            r.side.name(),
            if r.catch_all {
                "   catch-all (never wins over a specific rule)"
            } else {
                ""
            }
        );
    }
    if !r.products.is_empty() {
        let p: Vec<&str> = r.products.iter().map(|p| p.name()).collect();
        let _ = writeln!(o, "  products: {}", p.join(", "));
    }
    if r.marker.is_none() {
        let _ = writeln!(o, "  remote: {}", r.remote.name());
    }
    let _ = writeln!(o, "  literals: {}", r.literals.join(", "));
    if let Some(re) = &r.regex {
        let _ = writeln!(o, "  regex: {}", re.as_str());
    }
    if let Some(re) = &r.unless {
        let _ = writeln!(o, "  unless: {}", re.as_str());
    }
    let _ = writeln!(o, "\nCause:\n  {}", r.cause);
    let _ = writeln!(o, "\nWhat to do:");
    for (i, s) in r.remediation.iter().enumerate() {
        let _ = writeln!(o, "  {}. {}", i + 1, s);
    }
    if !r.references.is_empty() {
        let _ = writeln!(o, "\nReferences:");
        for s in &r.references {
            let _ = writeln!(o, "  - {s}");
        }
    }
    let _ = writeln!(o, "\nExamples that match:");
    for ex in &r.examples_match {
        let _ = writeln!(o, "{}", example_line(ex));
    }
    let _ = writeln!(o, "Examples that must not match:");
    for ex in &r.examples_no_match {
        let _ = writeln!(o, "{}", example_line(ex));
    }
    sanitize::block(&o).into_owned()
}

/// One example as `show` prints it: its product (if tagged) and its first line.
fn example_line(ex: &ExampleSpec) -> String {
    let first = ex.text.lines().next().unwrap_or("");
    match ex.product {
        Some(p) => format!("  | [{p}] {first}"),
        None => format!("  | {first}"),
    }
}
