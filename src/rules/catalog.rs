//! The compiled rule catalog: validation of parsed rules, the prefilter (the gate, see
//! `gate`) built from every rule's anchor literals, and classification of one event to one
//! cause (the most specific rule wins; the other matching rules are kept as "also matched").

use super::load::{LoadedFile, RuleError};
use super::schema::{Category, ExampleSpec, Located, MarkerKind, RemoteKind, RuleSide, RuleSpec};
use crate::model::{Product, Severity, Side};
use regex::{Regex, RegexBuilder};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::OnceLock;

/// Compiled size limit of one rule regex (bytes of automaton), and its nesting limit.
pub const REGEX_SIZE_LIMIT: usize = 1 << 20;
pub const REGEX_NEST_LIMIT: u32 = 40;
/// Shortest anchor literal accepted: shorter ones flood the prefilter.
pub const MIN_LITERAL_LEN: usize = 4;

/// A validated, compiled rule.
#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub title: String,
    pub category: Category,
    pub severity: Severity,
    pub products: Vec<Product>,
    pub priority: i32,
    /// A lifecycle marker rule: its events are restarts or upgrades, never findings.
    pub marker: Option<MarkerKind>,
    /// Never wins over a rule that is not a catch-all.
    pub catch_all: bool,
    /// Which end of a link writes this rule's events.
    pub side: RuleSide,
    /// What the remote end of this rule's events is (the rule's `remote:`, or its
    /// category's default).
    pub remote: RemoteKind,
    /// With `side: either`: matches the provider's evidence lines.
    pub provider_if: Option<RuleRegex>,
    pub literals: Vec<String>,
    pub regex: Option<RuleRegex>,
    pub unless: Option<RuleRegex>,
    pub extract: Vec<(String, RuleRegex)>,
    pub cause: String,
    pub remediation: Vec<String>,
    pub references: Vec<String>,
    /// Events that must be classified as this rule (optionally as one product's log).
    pub examples_match: Vec<ExampleSpec>,
    /// Events that must not match this rule at all.
    pub examples_no_match: Vec<ExampleSpec>,
    /// The file the rule came from (`rules/oauth.yaml` for built-ins).
    pub origin: String,
}

impl Rule {
    pub fn applies_to(&self, product: Option<Product>) -> bool {
        match product {
            Some(p) => self.products.is_empty() || self.products.contains(&p),
            None => true,
        }
    }

    /// Which end of a link wrote an event whose match lies at `at` in `text`: the rule's
    /// `side`, and for `either`, `provider_if` tried on the line of the match.
    pub fn side_at(&self, text: &str, at: usize) -> Side {
        match self.side {
            RuleSide::Consumer => Side::Consumer,
            RuleSide::Provider => Side::Provider,
            RuleSide::Either => {
                let at = at.min(text.len());
                let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
                let end = text[at..].find('\n').map_or(text.len(), |i| at + i);
                match &self.provider_if {
                    Some(re) if re.is_match(&text[start..end]) => Side::Provider,
                    _ => Side::Consumer,
                }
            }
        }
    }

    /// Where in `text` this rule matches, if it does (ignoring the product filter).
    pub fn match_span(&self, text: &str) -> Option<(usize, usize)> {
        let span = match &self.regex {
            Some(re) => re.find(text).map(|m| (m.start(), m.end()))?,
            None => self
                .literals
                .iter()
                .filter_map(|l| text.find(l.as_str()).map(|s| (s, s + l.len())))
                .min()?,
        };
        if let Some(unless) = &self.unless
            && unless.is_match(text)
        {
            return None;
        }
        Some(span)
    }
}

pub use crate::classify::Classification;

/// The compiled catalog.
#[derive(Debug)]
pub struct Catalog {
    rules: Vec<Rule>,
    /// Distinct anchor literals of all rules, in the order the prefilter knows them.
    literals: Vec<String>,
    /// For each literal, the rules that name it.
    literal_rules: Vec<Vec<usize>>,
    /// The buffer search (see `gate`): a few keys, whatever the catalog's size, that every
    /// literal contains; it also finds every literal inside one event.
    gate: super::gate::Gate,
    /// `sha256:` and the digest of the rule set ([`Catalog::version`]).
    version: String,
}

/// The digest of [`Catalog::version`].
fn digest(rules: &[Rule]) -> String {
    let mut h = Sha256::new();
    let mut put = |s: &str| {
        h.update((s.len() as u64).to_le_bytes());
        h.update(s.as_bytes());
    };
    for r in rules {
        put(&r.id);
        put(&r.title);
        put(r.category.name());
        put(r.severity.name());
        put(&r.priority.to_string());
        put(r.marker.map_or("", |m| m.name()));
        put(r.remote.name());
        for p in &r.products {
            put(p.name());
        }
        put("|");
        for l in &r.literals {
            put(l);
        }
        put("|");
        put(r.regex.as_ref().map_or("", |re| re.as_str()));
        put(r.unless.as_ref().map_or("", |re| re.as_str()));
        for (name, re) in &r.extract {
            put(name);
            put(re.as_str());
        }
        put("|");
        put(&r.cause);
        for t in r.remediation.iter().chain(&r.references) {
            put(t);
        }
        put("|");
    }
    let digest = h.finalize();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

impl Catalog {
    /// Validates and compiles parsed rule files. Later files override earlier ones by id
    /// (user rules override built-ins). Invalid rules are skipped and returned as errors.
    pub fn compile(files: Vec<LoadedFile>) -> (Catalog, Vec<RuleError>) {
        Catalog::compile_with(files, &[])
    }

    /// [`Catalog::compile`], with gate keys stored for some literal lists (`--rules`
    /// directories' `linkdoctor-gate.json`): used when one names exactly this catalog's
    /// literals.
    pub fn compile_with(
        files: Vec<LoadedFile>,
        stored: &[super::gate::StoredKeys],
    ) -> (Catalog, Vec<RuleError>) {
        let mut errors = Vec::new();
        let mut rules: Vec<Rule> = Vec::new();
        let mut by_id: HashMap<String, usize> = HashMap::new();
        for file in files {
            let mut seen_here: HashMap<String, u64> = HashMap::new();
            for (i, spec) in file.rules.into_iter().enumerate() {
                let id = spec.id.value.clone();
                if let Some(first) = seen_here.get(&id) {
                    errors.push(RuleError::at(
                        &file.origin,
                        &spec.id,
                        format!("rules[{i}].id"),
                        format!("duplicate rule id '{id}' (first defined on line {first})"),
                    ));
                    continue;
                }
                seen_here.insert(id.clone(), spec.id.referenced.line());
                match compile_rule(&file.origin, i, spec, file.builtin) {
                    Ok(rule) => match by_id.get(&rule.id) {
                        Some(&at) => rules[at] = rule,
                        None => {
                            by_id.insert(rule.id.clone(), rules.len());
                            rules.push(rule);
                        }
                    },
                    Err(e) => errors.push(e),
                }
            }
        }
        (Catalog::from_rules_with(rules, stored), errors)
    }

    #[cfg(test)]
    fn from_rules(rules: Vec<Rule>) -> Catalog {
        Catalog::from_rules_with(rules, &[])
    }

    fn from_rules_with(rules: Vec<Rule>, stored: &[super::gate::StoredKeys]) -> Catalog {
        let mut literals: Vec<String> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut literal_rules: Vec<Vec<usize>> = Vec::new();
        for (r, rule) in rules.iter().enumerate() {
            for lit in &rule.literals {
                let li = *index.entry(lit.clone()).or_insert_with(|| {
                    literals.push(lit.clone());
                    literal_rules.push(Vec::new());
                    literals.len() - 1
                });
                if !literal_rules[li].contains(&r) {
                    literal_rules[li].push(r);
                }
            }
        }
        let gate = super::gate::Gate::new(&literals, stored);
        let version = digest(&rules);
        Catalog {
            rules,
            literals,
            literal_rules,
            gate,
            version,
        }
    }

    /// `sha256:` and a digest of the rule set: every rule's id, products, severity,
    /// category, priority, patterns, extractions and texts, in catalog order. Two scans with
    /// the same version classify and describe events alike. Worked out when the catalog is
    /// built, which a scan of many small files does beside the walk.
    pub fn version(&self) -> &str {
        &self.version
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    pub fn rule(&self, index: usize) -> &Rule {
        &self.rules[index]
    }

    pub fn find(&self, id: &str) -> Option<usize> {
        self.rules.iter().position(|r| r.id == id)
    }

    /// The distinct anchor literals the prefilter searches for.
    pub fn literals(&self) -> &[String] {
        &self.literals
    }

    /// The gate's keys: the few strings the buffer search looks for.
    pub fn gate_keys(&self) -> &[String] {
        self.gate.keys()
    }

    /// Where the gate's keys came from: stored with the built-in catalog or a `--rules`
    /// directory, or chosen at start-up.
    pub fn gate_keys_from(&self) -> super::gate::KeysFrom {
        self.gate.keys_from()
    }

    /// Classifies one event. `product` filters rules by their `products` list when known.
    pub fn classify(&self, text: &str, product: Option<Product>) -> Option<Classification> {
        let mut candidates: Vec<usize> = Vec::new();
        self.gate.each_literal(text.as_bytes(), |_, literal| {
            for &r in &self.literal_rules[literal] {
                if !candidates.contains(&r) {
                    candidates.push(r);
                }
            }
        });
        let mut hits: Vec<(usize, (usize, usize))> = candidates
            .into_iter()
            .filter(|&r| self.rules[r].applies_to(product))
            .filter_map(|r| self.rules[r].match_span(text).map(|span| (r, span)))
            .collect();
        if hits.is_empty() {
            return None;
        }
        // A failure always wins over a lifecycle marker, and a failure keeps no marker among
        // its "also matched" (a marker only marks events no failure rule explains).
        if hits.iter().any(|(r, _)| self.rules[*r].marker.is_none()) {
            hits.retain(|(r, _)| self.rules[*r].marker.is_none());
        }
        // Most specific first: catch-all rules last, then explicit priority, then the deepest
        // match (a later `Caused by:` is closer to the root cause), then the longer match,
        // then the id.
        hits.sort_by(|(a, sa), (b, sb)| {
            let (ra, rb) = (&self.rules[*a], &self.rules[*b]);
            ra.catch_all
                .cmp(&rb.catch_all)
                .then(rb.priority.cmp(&ra.priority))
                .then(sb.0.cmp(&sa.0))
                .then((sb.1 - sb.0).cmp(&(sa.1 - sa.0)))
                .then(ra.id.cmp(&rb.id))
        });
        let (winner, (at, _)) = hits[0];
        let fields = super::extract::fields(&self.rules[winner], text);
        Some(Classification {
            side: self.rules[winner].side_at(text, at),
            rule: winner,
            also: hits[1..].iter().map(|(r, _)| *r).collect(),
            fields,
        })
    }
}

impl crate::classify::Classifier for Catalog {
    /// The leftmost literal at or after `from` (see [`super::gate::Gate::find_literal`]).
    fn find_candidate(&self, haystack: &[u8], from: usize) -> Option<(usize, usize)> {
        self.gate.find_literal(haystack, from)
    }

    fn classify(&self, event: &str, product: Option<Product>) -> Option<Classification> {
        Catalog::classify(self, event, product)
    }

    fn match_span(&self, rule: usize, event: &str) -> Option<(usize, usize)> {
        self.rules[rule].match_span(event)
    }

    fn cause_count(&self) -> usize {
        self.rules.len()
    }

    fn prepare(&self) {
        super::extract::prepare();
    }
}

fn is_kebab_case(id: &str) -> bool {
    !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !id.starts_with('-')
        && !id.ends_with('-')
        && !id.contains("--")
}

fn compile_regex(
    origin: &str,
    loc: &Located,
    field: String,
    case_insensitive: bool,
    defer: bool,
) -> Result<RuleRegex, RuleError> {
    let located = |msg: String| {
        let msg = msg.lines().last().unwrap_or("invalid regex").trim();
        let msg = msg.strip_prefix("error: ").unwrap_or(msg).to_string();
        RuleError::at(origin, loc, field.clone(), format!("invalid regex: {msg}"))
    };
    if defer {
        // A built-in pattern: compiled on first use (see [`RuleRegex`]).
        return Ok(RuleRegex {
            pattern: loc.value.clone(),
            case_insensitive,
            compiled: OnceLock::new(),
        });
    }
    build_regex(&loc.value, case_insensitive)
        .map(Regex::into)
        .map_err(|e| located(e.to_string()))
}

fn build_regex(pattern: &str, case_insensitive: bool) -> Result<Regex, regex::Error> {
    RegexBuilder::new(pattern)
        .case_insensitive(case_insensitive)
        .size_limit(REGEX_SIZE_LIMIT)
        .nest_limit(REGEX_NEST_LIMIT)
        .build()
}

/// A rule's regex. A user's rules are compiled when they are loaded, so every error is
/// reported with its file and line. The built-in rules' regexes (some two hundred) are
/// compiled the first time they are used, and not even parsed before: a scan meets few of
/// them; compiling them all was about a third of the program's start-up, and parsing them
/// all still took 2 ms of the 10 ms a scan needs to start. They are part of the program,
/// so they are checked where it is built: `cargo test` compiles the built-in rules as a
/// user's (every error a user's rule would get, none allowed) and runs every regex on the
/// rules' examples.
#[derive(Debug, Clone)]
pub struct RuleRegex {
    pattern: String,
    case_insensitive: bool,
    compiled: OnceLock<Regex>,
}

impl RuleRegex {
    /// Explicit capture groups of the pattern (compiling it, if it was not yet).
    pub fn groups(&self) -> usize {
        self.captures_len() - 1
    }

    /// The pattern as written in the rule, without compiling it.
    pub fn as_str(&self) -> &str {
        &self.pattern
    }
}

impl From<Regex> for RuleRegex {
    fn from(re: Regex) -> Self {
        RuleRegex {
            pattern: re.as_str().to_string(),
            case_insensitive: false,
            compiled: OnceLock::from(re),
        }
    }
}

impl std::ops::Deref for RuleRegex {
    type Target = Regex;
    fn deref(&self) -> &Regex {
        self.compiled.get_or_init(|| {
            build_regex(&self.pattern, self.case_insensitive).unwrap_or_else(|_| {
                // Only a built-in regex over the size limit gets here, which the rule
                // tests would have caught: match nothing rather than stop the scan.
                Regex::new(r"[^\s\S]").expect("static regex")
            })
        })
    }
}

fn compile_rule(origin: &str, i: usize, spec: RuleSpec, defer: bool) -> Result<Rule, RuleError> {
    let field = |name: &str| format!("rules[{i}].{name}");
    if !is_kebab_case(&spec.id.value) {
        return Err(RuleError::at(
            origin,
            &spec.id,
            field("id"),
            format!(
                "rule id '{}' must be kebab-case (a-z, 0-9, '-')",
                spec.id.value
            ),
        ));
    }
    let id_error = |name: &str, msg: String| RuleError::at(origin, &spec.id, field(name), msg);
    if spec.matcher.literals.is_empty() {
        return Err(id_error(
            "match.literals",
            "at least one anchor literal is required (it feeds the prefilter)".into(),
        ));
    }
    for (j, lit) in spec.matcher.literals.iter().enumerate() {
        if lit.value.contains(['\n', '\r']) {
            return Err(RuleError::at(
                origin,
                lit,
                field(&format!("match.literals[{j}]")),
                "a literal is matched within one line: it must not contain a line break",
            ));
        }
        if lit.value.len() < MIN_LITERAL_LEN {
            return Err(RuleError::at(
                origin,
                lit,
                field(&format!("match.literals[{j}]")),
                format!(
                    "literal '{}' is shorter than {MIN_LITERAL_LEN} bytes and would flood the prefilter",
                    lit.value
                ),
            ));
        }
    }
    let is_lifecycle = spec.category == Category::Lifecycle;
    if spec.marker.is_some() != is_lifecycle {
        return Err(id_error(
            "marker",
            "a lifecycle marker rule has both `category: lifecycle` and `marker: restart|upgrade`; other rules have neither".into(),
        ));
    }
    if spec.marker.is_some() && spec.remote.is_some_and(|k| k != RemoteKind::None) {
        return Err(id_error(
            "remote",
            "a lifecycle marker rule has no remote end: leave `remote:` out (or `remote: none`)"
                .into(),
        ));
    }
    if spec.marker.is_none() && spec.remediation.is_empty() {
        return Err(id_error(
            "remediation",
            "at least one remediation step is required".into(),
        ));
    }
    if spec.cause.trim().is_empty() {
        return Err(id_error("cause", "the cause must not be empty".into()));
    }
    let ci = spec.matcher.case_insensitive;
    let regex = spec
        .matcher
        .regex
        .as_ref()
        .map(|r| compile_regex(origin, r, field("match.regex"), ci, defer))
        .transpose()?;
    let unless = spec
        .matcher
        .unless
        .as_ref()
        .map(|r| compile_regex(origin, r, field("match.unless"), ci, defer))
        .transpose()?;
    let provider_if = match (&spec.provider_if, spec.side) {
        (Some(r), RuleSide::Either) => Some(compile_regex(
            origin,
            r,
            field("provider_if"),
            false,
            defer,
        )?),
        (Some(r), _) => {
            return Err(RuleError::at(
                origin,
                r,
                field("provider_if"),
                "provider_if only applies to rules with `side: either`",
            ));
        }
        (None, _) => None,
    };
    let mut extract = Vec::new();
    for (name, loc) in &spec.extract {
        let re = compile_regex(origin, loc, field(&format!("extract.{name}")), false, defer)?;
        // A built-in one is checked by the tests (see [`RuleRegex`]), not at every start.
        if !defer && re.groups() < 1 {
            return Err(RuleError::at(
                origin,
                loc,
                field(&format!("extract.{name}")),
                "an extract regex needs one capture group for the value",
            ));
        }
        extract.push((name.clone(), re));
    }
    Ok(Rule {
        id: spec.id.value,
        title: spec.title,
        category: spec.category,
        severity: spec.severity,
        products: spec.products,
        priority: spec.priority,
        marker: spec.marker,
        catch_all: spec.catch_all,
        remote: spec
            .remote
            .unwrap_or_else(|| RemoteKind::default_for(spec.category)),
        side: spec.side,
        provider_if,
        literals: spec.matcher.literals.into_iter().map(|l| l.value).collect(),
        regex,
        unless,
        extract,
        cause: spec.cause.trim().to_string(),
        remediation: spec.remediation,
        references: spec.references,
        examples_match: spec.examples.matching,
        examples_no_match: spec.examples.not_matching,
        origin: origin.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::super::load::parse_rule_file;
    use super::*;

    fn catalog(yaml: &str) -> (Catalog, Vec<RuleError>) {
        Catalog::compile(vec![parse_rule_file("t.yaml", yaml).unwrap()])
    }

    /// A user's regexes are checked when the catalog is loaded, each error with its place; a
    /// built-in one is only compiled when first used (the next test holds the built-in rules
    /// to every check of a user's), and matches as a compiled one.
    #[test]
    fn user_regexes_are_checked_when_loaded_and_builtin_ones_compiled_when_used() {
        let yaml = |regex: &str, extract: &str| {
            format!(
                "rules:\n  - id: r\n    title: R\n    category: ssl\n    severity: error\n    match: {{ literals: [\"PKIX path\"], regex: '{regex}' }}\n    extract: {{ host: '{extract}' }}\n    cause: c\n    remediation: [\"r\"]\n    examples: {{ match: [], no_match: [] }}\n"
            )
        };
        for builtin in [false, true] {
            let load = |text: String| {
                let file = LoadedFile {
                    builtin,
                    ..parse_rule_file("t.yaml", &text).unwrap()
                };
                Catalog::compile(vec![file])
            };
            let (_, errors) = load(yaml("PKIX (path", "host=(\\S+)"));
            let (_, no_group) = load(yaml("PKIX path", "host=\\S+"));
            if builtin {
                assert!(
                    errors.is_empty() && no_group.is_empty(),
                    "{errors:?} {no_group:?}"
                );
            } else {
                assert_eq!(errors.len(), 1, "{errors:?}");
                assert_eq!(errors[0].field.as_deref(), Some("rules[0].match.regex"));
                assert!(errors[0].message.contains("invalid regex"), "{errors:?}");
                assert_eq!(
                    no_group[0].field.as_deref(),
                    Some("rules[0].extract.host"),
                    "{no_group:?}"
                );
            }
            let (cat, errors) = load(yaml("PKIX path (building|validation)", "host=(\\S+)"));
            assert!(errors.is_empty(), "{errors:?}");
            let rule = &cat.rules()[0];
            let regex = rule.regex.as_ref().unwrap();
            assert!(regex.is_match("PKIX path building failed"));
            assert!(!regex.is_match("PKIX path"));
            assert_eq!(regex.groups(), 1);
        }
    }

    /// The built-in rules pass every check a user's rules get when they are loaded (regex
    /// syntax and size, a capture group in each extract regex...), which a scan leaves out.
    #[test]
    fn builtin_rules_pass_every_check_of_a_users() {
        let files: Vec<LoadedFile> =
            super::super::load::builtin_files(super::super::Examples::Skip)
                .unwrap()
                .into_iter()
                .map(|f| LoadedFile {
                    builtin: false,
                    ..f
                })
                .collect();
        let (checked, errors) = Catalog::compile(files);
        assert!(errors.is_empty(), "{errors:?}");
        let (loaded, errors) = crate::rules::load_catalog(&[]);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(checked.rules().len(), loaded.rules().len());
        for (c, l) in checked.rules().iter().zip(loaded.rules()) {
            assert_eq!(c.id, l.id);
            let patterns = |r: &Rule| {
                let mut p: Vec<String> = [&r.regex, &r.unless, &r.provider_if]
                    .into_iter()
                    .flatten()
                    .map(|re| re.as_str().to_string())
                    .collect();
                p.extend(
                    r.extract
                        .iter()
                        .map(|(name, re)| format!("{name}: {}", re.as_str())),
                );
                p
            };
            assert_eq!(patterns(c), patterns(l), "{}", c.id);
        }
    }

    #[test]
    fn a_catch_all_never_wins_over_a_specific_rule() {
        let mut generic = crate::rules::test_rule("generic", "SSLHandshakeException");
        generic.priority = 99;
        generic.catch_all = true;
        let specific = crate::rules::test_rule("specific", "PKIX path");
        let c = Catalog::from_rules(vec![generic, specific]);
        let text =
            "ERROR x\nCaused by: javax.net.ssl.SSLHandshakeException: PKIX path building failed";
        let class = c.classify(text, None).unwrap();
        assert_eq!(c.rule(class.rule).id, "specific");
        assert_eq!(class.also, vec![0]);
    }

    #[test]
    fn remote_kind_is_rule_metadata_with_category_defaults() {
        let (builtin, errors) = crate::rules::load_catalog(&[]);
        assert!(errors.is_empty(), "{errors:?}");
        let kind = |id: &str| builtin.rule(builtin.find(id).unwrap()).remote;
        for id in [
            "integration-ldap-bind-rejected",
            "integration-ldap-referral",
            "integration-crowd-client-forbidden",
            "integration-crowd-application-auth-failed",
            "integration-directory-not-functional",
            "integration-directory-sync-failed",
        ] {
            assert_eq!(kind(id), RemoteKind::Directory, "{id}");
        }
        assert_eq!(
            kind("integration-webhook-post-failed"),
            RemoteKind::Integration
        );
        assert_eq!(kind("ssl-untrusted-certificate"), RemoteKind::Applink);
        assert_eq!(kind("lifecycle-tomcat-started"), RemoteKind::None);
        // A marker names no remote end.
        let yaml = r#"
rules:
  - id: started
    title: Started
    category: lifecycle
    marker: restart
    remote: applink
    severity: info
    match: { literals: ["Server startup in"] }
    cause: c
    examples: { match: [], no_match: [] }
"#;
        let (cat, errors) = catalog(yaml);
        assert!(cat.rules().is_empty());
        assert_eq!(
            errors[0].field.as_deref(),
            Some("rules[0].remote"),
            "{errors:?}"
        );
        let err = parse_rule_file(
            "t.yaml",
            &yaml.replace("remote: applink", "remote: satellite"),
        )
        .err()
        .unwrap();
        assert!(err.to_string().contains("satellite"), "{err:?}");
        assert_eq!(err.line, Some(7));
    }

    #[test]
    fn side_comes_from_rule_metadata() {
        let mut r = crate::rules::test_rule("either", "oauth_problem");
        r.side = RuleSide::Either;
        r.provider_if = Some(Regex::new("Rejecting OAuth request").unwrap().into());
        let c = Catalog::from_rules(vec![r]);
        let provider = "WARN Rejecting OAuth request: oauth_problem=timestamp_refused";
        let consumer =
            "WARN head\nRejecting OAuth request\nresponse oauth_problem=timestamp_refused";
        assert_eq!(c.classify(provider, None).unwrap().side, Side::Provider);
        assert_eq!(c.classify(consumer, None).unwrap().side, Side::Consumer);
    }

    const TWO_RULES: &str = r#"
rules:
  - id: generic-oauth
    title: Generic
    category: oauth
    severity: warning
    match: { literals: ["oauth_problem"] }
    cause: c
    remediation: [r]
    examples: { match: [], no_match: [] }
  - id: specific-oauth
    title: Specific
    category: oauth
    severity: error
    priority: 10
    match: { literals: ["oauth_problem"], regex: 'oauth_problem=timestamp_refused' }
    cause: c
    remediation: [r]
    examples: { match: [], no_match: [] }
"#;

    #[test]
    fn priority_wins_and_others_are_kept() {
        let (cat, errors) = catalog(TWO_RULES);
        assert!(errors.is_empty(), "{errors:?}");
        let c = cat
            .classify("x oauth_problem=timestamp_refused y", None)
            .unwrap();
        assert_eq!(cat.rule(c.rule).id, "specific-oauth");
        assert_eq!(c.also.len(), 1);
        let c = cat.classify("x oauth_problem=nonce_used", None).unwrap();
        assert_eq!(cat.rule(c.rule).id, "generic-oauth");
        assert!(cat.classify("nothing here", None).is_none());
    }

    #[test]
    fn bad_regex_is_located_and_other_rules_load() {
        let yaml = TWO_RULES.replace("'oauth_problem=timestamp_refused'", "'(unclosed'");
        let (cat, errors) = catalog(&yaml);
        assert_eq!(cat.rules().len(), 1);
        assert_eq!(errors.len(), 1);
        let e = &errors[0];
        assert_eq!(e.field.as_deref(), Some("rules[1].match.regex"));
        assert!(e.line.is_some());
        assert!(e.to_string().starts_with("t.yaml:"), "{e}");
    }

    #[test]
    fn short_literals_and_bad_ids_are_rejected() {
        let yaml = TWO_RULES.replace(
            "literals: [\"oauth_problem\"] }\n    cause",
            "literals: [\"ssl\"] }\n    cause",
        );
        let (_, errors) = catalog(&yaml);
        assert!(errors[0].message.contains("shorter"), "{errors:?}");
        let yaml = TWO_RULES.replace("id: generic-oauth", "id: Generic_OAuth");
        let (_, errors) = catalog(&yaml);
        assert!(errors[0].message.contains("kebab-case"), "{errors:?}");
    }

    #[test]
    fn user_rule_overrides_builtin_by_id() {
        let a = parse_rule_file("a.yaml", TWO_RULES).unwrap();
        let b = parse_rule_file(
            "b.yaml",
            &TWO_RULES.replace("title: Generic", "title: Overridden"),
        )
        .unwrap();
        let (cat, errors) = Catalog::compile(vec![a, b]);
        assert!(errors.is_empty());
        assert_eq!(cat.rules().len(), 2);
        assert_eq!(
            cat.rule(cat.find("generic-oauth").unwrap()).title,
            "Overridden"
        );
        assert_eq!(cat.rule(0).origin, "b.yaml");
    }

    #[test]
    fn deeply_nested_regex_is_refused() {
        let nested = format!("{}x{}", "(".repeat(60), ")".repeat(60));
        let yaml = TWO_RULES.replace("'oauth_problem=timestamp_refused'", &format!("'{nested}'"));
        let (cat, errors) = catalog(&yaml);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].field.as_deref(), Some("rules[1].match.regex"));
        assert_eq!(cat.rules().len(), 1);
    }

    #[test]
    fn huge_regex_is_refused() {
        let yaml = TWO_RULES.replace(
            "'oauth_problem=timestamp_refused'",
            "'(((a{100}){100}){100})'",
        );
        let (_, errors) = catalog(&yaml);
        assert_eq!(errors.len(), 1, "{errors:?}");
    }
}
