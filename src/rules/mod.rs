//! The rule catalog: schema, loading (built-in and user files), compilation to the
//! [`crate::classify::Classifier`] interface, and value extraction. Running the examples
//! every rule carries and the lint live in `rulecheck`, above both the catalog and the scanner.

pub mod catalog;
pub mod extract;
pub mod gate;
pub mod load;
pub mod schema;

pub use catalog::{Catalog, Classification, Rule};
pub use load::{Examples, RuleError};

use std::path::PathBuf;

/// Loads the built-in catalog plus every user rule directory, in order (later overrides
/// earlier by id). Errors in user files come back next to the catalog; the files that loaded
/// are used.
pub fn load_catalog(user_rules: &[PathBuf]) -> (Catalog, Vec<RuleError>) {
    load_catalog_with(user_rules, Examples::Read)
}

/// [`load_catalog`], with the built-in rules' examples read or not (commands that only
/// scan do not need them).
pub fn load_catalog_with(user_rules: &[PathBuf], examples: Examples) -> (Catalog, Vec<RuleError>) {
    let mut errors = Vec::new();
    let mut files = match load::builtin_files(examples) {
        Ok(files) => files,
        Err(e) => {
            errors.push(e);
            Vec::new()
        }
    };
    let user = load::user_rules(user_rules);
    files.extend(user.files);
    errors.extend(user.errors);
    let (catalog, compile_errors) = Catalog::compile_with(files, &user.stored_keys);
    errors.extend(compile_errors);
    (catalog, errors)
}

/// A minimal rule for unit tests elsewhere in the crate.
#[cfg(test)]
pub fn test_rule(id: &str, literal: &str) -> Rule {
    Rule {
        id: id.to_string(),
        title: id.to_string(),
        category: schema::Category::Oauth,
        severity: crate::model::Severity::Error,
        products: vec![],
        priority: 0,
        marker: None,
        catch_all: false,
        remote: schema::RemoteKind::Applink,
        side: schema::RuleSide::Consumer,
        provider_if: None,
        literals: vec![literal.to_string()],
        regex: None,
        unless: None,
        extract: vec![],
        cause: "c".into(),
        remediation: vec!["r".into()],
        references: vec![],
        examples_match: vec![],
        examples_no_match: vec![],
        origin: "test".into(),
    }
}
