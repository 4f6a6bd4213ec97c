//! `linkdoctor explain VALUE`: what an oauth_problem value, a rule id or a log error text
//! means and what to do, offline, from the same catalog the scanner uses.

use super::{
    catalog_with_warnings, exit, print_stdout, print_warnings, rules::show, stdout_written,
};
use crate::cli::ExplainArgs;
use crate::pipeline::Fatal;
use crate::rules::Catalog;

/// Rules that explain `value`, best first.
pub fn lookup(catalog: &Catalog, value: &str) -> Vec<usize> {
    let value = value.trim();
    if let Some(r) = catalog.find(value) {
        return vec![r];
    }
    let mut tries = vec![value.to_string()];
    if value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_')
    {
        tries.push(format!("oauth_problem={value}"));
    }
    for t in &tries {
        if let Some(c) = catalog.classify(t, None) {
            let mut v = vec![c.rule];
            v.extend(c.also);
            return v;
        }
    }
    let needle = value.to_ascii_lowercase();
    catalog
        .rules()
        .iter()
        .enumerate()
        .filter(|(_, r)| {
            r.title.to_ascii_lowercase().contains(&needle)
                || r.cause.to_ascii_lowercase().contains(&needle)
        })
        .map(|(i, _)| i)
        .collect()
}

pub fn run(args: &ExplainArgs) -> Result<u8, Fatal> {
    let (catalog, warnings) = catalog_with_warnings(&args.rules.rules);
    print_warnings(&warnings, false);
    let found = lookup(&catalog, &args.value);
    let Some((&first, others)) = found.split_first() else {
        return Err(Fatal(format!(
            "nothing in the catalog explains '{}'; try an oauth_problem value (timestamp_refused), a rule id (see `linkdoctor rules list`) or a line from a log",
            args.value
        )));
    };
    let mut out = show(catalog.rule(first));
    if !others.is_empty() {
        let ids: Vec<&str> = others
            .iter()
            .map(|&r| catalog.rule(r).id.as_str())
            .collect();
        out.push_str(&format!("\nAlso related: {}\n", ids.join(", ")));
    }
    stdout_written(print_stdout(&out))?;
    Ok(exit::OK)
}
