//! The gate: a few short keys that every occurrence of every rule literal contains, so the
//! buffer search looks for a handful of keys whatever the size of the catalog, and the full
//! literal set is searched only in the lines where a key occurs.
//!
//! Why: the buffer search is the hot loop. aho-corasick's packed SIMD searcher (Teddy) takes
//! at most 128 patterns (64 by its own heuristic) and slows as they get more; beyond that it
//! is not used at all and the search falls to a fraction of the speed. Searching the buffer
//! for every literal made the speed fall by two thirds when the catalog tripled. Keys of 4
//! bytes taken from inside the literals keep the buffer search at a bounded number of short
//! patterns, which Teddy handles at the same speed whatever the catalog (measured in
//! `benches/`).
//!
//! How the keys are chosen, when the catalog is compiled: every 4-byte substring of every
//! literal is a candidate key. Four bytes is what Teddy looks at, so a key's cost is how
//! often its 4 bytes occur in ordinary log text: their frequency in a background of real
//! and near-miss log text (the benign corpus under `tests/benign/`, and the benign events
//! and stack frames of the field corpus, `tests/field/background.log`; embedded), and never
//! less than a byte-pair chain of that background prices them (`" con"` is common, `"PKIX"`
//! is not). A greedy weighted set cover then picks, until every literal is covered, the key
//! with the most newly covered literals per unit of cost (ties: the smaller key). Each key
//! also costs a fixed amount, raised step by step until the cover fits a key count.
//!
//! How many keys, and in which order: with more than 32 patterns Teddy uses its "fat" form
//! (16 buckets, else 8), and a bucket's 4-byte fingerprint is the union of its keys' nibble
//! masks, so a bucket of unlike keys flags many positions that Teddy must then verify.
//! aho-corasick puts pattern `i` in bucket `i mod buckets`, so the order of the keys is
//! their bucket assignment: [`teddy_order`] swaps keys between buckets while the false
//! candidates fall, counted over the background's 4-byte strings ([`Fingerprints`]). More
//! keys are rarer but crowd the buckets; fewer keys are common. So each count of
//! [`GATE_KEY_COUNTS`] gives a cover, and the one with the lowest expected cost in the
//! background wins: key hits at [`HIT_NS`] each, Teddy candidates at [`CANDIDATE_NS`] per key
//! compared (both measured).
//!
//! Measured 2026-12-02 on the 1 GiB benchmark log (`benches/`), the key search alone:
//! sorted keys, 48 of them, took 0.51 s; the same keys in bucket order 0.39 s. With the
//! field corpus's stack frames in the background (`"lter"`, as in every `...Filter` frame,
//! was a key before), the cost model picked 62 keys for the built-in catalog (100 rules)
//! and 62 for three times it: 0.41 s and 0.23 s, where they were 0.51 s and 0.87 s. The
//! catalog's size no longer sets the speed; how rare its rarest substrings are does. With
//! the candidates counted rather than estimated from independent bytes (2026-12-03), the
//! built-in catalog's 64 keys took 0.16-0.17 s where they took 0.41 s.
//!
//! The background is many products' lines; a real log is mostly a few line templates
//! repeated, and a template whose 4-byte strings one bucket's fingerprint flags is flagged on
//! every line. So the first window of [`TUNE_FROM_BYTES`] or more that a scan hands the gate
//! (an input that large) has its start counted the same way, and when the stored order would
//! leave more than [`TUNE_WORTH_PER_BYTE`] candidates in it and a swapped order less than half
//! of that, the rest of the run searches in that order ([`Gate::tune`]): 4-6 ms, once a run.
//! On the benchmark log the three-times catalog's stored order left 2.3e-2 candidates per
//! byte (seven strings of its generated templates, `"s in"`, `"iceC"`, `"loba"`...); tuned,
//! none with the sample's strings of four or more occurrences.
//!
//! The choice takes a third of start-up, so the built-in catalog's keys are stored in
//! `builtin-gate.json` with a digest of the literals they were chosen for, used only when
//! the digest matches and every literal holds a key ([`choose_keys`]; a test rewrites the
//! file when it is stale). Any other catalog has its keys chosen afresh at start-up, unless a
//! `--rules` directory stores them for it ([`STORED_KEYS_FILE`], written by `linkdoctor rules
//! gate --write`): the three-times catalog's choice takes 0.15 s, a fifth of its 1 GiB scan.
//!
//! The keys are searched with aho-corasick's packed searcher directly (Teddy, without the
//! automaton around it: each key hit returns to the gate, so the lean call matters). A key
//! hit is checked cheaply: only the literals placed at that key are compared, at the
//! offsets where they contain it, and of those only the ones whose bytes beside the key
//! agree with the text (they are indexed by up to eight bytes before or after the key:
//! [`KeyLiterals`]), so a key inside hundreds of literals costs a few lookups per hit. Only
//! when one of them is really there is that line's stretch before it searched for a literal
//! that starts earlier, through the same key hits, so a key that also occurs in ordinary text
//! costs a few byte comparisons per hit. Classifying an event finds every literal in it the
//! same way ([`Gate::each_literal`]): no automaton of every literal is built.
//!
//! The limit: [`MAX_GATE_KEYS`] keys. A catalog whose literals have more rare substrings
//! between them than that must take common keys, and then pays for every hit of them: Teddy
//! returns at each one. With 64 keys the benchmark's three-times catalog (761 literals) had
//! to take `"tion"` (8.4 million key hits in the 1 GiB log, the key search 0.92 s); with 79,
//! Teddy's heuristic limit of 64 turned off, it takes rarer ones (24,557 hits, 0.38-0.43 s,
//! its 16 buckets holding five keys). 96 keys took 0.64 s and 128 1.3 s: crowded buckets
//! flag more than the rarer keys save. A catalog much larger than that needs a searcher of
//! hundreds of keys (Hyperscan's FDR is the model), not built.
//!
//! Exactness: a key is a substring of the literals it covers and a literal never spans a
//! line, so the leftmost literal at or after a point lies in the line of the first key hit
//! that is part of a literal (or earlier in that same line): the gate finds exactly what
//! the search for every literal would.

use aho_corasick::{AhoCorasick, MatchKind};
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// The key counts the gate weighs, from a cover that must take common keys to one of rare
/// keys that crowds Teddy's buckets.
const GATE_KEY_COUNTS: [usize; 4] = [32, 48, TEDDY_HEURISTIC_KEYS, MAX_GATE_KEYS];
/// The most patterns aho-corasick's Teddy takes by its own heuristic.
const TEDDY_HEURISTIC_KEYS: usize = 64;
/// The most keys the gate takes: past [`TEDDY_HEURISTIC_KEYS`] the heuristic is turned off
/// (aho-corasick's packed searcher takes up to 128 patterns), see the module's "The limit".
const MAX_GATE_KEYS: usize = 80;
/// What a key hit costs the buffer search, in nanoseconds: Teddy stops, the hit is checked
/// and the search starts again (measured 2026-12-02, `benches/`: 2.3 million hits in the 1 GiB
/// log cost 0.13 s).
const HIT_NS: f64 = 58.0;
/// What a false Teddy candidate costs per key of its bucket, in nanoseconds: each key of the
/// bucket is compared (measured the same day: fingerprints giving 1.6e-2 fewer candidates
/// per byte saved 0.21 s on the 1 GiB log).
const CANDIDATE_NS: f64 = 12.0;
/// Passes of [`teddy_order`]'s swaps at most: on the three-times catalog the third pass still
/// took 3 % off the counted candidates and later ones under 1 %, at 16 ms a pass of start-up
/// (measured 2026-12-03).
const ORDER_PASSES: usize = 3;
/// Length of a key (literals are at least this long: `catalog::MIN_LITERAL_LEN`).
const KEY_LEN: usize = 4;

/// Ordinary log text the keys should be rare in.
/// The benign corpus of `tests/benign/`, and the real ordinary text of the field corpus: its
/// benign events and the stack frames of its failures (`tests/field/background.log`, written
/// by `tests/field/validate.py --background`), since stack frames are much of a real log.
const BACKGROUND: [&str; 7] = [
    include_str!("../../tests/benign/jira.log"),
    include_str!("../../tests/benign/confluence.log"),
    include_str!("../../tests/benign/bitbucket.log"),
    include_str!("../../tests/benign/bamboo.log"),
    include_str!("../../tests/benign/crowd.log"),
    include_str!("../../tests/benign/fisheye.log"),
    include_str!("../../tests/field/background.log"),
];

/// Words every Atlassian log is full of: a literal equal to one of them floods the buffer
/// search (`rules lint` says so), and a key taken from inside one of them is never priced as
/// rare, whatever the small background says ([`common_word_floor`]).
pub const COMMON_LOG_WORDS: &[&str] = &[
    "exception",
    "error",
    "warn",
    "warning",
    "info",
    "debug",
    "failed",
    "failure",
    "fail",
    "ssl",
    "tls",
    "http",
    "https",
    "timeout",
    "timed out",
    "connection",
    "connect",
    "request",
    "response",
    "oauth",
    "token",
    "certificate",
    "server",
    "client",
    "caused by",
    "java",
    "atlassian",
    "applinks",
    "application link",
    "null",
    "status",
    "refused",
    "denied",
    "invalid",
    "unknown",
    "proxy",
    "host",
    "filter",
    "resource",
    "directory",
    "caching",
    "pending",
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

/// The candidate keys of `literals`, with their costs from the background (`chain` is its
/// byte chain).
fn candidates<'l>(literals: &'l [String], chain: &ByteChain) -> Vec<Candidate<'l>> {
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
    let mut on_many_lines = vec![false; prints.len()];
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
        let (lines_with, lines) = benign_lines_matching(&ac, prints.len());
        on_many_lines = lines_with
            .into_iter()
            .map(|n| more_than_per_mille(n, lines, MAX_KEY_LINES_PER_MILLE))
            .collect();
    }
    let background_bytes = background_bytes.max(1) as f64;
    let common = ordinary_word_forms();
    covers
        .into_iter()
        .zip(hits)
        .zip(on_many_lines)
        .map(|(((key, literals), n), on_many)| {
            let by_bytes = chain.probability(key);
            let lines_floor = if on_many { ON_MANY_LINES_PER_BYTE } else { 0.0 };
            Candidate {
                key,
                literals,
                per_byte: (n as f64 / background_bytes)
                    .max(by_bytes)
                    .max(common_word_floor(key, &common))
                    .max(lines_floor),
            }
        })
        .collect()
}

/// A key on more than this share of the benign sample's lines (per mille) makes the buffer
/// search stop on ordinary lines; `rules lint` warns about such a key, and the cover prices
/// it at [`ON_MANY_LINES_PER_BYTE`] so that it takes one only when a literal has no other.
pub const MAX_KEY_LINES_PER_MILLE: usize = 50;

/// The price of a key on too many benign lines: once in 100 bytes, fifty times the
/// common-word floor. Without it, once the held-out round 6 rules were in, the cover took
/// `"ing "` (on 71 of 356 benign lines, for "...during handshake", "...attempting to add...",
/// "...trying to get Applink...") and `"rust"` (28 lines) to fit 48 keys instead of 64, since
/// the byte price of each, diluted by the field background, looked small; at once in 1 KB
/// the 48-key cover with `"ing "` still looked cheaper than 64 keys.
const ON_MANY_LINES_PER_BYTE: f64 = 1e-2;

/// The benign INFO/DEBUG logs of the six products in [`BACKGROUND`] (the lint's sample).
const BENIGN_SAMPLE_LOGS: usize = 6;

/// Benign INFO/DEBUG lines of the six products (the precision corpus of `tests/benign`),
/// which `rules lint` also checks literals and keys against.
pub fn benign_sample() -> &'static [&'static str] {
    &BACKGROUND[..BENIGN_SAMPLE_LOGS]
}

/// How many lines of the benign sample hold each of `patterns`, and how many lines it has:
/// what `rules lint` judges literals and keys by, and the cover prices keys by.
pub fn benign_lines_with(patterns: &[&[u8]]) -> (Vec<usize>, usize) {
    match AhoCorasick::builder()
        .match_kind(MatchKind::Standard)
        .build(patterns)
    {
        Ok(ac) => benign_lines_matching(&ac, patterns.len()),
        Err(_) => (vec![0; patterns.len()], 0),
    }
}

/// [`benign_lines_with`] for an automaton already built over `patterns` patterns.
fn benign_lines_matching(ac: &AhoCorasick, patterns: usize) -> (Vec<usize>, usize) {
    let mut lines_with = vec![0usize; patterns];
    let mut seen = vec![usize::MAX; patterns];
    let mut lines = 0usize;
    for line in benign_sample().iter().flat_map(|t| t.lines()) {
        for m in ac.find_overlapping_iter(line) {
            let k = m.pattern().as_usize();
            if seen[k] != lines {
                seen[k] = lines;
                lines_with[k] += 1;
            }
        }
        lines += 1;
    }
    (lines_with, lines)
}

/// Whether `lines_with` of `lines` is more than `per_mille` of them.
pub fn more_than_per_mille(lines_with: usize, lines: usize, per_mille: usize) -> bool {
    lines > 0 && lines_with * 1000 > lines * per_mille
}

/// How often a key taken from inside a word that ordinary log lines are full of occurs at
/// least, per byte: about once in 5 KB of log text. The background is some 180 KB of chosen
/// lines, so it can miss that "Request", "Caused by" or "Response" are on a good share of a
/// real log's lines. Measured 2026-12-03 on the benchmark's log (key search alone, 1 GiB,
/// runs vary by about 0.05 s): without a floor the key `" Req"` (covering "Length Required"
/// and "Proxy Authentication Required"; 7 times in the background, on one line in nine of the
/// log) took the built-in catalog's search from 0.32 s to 0.41-0.52 s; with this floor it is
/// 0.23-0.29 s. Other floors tried (on every common word, failure words too): 1e-4 let `"used"`
/// in (0.43 s); 5e-4 and more price keys in common words like `"ing "`, which the cover then
/// takes (0.41 s); 2e-4 was as fast as this, but its key `"on r"` for "Connection refused" and
/// "Connection reset" is on 5 % of the benign lines (the lint's limit); a floor from each word's
/// frequency in the background, or only on a word's first letters, made the built-in or the
/// three-times catalog slower. The three-times catalog (`benches/`) is slower with this floor
/// (0.39-0.41 s against 0.30-0.34 s without): its 294 literals need more common keys.
/// Raised from 2e-4 to 7e-4 on 2026-12-04, with `"filter"` and `"resource"` added to the
/// words: at 2e-4 the cover took `" res"` (inside " response " and " resource ") and `"lter"`
/// (inside every `...Filter`), which the benchmark log holds 7e-4 a byte each (1.4 million key
/// hits a GiB); without them the whole one-thread scan took 0.47 s against 0.57 s
/// (`hyperfine`, Intel VM, windows of 512 KiB), and the three-times catalog 0.51 s.
/// `"directory"`, `"caching"` and `"pending"` added on 2026-12-05, when round 13's generic
/// rules grew the catalog to 258 literals: the cover took `"dire"` (inside every directory
/// synchronisation line) and then `"endi"` (for "sending", inside "pending") for the built-in
/// catalog, and `"hing"` (inside `DbCachingRemoteDirectory`, the logger of those lines) for
/// the three-times catalog; the benchmark's log holds them 1.4e-3, 7e-4 and 7e-4 a byte.
const COMMON_WORD_PER_BYTE: f64 = 7e-4;

/// The [`COMMON_LOG_WORDS`] that say something went wrong: too vague to search for, but not
/// on most lines of a healthy log, so keys inside them keep their background price.
const FAILURE_WORDS: [&str; 9] = [
    "failed",
    "failure",
    "fail",
    "timeout",
    "timed out",
    "refused",
    "denied",
    "invalid",
    "unknown",
];

/// [`COMMON_WORD_PER_BYTE`] when `key` lies inside one of `forms` (the
/// [`ordinary_word_forms`]), else 0.
fn common_word_floor(key: &[u8], forms: &[Vec<u8>]) -> f64 {
    let inside = forms
        .iter()
        .any(|form| form.windows(key.len()).any(|w| w == key));
    if inside { COMMON_WORD_PER_BYTE } else { 0.0 }
}

/// The words of [`COMMON_LOG_WORDS`] that ordinary lines are full of (not the
/// [`FAILURE_WORDS`]) as logs write them: lower case, capitalised and upper case, each between
/// spaces.
fn ordinary_word_forms() -> Vec<Vec<u8>> {
    COMMON_LOG_WORDS
        .iter()
        .filter(|word| !FAILURE_WORDS.contains(word))
        .flat_map(|word| {
            let capitalised: String = word
                .char_indices()
                .map(|(i, c)| if i == 0 { c.to_ascii_uppercase() } else { c })
                .collect();
            [word.to_string(), capitalised, word.to_ascii_uppercase()]
        })
        .map(|form| format!(" {form} ").into_bytes())
        .collect()
}

/// Greedy weighted set cover with a fixed cost per key: each step takes the candidate with
/// the most newly covered literals per unit of cost (ties: the smaller key).
///
/// Lazily: a candidate's score only falls as literals get covered, so the best of a heap of
/// past scores is taken once its score, recomputed, is still what the heap holds.
fn cover(cands: &[Candidate], literals: usize, per_key: f64) -> Vec<usize> {
    let mut covered = vec![false; literals];
    let uncovered = |covered: &[bool], c: usize| {
        cands[c]
            .literals
            .iter()
            .filter(|&&l| !covered[l as usize])
            .count()
    };
    let score = |new: usize, c: usize| new as f64 / (cands[c].per_byte + per_key);
    let mut heap: std::collections::BinaryHeap<Scored> = (0..cands.len())
        .map(|c| Scored {
            score: score(cands[c].literals.len(), c),
            key: cands[c].key,
            index: c,
        })
        .collect();
    let mut left = literals;
    let mut chosen = Vec::new();
    while left > 0 {
        let Some(top) = heap.pop() else { break };
        let new = uncovered(&covered, top.index);
        if new == 0 {
            continue;
        }
        let now = score(new, top.index);
        if now < top.score {
            heap.push(Scored { score: now, ..top });
            continue;
        }
        for &l in &cands[top.index].literals {
            if !covered[l as usize] {
                covered[l as usize] = true;
                left -= 1;
            }
        }
        chosen.push(top.index);
    }
    chosen
}

/// A candidate in the cover's heap: the highest score first, then the smaller key.
struct Scored<'a> {
    score: f64,
    key: &'a [u8],
    index: usize,
}

impl Ord for Scored<'_> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.score
            .total_cmp(&other.score)
            .then_with(|| other.key.cmp(self.key))
    }
}

impl PartialOrd for Scored<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Scored<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for Scored<'_> {}

/// The gate of a catalog: its keys, the SIMD searcher for them, and for each key the
/// literals placed at it with the offsets where they contain it.
#[derive(Debug)]
pub struct Gate {
    keys: Vec<String>,
    keys_from: KeysFrom,
    keys_search: KeySearch,
    /// Per key: the literals placed at it, with the offset where they contain it.
    containing: Vec<KeyLiterals>,
    /// The length of each literal, by its index.
    literal_lens: Vec<usize>,
    /// The longest literal's length: how far past a literal's start a key of a literal that
    /// starts before it can lie.
    longest: usize,
    /// The key search in the order that suits the text being scanned ([`Gate::tune`]), made
    /// at the first window of [`TUNE_FROM_BYTES`] or more; `None` inside when the stored
    /// order suits that text already.
    tuned: OnceLock<Option<TunedSearch>>,
}

/// The keys in another order, and what each pattern of that order is in [`Gate::keys`].
#[derive(Debug)]
struct TunedSearch {
    search: KeySearch,
    key: Vec<usize>,
}

/// A literal, its index in the catalog's literals, and the offset of a key in it.
#[derive(Debug)]
struct Placed {
    literal: Box<[u8]>,
    index: usize,
    offset: usize,
}

impl Placed {
    fn new(literal: &[u8], index: usize, offset: usize) -> Placed {
        Placed {
            literal: literal.into(),
            index,
            offset,
        }
    }

    /// Where this literal starts, at or after `from`, when its key is the hit at `key_at`.
    fn start(&self, haystack: &[u8], key_at: usize, from: usize) -> Option<usize> {
        let start = key_at.checked_sub(self.offset)?;
        (start >= from && haystack[start..].starts_with(&self.literal)).then_some(start)
    }
}

/// The literals placed at one key (each literal is placed at one of the keys it contains),
/// indexed by the bytes beside the key in them, so that a key hit compares only the literals
/// that agree with the text around it, however many contain the key. (Compared one by one, a
/// key inside 554 literals of the benchmark's three-times catalog made the scan 38 times
/// slower; indexed by the four bytes before the key, the 500 literals ending in `Exception`
/// still shared one window.)
#[derive(Debug)]
struct KeyLiterals {
    /// Tables by [`WINDOWS`], each literal in the first whose window it has.
    tables: Vec<WindowTable>,
    /// The rest, short on both sides of the key, compared one by one.
    rest: Vec<Placed>,
}

/// The windows a literal is indexed by, most telling first: eight bytes before the key,
/// four before, eight after, four after (`true` = before).
const WINDOWS: [(bool, usize); 4] = [(true, 8), (true, 4), (false, 8), (false, 4)];

impl KeyLiterals {
    fn new(placed: impl Iterator<Item = Placed>) -> KeyLiterals {
        let mut tiers: Vec<Vec<(u64, Placed)>> = WINDOWS.iter().map(|_| Vec::new()).collect();
        let mut rest = Vec::new();
        for p in placed {
            let tier = WINDOWS
                .iter()
                .enumerate()
                .find_map(|(t, &(before, width))| {
                    let start = window_start(p.literal.len(), p.offset, before, width)?;
                    Some((t, window(&p.literal, start, width)))
                });
            match tier {
                Some((t, w)) => tiers[t].push((w, p)),
                None => rest.push(p),
            }
        }
        KeyLiterals {
            tables: tiers.into_iter().map(WindowTable::new).collect(),
            rest,
        }
    }

    /// The start of a literal at or after `from` whose key is the hit at `key_at`.
    fn placed_at(&self, haystack: &[u8], key_at: usize, from: usize) -> Option<usize> {
        let start = |p: &Placed| p.start(haystack, key_at, from);
        WINDOWS
            .iter()
            .zip(&self.tables)
            .filter(|(_, table)| !table.entries.is_empty())
            .find_map(|(&(before, width), table)| {
                let at = window_start(haystack.len(), key_at, before, width)?;
                table.get(window(haystack, at, width)).find_map(start)
            })
            .or_else(|| self.rest.iter().find_map(start))
    }

    /// Every literal that starts at or after `from` and whose key is the hit at `key_at`:
    /// `found(start, literal index)` for each. Each literal is in one table (or the rest),
    /// so each is reported once.
    fn each_placed_at(
        &self,
        haystack: &[u8],
        key_at: usize,
        from: usize,
        found: &mut impl FnMut(usize, usize),
    ) {
        let mut report = |p: &Placed| {
            if let Some(start) = p.start(haystack, key_at, from) {
                found(start, p.index);
            }
        };
        for (&(before, width), table) in WINDOWS.iter().zip(&self.tables) {
            if table.entries.is_empty() {
                continue;
            }
            if let Some(at) = window_start(haystack.len(), key_at, before, width) {
                table.get(window(haystack, at, width)).for_each(&mut report);
            }
        }
        self.rest.iter().for_each(report);
    }
}

/// Where the window of `width` bytes before (or after) a key at `key_at` starts, in bytes
/// of length `len`, when it lies inside them.
fn window_start(len: usize, key_at: usize, before: bool, width: usize) -> Option<usize> {
    if before {
        key_at.checked_sub(width)
    } else {
        (key_at + KEY_LEN + width <= len).then_some(key_at + KEY_LEN)
    }
}

/// The `width` (at most 8) bytes of `bytes` at `at`, as a number.
fn window(bytes: &[u8], at: usize, width: usize) -> u64 {
    let mut w = [0u8; 8];
    w[..width].copy_from_slice(&bytes[at..at + width]);
    u64::from_le_bytes(w)
}

/// Literals by a window of up to eight bytes, hashed into a table about twice their number:
/// a lookup is a multiplication and two loads, and a collision only costs a comparison.
#[derive(Debug)]
struct WindowTable {
    bits: u32,
    /// `starts[h]..starts[h + 1]` are the entries of hash `h`.
    starts: Vec<u32>,
    /// The window of each entry (checked before the literal is compared), and the entry.
    entries: Vec<(u64, Placed)>,
}

impl WindowTable {
    fn new(mut items: Vec<(u64, Placed)>) -> WindowTable {
        let bits = (2 * items.len())
            .next_power_of_two()
            .trailing_zeros()
            .max(1);
        items.sort_by_key(|(w, _)| Self::hash(*w, bits));
        let mut starts = vec![0u32; (1 << bits) + 1];
        for (w, _) in &items {
            starts[Self::hash(*w, bits) + 1] += 1;
        }
        for h in 1..starts.len() {
            starts[h] += starts[h - 1];
        }
        WindowTable {
            bits,
            starts,
            entries: items,
        }
    }

    fn hash(window: u64, bits: u32) -> usize {
        (window.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - bits)) as usize
    }

    /// The entries whose window is `window`.
    fn get(&self, window: u64) -> impl Iterator<Item = &Placed> {
        let h = Self::hash(window, self.bits);
        self.entries[self.starts[h] as usize..self.starts[h + 1] as usize]
            .iter()
            .filter(move |(w, _)| *w == window)
            .map(|(_, p)| p)
    }
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
    fn new<K: AsRef<[u8]>>(keys: &[K]) -> KeySearch {
        if keys.is_empty() {
            return KeySearch::Nothing;
        }
        let packed = aho_corasick::packed::Config::new()
            .match_kind(aho_corasick::packed::MatchKind::LeftmostFirst)
            .heuristic_pattern_limits(keys.len() <= TEDDY_HEURISTIC_KEYS)
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
    /// The gate of `literals`, with keys stored for them in `stored` if any are.
    pub fn new(literals: &[String], stored: &[StoredKeys]) -> Gate {
        let (keys, keys_from, places) = placed_keys(literals, stored);
        // Each literal is placed at one key (its first in key order): every occurrence of it
        // holds that key, so it is found there, and found once ([`Gate::each_literal`]).
        let mut placed = vec![false; literals.len()];
        let containing = places
            .into_iter()
            .map(|places| {
                KeyLiterals::new(
                    places
                        .into_iter()
                        .filter(|&(l, _)| !std::mem::replace(&mut placed[l], true))
                        .map(|(l, o)| Placed::new(literals[l].as_bytes(), l, o)),
                )
            })
            .collect();
        let literal_lens: Vec<usize> = literals.iter().map(String::len).collect();
        Gate {
            keys_search: KeySearch::new(&keys),
            keys,
            keys_from,
            containing,
            longest: literal_lens.iter().copied().max().unwrap_or(0),
            literal_lens,
            tuned: OnceLock::new(),
        }
    }

    pub fn keys(&self) -> &[String] {
        &self.keys
    }

    pub fn keys_from(&self) -> KeysFrom {
        self.keys_from
    }

    /// The leftmost literal that starts at or after `from`: its start and end. Where two
    /// literals start there, the one listed first (leftmost-first, as an automaton of every
    /// literal in catalog order finds).
    ///
    /// A key hit is checked cheaply: only the literals placed at that key are compared,
    /// at the offsets where they contain it. The first literal found this way lies in the
    /// line of the leftmost one (every literal contains a key, and no literal spans a line),
    /// and the leftmost one starts no later than it: so every literal is looked for in that
    /// line, from `from` or the line's start, through the key hits up to the longest
    /// literal's length past the one found.
    pub fn find_literal(&self, haystack: &[u8], from: usize) -> Option<(usize, usize)> {
        let tuned = self.tuned_for(haystack);
        let found = self.first_literal_start(tuned, haystack, from)?;
        let line_start =
            memchr::memrchr(b'\n', &haystack[from..found]).map_or(from, |i| from + i + 1);
        let line_end =
            memchr::memchr(b'\n', &haystack[found..]).map_or(haystack.len(), |i| found + i);
        let end = line_end.min(found.saturating_add(self.longest));
        let mut leftmost = (found, usize::MAX);
        self.each_literal_with(tuned, &haystack[..end], line_start, |start, index| {
            leftmost = leftmost.min((start, index));
        });
        let (start, index) = leftmost;
        Some((start, start + self.literal_lens.get(index)?))
    }

    /// Every occurrence of every literal in `haystack` (overlapping ones included), as
    /// `found(start, literal index)`, in no set order: what classifying an event needs to
    /// know which rules may apply. The same key hits as the buffer search, so an event costs
    /// a SIMD pass over its bytes rather than an automaton of every literal.
    pub fn each_literal(&self, haystack: &[u8], found: impl FnMut(usize, usize)) {
        self.each_literal_with(
            self.tuned.get().and_then(Option::as_ref),
            haystack,
            0,
            found,
        );
    }

    /// [`Gate::each_literal`] from `from`, with the key search `tuned` when there is one.
    fn each_literal_with(
        &self,
        tuned: Option<&TunedSearch>,
        haystack: &[u8],
        from: usize,
        mut found: impl FnMut(usize, usize),
    ) {
        let mut at = from;
        while let Some((key_at, key)) = self.key_hit(tuned, haystack, at) {
            self.containing[key].each_placed_at(haystack, key_at, from, &mut found);
            at = key_at + 1;
        }
    }

    /// The start of the first literal, found through a key hit, that starts at or after
    /// `from`.
    fn first_literal_start(
        &self,
        tuned: Option<&TunedSearch>,
        haystack: &[u8],
        from: usize,
    ) -> Option<usize> {
        let mut at = from;
        while let Some((key_at, key)) = self.key_hit(tuned, haystack, at) {
            if let Some(start) = self.containing[key].placed_at(haystack, key_at, from) {
                return Some(start);
            }
            at = key_at + 1;
        }
        None
    }

    /// The first key hit at or after `at`: where, and which of [`Gate::keys`].
    fn key_hit(
        &self,
        tuned: Option<&TunedSearch>,
        haystack: &[u8],
        at: usize,
    ) -> Option<(usize, usize)> {
        if at >= haystack.len() {
            return None;
        }
        match tuned {
            Some(t) => t.search.find(haystack, at).map(|(a, p)| (a, t.key[p])),
            None => self.keys_search.find(haystack, at),
        }
    }

    /// The key search tuned for the text being scanned, once a window of
    /// [`TUNE_FROM_BYTES`] shows that the input is large enough to pay for the tuning.
    fn tuned_for(&self, haystack: &[u8]) -> Option<&TunedSearch> {
        if let Some(tuned) = self.tuned.get() {
            return tuned.as_ref();
        }
        if haystack.len() < TUNE_FROM_BYTES {
            return None;
        }
        self.tuned
            .get_or_init(|| self.tune(&haystack[..TUNE_SAMPLE_BYTES.min(haystack.len())]))
            .as_ref()
    }

    /// The keys reordered for `sample`, the start of a large window, when that order
    /// expects at most half the false Teddy candidates of the stored one in it.
    ///
    /// Why: the stored order is fitted to the embedded background, a few hundred kilobytes
    /// of many products' lines. A real log is mostly a few line templates repeated, and a
    /// template whose 4-byte strings a bucket's fingerprint happens to flag is flagged on
    /// every line. The benchmark log is such a log: with the three-times catalog's stored
    /// order, seven 4-byte strings of its templates (`"s in"`, `"iceC"`, `"loba"`...) left
    /// 2.3e-2 key comparisons per byte, against 1e-4 for the built-in catalog. Its own first
    /// window tells which strings those are: counted on it ([`Fingerprints::of`]), the same
    /// swaps as at compile time ([`teddy_order`]) give an order for this text. The result
    /// is exact whatever the order (keys are distinct 4-byte strings, so at most one matches
    /// at a position); only speed depends on it.
    fn tune(&self, sample: &[u8]) -> Option<TunedSearch> {
        let keys: Vec<&[u8]> = self.keys.iter().map(|k| k.as_bytes()).collect();
        if keys.len() < 2 {
            return None;
        }
        let prints = Fingerprints::of(std::iter::once(sample), TUNE_MIN_COUNT);
        let stored = prints.order_cost(&keys);
        if stored < TUNE_WORTH_PER_BYTE {
            return None;
        }
        let (ordered, expected) = teddy_order(&keys, &prints, TUNE_WORTH_PER_BYTE / 10.0);
        if expected > stored / 2.0 {
            return None;
        }
        let key = ordered
            .iter()
            .map(|k| keys.iter().position(|x| x == k).unwrap_or(0))
            .collect();
        Some(TunedSearch {
            search: KeySearch::new(&ordered),
            key,
        })
    }
}

/// A window at least this large starts the tuning of the key order ([`Gate::tune`]): half of
/// the scanner's fill size, since the gate sees a window up to its cut (the window less its
/// last event, at most 64 KiB); an input's last window may be shorter. So the tuning's 4-6
/// ms, once a run, go to an input of a quarter of a megabyte or more. Derived, not written
/// out: a threshold above what a window can reach turns the tuning off without a sign.
const TUNE_FROM_BYTES: usize = crate::scan::DEFAULT_FILL_BYTES / 2;

/// How much of that window's start the tuning counts the 4-byte strings of.
const TUNE_SAMPLE_BYTES: usize = 128 << 10;

/// The tuning weighs only the sample's 4-byte strings that occur this often in it (once in
/// 32 KB or more): the rarer ones cannot cost much, and leaving them out makes each
/// bucket's count several times faster.
const TUNE_MIN_COUNT: u64 = 4;

/// False Teddy candidates per byte (times the keys compared) below which the stored order is
/// kept without tuning: at [`CANDIDATE_NS`] each, 12 ms a GiB at most to save.
const TUNE_WORTH_PER_BYTE: f64 = 1e-3;

/// The gate keys for `literals`, in the order that gives Teddy's buckets the fewest false
/// candidates ([`teddy_order`]), and where they came from: the built-in catalog's stored
/// choice, a stored choice of `stored` (a `--rules` directory's [`STORED_KEYS_FILE`]), or
/// chosen now.
///
/// Each key count of [`GATE_KEY_COUNTS`] gives a cover; the one whose expected cost in the
/// background is lowest wins: its key hits, at [`HIT_NS`] each, and its Teddy candidates, at
/// [`CANDIDATE_NS`] per key compared.
pub fn choose_keys(literals: &[String], stored: &[StoredKeys]) -> (Vec<String>, KeysFrom) {
    let (keys, from, _) = placed_keys(literals, stored);
    (keys, from)
}

/// [`choose_keys`], with where each key occurs in the literals ([`key_places`]): a stored
/// choice is used only when every literal holds one of its keys, which the places tell, so
/// they are found once, for that check and for the gate.
fn placed_keys(literals: &[String], stored: &[StoredKeys]) -> (Vec<String>, KeysFrom, KeyPlaces) {
    let covering = |keys: Vec<String>| {
        let places = key_places(literals, &keys);
        let mut holds_a_key = vec![false; literals.len()];
        for &(l, _) in places.iter().flatten() {
            holds_a_key[l] = true;
        }
        holds_a_key
            .into_iter()
            .all(|held| held)
            .then_some((keys, places))
    };
    if let Some((keys, places)) = builtin_keys()
        .and_then(|b| b.keys_for(literals))
        .and_then(covering)
    {
        return (keys, KeysFrom::Builtin, places);
    }
    if let Some((keys, places)) = stored
        .iter()
        .find_map(|s| s.keys_for(literals).and_then(covering))
    {
        return (keys, KeysFrom::Stored, places);
    }
    let keys = choose_keys_fresh(literals);
    let places = key_places(literals, &keys);
    (keys, KeysFrom::Chosen, places)
}

/// Where a gate's keys came from ([`choose_keys`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeysFrom {
    /// The built-in catalog's choice, stored in the source (`builtin-gate.json`).
    Builtin,
    /// A `--rules` directory's [`STORED_KEYS_FILE`], chosen for exactly these literals.
    Stored,
    /// Chosen at start-up: about 0.15 s for a catalog three times the built-in one.
    Chosen,
}

/// The keys chosen for the built-in catalog, kept in the source so that start-up need not
/// choose them again (choosing takes about 10 ms, a large part of a short run: a fleet of
/// small files, a cron scan of fresh lines). The file names the literal list it was chosen
/// for; the test `builtin_key_cache_is_current` rewrites it when the rules or the
/// background change.
const BUILTIN_KEYS: &str = include_str!("builtin-gate.json");

/// The file in a `--rules` directory that stores the keys chosen for the built-in catalog
/// plus that directory's rules (`linkdoctor rules gate --rules DIR --write` writes it), so
/// that a scan with a large catalog of its own need not choose them at start-up, as the
/// built-in catalog does not. It is used only when its digest names exactly the literals
/// being compiled and every literal holds one of its keys; a stale or foreign file costs
/// the start-up choice, never a missed literal.
pub const STORED_KEYS_FILE: &str = "linkdoctor-gate.json";

/// Gate keys stored for one literal list: what `builtin-gate.json` and a `--rules`
/// directory's [`STORED_KEYS_FILE`] hold.
#[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct StoredKeys {
    /// [`literals_digest`] of the literal list the keys were chosen for.
    literals: String,
    keys: Vec<String>,
}

impl StoredKeys {
    /// The keys chosen now for `literals`, to be stored.
    pub fn choose(literals: &[String]) -> StoredKeys {
        StoredKeys::made_for(literals, choose_keys_fresh(literals))
    }

    /// `keys`, stored for `literals` (whether they suit them is checked when they are used).
    pub fn made_for(literals: &[String], keys: Vec<String>) -> StoredKeys {
        StoredKeys {
            literals: literals_digest(literals),
            keys,
        }
    }

    /// Parses a stored file's text.
    pub fn parse(text: &str) -> Result<StoredKeys, String> {
        serde_json::from_str(text).map_err(|e| e.to_string())
    }

    /// The file's text: pretty JSON, one key a line, ending in a line feed.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
    }

    /// The stored keys, when they were chosen for exactly these literals, are no more than
    /// Teddy takes and are of the length the gate chooses. That every literal holds one of
    /// them is checked by [`placed_keys`], from the places it finds for the gate anyway.
    fn keys_for(&self, literals: &[String]) -> Option<Vec<String>> {
        let usable = self.literals == literals_digest(literals)
            && self.keys.len() <= MAX_GATE_KEYS
            && self.keys.iter().all(|k| k.len() == KEY_LEN);
        usable.then(|| self.keys.clone())
    }
}

/// Per key, its places in the literals: `(literal, offset)` ([`key_places`]).
type KeyPlaces = Vec<Vec<(usize, usize)>>;

/// For every key (of [`KEY_LEN`] bytes or fewer), the places it occurs in the literals:
/// `(literal, offset)`, in literal order, and within a literal left to right and not
/// overlapping (as `str::match_indices`). One pass over each literal, looking each of its
/// short windows up among the keys: searching every literal for every key took 5 ms of a
/// start with the three-times catalog (779 literals, 80 keys).
fn key_places(literals: &[String], keys: &[String]) -> KeyPlaces {
    // A key as a number, its length included, so that keys of every length sort together.
    let code = |b: &[u8]| {
        b.iter()
            .fold(b.len() as u64, |acc, &byte| (acc << 8) | u64::from(byte))
    };
    let usable = |k: &&String| (1..=KEY_LEN).contains(&k.len());
    // Per key's code, its first listing: a key listed twice is looked up as that one, and
    // given the same places.
    let mut first_listed: BTreeMap<u64, usize> = BTreeMap::new();
    for (i, k) in keys.iter().enumerate().filter(|(_, k)| usable(k)) {
        first_listed.entry(code(k.as_bytes())).or_insert(i);
    }
    let sorted: Vec<(u64, usize)> = first_listed.iter().map(|(&c, &i)| (c, i)).collect();
    let mut lens: Vec<usize> = keys.iter().filter(usable).map(|k| k.len()).collect();
    lens.sort_unstable();
    lens.dedup();
    let mut first_bytes = [false; 256];
    for k in keys.iter().filter(usable) {
        first_bytes[usize::from(k.as_bytes()[0])] = true;
    }
    let mut places: KeyPlaces = vec![Vec::new(); keys.len()];
    for (l, lit) in literals.iter().enumerate() {
        let b = lit.as_bytes();
        for i in (0..b.len()).filter(|&i| first_bytes[usize::from(b[i])]) {
            for &n in lens.iter().filter(|&&n| i + n <= b.len()) {
                let Ok(at) = sorted.binary_search_by_key(&code(&b[i..i + n]), |&(c, _)| c) else {
                    continue;
                };
                let key = sorted[at].1;
                let overlaps = places[key]
                    .last()
                    .is_some_and(|&(pl, po)| pl == l && po + n > i);
                if !overlaps {
                    places[key].push((l, i));
                }
            }
        }
    }
    for (i, k) in keys.iter().enumerate().filter(|(_, k)| usable(k)) {
        let first = first_listed[&code(k.as_bytes())];
        if first != i {
            places[i] = places[first].clone();
        }
    }
    places
}

/// The built-in catalog's stored keys.
fn builtin_keys() -> Option<StoredKeys> {
    StoredKeys::parse(BUILTIN_KEYS).ok()
}

/// A digest of a literal list, in order.
fn literals_digest(literals: &[String]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for lit in literals {
        h.update((lit.len() as u64).to_le_bytes());
        h.update(lit.as_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// [`choose_keys`] without the cache.
fn choose_keys_fresh(literals: &[String]) -> Vec<String> {
    if literals.is_empty() {
        return Vec::new();
    }
    let chain = ByteChain::new();
    let cands = candidates(literals, &chain);
    let prints = Fingerprints::background();
    // Every count's cover with the cost of its key hits, cheapest first: ordering a cover's
    // buckets is most of the choice's time, and a cover whose hits alone cost more than the
    // best total so far cannot win (its candidates only add).
    let mut covers: Vec<(f64, Vec<usize>)> = Vec::new();
    for max_keys in GATE_KEY_COUNTS {
        let chosen = fit_cover(&cands, literals.len(), max_keys);
        if covers.iter().all(|(_, c)| *c != chosen) {
            let hits: f64 = chosen.iter().map(|&c| cands[c].per_byte).sum();
            covers.push((HIT_NS * hits, chosen));
        }
    }
    covers.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut best: Option<(f64, Vec<&[u8]>)> = None;
    for (hits_cost, chosen) in covers {
        if best.as_ref().is_some_and(|(b, _)| hits_cost >= *b) {
            break;
        }
        let mut keys: Vec<&[u8]> = chosen.iter().map(|&c| cands[c].key).collect();
        keys.sort();
        let (ordered, candidates) = teddy_order(&keys, prints, 0.0);
        let cost = hits_cost + CANDIDATE_NS * candidates;
        if best.as_ref().is_none_or(|(b, _)| cost < *b) {
            best = Some((cost, ordered));
        }
    }
    best.map(|(_, keys)| {
        keys.into_iter()
            .map(|k| String::from_utf8_lossy(k).into_owned())
            .collect()
    })
    .unwrap_or_default()
}

/// Teddy's buckets for `keys` patterns: its fat form (more than 32 patterns) has 16, its slim
/// form 8.
fn teddy_buckets(keys: usize) -> usize {
    if keys > 32 { 16 } else { 8 }
}

/// The background's distinct 4-byte strings, as bit sets by the nibbles of each of their
/// bytes and by the bits of their counts: what Teddy's fingerprints flag in ordinary log text
/// is counted on it, not estimated ([`Fingerprints::bucket_cost`]).
///
/// Why measured: an earlier estimate took the four bytes as independent, with the
/// background's byte frequencies. Text is not like that (`" cod"`, `" nam"`, `"when"` and
/// `"\"Sen"` together flag every `" con"`, `" com"`, `"whe"`...), and the bucket order it chose
/// left 5.7e-3 candidates per byte of the benchmark log; counted, the order leaves 2.3e-5,
/// and the key search of the 1 GiB log took 0.16-0.17 s instead of 0.41 s (measured
/// 2026-12-03).
struct Fingerprints {
    /// Words of one bit set (one bit per distinct 4-byte string).
    words: usize,
    /// `nibbles[((j * 2 + half) * 16 + v) * words..][..words]`: the strings whose byte `j`
    /// has `v` as its low (`half` 0) or high (`half` 1) nibble.
    nibbles: Vec<u64>,
    /// `weights[b * words..][..words]`: the strings whose count has bit `b` set.
    weights: Vec<u64>,
    /// `first_byte[b]..first_byte[b + 1]`: the strings (sorted) that start with byte `b`; a
    /// bucket is counted only over the words of the first bytes its keys allow.
    first_byte: Vec<usize>,
    /// Every 4-byte position of the background.
    positions: f64,
}

impl Fingerprints {
    /// Those of the background, built once.
    fn background() -> &'static Fingerprints {
        static BACKGROUND_FINGERPRINTS: OnceLock<Fingerprints> = OnceLock::new();
        BACKGROUND_FINGERPRINTS
            .get_or_init(|| Fingerprints::of(BACKGROUND.iter().map(|t| t.as_bytes()), 1))
    }

    /// Those of `texts`, leaving out the strings that occur fewer than `min_count` times (they
    /// still count as positions).
    fn of<'t>(texts: impl Iterator<Item = &'t [u8]>, min_count: u64) -> Fingerprints {
        // Counted by sorting the strings as big-endian numbers (byte order): several times
        // faster than a hash map, which matters when a window is sampled during a scan.
        let mut all: Vec<u32> = Vec::new();
        for text in texts {
            all.extend(
                text.windows(KEY_LEN)
                    .map(|w| u32::from_be_bytes(w.try_into().unwrap_or_default())),
            );
        }
        let positions = all.len();
        all.sort_unstable();
        let grams: Vec<([u8; KEY_LEN], u64)> = all
            .chunk_by(|a, b| a == b)
            .filter(|run| run.len() as u64 >= min_count)
            .map(|run| (run[0].to_be_bytes(), run.len() as u64))
            .collect();
        let words = grams.len().div_ceil(64).max(1);
        let planes =
            (u64::BITS - grams.iter().map(|g| g.1).max().unwrap_or(0).leading_zeros()) as usize;
        let mut nibbles = vec![0u64; KEY_LEN * 2 * 16 * words];
        let mut weights = vec![0u64; planes * words];
        for (i, (gram, count)) in grams.iter().enumerate() {
            let bit = 1u64 << (i % 64);
            for (j, &b) in gram.iter().enumerate() {
                nibbles[((j * 2) * 16 + usize::from(b & 15)) * words + i / 64] |= bit;
                nibbles[((j * 2 + 1) * 16 + usize::from(b >> 4)) * words + i / 64] |= bit;
            }
            for (b, plane) in weights.chunks_mut(words).enumerate() {
                if count >> b & 1 == 1 {
                    plane[i / 64] |= bit;
                }
            }
        }
        let mut first_byte = vec![0usize; 257];
        for (gram, _) in &grams {
            first_byte[usize::from(gram[0]) + 1] += 1;
        }
        for b in 1..first_byte.len() {
            first_byte[b] += first_byte[b - 1];
        }
        Fingerprints {
            words,
            nibbles,
            weights,
            first_byte,
            positions: positions.max(1) as f64,
        }
    }

    /// False candidates per byte of `keys` in that order (pattern `i` in bucket `i mod
    /// buckets`), summed over the buckets ([`Fingerprints::bucket_cost`]).
    fn order_cost(&self, keys: &[&[u8]]) -> f64 {
        let buckets = teddy_buckets(keys.len());
        (0..buckets)
            .map(|b| self.bucket_cost(keys.iter().skip(b).step_by(buckets).copied()))
            .sum()
    }

    /// False candidates per byte of one Teddy bucket, times the keys it holds (each candidate
    /// compares them all). Teddy flags a position for a bucket when each of the next four
    /// bytes has a low nibble and a high nibble that keys of the bucket have at that offset,
    /// not necessarily the same key: counted here over the background's 4-byte strings.
    fn bucket_cost<'k>(&self, keys: impl Iterator<Item = &'k [u8]> + Clone) -> f64 {
        let mut masks = [[0u16; 2]; KEY_LEN];
        for k in keys.clone() {
            for (j, mask) in masks.iter_mut().enumerate() {
                let b = k.get(j).copied().unwrap_or(0);
                mask[0] |= 1 << (b & 15);
                mask[1] |= 1 << (b >> 4);
            }
        }
        let words = self.words;
        let plane = |j: usize, half: usize, v: usize| {
            &self.nibbles[((j * 2 + half) * 16 + v) * words..][..words]
        };
        let mut flagged = 0u64;
        let mut next_word = 0;
        for b in (0..256usize)
            .filter(|b| masks[0][0] >> (b & 15) & 1 == 1 && masks[0][1] >> (b >> 4) & 1 == 1)
        {
            let (start, end) = (self.first_byte[b], self.first_byte[b + 1]);
            for w in (start / 64).max(next_word)..end.div_ceil(64) {
                let mut acc = !0u64;
                for (j, mask) in masks.iter().enumerate() {
                    for (half, &m) in mask.iter().enumerate() {
                        acc &= set_bits(m).fold(0, |any, v| any | plane(j, half, v)[w]);
                    }
                    if acc == 0 {
                        break;
                    }
                }
                if acc != 0 {
                    for (bit, weight) in self.weights.chunks(words).enumerate() {
                        flagged += u64::from((acc & weight[w]).count_ones()) << bit;
                    }
                }
                next_word = w + 1;
            }
        }
        flagged as f64 / self.positions * keys.count() as f64
    }
}

/// The indices of the bits set in `mask`, lowest first.
fn set_bits(mut mask: u16) -> impl Iterator<Item = usize> {
    std::iter::from_fn(move || {
        let bit = mask.trailing_zeros() as usize;
        mask &= mask.checked_sub(1)?;
        Some(bit)
    })
}

/// `keys` ordered so that Teddy's buckets hold keys with alike nibbles, and the expected
/// candidates of that order.
///
/// aho-corasick's Teddy puts pattern `i` in bucket `i mod buckets` (counted from the last), so
/// the order is the bucket assignment. Starting from the round robin of the sorted keys, a
/// swap of two keys between buckets is kept while it lowers the summed
/// [`Fingerprints::bucket_cost`]: on the built-in catalog the key search of the benchmark log
/// took 0.51 s with the keys sorted, 0.41 s in the order an estimate of independent bytes
/// chose, 0.16-0.17 s in the order the counted fingerprints choose (measured 2026-12-02 and
/// -03). The swaps stop early once the expected candidates are `enough` or fewer, and two
/// buckets that flag nothing are not swapped between.
fn teddy_order<'k>(keys: &[&'k [u8]], prints: &Fingerprints, enough: f64) -> (Vec<&'k [u8]>, f64) {
    let n = keys.len();
    let count = teddy_buckets(n);
    // Bucket b holds patterns b, b + count, b + 2 count...: the sizes the order must keep.
    let mut buckets: Vec<Vec<usize>> = (0..count)
        .map(|b| (b..n).step_by(count).collect())
        .collect();
    let cost = |members: &[usize]| prints.bucket_cost(members.iter().map(|&i| keys[i]));
    let mut costs: Vec<f64> = buckets.iter().map(|m| cost(m)).collect();
    'passes: for _pass in 0..ORDER_PASSES {
        let mut improved = false;
        for a in 0..count {
            for b in a + 1..count {
                let (left, right) = buckets.split_at_mut(b);
                let (ma, mb) = (&mut left[a], &mut right[0]);
                for x in 0..ma.len() {
                    for y in 0..mb.len() {
                        // Two buckets that flag nothing cannot flag less: most of them, for a
                        // log's few templates ([`Gate::tune`]).
                        if costs[a] + costs[b] <= 0.0 {
                            continue;
                        }
                        std::mem::swap(&mut ma[x], &mut mb[y]);
                        let (ca, cb) = (cost(ma), cost(mb));
                        if ca + cb < (costs[a] + costs[b]) * (1.0 - 1e-9) {
                            (costs[a], costs[b]) = (ca, cb);
                            improved = true;
                            if costs.iter().sum::<f64>() <= enough {
                                break 'passes;
                            }
                        } else {
                            std::mem::swap(&mut ma[x], &mut mb[y]);
                        }
                    }
                }
            }
        }
        if !improved {
            break;
        }
    }
    let ordered = (0..n)
        .map(|i| keys[buckets[i % count][i / count]])
        .collect();
    (ordered, costs.iter().sum())
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

/// The search the gate must agree with: automata of every literal, leftmost-first and
/// overlapping. For the gate's tests and the `gate_keys` fuzz target, which hold a gate to it
/// with [`FullSearch::disagreement`]; a scan never builds it.
#[doc(hidden)]
pub struct FullSearch {
    leftmost: AhoCorasick,
    every: AhoCorasick,
}

#[doc(hidden)]
impl FullSearch {
    pub fn new(literals: &[String]) -> Result<FullSearch, aho_corasick::BuildError> {
        Ok(FullSearch {
            leftmost: AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostFirst)
                .build(literals)?,
            every: AhoCorasick::new(literals)?,
        })
    }

    /// Where `gate` finds otherwise than this search in `text`: from some offset, another
    /// leftmost literal ([`Gate::find_literal`]), or other occurrences of the literals
    /// ([`Gate::each_literal`], each once); `None` when it agrees everywhere.
    pub fn disagreement(&self, gate: &Gate, text: &[u8]) -> Option<String> {
        for from in 0..text.len() {
            let want = self
                .leftmost
                .find(aho_corasick::Input::new(text).span(from..text.len()))
                .map(|m| (m.start(), m.end()));
            let got = gate.find_literal(text, from);
            if want != got {
                return Some(format!("from {from}: leftmost {want:?}, the gate {got:?}"));
            }
        }
        let mut want: Vec<(usize, usize)> = self
            .every
            .find_overlapping_iter(text)
            .map(|m| (m.start(), m.pattern().as_usize()))
            .collect();
        let mut got = Vec::new();
        gate.each_literal(text, |start, index| got.push((start, index)));
        want.sort_unstable();
        got.sort_unstable();
        (want != got).then(|| format!("every literal: {want:?}, the gate {got:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lits(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn key_places_are_str_match_indices() {
        let literals = lits(&[
            "oauth_problem=token_rejected",
            "aaaaaaaaa",
            "abababab",
            "PKIX path",
            "PKI",
            "",
            "Fehlerüberprüfung",
            "x",
        ]);
        let keys = lits(&[
            "oken", "aaaa", "abab", "PKIX", "ü", "x", "oken", "", "toolong",
        ]);
        let places = key_places(&literals, &keys);
        for (k, key) in keys.iter().enumerate() {
            let want: Vec<(usize, usize)> = if key.is_empty() || key.len() > KEY_LEN {
                Vec::new()
            } else {
                literals
                    .iter()
                    .enumerate()
                    .flat_map(|(l, lit)| lit.match_indices(key.as_str()).map(move |(o, _)| (l, o)))
                    .collect()
            };
            assert_eq!(places[k], want, "{key:?}");
        }
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
        let (keys, _) = choose_keys(&l, &[]);
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
        let (keys, _) = choose_keys(&l, &[]);
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
        assert_gate_finds_what_the_full_search_finds(&l, &pieces);
    }

    #[test]
    fn a_key_inside_hundreds_of_literals_finds_exactly_what_the_full_search_finds() {
        // Literals sharing a long common part, so one key is inside most of them, with
        // every length on both sides of it: the window tables and the short rest.
        let mut l: Vec<String> = (0..300)
            .map(|i| format!("{}{i}Exception", "Ab".repeat(i % 6)))
            .collect();
        l.extend(lits(&[
            "Exception:",
            "9Exception x",
            "xException",
            "Exception",
        ]));
        let pieces = [
            "Exception",
            "AbAb",
            "Ab",
            "17",
            "3",
            "x",
            " ",
            ":",
            "\n",
            "INFO ordinary ",
            "299",
            "AbAbAbAbAb",
        ];
        assert_gate_finds_what_the_full_search_finds(&l, &pieces);
    }

    #[test]
    fn key_literals_find_every_literal_placed_at_a_hit() {
        // Literals holding the key "Exce" with 0 to 9 bytes before it and 0 to 9 after it:
        // every window table and the short rest are used.
        let mut literals = Vec::new();
        for before in 0..10 {
            for after in 0..10 {
                let lit = format!("{}Exce{}", &"0123456789"[..before], &"abcdefghij"[..after]);
                literals.push(lit);
            }
        }
        let index = KeyLiterals::new(
            literals
                .iter()
                .enumerate()
                .map(|(i, l)| Placed::new(l.as_bytes(), i, l.find("Exce").unwrap())),
        );
        assert!(index.tables.iter().all(|t| !t.entries.is_empty()));
        assert!(!index.rest.is_empty());
        let mut rng = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..2000 {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            let (b, a, pre, post) = (rng % 11, (rng >> 8) % 11, (rng >> 16) % 3, (rng >> 24) % 3);
            let text = format!(
                "{}{}Exce{}{}",
                "x".repeat(pre as usize),
                &"0123456789x"[10 - b as usize..],
                &"abcdefghijy"[..a as usize],
                "y".repeat(post as usize)
            );
            let h = text.as_bytes();
            let key_at = text.find("Exce").unwrap();
            for from in 0..=key_at {
                let possible: Vec<usize> = literals
                    .iter()
                    .filter_map(|l| {
                        let start = key_at.checked_sub(l.find("Exce").unwrap())?;
                        (start >= from && h[start..].starts_with(l.as_bytes())).then_some(start)
                    })
                    .collect();
                match index.placed_at(h, key_at, from) {
                    Some(start) => assert!(possible.contains(&start), "{text:?} {from}"),
                    None => assert!(possible.is_empty(), "{text:?} {from}: {possible:?}"),
                }
            }
        }
    }

    /// Texts made of `pieces` at random: from every offset, the gate finds the literal the
    /// search for every literal finds, and it finds every occurrence of every literal that
    /// an overlapping search finds, each once.
    fn assert_gate_finds_what_the_full_search_finds(l: &[String], pieces: &[&str]) {
        assert_gate_is_exact(&Gate::new(l, &[]), l, pieces);
    }

    /// [`assert_gate_finds_what_the_full_search_finds`] for a given gate.
    fn assert_gate_is_exact(gate: &Gate, l: &[String], pieces: &[&str]) {
        let full = FullSearch::new(l).unwrap();
        let mut rng = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..300 {
            let mut text = String::new();
            for _ in 0..12 {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                text.push_str(pieces[(rng % pieces.len() as u64) as usize]);
            }
            if let Some(d) = full.disagreement(gate, text.as_bytes()) {
                panic!("{text:?}: {d}");
            }
        }
    }

    /// The cached keys of the built-in catalog are the ones it would choose. When they are
    /// not (a rule or the background changed), the cache is rewritten and the test fails:
    /// commit the new `src/rules/builtin-gate.json` and run again.
    #[test]
    fn builtin_key_cache_is_current() {
        let (catalog, errors) = crate::rules::load_catalog(&[]);
        assert!(errors.is_empty(), "{errors:?}");
        let fresh = StoredKeys::choose(catalog.literals());
        if builtin_keys().as_ref() != Some(&fresh) {
            let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/rules/builtin-gate.json");
            let text = fresh.to_json();
            std::fs::write(path, text).expect("write the key cache");
            panic!("{path} was stale and has been rewritten; build and test again");
        }
        assert_eq!(catalog.gate_keys(), fresh.keys.as_slice());
    }

    #[test]
    fn keys_inside_ordinary_words_are_never_cheap() {
        let forms = ordinary_word_forms();
        for key in [" Req", "Requ", "used", "Exce", "RROR"] {
            assert_eq!(
                common_word_floor(key.as_bytes(), &forms),
                COMMON_WORD_PER_BYTE,
                "{key}"
            );
        }
        // Failure words keep their background price, and so do keys across two words.
        for key in ["fuse", "efus", "PKIX", "on r", "qu!r"] {
            assert_eq!(common_word_floor(key.as_bytes(), &forms), 0.0, "{key}");
        }
        // And the floor is what the cover sees: " Req" costs at least the floor, far more
        // than the few times the background holds it.
        const { assert!(COMMON_WORD_PER_BYTE > 0.0) };
        let literals = lits(&["Length Required", "Proxy Authentication Required"]);
        let cands = candidates(&literals, &ByteChain::new());
        let req = cands
            .iter()
            .find(|c| c.key == b" Req")
            .expect("a candidate");
        assert_eq!(req.literals.len(), 2);
        assert!(req.per_byte >= COMMON_WORD_PER_BYTE, "{}", req.per_byte);
    }

    #[test]
    fn keys_on_many_benign_lines_are_never_cheap() {
        // "ing " is on about a fifth of the benign sample's lines; "ndsh" on none.
        let (with, lines) = benign_lines_with(&[b"ing ", b"ndsh"]);
        assert!(
            more_than_per_mille(with[0], lines, MAX_KEY_LINES_PER_MILLE),
            "{with:?} of {lines}"
        );
        assert!(
            !more_than_per_mille(with[1], lines, MAX_KEY_LINES_PER_MILLE),
            "{with:?} of {lines}"
        );
        let literals = lits(&["Remote host closed connection during handshake"]);
        let cands = candidates(&literals, &ByteChain::new());
        let price = |key: &[u8]| {
            cands
                .iter()
                .find(|c| c.key == key)
                .expect("a candidate")
                .per_byte
        };
        assert!(price(b"ing ") >= ON_MANY_LINES_PER_BYTE);
        assert!(price(b"ndsh") < ON_MANY_LINES_PER_BYTE);
    }

    /// The benchmark's three-times catalog stores its keys, as a large user catalog would
    /// (`rules gate --write`); rewritten here when the built-in rules change.
    #[test]
    fn bench_extra_catalog_stores_its_keys() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/extra-catalog");
        let (catalog, errors) = crate::rules::load_catalog(&[dir.into()]);
        assert!(errors.is_empty(), "{errors:?}");
        if catalog.gate_keys_from() != KeysFrom::Stored {
            let path = format!("{dir}/{STORED_KEYS_FILE}");
            let text = StoredKeys::choose(catalog.literals()).to_json();
            std::fs::write(&path, text).expect("write the stored keys");
            panic!("{path} was stale and has been rewritten; test again");
        }
    }

    /// Whatever keys a stored file holds, once they pass its checks the gate finds exactly
    /// what the search for every literal finds: here every choice of one key inside each
    /// literal, in turn, including keys that occur in other literals and in ordinary text.
    #[test]
    fn any_stored_keys_that_are_used_keep_the_gate_exact() {
        let l = lits(&[
            "PKIX path building failed",
            "oauth_problem",
            "Connection refused",
            "connect timed out",
            "refused to connect",
        ]);
        let pieces = [
            "PKIX path building failed",
            "PKIX path",
            "oauth_problem=x ",
            "oauth_",
            "Connection refused\n",
            "connect timed out",
            "refused to connect ",
            "Connect",
            "refu",
            "\n",
            " ordinary text ",
        ];
        for pick in 0..6 {
            let keys: Vec<String> = l
                .iter()
                .enumerate()
                .map(|(i, lit)| {
                    let at = (pick * (i + 1) * 3) % (lit.len() - KEY_LEN + 1);
                    lit[at..at + KEY_LEN].to_string()
                })
                .collect();
            let stored = StoredKeys::made_for(&l, keys.clone());
            let gate = Gate::new(&l, &[stored]);
            assert_eq!(gate.keys_from(), KeysFrom::Stored, "{keys:?}");
            assert_eq!(gate.keys(), keys.as_slice());
            assert_gate_is_exact(&gate, &l, &pieces);
        }
    }

    #[test]
    fn other_literals_choose_afresh() {
        let literals = lits(&["PKIX path building failed", "oauth_problem"]);
        let fresh = choose_keys_fresh(&literals);
        assert_eq!(choose_keys(&literals, &[]), (fresh, KeysFrom::Chosen));
    }

    #[test]
    fn stored_keys_are_used_only_for_their_literals() {
        let literals = lits(&["PKIX path building failed", "oauth_problem"]);
        let stored = StoredKeys::choose(&literals);
        assert_eq!(StoredKeys::parse(&stored.to_json()).as_ref(), Ok(&stored));
        let (keys, from) = choose_keys(&literals, std::slice::from_ref(&stored));
        assert_eq!((keys, from), (stored.keys.clone(), KeysFrom::Stored));
        // Other literals: the stored file is stale, and the keys are chosen afresh.
        let other = lits(&[
            "PKIX path building failed",
            "oauth_problem",
            "Read timed out",
        ]);
        let (_, from) = choose_keys(&other, std::slice::from_ref(&stored));
        assert_eq!(from, KeysFrom::Chosen);
        // A file that names these literals but leaves one without a key is not trusted.
        let mut holed = stored.clone();
        holed.keys = vec!["PKIX".into()];
        assert_eq!(choose_keys(&literals, &[holed]).1, KeysFrom::Chosen);
        // Nor one with more keys than Teddy takes, or an empty key.
        let mut crowded = stored.clone();
        crowded.keys = vec!["PKIX".into(); MAX_GATE_KEYS + 1];
        crowded.keys.push("oaut".into());
        assert_eq!(choose_keys(&literals, &[crowded]).1, KeysFrom::Chosen);
        let mut empty = stored;
        empty.keys.push(String::new());
        assert_eq!(choose_keys(&literals, &[empty]).1, KeysFrom::Chosen);
        let long = StoredKeys::made_for(&literals, lits(&["PKIX path", "oauth"]));
        assert_eq!(choose_keys(&literals, &[long]).1, KeysFrom::Chosen);
        assert!(StoredKeys::parse("{\"literals\": \"x\"}").is_err());
    }

    #[test]
    fn the_built_in_and_the_three_times_catalog_fit_teddy() {
        let extra = std::path::PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/benches/extra-catalog"
        ));
        for extra in [vec![], vec![extra]] {
            let (catalog, errors) = crate::rules::load_catalog(&extra);
            assert!(errors.is_empty(), "{errors:?}");
            let keys = catalog.gate_keys();
            assert!(keys.len() <= MAX_GATE_KEYS, "{}", keys.len());
            let search = KeySearch::new(keys);
            assert!(matches!(
                search,
                KeySearch::Packed(_) | KeySearch::Automaton(_)
            ));
            // Where the CPU has AVX2, the packed searcher (Teddy) takes every key count.
            #[cfg(target_arch = "x86_64")]
            if std::is_x86_feature_detected!("avx2") {
                assert!(matches!(search, KeySearch::Packed(_)), "{}", keys.len());
            }
            for lit in catalog.literals() {
                assert!(keys.iter().any(|k| lit.contains(k.as_str())), "{lit}");
            }
        }
    }

    #[test]
    fn teddy_order_keeps_the_keys_and_lowers_the_expected_candidates() {
        let (catalog, errors) = crate::rules::load_catalog(&[]);
        assert!(errors.is_empty(), "{errors:?}");
        let mut keys: Vec<&[u8]> = catalog.gate_keys().iter().map(|k| k.as_bytes()).collect();
        keys.sort();
        let prints = Fingerprints::background();
        let round_robin = prints.order_cost(&keys);
        let (ordered, expected) = teddy_order(&keys, prints, 0.0);
        let mut again = ordered.clone();
        again.sort();
        assert_eq!(again, keys);
        assert!(
            expected < round_robin / 2.0,
            "{expected:e} against {round_robin:e}"
        );
        // The order is what the catalog searches with.
        let searched: Vec<&[u8]> = catalog.gate_keys().iter().map(|k| k.as_bytes()).collect();
        assert_eq!(searched, ordered);
    }

    #[test]
    fn bucket_cost_counts_what_the_nibble_unions_flag() {
        // The background's 4-byte positions: "aaaa", "aaaq", "aaqq", "aqqq", "qqqq".
        let prints = Fingerprints::of([&b"aaaaqqqq"[..]].into_iter(), 1);
        let cost = |keys: &[&[u8]]| prints.bucket_cost(keys.iter().copied());
        // One key "aaaa": each position accepts only 'a'.
        assert_eq!(cost(&[b"aaaa"]), 1.0 / 5.0);
        // "aaaa" and "qqqq" share the low nibble (1) and differ in the high (6, 7): each
        // position accepts 'a' and 'q', so every position is flagged, for two keys.
        assert_eq!(cost(&[b"aaaa", b"qqqq"]), 2.0);
        // A key unlike the background flags nothing.
        assert_eq!(cost(&[b"zzzz"]), 0.0);
        // Counts above one are weighed: "abab" occurs three times in "abababab".
        let prints = Fingerprints::of([&b"abababab"[..]].into_iter(), 1);
        assert_eq!(prints.bucket_cost([&b"abab"[..]].into_iter()), 3.0 / 5.0);
    }

    #[test]
    fn keys_common_in_ordinary_logs_are_avoided() {
        // "INFO" and "http-nio" are everywhere in the background; the rare part is chosen.
        let (keys, _) = choose_keys(&lits(&["INFO http-nio QuuxRefusedZap"]), &[]);
        assert_eq!(keys.len(), 1);
        assert!(
            !keys[0].contains("INFO") && !keys[0].contains("http"),
            "{keys:?}"
        );
    }

    /// Ordinary lines in the style of the benchmark's generated Jira log (synthetic, not
    /// collected), with one failure line.
    fn templated_log(bytes: usize) -> String {
        let lines = [
            "2024-03-01 00:00:00,014+0000 INFO [Caesium-1-0] [c.a.j.service.ServiceRunner] \
             Running scheduled job com.atlassian.jira.service.JiraServiceContainerImpl id 22299\n",
            "2024-03-01 00:00:00,003+0000 INFO [http-nio-8080-exec-33] \
             [c.a.applinks.core.DefaultApplicationLinkService] Application link status \
             refreshed for 3 links in 55504 ms\n",
            "2024-03-01 00:00:00,031+0000 DEBUG [http-nio-8080-exec-1] \
             [c.a.plugin.webresource.impl] Serving batch resource \
             /s/91981/_/download/batch/jira.webresources:global-static\n",
        ];
        let failure = "2024-03-01 00:00:01,000+0000 ERROR [http-nio-8080-exec-2] \
                       javax.net.ssl.SSLHandshakeException: PKIX path building failed\n";
        let mut text = String::new();
        let mut i = 0;
        while text.len() < bytes {
            text.push_str(if i % 997 == 500 {
                failure
            } else {
                lines[i % lines.len()]
            });
            i += 1;
        }
        text
    }

    #[test]
    fn a_large_window_tunes_the_key_order_to_its_text_and_stays_exact() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/extra-catalog");
        let (catalog, errors) = crate::rules::load_catalog(&[dir.into()]);
        assert!(errors.is_empty(), "{errors:?}");
        let literals = catalog.literals().to_vec();
        let text = templated_log(TUNE_FROM_BYTES + 4096);
        let h = text.as_bytes();
        let prints = Fingerprints::of(std::iter::once(&h[..TUNE_SAMPLE_BYTES]), 1);
        // The stored keys in the worst of some shuffled orders for these templates (the
        // stored order itself is fitted to other text and may happen to suit them).
        let mut worst = catalog.gate_keys().to_vec();
        let mut worst_cost = 0.0;
        let mut order = worst.clone();
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..64 {
            for i in (1..order.len()).rev() {
                seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                order.swap(i, (seed >> 33) as usize % (i + 1));
            }
            let keys: Vec<&[u8]> = order.iter().map(|k| k.as_bytes()).collect();
            let cost = prints.order_cost(&keys);
            if cost > worst_cost {
                (worst, worst_cost) = (order.clone(), cost);
            }
        }
        let gate = Gate::new(&literals, &[StoredKeys::made_for(&literals, worst)]);
        assert_eq!(gate.keys_from(), KeysFrom::Stored);
        // That order flags the templates' strings; the tuned one expects far fewer.
        let keys: Vec<&[u8]> = gate.keys().iter().map(|k| k.as_bytes()).collect();
        let before = prints.order_cost(&keys);
        assert!(before > TUNE_WORTH_PER_BYTE, "{before:e}");
        // Every literal found in the large window, as the search for every literal finds it.
        let full = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostFirst)
            .build(&literals)
            .unwrap();
        let want: Vec<(usize, usize)> = full.find_iter(h).map(|m| (m.start(), m.end())).collect();
        let mut got = Vec::new();
        let mut from = 0;
        while let Some((start, end)) = gate.find_literal(h, from) {
            got.push((start, end));
            from = end;
        }
        assert!(!want.is_empty());
        assert_eq!(got, want);
        let tuned = gate.tuned.get().expect("tuned at the large window");
        let tuned = tuned.as_ref().expect("a better order for these templates");
        let mut reordered: Vec<&[u8]> = tuned.key.iter().map(|&k| keys[k]).collect();
        let after = prints.order_cost(&reordered);
        assert!(after < before / 10.0, "{after:e} against {before:e}");
        reordered.sort();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(reordered, sorted, "the same keys");
    }

    #[test]
    fn the_built_in_order_is_kept_on_its_background() {
        // The stored order was fitted to the background, so the background's own text gives
        // no reason to tune it.
        let (catalog, errors) = crate::rules::load_catalog(&[]);
        assert!(errors.is_empty(), "{errors:?}");
        let gate = Gate::new(catalog.literals(), &[]);
        assert_eq!(gate.keys_from(), KeysFrom::Builtin);
        let background = BACKGROUND.concat();
        assert!(
            gate.tune(&background.as_bytes()[..TUNE_SAMPLE_BYTES])
                .is_none()
        );
    }
}
