//! Vocabulary shared by every stage: the Atlassian products, rule severities and
//! rule categories. Kept apart so that rules, sources and reports agree on names.

use serde::{Deserialize, Serialize};
use std::fmt;

/// An Atlassian server / Data Center product whose logs linkdoctor understands.
/// Stash is reported as Bitbucket and Crucible as Fisheye: they share layouts and formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Product {
    Jira,
    Confluence,
    #[serde(alias = "stash")]
    Bitbucket,
    Bamboo,
    Crowd,
    #[serde(alias = "crucible")]
    Fisheye,
}

impl Product {
    pub const ALL: [Product; 6] = [
        Product::Jira,
        Product::Confluence,
        Product::Bitbucket,
        Product::Bamboo,
        Product::Crowd,
        Product::Fisheye,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Product::Jira => "jira",
            Product::Confluence => "confluence",
            Product::Bitbucket => "bitbucket",
            Product::Bamboo => "bamboo",
            Product::Crowd => "crowd",
            Product::Fisheye => "fisheye",
        }
    }

    /// The product whose name (or former name: `stash`, `crucible`, `fecru`) is part of a word
    /// or text such as a folder, host or zip name (`jira-home`, `confluence.example.com`).
    pub fn named_in(text: &str) -> Option<Product> {
        const WORDS: [(&str, Product); 9] = [
            ("jira", Product::Jira),
            ("confluence", Product::Confluence),
            ("bitbucket", Product::Bitbucket),
            ("stash", Product::Bitbucket),
            ("bamboo", Product::Bamboo),
            ("crowd", Product::Crowd),
            ("fisheye", Product::Fisheye),
            ("crucible", Product::Fisheye),
            ("fecru", Product::Fisheye),
        ];
        let lower = text.to_ascii_lowercase();
        WORDS
            .iter()
            .find(|(w, _)| lower.contains(w))
            .map(|(_, p)| *p)
    }

    /// Parses a product name as users type it (`stash` and `crucible` included).
    pub fn parse(s: &str) -> Option<Product> {
        match s.to_ascii_lowercase().as_str() {
            "jira" => Some(Product::Jira),
            "confluence" => Some(Product::Confluence),
            "bitbucket" | "stash" => Some(Product::Bitbucket),
            "bamboo" => Some(Product::Bamboo),
            "crowd" => Some(Product::Crowd),
            "fisheye" | "crucible" => Some(Product::Fisheye),
            _ => None,
        }
    }
}

impl fmt::Display for Product {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How bad a finding is. Ordered: `Info < Warning < Error < Critical`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    #[default]
    Error,
    Critical,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "info" => Ok(Severity::Info),
            "warning" | "warn" => Ok(Severity::Warning),
            "error" => Ok(Severity::Error),
            "critical" => Ok(Severity::Critical),
            other => Err(format!(
                "unknown severity '{other}' (expected info, warning, error or critical)"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severities_are_ordered() {
        assert!(Severity::Info < Severity::Warning);
        assert!(Severity::Warning < Severity::Error);
        assert!(Severity::Error < Severity::Critical);
        assert_eq!("warn".parse::<Severity>().unwrap(), Severity::Warning);
        assert!("loud".parse::<Severity>().is_err());
    }

    #[test]
    fn product_aliases() {
        assert_eq!(Product::parse("Stash"), Some(Product::Bitbucket));
        assert_eq!(Product::parse("crucible"), Some(Product::Fisheye));
        assert_eq!(Product::parse("nope"), None);
        assert_eq!(Product::named_in("STASH-home"), Some(Product::Bitbucket));
        assert_eq!(Product::named_in("fecru-4.8"), Some(Product::Fisheye));
        assert_eq!(Product::named_in("wiki.example.com"), None);
    }
}
