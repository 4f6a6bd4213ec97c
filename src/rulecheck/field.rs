//! Scoring the catalog on a field corpus: real log events, one YAML list per file, each with
//! the product whose log it comes from and the rule it should be classified as (`rule:`, a
//! rule id or `benign`). Every scored event is written alone at its product's real log path
//! in a temporary directory and scanned by the real scan pipeline (discovery, product
//! detection, event assembly, classification), so the score is what a user's scan would
//! report. `cargo test` (tests/field_corpus.rs) and `linkdoctor rules score DIR` share this
//! code. The corpus format is described in tests/field/README.md.

use crate::model::Product;
use crate::pipeline::{self, ScanJob};
use crate::rules::Catalog;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// The expected rule of an event that must give no finding.
pub const BENIGN: &str = "benign";
/// Prefix of an expected rule that is not written yet (`new:<family>/<slug>`).
pub const NEW_RULE: &str = "new:";

/// One event of a field corpus file. Unknown fields are kept out of the way (a user's
/// collection may carry more); the ones read here are required except where defaulted.
#[derive(Debug, Clone, Deserialize)]
pub struct FieldEvent {
    pub id: String,
    pub product: Product,
    #[serde(default)]
    pub source: String,
    /// The expected rule id, `benign`, or `new:<family>/<slug>`.
    #[serde(default)]
    pub rule: Option<String>,
    /// Events the source showed only in part: kept out of the score.
    #[serde(default)]
    pub reconstructed: bool,
    pub text: String,
}

/// A corpus file that could not be read; the other files are still scored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorpusError {
    pub path: PathBuf,
    pub message: String,
}

impl fmt::Display for CorpusError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.message)
    }
}

/// The `*.yaml` / `*.yml` files directly in `dir`, sorted by name, parsed.
pub fn load_corpus(dir: &Path) -> (Vec<FieldEvent>, Vec<CorpusError>) {
    let mut events = Vec::new();
    let mut errors = Vec::new();
    let err = |path: &Path, message: String| CorpusError {
        path: path.to_path_buf(),
        message,
    };
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => return (events, vec![err(dir, e.to_string())]),
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_file()
                && p.extension().is_some_and(|x| {
                    x.eq_ignore_ascii_case("yaml") || x.eq_ignore_ascii_case("yml")
                })
        })
        .collect();
    files.sort();
    for path in files {
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                errors.push(err(&path, e.to_string()));
                continue;
            }
        };
        if text
            .lines()
            .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
        {
            continue;
        }
        match serde_saphyr::from_str::<Option<Vec<FieldEvent>>>(&text) {
            Ok(list) => events.extend(list.unwrap_or_default()),
            Err(e) => errors.push(err(&path, e.to_string())),
        }
    }
    (events, errors)
}

/// Where a product writes its own log, relative to a scan root: the layout the scanner's
/// discovery recognises (home folder, log folder, file name).
pub fn product_log_path(product: Product) -> &'static str {
    match product {
        Product::Jira => "jira-home/log/atlassian-jira.log",
        Product::Confluence => "confluence-home/logs/atlassian-confluence.log",
        Product::Bitbucket => "bitbucket-home/log/atlassian-bitbucket.log",
        Product::Bamboo => "bamboo-home/logs/atlassian-bamboo.log",
        Product::Crowd => "crowd-home/logs/atlassian-crowd.log",
        Product::Fisheye => "fisheye-inst/var/log/atlassian-fisheye-2024-01-31.log",
    }
}

/// How one scored event came out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub id: String,
    pub product: Product,
    /// The expected rule id (`benign` for none).
    pub expected: String,
    /// The rule ids the scan reported for the event, in report order.
    pub got: Vec<String>,
}

impl Outcome {
    /// The expected rule was reported (or, for a benign event, nothing was).
    pub fn hit(&self) -> bool {
        if self.expected == BENIGN {
            self.got.is_empty()
        } else {
            self.got.contains(&self.expected)
        }
    }

    /// A failure event whose expected rule was not reported.
    pub fn miss(&self) -> bool {
        self.expected != BENIGN && !self.hit()
    }

    /// Rules reported that the event does not call for.
    pub fn false_positives(&self) -> impl Iterator<Item = &str> {
        self.got
            .iter()
            .filter(|g| **g != self.expected)
            .map(String::as_str)
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let got = if self.got.is_empty() {
            "no finding".to_string()
        } else {
            self.got.join(", ")
        };
        write!(
            f,
            "{} ({}): expected {}, got {}",
            self.id, self.product, self.expected, got
        )
    }
}

/// Recall and precision of one family (a rule category, or the family of a `new:` rule).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FamilyScore {
    /// Failure events expected in this family.
    pub events: usize,
    pub hits: usize,
    pub misses: usize,
    /// Findings of this family's rules that the event did not call for.
    pub false_positives: usize,
}

impl FamilyScore {
    /// Hits over expected events; `None` with no event.
    pub fn recall(&self) -> Option<f64> {
        (self.events > 0).then(|| self.hits as f64 / self.events as f64)
    }

    /// Hits over findings; `None` with no finding.
    pub fn precision(&self) -> Option<f64> {
        let found = self.hits + self.false_positives;
        (found > 0).then(|| self.hits as f64 / found as f64)
    }

    fn add(&mut self, other: &FamilyScore) {
        self.events += other.events;
        self.hits += other.hits;
        self.misses += other.misses;
        self.false_positives += other.false_positives;
    }
}

/// The score of a whole corpus.
#[derive(Debug, Clone, Default)]
pub struct Score {
    pub outcomes: Vec<Outcome>,
    /// Events left out: reconstructed ones.
    pub skipped: usize,
    /// Benign events scored.
    pub benign: usize,
    /// Per family, by name.
    pub families: BTreeMap<String, FamilyScore>,
    /// Events that could not be scored (no `rule:`, scan failed), with why.
    pub errors: Vec<String>,
}

impl Score {
    pub fn total(&self) -> FamilyScore {
        let mut t = FamilyScore::default();
        for f in self.families.values() {
            t.add(f);
        }
        t
    }

    pub fn misses(&self) -> impl Iterator<Item = &Outcome> {
        self.outcomes.iter().filter(|o| o.miss())
    }

    /// Outcomes with at least one finding the event did not call for.
    pub fn with_false_positives(&self) -> impl Iterator<Item = &Outcome> {
        self.outcomes
            .iter()
            .filter(|o| o.false_positives().next().is_some())
    }

    /// No miss, no false positive, no unscorable event.
    pub fn clean(&self) -> bool {
        self.errors.is_empty()
            && self.misses().next().is_none()
            && self.with_false_positives().next().is_none()
    }
}

/// The family of an expected or reported rule id: the catalog rule's category, the family
/// named in `new:<family>/<slug>`, or `unknown`.
fn family_of(catalog: &Catalog, rule: &str) -> String {
    if let Some(rest) = rule.strip_prefix(NEW_RULE) {
        return rest.split('/').next().unwrap_or("unknown").to_string();
    }
    catalog.find(rule).map_or_else(
        || "unknown".to_string(),
        |r| catalog.rule(r).category.name().to_string(),
    )
}

/// The rule ids a real scan reports for `text` written alone at `product`'s log path.
pub fn scan_event(catalog: &Catalog, product: Product, text: &str) -> Result<Vec<String>, String> {
    let dir = tempfile::tempdir().map_err(|e| format!("temporary directory: {e}"))?;
    let path = dir.path().join(product_log_path(product));
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    }
    std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    let paths = [dir.path().to_string_lossy().into_owned()];
    let mut job = ScanJob::new(&paths, catalog);
    job.threads = Some(1);
    job.progress = false;
    let report = pipeline::run(job).map_err(|e| e.to_string())?;
    let mut got: Vec<String> = Vec::new();
    for f in report.findings {
        if !got.contains(&f.rule) {
            got.push(f.rule);
        }
    }
    Ok(got)
}

/// Scores `events` against `catalog`.
pub fn score(catalog: &Catalog, events: &[FieldEvent]) -> Score {
    let mut s = Score::default();
    for ev in events {
        if ev.reconstructed {
            s.skipped += 1;
            continue;
        }
        let Some(expected) = ev.rule.as_deref().map(str::trim).filter(|r| !r.is_empty()) else {
            s.errors.push(format!("{}: no `rule:` field", ev.id));
            continue;
        };
        let got = match scan_event(catalog, ev.product, &ev.text) {
            Ok(g) => g,
            Err(e) => {
                s.errors.push(format!("{}: scan failed: {e}", ev.id));
                continue;
            }
        };
        let outcome = Outcome {
            id: ev.id.clone(),
            product: ev.product,
            expected: expected.to_string(),
            got,
        };
        if expected == BENIGN {
            s.benign += 1;
        } else {
            let fam = s.families.entry(family_of(catalog, expected)).or_default();
            fam.events += 1;
            if outcome.hit() {
                fam.hits += 1;
            } else {
                fam.misses += 1;
            }
        }
        for fp in outcome.false_positives() {
            s.families
                .entry(family_of(catalog, fp))
                .or_default()
                .false_positives += 1;
        }
        s.outcomes.push(outcome);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::load_catalog;

    fn event(id: &str, product: Product, rule: &str, text: &str) -> FieldEvent {
        FieldEvent {
            id: id.into(),
            product,
            source: "synthetic".into(),
            rule: Some(rule.into()),
            reconstructed: false,
            text: text.into(),
        }
    }

    #[test]
    fn hits_misses_and_false_positives_are_counted_per_family() {
        let (catalog, _) = load_catalog(&[]);
        let pkix = "2024-03-05 14:41:47,937 ERROR [http-nio-8090-exec-2] [applinks.core.manifest.AppLinksManifestDownloader] download sun.security.validator.ValidatorException: PKIX path building failed: unable to find valid certification path to requested target\n";
        let events = vec![
            event(
                "c-1",
                Product::Confluence,
                "ssl-untrusted-certificate",
                pkix,
            ),
            event("c-2", Product::Confluence, BENIGN, pkix),
            event(
                "c-3",
                Product::Confluence,
                "new:http/teapot",
                "2024-03-05 14:41:47,937 INFO [main] nothing\n",
            ),
            FieldEvent {
                reconstructed: true,
                ..event("c-4", Product::Confluence, BENIGN, pkix)
            },
        ];
        let s = score(&catalog, &events);
        assert_eq!(s.skipped, 1);
        assert_eq!(s.benign, 1);
        let ssl = &s.families["ssl"];
        assert_eq!(
            (ssl.events, ssl.hits, ssl.misses, ssl.false_positives),
            (1, 1, 0, 1)
        );
        assert_eq!(ssl.precision(), Some(0.5));
        assert_eq!(s.families["http"].misses, 1);
        assert!(!s.clean());
        assert_eq!(s.misses().count(), 1);
        assert_eq!(s.with_false_positives().count(), 1);
    }

    #[test]
    fn a_missing_rule_field_is_an_error_not_a_pass() {
        let (catalog, _) = load_catalog(&[]);
        let mut ev = event("j-1", Product::Jira, BENIGN, "x\n");
        ev.rule = None;
        let s = score(&catalog, &[ev]);
        assert_eq!(s.errors.len(), 1);
        assert!(!s.clean());
    }
}
