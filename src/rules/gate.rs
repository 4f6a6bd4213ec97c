//! The gate: a few short keys that every occurrence of every rule literal contains, so the
//! buffer search looks for a handful of keys whatever the size of the catalog, and the full
//! literal set is searched only in the lines where a key occurs.
//!
//! Why: the buffer search is the hot loop. aho-corasick's packed SIMD searcher (Teddy) takes
//! at most 64 patterns and slows as they get more; beyond 64 it is not used at all and the
//! search falls to a fraction of the speed. Searching the buffer for every literal made the
//! speed fall by two thirds when the catalog tripled. Keys of 4 bytes taken from inside the
//! literals keep the buffer search at a bounded number of short patterns, which Teddy
//! handles at the same speed whatever the catalog (measured in `benches/`).
//!
//! How the keys are chosen, when the catalog is compiled: every 4-byte substring of every
//! literal is a candidate key. Four bytes is what Teddy looks at, so a key's cost is how
//! often its 4 bytes occur in ordinary log text: their frequency in a background of ordinary
//! and near-miss log lines from the six products (the benign corpus under `tests/benign/`,
//! embedded), and never less than the product of their single-byte frequencies there
//! (`" con"` is common, `"PKIX"` is not). A greedy weighted set cover then picks, until
//! every literal is covered, the key with the most newly covered literals per unit of cost
//! (ties: the smaller key). Each key also costs a fixed amount, raised step by step until
//! at most [`MAX_GATE_KEYS`] keys (or [`CROWDED_GATE_KEYS`], below) are enough.
//!
//! The keys are searched with aho-corasick's packed searcher directly (Teddy, without the
//! automaton around it: each key hit returns to the gate, so the lean call matters). A key
//! hit is checked cheaply: only the literals that contain that key are compared, at the
//! offsets where they contain it ([`Gate::find_literal`]). Only when one of them is really
//! there is that one line searched for the leftmost literal, by a DFA of every literal
//! without a prefilter, so a key that also occurs in ordinary text costs a few byte
//! comparisons per hit.
//!
//! Why 48 keys, and 64 only for a crowded catalog (measured 2026-12-02, `benches/`): with
//! more than 32 patterns Teddy uses its "fat" form (16 buckets), and each bucket's 4-byte
//! fingerprint is a union of nibble masks, so the false candidates Teddy must verify grow
//! with the patterns per bucket. On the built-in catalog 64 keys were 25 % slower than 48,
//! although each key was rarer. On three times the catalog, 48 keys must include common
//! ones (expected hits per byte of the background: about 6e-3, against 8e-4 for the
//! built-in catalog), and 64 keys were 1.7x faster. So the gate takes 48 keys unless their
//! expected hits exceed [`CROWDED_HIT_RATE`], and then up to 64. Fewer keys (32, Teddy's
//! "slim" form) force keys as common as `"tion"` and were 2.6x slower.
//!
//! Exactness: a key is a substring of the literals it covers and a literal never spans a
//! line, so the leftmost literal at or after a point lies in the line of the first key hit
//! that is part of a literal (or earlier in that same line): the gate finds exactly what
//! the search for every literal would.

use aho_corasick::{AhoCorasick, MatchKind};
use std::collections::BTreeMap;

/// The most keys the gate takes when they are enough to avoid common keys: fat Teddy slows
/// as its buckets fill (see the module notes).
pub const MAX_GATE_KEYS: usize = 48;
/// The keys allowed when 48 would leave the gate crowded: Teddy's limit.
const CROWDED_GATE_KEYS: usize = 64;
/// Expected key hits per byte of ordinary log text (the background) above which 48 keys are
/// crowded: common keys were forced, and their hits cost more than the extra keys cost
/// Teddy. The built-in catalog's 48 keys expect about 8e-4; three times the catalog about
/// 6e-3 (measured 2026-12-02, see the module notes).
const CROWDED_HIT_RATE: f64 = 2e-3;
/// Length of a key (literals are at least this long: `catalog::MIN_LITERAL_LEN`).
const KEY_LEN: usize = 4;

/// Ordinary log text the keys should be rare in.
const BACKGROUND: [&str; 6] = [
    include_str!("../../tests/benign/jira.log"),
    include_str!("../../tests/benign/confluence.log"),
    include_str!("../../tests/benign/bitbucket.log"),
    include_str!("../../tests/benign/bamboo.log"),
    include_str!("../../tests/benign/crowd.log"),
    include_str!("../../tests/benign/fisheye.log"),
];

/// Frequency of each byte in the background (add-one smoothed).
fn byte_frequencies() -> [f64; 256] {
    let mut counts = [1u64; 256];
    let mut total = 256u64;
    for text in BACKGROUND {
        for &b in text.as_bytes() {
            counts[b as usize] += 1;
            total += 1;
        }
    }
    counts.map(|c| c as f64 / total as f64)
}

/// A first-order Markov chain of the background's bytes: the floor of a key's frequency.
/// Four-byte keys are too many for a small background to count them all, so a key the
/// background lacks is priced by its byte pairs: `"lter"` (as in every `...Filter` class
/// name) is made of pairs common in log text and stays expensive, while `"PKIX"` or `"sFil"`
/// are cheap. Smoothed with a small pseudo-count, so unseen pairs stay possible.
struct ByteChain {
    first: [f64; 256],
    /// `next[a][b]`: probability of byte `b` after byte `a`.
    next: Vec<[f64; 256]>,
}

impl ByteChain {
    const PSEUDO: f64 = 0.01;

    fn new() -> Self {
        let mut pairs = vec![[0u64; 256]; 256];
        for text in BACKGROUND {
            for w in text.as_bytes().windows(2) {
                pairs[w[0] as usize][w[1] as usize] += 1;
            }
        }
        let next = pairs
            .iter()
            .map(|row| {
                let total: u64 = row.iter().sum();
                let denom = total as f64 + Self::PSEUDO * 256.0;
                let mut p = [0.0; 256];
                for (b, &c) in row.iter().enumerate() {
                    p[b] = (c as f64 + Self::PSEUDO) / denom;
                }
                p
            })
            .collect();
        ByteChain {
            first: byte_frequencies(),
            next,
        }
    }

    fn probability(&self, key: &[u8]) -> f64 {
        let Some((&b0, _)) = key.split_first() else {
            return 1.0;
        };
        let mut p = self.first[b0 as usize];
        for w in key.windows(2) {
            p *= self.next[w[0] as usize][w[1] as usize];
        }
        p
    }
}

/// One candidate key: the literals it covers and what a hit costs.
struct Candidate<'a> {
    key: &'a [u8],
    literals: Vec<u32>,
    per_byte: f64,
}

/// The candidate keys of `literals`, with their costs from the background.
fn candidates(literals: &[String]) -> Vec<Candidate<'_>> {
    let mut covers: BTreeMap<&[u8], Vec<u32>> = BTreeMap::new();
    for (i, lit) in literals.iter().enumerate() {
        let b = lit.as_bytes();
        let i = u32::try_from(i).unwrap_or(u32::MAX);
        for w in b.windows(KEY_LEN.min(b.len())) {
            let v = covers.entry(w).or_default();
            if v.last() != Some(&i) {
                v.push(i);
            }
        }
    }
    // How often each key occurs in the background.
    let prints: Vec<&[u8]> = covers.keys().copied().collect();
    let mut hits = vec![0u64; prints.len()];
    let mut background_bytes = 0usize;
    if let Ok(ac) = AhoCorasick::builder()
        .match_kind(MatchKind::Standard)
        .build(&prints)
    {
        for text in BACKGROUND {
            background_bytes += text.len();
            for m in ac.find_overlapping_iter(text) {
                hits[m.pattern().as_usize()] += 1;
            }
        }
    }
    let background_bytes = background_bytes.max(1) as f64;
    let chain = ByteChain::new();
    covers
        .into_iter()
        .zip(hits)
        .map(|((key, literals), n)| {
            let by_bytes = chain.probability(key);
            Candidate {
                key,
                literals,
                per_byte: (n as f64 / background_bytes).max(by_bytes),
            }
        })
        .collect()
}

/// Greedy weighted set cover with a fixed cost per key.
fn cover(cands: &[Candidate], literals: usize, per_key: f64) -> Vec<usize> {
    let mut covered = vec![false; literals];
    let mut left = literals;
    let mut chosen = Vec::new();
    while left > 0 {
        let mut best: Option<(f64, usize)> = None;
        for (c, cand) in cands.iter().enumerate() {
            let new = cand
                .literals
                .iter()
                .filter(|&&l| !covered[l as usize])
                .count();
            if new == 0 {
                continue;
            }
            let score = new as f64 / (cand.per_byte + per_key);
            let better = match best {
                None => true,
                Some((s, b)) => {
                    let other = &cands[b];
                    score > s || (score == s && cand.key < other.key)
                }
            };
            if better {
                best = Some((score, c));
            }
        }
        let Some((_, c)) = best else { break };
        for &l in &cands[c].literals {
            if !covered[l as usize] {
                covered[l as usize] = true;
                left -= 1;
            }
        }
        chosen.push(c);
    }
    chosen
}

/// The gate of a catalog: its keys, the SIMD searcher for them, for each key the literals
/// that contain it with the offsets where they do, and the automaton of every literal that
/// is run over a line where a literal was found.
#[derive(Debug)]
pub struct Gate {
    keys: Vec<String>,
    keys_search: KeySearch,
    /// Per key: (literal bytes, offset of the key in it).
    containing: Vec<Vec<(Box<[u8]>, usize)>>,
    /// Every literal, leftmost-first, as a DFA without a prefilter: it only ever runs over
    /// one line, where a prefilter's start-up costs more than it saves.
    in_line: AhoCorasick,
}

/// The buffer search for the keys: Teddy when the CPU has it (through aho-corasick's
/// packed searcher, which carries no automaton to fall back on), else an automaton.
#[derive(Debug)]
enum KeySearch {
    Packed(aho_corasick::packed::Searcher),
    Automaton(AhoCorasick),
    Nothing,
}

impl KeySearch {
    fn new(keys: &[String]) -> KeySearch {
        if keys.is_empty() {
            return KeySearch::Nothing;
        }
        let packed = aho_corasick::packed::Config::new()
            .match_kind(aho_corasick::packed::MatchKind::LeftmostFirst)
            .builder()
            .extend(keys)
            .build();
        if let Some(s) = packed {
            return KeySearch::Packed(s);
        }
        match AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostFirst)
            .build(keys)
        {
            Ok(ac) => KeySearch::Automaton(ac),
            Err(_) => KeySearch::Nothing,
        }
    }

    /// Start and key index of the first key hit in `haystack[at..]`.
    fn find(&self, haystack: &[u8], at: usize) -> Option<(usize, usize)> {
        let span = aho_corasick::Span {
            start: at,
            end: haystack.len(),
        };
        match self {
            KeySearch::Packed(s) => s
                .find_in(haystack, span)
                .map(|m| (m.start(), m.pattern().as_usize())),
            KeySearch::Automaton(ac) => ac
                .find(aho_corasick::Input::new(haystack).span(span))
                .map(|m| (m.start(), m.pattern().as_usize())),
            KeySearch::Nothing => None,
        }
    }
}

impl Gate {
    pub fn new(literals: &[String]) -> Gate {
        let keys = choose_keys(literals);
        let containing = keys
            .iter()
            .map(|k| {
                let mut v = Vec::new();
                for lit in literals {
                    for (o, _) in lit.match_indices(k.as_str()) {
                        v.push((lit.as_bytes().into(), o));
                    }
                }
                v
            })
            .collect();
        let in_line = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostFirst)
            .kind(Some(aho_corasick::AhoCorasickKind::DFA))
            .prefilter(false)
            .build(literals)
            .or_else(|_| {
                AhoCorasick::builder()
                    .match_kind(MatchKind::LeftmostFirst)
                    .build(literals)
            })
            .unwrap_or_else(|_| AhoCorasick::new(Vec::<String>::new()).expect("empty automaton"));
        Gate {
            keys_search: KeySearch::new(&keys),
            keys,
            containing,
            in_line,
        }
    }

    pub fn keys(&self) -> &[String] {
        &self.keys
    }

    /// The leftmost literal that starts at or after `from`: its start and end.
    ///
    /// A key hit is checked cheaply: only the literals that contain that key are compared,
    /// at the offsets where they contain it. The first literal found this way lies in the
    /// line of the leftmost one (every literal contains a key, and no literal spans a line),
    /// so that line is then searched for every literal from `from` or the line's start.
    pub fn find_literal(&self, haystack: &[u8], from: usize) -> Option<(usize, usize)> {
        let found = self.first_literal_start(haystack, from)?;
        let line_start =
            memchr::memrchr(b'\n', &haystack[from..found]).map_or(from, |i| from + i + 1);
        let line_end =
            memchr::memchr(b'\n', &haystack[found..]).map_or(haystack.len(), |i| found + i);
        let input = aho_corasick::Input::new(haystack).span(line_start..line_end);
        let m = self.in_line.find(input)?;
        Some((m.start(), m.end()))
    }

    /// The start of the first literal, found through a key hit, that starts at or after
    /// `from`.
    fn first_literal_start(&self, haystack: &[u8], from: usize) -> Option<usize> {
        let mut at = from;
        while at < haystack.len() {
            let (key_at, key) = self.keys_search.find(haystack, at)?;
            for (lit, offset) in &self.containing[key] {
                let Some(start) = key_at.checked_sub(*offset) else {
                    continue;
                };
                if start >= from && haystack[start..].starts_with(lit) {
                    return Some(start);
                }
            }
            at = key_at + 1;
        }
        None
    }
}

/// The gate keys for `literals`, in a stable order.
pub fn choose_keys(literals: &[String]) -> Vec<String> {
    if literals.is_empty() {
        return Vec::new();
    }
    let cands = candidates(literals);
    let mut chosen = fit_cover(&cands, literals.len(), MAX_GATE_KEYS);
    let hit_rate: f64 = chosen.iter().map(|&c| cands[c].per_byte).sum();
    if hit_rate > CROWDED_HIT_RATE {
        chosen = fit_cover(&cands, literals.len(), CROWDED_GATE_KEYS);
    }
    let mut keys: Vec<String> = chosen
        .into_iter()
        .map(|c| String::from_utf8_lossy(cands[c].key).into_owned())
        .collect();
    keys.sort();
    keys
}

/// The cover with the most keys that fit in `max_keys`: the smallest fixed cost per key (to
/// a factor of 1.1, searched on a log scale) whose cover fits, since the more keys, the rarer
/// each one can be.
fn fit_cover(cands: &[Candidate], literals: usize, max_keys: usize) -> Vec<usize> {
    let chosen = cover(cands, literals, 0.0);
    if chosen.len() <= max_keys {
        return chosen;
    }
    let (mut fits, mut too_small) = (1.0f64, 1e-12f64);
    let mut best = cover(cands, literals, fits);
    while fits / too_small > 1.1 {
        let mid = (fits * too_small).sqrt();
        let c = cover(cands, literals, mid);
        if c.len() <= max_keys {
            (fits, best) = (mid, c);
        } else {
            too_small = mid;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lits(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn every_literal_contains_a_key() {
        let l = lits(&[
            "SSLHandshakeException",
            "UnknownHostException",
            "ConnectTimeoutException",
            "Connection refused",
            "oauth_problem",
            "PKIX path",
            "Read timed out",
            "connect timed out",
        ]);
        let keys = choose_keys(&l);
        for lit in &l {
            assert!(
                keys.iter().any(|k| lit.contains(k.as_str())),
                "{lit}: {keys:?}"
            );
        }
        assert!(keys.len() <= MAX_GATE_KEYS);
        assert!(keys.iter().all(|k| k.len() == KEY_LEN), "{keys:?}");
    }

    #[test]
    fn many_literals_still_give_a_small_gate() {
        let l: Vec<String> = (0..300)
            .map(|i| format!("Remote{i}FailureException while calling service {i}"))
            .collect();
        let keys = choose_keys(&l);
        assert!(keys.len() <= MAX_GATE_KEYS, "{}", keys.len());
        for lit in &l {
            assert!(keys.iter().any(|k| lit.contains(k.as_str())), "{lit}");
        }
    }

    /// The gate finds the same first literal as a search for every literal, from every
    /// starting point, in text mixing literals, parts of them and ordinary lines.
    #[test]
    fn finds_exactly_what_the_full_search_finds() {
        let l = lits(&[
            "SSLHandshakeException",
            "Connection refused",
            "Connection reset",
            "oauth_problem",
            "PKIX path",
            "No route to host",
            "route to",
        ]);
        let gate = Gate::new(&l);
        let full = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostFirst)
            .build(&l)
            .unwrap();
        let pieces = [
            "INFO ordinary line\n",
            "Connection ",
            "refused",
            "reset\n",
            "oauth_",
            "problem=x ",
            "PKIX ",
            "path\n",
            "No route to host\n",
            "SSLHandshake",
            "Exception\n",
            "route ",
            "to ",
        ];
        let mut rng = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..300 {
            let mut text = String::new();
            for _ in 0..12 {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                text.push_str(pieces[(rng % pieces.len() as u64) as usize]);
            }
            let h = text.as_bytes();
            for from in 0..h.len() {
                let want = full.find(aho_corasick::Input::new(h).span(from..h.len()));
                let got = gate.find_literal(h, from);
                assert_eq!(
                    want.map(|m| (m.start(), m.end())),
                    got,
                    "{text:?} from {from}"
                );
            }
        }
    }

    #[test]
    fn a_crowded_gate_may_use_up_to_64_keys_and_the_built_in_catalog_48() {
        let (catalog, errors) = crate::rules::load_catalog(&[]);
        assert!(errors.is_empty(), "{errors:?}");
        assert!(catalog.gate_keys().len() <= MAX_GATE_KEYS);
        // The benchmark's three-times catalog: 48 keys would force common ones.
        let extra = std::path::PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/benches/extra-catalog"
        ));
        let (crowded, errors) = crate::rules::load_catalog(&[extra]);
        assert!(errors.is_empty(), "{errors:?}");
        let keys = crowded.gate_keys();
        assert!(keys.len() > MAX_GATE_KEYS, "{}", keys.len());
        assert!(keys.len() <= CROWDED_GATE_KEYS, "{}", keys.len());
        for lit in crowded.literals() {
            assert!(keys.iter().any(|k| lit.contains(k.as_str())), "{lit}");
        }
    }

    #[test]
    fn keys_common_in_ordinary_logs_are_avoided() {
        // "INFO" and "http-nio" are everywhere in the background; the rare part is chosen.
        let keys = choose_keys(&lits(&["INFO http-nio QuuxRefusedZap"]));
        assert_eq!(keys.len(), 1);
        assert!(
            !keys[0].contains("INFO") && !keys[0].contains("http"),
            "{keys:?}"
        );
    }
}
