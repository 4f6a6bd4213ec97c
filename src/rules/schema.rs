//! The typed YAML schema of a rule file. Unknown fields are rejected so that a typo in a
//! user rule is an error with a location instead of a silently ignored key. Fields whose
//! later validation can fail (ids, regexes, literals) keep their YAML location.

use crate::model::{Product, Severity};
use serde::Deserialize;
use serde_saphyr::Spanned;
use std::collections::BTreeMap;

/// A YAML string together with the line and column it was read from.
pub type Located = Spanned<String>;

/// One file of `rules/*.yaml`: a list of rules under `rules:`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleFile {
    pub rules: Vec<RuleSpec>,
}

/// The family a rule belongs to; one built-in file per family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    Oauth,
    Ssl,
    Network,
    Applinks,
    Auth,
}

impl Category {
    pub fn name(self) -> &'static str {
        match self {
            Category::Oauth => "oauth",
            Category::Ssl => "ssl",
            Category::Network => "network",
            Category::Applinks => "applinks",
            Category::Auth => "auth",
        }
    }
}

/// One rule as written in YAML.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    /// Stable kebab-case identifier, unique over the catalog.
    pub id: Located,
    pub title: String,
    pub category: Category,
    pub severity: Severity,
    /// Products whose logs this rule applies to; empty means all.
    #[serde(default)]
    pub products: Vec<Product>,
    /// Higher wins when several rules match one event. Default 0.
    #[serde(default)]
    pub priority: i32,
    #[serde(rename = "match")]
    pub matcher: MatchSpec,
    /// Extra named values to pull out of a matching event: name -> regex with one capture group.
    #[serde(default)]
    pub extract: BTreeMap<String, Located>,
    pub cause: String,
    /// Ordered steps; each cites the seed 000 checklist item or seed 004 section it comes from.
    pub remediation: Vec<String>,
    #[serde(default)]
    pub references: Vec<String>,
    pub examples: Examples,
}

/// How a rule recognises an event.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatchSpec {
    /// Rare, case-sensitive anchor literals. They feed the scanner's prefilter: an event is a
    /// candidate for this rule only if one of them occurs in it.
    pub literals: Vec<Located>,
    /// Optional regex that must also match the event (the whole multi-line event text).
    #[serde(default)]
    pub regex: Option<Located>,
    /// Optional regex that, when it matches the event, rules this rule out.
    #[serde(default)]
    pub unless: Option<Located>,
    /// Make `regex` and `unless` case-insensitive.
    #[serde(default)]
    pub case_insensitive: bool,
}

/// Examples the rule carries: events that must be classified as this rule, and events that
/// must not match it at all.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Examples {
    #[serde(rename = "match")]
    pub matching: Vec<String>,
    #[serde(rename = "no_match")]
    pub not_matching: Vec<String>,
}
