//! Arbitrary bytes as a `--rules` directory's stored gate keys (`linkdoctor-gate.json`):
//! parsed as the file; then, as the keys of a file made for a fixed literal list (so that its
//! digest matches and the checks on the keys themselves decide), a gate built with them must
//! find exactly what the search for every literal finds, from every offset of fixed texts, and
//! every occurrence of every literal that an overlapping search finds, each once.
#![no_main]

use libfuzzer_sys::fuzz_target;
use linkdoctor::rules::gate::{FullSearch, Gate, StoredKeys};

/// Literals of the catalog's kinds (synthetic).
const LITERALS: [&str; 5] = [
    "PKIX path building failed",
    "oauth_problem",
    "Connection refused",
    "connect timed out",
    "refused to connect",
];

/// Texts with literals, parts of literals and ordinary words (synthetic).
const TEXTS: [&str; 2] = [
    "2024-01-02 ERROR refused to connect: Connection refused\nPKIX path oauth_problem=x",
    "connect timed outrefused PKIX path building failed\n oauth_ Connect refu oauth_problem",
];

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = StoredKeys::parse(&text);
    let literals: Vec<String> = LITERALS.iter().map(|l| l.to_string()).collect();
    // Each line a key; a line of a byte or two picks a 4-byte window of a literal instead,
    // so that most inputs give keys the checks accept.
    let keys: Vec<String> = text
        .split('\n')
        .map(|line| match line.as_bytes() {
            [i] | [i, _] => {
                let lit = LITERALS[usize::from(*i) % LITERALS.len()];
                let at = line.as_bytes().get(1).map_or(0, |&b| usize::from(b)) % (lit.len() - 3);
                lit[at..at + 4].to_string()
            }
            _ => line.to_string(),
        })
        .collect();
    let gate = Gate::new(&literals, &[StoredKeys::made_for(&literals, keys)]);
    let full = FullSearch::new(&literals).expect("automaton");
    for t in TEXTS {
        if let Some(d) = full.disagreement(&gate, t.as_bytes()) {
            panic!("{t:?}: {d}");
        }
    }
});
